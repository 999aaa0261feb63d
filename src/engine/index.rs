//! The index of everything linted together, for cross-object rules.
//!
//! Built once per lint run (after all files are read) and shared read-only by every rule
//! evaluation: objects by kind, each with the labels its pods carry (the pod template's labels
//! for workloads, the object's own labels otherwise). Label selectors are evaluated here with
//! Kubernetes semantics — plain label maps (Service, ReplicationController) and `LabelSelector`s
//! with `matchLabels` / `matchExpressions`.

use super::Context;
use crate::manifest::yaml::Value;
use crate::manifest::{Node, Object};
use compact_str::CompactString;
use std::borrow::Cow;
use std::collections::HashMap;

/// Label pairs (key, value as text). Compact strings: most keys and values fit inline, and every
/// object of a lint run keeps its pods' labels in the index.
pub type Labels = Vec<(CompactString, CompactString)>;

/// One indexed object.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The object.
    pub obj: &'a Object,
    /// Pointer of its pod template, for workloads.
    pub template: Option<String>,
    /// The labels its pods carry (pod template labels for workloads, else its own labels).
    pub pod_labels: Labels,
    /// A custom resource that embeds pod templates (operators' CRs: LeaderWorkerSet, JobSet,
    /// RayCluster…); relations to `workloads` reach it, with the union of the templates' labels.
    pub embeds_pods: bool,
    /// Counts as a workload for relations.
    pub workload: bool,
}

impl<'a> Entry<'a> {
    fn new(obj: &'a Object, f: EntryFacts) -> Self {
        Entry {
            obj,
            template: f.template,
            pod_labels: f.pod_labels,
            embeds_pods: f.embeds_pods,
            workload: f.workload,
        }
    }
}

/// All objects of a lint run, by kind, by kind and namespace, and by name — so a relation looks
/// at the objects it could match, not at every object (linear, not quadratic, in the number of
/// objects when namespaces partition them).
#[derive(Debug, Default)]
pub struct Index<'a> {
    /// Every object, in input order.
    pub entries: Vec<Entry<'a>>,
    by_kind: HashMap<&'a str, Vec<usize>>,
    /// kind → namespace (`""`: none) → objects.
    by_kind_ns: HashMap<&'a str, HashMap<&'a str, Vec<usize>>>,
    /// The named objects as (hash of the name, position in `entries`), sorted: a table rather
    /// than a map, as nearly every name has one object and a vector each would cost more than
    /// the entry. A lookup compares numbers, and reads an object's name (a cache miss) only
    /// where the hash matches.
    by_name: Vec<(u64, u32)>,
    /// Every object's pod label pairs as (hash of the pair, position in `entries`), sorted:
    /// made on first use, by a relation with a label selector (see [`Index::may_select`]).
    by_label: std::sync::OnceLock<Vec<(u64, u32)>>,
    workloads: Vec<usize>,
    /// namespace (`""`: none) → workloads.
    workloads_ns: HashMap<&'a str, Vec<usize>>,
    /// Address of the object in memory → its entry.
    by_address: HashMap<usize, usize>,
    /// At most [`SMALL`] objects (a file's own, for file-scoped rules): the maps are left
    /// empty and queries scan the entries, which costs less than filling them.
    small: bool,
}

/// Up to this many objects, an index is [`Index::small`].
const SMALL: usize = 16;

