//! Semantic comparison of two versions of an object, field by field.
//!
//! Values are compared, not text: formatting, comments, quoting style, map key order and the
//! order of keyed lists and sets (see [`canon::list_kind`]) never produce a change. Keyed list
//! items are matched by key (`containers[name=web]`); ordered lists are aligned with `similar`
//! so an inserted argument is one addition, not a shifted tail. Secret `data` / `stringData`
//! values are redacted here, before anything can print them.

use super::model::{FieldChange, FieldChangeKind};
use crate::manifest::canon::{self, ListKind};
use crate::manifest::yaml::{Node, Value, escape_token};
use crate::source::{SourceFile, Span};
use similar::{Algorithm, DiffOp, capture_diff_slices};

/// The placeholder that replaces Secret values.
pub const REDACTED: &str = "<redacted>";

/// Where the text at a span of a file came from, when it is not that file (a rendered
/// kustomization: the base, patch or kustomization line that set it): (file, 1-based line).
pub type Locate<'l> = dyn Fn(&SourceFile, Span) -> Option<(String, usize)> + 'l;

struct Ctx<'a> {
    old_src: &'a SourceFile,
    new_src: &'a SourceFile,
    locate: Option<&'a Locate<'a>>,
    out: Vec<FieldChange>,
}

impl Ctx<'_> {
    fn at(&self, src: &SourceFile, n: &Node) -> (Option<String>, usize) {
        if let Some((file, line)) = self.locate.and_then(|l| l(src, n.span)) {
            return (Some(file), line);
        }
        (None, src.position(n.span.start()).line)
    }
    fn push(
        &mut self,
        path: String,
        kind: FieldChangeKind,
        old: Option<&Node>,
        new: Option<&Node>,
    ) {
        let o = old.map(|n| self.at(self.old_src, n));
        let n = new.map(|n| self.at(self.new_src, n));
        self.out.push(FieldChange {
            path,
            kind,
            old: old.map(Node::to_json),
            new: new.map(Node::to_json),
            old_line: o.as_ref().map(|x| x.1),
            new_line: n.as_ref().map(|x| x.1),
            old_file: o.and_then(|x| x.0),
            new_file: n.and_then(|x| x.0),
        });
    }
}

fn is_collection(n: &Node) -> bool {
    matches!(n.value, Value::Seq(_) | Value::Map(_))
}

fn walk(cx: &mut Ctx<'_>, old: &Node, new: &Node, path: &str, field: &str) {
    match (&old.value, &new.value) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, v) in a {
                let p = format!("{path}/{}", escape_token(&k.text));
                match new.get(&k.text) {
                    Some(w) => walk(cx, v, w, &p, &k.text),
                    None => cx.push(p, FieldChangeKind::Removed, Some(v), None),
                }
            }
            for (k, w) in b {
                if old.get(&k.text).is_none() {
                    cx.push(
                        format!("{path}/{}", escape_token(&k.text)),
                        FieldChangeKind::Added,
                        None,
                        Some(w),
                    );
                }
            }
        }
        (Value::Seq(a), Value::Seq(b)) => list(cx, a, b, path, field),
        _ if !is_collection(old)
            && !is_collection(new)
            && canon::scalar_eq(&old.value, &new.value) => {}
        _ => cx.push(
            path.to_string(),
            FieldChangeKind::Changed,
            Some(old),
            Some(new),
        ),
    }
}

