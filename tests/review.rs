//! End-to-end: `accord review` on a real git repository (base and head commits, the base branch
//! moving on after the PR branched), fed a real `pull_request` event payload, talking to a fake
//! GitHub API on 127.0.0.1. Asserts the exact requests: inline comments only on commentable
//! lines, suggestion blocks, one summary comment created then edited, no duplicates on a second
//! run, and the fallback to annotations when GitHub answers 403.

mod support;

use serde_json::{Value, json};
use std::process::{Command, Output};
use support::fake_github::{FakeGitHub, Request};
use support::git::{git, write};

const TOKEN: &str = "ghs_s3cr3tT0ken";
const REPO: &str = "acme/deploy";
const PR: u64 = 42;

const WEB_BASE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
      containers:
        - name: app
          image: nginx:1.27.3
          resources:
            limits: {memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
            seccompProfile:
              type: RuntimeDefault
        - name: worker
          image: worker:2.1.0
          resources:
            limits: {memory: 128Mi}
          securityContext:
            runAsUser: 1000
";

/// The PR drops the pod-level `runAsNonRoot` (so container `app` may now run as root: that
/// finding sits on `app`'s `securityContext:` and its fix goes at the end of that mapping, both
/// outside the diff's hunks), adds `privileged: true` to `worker` (fixable: a suggestion) and a
/// sidecar with an unpinned image.
const WEB_HEAD: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        fsGroup: 2000
      containers:
        - name: app
          image: nginx:1.27.3
          resources:
            limits: {memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
            seccompProfile:
              type: RuntimeDefault
        - name: worker
          image: worker:2.1.0
          resources:
            limits: {memory: 128Mi}
          securityContext:
            runAsUser: 1000
            privileged: true
        - name: sidecar
          image: busybox
          resources:
            limits: {memory: 64Mi}
          securityContext:
            runAsNonRoot: true
";

const DB_BASE: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
          resources:
            limits: {memory: 1Gi}
          securityContext:
            runAsNonRoot: true
            privileged: true
";

struct Pr {
    dir: tempfile::TempDir,
    /// Whether the event says the head is in a fork.
    fork: bool,
    base_sha: String,
    head_sha: String,
    merge_base: String,
}

/// A repository where `feature` branched from `main`, then `main` moved on (adding a file with
/// a finding of its own: a two-dot diff would call it "fixed" by the PR; the review must not).
fn repository() -> Pr {
    repository_with(WEB_HEAD)
}

/// [`repository`] with another head version of `apps/web/deploy.yaml`.
fn repository_with(web_head: &str) -> Pr {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "apps/web/deploy.yaml", WEB_BASE);
    write(d, "apps/db/statefulset.yaml", DB_BASE);
    write(d, "README.md", "deploy repo\n");
    write(
        d,
        ".accord.yaml",
        // The rules these tests are about; the rest of the default preset would fire on every
        // minimal workload here.
        "owners:\n  security: {owner: platform-security, contact: \"#platform-security on Slack\"}\ndisable: [missing-cpu-request, missing-memory-request, missing-pdb, missing-readiness-probe, missing-liveness-probe, no-pod-anti-affinity, read-only-root-filesystem]\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    let merge_base = git(d, &["rev-parse", "HEAD"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "apps/web/deploy.yaml", web_head);
    write(
        d,
        "apps/db/statefulset.yaml",
        &DB_BASE.replace("            privileged: true\n", ""),
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "web: sidecar"]);
    let head_sha = git(d, &["rev-parse", "HEAD"]);
    git(d, &["checkout", "-q", "main"]);
    write(
        d,
        "apps/cache.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cache\nspec:\n  containers:\n    - name: redis\n      image: redis\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "main moves on"]);
    let base_sha = git(d, &["rev-parse", "HEAD"]);
    // What actions/checkout with `ref: head.sha` leaves: the head commit checked out.
    git(d, &["checkout", "-q", &head_sha]);
    Pr {
        dir,
        fork: false,
        base_sha,
        head_sha,
        merge_base,
    }
}

/// `GET /pulls/{n}/files` as GitHub builds it: the three-dot diff, one item per file, `patch`
/// holding the hunks without file headers.
fn pr_files(pr: &Pr) -> Vec<Value> {
    let d = pr.dir.path();
    let names = git(
        d,
        &[
            "diff",
            "--name-status",
            &format!("{}...{}", pr.base_sha, pr.head_sha),
        ],
    );
    names
        .lines()
        .map(|l| {
            let (status, name) = l.split_once('\t').unwrap();
            let diff = git(d, &["diff", &format!("{}...{}", pr.base_sha, pr.head_sha), "--", name]);
            let patch = diff.find("\n@@").map(|i| diff[i + 1..].to_string()).unwrap();
            json!({"filename": name, "status": if status == "A" { "added" } else { "modified" }, "patch": patch})
        })
        .collect()
}

fn event(pr: &Pr) -> String {
    json!({
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "state": "open",
            "user": {"login": "dev", "type": "User"},
            "base": {"ref": "main", "sha": pr.base_sha, "repo": {"full_name": REPO, "fork": false, "owner": {"login": "acme", "id": 1}}},
            "head": if pr.fork {
                json!({"ref": "feature", "sha": pr.head_sha, "repo": {"full_name": "dev/deploy", "fork": true, "owner": {"login": "dev", "id": 2}}})
            } else {
                json!({"ref": "feature", "sha": pr.head_sha, "repo": {"full_name": REPO, "fork": false, "owner": {"login": "acme", "id": 1}}})
            },
        },
        "repository": {"full_name": REPO, "name": "deploy", "owner": {"login": "acme"}},
        "sender": {"login": "dev"},
    })
    .to_string()
}

struct Run {
    out: Output,
    summary: String,
    outputs: String,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).to_string()
    }
    fn all(&self) -> String {
        format!(
            "{}{}",
            self.stdout(),
            String::from_utf8_lossy(&self.out.stderr)
        )
    }
}

