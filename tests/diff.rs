//! End-to-end tests of `accord diff` and `accord lint --rev` on temporary git repositories built
//! with the `git` command line.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::git::{commit, git, write};

/// The repositories' config: these tests are about how findings move across revisions, so
/// the default-preset rules that would fire on every minimal workload here are switched off.
const CONFIG: &str = "disable: [missing-cpu-request, missing-memory-request, missing-pdb, missing-readiness-probe, no-pod-anti-affinity, read-only-root-filesystem]\n";

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    git(d.path(), &["init", "-q", "-b", "main"]);
    write(d.path(), ".accord.yaml", CONFIG);
    d
}

fn accord(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("accord runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn diff_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut a = vec!["diff", "--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = accord(dir, &a);
    assert!(code == 0 || code == 1, "exit {code}: {err}\n{out}");
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad json ({e}): {out}\n{err}")),
    )
}

/// (rule, file) of every finding in a delta bucket, sorted.
fn bucket(v: &Value, which: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["findings"][which]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn objects(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["objects"]
        .as_array()
        .expect("array")
        .iter()
        .map(|o| {
            (
                o["change"].as_str().unwrap_or("").to_string(),
                format!(
                    "{}/{}",
                    o["object"]["kind"].as_str().unwrap_or(""),
                    o["object"]["name"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    out.sort();
    out
}

const WEB: &str = "# The web frontend.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 4
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1.4.2
          securityContext:
            privileged: true
            runAsNonRoot: true
          resources:
            limits: {memory: 256Mi}
        - name: sidecar
          image: example/proxy:2.0.1
          securityContext:
            runAsNonRoot: true
          resources:
            limits: {memory: 64Mi}
";

/// The same Deployment, reformatted: flow style, keys and containers reordered, comments gone.
const WEB_REFORMATTED: &str = r#"{"kind": "Deployment", "apiVersion": "apps/v1",
 "metadata": {"namespace": "shop", "name": "web"},
 "spec": {"template": {"spec": {"containers": [
    {"resources": {"limits": {"memory": "64Mi"}}, "securityContext": {"runAsNonRoot": true}, "image": "example/proxy:2.0.1", "name": "sidecar"},
    {"name": "web", "resources": {"limits": {"memory": "256Mi"}}, "securityContext": {"runAsNonRoot": true, "privileged": true}, "image": "example/web:1.4.2"}]},
   "metadata": {"labels": {"app": "web"}}},
  "selector": {"matchLabels": {"app": "web"}}, "replicas": 4}}
"#;

const API_BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api:latest
          securityContext:
            runAsNonRoot: true
          resources:
            limits: {memory: 128Mi}
";

const API_HEAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      hostNetwork: true
      containers:
        - name: api
          image: example/api:3.1.0
          securityContext:
            runAsNonRoot: true
          resources:
            limits: {memory: 128Mi}
";

const CACHE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: shop
spec:
  selector:
    matchLabels: {app: cache}
  template:
    metadata:
      labels: {app: cache}
    spec:
      containers:
        - name: redis
          image: redis
          securityContext:
            runAsNonRoot: true
          resources:
            limits: {memory: 1Gi}
";

const PVC: &str = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: shop
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
";

/// BASE: web (pre-existing privileged finding), api (`latest` tag), a PVC.
/// HEAD: web moved to another file and reformatted; api pinned (fixed) but on the host network
/// (introduced); a new cache with an untagged image (introduced); the PVC deleted (introduced,
/// at BASE).
fn scenario() -> (tempfile::TempDir, String, String) {
    let d = repo();
    let p = d.path();
    write(p, "apps/web.yaml", WEB);
    write(p, "apps/api.yaml", API_BASE);
    write(p, "apps/pvc.yaml", PVC);
    let base = commit(p, "base");
    std::fs::remove_file(p.join("apps/web.yaml")).expect("rm");
    std::fs::remove_file(p.join("apps/pvc.yaml")).expect("rm");
    write(p, "deploy/frontend.yaml", WEB_REFORMATTED);
    write(p, "apps/api.yaml", API_HEAD);
    write(p, "apps/cache.yaml", CACHE);
    let head = commit(p, "head");
    (d, base, head)
}

#[test]
fn classifies_introduced_unchanged_fixed_across_a_moved_reformatted_file() {
    let (d, base, head) = scenario();
    let (code, v) = diff_json(d.path(), &[&format!("{base}..{head}")]);
    assert_eq!(code, 1, "an introduced error fails the diff");
    assert_eq!(
        bucket(&v, "introduced"),
        vec![
            ("host-network".to_string(), "apps/api.yaml".to_string()),
            (
                "latest-image-tag".to_string(),
                "apps/cache.yaml".to_string()
            ),
            (
                "persistent-volume-claim-deleted".to_string(),
                "apps/pvc.yaml".to_string()
            ),
        ]
    );
    // The moved and reformatted Deployment keeps its finding: not re-blamed.
    assert_eq!(
        bucket(&v, "unchanged"),
        vec![(
            "privileged-container".to_string(),
            "deploy/frontend.yaml".to_string()
        )]
    );
    assert_eq!(
        bucket(&v, "fixed"),
        vec![("latest-image-tag".to_string(), "apps/api.yaml".to_string())]
    );
    assert_eq!(
        objects(&v),
        vec![
            ("added".to_string(), "Deployment/cache".to_string()),
            ("modified".to_string(), "Deployment/api".to_string()),
            ("moved".to_string(), "Deployment/web".to_string()),
            (
                "removed".to_string(),
                "PersistentVolumeClaim/data".to_string()
            ),
        ]
    );
    let moved = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["change"] == "moved")
        .unwrap();
    assert_eq!(moved["fields"].as_array().unwrap().len(), 0);
    assert_eq!(moved["old"]["file"], "apps/web.yaml");
    assert_eq!(moved["new"]["file"], "deploy/frontend.yaml");
    let api = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["object"]["name"] == "api")
        .unwrap();
    let paths: Vec<&str> = api["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/spec/template/spec/containers[name=api]/image",
            "/spec/template/spec/hostNetwork"
        ]
    );
    // The deleted PVC's finding points at BASE.
    let pvc = v["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "persistent-volume-claim-deleted")
        .unwrap();
    assert_eq!(pvc["side"], "base");
    // The moved file is a rename in the text diff; the reformatting shows there.
    let files: Vec<(&str, &str)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert!(
        files.contains(&("deploy/frontend.yaml", "renamed")),
        "{files:?}"
    );
    assert!(files.contains(&("apps/pvc.yaml", "deleted")), "{files:?}");
    // Introduced findings sit under their line, on the right side.
    let api_file = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "apps/api.yaml")
        .unwrap();
    let annotated: Vec<&Value> = api_file["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["lines"].as_array().unwrap())
        .filter(|l| l.get("findings").is_some())
        .collect();
    assert_eq!(annotated.len(), 1);
    assert_eq!(annotated[0]["new_line"], 14);
    assert_eq!(annotated[0]["tag"], "+");
    assert_eq!(
        api_file["changed_lines"],
        serde_json::json!([[14, 14], [17, 17]])
    );
}

#[test]
fn every_output_format() {
    let (d, base, head) = scenario();
    let range = format!("{base}..{head}");
    let (code, text, err) = accord(d.path(), &["diff", &range]);
    assert_eq!(code, 1, "{err}");
    assert!(text.contains("+      hostNetwork: true"), "{text}");
    // The finding is printed under its line, with why, help and its fix as a patch.
    let at = text.find("+      hostNetwork: true").unwrap();
    let after = &text[at..];
    assert!(
        after.contains("^\n") && after.contains("error[host-network]"),
        "{after}"
    );
    assert!(text.contains("why:") && text.contains("help:"), "{text}");
    assert!(
        after.contains("fix: Remove `hostNetwork: true` (unsafe)"),
        "{after}"
    );
    assert!(
        after.contains("--- a/apps/api.yaml") && after.contains("-      hostNetwork: true"),
        "fix patch missing:\n{after}"
    );
    assert!(
        text.contains("Fixed (1)") && text.contains("Pre-existing (1)"),
        "{text}"
    );
    assert!(text.contains("> moved    Deployment shop/web"), "{text}");
    assert!(
        text.contains("3 introduced (2 errors, 1 warning), 1 pre-existing, 1 fixed"),
        "{text}"
    );

    let (_, md, _) = accord(d.path(), &["diff", &range, "--format", "markdown"]);
    assert!(md.starts_with("### ❌ accord: 3 new findings"), "{md}");
    assert!(
        md.contains("| Severity | Rule | Location | Message | Owner |"),
        "{md}"
    );
    assert!(
        md.contains("| 🔴 error | `host-network` | `apps/api.yaml:14` |"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary>1 pre-existing finding(s)"),
        "{md}"
    );
    assert!(md.contains("```diff\n--- a/apps/api.yaml"), "{md}");
    assert!(md.contains("**moved** `Deployment shop/web`"), "{md}");

    let (_, v) = diff_json(d.path(), &[&range]);
    assert_eq!(v["summary"]["introduced"], 3);
    assert_eq!(v["summary"]["unchanged"], 1);
    assert_eq!(v["summary"]["fixed"], 1);
    assert_eq!(v["base"]["commit"], base.as_str());
    let patch = v["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "host-network")
        .unwrap()["patch"]
        .as_str()
        .unwrap()
        .to_string();
    // The patch applies with `git apply` on HEAD.
    std::fs::write(d.path().join("fix.patch"), &patch).unwrap();
    git(d.path(), &["apply", "--check", "fix.patch"]);
}

#[test]
fn fail_on_introduced_lets_legacy_findings_pass() {
    let d = repo();
    let p = d.path();
    write(p, "web.yaml", WEB);
    let base = commit(p, "base");
    // Only a harmless change: the replica count.
    write(p, "web.yaml", &WEB.replace("replicas: 4", "replicas: 3"));
    let head = commit(p, "head");
    let range = format!("{base}..{head}");
    let (code, v) = diff_json(p, &[&range]);
    assert_eq!(code, 0, "a pre-existing error does not fail the change");
    assert_eq!(bucket(&v, "unchanged").len(), 1);
    assert_eq!(v["objects"][0]["fields"][0]["path"], "/spec/replicas");
    let (code, _, _) = accord(p, &["diff", &range, "--fail-on", "all"]);
    assert_eq!(code, 1, "--fail-on all counts pre-existing findings");
    let (code, _, _) = accord(p, &["lint"]);
    assert_eq!(code, 1, "lint sees the legacy error");
}

#[test]
fn default_range_is_merge_base_to_the_working_tree() {
    let d = repo();
    let p = d.path();
    write(p, "api.yaml", &API_BASE.replace("latest", "1.0.0"));
    commit(p, "base");
    git(p, &["checkout", "-q", "-b", "feature"]);
    write(p, "cache.yaml", CACHE);
    commit(p, "feature");
    // Uncommitted: an edit to a committed file, plus an untracked file.
    write(p, "api.yaml", API_HEAD);
    write(p, "extra.yaml", &PVC.replace("name: data", "name: extra"));
    let (_, v) = diff_json(p, &[]);
    assert_eq!(v["head"]["commit"], Value::Null);
    assert!(
        v["base"]["spec"]
            .as_str()
            .unwrap()
            .starts_with("merge-base(main"),
        "{}",
        v["base"]
    );
    assert_eq!(
        objects(&v),
        vec![
            ("added".to_string(), "Deployment/cache".to_string()),
            (
                "added".to_string(),
                "PersistentVolumeClaim/extra".to_string()
            ),
            ("modified".to_string(), "Deployment/api".to_string()),
        ]
    );
    assert_eq!(
        bucket(&v, "introduced"),
        vec![
            ("host-network".to_string(), "api.yaml".to_string()),
            ("latest-image-tag".to_string(), "cache.yaml".to_string())
        ]
    );
    // A single revision means "that..working tree".
    let (_, v) = diff_json(p, &["HEAD"]);
    assert_eq!(
        objects(&v),
        vec![
            (
                "added".to_string(),
                "PersistentVolumeClaim/extra".to_string()
            ),
            ("modified".to_string(), "Deployment/api".to_string())
        ]
    );
    // BASE...HEAD diffs from the merge base, like a pull request.
    std::fs::remove_file(p.join("extra.yaml")).unwrap();
    git(p, &["checkout", "-q", "main"]);
    write(p, "api.yaml", &API_BASE.replace("latest", "1.0.0"));
    write(p, "other.yaml", &PVC.replace("name: data", "name: other"));
    commit(p, "main moves on");
    let (_, v) = diff_json(p, &["main...feature"]);
    assert_eq!(
        objects(&v),
        vec![("added".to_string(), "Deployment/cache".to_string())]
    );
    let (_, v) = diff_json(p, &["main..feature"]);
    assert_eq!(
        objects(&v),
        vec![
            ("added".to_string(), "Deployment/cache".to_string()),
            (
                "removed".to_string(),
                "PersistentVolumeClaim/other".to_string()
            )
        ]
    );
}

#[test]
fn transition_rules_see_the_base_version() {
    let d = repo();
    let p = d.path();
    write(p, "web.yaml", &WEB.replace("replicas: 4", "replicas: 10"));
    let base = commit(p, "base");
    write(
        p,
        "web.yaml",
        &WEB.replace("replicas: 4", "replicas: 3").replace(
            "matchLabels: {app: web}",
            "matchLabels: {app: web, v: \"2\"}",
        ),
    );
    let head = commit(p, "head");
    let (code, v) = diff_json(p, &[&format!("{base}..{head}")]);
    assert_eq!(code, 1);
    let intro = v["findings"]["introduced"].as_array().unwrap();
    let msgs: Vec<&str> = intro
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.contains(&"Replicas of Deployment shop/web drop from 10 to 3 in one change"),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("The selector of Deployment shop/web changed")),
        "{msgs:?}"
    );
    // Plain lint never fires transition rules.
    let (_, out, _) = accord(p, &["lint", "--format", "json"]);
    assert!(
        !out.contains("replicas-halved") && !out.contains("immutable-selector"),
        "{out}"
    );
}

/// A Service in namespace `ns` selecting `app: {app}`.
fn service(ns: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: svc, namespace: {ns}}}\nspec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80}}]\n"
    )
}

