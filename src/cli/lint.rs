//! `accord lint`.

use super::Outcome;
use super::common::{RuleOpts, rule_infos, setup};
use super::output::{self, FORMAT_HELP, OutputSpec};
use crate::config::{Config, FailOn};
use crate::diagnostic::{self, Applicability, Diagnostic, Summary};
use crate::engine::{self, fix};
use crate::kustomize;
use crate::load::{self, Filter};
use crate::manifest::{self, FileManifests, Skip};
use crate::render::{Format, Report, RuleInfo};
use crate::schema::{self, KubeVersion, SchemaSettings};
use crate::source::{Source, SourceFile};
use anyhow::{Result, anyhow, bail};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Arguments of `accord lint`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or directories (`-` for standard input). Default: the working directory.
    pub paths: Vec<PathBuf>,
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = output::parse_spec, help = FORMAT_HELP)]
    pub formats: Vec<OutputSpec>,
    /// Exit 1 when a finding is at or above this severity (overrides config).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Apply safe fixes in place, then report what remains.
    #[arg(long)]
    pub fix: bool,
    /// With --fix, also apply unsafe fixes.
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,
    /// Colour: auto (on a terminal), always, never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// List skipped files and documents.
    #[arg(short, long)]
    pub verbose: bool,
    /// The waivers file as it is on the base branch (e.g. from `git show main:waivers.yaml`):
    /// central waivers added since are listed as needing approval by the rule's owner.
    #[arg(long, value_name = "FILE")]
    pub waivers_base: Option<PathBuf>,
    /// Lint the files as they are at this git revision (`main`, `HEAD~1`, a commit id), read
    /// straight from git without a checkout, with that revision's config and rule folders.
    #[arg(long, value_name = "REV", conflicts_with = "fix")]
    pub rev: Option<String>,
    #[command(flatten)]
    pub rules: RuleOpts,
    #[command(flatten)]
    pub schemas: SchemaOpts,
}

/// Options of schema validation (the target version is `--kubernetes-version`).
#[derive(Args, Debug)]
pub struct SchemaOpts {
    /// Add a folder of custom resource JSON schemas in `{group}/{kind}_{version}.json` (or flat
    /// `{kind}_{version}.json`) layout, kind in lower case (repeatable).
    #[arg(long = "schemas", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Do not validate objects against Kubernetes schemas.
    #[arg(long)]
    pub no_schemas: bool,
    /// Do not report fields that the schema does not know.
    #[arg(long)]
    pub no_strict: bool,
}

/// Schema settings from the config and the command line; `None` when schemas are off.
fn schema_settings(
    cfg: &Config,
    opts: &SchemaOpts,
    only: &[String],
) -> Result<Option<SchemaSettings>> {
    if opts.no_schemas || !cfg.file.schemas.enabled {
        return Ok(None);
    }
    let kubernetes_version = match &cfg.file.kubernetes_version {
        Some(v) => Some(
            KubeVersion::parse(v)
                .ok_or_else(|| anyhow!("`{v}` is not a Kubernetes version like `1.30`"))?,
        ),
        None => None,
    };
    let mut dirs: Vec<PathBuf> = cfg
        .file
        .schemas
        .dirs
        .iter()
        .map(|d| cfg.dir.join(d))
        .collect();
    dirs.extend(opts.dirs.iter().cloned());
    if let Some(missing) = dirs.iter().find(|d| !d.is_dir()) {
        bail!("schema folder {} does not exist", missing.display());
    }
    let rules = schema::SCHEMA_RULES
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|id| id == r.id))
        .filter_map(|r| Some((r.id, cfg.rule_severity(r.id, schema::CATEGORY, r.severity)?)))
        .collect();
    let owner = cfg.file.owners.get(schema::CATEGORY);
    Ok(Some(SchemaSettings {
        kubernetes_version,
        strict: !opts.no_strict && cfg.file.schemas.strict,
        dirs,
        rules,
        owner: owner.and_then(|o| o.owner.clone()),
        contact: owner.and_then(|o| o.contact.clone()),
    }))
}

/// Lint `files` with `rules` and schema-validate them (when schemas are on), side by side on
/// the thread pool: schema compilation and the engine's serial steps fill each other's gaps.
fn check_files(
    files: &[FileManifests],
    rules: &[crate::policy::Rule],
    ctx: &engine::Context,
    settings: Option<&SchemaSettings>,
) -> (Vec<Diagnostic>, Option<schema::Report>) {
    let (mut diags, report) = rayon::join(
        || engine::lint(files, rules, ctx),
        || settings.map(|s| schema::validate(files, s)),
    );
    let report = report.map(|mut r| {
        diags.append(&mut r.diagnostics);
        diagnostic::sort(&mut diags);
        r
    });
    (diags, report)
}

