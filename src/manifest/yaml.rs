//! Span-keeping YAML: builds a tree of [`Node`]s from `saphyr-parser` events.
//!
//! Every node keeps the byte span of its text, so any finding can point at the exact line and
//! column. Scalars are typed the way Kubernetes' own YAML reader (go-yaml v2 behind
//! `sigs.k8s.io/yaml`) types them, so `yes` is a boolean here as it is for `kubectl apply`.
//! Anchors and aliases are expanded (with a budget against alias bombs), merge keys (`<<`) are
//! applied, and duplicate keys are recorded so the caller can report them.

use crate::source::{SourceFile, Span};
pub use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::borrow::Cow;
use std::collections::HashMap;

/// How a node was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Plain scalar.
    Plain,
    /// `'single'` or `"double"` quoted scalar.
    Quoted,
    /// `|` or `>` block scalar.
    Block,
    /// Block (indented) collection.
    BlockCollection,
    /// `{}` or `[]` collection.
    FlowCollection,
}

/// A YAML value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Byte range of the node's text.
    pub span: Span,
    /// How the node was written.
    pub style: Style,
    /// The typed value.
    pub value: Value,
}

/// A mapping key with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key as a string (non-string scalar keys are stringified, as Kubernetes does).
    /// Short keys (up to 24 bytes, nearly all) are stored inline, without an allocation.
    pub text: CompactString,
    /// Byte range of the key's text.
    pub span: Span,
}

/// Typed YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Floating point number.
    Float(f64),
    /// String (inline up to 24 bytes, like keys).
    Str(CompactString),
    /// Sequence (a boxed slice: trees are never grown after parsing, and a `Value` stays
    /// 24 bytes).
    Seq(Box<[Node]>),
    /// Mapping, in source order.
    Map(Box<[(Key, Node)]>),
}

impl Node {
    /// The entry for `key` if this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The key object for `key` if this is a mapping.
    pub fn get_key(&self, key: &str) -> Option<&Key> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(k, _)| k),
            _ => None,
        }
    }
    /// The string value, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The mapping entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    /// Is this `null`?
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    /// Child by one JSON Pointer token (mapping key or sequence index).
    pub fn child(&self, token: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(_) => self.get(token),
            Value::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }
    /// Node at a JSON Pointer (`""` is this node).
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for token in tokens(pointer) {
            node = node.child(&token)?;
        }
        Some(node)
    }
    /// The deepest existing node along `pointer`, with the pointer prefix it was found at.
    pub fn nearest<'a>(&'a self, pointer: &str) -> (&'a Node, String) {
        let mut node = self;
        let mut at = String::new();
        for token in tokens(pointer) {
            match node.child(&token) {
                Some(next) => {
                    node = next;
                    at.push('/');
                    push_escaped(&mut at, &token);
                }
                None => break,
            }
        }
        (node, at)
    }
    /// The span of the key that holds the entry at `pointer` (for mapping entries), if any.
    pub fn key_span(&self, pointer: &str) -> Option<Span> {
        let tokens = pointer_tokens(pointer);
        let (last, parents) = tokens.split_last()?;
        let mut node = self;
        for t in parents {
            node = node.child(t)?;
        }
        node.get_key(last).map(|k| k.span)
    }
    /// Convert to JSON (integers stay integers; non-finite floats become null).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.as_str().to_owned()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.text.as_str().to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }
    /// [`Node::display_value`], borrowed when the node is a string (no allocation).
    pub fn display_text(&self) -> Cow<'_, str> {
        match &self.value {
            Value::Str(s) => Cow::Borrowed(s.as_str()),
            _ => Cow::Owned(self.display_value()),
        }
    }
    /// A short human rendering of a scalar value (collections are summarised).
    pub fn display_value(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.as_str().to_owned(),
            Value::Seq(items) => format!("a list of {} item(s)", items.len()),
            Value::Map(_) => "a mapping".into(),
        }
    }
}

/// Split a JSON Pointer into unescaped tokens.
pub fn pointer_tokens(pointer: &str) -> Vec<String> {
    tokens(pointer).map(Cow::into_owned).collect()
}

/// The unescaped tokens of a JSON Pointer, borrowed unless a token is escaped. Split on bytes
/// (`/` and `~` are ASCII): this runs for every pointer the engine follows.
fn tokens(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    let mut rest = (!pointer.is_empty()).then(|| pointer.trim_start_matches('/'));
    std::iter::from_fn(move || {
        let text = rest?;
        let end = text.bytes().position(|b| b == b'/').unwrap_or(text.len());
        rest = text.get(end + 1..);
        let raw = &text[..end];
        Some(if raw.as_bytes().contains(&b'~') {
            Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(raw)
        })
    })
}

/// Escape one JSON Pointer token.
pub fn escape_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    push_escaped(&mut out, token);
    out
}