/// A Deployment in namespace `ns` whose pods carry `app: {app}`.
fn deployment(ns: &str, app: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: {ns}}}\nspec:\n  selector:\n    matchLabels: {{app: {app}}}\n  template:\n    metadata:\n      labels: {{app: {app}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n"
    )
}

#[test]
fn cross_object_findings_on_unchanged_files_follow_the_related_change() {
    let d = repo();
    let p = d.path();
    // Unchanged files: Services in two namespaces, one selecting pods nothing has on either side.
    write(p, "a/svc.yaml", &service("a", "web"));
    write(p, "b/svc.yaml", &service("b", "web"));
    write(
        p,
        "b/lonely.yaml",
        &service("b", "nobody").replace("name: svc", "name: lonely"),
    );
    write(p, "b/deploy.yaml", &deployment("b", "web"));
    write(p, "a/deploy.yaml", &deployment("a", "web"));
    let base = commit(p, "base");
    // The change relabels the pods of namespace a only.
    write(p, "a/deploy.yaml", &deployment("a", "other"));
    let head = commit(p, "head");
    // The relabelled Deployment's own (transition) findings are not what this is about.
    let services = |v: &Value, which: &str| -> Vec<String> {
        bucket(v, which)
            .into_iter()
            .filter(|(rule, _)| rule == "service-selects-nothing")
            .map(|(_, file)| file)
            .collect()
    };
    let (_, v) = diff_json(p, &[&format!("{base}..{head}")]);
    assert_eq!(services(&v, "introduced"), ["a/svc.yaml"]);
    assert_eq!(services(&v, "unchanged"), ["b/lonely.yaml"]);
    assert!(services(&v, "fixed").is_empty());
    // And back: the finding on the unchanged file is fixed.
    let (_, v) = diff_json(p, &[&format!("{head}..{base}")]);
    assert!(services(&v, "introduced").is_empty());
    assert_eq!(services(&v, "unchanged"), ["b/lonely.yaml"]);
    assert_eq!(services(&v, "fixed"), ["a/svc.yaml"]);
}