fn review(pr: &Pr, gh: &FakeGitHub, mode: &str, extra: &[&str]) -> Run {
    let d = pr.dir.path();
    let meta = tempfile::tempdir().unwrap();
    let event_path = meta.path().join("event.json");
    std::fs::write(&event_path, event(pr)).unwrap();
    let summary = meta.path().join("summary.md");
    let outputs = meta.path().join("output");
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .current_dir(d)
        .args(["review", "--mode", mode])
        .args(extra)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", &gh.base)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_SHA", "0000000000000000000000000000000000000001") // the merge commit: must not be used
        .env("HTTPS_PROXY", "http://127.0.0.1:9") // loopback API calls must not go through a proxy
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    Run {
        out,
        summary: std::fs::read_to_string(summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(outputs).unwrap_or_default(),
    }
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}`")) as u64
        + 1
}

/// Line of `app`'s `securityContext:` in the head: where the run-as-root finding sits.
fn app_security_context() -> u64 {
    WEB_HEAD
        .lines()
        .position(|l| l == "          securityContext:")
        .unwrap() as u64
        + 1
}

fn calls(reqs: &[Request]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn review_posts_inline_comments_on_diff_lines_and_one_summary_comment() {
    let pr = repository();
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    gh.set_page_size(1); // every list call spans several pages
    gh.add_issue_comment("LGTM, but see the bot", "reviewer");
    let run = review(&pr, &gh, "review", &[]);
    assert_eq!(
        run.out.status.code(),
        Some(1),
        "an error was introduced: {}",
        run.all()
    );
    assert!(
        !run.all().contains(TOKEN),
        "the token leaked into the output"
    );

    let reqs = gh.requests();
    let base = format!("/repos/{REPO}");
    assert_eq!(
        calls(&reqs),
        vec![
            format!("GET {base}/pulls/42/files?per_page=100"),
            format!("GET {base}/pulls/42/files?per_page=100&page=2"),
            format!("GET {base}/pulls/42/comments?per_page=100"),
            format!("POST {base}/pulls/42/reviews"),
            format!("GET {base}/issues/42/comments?per_page=100"),
            format!("POST {base}/issues/42/comments"),
        ],
        "{}",
        run.all()
    );
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
        assert!(r.header("user-agent").unwrap().starts_with("accord/"));
    }

    // The review: on the PR head (not the merge commit), event COMMENT, comments on diff lines.
    let review = &reqs[3].body;
    assert_eq!(review["commit_id"], pr.head_sha.as_str());
    assert_eq!(review["event"], "COMMENT");
    let comments = review["comments"].as_array().unwrap();
    let at = |rule: &str| {
        comments
            .iter()
            .find(|c| c["body"].as_str().unwrap().contains(&format!("`{rule}`**")))
            .unwrap_or_else(|| panic!("no comment for {rule}: {comments:#?}"))
    };
    let privileged = at("privileged-container");
    assert_eq!(privileged["path"], "apps/web/deploy.yaml");
    assert_eq!(privileged["line"], line_of(WEB_HEAD, "privileged: true"));
    assert_eq!(privileged["side"], "RIGHT");
    assert!(privileged.get("start_line").is_none());
    let body = privileged["body"].as_str().unwrap();
    assert!(
        body.contains("```suggestion\n            privileged: false\n```\n"),
        "{body}"
    );
    assert!(
        body.contains("**Why:** A privileged container has every capability"),
        "{body}"
    );
    assert!(body.contains("[Documentation](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)"));
    assert!(body.contains("<!-- accord:fp:"));
    assert!(
        body.contains("**Owner:** platform-security — #platform-security on Slack"),
        "who owns the rule and how to reach them: {body}"
    );
    let latest = at("latest-image-tag");
    assert_eq!(latest["line"], line_of(WEB_HEAD, "image: busybox"));
    assert!(
        !latest["body"].as_str().unwrap().contains("```suggestion"),
        "the rule has no fix"
    );
    // The pod-level runAsNonRoot was removed: the finding on `app` is outside every hunk, so it
    // is not commented inline — it is in the summary.
    assert!(
        comments
            .iter()
            .all(|c| !c["body"].as_str().unwrap().contains("`run-as-root`**")),
        "{comments:#?}"
    );
    assert_eq!(comments.len(), 2);
    assert!(review["body"].as_str().unwrap().contains(
        "3 new policy findings in this pull request: 2 commented inline, 1 outside the diff"
    ));

    // The summary comment.
    let summary = reqs[5].body["body"].as_str().unwrap();
    assert!(summary.starts_with("<!-- accord:summary -->\n## accord policy review"));
    assert!(summary.contains("**3 introduced** · "), "{summary}");
    assert!(
        summary.contains("**1 fixed**"),
        "only the db fix; `apps/cache.yaml` came with main, not the PR: {summary}"
    );
    assert!(summary.contains(&format!(
        "https://github.com/{REPO}/blob/{}/apps/web/deploy.yaml#L{}",
        pr.head_sha,
        app_security_context()
    )));
    assert!(summary.contains("outside the diff"));
    assert!(summary.contains("🎉 Thank you @dev — this pull request fixes 1 existing finding:"));
    assert!(
        summary.contains(&format!("/blob/{}/apps/db/statefulset.yaml", pr.merge_base)),
        "fixed findings link to the merge base"
    );
    assert!(!summary.contains("apps/cache.yaml"));

    // The job summary and the step outputs.
    assert!(
        run.summary.starts_with("## accord policy review"),
        "{}",
        run.summary
    );
    assert_eq!(
        run.outputs,
        "introduced=3\nunchanged=0\nfixed=1\n".replace(
            "unchanged=0",
            &format!("unchanged={}", unchanged(&run.outputs))
        )
    );
    assert!(
        run.stdout()
            .contains("review: 2 new inline comments, 0 already commented, 1 outside the diff"),
        "{}",
        run.stdout()
    );
}