/// Inputs from this many bytes on are linted as a stream ([`lint_streaming`]). Streaming holds
/// a fraction of the trees (on 100,000 objects, 716 MB peak instead of 909 MB), for about 9 %
/// more instructions (pruning, and parsing again the documents that get a fix from a
/// cross-object rule); below this size the whole trees are small enough to keep.
const STREAM_FROM: u64 = 32 << 20;

/// `ACCORD_STREAM`: `1` always streams, `0` never does (when possible; unset: by input size).
fn stream_mode() -> Result<Option<bool>> {
    match std::env::var("ACCORD_STREAM").as_deref() {
        Err(_) | Ok("") => Ok(None),
        Ok("1") => Ok(Some(true)),
        Ok("0") => Ok(Some(false)),
        Ok(v) => bail!("ACCORD_STREAM=`{v}`: use 1 (always stream) or 0 (never)"),
    }
}

/// Read and check `paths` (of `sizes` bytes) as a stream (see [`engine::stream`]): each file is
/// checked with the per-object rules and, for built-in kinds, its schemas on the thread that
/// parsed it, then pruned, and its text let go unless an object kept its whole tree (the second
/// pass and the text-showing formats read it again); cross-object rules and custom resources'
/// schemas run once every file is read. The findings are those of [`check_files`] on the loaded
/// files. Not for kustomizations (rendering reads other files' trees), `--fix` (which reads
/// every tree again) or central waivers that find containers by name in any object.
fn lint_streaming(
    (paths, sizes): (&[PathBuf], &[u64]),
    cwd: &Path,
    filter: &Filter,
    rules: &[crate::policy::Rule],
    ctx: &engine::Context,
    settings: Option<&SchemaSettings>,
    tm: &dyn Fn(&str),
) -> (load::Loaded, Vec<Diagnostic>, Option<schema::Report>) {
    let plan = engine::stream::Plan::new(rules);
    let stream = settings.map(schema::Stream::new);
    let (checked, mut errors) = load::load_map(paths, sizes, cwd, filter, |origin, file| {
        let mut report = stream.as_ref().map(|s| s.check_file(&file));
        // Objects with waiver annotations keep their trees: a waiver may name a container.
        let keep: Vec<bool> = (file.objects.iter().enumerate())
            .map(|(i, o)| {
                (report.as_ref()).is_some_and(|r| r.keeps(i)) || crate::waiver::has_annotation(o)
            })
            .collect();
        let mut checked = plan.first_pass(file, ctx, |i, _| keep[i]);
        // Nothing reads the text of a file without whole trees before the report, except to
        // make a cross-object finding: let it go, and read it again then.
        if let Some(origin) = origin
            && !keep.contains(&true)
        {
            let full = checked.file.source.clone();
            let stub = full.detach(Some(origin).filter(|o| cwd.join(&full.path) != *o));
            checked.detach(&stub);
            for d in report.iter_mut().flat_map(|r| &mut r.diagnostics) {
                d.rehome(&full, &stub);
            }
            debug_assert_eq!(Arc::strong_count(&full), 1, "{} kept its text", full.path);
        }
        (checked, report)
    });
    tm("first pass");
    // Every finding ends up in `diags`, sized up front so that nothing moves them again:
    // growing it would hold two copies at once. The cross-object and custom resources' findings
    // are not counted yet: one per object is reserved for them, which costs only address space
    // until it is written (a run that makes more grows it once).
    let count = |f: fn(&engine::stream::Checked) -> usize| checked.iter().map(|(c, _)| f(c)).sum();
    let schema_count: usize = checked
        .iter()
        .flat_map(|(_, r)| r)
        .map(|r| r.diagnostics.len())
        .sum();
    let objects: usize = count(|c| c.file.objects.len());
    let mut files = Vec::with_capacity(checked.len());
    let mut problems = Vec::with_capacity(count(|c| c.problems.len()));
    let mut diags = Vec::with_capacity(
        count(|c| c.findings.len()) + problems.capacity() + schema_count + objects,
    );
    // Each file's index facts stay in their own vector: the index takes them from there.
    let mut entries = Vec::with_capacity(checked.len());
    let mut reports = Vec::with_capacity(checked.len());
    for (mut c, report) in checked {
        files.push(c.file);
        problems.append(&mut c.problems);
        diags.append(&mut c.findings);
        entries.push(c.entries);
        reports.extend(report);
    }
    // The files' vectors just emptied were made on the pool's threads, which would otherwise
    // keep their pages until they next allocate.
    super::common::give_back_memory();
    let reread = Mutex::new(Vec::new());
    let attach = |s: &Source| attach(s, cwd, &reread);
    // Custom resources are validated on their files parsed again, rather than keeping their
    // whole trees from the first pass.
    let reload = |f: &FileManifests, wanted: &[usize]| {
        manifest::reparse_objects(f, attach(&f.source), wanted)
    };
    // One after the other rather than side by side, and the schemas compiled for the first
    // pass let go in between: what each holds at its busiest then never adds up.
    let report =
        (stream.as_ref()).map(|s| s.finish_into(&files, reports, &mut diags, Some(&reload)));
    drop(stream);
    super::common::give_back_memory();
    let cross = plan.second_pass(&files, entries, ctx, &attach);
    // Nothing reads the pruned trees again (objects with waiver annotations, which the waivers
    // read, kept their whole trees): let them go before the findings are gathered and sorted.
    // They go on the threads that made them, which then hand their emptied pages back at once
    // (freed from another thread, they would wait for their owner's next allocation).
    let cut = Arc::new(manifest::Node {
        span: crate::source::Span::empty(0),
        style: manifest::yaml::Style::Plain,
        value: manifest::yaml::Value::Null,
    });
    files.par_iter_mut().for_each(|f| {
        for o in &mut f.objects {
            if !crate::waiver::has_annotation(o) {
                o.document = cut.clone();
            }
        }
    });
    super::common::give_back_memory();
    // A file may be read again by both passes: one error each.
    let mut reread = reread.into_inner().unwrap_or_else(PoisonError::into_inner);
    reread.sort_by(|a, b| a.file.cmp(&b.file));
    reread.dedup_by(|a, b| a.file == b.file);
    errors.append(&mut reread);
    tm("second pass");
    // Before sorting, file problems come first, as in `check_files`; then rule findings of the
    // first pass, schema findings, cross-object findings (they never tie in the sort: their
    // rules differ).
    diags.reserve_exact(problems.len() + cross.iter().map(Vec::len).sum::<usize>());
    for mut c in cross {
        diags.append(&mut c);
    }
    diags.splice(0..0, problems);
    diagnostic::sort(&mut diags);
    (load::Loaded { files, errors }, diags, report)
}