/// The label pairs of a `key: value` map node (values rendered as text).
pub fn label_pairs(node: Option<&Node>) -> Labels {
    node.and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !matches!(v.value, Value::Seq(_) | Value::Map(_) | Value::Null))
                .map(|(k, v)| {
                    let value = match &v.value {
                        Value::Str(s) => s.clone(),
                        _ => v.display_value().into(),
                    };
                    (k.text.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn add_missing(into: &mut Labels, pairs: Labels) {
    for (k, v) in pairs {
        if !into.iter().any(|(pk, _)| *pk == k) {
            into.push((k, v));
        }
    }
}

/// Labels of every pod template embedded in a custom resource's `spec` (a map with
/// `spec.containers` and `metadata.labels`), searched a few levels deep.
fn embedded_template_labels(node: &Node, depth: usize, out: &mut Labels, found: &mut bool) {
    if depth == 0 {
        return;
    }
    if node
        .pointer("/spec/containers")
        .and_then(Node::as_seq)
        .is_some()
    {
        *found = true;
        add_missing(out, label_pairs(node.pointer("/metadata/labels")));
    }
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .for_each(|(_, v)| embedded_template_labels(v, depth - 1, out, found)),
        Value::Seq(items) => items
            .iter()
            .for_each(|v| embedded_template_labels(v, depth - 1, out, found)),
        _ => {}
    }
}

/// What the index records about one object, worked out from its whole tree: a streaming lint
/// works it out while the tree is at hand and indexes the object later, from a pruned tree.
#[derive(Debug, Clone)]
pub struct EntryFacts {
    /// Pointer of its pod template, for workloads.
    pub template: Option<String>,
    /// The labels its pods carry.
    pub pod_labels: Labels,
    /// A custom resource that embeds pod templates.
    pub embeds_pods: bool,
    /// Counts as a workload for relations.
    pub workload: bool,
}

/// The index facts of `obj`.
pub fn entry_facts(obj: &Object, ctx: &Context) -> EntryFacts {
    let template = ctx.pod_template(obj);
    let root = obj.node();
    let labels_node = match &template {
        Some(t) => root.pointer(&format!("{t}/metadata/labels")),
        None => root.pointer("/metadata/labels"),
    };
    let mut pod_labels = label_pairs(labels_node);
    let mut embeds_pods = false;
    if template.is_none()
        && !obj.id.group().is_empty()
        && let Some(spec) = root.get("spec")
    {
        embedded_template_labels(spec, 8, &mut pod_labels, &mut embeds_pods);
    }
    if template.is_some() {
        // A workload's pods carry the labels its selector requires; count them even when the
        // template omits them (kube-linter fixtures, partial manifests).
        let sel = root.pointer("/spec/selector");
        let required = match sel {
            Some(s) if s.get("matchLabels").is_some() => label_pairs(s.get("matchLabels")),
            Some(s) if s.get("matchExpressions").is_none() => label_pairs(Some(s)),
            _ => Vec::new(),
        };
        add_missing(&mut pod_labels, required);
    }
    let workload = ctx.is_workload(obj) || embeds_pods;
    EntryFacts {
        template,
        pod_labels,
        embeds_pods,
        workload,
    }
}

impl<'a> Index<'a> {
    /// Index `objects` (kustomizations are linted rendered, so their labels are already in the
    /// objects).
    pub fn new(objects: &[&'a Object], ctx: &Context) -> Self {
        use rayon::prelude::*;
        // Reading each object's labels is the work, done in parallel; the maps are filled in
        // input order afterwards.
        let facts: Vec<EntryFacts> = objects
            .par_iter()
            .with_min_len(64)
            .map(|obj| entry_facts(obj, ctx))
            .collect();
        Index::with_facts(objects, facts)
    }

    /// Index `objects` with their [`EntryFacts`] already worked out (`facts[i]` is that of
    /// `objects[i]`).
    pub fn with_facts(objects: &[&'a Object], facts: impl IntoIterator<Item = EntryFacts>) -> Self {
        Index::sized(objects, facts, objects.len() <= SMALL)
    }

    /// [`Index::with_facts`], small (no maps) or not.
    fn sized(
        objects: &[&'a Object],
        facts: impl IntoIterator<Item = EntryFacts>,
        small: bool,
    ) -> Self {
        let mut idx = Index::default();
        if small {
            idx.small = true;
            idx.entries = (objects.iter().zip(facts))
                .map(|(obj, f)| Entry::new(obj, f))
                .collect();
            return idx;
        }
        idx.entries.reserve(objects.len());
        idx.by_address.reserve(objects.len());
        // (hash of the name, position) of the named objects, sorted below.
        let mut named: Vec<(u64, u32)> = Vec::with_capacity(objects.len());
        for (i, (obj, f)) in objects.iter().zip(facts).enumerate() {
            let ns = obj.id.namespace.as_deref().unwrap_or("");
            if f.workload {
                idx.workloads.push(i);
                idx.workloads_ns.entry(ns).or_default().push(i);
            }
            idx.by_kind.entry(obj.id.kind.as_str()).or_default().push(i);
            idx.by_kind_ns
                .entry(obj.id.kind.as_str())
                .or_default()
                .entry(ns)
                .or_default()
                .push(i);
            idx.by_address.insert(address(obj), i);
            // Its `metadata.name`, or `generateName` when it has none: a candidate too many for
            // a relation by name, which compares the name itself (a pruned tree may not have it).
            if let Some(name) = obj.id.name.as_deref() {
                named.push((
                    name_hash(name),
                    u32::try_from(i).expect("fewer than 2^32 objects"),
                ));
            }
            idx.entries.push(Entry::new(obj, f));
        }
        // Sorted on the pool: on 100,000 objects this sort is most of what the index costs,
        // and it runs while the pool would otherwise wait for it.
        rayon::slice::ParallelSliceMut::par_sort_unstable(&mut named[..]);
        idx.by_name = named;
        idx
    }

    /// The facts the index was made with, in order (see [`Index::with_facts`]).
    pub fn into_facts(self) -> Vec<EntryFacts> {
        (self.entries.into_iter())
            .map(|e| EntryFacts {
                template: e.template,
                pod_labels: e.pod_labels,
                embeds_pods: e.embeds_pods,
                workload: e.workload,
            })
            .collect()
    }

    /// Indices of the entries `keep` accepts, in order (a small index's queries).
    fn scan(&self, keep: impl Fn(&Entry<'a>) -> bool) -> Vec<usize> {
        (self.entries.iter().enumerate())
            .filter(|(_, e)| keep(e))
            .map(|(i, _)| i)
            .collect()
    }

    /// Indices of objects of `kind`.
    pub fn of_kind(&self, kind: &str) -> Cow<'_, [usize]> {
        if self.small {
            return Cow::Owned(self.scan(|e| e.obj.id.kind == kind));
        }
        Cow::Borrowed(self.by_kind.get(kind).map_or(&[], Vec::as_slice))
    }

    /// Indices of objects of `kind` in namespace `ns` (`None`: objects without a namespace).
    pub fn of_kind_in(&self, kind: &str, ns: Option<&str>) -> Cow<'_, [usize]> {
        let ns = ns.unwrap_or("");
        if self.small {
            return Cow::Owned(self.scan(|e| e.obj.id.kind == kind && namespace(e) == ns));
        }
        Cow::Borrowed(
            (self.by_kind_ns.get(kind))
                .and_then(|m| m.get(ns))
                .map_or(&[], Vec::as_slice),
        )
    }

    /// Indices of workloads in namespace `ns` (`None`: workloads without a namespace).
    pub fn workloads_in(&self, ns: Option<&str>) -> Cow<'_, [usize]> {
        let ns = ns.unwrap_or("");
        if self.small {
            return Cow::Owned(self.scan(|e| e.workload && namespace(e) == ns));
        }
        Cow::Borrowed(self.workloads_ns.get(ns).map_or(&[], Vec::as_slice))
    }

    /// Indices of objects named `name` (by `metadata.name`, or else `generateName`: a relation
    /// compares the name itself), in any namespace, in entry order.
    pub fn named(&self, name: &str) -> Vec<usize> {
        if self.small {
            return self.scan(|e| e.obj.id.name.as_deref() == Some(name));
        }
        self.by_name_where(name, |_| true)
    }

    /// Indices of objects named `name` in namespace `ns` (`None`: objects without a namespace).
    pub fn named_in(&self, name: &str, ns: Option<&str>) -> Vec<usize> {
        let ns = ns.unwrap_or("");
        if self.small {
            return self.scan(|e| e.obj.id.name.as_deref() == Some(name) && namespace(e) == ns);
        }
        self.by_name_where(name, |e| namespace(e) == ns)
    }

    /// Indices, ascending, of the objects named `name` that `keep` keeps.
    fn by_name_where(&self, name: &str, keep: impl Fn(&Entry<'a>) -> bool) -> Vec<usize> {
        (hashed(&self.by_name, name_hash(name)).iter())
            .map(|&(_, i)| i as usize)
            .filter(|&i| {
                let e = &self.entries[i];
                e.obj.id.name.as_deref() == Some(name) && keep(e)
            })
            .collect()
    }

    /// Indices, ascending, of the objects that carry a label pair every object `sel` selects
    /// carries (see [`selects`]): a superset of those it selects, for a relation to check
    /// rather than every object of the kinds it reaches. The pair is the one fewest objects
    /// carry. `None` when `sel` requires no such pair (a `matchExpressions`-only selector, an
    /// empty one) or the index is small.
    pub fn may_select(&self, sel: &Node) -> Option<Vec<usize>> {
        if self.small {
            return None;
        }
        let table = self.by_label.get_or_init(|| {
            let mut t: Vec<(u64, u32)> = (self.entries.iter().enumerate())
                .flat_map(|(i, e)| {
                    let i = u32::try_from(i).expect("fewer than 2^32 objects");
                    e.pod_labels.iter().map(move |(k, v)| (label_hash(k, v), i))
                })
                .collect();
            t.sort_unstable();
            t.dedup();
            t
        });
        let mut narrowest: Option<&[(u64, u32)]> = None;
        for (k, v) in required_pairs(sel) {
            let run = hashed(table, label_hash(k, &v));
            if narrowest.is_none_or(|n| run.len() < n.len()) {
                narrowest = Some(run);
            }
        }
        narrowest.map(|run| run.iter().map(|&(_, i)| i as usize).collect())
    }

    /// Indices of workloads.
    pub fn workloads(&self) -> Cow<'_, [usize]> {
        if self.small {
            return Cow::Owned(self.scan(|e| e.workload));
        }
        Cow::Borrowed(&self.workloads)
    }

    /// The entry of `obj` (by identity of the object in memory).
    pub fn entry_of(&self, obj: &Object) -> Option<&Entry<'a>> {
        if self.small {
            return self.entries.iter().find(|e| std::ptr::eq(e.obj, obj));
        }
        self.by_address
            .get(&address(obj))
            .map(|i| &self.entries[*i])
    }
}

/// The entries of `table` (sorted (hash, position) pairs) with hash `h`, positions ascending.
fn hashed(table: &[(u64, u32)], h: u64) -> &[(u64, u32)] {
    let from = table.partition_point(|&(x, _)| x < h);
    let len = table[from..].partition_point(|&(x, _)| x == h);
    &table[from..from + len]
}

/// The hash [`Index`] finds names by.
fn name_hash(name: &str) -> u64 {
    let mut h = crate::diagnostic::Fnv64::new();
    h.write(name.as_bytes());
    h.finish()
}

/// The hash [`Index::may_select`] finds label pairs by (`0xff` never occurs in UTF-8, so it
/// separates key from value).
fn label_hash(key: &str, value: &str) -> u64 {
    let mut h = crate::diagnostic::Fnv64::new();
    h.write(key.as_bytes());
    h.write(&[0xff]);
    h.write(value.as_bytes());
    h.finish()
}

/// An entry's namespace (`""`: none), as the maps key it.
fn namespace<'e>(e: &Entry<'e>) -> &'e str {
    e.obj.id.namespace.as_deref().unwrap_or("")
}

