//! `accord diff`: what a change did — to objects, to findings, to the policy — as plain data.
//!
//! Three levels, each a plain value ([`model`]): objects matched by identity ([`objects`]) with
//! semantic field changes ([`fields`]); findings at HEAD classified introduced / unchanged /
//! fixed by (identity, rule, keyed path) ([`findings`]); and text hunks of the changed files
//! with the introduced findings attached ([`hunks`]). [`run`] reads both revisions straight
//! from git and builds a [`DiffReport`]; renderers live in `render/diff_*.rs`.
//!
//! The design decision: a file with the same blob at BASE and HEAD is parsed and linted once and
//! its findings serve both sides, so a diff costs one lint of HEAD plus a lint of the changed
//! files at BASE — not two full lints.
//!
//! Kustomizations are rendered at both revisions, straight from each revision's tree
//! ([`crate::load::git::RevFiles`]), and the rendered objects take the place of the files that
//! belong to a kustomization (bases, patches), as in `lint`. Each overlay's objects live in their
//! own synthetic file, and their identity is scoped by the kustomization directory
//! ([`objects::identity`]: `overlays/prod::apps/Deployment/web/web`), so the same Deployment in two
//! overlays is two objects, and a one-line change in a base is a change — and possibly an
//! introduced finding — in every overlay that renders it. Findings are matched on the rendered
//! objects, then moved to the base, patch or kustomization line that set the field
//! ([`crate::kustomize::remap_one`]); object and field changes are placed the same way. The
//! annotated unified diff stays a diff of the changed files, never of the rendered streams.

pub mod fields;
pub mod findings;
pub mod hunks;
pub mod model;
pub mod objects;
pub mod waivers;

use crate::diagnostic::{Diagnostic, InputError};
use crate::engine::{self, Transition, object_key};
use crate::kustomize::{self, files::Files};
use crate::load::git::{FileEntry, GitError, GitRepo, RevFiles, RevInfo};
use crate::load::rules::{self, RuleError, RuleOptions, RuleSet};
use crate::manifest::{FileManifests, Object};
use crate::policy::cond::{KindSel, Relation};
use crate::policy::model::{AppliesTo, NamespaceMode, RelationScope};
use findings::{Keyed, ObjectIndex};
pub use model::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

/// How to diff.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How to choose rules at each revision.
    pub rules: RuleOptions,
    /// Only files under these paths (from the repository root; empty: all).
    pub paths: Vec<String>,
    /// Context lines around changes in hunks.
    pub context: usize,
    /// Called once with the number of files to read (both revisions, files identical on both
    /// sides counted once) before they are read: the CLI sizes its heap by it.
    pub on_files: fn(usize),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: RuleOptions::default(),
            paths: Vec::new(),
            context: 3,
            on_files: |_| {},
        }
    }
}

/// Why a diff could not be made.
#[derive(Debug)]
pub enum DiffError {
    /// Reading the repository failed.
    Git(GitError),
    /// The rules or config at a revision are broken.
    Rules {
        /// Which revision (its label).
        rev: String,
        /// What is wrong.
        error: RuleError,
    },
}

impl std::fmt::Display for DiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiffError::Git(e) => write!(f, "{e}"),
            DiffError::Rules { rev, error } => write!(f, "rules at {rev}: {error}"),
        }
    }
}

impl std::error::Error for DiffError {}

impl From<GitError> for DiffError {
    fn from(e: GitError) -> Self {
        DiffError::Git(e)
    }
}

/// One side, loaded.
struct Loaded {
    files: Vec<FileManifests>,
    errors: Vec<InputError>,
}

fn load(repo: &GitRepo, entries: Vec<FileEntry>) -> Loaded {
    let l = repo.load(entries, &|p: &str| p.to_string());
    Loaded {
        files: l.files,
        errors: l.errors,
    }
}

/// Diff `base` → `head` in `repo`: object changes, finding delta, policy blast radius, hunks.
pub fn run(
    repo: &GitRepo,
    base: RevInfo,
    head: RevInfo,
    settings: &Settings,
) -> Result<DiffReport, DiffError> {
    run_timed(repo, base, head, settings, &|_| {})
}

