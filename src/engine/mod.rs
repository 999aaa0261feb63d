//! Evaluating rules on objects, in parallel, with deterministic output.
//!
//! The loop reads like kube-linter's `run.go`: for each object, for each rule — match the kind,
//! namespace and labels, select the sub-nodes (`each`), test the precondition and the check,
//! and turn a violation into a [`Diagnostic`] located at the offending node. Objects are spread
//! over rayon's pool; a rule that panics becomes a diagnostic naming the rule. Results are
//! sorted, so output is byte-identical for any thread count.

pub mod eval;
pub mod fix;
pub mod index;
pub mod project;
pub mod stream;
pub mod system;
pub mod trace;

use crate::diagnostic::{self, Applicability, Diagnostic, Fix, FixOp, Label, Location};
use crate::manifest::yaml::{Value, pointer_tokens};
use crate::manifest::{FileManifests, Node, Object, workload};
use crate::policy::cond::{Anchor, Each};
use crate::policy::{Check, Rule};
use crate::source::Span;
use eval::{Env, Outcome, eval, holds};
pub use index::Index;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Pod-bearing custom kinds known out of the box: `group/Kind` → pointer of the pod template.
pub const BUILTIN_POD_TEMPLATES: &[(&str, &str)] = &[
    ("apps.openshift.io/DeploymentConfig", "/spec/template"),
    ("argoproj.io/Rollout", "/spec/template"),
    ("keda.sh/ScaledJob", "/spec/jobTemplate/spec/template"),
    ("serving.knative.dev/Configuration", "/spec/template"),
    ("serving.knative.dev/Service", "/spec/template"),
];

/// What the engine needs besides rules: pod-template locations of custom kinds and the target
/// Kubernetes version.
#[derive(Debug, Clone)]
pub struct Context {
    /// `group/Kind` or `Kind` → JSON Pointer of the pod template (built-in defaults plus config).
    pub pod_templates: BTreeMap<String, String>,
    /// Target Kubernetes version (major, minor) for API lifecycle checks.
    pub kubernetes_version: (u32, u32),
}

impl Default for Context {
    fn default() -> Self {
        Context::new(BTreeMap::new(), None)
    }
}

impl Context {
    /// The built-in pod-bearing kinds, extended (or overridden) by `pod_templates`, and the
    /// target version (default [`crate::policy::apis::DEFAULT_KUBERNETES_VERSION`]).
    pub fn new(
        pod_templates: BTreeMap<String, String>,
        kubernetes_version: Option<(u32, u32)>,
    ) -> Self {
        let mut all: BTreeMap<String, String> = BUILTIN_POD_TEMPLATES
            .iter()
            .map(|(k, p)| (k.to_string(), p.to_string()))
            .collect();
        all.extend(pod_templates);
        Context {
            pod_templates: all,
            kubernetes_version: kubernetes_version
                .unwrap_or(crate::policy::apis::DEFAULT_KUBERNETES_VERSION),
        }
    }

    /// Pointer of the pod template of `obj`, if it is a workload.
    pub fn pod_template(&self, obj: &Object) -> Option<String> {
        if let Some(p) = workload::builtin_pod_template(&obj.id.kind)
            && (obj.id.group().is_empty()
                || ["apps", "batch", "extensions"].contains(&obj.id.group()))
        {
            return Some(p.to_string());
        }
        let gk = format!("{}/{}", obj.id.group(), obj.id.kind);
        self.pod_templates
            .get(&gk)
            .or_else(|| self.pod_templates.get(obj.id.kind.as_str()))
            .cloned()
    }
    /// Is `obj` in the `workloads` group?
    pub fn is_workload(&self, obj: &Object) -> bool {
        (workload::WORKLOADS.contains(&obj.id.kind.as_str()) && self.pod_template(obj).is_some())
            || self
                .pod_templates
                .contains_key(&format!("{}/{}", obj.id.group(), obj.id.kind))
            || self.pod_templates.contains_key(obj.id.kind.as_str())
    }
}