/// Append `token`, escaped as a JSON Pointer token (without the leading `/`), to `buf`.
pub fn push_escaped(buf: &mut String, token: &str) {
    // By bytes, copying the runs between escapes whole: this runs for every token of every
    // pointer the engine builds, and label keys (`app.kubernetes.io/name`) hold a `/`.
    let mut from = 0;
    for (i, b) in token.bytes().enumerate() {
        let escaped = match b {
            b'~' => "~0",
            b'/' => "~1",
            _ => continue,
        };
        buf.push_str(&token[from..i]);
        buf.push_str(escaped);
        from = i + 1;
    }
    buf.push_str(&token[from..]);
}

/// Is the JSON Pointer `path` equal to `prefix` or below it (on token boundaries)?
pub fn pointer_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Append `token` to `pointer`.
pub fn push_pointer(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    push_escaped(&mut out, token);
    out
}

/// A problem found while reading YAML.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlIssue {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// For duplicate keys: the span of the first occurrence.
    pub first: Option<Span>,
    /// Is it fatal for the document (syntax error) or only a finding (duplicate key)?
    pub fatal: bool,
}

/// One document of a YAML stream.
#[derive(Debug)]
pub struct Document {
    /// Root node.
    pub root: Node,
    /// Zero-based index within the file.
    pub index: usize,
}

/// The result of parsing one file.
#[derive(Debug, Default)]
pub struct ParsedStream {
    /// Documents that parsed completely (empty documents are dropped).
    pub documents: Vec<Document>,
    /// Duplicate keys and, at most one, the syntax error that stopped parsing.
    pub issues: Vec<YamlIssue>,
}

/// Most nodes one document may expand to (alias-bomb guard).
pub const NODE_BUDGET: usize = 2_000_000;
/// Deepest nesting accepted (stack guard for recursive consumers).
pub const MAX_DEPTH: usize = 200;

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        flow: bool,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
        merges: Vec<Node>,
        seen: Seen,
    },
}

/// Duplicate-key detection for one mapping. Most mappings have a handful of keys, where a scan
/// of the entries is cheaper than hashing every key; an index is built once a mapping grows past
/// [`Seen::SCAN`] keys, so huge mappings stay linear.
#[derive(Default)]
struct Seen {
    /// Key text → entry position, for mappings past `SCAN` keys.
    index: Option<HashMap<CompactString, usize>>,
    /// Span of the first occurrence of each duplicated entry (rare).
    firsts: Vec<(usize, Span)>,
}

impl Seen {
    const SCAN: usize = 16;

    /// Position of `key` among `entries`, if present.
    fn find(&self, entries: &[(Key, Node)], key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).copied(),
            None => entries.iter().position(|(k, _)| k.text == key),
        }
    }

    /// Record that `entries` just got a new last entry.
    fn added(&mut self, entries: &[(Key, Node)]) {
        match &mut self.index {
            Some(ix) => {
                if let Some((k, _)) = entries.last() {
                    ix.insert(k.text.clone(), entries.len() - 1);
                }
            }
            None if entries.len() > Self::SCAN => {
                let ix = entries.iter().enumerate();
                self.index = Some(ix.map(|(i, (k, _))| (k.text.clone(), i)).collect());
            }
            None => {}
        }
    }

    /// Span of the first occurrence of the entry at `pos` (remembered across replacements).
    fn first(&mut self, pos: usize, current: Span) -> Span {
        match self.firsts.iter().find(|(p, _)| *p == pos) {
            Some((_, s)) => *s,
            None => {
                self.firsts.push((pos, current));
                current
            }
        }
    }
}

/// Does a mapping with `entries` repeat a key? (Checked as the builder checks the mappings it
/// reads, for trees made otherwise.)
pub(crate) fn repeats_a_key(entries: &[(Key, Node)]) -> bool {
    let mut seen = Seen::default();
    (0..entries.len()).any(|i| {
        let repeated = seen.find(&entries[..i], &entries[i].0.text).is_some();
        seen.added(&entries[..=i]);
        repeated
    })
}

struct Builder<'a> {
    src: &'a SourceFile,
    ascii: bool,
    anchors: HashMap<usize, Node>,
    stack: Vec<Frame>,
    budget: usize,
    issues: Vec<YamlIssue>,
}

