//! Validator errors in plain words: which rule, what is wrong with which field, and where to
//! point — never a raw validator dump.
//!
//! Each [`jsonschema::ValidationError`] becomes one or more [`Finding`]s: an unknown field is a
//! finding at its key (with a "did you mean" from the schema's field names), a missing required
//! field points at its parent with the path naming the field, a wrong value points at the value
//! and quotes it.

use super::normalize::QUANTITY_PATTERN;
use crate::manifest::yaml::{Node, Style, Value as YamlValue, pointer_tokens, push_pointer};
use crate::source::SourceFile;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

/// Where a finding points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// At the value of the node.
    Value,
    /// At the key that holds the node.
    Key,
}

/// One problem found by the validator, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Rule id.
    pub rule: &'static str,
    /// The message.
    pub message: String,
    /// JSON Pointer (from the object root) of the node it is about; a missing field's pointer
    /// names the field.
    pub pointer: String,
    /// Where to point.
    pub anchor: Anchor,
}

/// Follow local `$ref`s (`#/$defs/<name>`) of `doc` from `schema`.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..64 {
        let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        else {
            break;
        };
        match doc.get("$defs").and_then(|d| d.get(name)) {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

/// The schema that describes the instance at `pointer`, following `properties`,
/// `additionalProperties` and `items`.
pub fn schema_at<'a>(doc: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut schema = resolve(doc, doc);
    for token in pointer_tokens(pointer) {
        let next = schema
            .get("properties")
            .and_then(|p| p.get(&token))
            .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
            .or_else(|| schema.get("items").filter(|i| i.is_object()))?;
        schema = resolve(doc, next);
    }
    Some(schema)
}

/// `replicas`, `containers[0]`, or "the object" for the root.
fn field_name(pointer: &str) -> String {
    let tokens = pointer_tokens(pointer);
    match tokens.as_slice() {
        [] => "the object".into(),
        [.., parent, last] if last.parse::<usize>().is_ok() => format!("`{parent}[{last}]`"),
        [.., last] => format!("`{last}`"),
    }
}

/// " in `spec`" for a pointer below the root; empty at the root.
fn in_parent(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" in {}", field_name(pointer))
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// A value as quoted in a message: `"two"`, `3`, `true`, `null`, "a list", "a mapping".
fn quote(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", truncate(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
        other => other.to_string(),
    }
}

/// A value with its type: `string "two"`, `boolean true`, `number 1.5`, "a list".
fn typed(v: &Value) -> String {
    match v {
        Value::String(_) => format!("string {}", quote(v)),
        Value::Bool(_) => format!("boolean {v}"),
        Value::Number(_) => format!("number {v}"),
        _ => quote(v),
    }
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "a list",
        JsonType::Object => "a mapping",
    }
}

