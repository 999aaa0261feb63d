//! `--format markdown`: GitHub-flavoured Markdown for job summaries and PR comments.
//!
//! A count line, a table of findings (severity, rule, location, message) and one collapsed
//! section per rule with why / what to do / owner / docs, so the table stays scannable; waived
//! findings get their own section (reason, approver, expiry). The
//! building blocks ([`escape`], [`findings_table`], [`rule_details`]) are shared with the review
//! bot's summary comment. Output is capped to a byte budget (GitHub: 1 MiB per step summary,
//! 65,536 characters per comment) with an "N more not shown" line, and user text is escaped so
//! it cannot break the table or forge the hidden `<!-- … -->` markers the bot relies on.

use super::{Report, RuleInfo};
use crate::diagnostic::{Diagnostic, Severity};
use std::fmt::Write;

/// Byte budget for a job summary (GitHub's limit is 1 MiB per step).
pub const JOB_SUMMARY_LIMIT: usize = 1_000_000;

/// Byte budget for a PR comment (GitHub's limit is 65,536 characters).
pub const COMMENT_LIMIT: usize = 60_000;

/// Escape text for a table cell or a line of Markdown: `|` and backslashes are escaped, `<`
/// and `>` become entities (no HTML, no comment markers), line breaks become spaces. Inline code
/// spans written by rule messages (`` `x` ``) are kept.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escape a multi-line block of Markdown written by ops (rule `why`): keeps line breaks and
/// Markdown, neutralises HTML so it cannot forge markers.
pub fn escape_block(s: &str) -> String {
    super::reflow(s).replace('<', "&lt;").replace('>', "&gt;")
}

/// Severity with an icon.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🛑 error",
        Severity::Warning => "⚠️ warning",
        Severity::Info => "ℹ️ info",
    }
}

/// `1 error, 2 warnings, 0 info`.
pub fn counts(errors: usize, warnings: usize, infos: usize) -> String {
    format!(
        "{errors} error{}, {warnings} warning{}, {infos} info",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    )
}

/// How a findings table links and annotates each row: `link` may turn a finding into a URL for
/// its location (a blob link at the PR head), `note` may add a remark after the location.
pub struct Rows<'a> {
    /// URL of a finding's location.
    pub link: &'a dyn Fn(&Diagnostic) -> Option<String>,
    /// Remark shown under the location (e.g. "outside the diff").
    pub note: &'a dyn Fn(&Diagnostic) -> Option<String>,
}

impl Rows<'_> {
    /// No links, no remarks.
    pub const PLAIN: Rows<'static> = Rows {
        link: &|_| None,
        note: &|_| None,
    };
}

/// A findings table. Rows are added while the table stays under `budget` bytes; the rest are
/// counted in a closing line. Returns the table and how many rows were left out.
pub fn findings_table(diags: &[&Diagnostic], rows: &Rows<'_>, budget: usize) -> (String, usize) {
    let mut out =
        String::from("| Severity | Rule | Location | Finding |\n| --- | --- | --- | --- |\n");
    let mut shown = 0;
    for d in diags {
        let l = &d.location;
        let place = format!("{}:{}", l.file(), l.start.line);
        let mut place = match (rows.link)(d) {
            Some(url) => format!("[`{}`]({url})", escape(&place).replace('`', "'")),
            None => format!("`{}`", escape(&place).replace('`', "'")),
        };
        if let Some(n) = (rows.note)(d) {
            place.push_str(&format!("<br><sub>{}</sub>", escape(&n)));
        }
        let row = format!(
            "| {} | `{}` | {place} | {} |\n",
            severity(d.severity),
            escape(&d.rule),
            escape(&d.message)
        );
        if out.len() + row.len() > budget {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    let hidden = diags.len() - shown;
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n_{hidden} more finding{} not shown._",
            if hidden == 1 { "" } else { "s" }
        );
    }
    (out, hidden)
}

/// Who owns a rule and how to reach them, as one Markdown line fragment.
pub fn owner_line(owner: Option<&str>, contact: Option<&str>) -> Option<String> {
    match (owner, contact) {
        (Some(o), Some(c)) => Some(format!("**Owner:** {} — {}", escape(o), escape(c))),
        (Some(o), None) => Some(format!("**Owner:** {}", escape(o))),
        (None, Some(c)) => Some(format!("**Contact:** {}", escape(c))),
        (None, None) => None,
    }
}

