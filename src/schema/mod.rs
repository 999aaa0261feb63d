//! Kubernetes schema validation: every object against the OpenAPI schema of its
//! group/version/kind for the target Kubernetes version, offline, with findings at the exact
//! line and in plain words.
//!
//! Where a schema comes from, in order: the built-in schemas of the selected minor (embedded,
//! [`bundle`]); the CustomResourceDefinitions among the linted files ([`crd`]); folders of JSON
//! schemas given with `--schemas` ([`dirs`]). A built-in `apiVersion`/`kind` the target version
//! does not serve is a finding that says when it was removed and what replaces it
//! ([`lifecycle`]); a custom resource without a schema is an info finding, never silence.
//! Partial objects (patches outside a rendered kustomization) and local configuration are
//! skipped with a reason ([`partial`]). Schemas
//! are normalised once ([`normalize`]), compiled per kind on first use and cached
//! ([`compile`]); validator errors are put into words by [`messages`].

pub mod bundle;
mod compile;
pub mod crd;
pub mod dirs;
pub mod instance;
pub mod lifecycle;
mod messages;
pub mod normalize;
pub mod partial;

use crate::diagnostic::{Diagnostic, Label, Location, Severity};
use crate::manifest::yaml::{Value as YamlValue, push_escaped};
use crate::manifest::{FileManifests, Node, Object, ObjectRef};
use crate::source::{SourceFile, Span};
pub use bundle::KubeVersion;
use compile::{Cache, CompileResult};
use crd::{CrdVersion, Crds};
use dirs::SchemaDirs;
pub use lifecycle::{Lifecycle, api_lifecycle};
use messages::Anchor;
pub use partial::SkipReason;
use rayon::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

/// The category of every schema finding.
pub const CATEGORY: &str = "schema";

/// A schema finding's rule: id, default severity and the explanation every finding carries.
#[derive(Debug)]
pub struct SchemaRule {
    /// Rule id.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line.
    pub title: &'static str,
    /// Why it matters to operations.
    pub why: &'static str,
    /// What to do.
    pub help: &'static str,
}

/// The rules of schema findings. Config `disable`, `enable` and `severity` accept these ids and
/// the category `schema`, like any rule's.
pub const SCHEMA_RULES: &[SchemaRule] = &[
    SchemaRule {
        id: "schema-unknown-kind",
        severity: Severity::Error,
        title: "apiVersion and kind must be served by the target Kubernetes version",
        why: "The API server rejects an object whose apiVersion/kind it does not serve, so `kubectl apply` fails and nothing in the object is applied. Kubernetes removes beta APIs on a published schedule, so a manifest that applied before an upgrade stops applying after it.",
        help: "Use the apiVersion the message names and check the fields that changed with it (`kubectl explain <kind> --api-version=<apiVersion>`), or set `kubernetes-version` to the version your cluster runs.",
    },
    SchemaRule {
        id: "schema-invalid-type",
        severity: Severity::Error,
        title: "Fields must have the type the API expects",
        why: "The API server rejects an object with a value of the wrong type, so the whole object fails to apply. YAML guesses types from unquoted text: `yes`, `on`, `1.10` and `0755` are not strings.",
        help: "Write the value as the type the message names; quote values that must stay strings.",
    },
    SchemaRule {
        id: "schema-required",
        severity: Severity::Error,
        title: "Required fields must be set",
        why: "The API server rejects an object that lacks a required field, so the whole object fails to apply.",
        help: "Add the field the message names; `kubectl explain <kind>.<path>` describes it.",
    },
    SchemaRule {
        id: "schema-enum",
        severity: Severity::Error,
        title: "Fields with a fixed set of values must use one of them",
        why: "Only the listed values are accepted; the API server rejects anything else, and values are case-sensitive.",
        help: "Use one of the values the message lists.",
    },
    SchemaRule {
        id: "schema-format",
        severity: Severity::Error,
        title: "Values must be in the format the API expects",
        why: "The API server cannot parse a malformed quantity, date, duration or base64 value, or a number too large for its field, and rejects the object.",
        help: "Write the value in the format the message names (quantities such as `500m` or `128Mi`; Secret `data` base64-encoded, or plain text under `stringData`).",
    },
    SchemaRule {
        id: "schema-constraint",
        severity: Severity::Error,
        title: "Values must satisfy the schema's constraints",
        why: "The schema limits this value (its pattern, range, length or number of items); the API server rejects an object that breaks the limit.",
        help: "Change the value to satisfy the constraint the message names.",
    },
    SchemaRule {
        id: "schema-unknown-field",
        severity: Severity::Error,
        title: "Fields must exist in the schema",
        why: "Kubernetes silently drops fields it does not know when it stores the object, so a misspelt or misplaced setting has no effect and nothing tells you: the object runs with the default you meant to override.",
        help: "Fix the field's name or indentation; `kubectl explain <kind>.<path>` lists the valid fields. If the field is new, check `kubernetes-version`. Turn this off with `--no-strict` or `schemas: {strict: false}`.",
    },
    SchemaRule {
        id: "schema-missing",
        severity: Severity::Info,
        title: "Custom resources need a schema to be checked",
        why: "No schema is known for this custom resource, so none of its fields were checked: a typo in it would reach the cluster unnoticed.",
        help: "Lint its CustomResourceDefinition together with it, or pass `--schemas DIR` (config `schemas.dirs`) with JSON schemas in `{group}/{kind}_{version}.json` layout, such as the datreeio/CRDs-catalog.",
    },
    SchemaRule {
        id: "schema-unchecked",
        severity: Severity::Info,
        title: "Schemas must be usable to check objects",
        why: "Part of the schema for this object could not be used (a regular expression the validator does not support, or a schema that does not compile), so that part of the object was not checked.",
        help: "Check the named part by hand, or fix the schema it comes from.",
    },
];

