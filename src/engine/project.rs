//! Projections: the parts of an object that cross-object rules can read.
//!
//! A streaming lint checks each file's objects with the per-object rules while the file's tree
//! is fresh, then keeps only what the cross-object rules (`related`) will read once every file
//! has been read. What they read is worked out once from the compiled rules: every path their
//! `each`, `when` and check visit, on the checked object and on the related ones, with anchors
//! (`$pod`, `$source`, `$origin`…) resolved to paths from the object root. Pruning an object keeps
//! the nodes on those paths — whole subtrees where a value is compared — with their spans, and
//! keeps every list item (emptied when no path enters it) so indices stay what they were. Each
//! path is kept only on the kinds of objects it is read on: the kinds a rule checks for its own
//! paths, a relation's kinds for the paths read on related objects. So an object no cross-object
//! rule reads keeps only its root, and its identity lives on in [`Object::id`]. An object a rule
//! checks keeps its `kind` (a finding on the whole object points at it), and its labels and
//! annotations when the rule picks objects by them. (Waiver annotations need no keeping: an
//! object that carries one keeps its whole tree.)

use super::Context;
use crate::manifest::yaml::{Key, Value, pointer_tokens};
use crate::manifest::{FileManifests, Node, Object};
use crate::policy::cond::{Anchor, Cond, Each, KindSel, Op, Operand, Seg};
use crate::policy::{Check, Matcher, Rule};
use compact_str::CompactString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Where a projected path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// The object root.
    Root,
    /// The pod template (workloads only).
    Template,
}

/// One projected path: `whole` keeps everything below its end, otherwise only the node itself
/// (and what other paths keep below it).
#[derive(Debug, Clone, PartialEq)]
struct Pat {
    base: Base,
    segs: Vec<Seg>,
    whole: bool,
    /// The objects it is read on: an index into [`Projection::kinds`].
    kinds: usize,
}

/// A set of objects by kind, as rules name them: every kind, the `workloads` group, or
/// `(group, Kind)` pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Kinds {
    all: bool,
    workloads: bool,
    kinds: Vec<(Option<String>, String)>,
}

impl Kinds {
    /// The objects `m` checks.
    pub(super) fn of_matcher(m: &Matcher) -> Self {
        Kinds {
            all: m.any_kind,
            workloads: m.workloads,
            kinds: m.kinds.clone(),
        }
    }

    /// Add the objects of a relation's `kinds`; `me` holds the object related from (what
    /// `self` names).
    pub(super) fn add(&mut self, kinds: &[KindSel], me: &Kinds) {
        for k in kinds {
            match k {
                KindSel::Kind(g, k) => self.kinds.push((g.clone(), k.clone())),
                KindSel::Workloads => self.workloads = true,
                KindSel::SelfKind => self.union(me),
            }
        }
    }

    /// Add the objects of `other`.
    pub(super) fn union(&mut self, other: &Kinds) {
        self.all |= other.all;
        self.workloads |= other.workloads;
        self.kinds.extend(other.kinds.iter().cloned());
    }

    /// Is `obj` one of them (`workload`: it counts as one)?
    pub(super) fn has(&self, obj: &Object, workload: bool) -> bool {
        self.all
            || (self.workloads && workload)
            || (self.kinds.iter()).any(|(g, k)| obj.id.is_kind(g.as_deref(), k))
    }
}

/// Could `obj` count as a workload, for a rule or a relation (see [`Kinds::has`])? A superset:
/// every object with a pod template, and every object of a named API group, since a custom
/// resource that embeds pod templates counts as one for relations (see
/// [`super::index::EntryFacts::embeds_pods`]), and that is not known once its tree is pruned.
fn may_be_workload(obj: &Object, template: Option<&str>) -> bool {
    template.is_some() || !obj.id.group().is_empty()
}

/// Anchored starting points of paths: (base, path from the base).
type Bases = Vec<(Base, Vec<Seg>)>;

