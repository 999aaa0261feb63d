//! Kubernetes objects read from span-keeping YAML.
//!
//! A file becomes a [`FileManifests`]: its [`SourceFile`], the [`Object`]s it holds (multi-document
//! streams and `kind: List` / `*List` unpacked), the YAML problems found (syntax errors, duplicate
//! keys, half-identified objects) and what was skipped (non-Kubernetes YAML, Helm templates).
//! Objects never copy their YAML: they share the parsed document and keep a pointer to their root.

pub mod canon;
pub mod de;
pub mod workload;
pub mod yaml;

use crate::source::{Source, SourceFile, Span};
use compact_str::CompactString;
use std::sync::Arc;
pub use yaml::{Node, Value};

/// Identity of an object: API group, kind, namespace and name (apiVersion's version is not part
/// of identity, so `apps/v1beta2` → `apps/v1` is the same Deployment).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjectRef {
    /// `apiVersion` as written.
    #[serde(rename = "apiVersion")]
    pub api_version: CompactString,
    /// `kind`.
    pub kind: CompactString,
    /// `metadata.namespace`, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<CompactString>,
    /// `metadata.name` (or `generateName`), if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<CompactString>,
}

impl ObjectRef {
    /// API group (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }
    /// Is it of kind `kind`, in API group `group` (any group when `None`), as a rule's
    /// `Kind` or `group/Kind` names it?
    pub fn is_kind(&self, group: Option<&str>, kind: &str) -> bool {
        self.kind == kind && group.is_none_or(|g| g == self.group())
    }
    /// Version part of apiVersion.
    pub fn version(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((_, v)) => v,
            None => &self.api_version,
        }
    }
    /// Stable identity key: `group/kind/namespace/name`.
    pub fn identity(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.group(),
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name.as_deref().unwrap_or("")
        )
    }
    /// `Kind/name` or `Kind/namespace/name`, for messages.
    pub fn display(&self) -> String {
        let name = self.name.as_deref().unwrap_or("<unnamed>");
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, name),
            None => format!("{} {}", self.kind, name),
        }
    }
}

/// One Kubernetes object inside a file.
#[derive(Debug)]
pub struct Object {
    /// The file it came from.
    pub source: Source,
    /// The parsed document that holds it.
    pub document: Arc<Node>,
    /// Zero-based document index in the file.
    pub doc_index: usize,
    /// JSON Pointer of the object inside its document (`""`, or `/items/3` in a List).
    pub base: String,
    /// Identity.
    pub id: Arc<ObjectRef>,
}

impl Object {
    /// Create an object view over `document` at `base`.
    pub fn new(
        source: Source,
        document: Arc<Node>,
        doc_index: usize,
        base: String,
        id: impl Into<Arc<ObjectRef>>,
    ) -> Self {
        Object {
            source,
            document,
            doc_index,
            base,
            id: id.into(),
        }
    }
    /// The object's root node.
    pub fn node(&self) -> &Node {
        self.document.pointer(&self.base).unwrap_or(&self.document)
    }
    /// Labels (`metadata.labels`) as pairs.
    pub fn labels(&self) -> Vec<(&str, &str)> {
        string_pairs(self.node().pointer("/metadata/labels"))
    }
    /// Annotations (`metadata.annotations`) as pairs.
    pub fn annotations(&self) -> Vec<(&str, &str)> {
        string_pairs(self.node().pointer("/metadata/annotations"))
    }
}

fn string_pairs(node: Option<&Node>) -> Vec<(&str, &str)> {
    node.and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.text.as_str(), v.as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// What kind of problem a file had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// The YAML (or JSON) does not parse.
    Syntax,
    /// The same key appears twice in one mapping.
    DuplicateKey,
    /// A document has `apiVersion` or `kind` but not both, or they are not strings.
    IncompleteObject,
}

/// A problem in a file that is reported as a finding.
#[derive(Clone, Debug)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// Explanation.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Related location (first occurrence of a duplicate key).
    pub related: Option<Span>,
    /// JSON Pointer inside the document, when known.
    pub pointer: String,
}

/// Why a file or document was not linted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// A Helm/Go template (`{{ … }}` outside strings).
    Template,
    /// A YAML document without apiVersion and kind.
    NotKubernetes {
        /// Document index.
        doc: usize,
    },
}

/// Everything read from one file.
#[derive(Debug)]
pub struct FileManifests {
    /// The file.
    pub source: Source,
    /// Kubernetes objects, in file order.
    pub objects: Vec<Object>,
    /// Problems that become findings.
    pub problems: Vec<Problem>,
    /// What was skipped, with the reason.
    pub skipped: Vec<Skip>,
    /// Every parsed document root, in file order (objects or not, skipped or not): the
    /// kustomize renderer reads files through these instead of parsing them again.
    pub documents: Vec<Arc<Node>>,
}

