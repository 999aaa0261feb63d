//! `accord diff --format json`: the whole [`DiffReport`] for machines — object and field changes,
//! the finding delta (each finding in the same shape as `lint --format json`, plus its side,
//! matching key and fix patch), the policy blast radius, and per-file hunks with the lines a
//! PR comment may point at.

use super::json::{JsonFinding, finding};
use crate::diff::model::*;
use crate::load::git::RevInfo;
use serde::Serialize;

/// The JSON diff document.
#[derive(Serialize)]
pub struct JsonDiff<'a> {
    /// Format version.
    pub version: u32,
    /// BASE revision.
    pub base: JsonRev<'a>,
    /// HEAD revision.
    pub head: JsonRev<'a>,
    /// Counts.
    pub summary: &'a crate::diff::model::DiffSummary,
    /// Object changes.
    pub objects: Vec<JsonObjectChange<'a>>,
    /// The finding delta.
    pub findings: JsonDelta<'a>,
    /// Rule/config change and its blast radius (`null` when the rules are the same).
    pub policy: Option<JsonPolicy<'a>>,
    /// Changed files with annotated hunks.
    pub files: Vec<JsonFile<'a>>,
    /// Unreadable files.
    pub errors: Vec<JsonError<'a>>,
    /// Waivers the change adds or changes (annotations and central entries), each with who must
    /// approve it.
    pub new_waivers: &'a [crate::waiver::NewWaiverNote],
}

/// A revision.
#[derive(Serialize)]
pub struct JsonRev<'a> {
    /// As given.
    pub spec: &'a str,
    /// Commit id (`null`: the working tree).
    pub commit: Option<&'a str>,
    /// Commit subject.
    pub summary: Option<&'a str>,
}

/// An object identity.
#[derive(Serialize)]
pub struct JsonId<'a> {
    /// apiVersion.
    #[serde(rename = "apiVersion")]
    pub api_version: &'a str,
    /// kind.
    pub kind: &'a str,
    /// namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
    /// name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

/// Where a version of an object is.
#[derive(Serialize)]
pub struct JsonSide<'a> {
    /// Identity of that version.
    pub object: JsonId<'a>,
    /// File.
    pub file: &'a str,
    /// 1-based line.
    pub line: usize,
    /// The kustomization directory the object was rendered from (`file`/`line`: where it was
    /// defined).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay: Option<&'a str>,
}

/// A field change.
#[derive(Serialize)]
pub struct JsonField<'a> {
    /// Path with list keys.
    pub path: &'a str,
    /// `added`, `removed`, `changed`.
    pub change: &'a str,
    /// BASE value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<&'a serde_json::Value>,
    /// HEAD value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<&'a serde_json::Value>,
    /// BASE line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_line: Option<usize>,
    /// HEAD line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_line: Option<usize>,
    /// File of `old_line` when not the object's own (rendered objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_file: Option<&'a str>,
    /// File of `new_line` when not the object's own (rendered objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_file: Option<&'a str>,
}

/// An object change.
#[derive(Serialize)]
pub struct JsonObjectChange<'a> {
    /// `added`, `removed`, `modified`, `moved`, `renamed`.
    pub change: &'a str,
    /// Identity.
    pub object: JsonId<'a>,
    /// Did it change files?
    pub moved: bool,
    /// BASE version.
    pub old: Option<JsonSide<'a>>,
    /// HEAD version.
    pub new: Option<JsonSide<'a>>,
    /// Field changes.
    pub fields: Vec<JsonField<'a>>,
}

/// A finding in a diff.
#[derive(Serialize)]
pub struct JsonDiffFinding<'a> {
    /// The finding, as in `lint --format json`.
    #[serde(flatten)]
    pub finding: JsonFinding<'a>,
    /// `head` or `base`: which revision `file`/`line` refer to.
    pub side: &'a str,
    /// How it was matched across revisions.
    pub key: JsonKey<'a>,
    /// The fix as a patch for `git apply`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<&'a str>,
}

/// A finding's matching key.
#[derive(Serialize)]
pub struct JsonKey<'a> {
    /// Object identity.
    pub object: &'a str,
    /// Rule id.
    pub rule: &'a str,
    /// Path with list keys.
    pub path: &'a str,
}

/// The finding delta.
#[derive(Serialize)]
pub struct JsonDelta<'a> {
    /// Brought in by the change.
    pub introduced: Vec<JsonDiffFinding<'a>>,
    /// Pre-existing.
    pub unchanged: Vec<JsonDiffFinding<'a>>,
    /// Fixed by the change.
    pub fixed: Vec<JsonDiffFinding<'a>>,
}

/// One rule's blast radius.
#[derive(Serialize)]
pub struct JsonImpact<'a> {
    /// Rule id.
    pub rule: &'a str,
    /// Objects newly flagged.
    pub objects: usize,
    /// Files.
    pub files: usize,
    /// Findings.
    pub findings: usize,
}

/// The policy change.
#[derive(Serialize)]
pub struct JsonPolicy<'a> {
    /// Rules only at HEAD.
    pub rules_added: &'a [String],
    /// Rules only at BASE.
    pub rules_removed: &'a [String],
    /// Rules that differ.
    pub rules_changed: &'a [String],
    /// Include/exclude globs changed.
    pub filter_changed: bool,
    /// Per rule.
    pub impact: Vec<JsonImpact<'a>>,
    /// Findings caused by the rule change.
    pub newly_flagged: Vec<JsonDiffFinding<'a>>,
    /// Findings the rule change removed.
    pub no_longer_flagged: Vec<JsonDiffFinding<'a>>,
}