impl Builder<'_> {
    fn byte(&self, m: saphyr_parser::Marker) -> usize {
        if self.ascii {
            m.index().min(self.src.text.len())
        } else {
            self.src.lines.offset(&self.src.text, m.line(), m.col())
        }
    }

    fn count(&mut self, n: usize) -> Result<(), YamlIssue> {
        self.budget = self.budget.saturating_add(n);
        if self.budget > NODE_BUDGET {
            return Err(YamlIssue {
                message: "document expands to too many nodes (alias expansion limit exceeded)"
                    .into(),
                span: Span::empty(0),
                first: None,
                fatal: true,
            });
        }
        Ok(())
    }

    /// Attach a finished node to the parent frame; returns the node if there is no parent.
    fn push(&mut self, node: Node) -> Result<Option<Node>, YamlIssue> {
        match self.stack.last_mut() {
            None => Ok(Some(node)),
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(None)
            }
            Some(Frame::Map {
                entries,
                key,
                merges,
                seen,
                ..
            }) => match key.take() {
                None => {
                    // Plain keys keep their text as written (`1`, `yes`); a plain string key is
                    // that text already, so its allocation is reused.
                    let plain = node.style == Style::Plain;
                    let span = node.span;
                    let text = match node.value {
                        Value::Str(s) if plain && s == self.src.slice(span) => s,
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(YamlIssue {
                                message: "a mapping key must be a plain value, not a collection (is this a template?)".into(),
                                span,
                                first: None,
                                fatal: true,
                            });
                        }
                        _ if plain => self.src.slice(span).into(),
                        Value::Str(s) => s,
                        Value::Null => "null".into(),
                        Value::Bool(b) => b.to_string().into(),
                        Value::Int(i) => i.to_string().into(),
                        Value::Float(f) => f.to_string().into(),
                    };
                    *key = Some(Key { text, span });
                    Ok(None)
                }
                Some(k) => {
                    if k.text == "<<" && self.src.slice(k.span) == "<<" {
                        merges.push(node);
                        return Ok(None);
                    }
                    if let Some(pos) = seen.find(entries, &k.text) {
                        let first = seen.first(pos, entries[pos].0.span);
                        self.issues.push(YamlIssue {
                            message: format!(
                                "duplicate key `{}`: Kubernetes silently keeps only the last value",
                                k.text
                            ),
                            span: k.span,
                            first: Some(first),
                            fatal: false,
                        });
                        // Keep the last value, like the API server.
                        entries[pos] = (k, node);
                        return Ok(None);
                    }
                    entries.push((k, node));
                    seen.added(entries);
                    Ok(None)
                }
            },
        }
    }

    fn depth_check(&self, span: Span) -> Result<(), YamlIssue> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlIssue {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span,
                first: None,
                fatal: true,
            });
        }
        Ok(())
    }
}

/// Does the collection starting at `at` (possibly after an anchor or tag) open with `open`?
fn starts_flow(text: &str, at: usize, open: u8) -> bool {
    let b = text.as_bytes();
    let mut i = at;
    loop {
        match b.get(i) {
            Some(b'&' | b'!') => {
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != open {
                    i += 1;
                }
            }
            Some(c) if c.is_ascii_whitespace() => i += 1,
            Some(c) => return *c == open,
            None => return false,
        }
    }
}

fn node_count(n: &Node) -> usize {
    match &n.value {
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| node_count(v)).sum::<usize>(),
        _ => 1,
    }
}

/// Type a scalar the way go-yaml v2 (used by kubectl and the API machinery) does.
pub fn resolve_plain(s: &str) -> Value {
    typed_plain(s).unwrap_or_else(|| Value::Str(s.into()))
}

/// [`resolve_plain`] for an owned scalar: a string keeps its allocation.
fn resolve_plain_owned(s: CompactString) -> Value {
    typed_plain(&s).unwrap_or(Value::Str(s))
}

/// The non-string value a plain scalar stands for, or `None` when it is a string.
fn typed_plain(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Some(Value::Bool(true));
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Some(Value::Bool(false));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let (neg, body) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let int = if let Some(h) = clean.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(b) = clean.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if let Some(o) = clean.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if clean.len() > 1 && clean.starts_with('0') && clean.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&clean[1..], 8).ok()
    } else if !clean.is_empty() && clean.bytes().all(|b| b.is_ascii_digit()) {
        match clean.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return Some(Value::Float(if neg {
                    -clean.parse::<f64>().unwrap_or(0.0)
                } else {
                    clean.parse::<f64>().unwrap_or(0.0)
                }));
            }
        }
    } else {
        None
    };
    if let Some(v) = int {
        return Some(Value::Int(if neg { -v } else { v }));
    }
    if is_float(body)
        && let Ok(f) = clean.parse::<f64>()
    {
        return Some(Value::Float(if neg { -f } else { f }));
    }
    None
}

fn is_float(s: &str) -> bool {
    // [0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? or \.[0-9_]+
    let b = s.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == st {
            return false;
        }
    }
    i == b.len()
}

