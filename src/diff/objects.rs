//! Matching objects across revisions by identity — API group, kind, namespace, name — never by
//! file or position, so moving an object, splitting a file or reordering documents is not a
//! change (dyff's `k8sItemIdentifier`, with the apiVersion's version left out so
//! `extensions/v1beta1` → `apps/v1` is the same Deployment).
//!
//! Identities can repeat (the same object in two loose files); such objects pair up in the same
//! file first, then in order. Objects left over on both sides whose bodies are equal except for
//! `metadata.name` are renames.
//!
//! Objects rendered from a kustomization are kept apart per overlay: their identity ([`identity`])
//! is prefixed with the kustomization directory they were rendered from (`overlays/prod::apps/
//! Deployment/web/web`), so an overlay's Deployment is never matched with the same Deployment of
//! another overlay, nor with the loose base file it came from, and a rename never crosses
//! overlays. The directory comes from the synthetic file the objects are rendered into
//! ([`crate::kustomize::rendered_dir`]). One exception: when a directory becomes (or stops being)
//! a kustomization, an object left over on one side as a loose file and on the other as a
//! rendered object pairs up when its plain identity is unique among the leftovers of both sides.

use super::fields::{self, Locate};
use super::model::{ChangeKind, ObjectChange, ObjectSide};
use crate::manifest::canon;
use crate::manifest::yaml::Value;
use crate::manifest::{Node, Object};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Objects paired across BASE and HEAD.
#[derive(Debug, Default)]
pub struct Matched<'a> {
    /// (BASE, HEAD) versions of the same identity.
    pub pairs: Vec<(&'a Object, &'a Object)>,
    /// (BASE, HEAD) versions of an object whose name changed and nothing else.
    pub renamed: Vec<(&'a Object, &'a Object)>,
    /// Only at HEAD.
    pub added: Vec<&'a Object>,
    /// Only at BASE.
    pub removed: Vec<&'a Object>,
}

/// Is it the same object in memory (a file both revisions share)?
pub fn same(a: &Object, b: &Object) -> bool {
    std::ptr::eq(a, b)
        || (Arc::ptr_eq(&a.source, &b.source) && a.doc_index == b.doc_index && a.base == b.base)
}

/// `identity` of an object in `file`, scoped by the kustomization directory when `file` is a
/// rendered kustomization.
pub fn scoped(file: &str, identity: String) -> String {
    match crate::kustomize::rendered_dir(file) {
        Some(dir) => format!("{dir}::{identity}"),
        None => identity,
    }
}

/// The identity objects are matched by: `group/kind/namespace/name`, prefixed with the
/// kustomization directory for rendered objects (see the module doc).
pub fn identity(o: &Object) -> String {
    scoped(&o.source.path, o.id.identity())
}