fn unchanged(outputs: &str) -> String {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix("unchanged="))
        .unwrap()
        .to_string()
}

#[test]
fn a_second_run_edits_the_summary_and_posts_nothing_twice() {
    let pr = repository();
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    let first = review(&pr, &gh, "review", &[]);
    assert_eq!(first.out.status.code(), Some(1), "{}", first.all());
    let posted = gh.review_comments().len();
    assert_eq!(posted, 2);
    let summary_id = gh.issue_comments()[0]["id"].clone();
    gh.clear_requests();
    gh.set_page_size(1); // the existing comments now span pages: all must be read

    let second = review(&pr, &gh, "review", &[]);
    assert_eq!(second.out.status.code(), Some(1), "{}", second.all());
    let base = format!("/repos/{REPO}");
    assert_eq!(
        calls(&gh.requests()),
        vec![
            format!("GET {base}/pulls/42/files?per_page=100"),
            format!("GET {base}/pulls/42/files?per_page=100&page=2"),
            format!("GET {base}/pulls/42/comments?per_page=100"),
            format!("GET {base}/pulls/42/comments?per_page=100&page=2"),
            format!("GET {base}/issues/42/comments?per_page=100"),
            format!("PATCH {base}/issues/comments/{summary_id}"),
        ],
        "no second review, no second summary comment"
    );
    assert_eq!(gh.review_comments().len(), posted);
    let comments = gh.issue_comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0]["body"]
            .as_str()
            .unwrap()
            .contains("<!-- accord:summary -->")
    );
    assert!(
        second
            .stdout()
            .contains("review: 0 new inline comments, 2 already commented, 1 outside the diff"),
        "{}",
        second.stdout()
    );
    assert!(
        second
            .stdout()
            .contains(&format!("summary comment {summary_id} updated"))
    );
}