fn apply_merges(entries: &mut Vec<(Key, Node)>, merges: Vec<Node>) -> Result<(), YamlIssue> {
    for merge in merges {
        let sources: Vec<Node> = match merge.value {
            Value::Map(_) => vec![merge],
            Value::Seq(items) => items.into_vec(),
            _ => {
                return Err(YamlIssue {
                    message: "a merge key (`<<`) needs a mapping or a list of mappings".into(),
                    span: merge.span,
                    first: None,
                    fatal: true,
                });
            }
        };
        for src in sources {
            let span = src.span;
            let Value::Map(more) = src.value else {
                return Err(YamlIssue {
                    message: "a merge key (`<<`) needs a mapping or a list of mappings".into(),
                    span,
                    first: None,
                    fatal: true,
                });
            };
            for (k, v) in more {
                if !entries.iter().any(|(ek, _)| ek.text == k.text) {
                    entries.push((k, v));
                }
            }
        }
    }
    Ok(())
}

/// A parser event, independent of which parser produced it.
enum Ev {
    DocStart,
    Alias(usize),
    Scalar {
        text: CompactString,
        style: Style,
        anchor: usize,
        tag: Option<String>,
    },
    SeqStart(usize),
    SeqEnd,
    MapStart(usize),
    MapEnd,
}

impl Builder<'_> {
    /// Handle one event spanning bytes `start..end`; returns a finished document root.
    fn handle(&mut self, ev: Ev, start: usize, end: usize) -> Result<Option<Node>, YamlIssue> {
        let src = self.src;
        match ev {
            Ev::DocStart => {
                self.anchors.clear();
                self.budget = 0;
                Ok(None)
            }
            Ev::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(YamlIssue {
                        message: "alias refers to an unknown anchor".into(),
                        span: Span::new(start, end),
                        first: None,
                        fatal: true,
                    });
                };
                self.count(node_count(&node))?;
                self.push(node)
            }
            Ev::Scalar {
                text,
                style,
                anchor,
                tag,
            } => {
                self.count(1)?;
                // The scanner's buffer may be far larger than the scalar, and the tree keeps it.
                let mut text = text;
                text.shrink_to_fit();
                let value = match (tag.as_deref(), style) {
                    (Some("str"), _) => Value::Str(text),
                    (Some("int" | "float" | "bool" | "null"), _) | (_, Style::Plain) => {
                        resolve_plain_owned(text)
                    }
                    _ => Value::Str(text),
                };
                let mut end = end;
                if style == Style::Block {
                    // Block scalar spans run to the start of the next token; trim trailing breaks.
                    let t = src.text.get(start..end.min(src.text.len())).unwrap_or("");
                    end = start + t.trim_end().len();
                }
                let node = Node {
                    span: Span::new(start, end),
                    style,
                    value,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Ev::SeqStart(anchor) => {
                self.depth_check(Span::new(start, end))?;
                self.count(1)?;
                // A sequence at its key's indentation (`a:\n- [x]`) starts where its first
                // item does: when that item is a flow sequence, both start at its `[`, and only
                // the inner one is a flow sequence.
                if let Some(Frame::Seq {
                    start: outer,
                    flow,
                    items,
                    ..
                }) = self.stack.last_mut()
                    && *outer == start
                    && items.is_empty()
                {
                    *flow = false;
                }
                let flow = starts_flow(&src.text, start, b'[');
                self.stack.push(Frame::Seq {
                    start,
                    flow,
                    anchor,
                    items: Vec::new(),
                });
                Ok(None)
            }
            Ev::MapStart(anchor) => {
                self.depth_check(Span::new(start, end))?;
                self.count(1)?;
                let flow = starts_flow(&src.text, start, b'{');
                self.stack.push(Frame::Map {
                    start,
                    flow,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                    seen: Seen::default(),
                });
                Ok(None)
            }
            Ev::SeqEnd => {
                let Some(Frame::Seq {
                    start: s,
                    flow,
                    anchor,
                    items,
                }) = self.stack.pop()
                else {
                    return Ok(None);
                };
                let e = if flow {
                    end
                } else {
                    items.last().map_or(s, |n| n.span.end())
                };
                // Trees of every file stay in memory for cross-object rules: no growth slack.
                let mut items = items;
                items.shrink_to_fit();
                let node = Node {
                    span: Span::new(s, e),
                    style: if flow {
                        Style::FlowCollection
                    } else {
                        Style::BlockCollection
                    },
                    value: Value::Seq(items.into_boxed_slice()),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Ev::MapEnd => {
                let Some(Frame::Map {
                    start: s,
                    flow,
                    anchor,
                    mut entries,
                    merges,
                    ..
                }) = self.stack.pop()
                else {
                    return Ok(None);
                };
                let e = if flow {
                    end
                } else {
                    entries.last().map_or(s, |(_, n)| n.span.end())
                };
                if !merges.is_empty() {
                    apply_merges(&mut entries, merges)?;
                }
                entries.shrink_to_fit();
                let node = Node {
                    span: Span::new(s, e),
                    style: if flow {
                        Style::FlowCollection
                    } else {
                        Style::BlockCollection
                    },
                    value: Value::Map(entries.into_boxed_slice()),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
        }
    }

    /// Feed one event; collects finished documents into `out`. `Err` stops parsing.
    fn feed(
        &mut self,
        ev: Ev,
        start: usize,
        end: usize,
        doc: &mut usize,
        out: &mut ParsedStream,
    ) -> Result<(), ()> {
        match self.handle(ev, start, end) {
            Ok(Some(root)) => {
                if !(root.is_null() && root.style == Style::Plain) {
                    out.documents.push(Document { root, index: *doc });
                }
                *doc += 1;
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(mut issue) => {
                if issue.span == Span::empty(0) {
                    issue.span = Span::empty(start);
                }
                out.issues.append(&mut self.issues);
                out.issues.push(issue);
                Err(())
            }
        }
    }
}

fn builder(src: &SourceFile) -> Builder<'_> {
    Builder {
        src,
        ascii: src.text.is_ascii(),
        anchors: HashMap::new(),
        stack: Vec::new(),
        budget: 0,
        issues: Vec::new(),
    }
}

/// Parse with `saphyr-parser` (the primary parser).
fn parse_saphyr(src: &SourceFile) -> ParsedStream {
    let mut out = ParsedStream::default();
    let mut b = builder(src);
    let mut parser = Parser::new_from_str(&src.text);
    let mut doc = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(err) => {
                let at = b.byte(*err.marker());
                out.issues.append(&mut b.issues);
                out.issues.push(YamlIssue {
                    message: format!("invalid YAML: {}", err.info()),
                    span: Span::empty(at),
                    first: None,
                    fatal: true,
                });
                return out;
            }
        };
        let ev = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => Ev::DocStart,
            Event::Alias(id) => Ev::Alias(id),
            Event::Scalar(text, style, anchor, tag) => Ev::Scalar {
                // Short scalars (most keys and values) are stored inline, never allocated; an
                // owned scalar keeps its buffer.
                text: CompactString::from(text),
                style: match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                },
                anchor,
                tag: tag
                    .filter(|t| t.is_yaml_core_schema())
                    .map(|t| t.suffix.clone()),
            },
            Event::SequenceStart(anchor, _) => Ev::SeqStart(anchor),
            Event::SequenceEnd => Ev::SeqEnd,
            Event::MappingStart(anchor, _) => Ev::MapStart(anchor),
            Event::MappingEnd => Ev::MapEnd,
        };
        let (start, end) = (b.byte(span.start), b.byte(span.end));
        if b.feed(ev, start, end, &mut doc, &mut out).is_err() {
            return out;
        }
    }
    out.issues.append(&mut b.issues);
    out
}