/// The rule entry of `id`.
pub fn rule(id: &str) -> Option<&'static SchemaRule> {
    SCHEMA_RULES.iter().find(|r| r.id == id)
}

/// The `why` and `help` of a schema rule, allocated once per process and shared by its findings.
fn shared_texts(id: &str) -> Option<(Arc<str>, Arc<str>)> {
    type Texts = Vec<(&'static str, Arc<str>, Arc<str>)>;
    static TEXTS: std::sync::OnceLock<Texts> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        SCHEMA_RULES
            .iter()
            .map(|r| (r.id, Arc::from(r.why), Arc::from(r.help)))
            .collect()
    });
    let (_, why, help) = texts.iter().find(|(rid, ..)| *rid == id)?;
    Some((why.clone(), help.clone()))
}

/// How to validate.
#[derive(Clone, Debug)]
pub struct SchemaSettings {
    /// Target Kubernetes version (`None`: the newest bundled).
    pub kubernetes_version: Option<KubeVersion>,
    /// Report fields the schema does not know.
    pub strict: bool,
    /// Folders of custom resource schemas, searched in order.
    pub dirs: Vec<PathBuf>,
    /// The active rules and their severity; a rule absent here is off.
    pub rules: BTreeMap<&'static str, Severity>,
    /// Owner of schema findings.
    pub owner: Option<String>,
    /// How to reach the owner.
    pub contact: Option<String>,
}

impl Default for SchemaSettings {
    fn default() -> Self {
        SchemaSettings {
            kubernetes_version: None,
            strict: true,
            dirs: Vec::new(),
            rules: SCHEMA_RULES.iter().map(|r| (r.id, r.severity)).collect(),
            owner: None,
            contact: None,
        }
    }
}

/// An object that was not validated, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    /// Display path of its file.
    pub file: String,
    /// Zero-based document index.
    pub doc: usize,
    /// The object.
    pub object: ObjectRef,
    /// Why.
    pub reason: SkipReason,
}

/// The outcome of [`validate`].
#[derive(Debug)]
pub struct Report {
    /// Schema findings, in no particular order (the caller merges and sorts).
    pub diagnostics: Vec<Diagnostic>,
    /// Objects not validated, in file order.
    pub skipped: Vec<Skipped>,
    /// The bundled minor the objects were validated against.
    pub version: KubeVersion,
}

/// Start decoding the embedded schemas in the background (see [`bundle::prefetch`]).
pub fn prefetch() {
    bundle::prefetch();
}

/// The bundled minor whose schemas are used for `wanted` (the newest not newer than it, else
/// the oldest), as an index and version.
pub fn target(wanted: Option<KubeVersion>) -> (usize, KubeVersion) {
    let b = bundle::get();
    let i = wanted.map_or(b.versions().len() - 1, |w| b.select(w).unwrap_or(0));
    (i, b.versions()[i])
}

/// Validate every object of `files` against its schema.
pub fn validate(files: &[FileManifests], settings: &SchemaSettings) -> Report {
    let stream = Stream::new(settings);
    let reports = files.par_iter().map(|f| stream.check_file(f)).collect();
    stream.finish(files, reports)
}

/// Schema validation one file at a time (what [`validate`] does, and how a streaming lint
/// validates): objects of built-in kinds are validated as their file is read
/// ([`Stream::check_file`]); custom resources wait until every file is read, since a CRD linted
/// with them may define their schema ([`Stream::finish`]).
pub struct Stream<'s> {
    run: Run<'s>,
    version: KubeVersion,
}

/// One file's share of a [`Stream`].
#[derive(Debug, Default)]
pub struct FileReport {
    /// Findings on the objects validated so far.
    pub diagnostics: Vec<Diagnostic>,
    /// Objects not validated, in file order.
    pub skipped: Vec<Skipped>,
    /// Per object: left for [`Stream::finish`] (custom resources).
    pub deferred: Vec<bool>,
    /// Per object: a CRD, which [`Stream::finish`] reads.
    pub crd: Vec<bool>,
}

