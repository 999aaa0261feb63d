//! The GitHub Actions event that started a run: which pull request, which base and head.
//!
//! Read from the webhook payload at `$GITHUB_EVENT_PATH` (the CLI reads the file; this module
//! only parses text). For `pull_request` and `pull_request_target` the head is
//! `pull_request.head.sha` — never `GITHUB_SHA`, which is the test merge commit (or the base
//! branch) — and the base is `pull_request.base.sha`; the review diffs from their merge base
//! (three dots), as GitHub's "Files changed" does. A `check_suite` re-run carries its pull
//! requests under `check_suite.pull_requests`; a `push` gives `before` / `after`.

use serde_json::Value;

/// The pull request a run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// PR number.
    pub number: u64,
    /// Base branch tip recorded in the event.
    pub base_sha: String,
    /// PR head commit (what review comments are positioned against).
    pub head_sha: String,
    /// Login of the PR author, when the payload has it.
    pub author: Option<String>,
    /// Whether the head lives in another repository (the token is then read-only under
    /// `pull_request`).
    pub from_fork: bool,
}

/// The parts of an event payload accord uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The pull request, for PR events (and check-suite re-runs of one).
    pub pull_request: Option<PullRequest>,
    /// `push`: the commit before the push.
    pub before: Option<String>,
    /// `push`: the pushed commit.
    pub after: Option<String>,
}

fn s(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn pull_request(pr: &Value, number_fallback: Option<u64>) -> Result<PullRequest, String> {
    let number = pr
        .get("number")
        .and_then(Value::as_u64)
        .or(number_fallback)
        .ok_or("the pull request in the event has no number")?;
    let base_sha = s(pr, "/base/sha").ok_or("the pull request in the event has no base.sha")?;
    let head_sha = s(pr, "/head/sha").ok_or("the pull request in the event has no head.sha")?;
    for sha in [&base_sha, &head_sha] {
        if !is_sha(sha) {
            return Err(format!("`{sha}` in the event is not a commit SHA"));
        }
    }
    let base_owner = pr.pointer("/base/repo/owner/id").and_then(Value::as_u64);
    let head_owner = pr.pointer("/head/repo/owner/id").and_then(Value::as_u64);
    let from_fork = pr
        .pointer("/head/repo/fork")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || matches!((base_owner, head_owner), (Some(b), Some(h)) if b != h)
        || matches!((s(pr, "/base/repo/full_name"), s(pr, "/head/repo/full_name")), (Some(b), Some(h)) if b != h);
    Ok(PullRequest {
        number,
        base_sha,
        head_sha,
        author: s(pr, "/user/login"),
        from_fork,
    })
}

/// Parse the payload of event `name` (`GITHUB_EVENT_NAME`).
pub fn parse(name: &str, text: &str) -> Result<Event, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("the event payload is not JSON: {e}"))?;
    let mut event = Event::default();
    match name {
        "pull_request"
        | "pull_request_target"
        | "pull_request_review"
        | "pull_request_review_comment" => {
            let pr = v
                .get("pull_request")
                .ok_or_else(|| format!("a `{name}` event without `pull_request`"))?;
            event.pull_request = Some(pull_request(pr, v.get("number").and_then(Value::as_u64))?);
        }
        "check_suite" | "check_run" => {
            let prs = v
                .pointer(&format!("/{name}/pull_requests"))
                .or_else(|| v.pointer("/check_run/check_suite/pull_requests"));
            if let Some(pr) = prs.and_then(Value::as_array).and_then(|a| a.first()) {
                event.pull_request = Some(pull_request(pr, None)?);
            }
        }
        _ => {
            event.before = s(&v, "/before").filter(|b| is_sha(b) && b.bytes().any(|c| c != b'0'));
            event.after = s(&v, "/after").or_else(|| s(&v, "/head_commit/id"));
        }
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PR: &str = r#"{
      "action": "synchronize", "number": 42,
      "pull_request": {
        "number": 42, "user": {"login": "dev"},
        "base": {"sha": "1111111111111111111111111111111111111111", "ref": "main", "repo": {"full_name": "acme/deploy", "owner": {"id": 1}}},
        "head": {"sha": "2222222222222222222222222222222222222222", "ref": "feature/x", "repo": {"full_name": "someone/deploy", "owner": {"id": 2}}}
      },
      "repository": {"full_name": "acme/deploy"}
    }"#;

    #[test]
    fn pull_request_events_give_head_and_base() {
        let e = parse("pull_request", PR).unwrap();
        let pr = e.pull_request.unwrap();
        assert_eq!(pr.number, 42);
        assert_eq!(pr.head_sha, "2222222222222222222222222222222222222222");
        assert_eq!(pr.base_sha, "1111111111111111111111111111111111111111");
        assert_eq!(pr.author.as_deref(), Some("dev"));
        assert!(pr.from_fork);
        let same = PR
            .replace("someone/deploy", "acme/deploy")
            .replace("\"id\": 2", "\"id\": 1");
        assert!(
            !parse("pull_request_target", &same)
                .unwrap()
                .pull_request
                .unwrap()
                .from_fork
        );
    }

    #[test]
    fn other_events_and_bad_payloads() {
        let push = parse("push", r#"{"before": "0000000000000000000000000000000000000000", "after": "abcdefabcdefabcdefabcdefabcdefabcdefabcd"}"#).unwrap();
        assert_eq!(push.pull_request, None);
        assert_eq!(push.before, None, "an all-zero before is a new branch");
        assert_eq!(
            push.after.as_deref(),
            Some("abcdefabcdefabcdefabcdefabcdefabcdefabcd")
        );
        let rerun = parse("check_suite", r#"{"check_suite": {"pull_requests": [{"number": 7, "base": {"sha": "aaaaaaa"}, "head": {"sha": "bbbbbbb"}}]}}"#).unwrap();
        assert_eq!(rerun.pull_request.unwrap().number, 7);
        assert!(parse("pull_request", "{").unwrap_err().contains("not JSON"));
        assert!(
            parse(
                "pull_request",
                r#"{"pull_request": {"number": 1, "base": {"sha": "x"}, "head": {}}}"#
            )
            .is_err()
        );
        assert!(
            parse(
                "pull_request",
                &PR.replace("2222222222222222222222222222222222222222", "$(rm -rf /)")
            )
            .unwrap_err()
            .contains("not a commit SHA")
        );
    }
}
