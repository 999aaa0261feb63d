//! The diff result as plain data: object changes, field changes, the finding delta, the policy
//! blast radius and annotated text hunks. Nothing here renders itself; `render/diff_*.rs` do.

use crate::diagnostic::{Diagnostic, InputError, Severity};
use crate::load::git::RevInfo;
use crate::manifest::ObjectRef;

/// What happened to an object between BASE and HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Only at HEAD.
    Added,
    /// Only at BASE.
    Removed,
    /// Same identity, different content (possibly also in another file: see [`ObjectChange::moved`]).
    Modified,
    /// Same identity and content, another file.
    Moved,
    /// Same content, new name.
    Renamed,
}

impl ChangeKind {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
            ChangeKind::Moved => "moved",
            ChangeKind::Renamed => "renamed",
        }
    }
}

/// Where one version of an object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSide {
    /// Identity of this version.
    pub id: ObjectRef,
    /// File, from the repository root.
    pub file: String,
    /// 1-based line where the object starts.
    pub line: usize,
    /// For an object rendered from a kustomization: the kustomization directory (`file` and
    /// `line` are then where the object was defined — its base resource, or the kustomization
    /// of a generator).
    pub overlay: Option<String>,
}

/// What happened to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldChangeKind {
    /// Present only at HEAD.
    Added,
    /// Present only at BASE.
    Removed,
    /// Present at both with different values.
    Changed,
}

impl FieldChangeKind {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldChangeKind::Added => "added",
            FieldChangeKind::Removed => "removed",
            FieldChangeKind::Changed => "changed",
        }
    }
}

/// A change to one field of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// Path from the object root with list keys (`/spec/template/spec/containers[name=web]/image`).
    pub path: String,
    /// Added, removed or changed.
    pub kind: FieldChangeKind,
    /// BASE value (Secret data is `"<redacted>"`).
    pub old: Option<serde_json::Value>,
    /// HEAD value (Secret data is `"<redacted>"`).
    pub new: Option<serde_json::Value>,
    /// 1-based line of the BASE value.
    pub old_line: Option<usize>,
    /// 1-based line of the HEAD value.
    pub new_line: Option<usize>,
    /// The file of `old_line` when it is not the object's own text (rendered objects: the base,
    /// patch or kustomization that set the value).
    pub old_file: Option<String>,
    /// The file of `new_line`, likewise.
    pub new_file: Option<String>,
}

/// A change to one object, matched by identity (API group, kind, namespace, name), never by file.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    /// Identity (HEAD's, or BASE's for removed objects).
    pub id: ObjectRef,
    /// What happened.
    pub kind: ChangeKind,
    /// The BASE version.
    pub old: Option<ObjectSide>,
    /// The HEAD version.
    pub new: Option<ObjectSide>,
    /// Field changes (empty for added, removed and moved objects).
    pub fields: Vec<FieldChange>,
}

impl ObjectChange {
    /// Did the object change files?
    pub fn moved(&self) -> bool {
        matches!((&self.old, &self.new), (Some(o), Some(n)) if o.file != n.file)
    }
    /// The file to show it under (HEAD's, else BASE's).
    pub fn file(&self) -> &str {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .map_or("", |s| s.file.as_str())
    }
}

/// Which revision a finding was found at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// At BASE (fixed findings; findings about removed objects).
    Base,
    /// At HEAD.
    Head,
}

/// What identifies a finding across revisions: never its line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingKey {
    /// Object identity (`group/Kind/namespace/name`), or `file:<path>` for file-level findings.
    pub object: String,
    /// Rule id.
    pub rule: String,
    /// Path inside the object with list keys instead of indices.
    pub path: String,
}

/// A finding in a diff.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The full finding (its location is at [`Finding::side`]).
    pub diagnostic: Diagnostic,
    /// Where it was found.
    pub side: Side,
    /// How it was matched.
    pub key: FindingKey,
    /// The fix as a patch that `git apply` accepts (`--- a/… +++ b/… @@ …`), when it has edits.
    pub patch: Option<String>,
}

/// Findings classified by what the change did to them.
#[derive(Debug, Clone, Default)]
pub struct FindingDelta {
    /// At HEAD, not at BASE: the change brought them in.
    pub introduced: Vec<Finding>,
    /// At both: pre-existing.
    pub unchanged: Vec<Finding>,
    /// At BASE, gone at HEAD.
    pub fixed: Vec<Finding>,
}

/// How many objects and files one rule change newly flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleImpact {
    /// Rule id.
    pub rule: String,
    /// Objects newly flagged.
    pub objects: usize,
    /// Files they are in.
    pub files: usize,
    /// Findings newly flagged.
    pub findings: usize,
}

/// What changed in the rules or config between BASE and HEAD, and what that does to the
/// repository as it was: findings the HEAD rules raise on BASE objects that the BASE rules did
/// not, and the reverse.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    /// Rules active at HEAD only.
    pub rules_added: Vec<String>,
    /// Rules active at BASE only.
    pub rules_removed: Vec<String>,
    /// Rules active at both whose file, severity or owner differ.
    pub rules_changed: Vec<String>,
    /// Did the config's include/exclude globs change?
    pub filter_changed: bool,
    /// Findings at HEAD caused by the rule change on objects that exist at BASE.
    pub newly_flagged: Vec<Finding>,
    /// Findings at BASE that the rule change (not the manifests) made go away.
    pub no_longer_flagged: Vec<Finding>,
    /// Per rule: what it newly flags.
    pub impact: Vec<RuleImpact>,
}

