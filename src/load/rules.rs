//! The rules and config in force at a revision: `.accord.yaml` and the policy folders it names
//! are read from the same revision as the manifests, so a diff can compare the policy at BASE
//! with the policy at HEAD (the "blast radius" of a rule change).
//!
//! Selection follows `accord lint` exactly: built-in rules (unless disabled), rule folders from
//! the config and the command line, the config's presets, enables, disables, severity and owner
//! overrides, then `--rule` filters.

use super::fs::Filter;
use super::git::{GitRepo, Rev};
use crate::config::Config;
use crate::engine::Context;
use crate::manifest::canon;
use crate::policy::{self, FileError, Rule};
use crate::source::{SourceFile, Span};
use crate::waiver::{CodeOwners, WaiverSet, Waivers};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How to choose rules (the command line's rule options).
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// Config file given explicitly; read at the revision when it is inside the repository.
    pub config: Option<PathBuf>,
    /// Extra rule folders; read at the revision when inside the repository.
    pub policies: Vec<PathBuf>,
    /// Do not use the built-in rules.
    pub no_builtin: bool,
    /// Only these rule ids.
    pub only: Vec<String>,
    /// Target Kubernetes version overriding the config's (`1.31`).
    pub kubernetes_version: Option<String>,
    /// Directory that relative paths above are relative to (the working directory).
    pub cwd: PathBuf,
    /// The date waiver expiry is judged against; `None`: waivers are read but not applied.
    pub today: Option<crate::waiver::Date>,
}

/// Why rules could not be loaded.
#[derive(Debug)]
pub enum RuleError {
    /// Errors located in rule or config files.
    Files(Vec<FileError>),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleError::Files(e) => {
                for x in e {
                    writeln!(f, "{x}")?;
                }
                Ok(())
            }
            RuleError::Other(m) => f.write_str(m),
        }
    }
}

/// The rules, config and path filter in force at one revision.
#[derive(Debug)]
pub struct RuleSet {
    /// The config (defaults when there is none).
    pub config: Config,
    /// The config file as a path from the repository root, when it is in the repository.
    pub config_path: Option<String>,
    /// Active rules.
    pub rules: Vec<Rule>,
    /// Engine context (custom pod-bearing kinds).
    pub ctx: Context,
    /// Include/exclude globs of the config.
    pub filter: Filter,
    /// Directory the config's globs are relative to, from the repository root (`""`: the root).
    pub filter_base: String,
    /// The central waivers file and CODEOWNERS at this revision, and how to apply them.
    pub waivers: Waivers,
}

impl RuleSet {
    /// Should the file at `path` (from the repository root) be linted?
    pub fn accepts(&self, path: &str) -> bool {
        let rel = if self.filter_base.is_empty() {
            path
        } else {
            path.strip_prefix(self.filter_base.as_str())
                .and_then(|p| p.strip_prefix('/'))
                .unwrap_or(path)
        };
        self.filter.accepts(rel)
    }

    /// A fingerprint of each active rule (its file, effective severity, owner and contact, and
    /// the engine context), to tell which rules differ between two revisions.
    pub fn fingerprints(&self) -> BTreeMap<String, u64> {
        let ctx: String = self
            .ctx
            .pod_templates
            .iter()
            .map(|(k, v)| format!("{k}={v};"))
            .collect();
        self.rules
            .iter()
            .map(|r| {
                let text = format!(
                    "{}\u{0}{}\u{0}{:?}\u{0}{:?}\u{0}{ctx}",
                    r.source.text,
                    r.severity.as_str(),
                    r.owner,
                    r.contact
                );
                (r.id().to_string(), canon::hash_str(&text))
            })
            .collect()
    }

    /// A path from the repository root made relative to the config directory — what waiver
    /// file globs and CODEOWNERS patterns are written against.
    pub fn config_relative(&self, path: &str) -> String {
        if self.filter_base.is_empty() {
            return path.to_string();
        }
        path.strip_prefix(self.filter_base.as_str())
            .and_then(|p| p.strip_prefix('/'))
            .unwrap_or(path)
            .to_string()
    }

