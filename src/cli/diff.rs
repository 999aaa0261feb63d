//! `accord diff`: what a change did to objects and findings, between two git revisions.

use super::Outcome;
use super::common::{RuleOpts, fail_with, rule_infos};
use super::lint::{ColorArg, FailOnArg};
use super::output::{self, OutputSpec};
use crate::config::FailOn;
use crate::diagnostic::{Diagnostic, Summary};
use crate::diff::{self, DiffError, Settings};
use crate::load::git::GitRepo;
use crate::load::rules::{RuleError, RuleOptions};
use crate::render::{self, Format, Report};
use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// The help text of `diff --format`.
const DIFF_FORMAT_HELP: &str = "Report format, optionally with a file to write it to: FMT or FMT=PATH (repeatable; at \
most one without a PATH goes to standard output). text: object changes and an annotated unified diff; json: \
everything, for machines; markdown: the body of a pull-request comment; sarif, junit, github, rdjson, rdjsonl, \
gitlab: the introduced findings in that format";

/// Which findings decide the exit code.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailScope {
    /// Only findings the change introduced (legacy findings never fail the change).
    Introduced,
    /// Introduced findings and findings a rule change newly raises on existing objects.
    Changed,
    /// Every finding at HEAD.
    All,
    /// Never exit 1 for findings.
    Never,
}

/// Arguments of `accord diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// `BASE..HEAD`, `BASE...HEAD` (from their merge base, like a pull request), or `REV`
    /// (REV to the working tree). Default: the merge base of the default branch (origin/HEAD,
    /// main or master) and HEAD, to the working tree.
    #[arg(value_name = "REVSPEC")]
    pub revspec: Option<String>,
    /// Only these files or directories (after `--`).
    #[arg(last = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = output::parse_spec, help = DIFF_FORMAT_HELP)]
    pub formats: Vec<OutputSpec>,
    /// Which findings make the exit code 1.
    #[arg(long, value_enum, default_value_t = FailScope::Introduced)]
    pub fail_on: FailScope,
    /// Lowest severity that fails (default: the config's `fail-on`, else error).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_level: Option<FailOnArg>,
    /// Lines of context around changes in the annotated diff.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub context: usize,
    /// Colour: auto (on a terminal), always, never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    #[command(flatten)]
    pub rules: RuleOpts,
}

/// Turn a rule-loading error into the CLI's error (located errors are printed).
pub fn rule_error(e: RuleError, rev: &str) -> anyhow::Error {
    match e {
        RuleError::Files(errors) => fail_with(&errors).context(format!("rules at {rev}")),
        RuleError::Other(m) => anyhow!("{m}"),
    }
}

/// The rule options of the command line, for [`crate::load::rules`]; waivers are judged
/// against today's date (`ACCORD_TODAY` when set).
pub fn rule_options(o: &RuleOpts, cwd: &std::path::Path) -> Result<RuleOptions> {
    Ok(RuleOptions {
        config: o.config.clone(),
        policies: o.policies.clone(),
        no_builtin: o.no_builtin,
        kubernetes_version: o.kubernetes_version.clone(),
        only: o.only.clone(),
        cwd: cwd.to_path_buf(),
        today: Some(super::common::today()?),
    })
}

/// Paths given on the command line, as paths from the repository root.
pub fn scope(repo: &GitRepo, paths: &[PathBuf], cwd: &std::path::Path) -> Result<Vec<String>> {
    paths
        .iter()
        .map(|p| {
            repo.repo_path(p, cwd)
                .ok_or_else(|| anyhow!("{} is outside the repository", p.display()))
        })
        .collect()
}

/// Run `accord diff`.
pub fn run(args: DiffArgs) -> Result<Outcome> {
    let timings = super::common::Timings::from_env();
    let tm = |phase: &str| timings.mark(phase);
    let outputs = output::resolve(&args.formats, Format::Text)?;
    let cwd = std::env::current_dir()?;
    let repo = GitRepo::discover(&cwd)?;
    let (base, head) = repo.range(args.revspec.as_deref())?;
    let head_rev = head.rev;
    let settings = Settings {
        rules: rule_options(&args.rules, &cwd)?,
        paths: scope(&repo, &args.paths, &cwd)?,
        context: args.context,
        on_files: super::common::size_heap_for_files,
    };
    tm("setup");
    let report = match diff::run_timed(&repo, base, head, &settings, &tm) {
        Ok(r) => r,
        Err(DiffError::Rules { rev, error }) => return Err(rule_error(error, &rev)),
        Err(DiffError::Git(e)) => return Err(e.into()),
    };
    let color = match args.color {
        ColorArg::Always => Some(true),
        ColorArg::Never => Some(false),
        ColorArg::Auto => None,
    };
    // Finding formats show the introduced findings, with the rule table of the head.
    let findings_format = outputs
        .iter()
        .any(|o| !matches!(o.format, Format::Text | Format::Json | Format::Markdown));
    let infos = if findings_format {
        let set = crate::load::rules::at_revision(&repo, head_rev, &settings.rules)
            .map_err(|e| rule_error(e, "HEAD"))?;
        rule_infos(&set.rules)
    } else {
        Vec::new()
    };
    let introduced: Vec<Diagnostic> = report
        .findings
        .introduced
        .iter()
        .map(|f| f.diagnostic.clone())
        .collect();
    let mut summary = Summary {
        files: report.summary.files,
        objects: report.summary.objects,
        rules: infos.len(),
        unreadable: report.errors.len(),
        ..Summary::default()
    };
    summary.count(&introduced);
    let findings = Report {
        diagnostics: &introduced,
        summary: &summary,
        errors: &report.errors,
        new_waivers: &report.new_waivers,
        rules: &infos,
        files: &[],
    };
    output::write_with(&outputs, color, &|format, color| match format {
        Format::Text => render::diff_text::render(&report, color),
        Format::Json => render::diff_json::render(&report),
        Format::Markdown => render::diff_markdown::render(&report),
        other => render::render(other, &findings, false),
    })?;
    tm("output");
    // The severity threshold: flag, else the config at HEAD, else error.
    let level = match args.fail_level {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => report.fail_on.unwrap_or_default(),
    };
    // Waived findings are accepted exceptions: listed, never failing.
    let fails =
        |f: &crate::diff::Finding| !f.diagnostic.is_waived() && level.fails(f.diagnostic.severity);
    let newly = || report.policy.iter().flat_map(|p| &p.newly_flagged);
    let failed = match args.fail_on {
        FailScope::Never => false,
        FailScope::Introduced => report.findings.introduced.iter().any(fails),
        FailScope::Changed => report.findings.introduced.iter().chain(newly()).any(fails),
        FailScope::All => report
            .findings
            .introduced
            .iter()
            .chain(&report.findings.unchanged)
            .chain(newly())
            .any(fails),
    };
    // Files that could not be read: exit 2 after the report, as `lint` does.
    Ok(if !report.errors.is_empty() {
        Outcome::InputError
    } else if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
