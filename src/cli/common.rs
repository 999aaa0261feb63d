//! Shared CLI plumbing: config discovery, rule loading, file-error rendering.

use crate::config::Config;
use crate::engine::Context;
use crate::policy::{self, FileError, Rule};
use crate::source::SourceFile;
use crate::waiver::{self, CodeOwners, Date, WaiverSet};
use anyhow::{Result, bail};
use clap::Args;
use std::path::{Path, PathBuf};

/// Options shared by commands that need rules.
#[derive(Args, Debug, Clone, Default)]
pub struct RuleOpts {
    /// Config file (default: `.accord.yaml` found from the working directory upwards).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Add a folder of rule files (repeatable).
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Do not use the built-in rule library.
    #[arg(long)]
    pub no_builtin: bool,
    /// Only run these rules (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub only: Vec<String>,
    /// Target Kubernetes version (`1.31`), overriding the config's `kubernetes-version`.
    #[arg(long, value_name = "X.Y", value_parser = kubernetes_version)]
    pub kubernetes_version: Option<String>,
}

/// Inputs of this many bytes or more make a large heap (see [`size_heap`]).
const LARGE_INPUT: u64 = 8 << 20;

/// Typical size of a manifest file, to judge revisions read from git by their file count.
const TYPICAL_FILE: u64 = 2 << 10;

/// Tell the kernel how large this run's heap will be, from the bytes of input it reads.
///
/// The allocator asks for transparent huge pages. Where memory is fragmented (any machine whose
/// page cache has filled its RAM) the kernel may compact memory before each 2 MiB fault, and a
/// large run spent seconds in the kernel for it. So a run of [`LARGE_INPUT`] or more gets 4 KiB
/// pages only, while small runs keep huge pages, whose fewer faults make them faster. Measured
/// in alternating runs on 2 cores (`MIMALLOC_ALLOW_THP=0` against the default, bench/README.md):
/// 100k objects 6.3 → 4.8 s and 708 → 661 MB peak, 10k objects 596 → 542 ms, `diff` + lint of the
/// 10k change 1.37 → 0.71 s, the real corpus 1.42 → 1.22 s; but 1k objects 71 → 86 ms and one
/// file 22 → 26 ms, hence the threshold. An explicit `MIMALLOC_ALLOW_THP` is left to decide.
///
/// A large run also gives the pages it frees back to the kernel after [`LARGE_PURGE_DELAY_MS`]
/// rather than mimalloc's default second: a streaming lint frees each file's whole tree once
/// pruned, and pages left to wait a second count toward the peak. An explicit
/// `MIMALLOC_PURGE_DELAY` is left to decide.
pub fn size_heap(input_bytes: u64) {
    if input_bytes < LARGE_INPUT {
        return;
    }
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options, which it reads whenever it purges.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, LARGE_PURGE_DELAY_MS);
        }
    }
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: `PR_SET_THP_DISABLE` takes plain integers and only sets a flag of this process.
    // It fails only on kernels without it (before 3.15), where there is nothing to change.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Have every thread of the pool, and this one, free the pages its allocator no longer uses and
