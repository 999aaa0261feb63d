//! Output formats: one emitter per file, each a function over a [`Report`] (lint) or a
//! [`crate::diff::DiffReport`] (`diff_*.rs`).
//!
//! Emitters only read diagnostics; adding a format never touches the engine. [`Format`] names
//! every format the CLI accepts (`--format sarif=out.sarif` picks one and a destination) and
//! [`render`] dispatches to its emitter, so `lint`, `diff` and `review` print the same formats.

pub mod diff_json;
pub mod diff_markdown;
pub mod diff_text;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod rdjson;
pub mod sarif;
pub mod text;

use crate::diagnostic::{Diagnostic, InputError, Severity, Summary};

/// What an emitter may show about a rule besides what each finding carries: its title and
/// description (SARIF's rule table, annotation titles, markdown rule details).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// Rule id.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What the rule checks (markdown), if written.
    pub description: Option<String>,
    /// Why ops require this (markdown).
    pub why: String,
    /// What to do.
    pub help: String,
    /// Documentation link.
    pub docs: Option<String>,
    /// Owning ops team.
    pub owner: Option<String>,
    /// How to reach them.
    pub contact: Option<String>,
    /// Effective severity.
    pub severity: Severity,
    /// Category.
    pub category: String,
}

impl RuleInfo {
    /// Rule information reconstructed from a finding, for rules the report does not list
    /// (built-in input checks such as `yaml-syntax`).
    pub fn from_diagnostic(d: &Diagnostic) -> Self {
        RuleInfo {
            id: d.rule.clone(),
            title: d.rule.replace('-', " "),
            description: None,
            why: d.why.to_string(),
            help: d.help.to_string(),
            docs: d.docs.as_deref().map(str::to_string),
            owner: d.owner.clone(),
            contact: d.contact.clone(),
            severity: d.severity,
            category: d.category.clone(),
        }
    }
}

/// Everything an emitter may show about a lint run.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Findings, sorted.
    pub diagnostics: &'a [Diagnostic],
    /// Counts.
    pub summary: &'a Summary,
    /// Inputs that could not be read.
    pub errors: &'a [InputError],
    /// Central waivers added in this change (`lint --waivers-base`), each needing approval.
    pub new_waivers: &'a [crate::waiver::NewWaiverNote],
    /// The active rules (may be empty; emitters fall back to what findings carry).
    pub rules: &'a [RuleInfo],
    /// Display paths of every file read, with or without findings (JUnit lists the clean ones
    /// as passing suites).
    pub files: &'a [String],
}

impl<'a> Report<'a> {
    /// A report of findings with counts and unreadable inputs; no rule table, no file list.
    pub fn new(
        diagnostics: &'a [Diagnostic],
        summary: &'a Summary,
        errors: &'a [InputError],
    ) -> Self {
        Report {
            diagnostics,
            summary,
            errors,
            new_waivers: &[],
            rules: &[],
            files: &[],
        }
    }

    /// Information about `id`: from the rule table, else reconstructed from its first finding.
    pub fn rule(&self, id: &str) -> Option<RuleInfo> {
        self.rules.iter().find(|r| r.id == id).cloned().or_else(|| {
            self.diagnostics
                .iter()
                .find(|d| d.rule == id)
                .map(RuleInfo::from_diagnostic)
        })
    }

    /// Rules that have at least one finding, in id order, each with its details.
    pub fn rules_with_findings(&self) -> Vec<RuleInfo> {
        let mut ids: Vec<&str> = self.diagnostics.iter().map(|d| d.rule.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().filter_map(|id| self.rule(id)).collect()
    }
}

/// Every output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Human-readable, with source snippets.
    Text,
    /// accord's JSON report (`schemas/report.schema.json`).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning and other SARIF viewers).
    Sarif,
    /// JUnit XML (CI test reports).
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// reviewdog diagnostic format, one JSON document.
    Rdjson,
    /// reviewdog diagnostic format, one diagnostic per line.
    Rdjsonl,
    /// GitLab Code Quality report.
    Gitlab,
    /// GitHub-flavoured Markdown (job summaries, PR comments).
    Markdown,
}

impl Format {
    /// Does the format show or hash the text of the files findings are in (snippets, suggested
    /// lines, SARIF's line fingerprints, byte columns), rather than only positions?
    pub fn shows_source_text(self) -> bool {
        matches!(
            self,
            Format::Text | Format::Sarif | Format::Rdjson | Format::Rdjsonl
        )
    }

    /// Every format with its name, in the order `--help` lists them.
    pub const ALL: &'static [(Format, &'static str)] = &[
        (Format::Text, "text"),
        (Format::Json, "json"),
        (Format::Sarif, "sarif"),
        (Format::Junit, "junit"),
        (Format::Github, "github"),
        (Format::Rdjson, "rdjson"),
        (Format::Rdjsonl, "rdjsonl"),
        (Format::Gitlab, "gitlab"),
        (Format::Markdown, "markdown"),
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("text", |(_, n)| n)
    }

    /// Parse a format name.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}