impl FileReport {
    /// Does [`Stream::finish_into`], given a [`Reload`], read object `i` from the files it is
    /// given (so its whole tree must be kept)? Only CRDs: custom resources are read again.
    /// (Without a reload, it reads the custom resources' trees as well.)
    pub fn keeps(&self, i: usize) -> bool {
        self.crd.get(i).copied().unwrap_or(false)
    }
}

/// Gives a file parsed again from its text (read again if it was let go), for
/// [`Stream::finish_into`] to validate custom resources whose trees were not kept: at least
/// the objects it names (indices into the file's objects), each at its place (document and
/// pointer) as first read; when its text cannot be read again, its objects are missing (the
/// caller reports that).
pub type Reload<'a> = dyn Fn(&FileManifests, &[usize]) -> FileManifests + Sync + 'a;

impl<'s> Stream<'s> {
    /// Start validating with `settings`.
    pub fn new(settings: &'s SchemaSettings) -> Self {
        let (minor, version) = target(settings.kubernetes_version);
        let requested = settings.kubernetes_version.unwrap_or(version);
        Stream {
            run: Run::new(settings, minor, requested, Crds::default()),
            version,
        }
    }

    /// Validate the objects of built-in kinds in `file`.
    pub fn check_file(&self, file: &FileManifests) -> FileReport {
        let checked: Vec<_> = file
            .objects
            .par_iter()
            .with_min_len(4)
            .map(|o| match partial::skip_reason(o) {
                Some(reason) => (false, Err(reason)),
                None => (
                    crd::is_crd(o),
                    Ok(self
                        .run
                        .resolve_builtin(o)
                        .map(|t| self.run.check_target(o, t))),
                ),
            })
            .collect();
        let mut out = FileReport::default();
        for (o, (is_crd, result)) in file.objects.iter().zip(checked) {
            out.crd.push(is_crd);
            out.deferred.push(matches!(result, Ok(None)));
            match result {
                Err(reason) => out.skipped.push(Skipped {
                    file: o.source.path.clone(),
                    doc: o.doc_index,
                    object: o.id.as_ref().clone(),
                    reason,
                }),
                Ok(Some(mut diags)) => out.diagnostics.append(&mut diags),
                Ok(None) => {}
            }
        }
        out
    }

    /// Validate the custom resources of `files` (their whole trees kept, and the CRDs') against
    /// the CRDs among them, and gather the report;
    /// `reports[i]` is that of `files[i]`.
    pub fn finish(&self, files: &[FileManifests], reports: Vec<FileReport>) -> Report {
        let mut diagnostics = Vec::new();
        let mut report = self.finish_into(files, reports, &mut diagnostics, None);
        report.diagnostics = diagnostics;
        report
    }

    /// [`Stream::finish`], with the findings appended to `out` (in the order `finish` gives
    /// them) and none left in the report: a caller gathering every finding in one vector
    /// saves a copy of them all. With `reload`, custom resources are validated on their files
    /// parsed again (a kind at a time, each file let go when its objects are done), so only
    /// CRDs need their whole trees in `files` ([`FileReport::keeps`]); their
    /// findings point at the sources in `files`.
    pub fn finish_into(
        &self,
        files: &[FileManifests],
        reports: Vec<FileReport>,
        out: &mut Vec<Diagnostic>,
        reload: Option<&Reload>,
    ) -> Report {
        let marked = |pick: fn(&FileReport, usize) -> bool| -> Vec<(usize, usize)> {
            (files.iter().zip(&reports).enumerate())
                .flat_map(|(fi, (f, r))| {
                    (0..f.objects.len())
                        .filter(move |&i| pick(r, i))
                        .map(move |i| (fi, i))
                })
                .collect()
        };
        let object = |(f, o): (usize, usize)| &files[f].objects[o];
        let deferred = marked(|r, i| r.deferred.get(i).copied().unwrap_or(false));
        let crds = marked(|r, i| r.crd.get(i).copied().unwrap_or(false));
        let run = Run::new(
            self.run.settings,
            self.run.minor,
            self.run.requested,
            Crds::collect(crds.into_iter().map(object)),
        );
        // One kind at a time per thread, each with its own cache of compiled schemas dropped
        // when its objects are done: the schemas of large CRDs, compiled, take several times
        // their text, and holding all of them at once made the run's peak memory.
        let kind = |i: usize| {
            let id = &object(deferred[i]).id;
            (&id.api_version, &id.kind)
        };
        let mut order: Vec<usize> = (0..deferred.len()).collect();
        order.sort_by_key(|&i| kind(i));
        let kinds: Vec<&[usize]> = order.chunk_by(|&a, &b| kind(a) == kind(b)).collect();
        let checked: Vec<Vec<(usize, Vec<Diagnostic>)>> = kinds
            .par_iter()
            .map(|objects| {
                let cache = Cache::default();
                // The kind's objects file by file (the sort kept file order within a kind).
                let by_file: Vec<&[usize]> = objects
                    .chunk_by(|&a, &b| deferred[a].0 == deferred[b].0)
                    .collect();
                (by_file.par_iter())
                    .flat_map_iter(|run_of_file| {
                        let fi = deferred[run_of_file[0]].0;
                        let fresh = reload.map(|r| {
                            let wanted: Vec<usize> =
                                run_of_file.iter().map(|&i| deferred[i].1).collect();
                            r(&files[fi], &wanted)
                        });
                        let results: Vec<(usize, Vec<Diagnostic>)> = run_of_file
                            .iter()
                            .filter_map(|&i| {
                                let first = files[fi].objects.get(deferred[i].1)?;
                                let o = match &fresh {
                                    Some(f) => f.object_at(first.doc_index, &first.base)?,
                                    None => first,
                                };
                                let mut diags = run.check_target(o, run.resolve(o, &cache));
                                if let Some(f) = &fresh {
                                    for d in &mut diags {
                                        d.rehome(&f.source, &files[fi].source);
                                    }
                                }
                                Some((i, diags))
                            })
                            .collect();
                        results
                    })
                    .collect()
            })
            .collect();
        // Back in file order, per object, then into `out`, grown once: a flat parallel collect
        // grows its pieces by doubling, holding up to twice the findings at once.
        let mut late: Vec<Vec<Diagnostic>> = Vec::new();
        late.resize_with(deferred.len(), Vec::new);
        for (i, diags) in checked.into_iter().flatten() {
            late[i] = diags;
        }
        let count = |f: fn(&FileReport) -> usize| reports.iter().map(f).sum::<usize>();
        let late_count: usize = late.iter().map(Vec::len).sum();
        out.reserve_exact(count(|r| r.diagnostics.len()) + late_count);
        let mut skipped = Vec::with_capacity(count(|r| r.skipped.len()));
        for mut r in reports {
            out.append(&mut r.diagnostics);
            skipped.append(&mut r.skipped);
        }
        out.extend(late.into_iter().flatten());
        Report {
            diagnostics: Vec::new(),
            skipped,
            version: self.version,
        }
    }
}

