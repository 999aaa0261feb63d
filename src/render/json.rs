//! `--format json`: the machine-readable report, described by `schemas/report.schema.json`
//! (generated from these types; a test fails when the committed copy is stale).

use super::Report;
use crate::diagnostic::{Diagnostic, InputError, Summary};
use schemars::JsonSchema;
use serde::Serialize;

/// The JSON report document.
#[derive(Serialize, JsonSchema)]
pub struct JsonReport<'a> {
    /// Format version.
    pub version: u32,
    /// Findings in (file, line, column, rule) order.
    #[schemars(with = "Vec<JsonFinding<'a>>")]
    pub findings: Findings<'a>,
    /// Counts.
    pub summary: &'a Summary,
    /// Inputs that could not be read at all.
    #[schemars(with = "Vec<JsonInputError>")]
    pub errors: &'a [InputError],
    /// Central waivers added in this change (with `lint --waivers-base`), needing approval.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub new_waivers: &'a [crate::waiver::NewWaiverNote],
}

/// The findings of a report, serialised one [`JsonFinding`] at a time ([`write`] renders them
/// in parallel in their place).
pub struct Findings<'a>(&'a [Diagnostic]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(finding))
    }
}

/// Findings per rendering task of [`write_findings`].
const CHUNK: usize = 4096;

/// Write `diagnostics` as the pretty-printed `findings` list of the report, exactly as
/// [`Findings`] serialises there: rendered in parallel, a chunk at a time, each finding straight
/// at its nesting level ([`Nested`]), and written in order.
fn write_findings(diagnostics: &[Diagnostic], w: &mut dyn std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    if diagnostics.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    for chunk in diagnostics.chunks(CHUNK) {
        let rendered: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|d| {
                let mut out = Vec::with_capacity(1024);
                out.extend_from_slice(b"\n    ");
                let mut ser = serde_json::Serializer::with_formatter(&mut out, Nested::at(2));
                finding(d)
                    .serialize(&mut ser)
                    .map_err(std::io::Error::other)?;
                Ok(out)
            })
            .collect::<std::io::Result<_>>()?;
        for (i, r) in rendered.iter().enumerate() {
            // Every finding but the very first follows a comma.
            if i > 0 || chunk.as_ptr() != diagnostics.as_ptr() {
                w.write_all(b",")?;
            }
            w.write_all(r)?;
        }
    }
    w.write_all(b"\n  ]")
}

/// serde_json's pretty printing (two-space indent), starting `level` levels deep: a finding
/// rendered on its own comes out as it reads inside the report.
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn at(level: usize) -> Self {
        Nested {
            level,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// An unreadable input.
#[derive(Serialize, JsonSchema)]
pub struct JsonInputError {
    /// Path relative to the working directory.
    pub file: String,
    /// Why it could not be read.
    pub message: String,
}

/// Identity of the object a finding is about.
#[derive(Serialize, JsonSchema)]
pub struct JsonObject<'a> {
    /// apiVersion.
    #[serde(rename = "apiVersion")]
    pub api_version: &'a str,
    /// kind.
    pub kind: &'a str,
    /// metadata.namespace (absent when not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
    /// metadata.name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

/// One finding.
#[derive(Serialize, JsonSchema)]
pub struct JsonFinding<'a> {
    /// Rule id.
    pub rule: &'a str,
    /// `error`, `warning` or `info`.
    pub severity: &'a str,
    /// Rule category.
    pub category: &'a str,
    /// What is wrong.
    pub message: &'a str,
    /// File, relative to the working directory, `/` separators.
    pub file: &'a str,
    /// 1-based start line.
    pub line: usize,
    /// 1-based start column (characters).
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive).
    pub end_column: usize,
    /// The object, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<JsonObject<'a>>,
    /// JSON Pointer of the offending node in the object (may name a missing field).
    pub path: &'a str,
    /// Why ops require this.
    pub why: &'a str,
    /// What to do.
    pub help: &'a str,
    /// Owning ops team.
    pub owner: Option<&'a str>,
    /// How to reach them.
    pub contact: Option<&'a str>,
    /// Documentation link.
    pub docs: Option<&'a str>,
    /// Machine fix.
    pub fix: Option<JsonFix<'a>>,
    /// Related locations.
    pub labels: Vec<JsonLabel<'a>>,
    /// Waived by a waiver in force: listed for review, not counted as a failure.
    pub waived: bool,
    /// The waiver that matched (in force, or expired — then the finding is active again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<JsonWaiver<'a>>,
    /// Dev team owning the file (CODEOWNERS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_owner: Option<&'a str>,
}

/// A waiver attached to a finding.
#[derive(Serialize, JsonSchema)]
pub struct JsonWaiver<'a> {
    /// `annotation` (on the object) or `central` (the waivers file).
    pub source: crate::diagnostic::WaiverSource,
    /// Why the exception is accepted.
    pub reason: &'a str,
    /// Who approved it.
    pub approved_by: Option<&'a str>,
    /// Ticket link.
    pub ticket: Option<&'a str>,
    /// Last day it applies (`YYYY-MM-DD`).
    pub expires: Option<&'a str>,
    /// It has expired: the finding is active again.
    pub expired: bool,
    /// File of the annotation or waivers-file entry.
    pub file: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A fix.
#[derive(Serialize, JsonSchema)]
pub struct JsonFix<'a> {
    /// What it changes.
    pub title: &'a str,
    /// `safe`, `unsafe` or `display-only`.
    pub applicability: &'a str,
    /// Structural operations (paths from the object root).
    pub operations: Vec<JsonFixOp<'a>>,
    /// Text edits on the file.
    pub edits: Vec<JsonEdit<'a>>,
}