impl FileManifests {
    /// The object at `base` in document `doc_index`, if any.
    pub fn object_at(&self, doc_index: usize, base: &str) -> Option<&Object> {
        let first = self.objects.partition_point(|o| o.doc_index < doc_index);
        (self.objects[first..].iter())
            .take_while(|o| o.doc_index == doc_index)
            .find(|o| o.base == base)
    }
}

/// Parse a file's text into objects.
pub fn read(path: impl Into<String>, text: impl Into<String>) -> FileManifests {
    from_source(SourceFile::new(path, text))
}

/// `text` with only the documents whose roots span `keep` (sorted, not overlapping) left in
/// it: every other byte blanked to a space, line breaks kept, so each kept document parses to
/// the tree it had, at the same offsets, lines and columns, and under the same document index
/// (document markers stay; a first document without one leaves a `~` in its place). Parsing
/// that costs about the kept documents rather than the file. `None` when the text does not
/// lend itself: a directive (`%`) line, or other than ASCII before a kept root on its line.
/// (A document after a `...` without a `---` is numbered differently: callers check.)
pub fn documents_only(text: &str, keep: &[Span]) -> Option<String> {
    let bytes = text.as_bytes();
    let mut spans = keep.iter().filter(|s| s.start() < s.end()).peekable();
    let mut out = bytes.to_vec();
    let (mut i, mut line) = (0, 0);
    let mut first_marker = None;
    while i < bytes.len() {
        if let Some(span) = spans.next_if(|s| s.start() <= i) {
            let end = span.end().min(bytes.len());
            if span.start() < i || !text[line..span.start()].is_ascii() {
                return None;
            }
            i = end.max(i);
            line = text[..i].rfind('\n').map_or(0, |p| p + 1);
            continue;
        }
        let marker = (bytes[line..].starts_with(b"---") || bytes[line..].starts_with(b"..."))
            && bytes.get(line + 3).is_none_or(|b| b" \t\r\n".contains(b));
        match bytes[i] {
            b'\n' => line = i + 1,
            b'%' if i == line => return None,
            b'\r' => {}
            _ if marker && i < line + 3 => {
                first_marker.get_or_insert(line);
            }
            _ => out[i] = b' ',
        }
        i += 1;
    }
    if spans.next().is_some() {
        return None;
    }
    // A first document without a marker, left out, must stay a document, or the ones after
    // it would be numbered one lower.
    let first_marker = first_marker.unwrap_or(bytes.len());
    let first_kept = keep.first().is_some_and(|s| s.start() < first_marker);
    let implicit_first = text[..first_marker].lines().any(|l| {
        let l = l.trim_start();
        !l.is_empty() && !l.starts_with('#')
    });
    if implicit_first
        && !first_kept
        && let Some(p) = (0..first_marker).find(|&p| !matches!(bytes[p], b'\n' | b'\r'))
    {
        out[p] = b'~';
    }
    String::from_utf8(out).ok()
}

/// Objects `wanted` (indices into `file.objects`) of `file` read again from `full`, the
/// file's text: only their documents are parsed ([`documents_only`]) when that gives each of
/// them at its place (document and pointer, [`FileManifests::object_at`]) under the same
/// identity; otherwise the whole text is.
pub fn reparse_objects(file: &FileManifests, full: Source, wanted: &[usize]) -> FileManifests {
    let mut roots: Vec<Span> = (wanted.iter())
        .filter_map(|&i| file.objects.get(i))
        .map(|o| o.document.span)
        .collect();
    roots.sort_by_key(|s| (s.start(), s.end()));
    roots.dedup();
    if let Some(text) = documents_only(&full.text, &roots) {
        let part = from_source(SourceFile::new(full.path.clone(), text));
        let found = |o: &Object| {
            part.object_at(o.doc_index, &o.base)
                .is_some_and(|p| p.id == o.id)
        };
        if (wanted.iter()).all(|&i| file.objects.get(i).is_none_or(found)) {
            return part;
        }
    }
    from_source(full)
}

/// Parse an already-built source file into objects.
pub fn from_source(source: Source) -> FileManifests {
    let parsed = yaml::parse(&source);
    from_parsed(source, parsed)
}