#[test]
fn forbidden_falls_back_to_annotations_and_the_job_summary() {
    let mut pr = repository();
    pr.fork = true; // a fork PR: GitHub gives the workflow a read-only token
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    gh.forbid_writes(true);
    let run = review(&pr, &gh, "review", &[]);
    assert_eq!(run.out.status.code(), Some(1), "{}", run.all());
    let stdout = run.stdout();
    assert!(
        stdout.contains("as it does for pull requests from forks"),
        "{stdout}"
    );
    let writes: Vec<Request> = gh
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(
        writes.len(),
        1,
        "the first refused write stops all posting: {:?}",
        calls(&writes)
    );
    assert!(stdout.contains("::warning title=accord::GitHub refused to let this workflow's token write to the pull request"), "{stdout}");
    assert!(stdout.contains("Resource not accessible by integration"));
    let web = line_of(WEB_HEAD, "privileged: true");
    assert!(stdout.contains(&format!("::error file=apps/web/deploy.yaml,line={web},endLine={web},col=25,endColumn=29,title=accord privileged-container%3A Containers must not run privileged::")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "::warning file=apps/web/deploy.yaml,line={},",
            app_security_context()
        )),
        "the finding outside the diff is annotated too: {stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
            .count(),
        3
    );
    assert!(
        run.summary
            .contains("> [!WARNING]\n> GitHub refused to let this workflow's token write"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("**3 introduced**"));
    assert!(gh.review_comments().is_empty() && gh.issue_comments().is_empty());
    assert!(run.outputs.starts_with("introduced=3\n"));
    assert!(!run.all().contains(TOKEN));
}

