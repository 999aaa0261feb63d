//! Projections: the parts of an object that cross-object rules can read.
//!
//! A streaming lint checks each file's objects with the per-object rules while the file's tree
//! is fresh, then keeps only what the cross-object rules (`related`) will read once every file
//! has been read. What they read is worked out once from the compiled rules: every path their
//! `each`, `when` and check visit, on the checked object and on the related ones, with anchors
//! (`$pod`, `$source`, `$origin`…) resolved to paths from the object root. Pruning an object keeps
//! the nodes on those paths — whole subtrees where a value is compared — with their spans, and
//! keeps every list item (emptied when no path enters it) so indices stay what they were. The
//! object's `apiVersion`, `kind`, name and namespace are always kept; its labels and annotations
//! when a rule reads them, or picks the objects it checks by them. (Waiver annotations need no
//! keeping: an object that carries one keeps its whole tree.)

use super::Context;
use crate::manifest::yaml::{Key, Value, pointer_tokens};
use crate::manifest::{FileManifests, Node, Object};
use crate::policy::cond::{Anchor, Cond, Each, Op, Operand, Seg};
use crate::policy::{Check, Rule};
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
}

/// Anchored starting points of paths: (base, path from the base).
type Bases = Vec<(Base, Vec<Seg>)>;

/// What paths in a condition are relative to.
struct Scope<'a> {
    item: &'a Bases,
    container: &'a Bases,
    source: &'a Bases,
    origin: &'a Bases,
}

/// The paths a set of rules reads, from the root or the pod template of an object.
#[derive(Debug, Default)]
pub struct Projection {
    pats: Vec<Pat>,
    /// The paths as a trie, per (object base pointer, pod template pointer): objects of the
    /// same shape share one.
    tries: Mutex<HashMap<Shape, Arc<Trie>>>,
}

/// Where an object sits in its document and where its pod template is: (base pointer, pod
/// template pointer). Objects of one shape are pruned with the same trie.
type Shape = (String, Option<String>);

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
        for path in [
            &["apiVersion"][..],
            &["kind"],
            &["metadata", "name"],
            &["metadata", "namespace"],
        ] {
            p.push(Base::Root, path.iter().map(|k| key(k)).collect(), true);
        }
        for rule in rules {
            // A rule that picks objects by label or annotation reads them on every object.
            let m = &rule.matcher;
            if !m.labels.is_empty() || !m.exclude_labels.is_empty() {
                p.push(Base::Root, vec![key("metadata"), key("labels")], true);
            }
            if !m.annotations.is_empty() {
                p.push(Base::Root, vec![key("metadata"), key("annotations")], true);
            }
            let mut items = Bases::new();
            let mut containers = Bases::new();
            each_bases(&rule.each, &mut items, &mut containers);
            for (b, segs) in &items {
                p.push(*b, segs.clone(), false);
            }
            let none = Bases::new();
            let scope = Scope {
                item: &items,
                container: &containers,
                source: &none,
                origin: &items,
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
            let (base, segs) = (p.pats[i].base, p.pats[i].segs.clone());
            for (j, _) in segs.iter().enumerate().filter(|(_, s)| **s == Seg::Any) {
                for k in &keys {
                    p.push(base, join(&segs[..=j], &[key(k)]), true);
                }
            }
        }
        p
    }

    fn push(&mut self, base: Base, segs: Vec<Seg>, whole: bool) {
        let pat = Pat { base, segs, whole };
        if !self.pats.contains(&pat) {
            self.pats.push(pat);
        }
    }

    fn add(&mut self, anchor: Anchor, path: &[Seg], scope: &Scope<'_>, whole: bool) {
        for (b, segs) in anchor_bases(anchor, scope) {
            self.push(b, join(&segs, path), whole);
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
                let inner: Bases = anchor_bases(*anchor, scope)
                    .into_iter()
                    .map(|(b, segs)| (b, join(&segs, path)))
                    .collect();
                self.cond(
                    cond,
                    &Scope {
                        item: &inner,
                        container: scope.container,
                        source: scope.item,
                        origin: scope.origin,
                    },
                );
            }
            Cond::Related(rel) => {
                for m in &rel.matches {
                    for (a, p) in &m.sources {
                        self.add(*a, p, scope, true);
                    }
                    for t in &m.targets {
                        self.push(Base::Root, t.clone(), true);
                    }
                }
                if let Some((a, p)) = &rel.selector {
                    self.add(*a, p, scope, true);
                }
                if let Some(p) = &rel.selected_by {
                    self.push(Base::Root, p.clone(), true);
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
        let cache_key = (obj.base.clone(), template);
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
        self.insert(&mut trie, &cache_key.0, cache_key.1.as_deref());
        let trie = Arc::new(trie);
        self.tries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(cache_key, trie.clone());
        trie
    }

    fn insert(&self, trie: &mut Trie, base: &str, template: Option<&str>) {
        let base: Vec<Seg> = pointer_tokens(base).into_iter().map(Seg::Key).collect();
        let template: Option<Vec<Seg>> =
            template.map(|t| pointer_tokens(t).into_iter().map(Seg::Key).collect());
        for p in &self.pats {
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
                    self.insert(&mut trie, &o.base, ctx.pod_template(o).as_deref());
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

/// Where paths with `anchor` start, in `scope`.
fn anchor_bases(anchor: Anchor, scope: &Scope<'_>) -> Bases {
    match anchor {
        Anchor::Item => scope.item.clone(),
        Anchor::Object | Anchor::OriginObject => vec![(Base::Root, Vec::new())],
        Anchor::Pod => vec![(Base::Template, vec![key("spec")])],
        Anchor::Template => vec![(Base::Template, Vec::new())],
        Anchor::Container => scope.container.clone(),
        Anchor::Source => scope.source.clone(),
        Anchor::Origin => scope.origin.clone(),
        // `$old` exists only when linting a change, which does not stream.
        Anchor::Old => Vec::new(),
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