/// Render `report` in `format`. `color` only affects `text`.
pub fn render(format: Format, report: &Report<'_>, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
        Format::Rdjson => rdjson::render(report),
        Format::Rdjsonl => rdjson::render_lines(report),
        Format::Gitlab => gitlab::render(report),
        Format::Markdown => markdown::render(report, markdown::JOB_SUMMARY_LIMIT),
    }
}

/// Write the report in `format` to `out`. JSON is written as it is serialised; the other formats
/// are rendered first.
pub fn write(
    format: Format,
    report: &Report<'_>,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        _ => out.write_all(render(format, report, color).as_bytes()),
    }
}

/// Join the hard-wrapped lines of ops prose (rule `why` texts are YAML block scalars wrapped
/// at ~100 columns) into paragraphs: a line break inside a paragraph becomes a space; blank
/// lines, list items, headings, quotes and code fences keep their breaks.
pub fn reflow(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_fence = false;
    let mut prev_joinable = false;
    for line in s.trim().lines() {
        let t = line.trim_start();
        let fence = t.starts_with("```") || t.starts_with("~~~");
        let block = t.is_empty()
            || fence
            || in_fence
            || t.starts_with("- ")
            || t.starts_with("* ")
            || t.starts_with('#')
            || t.starts_with('>')
            || t.starts_with('|')
            || t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if !out.is_empty() {
            out.push(if prev_joinable && !block { ' ' } else { '\n' });
        }
        out.push_str(if prev_joinable && !block {
            t
        } else {
            line.trim_end()
        });
        if fence {
            in_fence = !in_fence;
        }
        prev_joinable = !t.is_empty() && !in_fence && !fence;
    }
    out
}

/// Column of `location`'s start and end counted in UTF-8 bytes (1-based, end exclusive), as
/// reviewdog and GitLab positions want; `Position` columns count characters.
pub fn byte_columns(d: &Diagnostic) -> (usize, usize) {
    let src = &d.location.source;
    let col = |offset: usize, line: usize| offset.saturating_sub(src.lines.line_start(line)) + 1;
    (
        col(d.location.span.start(), d.location.start.line),
        col(d.location.span.end(), d.location.end.line),
    )
}

/// The owner line of a finding for the terminal renderers: (`owner:` or `contact:`, text), or
/// `None` when the rule names neither.
pub(crate) fn owner_line(d: &Diagnostic) -> Option<(&'static str, String)> {
    match (&d.owner, &d.contact) {
        (Some(o), Some(c)) => Some(("owner:", format!("{o} ({c})"))),
        (Some(o), None) => Some(("owner:", o.clone())),
        (None, Some(c)) => Some(("contact:", c.clone())),
        (None, None) => None,
    }
}

/// ANSI colours for the terminal renderers, or plain text when `on` is false.
pub(crate) struct Paint {
    /// Whether to emit escape codes.
    pub(crate) on: bool,
}

impl Paint {
    /// `s` in the SGR style `code`.
    pub(crate) fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// A severity's name in its colour.
    pub(crate) fn sev(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.wrap(code, s.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn findings_carry_keyed_identity_paths() {
        let (diags, ..) = super::fixtures::sample();
        let d = diags
            .iter()
            .find(|d| d.rule == "privileged-container")
            .unwrap();
        assert_eq!(
            d.path,
            "/spec/template/spec/containers/0/securityContext/privileged"
        );
        assert_eq!(
            d.identity_path,
            "/spec/template/spec/containers[name=app]/securityContext/privileged"
        );
    }

    #[test]
    fn reflow_joins_wrapped_lines_only() {
        assert_eq!(
            super::reflow("a b\nc d\n\nnext\n- one\n- two\n  more\n```\nx\ny\n```\n"),
            "a b c d\n\nnext\n- one\n- two more\n```\nx\ny\n```"
        );
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Diagnostics for emitter tests, built by running the real engine on a small manifest.

    use super::*;
    use crate::engine::{self, Context};

    /// Two files: one with findings (one with a safe fix), one clean.
    pub const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx\n          securityContext:\n            privileged: true\n";

    /// Findings, summary and rule table for [`DEPLOY`] plus a clean file.
    pub fn sample() -> (Vec<Diagnostic>, Summary, Vec<RuleInfo>, Vec<String>) {
        let rules = crate::policy::builtin_preset("default").expect("builtin rules");
        let files = vec![
            crate::manifest::read("apps/web/deploy.yaml", DEPLOY),
            crate::manifest::read(
                "apps/ok.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            ),
        ];
        let diags = engine::lint(&files, &rules, &Context::default());
        let mut summary = Summary {
            files: 2,
            objects: 2,
            rules: rules.len(),
            ..Summary::default()
        };
        summary.count(&diags);
        let infos = rules
            .iter()
            .map(|r| RuleInfo {
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
            .collect();
        (
            diags,
            summary,
            infos,
            vec!["apps/ok.yaml".into(), "apps/web/deploy.yaml".into()],
        )
    }
}
