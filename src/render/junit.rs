//! `--format junit`: JUnit XML, the test-report format every CI system reads.
//!
//! One `<testsuite>` per file read: each finding is a `<testcase>` (named `rule object`) with a
//! `<failure>` whose text repeats the location, since some readers (GitLab) ignore the `file`
//! and `line` attributes; a file without findings gets one passing test case, so clean files
//! count too. Unreadable inputs are `<error>` cases. No timings: output is byte-identical between
//! runs. A waived finding is a `<skipped>` case carrying the waiver's reason. XML special
//! characters are escaped and characters XML 1.0 forbids are dropped.

use super::Report;
use crate::diagnostic::Diagnostic;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escape text for XML content and attribute values, dropping characters XML 1.0 cannot carry.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `apps.web.deploy` for `apps/web/deploy.yaml`.
fn classname(file: &str) -> String {
    let stem = file
        .rsplit_once('.')
        .filter(|(s, ext)| !s.is_empty() && !ext.contains('/'))
        .map_or(file, |(s, _)| s);
    stem.trim_start_matches("./").replace(['/', '\\'], ".")
}

fn waived_case(d: &Diagnostic) -> String {
    let l = &d.location;
    let object = d
        .object
        .as_ref()
        .map(|o| format!(" {}", o.display()))
        .unwrap_or_default();
    let reason = d.waiver.as_ref().map(|w| w.reason.as_str()).unwrap_or("");
    format!(
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
        escape(&format!("{}{object}", d.rule)),
        escape(&classname(l.file())),
        escape(l.file()),
        l.start.line,
        escape(&format!("waived: {reason}")),
    )
}

fn case(d: &Diagnostic) -> String {
    if d.is_waived() {
        return waived_case(d);
    }
    let l = &d.location;
    let object = d
        .object
        .as_ref()
        .map(|o| format!(" {}", o.display()))
        .unwrap_or_default();
    let name = format!("{}{object}", d.rule);
    let mut text = format!(
        "{}:{}:{}: {}[{}] {}",
        l.file(),
        l.start.line,
        l.start.column,
        d.severity.as_str(),
        d.rule,
        d.message
    );
    if !d.path.is_empty() {
        let _ = write!(text, "\nat {}", d.path);
    }
    if !d.why.is_empty() {
        let _ = write!(text, "\nwhy: {}", super::reflow(&d.why));
    }
    if !d.help.is_empty() {
        let _ = write!(text, "\nhelp: {}", d.help.trim());
    }
    if let Some(o) = &d.owner {
        let _ = write!(
            text,
            "\nowner: {o}{}",
            d.contact
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
    }
    if let Some(docs) = &d.docs {
        let _ = write!(text, "\ndocs: {docs}");
    }
    format!(
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
        escape(&name),
        escape(&classname(l.file())),
        escape(l.file()),
        l.start.line,
        escape(&d.message),
        escape(&format!("{}:{}", d.severity.as_str(), d.rule)),
        escape(&text),
    )
}

/// Render the report.
pub fn render(r: &Report<'_>) -> String {
    let mut by_file: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for f in r.files {
        by_file.entry(f.as_str()).or_default();
    }
    for d in r.diagnostics {
        by_file.entry(d.location.file()).or_default().push(d);
    }
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (file, diags) in &by_file {
        let n = diags.len().max(1);
        let waived = diags.iter().filter(|d| d.is_waived()).count();
        tests += n;
        failures += diags.len() - waived;
        skipped += waived;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{f}\" tests=\"{n}\" failures=\"{}\" errors=\"0\" skipped=\"{waived}\" file=\"{f}\">",
            diags.len() - waived,
            f = escape(file)
        );
        if diags.is_empty() {
            let _ = writeln!(
                suites,
                "    <testcase name=\"accord\" classname=\"{}\" file=\"{}\"/>",
                escape(&classname(file)),
                escape(file)
            );
        }
        for d in diags {
            suites.push_str(&case(d));
        }
        suites.push_str("  </testsuite>\n");
    }
    for e in r.errors {
        tests += 1;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{f}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" file=\"{f}\">\n    <testcase name=\"read\" classname=\"{}\" file=\"{f}\">\n      <error message=\"{m}\" type=\"unreadable\">{m}</error>\n    </testcase>\n  </testsuite>",
            escape(&classname(&e.file)),
            f = escape(&e.file),
            m = escape(&format!("cannot read {}: {}", e.file, e.message)),
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"accord\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n",
        r.errors.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::InputError;
    use crate::render::fixtures;

    #[test]
    fn escapes_and_drops_forbidden_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\u{7}e\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;e\n"
        );
        assert_eq!(classname("apps/web/deploy.yaml"), "apps.web.deploy");
        assert_eq!(classname("./a.b/c"), "a.b.c");
    }

    #[test]
    fn one_suite_per_file_clean_files_pass() {
        let (diags, summary, rules, files) = fixtures::sample();
        let errors = vec![InputError {
            file: "gone.yaml".into(),
            message: "No such file".into(),
        }];
        let report = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &errors,
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let xml = render(&report);
        assert!(xml.contains(&format!(
            "<testsuites name=\"accord\" tests=\"{}\" failures=\"{}\" errors=\"1\" skipped=\"0\">",
            diags.len() + 2,
            diags.len()
        )));
        assert!(xml.contains("<testsuite name=\"apps/ok.yaml\" tests=\"1\" failures=\"0\""));
        assert!(
            xml.contains("<testcase name=\"accord\" classname=\"apps.ok\" file=\"apps/ok.yaml\"/>")
        );
        assert_eq!(xml.matches("<failure ").count(), diags.len());
        assert!(xml.contains("<testcase name=\"privileged-container Deployment shop/web\" classname=\"apps.web.deploy\""));
        assert!(xml.contains("<error message=\"cannot read gone.yaml: No such file\""));
        // Well-formed enough for a strict reader: every element opened is closed.
        assert_eq!(
            xml.matches("<testsuite ").count(),
            xml.matches("</testsuite>").count()
        );
    }
}
