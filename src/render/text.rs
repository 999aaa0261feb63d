//! `--format text`: `file:line:col`, the source line with the offending node underlined, then
//! why / help / fix / owner / docs. Colour only when asked (the CLI asks on a TTY).

use super::Paint;
use super::Report;
use crate::diagnostic::{Applicability, Diagnostic, Severity, WaiverInfo, WaiverSource};
use std::fmt::Write;

/// Render one diagnostic.
pub fn diagnostic(d: &Diagnostic, color: bool, out: &mut String) {
    let p = Paint { on: color };
    let src = &d.location.source;
    let start = d.location.start;
    let _ = writeln!(
        out,
        "{}{} {}",
        p.sev(d.severity),
        p.wrap("1", &format!("[{}]", d.rule)),
        p.wrap("1", &d.message)
    );
    let _ = writeln!(
        out,
        "  {} {}:{}:{}",
        p.wrap("34", "-->"),
        d.location.file(),
        start.line,
        start.column
    );
    if let Some(obj) = &d.object {
        let path = if d.path.is_empty() {
            String::new()
        } else {
            format!(" at {}", d.path)
        };
        let _ = writeln!(out, "  {} {}{}", p.wrap("34", "in"), obj.display(), path);
    }
    let width = start
        .line
        .to_string()
        .len()
        .max(d.location.end.line.to_string().len());
    let bar = p.wrap("34", &format!("{:width$} |", ""));
    if !src.text.is_empty() && start.line <= src.lines.line_count() {
        let _ = writeln!(out, "{bar}");
        let line = src.lines.line_text(&src.text, start.line);
        let _ = writeln!(
            out,
            "{} {}",
            p.wrap("34", &format!("{:>width$} |", start.line)),
            line
        );
        let len = line.chars().count();
        let from = start.column.saturating_sub(1).min(len);
        let to = if d.location.end.line == start.line {
            d.location.end.column.saturating_sub(1)
        } else {
            len
        };
        let carets = to.saturating_sub(from).max(1);
        let mark = format!("{}{}", " ".repeat(from), "^".repeat(carets));
        let note = if d.location.end.line > start.line {
            format!(" (to line {})", d.location.end.line)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{bar} {}{note}",
            p.wrap(
                if d.severity == Severity::Error {
                    "1;31"
                } else {
                    "1;33"
                },
                &mark
            )
        );
    }
    for l in &d.labels {
        let _ = writeln!(
            out,
            "{bar} {} {}:{}:{}: {}",
            p.wrap("34", "note:"),
            l.location.file(),
            l.location.start.line,
            l.location.start.column,
            l.message
        );
    }
    let eq = p.wrap("34", &format!("{:width$} =", ""));
    if !d.why.is_empty() {
        let mut lines = d.why.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "{eq} {} {first}", p.wrap("1", "why:"));
            for l in lines {
                let _ = writeln!(out, "{}      {l}", " ".repeat(width + 2));
            }
        }
    }
    if !d.help.is_empty() {
        let _ = writeln!(out, "{eq} {} {}", p.wrap("1", "help:"), d.help);
    }
    if let Some(f) = &d.fix {
        let kind = match f.applicability {
            Applicability::Safe => "safe, apply with --fix",
            Applicability::Unsafe => "unsafe, apply with --fix --unsafe-fixes",
            Applicability::DisplayOnly => "manual",
        };
        let _ = writeln!(out, "{eq} {} {} ({kind})", p.wrap("1", "fix:"), f.title);
        for e in &f.edits {
            let r = crate::diagnostic::line_replacement(src, e);
            let pad = " ".repeat(width + 2);
            // Show only what changes: lines common to both ends are not repeated.
            let (old, new) = (&r.old_lines, &r.new_lines);
            let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
            let tail = old[head..]
                .iter()
                .rev()
                .zip(new[head..].iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            for l in &old[head..old.len() - tail] {
                let _ = writeln!(out, "{pad}      {}", p.wrap("31", &format!("- {l}")));
            }
            for l in &new[head..new.len() - tail] {
                let _ = writeln!(out, "{pad}      {}", p.wrap("32", &format!("+ {l}")));
            }
        }
    }
    if let Some((label, text)) = super::owner_line(d) {
        let _ = writeln!(out, "{eq} {} {text}", p.wrap("1", label));
    }
    if let Some(docs) = &d.docs {
        let _ = writeln!(out, "{eq} {} {docs}", p.wrap("1", "docs:"));
    }
    if let Some(co) = &d.code_owner {
        let _ = writeln!(
            out,
            "{eq} {} {co} (CODEOWNERS: you own this object)",
            p.wrap("1", "code owner:")
        );
    }
    out.push('\n');
}

