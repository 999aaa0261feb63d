//! Turning structural fixes (set / remove / add at a path) into text edits that keep comments
//! and the formatting of untouched lines.
//!
//! Each operation is applied to the file text, the text is re-parsed, and the next operation is
//! planned on the new tree; the final text is compared with the original to produce one minimal
//! edit. A fix that would not leave valid YAML yields no edit (it is then display-only).

use crate::diagnostic::{FixOp, TextEdit};
use crate::manifest::yaml::{self, Node, Style, Value, pointer_tokens, resolve_plain};
use crate::source::{Source, SourceFile, Span};

/// Render a JSON value as a YAML scalar or flow collection.
pub fn render_value(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => render_str(s),
        J::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(render_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        J::Object(m) => {
            format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{}: {}", render_str(k), render_value(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

fn render_str(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && matches!(resolve_plain(s), Value::Str(_))
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(['\n', '\r', '\t', ',', '[', ']', '{', '}'])
        && !s.ends_with(':');
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn line_end(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    match rest.find(['\n', '\r']) {
        Some(i) => at + i,
        None => text.len(),
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The file's line ending, as its first line ends.
fn newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

fn column(text: &str, at: usize) -> usize {
    text[line_start(text, at)..at].chars().count()
}

/// Nested block for the missing keys `tokens` holding `value`, each line indented by `indent`.
fn block(tokens: &[String], value: &serde_json::Value, indent: usize, nl: &str) -> String {
    let mut out = String::new();
    for (depth, t) in tokens.iter().enumerate() {
        if depth > 0 {
            out.push_str(nl);
        }
        out.push_str(&" ".repeat(indent + 2 * depth));
        out.push_str(&render_str(t));
        out.push(':');
        if depth + 1 == tokens.len() {
            out.push(' ');
            out.push_str(&render_value(value));
        }
    }
    out
}

fn flow(tokens: &[String], value: &serde_json::Value) -> String {
    let mut v = value.clone();
    for t in tokens.iter().rev() {
        let mut m = serde_json::Map::new();
        m.insert(t.clone(), v);
        v = serde_json::Value::Object(m);
    }
    render_value(&v)
}

/// Document `doc_index` of `text`, parsed (`None` when the text does not parse).
pub(crate) fn parse_doc(text: &str, doc_index: usize) -> Option<Node> {
    let src = SourceFile::new("fix", text);
    let parsed = yaml::parse(&src);
    if parsed.issues.iter().any(|i| i.fatal) {
        return None;
    }
    let root = parsed
        .documents
        .into_iter()
        .find(|d| d.index == doc_index)?;
    Some(root.root)
}

/// An empty value's span sits on the `:` of its key; insert after it.
fn after_colon(text: &str, span: Span) -> Span {
    if text.as_bytes().get(span.start()) == Some(&b':') {
        Span::empty(span.start() + 1)
    } else {
        span
    }
}

/// One operation's change to the text: `at` replaced by `with` (empty `at` and `with`: no
/// change).
struct Splice {
    at: Span,
    with: String,
}

impl Splice {
    fn unchanged() -> Self {
        Splice {
            at: Span::empty(0),
            with: String::new(),
        }
    }
    fn is_unchanged(&self) -> bool {
        self.at.start() == self.at.end() && self.with.is_empty()
    }
    fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + self.with.len());
        out.push_str(&text[..self.at.start()]);
        out.push_str(&self.with);
        out.push_str(&text[self.at.end()..]);
        out
    }
}

fn splice(span: Span, with: &str) -> Splice {
    Splice {
        at: span,
        with: with.to_string(),
    }
}

fn set(text: &str, root: &Node, path: &str, value: &serde_json::Value) -> Option<Splice> {
    let nl = newline(text);
    if let Some(target) = root.pointer(path) {
        if target.span.start() == target.span.end() {
            // `key:` with nothing after it.
            return Some(splice(
                after_colon(text, target.span),
                &format!(" {}", render_value(value)),
            ));
        }
        return Some(splice(target.span, &render_value(value)));
    }
    let (anc, at) = root.nearest(path);
    let all = pointer_tokens(path);
    let have = pointer_tokens(&at).len();
    let missing = &all[have..];
    match &anc.value {
        Value::Map(entries) if anc.style == Style::BlockCollection && !entries.is_empty() => {
            let indent = column(text, entries[0].0.span.start());
            let at = line_end(text, anc.span.end());
            Some(splice(
                Span::empty(at),
                &format!("{nl}{}", block(missing, value, indent, nl)),
            ))
        }
        Value::Map(entries) if anc.style == Style::FlowCollection => {
            let close = anc.span.end().checked_sub(1)?;
            let sep = if entries.is_empty() { "" } else { ", " };
            let inner = flow(missing, value);
            Some(splice(
                Span::empty(close),
                &format!("{sep}{}", &inner[1..inner.len() - 1]),
            ))
        }
        Value::Null => {
            let rendered = flow(missing, value);
            if anc.span.start() == anc.span.end() {
                Some(splice(after_colon(text, anc.span), &format!(" {rendered}")))
            } else {
                Some(splice(anc.span, &rendered))
            }
        }
        _ => None,
    }
}

fn remove(text: &str, root: &Node, path: &str) -> Option<Splice> {
    let tokens = pointer_tokens(path);
    let (last, parents) = tokens.split_last()?;
    let parent_ptr: String = parents
        .iter()
        .map(|t| format!("/{}", yaml::escape_token(t)))
        .collect();
    let Some(parent) = root.pointer(&parent_ptr) else {
        return Some(Splice::unchanged());
    };
    let Some(target) = parent.child(last) else {
        return Some(Splice::unchanged());
    };
    if parent.style == Style::FlowCollection {
        let mut j = parent.to_json();
        match &mut j {
            serde_json::Value::Object(m) => {
                m.remove(last.as_str());
            }
            serde_json::Value::Array(a) => {
                let i: usize = last.parse().ok()?;
                a.remove(i);
            }
            _ => return None,
        }
        return Some(splice(parent.span, &render_value(&j)));
    }
    let start = match &parent.value {
        Value::Map(_) => parent.key_span_of(last)?.start(),
        Value::Seq(_) => text[..target.span.start()].rfind('-')?,
        _ => return None,
    };
    let from = line_start(text, start);
    if text[from..start].trim() != "" {
        // Something else precedes it on the line (e.g. `- name: x` first key); remove in place.
        let end = line_end(text, target.span.end().max(start));
        let mut e = end;
        if text[e..].starts_with("\r\n") {
            e += 2;
        } else if text[e..].starts_with('\n') {
            e += 1;
        }
        let indent = column(text, start);
        let next_line = &text[e..line_end(text, e)];
        let next_indent = next_line.len() - next_line.trim_start().len();
        if next_indent == indent && !next_line.trim().is_empty() {
            // Pull the next key up onto this line.
            return Some(splice(Span::new(start, e + next_indent), ""));
        }
        return None;
    }
    let mut end = line_end(text, target.span.end().max(start));
    if text[end..].starts_with("\r\n") {
        end += 2;
    } else if text[end..].starts_with('\n') {
        end += 1;
    }
    Some(splice(Span::new(from, end), ""))
}

trait KeySpan {
    fn key_span_of(&self, key: &str) -> Option<Span>;
}
impl KeySpan for Node {
    fn key_span_of(&self, key: &str) -> Option<Span> {
        self.get_key(key).map(|k| k.span)
    }
}

fn add(text: &str, root: &Node, path: &str, value: &serde_json::Value) -> Option<Splice> {
    let nl = newline(text);
    match root.pointer(path) {
        None => set(
            text,
            root,
            path,
            &serde_json::Value::Array(vec![value.clone()]),
        ),
        Some(n) if n.is_null() => set(
            text,
            root,
            path,
            &serde_json::Value::Array(vec![value.clone()]),
        ),
        Some(n) => {
            let items = n.as_seq()?;
            if items.iter().any(|i| &i.to_json() == value) {
                return Some(Splice::unchanged());
            }
            if n.style == Style::FlowCollection {
                let close = n.span.end().checked_sub(1)?;
                let sep = if items.is_empty() { "" } else { ", " };
                return Some(splice(
                    Span::empty(close),
                    &format!("{sep}{}", render_value(value)),
                ));
            }
            let first = items.first()?;
            let dash = text[..first.span.start()].rfind('-')?;
            let indent = column(text, dash);
            let at = line_end(text, n.span.end());
            Some(splice(
                Span::empty(at),
                &format!("{nl}{}- {}", " ".repeat(indent), render_value(value)),
            ))
        }
    }
}

/// Plan text edits for `ops` on the object at `base` of document `doc_index` in `source`.
/// Returns `None` when the change cannot be expressed as a clean text edit.
pub fn plan(source: &Source, doc_index: usize, base: &str, ops: &[FixOp]) -> Option<Vec<TextEdit>> {
    plan_with_tree(source, None, doc_index, base, ops)
}

/// [`plan`], given the already-parsed tree of document `doc_index` of `source` (the engine has
/// it): the first operation is planned on it instead of on a fresh parse of the file.
pub fn plan_with_tree(
    source: &Source,
    document: Option<&Node>,
    doc_index: usize,
    base: &str,
    ops: &[FixOp],
) -> Option<Vec<TextEdit>> {
    let original = source.text.as_str();
    if let (Some(doc), [op]) = (document, ops) {
        return plan_one(source, doc, doc_index, base, op);
    }
    let (text, rest) = match (document, ops.split_first()) {
        (Some(doc), Some((first, rest))) => {
            let text = plan_op(original, doc.pointer(base)?, first)?.apply(original);
            (text, rest)
        }
        _ => (original.to_string(), ops),
    };
    let text = plan_rest(text, doc_index, base, rest)?;
    Some(line_edit(source, 0, original, &text))
}

/// `ops` without the removals that change nothing: of a field `obj` (the object's root) lacks,
/// which no other operation writes, at it, above or below it. `None` when none is left out (or
/// all would be). Fewer operations parse less: one is planned on the tree at hand.
pub fn without_idle_removals(obj: &Node, ops: &[FixOp]) -> Option<Vec<FixOp>> {
    let related = |a: &str, b: &str| yaml::pointer_under(a, b) || yaml::pointer_under(b, a);
    let idle = |i: usize, op: &FixOp| {
        op.op == "remove"
            && obj.pointer(&op.path).is_none()
            && (ops.iter().enumerate()).all(|(j, o)| j == i || !related(&o.path, &op.path))
    };
    let kept: Vec<FixOp> = (ops.iter().enumerate())
        .filter(|&(i, op)| !idle(i, op))
        .map(|(_, op)| op.clone())
        .collect();
    (kept.len() < ops.len() && !kept.is_empty()).then_some(kept)
}

/// `text` with `ops` applied one by one, document `doc_index` parsed again for each, and once
/// more to check that the result still holds the object at `base`.
fn plan_rest(mut text: String, doc_index: usize, base: &str, ops: &[FixOp]) -> Option<String> {
    for op in ops {
        let root = parse_doc(&text, doc_index)?;
        text = plan_op(&text, root.pointer(base)?, op)?.apply(&text);
    }
    parse_doc(&text, doc_index)?.pointer(base)?;
    Some(text)
}

/// [`plan`] on `lines` — whole lines of `source` from offset `start`, holding the document whose
/// tree is `doc` (in `source`'s offsets) and nothing of another — parsed there as document 0; the
/// first operation is planned on `doc` rather than on a parse of `lines`. Edits are offsets into
/// `lines`.
pub fn plan_on_lines(
    source: &Source,
    doc: &Node,
    start: usize,
    lines: &Source,
    base: &str,
    ops: &[FixOp],
) -> Option<Vec<TextEdit>> {
    let (first, rest) = ops.split_first()?;
    let sp = plan_op(&source.text, doc.pointer(base)?, first)?;
    let original = lines.text.as_str();
    let within = (sp.at.start().checked_sub(start))
        .zip(sp.at.end().checked_sub(start))
        .filter(|&(_, to)| to <= original.len());
    let Some((from, to)) = within else {
        return plan(lines, 0, base, ops);
    };
    let shifted = Splice {
        at: Span::new(from, to),
        with: sp.with,
    };
    let text = plan_rest(shifted.apply(original), 0, base, rest)?;
    Some(line_edit(lines, 0, original, &text))
}

fn plan_op(text: &str, obj: &Node, op: &FixOp) -> Option<Splice> {
    match op.op {
        "set" => set(text, obj, &op.path, op.value.as_ref()?),
        "remove" => remove(text, obj, &op.path),
        "add" => add(text, obj, &op.path, op.value.as_ref()?),
        _ => None,
    }
}

/// One operation on a document whose tree is at hand: only the lines it touches change, and
/// only the smallest block collection around them is parsed again to check the result (the
/// whole document when there is no such block), so a fix costs about the size of what it
/// changes rather than the size of the file.
fn plan_one(
    source: &Source,
    doc: &Node,
    doc_index: usize,
    base: &str,
    op: &FixOp,
) -> Option<Vec<TextEdit>> {
    let original = source.text.as_str();
    let sp = plan_op(original, doc.pointer(base)?, op)?;
    if sp.is_unchanged() {
        return Some(Vec::new());
    }
    let from = line_start(original, sp.at.start());
    let to = line_end_with_newline(original, sp.at.end());
    let region = format!(
        "{}{}{}",
        &original[from..sp.at.start()],
        sp.with,
        &original[sp.at.end()..to]
    );
    // Where a node ends is known from spans only in a document without anchors: an alias node
    // carries the span of its anchor's node.
    let d_from = line_start(original, doc.span.start());
    let d_to = line_end_with_newline(
        original,
        doc.span.end().saturating_sub(1).max(doc.span.start()),
    );
    let anchors = may_define_anchor(&original[d_from..d_to]);
    let checked = base.is_empty()
        && !anchors
        && (removes_whole_lines(original, &sp)
            || block_still_parses(original, doc, from, to, &region));
    if !checked {
        if !anchors && d_from <= from && to <= d_to {
            // The document's own lines, parsed alone: other documents of the file are untouched.
            let text = format!(
                "{}{}{}",
                &original[d_from..from],
                region,
                &original[to..d_to]
            );
            parse_doc(&text, 0)?.pointer(base)?;
        } else {
            parse_doc(&sp.apply(original), doc_index)?.pointer(base)?;
        }
    }
    Some(line_edit(source, from, &original[from..to], &region))
}

/// Could `text` define a YAML anchor (`&name`)? An alias node carries the span of its anchor's
/// node, so where anchors may be, spans do not tell where a node ends and fixes parse the whole
/// file again. An anchor can only open a node: after indentation, `-`, `:`, `?`, `[`, `{`, `,`
/// or a tag, with blanks between. Any `&` there counts (in a string too: that only costs a
/// parse); one after other text on its line (`sh -c "make && run"`, `?a=1&b=2`) cannot be one.
pub(crate) fn may_define_anchor(text: &str) -> bool {
    text.match_indices('&').any(|(at, _)| {
        let line = &text[line_start(text, at)..at];
        let before = line.trim_end_matches([' ', '\t']);
        match before.as_bytes().last() {
            None | Some(b'-' | b':' | b'?' | b'[' | b'{' | b',') => true,
            Some(_) => before
                .rsplit([' ', '\t'])
                .next()
                .is_some_and(|word| word.starts_with('!')),
        }
    })
}

/// Does `sp` delete whole lines, none of which defines an anchor or marks a document? That is
/// what `remove` makes of a block mapping entry or sequence item: the lines around it keep their
/// indentation and read as before, so there is nothing to parse again.
fn removes_whole_lines(text: &str, sp: &Splice) -> bool {
    if !sp.with.is_empty() || sp.at.start() >= sp.at.end() {
        return false;
    }
    let removed = &text[sp.at.start()..sp.at.end()];
    line_start(text, sp.at.start()) == sp.at.start()
        && (sp.at.end() == text.len() || removed.ends_with('\n'))
        && !may_define_anchor(removed)
        && !removed
            .lines()
            .any(|l| l.starts_with("---") || l.starts_with("..."))
}

/// The offset just past the line holding `at` and its line break.
fn line_end_with_newline(text: &str, at: usize) -> usize {
    let end = line_end(text, at);
    let rest = &text[end..];
    if rest.starts_with("\r\n") {
        end + 2
    } else if rest.starts_with(['\n', '\r']) {
        end + 1
    } else {
        end
    }
}

/// Does the smallest block collection of `doc` that holds `from..to` still parse, on its own, as
/// one collection of the same kind at the same column once those lines are `region`? Such a
/// block begins its line (or is a mapping after a sequence's `- `, which is blanked out in the
/// fragment), and sits no deeper than any line of `region`, so that what the edit adds belongs
/// to it; everything outside its lines is untouched and reads the same. An alias to an anchor
/// outside it fails the check (and the caller parses the whole document instead).
fn block_still_parses(text: &str, doc: &Node, from: usize, to: usize, region: &str) -> bool {
    let shallowest = region
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '-']).len())
        .min()
        .unwrap_or(0);
    let Some(block) = enclosing_block(text, doc, from, to, shallowest) else {
        return false;
    };
    let b_from = line_start(text, block.span.start());
    let b_to = line_end_with_newline(
        text,
        block.span.end().saturating_sub(1).max(block.span.start()),
    );
    if b_from > from || b_to < to {
        return false;
    }
    let mut fragment = format!("{}{}{}", &text[b_from..from], region, &text[to..b_to]);
    // A mapping that is a sequence item: its line's `- ` (untouched by the edit, which lies
    // within the mapping) becomes blanks, leaving the mapping at its column.
    let lead = block.span.start() - b_from;
    if fragment.get(..lead) != text.get(b_from..block.span.start()) {
        return false;
    }
    if text[b_from..block.span.start()].contains('-') {
        fragment.replace_range(..lead, &" ".repeat(lead));
    }
    let src = SourceFile::new("fix", fragment);
    let parsed = yaml::parse(&src);
    if parsed.issues.iter().any(|i| i.fatal) {
        return false;
    }
    let [only] = parsed.documents.as_slice() else {
        return false;
    };
    let root = &only.root;
    root.style == Style::BlockCollection
        && root.span.start() == lead
        && matches!(
            (&root.value, &block.value),
            (Value::Map(_), Value::Map(_)) | (Value::Seq(_), Value::Seq(_))
        )
}

/// The smallest block collection under `node` whose lines hold `from..to`, that sits at column
/// `shallowest` or less, and that begins its line — or, for a mapping, follows only a
/// sequence's `- ` indicators on it.
fn enclosing_block<'a>(
    text: &str,
    node: &'a Node,
    from: usize,
    to: usize,
    shallowest: usize,
) -> Option<&'a Node> {
    let qualifies = |n: &Node| {
        let lead = &text[line_start(text, n.span.start())..n.span.start()];
        lead.len() <= shallowest
            && (lead.trim().is_empty()
                || (matches!(n.value, Value::Map(_))
                    && lead.ends_with(' ')
                    && lead.split(' ').all(|w| w.is_empty() || w == "-")))
    };
    let holds = |n: &Node| {
        n.style == Style::BlockCollection
            && line_start(text, n.span.start()) <= from
            && line_end_with_newline(text, n.span.end().saturating_sub(1).max(n.span.start())) >= to
    };
    if !holds(node) {
        return None;
    }
    let children: Box<dyn Iterator<Item = &Node>> = match &node.value {
        Value::Map(entries) => Box::new(entries.iter().map(|(_, v)| v)),
        Value::Seq(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    };
    for c in children {
        if let Some(inner) = enclosing_block(text, c, from, to, shallowest) {
            return Some(inner);
        }
    }
    qualifies(node).then_some(node)
}

