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

/// The findings of a report, serialised one [`JsonFinding`] at a time.
pub struct Findings<'a>(&'a [Diagnostic]);

impl Serialize for Findings<'_> {
    /// Findings are rendered in parallel, a few thousand at a time, each already indented for
    /// its place in the pretty-printed report (JSON strings hold no raw line breaks, so indenting
    /// is inserting spaces after each one), and written in order as raw JSON.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use rayon::prelude::*;
        use serde::ser::{Error, SerializeSeq};
        const CHUNK: usize = 4096;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for chunk in self.0.chunks(CHUNK) {
            let rendered: Vec<Result<Box<serde_json::value::RawValue>, serde_json::Error>> = chunk
                .par_iter()
                .map(|d| {
                    let text = serde_json::to_string_pretty(&finding(d))?;
                    serde_json::value::RawValue::from_string(text.replace('\n', "\n    "))
                })
                .collect();
            for r in rendered {
                seq.serialize_element(&r.map_err(S::Error::custom)?)?;
            }
        }
        seq.end()
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
    let doc = JsonReport {
        version: 1,
        findings: Findings(r.diagnostics),
        summary: r.summary,
        errors: r.errors,
        new_waivers: r.new_waivers,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

/// The JSON Schema of the report.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(JsonReport<'static>)).expect("schema")
}
