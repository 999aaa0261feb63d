//! Streaming lint: per-object rules while each file's tree is fresh, cross-object rules at the
//! end on pruned trees.
//!
//! Holding every file's whole tree until all files are read costs several times the input in
//! memory. A [`Plan`] splits the rules: those that read only the object they check, and those
//! whose relations stay in its file (`scope: file`, against an index of the file's objects), run
//! in [`Plan::first_pass`], on the thread that parsed the file, right after parsing; the file's
//! objects are then cut down to what the cross-object rules (`related`) can read (see
//! [`super::project`]), and their index facts are worked out while the whole tree is there.
//! [`Plan::second_pass`] runs the cross-object rules once every file is read. A violation
//! becomes a finding on the pruned tree when that is exact, else (a keyed path through a list
//! the projection cut) on a fresh parse of its file; a fix is planned on the pruned tree when
//! its one edit targets a node kept whole, else on a fresh parse of the object's document. So
//! the output is that of [`super::lint`], in the same order.
//!
//! The caller may also let a file's text go after the first pass ([`Checked::detach`]): the
//! second pass then reads it again, through the caller, for the files it makes findings in.
//!
//! This cost about 4 % more instructions than the whole-tree lint when last measured (pruning,
//! and parsing again what the pruned trees cannot answer exactly; 10k objects), for about a
//! third of the peak memory on large inputs (100k objects: 724 MB whole-tree, 255–259 MB
//! streamed): `accord lint` streams inputs of 32 MiB or more.

use super::eval::Outcome;
use super::index::{EntryFacts, entry_facts};
use super::project::{Kinds, Projection};
use super::{Context, Index, check_rules, finding_on, run_rules, system};
use crate::diagnostic::Diagnostic;
use crate::manifest::canon;
use crate::manifest::yaml::{Value, pointer_tokens};
use crate::manifest::{self, FileManifests, Object};
use crate::policy::Rule;
use crate::policy::cond::{Cond, within_file};
use crate::policy::model::AppliesTo;
use crate::source::Source;
use rayon::prelude::*;
use std::sync::Arc;

/// The rules of a lint run, split for streaming.
pub struct Plan<'r> {
    /// Rules that read only the object they check.
    local: Vec<&'r Rule>,
    /// Rules whose relations stay in the checked object's file (`scope: file`): checked in the
    /// first pass too, against the file's objects.
    in_file: Vec<&'r Rule>,
    /// Rules with relations to other objects.
    cross: Vec<&'r Rule>,
    /// What the cross-object rules read.
    projection: Projection,
    /// The objects whose pod labels a label selector of theirs can read.
    labels: LabelReaders,
}

/// The objects a cross-object rule can read the pod labels of (see [`EntryFacts::pod_labels`]):
/// the objects a relation's `selector` selects among, and the checked objects of a relation with
/// `selected-by`. The others' labels are left out of the index, which holds every object's.
#[derive(Debug, Default)]
struct LabelReaders(Kinds);

impl LabelReaders {
    fn of_rules(rules: &[&Rule]) -> Self {
        let mut out = LabelReaders::default();
        for rule in rules {
            let checked = Kinds::of_matcher(&rule.matcher);
            for c in rule.conds() {
                out.walk(c, &checked);
            }
        }
        out
    }

    /// Add the readers of `c`'s relations; `me` holds the object a relation relates from: the
    /// checked object, or the objects of the relation whose `where` holds this one.
    fn walk(&mut self, c: &Cond, me: &Kinds) {
        match c {
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| self.walk(c, me)),
            Cond::Not(c) | Cond::Some { cond: c, .. } => self.walk(c, me),
            Cond::Related(rel) => {
                let mut related = Kinds::default();
                related.add(&rel.kinds, me);
                if rel.selector.is_some() {
                    self.0.union(&related);
                }
                if rel.selected_by.is_some() {
                    self.0.union(me);
                }
                if let Some(w) = &rel.where_ {
                    self.walk(w, &related);
                }
            }
            Cond::Schema(_) | Cond::ApiStatus(_) | Cond::Field { .. } => {}
        }
    }

    /// Can a rule read the pod labels of `obj` (`workload`: it counts as one)?
    fn reads(&self, obj: &Object, workload: bool) -> bool {
        self.0.has(obj, workload)
    }
}

