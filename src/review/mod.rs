//! `accord review`: the diff engine's introduced / unchanged / fixed findings, delivered to the
//! pull request.
//!
//! Three modes. `annotations` needs no token: workflow-command annotations for introduced
//! findings plus the job summary. `review` posts one PR review (`event: COMMENT`) with an inline
//! comment — what, why, owner, docs, a one-click suggestion when the rule has a fix — on every
//! introduced finding that sits on a commentable line of the PR diff ([`patch`]), and keeps one
//! summary comment per PR up to date. `summary` keeps only the summary comment. Findings already
//! commented (hidden fingerprint markers) are never posted again; findings outside the diff go to
//! the summary. A 403 (fork PRs, read-only tokens) is the caller's cue to fall back to
//! annotations. This module makes HTTP calls through [`github::Client`] but reads no
//! environment: the CLI gathers the context.

pub mod comment;
pub mod event;
pub mod github;
pub mod patch;

use crate::diagnostic::{Applicability, Diagnostic, LineReplacement, lines_replacement};
use crate::render::RuleInfo;
use crate::render::markdown::{self, Rows, escape, findings_table};
use event::PullRequest;
use github::Client;
use patch::Commentable;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

/// Inline comments per review at most (more trips GitHub's abuse detection); the rest are
/// listed in the summary and posted by a later run.
pub const MAX_INLINE: usize = 30;

/// How results reach the pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Workflow annotations and the job summary (no token needed).
    Annotations,
    /// A PR review with inline comments, plus the summary comment.
    Review,
    /// Only the summary comment.
    Summary,
}

/// A waiver that suppressed a finding in this PR's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverUse {
    /// Rule waived.
    pub rule: String,
    /// Object (`Kind ns/name`).
    pub object: String,
    /// Reason written in the waiver.
    pub reason: String,
    /// Who approved it (central waivers); `None` for an annotation written by the author.
    pub approved_by: Option<String>,
    /// Expiry date, if any.
    pub expires: Option<String>,
    /// Where the waiver is written (`file:line`).
    pub location: String,
}

impl WaiverUse {
    /// The waiver in force on `d`, if it is waived.
    pub fn of(d: &Diagnostic) -> Option<WaiverUse> {
        let w = d.waiver.as_ref().filter(|w| !w.expired)?;
        Some(WaiverUse {
            rule: d.rule.clone(),
            object: d
                .object
                .as_ref()
                .map(|o| o.display())
                .unwrap_or_else(|| d.location.file().to_string()),
            reason: w.reason.clone(),
            approved_by: w.approved_by.clone(),
            expires: w.expires.clone(),
            location: format!("{}:{}", w.location.file(), w.location.start.line),
        })
    }
}

/// A rule this PR adds, changes or removes, and the objects whose verdict it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    /// Rule id.
    pub rule: String,
    /// `added`, `changed` or `removed`.
    pub change: String,
    /// Objects the rule flags at the head and did not at the base.
    pub newly_flagged: Vec<String>,
    /// Objects the rule flagged at the base and no longer does.
    pub no_longer_flagged: Vec<String>,
}

/// What changed between the PR's merge base and head.
#[derive(Debug, Clone, Copy)]
pub struct Changes<'a> {
    /// Findings at the head that the base did not have.
    pub introduced: &'a [Diagnostic],
    /// Findings present at both (located at the head).
    pub unchanged: &'a [Diagnostic],
    /// Findings of the base that the head no longer has (located at the base).
    pub fixed: &'a [Diagnostic],
    /// Waivers used at the head.
    pub waivers: &'a [WaiverUse],
    /// Waivers the pull request adds or changes, each needing approval by the rule's owner.
    pub new_waivers: &'a [crate::waiver::NewWaiverNote],
    /// Policy changes and their blast radius.
    pub policy_changes: &'a [PolicyChange],
}

/// The pull request being reviewed.
#[derive(Debug, Clone)]
pub struct Target {
    /// `owner/name`.
    pub repo: String,
    /// Web URL of the GitHub server (`https://github.com`), for links.
    pub server_url: String,
    /// The PR.
    pub pr: PullRequest,
    /// The commit introduced findings were compared against (the merge base).
    pub base_sha: String,
}