/// [`run`], calling `mark(phase)` at the end of each phase (for `ACCORD_TIMINGS`).
pub fn run_timed(
    repo: &GitRepo,
    base: RevInfo,
    head: RevInfo,
    settings: &Settings,
    mark: &dyn Fn(&str),
) -> Result<DiffReport, DiffError> {
    let mut head_rules =
        rules::at_revision(repo, head.rev, &settings.rules).map_err(|error| DiffError::Rules {
            rev: head.label(),
            error,
        })?;
    let mut base_rules =
        rules::at_revision(repo, base.rev, &settings.rules).map_err(|error| DiffError::Rules {
            rev: base.label(),
            error,
        })?;
    // Unmatched central waivers are stale only when the whole repository is diffed.
    for r in [&mut head_rules, &mut base_rules] {
        if let Some(o) = &mut r.waivers.options {
            o.stale_central = settings.paths.is_empty();
        }
    }
    mark("rules");
    // HEAD's include/exclude decide the files on both sides: files do not appear or vanish
    // because a glob changed.
    let head_entries: Vec<FileEntry> = repo
        .files(head.rev, &settings.paths)?
        .into_iter()
        .filter(|e| head_rules.accepts(&e.path))
        .collect();
    let base_entries: Vec<FileEntry> = repo
        .files(base.rev, &settings.paths)?
        .into_iter()
        .filter(|e| head_rules.accepts(&e.path))
        .collect();
    let head_oids: HashMap<&str, git2::Oid> = head_entries
        .iter()
        .map(|e| (e.path.as_str(), e.oid))
        .collect();
    let identical: HashSet<String> = base_entries
        .iter()
        .filter(|e| !e.oid.is_zero() && head_oids.get(e.path.as_str()) == Some(&e.oid))
        .map(|e| e.path.clone())
        .collect();
    mark("git trees");
    // Kustomizations, rendered from each revision's tree. A file that belongs to a kustomization
    // on one side only is not shared: its objects count on the side where it is loose.
    let head_fs = RevFiles::new(repo, head.rev, |p: &str| p.to_string())?;
    let base_fs = RevFiles::new(repo, base.rev, |p: &str| p.to_string())?;
    let mut head_k = render(&head_fs, &head_entries, &settings.paths);
    let mut base_k = render(&base_fs, &base_entries, &settings.paths);
    mark("kustomize");
    let identical: HashSet<String> = identical
        .into_iter()
        .filter(|p| head_k.member_paths.contains(p) == base_k.member_paths.contains(p))
        .collect();
    let changed_base: Vec<FileEntry> = base_entries
        .into_iter()
        .filter(|e| !identical.contains(&e.path))
        .collect();
    (settings.on_files)(head_entries.len() + changed_base.len());
    let mut head_l = load(repo, head_entries);
    let mut base_l = load(repo, changed_base);
    mark("load");
    kustomize::absorb(&mut head_l.files, &mut head_k);
    kustomize::absorb(&mut base_l.files, &mut base_k);
    let rendered = Rendered {
        head: &head_k,
        base: &base_k,
    };
    Ok(build(
        base,
        head,
        &base_rules,
        &head_rules,
        &head_l,
        &base_l,
        &identical,
        settings.context,
        Some(&rendered),
        mark,
    ))
}

/// The kustomizations rendered at each revision (their objects are among the loaded files).
#[derive(Clone, Copy)]
struct Rendered<'k> {
    head: &'k kustomize::Output,
    base: &'k kustomize::Output,
}

impl Rendered<'_> {
    /// The output a rendered file belongs to.
    fn of(&self, src: &crate::source::SourceFile) -> Option<&kustomize::Output> {
        [self.head, self.base]
            .into_iter()
            .find(|o| o.rendered_for(src).is_some())
    }
}

/// Render the kustomization directories among `entries` (and the `scope` directories).
fn render(fs: &dyn Files, entries: &[FileEntry], scope: &[String]) -> kustomize::Output {
    let paths: Vec<PathBuf> = entries.iter().map(|e| PathBuf::from(&e.path)).collect();
    let inputs: Vec<PathBuf> = if scope.is_empty() {
        vec![PathBuf::new()]
    } else {
        scope.iter().map(PathBuf::from).collect()
    };
    let dirs = kustomize::find_dirs_in(fs, &inputs, &paths);
    if dirs.is_empty() {
        return kustomize::Output::default();
    }
    kustomize::render_all_in(fs, &dirs)
}