/// A file after the first pass.
pub struct Checked {
    /// The file, its objects pruned to what the second pass reads.
    pub file: FileManifests,
    /// Problems of the file itself (YAML errors…).
    pub problems: Vec<Diagnostic>,
    /// Findings of the per-object rules.
    pub findings: Vec<Diagnostic>,
    /// Index facts of each object, in order.
    pub entries: Vec<EntryFacts>,
}

impl Checked {
    /// Let the file's text go: every handle on its source becomes `stub`, a detached stand-in
    /// (see [`crate::source::SourceFile::detach`]). For a file none of whose objects kept its
    /// whole tree; the second pass reads the text again when it makes a finding in the file.
    pub fn detach(&mut self, stub: &Source) {
        let old = std::mem::replace(&mut self.file.source, stub.clone());
        for o in &mut self.file.objects {
            if Arc::ptr_eq(&o.source, &old) {
                o.source = stub.clone();
            }
        }
        for d in self.findings.iter_mut().chain(&mut self.problems) {
            d.rehome(&old, stub);
        }
    }
}

/// Gives a file's source with its text (the source itself when it is not detached).
pub type Attach<'a> = dyn Fn(&Source) -> Source + Sync + 'a;

/// The pending results of a file's objects: (object index, results), in object order.
type ObjectResults<'r> = Vec<(usize, Vec<Pending<'r>>)>;

/// A cross-object rule's result on one object, before it becomes a finding.
enum Pending<'r> {
    /// A violation of `rule` at the selected node `ptr` (in the container at `container`).
    Violation {
        rule: &'r Rule,
        ptr: String,
        container: Option<String>,
        outcome: Outcome,
    },
    /// A finding already made (the rule crashed).
    Done(Box<Diagnostic>),
}

impl<'r> Plan<'r> {
    /// Split `rules` (rules for removed objects are left out: a plain lint has none).
    pub fn new(rules: &'r [Rule]) -> Self {
        let present = rules.iter().filter(|r| r.applies_to == AppliesTo::Present);
        let (cross, local): (Vec<&Rule>, Vec<&Rule>) = present.partition(|r| r.cross_object);
        let (in_file, cross): (Vec<&Rule>, Vec<&Rule>) =
            (cross.into_iter()).partition(|r| r.conds().all(within_file));
        let projection = Projection::of_rules(cross.iter().copied());
        let labels = LabelReaders::of_rules(&cross);
        Plan {
            local,
            in_file,
            cross,
            projection,
            labels,
        }
    }

    /// Check `file` with the per-object rules and prune it; the objects `keep_whole` names (by
    /// index) keep their whole documents.
    pub fn first_pass(
        &self,
        file: FileManifests,
        ctx: &Context,
        keep_whole: impl Fn(usize, &Object) -> bool,
    ) -> Checked {
        let problems = system::file_problems(&file);
        let mut facts: Vec<EntryFacts> = if self.cross.is_empty() && self.in_file.is_empty() {
            Vec::new()
        } else {
            (file.objects.iter()).map(|o| entry_facts(o, ctx)).collect()
        };
        // The file's own objects: all that the rules checked here can relate to.
        let index = if self.in_file.is_empty() {
            Index::default()
        } else {
            let refs: Vec<&Object> = file.objects.iter().collect();
            Index::with_facts(&refs, std::mem::take(&mut facts))
        };
        let rules = || self.local.iter().chain(&self.in_file).copied();
        let findings: Vec<Diagnostic> = file
            .objects
            .par_iter()
            .with_min_len(4)
            .flat_map_iter(|obj| check_rules(obj, rules(), None, ctx, &index))
            .collect();
        if !self.in_file.is_empty() {
            facts = index.into_facts();
        }
        let entries = if self.cross.is_empty() {
            Vec::new()
        } else {
            (file.objects.iter().zip(facts))
                .map(|(o, mut facts)| {
                    if !self.labels.reads(o, facts.workload) {
                        facts.pod_labels = Vec::new();
                    }
                    facts
                })
                .collect()
        };
        let file = self.projection.prune_file(file, ctx, keep_whole);
        Checked {
            file,
            problems,
            findings,
            entries,
        }
    }

