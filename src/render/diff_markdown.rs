//! `accord diff --format markdown`: the body of a pull-request comment — summary counts, a table
//! of introduced findings with why and fix in collapsed details, the policy blast radius, and
//! pre-existing findings, fixed findings and object changes folded away.

use super::diff_text::{change_words, field_line, summary_line};
use crate::diagnostic::{Diagnostic, Severity};
use crate::diff::model::*;
use std::fmt::Write;

/// Most rows in a collapsed table before "… N more".
pub const MAX_ROWS: usize = 100;

/// Escape text for a table cell (pipes, newlines, HTML).
pub fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🔴 error",
        Severity::Warning => "🟠 warning",
        Severity::Info => "🔵 info",
    }
}

fn location(d: &Diagnostic) -> String {
    format!("`{}:{}`", cell(d.location.file()), d.location.start.line)
}

fn owner(d: &Diagnostic) -> String {
    match (&d.owner, &d.contact) {
        (Some(o), Some(c)) => format!("{} ({})", cell(o), cell(c)),
        (Some(o), None) => cell(o),
        (None, Some(c)) => cell(c),
        (None, None) => String::new(),
    }
}

fn table(out: &mut String, findings: &[&Finding], with_owner: bool) {
    if with_owner {
        out.push_str("| Severity | Rule | Location | Message | Owner |\n|---|---|---|---|---|\n");
    } else {
        out.push_str("| Severity | Rule | Location | Message |\n|---|---|---|---|\n");
    }
    for f in findings.iter().take(MAX_ROWS) {
        let d = &f.diagnostic;
        let _ = write!(
            out,
            "| {} | `{}` | {} | {} |",
            sev(d.severity),
            d.rule,
            location(d),
            cell(&d.message)
        );
        if with_owner {
            let _ = write!(out, " {} |", owner(d));
        }
        out.push('\n');
    }
    if findings.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more (see `accord diff --format json`).",
            findings.len() - MAX_ROWS
        );
    }
}

/// The findings not waived by a waiver in force.
fn active(v: &[Finding]) -> Vec<&Finding> {
    v.iter().filter(|f| !f.diagnostic.is_waived()).collect()
}

