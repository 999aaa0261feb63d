//! Semantic identity of values inside an object: which lists are keyed, sets or ordered, and
//! order-insensitive hashing and equality built on that.
//!
//! Kubernetes merges many lists by a key (`containers` by `name`, `ports` by `containerPort` and
//! `protocol`, …), so reordering them changes nothing; others are sets (`tolerations`, RBAC
//! `verbs`). One table here, [`list_kind`], decides it for every list — the diff engine and the
//! finding matcher both use it, so "a reorder is not a change" and "a reorder does not re-blame a
//! finding" agree. Paths through keyed lists are written `containers[name=web]` instead of
//! `containers/0` ([`keyed_path`]).

use super::yaml::{Node, Value, escape_token, pointer_tokens};

/// How the items of a list are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// Items are maps identified by these fields (a missing `protocol` counts as `TCP`).
    Keyed(Vec<&'static str>),
    /// Order does not matter; items are identified by their whole value.
    Set,
    /// Order matters; items are identified by position.
    Ordered,
}

/// Lists merged by fixed key fields (Kubernetes `patchMergeKey`s and their usual companions).
const KEYED: &[(&str, &[&str])] = &[
    ("containers", &["name"]),
    ("initContainers", &["name"]),
    ("ephemeralContainers", &["name"]),
    ("volumes", &["name"]),
    ("env", &["name"]),
    ("imagePullSecrets", &["name"]),
    ("volumeMounts", &["mountPath"]),
    ("volumeDevices", &["devicePath"]),
    ("hostAliases", &["ip"]),
    (
        "topologySpreadConstraints",
        &["topologyKey", "whenUnsatisfiable"],
    ),
    ("readinessGates", &["conditionType"]),
    ("schedulingGates", &["name"]),
    ("resourceClaims", &["name"]),
    ("ownerReferences", &["uid"]),
    ("conditions", &["type"]),
    ("subjects", &["kind", "namespace", "name"]),
    ("webhooks", &["name"]),
    ("versions", &["name"]),
    ("additionalPrinterColumns", &["name"]),
];

/// Lists whose order carries no meaning.
const SETS: &[&str] = &[
    "tolerations",
    "finalizers",
    "accessModes",
    "verbs",
    "apiGroups",
    "resourceNames",
    "nonResourceURLs",
    "add",
    "drop",
    "nodeSelectorTerms",
    "matchExpressions",
    "values",
    "ingress",
    "egress",
    "from",
    "to",
    "policyTypes",
    "supplementalGroups",
];

/// Every field of a list item that [`list_kind`] reads to tell keyed lists from sets, and that
/// keys read: with these kept, a list's kind and keys can be worked out from a tree that lost
/// its other fields (unless the list is a set, whose items are keyed by their whole value).
pub fn item_key_fields() -> impl Iterator<Item = &'static str> {
    KEYED
        .iter()
        .flat_map(|(_, keys)| keys.iter().copied())
        .chain([
            "containerPort",
            "protocol",
            "port",
            "verbs",
            "host",
            "http",
            "name",
        ])
}

fn all_maps_have(items: &[Node], fields: &[&str]) -> bool {
    items
        .iter()
        .all(|i| i.as_map().is_some() && fields.iter().any(|f| i.get(f).is_some()))
}

/// How the list stored under `field` (its key in the parent map) with these items is identified.
pub fn list_kind(field: &str, items: &[Node]) -> ListKind {
    if items.is_empty() {
        return ListKind::Ordered;
    }
    if field == "ports" {
        if all_maps_have(items, &["containerPort"]) {
            return ListKind::Keyed(vec!["containerPort", "protocol"]);
        }
        if items.iter().all(|i| {
            i.get("port")
                .is_some_and(|p| !p.is_null() && p.as_map().is_none())
        }) {
            return ListKind::Keyed(vec!["port", "protocol"]);
        }
        return ListKind::Set;
    }
    if field == "rules" {
        // RBAC rules are a set; ingress rules too. Prometheus rules (`alert` / `record`) keep order.
        return if items
            .iter()
            .all(|i| i.get("verbs").is_some() || i.get("host").is_some() || i.get("http").is_some())
        {
            ListKind::Set
        } else {
            ListKind::Ordered
        };
    }
    if let Some((_, keys)) = KEYED.iter().find(|(f, _)| *f == field)
        && all_maps_have(items, keys)
    {
        return ListKind::Keyed(keys.to_vec());
    }
    if SETS.contains(&field) {
        return ListKind::Set;
    }
    // dyff's named-entry heuristic: maps that all carry a distinct scalar `name`.
    if items.len() > 1 && items.iter().all(|i| i.get("name").is_some_and(is_scalar)) {
        let mut names: Vec<String> = items
            .iter()
            .filter_map(|i| i.get("name"))
            .map(Node::display_value)
            .collect();
        names.sort();
        names.dedup();
        if names.len() == items.len() {
            return ListKind::Keyed(vec!["name"]);
        }
    }
    ListKind::Ordered
}