/// A structural fix operation.
#[derive(Serialize, JsonSchema)]
pub struct JsonFixOp<'a> {
    /// `set`, `remove` or `add`.
    pub op: &'a str,
    /// JSON Pointer from the object root.
    pub path: &'a str,
    /// New value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a serde_json::Value>,
}

/// A text edit: replace the range with `content`.
#[derive(Serialize, JsonSchema)]
pub struct JsonEdit<'a> {
    /// 1-based start line.
    pub line: usize,
    /// 1-based start column.
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive).
    pub end_column: usize,
    /// Replacement text.
    pub content: &'a str,
}

/// A related location.
#[derive(Serialize, JsonSchema)]
pub struct JsonLabel<'a> {
    /// File.
    pub file: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is there.
    pub message: &'a str,
}

/// Convert one diagnostic.
pub fn finding(d: &Diagnostic) -> JsonFinding<'_> {
    JsonFinding {
        rule: &d.rule,
        severity: d.severity.as_str(),
        category: &d.category,
        message: &d.message,
        file: d.location.file(),
        line: d.location.start.line,
        column: d.location.start.column,
        end_line: d.location.end.line,
        end_column: d.location.end.column,
        object: d.object.as_ref().map(|o| JsonObject {
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: o.name.as_deref(),
        }),
        path: &d.path,
        why: &d.why,
        help: &d.help,
        owner: d.owner.as_deref(),
        contact: d.contact.as_deref(),
        docs: d.docs.as_deref(),
        fix: d.fix.as_ref().map(|f| JsonFix {
            title: &f.title,
            applicability: match f.applicability {
                crate::diagnostic::Applicability::Safe => "safe",
                crate::diagnostic::Applicability::Unsafe => "unsafe",
                crate::diagnostic::Applicability::DisplayOnly => "display-only",
            },
            operations: f
                .ops
                .iter()
                .map(|o| JsonFixOp {
                    op: o.op,
                    path: &o.path,
                    value: o.value.as_ref(),
                })
                .collect(),
            edits: f
                .edits
                .iter()
                .map(|e| JsonEdit {
                    line: e.start.line,
                    column: e.start.column,
                    end_line: e.end.line,
                    end_column: e.end.column,
                    content: &e.content,
                })
                .collect(),
        }),
        labels: d
            .labels
            .iter()
            .map(|l| JsonLabel {
                file: l.location.file(),
                line: l.location.start.line,
                column: l.location.start.column,
                message: &l.message,
            })
            .collect(),
        waived: d.is_waived(),
        waiver: d.waiver.as_ref().map(|w| JsonWaiver {
            source: w.source,
            reason: &w.reason,
            approved_by: w.approved_by.as_deref(),
            ticket: w.ticket.as_deref(),
            expires: w.expires.as_deref(),
            expired: w.expired,
            file: w.location.file(),
            line: w.location.start.line,
            column: w.location.start.column,
        }),
        code_owner: d.code_owner.as_deref(),
    }
}

/// Render the report as pretty JSON (with a trailing newline).
pub fn render(r: &Report<'_>) -> String {
    let mut out = Vec::new();
    write(r, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Write the report as pretty JSON (with a trailing newline) to `w`, finding by finding: a large
/// report is never held in memory as a whole.
pub fn write(r: &Report<'_>, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    // The report without its findings, pretty-printed by serde; the findings are written in
    // place of its empty list (the first `"findings": []`: only `version`, a number, precedes).
    let shell = JsonReport {
        version: 1,
        findings: Findings(&[]),
        summary: r.summary,
        errors: r.errors,
        new_waivers: r.new_waivers,
    };
    let shell = serde_json::to_string_pretty(&shell).map_err(std::io::Error::other)?;
    const EMPTY: &str = "\"findings\": []";
    let at = shell
        .find(EMPTY)
        .ok_or_else(|| std::io::Error::other("the JSON report has no findings list"))?;
    w.write_all(&shell.as_bytes()[..at + EMPTY.len() - 2])?;
    write_findings(r.diagnostics, w)?;
    w.write_all(&shell.as_bytes()[at + EMPTY.len()..])?;
    w.write_all(b"\n")
}

/// The JSON Schema of the report.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(JsonReport<'static>)).expect("schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report [`write`] streams is byte for byte what serde prints for the whole document,
    /// with no findings, one, and enough to span several rendering chunks.
    #[test]
    fn streamed_report_is_serdes_pretty_print() {
        let (diags, summary, rules, files) = crate::render::fixtures::sample();
        assert!(!diags.is_empty());
        let errors = vec![InputError {
            file: "broken.yaml".into(),
            message: "not valid UTF-8".into(),
        }];
        let many: Vec<Diagnostic> = diags.iter().cycle().take(2 * CHUNK + 3).cloned().collect();
        for list in [&[][..], &diags[..1], &many[..]] {
            let report = Report {
                diagnostics: list,
                summary: &summary,
                errors: &errors,
                new_waivers: &[],
                rules: &rules,
                files: &files,
            };
            let whole = JsonReport {
                version: 1,
                findings: Findings(list),
                summary: &summary,
                errors: &errors,
                new_waivers: &[],
            };
            let want = serde_json::to_string_pretty(&whole).expect("serialises") + "\n";
            assert_eq!(render(&report), want, "{} findings", list.len());
        }
    }
}