/// Parse with `libyaml-safer`, a port of libyaml — the parser go-yaml (and so `kubectl`) is a
/// port of. Used when saphyr rejects a file: libyaml accepts some indentation that YAML 1.2
/// forbids but every Kubernetes tool accepts (flow brackets and quoted-scalar continuation
/// lines indented like their parent key).
fn parse_libyaml(src: &SourceFile) -> ParsedStream {
    use libyaml_safer::{EventData, ScalarStyle as LStyle};
    let mut out = ParsedStream::default();
    let mut b = builder(src);
    let mut bytes = src.text.as_bytes();
    let mut parser = libyaml_safer::Parser::new();
    parser.set_input_string(&mut bytes);
    let mut anchors: HashMap<String, usize> = HashMap::new();
    let mut anchor_id = |name: Option<String>, define: bool| -> usize {
        match name {
            None => 0,
            Some(n) => {
                let next = anchors.len() + 1;
                if define {
                    anchors.insert(n, next);
                    next
                } else {
                    anchors.get(&n).copied().unwrap_or(usize::MAX)
                }
            }
        }
    };
    let offset = |b: &Builder<'_>, m: libyaml_safer::Mark| -> usize {
        b.src
            .lines
            .offset(&b.src.text, m.line as usize + 1, m.column as usize)
    };
    let mut doc = 0usize;
    loop {
        let event = match parser.parse() {
            Ok(e) => e,
            Err(err) => {
                let at = err.problem_mark().map_or(0, |m| offset(&b, m));
                out.issues.append(&mut b.issues);
                out.issues.push(YamlIssue {
                    message: format!("invalid YAML: {}", err.problem()),
                    span: Span::empty(at),
                    first: None,
                    fatal: true,
                });
                return out;
            }
        };
        let (start, end) = (offset(&b, event.start_mark), offset(&b, event.end_mark));
        let ev = match event.data {
            EventData::StreamEnd => break,
            EventData::StreamStart { .. } | EventData::DocumentEnd { .. } => continue,
            EventData::DocumentStart { .. } => Ev::DocStart,
            EventData::Alias { anchor } => Ev::Alias(anchor_id(Some(anchor), false)),
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => Ev::Scalar {
                text: value.into(),
                style: match style {
                    LStyle::Plain | LStyle::Any => Style::Plain,
                    LStyle::SingleQuoted | LStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                },
                anchor: anchor_id(anchor, true),
                tag: tag.and_then(|t| t.strip_prefix("tag:yaml.org,2002:").map(str::to_string)),
            },
            EventData::SequenceStart { anchor, .. } => Ev::SeqStart(anchor_id(anchor, true)),
            EventData::SequenceEnd => Ev::SeqEnd,
            EventData::MappingStart { anchor, .. } => Ev::MapStart(anchor_id(anchor, true)),
            EventData::MappingEnd => Ev::MapEnd,
        };
        if b.feed(ev, start, end, &mut doc, &mut out).is_err() {
            return out;
        }
    }
    out.issues.append(&mut b.issues);
    out
}

