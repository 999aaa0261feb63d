//! The one finding type every part of accord produces, and its fix.
//!
//! A [`Diagnostic`] carries everything a reader needs — rule, severity, message, exact location,
//! the ops reason, who to ask and a machine-readable [`Fix`] — and never renders itself: every
//! output format lives in `render/`. Locations are resolved to line/column when the diagnostic is
//! built so that sorting and every emitter agree.

use crate::manifest::ObjectRef;
use crate::source::{Position, Source, Span};
use serde::Serialize;
use std::sync::Arc;

/// How serious a finding is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Must be fixed.
    Error,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A location in a file.
#[derive(Clone, Debug, Serialize)]
pub struct Location {
    /// The file.
    #[serde(skip)]
    pub source: Source,
    /// Byte range.
    #[serde(skip)]
    pub span: Span,
    /// Start (1-based).
    pub start: Position,
    /// End (1-based, exclusive column).
    pub end: Position,
}

impl Location {
    /// Resolve a span in `source`.
    pub fn new(source: &Source, span: Span) -> Self {
        Location {
            source: source.clone(),
            span,
            start: source.position(span.start()),
            end: source.position(span.end()),
        }
    }
    /// Display path of the file.
    pub fn file(&self) -> &str {
        &self.source.path
    }
    /// Point at `to` instead when pointing at `from` (the same file held another way: see
    /// [`crate::source::SourceFile::detach`]).
    pub fn rehome(&mut self, from: &Source, to: &Source) {
        if Arc::ptr_eq(&self.source, from) {
            self.source = to.clone();
        }
    }
}

/// A secondary location that helps explain a finding (a rule or config line, a first duplicate).
#[derive(Clone, Debug)]
pub struct Label {
    /// Where.
    pub location: Location,
    /// What is there.
    pub message: String,
}

/// Whether a fix may be applied without review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Keeps the intent; applied by `--fix`.
    Safe,
    /// Changes behaviour; shown, applied only on request.
    Unsafe,
    /// Cannot be expressed as a text edit here; shown only.
    DisplayOnly,
}

/// One structural change, as written in the rule (paths are JSON Pointers from the object root).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FixOp {
    /// `set`, `remove` or `add`.
    pub op: &'static str,
    /// Target path from the object root.
    pub path: String,
    /// New value for `set` / `add`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// A text replacement in the source file.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TextEdit {
    /// Byte range replaced.
    #[serde(skip)]
    pub span: Span,
    /// Start of the range.
    pub start: Position,
    /// End of the range.
    pub end: Position,
    /// Replacement text.
    pub content: String,
}

/// A fix: what to change, as data and as text edits.
#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    /// One line describing the change.
    pub title: String,
    /// Whether it may be applied automatically.
    pub applicability: Applicability,
    /// Structural operations.
    pub ops: Vec<FixOp>,
    /// The same change as text edits on the file (empty when it cannot be expressed).
    pub edits: Vec<TextEdit>,
}

/// A finding.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Rule id.
    pub rule: String,
    /// Severity (after config overrides).
    pub severity: Severity,
    /// Rule category.
    pub category: String,
    /// What is wrong, naming the object and quoting the value.
    pub message: String,
    /// Where.
    pub location: Location,
    /// JSON Pointer of the offending node inside the object (may name a missing field).
    pub path: String,
    /// `path` with list indices replaced by list keys (`/spec/containers[name=web]/image`, see
    /// [`crate::manifest::canon::keyed_path`]): the form fingerprints and the diff engine use, so
    /// a finding keeps its identity when list items are reordered.
    pub identity_path: String,
    /// The object, when the finding is about one.
    pub object: Option<Arc<ObjectRef>>,
    /// Why ops require this (shared by every finding of the rule).
    pub why: Arc<str>,
    /// What to do (shared by every finding of the rule).
    pub help: Arc<str>,
    /// Rule owner.
    pub owner: Option<String>,
    /// How to reach the owner.
    pub contact: Option<String>,
    /// Documentation link.
    pub docs: Option<Arc<str>>,
    /// Secondary locations.
    pub labels: Vec<Label>,
    /// Machine fix.
    pub fix: Option<Box<Fix>>,
    /// The waiver that matched this finding (in force, or expired and kept for its history).
    pub waiver: Option<Box<WaiverInfo>>,
    /// The dev team owning the file (CODEOWNERS), e.g. `@org/payments`.
    pub code_owner: Option<String>,
}

/// Where a waiver was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverSource {
    /// An `accord.dev/ignore` annotation on the object (written by its author).
    Annotation,
    /// An entry of the central waivers file (owned by ops).
    Central,
}