/// What paths in a condition are relative to, and the objects they are on (indices into
/// [`Projection::kinds`]): `me` for the item, its container and the object's own anchors,
/// `source_kinds` for `$source`, `origin_kinds` for `$origin` and `$originObject`.
struct Scope<'a> {
    item: &'a Bases,
    container: &'a Bases,
    source: &'a Bases,
    origin: &'a Bases,
    me: usize,
    source_kinds: usize,
    origin_kinds: usize,
}

/// The paths a set of rules reads, from the root or the pod template of an object.
#[derive(Debug, Default)]
pub struct Projection {
    pats: Vec<Pat>,
    /// The sets of objects paths are read on (no two equal).
    kinds: Vec<Kinds>,
    /// The paths as a trie, per object shape: objects of the same shape share one.
    tries: Mutex<HashMap<Shape, Arc<Trie>>>,
}

/// What a trie depends on: the object's `apiVersion` and kind, where it sits in its document
/// (base pointer) and where its pod template is.
type Shape = (CompactString, CompactString, String, Option<String>);

/// Paths as a trie: the children by key, the child for `*`, and whether a path ends here with
/// everything below it kept.
#[derive(Debug, Default)]
struct Trie {
    whole: bool,
    keys: Vec<(String, Trie)>,
    any: Option<Box<Trie>>,
}

impl Trie {
    fn insert(&mut self, segs: &[Seg], whole: bool) {
        let Some((first, rest)) = segs.split_first() else {
            self.whole |= whole;
            return;
        };
        let child = match first {
            Seg::Any => self.any.get_or_insert_with(Default::default),
            Seg::Key(k) => match self.keys.iter().position(|(name, _)| name == k) {
                Some(i) => &mut self.keys[i].1,
                None => {
                    self.keys.push((k.clone(), Trie::default()));
                    &mut self.keys.last_mut().expect("just pushed").1
                }
            },
        };
        child.insert(rest, whole);
    }

    /// The children reached by the mapping key `token`.
    fn step<'t>(&'t self, token: &str, out: &mut Vec<&'t Trie>) {
        out.extend(self.keys.iter().find(|(k, _)| k == token).map(|(_, t)| t));
        out.extend(self.any.as_deref());
    }

    /// The children reached by list index `i` (keys are read as [`Node::child`] reads them).
    fn step_index<'t>(&'t self, i: usize, out: &mut Vec<&'t Trie>) {
        out.extend(
            self.keys
                .iter()
                .filter(|(k, _)| k.parse::<usize>().ok() == Some(i))
                .map(|(_, t)| t),
        );
        out.extend(self.any.as_deref());
    }
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

fn join(base: &[Seg], path: &[Seg]) -> Vec<Seg> {
    base.iter().chain(path).cloned().collect()
}