/// give them back to the kernel now, rather than after [`LARGE_PURGE_DELAY_MS`] or its next
/// allocation: for a step that frees much just before one that needs much.
pub fn give_back_memory() {
    // SAFETY: `mi_collect` only tidies the calling thread's heap (and abandoned ones).
    let collect = || unsafe { libmimalloc_sys::mi_collect(true) };
    rayon::broadcast(|_| collect());
    collect();
}

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (libmimalloc-sys names only the
/// options of mimalloc 2).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long a large run's freed pages wait before going back to the kernel, in milliseconds.
/// Measured in alternating runs on 2 cores (against mimalloc's default of 1,000): 100k objects
/// 452 → 423 MB peak, 10k objects 150 → 137 MB, with no change in time beyond the noise; 5 ms
/// saved a little more, 1 ms and 0 cost time in faults.
const LARGE_PURGE_DELAY_MS: std::ffi::c_long = 10;

/// [`size_heap`] for `files` files read from git (their sizes are not known before reading).
pub fn size_heap_for_files(files: usize) {
    size_heap(files as u64 * TYPICAL_FILE);
}

/// `--kubernetes-version`: `MAJOR.MINOR` (a leading `v` and a patch version are accepted).
fn kubernetes_version(v: &str) -> Result<String, String> {
    let v = v.trim().trim_start_matches('v');
    match crate::config::parse_version(v) {
        Some((major, minor)) => Ok(format!("{major}.{minor}")),
        None => Err(format!("`{v}` is not a Kubernetes version like `1.31`")),
    }
}

/// Everything a command needs to evaluate rules.
pub struct Setup {
    /// Working directory.
    pub cwd: PathBuf,
    /// Loaded config.
    pub config: Config,
    /// Active rules.
    pub rules: Vec<Rule>,
    /// Engine context.
    pub ctx: Context,
    /// Ids of every loaded rule (active or not) and of the reserved system rules.
    pub known_ids: Vec<String>,
}

impl Setup {
    /// A finding's display path (relative to the working directory) made relative to the
    /// config directory — the repository root that waiver and CODEOWNERS globs are written for.
    pub fn repo_path(&self, display: &str) -> String {
        let abs = self.cwd.join(display);
        let root = self.cwd.join(&self.config.dir);
        let rel = abs.strip_prefix(&root).unwrap_or(&abs);
        let s = rel.to_string_lossy().replace('\\', "/");
        s.strip_prefix("./").map(str::to_string).unwrap_or(s)
    }

    /// The central waivers file named in the config (empty set when none).
    pub fn waivers(&self) -> Result<WaiverSet> {
        let Some(rel) = &self.config.file.waivers else {
            return Ok(WaiverSet::default());
        };
        let path = self.config.dir.join(rel);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("waivers file {} (from config): {e}", path.display()))?;
        let known: Vec<&str> = self.known_ids.iter().map(String::as_str).collect();
        WaiverSet::parse(
            SourceFile::new(crate::load::display_path(&path, &self.cwd), text),
            Some(&known),
        )
        .map_err(|e| fail_with(&e))
    }

    /// CODEOWNERS: the config's `codeowners`, else `.github/CODEOWNERS`, `CODEOWNERS` or
    /// `docs/CODEOWNERS` under the config directory (empty when none).
    pub fn codeowners(&self) -> Result<CodeOwners> {
        let path = match &self.config.file.codeowners {
            Some(p) => Some(self.config.dir.join(p)),
            None => [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
                .iter()
                .map(|p| self.config.dir.join(p))
                .find(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok(CodeOwners::default());
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("CODEOWNERS file {}: {e}", path.display()))?;
        let (owners, bad) = CodeOwners::parse(&text);
        for b in bad {
            eprintln!("warning: {}:{}: {}", path.display(), b.line, b.message);
        }
        Ok(owners)
    }

    /// Waiver options for a run of the active rules over `inputs` on `today`.
    pub fn waiver_options(&self, today: Date, inputs: &[PathBuf]) -> waiver::Options {
        let root = std::fs::canonicalize(self.cwd.join(&self.config.dir)).ok();
        let stale_central = root.is_some_and(|root| {
            inputs.iter().any(|p| {
                std::fs::canonicalize(self.cwd.join(p)).is_ok_and(|p| root.starts_with(&p))
            })
        });
        waiver::Options::new(
            today,
            &self.rules,
            &self.config.file.central_only,
            stale_central,
        )
    }
}

/// Today's date (UTC), or `ACCORD_TODAY` (`YYYY-MM-DD`) when set — the only clock read.
pub fn today() -> Result<Date> {
    if let Some(v) = std::env::var_os("ACCORD_TODAY") {
        let v = v.to_string_lossy();
        return Date::parse(&v)
            .ok_or_else(|| anyhow::anyhow!("ACCORD_TODAY=`{v}` is not a date like 2026-12-31"));
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(Date::from_days_since_epoch((secs / 86_400) as i64))
}

/// The rule table reports show (SARIF rules, annotation titles, markdown rule details).
pub fn rule_infos(rules: &[Rule]) -> Vec<crate::render::RuleInfo> {
    rules
        .iter()
        .map(|r| crate::render::RuleInfo {
            id: r.id().to_string(),
            title: r.spec.title.clone(),
            description: r.spec.description.clone(),
            why: r.spec.why.clone(),
            help: r.spec.help.clone(),
            docs: r.spec.docs.clone(),
            owner: r.owner.clone(),
            contact: r.contact.clone(),
            severity: r.severity,
            category: r.spec.category.clone(),
        })
        .collect()
}

/// Print located file errors and fail with exit code 2.
pub fn fail_with(errors: &[FileError]) -> anyhow::Error {
    for e in errors {
        let line = crate::diagnostic::Location::new(&e.source, e.span);
        let text = e.source.lines.line_text(&e.source.text, line.start.line);
        eprintln!(
            "error: {}\n  --> {}:{}:{}",
            e.message, e.source.path, line.start.line, line.start.column
        );
        if !e.source.text.is_empty() {
            eprintln!(
                "   |\n{:>3}| {}\n   | {}^",
                line.start.line,
                text,
                " ".repeat(line.start.column.saturating_sub(1))
            );
        }
    }
    anyhow::anyhow!(
        "{} error{} in rule or config files",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    )
}

/// Load the config and the rules it selects. Without `--config`, `.accord.yaml` is searched
/// from the first input path (`hint`) upwards, then from the working directory upwards.
pub fn setup(opts: &RuleOpts, hint: Option<&Path>) -> Result<Setup> {
    setup_with(opts, hint, false)
}

/// Like [`setup`], but with every rule that could be enabled (preset `all`, nothing disabled),
/// the config's severity and owner overrides applied — for `accord rules --all` and `explain`.
pub fn setup_all(opts: &RuleOpts, hint: Option<&Path>) -> Result<Setup> {
    setup_with(opts, hint, true)
}

fn setup_with(opts: &RuleOpts, hint: Option<&Path>, all: bool) -> Result<Setup> {
    let cwd = std::env::current_dir()?;
    let config_path = match &opts.config {
        Some(p) => {
            if !p.is_file() {
                bail!("config file {} does not exist", p.display());
            }
            Some(p.clone())
        }
        None => hint
            .filter(|h| h.as_os_str() != "-")
            .and_then(|h| {
                let abs = cwd.join(h);
                let dir = if abs.is_dir() {
                    abs
                } else {
                    abs.parent()?.to_path_buf()
                };
                Config::discover(&dir)
            })
            .or_else(|| Config::discover(&cwd)),
    };
    let mut config = match &config_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)?;
            let dir = p
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| cwd.clone());
            let dir = if dir.as_os_str().is_empty() {
                cwd.clone()
            } else {
                dir
            };
            Config::parse(
                SourceFile::new(crate::load::display_path(p, &cwd), text),
                &dir,
            )
            .map_err(|e| fail_with(&e))?
        }
        None => Config::default_at(&cwd),
    };
    if opts.no_builtin {
        config.file.builtin = false;
    }
    if let Some(v) = &opts.kubernetes_version {
        config.file.kubernetes_version = Some(v.clone());
    }
    let display = |p: &Path| crate::load::display_path(p, &cwd);
    let mut rules = if config.file.builtin || !config.file.enable.is_empty() {
        policy::builtin_rules().map_err(|e| fail_with(&e))?
    } else {
        Vec::new()
    };
    let mut dirs: Vec<PathBuf> = config
        .file
        .policies
        .iter()
        .map(|p| config.dir.join(p))
        .collect();
    dirs.extend(opts.policies.iter().cloned());
    let mut errors = Vec::new();
    for d in &dirs {
        match policy::load_dir(d, &display) {
            Ok(mut r) => rules.append(&mut r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    errors.extend(policy::check_unique(&rules));
    let mut known_ids: Vec<String> = rules.iter().map(|r| r.id().to_string()).collect();
    known_ids.extend(
        crate::engine::system::SYSTEM_RULES
            .iter()
            .map(|r| r.0.to_string()),
    );
    if !errors.is_empty() {
        return Err(fail_with(&errors));
    }
    let to_anyhow = |e: crate::load::rules::RuleError| match e {
        crate::load::rules::RuleError::Files(f) => fail_with(&f),
        crate::load::rules::RuleError::Other(m) => anyhow::anyhow!(m),
    };
    let (rules, ctx) = if all {
        let mut everything = config.clone();
        everything.file.preset = Some("all".into());
        everything.file.disable.clear();
        everything.file.builtin = true;
        crate::load::rules::activate(&everything, rules, &opts.only).map_err(to_anyhow)?
    } else {
        crate::load::rules::activate(&config, rules, &opts.only).map_err(to_anyhow)?
    };
    Ok(Setup {
        cwd,
        config,
        rules,
        ctx,
        known_ids,
    })
}

/// Phase timings on stderr when `ACCORD_TIMINGS` is set (`ACCORD_TIMINGS=1 accord lint .`): how
/// long each phase of a run took, for profiling on real repositories (see `bench/README.md`).
pub struct Timings {
    start: Option<std::time::Instant>,
    last: std::cell::Cell<std::time::Duration>,
    last_cpu: std::cell::Cell<f64>,
}

impl Timings {
    /// On when `ACCORD_TIMINGS` is set to anything but `0` or the empty string.
    pub fn from_env() -> Self {
        let on = std::env::var_os("ACCORD_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0");
        Timings {
            start: on.then(std::time::Instant::now),
            last: std::cell::Cell::new(std::time::Duration::ZERO),
            last_cpu: std::cell::Cell::new(0.0),
        }
    }

    /// Report the time since the previous mark as `phase`.
    pub fn mark(&self, phase: &str) {
        let Some(start) = self.start else { return };
        let now = start.elapsed();
        let took = now - self.last.replace(now);
        let cpu = cpu_seconds();
        let cpu_took = cpu - self.last_cpu.replace(cpu);
        eprintln!(
            "timing: {phase:<22} {:>9.1} ms  (at {:>9.1} ms)  cpu {:>7.1} ms{}",
            took.as_secs_f64() * 1e3,
            now.as_secs_f64() * 1e3,
            cpu_took * 1e3,
            memory()
        );
    }
}

/// CPU time (user + system, all threads) the process has used so far, in seconds; 0 where it
/// cannot be read.
fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: `getrusage` writes one `rusage` into the zeroed value it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
            return secs(u.ru_utime) + secs(u.ru_stime);
        }
    }
    0.0
}