/// What the engine works out once per object rather than once per rule: where its pod template
/// and pod spec are, and whether it is a workload.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Pointer of the pod template, for pod-bearing kinds.
    pub template: Option<String>,
    /// Pointer of the pod spec (`{template}/spec`).
    pub pod_spec: Option<String>,
    /// In the `workloads` group.
    pub workload: bool,
}

impl Facts {
    /// The facts of `obj` under `ctx`.
    pub fn of(obj: &Object, ctx: &Context) -> Self {
        let template = ctx.pod_template(obj);
        Facts {
            pod_spec: template.as_ref().map(|p| format!("{p}/spec")),
            template,
            workload: ctx.is_workload(obj),
        }
    }
}

/// Does the rule's match section select this object?
pub fn matches(rule: &Rule, obj: &Object, ctx: &Context) -> bool {
    matches_with(rule, obj, &Facts::of(obj, ctx))
}

/// [`matches`], with the object's [`Facts`] already worked out.
pub fn matches_with(rule: &Rule, obj: &Object, facts: &Facts) -> bool {
    let m = &rule.matcher;
    let kind_ok = m.any_kind
        || (m.workloads && facts.workload)
        || m.kinds.iter().any(|(g, k)| obj.id.is_kind(g.as_deref(), k));
    if !kind_ok {
        return false;
    }
    let ns = obj.id.namespace.as_deref().unwrap_or("default");
    if m.ns_include.as_ref().is_some_and(|s| !s.is_match(ns))
        || m.ns_exclude.as_ref().is_some_and(|s| s.is_match(ns))
    {
        return false;
    }
    if !m.labels.is_empty() || !m.exclude_labels.is_empty() {
        let labels = obj.labels();
        let has = |(k, g): &(String, globset::GlobMatcher)| {
            labels.iter().any(|(lk, lv)| lk == k && g.is_match(lv))
        };
        if !m.labels.iter().all(has) || m.exclude_labels.iter().any(has) {
            return false;
        }
    }
    if !m.annotations.is_empty() {
        let ann = obj.annotations();
        if !m
            .annotations
            .iter()
            .all(|(k, g)| ann.iter().any(|(ak, av)| ak == k && g.is_match(av)))
        {
            return false;
        }
    }
    true
}

/// One node selected by `each`: its pointer from the object root, the node, and the pointer of
/// the enclosing container (for `containers…` selectors).
#[derive(Debug, Clone)]
pub struct Selected<'a> {
    /// Pointer from the object root.
    pub ptr: String,
    /// The node.
    pub node: &'a Node,
    /// Pointer of the enclosing container, if any.
    pub container: Option<String>,
}

/// The sub-nodes a rule checks on an object.
pub fn select<'a>(each: &Each, obj: &'a Object, ctx: &Context) -> Vec<Selected<'a>> {
    let mut out = Vec::new();
    select_into(each, obj, &Facts::of(obj, ctx), &mut out);
    out
}