/// Parse every document of `src`.
///
/// `saphyr-parser` is tried first; if it reports a syntax error, the file is re-read with
/// libyaml's rules, and the error stands only if libyaml rejects the file too.
pub fn parse(src: &SourceFile) -> ParsedStream {
    if src.text.len() > crate::source::MAX_TEXT {
        // Spans hold 32-bit offsets: nothing of a larger file can be pointed at.
        return ParsedStream {
            documents: Vec::new(),
            issues: vec![YamlIssue {
                message: "file too large to lint (4 GiB or more)".into(),
                span: Span::empty(0),
                first: None,
                fatal: true,
            }],
        };
    }
    let first = parse_saphyr(src);
    let indentation = first
        .issues
        .iter()
        .any(|i| i.fatal && i.message.contains("indentation"));
    if !indentation {
        return first;
    }
    // libyaml-safer still has reachable panics on some malformed input (found by our fuzz
    // tests); a panic there means "libyaml rejects it too", never a crash of accord.
    match std::panic::catch_unwind(|| parse_libyaml(src)) {
        Ok(second) if !second.issues.iter().any(|i| i.fatal) => second,
        _ => first,
    }
}

/// The documents of a stream without issues in a compact binary form, which [`decode`] reads
/// back without parsing (`None` if the stream has issues: those are reported by parsing).
/// build.rs parses the built-in rules with this module and embeds their trees encoded, so a
/// run does not parse the rule library's YAML again (most of a small lint's start-up).
///
/// Layout, little-endian: a `u32` document count; per document its `u32` index and root. A
/// node is a byte (style in the high nibble, value kind in the low one), its span as two
/// `u32`, then its value: nothing, a byte, an `i64`, an `f64`'s bits, a string (`u32` length,
/// bytes), or a `u32` count of items (nodes) or entries (key string, key span, node).
pub fn encode(stream: &ParsedStream) -> Option<Vec<u8>> {
    if !stream.issues.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    put_len(&mut out, stream.documents.len());
    for d in &stream.documents {
        put_len(&mut out, d.index);
        encode_node(&d.root, &mut out);
    }
    Some(out)
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).expect("fits a span").to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_span(out: &mut Vec<u8>, span: Span) {
    put_len(out, span.start());
    put_len(out, span.end());
}

const STYLES: [Style; 5] = [
    Style::Plain,
    Style::Quoted,
    Style::Block,
    Style::BlockCollection,
    Style::FlowCollection,
];

fn encode_node(n: &Node, out: &mut Vec<u8>) {
    let style = STYLES.iter().position(|s| *s == n.style).expect("a style") as u8;
    let kind: u8 = match &n.value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) => 2,
        Value::Float(_) => 3,
        Value::Str(_) => 4,
        Value::Seq(_) => 5,
        Value::Map(_) => 6,
    };
    out.push(style << 4 | kind);
    put_span(out, n.span);
    match &n.value {
        Value::Null => {}
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
        Value::Float(f) => out.extend_from_slice(&f.to_bits().to_le_bytes()),
        Value::Str(s) => put_str(out, s),
        Value::Seq(items) => {
            put_len(out, items.len());
            items.iter().for_each(|i| encode_node(i, out));
        }
        Value::Map(entries) => {
            put_len(out, entries.len());
            for (k, v) in entries.iter() {
                put_str(out, &k.text);
                put_span(out, k.span);
                encode_node(v, out);
            }
        }
    }
}

/// `src` parsed: the tree [`encode`] wrote of it at build time (`tree`), or, where there is
/// none (an empty `tree`: the file had issues), a parse now.
pub fn decode_or_parse(tree: &[u8], src: &SourceFile) -> ParsedStream {
    decode(tree).unwrap_or_else(|| parse(src))
}