/// A hunk line.
#[derive(Serialize)]
pub struct JsonLine<'a> {
    /// ` `, `+` or `-`.
    pub tag: &'a str,
    /// BASE line number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_line: Option<usize>,
    /// HEAD line number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_line: Option<usize>,
    /// Text.
    pub text: &'a str,
    /// Indices into `findings.introduced` shown under this line.
    #[serde(skip_serializing_if = "<[usize]>::is_empty")]
    pub findings: &'a [usize],
}

/// A hunk.
#[derive(Serialize)]
pub struct JsonHunk<'a> {
    /// First BASE line.
    pub old_start: usize,
    /// BASE lines.
    pub old_len: usize,
    /// First HEAD line.
    pub new_start: usize,
    /// HEAD lines.
    pub new_len: usize,
    /// Lines.
    pub lines: Vec<JsonLine<'a>>,
}

/// A changed file.
#[derive(Serialize)]
pub struct JsonFile<'a> {
    /// Path (HEAD's; BASE's when deleted).
    pub path: &'a str,
    /// BASE path of a renamed file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<&'a str>,
    /// `added`, `deleted`, `modified`, `renamed`.
    pub status: &'a str,
    /// Added or rewritten HEAD lines, inclusive ranges.
    pub changed_lines: &'a [(usize, usize)],
    /// Hunks.
    pub hunks: Vec<JsonHunk<'a>>,
}

/// An unreadable file.
#[derive(Serialize)]
pub struct JsonError<'a> {
    /// File.
    pub file: &'a str,
    /// Why.
    pub message: &'a str,
}

fn rev(r: &RevInfo) -> JsonRev<'_> {
    JsonRev {
        spec: &r.spec,
        commit: r.commit.as_deref(),
        summary: r.summary.as_deref(),
    }
}

fn id(o: &crate::manifest::ObjectRef) -> JsonId<'_> {
    JsonId {
        api_version: &o.api_version,
        kind: &o.kind,
        namespace: o.namespace.as_deref(),
        name: o.name.as_deref(),
    }
}

fn side(s: &ObjectSide) -> JsonSide<'_> {
    JsonSide {
        object: id(&s.id),
        file: &s.file,
        line: s.line,
        overlay: s.overlay.as_deref(),
    }
}

fn diff_finding(f: &Finding) -> JsonDiffFinding<'_> {
    JsonDiffFinding {
        finding: finding(&f.diagnostic),
        side: match f.side {
            Side::Base => "base",
            Side::Head => "head",
        },
        key: JsonKey {
            object: &f.key.object,
            rule: &f.key.rule,
            path: &f.key.path,
        },
        patch: f.patch.as_deref(),
    }
}

/// Build the JSON document.
pub fn document(r: &DiffReport) -> JsonDiff<'_> {
    JsonDiff {
        version: 1,
        base: rev(&r.base),
        head: rev(&r.head),
        summary: &r.summary,
        objects: r
            .objects
            .iter()
            .map(|c| JsonObjectChange {
                change: c.kind.as_str(),
                object: id(&c.id),
                moved: c.moved(),
                old: c.old.as_ref().map(side),
                new: c.new.as_ref().map(side),
                fields: c
                    .fields
                    .iter()
                    .map(|f| JsonField {
                        path: &f.path,
                        change: f.kind.as_str(),
                        old: f.old.as_ref(),
                        new: f.new.as_ref(),
                        old_line: f.old_line,
                        new_line: f.new_line,
                        old_file: f.old_file.as_deref(),
                        new_file: f.new_file.as_deref(),
                    })
                    .collect(),
            })
            .collect(),
        findings: JsonDelta {
            introduced: r.findings.introduced.iter().map(diff_finding).collect(),
            unchanged: r.findings.unchanged.iter().map(diff_finding).collect(),
            fixed: r.findings.fixed.iter().map(diff_finding).collect(),
        },
        policy: r.policy.as_ref().map(|p| JsonPolicy {
            rules_added: &p.rules_added,
            rules_removed: &p.rules_removed,
            rules_changed: &p.rules_changed,
            filter_changed: p.filter_changed,
            impact: p
                .impact
                .iter()
                .map(|i| JsonImpact {
                    rule: &i.rule,
                    objects: i.objects,
                    files: i.files,
                    findings: i.findings,
                })
                .collect(),
            newly_flagged: p.newly_flagged.iter().map(diff_finding).collect(),
            no_longer_flagged: p.no_longer_flagged.iter().map(diff_finding).collect(),
        }),
        files: r
            .files
            .iter()
            .map(|f| JsonFile {
                path: &f.path,
                old_path: f.old_path.as_deref(),
                status: f.status.as_str(),
                changed_lines: &f.changed_lines,
                hunks: f
                    .hunks
                    .iter()
                    .map(|h| JsonHunk {
                        old_start: h.old_start,
                        old_len: h.old_len,
                        new_start: h.new_start,
                        new_len: h.new_len,
                        lines: h
                            .lines
                            .iter()
                            .map(|l| JsonLine {
                                tag: match l.tag {
                                    LineTag::Context => " ",
                                    LineTag::Added => "+",
                                    LineTag::Removed => "-",
                                },
                                old_line: l.old_line,
                                new_line: l.new_line,
                                text: &l.text,
                                findings: &l.annotations,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        errors: r
            .errors
            .iter()
            .map(|e| JsonError {
                file: &e.file,
                message: &e.message,
            })
            .collect(),
        new_waivers: &r.new_waivers,
    }
}

/// Render as pretty JSON with a trailing newline.
pub fn render(r: &DiffReport) -> String {
    let mut s = serde_json::to_string_pretty(&document(r)).expect("serializable");
    s.push('\n');
    s
}