/// Pair `base` and `head` objects by identity.
pub fn match_objects<'a>(base: &[&'a Object], head: &[&'a Object]) -> Matched<'a> {
    let mut by_id: BTreeMap<String, (Vec<&'a Object>, Vec<&'a Object>)> = BTreeMap::new();
    for o in base {
        by_id.entry(identity(o)).or_default().0.push(o);
    }
    for o in head {
        by_id.entry(identity(o)).or_default().1.push(o);
    }
    let mut m = Matched::default();
    for (_, (b, h)) in by_id {
        let mut b: Vec<Option<&Object>> = b.into_iter().map(Some).collect();
        let mut h: Vec<Option<&Object>> = h.into_iter().map(Some).collect();
        // Same object in memory, then same file, then in order.
        for pass in 0..3 {
            for hi in h.iter_mut() {
                let Some(ho) = *hi else { continue };
                let found = b.iter_mut().find(|bo| {
                    bo.is_some_and(|bo| match pass {
                        0 => same(bo, ho),
                        1 => bo.source.path == ho.source.path,
                        _ => true,
                    })
                });
                if let Some(slot) = found
                    && let Some(bo) = slot.take()
                {
                    m.pairs.push((bo, ho));
                    *hi = None;
                }
            }
        }
        m.removed.extend(b.into_iter().flatten());
        m.added.extend(h.into_iter().flatten());
    }
    // A directory that became (or stopped being) a kustomization: its objects move between a
    // loose file and a rendered one, so their scoped identities differ. Pair them when the plain
    // identity is unique among the leftovers on both sides.
    if !m.removed.is_empty() && !m.added.is_empty() {
        let mut by_plain: BTreeMap<String, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for (i, o) in m.removed.iter().enumerate() {
            by_plain.entry(o.id.identity()).or_default().0.push(i);
        }
        for (i, o) in m.added.iter().enumerate() {
            by_plain.entry(o.id.identity()).or_default().1.push(i);
        }
        let rendered = |o: &Object| crate::kustomize::rendered_dir(&o.source.path).is_some();
        let mut taken_r = vec![false; m.removed.len()];
        let mut taken_a = vec![false; m.added.len()];
        for (_, (r, a)) in by_plain {
            if let ([r], [a]) = (r.as_slice(), a.as_slice())
                && rendered(m.removed[*r]) != rendered(m.added[*a])
            {
                m.pairs.push((m.removed[*r], m.added[*a]));
                taken_r[*r] = true;
                taken_a[*a] = true;
            }
        }
        let mut i = 0;
        m.removed.retain(|_| {
            i += 1;
            !taken_r[i - 1]
        });
        let mut j = 0;
        m.added.retain(|_| {
            j += 1;
            !taken_a[j - 1]
        });
    }
    // Renames: same group, kind and namespace, same body apart from the name.
    if !m.removed.is_empty() && !m.added.is_empty() {
        let key = |o: &Object| {
            (
                crate::kustomize::rendered_dir(&o.source.path).map(str::to_string),
                o.id.group().to_string(),
                o.id.kind.clone(),
                o.id.namespace.clone(),
                body_hash(o.node()),
            )
        };
        let mut added: Vec<Option<&Object>> = m.added.drain(..).map(Some).collect();
        let mut removed = Vec::new();
        let added_keys: Vec<_> = added.iter().map(|o| o.map(key)).collect();
        for r in m.removed.drain(..) {
            let k = key(r);
            match (0..added.len())
                .find(|i| added[*i].is_some() && added_keys[*i].as_ref() == Some(&k))
            {
                Some(i) => {
                    if let Some(a) = added[i].take() {
                        m.renamed.push((r, a));
                    }
                }
                None => removed.push(r),
            }
        }
        m.removed = removed;
        m.added = added.into_iter().flatten().collect();
    }
    m
}

/// Hash of an object without `metadata.name` (and `generateName`).
fn body_hash(node: &Node) -> u64 {
    let Value::Map(entries) = &node.value else {
        return canon::hash(node, "");
    };
    let mut parts: Vec<u64> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let h = if k.text == "metadata" {
            match &v.value {
                Value::Map(meta) => {
                    let mut sub: Vec<u64> = meta
                        .iter()
                        .filter(|(mk, _)| mk.text != "name" && mk.text != "generateName")
                        .map(|(mk, mv)| {
                            canon::hash_str(&mk.text) ^ canon::hash(mv, &mk.text).rotate_left(17)
                        })
                        .collect();
                    sub.sort_unstable();
                    sub.into_iter()
                        .fold(canon::hash_str("meta"), |a, b| a.rotate_left(5) ^ b)
                }
                _ => canon::hash(v, "metadata"),
            }
        } else {
            canon::hash(v, &k.text)
        };
        parts.push(canon::hash_str(&k.text) ^ h.rotate_left(29));
    }
    parts.sort_unstable();
    parts
        .into_iter()
        .fold(canon::hash_str("obj"), |a, b| a.rotate_left(7) ^ b)
}

/// Is it a core-group Secret (whose data must never be shown)?
pub fn is_secret(o: &Object) -> bool {
    o.id.kind == "Secret" && o.id.group().is_empty()
}

/// Where one version of an object is: its file and line (plain files).
pub fn side(o: &Object) -> ObjectSide {
    ObjectSide {
        id: o.id.as_ref().clone(),
        file: o.source.path.clone(),
        line: o.source.position(o.node().span.start()).line,
        overlay: None,
    }
}

/// How [`changes_with`] places objects and fields that were rendered: `side` gives where an
/// object was defined, `field` where a value was set.
pub struct Locator<'l> {
    /// Where a version of an object is.
    pub side: &'l dyn Fn(&Object) -> ObjectSide,
    /// Where a field's value was set, when not in the object's own text.
    pub field: Option<&'l Locate<'l>>,
}