#[test]
fn policy_change_blast_radius_is_reported_apart() {
    let d = repo();
    let p = d.path();
    write(p, "a/web.yaml", WEB);
    write(p, "b/api.yaml", &API_BASE.replace("latest", "2.0.0"));
    let base = commit(p, "base");
    // HEAD adds a rule (every Deployment needs a `team` label) and touches nothing else.
    write(p, ".accord.yaml", &format!("{CONFIG}policies: [rules]\n"));
    write(
        p,
        "rules/team-label.yaml",
        "id: team-label\ntitle: Deployments need a team label\nseverity: error\ncategory: ownership\nwhy: Pages go to the owning team.\nhelp: Add a `team` label.\nmatch: {kinds: [Deployment]}\nrequire: {field: /metadata/labels/team, exists: true}\nmessage: \"{{object.ref}} has no team label\"\nexamples:\n  invalid: [\"apiVersion: apps/v1\\nkind: Deployment\\nmetadata: {name: a}\\n\"]\n  valid: [\"apiVersion: apps/v1\\nkind: Deployment\\nmetadata: {name: a, labels: {team: x}}\\n\"]\n",
    );
    let head = commit(p, "add a rule");
    let range = format!("{base}..{head}");
    let (code, v) = diff_json(p, &[&range]);
    assert_eq!(code, 0, "a rule change does not fail the change by default");
    assert_eq!(bucket(&v, "introduced"), vec![]);
    assert_eq!(
        v["policy"]["rules_added"],
        serde_json::json!(["team-label"])
    );
    assert_eq!(
        v["policy"]["impact"],
        serde_json::json!([{"rule": "team-label", "objects": 2, "files": 2, "findings": 2}])
    );
    assert_eq!(v["summary"]["policy_new"], 2);
    let (_, text, _) = accord(p, &["diff", &range]);
    assert!(
        text.contains("rule `team-label` newly flags 2 objects in 2 files"),
        "{text}"
    );
    let (code, _, _) = accord(p, &["diff", &range, "--fail-on", "changed"]);
    assert_eq!(code, 1);
    // A new object in the same change is flagged as introduced, not as blast radius.
    write(
        p,
        "c/cache.yaml",
        &CACHE.replace("image: redis", "image: redis:7.2.4"),
    );
    let (_, v) = diff_json(p, &[&base]);
    assert_eq!(
        bucket(&v, "introduced"),
        vec![("team-label".to_string(), "c/cache.yaml".to_string())]
    );
    assert_eq!(v["summary"]["policy_new"], 2);
}