/// An object's address, as the key of an object that is in the index by identity.
fn address(obj: &Object) -> usize {
    std::ptr::from_ref(obj) as usize
}

fn label<'l>(labels: &'l [(CompactString, CompactString)], key: &str) -> Option<&'l str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Labels controllers put on the pods they create, which templates never carry: a selector
/// requiring them cannot be checked from manifests, so they are assumed to match.
const CONTROLLER_LABELS: &[&str] = &[
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/job-completion-index",
];

/// Is `node` a `LabelSelector` (`matchLabels` / `matchExpressions`, or `{}`), rather than a plain
/// label map?
fn is_label_selector(node: &Node) -> bool {
    match node.as_map() {
        Some(m) => m
            .iter()
            .all(|(k, _)| k.text == "matchLabels" || k.text == "matchExpressions"),
        None => false,
    }
}

/// The label pairs (key, value) `sel` requires of every object it selects, by [`selects`]'
/// rules: a plain map's pairs, or a `LabelSelector`'s `matchLabels`, but for the
/// [`CONTROLLER_LABELS`] it assumes.
fn required_pairs(sel: &Node) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
    let pairs = if is_label_selector(sel) {
        sel.get("matchLabels").and_then(Node::as_map)
    } else {
        sel.as_map()
    };
    (pairs.unwrap_or_default().iter())
        .filter(|(k, _)| !CONTROLLER_LABELS.contains(&k.text.as_str()))
        .map(|(k, v)| (k.text.as_str(), v.display_text()))
}