impl Projection {
    /// The paths `rules` read (on the objects they check and on the objects they relate to).
    pub fn of_rules<'r>(rules: impl IntoIterator<Item = &'r Rule>) -> Self {
        let mut p = Projection::default();
        for rule in rules {
            let checked = p.kinds_id(Kinds::of_matcher(&rule.matcher));
            // A finding on the whole object points at its `kind`.
            p.push(Base::Root, vec![key("kind")], true, checked);
            // A rule that picks objects by label or annotation reads them on what it checks.
            let m = &rule.matcher;
            if !m.labels.is_empty() || !m.exclude_labels.is_empty() {
                let path = vec![key("metadata"), key("labels")];
                p.push(Base::Root, path, true, checked);
            }
            if !m.annotations.is_empty() {
                let path = vec![key("metadata"), key("annotations")];
                p.push(Base::Root, path, true, checked);
            }
            let mut items = Bases::new();
            let mut containers = Bases::new();
            each_bases(&rule.each, &mut items, &mut containers);
            for (b, segs) in &items {
                p.push(*b, segs.clone(), false, checked);
            }
            let none = Bases::new();
            let scope = Scope {
                item: &items,
                container: &containers,
                source: &none,
                origin: &items,
                me: checked,
                source_kinds: checked,
                origin_kinds: checked,
            };
            if let Some(w) = &rule.when {
                p.cond(w, &scope);
            }
            match &rule.check {
                Check::Require(c) | Check::Forbid(c) => p.cond(c, &scope),
            }
            // What the message reads of the checked node and its container (which falls back
            // to the node), so findings can be made on the pruned tree.
            for var in rule.message.vars() {
                let (anchors, rest) = match var.split_first() {
                    Some((root, rest)) if root == "item" => (&[Anchor::Item][..], rest),
                    Some((root, rest)) if root == "container" => {
                        (&[Anchor::Item, Anchor::Container][..], rest)
                    }
                    _ => continue,
                };
                let path: Vec<Seg> = if rest.is_empty() {
                    vec![key("name")]
                } else {
                    rest.iter().map(|k| key(k)).collect()
                };
                for a in anchors {
                    p.add(*a, &path, &scope, true);
                }
            }
        }
        // The fields that identify the items of every list a path goes through, so a finding's
        // keyed path (`containers[name=web]`) comes out the same from the pruned tree.
        let mut keys: Vec<String> = crate::manifest::canon::item_key_fields()
            .map(str::to_string)
            .collect();
        keys.sort();
        keys.dedup();
        for i in 0..p.pats.len() {
            let (base, segs, kinds) = (p.pats[i].base, p.pats[i].segs.clone(), p.pats[i].kinds);
            for (j, _) in segs.iter().enumerate().filter(|(_, s)| **s == Seg::Any) {
                for k in &keys {
                    p.push(base, join(&segs[..=j], &[key(k)]), true, kinds);
                }
            }
        }
        p
    }

    /// The index of `kinds` in [`Self::kinds`] (added when new).
    fn kinds_id(&mut self, kinds: Kinds) -> usize {
        match self.kinds.iter().position(|k| *k == kinds) {
            Some(i) => i,
            None => {
                self.kinds.push(kinds);
                self.kinds.len() - 1
            }
        }
    }

    fn push(&mut self, base: Base, segs: Vec<Seg>, whole: bool, kinds: usize) {
        let pat = Pat {
            base,
            segs,
            whole,
            kinds,
        };
        if !self.pats.contains(&pat) {
            self.pats.push(pat);
        }
    }

    fn add(&mut self, anchor: Anchor, path: &[Seg], scope: &Scope<'_>, whole: bool) {
        let (bases, kinds) = anchor_bases(anchor, scope);
        for (b, segs) in bases {
            self.push(b, join(&segs, path), whole, kinds);
        }
    }

    fn cond(&mut self, c: &Cond, scope: &Scope<'_>) {
        match c {
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| self.cond(c, scope)),
            Cond::Not(c) => self.cond(c, scope),
            Cond::Schema(_) => self.add(Anchor::Item, &[], scope, true),
            Cond::ApiStatus(_) => {}
            Cond::Field {
                anchor, path, op, ..
            } => {
                self.add(*anchor, path, scope, true);
                match op {
                    Op::SameAs(a, p)
                    | Op::CompareField(_, a, p)
                    | Op::Selects(a, p)
                    | Op::Compare(
                        _,
                        Operand::Field {
                            anchor: a, path: p, ..
                        },
                    ) => self.add(*a, p, scope, true),
                    _ => {}
                }
            }
            Cond::Some { anchor, path, cond } => {
                self.add(*anchor, path, scope, false);
                let (bases, kinds) = anchor_bases(*anchor, scope);
                // The inner item is on the anchor's object, its container on the outer one's.
                let mut me = self.kinds[kinds].clone();
                me.union(&self.kinds[scope.me].clone());
                let me = self.kinds_id(me);
                let inner: Bases = (bases.into_iter())
                    .map(|(b, segs)| (b, join(&segs, path)))
                    .collect();
                self.cond(
                    cond,
                    &Scope {
                        item: &inner,
                        container: scope.container,
                        source: scope.item,
                        origin: scope.origin,
                        me,
                        source_kinds: scope.me,
                        origin_kinds: scope.origin_kinds,
                    },
                );
            }
            Cond::Related(rel) => {
                let mut related = Kinds::default();
                related.add(&rel.kinds, &self.kinds[scope.me].clone());
                let related = self.kinds_id(related);
                for m in &rel.matches {
                    for (a, p) in &m.sources {
                        self.add(*a, p, scope, true);
                    }
                    for t in &m.targets {
                        self.push(Base::Root, t.clone(), true, related);
                    }
                }
                if let Some((a, p)) = &rel.selector {
                    self.add(*a, p, scope, true);
                }
                if let Some(p) = &rel.selected_by {
                    self.push(Base::Root, p.clone(), true, related);
                }
                if let Some(w) = &rel.where_ {
                    // Evaluated on the related object, with `$source` the node related from.
                    let root: Bases = vec![(Base::Root, Vec::new())];
                    let none = Bases::new();
                    self.cond(
                        w,
                        &Scope {
                            item: &root,
                            container: &none,
                            source: scope.item,
                            origin: scope.origin,
                            me: related,
                            source_kinds: scope.me,
                            origin_kinds: scope.origin_kinds,
                        },
                    );
                }
            }
        }
    }

    /// The trie of this projection's paths in `obj`, from the root of its document (paths from
    /// the pod template are left out when `obj` has none).
    fn trie(&self, obj: &Object, ctx: &Context) -> Arc<Trie> {
        let template = ctx.pod_template(obj);
        let cache_key = (
            obj.id.api_version.clone(),
            obj.id.kind.clone(),
            obj.base.clone(),
            template,
        );
        let cached = self
            .tries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&cache_key)
            .cloned();
        if let Some(t) = cached {
            return t;
        }
        let mut trie = Trie::default();
        self.insert(&mut trie, obj, cache_key.3.as_deref());
        let trie = Arc::new(trie);
        self.tries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(cache_key, trie.clone());
        trie
    }

    /// Add the paths read on `obj` to `trie`, from the root of its document (`template`: its
    /// pod template's pointer).
    fn insert(&self, trie: &mut Trie, obj: &Object, template: Option<&str>) {
        let workload = may_be_workload(obj, template);
        let reads: Vec<bool> = (self.kinds.iter()).map(|k| k.has(obj, workload)).collect();
        let base: Vec<Seg> = pointer_tokens(&obj.base)
            .into_iter()
            .map(Seg::Key)
            .collect();
        let template: Option<Vec<Seg>> =
            template.map(|t| pointer_tokens(t).into_iter().map(Seg::Key).collect());
        for p in self.pats.iter().filter(|p| reads[p.kinds]) {
            let start = match (p.base, &template) {
                (Base::Root, _) => &[][..],
                (Base::Template, Some(t)) => t.as_slice(),
                (Base::Template, None) => continue,
            };
            let segs: Vec<Seg> = base.iter().chain(start).chain(&p.segs).cloned().collect();
            trie.insert(&segs, p.whole);
        }
    }

    /// Is everything below `pointer` (tokens from the object root) kept in the pruned `obj`?
    pub fn whole_at(&self, obj: &Object, ctx: &Context, pointer: &[String]) -> bool {
        self.walk(obj, ctx, pointer, |t| t.whole)
    }

    /// Are all items of the list at `pointer` (tokens from the object root) kept in the pruned
    /// `obj`, each with the fields of [`crate::manifest::canon::item_key_fields`]?
    pub fn all_items_at(&self, obj: &Object, ctx: &Context, pointer: &[String]) -> bool {
        self.walk(obj, ctx, pointer, |t| t.whole || t.any.is_some())
    }

    /// Walk the trie of `obj` along `pointer`: does `done` hold for a trie node at its end, or
    /// does a whole subtree start before it?
    fn walk(
        &self,
        obj: &Object,
        ctx: &Context,
        pointer: &[String],
        done: impl Fn(&Trie) -> bool,
    ) -> bool {
        let trie = self.trie(obj, ctx);
        let mut at: Vec<&Trie> = vec![&trie];
        let base = pointer_tokens(&obj.base);
        for token in base.iter().chain(pointer) {
            if at.iter().any(|t| t.whole) {
                return true;
            }
            let mut next = Vec::new();
            for t in &at {
                t.step(token, &mut next);
            }
            if next.is_empty() {
                return false;
            }
            at = next;
        }
        at.iter().any(|t| done(t))
    }

    /// `file` with each object's tree cut down to this projection, except the objects
    /// `keep_whole` names (given their index in `file.objects`), whose documents stay as they
    /// are.
    /// Documents without objects are dropped (only the kustomize renderer reads them).
    pub fn prune_file(
        &self,
        mut file: FileManifests,
        ctx: &Context,
        keep_whole: impl Fn(usize, &Object) -> bool,
    ) -> FileManifests {
        let objects = std::mem::take(&mut file.objects);
        file.documents = Vec::new();
        let mut out: Vec<Object> = Vec::with_capacity(objects.len());
        let mut start = 0;
        while start < objects.len() {
            // The objects of one document (several for a `List`) are pruned together.
            let doc = objects[start].doc_index;
            let end = objects[start..]
                .iter()
                .position(|o| o.doc_index != doc)
                .map_or(objects.len(), |n| start + n);
            let group = &objects[start..end];
            let document = if (start..end).any(|i| keep_whole(i, &objects[i])) {
                group[0].document.clone()
            } else if let [one] = group {
                Arc::new(prune(&one.document, &[&self.trie(one, ctx)]))
            } else {
                let mut trie = Trie::default();
                for o in group {
                    self.insert(&mut trie, o, ctx.pod_template(o).as_deref());
                }
                Arc::new(prune(&group[0].document, &[&trie]))
            };
            out.extend(group.iter().map(|o| {
                Object::new(
                    o.source.clone(),
                    document.clone(),
                    o.doc_index,
                    o.base.clone(),
                    o.id.clone(),
                )
            }));
            start = end;
        }
        file.objects = out;
        file
    }
}