/// Render the PR comment body.
pub fn render(r: &DiffReport) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let title = if s.introduced == 0 {
        "✅ accord: no new findings".to_string()
    } else {
        format!(
            "❌ accord: {} new finding{}",
            s.introduced,
            if s.introduced == 1 { "" } else { "s" }
        )
    };
    let _ = writeln!(out, "### {title}\n");
    let _ = writeln!(
        out,
        "Comparing `{}` → `{}`.\n",
        cell(&r.base.label()),
        cell(&r.head.label())
    );
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(
        out,
        "| Introduced | **{}** ({} error, {} warning, {} info) |",
        s.introduced, s.introduced_errors, s.introduced_warnings, s.introduced_infos
    );
    let _ = writeln!(out, "| Pre-existing | {} |", s.unchanged);
    let _ = writeln!(out, "| Fixed | {} |", s.fixed);
    let _ = writeln!(
        out,
        "| Objects | {} added, {} removed, {} modified, {} moved, {} renamed |",
        s.added, s.removed, s.modified, s.moved, s.renamed
    );
    let _ = writeln!(out, "| Files changed | {} |", s.files);
    if s.policy_new > 0 {
        let _ = writeln!(
            out,
            "| Newly flagged by the rule change | {} |",
            s.policy_new
        );
    }
    if s.waived + s.expired_waivers + s.stale_waivers > 0 {
        let _ = writeln!(
            out,
            "| Waivers | {} waived, {} expired, {} stale |",
            s.waived, s.expired_waivers, s.stale_waivers
        );
    }
    if s.new_waivers > 0 {
        let _ = writeln!(
            out,
            "| Waivers added, needing approval | **{}** |",
            s.new_waivers
        );
    }
    out.push('\n');
    let introduced = active(&r.findings.introduced);
    if !introduced.is_empty() {
        out.push_str("#### Introduced findings\n\n");
        table(&mut out, &introduced, true);
        out.push('\n');
        for f in introduced.iter().take(MAX_ROWS) {
            let d = &f.diagnostic;
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code> at {}: {}</summary>\n",
                d.rule,
                cell(&format!("{}:{}", d.location.file(), d.location.start.line)),
                cell(&d.message)
            );
            if !d.why.is_empty() {
                let _ = writeln!(out, "**Why:** {}\n", d.why.replace('\n', " ").trim());
            }
            if !d.help.is_empty() {
                let _ = writeln!(out, "**What to do:** {}\n", d.help);
            }
            let who = owner(d);
            if !who.is_empty() {
                let _ = writeln!(out, "**Owner:** {who}\n");
            }
            if let Some(c) = &d.code_owner {
                let _ = writeln!(out, "**Code owner:** {}\n", cell(c));
            }
            if let Some(w) = d.waiver.as_ref().filter(|w| w.expired) {
                let _ = writeln!(
                    out,
                    "**Waiver expired:** {}\n",
                    cell(&super::text::waiver_text(w))
                );
            }
            if let Some(docs) = &d.docs {
                let _ = writeln!(out, "**Docs:** {docs}\n");
            }
            if let (Some(fx), Some(p)) = (&d.fix, &f.patch) {
                let _ = writeln!(out, "**Fix:** {}\n\n```diff\n{}```\n", fx.title, p);
            }
            out.push_str("</details>\n\n");
        }
    }
    // Waived findings (and expired waivers) are listed with reason and approver, never dropped.
    let at_head: Vec<crate::diagnostic::Diagnostic> = r
        .findings
        .introduced
        .iter()
        .chain(&r.findings.unchanged)
        .map(|f| f.diagnostic.clone())
        .collect();
    out.push_str(&crate::waiver::markdown_section(&at_head).replace("### ", "#### "));
    out.push_str(&crate::waiver::markdown_needs_approval(&r.new_waivers).replace("### ", "#### "));
    if let Some(pc) = &r.policy {
        out.push_str("#### Policy change\n\n");
        for (what, list) in [
            ("Added", &pc.rules_added),
            ("Removed", &pc.rules_removed),
            ("Changed", &pc.rules_changed),
        ] {
            if !list.is_empty() {
                let _ = writeln!(
                    out,
                    "- {what} rules: {}",
                    list.iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        if pc.filter_changed {
            out.push_str("- The include/exclude globs changed.\n");
        }
        for i in &pc.impact {
            let _ = writeln!(
                out,
                "- This rule change makes `{}` newly flag **{} object{}** in **{} file{}**.",
                i.rule,
                i.objects,
                if i.objects == 1 { "" } else { "s" },
                i.files,
                if i.files == 1 { "" } else { "s" }
            );
        }
        if !pc.newly_flagged.is_empty() {
            let _ = writeln!(
                out,
                "\n<details><summary>{} finding(s) newly raised by the rule change</summary>\n",
                pc.newly_flagged.len()
            );
            table(&mut out, &active(&pc.newly_flagged), true);
            out.push_str("\n</details>\n");
        }
        if !pc.no_longer_flagged.is_empty() {
            let _ = writeln!(
                out,
                "\n<details><summary>{} finding(s) no longer raised after the rule change</summary>\n",
                pc.no_longer_flagged.len()
            );
            table(
                &mut out,
                &pc.no_longer_flagged.iter().collect::<Vec<_>>(),
                false,
            );
            out.push_str("\n</details>\n");
        }
        out.push('\n');
    }
    let unchanged = active(&r.findings.unchanged);
    if !unchanged.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} pre-existing finding(s), not introduced by this change</summary>\n",
            unchanged.len()
        );
        table(&mut out, &unchanged, true);
        out.push_str("\n</details>\n\n");
    }
    if !r.findings.fixed.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} finding(s) fixed by this change 🎉</summary>\n",
            r.findings.fixed.len()
        );
        table(
            &mut out,
            &r.findings.fixed.iter().collect::<Vec<_>>(),
            false,
        );
        out.push_str("\n</details>\n\n");
    }
    if !r.objects.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} object change(s)</summary>\n",
            r.objects.len()
        );
        for c in r.objects.iter().take(MAX_ROWS) {
            let (_, verb, detail) = change_words(c);
            let _ = writeln!(
                out,
                "- **{verb}** `{}` — {}",
                cell(&c.id.display()),
                cell(&detail)
            );
            for f in c.fields.iter().take(super::diff_text::MAX_FIELDS) {
                let _ = writeln!(out, "  - `{}`", field_line(f).replace('`', "'"));
            }
            if c.fields.len() > super::diff_text::MAX_FIELDS {
                let _ = writeln!(
                    out,
                    "  - … {} more",
                    c.fields.len() - super::diff_text::MAX_FIELDS
                );
            }
        }
        if r.objects.len() > MAX_ROWS {
            let _ = writeln!(out, "- … and {} more", r.objects.len() - MAX_ROWS);
        }
        out.push_str("\n</details>\n\n");
    }
    for e in &r.errors {
        let _ = writeln!(
            out,
            "> ⚠️ cannot read `{}`: {}",
            cell(&e.file),
            cell(&e.message)
        );
    }
    let _ = writeln!(out, "<sub>{}</sub>", cell(&summary_line(r)));
    out
}
