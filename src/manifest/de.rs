//! Strict, span-aware deserialization of YAML nodes into Rust types.
//!
//! Rule files and the config are read with serde from a [`Node`] tree, so every error — an
//! unknown or misspelled key, a wrong type, a bad enum value — carries the span of the node that
//! caused it. Types opt into strictness with `#[serde(deny_unknown_fields)]`; unknown keys get a
//! "did you mean" suggestion.

use super::yaml::{Key, Node, Value};
use crate::source::Span;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A deserialization error with the span of the offending node.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    /// What went wrong.
    pub message: String,
    /// Where (set by the innermost node that saw the error).
    pub span: Option<Span>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            span: None,
        }
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut message = format!("unknown key `{field}`");
        if let Some(best) = closest(field, expected) {
            message.push_str(&format!(" (did you mean `{best}`?)"));
        } else if !expected.is_empty() {
            message.push_str(&format!(
                "; expected one of {}",
                expected
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        DeError {
            message,
            span: None,
        }
    }
    fn missing_field(field: &'static str) -> Self {
        DeError {
            message: format!("missing required key `{field}`"),
            span: None,
        }
    }
}

/// The candidate closest to `word` by edit distance, if close enough to be a typo (ties go to
/// the candidate that sorts first).
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word: Vec<char> = word.chars().collect();
    let (mut prev, mut cur) = (Vec::new(), Vec::new());
    let mut best: Option<(usize, &'a str)> = None;
    for &c in candidates {
        let limit = 2.max(c.len() / 3);
        // The distance is at least the difference in length: most candidates stop here.
        if word.len().abs_diff(c.chars().count()) > limit {
            continue;
        }
        let d = edit_distance(&word, c, &mut prev, &mut cur);
        if d <= limit && best.is_none_or(|b| (d, c) < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance between `a` and `b`, on two reused rows.
fn edit_distance(a: &[char], b: &str, prev: &mut Vec<usize>, cur: &mut Vec<usize>) -> usize {
    let n = b.chars().count();
    prev.clear();
    prev.extend(0..=n);
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.chars().enumerate() {
            let cost = usize::from(*ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        std::mem::swap(prev, cur);
    }
    prev[n]
}

fn attach(mut e: DeError, span: Span) -> DeError {
    if e.span.is_none() {
        e.span = Some(span);
    }
    e
}

/// Deserialize `T` from a node.
pub fn from_node<T: de::DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe(node))
}

/// A serde deserializer over a [`Node`].
pub struct NodeDe<'a>(pub &'a Node);

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let span = self.0.span;
        let r = match &self.0.value {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Seq(items) => v.visit_seq(Seq {
                items: items.iter(),
            }),
            Value::Map(entries) => v.visit_map(Map {
                entries: entries.iter(),
                value: None,
            }),
        };
        r.map_err(|e| attach(e, span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let span = self.0.span;
        match self.0.value {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
        .map_err(|e| attach(e, span))
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        // Strings are strict: `id: 12` is an error, not "12".
        self.deserialize_any(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let span = self.0.span;
        match &self.0.value {
            Value::Str(s) => v.visit_enum(s.as_str().into_deserializer()),
            other => Err(de::Error::custom(format!(
                "expected one of the allowed names, got {}",
                kind_name(other)
            ))),
        }
        .map_err(|e: DeError| attach(e, span))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(n) => seed.deserialize(NodeDe(n)).map(Some),
            None => Ok(None),
        }
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                let de: de::value::StrDeserializer<'_, DeError> =
                    k.text.as_str().into_deserializer();
                seed.deserialize(de)
                    .map(Some)
                    .map_err(|e| attach(e, k.span))
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let n = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value without key"))?;
        seed.deserialize(NodeDe(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse;
    use crate::source::SourceFile;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        name: String,
        severity: crate::diagnostic::Severity,
        #[serde(default)]
        list: Vec<u32>,
    }

    fn de(text: &str) -> (std::sync::Arc<SourceFile>, Result<T, DeError>) {
        let f = SourceFile::new("x.yaml", text);
        let doc = parse(&f).documents.remove(0);
        let r = from_node::<T>(&doc.root);
        (f, r)
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let (f, r) = de("name: a\nseverty: error\n");
        let e = r.unwrap_err();
        assert!(
            e.message.contains("did you mean `severity`"),
            "{}",
            e.message
        );
        assert_eq!(f.position(e.span.unwrap().start()).line, 2);
    }

    #[test]
    fn bad_enum_and_type_point_at_value() {
        let (f, r) = de("name: a\nseverity: fatal\n");
        let e = r.unwrap_err();
        assert_eq!(f.position(e.span.unwrap().start()).line, 2);
        let (f, r) = de("name: a\nseverity: error\nlist: [1, x]\n");
        let e = r.unwrap_err();
        assert_eq!(
            f.position(e.span.unwrap().start()),
            crate::source::Position {
                line: 3,
                column: 11
            }
        );
        let (_, r) = de("name: 3\nseverity: error\n");
        assert!(r.is_err());
    }
}