fn is_scalar(n: &Node) -> bool {
    !matches!(n.value, Value::Seq(_) | Value::Map(_))
}

/// The key of one item of a keyed list: `name=web` or `containerPort=80,protocol=TCP`.
pub fn item_key(item: &Node, fields: &[&str]) -> String {
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        let v = match item.get(f) {
            Some(n) if !n.is_null() => n.display_value(),
            _ if *f == "protocol" => "TCP".to_string(),
            _ => String::new(),
        };
        if fields.len() == 1 || !v.is_empty() {
            parts.push(format!("{f}={v}"));
        }
    }
    parts.join(",")
}

/// Keys of every item of a keyed list, numbered `#2`, `#3` … when a key repeats.
pub fn item_keys(items: &[Node], fields: &[&str]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    items
        .iter()
        .map(|i| {
            let k = item_key(i, fields);
            let n = seen.entry(k.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { k } else { format!("{k}#{n}") }
        })
        .collect()
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// A deterministic 64-bit hash (FNV-1a) of a string.
pub fn hash_str(s: &str) -> u64 {
    fnv(FNV_OFFSET, s.as_bytes())
}

fn mix(a: u64, b: u64) -> u64 {
    fnv(a, &b.to_le_bytes())
}

/// An order-insensitive, deterministic 64-bit hash of a value: map key order, formatting and
/// the order of keyed lists and sets do not change it. `field` is the node's key in its parent.
pub fn hash(node: &Node, field: &str) -> u64 {
    match &node.value {
        Value::Null => fnv(FNV_OFFSET, b"n"),
        Value::Bool(b) => fnv(FNV_OFFSET, if *b { b"t" } else { b"f" }),
        Value::Int(i) => fnv(fnv(FNV_OFFSET, b"#"), &(*i as f64).to_bits().to_le_bytes()),
        Value::Float(f) => fnv(fnv(FNV_OFFSET, b"#"), &f.to_bits().to_le_bytes()),
        Value::Str(s) => fnv(fnv(FNV_OFFSET, b"s"), s.as_bytes()),
        Value::Map(entries) => {
            let mut parts: Vec<u64> = entries
                .iter()
                .map(|(k, v)| mix(fnv(FNV_OFFSET, k.text.as_bytes()), hash(v, &k.text)))
                .collect();
            parts.sort_unstable();
            parts.into_iter().fold(fnv(FNV_OFFSET, b"{"), mix)
        }
        Value::Seq(items) => {
            let mut parts: Vec<u64> = items.iter().map(|i| hash(i, "")).collect();
            if list_kind(field, items) != ListKind::Ordered {
                parts.sort_unstable();
            }
            parts.into_iter().fold(fnv(FNV_OFFSET, b"["), mix)
        }
    }
}

/// Are two scalar values equal (integers and floats compare numerically)?
pub fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => false,
    }
}

/// Semantic equality: like [`hash`], ignores key order, formatting and the order of keyed lists
/// and sets. `field` is the nodes' key in their parent.
pub fn equal(a: &Node, b: &Node, field: &str) -> bool {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.get(&k.text).is_some_and(|w| equal(v, w, &k.text)))
        }
        (Value::Seq(x), Value::Seq(y)) => {
            if x.len() != y.len() {
                return false;
            }
            match list_kind(field, x) {
                ListKind::Ordered if list_kind(field, y) == ListKind::Ordered => {
                    x.iter().zip(y).all(|(p, q)| equal(p, q, ""))
                }
                ListKind::Keyed(keys) if list_kind(field, y) == ListKind::Keyed(keys.clone()) => {
                    let (kx, ky) = (item_keys(x, &keys), item_keys(y, &keys));
                    kx.iter().zip(x).all(|(k, p)| {
                        ky.iter()
                            .position(|q| q == k)
                            .is_some_and(|j| equal(p, &y[j], ""))
                    })
                }
                _ => {
                    let mut hx: Vec<u64> = x.iter().map(|i| hash(i, "")).collect();
                    let mut hy: Vec<u64> = y.iter().map(|i| hash(i, "")).collect();
                    hx.sort_unstable();
                    hy.sort_unstable();
                    hx == hy
                }
            }
        }
        (x, y) => scalar_eq(x, y),
    }
}

