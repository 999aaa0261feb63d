//! The finding delta: each finding is identified by (object identity, rule, path with list keys)
//! — never by line — so moving, reformatting or reordering code does not re-blame it.
//!
//! Findings are multisets: two identical keys at HEAD and one at BASE make one unchanged and
//! one introduced. When the rules differ between BASE and HEAD, a third lint — HEAD's rules on
//! BASE's objects — tells findings caused by the rule change from findings caused by the
//! manifest change.

use super::model::{Finding, FindingDelta, FindingKey, PolicyChange, RuleImpact, Side};
use crate::diagnostic::Diagnostic;
use crate::manifest::{FileManifests, Object, canon};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Objects by (file, identity), to find the object a finding is about.
#[derive(Default)]
pub struct ObjectIndex<'a> {
    by_file: HashMap<(&'a str, String), Vec<&'a Object>>,
}

impl<'a> ObjectIndex<'a> {
    /// Index the objects of `files` (and any extra objects, e.g. removed ones).
    pub fn new(
        files: impl IntoIterator<Item = &'a FileManifests>,
        extra: impl IntoIterator<Item = &'a Object>,
    ) -> Self {
        let mut ix = ObjectIndex::default();
        for f in files {
            for o in &f.objects {
                ix.add(o);
            }
        }
        for o in extra {
            ix.add(o);
        }
        ix
    }

    fn add(&mut self, o: &'a Object) {
        let list = self
            .by_file
            .entry((o.source.path.as_str(), o.id.identity()))
            .or_default();
        if !list.iter().any(|x| std::ptr::eq(*x, o)) {
            list.push(o);
        }
    }

    /// The object a finding is about: same file and identity, the one whose text contains it.
    pub fn object_of(&self, d: &Diagnostic) -> Option<&'a Object> {
        let id = d.object.as_ref()?;
        let list = self.by_file.get(&(d.location.file(), id.identity()))?;
        let at = d.location.span.start();
        list.iter()
            .find(|o| o.node().span.start() <= at && at <= o.node().span.end())
            .or(list.first())
            .copied()
    }
}

/// The matching key of a finding.
/// Findings on rendered objects are keyed by the overlay-scoped identity
/// ([`super::objects::identity`]); key them before moving them to the base or patch line.
pub fn key(d: &Diagnostic, ix: &ObjectIndex<'_>) -> FindingKey {
    let scoped =
        |id: &crate::manifest::ObjectRef| super::objects::scoped(d.location.file(), id.identity());
    match (&d.object, ix.object_of(d)) {
        (Some(id), Some(o)) => FindingKey {
            object: scoped(id),
            rule: d.rule.clone(),
            path: canon::keyed_path(o.node(), &d.path),
        },
        (Some(id), None) => FindingKey {
            object: scoped(id),
            rule: d.rule.clone(),
            path: d.path.clone(),
        },
        (None, _) => FindingKey {
            object: format!("file:{}", d.location.file()),
            rule: d.rule.clone(),
            path: format!("{}#{}", d.path, d.message),
        },
    }
}

/// Findings keyed for matching.
pub struct Keyed {
    /// The findings, with their keys.
    pub items: Vec<(FindingKey, Diagnostic)>,
}

impl Keyed {
    /// Key every finding.
    pub fn new(diags: Vec<Diagnostic>, ix: &ObjectIndex<'_>) -> Self {
        Keyed {
            items: diags.into_iter().map(|d| (key(&d, ix), d)).collect(),
        }
    }
}

fn counts(k: &Keyed) -> HashMap<FindingKey, usize> {
    let mut m = HashMap::new();
    for (key, _) in &k.items {
        *m.entry(key.clone()).or_insert(0) += 1;
    }
    m
}

