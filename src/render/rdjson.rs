//! `--format rdjson` / `--format rdjsonl`: reviewdog's diagnostic format, so every reporter
//! reviewdog has (Gitea, Bitbucket, Gerrit, GitLab discussions, …) can post accord's findings.
//!
//! Positions are 1-based with columns counted in UTF-8 bytes and an exclusive end, as reviewdog
//! specifies. A fix becomes one *line-wise* suggestion (positions without columns replace whole
//! lines, end line included): reviewdog only posts a suggestion whose range equals the
//! comment's, and whole lines are what a GitHub suggestion block replaces. Waived findings are
//! left out.

use super::{Report, byte_columns};
use crate::diagnostic::{Diagnostic, Severity, lines_replacement};
use serde_json::{Value, json};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

/// One reviewdog `Diagnostic`.
pub fn diagnostic(d: &Diagnostic) -> Value {
    let l = &d.location;
    let (col, end_col) = byte_columns(d);
    let mut message = d.message.clone();
    if !d.help.is_empty() {
        message.push_str("\n\n");
        message.push_str(d.help.trim());
    }
    let mut v = json!({
        "message": message,
        "location": {
            "path": l.file(),
            "range": {
                "start": { "line": l.start.line, "column": col },
                "end": { "line": l.end.line.max(l.start.line), "column": if l.end.line > l.start.line { end_col } else { end_col.max(col) } },
            },
        },
        "severity": severity(d.severity),
        "source": { "name": "accord" },
        "code": { "value": d.rule },
    });
    if let Some(docs) = &d.docs {
        v["code"]["url"] = json!(docs.as_ref());
    }
    if let Some(r) = d
        .fix
        .as_ref()
        .and_then(|f| lines_replacement(&l.source, &f.edits))
    {
        v["suggestions"] = json!([{
            "range": { "start": { "line": r.start_line }, "end": { "line": r.end_line } },
            "text": r.new_lines.join("\n"),
        }]);
    }
    if !d.labels.is_empty() {
        v["related_locations"] = Value::Array(
            d.labels
                .iter()
                .map(|lb| {
                    json!({
                        "message": lb.message,
                        "location": { "path": lb.location.file(), "range": { "start": { "line": lb.location.start.line } } },
                    })
                })
                .collect(),
        );
    }
    v
}

/// `rdjson`: one `DiagnosticResult` document.
pub fn render(r: &Report<'_>) -> String {
    let doc = json!({
        "source": { "name": "accord" },
        "diagnostics": r.diagnostics.iter().filter(|d| !d.is_waived()).map(diagnostic).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serializable");
    s.push('\n');
    s
}

/// `rdjsonl`: one diagnostic per line.
pub fn render_lines(r: &Report<'_>) -> String {
    r.diagnostics
        .iter()
        .filter(|d| !d.is_waived())
        .map(|d| serde_json::to_string(&diagnostic(d)).expect("serializable") + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;
    use crate::source::SourceFile;

    #[test]
    fn columns_are_utf8_bytes_and_fixes_are_line_suggestions() {
        let (diags, summary, rules, files) = fixtures::sample();
        let report = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &[],
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let lines = render_lines(&report);
        assert_eq!(lines.lines().count(), diags.len());
        let docs: Vec<Value> = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let p = docs
            .iter()
            .find(|v| v["code"]["value"] == "privileged-container")
            .unwrap();
        assert_eq!(p["severity"], "ERROR");
        let line = p["location"]["range"]["start"]["line"].as_u64().unwrap();
        assert_eq!(p["suggestions"][0]["range"]["start"]["line"], line);
        assert_eq!(p["suggestions"][0]["text"], "            privileged: false");
        let whole: Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(whole["diagnostics"].as_array().unwrap().len(), diags.len());
        // A multi-byte character before the node: byte columns differ from character columns.
        let src = SourceFile::new("x.yaml", "é: [a]\n");
        let mut d = diags[0].clone();
        d.location = crate::diagnostic::Location::new(&src, crate::source::Span::new(5, 6));
        assert_eq!(d.location.start.column, 5);
        assert_eq!(byte_columns(&d), (6, 7));
    }
}