impl Target {
    /// Link to `path` at line `line` of commit `sha` (none when the repository is unknown).
    pub fn blob(&self, sha: &str, path: &str, line: usize) -> Option<String> {
        if self.repo.is_empty() {
            return None;
        }
        let path = crate::render::sarif::uri(path);
        let server = self.server_url.trim_end_matches('/');
        Some(format!("{server}/{}/blob/{sha}/{path}#L{line}", self.repo))
    }
}

/// One planned inline comment.
#[derive(Debug, Clone)]
pub struct Inline<'a> {
    /// The finding.
    pub diagnostic: &'a Diagnostic,
    /// File.
    pub path: String,
    /// First line of a multi-line comment.
    pub start_line: Option<usize>,
    /// (Last) line.
    pub line: usize,
    /// Markdown body.
    pub body: String,
}

impl Inline<'_> {
    /// The comment as the reviews API wants it.
    pub fn json(&self) -> Value {
        let mut v =
            json!({ "path": self.path, "line": self.line, "side": "RIGHT", "body": self.body });
        if let Some(s) = self.start_line {
            v["start_line"] = json!(s);
            v["start_side"] = json!("RIGHT");
        }
        v
    }
}

/// Where each introduced finding goes.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// New inline comments.
    pub inline: Vec<Inline<'a>>,
    /// Findings whose comment already exists.
    pub already: Vec<&'a Diagnostic>,
    /// Findings not on a commentable line (or over the per-review limit): summary only.
    pub outside: Vec<&'a Diagnostic>,
}

/// The replacement to suggest for `d`'s fix, if it can be offered as a GitHub suggestion.
fn replacement(d: &Diagnostic) -> Option<LineReplacement> {
    let f = d
        .fix
        .as_ref()
        .filter(|f| f.applicability != Applicability::DisplayOnly && !f.edits.is_empty())?;
    lines_replacement(&d.location.source, &f.edits)
}

/// A pure insertion at the start of a line, re-expressed on the line above (so an insertion at
/// the end of a file, past its last line, can still be suggested).
fn on_line_above(d: &Diagnostic, r: &LineReplacement) -> Option<LineReplacement> {
    let f = d.fix.as_ref()?;
    let [e] = f.edits.as_slice() else { return None };
    let src = &d.location.source;
    if e.span.start() != e.span.end()
        || r.start_line < 2
        || src.lines.line_start(r.start_line) != e.span.start()
    {
        return None;
    }
    let above = src.lines.line_text(&src.text, r.start_line - 1).to_string();
    let mut new_lines = vec![above.clone()];
    new_lines.extend(
        e.content
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string()),
    );
    Some(LineReplacement {
        start_line: r.start_line - 1,
        end_line: r.start_line - 1,
        old_lines: vec![above],
        new_lines,
    })
}

/// Decide, for every introduced finding, whether it becomes an inline comment (and where), is
/// already commented, or can only go to the summary.
pub fn plan<'a>(
    introduced: &'a [Diagnostic],
    commentable: &Commentable,
    posted: &HashSet<String>,
    rules: &[RuleInfo],
) -> Plan<'a> {
    let mut plan = Plan::default();
    let mut claimed: HashSet<(String, usize)> = HashSet::new();
    // Most severe first: they win contested lines and the per-review limit.
    let mut order: Vec<&Diagnostic> = introduced.iter().collect();
    order.sort_by_key(|d| std::cmp::Reverse(d.severity));
    for d in order {
        if posted.contains(&d.fingerprint()) {
            plan.already.push(d);
            continue;
        }
        if plan.inline.len() >= MAX_INLINE {
            plan.outside.push(d);
            continue;
        }
        let path = d.location.file().to_string();
        let rule = rules.iter().find(|r| r.id == d.rule);
        // A suggestion must replace exactly the commented lines, all inside one hunk, and two
        // suggestions may not overlap.
        let free = |s: usize, e: usize, claimed: &HashSet<(String, usize)>| {
            (s..=e).all(|l| !claimed.contains(&(path.clone(), l)))
        };
        let suggestion = replacement(d).and_then(|r| {
            let fits = |r: &LineReplacement| {
                commentable.range(&path, r.start_line, r.end_line)
                    && free(r.start_line, r.end_line, &claimed)
            };
            if fits(&r) {
                Some(r)
            } else {
                on_line_above(d, &r).filter(fits)
            }
        });
        let inline = match suggestion {
            Some(r) => {
                for l in r.start_line..=r.end_line {
                    claimed.insert((path.clone(), l));
                }
                Some(Inline {
                    diagnostic: d,
                    path: path.clone(),
                    start_line: (r.start_line < r.end_line).then_some(r.start_line),
                    line: r.end_line,
                    body: comment::inline(d, rule, Some(&r.new_lines)),
                })
            }
            None => {
                let l = &d.location;
                (l.start.line..=l.end.line.max(l.start.line))
                    .find(|n| commentable.line(&path, *n))
                    .map(|line| Inline {
                        diagnostic: d,
                        path: path.clone(),
                        start_line: None,
                        line,
                        body: comment::inline(d, rule, None),
                    })
            }
        };
        match inline {
            Some(i) => plan.inline.push(i),
            None => plan.outside.push(d),
        }
    }
    plan
}