#[test]
fn annotations_mode_needs_no_api_and_writes_reports() {
    let pr = repository();
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    let run = review(
        &pr,
        &gh,
        "annotations",
        &["--format", "sarif=out/accord.sarif", "--fail-on", "never"],
    );
    assert_eq!(
        run.out.status.code(),
        Some(0),
        "--fail-on never: {}",
        run.all()
    );
    assert!(
        gh.requests().is_empty(),
        "annotations mode makes no API call"
    );
    assert_eq!(
        run.stdout()
            .lines()
            .filter(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
            .count(),
        3
    );
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(pr.dir.path().join("out/accord.sarif")).unwrap(),
    )
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let expected: u64 = unchanged(&run.outputs).parse::<u64>().unwrap() + 3;
    assert_eq!(results.len() as u64, expected, "every finding at the head");
    assert!(results.iter().all(|r| {
        !r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .contains(':')
    }));
}

#[test]
fn a_rejected_line_costs_one_comment_not_the_review() {
    let pr = repository();
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    // GitHub cannot resolve the sidecar's image line (as when the PR moved on meanwhile).
    let image = line_of(WEB_HEAD, "image: busybox");
    gh.reject_line(image);
    let run = review(&pr, &gh, "review", &[]);
    assert_eq!(run.out.status.code(), Some(1), "{}", run.all());
    let base = format!("/repos/{REPO}");
    let writes: Vec<String> = calls(&gh.requests())
        .into_iter()
        .filter(|c| !c.starts_with("GET"))
        .collect();
    assert_eq!(
        writes,
        vec![
            format!("POST {base}/pulls/42/reviews"),
            format!("POST {base}/pulls/42/comments"),
            format!("POST {base}/pulls/42/comments"),
            format!("POST {base}/issues/42/comments"),
        ],
        "all-or-nothing review refused: retried one comment at a time"
    );
    let posted = gh.review_comments();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["line"], line_of(WEB_HEAD, "privileged: true"));
    let summary = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
    assert_eq!(summary.matches("outside the diff").count(), 2, "{summary}");
    assert!(run.stdout().contains(
        "::warning title=accord::GitHub rejected an inline comment: apps/web/deploy.yaml:"
    ));
}

/// A pull request that changes one base line and one overlay's patch line: the inline comments
/// land on those lines of the PR diff — the base line once, though both overlays render it (one
/// fingerprint: same rule, file, object and path), the patch line for its overlay only — and a
/// second run posts nothing again.
#[test]
fn review_comments_land_on_the_changed_base_and_patch_lines() {
    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27.3\n          resources:\n            limits: {memory: 128Mi}\n          securityContext:\n            runAsNonRoot: true\n";
    const PATCH: &str =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        ".accord.yaml",
        "disable: [missing-cpu-request, missing-memory-request, missing-pdb, missing-readiness-probe, missing-liveness-probe, no-pod-anti-affinity, read-only-root-filesystem]\n",
    );
    write(d, "base/kustomization.yaml", "resources:\n- deploy.yaml\n");
    write(d, "base/deploy.yaml", DEPLOY);
    for o in ["prod", "staging"] {
        write(
            d,
            &format!("overlays/{o}/kustomization.yaml"),
            "resources:\n- ../../base\npatches:\n- path: patch.yaml\n",
        );
        write(d, &format!("overlays/{o}/patch.yaml"), PATCH);
    }
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    let base_sha = git(d, &["rev-parse", "HEAD"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    let deploy = DEPLOY.replace("image: nginx:1.27.3", "image: nginx:latest");
    write(d, "base/deploy.yaml", &deploy);
    let patch = format!("{PATCH}  template:\n    spec:\n      hostNetwork: true\n");
    write(d, "overlays/prod/patch.yaml", &patch);
    git(d, &["add", "-A"]);
    git(
        d,
        &[
            "commit",
            "-q",
            "-m",
            "latest image; prod on the host network",
        ],
    );
    let head_sha = git(d, &["rev-parse", "HEAD"]);
    let pr = Pr {
        dir,
        fork: false,
        base_sha: base_sha.clone(),
        head_sha,
        merge_base: base_sha,
    };
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    let run = review(&pr, &gh, "review", &[]);
    assert_eq!(run.out.status.code(), Some(1), "{}", run.all());
    let reqs = gh.requests();
    let posted = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/pulls/42/reviews"))
        .unwrap_or_else(|| panic!("no review: {}", run.all()));
    let mut comments: Vec<(String, u64, String)> = posted.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let body = c["body"].as_str().unwrap();
            let rule = ["latest-image-tag", "host-network"]
                .into_iter()
                .find(|r| body.contains(&format!("`{r}`**")))
                .unwrap_or("?");
            (
                c["path"].as_str().unwrap().to_string(),
                c["line"].as_u64().unwrap(),
                rule.to_string(),
            )
        })
        .collect();
    comments.sort();
    assert_eq!(
        comments,
        vec![
            (
                "base/deploy.yaml".to_string(),
                line_of(&deploy, "nginx:latest"),
                "latest-image-tag".to_string()
            ),
            (
                "overlays/prod/patch.yaml".to_string(),
                line_of(&patch, "hostNetwork: true"),
                "host-network".to_string()
            ),
        ],
        "{}",
        run.all()
    );
    // One comment on the base line (both overlays render it under one fingerprint), with its marker.
    let base_body = posted.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "base/deploy.yaml")
        .unwrap()["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(base_body.contains("<!-- accord:fp:"), "{base_body}");

    // A second run finds its comments by fingerprint and posts no new ones.
    let again = review(&pr, &gh, "review", &[]);
    assert!(
        again
            .stdout()
            .contains("review: 0 new inline comments, 2 already commented, 0 outside the diff"),
        "{}",
        again.all()
    );
}