/// One line describing a waiver: source and location, approver, expiry, ticket, reason.
pub fn waiver_text(w: &WaiverInfo) -> String {
    let mut s = match w.source {
        WaiverSource::Annotation => format!(
            "annotation at {}:{}",
            w.location.file(),
            w.location.start.line
        ),
        WaiverSource::Central => format!(
            "waivers file {}:{}",
            w.location.file(),
            w.location.start.line
        ),
    };
    if let Some(a) = &w.approved_by {
        let _ = write!(s, ", approved by {a}");
    }
    match (&w.expires, w.expired) {
        (Some(e), true) => {
            let _ = write!(s, ", expired on {e}");
        }
        (Some(e), false) => {
            let _ = write!(s, ", expires {e}");
        }
        (None, _) => {}
    }
    if let Some(t) = &w.ticket {
        let _ = write!(s, ", {t}");
    }
    let _ = write!(s, ": {}", w.reason);
    s
}

/// Render a waived finding compactly: what, where, and the waiver in force.
pub fn waived(d: &Diagnostic, color: bool, out: &mut String) {
    let p = Paint { on: color };
    let _ = writeln!(
        out,
        "{} {} {}",
        p.wrap("2", "waived"),
        p.wrap("1", &format!("[{}]", d.rule)),
        d.message
    );
    let _ = writeln!(
        out,
        "  {} {}:{}:{}",
        p.wrap("34", "-->"),
        d.location.file(),
        d.location.start.line,
        d.location.start.column
    );
    if let Some(w) = &d.waiver {
        let _ = writeln!(out, "  {} {}", p.wrap("34", "= waiver:"), waiver_text(w));
    }
}

/// Render the whole report.
pub fn render(r: &Report<'_>, color: bool) -> String {
    let mut out = String::new();
    for d in r.diagnostics.iter().filter(|d| !d.is_waived()) {
        diagnostic(d, color, &mut out);
    }
    let waived_list: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.is_waived()).collect();
    if !waived_list.is_empty() {
        let _ = writeln!(
            out,
            "{} waived finding{}:",
            waived_list.len(),
            if waived_list.len() == 1 { "" } else { "s" }
        );
        for d in waived_list {
            waived(d, color, &mut out);
        }
        out.push('\n');
    }
    for e in r.errors {
        let _ = writeln!(out, "error: cannot read {}: {}", e.file, e.message);
    }
    if !r.new_waivers.is_empty() {
        let _ = writeln!(out, "waivers added in this change:");
        for n in r.new_waivers {
            let _ = writeln!(
                out,
                "  {}:{}: {} — needs approval by {}",
                n.file,
                n.line,
                n.describe(),
                n.needs_approval_by
            );
        }
        out.push('\n');
    }
    let s = r.summary;
    let mut line = format!(
        "{} error{}, {} warning{}, {} info in {} file{} ({} object{}, {} rule{})",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        s.infos,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.objects,
        if s.objects == 1 { "" } else { "s" },
        s.rules,
        if s.rules == 1 { "" } else { "s" },
    );
    if let Some(v) = &s.kubernetes_version {
        let _ = write!(line, "; schemas of Kubernetes {v}");
    }
    if s.fixable > 0 {
        let _ = write!(line, "; {} fixable with --fix", s.fixable);
    }
    if s.waived > 0 {
        let _ = write!(line, "; {} waived", s.waived);
    }
    if s.expired_waivers > 0 {
        let _ = write!(
            line,
            "; {} expired waiver{}",
            s.expired_waivers,
            if s.expired_waivers == 1 { "" } else { "s" }
        );
    }
    if s.stale_waivers > 0 {
        let _ = write!(
            line,
            "; {} stale waiver{}",
            s.stale_waivers,
            if s.stale_waivers == 1 { "" } else { "s" }
        );
    }
    if s.skipped_templates > 0 {
        let _ = write!(
            line,
            "; {} template file{} skipped",
            s.skipped_templates,
            if s.skipped_templates == 1 { "" } else { "s" }
        );
    }
    if s.skipped_patches > 0 {
        let _ = write!(
            line,
            "; {} kustomize patch{} not schema-validated",
            s.skipped_patches,
            if s.skipped_patches == 1 { "" } else { "es" }
        );
    }
    if s.skipped_non_kubernetes > 0 {
        let _ = write!(
            line,
            "; {} non-Kubernetes document{} skipped (-v lists them)",
            s.skipped_non_kubernetes,
            if s.skipped_non_kubernetes == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    let _ = writeln!(out, "{line}");
    out
}