/// What happened to the summary comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryAction {
    /// A new comment was created.
    Created(u64),
    /// The existing one was edited.
    Updated(u64),
}

/// The result of posting.
#[derive(Debug, Default)]
pub struct Posted<'a> {
    /// Inline comments posted now.
    pub inline: Vec<&'a Diagnostic>,
    /// Findings commented by an earlier run.
    pub already: Vec<&'a Diagnostic>,
    /// Findings only in the summary.
    pub outside: Vec<&'a Diagnostic>,
    /// The summary comment.
    pub summary: Option<SummaryAction>,
    /// GitHub refused some inline comments (422) even after retrying them one by one.
    pub rejected: Vec<String>,
}

/// Post the review (mode `review`) and the summary comment (`review` and `summary`).
pub fn post<'a>(
    client: &Client,
    target: &Target,
    changes: &Changes<'a>,
    rules: &[RuleInfo],
    mode: Mode,
) -> github::Result<Posted<'a>> {
    let n = target.pr.number;
    let repo = &target.repo;
    let mut posted = Posted::default();
    if mode == Mode::Review {
        let files = client.pull_files(repo, n)?;
        let commentable = Commentable::from_files(&files);
        let existing: HashSet<String> = client
            .review_comments(repo, n)?
            .iter()
            .filter_map(|c| c.body.as_deref())
            .flat_map(comment::fingerprints_in)
            .collect();
        let plan = plan(changes.introduced, &commentable, &existing, rules);
        posted.already = plan.already;
        posted.outside = plan.outside;
        if !plan.inline.is_empty() {
            let outside = posted.outside.len();
            let mut body = format!(
                "**accord** found {} new policy finding{} in this pull request: {} commented inline",
                changes.introduced.len(),
                if changes.introduced.len() == 1 {
                    ""
                } else {
                    "s"
                },
                plan.inline.len()
            );
            if outside > 0 {
                let _ = write!(
                    body,
                    ", {outside} outside the diff (listed in the summary comment)"
                );
            }
            body.push('.');
            let review = json!({
                "commit_id": target.pr.head_sha,
                "event": "COMMENT",
                "body": body,
                "comments": plan.inline.iter().map(Inline::json).collect::<Vec<_>>(),
            });
            match client.create_review(repo, n, &review) {
                Ok(_) => posted.inline = plan.inline.iter().map(|i| i.diagnostic).collect(),
                Err(e) if e.status() == Some(422) => {
                    // All-or-nothing: retry one by one so one unresolvable line costs one comment.
                    for i in &plan.inline {
                        let mut c = i.json();
                        c["commit_id"] = json!(target.pr.head_sha);
                        match client.create_review_comment(repo, n, &c) {
                            Ok(_) => posted.inline.push(i.diagnostic),
                            Err(e) if e.status() == Some(422) => {
                                posted.rejected.push(format!("{}:{}: {e}", i.path, i.line));
                                posted.outside.push(i.diagnostic);
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    } else {
        posted.outside = changes.introduced.iter().collect();
    }
    let outside: HashSet<String> = if mode == Mode::Review {
        posted.outside.iter().map(|d| d.fingerprint()).collect()
    } else {
        HashSet::new()
    };
    let body = summary(
        target,
        changes,
        rules,
        &outside,
        None,
        markdown::COMMENT_LIMIT,
    );
    let existing = client.issue_comments(repo, n)?;
    let mine = existing.iter().find(|c| {
        c.body
            .as_deref()
            .is_some_and(|b| b.contains(comment::SUMMARY_MARKER))
    });
    posted.summary = Some(match mine {
        Some(c) => {
            client.update_issue_comment(repo, c.id, &body)?;
            SummaryAction::Updated(c.id)
        }
        None => {
            let v = client.create_issue_comment(repo, n, &body)?;
            SummaryAction::Created(v.get("id").and_then(Value::as_u64).unwrap_or(0))
        }
    });
    Ok(posted)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary: counts, the introduced findings table (marking those outside the diff), waivers
/// used, policy changes with their blast radius, fixed findings crediting the author, and the
/// rules involved — within `budget` bytes. Starts with the hidden summary marker; `note` is shown
/// first (e.g. why the review could not be posted).
pub fn summary(
    target: &Target,
    changes: &Changes<'_>,
    rules: &[RuleInfo],
    outside: &HashSet<String>,
    note: Option<&str>,
    budget: usize,
) -> String {
    let head = &target.pr.head_sha;
    let short = |s: &str| s.chars().take(7).collect::<String>();
    let mut out = format!("{}\n## accord policy review\n\n", comment::SUMMARY_MARKER);
    if let Some(n) = note {
        let _ = writeln!(out, "> [!WARNING]\n> {}\n", escape(n));
    }
    let _ = writeln!(
        out,
        "**{} introduced** · {} unchanged · **{} fixed** — head `{}` compared with `{}`\n",
        changes.introduced.len(),
        changes.unchanged.len(),
        changes.fixed.len(),
        short(head),
        short(&target.base_sha)
    );
    // Sections in order of importance; each gets what is left of the budget.
    let reserve = 4_000.min(budget / 4);
    if changes.introduced.is_empty() {
        out.push_str("No new findings in this pull request. ✅\n\n");
    } else {
        out.push_str("### Introduced findings\n\n");
        let link = |d: &Diagnostic| target.blob(head, d.location.file(), d.location.start.line);
        let note = |d: &Diagnostic| {
            outside
                .contains(&d.fingerprint())
                .then(|| "outside the diff".to_string())
        };
        let intro: Vec<&Diagnostic> = changes.introduced.iter().collect();
        let (table, _) = findings_table(
            &intro,
            &Rows {
                link: &link,
                note: &note,
            },
            budget.saturating_sub(out.len() + reserve),
        );
        out.push_str(&table);
        out.push('\n');
    }
    // Waivers added by the PR are an action item for the rule owners: before the rest.
    let approvals = crate::waiver::markdown_needs_approval(changes.new_waivers);
    if !approvals.is_empty() {
        if out.len() + approvals.len() + reserve / 2 <= budget {
            out.push_str(&approvals);
        } else {
            let _ = writeln!(
                out,
                "### Waivers added in this change ({}): **need approval** (too many to list here)\n",
                changes.new_waivers.len()
            );
        }
    }
    if !changes.waivers.is_empty() {
        let mut s = String::from(
            "### Waivers used\n\n| Rule | Object | Reason | Approved by | Expires | Where |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        for w in changes.waivers {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | `{}` |",
                escape(&w.rule),
                escape(&w.object),
                escape(&w.reason),
                w.approved_by
                    .as_deref()
                    .map(escape)
                    .unwrap_or_else(|| "— (author)".into()),
                w.expires
                    .as_deref()
                    .map(escape)
                    .unwrap_or_else(|| "never".into()),
                escape(&w.location).replace('`', "'")
            );
        }
        s.push('\n');
        if out.len() + s.len() + reserve / 2 <= budget {
            out.push_str(&s);
        }
    }
    if !changes.policy_changes.is_empty() {
        let mut s = String::from("### Policy changes\n\n");
        for c in changes.policy_changes {
            let _ = writeln!(
                s,
                "- `{}` ({}): {} newly flagged, {} no longer flagged",
                escape(&c.rule),
                escape(&c.change),
                plural(c.newly_flagged.len(), "object", "objects"),
                c.no_longer_flagged.len()
            );
            for (what, list) in [
                ("now flagged", &c.newly_flagged),
                ("no longer flagged", &c.no_longer_flagged),
            ] {
                if list.is_empty() {
                    continue;
                }
                let shown: Vec<String> = list.iter().take(10).map(|o| escape(o)).collect();
                let more = list.len().saturating_sub(10);
                let _ = writeln!(
                    s,
                    "  - {what}: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
        }
        s.push('\n');
        if out.len() + s.len() + reserve / 2 <= budget {
            out.push_str(&s);
        }
    }
    if !changes.fixed.is_empty() {
        let thanks = match &target.pr.author {
            Some(a) => format!(
                "🎉 Thank you @{} — this pull request fixes {}:\n\n",
                escape(a),
                plural(changes.fixed.len(), "existing finding", "existing findings")
            ),
            None => format!(
                "🎉 This pull request fixes {}:\n\n",
                plural(changes.fixed.len(), "existing finding", "existing findings")
            ),
        };
        let mut s = format!("### Fixed\n\n{thanks}");
        let link = |d: &Diagnostic| {
            target.blob(&target.base_sha, d.location.file(), d.location.start.line)
        };
        let fixed: Vec<&Diagnostic> = changes.fixed.iter().collect();
        let (table, _) = findings_table(
            &fixed,
            &Rows {
                link: &link,
                note: &|_| None,
            },
            budget.saturating_sub(out.len() + reserve / 2),
        );
        s.push_str(&table);
        s.push('\n');
        out.push_str(&s);
    }
    // Rule details for everything introduced.
    let mut ids: Vec<&str> = changes.introduced.iter().map(|d| d.rule.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let by_id: BTreeMap<&str, RuleInfo> = ids
        .iter()
        .filter_map(|id| {
            let info = rules.iter().find(|r| r.id == *id).cloned().or_else(|| {
                changes
                    .introduced
                    .iter()
                    .find(|d| d.rule == *id)
                    .map(RuleInfo::from_diagnostic)
            })?;
            Some((*id, info))
        })
        .collect();
    let details: String = by_id.values().map(markdown::rule_details).collect();
    if !details.is_empty() && out.len() + details.len() + 200 <= budget {
        out.push_str("### Rules\n\n");
        out.push_str(&details);
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "<sub>accord {} · updated for {}</sub>",
        env!("CARGO_PKG_VERSION"),
        short(head)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;
    use github::PullFile;

    fn target() -> Target {
        Target {
            repo: "acme/deploy".into(),
            server_url: "https://github.com".into(),
            pr: PullRequest {
                number: 42,
                base_sha: "1".repeat(40),
                head_sha: "2".repeat(40),
                author: Some("dev".into()),
                from_fork: false,
            },
            base_sha: "3".repeat(40),
        }
    }

    fn commentable(patch: &str) -> Commentable {
        Commentable::from_files(&[PullFile {
            filename: "apps/web/deploy.yaml".into(),
            status: "modified".into(),
            patch: Some(patch.into()),
            previous_filename: None,
        }])
    }

    #[test]
    fn plan_routes_by_commentable_lines_and_skips_posted() {
        let (diags, _, rules, _) = fixtures::sample();
        // Lines 10-13 of the sample (container `app`) are in the diff.
        let c = commentable(
            "@@ -10,3 +10,4 @@\n         - name: app\n-          image: nginx:1\n+          image: nginx\n           securityContext:\n+            privileged: true",
        );
        let p = plan(&diags, &c, &HashSet::new(), &rules);
        let priv_ = p
            .inline
            .iter()
            .find(|i| i.diagnostic.rule == "privileged-container")
            .expect("privileged is on line 13");
        assert_eq!((priv_.start_line, priv_.line), (None, 13));
        assert!(
            priv_
                .body
                .contains("```suggestion\n            privileged: false\n```"),
            "{}",
            priv_.body
        );
        for i in &p.inline {
            assert!(c.range(&i.path, i.start_line.unwrap_or(i.line), i.line));
        }
        assert_eq!(p.inline.len() + p.outside.len(), diags.len());
        // Contested line 13: the error wins the suggestion; run-as-root (its fix appends a line
        // after `privileged: true`, past the end of the file) falls back to a plain comment.
        let root = p
            .inline
            .iter()
            .find(|i| i.diagnostic.rule == "run-as-root")
            .unwrap();
        assert!(!root.body.contains("```suggestion"));
        // Alone, it suggests on the line above the insertion point.
        let only: Vec<Diagnostic> = diags
            .iter()
            .filter(|d| d.rule == "run-as-root")
            .cloned()
            .collect();
        let alone = plan(&only, &c, &HashSet::new(), &rules);
        assert_eq!(alone.inline[0].line, 13);
        assert!(
            alone.inline[0].body.contains(
                "```suggestion\n            privileged: true\n            runAsNonRoot: true\n```"
            ),
            "{}",
            alone.inline[0].body
        );
        // Already posted: skipped.
        let posted: HashSet<String> = diags.iter().map(Diagnostic::fingerprint).collect();
        let again = plan(&diags, &c, &posted, &rules);
        assert!(again.inline.is_empty() && again.outside.is_empty());
        assert_eq!(again.already.len(), diags.len());
        // Nothing in the diff: everything goes to the summary.
        let none = plan(
            &diags,
            &commentable("@@ -1,1 +1,1 @@\n-a\n+b"),
            &HashSet::new(),
            &rules,
        );
        assert_eq!(none.outside.len(), diags.len());
    }

    #[test]
    fn summary_lists_everything_within_budget() {
        let (diags, _, rules, _) = fixtures::sample();
        let waivers = vec![WaiverUse {
            rule: "host-network".into(),
            object: "DaemonSet monitoring/agent".into(),
            reason: "needs node metrics".into(),
            approved_by: Some("ops-security".into()),
            expires: Some("2027-01-01".into()),
            location: "apps/agent.yaml:5".into(),
        }];
        let policy = vec![PolicyChange {
            rule: "run-as-root".into(),
            change: "changed".into(),
            newly_flagged: vec!["Deployment shop/web".into()],
            no_longer_flagged: vec![],
        }];
        let changes = Changes {
            introduced: &diags[..2],
            unchanged: &diags[2..],
            fixed: &diags[..1],
            waivers: &waivers,
            new_waivers: &[],
            policy_changes: &policy,
        };
        let outside: HashSet<String> = [diags[1].fingerprint()].into();
        let s = summary(
            &target(),
            &changes,
            &rules,
            &outside,
            Some("could not post"),
            markdown::COMMENT_LIMIT,
        );
        assert!(s.starts_with(
            "<!-- accord:summary -->\n## accord policy review\n\n> [!WARNING]\n> could not post\n"
        ));
        assert!(s.contains(&format!(
            "**2 introduced** · {} unchanged · **1 fixed**",
            diags.len() - 2
        )));
        assert!(s.contains(&format!(
            "https://github.com/acme/deploy/blob/{}/apps/web/deploy.yaml#L{}",
            "2".repeat(40),
            diags[0].location.start.line
        )));
        assert_eq!(s.matches("outside the diff").count(), 1);
        assert!(s.contains("| `host-network` | DaemonSet monitoring/agent | needs node metrics | ops-security | 2027-01-01 | `apps/agent.yaml:5` |"));
        assert!(s.contains("- `run-as-root` (changed): 1 object newly flagged, 0 no longer flagged\n  - now flagged: Deployment shop/web"));
        assert!(s.contains("🎉 Thank you @dev — this pull request fixes 1 existing finding:"));
        assert!(
            s.contains(&format!("/blob/{}/apps/web/deploy.yaml", "3".repeat(40))),
            "fixed findings link to the base"
        );
        assert!(s.contains("### Rules"));
        let many: Vec<Diagnostic> = (0..2000).flat_map(|_| diags.iter().cloned()).collect();
        let changes = Changes {
            introduced: &many,
            unchanged: &[],
            fixed: &many,
            waivers: &waivers,
            new_waivers: &[],
            policy_changes: &policy,
        };
        let s = summary(
            &target(),
            &changes,
            &rules,
            &HashSet::new(),
            None,
            markdown::COMMENT_LIMIT,
        );
        assert!(s.len() <= markdown::COMMENT_LIMIT, "{}", s.len());
        assert!(s.contains("more findings not shown._"));
    }
}