#[test]
fn waived_findings_get_no_comment_and_waivers_added_need_approval() {
    // The PR waives the privileged worker with an annotation it adds.
    let head = WEB_HEAD.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    accord.dev/ignore: \"privileged-container@worker: packet capture needs raw sockets\"\n",
    );
    let pr = repository_with(&head);
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    let run = review(&pr, &gh, "review", &[]);
    let reqs = gh.requests();
    let review_req = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/pulls/42/reviews"))
        .unwrap_or_else(|| panic!("no review posted: {}", run.all()));
    let comments = review_req.body["comments"].as_array().unwrap();
    let bodies: Vec<&str> = comments
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies
            .iter()
            .all(|b| !b.contains("`privileged-container`**")),
        "a waived finding gets no inline comment: {bodies:#?}"
    );
    assert!(
        bodies.iter().any(|b| b.contains("`latest-image-tag`**")),
        "{bodies:#?}"
    );
    let summary = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/issues/42/comments"))
        .expect("summary comment")
        .body["body"]
        .as_str()
        .unwrap()
        .to_string();
    let line = line_of(&head, "accord.dev/ignore");
    for want in [
        "**2 introduced** · ".to_string(),
        "### Waivers added in this change (1)".to_string(),
        format!(
            "- `privileged-container` annotation on Deployment shop/web, container worker (no expiry) — packet capture needs raw sockets: **needs approval by platform-security** (apps/web/deploy.yaml:{line})"
        ),
        "### Waivers used".to_string(),
        format!(
            "| `privileged-container` | Deployment shop/web | packet capture needs raw sockets | — (author) | never | `apps/web/deploy.yaml:{line}` |"
        ),
    ] {
        assert!(summary.contains(&want), "missing {want:?} in:\n{summary}");
    }
    assert!(run.outputs.starts_with("introduced=2\n"), "{}", run.outputs);

    // Annotations mode: no annotation for the waived finding, the job summary asks for approval.
    let gh = FakeGitHub::start(REPO, PR, pr_files(&pr));
    let run = review(&pr, &gh, "annotations", &[]);
    let out = run.stdout();
    assert!(out.contains("latest-image-tag"), "{out}");
    assert!(!out.contains("privileged-container"), "{out}");
    assert!(
        run.summary
            .contains("**needs approval by platform-security**"),
        "{}",
        run.summary
    );
}