/// Resident memory now and at its peak (`VmRSS`, `VmHWM` of /proc/self/status), for
/// [`Timings`]; empty where that file does not exist.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .trim()
                    .strip_suffix(" kB")?
                    .parse()
                    .ok()
            })
            .map_or_else(|| "?".to_string(), |kb: u64| (kb / 1024).to_string())
    };
    format!("  rss {} MB, peak {} MB", field("VmRSS:"), field("VmHWM:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn huge_pages_off() -> bool {
        // SAFETY: `PR_GET_THP_DISABLE` takes no pointer and only reads a flag of this process.
        unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_large_input_turns_huge_pages_off_for_the_process() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return; // the variable decides
        }
        // Other tests of this process may have linted a large input already; a small one never
        // turns them off, and 4,096 files from git count as large.
        let before = huge_pages_off();
        size_heap(LARGE_INPUT - 1);
        assert_eq!(huge_pages_off(), before);
        size_heap_for_files(4095);
        assert_eq!(huge_pages_off(), before);
        size_heap_for_files(4096);
        assert!(huge_pages_off());
    }

    #[test]
    fn a_large_input_gives_freed_pages_back_sooner() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return; // the variable decides
        }
        // SAFETY: reads one of mimalloc's options.
        let delay = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // Other tests of this process may have linted a large input already.
        assert!(
            [1000, LARGE_PURGE_DELAY_MS].contains(&delay()),
            "{}",
            delay()
        );
        size_heap(LARGE_INPUT);
        assert_eq!(delay(), LARGE_PURGE_DELAY_MS);
    }
}
