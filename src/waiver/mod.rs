//! Waivers: exceptions to rules as reviewed data, with a reason, an approver and an end date.
//!
//! Two sources. An author may write `accord.dev/ignore: "<rule>[@container|@/path]: <reason>"`
//! on an object (one waiver per line of the value); ops keep a central waivers file (path set in
//! `.accord.yaml`) whose entries name a rule, a target (kind / namespace / name globs, file globs,
//! a JSON Pointer or container), a reason, a ticket, who approved it and when it expires.
//! [`apply`] attaches the matching waiver to each finding: waived findings stay in the list
//! (every report counts and lists them) but do not fail the run; an expired waiver leaves the
//! finding active with a label saying when and by whom it had been waived; an annotation for a
//! central-only rule (or without a reason) is not honoured and says so at the annotation; a
//! waiver that matches nothing becomes a `stale-waiver` finding at its own line. Expiry is
//! judged against a `today` passed in by the caller — there is no clock in here.

pub mod codeowners;
pub mod date;

pub use codeowners::CodeOwners;
pub use date::Date;

use crate::diagnostic::{Diagnostic, Label, Location, STALE_WAIVER, WaiverInfo, WaiverSource};
use crate::manifest::de::from_node;
use crate::manifest::yaml::{self, escape_token, pointer_tokens};
use crate::manifest::{FileManifests, Object};
use crate::policy::{FileError, Rule};
use crate::source::{Source, Span};
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

/// The annotation authors use to waive a rule on one object.
pub const ANNOTATION: &str = "accord.dev/ignore";

/// The central waivers file, owned by ops.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WaiversFile {
    /// The waivers, each an exception to one rule for one target.
    #[serde(default)]
    pub waivers: Vec<WaiverSpec>,
}

/// One central waiver.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WaiverSpec {
    /// Rule id waived.
    pub rule: String,
    /// What it applies to; every given field must match. At least one field is required.
    pub target: TargetSpec,
    /// Why the exception is accepted.
    pub reason: String,
    /// Ticket or discussion link.
    #[serde(default)]
    pub ticket: Option<String>,
    /// Who approved the exception (person or team).
    pub approved_by: String,
    /// Last day the waiver applies (`YYYY-MM-DD`); from the next day the finding is active again.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub expires: String,
}

/// What a waiver applies to.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetSpec {
    /// Object kind glob (`Deployment`, `*Set`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Namespace glob (objects without a namespace are in `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Object name glob.
    #[serde(default)]
    pub name: Option<String>,
    /// File globs, relative to the directory of `.accord.yaml` (`apps/legacy/**`).
    #[serde(default)]
    pub files: Vec<String>,
    /// JSON Pointer inside the object; the finding's path must be it or below it
    /// (`/spec/template/spec/containers/0`).
    #[serde(default)]
    pub path: Option<String>,
    /// Container name glob; the finding must be inside a container of that name.
    #[serde(default)]
    pub container: Option<String>,
}

/// A compiled central waiver.
#[derive(Debug, Clone)]
pub struct CentralWaiver {
    /// As written.
    pub spec: WaiverSpec,
    /// Its entry in the waivers file.
    pub location: Location,
    /// Parsed `expires`.
    pub expires: Date,
    kind: Option<GlobMatcher>,
    namespace: Option<GlobMatcher>,
    name: Option<GlobMatcher>,
    files: Option<GlobSet>,
    container: Option<GlobMatcher>,
}

/// The loaded central waivers file.
#[derive(Debug, Clone, Default)]
pub struct WaiverSet {
    /// The file (`None`: no waivers file).
    pub source: Option<Source>,
    /// Its entries, in file order.
    pub entries: Vec<CentralWaiver>,
}