fn select_into<'a>(each: &Each, obj: &'a Object, facts: &Facts, sel: &mut Vec<Selected<'a>>) {
    let root = obj.node();
    let mut out: Vec<(String, &'a Node)> = Vec::new();
    let pod = || facts.template.clone();
    match each {
        Each::Object => out.push((String::new(), root)),
        Each::PodTemplate => {
            if let Some(p) = pod()
                && let Some(n) = root.pointer(&p)
            {
                out.push((p, n));
            }
        }
        Each::PodSpec => {
            if let Some(p) = pod() {
                let p = format!("{p}/spec");
                if let Some(n) = root.pointer(&p) {
                    out.push((p, n));
                }
            }
        }
        Each::Volumes => {
            if let Some(p) = pod() {
                let p = format!("{p}/spec/volumes");
                if let Some(items) = root.pointer(&p).and_then(Node::as_seq) {
                    out.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (format!("{p}/{i}"), n)),
                    );
                }
            }
        }
        Each::Containers { sub, .. } => {
            if let Some(p) = pod() {
                for key in each.container_lists() {
                    let lp = format!("{p}/spec/{key}");
                    if let Some(items) = root.pointer(&lp).and_then(Node::as_seq) {
                        for (i, c) in items
                            .iter()
                            .enumerate()
                            .filter(|(_, n)| n.as_map().is_some())
                        {
                            let cp = format!("{lp}/{i}");
                            let mut found = Vec::new();
                            eval::resolve(c, sub, &cp, &mut found);
                            sel.extend(found.into_iter().map(|(ptr, node)| Selected {
                                ptr,
                                node,
                                container: Some(cp.clone()),
                            }));
                        }
                    }
                }
            }
        }
        Each::Pattern(anchor, segs) => {
            let base = match anchor {
                Anchor::Pod => pod().map(|p| format!("{p}/spec")),
                Anchor::Template => pod(),
                _ => Some(String::new()),
            };
            if let Some(base) = base
                && let Some(n) = root.pointer(&base)
            {
                eval::resolve(n, segs, &base, &mut out);
            }
        }
        Each::Union(list) => {
            for e in list {
                select_into(e, obj, facts, sel);
            }
        }
    }
    sel.extend(out.into_iter().map(|(ptr, node)| Selected {
        ptr,
        node,
        container: None,
    }));
}

/// Evaluate one rule on one object, with `index` holding everything linted together (the
/// engine's own loop shares [`Facts`] and [`Selections`] across the rules of an object).
pub fn check_object(
    rule: &Rule,
    obj: &Object,
    ctx: &Context,
    index: &Index<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let facts = Facts::of(obj, ctx);
    if !matches_with(rule, obj, &facts) {
        return;
    }
    let mut selected = Vec::new();
    select_into(&rule.each, obj, &facts, &mut selected);
    check_selected(rule, obj, &facts, &selected, None, ctx, index, out);
}

/// The nodes of one object that each distinct `each` selector picks, worked out once per object
/// and shared by the rules that use the same selector (many rules check every container).
#[derive(Default)]
pub struct Selections<'r, 'o> {
    seen: Vec<(&'r Each, Vec<Selected<'o>>)>,
}

impl<'r, 'o> Selections<'r, 'o> {
    /// The nodes `each` selects in `obj`.
    pub fn get(&mut self, each: &'r Each, obj: &'o Object, facts: &Facts) -> &[Selected<'o>] {
        let at = match self
            .seen
            .iter()
            .position(|(e, _)| std::ptr::eq(*e, each) || **e == *each)
        {
            Some(i) => i,
            None => {
                let mut v = Vec::new();
                select_into(each, obj, facts, &mut v);
                self.seen.push((each, v));
                self.seen.len() - 1
            }
        };
        &self.seen[at].1
    }
}

/// Evaluate `rule` on the nodes `selected` by its `each` in `obj` (which it matches).
#[allow(clippy::too_many_arguments)]
fn check_selected(
    rule: &Rule,
    obj: &Object,
    facts: &Facts,
    selected: &[Selected<'_>],
    old: Option<&Object>,
    ctx: &Context,
    index: &Index<'_>,
    out: &mut Vec<Diagnostic>,
) {
    violations(rule, obj, facts, selected, old, ctx, index, |sel, o| {
        let container = sel.container.as_deref().and_then(|p| obj.node().pointer(p));
        out.push(finding_with(
            rule, obj, old, &sel.ptr, sel.node, container, &o,
        ));
    });
}

/// Evaluate `rule` on the nodes `selected` in `obj`, passing each violation to `found`.
#[allow(clippy::too_many_arguments)]
fn violations<'s, 'o>(
    rule: &Rule,
    obj: &Object,
    facts: &Facts,
    selected: &'s [Selected<'o>],
    old: Option<&Object>,
    ctx: &Context,
    index: &Index<'_>,
    mut found: impl FnMut(&'s Selected<'o>, Outcome),
) {
    for sel in selected {
        let env = Env {
            item: sel.node,
            item_ptr: &sel.ptr,
            root: obj.node(),
            pod_ptr: facts.pod_spec.as_deref(),
            template_ptr: facts.template.as_deref(),
            container_ptr: sel.container.as_deref(),
            object: obj,
            ctx,
            index,
            source: None,
            old: old.map(Object::node),
        };
        if let Some(when) = &rule.when
            && !holds(when, &env)
        {
            continue;
        }
        // Most nodes pass: where a check was decided is worked out for a violation only.
        let (c, violated) = match &rule.check {
            Check::Require(c) => (c, !holds(c, &env)),
            Check::Forbid(c) => (c, holds(c, &env)),
        };
        if violated {
            found(sel, eval(c, &env));
        }
    }
}