/// A waiver applied to a finding: who allowed the exception, why, until when, and where.
#[derive(Clone, Debug)]
pub struct WaiverInfo {
    /// Annotation or central file.
    pub source: WaiverSource,
    /// Why the exception is accepted.
    pub reason: String,
    /// Who approved it (central waivers).
    pub approved_by: Option<String>,
    /// Ticket link.
    pub ticket: Option<String>,
    /// Last day the waiver applies (`YYYY-MM-DD`), if it expires.
    pub expires: Option<String>,
    /// The annotation or waivers-file entry.
    pub location: Location,
    /// Expired: the finding is active again and the waiver is kept as history.
    pub expired: bool,
}

impl Diagnostic {
    /// [`Location::rehome`] every location of the finding.
    pub fn rehome(&mut self, from: &Source, to: &Source) {
        self.location.rehome(from, to);
        for l in &mut self.labels {
            l.location.rehome(from, to);
        }
        if let Some(w) = &mut self.waiver {
            w.location.rehome(from, to);
        }
    }

    /// Is the finding waived by a waiver in force (listed, but not counted toward failure)?
    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }

    /// A stable identity for this finding: 16 hex digits hashing the rule, the file, the object
    /// identity (group/kind/namespace/name, so an `apiVersion` bump keeps it) and
    /// [`identity_path`](Diagnostic::identity_path) — never line numbers, so the fingerprint
    /// survives edits elsewhere in the file. Findings not about an object (YAML syntax errors)
    /// hash their message instead. Used by SARIF `partialFingerprints`, GitLab Code Quality,
    /// the diff engine's introduced/unchanged/fixed split and the review bot's dedup markers.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv64::new();
        h.field("accord/v1");
        h.field(&self.rule);
        h.field(self.location.file());
        match &self.object {
            Some(o) => {
                h.field(&o.identity());
                h.field(&self.identity_path);
            }
            None => {
                h.field(&self.identity_path);
                h.field(&self.message);
            }
        }
        format!("{:016x}", h.finish())
    }

    /// Sort key: file, line, column, rule, path, message.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str, &str) {
        (
            self.location.file(),
            self.location.start.line,
            self.location.start.column,
            &self.rule,
            &self.path,
            &self.message,
        )
    }
}

/// Sort diagnostics into their canonical order and drop exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    if !diags.is_sorted_by(|a, b| a.sort_key() <= b.sort_key()) {
        // A diagnostic is large: sort their positions (stable, in parallel), then move each
        // diagnostic once, instead of moving diagnostics around while sorting.
        let mut order: Vec<usize> = (0..diags.len()).collect();
        order.par_sort_by(|&i, &j| diags[i].sort_key().cmp(&diags[j].sort_key()));
        permute(diags, order);
    }
    diags.dedup_by(|a, b| a.sort_key() == b.sort_key());
}

/// Reorder `items` in place so that position `k` holds what was at `order[k]` (`order` is a
/// permutation): each cycle of the permutation is walked once with swaps, so no second copy of
/// the (large) items is made. (The loader puts its per-file results in path order with it too.)
pub(crate) fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut k = start;
        while order[k] != k {
            let from = order[k];
            order[k] = k;
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

/// 64-bit FNV-1a: tiny, fast and fixed forever (unlike `std`'s `DefaultHasher`, whose output
/// may change between Rust releases), which is what a persisted fingerprint needs.
#[derive(Debug, Clone)]
pub struct Fnv64(u64);

impl Fnv64 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
    /// Hash raw bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// Hash a string followed by a separator byte, so `("ab","c")` and `("a","bc")` differ.
    pub fn field(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.write(&[0xff]);
    }
    /// The hash value.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

/// An input that could not be read at all (missing file, not UTF-8).
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    /// Display path.
    pub file: String,
    /// Why.
    pub message: String,
}

/// Rule id of the finding reporting a waiver that matches nothing.
pub const STALE_WAIVER: &str = "stale-waiver";

/// Counts for a run, shown by every report format.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Kubernetes objects checked.
    pub objects: usize,
    /// Rules run.
    pub rules: usize,
    /// Active findings in total (waived findings are counted in `waived` only).
    pub findings: usize,
    /// Active findings with severity error.
    pub errors: usize,
    /// Findings with severity warning.
    pub warnings: usize,
    /// Findings with severity info.
    pub infos: usize,
    /// Findings with a safe automatic fix.
    pub fixable: usize,
    /// Files skipped because they are Helm/Go templates.
    pub skipped_templates: usize,
    /// YAML documents skipped because they are not Kubernetes objects.
    pub skipped_non_kubernetes: usize,
    /// Objects not validated against a schema because they are kustomize patches.
    pub skipped_patches: usize,
    /// The Kubernetes version objects were validated against (absent when schemas are off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Inputs that could not be read.
    pub unreadable: usize,
    /// Findings waived by a waiver in force (listed, not counted above, never failing the run).
    pub waived: usize,
    /// Expired waivers that still match findings (those findings are active again).
    pub expired_waivers: usize,
    /// Waivers that match no finding (reported as `stale-waiver` findings).
    pub stale_waivers: usize,
}