/// Diff two in-memory sets of files with one rule set (used by `accord test` for transition
/// examples): the same classification as [`run`], without git.
pub fn diff_files(
    base_files: &[FileManifests],
    head_files: &[FileManifests],
    rules: &RuleSet,
    context: usize,
) -> DiffReport {
    let info = |spec: &str| RevInfo {
        rev: crate::load::git::Rev::WorkTree,
        spec: spec.into(),
        commit: None,
        summary: None,
    };
    build_refs(
        info("base"),
        info("head"),
        rules,
        rules,
        head_files,
        base_files,
        &HashSet::new(),
        context,
        None,
        &|_| {},
    )
}

#[allow(clippy::too_many_arguments)]
fn build(
    base: RevInfo,
    head: RevInfo,
    base_rules: &RuleSet,
    head_rules: &RuleSet,
    head_l: &Loaded,
    base_l: &Loaded,
    identical: &HashSet<String>,
    context: usize,
    rendered: Option<&Rendered<'_>>,
    mark: &dyn Fn(&str),
) -> DiffReport {
    let mut errors: Vec<InputError> = head_l.errors.clone();
    errors.extend(base_l.errors.iter().map(|e| InputError {
        file: e.file.clone(),
        message: format!("{} (at {})", e.message, base.label()),
    }));
    let mut report = build_refs(
        base,
        head,
        base_rules,
        head_rules,
        &head_l.files,
        &base_l.files,
        identical,
        context,
        rendered,
        mark,
    );
    report.errors = errors;
    report
}