    /// Apply this revision's waivers to its findings (`files`: the objects they are about),
    /// appending `stale-waiver` findings; nothing happens when no date was given.
    pub fn apply_waivers<'f>(
        &self,
        diags: &mut Vec<crate::diagnostic::Diagnostic>,
        files: impl IntoIterator<Item = &'f crate::manifest::FileManifests>,
    ) {
        if let Some(opts) = &self.waivers.options {
            crate::waiver::apply(diags, files, &self.waivers.set, opts, &|p: &str| {
                self.config_relative(p)
            });
        }
    }

    /// Set each finding's `code_owner` from this revision's CODEOWNERS.
    pub fn assign_code_owners(&self, diags: &mut [crate::diagnostic::Diagnostic]) {
        crate::waiver::assign_code_owners(diags, &self.waivers.owners, &|p: &str| {
            self.config_relative(p)
        });
    }

    /// The include/exclude globs, for comparing filters across revisions.
    pub fn filter_globs(&self) -> (Vec<String>, Vec<String>, String) {
        (
            self.config.file.include.clone(),
            self.config.file.exclude.clone(),
            self.filter_base.clone(),
        )
    }
}

fn globset(globs: &[String]) -> Result<Option<globset::GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).map_err(|e| format!("bad glob `{g}`: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

/// How a file at a revision is named in messages: `path` in the working tree, `rev:path` in a
/// commit (git's own notation).
pub fn display_at(rev: Rev, path: &str) -> String {
    match rev {
        Rev::WorkTree => path.to_string(),
        Rev::Commit(oid) => format!("{}:{path}", &oid.to_string()[..12]),
    }
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    parts.join("/")
}

/// Where the config comes from.
enum ConfigAt {
    /// In the repository, at this path.
    Repo(String),
    /// On the file system, outside the repository.
    Fs(PathBuf),
    /// None: defaults.
    None,
}

/// Load the rules and config in force at `rev`.
pub fn at_revision(repo: &GitRepo, rev: Rev, opts: &RuleOptions) -> Result<RuleSet, RuleError> {
    let files_err = |path: String, message: String| {
        RuleError::Files(vec![FileError::new(
            &SourceFile::new(path, ""),
            Span::empty(0),
            message,
        )])
    };
    // 1. Find the config.
    let at = match &opts.config {
        Some(p) => match repo.repo_path(p, &opts.cwd) {
            Some(rp) => ConfigAt::Repo(rp),
            None if p.is_file() || opts.cwd.join(p).is_file() => ConfigAt::Fs(if p.is_absolute() {
                p.clone()
            } else {
                opts.cwd.join(p)
            }),
            None => {
                return Err(RuleError::Other(format!(
                    "config file {} does not exist",
                    p.display()
                )));
            }
        },
        None => {
            let mut found = ConfigAt::None;
            let mut dir = repo.prefix().to_string();
            'up: loop {
                for name in crate::config::FILE_NAMES {
                    let candidate = join(&dir, name);
                    if repo
                        .read(rev, &candidate)
                        .map_err(|e| files_err(display_at(rev, &candidate), e))?
                        .is_some()
                    {
                        found = ConfigAt::Repo(candidate);
                        break 'up;
                    }
                }
                if dir.is_empty() {
                    break;
                }
                dir = parent(&dir).to_string();
            }
            if let (ConfigAt::None, Some(w)) = (&found, repo.workdir())
                && let Some(p) = w.parent().and_then(Config::discover)
            {
                found = ConfigAt::Fs(p);
            }
            found
        }
    };
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| opts.cwd.clone());
    let (mut config, config_path, config_dir) = match at {
        ConfigAt::Repo(path) => {
            let text = repo
                .read(rev, &path)
                .map_err(|e| files_err(display_at(rev, &path), e))?;
            let Some(text) = text else {
                return Err(RuleError::Other(format!(
                    "config file {path} does not exist at {}",
                    display_at(rev, "")
                )));
            };
            let dir = parent(&path).to_string();
            let cfg = Config::parse(
                SourceFile::new(display_at(rev, &path), text),
                &root.join(&dir),
            )
            .map_err(RuleError::Files)?;
            (cfg, Some(path), Some(dir))
        }
        ConfigAt::Fs(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| RuleError::Other(format!("cannot read {}: {e}", p.display())))?;
            let dir = p
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| opts.cwd.clone());
            let cfg = Config::parse(SourceFile::new(p.display().to_string(), text), &dir)
                .map_err(RuleError::Files)?;
            (cfg, None, None)
        }
        ConfigAt::None => (Config::default_at(&root), None, Some(String::new())),
    };
    if opts.no_builtin {
        config.file.builtin = false;
    }
    if let Some(v) = &opts.kubernetes_version {
        config.file.kubernetes_version = Some(v.clone());
    }
    // 2. Rules: built-in, then folders from the config and the command line.
    let mut rules = if config.file.builtin || !config.file.enable.is_empty() {
        policy::builtin_rules().map_err(RuleError::Files)?
    } else {
        Vec::new()
    };
    let mut errors = Vec::new();
    let mut dirs: Vec<Result<String, PathBuf>> = Vec::new();
    for p in &config.file.policies {
        match &config_dir {
            Some(d) => dirs.push(Ok(join(d, p))),
            None => dirs.push(Err(config.dir.join(p))),
        }
    }
    for p in &opts.policies {
        match repo.repo_path(p, &opts.cwd) {
            Some(rp) => dirs.push(Ok(rp)),
            None => dirs.push(Err(if p.is_absolute() {
                p.clone()
            } else {
                opts.cwd.join(p)
            })),
        }
    }
    for d in dirs {
        match d {
            Ok(dir) => match repo.list(rev, &dir) {
                Ok(files) => {
                    for f in files {
                        let rel = f
                            .strip_prefix(dir.as_str())
                            .unwrap_or(&f)
                            .trim_start_matches('/');
                        let skip = rel
                            .split('/')
                            .rev()
                            .skip(1)
                            .any(|c| c == "tests" || c.starts_with('.'));
                        if skip || !(f.ends_with(".yaml") || f.ends_with(".yml")) {
                            continue;
                        }
                        match repo.read(rev, &f) {
                            Ok(Some(text)) => match policy::load_rule(
                                SourceFile::new(display_at(rev, &f), text),
                                false,
                            ) {
                                Ok(r) => rules.push(r),
                                Err(mut e) => errors.append(&mut e),
                            },
                            Ok(None) => {}
                            Err(e) => errors.push(FileError::new(
                                &SourceFile::new(display_at(rev, &f), ""),
                                Span::empty(0),
                                format!("cannot read: {e}"),
                            )),
                        }
                    }
                }
                Err(e) => errors.push(FileError::new(
                    &SourceFile::new(display_at(rev, &dir), ""),
                    Span::empty(0),
                    format!("cannot read policy folder: {e}"),
                )),
            },
            Err(fs_dir) => {
                let display = |p: &Path| p.display().to_string();
                match policy::load_dir(&fs_dir, &display) {
                    Ok(mut r) => rules.append(&mut r),
                    Err(mut e) => errors.append(&mut e),
                }
            }
        }
    }
    errors.extend(policy::check_unique(&rules));
    if !errors.is_empty() {
        return Err(RuleError::Files(errors));
    }
    let mut known: Vec<String> = rules.iter().map(|r| r.id().to_string()).collect();
    known.extend(
        crate::engine::system::SYSTEM_RULES
            .iter()
            .map(|r| r.0.to_string()),
    );
    let (rules, ctx) = activate(&config, rules, &opts.only)?;
    let filter = Filter {
        include: globset(&config.file.include).map_err(RuleError::Other)?,
        exclude: globset(&config.file.exclude).map_err(RuleError::Other)?,
    };
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut waivers = waivers_at(repo, rev, &config, config_dir.as_deref(), &known)?;
    waivers.options = opts
        .today
        .map(|today| crate::waiver::Options::new(today, &rules, &config.file.central_only, true));
    Ok(RuleSet {
        config,
        config_path,
        rules,
        ctx,
        filter,
        filter_base: config_dir.unwrap_or_default(),
        waivers,
    })
}

