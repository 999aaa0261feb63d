//! The rendered-object tree: a YAML value where every node and key remembers where it came from.
//!
//! Rendering mixes nodes from several files (a base resource, a patch, a generator, a field of a
//! kustomization), so the span-keeping [`Node`] of one file cannot hold the result. A [`RNode`]
//! keeps an [`Origin`] — file and span — per node and per key. [`emit`] serializes rendered
//! objects into one synthetic YAML stream and returns the table from each emitted span back to
//! its origin, with the stream's parsed tree built while writing it (exactly what parsing the text
//! gives, so the stream is not parsed again; where it cannot be sure, it leaves that to the
//! parser). The synthetic stream is linted like any file, and each finding is then mapped back
//! through that table (see [`Provenance::lookup`]).

use crate::manifest::yaml::{self, Key, Node, Style, Value};
use crate::source::{Source, Span};
use compact_str::CompactString;
use std::collections::HashMap;
use std::sync::Arc;

/// Where a rendered node came from.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The file.
    pub source: Source,
    /// The span of the node (or key) in that file.
    pub span: Span,
    /// Is the rendered value a verbatim copy of the text at `span`? (False for values a
    /// kustomization field computed, like an image rewritten from `newTag`.) Only exact origins
    /// receive text fixes.
    pub exact: bool,
}

/// A mapping key with its origin.
#[derive(Clone, Debug)]
pub struct RKey {
    /// Key text (inline up to 24 bytes: most keys and values allocate nothing).
    pub text: CompactString,
    /// Where the key was written.
    pub origin: Option<Origin>,
}

/// A rendered value.
#[derive(Clone, Debug)]
pub enum RVal {
    /// `null`.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// String.
    Str(CompactString),
    /// Sequence.
    Seq(Vec<RNode>),
    /// Mapping in order.
    Map(Vec<(RKey, RNode)>),
}

/// A rendered node with its origin.
#[derive(Clone, Debug)]
pub struct RNode {
    /// The value.
    pub value: RVal,
    /// Where it came from (None only for values built with no source at all).
    pub origin: Option<Origin>,
}