/// `source` with its text, read again when it was detached; when that fails (the file changed
/// or went away), the error joins `errors` and the detached source is returned.
fn attach(source: &Source, cwd: &Path, errors: &Mutex<Vec<load::ReadError>>) -> Source {
    let read = |file: &Path| load::read_text(&cwd.join(file));
    source.reattach_with(read).unwrap_or_else(|message| {
        let e = load::ReadError {
            file: source.path.clone(),
            message,
        };
        errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e);
        source.clone()
    })
}

/// Give the findings of a streaming lint their files' texts back (read again, in parallel),
/// for the formats that show them. (Only a finding's own location can be detached: labels
/// point into rule files and waivers into waiver files or kept trees.)
fn reattach(diags: &mut [Diagnostic], cwd: &Path, errors: &mut Vec<load::ReadError>) {
    let mut detached: Vec<&Source> = (diags.iter().map(|d| &d.location.source))
        .filter(|s| s.is_detached())
        .collect();
    detached.sort_by_key(|s| Arc::as_ptr(s));
    detached.dedup_by_key(|s| Arc::as_ptr(s));
    let reread = Mutex::new(Vec::new());
    let pairs: Vec<(Source, Source)> = detached
        .par_iter()
        .map(|&s| (s.clone(), attach(s, cwd, &reread)))
        .collect();
    let back: HashMap<*const SourceFile, &(Source, Source)> =
        pairs.iter().map(|p| (Arc::as_ptr(&p.0), p)).collect();
    for d in diags.iter_mut() {
        if let Some((stub, full)) = back.get(&Arc::as_ptr(&d.location.source)) {
            d.rehome(stub, full);
        }
    }
    errors.append(&mut reread.into_inner().unwrap_or_else(PoisonError::into_inner));
}