/// The nodes `each` selects, and the containers enclosing them (for `$container`).
fn each_bases(each: &Each, items: &mut Bases, containers: &mut Bases) {
    let pod = |rest: &[&str]| -> (Base, Vec<Seg>) {
        (Base::Template, rest.iter().map(|k| key(k)).collect())
    };
    match each {
        Each::Object => items.push((Base::Root, Vec::new())),
        Each::PodTemplate => items.push(pod(&[])),
        Each::PodSpec => items.push(pod(&["spec"])),
        Each::Volumes => {
            let (b, mut segs) = pod(&["spec", "volumes"]);
            segs.push(Seg::Any);
            items.push((b, segs));
        }
        Each::Containers { sub, .. } => {
            for field in each.container_lists() {
                let (b, mut segs) = pod(&["spec", field]);
                segs.push(Seg::Any);
                items.push((b, join(&segs, sub)));
                containers.push((b, segs));
            }
        }
        Each::Pattern(anchor, segs) => items.push(match anchor {
            Anchor::Pod => (Base::Template, join(&[key("spec")], segs)),
            Anchor::Template => (Base::Template, segs.clone()),
            _ => (Base::Root, segs.clone()),
        }),
        Each::Union(list) => list.iter().for_each(|e| each_bases(e, items, containers)),
    }
}