impl RNode {
    /// A node from a parsed file, every span translated by `map` (identity for plain files, the
    /// inline-string translation for patches written inside a kustomization).
    pub fn from_node(source: &Source, node: &Node, map: &dyn Fn(Span) -> Span) -> RNode {
        let origin = |span: Span| {
            Some(Origin {
                source: source.clone(),
                span: map(span),
                exact: true,
            })
        };
        let value = match &node.value {
            Value::Null => RVal::Null,
            Value::Bool(b) => RVal::Bool(*b),
            Value::Int(i) => RVal::Int(*i),
            Value::Float(f) => RVal::Float(*f),
            Value::Str(s) => RVal::Str(s.clone()),
            Value::Seq(items) => RVal::Seq(
                items
                    .iter()
                    .map(|n| RNode::from_node(source, n, map))
                    .collect(),
            ),
            Value::Map(entries) => RVal::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            RKey {
                                text: k.text.clone(),
                                origin: origin(k.span),
                            },
                            RNode::from_node(source, v, map),
                        )
                    })
                    .collect(),
            ),
        };
        RNode {
            value,
            origin: origin(node.span),
        }
    }

    /// A string set by a kustomization field at `origin` (not a verbatim copy).
    pub fn computed(value: RVal, origin: Option<&Origin>) -> RNode {
        RNode {
            value,
            origin: origin.map(|o| Origin {
                exact: false,
                ..o.clone()
            }),
        }
    }

    /// A string node with the origin of `origin` (inexact).
    pub fn string(s: impl Into<CompactString>, origin: Option<&Origin>) -> RNode {
        RNode::computed(RVal::Str(s.into()), origin)
    }

    /// Entry for `key`.
    pub fn get(&self, key: &str) -> Option<&RNode> {
        match &self.value {
            RVal::Map(m) => m.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Mutable entry for `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut RNode> {
        match &mut self.value {
            RVal::Map(m) => m.iter_mut().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// String value.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            RVal::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Sequence items.
    pub fn as_seq(&self) -> Option<&[RNode]> {
        match &self.value {
            RVal::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// String at a `/`-separated path of keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        let mut n = self;
        for p in path {
            n = n.get(p)?;
        }
        n.as_str()
    }

    /// Set `key` (replacing or appending), with `key_origin` for a new key.
    pub fn set(&mut self, key: &str, value: RNode, key_origin: Option<&Origin>) {
        if !matches!(self.value, RVal::Map(_)) {
            self.value = RVal::Map(Vec::new());
        }
        if let RVal::Map(m) = &mut self.value {
            if let Some((_, v)) = m.iter_mut().find(|(k, _)| k.text == key) {
                *v = value;
            } else {
                m.push((
                    RKey {
                        text: key.into(),
                        origin: key_origin.map(|o| Origin {
                            exact: false,
                            ..o.clone()
                        }),
                    },
                    value,
                ));
            }
        }
    }

    /// The map at `key`, created (with `origin`) when missing or not a map.
    pub fn map_entry(&mut self, key: &str, origin: Option<&Origin>) -> &mut RNode {
        let present = self
            .get(key)
            .is_some_and(|n| matches!(n.value, RVal::Map(_)));
        if !present {
            self.set(key, RNode::computed(RVal::Map(Vec::new()), origin), origin);
        }
        self.get_mut(key).expect("just set")
    }

    /// Remove `key`; returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        if let RVal::Map(m) = &mut self.value {
            let before = m.len();
            m.retain(|(k, _)| k.text != key);
            return m.len() != before;
        }
        false
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            RVal::Null => J::Null,
            RVal::Bool(b) => J::Bool(*b),
            RVal::Int(i) => J::from(*i),
            RVal::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            RVal::Str(s) => J::String(s.to_string()),
            RVal::Seq(items) => J::Array(items.iter().map(RNode::to_json).collect()),
            RVal::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.text.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Structural equality of values (origins ignored).
    pub fn same_value(&self, other: &RNode) -> bool {
        self.to_json() == other.to_json()
    }
}

/// Synthetic span → origin table of one emitted stream. An entry names its origin's file by
/// its place in the table's own list of files, not by a shared pointer: a stream has an entry
/// for nearly every node, and a pointer each cost an atomic count and 12 bytes more per entry.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    entries: Vec<Entry>,
    /// The files origins are in.
    sources: Vec<Source>,
    /// The span of each emitted document, in order.
    pub docs: Vec<Span>,
}

/// One emitted node or key and where it came from.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Its span in the emitted text.
    at: Span,
    /// Its span in the origin's file.
    span: Span,
    /// The origin's file (its place in [`Provenance::sources`]), and in the top bit whether
    /// the origin is exact ([`Origin::exact`]).
    file: u32,
}

/// [`Entry::file`]'s bit for an exact origin.
const EXACT: u32 = 1 << 31;

impl Provenance {
    /// The origin of the smallest emitted node or key that contains `span`.
    pub fn lookup(&self, span: Span) -> Option<Origin> {
        self.lookup_entry(span).map(|(_, o)| o)
    }
    /// The smallest emitted node or key that contains `span`: its emitted span and origin.
    pub fn lookup_entry(&self, span: Span) -> Option<(Span, Origin)> {
        // Entries are sorted by (start, larger first) and nest like the tree they came from, so
        // the innermost container is the last one at or before `span.start` that contains it.
        let idx = self
            .entries
            .partition_point(|e| e.at.start() <= span.start());
        self.entries[..idx]
            .iter()
            .rev()
            .find(|e| span.end() <= e.at.end().max(e.at.start() + 1))
            .map(|e| (e.at, self.origin(e)))
    }
    /// The origin of an emitted node whose span is exactly `span`.
    pub fn exact(&self, span: Span) -> Option<Origin> {
        let idx = self
            .entries
            .partition_point(|e| e.at.start() < span.start());
        self.entries[idx..]
            .iter()
            .take_while(|e| e.at.start() == span.start())
            .find(|e| e.at == span)
            .map(|e| self.origin(e))
    }
    fn origin(&self, e: &Entry) -> Origin {
        Origin {
            source: Arc::clone(&self.sources[(e.file & !EXACT) as usize]),
            span: e.span,
            exact: e.file & EXACT != 0,
        }
    }
}

fn plain_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && matches!(yaml::resolve_plain(s), Value::Str(_))
}

/// Append the text of a scalar (or of an empty collection) to `out`.
fn write_scalar(out: &mut String, v: &RVal) {
    use std::fmt::Write as _;
    match v {
        RVal::Null => out.push_str("null"),
        RVal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        RVal::Int(i) => {
            let _ = write!(out, "{i}");
        }
        RVal::Float(f) if f.is_finite() => {
            let start = out.len();
            let _ = write!(out, "{f:?}");
            if !out[start..].contains(['.', 'e', 'E']) {
                out.push_str(".0");
            }
        }
        RVal::Float(_) => out.push_str("null"),
        RVal::Str(s) => {
            write_str(out, s);
        }
        RVal::Seq(_) => out.push_str("[]"),
        RVal::Map(_) => out.push_str("{}"),
    }
}

/// Append a string scalar: plain where it reads back as the same string, else JSON-quoted.
/// Returns whether it was written plain.
fn write_str(out: &mut String, s: &str) -> bool {
    let plain = plain_ok(s);
    if plain {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::Value::String(s.to_string()).to_string());
    }
    plain
}

/// Append `n` spaces.
fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_empty_collection(v: &RVal) -> bool {
    match v {
        RVal::Seq(s) => s.is_empty(),
        RVal::Map(m) => m.is_empty(),
        _ => true,
    }
}

struct Emitter {
    out: String,
    table: Vec<Entry>,
    /// The files of the table's origins, and each one's place among them (by address).
    sources: Vec<Source>,
    places: HashMap<usize, u32>,
    /// The last file looked up and its place: consecutive nodes mostly come from one file.
    last: Option<(usize, u32)>,
    /// Does the tree built alongside the text equal what parsing the text gives? Cleared on
    /// what the builder does not mirror (duplicate keys, unusual characters in a quoted string,
    /// nesting or size at the parser's limits), and the text is then parsed instead.
    exact: bool,
    /// Collections open around the cursor.
    depth: usize,
    /// Nodes built for the current document.
    nodes: usize,
}

impl Emitter {
    /// Open the table entry of a node about to be written at the cursor (with its origin, if
    /// any): entries are opened in the order nodes begin, so the table comes out sorted by
    /// start, enclosing nodes first.
    fn open(&mut self, origin: &Option<Origin>) -> Option<usize> {
        let o = origin.as_ref()?;
        let start = self.out.len();
        self.record(Span::empty(start), o);
        Some(self.table.len() - 1)
    }
    /// Add the table entry of what is at `at`, from `o`.
    fn record(&mut self, at: Span, o: &Origin) {
        let address = Arc::as_ptr(&o.source) as usize;
        let place = match self.last {
            Some((a, place)) if a == address => place,
            _ => {
                let next = (u32::try_from(self.sources.len()).ok())
                    .filter(|&n| n < EXACT)
                    .expect("fewer than 2^31 files");
                let place = *self.places.entry(address).or_insert(next);
                if place == next {
                    self.sources.push(Arc::clone(&o.source));
                }
                self.last = Some((address, place));
                place
            }
        };
        let file = if o.exact { place | EXACT } else { place };
        self.table.push(Entry {
            at,
            span: o.span,
            file,
        });
    }
    /// Close the entry `open` gave, at the end of what was written since (trailing blanks and
    /// line breaks excluded).
    fn close(&mut self, entry: Option<usize>) {
        if let Some(i) = entry {
            let start = self.table[i].at.start();
            let end = self.out.trim_end().len().max(start);
            self.table[i].at = Span::new(start, end);
        }
    }
    /// Write a scalar (or an empty collection) and return its node, typed and spanned as the
    /// parser would read it back.
    fn scalar(&mut self, v: &RVal) -> Node {
        self.nodes += 1;
        let start = self.out.len();
        let (style, value) = match v {
            RVal::Str(s) if write_str(&mut self.out, s) => (Style::Plain, Value::Str(s.clone())),
            RVal::Str(s) => {
                self.exact &= quotes_back(s);
                (Style::Quoted, Value::Str(s.clone()))
            }
            _ => {
                write_scalar(&mut self.out, v);
                match v {
                    RVal::Seq(_) => (Style::FlowCollection, Value::Seq(Box::default())),
                    RVal::Map(_) => (Style::FlowCollection, Value::Map(Box::default())),
                    _ => (Style::Plain, yaml::resolve_plain(&self.out[start..])),
                }
            }
        };
        let span = Span::new(start, self.out.len());
        Node { span, style, value }
    }
    /// Write a mapping key and return it as the parser would read it back.
    fn key(&mut self, k: &RKey) -> Key {
        let start = self.out.len();
        let plain = write_str(&mut self.out, &k.text);
        let span = Span::new(start, self.out.len());
        if let Some(o) = &k.origin {
            self.record(span, o);
        }
        self.exact &= plain || quotes_back(&k.text);
        Key {
            text: k.text.clone(),
            span,
        }
    }
    /// Emit a block collection at `indent`; the cursor is at the start of a fresh line.
    fn block(&mut self, node: &RNode, indent: usize) -> Node {
        self.depth += 1;
        self.nodes += 1;
        // The parser refuses a collection opened at `MAX_DEPTH` levels, and documents past its
        // node budget: left to it.
        self.exact &= self.depth < yaml::MAX_DEPTH && self.nodes < yaml::NODE_BUDGET;
        let start = self.out.len();
        let node = match &node.value {
            RVal::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        pad(&mut self.out, indent);
                    }
                    out.push(self.entry(k, v, indent));
                }
                self.exact &= !yaml::repeats_a_key(&out);
                let end = out.last().map_or(start, |(_, n)| n.span.end());
                Node {
                    span: Span::new(start, end),
                    style: Style::BlockCollection,
                    value: Value::Map(out.into_boxed_slice()),
                }
            }
            RVal::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        pad(&mut self.out, indent);
                    }
                    self.out.push_str("- ");
                    let entry = self.open(&item.origin);
                    let n = if is_empty_collection(&item.value) {
                        let n = self.scalar(&item.value);
                        self.out.push('\n');
                        n
                    } else {
                        self.block(item, indent + 2)
                    };
                    self.close(entry);
                    out.push(n);
                }
                let end = out.last().map_or(start, |n| n.span.end());
                Node {
                    span: Span::new(start, end),
                    style: Style::BlockCollection,
                    value: Value::Seq(out.into_boxed_slice()),
                }
            }
            _ => {
                let entry = self.open(&node.origin);
                let n = self.scalar(&node.value);
                self.close(entry);
                self.out.push('\n');
                n
            }
        };
        self.depth -= 1;
        node
    }
    fn entry(&mut self, k: &RKey, v: &RNode, indent: usize) -> (Key, Node) {
        let key = self.key(k);
        self.out.push(':');
        if is_empty_collection(&v.value) {
            self.out.push(' ');
            let entry = self.open(&v.origin);
            let n = self.scalar(&v.value);
            self.close(entry);
            self.out.push('\n');
            return (key, n);
        }
        self.out.push('\n');
        let child = match v.value {
            RVal::Seq(_) => indent,
            _ => indent + 2,
        };
        pad(&mut self.out, child);
        let start = self.out.len();
        let entry = self.open(&v.origin);
        let mut n = self.block(v, child);
        if let RVal::Seq(_) = &v.value {
            // A sequence written at its key's indentation ("indentless") starts, for the
            // parser, at its first item, after the `- `.
            n.span = Span::new(start + 2, n.span.end());
        }
        self.close(entry);
        (key, n)
    }
}

/// Does the JSON quoting of `s` ([`write_str`]) read back as `s` in YAML? It does for
/// printable text, tabs and line breaks; other control characters, and the characters YAML 1.1
/// took for line breaks or byte-order marks, are left to the parser to decide.
fn quotes_back(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~')
            || (c >= '\u{a0}'
                && !matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ))
    })
}

/// What [`emit`] wrote.
pub struct Emitted {
    /// The synthetic YAML stream.
    pub text: String,
    /// Emitted span → origin.
    pub provenance: Provenance,
    /// The stream's documents as parsing `text` gives them (built while writing it), or `None`
    /// where the text must be parsed to know (see `Emitter::exact`).
    pub documents: Option<Vec<yaml::Document>>,
}

/// Serialize objects as a multi-document YAML stream, with its provenance and, where it can be
/// built while writing, its parsed tree (so the stream need not be parsed again).
pub fn emit(objects: &[&RNode]) -> Emitted {
    let mut e = Emitter {
        out: String::new(),
        table: Vec::new(),
        sources: Vec::new(),
        places: HashMap::new(),
        last: None,
        exact: true,
        depth: 0,
        nodes: 0,
    };
    let mut docs = Vec::with_capacity(objects.len());
    let mut documents = Vec::with_capacity(objects.len());
    for (index, obj) in objects.iter().enumerate() {
        let doc_start = e.out.len();
        e.out.push_str("---\n");
        let start = e.out.len();
        e.nodes = 0;
        let entry = e.open(&obj.origin);
        let root = if is_empty_collection(&obj.value) {
            e.out.push_str("{}\n");
            Node {
                span: Span::new(start, start + 2),
                style: Style::FlowCollection,
                value: Value::Map(Box::default()),
            }
        } else {
            e.block(obj, 0)
        };
        e.close(entry);
        docs.push(Span::new(doc_start, e.out.len()));
        documents.push(yaml::Document { root, index });
    }
    let mut entries = e.table;
    // Sorted by start, enclosing entries first, as they were opened; sorted again only if a
    // case this reasoning missed ever breaks that.
    let order = |a: &Entry, b: &Entry| {
        (a.at.start())
            .cmp(&b.at.start())
            .then(b.at.end().cmp(&a.at.end()))
    };
    if !entries.is_sorted_by(|a, b| order(a, b).is_le()) {
        entries.sort_by(order);
    }
    let exact = e.exact && e.out.len() <= crate::source::MAX_TEXT;
    Emitted {
        text: e.out,
        provenance: Provenance {
            entries,
            sources: e.sources,
            docs,
        },
        documents: exact.then_some(documents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// The first document of `text` (as file `a.yaml`), as a rendered tree.
    fn rendered(text: &str) -> (Source, RNode) {
        let src = SourceFile::new("a.yaml", text);
        let parsed = yaml::parse(&src);
        let root = RNode::from_node(&src, &parsed.documents[0].root, &|s| s);
        (src, root)
    }

    #[test]
    fn emit_round_trips_and_maps_spans_back() {
        let (src, root) = rendered(
            "kind: Pod\nmetadata:\n  name: 'x y'\nspec:\n  containers:\n  - name: a\n    args: []\n    n: 3\n    b: yes\n",
        );
        let Emitted {
            text,
            provenance: prov,
            ..
        } = emit(&[&root]);
        let back = SourceFile::new("synthetic", text.clone());
        let re = yaml::parse(&back);
        assert!(re.issues.is_empty(), "{text}");
        assert_eq!(re.documents[0].root.to_json(), root.to_json());
        let n = re.documents[0]
            .root
            .pointer("/spec/containers/0/b")
            .expect("b");
        let o = prov.lookup(n.span).expect("mapped");
        assert_eq!(src.slice(o.span), "yes");
        let n = re.documents[0]
            .root
            .pointer("/metadata/name")
            .expect("name");
        assert_eq!(
            src.slice(prov.lookup(n.span).expect("mapped").span),
            "'x y'"
        );
    }

    /// What [`emit`] built equals what parsing its text gives, spans and styles included.
    fn assert_built_as_parsed(objects: &[&RNode]) -> bool {
        let Emitted {
            text,
            documents,
            provenance,
        } = emit(objects);
        // The table comes out sorted as it is written, without ties.
        let key = |e: &Entry| (e.at.start(), std::cmp::Reverse(e.at.end()));
        assert!(
            provenance
                .entries
                .windows(2)
                .all(|w| key(&w[0]) < key(&w[1])),
            "{text}"
        );
        let parsed = yaml::parse(&SourceFile::new("synthetic", text.clone()));
        let Some(built) = documents else {
            return false;
        };
        assert!(parsed.issues.is_empty(), "{text}\n{:?}", parsed.issues);
        assert_eq!(built.len(), parsed.documents.len(), "{text}");
        for (b, p) in built.iter().zip(&parsed.documents) {
            assert_eq!(b.index, p.index);
            // Debug output, so that NaN compares equal to itself.
            assert_eq!(format!("{:?}", b.root), format!("{:?}", p.root), "{text}");
        }
        true
    }

    fn origin() -> Option<Origin> {
        Some(Origin {
            source: SourceFile::new("o.yaml", ""),
            span: Span::empty(0),
            exact: true,
        })
    }

    fn key(text: &str) -> RKey {
        RKey {
            text: text.into(),
            origin: origin(),
        }
    }

    fn node(value: RVal) -> RNode {
        RNode {
            value,
            origin: origin(),
        }
    }

    #[test]
    fn the_tree_built_while_writing_is_the_parsed_tree() {
        let (_, root) = rendered(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web, 'a b': \"x\\ny\"}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: a\n        args: [\"--x=1\", yes, '1.5', '']\n        env: []\n        ports:\n        - - 80\n          - {}\n        - containerPort: 8080\n      volumes: ~\n",
        );
        let empty = node(RVal::Map(Vec::new()));
        // `a:\n- []\n- null`: a block sequence, though it starts at a `[`.
        let first_empty = node(RVal::Seq(vec![
            node(RVal::Seq(Vec::new())),
            node(RVal::Null),
        ]));
        let flowish = node(RVal::Map(vec![(key("a"), first_empty)]));
        assert!(assert_built_as_parsed(&[&root, &empty, &root, &flowish]));
    }

    #[test]
    fn what_the_builder_does_not_mirror_is_left_to_the_parser() {
        let dup = node(RVal::Map(vec![
            (key("a"), node(RVal::Int(1))),
            (key("a"), node(RVal::Int(2))),
        ]));
        assert!(!assert_built_as_parsed(&[&dup]));
        let odd = node(RVal::Map(vec![(
            key("a"),
            node(RVal::Str("x\u{85}y".into())),
        )]));
        assert!(!assert_built_as_parsed(&[&odd]));
        let odd_key = node(RVal::Map(vec![(key("\u{1}"), node(RVal::Null))]));
        assert!(!assert_built_as_parsed(&[&odd_key]));
    }

    fn scalar() -> impl proptest::strategy::Strategy<Value = RVal> {
        use proptest::prelude::*;
        prop_oneof![
            Just(RVal::Null),
            any::<bool>().prop_map(RVal::Bool),
            any::<i64>().prop_map(RVal::Int),
            any::<f64>().prop_map(RVal::Float),
            prop::sample::select(vec![
                "",
                "a",
                "yes",
                "1.5",
                "0x1F",
                "- x",
                "a: b",
                "#c",
                "{{ .x }}",
                "<<",
                "~",
                "é",
                "x\ny",
                "\"q\"",
                "back\\slash",
                "tab\tx",
                "a/b.c-d_e",
                " lead",
                "trail ",
            ])
            .prop_map(|s| RVal::Str(s.into())),
            "[ -~\\t\\n\u{a0}-\u{3ff}]{0,8}".prop_map(|s| RVal::Str(s.into())),
        ]
    }

    fn rnode() -> impl proptest::strategy::Strategy<Value = RNode> {
        use proptest::prelude::*;
        let leaf = scalar().prop_map(node);
        leaf.prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|v| node(RVal::Seq(v))),
                prop::collection::btree_map("[a-z<~.-]{0,4}", inner, 0..5).prop_map(|m| {
                    node(RVal::Map(
                        m.into_iter().map(|(k, v)| (key(&k), v)).collect(),
                    ))
                }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_emitted_tree_is_the_parsed_tree(objects in proptest::collection::vec(rnode(), 1..4)) {
            let refs: Vec<&RNode> = objects.iter().collect();
            assert_built_as_parsed(&refs);
        }
    }
}