/// Summary counts, notes and report metadata of schema validation.
fn schema_summary(
    summary: &mut Summary,
    rules: &mut Vec<RuleInfo>,
    settings: Option<&SchemaSettings>,
    report: Option<&schema::Report>,
) {
    let (Some(settings), Some(report)) = (settings, report) else {
        return;
    };
    summary.skipped_patches = report
        .skipped
        .iter()
        .filter(|k| k.reason.is_patch())
        .count();
    summary.kubernetes_version = Some(report.version.to_string());
    if let Some(wanted) = settings.kubernetes_version
        && (wanted.major, wanted.minor) != (report.version.major, report.version.minor)
    {
        eprintln!(
            "note: no schemas are bundled for Kubernetes {wanted}; validating against those of {}",
            report.version
        );
    }
    rules.extend(schema::SCHEMA_RULES.iter().filter_map(|r| {
        Some(RuleInfo {
            id: r.id.to_string(),
            title: r.title.to_string(),
            description: None,
            why: r.why.to_string(),
            help: r.help.to_string(),
            docs: None,
            owner: settings.owner.clone(),
            contact: settings.contact.clone(),
            severity: *settings.rules.get(r.id)?,
            category: schema::CATEGORY.to_string(),
        })
    }));
}

/// `--fail-on` values.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FailOnArg {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Info,
    /// Never fail on findings.
    Never,
}

/// `--color` values.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ColorArg {
    /// On a terminal only.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

fn filter(cfg: &crate::config::Config) -> Result<Filter> {
    let set = |globs: &[String]| -> Result<Option<globset::GlobSet>> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut b = globset::GlobSetBuilder::new();
        for g in globs {
            b.add(globset::Glob::new(g)?);
        }
        Ok(Some(b.build()?))
    };
    Ok(Filter {
        include: set(&cfg.file.include)?,
        exclude: set(&cfg.file.exclude)?,
    })
}