/// The objects of `source`, given what [`yaml::parse`] gives for it (a caller that wrote the
/// text may have built that without parsing).
pub fn from_parsed(source: Source, parsed: yaml::ParsedStream) -> FileManifests {
    let roots: Vec<(usize, Arc<Node>)> = parsed
        .documents
        .into_iter()
        .map(|d| (d.index, Arc::new(d.root)))
        .collect();
    let mut out = FileManifests {
        source: source.clone(),
        objects: Vec::new(),
        problems: Vec::new(),
        skipped: Vec::new(),
        documents: roots.iter().map(|(_, r)| r.clone()).collect(),
    };
    let fatal = parsed.issues.iter().any(|i| i.fatal);
    let has_braces = source.text.contains("{{");
    if has_braces && (fatal || template_outside_strings(&source, roots.iter().map(|(_, r)| &**r))) {
        out.skipped.push(Skip::Template);
        return out;
    }
    for issue in parsed.issues {
        out.problems.push(Problem {
            kind: if issue.fatal {
                ProblemKind::Syntax
            } else {
                ProblemKind::DuplicateKey
            },
            message: issue.message,
            span: issue.span,
            related: issue.first,
            pointer: String::new(),
        });
    }
    for (index, root) in &roots {
        collect(&source, root, *index, String::new(), &mut out);
    }
    out
}

fn collect(source: &Source, doc: &Arc<Node>, index: usize, base: String, out: &mut FileManifests) {
    let Some(node) = doc.pointer(&base) else {
        return;
    };
    let api = node.get("apiVersion");
    let kind = node.get("kind");
    match (api, kind) {
        (None, None) => {
            if base.is_empty() {
                out.skipped.push(Skip::NotKubernetes { doc: index });
            } else {
                out.problems.push(Problem {
                    kind: ProblemKind::IncompleteObject,
                    message: "list item has neither `apiVersion` nor `kind`".into(),
                    span: node.span,
                    related: None,
                    pointer: base,
                });
            }
        }
        (Some(a), Some(k))
            if a.as_str().is_some_and(|s| !s.is_empty())
                && k.as_str().is_some_and(|s| !s.is_empty()) =>
        {
            let api_version = CompactString::from(a.as_str().unwrap_or_default());
            let kind_s = CompactString::from(k.as_str().unwrap_or_default());
            if kind_s.ends_with("List") && node.get("items").is_some_and(|i| i.as_seq().is_some()) {
                let n = node
                    .get("items")
                    .and_then(Node::as_seq)
                    .map_or(0, <[Node]>::len);
                for i in 0..n {
                    collect(source, doc, index, format!("{base}/items/{i}"), out);
                }
                return;
            }
            let meta = node.get("metadata");
            let text = |key: &str| {
                meta.and_then(|m| m.get(key))
                    .and_then(Node::as_str)
                    .map(CompactString::from)
            };
            let id = ObjectRef {
                api_version,
                kind: kind_s,
                namespace: text("namespace"),
                name: text("name").or_else(|| text("generateName")),
            };
            out.objects
                .push(Object::new(source.clone(), doc.clone(), index, base, id));
        }
        (a, k) => {
            let (message, span) = match (a, k) {
                (None, Some(k)) => (
                    "document has `kind` but no `apiVersion`".to_string(),
                    k.span,
                ),
                (Some(a), None) => (
                    "document has `apiVersion` but no `kind`".to_string(),
                    a.span,
                ),
                (Some(a), Some(k)) => {
                    let bad = if a.as_str().is_some_and(|s| !s.is_empty()) {
                        k
                    } else {
                        a
                    };
                    (
                        format!(
                            "`apiVersion` and `kind` must be non-empty strings, got {}",
                            bad.display_value()
                        ),
                        bad.span,
                    )
                }
                (None, None) => unreachable!("handled above"),
            };
            out.problems.push(Problem {
                kind: ProblemKind::IncompleteObject,
                message,
                span,
                related: None,
                pointer: base,
            });
        }
    }
}

/// Is there a `{{` in the file that is not inside a string value or a comment? (The string
/// spans of every document count: a `{{` in the second document is inside its own strings.)
fn template_outside_strings<'a>(
    source: &SourceFile,
    roots: impl Iterator<Item = &'a Node>,
) -> bool {
    let mut spans = Vec::new();
    for root in roots {
        string_spans(root, &mut spans);
    }
    spans.sort_unstable();
    let text = &source.text;
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let at = from + i;
        from = at + 2;
        let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
        let before = &text[line_start..at];
        if before.trim_start().starts_with('#') || before.contains(" #") {
            continue;
        }
        let idx = spans.partition_point(|s: &Span| s.start() <= at);
        let inside = spans[..idx].iter().rev().take(64).any(|s| at < s.end());
        if !inside {
            return true;
        }
    }
    false
}