/// Where an object's schema comes from.
enum Target<'a> {
    /// A compiled schema; `crd` when it came from a linted CRD.
    Schema(CompileResult, Option<&'a CrdVersion<'a>>),
    /// The apiVersion/kind is not served: the message, and whether it is the `apiVersion`
    /// (rather than the `kind`) that needs changing.
    NotServed(String, bool),
    /// No schema is known, for the reason given.
    Missing(String),
}

struct Run<'a> {
    settings: &'a SchemaSettings,
    /// Index of the bundled minor whose schemas are used.
    minor: usize,
    /// The Kubernetes version asked for (what is served is judged against it).
    requested: KubeVersion,
    crds: Crds<'a>,
    dirs: SchemaDirs,
}

impl<'a> Run<'a> {
    fn new(
        settings: &'a SchemaSettings,
        minor: usize,
        requested: KubeVersion,
        crds: Crds<'a>,
    ) -> Self {
        Run {
            settings,
            minor,
            requested,
            crds,
            dirs: SchemaDirs::new(&settings.dirs),
        }
    }

    /// The target of a kind built into Kubernetes (served, no longer served, or unknown in a
    /// built-in group); `None` for a custom resource, whose schema comes from a CRD, a schema
    /// folder, or nowhere.
    fn resolve_builtin(&self, obj: &Object) -> Option<Target<'_>> {
        let (api, kind) = (obj.id.api_version.as_str(), obj.id.kind.as_str());
        let b = bundle::get();
        if let Some(entry) = b.kind(api, kind).filter(|e| e.served_in(self.minor)) {
            return Some(Target::Schema(
                compile::builtin(&entry.def, self.minor, self.settings.strict),
                None,
            ));
        }
        if let Some(l) = api_lifecycle(api, kind) {
            return Some(self.not_served(api, kind, &l));
        }
        if lifecycle::is_builtin_group(obj.id.group()) {
            return Some(self.unknown_builtin(api, kind));
        }
        None
    }

    fn check_target(&self, obj: &Object, target: Target<'_>) -> Vec<Diagnostic> {
        let root = obj.node();
        let mut out = Vec::new();
        let mut emit = |rule, message, span, path, crd| {
            out.extend(
                self.diagnostic(rule, obj, message, span, path)
                    .map(|d| with_origin(d, crd)),
            )
        };
        match target {
            Target::Schema(Ok(compiled), crd) => {
                // The tree is validated as it is; a custom resource whose schema has defaults
                // is validated as the API server sees it, defaults filled in (a copy).
                let defaulted = compiled.defaults.then(|| {
                    let mut instance = root.to_json();
                    crd::apply_defaults(&mut instance, &compiled.doc);
                    instance::node_from_json(&instance)
                });
                let mut found = Vec::new();
                let instance = defaulted.as_ref().unwrap_or(root);
                schema_findings(&compiled, instance, "", root, &obj.source, &mut found);
                for f in found {
                    let span = locate(root, &f.pointer, f.anchor);
                    emit(f.rule, f.message, span, f.pointer, crd);
                }
                for d in &compiled.dropped {
                    let message = format!(
                        "{} was not fully checked: in its schema at {}, {}",
                        obj.id.display(),
                        d.pointer,
                        d.message
                    );
                    emit(
                        "schema-unchecked",
                        message,
                        kind_span(root),
                        String::new(),
                        crd,
                    );
                }
            }
            Target::Schema(Err(why), crd) => {
                let message = format!("{} was not checked: {why}", obj.id.display());
                emit(
                    "schema-unchecked",
                    message,
                    kind_span(root),
                    String::new(),
                    crd,
                );
            }
            Target::NotServed(message, api) => {
                let field = if api { "apiVersion" } else { "kind" };
                let span = root.get(field).map_or_else(|| kind_span(root), |n| n.span);
                emit(
                    "schema-unknown-kind",
                    message,
                    span,
                    format!("/{field}"),
                    None,
                );
            }
            Target::Missing(message) => {
                emit(
                    "schema-missing",
                    message,
                    kind_span(root),
                    String::new(),
                    None,
                );
            }
        }
        out
    }

    /// The target of any object: a built-in kind's, or a custom resource's from a CRD or a
    /// schema folder, compiled into `custom`.
    fn resolve(&self, obj: &Object, custom: &Cache<String>) -> Target<'_> {
        if let Some(t) = self.resolve_builtin(obj) {
            return t;
        }
        let (api, kind) = (obj.id.api_version.as_str(), obj.id.kind.as_str());
        let (group, version) = (obj.id.group(), obj.id.version());
        match self.crds.lookup(group, version, kind) {
            crd::Lookup::Found(v) => {
                let key = format!("crd {group}/{version}/{kind}");
                let compiled = custom.get_or_compile(key, || {
                    let schema = v.schema().unwrap_or_else(
                        || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                    );
                    let strict = self.settings.strict && v.prunes(&schema);
                    compile::custom(schema, self.minor, strict)
                });
                return Target::Schema(compiled, Some(v));
            }
            crd::Lookup::NotServed { crd, served } => {
                let use_instead = match served.as_slice() {
                    [] => "it serves no version".to_string(),
                    vs => format!(
                        "use {}",
                        vs.iter()
                            .map(|v| format!("`{group}/{v}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                };
                return Target::NotServed(
                    format!(
                        "CustomResourceDefinition `{crd}` does not serve `{api}` `{kind}`; {use_instead}"
                    ),
                    true,
                );
            }
            crd::Lookup::Unknown => {}
        }
        if let Some(found) = self.dirs.lookup(group, version, kind) {
            let key = format!("dir {}", found.path.display());
            let compiled = match &found.schema {
                Ok(schema) => custom.get_or_compile(key, || {
                    compile::custom(schema.clone(), self.minor, self.settings.strict)
                }),
                Err(e) => Err(e.clone()),
            };
            return Target::Schema(compiled, None);
        }
        Target::Missing(format!(
            "no schema for `{api}` `{kind}`, so its fields were not checked"
        ))
    }

    /// The most stable apiVersion of `group` that serves `kind` in the target minor.
    fn served_as(&self, group: Option<&str>, kind: &str) -> Option<String> {
        bundle::get()
            .kinds()
            .filter(|(a, k, e)| {
                *k == kind
                    && e.served_in(self.minor)
                    && group.is_none_or(|g| a.rsplit_once('/').map_or("", |(g, _)| g) == g)
            })
            .map(|(a, _, _)| a)
            .max_by_key(|a| {
                (
                    lifecycle::version_priority(a.rsplit_once('/').map_or(*a, |(_, v)| v)),
                    *a,
                )
            })
            .map(str::to_string)
    }

    /// A built-in kind the schemas of the selected minor do not serve.
    fn not_served(&self, api: &str, kind: &str, l: &Lifecycle) -> Target<'_> {
        let v = self.requested;
        if let Some(first) = l.introduced.filter(|first| *first > v) {
            return Target::NotServed(
                format!(
                    "`{api}` `{kind}` is not served by Kubernetes {v}: it was added in {first}"
                ),
                true,
            );
        }
        let Some(removed) = l.removed.filter(|removed| *removed <= v) else {
            let b = bundle::get();
            let bundled = format!("{} to {}", b.versions()[0], b.newest());
            return Target::Missing(format!(
                "no schema for `{api}` `{kind}` of Kubernetes {v} (accord bundles {bundled}), so its fields were not checked"
            ));
        };
        Target::NotServed(self.removed(api, kind, removed, l), true)
    }

    /// What to say about `api` `kind`, removed in Kubernetes `removed`, and what replaces it.
    fn removed(&self, api: &str, kind: &str, removed: KubeVersion, l: &Lifecycle) -> String {
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        let instead = self
            .served_as(Some(group), kind)
            .or_else(|| {
                l.replacement.clone().filter(|r| {
                    bundle::get()
                        .kind(r, kind)
                        .is_some_and(|e| e.served_in(self.minor))
                })
            })
            .map(|r| format!("; use `{r}`"))
            .or_else(|| l.note.as_ref().map(|n| format!("; {n}")))
            .unwrap_or_default();
        format!("`{api}` `{kind}` was removed in Kubernetes {removed}{instead}")
    }

    /// A kind in a built-in group that Kubernetes never served under this apiVersion.
    fn unknown_builtin(&self, api: &str, kind: &str) -> Target<'_> {
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        if let Some(other) = self
            .served_as(Some(group), kind)
            .or_else(|| self.served_as(None, kind))
        {
            return Target::NotServed(
                format!("`{kind}` is served as `{other}`, not `{api}`"),
                true,
            );
        }
        if let Some((last, l)) = lifecycle::removed_from_group(group, kind)
            && let Some(removed) = l.removed
        {
            let what = self.removed(&last, kind, removed, &l);
            return Target::NotServed(format!("`{api}` never served `{kind}`; {what}"), true);
        }
        let kinds: BTreeSet<&str> = bundle::get()
            .kinds()
            .filter(|(a, _, e)| *a == api && e.served_in(self.minor))
            .map(|(_, k, _)| k)
            .collect();
        if kinds.is_empty() {
            return Target::NotServed(
                format!("Kubernetes {} does not serve `{api}`", self.requested),
                true,
            );
        }
        let known: Vec<&str> = kinds.into_iter().collect();
        let hint = crate::manifest::de::closest(kind, &known)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        Target::NotServed(
            format!(
                "`{api}` has no kind `{kind}` in Kubernetes {}{hint}",
                self.requested
            ),
            false,
        )
    }

    fn diagnostic(
        &self,
        rule_id: &'static str,
        obj: &Object,
        message: String,
        span: Span,
        path: String,
    ) -> Option<Diagnostic> {
        let severity = *self.settings.rules.get(rule_id)?;
        let (why, help) =
            shared_texts(rule_id).expect("schema rule ids are listed in SCHEMA_RULES");
        Some(Diagnostic {
            rule: rule_id.to_string(),
            severity,
            category: CATEGORY.to_string(),
            message,
            location: Location::new(&obj.source, span),
            identity_path: crate::manifest::canon::keyed_path(obj.node(), &path),
            path,
            object: Some(obj.id.clone()),
            why,
            help,
            owner: self.settings.owner.clone(),
            contact: self.settings.contact.clone(),
            docs: None,
            labels: Vec::new(),
            fix: None,
            waiver: None,
            code_owner: None,
        })
    }
}