/// Run `accord lint`.
pub fn run(args: LintArgs) -> Result<Outcome> {
    let outputs = output::resolve(&args.formats, Format::Text)?;
    if let Some(rev) = args.rev.clone() {
        return run_rev(&args, &rev, &outputs);
    }
    let timings = super::common::Timings::from_env();
    let tm = |phase: &str| timings.mark(phase);
    // The built-in rules load while the input files are found (see `prefetch_builtin_rules`).
    if !args.rules.no_builtin {
        crate::policy::prefetch_builtin_rules();
    }
    let inputs = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut read_errors = Vec::new();
    let paths = load::discover(&inputs, &mut read_errors, &std::env::current_dir()?);
    tm("discover");
    let s = setup(&args.rules, args.paths.first().map(PathBuf::as_path))?;
    tm("setup");
    let schemas = schema_settings(&s.config, &args.schemas, &args.rules.only)?;
    if schemas.is_some() {
        schema::prefetch();
    }
    let filter = filter(&s.config)?;
    let waivers = s.waivers()?;
    let sizes = load::sizes(&paths);
    let size = sizes.iter().sum();
    super::common::size_heap(size);
    let streaming = stream_mode()?.unwrap_or(size >= STREAM_FROM)
        && !args.fix
        && !waivers.names_containers()
        && !kustomize::any(&inputs, &paths, &s.cwd);
    let mut streamed = None;
    let mut loaded = if streaming {
        let (loaded, diags, report) = lint_streaming(
            (&paths, &sizes),
            &s.cwd,
            &filter,
            &s.rules,
            &s.ctx,
            schemas.as_ref(),
            &tm,
        );
        streamed = Some((diags, report));
        loaded
    } else {
        load::load_sized(&paths, &sizes, &s.cwd, &filter)
    };
    tm("load");
    let owners = s.codeowners()?;
    let wopts = s.waiver_options(super::common::today()?, &inputs);
    let repo_path = |d: &str| s.repo_path(d);
    // Kustomizations are rendered into `loaded.files`; waivers are matched on the rendered
    // objects (their annotations), then findings move to the lines that caused them.
    let run_rules = |loaded: &mut load::Loaded| {
        let rendered = kustomize::prepare(&mut loaded.files, &inputs, &paths, &s.cwd);
        tm("kustomize");
        let (mut diags, report) = check_files(&loaded.files, &s.rules, &s.ctx, schemas.as_ref());
        tm("engine and schemas");
        crate::waiver::apply(&mut diags, &loaded.files, &waivers, &wopts, &repo_path);
        (kustomize::finish(diags, rendered), report)
    };
    let (mut diags, mut schema_report) = match streamed {
        Some((mut diags, report)) => {
            tm("engine and schemas");
            crate::waiver::apply(&mut diags, &loaded.files, &waivers, &wopts, &repo_path);
            (diags, report)
        }
        None => run_rules(&mut loaded),
    };
    if args.fix {
        let mut rounds = 0;
        loop {
            let changed = apply_fixes(&diags, &paths, &s.cwd, args.unsafe_fixes)?;
            rounds += 1;
            if changed == 0 || rounds >= 10 {
                break;
            }
            loaded = load::load(&paths, &s.cwd, &filter);
            (diags, schema_report) = run_rules(&mut loaded);
        }
    }
    if streaming && outputs.iter().any(|o| o.format.shows_source_text()) {
        reattach(&mut diags, &s.cwd, &mut loaded.errors);
    }
    read_errors.append(&mut loaded.errors);
    crate::waiver::assign_code_owners(&mut diags, &owners, &repo_path);
    let mut summary = summarize(&loaded.files, s.rules.len(), read_errors.len(), &diags);
    let mut rules = rule_infos(&s.rules);
    schema_summary(
        &mut summary,
        &mut rules,
        schemas.as_ref(),
        schema_report.as_ref(),
    );
    let new_waivers: Vec<crate::waiver::NewWaiverNote> = match &args.waivers_base {
        None => Vec::new(),
        Some(base) => {
            let text = std::fs::read_to_string(base)
                .map_err(|e| anyhow::anyhow!("--waivers-base {}: {e}", base.display()))?;
            // The base may name rules that no longer exist: rule ids are not checked.
            let base_set = crate::waiver::WaiverSet::parse(
                crate::source::SourceFile::new(load::display_path(base, &s.cwd), text),
                None,
            )
            .unwrap_or_else(|e| {
                eprintln!(
                    "warning: --waivers-base {}: {} error(s) (first: {}); every waiver counts as new",
                    base.display(),
                    e.len(),
                    e.first().map(|e| e.to_string()).unwrap_or_default()
                );
                crate::waiver::WaiverSet::default()
            });
            let file = waivers
                .source
                .as_ref()
                .map(|f| s.repo_path(&f.path))
                .unwrap_or_default();
            crate::waiver::new_waivers(&base_set, &waivers, &s.rules, &owners, &file)
                .iter()
                .map(|n| n.note())
                .collect()
        }
    };
    let files: Vec<String> = loaded.files.iter().map(|f| f.source.path.clone()).collect();
    let report = Report {
        diagnostics: &diags,
        summary: &summary,
        errors: &read_errors,
        new_waivers: &new_waivers,
        rules: &rules,
        files: &files,
    };
    let color = match args.color {
        ColorArg::Always => Some(true),
        ColorArg::Never => Some(false),
        ColorArg::Auto => None,
    };
    tm("waivers and summary");
    output::write_all(&outputs, &report, color)?;
    tm("output");
    if args.verbose {
        for f in &loaded.files {
            for sk in &f.skipped {
                match sk {
                    Skip::Template => eprintln!(
                        "note: {}: skipped, Helm/Go template (`{{{{ … }}}}` outside strings)",
                        f.source.path
                    ),
                    Skip::NotKubernetes { doc } => eprintln!(
                        "note: {}: document {} skipped, not a Kubernetes object (no apiVersion/kind)",
                        f.source.path,
                        doc + 1
                    ),
                }
            }
        }
        for k in schema_report.iter().flat_map(|r| &r.skipped) {
            eprintln!(
                "note: {}: document {} ({}) not schema-validated: {}",
                k.file,
                k.doc + 1,
                k.object.display(),
                k.reason
            );
        }
    } else if summary.skipped_templates > 0 && output::stdout_format(&outputs) == Some(Format::Text)
    {
        eprintln!(
            "note: {} Helm/Go template file(s) skipped (-v lists them)",
            summary.skipped_templates
        );
    }
    let fail_on = match args.fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => s.config.file.fail_on.unwrap_or_default(),
    };
    let outcome = if !read_errors.is_empty() {
        Outcome::InputError
    } else if diags
        .iter()
        .any(|d| !d.is_waived() && fail_on.fails(d.severity))
    {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    // The process exits right after this: freeing every YAML node one by one would cost about a
    // tenth of the run on a large repository, on one thread, for nothing.
    std::mem::forget(loaded);
    std::mem::forget(diags);
    Ok(outcome)
}