#[allow(clippy::too_many_arguments)]
fn build_refs(
    base: RevInfo,
    head: RevInfo,
    base_rules: &RuleSet,
    head_rules: &RuleSet,
    head_files: &[FileManifests],
    base_changed: &[FileManifests],
    identical: &HashSet<String>,
    context: usize,
    rendered: Option<&Rendered<'_>>,
    mark: &dyn Fn(&str),
) -> DiffReport {
    // Objects: files both sides share count on both sides (as the same objects).
    let shared: Vec<&FileManifests> = head_files
        .iter()
        .filter(|f| identical.contains(&f.source.path))
        .collect();
    let head_objs: Vec<&Object> = head_files.iter().flat_map(|f| f.objects.iter()).collect();
    let base_objs: Vec<&Object> = base_changed
        .iter()
        .chain(shared.iter().copied())
        .flat_map(|f| f.objects.iter())
        .collect();
    let matched = objects::match_objects(&base_objs, &head_objs);
    let object_changes = match rendered {
        None => objects::changes(&matched),
        Some(k) => objects::changes_with(
            &matched,
            &objects::Locator {
                side: &|o: &Object| rendered_side(k, o),
                field: Some(&|src: &crate::source::SourceFile, span| {
                    let o = k.of(src)?.origin(src, span)?;
                    let line = o.source.position(o.span.start()).line;
                    Some((o.source.path.clone(), line))
                }),
            },
        ),
    };
    mark("match objects");

    // Lint. HEAD sees each object's BASE version; removed objects get `applies-to: removed` rules.
    let mut t = Transition::default();
    for (b, h) in matched.pairs.iter().chain(&matched.renamed) {
        t.old.insert(object_key(h), *b);
    }
    t.removed = matched.removed.clone();
    let head_refs: Vec<&FileManifests> = head_files.iter().collect();
    let mut head_diags = engine::lint_refs(&head_refs, &head_rules.rules, &head_rules.ctx, &t);
    mark("lint HEAD");
    let transition: BTreeSet<String> = head_rules
        .rules
        .iter()
        .chain(&base_rules.rules)
        .filter(|r| r.transition)
        .map(|r| r.id().to_string())
        .collect();
    let removed_rules: BTreeSet<String> = head_rules
        .rules
        .iter()
        .filter(|r| r.applies_to == AppliesTo::Removed)
        .map(|r| r.id().to_string())
        .collect();
    // Findings of cross-object rules on an unchanged file can still change (the related object
    // is in a changed file), so those are linted again at BASE instead of reused.
    let cross_rules: BTreeSet<&str> = head_rules
        .rules
        .iter()
        .chain(&base_rules.rules)
        .filter(|r| r.cross_object)
        .map(|r| r.id())
        .collect();
    // With the same rules on both sides, a cross-object rule judges an unchanged file
    // differently at BASE only when an object of a changed file (on either side) could be
    // related to one of the file's objects: those files are linted again with that rule, and
    // its HEAD findings on the other unchanged files are reused.
    let touched: Vec<&Object> = head_files
        .iter()
        .filter(|f| !identical.contains(&f.source.path))
        .chain(base_changed)
        .flat_map(|f| f.objects.iter())
        .collect();
    let relinted = relint_files(
        &base_rules.rules,
        &shared,
        &touched,
        &[&head_rules.ctx, &base_rules.ctx],
    );
    let (bfp, hfp) = (base_rules.fingerprints(), head_rules.fingerprints());
    let rules_same = bfp == hfp && base_rules.filter_globs() == head_rules.filter_globs();
    let redone = |rule: &str, file: &str| {
        if rules_same {
            relinted.get(rule).is_some_and(|files| files.contains(file))
        } else {
            cross_rules.contains(rule)
        }
    };
    let shared_diags: Vec<Diagnostic> = head_diags
        .iter()
        .filter(|d| {
            identical.contains(d.location.file())
                && !transition.contains(&d.rule)
                && !redone(&d.rule, d.location.file())
        })
        .cloned()
        .collect();
    let base_refs: Vec<&FileManifests> = base_changed.iter().collect();
    // BASE is linted in two parts (changed files, shared files); cross-object rules see all of it.
    let with_shared = Transition {
        context: shared.clone(),
        ..Transition::default()
    };
    let with_changed = Transition {
        context: base_refs.clone(),
        ..Transition::default()
    };
    let mut base_diags =
        engine::lint_refs(&base_refs, &base_rules.rules, &base_rules.ctx, &with_shared);
    let cross = if rules_same {
        base_diags.extend(shared_diags);
        if !relinted.is_empty() {
            // File problems of shared files are already among `shared_diags`.
            base_diags.extend(
                engine::lint_refs_by(
                    &shared,
                    &base_rules.rules,
                    &base_rules.ctx,
                    &with_changed,
                    |r, o| redone(r.id(), &o.source.path),
                )
                .into_iter()
                .filter(|d| base_rules.rules.iter().any(|r| r.id() == d.rule)),
            );
        }
        None
    } else {
        base_diags.extend(engine::lint_refs(
            &shared,
            &base_rules.rules,
            &base_rules.ctx,
            &with_changed,
        ));
        let mut c = engine::lint_refs(&base_refs, &head_rules.rules, &head_rules.ctx, &with_shared);
        c.extend(shared_diags);
        Some(c)
    };
    mark("lint BASE");

    // Findings of rendering itself: both sides are rendered in full, so each side has its own.
    let render_diags = |head: bool| {
        rendered.map_or_else(Vec::new, |k| {
            if head { k.head } else { k.base }.diagnostics.clone()
        })
    };
    head_diags.extend(render_diags(true));
    base_diags.extend(render_diags(false));
    let mut cross = cross.map(|mut c| {
        c.extend(render_diags(false));
        c
    });

    // Waivers: each side's findings with its own waivers (stale waivers become findings, so
    // they are introduced, unchanged or fixed too); code owners from HEAD's CODEOWNERS.
    head_rules.apply_waivers(&mut head_diags, head_files.iter());
    base_rules.apply_waivers(
        &mut base_diags,
        base_changed.iter().chain(shared.iter().copied()),
    );
    if let Some(c) = &mut cross {
        // Stale waivers do not depend on the rule change: BASE's count as HEAD's rules' too.
        c.extend(
            base_diags
                .iter()
                .filter(|d| d.rule == crate::diagnostic::STALE_WAIVER)
                .cloned(),
        );
    }
    head_rules.assign_code_owners(&mut head_diags);
    head_rules.assign_code_owners(&mut base_diags);
    let new_waivers = waivers::added(&matched, base_rules, head_rules, rendered.map(|k| k.head));
    mark("waivers");

    // Classify.
    let head_ix = ObjectIndex::new(head_files.iter(), matched.removed.iter().copied());
    let base_ix = ObjectIndex::new(
        base_changed.iter().chain(shared.iter().copied()),
        std::iter::empty(),
    );
    let hk = Keyed::new(head_diags, &head_ix);
    let bk = Keyed::new(base_diags, &base_ix);
    let ck = cross.map(|c| Keyed::new(c, &base_ix));
    let (mut delta, mut newly, mut resolved) = findings::classify(hk, bk, ck, &transition);
    mark("classify");
    if let Some(k) = rendered {
        // Keyed on the rendered objects; now located at the lines that set the fields.
        for (list, side) in [
            (&mut delta.introduced, None),
            (&mut delta.unchanged, Some(k.head)),
            (&mut delta.fixed, Some(k.base)),
            (&mut newly, Some(k.head)),
            (&mut resolved, Some(k.base)),
        ] {
            for f in list.iter_mut() {
                let out = side.unwrap_or(if f.side == Side::Base { k.base } else { k.head });
                f.diagnostic = kustomize::remap_one(f.diagnostic.clone(), out);
                f.patch = hunks::fix_patch(&f.diagnostic);
            }
        }
    }
    for f in &mut delta.introduced {
        if removed_rules.contains(&f.diagnostic.rule) {
            f.side = Side::Base;
        }
        f.patch = hunks::fix_patch(&f.diagnostic);
    }
    for f in &mut newly {
        f.patch = hunks::fix_patch(&f.diagnostic);
    }
    let policy = (!rules_same).then(|| {
        findings::policy(
            &bfp,
            &hfp,
            base_rules.filter_globs() != head_rules.filter_globs(),
            newly,
            resolved,
        )
    });

    // Text diffs of the changed files.
    let files = file_diffs(
        head_files,
        base_changed,
        identical,
        &matched,
        &object_changes,
        &delta,
        context,
    );
    mark("remap and hunks");

    let active = |v: &[Finding]| v.iter().filter(|f| !f.diagnostic.is_waived()).count();
    let at_head: Vec<&Diagnostic> = delta
        .introduced
        .iter()
        .chain(&delta.unchanged)
        .map(|f| &f.diagnostic)
        .collect();
    let mut summary = DiffSummary {
        files: files.len(),
        objects: head_objs.len(),
        rules: head_rules.rules.len(),
        introduced: active(&delta.introduced),
        unchanged: active(&delta.unchanged),
        fixed: delta.fixed.len(),
        policy_new: policy.as_ref().map_or(0, |p| active(&p.newly_flagged)),
        waived: at_head.iter().filter(|d| d.is_waived()).count(),
        expired_waivers: crate::diagnostic::distinct_expired_waivers(at_head.iter().copied()),
        stale_waivers: at_head
            .iter()
            .filter(|d| d.rule == crate::diagnostic::STALE_WAIVER)
            .count(),
        new_waivers: new_waivers.len(),
        ..DiffSummary::default()
    };
    for c in &object_changes {
        match c.kind {
            ChangeKind::Added => summary.added += 1,
            ChangeKind::Removed => summary.removed += 1,
            ChangeKind::Modified => summary.modified += 1,
            ChangeKind::Moved => summary.moved += 1,
            ChangeKind::Renamed => summary.renamed += 1,
        }
    }
    for f in delta
        .introduced
        .iter()
        .filter(|f| !f.diagnostic.is_waived())
    {
        match f.diagnostic.severity {
            crate::diagnostic::Severity::Error => summary.introduced_errors += 1,
            crate::diagnostic::Severity::Warning => summary.introduced_warnings += 1,
            crate::diagnostic::Severity::Info => summary.introduced_infos += 1,
        }
    }
    let fail_on = head_rules.config.file.fail_on;
    DiffReport {
        base,
        head,
        objects: object_changes,
        findings: delta,
        policy,
        files,
        summary,
        errors: Vec::new(),
        fail_on,
        new_waivers,
    }
}