fn glob(p: &str) -> Result<GlobMatcher, String> {
    Glob::new(p)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{p}`: {e}"))
}

impl WaiverSet {
    /// Does a waiver narrow to a container (which is found by name in each object's tree)?
    pub fn names_containers(&self) -> bool {
        self.entries.iter().any(|e| e.container.is_some())
    }

    /// Parse a waivers file. Rule ids are checked against `known_rules` (unless `None`, for a
    /// base revision that may name rules since removed); every error is located.
    pub fn parse(
        source: Source,
        known_rules: Option<&[&str]>,
    ) -> Result<WaiverSet, Vec<FileError>> {
        let parsed = yaml::parse(&source);
        if !parsed.issues.is_empty() {
            return Err(parsed
                .issues
                .iter()
                .map(|i| FileError::new(&source, i.span, i.message.clone()))
                .collect());
        }
        let Some(doc) = parsed.documents.into_iter().next() else {
            return Ok(WaiverSet {
                source: Some(source),
                entries: Vec::new(),
            });
        };
        let file: WaiversFile = from_node(&doc.root)
            .map_err(|e| vec![FileError::from_de(&source, e, doc.root.span)])?;
        let root = &doc.root;
        let span = |ptr: &str| root.pointer(ptr).map_or(Span::empty(0), |n| n.span);
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        for (i, spec) in file.waivers.into_iter().enumerate() {
            let at = format!("/waivers/{i}");
            let mut err = |ptr: &str, msg: String| {
                errors.push(FileError::new(&source, span(&format!("{at}{ptr}")), msg));
            };
            if let Some(known_rules) = known_rules
                && !known_rules.contains(&spec.rule.as_str())
            {
                let hint = crate::manifest::de::closest(&spec.rule, known_rules)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                err("/rule", format!("unknown rule `{}`{hint}", spec.rule));
            }
            if spec.rule == STALE_WAIVER {
                err(
                    "/rule",
                    "`stale-waiver` cannot be waived; remove the stale waiver".into(),
                );
            }
            if spec.reason.trim().is_empty() {
                err("/reason", "a waiver needs a reason".into());
            }
            if spec.approved_by.trim().is_empty() {
                err("/approved-by", "a waiver needs an approver".into());
            }
            let expires = Date::parse(&spec.expires);
            if expires.is_none() {
                err(
                    "/expires",
                    format!("`{}` is not a date like `2026-12-31`", spec.expires),
                );
            }
            let t = &spec.target;
            if t.kind.is_none()
                && t.namespace.is_none()
                && t.name.is_none()
                && t.files.is_empty()
                && t.path.is_none()
                && t.container.is_none()
            {
                err(
                    "/target",
                    "a waiver needs a target (kind, namespace, name, files, path or container); \
                     to turn a rule off everywhere, disable it in .accord.yaml"
                        .into(),
                );
            }
            if let Some(p) = &t.path
                && !p.starts_with('/')
            {
                err(
                    "/target/path",
                    format!("path `{p}` must be a JSON Pointer starting with `/`"),
                );
            }
            let mut one = |field: &str, v: &Option<String>| -> Option<GlobMatcher> {
                let v = v.as_ref()?;
                glob(v)
                    .map_err(|m| err(&format!("/target/{field}"), m))
                    .ok()
            };
            let kind = one("kind", &t.kind);
            let namespace = one("namespace", &t.namespace);
            let name = one("name", &t.name);
            let container = one("container", &t.container);
            let mut files = None;
            if !t.files.is_empty() {
                let mut b = GlobSetBuilder::new();
                for (j, f) in t.files.iter().enumerate() {
                    match Glob::new(f.trim_start_matches("./")) {
                        Ok(g) => {
                            b.add(g);
                        }
                        Err(e) => errors.push(FileError::new(
                            &source,
                            span(&format!("{at}/target/files/{j}")),
                            format!("bad glob `{f}`: {e}"),
                        )),
                    }
                }
                files = b.build().ok();
            }
            let Some(expires) = expires else { continue };
            entries.push(CentralWaiver {
                location: Location::new(&source, span(&at)),
                spec,
                expires,
                kind,
                namespace,
                name,
                files,
                container,
            });
        }
        if errors.is_empty() {
            Ok(WaiverSet {
                source: Some(source),
                entries,
            })
        } else {
            Err(errors)
        }
    }
}

/// How an annotation waiver is narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Narrow {
    /// The whole object.
    Object,
    /// Findings inside containers with this name.
    Container(String),
    /// Findings at or below this JSON Pointer.
    Path(String),
}

/// One waiver written in an `accord.dev/ignore` annotation.
#[derive(Debug, Clone)]
pub struct AnnotationWaiver {
    /// Rule id.
    pub rule: String,
    /// Narrowing.
    pub narrow: Narrow,
    /// The reason (`None`: not given, so not honoured).
    pub reason: Option<String>,
    /// The annotation value.
    pub location: Location,
}

/// Does `obj` carry an `accord.dev/ignore` annotation? (Only such objects need more than
/// their identity for waivers, unless central waivers name containers.)
pub fn has_annotation(obj: &Object) -> bool {
    obj.node()
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(ANNOTATION))
        .is_some()
}

/// Parse the `accord.dev/ignore` annotation of `obj`: one `rule[@target]: reason` per line.
pub fn annotation_waivers(obj: &Object) -> Vec<AnnotationWaiver> {
    let ptr = format!("/metadata/annotations/{}", escape_token(ANNOTATION));
    let Some(node) = obj.node().pointer(&ptr) else {
        return Vec::new();
    };
    let Some(text) = node.as_str() else {
        return Vec::new();
    };
    // Point at the annotation's key: the line an author recognises, whatever the value's style.
    let span = obj.node().key_span(&ptr).unwrap_or(node.span);
    let location = Location::new(&obj.source, span);
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (head, reason) = match line.split_once(':') {
                Some((h, r)) if !r.trim().is_empty() => (h.trim(), Some(r.trim().to_string())),
                Some((h, _)) => (h.trim(), None),
                None => (line, None),
            };
            let (rule, narrow) = match head.split_once('@') {
                Some((r, t)) if t.starts_with('/') => (r.trim(), Narrow::Path(t.to_string())),
                Some((r, t)) => (r.trim(), Narrow::Container(t.trim().to_string())),
                None => (head, Narrow::Object),
            };
            AnnotationWaiver {
                rule: rule.to_string(),
                narrow,
                reason,
                location: location.clone(),
            }
        })
        .collect()
}

/// What [`apply`] needs besides the findings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The date expiry is judged against.
    pub today: Date,
    /// Rules whose waivers must be central (annotations are not honoured).
    pub central_only: BTreeSet<String>,
    /// Rules that ran (waivers for other rules are not reported stale).
    pub ran: BTreeSet<String>,
    /// Report unmatched central waivers as stale (only when the run covered the whole
    /// repository; linting one file must not call every other waiver stale).
    pub stale_central: bool,
}

impl Options {
    /// Options for a run of `rules` (and the built-in system rules) judged on `today`;
    /// `central_only` are the config's `central-only` entries (rule ids or categories).
    pub fn new(today: Date, rules: &[Rule], central_only: &[String], stale_central: bool) -> Self {
        let mut ran: BTreeSet<String> = rules.iter().map(|r| r.id().to_string()).collect();
        ran.extend(
            crate::engine::system::SYSTEM_RULES
                .iter()
                .map(|r| r.0.to_string()),
        );
        Options {
            today,
            central_only: self::central_only(central_only, rules),
            ran,
            stale_central,
        }
    }
}

/// The waivers and code ownership in force at one revision, ready to apply to its findings.
#[derive(Debug, Clone, Default)]
pub struct Waivers {
    /// The central waivers file (empty when the config names none).
    pub set: WaiverSet,
    /// Path of the waivers file relative to the config directory (for CODEOWNERS).
    pub file: Option<String>,
    /// CODEOWNERS.
    pub owners: CodeOwners,
    /// How to apply them; `None`: waivers are not applied (no date to judge expiry against).
    pub options: Option<Options>,
}

/// Resolve `central-only` entries (rule ids or categories) against the rules.
pub fn central_only(entries: &[String], rules: &[Rule]) -> BTreeSet<String> {
    rules
        .iter()
        .filter(|r| entries.iter().any(|e| e == r.id() || *e == r.spec.category))
        .map(|r| r.id().to_string())
        .collect()
}

/// Is `path` equal to `prefix` or below it (on token boundaries; a trailing `/` of `prefix`
/// is ignored)?
fn under(path: &str, prefix: &str) -> bool {
    crate::manifest::yaml::pointer_under(path, prefix.trim_end_matches('/'))
}

/// Name of the container a finding path is in (`…/containers/2/…`), read from the object.
fn container_name(obj: Option<&Object>, path: &str) -> Option<String> {
    let obj = obj?;
    let tokens = pointer_tokens(path);
    let i = tokens.iter().position(|t| {
        matches!(
            t.as_str(),
            "containers" | "initContainers" | "ephemeralContainers"
        )
    })?;
    tokens.get(i + 1)?;
    let ptr: String = tokens[..=i + 1]
        .iter()
        .map(|t| format!("/{}", escape_token(t)))
        .collect();
    obj.node()
        .pointer(&format!("{ptr}/name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
}

impl CentralWaiver {
    fn matches(&self, d: &Diagnostic, file: &str, obj: Option<&Object>) -> bool {
        if self.spec.rule != d.rule {
            return false;
        }
        let id = d.object.as_ref();
        let glob_ok = |g: &Option<GlobMatcher>, v: Option<&str>| match g {
            None => true,
            Some(g) => v.is_some_and(|v| g.is_match(v)),
        };
        glob_ok(&self.kind, id.map(|o| o.kind.as_str()))
            && glob_ok(
                &self.namespace,
                id.map(|o| o.namespace.as_deref().unwrap_or("default")),
            )
            && glob_ok(&self.name, id.and_then(|o| o.name.as_deref()))
            && self.files.as_ref().is_none_or(|f| f.is_match(file))
            && self
                .spec
                .target
                .path
                .as_ref()
                .is_none_or(|p| under(&d.path, p))
            && glob_ok(&self.container, container_name(obj, &d.path).as_deref())
    }

    fn info(&self, expired: bool) -> WaiverInfo {
        WaiverInfo {
            source: WaiverSource::Central,
            reason: self.spec.reason.trim().to_string(),
            approved_by: Some(self.spec.approved_by.clone()),
            ticket: self.spec.ticket.clone(),
            expires: Some(self.expires.to_string()),
            location: self.location.clone(),
            expired,
        }
    }

    fn history(&self) -> String {
        let mut s = format!(
            "waiver expired on {}: had been waived by {}",
            self.expires, self.spec.approved_by
        );
        if let Some(t) = &self.spec.ticket {
            let _ = write!(s, " ({t})");
        }
        let _ = write!(s, " because: {}", self.spec.reason.trim());
        s
    }
}

impl AnnotationWaiver {
    fn matches(&self, d: &Diagnostic, obj: &Object) -> bool {
        self.rule == d.rule
            && match &self.narrow {
                Narrow::Object => true,
                Narrow::Path(p) => under(&d.path, p),
                Narrow::Container(c) => container_name(Some(obj), &d.path).as_deref() == Some(c),
            }
    }
}

/// Attach waivers to `diags` and append `stale-waiver` findings; the result is sorted.
///
/// `repo_path` maps a finding's display path to a path relative to the directory of
/// `.accord.yaml`, which is what waiver file globs are written against.
pub fn apply<'f>(
    diags: &mut Vec<Diagnostic>,
    files: impl IntoIterator<Item = &'f FileManifests>,
    set: &WaiverSet,
    opts: &Options,
    repo_path: &dyn Fn(&str) -> String,
) {
    // Objects by (file, identity), with their annotation waivers and whether each matched.
    type Key = (String, String);
    type Annotated<'o> = (&'o Object, Vec<(AnnotationWaiver, bool)>);
    // Central waivers may select objects by their fields, so then every object is indexed;
    // otherwise only the objects that carry waiver annotations (usually a handful) are.
    let central = !set.entries.is_empty();
    let mut objects: HashMap<Key, Annotated<'f>> = HashMap::new();
    let all: Vec<(&'f FileManifests, &'f Object)> = files
        .into_iter()
        .flat_map(|f| f.objects.iter().map(move |o| (f, o)))
        .collect();
    // Reading every object's annotations is the work, done in parallel; the map is filled in
    // input order afterwards.
    let found: Vec<Vec<AnnotationWaiver>> = {
        use rayon::prelude::*;
        all.par_iter()
            .with_min_len(256)
            .map(|(_, o)| annotation_waivers(o))
            .collect()
    };
    for ((f, o), anns) in all.into_iter().zip(found) {
        if !central && anns.is_empty() {
            continue;
        }
        let anns = anns.into_iter().map(|a| (a, false)).collect();
        objects
            .entry((f.source.path.clone(), o.id.identity()))
            .or_insert((o, anns));
    }
    let mut central_used = vec![false; set.entries.len()];
    for d in diags.iter_mut() {
        if d.rule == STALE_WAIVER || (!central && objects.is_empty()) {
            continue;
        }
        let file = if central {
            repo_path(d.location.file())
        } else {
            String::new()
        };
        let entry = d
            .object
            .as_ref()
            .and_then(|id| objects.get_mut(&(d.location.file().to_string(), id.identity())));
        let obj = entry.as_ref().map(|e| e.0);
        let mut active: Option<&CentralWaiver> = None;
        let mut expired: Option<&CentralWaiver> = None;
        for (i, w) in set.entries.iter().enumerate() {
            if w.matches(d, &file, obj) {
                central_used[i] = true;
                if w.expires >= opts.today {
                    active = active.or(Some(w));
                } else if expired.is_none_or(|e| e.expires < w.expires) {
                    expired = Some(w);
                }
            }
        }
        let mut honoured: Option<WaiverInfo> = None;
        let mut refused: Vec<Label> = Vec::new();
        if let Some((o, anns)) = entry {
            for (a, used) in anns.iter_mut() {
                if !a.matches(d, o) {
                    continue;
                }
                *used = true;
                if opts.central_only.contains(&d.rule) {
                    refused.push(Label {
                        location: a.location.clone(),
                        message: format!(
                            "`{ANNOTATION}` annotation not honoured: `{}` may only be waived in the central waivers file (ask {})",
                            d.rule,
                            d.owner.as_deref().unwrap_or("the rule's owner")
                        ),
                    });
                } else if let Some(reason) = &a.reason {
                    honoured.get_or_insert(WaiverInfo {
                        source: WaiverSource::Annotation,
                        reason: reason.clone(),
                        approved_by: None,
                        ticket: None,
                        expires: None,
                        location: a.location.clone(),
                        expired: false,
                    });
                } else {
                    refused.push(Label {
                        location: a.location.clone(),
                        message: format!(
                            "`{ANNOTATION}` annotation not honoured: write `{}: <reason>`",
                            d.rule
                        ),
                    });
                }
            }
        }
        if let Some(w) = active {
            d.waiver = Some(Box::new(w.info(false)));
        } else if let Some(info) = honoured {
            d.waiver = Some(Box::new(info));
        } else {
            d.labels.append(&mut refused);
            if let Some(w) = expired {
                d.waiver = Some(Box::new(w.info(true)));
                d.labels.push(Label {
                    location: w.location.clone(),
                    message: w.history(),
                });
            }
        }
    }
    let mut stale = Vec::new();
    for (w, used) in set.entries.iter().zip(&central_used) {
        if *used || !opts.stale_central || !opts.ran.contains(&w.spec.rule) {
            continue;
        }
        let mut msg = format!(
            "waiver for `{}` (approved by {}) matches no finding",
            w.spec.rule, w.spec.approved_by
        );
        if w.expires < opts.today {
            let _ = write!(msg, "; it also expired on {}", w.expires);
        }
        let mut d =
            crate::engine::system::make(STALE_WAIVER, msg, w.location.clone(), String::new());
        d.category = "waivers".into();
        stale.push(d);
    }
    for (o, anns) in objects.values() {
        for (a, used) in anns {
            if *used || !opts.ran.contains(&a.rule) {
                continue;
            }
            let mut d = crate::engine::system::make(
                STALE_WAIVER,
                format!(
                    "`{ANNOTATION}` waiver for `{}` on {} matches no finding",
                    a.rule,
                    o.id.display()
                ),
                a.location.clone(),
                format!("/metadata/annotations/{}", escape_token(ANNOTATION)),
            );
            d.category = "waivers".into();
            d.object = Some(o.id.clone());
            stale.push(d);
        }
    }
    diags.append(&mut stale);
    crate::diagnostic::sort(diags);
}

/// Set each finding's `code_owner` from CODEOWNERS (`repo_path` as for [`apply`]).
pub fn assign_code_owners(
    diags: &mut [Diagnostic],
    owners: &CodeOwners,
    repo_path: &dyn Fn(&str) -> String,
) {
    // Findings come grouped by file: each run of one file's findings asks once (and without a
    // CODEOWNERS file nobody is asked).
    if owners.is_empty() {
        diags.iter_mut().for_each(|d| d.code_owner = None);
        return;
    }
    let mut last: Option<(String, Option<String>)> = None;
    for d in diags {
        let file = d.location.file();
        if last.as_ref().is_none_or(|(f, _)| f != file) {
            last = Some((file.to_string(), owners.owner_of(&repo_path(file))));
        }
        d.code_owner = last.as_ref().and_then(|(_, owner)| owner.clone());
    }
}

/// SARIF `suppressions` for a finding waived by a waiver in force (`None` otherwise):
/// `inSource` for annotations, `external` for the central file, with the reason as
/// justification. For the SARIF emitter (`result.suppressions`).
pub fn sarif_suppressions(d: &Diagnostic) -> Option<serde_json::Value> {
    let w = d.waiver.as_ref().filter(|w| !w.expired)?;
    let kind = match w.source {
        WaiverSource::Annotation => "inSource",
        WaiverSource::Central => "external",
    };
    let mut props = serde_json::Map::new();
    for (k, v) in [
        ("approvedBy", &w.approved_by),
        ("ticket", &w.ticket),
        ("expires", &w.expires),
    ] {
        if let Some(v) = v {
            props.insert(k.into(), v.clone().into());
        }
    }
    let mut s = serde_json::json!({
        "kind": kind,
        "status": "accepted",
        "justification": w.reason,
        "location": {
            "physicalLocation": {
                "artifactLocation": { "uri": w.location.file() },
                "region": { "startLine": w.location.start.line, "startColumn": w.location.start.column }
            }
        }
    });
    if !props.is_empty() {
        s["properties"] = serde_json::Value::Object(props);
    }
    Some(serde_json::json!([s]))
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A markdown section listing waived findings (and expired waivers) with reason and approver,
/// for the markdown report and the PR summary. Empty when there are none.
pub fn markdown_section(diags: &[Diagnostic]) -> String {
    let listed: Vec<&Diagnostic> = diags.iter().filter(|d| d.waiver.is_some()).collect();
    if listed.is_empty() {
        return String::new();
    }
    let waived = listed.iter().filter(|d| d.is_waived()).count();
    let expired = listed.len() - waived;
    let mut o = format!("### Waived findings ({waived})");
    if expired > 0 {
        let _ = write!(o, " · expired waivers ({expired})");
    }
    o.push_str("\n\n| Rule | Where | Object | Reason | Approved by | Expires | Source |\n|---|---|---|---|---|---|---|\n");
    for d in listed {
        let w = d.waiver.as_ref().expect("filtered");
        let expires = match (&w.expires, w.expired) {
            (Some(e), true) => format!("**expired {e}**"),
            (Some(e), false) => e.clone(),
            (None, _) => "never".into(),
        };
        let source = match w.source {
            WaiverSource::Annotation => format!(
                "annotation ({}:{})",
                w.location.file(),
                w.location.start.line
            ),
            WaiverSource::Central => format!(
                "waivers file ({}:{})",
                w.location.file(),
                w.location.start.line
            ),
        };
        let reason = match &w.ticket {
            Some(t) => format!("{} ({t})", w.reason),
            None => w.reason.clone(),
        };
        let _ = writeln!(
            o,
            "| `{}` | {}:{} | {} | {} | {} | {} | {} |",
            d.rule,
            d.location.file(),
            d.location.start.line,
            md_cell(&d.object.as_ref().map(|o| o.display()).unwrap_or_default()),
            md_cell(&reason),
            md_cell(w.approved_by.as_deref().unwrap_or("— (author)")),
            expires,
            md_cell(&source)
        );
    }
    o.push('\n');
    o
}

/// A central waiver added (or changed) in a change, with who must approve it.
#[derive(Debug, Clone)]
pub struct NewWaiver<'a> {
    /// The entry.
    pub waiver: &'a CentralWaiver,
    /// Who must approve it: the rule's owner (or contact), else the CODEOWNERS owner of the
    /// waivers file.
    pub approver: String,
}

/// Who must approve a waiver of `rule` added in a change: the rule's owner, else its contact,
/// else the CODEOWNERS owner of the waivers file (`waivers_path`, relative to the config
/// directory).
pub fn approver(
    rule: &str,
    rules: &[Rule],
    owners: &CodeOwners,
    waivers_path: Option<&str>,
) -> String {
    rules
        .iter()
        .find(|r| r.id() == rule)
        .and_then(|r| r.owner.clone().or_else(|| r.contact.clone()))
        .or_else(|| waivers_path.and_then(|p| owners.owner_of(p)))
        .unwrap_or_else(|| match waivers_path {
            Some(_) => "the owner of the waivers file".into(),
            None => "the rule's owner".into(),
        })
}

/// Central waivers in `head` that are not in `base` (by content), with their approver.
pub fn new_waivers<'a>(
    base: &WaiverSet,
    head: &'a WaiverSet,
    rules: &[Rule],
    owners: &CodeOwners,
    waivers_path: &str,
) -> Vec<NewWaiver<'a>> {
    head.entries
        .iter()
        .filter(|w| !base.entries.iter().any(|b| b.spec == w.spec))
        .map(|w| NewWaiver {
            waiver: w,
            approver: approver(&w.spec.rule, rules, owners, Some(waivers_path)),
        })
        .collect()
}

/// Annotation waivers on `head` (an object as it is at HEAD) that its BASE version `base` did
/// not have — compared by rule, narrowing and reason, so a changed reason counts as new — each
/// with who must approve it. Annotations that are not honoured (no reason, or a central-only
/// rule) waive nothing and are left out; the findings they meant to waive say why.
pub fn new_annotation_waivers(
    base: Option<&Object>,
    head: &Object,
    rules: &[Rule],
    central_only: &BTreeSet<String>,
    owners: &CodeOwners,
    waivers_path: Option<&str>,
) -> Vec<NewWaiverNote> {
    let key = |a: &AnnotationWaiver| (a.rule.clone(), a.narrow.clone(), a.reason.clone());
    let mut before: Vec<_> = base
        .map(|b| annotation_waivers(b).iter().map(key).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for a in annotation_waivers(head) {
        if let Some(i) = before.iter().position(|k| *k == key(&a)) {
            before.swap_remove(i);
            continue;
        }
        let Some(reason) = &a.reason else { continue };
        if central_only.contains(&a.rule) {
            continue;
        }
        let mut target = head.id.display();
        match &a.narrow {
            Narrow::Object => {}
            Narrow::Container(c) => {
                let _ = write!(target, ", container {c}");
            }
            Narrow::Path(p) => {
                let _ = write!(target, ", path {p}");
            }
        }
        out.push(NewWaiverNote {
            source: WaiverSource::Annotation,
            needs_approval_by: approver(&a.rule, rules, owners, waivers_path),
            rule: a.rule,
            target,
            reason: reason.clone(),
            expires: None,
            approved_by: None,
            file: a.location.file().to_string(),
            line: a.location.start.line,
        });
    }
    out
}

/// A waiver added in a change, as shown in reports: what it waives and who must approve it.
#[derive(Debug, Clone, serde::Serialize, JsonSchema)]
pub struct NewWaiverNote {
    /// `central` (an entry of the waivers file) or `annotation` (on the object).
    pub source: WaiverSource,
    /// Rule id.
    pub rule: String,
    /// The target, in words.
    pub target: String,
    /// Why.
    pub reason: String,
    /// Last day it applies (central waivers; annotations do not expire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Who approved it, as written in the entry (central waivers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Who must approve the change (the rule's owner or contact, else the waivers file's owner).
    pub needs_approval_by: String,
    /// The waivers file, or the manifest carrying the annotation.
    pub file: String,
    /// 1-based line of the entry or annotation.
    pub line: usize,
}

impl NewWaiverNote {
    /// What it waives, in words: the rule, the target, until when, and the reason.
    pub fn describe(&self) -> String {
        match (&self.source, &self.expires) {
            (WaiverSource::Central, Some(e)) => {
                format!(
                    "`{}` for {} until {e} ({})",
                    self.rule, self.target, self.reason
                )
            }
            _ => format!(
                "`{}` annotation on {}, no expiry ({})",
                self.rule, self.target, self.reason
            ),
        }
    }
}

impl NewWaiver<'_> {
    /// The report form.
    pub fn note(&self) -> NewWaiverNote {
        let w = self.waiver;
        NewWaiverNote {
            source: WaiverSource::Central,
            rule: w.spec.rule.clone(),
            target: target_text(&w.spec.target),
            reason: w.spec.reason.trim().to_string(),
            expires: Some(w.expires.to_string()),
            approved_by: Some(w.spec.approved_by.clone()),
            needs_approval_by: self.approver.clone(),
            file: w.location.file().to_string(),
            line: w.location.start.line,
        }
    }
}

/// The review-summary callout for waivers added in a pull request ("needs approval by …").
/// Empty when there are none.
pub fn markdown_needs_approval(new: &[NewWaiverNote]) -> String {
    if new.is_empty() {
        return String::new();
    }
    let mut o = format!("### Waivers added in this change ({})\n\n", new.len());
    for n in new {
        let what = match (&n.source, &n.expires) {
            (WaiverSource::Central, Some(e)) => {
                format!("`{}` for {} until {e}", n.rule, md_cell(&n.target))
            }
            _ => format!(
                "`{}` annotation on {} (no expiry)",
                n.rule,
                md_cell(&n.target)
            ),
        };
        let _ = writeln!(
            o,
            "- {what} — {}: **needs approval by {}** ({}:{})",
            md_cell(&n.reason),
            md_cell(&n.needs_approval_by),
            n.file,
            n.line
        );
    }
    o.push('\n');
    o
}

/// A one-line description of a target (`Deployment payments/legacy-*, files apps/**`).
pub fn target_text(t: &TargetSpec) -> String {
    let mut parts = Vec::new();
    if t.kind.is_some() || t.namespace.is_some() || t.name.is_some() {
        let ns = t
            .namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        parts.push(format!(
            "{} {ns}{}",
            t.kind.as_deref().unwrap_or("*"),
            t.name.as_deref().unwrap_or("*")
        ));
    }
    if !t.files.is_empty() {
        parts.push(format!("files {}", t.files.join(", ")));
    }
    if let Some(c) = &t.container {
        parts.push(format!("container {c}"));
    }
    if let Some(p) = &t.path {
        parts.push(format!("path {p}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests;