fn expected_types(kind: &TypeKind) -> String {
    let mut types: Vec<JsonType> = match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    };
    if types.len() > 1 {
        types.retain(|t| *t != JsonType::Null);
    }
    if types.contains(&JsonType::Number) {
        types.retain(|t| *t != JsonType::Integer);
    }
    let names: Vec<&str> = types.into_iter().map(type_name).collect();
    match names.as_slice() {
        [] => "something else".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn expects_string(kind: &TypeKind) -> bool {
    match kind {
        TypeKind::Single(t) => *t == JsonType::String,
        TypeKind::Multiple(set) => set.contains(JsonType::String),
    }
}

/// A hint when YAML typed an unquoted scalar that should have been a string.
fn quoting_hint(node: Option<&Node>, source: &SourceFile) -> String {
    let Some(node) = node else {
        return String::new();
    };
    let text = source.slice(node.span);
    if node.style != Style::Plain {
        return String::new();
    }
    let what = match node.value {
        YamlValue::Bool(_) => "a boolean",
        YamlValue::Int(_) | YamlValue::Float(_) => "a number",
        YamlValue::Null => "null",
        _ => return String::new(),
    };
    format!(" (unquoted `{text}` is {what} in YAML; write \"{text}\" to keep it a string)")
}

fn format_words(format: &str) -> String {
    match format {
        "byte" => "base64-encoded".into(),
        "date-time" => "a date and time such as 2024-01-31T12:00:00Z".into(),
        "date" => "a date such as 2024-01-31".into(),
        "duration" => "a duration such as 30s, 5m or 1h30m".into(),
        "ipv4" => "an IPv4 address".into(),
        "ipv6" => "an IPv6 address".into(),
        "cidr" => "a CIDR range such as 10.0.0.0/16".into(),
        "uuid" => "a UUID".into(),
        other => format!("in `{other}` format"),
    }
}

fn list_values(options: &Value) -> (String, Vec<String>) {
    let values: Vec<String> = options
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let shown: Vec<String> = values.iter().take(8).map(|v| format!("`{v}`")).collect();
    let text = if values.len() > shown.len() {
        format!("{}, … ({} values)", shown.join(", "), values.len())
    } else {
        shown.join(", ")
    };
    (text, values)
}

/// Is `limit` the bound of a 32- or 64-bit integer (from `format: int32` / `int64`)?
fn integer_width(limit: &Value) -> Option<u8> {
    let l = limit.as_f64()?;
    [
        (32, f64::from(i32::MIN), f64::from(i32::MAX)),
        (64, i64::MIN as f64, i64::MAX as f64),
    ]
    .into_iter()
    .find(|(_, lo, hi)| l == *lo || l == *hi)
    .map(|(w, _, _)| w)
}

fn constraint(pointer: String, message: String) -> Finding {
    Finding {
        rule: "schema-constraint",
        message,
        pointer,
        anchor: Anchor::Value,
    }
}

/// Describe one validator error. `doc` is the compiled document (for field names), `root` the
/// object's YAML in `source` (for quoting hints), and `prefix` the pointer of the node that was
/// validated (empty for the object itself; a part validated apart is below it).
pub fn describe(
    err: &ValidationError<'_>,
    doc: &Value,
    root: &Node,
    source: &SourceFile,
    prefix: &str,
) -> Vec<Finding> {
    let within = err.instance_path().as_str();
    let at = format!("{prefix}{within}");
    let value = err.instance();
    let field = field_name(&at);
    let node = root.pointer(&at);
    let value_finding = |rule, message| {
        vec![Finding {
            rule,
            message,
            pointer: at.clone(),
            anchor: Anchor::Value,
        }]
    };
    match err.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let known: Vec<&str> = schema_at(doc, within)
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|name| {
                    let hint = crate::manifest::de::closest(name, &known)
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    Finding {
                        rule: "schema-unknown-field",
                        message: format!("unknown field `{name}`{}{hint}", in_parent(&at)),
                        pointer: push_pointer(&at, name),
                        anchor: Anchor::Key,
                    }
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            vec![Finding {
                rule: "schema-required",
                message: format!("missing required field `{name}`{}", in_parent(&at)),
                pointer: push_pointer(&at, &name),
                anchor: Anchor::Value,
            }]
        }
        ValidationErrorKind::Type { kind } => {
            let hint = if expects_string(kind) {
                quoting_hint(node, source)
            } else {
                String::new()
            };
            value_finding(
                "schema-invalid-type",
                format!(
                    "{field} must be {}, got {}{hint}",
                    expected_types(kind),
                    typed(value)
                ),
            )
        }
        ValidationErrorKind::Enum { options } => {
            let (text, values) = list_values(options);
            let got = quote(value);
            let lower = value.as_str().map(str::to_lowercase);
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let suggestion = values
                .iter()
                .find(|v| Some(v.to_lowercase()) == lower)
                .map(String::as_str)
                .or_else(|| {
                    value
                        .as_str()
                        .and_then(|s| crate::manifest::de::closest(s, &refs))
                })
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            value_finding(
                "schema-enum",
                format!("{field} must be one of {text}, got {got}{suggestion}"),
            )
        }
        ValidationErrorKind::Constant { expected_value } => value_finding(
            "schema-enum",
            format!(
                "{field} must be {}, got {}",
                quote(expected_value),
                quote(value)
            ),
        ),
        ValidationErrorKind::Format { format } => value_finding(
            "schema-format",
            format!(
                "{field} must be {}, got {}",
                format_words(format),
                quote(value)
            ),
        ),
        ValidationErrorKind::Pattern { pattern } if pattern == QUANTITY_PATTERN => value_finding(
            "schema-format",
            format!(
                "{field} must be a quantity such as 500m, 2, 1.5 or 128Mi, got {}",
                quote(value)
            ),
        ),
        ValidationErrorKind::Pattern { pattern } => {
            vec![constraint(
                at.clone(),
                format!(
                    "{field} must match the regular expression `{pattern}`, got {}",
                    quote(value)
                ),
            )]
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
            let bound = if matches!(err.kind(), ValidationErrorKind::Minimum { .. }) {
                "at least"
            } else {
                "at most"
            };
            match integer_width(limit) {
                Some(w) => value_finding(
                    "schema-format",
                    format!("{field} must fit in a {w}-bit integer ({bound} {limit}), got {value}"),
                ),
                None => vec![constraint(
                    at.clone(),
                    format!("{field} must be {bound} {limit}, got {value}"),
                )],
            }
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => vec![constraint(
            at.clone(),
            format!("{field} must be greater than {limit}, got {value}"),
        )],
        ValidationErrorKind::ExclusiveMaximum { limit } => vec![constraint(
            at.clone(),
            format!("{field} must be less than {limit}, got {value}"),
        )],
        ValidationErrorKind::MinLength { limit } => vec![constraint(
            at.clone(),
            format!(
                "{field} must be at least {limit} character(s) long, got {}",
                quote(value)
            ),
        )],
        ValidationErrorKind::MaxLength { limit } => vec![constraint(
            at.clone(),
            format!(
                "{field} must be at most {limit} character(s) long, got {}",
                quote(value)
            ),
        )],
        ValidationErrorKind::MinItems { limit } => vec![constraint(
            at.clone(),
            format!("{field} must have at least {limit} item(s)"),
        )],
        ValidationErrorKind::MaxItems { limit } => vec![constraint(
            at.clone(),
            format!("{field} must have at most {limit} item(s)"),
        )],
        ValidationErrorKind::MinProperties { limit } => vec![constraint(
            at.clone(),
            format!("{field} must have at least {limit} entr(ies)"),
        )],
        ValidationErrorKind::MaxProperties { limit } => vec![constraint(
            at.clone(),
            format!("{field} must have at most {limit} entr(ies)"),
        )],
        ValidationErrorKind::UniqueItems => vec![constraint(
            at.clone(),
            format!("{field} must not contain the same item twice"),
        )],
        ValidationErrorKind::MultipleOf { multiple_of } => vec![constraint(
            at.clone(),
            format!("{field} must be a multiple of {multiple_of}, got {value}"),
        )],
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            vec![constraint(
                at.clone(),
                format!(
                    "{field} does not match any of the allowed forms, got {}",
                    quote(value)
                ),
            )]
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            vec![constraint(
                at.clone(),
                format!(
                    "{field} matches more than one of the allowed forms, and exactly one must match"
                ),
            )]
        }
        ValidationErrorKind::FalseSchema | ValidationErrorKind::Not { .. } => vec![constraint(
            at.clone(),
            format!("{field} is not allowed here"),
        )],
        _ => vec![constraint(at.clone(), format!("{field} is invalid: {err}"))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn findings(schema: Value, yaml: &str) -> Vec<Finding> {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let src = SourceFile::new("t.yaml", yaml);
        let root = crate::manifest::yaml::parse(&src).documents.remove(0).root;
        let instance = root.to_json();
        validator
            .iter_errors(&instance)
            .flat_map(|e| describe(&e, &schema, &root, &src, ""))
            .collect()
    }

    #[test]
    fn wrong_types_are_named_and_quoted() {
        let f = findings(
            json!({"properties": {"replicas": {"type": ["integer", "null"]}}}),
            "replicas: two\n",
        );
        assert_eq!(
            f[0].message,
            "`replicas` must be an integer, got string \"two\""
        );
        assert_eq!(
            (f[0].rule, f[0].pointer.as_str(), f[0].anchor),
            ("schema-invalid-type", "/replicas", Anchor::Value)
        );
    }

    #[test]
    fn yaml_booleans_where_strings_belong_get_a_quoting_hint() {
        let f = findings(
            json!({"properties": {"value": {"type": "string"}}}),
            "value: yes\n",
        );
        assert_eq!(
            f[0].message,
            "`value` must be a string, got boolean true (unquoted `yes` is a boolean in YAML; write \"yes\" to keep it a string)"
        );
    }

    #[test]
    fn unknown_fields_suggest_the_closest_known_one() {
        let schema = json!({"$defs": {"Spec": {"properties": {"replicas": {}}, "additionalProperties": false}}, "properties": {"spec": {"$ref": "#/$defs/Spec"}}});
        let f = findings(schema, "spec:\n  replica: 3\n");
        assert_eq!(
            f[0].message,
            "unknown field `replica` in `spec` (did you mean `replicas`?)"
        );
        assert_eq!(
            (f[0].pointer.as_str(), f[0].anchor),
            ("/spec/replica", Anchor::Key)
        );
    }

    #[test]
    fn required_fields_point_at_the_parent_and_name_the_field() {
        let f = findings(
            json!({"properties": {"containers": {"items": {"required": ["name"]}}}}),
            "containers:\n- image: x\n",
        );
        assert_eq!(
            f[0].message,
            "missing required field `name` in `containers[0]`"
        );
        assert_eq!(f[0].pointer, "/containers/0/name");
    }

    #[test]
    fn enums_formats_and_integer_widths() {
        let f = findings(
            json!({"properties": {"protocol": {"enum": ["TCP", "UDP", "SCTP"]}}}),
            "protocol: tcp\n",
        );
        assert_eq!(
            f[0].message,
            "`protocol` must be one of `TCP`, `UDP`, `SCTP`, got \"tcp\" (did you mean `TCP`?)"
        );
        let f = findings(
            json!({"properties": {"port": {"maximum": 2147483647}}}),
            "port: 99999999999\n",
        );
        assert_eq!(
            (f[0].rule, f[0].message.as_str()),
            (
                "schema-format",
                "`port` must fit in a 32-bit integer (at most 2147483647), got 99999999999"
            )
        );
        let f = findings(
            json!({"properties": {"cpu": {"type": "string", "pattern": QUANTITY_PATTERN}}}),
            "cpu: lots\n",
        );
        assert_eq!(
            f[0].message,
            "`cpu` must be a quantity such as 500m, 2, 1.5 or 128Mi, got \"lots\""
        );
        let f = findings(
            json!({"properties": {"t": {"type": "string", "format": "date-time"}}}),
            "t: yesterday\n",
        );
        assert_eq!(
            f[0].message,
            "`t` must be a date and time such as 2024-01-31T12:00:00Z, got \"yesterday\""
        );
    }

    #[test]
    fn schema_lookup_follows_refs_items_and_maps() {
        let doc = json!({"$ref": "#/$defs/A", "$defs": {"A": {"properties": {"xs": {"items": {"$ref": "#/$defs/B"}}}}, "B": {"additionalProperties": {"type": "string"}}}});
        assert_eq!(
            schema_at(&doc, "/xs/0/any"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(field_name(""), "the object");
        assert_eq!(field_name("/spec/containers/0"), "`containers[0]`");
    }
}
