//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`).
//!
//! GitHub displays only 10 annotations of each type per step (50 per job), so the emitter
//! prioritises: errors first, then warnings, then notices, at most [`MAX_PER_TYPE`] of each; a
//! notice says how many more there are, and every finding still appears as a plain log line
//! (indented, so a line can never start with `::` and be read as a command). Values are escaped
//! as actions/toolkit does: data `%`→`%25`, CR→`%0D`, LF→`%0A`; properties also `:`→`%3A`,
//! `,`→`%2C`.

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use std::fmt::Write;

/// Annotations GitHub shows per type and step.
pub const MAX_PER_TYPE: usize = 10;

/// Escape a command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command for a severity.
pub fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// One annotation line for `d`, with `title` (rule id and title).
pub fn annotation(d: &Diagnostic, title: &str) -> String {
    let l = &d.location;
    let mut props = format!(
        "file={},line={},endLine={}",
        escape_property(l.file()),
        l.start.line,
        l.end.line.max(l.start.line)
    );
    // Columns are only meaningful on single-line annotations.
    if l.end.line <= l.start.line {
        let _ = write!(
            props,
            ",col={},endColumn={}",
            l.start.column,
            l.end.column.max(l.start.column)
        );
    }
    let _ = write!(props, ",title={}", escape_property(title));
    let mut msg = d.message.clone();
    if !d.why.is_empty() {
        let _ = write!(msg, "\n\nWhy: {}", super::reflow(&d.why));
    }
    if !d.help.is_empty() {
        let _ = write!(msg, "\nWhat to do: {}", d.help.trim());
    }
    if let Some(f) = &d.fix {
        let _ = write!(msg, "\nFix: {}", f.title);
    }
    match (&d.owner, &d.contact) {
        (Some(o), Some(c)) => {
            let _ = write!(msg, "\nOwner: {o} ({c})");
        }
        (Some(o), None) => {
            let _ = write!(msg, "\nOwner: {o}");
        }
        (None, Some(c)) => {
            let _ = write!(msg, "\nContact: {c}");
        }
        (None, None) => {}
    }
    if let Some(docs) = &d.docs {
        let _ = write!(msg, "\nDocs: {docs}");
    }
    format!("::{} {props}::{}\n", command(d.severity), escape_data(&msg))
}

/// Annotations for the active (not waived) findings of `diags`, most severe first and capped
/// per type. Returns the text and how many findings were not annotated.
pub fn annotations(diags: &[Diagnostic], title: &dyn Fn(&Diagnostic) -> String) -> (String, usize) {
    let mut out = String::new();
    let mut hidden = 0;
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let of: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| d.severity == sev && !d.is_waived())
            .collect();
        for d in of.iter().take(MAX_PER_TYPE) {
            out.push_str(&annotation(d, &title(d)));
        }
        hidden += of.len().saturating_sub(MAX_PER_TYPE);
    }
    (out, hidden)
}

/// Render the report: annotations, the overflow notice, then every finding as a log line.
pub fn render(r: &Report<'_>) -> String {
    let title = |d: &Diagnostic| match r.rule(&d.rule) {
        Some(info) if info.title != d.rule.replace('-', " ") => {
            format!("accord {}: {}", d.rule, info.title)
        }
        _ => format!("accord {}", d.rule),
    };
    let (mut out, hidden) = annotations(r.diagnostics, &title);
    if hidden > 0 {
        let _ = writeln!(
            out,
            "::notice title=accord::{}",
            escape_data(&format!(
                "{hidden} more finding{} not shown as annotations (GitHub shows {MAX_PER_TYPE} per type); all are listed in the log below",
                if hidden == 1 { "" } else { "s" }
            ))
        );
    }
    for e in r.errors {
        let _ = writeln!(
            out,
            "::error file={},title=accord::{}",
            escape_property(&e.file),
            escape_data(&format!("cannot read {}: {}", e.file, e.message))
        );
    }
    if !r.diagnostics.is_empty() {
        out.push_str("::group::accord findings\n");
        for d in r.diagnostics {
            let l = &d.location;
            let _ = writeln!(
                out,
                "  {}:{}:{}: {}[{}] {}",
                l.file(),
                l.start.line,
                l.start.column,
                d.severity.as_str(),
                d.rule,
                d.message.replace(['\r', '\n'], " ")
            );
        }
        out.push_str("::endgroup::\n");
    }
    let s = r.summary;
    let _ = writeln!(
        out,
        "accord: {} error(s), {} warning(s), {} info in {} file(s)",
        s.errors, s.warnings, s.infos, s.files
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn escapes_like_actions_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn annotations_are_capped_per_type_and_most_severe_first() {
        let (diags, ..) = fixtures::sample();
        let mut many = Vec::new();
        for i in 0..13 {
            for d in &diags {
                let mut d = d.clone();
                d.message = format!("{} #{i}", d.message);
                many.push(d);
            }
        }
        let (out, hidden) = annotations(&many, &|d| d.rule.clone());
        let errors = out.lines().filter(|l| l.starts_with("::error ")).count();
        let warnings = out.lines().filter(|l| l.starts_with("::warning ")).count();
        assert_eq!(errors, MAX_PER_TYPE);
        assert_eq!(warnings, MAX_PER_TYPE);
        let by = |s| many.iter().filter(|d| d.severity == s).count();
        let expected_hidden = by(Severity::Error) - 10 + by(Severity::Warning) - 10
            + by(Severity::Info).saturating_sub(10);
        assert_eq!(hidden, expected_hidden);
        let lines: Vec<&str> = out.lines().collect();
        let first_warning = lines
            .iter()
            .position(|l| l.starts_with("::warning"))
            .unwrap();
        let last_error = lines
            .iter()
            .rposition(|l| l.starts_with("::error"))
            .unwrap();
        assert!(last_error < first_warning);
    }

    #[test]
    fn one_annotation_is_one_line() {
        let (diags, summary, rules, files) = fixtures::sample();
        let report = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &[],
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let out = render(&report);
        let d = diags
            .iter()
            .find(|d| d.rule == "privileged-container")
            .unwrap();
        let line = out
            .lines()
            .find(|l| l.starts_with("::error ") && l.contains("privileged-container"))
            .unwrap();
        let l = &d.location;
        assert!(line.starts_with(&format!(
            "::error file=apps/web/deploy.yaml,line={},endLine={},col={},endColumn={},title=accord privileged-container%3A Containers must not run privileged::Container `app`",
            l.start.line, l.end.line, l.start.column, l.end.column
        )), "{line}");
        assert!(line.contains("%0A%0AWhy: A privileged container has every capability and full access to the node's devices: a bug or a compromised"));
        // Log lines never start a command.
        assert!(
            out.lines()
                .filter(|l| l.starts_with("::"))
                .all(|l| l.starts_with("::error ")
                    || l.starts_with("::warning ")
                    || l.starts_with("::notice ")
                    || l.starts_with("::group::")
                    || l == "::endgroup::")
        );
    }
}