/// The documents [`encode`] wrote (`None` if `bytes` are not such an encoding).
pub fn decode(bytes: &[u8]) -> Option<ParsedStream> {
    let mut r = Reader(bytes);
    let count = r.len()?;
    let mut documents = Vec::with_capacity(count.min(bytes.len()));
    for _ in 0..count {
        let index = r.len()?;
        documents.push(Document {
            root: r.node(0)?,
            index,
        });
    }
    r.0.is_empty().then_some(ParsedStream {
        documents,
        issues: Vec::new(),
    })
}

/// The rest of an encoding, read front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn len(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.bytes()?) as usize)
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
    fn span(&mut self) -> Option<Span> {
        Some(Span::new(self.len()?, self.len()?))
    }
    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let [tag] = self.bytes()?;
        let style = *STYLES.get(usize::from(tag >> 4))?;
        let span = self.span()?;
        let value = match tag & 0xf {
            0 => Value::Null,
            1 => Value::Bool(self.bytes::<1>()?[0] != 0),
            2 => Value::Int(i64::from_le_bytes(self.bytes()?)),
            3 => Value::Float(f64::from_bits(u64::from_le_bytes(self.bytes()?))),
            4 => Value::Str(self.str()?.into()),
            5 => {
                let n = self.len()?;
                let items: Option<Vec<Node>> = (0..n).map(|_| self.node(depth + 1)).collect();
                Value::Seq(items?.into_boxed_slice())
            }
            6 => {
                let n = self.len()?;
                let entries: Option<Vec<(Key, Node)>> = (0..n)
                    .map(|_| {
                        let text = self.str()?.into();
                        let span = self.span()?;
                        Some((Key { text, span }, self.node(depth + 1)?))
                    })
                    .collect();
                Value::Map(entries?.into_boxed_slice())
            }
            _ => return None,
        };
        Some(Node { span, style, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> (std::sync::Arc<SourceFile>, ParsedStream) {
        let f = SourceFile::new("t.yaml", text);
        let s = parse(&f);
        (f, s)
    }

    /// An encoded stream decodes to the same documents (every kind of value and style, keys,
    /// spans, document indices); a stream with issues is not encoded; any cut or damaged
    /// encoding is refused without a panic.
    #[test]
    fn encoded_trees_decode_to_the_same_documents() {
        let text = "a: 1\nb: [x, 'y', {c: null}]\nd: |\n  text\ne: 2.5\nf: true\n\
                    g: ~\nh: !!str 7\n---\n---\n- 1\n- - 2\n";
        let (_, parsed) = p(text);
        assert_eq!(parsed.documents.len(), 2);
        let bytes = encode(&parsed).expect("no issues");
        let decoded = decode(&bytes).expect("decodes");
        assert_eq!(decoded.documents.len(), 2);
        for (d, o) in decoded.documents.iter().zip(&parsed.documents) {
            assert_eq!((d.index, &d.root), (o.index, &o.root));
        }
        assert!(decoded.issues.is_empty());
        let (_, dup) = p("a: 1\na: 2\n");
        assert!(encode(&dup).is_none());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xa5;
            let _ = decode(&damaged);
        }
    }
    #[test]
    fn spans_and_types() {
        let (f, s) = p("a: 1\nb: 'x'\nc: yes\nd:\n  - 1.5\n  - null\n");
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        let root = &s.documents[0].root;
        assert_eq!(root.get("a").unwrap().value, Value::Int(1));
        assert_eq!(root.get("b").unwrap().value, Value::Str("x".into()));
        assert_eq!(root.get("c").unwrap().value, Value::Bool(true));
        let d = root.get("d").unwrap();
        assert_eq!(f.slice(d.span), "- 1.5\n  - null");
        assert_eq!(f.slice(root.pointer("/d/0").unwrap().span), "1.5");
        assert_eq!(f.slice(root.get("b").unwrap().span), "'x'");
    }

    #[test]
    fn a_block_sequence_starting_with_a_flow_one_is_a_block_sequence() {
        let (f, s) = p("a:\n- [x]\n- y\nb: [1]\n");
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        let root = &s.documents[0].root;
        let a = root.get("a").unwrap();
        assert_eq!(a.style, Style::BlockCollection);
        assert_eq!(f.slice(a.span), "[x]\n- y");
        let first = root.pointer("/a/0").unwrap();
        assert_eq!(
            (first.style, f.slice(first.span)),
            (Style::FlowCollection, "[x]")
        );
        assert_eq!(root.get("b").unwrap().style, Style::FlowCollection);
    }

    #[test]
    fn duplicates_merges_aliases() {
        let (f, s) = p("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nm2: 1\nm2: 2\n");
        let dup: Vec<_> = s.issues.iter().filter(|i| !i.fatal).collect();
        assert_eq!(dup.len(), 1);
        assert_eq!(f.position(dup[0].span.start()).line, 6);
        let root = &s.documents[0].root;
        assert_eq!(root.pointer("/m/x").unwrap().value, Value::Int(1));
        assert_eq!(root.pointer("/m/y").unwrap().value, Value::Int(3));
        assert_eq!(root.get("m2").unwrap().value, Value::Int(2));
    }

    #[test]
    fn duplicates_in_small_and_large_mappings() {
        // Small mapping (scanned) and a large one (indexed): same answers, first span kept.
        for n in [3usize, 40] {
            let mut t: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
            t.push_str("k1: a\nk1: b\n");
            let (f, s) = p(&t);
            let dups: Vec<_> = s.issues.iter().filter(|i| !i.fatal).collect();
            assert_eq!(dups.len(), 2, "{n}");
            for d in &dups {
                assert_eq!(f.position(d.first.unwrap().start()).line, 2, "{n}");
            }
            let root = &s.documents[0].root;
            assert_eq!(root.as_map().unwrap().len(), n);
            assert_eq!(root.get("k1").unwrap().as_str(), Some("b"));
            assert_eq!(
                f.position(root.get_key("k1").unwrap().span.start()).line,
                n + 2
            );
            let last = root.get(&format!("k{}", n - 1)).unwrap();
            assert_eq!(last.value, Value::Int(n as i64 - 1));
        }
    }

    /// Every tree holds millions of these: a regression in their size is one in peak memory.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn tree_nodes_stay_small() {
        assert_eq!(std::mem::size_of::<Span>(), 8);
        assert_eq!(std::mem::size_of::<Node>(), 40);
        assert_eq!(std::mem::size_of::<Key>(), 32);
        assert_eq!(std::mem::size_of::<(Key, Node)>(), 72);
    }

    #[test]
    fn pointers_unescape_and_match_pointer_tokens() {
        let (_, s) = p("a/b:\n  c~d: [x, {e: 1}]\n");
        let root = &s.documents[0].root;
        let cases = [
            ("", true),
            ("/a~1b", true),
            ("/a~1b/c~0d/1/e", true),
            ("/a~1b/c~0d/0", true),
            ("/a~1b/c~d", true),
            ("/a/b", false),
            ("/a~1b/c~0d/2", false),
            ("/a~1b/", false),
            ("//a~1b/c~0d/0", true),
            ("/é", false),
        ];
        for (ptr, want) in cases {
            assert_eq!(root.pointer(ptr).is_some(), want, "{ptr}");
            let mut slow = Some(root);
            for t in pointer_tokens(ptr) {
                slow = slow.and_then(|n| n.child(&t));
            }
            let spans = (root.pointer(ptr).map(|n| n.span), slow.map(|n| n.span));
            assert_eq!(spans.0, spans.1, "{ptr}");
        }
        let e = root.pointer("/a~1b/c~0d/1/e").unwrap();
        assert_eq!(e.value, Value::Int(1));
        for (token, escaped) in [
            ("", ""),
            ("plain", "plain"),
            ("app.kubernetes.io/name", "app.kubernetes.io~1name"),
            ("~/é~~", "~0~1é~0~0"),
            ("/", "~1"),
        ] {
            assert_eq!(escape_token(token), escaped);
            assert_eq!(pointer_tokens(&format!("/{escaped}")), [token]);
        }
    }

    #[test]
    fn multi_doc_and_errors() {
        let (f, s) = p("a: 1\n---\n---\nb: [1, 2\n");
        assert_eq!(s.documents.len(), 1);
        let err = s.issues.iter().find(|i| i.fatal).unwrap();
        assert!(f.position(err.span.start()).line >= 4);
    }

    #[test]
    fn non_ascii_and_block_scalars() {
        let (f, s) = p("é: |\n  line\n  two\nk: \"ü\"\n");
        let root = &s.documents[0].root;
        assert_eq!(f.slice(root.get("k").unwrap().span), "\"ü\"");
        assert_eq!(root.get("é").unwrap().as_str(), Some("line\ntwo\n"));
    }

    #[test]
    fn kubectl_lenient_indentation_is_accepted() {
        // Flow brackets and quoted continuation lines at the parent's indentation: YAML 1.2
        // forbids them, libyaml/go-yaml (and so kubectl) accept them.
        let (f, s) = p("a:\n  args: [\n    \"x\",\n  ]\n  d: \"one\n  two\"\n");
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        let root = &s.documents[0].root;
        assert_eq!(root.pointer("/a/d").unwrap().as_str(), Some("one two"));
        assert_eq!(f.slice(root.pointer("/a/args/0").unwrap().span), "\"x\"");
        let (_, bad) = p("a: [1, 2\n");
        assert!(bad.issues.iter().any(|i| i.fatal));
    }

    #[test]
    fn alias_bomb_is_an_error_not_a_hang() {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            t.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let (_, s) = p(&t);
        assert!(s.issues.iter().any(|i| i.fatal));
    }
}