/// Build the diagnostic for a violation found at `o.at` under the item at `ptr` (`item` is the
/// checked node, for `{{item.*}}`; `container` its enclosing container, for `{{container.*}}`,
/// which falls back to the item).
pub fn finding(
    rule: &Rule,
    obj: &Object,
    ptr: &str,
    item: &Node,
    container: Option<&Node>,
    o: &Outcome,
) -> Diagnostic {
    finding_with(rule, obj, None, ptr, item, container, o)
}

/// [`finding`] for an object with a BASE version (`{{old.…}}` in messages reads it).
pub fn finding_with(
    rule: &Rule,
    obj: &Object,
    old: Option<&Object>,
    ptr: &str,
    item: &Node,
    container: Option<&Node>,
    o: &Outcome,
) -> Diagnostic {
    finding_on(rule, obj, old, ptr, item, container, o, true)
}

/// [`finding_with`]; `whole_tree` is false when `obj`'s tree was pruned (see [`stream`]) of
/// what its fix reads, so fixes are planned on a fresh parse of its document.
#[allow(clippy::too_many_arguments)]
fn finding_on(
    rule: &Rule,
    obj: &Object,
    old: Option<&Object>,
    ptr: &str,
    item: &Node,
    container: Option<&Node>,
    o: &Outcome,
    whole_tree: bool,
) -> Diagnostic {
    let root = obj.node();
    let path = o.at.clone();
    let (node, existing) = root.nearest(&path);
    let mut span = node.span;
    if span.start() == span.end()
        && let Some(k) = root.key_span(&existing)
    {
        span = k;
    }
    if obj.base.is_empty() && existing.is_empty() && path.is_empty() {
        // The whole object: point at its `kind` line rather than the full document.
        if let Some(k) = root.get("kind") {
            span = k.span;
        }
    }
    let found = existing == path;
    if !found && !existing.is_empty() {
        // A missing field under an existing key: point at that key (`securityContext:`), not at
        // the first line of its value. List items keep the item's span (`- name: app`).
        if let Some(k) = root.key_span(&existing) {
            span = Span::new(k.start(), k.end());
        }
    }
    let lookup = |v: &[String]| -> Option<String> {
        match v[0].as_str() {
            "object" => match v.get(1).map(String::as_str) {
                Some("kind") => Some(obj.id.kind.to_string()),
                Some("name") => Some(obj.id.name.as_deref().unwrap_or("<unnamed>").to_string()),
                Some("namespace") => Some(obj.id.namespace.as_deref().unwrap_or("default").into()),
                Some("apiVersion") => Some(obj.id.api_version.to_string()),
                Some("ref") => Some(obj.id.display()),
                _ => None,
            },
            "item" | "container" => {
                let item = if v[0] == "container" {
                    container.unwrap_or(item)
                } else {
                    item
                };
                let mut n = item;
                for k in &v[1..] {
                    n = n.child(k)?;
                }
                if v.len() == 1 {
                    item.get("name").map(Node::display_value)
                } else {
                    Some(n.display_value())
                }
            }
            "value" => Some(if found {
                value_text(node)
            } else {
                "not set".into()
            }),
            "path" => Some(path.clone()),
            "field" => pointer_tokens(&path).last().cloned(),
            "rule" => Some(rule.id().to_string()),
            "old" => {
                let mut n = old?.node();
                for k in &v[1..] {
                    n = n.child(k)?;
                }
                Some(n.display_value())
            }
            "reason" => o.reason.clone(),
            "api" => o.var(&v[1..].join(".")).map(str::to_string),
            _ => None,
        }
    };
    let message = rule.message.render(&lookup);
    let fix_mode = o.var("fix");
    let fix = rule
        .fix
        .as_ref()
        .filter(|_| fix_mode != Some("none"))
        .and_then(|f| {
            let mut ops: Vec<FixOp> = Vec::new();
            for (i, e) in f.edits.iter().enumerate() {
                let (op, p) = e.op();
                let value = match rule.fix_values.get(i).and_then(Option::as_ref) {
                    Some(t) => Some(serde_json::Value::String(t.render_all(&lookup)?)),
                    None => e.value.clone(),
                };
                ops.push(FixOp {
                    op,
                    path: format!("{ptr}{p}"),
                    value,
                });
            }
            let edits = plan_in_document(obj, &ops, whole_tree);
            let safe = f.safe && fix_mode != Some("unsafe");
            let applicability = match (&edits, safe) {
                (None, _) => Applicability::DisplayOnly,
                (Some(_), true) => Applicability::Safe,
                (Some(_), false) => Applicability::Unsafe,
            };
            Some(Fix {
                title: f.title.clone(),
                applicability,
                ops,
                edits: edits.unwrap_or_default(),
            })
        });
    let mut labels = Vec::new();
    if !rule.builtin {
        labels.push(Label {
            location: Location::new(&rule.source, rule.span_of("/id")),
            message: "rule defined here".into(),
        });
    }
    Diagnostic {
        rule: rule.id().to_string(),
        severity: rule.severity,
        category: rule.spec.category.clone(),
        message,
        location: Location::new(&obj.source, span),
        identity_path: crate::manifest::canon::keyed_path(root, &path),
        path,
        object: Some(obj.id.clone()),
        why: rule.why.clone(),
        help: rule.help.clone(),
        owner: rule.owner.clone(),
        contact: rule.contact.clone(),
        docs: rule.docs.clone(),
        labels,
        fix: fix.map(Box::new),
        waiver: None,
        code_owner: None,
    }
}

