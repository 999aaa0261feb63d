//! CODEOWNERS: which dev team owns a manifest path, so a finding can say "you own this object".
//!
//! GitHub's format: one `pattern owner…` per line, `#` comments, the *last* matching line wins,
//! a line without owners un-owns. Patterns follow gitignore: a leading `/` or an inner `/`
//! anchors to the repository root, otherwise the pattern matches at any depth; a trailing `/`
//! (or a directory name) covers everything below.

use globset::{GlobBuilder, GlobMatcher};

/// One CODEOWNERS line.
#[derive(Debug, Clone)]
struct Entry {
    matchers: Vec<GlobMatcher>,
    owners: Vec<String>,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone, Default)]
pub struct CodeOwners {
    entries: Vec<Entry>,
}

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub message: String,
}

fn globs_for(pattern: &str) -> Vec<String> {
    let dir_only = pattern.ends_with('/');
    let p = pattern.trim_end_matches('/');
    let anchored = p.starts_with('/') || p.contains('/');
    let p = p.trim_start_matches('/');
    let base = if anchored || p.starts_with("**") {
        p.to_string()
    } else {
        format!("**/{p}")
    };
    if dir_only {
        vec![format!("{base}/**")]
    } else {
        vec![base.clone(), format!("{base}/**")]
    }
}

impl CodeOwners {
    /// Parse the text of a CODEOWNERS file; unusable lines are returned, not fatal.
    pub fn parse(text: &str) -> (CodeOwners, Vec<BadLine>) {
        let mut entries = Vec::new();
        let mut bad = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let owners: Vec<String> = parts
                .take_while(|p| !p.starts_with('#'))
                .map(str::to_string)
                .collect();
            let mut matchers = Vec::new();
            for g in globs_for(pattern) {
                match GlobBuilder::new(&g).literal_separator(true).build() {
                    Ok(g) => matchers.push(g.compile_matcher()),
                    Err(e) => {
                        bad.push(BadLine {
                            line: i + 1,
                            message: format!("bad pattern `{pattern}`: {e}"),
                        });
                        matchers.clear();
                        break;
                    }
                }
            }
            if !matchers.is_empty() {
                entries.push(Entry { matchers, owners });
            }
        }
        (CodeOwners { entries }, bad)
    }

    /// Does it name no owner at all (no CODEOWNERS file, or one without rules)?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Owners of `path` (relative to the repository root, `/` separators), space-separated;
    /// `None` when no line matches or the last match has no owners.
    pub fn owner_of(&self, path: &str) -> Option<String> {
        let path = path.trim_start_matches("./");
        self.entries
            .iter()
            .rev()
            .find(|e| e.matchers.iter().any(|m| m.is_match(path)))
            .filter(|e| !e.owners.is_empty())
            .map(|e| e.owners.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_match_wins_and_patterns_anchor_like_gitignore() {
        let (co, bad) = CodeOwners::parse(
            "# ops\n* @org/platform\n/apps/payments/ @org/payments # money\n*.secret.yaml @org/sec\napps/legacy\nbase/db @org/dba\n",
        );
        assert!(bad.is_empty());
        assert_eq!(co.owner_of("other.yaml").as_deref(), Some("@org/platform"));
        assert_eq!(
            co.owner_of("apps/payments/deploy.yaml").as_deref(),
            Some("@org/payments")
        );
        assert_eq!(
            co.owner_of("apps/payments/x/db.secret.yaml").as_deref(),
            Some("@org/sec")
        );
        // A line without owners un-owns.
        assert_eq!(co.owner_of("apps/legacy/a.yaml"), None);
        // `base/db` is anchored (inner slash): not matched deeper.
        assert_eq!(co.owner_of("base/db/s.yaml").as_deref(), Some("@org/dba"));
        assert_eq!(
            co.owner_of("x/base/db/s.yaml").as_deref(),
            Some("@org/platform")
        );
    }
}