/// How many distinct expired waivers (by file and position) `diags` carry: one waiver can have
/// expired on several findings.
pub fn distinct_expired_waivers<'d>(diags: impl IntoIterator<Item = &'d Diagnostic>) -> usize {
    let mut expired: Vec<(&str, usize)> = diags
        .into_iter()
        .filter_map(|d| d.waiver.as_ref().filter(|w| w.expired))
        .map(|w| (w.location.file(), w.location.span.start()))
        .collect();
    expired.sort_unstable();
    expired.dedup();
    expired.len()
}

impl Summary {
    /// Count findings by severity into the summary.
    pub fn count(&mut self, diags: &[Diagnostic]) {
        self.waived = diags.iter().filter(|d| d.is_waived()).count();
        self.expired_waivers = distinct_expired_waivers(diags);
        self.stale_waivers = diags.iter().filter(|d| d.rule == STALE_WAIVER).count();
        let diags: Vec<&Diagnostic> = diags.iter().filter(|d| !d.is_waived()).collect();
        self.findings = diags.len();
        self.errors = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        self.warnings = diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        self.infos = diags
            .iter()
            .filter(|d| d.severity == Severity::Info)
            .count();
        self.fixable = diags
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
            })
            .count();
    }
}

/// A text edit widened to whole lines: replace lines `start_line..=end_line` (1-based) of the
/// original with `new_lines` — the form GitHub suggestions and line diffs need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineReplacement {
    /// First replaced line.
    pub start_line: usize,
    /// Last replaced line (inclusive).
    pub end_line: usize,
    /// The original lines.
    pub old_lines: Vec<String>,
    /// The new lines.
    pub new_lines: Vec<String>,
}

/// Widen `edit` on `source` to whole lines.
pub fn line_replacement(source: &crate::source::SourceFile, edit: &TextEdit) -> LineReplacement {
    let text = &source.text;
    let start_line = source.lines.line_of(edit.span.start().min(text.len()));
    let mut end_line = source.lines.line_of(edit.span.end().min(text.len()));
    // An edit ending exactly at a line start (deleting whole lines) ends on the previous line.
    if end_line > start_line && source.lines.line_start(end_line) == edit.span.end() {
        end_line -= 1;
    }
    let from = source.lines.line_start(start_line);
    let to = if end_line < source.lines.line_count() {
        source.lines.line_start(end_line + 1)
    } else {
        text.len()
    };
    let old = &text[from..to];
    let new = format!(
        "{}{}{}",
        &text[from..edit.span.start()],
        edit.content,
        &text[edit.span.end().min(to).max(edit.span.start())..to]
    );
    let split = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect()
    };
    LineReplacement {
        start_line,
        end_line,
        old_lines: split(old),
        new_lines: split(&new),
    }
}