/// Plan fix edits on the object's own document only. One operation is planned on the tree at
/// hand (see [`fix::plan_with_tree`]); several are planned on a slice of the file holding the
/// document (the first on the tree at hand), re-parsed between operations, which keeps them
/// cheap in multi-megabyte bundles.
/// When the object's tree was pruned (`whole_tree` false), the document's lines are parsed once
/// and the operations planned on that tree. Edits are mapped back to file offsets.
fn plan_in_document(
    obj: &Object,
    ops: &[FixOp],
    whole_tree: bool,
) -> Option<Vec<crate::diagnostic::TextEdit>> {
    // A removal that changes nothing is left out (on a whole tree, which says what is missing).
    let busy = (whole_tree.then(|| obj.node())).and_then(|o| fix::without_idle_removals(o, ops));
    let ops = busy.as_deref().unwrap_or(ops);
    let on_tree = |source: &crate::source::Source, doc_index: usize| match whole_tree {
        true => fix::plan_with_tree(source, Some(&obj.document), doc_index, &obj.base, ops),
        false => {
            let doc = fix::parse_doc(&source.text, doc_index)?;
            fix::plan_with_tree(source, Some(&doc), doc_index, &obj.base, ops)
        }
    };
    if let [_] = ops
        && whole_tree
    {
        return on_tree(&obj.source, obj.doc_index);
    }
    let text = obj.source.text.as_str();
    let span = obj.document.span;
    let (Some(head), Some(tail)) = (text.get(..span.start()), text.get(span.end()..)) else {
        return fix::plan(&obj.source, obj.doc_index, &obj.base, ops);
    };
    let start = head.rfind('\n').map_or(0, |i| i + 1);
    let end = tail.find('\n').map_or(text.len(), |i| span.end() + i + 1);
    // An alias node carries its anchor's span, so with anchors the document may reach further.
    if fix::may_define_anchor(&text[start..end]) {
        return fix::plan(&obj.source, obj.doc_index, &obj.base, ops);
    }
    if start == 0 && end == text.len() {
        return on_tree(&obj.source, obj.doc_index);
    }
    let slice = crate::source::SourceFile::new(obj.source.path.clone(), &text[start..end]);
    let edits = match whole_tree {
        true => fix::plan_on_lines(&obj.source, &obj.document, start, &slice, &obj.base, ops)?,
        false => on_tree(&slice, 0)?,
    };
    Some(
        edits
            .into_iter()
            .map(|mut e| {
                e.span = Span::new(e.span.start() + start, e.span.end() + start);
                e.start = obj.source.position(e.span.start());
                e.end = obj.source.position(e.span.end());
                e
            })
            .collect(),
    )
}