/// Could a relation to `sel`, evaluated on an object of kind `me` (any kind: `None`), see `o`
/// (with either side's context)? Errs on yes: groups are ignored and any custom resource may
/// embed pod templates.
fn may_relate(sel: &KindSel, o: &Object, me: Option<&str>, ctxs: &[&engine::Context]) -> bool {
    match sel {
        KindSel::Kind(_, kind) => *kind == o.id.kind,
        KindSel::Workloads => !o.id.group().is_empty() || ctxs.iter().any(|c| c.is_workload(o)),
        KindSel::SelfKind => me.is_none_or(|k| k == o.id.kind),
    }
}

/// Could `rel`, evaluated on `me` (in an unchanged file), count `o` (in a changed file) among its
/// candidates? The engine's own narrowing — kind, scope, namespace — made conservative.
fn may_reach(rel: &Relation, me: &Object, o: &Object, ctxs: &[&engine::Context]) -> bool {
    let parent = |p: &str| p.rfind(['/', '\\']).map_or("", |i| &p[..i]).to_string();
    let in_scope = match rel.scope {
        RelationScope::All => true,
        // Never the same file: one is unchanged, the other changed.
        RelationScope::File => false,
        RelationScope::Directory => parent(&me.source.path) == parent(&o.source.path),
    };
    let other_namespace = rel.namespace == NamespaceMode::Same
        && matches!((&me.id.namespace, &o.id.namespace), (Some(a), Some(b)) if a != b);
    in_scope
        && !other_namespace
        && rel
            .kinds
            .iter()
            .any(|k| may_relate(k, o, Some(&me.id.kind), ctxs))
}