/// What `compiled` finds in `node`, at `prefix` in the object `root`, and what the schemas of
/// its parts find in theirs.
fn schema_findings(
    compiled: &compile::Compiled,
    node: &Node,
    prefix: &str,
    root: &Node,
    source: &SourceFile,
    out: &mut Vec<messages::Finding>,
) {
    for err in compiled.validator.iter_errors(instance::YNode(node)) {
        out.extend(messages::describe(
            &err,
            &compiled.doc,
            root,
            source,
            prefix,
        ));
    }
    for part in &compiled.parts {
        let Some(below) = part.path.iter().try_fold(node, |n, key| n.get(key)) else {
            continue;
        };
        let mut at = prefix.to_string();
        for key in &part.path {
            at.push('/');
            push_escaped(&mut at, key);
        }
        schema_findings(&part.compiled, below, &at, root, source, out);
    }
}

/// Point a finding on a custom resource at the CRD its schema came from.
fn with_origin(mut d: Diagnostic, crd: Option<&CrdVersion<'_>>) -> Diagnostic {
    if let Some(c) = crd {
        d.labels.push(Label {
            location: c.defined_at.clone(),
            message: format!("schema from CustomResourceDefinition `{}`", c.crd),
        });
    }
    d
}

/// The `kind` value of an object (where object-level findings point).
fn kind_span(root: &Node) -> Span {
    root.get("kind").map_or(root.span, |k| k.span)
}

