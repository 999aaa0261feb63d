//! `--format gitlab`: a GitLab Code Quality report (`artifacts: reports: codequality:`).
//!
//! A JSON array of Code Climate issues. GitLab reads `description`, `check_name`,
//! `fingerprint`, `severity` and `location.path` / `location.lines.begin`; the MR widget
//! compares fingerprints between the target branch and the MR, so they must stay the same when
//! lines move — accord's [`Diagnostic::fingerprint`] does. The Code Climate fields GitLab ignores
//! (`type`, `categories`, `content`) are filled for other Code Climate readers. Waived findings
//! are accepted exceptions and left out.

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use serde_json::{Value, json};

/// Code Climate severity: `info`, `minor`, `major`, `critical` or `blocker`.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

fn category(d: &Diagnostic) -> &'static str {
    match d.category.as_str() {
        "security" => "Security",
        "input" => "Bug Risk",
        "resources" | "reliability" => "Performance",
        _ => "Style",
    }
}

/// One Code Quality issue.
pub fn issue(d: &Diagnostic) -> Value {
    let l = &d.location;
    let mut body = String::new();
    if !d.why.is_empty() {
        body.push_str(&format!("**Why:** {}\n\n", super::reflow(&d.why)));
    }
    if !d.help.is_empty() {
        body.push_str(&format!("**What to do:** {}\n\n", d.help.trim()));
    }
    if let Some(o) = &d.owner {
        body.push_str(&format!(
            "**Owner:** {o}{}\n\n",
            d.contact
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ));
    }
    if let Some(docs) = &d.docs {
        body.push_str(&format!("[Documentation]({docs})\n"));
    }
    json!({
        "type": "issue",
        "description": format!("[{}] {}", d.rule, d.message),
        "check_name": d.rule,
        "fingerprint": d.fingerprint(),
        "severity": severity(d.severity),
        "categories": [category(d)],
        "content": { "body": body.trim_end() },
        "location": { "path": l.file(), "lines": { "begin": l.start.line, "end": l.end.line.max(l.start.line) } },
    })
}

/// Render the report as a Code Quality JSON array.
pub fn render(r: &Report<'_>) -> String {
    let issues: Vec<Value> = r
        .diagnostics
        .iter()
        .filter(|d| !d.is_waived())
        .map(issue)
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).expect("serializable");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn issues_carry_the_fields_gitlab_reads() {
        let (diags, summary, rules, files) = fixtures::sample();
        let report = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &[],
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let v: Value = serde_json::from_str(&render(&report)).unwrap();
        let issues = v.as_array().unwrap();
        assert_eq!(issues.len(), diags.len());
        for (i, d) in issues.iter().zip(&diags) {
            assert_eq!(i["check_name"], d.rule.as_str());
            assert_eq!(i["fingerprint"], d.fingerprint());
            assert_eq!(i["location"]["path"], "apps/web/deploy.yaml");
            assert_eq!(i["location"]["lines"]["begin"], d.location.start.line);
            assert!(
                ["info", "minor", "major", "critical", "blocker"]
                    .contains(&i["severity"].as_str().unwrap())
            );
        }
        let mut fps: Vec<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        fps.sort_unstable();
        fps.dedup();
        assert_eq!(fps.len(), issues.len(), "fingerprints are unique");
    }
}