fn string_spans(node: &Node, out: &mut Vec<Span>) {
    match &node.value {
        Value::Str(_) => out.push(node.span),
        Value::Seq(items) => items.iter().for_each(|n| string_spans(n, out)),
        Value::Map(entries) => {
            for (k, v) in entries {
                out.push(k.span);
                string_spans(v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents of shapes and separators that could trip the blanking: comments, tags and
    /// anchors before roots, flow and block roots, scalar roots, block scalars, `----` lines,
    /// CRLF line ends, lines of other than ASCII.
    const DOCS: &[&str] = &[
        "kind: A\nmetadata: {name: a} # é\n",
        "# lead\n!!map\nkind: B\nlist:\n- x\n- {y: 1}\n",
        "&root\nkind: C\ntext: |\n  ---\n  ...\n",
        "{kind: D, spec: [1, 2]}\n",
        "plain\n----\nscalar\n",
        "kind: E\r\nspec:\r\n  a: b\r\n",
        "- item\n- kind: F\n",
        "kind: G\nnote: \"ü ---\"\n",
    ];

    /// Each subset of one or two documents, from streams of three with every separator.
    #[test]
    fn documents_only_parses_the_kept_documents_as_they_were() {
        let seps = ["---\n", "--- # c\n", "---\n# between\n\n"];
        let mut checked = 0;
        for a in DOCS {
            for b in DOCS {
                for c in [DOCS[0], DOCS[3], DOCS[5]] {
                    for (lead, sep) in ["", "---\n", "# head\n---\n"].iter().zip(seps) {
                        let text = format!("{lead}{a}{sep}{b}{sep}{c}");
                        let whole = yaml::parse(&SourceFile::new("x", text.as_str()));
                        let docs = &whole.documents;
                        assert!(whole.issues.is_empty(), "{text:?}");
                        for keep in [vec![0], vec![1], vec![2], vec![0, 2], vec![1, 2]] {
                            let roots: Vec<Span> =
                                keep.iter().map(|&k| docs[k].root.span).collect();
                            let part = documents_only(&text, &roots).expect("blanks");
                            assert_eq!(part.len(), text.len());
                            let parsed = yaml::parse(&SourceFile::new("x", part.as_str()));
                            assert!(parsed.issues.is_empty(), "{part:?}");
                            for &k in &keep {
                                let again =
                                    parsed.documents.iter().find(|d| d.index == docs[k].index);
                                assert_eq!(
                                    again.map(|d| &d.root),
                                    Some(&docs[k].root),
                                    "{text:?} -> {part:?}"
                                );
                            }
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, DOCS.len() * DOCS.len() * 3 * 3 * 5);
    }

    #[test]
    fn what_documents_only_cannot_keep_is_parsed_whole() {
        // A directive: left to a whole parse.
        assert_eq!(
            documents_only("%YAML 1.2\n---\na: 1\n", &[Span::new(14, 18)]),
            None
        );
        // A document after `...` without a marker would be numbered one lower once the one
        // before it is blanked: the objects are not where they were, so the whole text is read.
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n...\n\
            apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
        let file = read("x.yaml", text);
        assert_eq!(file.objects[1].doc_index, 1);
        let again = reparse_objects(&file, file.source.clone(), &[1]);
        let b = again.object_at(1, "").expect("found at its place");
        assert_eq!(b.id.name.as_deref(), Some("b"));
        // Objects of a List keep their place too.
        let list = "kind: Pod\n---\napiVersion: v1\nkind: List\nitems:\n\
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n\
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n";
        let file = read("l.yaml", list);
        let again = reparse_objects(&file, file.source.clone(), &[1]);
        assert_eq!(again.objects.len(), 2);
        assert!(again.source.text.starts_with("~        \n---\n"));
        assert_eq!(
            again.object_at(1, "/items/1").map(|o| &o.id),
            Some(&file.objects[1].id)
        );
    }

    #[test]
    fn lists_and_skips() {
        let f = read(
            "a.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n---\nfoo: bar\n---\nkind: Pod\n",
        );
        assert_eq!(f.objects.len(), 1);
        assert_eq!(f.objects[0].base, "/items/0");
        assert_eq!(f.objects[0].id.name.as_deref(), Some("a"));
        assert_eq!(f.skipped, vec![Skip::NotKubernetes { doc: 1 }]);
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].kind, ProblemKind::IncompleteObject);
    }

    #[test]
    fn templates_are_skipped_but_strings_with_braces_are_not() {
        let t = read(
            "t.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
        );
        assert_eq!(t.skipped, vec![Skip::Template]);
        let t = read(
            "t.yaml",
            "{{- if .Values.x }}\napiVersion: v1\n{{- end }}\n",
        );
        assert_eq!(t.skipped, vec![Skip::Template]);
        let ok = read(
            "c.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  rule: 'summary: {{ $labels.x }}'\n  b: |\n    {{ range }}\n",
        );
        assert!(ok.skipped.is_empty());
        assert_eq!(ok.objects.len(), 1);
        let second = read(
            "m.yaml",
            "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: b}\ndata: {t: \"{{ .Name }}\"}\n",
        );
        assert!(second.skipped.is_empty(), "{:?}", second.skipped);
        assert_eq!(second.objects.len(), 2);
    }
}