fn take(m: &mut HashMap<FindingKey, usize>, k: &FindingKey) -> bool {
    match m.get_mut(k) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

fn finding(key: FindingKey, d: Diagnostic, side: Side) -> Finding {
    Finding {
        patch: super::hunks::fix_patch(&d),
        diagnostic: d,
        side,
        key,
    }
}

/// Classify findings.
///
/// - `head`: HEAD's rules on HEAD's objects (transition findings included; `transition` names
///   their rules, which always count as introduced).
/// - `base`: BASE's rules on BASE's objects.
/// - `cross`: HEAD's rules on BASE's objects, when the rules differ (`None` when they do not).
pub fn classify(
    head: Keyed,
    base: Keyed,
    cross: Option<Keyed>,
    transition: &BTreeSet<String>,
) -> (FindingDelta, Vec<Finding>, Vec<Finding>) {
    let mut delta = FindingDelta::default();
    let mut newly = Vec::new();
    let mut resolved = Vec::new();
    let mut base_left = counts(&base);
    let mut cross_for_head = cross.as_ref().map(counts).unwrap_or_default();
    let mut head_side = Vec::new();
    for (k, d) in head.items {
        if transition.contains(&d.rule) {
            head_side.push((0u8, k, d));
        } else if take(&mut base_left, &k) {
            head_side.push((1, k, d));
        } else if cross.is_some() && take(&mut cross_for_head, &k) {
            head_side.push((2, k, d));
        } else {
            head_side.push((0, k, d));
        }
    }
    for (class, k, d) in head_side {
        let f = finding(k, d, Side::Head);
        match class {
            0 => delta.introduced.push(f),
            1 => delta.unchanged.push(f),
            _ => newly.push(f),
        }
    }
    // BASE findings not matched at HEAD: fixed by the change, or dropped by the rule change.
    let mut cross_for_base = cross.as_ref().map(counts).unwrap_or_default();
    for (k, d) in base.items {
        if transition.contains(&d.rule) {
            continue;
        }
        if base_left.get(&k).copied().unwrap_or(0) == 0 {
            continue;
        }
        take(&mut base_left, &k);
        if cross.is_none() || take(&mut cross_for_base, &k) {
            delta.fixed.push(finding(k, d, Side::Base));
        } else {
            resolved.push(finding(k, d, Side::Base));
        }
    }
    (delta, newly, resolved)
}

/// Per rule: how many objects and files the rule change newly flags.
pub fn impact(newly: &[Finding]) -> Vec<RuleImpact> {
    let mut by_rule: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>, usize)> = BTreeMap::new();
    for f in newly {
        let e = by_rule.entry(f.diagnostic.rule.as_str()).or_default();
        e.0.insert(f.key.object.as_str());
        e.1.insert(f.diagnostic.location.file());
        e.2 += 1;
    }
    let mut v: Vec<RuleImpact> = by_rule
        .into_iter()
        .map(|(rule, (o, f, n))| RuleImpact {
            rule: rule.to_string(),
            objects: o.len(),
            files: f.len(),
            findings: n,
        })
        .collect();
    v.sort_by(|a, b| b.objects.cmp(&a.objects).then_with(|| a.rule.cmp(&b.rule)));
    v
}

/// Assemble the policy section from the classification.
pub fn policy(
    base_rules: &BTreeMap<String, u64>,
    head_rules: &BTreeMap<String, u64>,
    filter_changed: bool,
    newly: Vec<Finding>,
    resolved: Vec<Finding>,
) -> PolicyChange {
    let rules_added = head_rules
        .keys()
        .filter(|k| !base_rules.contains_key(*k))
        .cloned()
        .collect();
    let rules_removed = base_rules
        .keys()
        .filter(|k| !head_rules.contains_key(*k))
        .cloned()
        .collect();
    let rules_changed = head_rules
        .iter()
        .filter(|(k, v)| base_rules.get(*k).is_some_and(|b| b != *v))
        .map(|(k, _)| k.clone())
        .collect();
    PolicyChange {
        rules_added,
        rules_removed,
        rules_changed,
        filter_changed,
        impact: impact(&newly),
        newly_flagged: newly,
        no_longer_flagged: resolved,
    }
}
