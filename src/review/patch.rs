//! Which lines of a pull request can carry a review comment.
//!
//! GitHub accepts a review comment only on a line inside a hunk of the PR diff — an added or a
//! context line on the RIGHT (head) side — and one bad line makes the whole review fail with
//! 422. So before posting anything the bot builds this map from the `patch` of every file of
//! `GET /pulls/{n}/files` and routes findings elsewhere when their lines are not in it. A
//! multi-line comment (a suggestion replacing several lines) must also stay inside one hunk.

use super::github::PullFile;
use std::collections::BTreeMap;

/// The RIGHT-side line range of one hunk (1-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hunk {
    /// First head line in the hunk.
    pub start: usize,
    /// Last head line in the hunk.
    pub end: usize,
}

/// RIGHT-side hunks of a unified diff `patch` (as GitHub returns it: hunks only, no file
/// headers). Added and context lines count; deleted lines and `\ No newline` markers do not.
pub fn right_hunks(patch: &str) -> Vec<Hunk> {
    let mut hunks = Vec::new();
    let mut next: Option<usize> = None; // next head line number inside the current hunk
    let mut current: Option<Hunk> = None;
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("@@") {
            if let Some(h) = current.take() {
                hunks.push(h);
            }
            // @@ -a,b +c,d @@ section
            next = rest
                .split_whitespace()
                .find_map(|t| t.strip_prefix('+'))
                .and_then(|t| t.split(',').next())
                .and_then(|n| n.parse::<usize>().ok());
            continue;
        }
        let Some(n) = next else { continue };
        match line.as_bytes().first() {
            Some(b'+') | Some(b' ') | None => {
                // An empty line inside a hunk is a context line whose leading space was trimmed.
                current = Some(match current {
                    Some(h) => Hunk {
                        start: h.start,
                        end: n,
                    },
                    None => Hunk { start: n, end: n },
                });
                next = Some(n + 1);
            }
            _ => {} // '-' deleted, '\' marker
        }
    }
    if let Some(h) = current {
        hunks.push(h);
    }
    hunks
}

/// Commentable lines of every file of a pull request.
#[derive(Debug, Clone, Default)]
pub struct Commentable {
    files: BTreeMap<String, Vec<Hunk>>,
}

impl Commentable {
    /// Build the map from the PR's files (files without a patch have no commentable line).
    pub fn from_files(files: &[PullFile]) -> Self {
        let files = files
            .iter()
            .filter(|f| f.status != "removed")
            .map(|f| {
                (
                    f.filename.clone(),
                    f.patch.as_deref().map(right_hunks).unwrap_or_default(),
                )
            })
            .collect();
        Commentable { files }
    }

    /// Is `path` part of the pull request?
    pub fn has_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Can a comment span lines `start..=end` of `path`? (All inside one hunk.)
    pub fn range(&self, path: &str, start: usize, end: usize) -> bool {
        start <= end
            && self
                .files
                .get(path)
                .is_some_and(|hs| hs.iter().any(|h| h.start <= start && end <= h.end))
    }

    /// Can a comment sit on `line` of `path`?
    pub fn line(&self, path: &str, line: usize) -> bool {
        self.range(path, line, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "@@ -10,6 +10,7 @@ spec:\n       containers:\n-        image: web:1.0\n+        image: web:1.1\n+        securityContext: {}\n         ports:\n \n@@ -40,3 +41,2 @@\n a\n-b\n c\n\\ No newline at end of file";

    #[test]
    fn hunks_cover_added_and_context_lines() {
        assert_eq!(
            right_hunks(PATCH),
            vec![Hunk { start: 10, end: 14 }, Hunk { start: 41, end: 42 }]
        );
        // A pure deletion has no RIGHT lines.
        assert!(right_hunks("@@ -3,2 +2,0 @@\n-a\n-b").is_empty());
        // A new file.
        assert_eq!(
            right_hunks("@@ -0,0 +1,3 @@\n+a\n+b\n+c"),
            vec![Hunk { start: 1, end: 3 }]
        );
    }

    #[test]
    fn ranges_must_stay_in_one_hunk() {
        let files = vec![
            PullFile {
                filename: "a.yaml".into(),
                status: "modified".into(),
                patch: Some(PATCH.into()),
                previous_filename: None,
            },
            PullFile {
                filename: "big.yaml".into(),
                status: "modified".into(),
                patch: None,
                previous_filename: None,
            },
            PullFile {
                filename: "gone.yaml".into(),
                status: "removed".into(),
                patch: Some("@@ -1 +0,0 @@\n-a".into()),
                previous_filename: None,
            },
        ];
        let c = Commentable::from_files(&files);
        assert!(
            c.line("a.yaml", 10)
                && c.line("a.yaml", 12)
                && c.line("a.yaml", 14)
                && c.line("a.yaml", 42)
        );
        assert!(!c.line("a.yaml", 9) && !c.line("a.yaml", 15) && !c.line("a.yaml", 40));
        assert!(c.range("a.yaml", 11, 13));
        assert!(!c.range("a.yaml", 14, 41), "spans two hunks");
        assert!(!c.line("big.yaml", 1) && c.has_file("big.yaml"));
        assert!(!c.has_file("gone.yaml") && !c.line("other.yaml", 1));
    }
}
