//! Schemas for custom resources from the CustomResourceDefinitions among the linted files.
//!
//! Every `apiextensions.k8s.io/v1` (or `v1beta1`) CRD contributes one schema per version:
//! `spec.versions[i].schema.openAPIV3Schema` (v1beta1 may also use one
//! `spec.validation.openAPIV3Schema` for all versions), keyed by group, version and kind, with
//! the version's `served` flag. A version is validated strictly (unknown fields are findings)
//! when the API server would prune unknown fields: the schema is structural and the CRD does
//! not preserve unknown fields (v1beta1 preserves them unless `preserveUnknownFields: false`).

use crate::diagnostic::Location;
use crate::manifest::yaml::Value as YamlValue;
use crate::manifest::{Node, Object};
use serde_json::Value;
use std::collections::BTreeMap;

/// The API group of CustomResourceDefinitions.
pub const GROUP: &str = "apiextensions.k8s.io";

/// One served-or-not version of a custom resource, as its CRD defines it.
#[derive(Clone, Debug)]
pub struct CrdVersion<'a> {
    /// `metadata.name` of the CRD.
    pub crd: String,
    /// The CRD.
    object: &'a Object,
    /// JSON Pointer of the version's `openAPIV3Schema` in the CRD, if it has one.
    schema: Option<String>,
    /// Does the API server serve it?
    pub served: bool,
    /// Does the CRD ask to keep unknown fields (v1beta1 `preserveUnknownFields`)?
    preserve: bool,
    /// Where the schema is defined in the CRD (or the CRD's `kind`, without a schema).
    pub defined_at: Location,
}

impl CrdVersion<'_> {
    /// The version's schema, if it has one.
    pub fn schema(&self) -> Option<Value> {
        self.schema
            .as_deref()
            .and_then(|p| self.object.node().pointer(p))
            .map(Node::to_json)
    }

    /// Would the API server prune unknown fields of objects with this `schema`?
    pub fn prunes(&self, schema: &Value) -> bool {
        !self.preserve && is_structural(schema)
    }
}

/// Is `obj` a CustomResourceDefinition?
pub fn is_crd(obj: &Object) -> bool {
    obj.id.group() == GROUP && obj.id.kind == "CustomResourceDefinition"
}

/// The custom resources the linted CRDs define.
#[derive(Debug, Default)]
pub struct Crds<'a> {
    versions: BTreeMap<(String, String, String), CrdVersion<'a>>,
}

/// What the CRDs say about a group/version/kind.
pub enum Lookup<'c, 'a> {
    /// A version the CRD defines.
    Found(&'c CrdVersion<'a>),
    /// The CRD defines the kind, but not this version (or does not serve it).
    NotServed {
        /// The CRD's name.
        crd: &'c str,
        /// The versions it serves.
        served: Vec<&'c str>,
    },
    /// No CRD defines the kind.
    Unknown,
}

/// Does this schema node and everything below it say what type it is (or opt out with
/// int-or-string / preserve-unknown-fields)? That is what "structural" asks of each node.
pub fn is_structural(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    let flag = |k: &str| map.get(k) == Some(&Value::Bool(true));
    let typed = map
        .get("type")
        .is_some_and(|t| t.as_str().is_some_and(|t| !t.is_empty()))
        || flag("x-kubernetes-int-or-string")
        || flag("x-kubernetes-preserve-unknown-fields");
    let children = map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values());
    let below = map
        .get("items")
        .into_iter()
        .chain(map.get("additionalProperties").filter(|a| a.is_object()));
    typed && children.chain(below).all(is_structural)
}

impl<'a> Crds<'a> {
    /// Collect the CRDs among `objects` (the first definition of a group/version/kind wins).
    pub fn collect(objects: impl Iterator<Item = &'a Object>) -> Self {
        let mut crds = Crds::default();
        for obj in objects.filter(|o| is_crd(o)) {
            crds.add(obj);
        }
        crds
    }

    fn add(&mut self, obj: &'a Object) {
        let root = obj.node();
        let text = |n: &Node, p: &str| n.pointer(p).and_then(Node::as_str).map(str::to_string);
        let (Some(group), Some(kind)) = (text(root, "/spec/group"), text(root, "/spec/names/kind"))
        else {
            return;
        };
        let name = text(root, "/metadata/name").unwrap_or_default();
        let v1beta1 = obj.id.api_version == "apiextensions.k8s.io/v1beta1";
        // v1 always prunes; v1beta1 only when asked to.
        let preserve = match root
            .pointer("/spec/preserveUnknownFields")
            .map(|n| &n.value)
        {
            Some(YamlValue::Bool(b)) => *b,
            _ => v1beta1,
        };
        const SHARED: &str = "/spec/validation/openAPIV3Schema";
        let shared = root.pointer(SHARED).map(|_| SHARED.to_string());
        let mut versions: Vec<(String, bool, Option<String>)> = Vec::new();
        for (i, v) in root
            .pointer("/spec/versions")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(version) = text(v, "/name") else {
                continue;
            };
            let served = v
                .get("served")
                .is_none_or(|s| s.value == YamlValue::Bool(true));
            let own = format!("/spec/versions/{i}/schema/openAPIV3Schema");
            let schema = root.pointer(&own).map(|_| own).or_else(|| shared.clone());
            versions.push((version, served, schema));
        }
        if versions.is_empty()
            && let Some(v) = text(root, "/spec/version")
        {
            versions.push((v, true, shared));
        }
        for (version, served, schema) in versions {
            let span = schema
                .as_deref()
                .and_then(|p| root.key_span(p))
                .or_else(|| root.get("kind").map(|k| k.span))
                .unwrap_or(root.span);
            let entry = CrdVersion {
                crd: name.clone(),
                object: obj,
                schema,
                served,
                preserve,
                defined_at: Location::new(&obj.source, span),
            };
            self.versions
                .entry((group.clone(), version, kind.clone()))
                .or_insert(entry);
        }
    }

    /// Look up a custom resource's group, version and kind.
    pub fn lookup(&self, group: &str, version: &str, kind: &str) -> Lookup<'_, 'a> {
        let key = (group.to_string(), version.to_string(), kind.to_string());
        if let Some(v) = self.versions.get(&key).filter(|v| v.served) {
            return Lookup::Found(v);
        }
        let same_kind: Vec<(&String, &CrdVersion)> = self
            .versions
            .iter()
            .filter(|((g, _, k), _)| g == group && k == kind)
            .map(|((_, v, _), c)| (v, c))
            .collect();
        match same_kind.first() {
            None => Lookup::Unknown,
            Some((_, first)) => Lookup::NotServed {
                crd: &first.crd,
                served: same_kind
                    .iter()
                    .filter(|(_, c)| c.served)
                    .map(|(v, _)| v.as_str())
                    .collect(),
            },
        }
    }
}