/// `accord lint --rev REV`: lint the files, config and rule folders of a git revision.
fn run_rev(args: &LintArgs, rev: &str, outputs: &[OutputSpec]) -> Result<Outcome> {
    use crate::load::git::GitRepo;
    let cwd = std::env::current_dir()?;
    let repo = GitRepo::discover(&cwd)?;
    let info = repo.resolve(rev)?;
    let opts = super::diff::rule_options(&args.rules, &cwd)?;
    let set = crate::load::rules::at_revision(&repo, info.rev, &opts)
        .map_err(|e| super::diff::rule_error(e, &info.label()))?;
    let scope = if args.paths.is_empty() {
        vec![repo.prefix().to_string()]
    } else {
        super::diff::scope(&repo, &args.paths, &cwd)?
    };
    let entries: Vec<_> = repo
        .files(info.rev, &scope)?
        .into_iter()
        .filter(|e| set.accepts(&e.path))
        .collect();
    // Paths relative to the working directory, as `lint` shows them.
    let prefix = repo.prefix().to_string();
    let display = move |p: &str| -> String {
        if prefix.is_empty() {
            return p.to_string();
        }
        match p
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
        {
            Some(rest) => rest.to_string(),
            None => format!("{}{p}", "../".repeat(prefix.split('/').count())),
        }
    };
    let schemas = schema_settings(&set.config, &args.schemas, &args.rules.only)?;
    // Kustomizations are rendered from the revision's tree, as `lint` renders them from disk.
    let paths: Vec<PathBuf> = entries.iter().map(|e| PathBuf::from(&e.path)).collect();
    let inputs: Vec<PathBuf> = scope.iter().map(PathBuf::from).collect();
    let fs = crate::load::git::RevFiles::new(&repo, info.rev, display.clone())?;
    let mut loaded = repo.load(entries, &display);
    let rendered = kustomize::prepare_in(&fs, &mut loaded.files, &inputs, &paths);
    let (diags, schema_report) = check_files(&loaded.files, &set.rules, &set.ctx, schemas.as_ref());
    let diags = kustomize::finish(diags, rendered);
    let read_errors = std::mem::take(&mut loaded.errors);
    let mut summary = summarize(&loaded.files, set.rules.len(), read_errors.len(), &diags);
    let mut rules = rule_infos(&set.rules);
    schema_summary(
        &mut summary,
        &mut rules,
        schemas.as_ref(),
        schema_report.as_ref(),
    );
    let files: Vec<String> = loaded.files.iter().map(|f| f.source.path.clone()).collect();
    let report = Report {
        diagnostics: &diags,
        summary: &summary,
        errors: &read_errors,
        new_waivers: &[],
        rules: &rules,
        files: &files,
    };
    let color = match args.color {
        ColorArg::Always => Some(true),
        ColorArg::Never => Some(false),
        ColorArg::Auto => None,
    };
    output::write_all(outputs, &report, color)?;
    let fail_on = match args.fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => set.config.file.fail_on.unwrap_or_default(),
    };
    if !read_errors.is_empty() {
        Ok(Outcome::InputError)
    } else if diags.iter().any(|d| fail_on.fails(d.severity)) {
        Ok(Outcome::Findings)
    } else {
        Ok(Outcome::Clean)
    }
}