/// The span a finding about `pointer` points at.
fn locate(root: &Node, pointer: &str, anchor: Anchor) -> Span {
    let (node, existing) = root.nearest(pointer);
    let key = root.key_span(&existing);
    if existing.is_empty() {
        return if pointer.is_empty() || existing != pointer {
            kind_span(root)
        } else {
            node.span
        };
    }
    if existing != pointer {
        // A missing field: its parent's key (`spec:`), or the list item that lacks it.
        return key.unwrap_or(node.span);
    }
    let collection = matches!(node.value, YamlValue::Map(_) | YamlValue::Seq(_));
    match (anchor, key) {
        (Anchor::Key, Some(k)) => k,
        (Anchor::Value, Some(k)) if collection || node.span.start() == node.span.end() => k,
        _ => node.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::read;

    fn lint(
        files: &[(&str, &str)],
        settings: &SchemaSettings,
    ) -> Vec<(String, String, usize, usize)> {
        let files: Vec<FileManifests> = files.iter().map(|(p, t)| read(*p, *t)).collect();
        let mut d = validate(&files, settings).diagnostics;
        crate::diagnostic::sort(&mut d);
        d.into_iter()
            .map(|d| {
                (
                    d.rule,
                    d.message,
                    d.location.start.line,
                    d.location.start.column,
                )
            })
            .collect()
    }

    #[test]
    fn a_deployment_with_every_kind_of_mistake() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: two\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - image: nginx\n        imagePullPolicy: always\n        ports:\n        - containerPort: 99999999999\n        resources:\n          limits: {cpu: lots}\n        env:\n        - name: A\n          value: yes\n      restartPolicyy: Always\n";
        let got = lint(&[("d.yaml", yaml)], &SchemaSettings::default());
        let expect = [
            (
                "schema-invalid-type",
                "`replicas` must be an integer, got string \"two\"",
                6,
                13,
            ),
            (
                "schema-required",
                "missing required field `name` in `containers[0]`",
                14,
                9,
            ),
            (
                "schema-format",
                "`containerPort` must fit in a 32-bit integer (at most 2147483647), got 99999999999",
                17,
                26,
            ),
            (
                "schema-format",
                "`cpu` must be a quantity such as 500m, 2, 1.5 or 128Mi, got \"lots\"",
                19,
                25,
            ),
            (
                "schema-invalid-type",
                "`value` must be a string, got boolean true (unquoted `yes` is a boolean in YAML; write \"yes\" to keep it a string)",
                22,
                18,
            ),
            (
                "schema-unknown-field",
                "unknown field `restartPolicyy` in `spec` (did you mean `restartPolicy`?)",
                23,
                7,
            ),
        ];
        let got: Vec<(&str, &str, usize, usize)> = got
            .iter()
            .map(|(r, m, l, c)| (r.as_str(), m.as_str(), *l, *c))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn strictness_and_rules_follow_the_settings() {
        let yaml =
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, lables: {}}\ndata: {a: b}\n";
        assert_eq!(
            lint(&[("c.yaml", yaml)], &SchemaSettings::default()).len(),
            1
        );
        let lax = SchemaSettings {
            strict: false,
            ..SchemaSettings::default()
        };
        assert!(lint(&[("c.yaml", yaml)], &lax).is_empty());
        let mut off = SchemaSettings::default();
        off.rules.remove("schema-unknown-field");
        assert!(lint(&[("c.yaml", yaml)], &off).is_empty());
    }

    #[test]
    fn removed_and_unknown_apis_say_what_to_use() {
        let doc = |api: &str, kind: &str| {
            format!("apiVersion: {api}\nkind: {kind}\nmetadata: {{name: a}}\n")
        };
        let one = |api: &str, kind: &str, settings: &SchemaSettings| {
            lint(&[("a.yaml", &doc(api, kind))], settings).remove(0)
        };
        let d = SchemaSettings::default();
        assert_eq!(
            one("extensions/v1beta1", "Deployment", &d).1,
            "`extensions/v1beta1` `Deployment` was removed in Kubernetes 1.16; use `apps/v1`"
        );
        assert_eq!(
            one("autoscaling/v2beta2", "HorizontalPodAutoscaler", &d).1,
            "`autoscaling/v2beta2` `HorizontalPodAutoscaler` was removed in Kubernetes 1.26; use `autoscaling/v2`"
        );
        assert_eq!(
            one("policy/v1beta1", "PodSecurityPolicy", &d).1,
            "`policy/v1beta1` `PodSecurityPolicy` was removed in Kubernetes 1.25; use Pod Security Admission: label the namespace with pod-security.kubernetes.io/enforce"
        );
        assert_eq!(
            one("apps/v2", "Deployment", &d).1,
            "`Deployment` is served as `apps/v1`, not `apps/v2`"
        );
        assert_eq!(
            one("policy/v1", "PodSecurityPolicy", &d).1,
            "`policy/v1` never served `PodSecurityPolicy`; `policy/v1beta1` `PodSecurityPolicy` was removed in Kubernetes 1.25; use Pod Security Admission: label the namespace with pod-security.kubernetes.io/enforce"
        );
        let (rule, message, line, column) = one("apps/v1", "Deploymnet", &d);
        assert_eq!(
            (rule.as_str(), message.as_str(), line, column),
            (
                "schema-unknown-kind",
                "`apps/v1` has no kind `Deploymnet` in Kubernetes 1.37 (did you mean `Deployment`?)",
                2,
                7
            )
        );
        let old = SchemaSettings {
            kubernetes_version: KubeVersion::parse("1.30"),
            ..SchemaSettings::default()
        };
        assert_eq!(
            one("networking.k8s.io/v1", "ServiceCIDR", &old).1,
            "`networking.k8s.io/v1` `ServiceCIDR` is not served by Kubernetes 1.30: it was added in 1.33"
        );
        assert!(
            lint(
                &[(
                    "a.yaml",
                    &doc("autoscaling/v2beta2", "HorizontalPodAutoscaler")
                )],
                &SchemaSettings {
                    kubernetes_version: KubeVersion::parse("1.25"),
                    ..SchemaSettings::default()
                }
            )
            .iter()
            .all(|d| d.0 != "schema-unknown-kind")
        );
    }

    #[test]
    fn custom_resources_use_linted_crds_or_say_they_have_no_schema() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              size: {type: integer, nullable: true}\n              mode: {x-kubernetes-int-or-string: true}\n";
        let cr = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: null\n  mode: 1\n  sise: 3\n---\napiVersion: example.com/v2\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: other.io/v1\nkind: Gadget\nmetadata: {name: g}\n";
        let got = lint(
            &[("crd.yaml", crd), ("cr.yaml", cr)],
            &SchemaSettings::default(),
        );
        let rules: Vec<(&str, usize)> = got.iter().map(|(r, _, l, _)| (r.as_str(), *l)).collect();
        assert_eq!(
            rules,
            [
                ("schema-unknown-field", 7),
                ("schema-unknown-kind", 9),
                ("schema-missing", 14)
            ],
            "{got:?}"
        );
        assert_eq!(
            got[0].1,
            "unknown field `sise` in `spec` (did you mean `size`?)"
        );
        assert_eq!(
            got[1].1,
            "CustomResourceDefinition `widgets.example.com` does not serve `example.com/v2` `Widget`; use `example.com/v1`"
        );
    }

    #[test]
    fn custom_resources_of_several_kinds_are_reported_in_file_order() {
        // `finish` validates one kind at a time; its findings still come in file order, which
        // is what ties in the final sort keep.
        let crd = |kind: &str| {
            format!(
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: {kind}s.example.com}}\nspec:\n  group: example.com\n  names: {{kind: {kind}, plural: {kind}s}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec: {{type: object, properties: {{size: {{type: integer}}}}}}\n"
            )
        };
        let crds = format!("{}---\n{}", crd("Widget"), crd("Gadget"));
        let cr = |kind: &str, name: &str| {
            format!(
                "apiVersion: example.com/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec: {{size: big}}\n"
            )
        };
        let crs = [
            cr("Widget", "w1"),
            cr("Gadget", "g1"),
            cr("Widget", "w2"),
            cr("Gadget", "g2"),
        ]
        .join("---\n");
        let files = [read("crds.yaml", crds), read("crs.yaml", crs)];
        let d = validate(&files, &SchemaSettings::default()).diagnostics;
        let objects: Vec<&str> = d
            .iter()
            .map(|d| {
                d.object
                    .as_ref()
                    .and_then(|o| o.name.as_deref())
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(objects, ["w1", "g1", "w2", "g2"], "{d:#?}");
        assert!(d.iter().all(|d| d.rule == "schema-invalid-type"), "{d:#?}");
    }

    #[test]
    fn unsupported_patterns_are_reported_not_silently_ignored() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: as.b.c}\nspec:\n  group: b.c\n  names: {kind: A, plural: as}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              name: {type: string, pattern: '^(?!kube-).*$'}\n              size: {type: integer}\n";
        let cr =
            "apiVersion: b.c/v1\nkind: A\nmetadata: {name: a}\nspec: {name: kube-x, size: big}\n";
        let got = lint(
            &[("crd.yaml", crd), ("cr.yaml", cr)],
            &SchemaSettings::default(),
        );
        let rules: Vec<&str> = got.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(
            rules,
            ["schema-unchecked", "schema-invalid-type"],
            "{got:?}"
        );
        assert_eq!(
            got[0].1,
            "A a was not fully checked: in its schema at /properties/spec/properties/name/pattern, the regular expression `^(?!kube-).*$` is not supported, so it was not checked"
        );
    }

    #[test]
    fn patches_are_skipped_not_judged() {
        let patch =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 3}\n";
        let files = [read("replicas-patch.yaml", patch)];
        let report = validate(&files, &SchemaSettings::default());
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        assert_eq!(report.skipped.len(), 1);
        assert!(report.skipped[0].reason.is_patch());
    }

    #[test]
    fn versions_older_than_the_bundle_use_its_oldest_schemas_and_know_what_they_served() {
        let old = SchemaSettings {
            kubernetes_version: KubeVersion::parse("1.20"),
            ..SchemaSettings::default()
        };
        let doc = |api: &str, kind: &str| {
            format!("apiVersion: {api}\nkind: {kind}\nmetadata: {{name: a}}\n")
        };
        let got = lint(
            &[
                ("a.yaml", &doc("batch/v1beta1", "CronJob")),
                ("b.yaml", &doc("extensions/v1beta1", "Deployment")),
            ],
            &old,
        );
        assert_eq!(got[0].0, "schema-missing");
        assert_eq!(
            got[0].1,
            "no schema for `batch/v1beta1` `CronJob` of Kubernetes 1.20 (accord bundles 1.25 to 1.37), so its fields were not checked"
        );
        assert_eq!(
            got[1].1,
            "`extensions/v1beta1` `Deployment` was removed in Kubernetes 1.16; use `apps/v1`"
        );
        assert_eq!(target(KubeVersion::parse("1.20")).1.to_string(), "1.25");
        assert_eq!(target(KubeVersion::parse("1.99")).1.to_string(), "1.37");
    }
}