/// A node as message text: scalars as they are, collections as compact flow YAML (at most 80
/// characters).
fn value_text(node: &Node) -> String {
    match node.value {
        Value::Seq(_) | Value::Map(_) => {
            let s = fix::render_value(&node.to_json());
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(79).collect::<String>())
            } else {
                s
            }
        }
        _ => node.display_value(),
    }
}

/// Check `obj` with `rules` (in order); a rule that panics becomes a `rule-error` finding.
pub(crate) fn check_rules<'r>(
    obj: &Object,
    rules: impl Iterator<Item = &'r Rule>,
    old: Option<&Object>,
    ctx: &Context,
    index: &Index<'_>,
) -> Vec<Diagnostic> {
    run_rules(
        obj,
        rules,
        old,
        ctx,
        index,
        |rule, sel, o| {
            let container = sel.container.as_deref().and_then(|p| obj.node().pointer(p));
            finding_with(rule, obj, old, &sel.ptr, sel.node, container, &o)
        },
        |rule, p| system::rule_crashed(rule, obj, p),
    )
}

/// Evaluate `rules` (in order) on `obj`, turning each violation into a result with `found` and
/// a rule that panics into one with `crashed` (its other results on `obj` are dropped).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_rules<'r, T>(
    obj: &Object,
    rules: impl Iterator<Item = &'r Rule>,
    old: Option<&Object>,
    ctx: &Context,
    index: &Index<'_>,
    mut found: impl FnMut(&'r Rule, &Selected<'_>, Outcome) -> T,
    crashed: impl Fn(&'r Rule, Box<dyn std::any::Any + Send>) -> T,
) -> Vec<T> {
    let mut out = Vec::new();
    let facts = Facts::of(obj, ctx);
    let mut selections = Selections::default();
    for rule in rules {
        if !matches_with(rule, obj, &facts) {
            continue;
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut v = Vec::new();
            let selected = selections.get(&rule.each, obj, &facts);
            violations(rule, obj, &facts, selected, old, ctx, index, |sel, o| {
                v.push(found(rule, sel, o));
            });
            v
        }));
        match r {
            Ok(mut v) => out.append(&mut v),
            Err(p) => out.push(crashed(rule, p)),
        }
    }
    out
}

/// Where an object sits: (file path, document index, pointer inside the document).
pub type ObjectKey<'a> = (&'a str, usize, &'a str);

/// The key of an object, for [`Transition::old`].
pub fn object_key(obj: &Object) -> ObjectKey<'_> {
    (obj.source.path.as_str(), obj.doc_index, obj.base.as_str())
}