/// Where paths with `anchor` start, in `scope`, and the objects they are read on.
fn anchor_bases(anchor: Anchor, scope: &Scope<'_>) -> (Bases, usize) {
    match anchor {
        Anchor::Item => (scope.item.clone(), scope.me),
        Anchor::Object => (vec![(Base::Root, Vec::new())], scope.me),
        Anchor::OriginObject => (vec![(Base::Root, Vec::new())], scope.origin_kinds),
        Anchor::Pod => (vec![(Base::Template, vec![key("spec")])], scope.me),
        Anchor::Template => (vec![(Base::Template, Vec::new())], scope.me),
        Anchor::Container => (scope.container.clone(), scope.me),
        Anchor::Source => (scope.source.clone(), scope.source_kinds),
        Anchor::Origin => (scope.origin.clone(), scope.origin_kinds),
        // `$old` exists only when linting a change, which does not stream.
        Anchor::Old => (Vec::new(), scope.me),
    }
}

/// `node` cut down to the paths of `tries` (relative to it).
fn prune(node: &Node, tries: &[&Trie]) -> Node {
    if tries.iter().any(|t| t.whole) {
        return node.clone();
    }
    let mut next = Vec::new();
    let value = match &node.value {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .filter_map(|(k, v)| {
                    next.clear();
                    tries.iter().for_each(|t| t.step(&k.text, &mut next));
                    (!next.is_empty()).then(|| (k.clone(), prune(v, &next)))
                })
                .collect::<Vec<(Key, Node)>>()
                .into_boxed_slice(),
        ),
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    next.clear();
                    tries.iter().for_each(|t| t.step_index(i, &mut next));
                    if next.is_empty() {
                        emptied(item)
                    } else {
                        prune(item, &next)
                    }
                })
                .collect::<Vec<Node>>()
                .into_boxed_slice(),
        ),
        other => other.clone(),
    };
    Node {
        span: node.span,
        style: node.style,
        value,
    }
}