#[test]
fn secret_values_are_redacted_everywhere() {
    let d = repo();
    let p = d.path();
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: shop}\ntype: Opaque\ndata:\n  password: aHVudGVyMg==\nstringData:\n  token: |\n    s3cr3t-token-line\n";
    write(p, "secret.yaml", secret);
    let base = commit(p, "base");
    write(
        p,
        "secret.yaml",
        &secret
            .replace("aHVudGVyMg==", "Y29ycmVjdGhvcnNl")
            .replace("s3cr3t-token-line", "an0ther-token"),
    );
    let head = commit(p, "head");
    let range = format!("{base}..{head}");
    for format in ["text", "json", "markdown"] {
        let (_, out, err) = accord(p, &["diff", &range, "--format", format]);
        for leaked in [
            "aHVudGVyMg==",
            "Y29ycmVjdGhvcnNl",
            "s3cr3t-token-line",
            "an0ther-token",
        ] {
            assert!(
                !out.contains(leaked),
                "{format} leaks {leaked}:\n{out}{err}"
            );
        }
        assert!(out.contains("redacted"), "{format}:\n{out}");
    }
    let (_, v) = diff_json(p, &[&range]);
    let fields = v["objects"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0]["old"], "<redacted>");
}

#[test]
fn lint_at_a_revision_reads_git_not_the_disk() {
    let d = repo();
    let p = d.path();
    write(p, "deploy/api.yaml", API_BASE);
    let base = commit(p, "base");
    std::fs::remove_file(p.join("deploy/api.yaml")).unwrap();
    write(p, "deploy/ok.yaml", &API_BASE.replace("latest", "1.0.0"));
    commit(p, "head");
    let (code, out, err) = accord(p, &["lint", "--rev", &base, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["latest-image-tag"]);
    assert_eq!(v["findings"][0]["file"], "deploy/api.yaml");
    // From a subdirectory, paths are relative to it, as in `lint`.
    let (_, out, _) = accord(
        &p.join("deploy"),
        &["lint", "--rev", &base, "--format", "json"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["file"], "api.yaml");
    // Works in a bare clone too.
    let bare = tempfile::tempdir().unwrap();
    git(
        bare.path(),
        &["clone", "-q", "--bare", p.to_str().unwrap(), "r.git"],
    );
    let (code, out, err) = accord(
        &bare.path().join("r.git"),
        &["lint", "--rev", &base, "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("latest-image-tag"), "{out}");
    let (code, _, err) = accord(&bare.path().join("r.git"), &["diff", &base]);
    assert_eq!(code, 2);
    assert!(err.contains("bare"), "{err}");
}

#[test]
fn shallow_clone_says_how_to_fetch_more() {
    let d = repo();
    let p = d.path();
    write(p, "a.yaml", PVC);
    commit(p, "one");
    write(p, "a.yaml", &PVC.replace("5Gi", "6Gi"));
    commit(p, "two");
    let shallow = tempfile::tempdir().unwrap();
    git(
        shallow.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", p.display()),
            "s",
        ],
    );
    let s = shallow.path().join("s");
    let (code, _, err) = accord(&s, &["diff", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("shallow")
            && err.contains("fetch-depth: 0")
            && err.contains("git fetch --deepen"),
        "{err}"
    );
    // What is in the clone still works.
    let (code, _, err) = accord(&s, &["diff", "HEAD"]);
    assert_eq!(code, 0, "{err}");
}

/// A real manifest from the shared corpus, reordered (documents, map keys, keyed lists) and
/// reformatted as JSON: no object may be reported changed, and no finding may move bucket.
#[test]
fn reordered_and_reformatted_real_manifest_is_no_change() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/argoproj__argo-cd/manifests/install.yaml");
    let corpus = if corpus.exists() {
        corpus
    } else {
        Path::new("/work/shared/corpus/argoproj__argo-cd/manifests/install.yaml").to_path_buf()
    };
    let Ok(text) = std::fs::read_to_string(&corpus) else {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    };
    let f = accord::manifest::read("install.yaml", text.clone());
    assert!(f.objects.len() > 20, "expected a large manifest");
    let mut docs: Vec<String> = f.objects.iter().map(|o| reformat(o.node(), "")).collect();
    docs.reverse();
    let reformatted = docs
        .iter()
        .map(|d| format!("---\n{d}\n"))
        .collect::<String>();
    let d = repo();
    let p = d.path();
    write(p, "install.yaml", &text);
    let base = commit(p, "original");
    write(p, "install.yaml", &reformatted);
    let head = commit(p, "reordered and reformatted");
    let (_, v) = diff_json(p, &[&format!("{base}..{head}")]);
    assert_eq!(
        v["objects"],
        serde_json::json!([]),
        "spurious object changes"
    );
    assert_eq!(v["findings"]["introduced"], serde_json::json!([]));
    assert_eq!(v["findings"]["fixed"], serde_json::json!([]));
    assert!(v["summary"]["unchanged"].as_u64().unwrap() > 0);
    assert_eq!(v["files"][0]["status"], "modified", "the text did change");
    // Moved to another file as well: every object is "moved", none modified.
    std::fs::remove_file(p.join("install.yaml")).unwrap();
    write(p, "argo/install.json.yaml", &reformatted);
    let (_, v) = diff_json(p, &[&base]);
    let kinds: std::collections::BTreeSet<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["change"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["moved"].into_iter().collect());
    assert_eq!(v["findings"]["introduced"], serde_json::json!([]));
}

/// JSON text of a node with map keys reversed and keyed lists and sets reversed.
fn reformat(n: &accord::manifest::Node, field: &str) -> String {
    use accord::manifest::Value as V;
    use accord::manifest::canon::{ListKind, list_kind};
    match &n.value {
        V::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .rev()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::to_string(k.text.as_str()).unwrap(),
                        reformat(v, &k.text)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        V::Seq(items) => {
            let mut parts: Vec<String> = items.iter().map(|i| reformat(i, "")).collect();
            if list_kind(field, items) != ListKind::Ordered {
                parts.reverse();
            }
            format!("[{}]", parts.join(",\n"))
        }
        _ => serde_json::to_string(&n.to_json()).unwrap(),
    }
}

/// `accord` with `ACCORD_TODAY` set: waiver expiry is judged against that date.
fn accord_on(dir: &Path, today: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ACCORD_TODAY", today)
        .output()
        .expect("accord runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn diff_json_on(dir: &Path, today: &str, range: &str) -> (i32, Value) {
    let (code, out, err) = accord_on(dir, today, &["diff", "--format", "json", range]);
    assert!(code == 0 || code == 1, "exit {code}: {err}\n{out}");
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad json ({e}): {out}\n{err}")),
    )
}

/// The config of the waiver tests: a central waivers file, and security rules owned by ops.
const WAIVER_CONFIG: &str =
    "waivers: waivers.yaml\nowners:\n  security: {owner: ops-security, contact: '#ops-security'}\n";

const WEB_WAIVER: &str = "waivers:
  - rule: privileged-container
    target: {kind: Deployment, namespace: shop, name: web}
    reason: packet capture needs raw devices
    ticket: OPS-7
    approved-by: alice
    expires: 2026-12-31
";

/// BASE: `api` with a legacy `latest` tag, no waivers. HEAD: a new privileged `web` and a
/// central waiver for it added in the same change.
fn waiver_repo() -> (tempfile::TempDir, String) {
    let d = repo();
    let p = d.path();
    write(p, ".accord.yaml", &format!("{CONFIG}{WAIVER_CONFIG}"));
    write(p, "CODEOWNERS", "apps/ @org/shop\nwaivers.yaml @org/ops\n");
    write(p, "waivers.yaml", "waivers: []\n");
    write(p, "apps/api.yaml", API_BASE);
    let base = commit(p, "base");
    write(p, "apps/web.yaml", WEB);
    write(p, "waivers.yaml", WEB_WAIVER);
    let head = commit(p, "web, waived");
    (d, format!("{base}..{head}"))
}

#[test]
fn waived_introduced_finding_does_not_fail_and_is_listed_everywhere() {
    let (d, range) = waiver_repo();
    let p = d.path();
    let (code, v) = diff_json_on(p, "2026-06-01", &range);
    assert_eq!(code, 0, "a waived finding does not fail the change: {v:#}");
    let intro = v["findings"]["introduced"].as_array().expect("introduced");
    let web: Vec<&Value> = intro
        .iter()
        .filter(|f| f["rule"] == "privileged-container")
        .collect();
    assert_eq!(web.len(), 1, "{v:#}");
    assert_eq!(web[0]["waived"], true);
    assert_eq!(web[0]["waiver"]["source"], "central");
    assert_eq!(web[0]["waiver"]["approved_by"], "alice");
    assert_eq!(web[0]["waiver"]["expires"], "2026-12-31");
    assert_eq!(
        web[0]["waiver"]["reason"],
        "packet capture needs raw devices"
    );
    // CODEOWNERS of HEAD: the dev team owning the object; the rule's owner is ops.
    assert_eq!(web[0]["code_owner"], "@org/shop");
    assert_eq!(web[0]["owner"], "ops-security");
    assert_eq!(v["summary"]["introduced"], 0);
    assert_eq!(v["summary"]["introduced_errors"], 0);
    assert_eq!(v["summary"]["waived"], 1);
    // The waiver came with the change: it needs the rule owner's approval.
    let new = v["new_waivers"].as_array().expect("new waivers");
    assert_eq!(new.len(), 1, "{v:#}");
    assert_eq!(new[0]["source"], "central");
    assert_eq!(new[0]["rule"], "privileged-container");
    assert_eq!(new[0]["file"], "waivers.yaml");
    assert_eq!(new[0]["line"], 2);
    assert_eq!(new[0]["needs_approval_by"], "ops-security");
    assert_eq!(v["summary"]["new_waivers"], 1);

    // Text: under its line, in the waived list, the approval call-out and the summary line.
    let (code, text, err) = accord_on(p, "2026-06-01", &["diff", &range]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "waived [privileged-container]",
        "Waived (1)\n",
        "= waiver: waivers file waivers.yaml:2, approved by alice, expires 2026-12-31, OPS-7: packet capture needs raw devices",
        "Waivers added in this change (1)\n  waivers.yaml:2: `privileged-container` for Deployment shop/web until 2026-12-31 (packet capture needs raw devices) — needs approval by ops-security",
        " · 1 waived · 1 new waiver needs approval",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("Introduced outside"), "{text}");
    // Markdown: listed with reason and approver, and the approval call-out.
    let (_, md, _) = accord_on(p, "2026-06-01", &["diff", "--format", "markdown", &range]);
    assert!(md.starts_with("### ✅ accord: no new findings"), "{md}");
    assert!(md.contains("#### Waived findings (1)"), "{md}");
    assert!(
        md.contains("| packet capture needs raw devices (OPS-7) | alice | 2026-12-31 |"),
        "{md}"
    );
    assert!(
        md.contains("**needs approval by ops-security** (waivers.yaml:2)"),
        "{md}"
    );
    // SARIF: a suppression; JUnit: skipped.
    let (_, sarif, _) = accord_on(p, "2026-06-01", &["diff", "--format", "sarif", &range]);
    let sarif: Value = serde_json::from_str(&sarif).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "privileged-container")
        .expect("listed");
    assert_eq!(r["suppressions"][0]["kind"], "external");
    assert_eq!(
        r["suppressions"][0]["justification"],
        "packet capture needs raw devices"
    );
    let (_, junit, _) = accord_on(p, "2026-06-01", &["diff", "--format", "junit", &range]);
    assert!(
        junit.contains("<skipped message=\"waived: packet capture needs raw devices\"/>"),
        "{junit}"
    );
}

#[test]
fn expired_waiver_fails_the_change_and_says_who_had_waived_it() {
    let (d, range) = waiver_repo();
    let p = d.path();
    let (code, v) = diff_json_on(p, "2027-01-15", &range);
    assert_eq!(code, 1, "the waiver expired: the finding fails again");
    let f = v["findings"]["introduced"]
        .as_array()
        .expect("introduced")
        .iter()
        .find(|f| f["rule"] == "privileged-container")
        .expect("listed")
        .clone();
    assert_eq!(f["waived"], false);
    assert_eq!(f["waiver"]["expired"], true);
    assert_eq!(v["summary"]["introduced_errors"], 1);
    assert_eq!(v["summary"]["expired_waivers"], 1);
    let (code, text, _) = accord_on(p, "2027-01-15", &["diff", &range]);
    assert_eq!(code, 1);
    assert!(
        text.contains("waiver expired: waivers file waivers.yaml:2, approved by alice, expired on 2026-12-31, OPS-7: packet capture needs raw devices"),
        "{text}"
    );
    assert!(text.contains(" · 1 expired waiver"), "{text}");
}

#[test]
fn each_revision_uses_its_own_annotations_and_stale_waivers_are_reported() {
    let d = repo();
    let p = d.path();
    write(p, ".accord.yaml", &format!("{CONFIG}{WAIVER_CONFIG}"));
    write(p, "waivers.yaml", "waivers: []\n");
    write(p, "apps/web.yaml", WEB);
    write(p, "apps/api.yaml", API_BASE);
    let base = commit(p, "base");
    // HEAD: the legacy `latest` tag on api is waived by a new annotation, and a central waiver
    // names an object that does not exist.
    let annotated = API_BASE.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    accord.dev/ignore: \"latest-image-tag: tag pinned by the deploy pipeline\"\n",
    );
    write(p, "apps/api.yaml", &annotated);
    write(
        p,
        "waivers.yaml",
        "waivers:\n  - rule: host-network\n    target: {name: gone}\n    reason: removed long ago\n    approved-by: carol\n    expires: 2027-01-01\n",
    );
    let head = commit(p, "head");
    // The working tree says otherwise: a diff of two commits must not read it.
    write(p, "apps/api.yaml", API_BASE);
    let range = format!("{base}..{head}");
    let (code, v) = diff_json_on(p, "2026-06-01", &range);
    assert_eq!(code, 0, "{v:#}");
    let latest: Vec<&Value> = v["findings"]["unchanged"]
        .as_array()
        .expect("unchanged")
        .iter()
        .filter(|f| f["rule"] == "latest-image-tag")
        .collect();
    assert_eq!(latest.len(), 1, "{v:#}");
    assert_eq!(
        latest[0]["waived"], true,
        "HEAD's annotation waives it at HEAD"
    );
    assert_eq!(latest[0]["waiver"]["source"], "annotation");
    // The privileged web is pre-existing and not waived at either revision.
    let web: Vec<&Value> = v["findings"]["unchanged"]
        .as_array()
        .expect("unchanged")
        .iter()
        .filter(|f| f["rule"] == "privileged-container")
        .collect();
    assert_eq!(web.len(), 1);
    assert!(web[0]["waiver"].is_null(), "{v:#}");
    assert_eq!(
        v["summary"]["unchanged"], 1,
        "the waived one is not counted"
    );
    assert_eq!(v["summary"]["waived"], 1);
    // The stale central waiver is a finding the change introduced.
    assert_eq!(
        bucket(&v, "introduced"),
        vec![("stale-waiver".to_string(), "waivers.yaml".to_string())]
    );
    assert_eq!(v["summary"]["stale_waivers"], 1);
    // Both waivers are new and need approval: the central one (host-network, a security rule)
    // by ops-security; the annotation's rule has no owner and there is no CODEOWNERS here.
    let new: Vec<(String, String, String)> = v["new_waivers"]
        .as_array()
        .expect("new")
        .iter()
        .map(|n| {
            (
                n["source"].as_str().unwrap_or("").to_string(),
                format!("{}:{}", n["file"].as_str().unwrap_or(""), n["line"]),
                n["needs_approval_by"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        new,
        vec![
            (
                "annotation".to_string(),
                "apps/api.yaml:7".to_string(),
                "the owner of the waivers file".to_string()
            ),
            (
                "central".to_string(),
                "waivers.yaml:2".to_string(),
                "ops-security".to_string()
            ),
        ]
    );

    // Diffed the other way, the annotation is BASE's: HEAD's finding is no longer waived, and
    // the stale waiver is fixed.
    let (code, v) = diff_json_on(p, "2026-06-01", &format!("{head}..{base}"));
    assert_eq!(code, 0);
    let latest = v["findings"]["unchanged"]
        .as_array()
        .expect("unchanged")
        .iter()
        .find(|f| f["rule"] == "latest-image-tag")
        .expect("listed")
        .clone();
    assert_eq!(latest["waived"], false, "{v:#}");
    assert_eq!(
        bucket(&v, "fixed"),
        vec![("stale-waiver".to_string(), "waivers.yaml".to_string())]
    );
    assert!(v["new_waivers"].as_array().expect("new").is_empty());
}