/// What a change did to the objects, for transition rules: the BASE version of each HEAD object
/// that has one, and the objects the change removed. Also the files that cross-object rules see
/// besides the linted ones.
#[derive(Default)]
pub struct Transition<'a> {
    /// HEAD object (by [`object_key`]) → its BASE version.
    pub old: std::collections::HashMap<ObjectKey<'a>, &'a Object>,
    /// BASE objects without a HEAD version.
    pub removed: Vec<&'a Object>,
    /// Files whose objects relations (`related`) see without linting them: the rest of the
    /// revision when only some of its files are linted.
    pub context: Vec<&'a FileManifests>,
}

/// Lint loaded files with `rules`: file problems plus rule findings, sorted.
pub fn lint(files: &[FileManifests], rules: &[Rule], ctx: &Context) -> Vec<Diagnostic> {
    lint_with(files, rules, ctx, &Transition::default())
}

/// [`lint`] as part of a change: `$old` reads each object's BASE version from `t`, and rules
/// with `applies-to: removed` check `t.removed`.
pub fn lint_with(
    files: &[FileManifests],
    rules: &[Rule],
    ctx: &Context,
    t: &Transition<'_>,
) -> Vec<Diagnostic> {
    let refs: Vec<&FileManifests> = files.iter().collect();
    lint_refs(&refs, rules, ctx, t)
}

/// [`lint_with`] over a selection of files. Cross-object rules see the objects of `files` and of
/// `t.context`.
pub fn lint_refs(
    files: &[&FileManifests],
    rules: &[Rule],
    ctx: &Context,
    t: &Transition<'_>,
) -> Vec<Diagnostic> {
    lint_refs_where(files, rules, ctx, t, |_| true)
}

/// [`lint_refs`] with only the rules `keep` accepts (file problems are reported all the same).
pub fn lint_refs_where(
    files: &[&FileManifests],
    rules: &[Rule],
    ctx: &Context,
    t: &Transition<'_>,
    keep: impl Fn(&Rule) -> bool + Sync,
) -> Vec<Diagnostic> {
    lint_refs_by(files, rules, ctx, t, |r, _| keep(r))
}

/// [`lint_refs_where`], choosing per object: rule `r` checks `obj` when `keep(r, obj)`.
pub fn lint_refs_by(
    files: &[&FileManifests],
    rules: &[Rule],
    ctx: &Context,
    t: &Transition<'_>,
    keep: impl Fn(&Rule, &Object) -> bool + Sync,
) -> Vec<Diagnostic> {
    use crate::policy::model::AppliesTo;
    let objects: Vec<(&Object, AppliesTo)> = files
        .iter()
        .flat_map(|f| f.objects.iter().map(|o| (o, AppliesTo::Present)))
        .chain(t.removed.iter().map(|o| (*o, AppliesTo::Removed)))
        .collect();
    let visible: Vec<&Object> = files
        .iter()
        .chain(&t.context)
        .flat_map(|f| f.objects.iter())
        .collect();
    let index = Index::new(&visible, ctx);
    let problems: Vec<Diagnostic> = files
        .par_iter()
        .flat_map_iter(|f| system::file_problems(f))
        .collect();
    let mut diags: Vec<Diagnostic> = objects
        .par_iter()
        .with_min_len(4)
        .flat_map_iter(|(obj, applies)| {
            let old = match applies {
                AppliesTo::Present => t.old.get(&object_key(obj)).copied(),
                AppliesTo::Removed => Some(*obj),
            };
            check_rules(
                obj,
                rules
                    .iter()
                    .filter(|r| r.applies_to == *applies && keep(r, obj)),
                old,
                ctx,
                &index,
            )
        })
        .collect();
    // File problems first, as they were found (ties in the sort keep this order). Findings are
    // by far the larger list: it is not copied to append them when there are none.
    if !problems.is_empty() {
        diags.splice(0..0, problems);
    }
    diagnostic::sort(&mut diags);
    diags
}