/// The rules `config` selects from `rules` (preset, enable/disable, severity and owner
/// overrides), narrowed to `only` when it is not empty (every id in it must be an active rule
/// or a schema rule), and the engine context the config describes.
pub fn activate(
    config: &Config,
    rules: Vec<crate::policy::Rule>,
    only: &[String],
) -> Result<(Vec<crate::policy::Rule>, Context), RuleError> {
    let mut rules = config.apply(rules).map_err(RuleError::Files)?;
    if !only.is_empty() {
        if let Some(id) = only
            .iter()
            .find(|id| !rules.iter().any(|r| r.id() == *id) && crate::schema::rule(id).is_none())
        {
            return Err(RuleError::Other(format!(
                "--rule {id}: no such active rule"
            )));
        }
        rules.retain(|r| only.iter().any(|id| id == r.id()));
    }
    let version = config
        .file
        .kubernetes_version
        .as_deref()
        .and_then(crate::config::parse_version);
    Ok((
        rules,
        Context::new(config.file.pod_templates.clone(), version),
    ))
}

/// Read a file named relative to the config directory: at `rev` when the config is in the
/// repository (`config_dir` from the repository root), else from the file system. Returns its
/// display path (from the repository root, the same at every revision, so findings about it
/// match across revisions) and text; `None` when it does not exist.
fn read_beside_config(
    repo: &GitRepo,
    rev: Rev,
    config: &Config,
    config_dir: Option<&str>,
    rel: &str,
) -> Result<Option<(String, String)>, RuleError> {
    match config_dir {
        Some(dir) => {
            let path = join(dir, rel);
            let text = repo.read(rev, &path).map_err(|e| {
                RuleError::Files(vec![FileError::new(
                    &SourceFile::new(display_at(rev, &path), ""),
                    Span::empty(0),
                    format!("cannot read: {e}"),
                )])
            })?;
            Ok(text.map(|t| (path, t)))
        }
        None => {
            let p = config.dir.join(rel);
            match std::fs::read_to_string(&p) {
                Ok(t) => Ok(Some((p.display().to_string(), t))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(RuleError::Other(format!(
                    "cannot read {}: {e}",
                    p.display()
                ))),
            }
        }
    }
}

/// The central waivers file and CODEOWNERS in force at `rev`, found as `accord lint` finds them
/// (the config's `waivers` and `codeowners`, else `.github/CODEOWNERS`, `CODEOWNERS` or
/// `docs/CODEOWNERS` beside the config). Waiver rule ids are checked against `known`.
fn waivers_at(
    repo: &GitRepo,
    rev: Rev,
    config: &Config,
    config_dir: Option<&str>,
    known: &[&str],
) -> Result<Waivers, RuleError> {
    let mut w = Waivers::default();
    if let Some(rel) = &config.file.waivers {
        let Some((path, text)) = read_beside_config(repo, rev, config, config_dir, rel)? else {
            return Err(RuleError::Other(format!(
                "waivers file {rel} (from config) does not exist{}",
                match rev {
                    Rev::WorkTree => String::new(),
                    Rev::Commit(oid) => format!(" at {}", &oid.to_string()[..12]),
                }
            )));
        };
        w.set =
            WaiverSet::parse(SourceFile::new(path, text), Some(known)).map_err(RuleError::Files)?;
        w.file = Some(rel.trim_start_matches("./").to_string());
    }
    let candidates: Vec<&str> = match &config.file.codeowners {
        Some(p) => vec![p.as_str()],
        None => vec![".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"],
    };
    for c in candidates {
        if let Some((_, text)) = read_beside_config(repo, rev, config, config_dir, c)? {
            // Unusable lines are skipped, as `lint` does (which also warns about them).
            w.owners = CodeOwners::parse(&text).0;
            return Ok(w);
        }
    }
    if let Some(p) = &config.file.codeowners {
        return Err(RuleError::Other(format!(
            "CODEOWNERS file {p} (from config) does not exist"
        )));
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins() {
        assert_eq!(join("", "policies"), "policies");
        assert_eq!(join("a/b", "../c/./d"), "a/c/d");
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("c.yaml"), "");
    }
}