/// The token that names item `index` of a list in a keyed path: `[name=web]` for keyed lists,
/// `[#1a2b3c4d]` (a hash of the item) for sets, the plain index for ordered lists.
pub fn item_token(field: &str, items: &[Node], index: usize) -> String {
    match list_kind(field, items) {
        ListKind::Keyed(keys) => {
            let keys = item_keys(items, &keys);
            format!(
                "[{}]",
                keys.get(index).map(String::as_str).unwrap_or_default()
            )
        }
        ListKind::Set => format!(
            "[#{:08x}]",
            items.get(index).map_or(0, |i| hash(i, "") as u32)
        ),
        ListKind::Ordered => format!("/{index}"),
    }
}

/// Rewrite a JSON Pointer into `root` so that list indices become list keys
/// (`/spec/containers/0/image` → `/spec/containers[name=web]/image`). Tokens past the last
/// existing node are kept as they are.
pub fn keyed_path(root: &Node, pointer: &str) -> String {
    let mut out = String::new();
    let mut node = Some(root);
    let mut field = String::new();
    for token in pointer_tokens(pointer) {
        match node.map(|n| &n.value) {
            Some(Value::Seq(items)) => {
                match token.parse::<usize>().ok().filter(|i| *i < items.len()) {
                    Some(i) => {
                        out.push_str(&item_token(&field, items, i));
                        node = items.get(i);
                    }
                    None => {
                        out.push('/');
                        out.push_str(&escape_token(&token));
                        node = None;
                    }
                }
                field.clear();
            }
            _ => {
                out.push('/');
                out.push_str(&escape_token(&token));
                node = node.and_then(|n| n.get(&token));
                field = token;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse;
    use crate::source::SourceFile;

    fn node(text: &str) -> Node {
        parse(&SourceFile::new("x.yaml", text))
            .documents
            .remove(0)
            .root
    }

    #[test]
    fn reordered_keyed_lists_and_maps_are_equal() {
        let a = node(
            "spec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n    image: y\n  tolerations: [{key: k}, {key: j}]\n",
        );
        let b = node(
            "spec:\n  tolerations: [{key: j}, {key: k}]\n  containers: [{image: y, name: b}, {name: a, image: x}]\n",
        );
        assert!(equal(&a, &b, ""));
        assert_eq!(hash(&a, ""), hash(&b, ""));
        let c = node(
            "spec:\n  tolerations: [{key: j}, {key: k}]\n  containers: [{image: z, name: b}, {name: a, image: x}]\n",
        );
        assert!(!equal(&a, &c, ""));
        assert_ne!(hash(&a, ""), hash(&c, ""));
        let args1 = node("args: [a, b]\n");
        let args2 = node("args: [b, a]\n");
        assert!(!equal(&args1, &args2, ""));
    }

    #[test]
    fn keyed_paths_use_list_keys() {
        let a = node(
            "spec:\n  containers:\n  - name: a\n    ports: [{containerPort: 80}]\n  - name: web\n    args: [x]\n",
        );
        assert_eq!(
            keyed_path(&a, "/spec/containers/1/image"),
            "/spec/containers[name=web]/image"
        );
        assert_eq!(
            keyed_path(&a, "/spec/containers/0/ports/0/name"),
            "/spec/containers[name=a]/ports[containerPort=80,protocol=TCP]/name"
        );
        assert_eq!(
            keyed_path(&a, "/spec/containers/1/args/0"),
            "/spec/containers[name=web]/args/0"
        );
        assert_eq!(
            keyed_path(&a, "/spec/containers/7/x"),
            "/spec/containers/7/x"
        );
    }
}