    /// Check `files` (pruned by the first pass) with the cross-object rules; `entries` holds the
    /// index facts of every object, file by file, in order. A file whose source was detached is
    /// read again through `attach` when it gets a finding, and its findings hold the detached
    /// source. The findings come per file, in file order, for the caller to move into its own
    /// vector (one copy of them fewer than gathering them here).
    pub fn second_pass(
        &self,
        files: &[FileManifests],
        entries: Vec<Vec<EntryFacts>>,
        ctx: &Context,
        attach: &Attach,
    ) -> Vec<Vec<Diagnostic>> {
        if self.cross.is_empty() {
            return Vec::new();
        }
        let objects: Vec<(usize, usize, &manifest::Object)> = files
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| f.objects.iter().enumerate().map(move |(oi, o)| (fi, oi, o)))
            .collect();
        let refs: Vec<&manifest::Object> = objects.iter().map(|(_, _, o)| *o).collect();
        let index = Index::with_facts(&refs, entries.into_iter().flatten());
        let pending: Vec<(usize, usize, Vec<Pending<'r>>)> = objects
            .par_iter()
            .with_min_len(4)
            .filter_map(|&(fi, oi, obj)| {
                let out = run_rules(
                    obj,
                    self.cross.iter().copied(),
                    None,
                    ctx,
                    &index,
                    |rule, sel, outcome| Pending::Violation {
                        rule,
                        ptr: sel.ptr.clone(),
                        container: sel.container.clone(),
                        outcome,
                    },
                    |rule, p| Pending::Done(Box::new(system::rule_crashed(rule, obj, p))),
                );
                (!out.is_empty()).then_some((fi, oi, out))
            })
            .collect();
        // The index is not read again: let it go before the findings are made.
        drop(index);
        drop(refs);
        // Group by file, in order, and make the findings on a fresh parse of each file.
        let mut by_file: Vec<(usize, ObjectResults<'r>)> = Vec::new();
        for (fi, oi, p) in pending {
            match by_file.last_mut() {
                Some((f, list)) if *f == fi => list.push((oi, p)),
                _ => by_file.push((fi, vec![(oi, p)])),
            }
        }
        let per_file: Vec<Vec<Diagnostic>> = by_file
            .into_par_iter()
            .map(|(fi, list)| {
                let file = &files[fi];
                let source = attach(&file.source);
                if Arc::ptr_eq(&source, &file.source) {
                    return self.findings(file, list, ctx);
                }
                let with_text = FileManifests {
                    source: source.clone(),
                    objects: file
                        .objects
                        .iter()
                        .map(|o| {
                            let s = if Arc::ptr_eq(&o.source, &file.source) {
                                source.clone()
                            } else {
                                o.source.clone()
                            };
                            let (doc, base) = (o.document.clone(), o.base.clone());
                            manifest::Object::new(s, doc, o.doc_index, base, o.id.clone())
                        })
                        .collect(),
                    problems: Vec::new(),
                    skipped: Vec::new(),
                    documents: Vec::new(),
                };
                let mut out = self.findings(&with_text, list, ctx);
                for d in &mut out {
                    d.rehome(&source, &file.source);
                }
                out
            })
            .collect();
        per_file
    }

    /// The findings of one file's pending results. A finding is made on the pruned tree when
    /// that gives the same finding (see [`Plan::exact_on_pruned`]), otherwise on a fresh parse
    /// of the file, made once for the file.
    fn findings(
        &self,
        file: &FileManifests,
        list: ObjectResults<'r>,
        ctx: &Context,
    ) -> Vec<Diagnostic> {
        let mut whole: Option<FileManifests> = None;
        let mut out = Vec::new();
        for (oi, pending) in list {
            for p in pending {
                match p {
                    Pending::Done(d) => out.push(*d),
                    Pending::Violation {
                        rule,
                        ptr,
                        container,
                        outcome,
                    } => {
                        let pruned = &file.objects[oi];
                        let exact = self.exact_on_pruned(rule, pruned, &outcome, ctx);
                        let obj = if exact {
                            pruned
                        } else {
                            whole
                                .get_or_insert_with(|| manifest::from_source(file.source.clone()))
                                .objects
                                .get(oi)
                                .unwrap_or(pruned)
                        };
                        let root = obj.node();
                        let item = root.pointer(&ptr).unwrap_or(root);
                        let container = container.as_deref().and_then(|c| root.pointer(c));
                        let whole = !exact || self.fix_exact_on_pruned(rule, obj, &ptr, ctx);
                        out.push(finding_on(
                            rule, obj, None, &ptr, item, container, &outcome, whole,
                        ));
                    }
                }
            }
        }
        out
    }

    /// Does planning `rule`'s fix at the checked node `ptr` on the pruned `obj` give the edits
    /// the whole tree gives (so no fresh parse is needed)? For a fix of one edit whose target
    /// the projection keeps whole, and which is there: its node, its key and their spans are
    /// those of the whole tree, and the rest of what the edit reads is the file's text and the
    /// target's ancestors' spans, which pruning keeps. A `remove` from a flow collection renders
    /// the whole collection again, and a missing target is created under ancestors the
    /// projection may have cut: both are planned on a fresh parse.
    fn fix_exact_on_pruned(&self, rule: &Rule, obj: &Object, ptr: &str, ctx: &Context) -> bool {
        let Some(fix) = &rule.fix else {
            return true;
        };
        let [edit] = fix.edits.as_slice() else {
            return false;
        };
        let (op, path) = edit.op();
        let tokens = pointer_tokens(&format!("{ptr}{path}"));
        if !self.projection.whole_at(obj, ctx, &tokens) {
            return false;
        }
        let Some((last, parents)) = tokens.split_last() else {
            return false;
        };
        let Some(parent) = parents.iter().try_fold(obj.node(), |n, t| n.child(t)) else {
            return false;
        };
        parent.child(last).is_some()
            && (op != "remove" || parent.style != crate::manifest::yaml::Style::FlowCollection)
    }

    /// Does [`finding_on`] make the same finding on the pruned `obj` as on the whole one? The
    /// projection keeps every node on the paths the rule read, with its span, and what its
    /// message reads of the checked node, and fixes are planned on a fresh parse of the
    /// document; what it may lack is the items of a list the finding's path crosses (its keyed
    /// path names list items by their keys or content) and a collection shown as `{{value}}`.
    fn exact_on_pruned(&self, rule: &Rule, obj: &Object, o: &Outcome, ctx: &Context) -> bool {
        let tokens = pointer_tokens(&o.at);
        let mut node = Some(obj.node());
        let mut field = "";
        for (i, token) in tokens.iter().enumerate() {
            let Some(n) = node else { break };
            if let Value::Seq(items) = &n.value {
                // The list's kind and item keys come from fields the projection keeps for
                // every item, except a set's, which are keyed by their whole value.
                let prefix = &tokens[..i];
                let keyed = self.projection.all_items_at(obj, ctx, prefix)
                    && canon::list_kind(field, items) != canon::ListKind::Set;
                if !keyed && !self.projection.whole_at(obj, ctx, prefix) {
                    return false;
                }
                field = "";
            } else {
                field = token;
            }
            node = n.child(token);
        }
        let shows_value = rule.message.vars().any(|v| v.len() == 1 && v[0] == "value");
        !(shows_value
            && node.is_some_and(|n| matches!(n.value, Value::Seq(_) | Value::Map(_)))
            && !self.projection.whole_at(obj, ctx, &tokens))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// A rule whose Gadgets need a Widget that some Sprocket selects: a `selected-by` inside a
    /// relation's `where`, which reads the Widgets' labels from the index.
    pub(crate) fn nested_selected_by_rule() -> Rule {
        let rule = "id: nested\ntitle: t\nseverity: error\ncategory: c\nwhy: w\nhelp: h\n\
            match:\n  kinds: [Gadget]\nrequire:\n  related:\n    kinds: [Widget]\n    where:\n      \
            related:\n        kinds: [Sprocket]\n        selected-by: /spec/selector\n\
            message: m\nexamples:\n  invalid:\n    - |\n      apiVersion: v1\n      kind: Gadget\n      \
            metadata: {name: g}\n  valid:\n    - |\n      apiVersion: v1\n      kind: Gadget\n      \
            metadata: {name: g}\n      ---\n      apiVersion: v1\n      kind: Widget\n      \
            metadata: {name: w, labels: {app: w}}\n      ---\n      apiVersion: v1\n      \
            kind: Sprocket\n      metadata: {name: s}\n      spec: {selector: {app: w}}\n";
        crate::policy::load_rule(SourceFile::new("nested.yaml", rule), false).expect("rule loads")
    }

    fn object(kind: &str) -> Object {
        let text = format!("apiVersion: v1\nkind: {kind}\nmetadata: {{name: x}}\n");
        let mut file = manifest::from_source(SourceFile::new("x.yaml", text));
        file.objects.remove(0)
    }

    #[test]
    fn rules_whose_relations_stay_in_the_file_are_checked_in_the_first_pass() {
        let rules = crate::policy::builtin_rules().expect("built-in rules load");
        let plan = Plan::new(&rules);
        let ids = |v: &[&Rule]| v.iter().map(|r| r.id().to_string()).collect::<Vec<_>>();
        assert!(ids(&plan.in_file).contains(&"duplicate-object".to_string()));
        assert!(!ids(&plan.cross).contains(&"duplicate-object".to_string()));
        assert!(ids(&plan.cross).contains(&"service-selects-nothing".to_string()));
        // A relation inside a file-scoped relation's `where` that looks further keeps the rule
        // for the second pass.
        let rule = "id: nested\ntitle: t\nseverity: error\ncategory: c\nwhy: w\nhelp: h\n\
            match:\n  kinds: [Gadget]\nrequire:\n  related:\n    kinds: [Widget]\n    \
            scope: file\n    where:\n      related:\n        kinds: [Sprocket]\n\
            message: m\nexamples:\n  invalid:\n    - |\n      apiVersion: v1\n      kind: Gadget\n      \
            metadata: {name: g}\n  valid:\n    - |\n      apiVersion: v1\n      kind: Gadget\n      \
            metadata: {name: g}\n      ---\n      apiVersion: v1\n      kind: Widget\n      \
            metadata: {name: w}\n      ---\n      apiVersion: v1\n      kind: Sprocket\n      \
            metadata: {name: s}\n";
        let only =
            [crate::policy::load_rule(SourceFile::new("n.yaml", rule), false).expect("loads")];
        let plan = Plan::new(&only);
        assert!(plan.in_file.is_empty() && plan.cross.len() == 1);
    }

    #[test]
    fn labels_are_indexed_for_the_objects_a_selector_can_read() {
        let rules = crate::policy::builtin_rules().expect("built-in rules load");
        let plan = Plan::new(&rules);
        let reads = |kind: &str, workload: bool| plan.labels.reads(&object(kind), workload);
        // Services select workloads' pods; ServiceMonitors select Services; PDBs are selected
        // by nothing but select workloads.
        assert!(reads("Deployment", true) && reads("Service", false));
        assert!(!reads("ConfigMap", false) && !reads("PodDisruptionBudget", false));
        // A `selected-by` inside a relation's `where` reads the labels of that relation's
        // objects (here Widgets), not those of the checked objects.
        let rule = nested_selected_by_rule();
        let only = [rule];
        let plan = Plan::new(&only);
        let reads = |kind: &str| plan.labels.reads(&object(kind), false);
        assert!(reads("Widget"));
        assert!(!reads("Gadget") && !reads("Sprocket") && !reads("ConfigMap"));
    }
}