/// For each cross-object rule of `rules`, the unchanged files (`shared`) on which it must be
/// evaluated again at BASE because an object of a changed file (`touched`, either side) could be
/// related to one of their objects; rules that need no file are left out. Transition rules and
/// rules whose nested relations (in a relation's `where`) could see a touched object are
/// evaluated again everywhere.
fn relint_files<'a>(
    rules: &'a [crate::policy::Rule],
    shared: &[&'a FileManifests],
    touched: &[&Object],
    ctxs: &[&engine::Context],
) -> HashMap<&'a str, HashSet<&'a str>> {
    let mut out: HashMap<&str, HashSet<&str>> = HashMap::new();
    for r in rules.iter().filter(|r| r.cross_object) {
        let rels = r.relations();
        let mut nested = Vec::new();
        for rel in &rels {
            if let Some(w) = &rel.where_ {
                crate::policy::cond::related_kinds(w, &mut nested);
            }
        }
        let everywhere = r.transition
            || touched
                .iter()
                .any(|o| nested.iter().any(|k| may_relate(k, o, None, ctxs)));
        // The touched objects some relation could see at all, with that relation.
        let reachable: Vec<(&Relation, &Object)> = rels
            .iter()
            .flat_map(|rel| touched.iter().map(move |o| (*rel, *o)))
            .filter(|(rel, o)| rel.kinds.iter().any(|k| may_relate(k, o, None, ctxs)))
            .collect();
        if !everywhere && reachable.is_empty() {
            continue;
        }
        let files: HashSet<&str> = shared
            .iter()
            .filter(|f| {
                everywhere
                    || f.objects
                        .iter()
                        .any(|me| reachable.iter().any(|(rel, o)| may_reach(rel, me, o, ctxs)))
            })
            .map(|f| f.source.path.as_str())
            .collect();
        if !files.is_empty() {
            out.insert(r.id(), files);
        }
    }
    out
}

/// Where a version of a rendered object was defined, and the overlay it was rendered by.
fn rendered_side(k: &Rendered<'_>, o: &Object) -> ObjectSide {
    let mut s = objects::side(o);
    let Some(dir) = kustomize::rendered_dir(&o.source.path) else {
        return s;
    };
    s.overlay = Some(dir.to_string());
    if let Some(origin) = k
        .of(&o.source)
        .and_then(|out| out.object_origin(&o.source, o.node().span))
    {
        s.file = origin.source.path.clone();
        s.line = origin.source.position(origin.span.start()).line;
    }
    s
}