/// The edit turning `old` (the text at `offset` of `source`) into `new`: whole lines, without
/// the leading and trailing lines they share. Line edits are what suggestions and line diffs
/// show, and they keep untouched lines intact.
fn line_edit(source: &Source, offset: usize, old: &str, new: &str) -> Vec<TextEdit> {
    if old == new {
        return Vec::new();
    }
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let max_suffix = old_lines.len().min(new_lines.len()) - prefix;
    let suffix = old_lines
        .iter()
        .rev()
        .zip(new_lines.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let start: usize = old_lines[..prefix].iter().map(|l| l.len()).sum();
    let end: usize = old.len()
        - old_lines[old_lines.len() - suffix..]
            .iter()
            .map(|l| l.len())
            .sum::<usize>();
    let new_end = new.len()
        - new_lines[new_lines.len() - suffix..]
            .iter()
            .map(|l| l.len())
            .sum::<usize>();
    let span = Span::new(offset + start, offset + end);
    vec![TextEdit {
        span,
        start: source.position(span.start()),
        end: source.position(span.end()),
        content: new[start..new_end].to_string(),
    }]
}

/// Apply non-overlapping edits to `text` (edits sorted by start; overlapping ones are skipped).
/// Returns the new text and how many edits were applied.
pub fn apply(text: &str, edits: &[TextEdit]) -> (String, usize) {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start(), e.span.end()));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut applied = 0;
    for e in sorted {
        if e.span.start() < at || e.span.end() > text.len() {
            continue;
        }
        out.push_str(&text[at..e.span.start()]);
        out.push_str(&e.content);
        at = e.span.end();
        applied += 1;
    }
    out.push_str(&text[at..]);
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anchors_are_told_from_ampersands_inside_scalars() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a:   &x 1\n",
            "- &x 1\n- *x\n",
            "&x a: 1\n",
            "  &x\n",
            "? &x a\n: 1\n",
            "a: [&x 1, &y 2]\n",
            "a: {b: 1,&x c: 2}\n",
            "a: !!str &x 1\n",
            "--- &x\na: 1\n",
            "a:\t&x 1\n",
            "a: \"quoted: &x\"\n",
            "script: |\n  && make\n",
        ] {
            assert!(may_define_anchor(text), "{text:?}");
        }
        for text in [
            "a: 1\n",
            "cmd: sh -c \"make && run\"\n",
            "- make && run\n",
            "url: https://x/?a=1&b=2\n",
            "a: b & c\n",
            "a: '&x'\n",
            "a: \"&x\"\n",
        ] {
            assert!(!may_define_anchor(text), "{text:?}");
        }
        // Every anchor the parser sees is found.
        for text in [
            "a: &x 1\nb: *x\n",
            "- &x [1]\n- *x\n",
            "a: {b: &x 1, c: *x}\n",
        ] {
            let parsed = yaml::parse(&SourceFile::new("x.yaml", text));
            assert!(parsed.issues.is_empty(), "{text:?}");
            assert!(may_define_anchor(text), "{text:?}");
        }
    }

    /// Does either parser accept `text` and define an anchor in it?
    fn parser_sees_anchor(text: &str) -> bool {
        use saphyr_parser::{Event, Parser};
        let mut saphyr = Parser::new_from_str(text);
        let mut defined = false;
        while let Some(Ok((ev, _))) = saphyr.next_event() {
            defined |= match ev {
                Event::Scalar(_, _, a, _)
                | Event::SequenceStart(a, _)
                | Event::MappingStart(a, _) => a != 0,
                _ => false,
            };
        }
        let mut bytes = text.as_bytes();
        let mut libyaml = libyaml_safer::Parser::new();
        libyaml.set_input_string(&mut bytes);
        for _ in 0..10_000 {
            match libyaml.parse() {
                Ok(ev) => {
                    use libyaml_safer::EventData as E;
                    match ev.data {
                        E::StreamEnd => break,
                        E::Scalar { anchor, .. }
                        | E::SequenceStart { anchor, .. }
                        | E::MappingStart { anchor, .. } => defined |= anchor.is_some(),
                        _ => {}
                    }
                }
                Err(_) => break,
            }
        }
        defined
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// The anchor test may be wrong only towards parsing again: every anchor either parser
        /// finds (in texts built from anchors, `&&`, quotes, tags and flow collections) is seen.
        #[test]
        fn every_anchor_a_parser_finds_is_seen(lines in proptest::collection::vec(
            (0usize..6, 0usize..5, 0usize..6, 0usize..4, 0usize..20), 1..7)
        ) {
            const LEAD: [&str; 5] = ["", "- ", "? ", ": ", "--- "];
            const KEY: [&str; 6] = ["a", "b", "\"k\"", "'k'", "&an c", "x&y"];
            const SEP: [&str; 4] = [": ", ":", ":\t", ":   "];
            const VAL: [&str; 20] = ["&x 1", "*x", "x && y", "&y [1, &z 2]", "{a: &w 1}",
                "!!str &v s", "\"q &p\"", "'&s'", "|", "  && b", "a&b", "[&c x]",
                "{&d k: v}", "[a,&e b]", "!t &f", "- &g", "1", "&h", "? &i k", "sh -c 'a & b'"];
            let mut text = String::new();
            for (indent, lead, key, sep, val) in lines {
                text.push_str(&" ".repeat(indent));
                text.push_str(LEAD[lead]);
                text.push_str(KEY[key]);
                text.push_str(SEP[sep]);
                text.push_str(VAL[val]);
                text.push('\n');
            }
            if parser_sees_anchor(&text) {
                proptest::prop_assert!(may_define_anchor(&text), "{:?}", text);
            }
        }
    }

    fn run(text: &str, ops: Vec<FixOp>) -> String {
        let src = SourceFile::new("x.yaml", text);
        let edits = plan(&src, 0, "", &ops).expect("plannable");
        apply(text, &edits).0
    }

    fn op(op: &'static str, path: &str, value: Option<serde_json::Value>) -> FixOp {
        FixOp {
            op,
            path: path.into(),
            value,
        }
    }

    #[test]
    fn removals_that_change_nothing_are_left_out() {
        let src = SourceFile::new("x.yaml", "a:\n  b: 1\n");
        let doc = yaml::parse(&src).documents.remove(0).root;
        let set = op("set", "/a/c", Some(serde_json::json!(true)));
        // The field is missing and nothing else writes there: left out.
        let ops = [set.clone(), op("remove", "/a/d", None)];
        assert_eq!(without_idle_removals(&doc, &ops), Some(vec![set.clone()]));
        // The field is there: kept.
        assert_eq!(
            without_idle_removals(&doc, &[set.clone(), op("remove", "/a/b", None)]),
            None
        );
        // Another operation writes at it, below it or above it: kept.
        for (written, removed) in [("/a/c", "/a/c"), ("/a/c/x", "/a/c"), ("/a/c", "/a/c/y")] {
            let ops = [
                op("set", written, Some(1.into())),
                op("remove", removed, None),
            ];
            assert_eq!(
                without_idle_removals(&doc, &ops),
                None,
                "{written} {removed}"
            );
        }
        // Nothing would be left: left as it is.
        assert_eq!(
            without_idle_removals(&doc, &[op("remove", "/z", None)]),
            None
        );
        // And the fix is the same either way.
        let ops = [set.clone(), op("remove", "/a/d", None)];
        assert_eq!(
            plan_with_tree(&src, Some(&doc), 0, "", &ops),
            plan_with_tree(&src, Some(&doc), 0, "", &[set])
        );
    }

    /// The one-operation path (planned on the engine's tree, checked by re-parsing only the
    /// enclosing block, or not at all for whole-line removals) gives the same edits as the
    /// general path, which re-parses the whole document — or no edit where that one has none.
    #[test]
    fn local_checks_agree_with_whole_document_parses() {
        let docs = [
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3 # keep\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n        securityContext:\n          privileged: true\n      - name: b\n        image: y\n",
            "spec:\n  replicas: &r 3\n  other: *r\n",
            "spec:\n  containers: [{name: a, image: x}]\n  list:\n    - a\n    - b\n",
            "spec:\n  template:\n    spec:\n      containers:\n        - name: a\n          args:\n          - |\n            multi\n            line\n",
            "a: 1\r\nspec:\r\n  replicas: 2\r\n  b: {c: 1}\r\n",
            "---\nx: 1\n---\nspec:\n  replicas: 1\n  hostNetwork: true\n...\n",
            "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        livenessProbe:\n          httpGet:\n            port: 80\n      - name: b\n        securityContext:\n          capabilities:\n            drop:\n            - ALL\n      volumes: []\n",
            "spec:\n  containers:\n  - - x\n  - name: a\n    probe:\n      p: 1\n",
        ];
        let ops = [
            op("remove", "/spec/replicas", None),
            op("set", "/spec/replicas", Some(json!(1))),
            op(
                "set",
                "/spec/template/spec/containers/0/securityContext/privileged",
                Some(json!(false)),
            ),
            op(
                "set",
                "/spec/template/spec/containers/1/securityContext/readOnlyRootFilesystem",
                Some(json!(true)),
            ),
            op(
                "remove",
                "/spec/template/spec/containers/0/securityContext",
                None,
            ),
            op("add", "/spec/list", Some(json!("c"))),
            op("set", "/spec/containers/0/image", Some(json!("y:1"))),
            op("remove", "/spec/hostNetwork", None),
            op(
                "set",
                "/spec/template/spec/containers/0/args/0",
                Some(json!("one")),
            ),
            op("remove", "/spec/template/spec/containers/0/args", None),
            op("set", "/spec/b/d", Some(json!("e"))),
        ];
        for text in docs {
            let src = SourceFile::new("x.yaml", text);
            let parsed = yaml::parse(&src);
            for doc in &parsed.documents {
                for o in &ops {
                    let fast = plan_with_tree(
                        &src,
                        Some(&doc.root),
                        doc.index,
                        "",
                        std::slice::from_ref(o),
                    );
                    let slow = plan_with_tree(&src, None, doc.index, "", std::slice::from_ref(o));
                    assert_eq!(
                        fast, slow,
                        "{} {} on document {} of {text:?}",
                        o.op, o.path, doc.index
                    );
                }
            }
        }
    }

    #[test]
    fn set_existing_and_missing_keep_comments() {
        let t = "spec:\n  # keep me\n  privileged: true # why\n  other: 1\n";
        assert_eq!(
            run(t, vec![op("set", "/spec/privileged", Some(json!(false)))]),
            "spec:\n  # keep me\n  privileged: false # why\n  other: 1\n"
        );
        assert_eq!(
            run(
                t,
                vec![op(
                    "set",
                    "/spec/securityContext/runAsNonRoot",
                    Some(json!(true))
                )]
            ),
            "spec:\n  # keep me\n  privileged: true # why\n  other: 1\n  securityContext:\n    runAsNonRoot: true\n"
        );
    }

    #[test]
    fn set_into_flow_and_null() {
        assert_eq!(
            run("a: {b: 1}\n", vec![op("set", "/a/c", Some(json!("x")))]),
            "a: {b: 1, c: x}\n"
        );
        assert_eq!(
            run("a:\nz: 1\n", vec![op("set", "/a/c", Some(json!(true)))]),
            "a: {c: true}\nz: 1\n"
        );
    }

    #[test]
    fn add_and_remove() {
        let t = "l:\n  - a\n  - b\nk: 1\n";
        assert_eq!(
            run(t, vec![op("add", "/l", Some(json!("c")))]),
            "l:\n  - a\n  - b\n  - c\nk: 1\n"
        );
        assert_eq!(run(t, vec![op("remove", "/k", None)]), "l:\n  - a\n  - b\n");
        assert_eq!(
            run("x: [a]\n", vec![op("add", "/x", Some(json!("ALL")))]),
            "x: [a, ALL]\n"
        );
        assert_eq!(
            run("x: 1\n", vec![op("add", "/d", Some(json!("ALL")))]),
            "x: 1\nd: [ALL]\n"
        );
    }

    /// A key added to a sequence item's mapping, after a nested block, is checked on that
    /// mapping alone (its `- ` blanked out), not on the whole document; a line that leaves the
    /// mapping is not.
    #[test]
    fn the_block_checked_is_the_one_the_edit_adds_to() {
        let text = "spec:\n  containers:\n  - name: a\n    probe:\n      port: 80\n  - name: b\n";
        let src = SourceFile::new("x.yaml", text);
        let doc = &yaml::parse(&src).documents[0].root;
        let from = text.find("      port").expect("line");
        let to = text.find("  - name: b").expect("line");
        let region = "      port: 80\n    securityContext:\n      privileged: false\n";
        let block = enclosing_block(text, doc, from, to, 4).expect("a block");
        assert_eq!(block.span.start(), text.find("name: a").expect("item"));
        assert!(block_still_parses(text, doc, from, to, region));
        let leaves = "      port: 80\n  - name: c\n";
        assert!(!block_still_parses(text, doc, from, to, leaves));
    }

    /// Several operations on one document of a multi-document file: the first planned on the
    /// file's tree gives what planning all of them on a parse of the document's lines gives.
    #[test]
    fn the_first_of_several_operations_is_planned_on_the_tree_at_hand() {
        let text = "a: 1\n---\nspec:\n  containers:\n  - name: x\n    image: y\n---\nb: 2\n";
        let src = SourceFile::new("x.yaml", text);
        let parsed = yaml::parse(&src);
        let doc = &parsed.documents[1].root;
        let start = text.find("spec:").expect("doc");
        let end = text.rfind("---").expect("next");
        let lines = SourceFile::new("x.yaml", &text[start..end]);
        let ops = vec![
            op(
                "set",
                "/spec/containers/0/securityContext/privileged",
                Some(json!(false)),
            ),
            op(
                "set",
                "/spec/containers/0/securityContext/runAsNonRoot",
                Some(json!(true)),
            ),
            op("remove", "/spec/containers/0/image", None),
        ];
        let fresh = plan(&lines, 0, "", &ops).expect("plannable");
        let given = plan_on_lines(&src, doc, start, &lines, "", &ops).expect("plannable");
        assert_eq!(format!("{given:?}"), format!("{fresh:?}"));
        assert_eq!(
            apply(&text[start..end], &given).0,
            "spec:\n  containers:\n  - name: x\n    securityContext:\n      privileged: false\n      runAsNonRoot: true\n"
        );
    }

    #[test]
    fn a_given_tree_plans_like_a_fresh_parse() {
        let text = "a: 1\n---\nspec:\n  x: 1\n  l: [a]\n";
        let src = SourceFile::new("x.yaml", text);
        let tree = yaml::parse(&src)
            .documents
            .into_iter()
            .find(|d| d.index == 1)
            .expect("doc")
            .root;
        let ops = vec![
            op("set", "/spec/z", Some(json!(2))),
            op("add", "/spec/l", Some(json!("b"))),
            op("remove", "/spec/x", None),
        ];
        let fresh = plan(&src, 1, "", &ops).expect("plannable");
        let given = plan_with_tree(&src, Some(&tree), 1, "", &ops).expect("plannable");
        assert_eq!(format!("{given:?}"), format!("{fresh:?}"));
        assert_eq!(
            apply(text, &given).0,
            "a: 1\n---\nspec:\n  l: [a, b]\n  z: 2\n"
        );
    }

    #[test]
    fn strings_that_need_quotes() {
        assert_eq!(render_str("yes"), "\"yes\"");
        assert_eq!(render_str("1.0"), "\"1.0\"");
        assert_eq!(render_str("a: b"), "\"a: b\"");
        assert_eq!(render_str("nginx:1.2"), "nginx:1.2");
    }
}