fn list(cx: &mut Ctx<'_>, a: &[Node], b: &[Node], path: &str, field: &str) {
    let (ka, kb) = (canon::list_kind(field, a), canon::list_kind(field, b));
    // The two sides can disagree (an empty list is ordered; the named-entry heuristic needs two
    // items): a key wins when every item on both sides has it.
    let keyed_both = |keys: &[&str]| {
        a.iter()
            .chain(b)
            .all(|i| i.as_map().is_some() && keys.iter().any(|f| i.get(f).is_some()))
    };
    let kind = match (&ka, &kb) {
        (x, y) if x == y => ka.clone(),
        (ListKind::Keyed(k), _) | (_, ListKind::Keyed(k)) if keyed_both(k) => {
            ListKind::Keyed(k.clone())
        }
        (ListKind::Set, _) | (_, ListKind::Set) => ListKind::Set,
        _ => ListKind::Ordered,
    };
    match kind {
        ListKind::Keyed(keys) => {
            let (xa, xb) = (canon::item_keys(a, &keys), canon::item_keys(b, &keys));
            for (k, item) in xa.iter().zip(a) {
                let p = format!("{path}[{k}]");
                match xb.iter().position(|q| q == k) {
                    Some(j) => walk(cx, item, &b[j], &p, ""),
                    None => cx.push(p, FieldChangeKind::Removed, Some(item), None),
                }
            }
            for (k, item) in xb.iter().zip(b) {
                if !xa.contains(k) {
                    cx.push(
                        format!("{path}[{k}]"),
                        FieldChangeKind::Added,
                        None,
                        Some(item),
                    );
                }
            }
        }
        ListKind::Set => {
            let ha: Vec<u64> = a.iter().map(|i| canon::hash(i, "")).collect();
            let hb: Vec<u64> = b.iter().map(|i| canon::hash(i, "")).collect();
            let mut used = vec![false; b.len()];
            let mut removed = Vec::new();
            for (i, h) in ha.iter().enumerate() {
                match (0..b.len()).find(|j| !used[*j] && hb[*j] == *h) {
                    Some(j) => used[j] = true,
                    None => removed.push(i),
                }
            }
            for i in removed {
                cx.push(
                    format!("{path}/{i}"),
                    FieldChangeKind::Removed,
                    Some(&a[i]),
                    None,
                );
            }
            for (j, u) in used.iter().enumerate() {
                if !u {
                    cx.push(
                        format!("{path}/{j}"),
                        FieldChangeKind::Added,
                        None,
                        Some(&b[j]),
                    );
                }
            }
        }
        ListKind::Ordered => {
            let ha: Vec<u64> = a.iter().map(|i| canon::hash(i, "")).collect();
            let hb: Vec<u64> = b.iter().map(|i| canon::hash(i, "")).collect();
            let removed = |cx: &mut Ctx<'_>, from: usize, to: usize| {
                for (i, item) in a.iter().enumerate().take(to).skip(from) {
                    cx.push(
                        format!("{path}/{i}"),
                        FieldChangeKind::Removed,
                        Some(item),
                        None,
                    );
                }
            };
            let added = |cx: &mut Ctx<'_>, from: usize, to: usize| {
                for (j, item) in b.iter().enumerate().take(to).skip(from) {
                    cx.push(
                        format!("{path}/{j}"),
                        FieldChangeKind::Added,
                        None,
                        Some(item),
                    );
                }
            };
            for op in capture_diff_slices(Algorithm::Myers, &ha, &hb) {
                match op {
                    DiffOp::Equal { .. } => {}
                    DiffOp::Delete {
                        old_index, old_len, ..
                    } => removed(cx, old_index, old_index + old_len),
                    DiffOp::Insert {
                        new_index, new_len, ..
                    } => added(cx, new_index, new_index + new_len),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } => {
                        let n = old_len.min(new_len);
                        for k in 0..n {
                            walk(
                                cx,
                                &a[old_index + k],
                                &b[new_index + k],
                                &format!("{path}/{}", new_index + k),
                                "",
                            );
                        }
                        removed(cx, old_index + n, old_index + old_len);
                        added(cx, new_index + n, new_index + new_len);
                    }
                }
            }
        }
    }
}

