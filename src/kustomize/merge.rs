//! Strategic merge patches over rendered trees.
//!
//! Maps merge key by key (a `null` in the patch deletes the key); lists of well-known fields
//! merge element by element on their Kubernetes merge key (`containers` by `name`, container
//! `ports` by `containerPort`, Service `ports` by `port`, `volumeMounts` by `mountPath`, …), other
//! lists are replaced. Directives: `$patch: delete` (in a map: remove it; in a list element:
//! remove the matching element), `$patch: replace` (replace the map, or the whole list when it is
//! an element of its own), `$retainKeys` and `$setElementOrder/…` are accepted and ignored, and
//! `$deleteFromPrimitiveList/<field>` removes scalars. Every node taken from the patch keeps the
//! patch's origin, so a field a patch sets is blamed on the patch line.

use super::tree::{RNode, RVal};

/// The merge key of list `field`, deciding between the two `ports` lists by their items.
fn merge_key(field: &str, base: &[RNode], patch: &[RNode]) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "podResourceClaims"
        | "schedulingGates" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "conditions" => "type",
        "ports" => {
            let has = |k: &str| base.iter().chain(patch).any(|i| i.get(k).is_some());
            if has("containerPort") {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    })
}

/// Lists of scalars that merge as sets rather than being replaced.
fn scalar_set(field: &str) -> bool {
    field == "finalizers"
}

fn directive(n: &RNode) -> Option<&str> {
    n.get("$patch").and_then(RNode::as_str)
}

/// Strip directive keys from a node taken whole from the patch.
fn clean(mut n: RNode) -> RNode {
    match &mut n.value {
        RVal::Map(m) => {
            m.retain(|(k, _)| !k.text.starts_with('$'));
            let taken = std::mem::take(m);
            *m = taken.into_iter().map(|(k, v)| (k, clean(v))).collect();
        }
        RVal::Seq(items) => {
            let taken = std::mem::take(items);
            *items = taken
                .into_iter()
                .filter(|i| directive(i).is_none())
                .map(clean)
                .collect();
        }
        _ => {}
    }
    n
}

/// Merge `patch` into `base` (both mappings at the top).
pub fn merge(base: &mut RNode, patch: &RNode) {
    if directive(patch) == Some("replace") {
        *base = clean(patch.clone());
        return;
    }
    let (RVal::Map(_), RVal::Map(pentries)) = (&base.value, &patch.value) else {
        *base = clean(patch.clone());
        return;
    };
    for (pk, pv) in pentries {
        if pk.text.starts_with("$setElementOrder/")
            || pk.text == "$retainKeys"
            || pk.text == "$patch"
        {
            continue;
        }
        if let Some(field) = pk.text.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(RVal::Seq(items)), Some(del)) =
                (base.get_mut(field).map(|n| &mut n.value), pv.as_seq())
            {
                items.retain(|i| !del.iter().any(|d| d.same_value(i)));
            }
            continue;
        }
        if matches!(pv.value, RVal::Null) {
            base.remove(&pk.text);
            continue;
        }
        if directive(pv) == Some("delete") {
            base.remove(&pk.text);
            continue;
        }
        let Some(bv) = base.get_mut(&pk.text) else {
            let v = clean(pv.clone());
            if let RVal::Map(m) = &mut base.value {
                m.push((pk.clone(), v));
            }
            continue;
        };
        match (&mut bv.value, &pv.value) {
            (RVal::Map(_), RVal::Map(_)) => merge(bv, pv),
            (RVal::Seq(bitems), RVal::Seq(pitems)) => {
                merge_list(&pk.text, bitems, pitems, &mut bv.origin, &pv.origin);
            }
            _ => *bv = clean(pv.clone()),
        }
    }
}

fn merge_list(
    field: &str,
    base: &mut Vec<RNode>,
    patch: &[RNode],
    origin: &mut Option<super::tree::Origin>,
    porigin: &Option<super::tree::Origin>,
) {
    if patch.iter().any(|i| directive(i) == Some("replace")) {
        *base = patch
            .iter()
            .filter(|i| directive(i).is_none())
            .cloned()
            .map(clean)
            .collect();
        *origin = porigin.clone();
        return;
    }
    if scalar_set(field) && patch.iter().all(|i| !matches!(i.value, RVal::Map(_))) {
        for p in patch {
            if !base.iter().any(|b| b.same_value(p)) {
                base.push(p.clone());
            }
        }
        return;
    }
    let Some(key) = merge_key(field, base, patch) else {
        *base = patch.iter().cloned().map(clean).collect();
        *origin = porigin.clone();
        return;
    };
    for p in patch {
        let Some(pkey) = p.get(key) else {
            base.push(clean(p.clone()));
            continue;
        };
        let pos = base
            .iter()
            .position(|b| b.get(key).is_some_and(|k| k.same_value(pkey)));
        match (pos, directive(p)) {
            (Some(i), Some("delete")) => {
                base.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), Some("replace")) => base[i] = clean(p.clone()),
            (Some(i), _) => merge(&mut base[i], p),
            (None, _) => base.push(clean(p.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml;
    use crate::source::SourceFile;

    fn node(text: &str) -> RNode {
        let src = SourceFile::new("t.yaml", text);
        let p = yaml::parse(&src);
        RNode::from_node(&src, &p.documents[0].root, &|s| s)
    }

    #[test]
    fn containers_merge_by_name_and_directives_apply() {
        let mut base = node(
            "spec:\n  containers:\n  - name: a\n    image: x\n    env: [{name: A, value: '1'}]\n  - name: b\n    image: y\n  volumes: [{name: v}]\n  tolerations: [{key: k}]\n",
        );
        let patch = node(
            "spec:\n  containers:\n  - name: a\n    image: z\n    env: [{name: B, value: '2'}]\n  - name: b\n    $patch: delete\n  - name: c\n    image: c\n  volumes:\n  - name: w\n  - $patch: replace\n  tolerations: [{key: j}]\n",
        );
        merge(&mut base, &patch);
        assert_eq!(
            base.to_json(),
            serde_json::json!({"spec": {
                "containers": [
                    {"name": "a", "image": "z", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                    {"name": "c", "image": "c"}
                ],
                "volumes": [{"name": "w"}],
                "tolerations": [{"key": "j"}]
            }})
        );
    }

    #[test]
    fn null_deletes_and_map_replace() {
        let mut base = node("a: 1\nb: {c: 1, d: 2}\n");
        let patch = node("a: null\nb: {$patch: replace, e: 3}\n");
        merge(&mut base, &patch);
        assert_eq!(base.to_json(), serde_json::json!({"b": {"e": 3}}));
    }
}