/// All `edits` of one fix on `source` widened to one whole-line replacement — the form a GitHub
/// suggestion block needs (it replaces exactly the commented line range). `None` when there are
/// no edits or they overlap.
pub fn lines_replacement(
    source: &crate::source::SourceFile,
    edits: &[TextEdit],
) -> Option<LineReplacement> {
    let text = &source.text;
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.span.start(), e.span.end()));
    let first = edits.first()?;
    if edits
        .windows(2)
        .any(|w| w[1].span.start() < w[0].span.end())
        || edits
            .iter()
            .any(|e| e.span.end() > text.len() || e.span.start() > e.span.end())
    {
        return None;
    }
    let last_end = edits.iter().map(|e| e.span.end()).max()?;
    let start_line = source.lines.line_of(first.span.start());
    let mut end_line = source.lines.line_of(last_end);
    if end_line > start_line && source.lines.line_start(end_line) == last_end {
        end_line -= 1;
    }
    let from = source.lines.line_start(start_line);
    let to = if end_line < source.lines.line_count() {
        source.lines.line_start(end_line + 1)
    } else {
        text.len()
    };
    let to = to.max(last_end);
    let mut new = String::new();
    let mut at = from;
    for e in &edits {
        new.push_str(text.get(at..e.span.start())?);
        new.push_str(&e.content);
        at = e.span.end();
    }
    new.push_str(text.get(at..to)?);
    let split = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect()
    };
    Some(LineReplacement {
        start_line,
        end_line,
        old_lines: split(&text[from..to]),
        new_lines: split(&new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn permute_applies_any_permutation_in_place() {
        // Every permutation of 6 items (cycles of every length, fixed points, the identity).
        fn perms(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![Vec::new()];
            }
            let mut out = Vec::new();
            for p in perms(n - 1) {
                for at in 0..=p.len() {
                    let mut q = p.clone();
                    q.insert(at, n - 1);
                    out.push(q);
                }
            }
            out
        }
        for order in perms(6) {
            let mut items: Vec<String> = (0..6).map(|i| format!("item{i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            permute(&mut items, order);
            assert_eq!(items, want);
        }
    }

    fn diag(file: &str, line_offset: usize, path: &str, ipath: &str) -> Diagnostic {
        let text = format!("{}kind: Pod\n", "\n".repeat(line_offset));
        let src = SourceFile::new(file, text);
        Diagnostic {
            rule: "r".into(),
            severity: Severity::Error,
            category: "security".into(),
            message: "m".into(),
            location: Location::new(&src, Span::new(line_offset, line_offset + 4)),
            path: path.into(),
            identity_path: ipath.into(),
            object: Some(Arc::new(ObjectRef {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: None,
                name: Some("p".into()),
            })),
            why: "".into(),
            help: "".into(),
            owner: None,
            contact: None,
            docs: None,
            labels: Vec::new(),
            fix: None,
            waiver: None,
            code_owner: None,
        }
    }

    #[test]
    fn fingerprint_ignores_lines_but_not_identity() {
        let a = diag(
            "a.yaml",
            0,
            "/spec/containers/0",
            "/spec/containers/[name=web]",
        );
        let moved = diag(
            "a.yaml",
            7,
            "/spec/containers/1",
            "/spec/containers/[name=web]",
        );
        assert_eq!(a.fingerprint(), moved.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
        assert_ne!(
            a.fingerprint(),
            diag(
                "b.yaml",
                0,
                "/spec/containers/0",
                "/spec/containers/[name=web]"
            )
            .fingerprint()
        );
        assert_ne!(
            a.fingerprint(),
            diag(
                "a.yaml",
                0,
                "/spec/containers/0",
                "/spec/containers/[name=db]"
            )
            .fingerprint()
        );
        let mut other_rule = a.clone();
        other_rule.rule = "s".into();
        assert_ne!(a.fingerprint(), other_rule.fingerprint());
        // apiVersion bumps keep the identity.
        let mut bumped = a.clone();
        Arc::make_mut(bumped.object.as_mut().unwrap()).api_version = "v2".into();
        assert_eq!(a.fingerprint(), bumped.fingerprint());
        // Fixed forever: a change here invalidates every posted review marker.
        let mut h = Fnv64::new();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }

    fn edit(src: &SourceFile, start: usize, end: usize, content: &str) -> TextEdit {
        TextEdit {
            span: Span::new(start, end),
            start: src.position(start),
            end: src.position(end),
            content: content.into(),
        }
    }

    #[test]
    fn lines_replacement_merges_edits_into_whole_lines() {
        let src = SourceFile::new("a.yaml", "a: 1\nb: 2\nc: 3\n");
        // Two edits on lines 1 and 2 become one replacement of lines 1-2.
        let r = lines_replacement(&src, &[edit(&src, 8, 9, "X"), edit(&src, 3, 4, "Y")]).unwrap();
        assert_eq!((r.start_line, r.end_line), (1, 2));
        assert_eq!(r.old_lines, vec!["a: 1", "b: 2"]);
        assert_eq!(r.new_lines, vec!["a: Y", "b: X"]);
        // Deleting a whole line ends on the line before the next one.
        let r = lines_replacement(&src, &[edit(&src, 5, 10, "")]).unwrap();
        assert_eq!((r.start_line, r.end_line), (2, 2));
        assert!(r.new_lines.is_empty());
        // Inserting lines keeps the line they are inserted into.
        let r = lines_replacement(&src, &[edit(&src, 10, 10, "z: 0\n")]).unwrap();
        assert_eq!((r.start_line, r.end_line), (3, 3));
        assert_eq!(r.new_lines, vec!["z: 0", "c: 3"]);
        assert!(lines_replacement(&src, &[edit(&src, 0, 4, ""), edit(&src, 2, 6, "")]).is_none());
        assert!(lines_replacement(&src, &[]).is_none());
    }
}