/// A list item no path enters: the same kind of node, with nothing in it.
fn emptied(node: &Node) -> Node {
    let value = match &node.value {
        Value::Map(_) => Value::Map(Box::new([])),
        Value::Seq(_) => Value::Seq(Box::new([])),
        _ => Value::Null,
    };
    Node {
        span: node.span,
        style: node.style,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// The leaf paths of `node` (`/a/b`, `*` for list items; an empty map or list is a leaf).
    fn leaves(node: &Node, at: String, out: &mut Vec<String>) {
        match &node.value {
            Value::Map(m) if !m.is_empty() => {
                for (k, v) in m.iter() {
                    leaves(v, format!("{at}/{}", k.text), out);
                }
            }
            Value::Seq(s) if !s.is_empty() => {
                s.iter().for_each(|v| leaves(v, format!("{at}/*"), out))
            }
            _ => out.push(at),
        }
    }

    #[test]
    fn each_object_keeps_what_is_read_on_its_kind() {
        // Widgets need the Gadget they name, and that Gadget must be big enough.
        let rule = "id: needs-gadget\ntitle: t\nseverity: error\ncategory: c\nwhy: w\nhelp: h\n\
            match:\n  kinds: [Widget]\nrequire:\n  related:\n    kinds: [Gadget]\n    match:\n      \
            - source: /spec/gadget\n        target: /metadata/name\n    where:\n      \
            field: /spec/size\n      equals: big\nmessage: m\nexamples:\n  invalid:\n    - |\n      \
            apiVersion: v1\n      kind: Widget\n      metadata: {name: w}\n      spec: {gadget: g}\n  \
            valid:\n    - |\n      apiVersion: v1\n      kind: Widget\n      metadata: {name: w}\n      \
            spec: {gadget: g}\n      ---\n      apiVersion: v1\n      kind: Gadget\n      \
            metadata: {name: g}\n      spec: {size: big}\n";
        let rule = crate::policy::load_rule(SourceFile::new("r.yaml", rule), false).expect("loads");
        let projection = Projection::of_rules([&rule]);
        let text = "apiVersion: v1\nkind: Widget\nmetadata: {name: w, labels: {a: b}}\n\
            spec: {gadget: g, colour: red}\n---\napiVersion: v1\nkind: Gadget\n\
            metadata: {name: g, namespace: n}\nspec: {size: big, colour: blue}\n---\n\
            apiVersion: v1\nkind: Sprocket\nmetadata: {name: s}\nspec: {gadget: g, size: big}\n";
        let file = crate::manifest::from_source(SourceFile::new("x.yaml", text));
        let pruned = projection.prune_file(file, &Context::default(), |_, _| false);
        let kept: Vec<Vec<String>> = (pruned.objects.iter())
            .map(|o| {
                let mut out = Vec::new();
                leaves(o.node(), String::new(), &mut out);
                out
            })
            .collect();
        // The checked Widget: its kind (findings on the whole object point at it) and the
        // source of the relation.
        assert_eq!(kept[0], ["/kind", "/spec/gadget"]);
        // The related Gadget: the relation's target and what its `where` reads.
        assert_eq!(kept[1], ["/metadata/name", "/spec/size"]);
        // Nothing reads Sprockets: only the root is left (its span still covers the object).
        assert_eq!(kept[2], [""]);
        assert_eq!(pruned.objects[2].id.name.as_deref(), Some("s"));
    }
}
