//! The schema quirks, normalised before compiling, identically for built-in, CRD and
//! `--schemas` schemas.
//!
//! The published Kubernetes schemas are OpenAPI converted to JSON Schema, and several of their
//! conventions mean something else to a JSON Schema validator (or nothing at all):
//! - IntOrString and Quantity are a `oneOf` of two nullable types, so an explicit `null` matches
//!   both branches and fails; controller-gen writes `anyOf` of bare types. Both become one union
//!   `type` ([`type_alternatives`]).
//! - `x-kubernetes-int-or-string` and `format: int-or-string` mean integer or string.
//! - OpenAPI `nullable: true` is unknown to JSON Schema: it becomes a `"null"` type.
//! - `format: int32` / `int64` apply to numbers, which JSON Schema formats never check: they
//!   become `minimum`/`maximum`.
//! - Only the formats accord checks like the API server does are kept ([`CHECKED_FORMATS`]).
//! - Draft-4 boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric form.
//! - A `pattern` the regex engine cannot compile (Go RE2 has a few constructs of its own) is
//!   dropped and reported rather than losing the whole schema.
//! - Strict mode: an object with `properties` rejects other fields, unless it says
//!   `x-kubernetes-preserve-unknown-fields` or is a branch of `allOf`/`anyOf`/`oneOf`/`not`
//!   (branches validate values, they do not declare fields); an `x-kubernetes-embedded-resource` always allows
//!   `apiVersion`, `kind` and `metadata`. Without strict mode (or under preserve-unknown-fields)
//!   an `additionalProperties: false` next to `properties` is removed: a structural CRD schema
//!   cannot hold both, so converters added it.
//!
//! `description`s are dropped (no message reads them); other annotations
//! (`x-kubernetes-list-map-keys`, …) are kept. The keys of a `properties` map are field names,
//! never keywords: a field called `$ref` or `description` stays a field.

use crate::manifest::yaml::escape_token;
use serde_json::{Map, Value, json};

/// Definition name of `resource.Quantity` in the built-in schemas.
pub const QUANTITY_DEF: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// The syntax of a Kubernetes quantity, as controller-gen emits it for CRDs.
pub const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// The string formats accord checks. Other formats are dropped: the validator's idea of them
/// (`uri`, `email`, `hostname`, …) differs from the API server's, and a disagreement would be a
/// false finding.
pub const CHECKED_FORMATS: &[&str] = &[
    "byte",
    "cidr",
    "date",
    "date-time",
    "duration",
    "ipv4",
    "ipv6",
    "uuid",
];

/// A part of a schema that was dropped because it could not be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// JSON Pointer of the dropped keyword inside the schema.
    pub pointer: String,
    /// What was dropped and why.
    pub message: String,
}

/// Normalise `schema` in place. `pattern_ok` says whether the validator can compile a regular
/// expression; patterns it rejects are removed and listed in the result.
pub fn normalize(
    schema: &mut Value,
    strict: bool,
    pattern_ok: &dyn Fn(&str) -> bool,
) -> Vec<Dropped> {
    let mut dropped = Vec::new();
    visit(schema, "", strict, pattern_ok, &mut dropped);
    dropped
}

/// The quirks of one built-in definition that only its name reveals, applied before
/// [`normalize`]: a Quantity is a string or a number, and the string has a syntax.
pub fn builtin_def(name: &str, schema: &mut Value) {
    if name == QUANTITY_DEF
        && let Value::Object(map) = schema
    {
        map.remove("oneOf");
        map.insert("type".into(), json!(["string", "number", "null"]));
        map.insert("pattern".into(), json!(QUANTITY_PATTERN));
    }
}

