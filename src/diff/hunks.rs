//! Text hunks of changed files (line diff by `similar`), with findings attached to the line they
//! concern, and fixes as patches `git apply` accepts.
//!
//! Hunks keep real line numbers of both revisions, which is what a PR review API needs. A line
//! with an introduced finding is always shown, even far from any change (a change elsewhere can
//! raise a finding on an untouched line). Secret data is redacted in the text before diffing,
//! keeping the line count, so numbers stay true.

use super::model::{DiffLine, FileDiff, FileStatus, Hunk, LineTag};
use crate::diagnostic::Diagnostic;
use crate::manifest::{FileManifests, Object};
use crate::source::Span;
use similar::{Algorithm, ChangeTag, TextDiff};
use std::time::Duration;

/// A finding to show under a line: (1-based line, finding index, on the BASE side?).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// 1-based line number at its side.
    pub line: usize,
    /// Index into the introduced findings.
    pub finding: usize,
    /// Is `line` a BASE line (findings about removed objects)?
    pub base: bool,
}

struct Flat<'a> {
    tag: ChangeTag,
    old: Option<usize>,
    new: Option<usize>,
    text: &'a str,
}

/// The diff of one file from `old` to `new` text, with `context` lines around changes and the
/// findings in `marks` attached.
pub fn file_diff(
    path: &str,
    old_path: Option<&str>,
    status: FileStatus,
    old: &str,
    new: &str,
    context: usize,
    marks: &[Mark],
) -> FileDiff {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(Duration::from_secs(2))
        .diff_lines(old, new);
    let mut flat: Vec<Flat<'_>> = Vec::new();
    for op in diff.ops() {
        for c in diff.iter_changes(op) {
            flat.push(Flat {
                tag: c.tag(),
                old: c.old_index(),
                new: c.new_index(),
                text: c.value(),
            });
        }
    }
    let n = flat.len();
    let mut visible = vec![false; n];
    let mut show = |i: usize, r: usize| {
        for v in visible
            .iter_mut()
            .take((i + r + 1).min(n))
            .skip(i.saturating_sub(r))
        {
            *v = true;
        }
    };
    for (i, f) in flat.iter().enumerate() {
        if f.tag != ChangeTag::Equal {
            show(i, context);
        }
    }
    let mut attach: Vec<Vec<usize>> = vec![Vec::new(); n];
    for m in marks {
        let idx = if m.base {
            flat.iter()
                .position(|f| f.old == Some(m.line.saturating_sub(1)) && f.tag != ChangeTag::Insert)
        } else {
            flat.iter()
                .position(|f| f.new == Some(m.line.saturating_sub(1)))
        };
        if let Some(i) = idx {
            attach[i].push(m.finding);
            show(i, 1.min(context));
        }
    }
    // Lines of each side consumed before flat index i.
    let mut old_before = Vec::with_capacity(n + 1);
    let mut new_before = Vec::with_capacity(n + 1);
    let (mut o, mut w) = (0, 0);
    for f in &flat {
        old_before.push(o);
        new_before.push(w);
        if f.old.is_some() {
            o += 1;
        }
        if f.new.is_some() {
            w += 1;
        }
    }
    let mut hunks = Vec::new();
    let mut i = 0;
    while i < n {
        if !visible[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && visible[i] {
            i += 1;
        }
        let lines: Vec<DiffLine> = (start..i)
            .map(|j| {
                let f = &flat[j];
                DiffLine {
                    tag: match f.tag {
                        ChangeTag::Equal => LineTag::Context,
                        ChangeTag::Delete => LineTag::Removed,
                        ChangeTag::Insert => LineTag::Added,
                    },
                    old_line: f.old.map(|x| x + 1),
                    new_line: f.new.map(|x| x + 1),
                    text: f.text.trim_end_matches(['\n', '\r']).to_string(),
                    annotations: std::mem::take(&mut attach[j]),
                }
            })
            .collect();
        let old_len = lines.iter().filter(|l| l.old_line.is_some()).count();
        let new_len = lines.iter().filter(|l| l.new_line.is_some()).count();
        let old_start = if old_len > 0 {
            old_before[start] + 1
        } else {
            old_before[start]
        };
        let new_start = if new_len > 0 {
            new_before[start] + 1
        } else {
            new_before[start]
        };
        hunks.push(Hunk {
            old_start,
            old_len,
            new_start,
            new_len,
            lines,
        });
    }
    let mut changed_lines: Vec<(usize, usize)> = Vec::new();
    for f in &flat {
        if let (ChangeTag::Insert, Some(x)) = (f.tag, f.new) {
            let line = x + 1;
            match changed_lines.last_mut() {
                Some((_, end)) if *end + 1 == line => *end = line,
                _ => changed_lines.push((line, line)),
            }
        }
    }
    FileDiff {
        path: path.to_string(),
        old_path: old_path.map(str::to_string),
        status,
        hunks,
        changed_lines,
    }
}

/// The fix of a finding as a patch for `git apply`: one hunk per edit with a line of context
/// (`None` without text edits, and for Secrets, whose data a patch would reveal).
pub fn fix_patch(d: &Diagnostic) -> Option<String> {
    let f = d.fix.as_ref()?;
    if f.edits.is_empty() || d.object.as_ref().is_some_and(|o| o.kind == "Secret") {
        return None;
    }
    let src = &d.location.source;
    let total = src.lines.line_count();
    let ends_without_newline = !src.text.is_empty() && !src.text.ends_with('\n');
    let mut edits: Vec<&crate::diagnostic::TextEdit> = f.edits.iter().collect();
    edits.sort_by_key(|e| e.span.start());
    let path = d.location.file();
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut delta: isize = 0;
    let mut last_end = 0;
    for e in edits {
        let r = crate::diagnostic::line_replacement(src, e);
        if r.start_line <= last_end {
            continue;
        }
        let before = r.start_line > 1;
        // The last line of a file that ends with a newline is an empty "line" of the index.
        let real_lines = if src.text.ends_with('\n') {
            total - 1
        } else {
            total
        };
        let after = r.end_line < real_lines;
        let start = r.start_line - usize::from(before);
        let old_len = r.old_lines.len() + usize::from(before) + usize::from(after);
        let new_len = r.new_lines.len() + usize::from(before) + usize::from(after);
        let new_start = (start as isize + delta).max(0) as usize;
        out.push_str(&format!(
            "@@ -{start},{old_len} +{new_start},{new_len} @@\n"
        ));
        if before {
            out.push_str(&format!(
                " {}\n",
                src.lines.line_text(&src.text, r.start_line - 1)
            ));
        }
        let no_eol = !after && ends_without_newline;
        for (i, l) in r.old_lines.iter().enumerate() {
            out.push_str(&format!("-{l}\n"));
            if no_eol && i + 1 == r.old_lines.len() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
        for (i, l) in r.new_lines.iter().enumerate() {
            out.push_str(&format!("+{l}\n"));
            if no_eol && i + 1 == r.new_lines.len() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
        if after {
            out.push_str(&format!(
                " {}\n",
                src.lines.line_text(&src.text, r.end_line + 1)
            ));
        }
        delta += r.new_lines.len() as isize - r.old_lines.len() as isize;
        last_end = r.end_line;
    }
    Some(out)
}

/// The placeholder for a Secret value that differs from BASE.
pub const REDACTED_CHANGED: &str = "<redacted, changed>";

/// `file`'s text with the values of every Secret's `data` and `stringData` replaced by a
/// placeholder (line count kept); `changed(secret, key)` picks the "changed" placeholder.
/// `None` when the file holds no Secret.
pub fn redact(file: &FileManifests, changed: &dyn Fn(&Object, &str) -> bool) -> Option<String> {
    let mut spans: Vec<(Span, &str)> = Vec::new();
    for o in file.objects.iter().filter(|o| super::objects::is_secret(o)) {
        for field in ["data", "stringData"] {
            let Some(entries) = o.node().get(field).and_then(|n| n.as_map()) else {
                continue;
            };
            for (k, v) in entries {
                let marker = if changed(
                    o,
                    &format!("/{field}/{}", crate::manifest::yaml::escape_token(&k.text)),
                ) {
                    REDACTED_CHANGED
                } else {
                    super::fields::REDACTED
                };
                // A value without text (`key:`) has an empty span: nothing to hide.
                if v.span.end() > v.span.start() {
                    spans.push((v.span, marker));
                }
            }
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_by_key(|(s, _)| (s.start(), s.end()));
    let text = &file.source.text;
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, marker) in spans {
        if s.start() < at || s.end() > text.len() {
            continue;
        }
        out.push_str(&text[at..s.start()]);
        let seg = &text[s.start()..s.end()];
        for (i, part) in seg.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                let indent = part.len() - part.trim_start().len();
                if !part.trim().is_empty() {
                    out.push_str(&part[..indent]);
                    out.push('…');
                }
            } else {
                out.push_str(marker);
            }
        }
        at = s.end();
    }
    out.push_str(&text[at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest;

    #[test]
    fn hunks_keep_line_numbers_and_marks() {
        let old = (1..=20).map(|i| format!("l{i}\n")).collect::<String>();
        let new = old.replace("l5\n", "l5x\n");
        let d = file_diff(
            "a",
            None,
            FileStatus::Modified,
            &old,
            &new,
            2,
            &[Mark {
                line: 18,
                finding: 0,
                base: false,
            }],
        );
        assert_eq!(d.hunks.len(), 2);
        assert_eq!(
            (
                d.hunks[0].old_start,
                d.hunks[0].old_len,
                d.hunks[0].new_start,
                d.hunks[0].new_len
            ),
            (3, 5, 3, 5)
        );
        assert_eq!(d.changed_lines, vec![(5, 5)]);
        let marked = d.hunks[1]
            .lines
            .iter()
            .find(|l| !l.annotations.is_empty())
            .unwrap();
        assert_eq!(marked.new_line, Some(18));
    }

    #[test]
    fn secrets_are_redacted_keeping_lines() {
        let f = manifest::read(
            "s.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  a: c2VjcmV0\nstringData:\n  b: |\n    line1\n    line2\n  c: \"x\"\n",
        );
        let r = redact(&f, &|_, k| k == "/data/a").unwrap();
        assert!(
            !r.contains("c2VjcmV0") && !r.contains("line1") && !r.contains("\"x\""),
            "{r}"
        );
        assert!(r.contains(REDACTED_CHANGED));
        assert_eq!(r.lines().count(), f.source.text.lines().count());
    }
}