fn file_diffs(
    head_files: &[FileManifests],
    base_changed: &[FileManifests],
    identical: &HashSet<String>,
    matched: &objects::Matched<'_>,
    changes: &[ObjectChange],
    delta: &FindingDelta,
    context: usize,
) -> Vec<FileDiff> {
    // The diff is of the changed files, never of rendered kustomization streams.
    let real = |f: &&FileManifests| kustomize::rendered_dir(&f.source.path).is_none();
    let head_by: BTreeMap<&str, &FileManifests> = head_files
        .iter()
        .filter(real)
        .map(|f| (f.source.path.as_str(), f))
        .collect();
    let base_by: BTreeMap<&str, &FileManifests> = base_changed
        .iter()
        .filter(real)
        .map(|f| (f.source.path.as_str(), f))
        .collect();
    let added: Vec<&str> = head_by
        .keys()
        .copied()
        .filter(|p| !identical.contains(*p) && !base_by.contains_key(p))
        .collect();
    let deleted: Vec<&str> = base_by
        .keys()
        .copied()
        .filter(|p| !head_by.contains_key(p))
        .collect();
    // A deleted file whose objects went (mostly) to one added file was renamed.
    let mut renamed_to: BTreeMap<&str, &str> = BTreeMap::new();
    for d in &deleted {
        let total = base_by[d].objects.len();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for (b, h) in matched.pairs.iter().chain(&matched.renamed) {
            if b.source.path == *d && added.contains(&h.source.path.as_str()) {
                *votes.entry(h.source.path.as_str()).or_default() += 1;
            }
        }
        let best = votes
            .into_iter()
            .max_by_key(|(p, n)| (*n, std::cmp::Reverse(*p)));
        let pick = match best {
            Some((p, n))
                if total > 0 && n * 2 >= total && !renamed_to.values().any(|x| *x == p) =>
            {
                Some(p)
            }
            _ if total == 0 => added.iter().copied().find(|a| {
                head_by[a].source.text == base_by[d].source.text
                    && !renamed_to.values().any(|x| x == a)
            }),
            _ => None,
        };
        if let Some(p) = pick {
            renamed_to.insert(d, p);
        }
    }
    // Secret keys whose value changed, for the redaction placeholder.
    let secret_changes: HashSet<(String, String)> = changes
        .iter()
        .filter(|c| c.id.kind == "Secret" && c.id.group().is_empty())
        .flat_map(|c| {
            c.fields
                .iter()
                .map(move |f| (c.id.identity(), f.path.clone()))
        })
        .collect();
    let changed_key = |o: &Object, key: &str| {
        secret_changes.iter().any(|(id, p)| {
            *id == o.id.identity()
                && (p == key
                    || p.starts_with(&format!("{key}/"))
                    || key.starts_with(&format!("{p}/")))
        })
    };
    let text = |f: &FileManifests, head: bool| -> String {
        let redacted = if head {
            hunks::redact(f, &changed_key)
        } else {
            hunks::redact(f, &|_, _| false)
        };
        redacted.unwrap_or_else(|| f.source.text.clone())
    };
    // Marks: introduced findings by file and side.
    let mut head_marks: BTreeMap<&str, Vec<hunks::Mark>> = BTreeMap::new();
    let mut base_marks: BTreeMap<&str, Vec<hunks::Mark>> = BTreeMap::new();
    for (i, f) in delta.introduced.iter().enumerate() {
        let d = &f.diagnostic;
        let m = hunks::Mark {
            line: d.location.start.line,
            finding: i,
            base: f.side == Side::Base,
        };
        if m.base {
            base_marks.entry(d.location.file()).or_default().push(m)
        } else {
            head_marks.entry(d.location.file()).or_default().push(m)
        }
    }
    let marks_for = |head_path: Option<&str>, base_path: Option<&str>| -> Vec<hunks::Mark> {
        let mut v: Vec<hunks::Mark> = head_path
            .and_then(|p| head_marks.get(p))
            .cloned()
            .unwrap_or_default();
        v.extend(
            base_path
                .and_then(|p| base_marks.get(p))
                .cloned()
                .unwrap_or_default(),
        );
        v
    };
    let mut out = Vec::new();
    for (path, h) in &head_by {
        if identical.contains(*path) {
            continue;
        }
        let renamed_from = renamed_to
            .iter()
            .find(|(_, to)| **to == *path)
            .map(|(from, _)| *from);
        let (status, old, old_path) = match (base_by.get(path), renamed_from) {
            (Some(b), _) => (FileStatus::Modified, Some(*b), None),
            (None, Some(from)) => (FileStatus::Renamed, base_by.get(from).copied(), Some(from)),
            (None, None) => (FileStatus::Added, None, None),
        };
        let old_text = old.map(|b| text(b, false)).unwrap_or_default();
        let marks = marks_for(Some(path), Some(old_path.unwrap_or(path)));
        out.push(hunks::file_diff(
            path,
            old_path,
            status,
            &old_text,
            &text(h, true),
            context,
            &marks,
        ));
    }
    for d in &deleted {
        if renamed_to.contains_key(d) {
            continue;
        }
        let marks = marks_for(None, Some(d));
        out.push(hunks::file_diff(
            d,
            None,
            FileStatus::Deleted,
            &text(base_by[d], false),
            "",
            context,
            &marks,
        ));
    }
    out.retain(|f| !f.hunks.is_empty() || f.status != FileStatus::Modified);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::manifest;

    /// The rules these tests are about: the first built-in ones, which the library keeps.
    fn focused_rules() -> Vec<crate::policy::Rule> {
        const IDS: [&str; 9] = [
            "immutable-selector-changed",
            "persistent-volume-claim-deleted",
            "replicas-halved",
            "statefulset-immutable-field-changed",
            "latest-image-tag",
            "host-network",
            "missing-memory-limit",
            "privileged-container",
            "run-as-root",
        ];
        let mut rules = crate::policy::builtin_rules().expect("builtin rules load");
        rules.retain(|r| IDS.contains(&r.id()));
        rules
    }

    fn rules() -> RuleSet {
        RuleSet {
            config: Config::default_at(std::path::Path::new(".")),
            config_path: None,
            rules: focused_rules(),
            ctx: Default::default(),
            filter: Default::default(),
            filter_base: String::new(),
            waivers: Default::default(),
        }
    }

    const BASE: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x:latest\n    securityContext: {privileged: true, runAsNonRoot: true}\n    resources: {limits: {memory: 1Gi}}\n  - name: b\n    image: y:1.0\n    securityContext: {runAsNonRoot: true}\n    resources: {limits: {memory: 1Gi}}\n";

    #[test]
    fn moved_reordered_object_keeps_its_findings() {
        // Containers swapped, keys reordered, moved to another file, `a` pinned.
        let head = "kind: Pod\napiVersion: v1\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: b\n    securityContext: {runAsNonRoot: true}\n    image: y:1.0\n    resources: {limits: {memory: 1Gi}}\n  - image: x:2.0\n    name: a\n    resources: {limits: {memory: 1Gi}}\n    securityContext: {runAsNonRoot: true, privileged: true}\n";
        let b = [manifest::read("old.yaml", BASE)];
        let h = [manifest::read("new.yaml", head)];
        let r = diff_files(&b, &h, &rules(), 3);
        let rules_of = |v: &[Finding]| {
            v.iter()
                .map(|f| f.diagnostic.rule.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(rules_of(&r.findings.introduced), Vec::<String>::new());
        assert_eq!(
            rules_of(&r.findings.unchanged),
            vec!["privileged-container"]
        );
        assert_eq!(rules_of(&r.findings.fixed), vec!["latest-image-tag"]);
        assert_eq!(
            r.findings.unchanged[0].key.path,
            "/spec/containers[name=a]/securityContext/privileged"
        );
        assert_eq!(r.objects.len(), 1);
        assert!(r.objects[0].moved());
        assert_eq!(r.objects[0].fields.len(), 1);
        assert_eq!(
            r.objects[0].fields[0].path,
            "/spec/containers[name=a]/image"
        );
        assert_eq!(
            r.files
                .iter()
                .map(|f| (f.path.as_str(), f.status))
                .collect::<Vec<_>>(),
            vec![("new.yaml", FileStatus::Renamed)]
        );
    }
}