fn visit(
    node: &mut Value,
    at: &str,
    strict: bool,
    pattern_ok: &dyn Fn(&str) -> bool,
    dropped: &mut Vec<Dropped>,
) {
    let Value::Object(map) = node else { return };
    // No message reads a description, and descriptions are most of a CRD's schema: kept, they
    // were copied into the validator's registry and into the document messages look fields up
    // in (peak memory of the synthetic 10k corpus: 173 → 158 MB).
    map.remove("description");
    type_alternatives(map);
    int_or_string(map);
    nullable(map);
    integer_bounds(map);
    formats(map);
    exclusive_bounds(map);
    if let Some(Value::String(p)) = map.get("pattern")
        && !pattern_ok(p)
    {
        dropped.push(Dropped {
            pointer: format!("{at}/pattern"),
            message: format!(
                "the regular expression `{p}` is not supported, so it was not checked"
            ),
        });
        map.remove("pattern");
    }
    unknown_fields(map, strict);
    for (key, child) in map.iter_mut() {
        let here = format!("{at}/{}", escape_token(key));
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
                if let Value::Object(children) = child {
                    for (name, schema) in children.iter_mut() {
                        visit(
                            schema,
                            &format!("{here}/{}", escape_token(name)),
                            strict,
                            pattern_ok,
                            dropped,
                        );
                    }
                }
            }
            // Branches of a junctor only validate values; the fields an object may have are the
            // ones its own `properties` name (structural schemas), so they are never strict.
            "allOf" | "anyOf" | "oneOf" | "not" => match child {
                Value::Array(items) => {
                    for (i, schema) in items.iter_mut().enumerate() {
                        visit(schema, &format!("{here}/{i}"), false, pattern_ok, dropped);
                    }
                }
                _ => visit(child, &here, false, pattern_ok, dropped),
            },
            "prefixItems" | "items" => match child {
                Value::Array(items) => {
                    for (i, schema) in items.iter_mut().enumerate() {
                        visit(schema, &format!("{here}/{i}"), strict, pattern_ok, dropped);
                    }
                }
                _ => visit(child, &here, strict, pattern_ok, dropped),
            },
            "additionalProperties"
            | "additionalItems"
            | "contains"
            | "if"
            | "then"
            | "else"
            | "propertyNames"
            | "unevaluatedItems"
            | "unevaluatedProperties" => visit(child, &here, strict, pattern_ok, dropped),
            _ => {}
        }
    }
}

fn is_true(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key) == Some(&Value::Bool(true))
}

/// Append `t` to the `type` of `map` (a string or a list) unless it is there.
fn add_type(map: &mut Map<String, Value>, t: &str) {
    match map.get_mut("type") {
        Some(Value::String(s)) if s != t => {
            let first = std::mem::take(s);
            map.insert("type".into(), json!([first, t]));
        }
        Some(Value::Array(types)) if !types.iter().any(|x| x == t) => types.push(json!(t)),
        _ => {}
    }
}

/// `oneOf`/`anyOf` whose branches only name types (IntOrString, Quantity, controller-gen's
/// int-or-string) → one union `type`.
fn type_alternatives(map: &mut Map<String, Value>) {
    if map.contains_key("type") {
        return;
    }
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = map.get(key) else {
            continue;
        };
        let mut union: Vec<Value> = Vec::new();
        let bare = branches.iter().all(|b| {
            let Some(obj) = b.as_object() else {
                return false;
            };
            let types = match obj.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => return false,
            };
            for t in types {
                if !union.iter().any(|u| u == t) {
                    union.push(json!(t));
                }
            }
            obj.keys().all(|k| k == "type" || k == "description")
        });
        if bare && !branches.is_empty() {
            map.remove(key);
            map.insert("type".into(), Value::Array(union));
            return;
        }
    }
}

/// `x-kubernetes-int-or-string: true` and `format: int-or-string` → integer or string.
fn int_or_string(map: &mut Map<String, Value>) {
    let by_format = map.get("format").and_then(Value::as_str) == Some("int-or-string");
    if !(is_true(map, "x-kubernetes-int-or-string") || by_format) {
        return;
    }
    if by_format {
        map.remove("format");
    }
    let nullable = match map.get("type") {
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    let mut union = vec![json!("integer"), json!("string")];
    if nullable {
        union.push(json!("null"));
    }
    map.insert("type".into(), Value::Array(union));
}

/// OpenAPI `nullable: true` → `null` is allowed.
fn nullable(map: &mut Map<String, Value>) {
    let Some(flag) = map.remove("nullable") else {
        return;
    };
    if flag != Value::Bool(true) {
        return;
    }
    add_type(map, "null");
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    if !map.contains_key("type") {
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = map.get_mut(key) {
                branches.push(json!({"type": "null"}));
            }
        }
    }
}

/// `format: int32` / `int64` → `minimum`/`maximum` (formats only ever check strings).
fn integer_bounds(map: &mut Map<String, Value>) {
    let (lo, hi) = match map.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => (i64::MIN, i64::MAX),
        _ => return,
    };
    map.remove("format");
    let min = match map.get("minimum") {
        Some(current) if current.as_f64().is_some_and(|c| c > lo as f64) => current.clone(),
        _ => json!(lo),
    };
    let max = match map.get("maximum") {
        Some(current) if current.as_f64().is_some_and(|c| c < hi as f64) => current.clone(),
        _ => json!(hi),
    };
    map.insert("minimum".into(), min);
    map.insert("maximum".into(), max);
}