/// Does the selector `sel` select `labels`? A plain map needs every pair; a `LabelSelector` needs
/// every `matchLabels` pair and every `matchExpressions` requirement (an empty one selects
/// everything); `null` or anything else selects nothing.
pub fn selects(sel: &Node, labels: &[(CompactString, CompactString)]) -> bool {
    let Some(map) = sel.as_map() else {
        return false;
    };
    let pair_ok = |k: &str, v: &Node| {
        CONTROLLER_LABELS.contains(&k) || label(labels, k) == Some(&*v.display_text())
    };
    if !is_label_selector(sel) {
        return map.iter().all(|(k, v)| pair_ok(&k.text, v));
    }
    if let Some(ml) = sel.get("matchLabels").and_then(Node::as_map)
        && !ml.iter().all(|(k, v)| pair_ok(&k.text, v))
    {
        return false;
    }
    if let Some(exprs) = sel.get("matchExpressions").and_then(Node::as_seq) {
        for e in exprs {
            let Some(key) = e.get("key").and_then(Node::as_str) else {
                return false;
            };
            let values = e.get("values").and_then(Node::as_seq).unwrap_or_default();
            let listed = |h: &str| values.iter().any(|v| v.display_text() == h);
            let have = label(labels, key);
            let ok = match e.get("operator").and_then(Node::as_str) {
                Some("In") => have.is_some_and(listed),
                Some("NotIn") => have.is_none_or(|h| !listed(h)),
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse;
    use crate::source::SourceFile;

    /// A small index (entries scanned) answers every query as a large one (maps) does.
    #[test]
    fn a_selector_s_candidates_hold_every_object_it_selects_and_few_others() {
        let mut text = String::new();
        for i in 0..40 {
            let app = ["web", "db", "cache", "queue"][i % 4];
            let tier = ["front", "back"][i % 2];
            // Numbers and booleans as label values: a selector's `80` must find label "80".
            text.push_str(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  labels:\n    \
                 app: {app}\n    tier: {tier}\n    port: \"{}\"\n    pod-template-hash: h{i}\n---\n",
                [80, 443][i % 2]
            ));
        }
        let file = crate::manifest::read("x.yaml", text);
        let objects: Vec<&Object> = file.objects.iter().collect();
        let ctx = Context::default();
        let facts = objects.iter().map(|o| entry_facts(o, &ctx));
        let idx = Index::sized(&objects, facts, false);
        let selectors = [
            ("{app: web}", Some(10)),
            ("{app: web, tier: front}", Some(10)),
            ("{port: 80}", Some(20)),
            ("{app: nope}", Some(0)),
            // A label controllers set is assumed to match: it narrows nothing.
            ("{pod-template-hash: zzz, app: db}", Some(10)),
            (
                "{matchLabels: {tier: back}, matchExpressions: [{key: app, operator: In, values: [db]}]}",
                Some(20),
            ),
            (
                "{matchExpressions: [{key: app, operator: In, values: [db]}]}",
                None,
            ),
            ("{}", None),
            ("{matchLabels: {}}", None),
        ];
        for (sel, size) in selectors {
            let parsed = parse(&SourceFile::new("s.yaml", sel));
            let sel_node = &parsed.documents[0].root;
            let narrowed = idx.may_select(sel_node);
            assert_eq!(narrowed.as_ref().map(Vec::len), size, "{sel}");
            let selected: Vec<usize> = (0..idx.entries.len())
                .filter(|&i| selects(sel_node, &idx.entries[i].pod_labels))
                .collect();
            if let Some(n) = narrowed {
                assert!(n.windows(2).all(|w| w[0] < w[1]), "{sel}: ascending");
                assert!(
                    selected.iter().all(|i| n.contains(i)),
                    "{sel}: {selected:?} ⊄ {n:?}"
                );
            }
        }
        // A small index (a file's own objects) is scanned, not narrowed.
        let few: Vec<&Object> = objects[..4].to_vec();
        let small = Index::sized(&few, few.iter().map(|o| entry_facts(o, &ctx)), true);
        let web = parse(&SourceFile::new("s.yaml", "{app: web}"));
        assert_eq!(small.may_select(&web.documents[0].root), None);
    }

    #[test]
    fn small_and_large_indexes_agree() {
        let mut text = String::new();
        for i in 0..24 {
            let kind = ["Deployment", "Service", "ConfigMap", "Pod"][i % 4];
            let api = if kind == "Deployment" {
                "apps/v1"
            } else {
                "v1"
            };
            let ns = ["", "  namespace: a\n", "  namespace: b\n"][i % 3];
            let name = ["web", "db", "cache"][i % 5 % 3];
            text.push_str(&format!(
                "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n{ns}---\n"
            ));
        }
        let file = crate::manifest::read("x.yaml", text);
        let objects: Vec<&Object> = file.objects.iter().collect();
        let ctx = Context::default();
        let facts = || {
            objects
                .iter()
                .map(|o| entry_facts(o, &ctx))
                .collect::<Vec<_>>()
        };
        let small = Index::sized(&objects, facts(), true);
        let large = Index::sized(&objects, facts(), false);
        let sorted = |mut v: Vec<usize>| {
            v.sort_unstable();
            v
        };
        let mut answers = 0;
        for ns in [None, Some("a"), Some("b"), Some("c")] {
            assert_eq!(small.workloads_in(ns), large.workloads_in(ns));
            for kind in ["Deployment", "Service", "Pod", "Secret"] {
                assert_eq!(small.of_kind(kind), large.of_kind(kind));
                assert_eq!(small.of_kind_in(kind, ns), large.of_kind_in(kind, ns));
                answers += large.of_kind_in(kind, ns).len();
            }
            for name in ["web", "db", "nope"] {
                assert_eq!(sorted(small.named(name)), sorted(large.named(name)));
                assert_eq!(
                    sorted(small.named_in(name, ns)),
                    sorted(large.named_in(name, ns))
                );
                answers += large.named_in(name, ns).len();
            }
        }
        assert_eq!(small.workloads(), large.workloads());
        for o in &objects {
            let (a, b) = (small.entry_of(o), large.entry_of(o));
            assert!(a.is_some_and(|a| b.is_some_and(|b| std::ptr::eq(a.obj, b.obj))));
        }
        // Not an empty agreement.
        assert!(answers > 24 && !large.workloads().is_empty(), "{answers}");
    }

    fn node(text: &str) -> Node {
        let indented: String = text.lines().map(|l| format!("  {l}\n")).collect();
        let root = parse(&SourceFile::new("s.yaml", format!("s:\n{indented}")))
            .documents
            .remove(0)
            .root;
        root.get("s").cloned().expect("s")
    }

    #[test]
    fn selectors() {
        let labels: Labels = vec![
            ("app".into(), "web".into()),
            ("tier".into(), "front".into()),
        ];
        assert!(selects(&node("app: web\n"), &labels));
        assert!(!selects(&node("app: db\n"), &labels));
        assert!(selects(&node("{}\n"), &labels));
        assert!(!selects(&node("null\n"), &labels));
        assert!(selects(&node("matchLabels: {app: web}\n"), &labels));
        assert!(selects(
            &node("matchExpressions: [{key: tier, operator: In, values: [front, back]}]\n"),
            &labels
        ));
        assert!(!selects(
            &node("matchExpressions: [{key: tier, operator: NotIn, values: [front]}]\n"),
            &labels
        ));
        assert!(selects(
            &node("matchExpressions: [{key: zone, operator: DoesNotExist}]\n"),
            &labels
        ));
        assert!(!selects(
            &node("matchLabels: {app: web}\nmatchExpressions: [{key: zone, operator: Exists}]\n"),
            &labels
        ));
        assert!(!selects(&node("app: web\nzone: a\n"), &labels));
    }

    #[test]
    fn objects_by_name_and_namespace() {
        let file = crate::manifest::from_source(SourceFile::new(
            "n.yaml",
            "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota, namespace: a}\n---\n\
             apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota, namespace: b}\n---\n\
             apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota}\n---\n\
             apiVersion: v1\nkind: LimitRange\nmetadata: {name: defaults, namespace: a}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: quota-a, namespace: a}\n",
        ));
        let objects: Vec<&Object> = file.objects.iter().collect();
        let index = Index::new(&objects, &Context::default());
        let mut all: Vec<usize> = index.named("quota");
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2]);
        let named_in = |name, ns| index.named_in(name, ns);
        assert_eq!(named_in("quota", Some("a")), [0]);
        assert_eq!(named_in("quota", Some("b")), [1]);
        assert_eq!(named_in("quota", None), [2]);
        assert!(named_in("quota", Some("c")).is_empty());
        assert_eq!(named_in("defaults", Some("a")), [3]);
        assert_eq!(named_in("quota-a", Some("a")), [4]);
        assert!(index.named("missing").is_empty());
    }
}