/// Apply fixes per file (non-overlapping edits only); returns how many files changed.
fn apply_fixes(
    diags: &[crate::diagnostic::Diagnostic],
    paths: &[PathBuf],
    cwd: &Path,
    unsafe_ok: bool,
) -> Result<usize> {
    let mut by_file: std::collections::BTreeMap<&str, Vec<crate::diagnostic::TextEdit>> =
        Default::default();
    for d in diags.iter().filter(|d| !d.is_waived()) {
        if let Some(f) = &d.fix {
            let ok = f.applicability == Applicability::Safe
                || (unsafe_ok && f.applicability == Applicability::Unsafe);
            if ok && !f.edits.is_empty() {
                by_file
                    .entry(d.location.file())
                    .or_default()
                    .extend(f.edits.iter().cloned());
            }
        }
    }
    let mut changed = 0;
    for (file, edits) in by_file {
        let Some(path) = paths.iter().find(|p| load::display_path(p, cwd) == file) else {
            continue;
        };
        let d = diags
            .iter()
            .find(|d| d.location.file() == file)
            .expect("has diag");
        let original = &d.location.source.text;
        let (text, n) = fix::apply(original, &edits);
        if n > 0 && text != *original {
            let bom = std::fs::read(path)?.starts_with(&[0xEF, 0xBB, 0xBF]);
            let mut bytes = if bom {
                vec![0xEF, 0xBB, 0xBF]
            } else {
                Vec::new()
            };
            bytes.extend_from_slice(text.as_bytes());
            std::fs::write(path, bytes)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// The report summary of a lint run: files, objects, skipped documents, findings by severity.
fn summarize(
    files: &[crate::manifest::FileManifests],
    rules: usize,
    unreadable: usize,
    diags: &[crate::diagnostic::Diagnostic],
) -> Summary {
    let mut summary = Summary {
        files: files.len(),
        objects: files.iter().map(|f| f.objects.len()).sum(),
        rules,
        unreadable,
        ..Summary::default()
    };
    for sk in files.iter().flat_map(|f| &f.skipped) {
        match sk {
            Skip::Template => summary.skipped_templates += 1,
            Skip::NotKubernetes { .. } => summary.skipped_non_kubernetes += 1,
        }
    }
    summary.count(diags);
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming lint and the whole-tree lint find the same, in the same order, with the
    /// same spans, skipped objects and loaded files.
    fn same_findings(inputs: &[PathBuf], cwd: &Path) {
        let rules = crate::policy::builtin_rules().expect("built-in rules load");
        same_findings_with(&rules, inputs, cwd);
    }

    fn same_findings_with(rules: &[crate::policy::Rule], inputs: &[PathBuf], cwd: &Path) {
        let ctx = engine::Context::default();
        let settings = SchemaSettings::default();
        let filter = Filter::default();
        let paths = load::discover(inputs, &mut Vec::new(), cwd);
        let loaded = load::load(&paths, cwd, &filter);
        let (want, want_report) = check_files(&loaded.files, rules, &ctx, Some(&settings));
        let (got_loaded, got, got_report) = lint_streaming(
            (&paths, &load::sizes(&paths)),
            cwd,
            &filter,
            rules,
            &ctx,
            Some(&settings),
            &|_| (),
        );
        let render = |d: &[Diagnostic]| -> Vec<String> {
            d.iter()
                .map(|d| {
                    format!(
                        "{:?} {} {}",
                        d.location.span,
                        d.identity_path,
                        serde_json::to_string(&crate::render::json::finding(d))
                            .expect("serialises")
                    )
                })
                .collect()
        };
        let (want, got) = (render(&want), render(&got));
        assert!(!want.is_empty(), "the inputs should produce findings");
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(w, g);
        }
        assert_eq!(want.len(), got.len());
        let skipped = |r: Option<schema::Report>| -> Vec<String> {
            r.expect("schemas on")
                .skipped
                .iter()
                .map(|k| format!("{} {} {} {}", k.file, k.doc, k.object.display(), k.reason))
                .collect()
        };
        assert_eq!(skipped(want_report), skipped(got_report));
        let shape = |files: &[FileManifests]| -> Vec<(String, usize, usize)> {
            files
                .iter()
                .map(|f| (f.source.path.clone(), f.objects.len(), f.skipped.len()))
                .collect()
        };
        assert_eq!(shape(&loaded.files), shape(&got_loaded.files));
        assert_eq!(loaded.errors.len(), got_loaded.errors.len());
    }

    #[test]
    fn streaming_finds_what_the_whole_tree_lint_finds_in_the_rule_examples() {
        // Every example of every built-in rule, one file each, linted together: cross-object
        // rules relate objects across them.
        let dir = tempfile::tempdir().expect("temp dir");
        let rules = crate::policy::builtin_rules().expect("built-in rules load");
        for r in &rules {
            let ex = &r.spec.examples;
            for (kind, list) in [("valid", &ex.valid), ("invalid", &ex.invalid)] {
                for (i, text) in list.iter().enumerate() {
                    let name = format!("{}-{kind}-{i}.yaml", r.id());
                    std::fs::write(dir.path().join(name), text).expect("write");
                }
            }
        }
        // Lists, custom resources with and without their CRD, broken YAML, findings the pruned
        // trees cannot make alone (see the folder's README).
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stream");
        for entry in std::fs::read_dir(&fixtures).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let name = path.file_name().expect("name");
                std::fs::copy(&path, dir.path().join(name)).expect("copy");
            }
        }
        same_findings(&[dir.path().to_path_buf()], dir.path());
    }

    #[test]
    fn streaming_keeps_the_labels_and_annotations_a_cross_object_rule_picks_objects_by() {
        // Pruned trees keep labels and annotations only for rules that read them: here a
        // cross-object rule checks only the budgets carrying a label and an annotation.
        let pdb = |name: &str, meta: &str| {
            format!(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n{meta}\
                 spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {{app: gone}}\n"
            )
        };
        let docs = [
            pdb(
                "a",
                "  labels: {tier: critical}\n  annotations: {team: payments}\n",
            ),
            pdb(
                "b",
                "  labels: {tier: low}\n  annotations: {team: search}\n",
            ),
            pdb("c", ""),
        ];
        let rule = |id: &str, pick: &str, invalid: &str, valid: &str| {
            let example = |doc: &str| doc.replace('\n', "\n      ");
            let text = format!(
                "id: {id}\ntitle: t\nseverity: error\ncategory: reliability\nwhy: w\nhelp: h\n\
                 match:\n  kinds: [PodDisruptionBudget]\n{pick}\
                 require:\n  related:\n    kinds: [workloads]\n    selector: /spec/selector\n\
                 message: \"{{{{object.name}}}} selects nothing\"\n\
                 examples:\n  invalid:\n    - |\n      {}\n  valid:\n    - |\n      {}\n",
                example(invalid),
                example(valid)
            );
            let source = crate::source::SourceFile::new(format!("{id}.yaml"), text);
            crate::policy::load_rule(source, false).expect("rule loads")
        };
        let rules = vec![
            rule("tier-pdb", "  labels: {tier: crit*}\n", &docs[0], &docs[1]),
            rule(
                "team-pdb",
                "  annotations: {team: pay*}\n",
                &docs[0],
                &docs[2],
            ),
            rule(
                "not-tier-pdb",
                "  exclude-labels: {tier: crit*}\n",
                &docs[1],
                &docs[0],
            ),
        ];
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("pdbs.yaml"), docs.join("---\n")).expect("write");
        same_findings_with(&rules, &[dir.path().to_path_buf()], dir.path());
        let paths = load::discover(&[dir.path().to_path_buf()], &mut Vec::new(), dir.path());
        let (_, got, _) = lint_streaming(
            (&paths, &load::sizes(&paths)),
            dir.path(),
            &Filter::default(),
            &rules,
            &engine::Context::default(),
            None,
            &|_| (),
        );
        let got: Vec<String> = got
            .iter()
            .map(|d| format!("{} {}", d.rule, d.message))
            .collect();
        assert_eq!(
            got,
            [
                "team-pdb a selects nothing",
                "tier-pdb a selects nothing",
                "not-tier-pdb b selects nothing",
                "not-tier-pdb c selects nothing",
            ]
        );
    }

    #[test]
    fn streaming_indexes_the_labels_a_nested_selected_by_reads() {
        // Gadgets need a Widget that some Sprocket selects: the Widgets' labels are read from
        // the index, by a relation inside another relation's `where`.
        let rules = [engine::stream::tests::nested_selected_by_rule()];
        let dir = tempfile::tempdir().expect("temp dir");
        let doc = |kind: &str, ns: &str, rest: &str| {
            format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: x\n  namespace: {ns}\n{rest}")
        };
        let files = [
            ("a.yaml", doc("Gadget", "a", "")),
            ("b.yaml", doc("Gadget", "b", "")),
            ("c.yaml", doc("Widget", "a", "  labels: {app: w}\n")),
            ("d.yaml", doc("Widget", "b", "  labels: {app: v}\n")),
            (
                "e.yaml",
                doc("Sprocket", "a", "spec: {selector: {app: w}}\n"),
            ),
            (
                "f.yaml",
                doc("Sprocket", "b", "spec: {selector: {app: w}}\n"),
            ),
        ];
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        same_findings_with(&rules, &[dir.path().to_path_buf()], dir.path());
    }

    #[test]
    fn streaming_finds_what_the_whole_tree_lint_finds_in_the_examples() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        same_findings(&[root.join("examples")], root);
    }

    #[test]
    fn streaming_finds_what_the_whole_tree_lint_finds_in_the_shared_corpus() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = root.join("../shared/corpus");
        if !corpus.is_dir() {
            eprintln!("skipped: {} is not here", corpus.display());
            return;
        }
        same_findings(&[corpus], root);
    }
}