/// Is `path` Secret data (`/data…` or `/stringData…`)?
pub fn is_secret_data(path: &str) -> bool {
    ["/data", "/stringData"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Replace every scalar in `v` with the redaction placeholder.
pub fn redact_value(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), redact_value(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(redact_value).collect())
        }
        _ => serde_json::Value::String(REDACTED.into()),
    }
}

/// The field changes from `old` (in `old_src`) to `new` (in `new_src`), in document order.
/// With `secret`, values under `data` and `stringData` are redacted.
pub fn diff(
    old: &Node,
    old_src: &SourceFile,
    new: &Node,
    new_src: &SourceFile,
    secret: bool,
) -> Vec<FieldChange> {
    diff_located(old, old_src, new, new_src, secret, None)
}

/// [`diff`], with field lines moved by `locate` to the file and line that set each value
/// (rendered kustomizations).
pub fn diff_located(
    old: &Node,
    old_src: &SourceFile,
    new: &Node,
    new_src: &SourceFile,
    secret: bool,
    locate: Option<&Locate<'_>>,
) -> Vec<FieldChange> {
    let mut cx = Ctx {
        old_src,
        new_src,
        locate,
        out: Vec::new(),
    };
    walk(&mut cx, old, new, "", "");
    if secret {
        for c in &mut cx.out {
            if is_secret_data(&c.path) {
                c.old = c.old.as_ref().map(redact_value);
                c.new = c.new.as_ref().map(redact_value);
            }
        }
    }
    cx.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse;

    fn changes(a: &str, b: &str) -> Vec<(String, FieldChangeKind)> {
        let (sa, sb) = (SourceFile::new("a", a), SourceFile::new("b", b));
        let (na, nb) = (
            parse(&sa).documents.remove(0).root,
            parse(&sb).documents.remove(0).root,
        );
        diff(&na, &sa, &nb, &sb, false)
            .into_iter()
            .map(|c| (c.path, c.kind))
            .collect()
    }

    #[test]
    fn formatting_and_order_are_not_changes() {
        let a = "spec:\n  # comment\n  containers:\n  - name: a\n    image: x\n    env: [{name: A, value: '1'}, {name: B, value: \"2\"}]\n  - name: b\n    image: y1\n";
        let b = "{\"spec\": {\"containers\": [{\"image\": \"y1\", \"name\": \"b\"}, {\"name\": \"a\", \"env\": [{\"name\": \"B\", \"value\": \"2\"}, {\"name\": \"A\", \"value\": \"1\"}], \"image\": \"x\"}]}}";
        assert_eq!(changes(a, b), vec![]);
    }

    #[test]
    fn keyed_and_ordered_changes() {
        let a = "spec:\n  containers:\n  - name: a\n    image: x\n    args: [--a, --b]\n  - name: b\n    image: y\n";
        let b = "spec:\n  containers:\n  - name: b\n    image: z\n  - name: a\n    image: x\n    args: [--a, --new, --b]\n  - name: c\n";
        assert_eq!(
            changes(a, b),
            vec![
                (
                    "/spec/containers[name=a]/args/1".into(),
                    FieldChangeKind::Added
                ),
                (
                    "/spec/containers[name=b]/image".into(),
                    FieldChangeKind::Changed
                ),
                ("/spec/containers[name=c]".into(), FieldChangeKind::Added),
            ]
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let (sa, sb) = (
            SourceFile::new("a", "data:\n  k: c2VjcmV0\n"),
            SourceFile::new("b", "data:\n  k: bmV3\n  j: eA==\n"),
        );
        let (na, nb) = (
            parse(&sa).documents.remove(0).root,
            parse(&sb).documents.remove(0).root,
        );
        let c = diff(&na, &sa, &nb, &sb, true);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].old, Some(serde_json::json!(REDACTED)));
        assert_eq!(c[0].new, Some(serde_json::json!(REDACTED)));
        assert_eq!(c[0].new_line, Some(2));
        assert!(!format!("{c:?}").contains("bmV3"));
    }
}
