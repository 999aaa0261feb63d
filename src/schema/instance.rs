//! The YAML tree as a JSON instance for the validator, without converting it.
//!
//! `jsonschema` validates any representation that implements its `Json` trait; this module
//! implements it for [`crate::manifest::yaml::Node`], so an object is validated where it lies
//! instead of being copied into a `serde_json::Value` first (which cost as much as the
//! validation itself, in allocations and frees). The answers are exactly those of the converted
//! value ([`Node::to_json`]): integers and finite floats are the same `serde_json::Number`s,
//! non-finite floats are `null`, and members are visited in `serde_json::Map`'s order (sorted
//! by name), so errors come out in the same order with the same messages.

use crate::manifest::yaml::{Node, Style, Value};
use crate::source::Span;
use jsonschema::JsonType;
use jsonschema::json::{self, Json, NodeIdentity};
use std::borrow::Cow;

/// The YAML tree as a `jsonschema` JSON representation.
pub struct Yaml;

/// One node of the tree, as the validator sees it.
#[derive(Clone, Copy, Debug)]
pub struct YNode<'a>(pub &'a Node);

impl Json for Yaml {
    type Node<'a> = YNode<'a>;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    // Aliases are expanded into copies: no node is its own descendant.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Option<Node>,
        string: &str,
        f: impl FnOnce(YNode<'_>) -> T,
    ) -> T {
        let node = buffer.insert(Node {
            span: Span::default(),
            style: Style::Plain,
            value: Value::Str(string.into()),
        });
        f(YNode(node))
    }
}

impl<'a> json::Node<'a, Yaml> for YNode<'a> {
    type Object = Members<'a>;
    type Array = &'a [Node];
    type Number = serde_json::Number;

    fn as_object(&self) -> Option<Members<'a>> {
        self.0.as_map().map(Members)
    }

    fn as_array(&self) -> Option<&'a [Node]> {
        self.0.as_seq()
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        self.0.as_str().map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<serde_json::Number> {
        match self.0.value {
            Value::Int(i) => Some(serde_json::Number::from(i)),
            Value::Float(f) => serde_json::Number::from_f64(f),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.0.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.json_type() == JsonType::Null
    }

    fn json_type(&self) -> JsonType {
        match &self.0.value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Int(_) => JsonType::Number,
            Value::Float(f) if f.is_finite() => JsonType::Number,
            Value::Float(_) => JsonType::Null,
            Value::Str(_) => JsonType::String,
            Value::Seq(_) => JsonType::Array,
            Value::Map(_) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(self.0.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(
            std::ptr::from_ref::<Node>(self.0) as usize
        ))
    }
}

/// A mapping's entries (keys are unique: the parser keeps the last of duplicates).
#[derive(Clone, Copy, Debug)]
pub struct Members<'a>(&'a [(crate::manifest::yaml::Key, Node)]);

impl<'a> json::Object<'a, Yaml> for Members<'a> {
    type Node = YNode<'a>;
    type MemberName = &'a str;
    type MembersIter = std::vec::IntoIter<(&'a str, YNode<'a>)>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &String) -> Option<YNode<'a>> {
        self.0
            .iter()
            .find(|(k, _)| k.text == key.as_str())
            .map(|(_, v)| YNode(v))
    }

    fn members(&self) -> Self::MembersIter {
        // `serde_json::Map` (a `BTreeMap`) visits names in byte order; so must this, or the
        // same object would report its errors in another order.
        let mut members: Vec<(&'a str, YNode<'a>)> = self
            .0
            .iter()
            .map(|(k, v)| (k.text.as_str(), YNode(v)))
            .collect();
        if !members.is_sorted_by(|a, b| a.0 <= b.0) {
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
        }
        members.into_iter()
    }
}

impl<'a> json::Array<'a, Yaml> for &'a [Node] {
    type Node = YNode<'a>;
    type ElementsIter = std::iter::Map<std::slice::Iter<'a, Node>, fn(&'a Node) -> YNode<'a>>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter().map(YNode as fn(&'a Node) -> YNode<'a>)
    }
}

/// A YAML node holding `value` (spans empty), for instances built as JSON: a custom resource
/// with its schema's defaults filled in.
pub fn node_from_json(value: &serde_json::Value) -> Node {
    use serde_json::Value as J;
    let value = match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Str(s.as_str().into()),
        J::Array(items) => Value::Seq(items.iter().map(node_from_json).collect()),
        J::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    let key = crate::manifest::yaml::Key {
                        text: k.as_str().into(),
                        span: Span::default(),
                    };
                    (key, node_from_json(v))
                })
                .collect(),
        ),
    };
    Node {
        span: Span::default(),
        style: Style::Plain,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse;
    use crate::source::SourceFile;
    use serde_json::json;

    fn tree(text: &str) -> Node {
        let src = SourceFile::new("t.yaml", text);
        parse(&src).documents.remove(0).root
    }

    /// The same schema, compiled for both representations, reports the same errors (messages,
    /// paths, order) on a YAML tree as on its JSON conversion.
    #[test]
    fn errors_match_the_json_conversion() {
        let schema = json!({
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "minimum": 0},
                "ratio": {"type": "number", "maximum": 1},
                "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
                "ports": {"type": "array", "items": {"type": "integer"}, "uniqueItems": true},
                "mode": {"enum": ["a", "b"]},
                "flag": {"type": "boolean"},
                "nothing": {"type": "null"},
                "nested": {"type": "object", "additionalProperties": false,
                           "properties": {"a": {"type": "string"}}}
            },
            "required": ["replicas", "missing"],
            "additionalProperties": false
        });
        let json_validator = jsonschema::options().build(&schema).unwrap();
        let yaml_validator = jsonschema::options_for::<Yaml>().build(&schema).unwrap();
        for text in [
            "replicas: -1\nratio: 1.5\nname: ABCDEFG\nports: [1, 1, x]\nmode: c\nflag: yes\nnothing: .nan\nnested: {zz: 1, a: 2, b: 3}\nzeta: 1\nalpha: 2\n",
            "replicas: 1.0\nratio: .inf\nname: ok\nports: []\nflag: 'true'\n",
            "replicas: 3\nmissing: 1\n",
            "- 1\n- 2\n",
        ] {
            let node = tree(text);
            let value = node.to_json();
            let from_json: Vec<String> = json_validator
                .iter_errors(&value)
                .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
                .collect();
            let from_yaml: Vec<String> = yaml_validator
                .iter_errors(YNode(&node))
                .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
                .collect();
            assert!(!from_json.is_empty() || text.starts_with("replicas: 3"));
            assert_eq!(from_yaml, from_json, "{text}");
        }
    }

    #[test]
    fn json_round_trips_through_nodes() {
        let value = json!({"b": [1, -2, 1.5, "x", null, true], "a": {"c": {}}});
        assert_eq!(node_from_json(&value).to_json(), value);
    }
}