/// Fill in the `default`s of `schema` that `instance` leaves out, as the API server does for
/// custom resources before it validates them (a required field with a default may be omitted;
/// a `oneOf` may depend on a defaulted field).
pub fn apply_defaults(instance: &mut Value, schema: &Value) {
    match instance {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (name, prop) in props.into_iter().flatten() {
                match map.get_mut(name) {
                    Some(child) => apply_defaults(child, prop),
                    None => {
                        if let Some(default) = prop.get("default") {
                            let mut value = default.clone();
                            apply_defaults(&mut value, prop);
                            map.insert(name.clone(), value);
                        }
                    }
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                for (name, child) in map.iter_mut() {
                    if !props.is_some_and(|p| p.contains_key(name)) {
                        apply_defaults(child, extra);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items").filter(|i| i.is_object()) {
                items.iter_mut().for_each(|i| apply_defaults(i, item));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::read;
    use serde_json::json;

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec: {type: object, properties: {size: {type: integer}}}\n  - name: v1alpha1\n    served: false\n    storage: false\n    schema:\n      openAPIV3Schema: {type: object}\n";

    #[test]
    fn versions_are_keyed_by_group_version_and_kind() {
        let f = read("crd.yaml", CRD);
        let crds = Crds::collect(f.objects.iter());
        let Lookup::Found(v) = crds.lookup("example.com", "v1", "Widget") else {
            panic!("v1 is served")
        };
        let schema = v.schema().unwrap();
        assert!(v.prunes(&schema) && v.served && v.crd == "widgets.example.com");
        assert_eq!(v.defined_at.start.line, 13);
        let Lookup::NotServed { crd, served } = crds.lookup("example.com", "v1alpha1", "Widget")
        else {
            panic!("v1alpha1 is not served")
        };
        assert_eq!((crd, served), ("widgets.example.com", vec!["v1"]));
        assert!(matches!(
            crds.lookup("example.com", "v1", "Gadget"),
            Lookup::Unknown
        ));
    }

    #[test]
    fn v1beta1_preserves_unknown_fields_unless_told_otherwise() {
        let beta = "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: a.b.c}\nspec:\n  group: b.c\n  version: v1\n  names: {kind: A}\n  validation:\n    openAPIV3Schema: {type: object, properties: {spec: {type: object}}}\n";
        let f = read("b.yaml", beta);
        let crds = Crds::collect(f.objects.iter());
        let Lookup::Found(v) = crds.lookup("b.c", "v1", "A") else {
            panic!("found")
        };
        assert!(!v.prunes(&v.schema().unwrap()));
        let pruning = beta.replace(
            "  group: b.c\n",
            "  group: b.c\n  preserveUnknownFields: false\n",
        );
        let f = read("b.yaml", &pruning);
        let crds = Crds::collect(f.objects.iter());
        assert!(
            matches!(crds.lookup("b.c", "v1", "A"), Lookup::Found(v) if v.prunes(&v.schema().unwrap()))
        );
    }

    #[test]
    fn defaults_fill_what_the_object_leaves_out() {
        let schema = json!({"properties": {"spec": {"properties": {"addresses": {"items": {"properties": {"type": {"default": "IPAddress"}}}},
            "mode": {"default": {"kind": "auto"}, "properties": {"kind": {}, "level": {"default": 1}}}, "labels": {"additionalProperties": {"properties": {"v": {"default": "x"}}}}}}}});
        let mut obj = json!({"spec": {"addresses": [{"value": "a"}, {"type": "Hostname"}], "labels": {"a": {}}}});
        apply_defaults(&mut obj, &schema);
        assert_eq!(
            obj,
            json!({"spec": {"addresses": [{"value": "a", "type": "IPAddress"}, {"type": "Hostname"}], "labels": {"a": {"v": "x"}}, "mode": {"kind": "auto", "level": 1}}})
        );
    }

    #[test]
    fn structural_schemas_type_every_node() {
        assert!(is_structural(
            &json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"x-kubernetes-int-or-string": true}, "c": {"type": "array", "items": {"type": "integer"}}}})
        ));
        assert!(!is_structural(
            &json!({"type": "object", "properties": {"a": {"description": "untyped"}}})
        ));
        assert!(!is_structural(&json!({"type": "array", "items": {}})));
    }
}