/// One collapsed section for a rule: why, what to do, owner, docs.
pub fn rule_details(r: &RuleInfo) -> String {
    let mut out = format!(
        "<details><summary><code>{}</code> — {}</summary>\n\n",
        escape(&r.id),
        escape(&r.title)
    );
    if !r.why.trim().is_empty() {
        let _ = writeln!(out, "**Why:** {}\n", escape_block(&r.why));
    }
    if !r.help.trim().is_empty() {
        let _ = writeln!(out, "**What to do:** {}\n", escape_block(&r.help));
    }
    if let Some(o) = owner_line(r.owner.as_deref(), r.contact.as_deref()) {
        let _ = writeln!(out, "{o}\n");
    }
    if let Some(d) = &r.docs {
        let _ = writeln!(out, "[Documentation]({})\n", d.replace(['(', ')', ' '], ""));
    }
    out.push_str("</details>\n");
    out
}

/// Render the report within `budget` bytes.
pub fn render(r: &Report<'_>, budget: usize) -> String {
    let s = r.summary;
    let mut out = format!("## accord: {}\n\n", counts(s.errors, s.warnings, s.infos));
    let _ = writeln!(
        out,
        "{} file{} · {} object{} · {} rule{}{}\n",
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.objects,
        if s.objects == 1 { "" } else { "s" },
        s.rules,
        if s.rules == 1 { "" } else { "s" },
        if s.fixable > 0 {
            format!(" · {} fixable with `accord lint --fix`", s.fixable)
        } else {
            String::new()
        }
    );
    for e in r.errors {
        let _ = writeln!(
            out,
            "- **cannot read** `{}`: {}",
            escape(&e.file).replace('`', "'"),
            escape(&e.message)
        );
    }
    if !r.errors.is_empty() {
        out.push('\n');
    }
    let mut waivers = crate::waiver::markdown_section(r.diagnostics);
    waivers.push_str(&crate::waiver::markdown_needs_approval(r.new_waivers));
    let all: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| !d.is_waived()).collect();
    if all.is_empty() {
        out.push_str("No findings. ✅\n");
        if !waivers.is_empty() && out.len() + waivers.len() < budget {
            out.push('\n');
            out.push_str(&waivers);
        }
        return out;
    }
    let details: String = r.rules_with_findings().iter().map(rule_details).collect();
    let reserve = details.len().min(budget / 4) + waivers.len().min(budget / 4) + 200;
    let (table, _) = findings_table(
        &all,
        &Rows::PLAIN,
        budget.saturating_sub(out.len() + reserve),
    );
    out.push_str(&table);
    if !waivers.is_empty() && out.len() + waivers.len() < budget {
        out.push('\n');
        out.push_str(&waivers);
    }
    if out.len() + details.len() + 20 <= budget {
        out.push_str("\n### Rules\n\n");
        out.push_str(&details);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn escapes_cells_and_markers() {
        assert_eq!(
            escape("a|b <!-- accord:summary -->\nc"),
            "a\\|b &lt;!-- accord:summary --&gt; c"
        );
    }

    #[test]
    fn renders_table_and_rule_details() {
        let (diags, summary, rules, files) = fixtures::sample();
        let report = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &[],
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let md = render(&report, JOB_SUMMARY_LIMIT);
        assert!(md.starts_with(&format!(
            "## accord: {}",
            counts(summary.errors, summary.warnings, summary.infos)
        )));
        let rows = md
            .lines()
            .filter(|l| l.starts_with("| 🛑") || l.starts_with("| ⚠️") || l.starts_with("| ℹ️"))
            .count();
        assert_eq!(rows, diags.len());
        assert!(md.contains("<details><summary><code>privileged-container</code> — Containers must not run privileged</summary>"));
        assert!(md.contains("[Documentation](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)"));
    }

    #[test]
    fn respects_the_budget() {
        let (diags, summary, rules, files) = fixtures::sample();
        let many: Vec<Diagnostic> = (0..500).flat_map(|_| diags.iter().cloned()).collect();
        let report = Report {
            diagnostics: &many,
            summary: &summary,
            errors: &[],
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let md = render(&report, 10_000);
        assert!(md.len() <= 10_000, "{}", md.len());
        assert!(md.contains("more findings not shown._"));
    }
}