/// Keep only the formats accord checks.
fn formats(map: &mut Map<String, Value>) {
    if map
        .get("format")
        .is_some_and(|f| !f.as_str().is_some_and(|f| CHECKED_FORMATS.contains(&f)))
    {
        map.remove("format");
    }
}

/// Draft-4 `exclusiveMinimum: true` + `minimum: n` → `exclusiveMinimum: n` (same for maximum).
fn exclusive_bounds(map: &mut Map<String, Value>) {
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(on)) = map.get(exclusive) {
            let on = *on;
            map.remove(exclusive);
            if on && let Some(limit) = map.remove(bound) {
                map.insert(exclusive.into(), limit);
            }
        }
    }
}

/// Strict mode and its exceptions.
fn unknown_fields(map: &mut Map<String, Value>, strict: bool) {
    let preserve = is_true(map, "x-kubernetes-preserve-unknown-fields");
    if is_true(map, "x-kubernetes-embedded-resource")
        && let Some(Value::Object(props)) = map.get_mut("properties")
    {
        for (field, t) in [
            ("apiVersion", "string"),
            ("kind", "string"),
            ("metadata", "object"),
        ] {
            props.entry(field).or_insert_with(|| json!({"type": t}));
        }
    }
    if !map.contains_key("properties") {
        return;
    }
    match map.get("additionalProperties") {
        None if strict && !preserve => {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
        Some(Value::Bool(false)) if !strict || preserve => {
            map.remove("additionalProperties");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(mut v: Value, strict: bool) -> Value {
        let dropped = normalize(&mut v, strict, &|_| true);
        assert!(dropped.is_empty());
        v
    }

    #[test]
    fn descriptions_are_dropped_and_fields_called_description_kept() {
        let v = norm(
            json!({
                "description": "a widget",
                "type": "object",
                "properties": {
                    "description": {"type": "string", "description": "what it is"},
                    "parts": {"type": "array", "items": {"description": "a part", "type": "string"}},
                },
            }),
            false,
        );
        assert_eq!(
            v,
            json!({
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "parts": {"type": "array", "items": {"type": "string"}},
                },
            })
        );
    }

    #[test]
    fn nullable_int_or_string_one_of_becomes_a_union_type() {
        let v = norm(
            json!({"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}),
            false,
        );
        assert_eq!(v, json!({"type": ["string", "null", "integer"]}));
    }

    #[test]
    fn quantity_is_string_or_number_with_a_syntax() {
        let mut v = json!({"oneOf": [{"type": ["string", "null"]}, {"type": ["number", "null"]}]});
        builtin_def(QUANTITY_DEF, &mut v);
        let v = norm(v, true);
        assert_eq!(v["type"], json!(["string", "number", "null"]));
        assert_eq!(v["pattern"], json!(QUANTITY_PATTERN));
        assert!(v.get("oneOf").is_none());
        let re = regex::Regex::new(QUANTITY_PATTERN).unwrap();
        for ok in ["500m", "1", "2Gi", "1.5", "1e3", "+.5", "100Ki"] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in ["lots", "1 Gi", "2GB", ""] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn x_kubernetes_int_or_string_allows_both_and_keeps_controller_gen_patterns() {
        let v = norm(
            json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}], "pattern": "^[0-9]+%?$"}),
            true,
        );
        assert_eq!(v["type"], json!(["integer", "string"]));
        assert!(v.get("anyOf").is_none());
        assert_eq!(v["pattern"], json!("^[0-9]+%?$"));
        let v = norm(
            json!({"format": "int-or-string", "type": "string", "nullable": true}),
            true,
        );
        assert_eq!(v, json!({"type": ["integer", "string", "null"]}));
    }

    #[test]
    fn nullable_adds_null_to_type_and_enum() {
        let v = norm(
            json!({"type": "string", "enum": ["a", "b"], "nullable": true}),
            false,
        );
        assert_eq!(
            v,
            json!({"type": ["string", "null"], "enum": ["a", "b", null]})
        );
        let v = norm(json!({"type": "object", "nullable": false}), false);
        assert_eq!(v, json!({"type": "object"}));
        let v = norm(
            json!({"anyOf": [{"type": "object", "properties": {}}], "nullable": true}),
            false,
        );
        assert_eq!(v["anyOf"][1], json!({"type": "null"}));
    }

    #[test]
    fn int32_and_int64_become_bounds() {
        let v = norm(
            json!({"type": ["integer", "null"], "format": "int32"}),
            false,
        );
        assert_eq!(
            v,
            json!({"type": ["integer", "null"], "minimum": -2147483648i64, "maximum": 2147483647})
        );
        let v = norm(
            json!({"type": "integer", "format": "int64", "minimum": 1}),
            false,
        );
        assert_eq!(v["minimum"], json!(1));
        assert_eq!(v["maximum"], json!(i64::MAX));
    }

    #[test]
    fn only_checked_formats_are_kept() {
        let v = norm(
            json!({"properties": {"a": {"type": "string", "format": "byte"}, "b": {"type": "string", "format": "uri"}, "c": {"type": "number", "format": "double"}}}),
            false,
        );
        assert_eq!(v["properties"]["a"]["format"], json!("byte"));
        assert!(v["properties"]["b"].get("format").is_none());
        assert!(v["properties"]["c"].get("format").is_none());
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        let v = norm(
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5, "exclusiveMaximum": false}),
            false,
        );
        assert_eq!(
            v,
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 5})
        );
    }

    #[test]
    fn unsupported_patterns_are_dropped_and_reported() {
        let mut v = json!({"properties": {"name": {"type": "string", "pattern": "[[:bogus:]]"}, "ok": {"type": "string", "pattern": "^a$"}}});
        let dropped = normalize(&mut v, false, &|p| p != "[[:bogus:]]");
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].pointer, "/properties/name/pattern");
        assert!(v["properties"]["name"].get("pattern").is_none());
        assert_eq!(v["properties"]["ok"]["pattern"], json!("^a$"));
    }

    #[test]
    fn strict_mode_closes_objects_with_properties() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}}, "free": {"type": "object"}}});
        let strict = norm(schema.clone(), true);
        assert_eq!(strict["additionalProperties"], json!(false));
        assert_eq!(
            strict["properties"]["spec"]["additionalProperties"],
            json!(false)
        );
        assert!(
            strict["properties"]["free"]
                .get("additionalProperties")
                .is_none()
        );
        let lax = norm(schema, false);
        assert!(lax.get("additionalProperties").is_none());
    }

    #[test]
    fn junctor_branches_are_never_strict() {
        let v = norm(
            json!({"type": "object", "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
            "oneOf": [{"properties": {"type": {"enum": ["IPAddress"]}}}, {"properties": {"type": {"not": {"enum": ["IPAddress"]}}}, "additionalProperties": false}]}),
            true,
        );
        assert_eq!(v["additionalProperties"], json!(false));
        assert!(
            v["oneOf"][0].get("additionalProperties").is_none()
                && v["oneOf"][1].get("additionalProperties").is_none()
        );
    }

    #[test]
    fn converter_added_additional_properties_is_removed_when_not_strict() {
        let v = norm(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}),
            false,
        );
        assert!(v.get("additionalProperties").is_none());
        let v = norm(
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            false,
        );
        assert_eq!(v["additionalProperties"], json!({"type": "string"}));
    }

    #[test]
    fn preserve_unknown_fields_is_never_strict() {
        let v = norm(
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"a": {"type": "string"}}, "additionalProperties": false}),
            true,
        );
        assert!(v.get("additionalProperties").is_none());
    }

    #[test]
    fn embedded_resources_allow_type_and_object_metadata() {
        let v = norm(
            json!({"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}}),
            true,
        );
        let props = v["properties"].as_object().unwrap();
        assert!(
            props.contains_key("apiVersion")
                && props.contains_key("kind")
                && props.contains_key("metadata")
        );
        assert_eq!(v["additionalProperties"], json!(false));
    }

    #[test]
    fn field_names_are_not_keywords() {
        // JSONSchemaProps has fields called `$ref`, `nullable` and `format`.
        let v = norm(
            json!({"type": "object", "properties": {"$ref": {"type": "string"}, "nullable": {"type": "boolean"}, "format": {"type": "string"}}}),
            false,
        );
        let props = v["properties"].as_object().unwrap();
        assert_eq!(props.len(), 3);
        assert_eq!(props["nullable"], json!({"type": "boolean"}));
    }
}