/// The object changes of a match, sorted by file and line (HEAD's, else BASE's).
pub fn changes(m: &Matched<'_>) -> Vec<ObjectChange> {
    changes_with(
        m,
        &Locator {
            side: &side,
            field: None,
        },
    )
}

/// [`changes`] with objects and fields placed by `loc` (rendered kustomizations).
pub fn changes_with(m: &Matched<'_>, loc: &Locator<'_>) -> Vec<ObjectChange> {
    let side = loc.side;
    let diff = |b: &Object, h: &Object| {
        fields::diff_located(
            b.node(),
            &b.source,
            h.node(),
            &h.source,
            is_secret(b) || is_secret(h),
            loc.field,
        )
    };
    let mut out = Vec::new();
    for (b, h) in &m.pairs {
        if same(b, h) {
            continue;
        }
        let fields = diff(b, h);
        let moved = b.source.path != h.source.path;
        let kind = match (fields.is_empty(), moved) {
            (true, false) => continue,
            (true, true) => ChangeKind::Moved,
            (false, _) => ChangeKind::Modified,
        };
        out.push(ObjectChange {
            id: h.id.as_ref().clone(),
            kind,
            old: Some(side(b)),
            new: Some(side(h)),
            fields,
        });
    }
    for (b, h) in &m.renamed {
        let fields = diff(b, h);
        out.push(ObjectChange {
            id: h.id.as_ref().clone(),
            kind: ChangeKind::Renamed,
            old: Some(side(b)),
            new: Some(side(h)),
            fields,
        });
    }
    for h in &m.added {
        out.push(ObjectChange {
            id: h.id.as_ref().clone(),
            kind: ChangeKind::Added,
            old: None,
            new: Some(side(h)),
            fields: Vec::new(),
        });
    }
    for b in &m.removed {
        out.push(ObjectChange {
            id: b.id.as_ref().clone(),
            kind: ChangeKind::Removed,
            old: Some(side(b)),
            new: None,
            fields: Vec::new(),
        });
    }
    out.sort_by(|a, b| {
        let key = |c: &ObjectChange| {
            let s = c.new.as_ref().or(c.old.as_ref());
            (s.map(|s| s.file.clone()), s.map(|s| s.line), c.kind)
        };
        key(a).cmp(&key(b))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest;

    #[test]
    fn identity_not_file_and_renames() {
        let a = manifest::read(
            "a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {k: v}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\ndata: {k: w}\n",
        );
        let b = manifest::read(
            "b.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {k: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n",
        );
        let base: Vec<&Object> = a.objects.iter().collect();
        let head: Vec<&Object> = b.objects.iter().collect();
        let m = match_objects(&base, &head);
        assert_eq!(m.pairs.len(), 1);
        assert_eq!(m.renamed.len(), 1);
        let c = changes(&m);
        let kinds: Vec<ChangeKind> = c.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![ChangeKind::Renamed, ChangeKind::Moved]);
        assert_eq!(c[0].fields[0].path, "/metadata/name");
    }

    #[test]
    fn overlays_are_kept_apart_but_a_new_kustomization_keeps_its_objects() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {k: v}\n";
        let loose = manifest::read("app/cm.yaml", cm);
        let prod = manifest::read("overlays/prod/kustomization.yaml (rendered)", cm);
        let staging = manifest::read("overlays/staging/kustomization.yaml (rendered)", cm);
        assert_eq!(
            identity(&prod.objects[0]),
            "overlays/prod::/ConfigMap//x".to_string()
        );
        // Another overlay's object is another object.
        let m = match_objects(&[&prod.objects[0]], &[&staging.objects[0]]);
        assert_eq!((m.pairs.len(), m.removed.len(), m.added.len()), (0, 1, 1));
        assert!(m.renamed.is_empty());
        // A directory that became a kustomization: the one loose object is the rendered one.
        let app = manifest::read("app/kustomization.yaml (rendered)", cm);
        let m = match_objects(&[&loose.objects[0]], &[&app.objects[0]]);
        assert_eq!((m.pairs.len(), m.removed.len(), m.added.len()), (1, 0, 0));
        // Not when two overlays now render it.
        let m = match_objects(
            &[&loose.objects[0]],
            &[&prod.objects[0], &staging.objects[0]],
        );
        assert_eq!((m.pairs.len(), m.removed.len(), m.added.len()), (0, 1, 2));
    }
}