/// The status of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Only at HEAD.
    Added,
    /// Only at BASE.
    Deleted,
    /// At both.
    Modified,
    /// Moved from [`FileDiff::old_path`] (its objects went with it).
    Renamed,
}

impl FileStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Deleted => "deleted",
            FileStatus::Modified => "modified",
            FileStatus::Renamed => "renamed",
        }
    }
}

/// How a line of a hunk changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTag {
    /// Unchanged context.
    Context,
    /// Only at BASE.
    Removed,
    /// Only at HEAD.
    Added,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffLine {
    /// How it changed.
    pub tag: LineTag,
    /// 1-based BASE line number.
    pub old_line: Option<usize>,
    /// 1-based HEAD line number.
    pub new_line: Option<usize>,
    /// The text, without its line terminator (Secret data redacted).
    pub text: String,
    /// Findings printed under this line: indices into [`FindingDelta::introduced`].
    pub annotations: Vec<usize>,
}

/// A unified-diff hunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Hunk {
    /// First BASE line (1-based; the line before when `old_len` is 0).
    pub old_start: usize,
    /// BASE lines covered.
    pub old_len: usize,
    /// First HEAD line (1-based; the line before when `new_len` is 0).
    pub new_start: usize,
    /// HEAD lines covered.
    pub new_len: usize,
    /// The lines.
    pub lines: Vec<DiffLine>,
}

/// The text diff of one changed file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiff {
    /// Path at HEAD (at BASE for deleted files), from the repository root.
    pub path: String,
    /// Path at BASE when it differs (renamed files).
    pub old_path: Option<String>,
    /// What happened to the file.
    pub status: FileStatus,
    /// Hunks, in order.
    pub hunks: Vec<Hunk>,
    /// Added or rewritten HEAD lines as inclusive 1-based ranges — where a PR comment may point.
    pub changed_lines: Vec<(usize, usize)>,
}

/// Counts for a diff (the `summary` of `accord diff --format json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DiffSummary {
    /// Manifest files changed.
    pub files: usize,
    /// Objects at HEAD.
    pub objects: usize,
    /// Rules run at HEAD.
    pub rules: usize,
    /// Objects added.
    pub added: usize,
    /// Objects removed.
    pub removed: usize,
    /// Objects modified.
    pub modified: usize,
    /// Objects moved without change.
    pub moved: usize,
    /// Objects renamed.
    pub renamed: usize,
    /// Findings introduced (not counting waived ones).
    pub introduced: usize,
    /// Active introduced findings by severity: errors.
    pub introduced_errors: usize,
    /// Introduced findings by severity: warnings.
    pub introduced_warnings: usize,
    /// Introduced findings by severity: infos.
    pub introduced_infos: usize,
    /// Pre-existing findings (not counting waived ones).
    pub unchanged: usize,
    /// Findings fixed.
    pub fixed: usize,
    /// Findings newly raised by a rule change (not counting waived ones).
    pub policy_new: usize,
    /// Findings at HEAD (introduced or pre-existing) waived by a waiver in force: listed in the
    /// buckets with `waived: true`, never failing, not counted in `introduced`, `unchanged` or
    /// `policy_new`.
    pub waived: usize,
    /// Expired waivers still matching findings at HEAD (those findings are active again).
    pub expired_waivers: usize,
    /// Waivers at HEAD that match nothing (`stale-waiver` findings).
    pub stale_waivers: usize,
    /// Waivers the change adds or changes, each needing approval.
    pub new_waivers: usize,
}

/// Everything `accord diff` knows about a change — what a PR bot needs.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The BASE revision.
    pub base: RevInfo,
    /// The HEAD revision.
    pub head: RevInfo,
    /// Object changes, by file and line.
    pub objects: Vec<ObjectChange>,
    /// The finding delta.
    pub findings: FindingDelta,
    /// The rule/config change and its blast radius, when rules or config differ.
    pub policy: Option<PolicyChange>,
    /// Text diffs of the changed manifest files, annotated with introduced findings.
    pub files: Vec<FileDiff>,
    /// Counts.
    pub summary: DiffSummary,
    /// Files that could not be read (at either revision).
    pub errors: Vec<InputError>,
    /// The `fail-on` severity of the config at HEAD, if it sets one.
    pub fail_on: Option<crate::config::FailOn>,
    /// Waivers the change adds or changes (annotations and central entries), with who must
    /// approve each.
    pub new_waivers: Vec<crate::waiver::NewWaiverNote>,
}

impl DiffReport {
    /// Introduced findings at or above `threshold` (waived ones do not count).
    pub fn introduced_at_least(&self, threshold: Severity) -> usize {
        self.findings
            .introduced
            .iter()
            .filter(|f| f.diagnostic.severity >= threshold && !f.diagnostic.is_waived())
            .count()
    }
    /// The changed file at `path` (HEAD path, or BASE path of a deleted or renamed file).
    pub fn file(&self, path: &str) -> Option<&FileDiff> {
        self.files.iter().find(|f| f.path == path).or_else(|| {
            self.files
                .iter()
                .find(|f| f.old_path.as_deref() == Some(path))
        })
    }
}
