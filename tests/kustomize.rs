//! Kustomize rendering: object-for-object comparison with `kubectl kustomize` output (fixtures
//! under tests/fixtures/kustomize, see the README there), provenance of findings, hash suffixes,
//! name references and located findings for unsupported features.

mod support;

use accord::kustomize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::git::{commit, git, write};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kustomize")
}

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let p = if p.is_dir() {
        p
    } else {
        PathBuf::from("/work/shared/corpus")
    };
    p.is_dir().then_some(p)
}

/// Objects of a YAML stream as JSON values, sorted by their canonical text.
fn objects_of(text: &str) -> Vec<Value> {
    let f = accord::manifest::read("expected.yaml", text);
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    let mut v: Vec<Value> = f.objects.iter().map(|o| o.node().to_json()).collect();
    v.sort_by_key(|x| x.to_string());
    v
}

fn render(dir: &Path) -> (Vec<Value>, Vec<String>) {
    let (mut objs, diags) = kustomize::render_dir(dir, dir);
    objs.sort_by_key(|x| x.to_string());
    (objs, diags.iter().map(|d| d.message.clone()).collect())
}

fn assert_same(name: &str, got: &[Value], want: &[Value]) {
    let id = |v: &Value| {
        format!(
            "{}/{}",
            v["kind"].as_str().unwrap_or(""),
            v["metadata"]["name"].as_str().unwrap_or("")
        )
    };
    for w in want {
        if !got.contains(w) {
            let same_id: Vec<&Value> = got.iter().filter(|g| id(g) == id(w)).collect();
            panic!(
                "{name}: expected object {} not rendered identically\nwant: {w:#}\ngot: {same_id:#?}",
                id(w)
            );
        }
    }
    assert_eq!(got.len(), want.len(), "{name}: object count");
}

#[test]
fn synthetic_overlay_matches_kubectl_kustomize() {
    let dir = fixtures().join("synthetic");
    let (got, problems) = render(&dir.join("overlay"));
    assert!(problems.is_empty(), "{problems:?}");
    let want = objects_of(&std::fs::read_to_string(dir.join("expected.yaml")).expect("fixture"));
    assert_same("synthetic", &got, &want);
}

#[test]
fn generator_hash_suffixes_and_name_references() {
    let (got, _) = render(&fixtures().join("synthetic/overlay"));
    let names: Vec<&str> = got
        .iter()
        .filter_map(|v| v["metadata"]["name"].as_str())
        .collect();
    assert!(names.contains(&"prod-web-config-b45gkkkdb9"), "{names:?}");
    assert!(names.contains(&"prod-db-25k92892fb"), "{names:?}");
    let deploy = got
        .iter()
        .find(|v| v["kind"] == "Deployment")
        .expect("deployment");
    let spec = &deploy["spec"]["template"]["spec"];
    assert_eq!(
        spec["containers"][0]["envFrom"][0]["configMapRef"]["name"],
        "prod-web-config-b45gkkkdb9"
    );
    assert_eq!(spec["serviceAccountName"], "prod-web");
}

#[test]
fn corpus_trees_match_kubectl_kustomize() {
    let Some(corpus) = corpus() else {
        eprintln!("corpus not present; skipped");
        return;
    };
    let cases = [
        ("podinfo-kustomize", "stefanprodan__podinfo/kustomize"),
        (
            "podinfo-backend",
            "stefanprodan__podinfo/deploy/bases/backend",
        ),
        (
            "flux-apps-production",
            "fluxcd__flux2-kustomize-helm-example/apps/production",
        ),
        (
            "flux-apps-staging",
            "fluxcd__flux2-kustomize-helm-example/apps/staging",
        ),
        (
            "flux-infra-controllers",
            "fluxcd__flux2-kustomize-helm-example/infrastructure/controllers",
        ),
        (
            "flux-infra-configs",
            "fluxcd__flux2-kustomize-helm-example/infrastructure/configs",
        ),
    ];
    for (name, dir) in cases {
        let (got, problems) = render(&corpus.join(dir));
        assert!(problems.is_empty(), "{name}: {problems:?}");
        let want = objects_of(
            &std::fs::read_to_string(fixtures().join(name).join("expected.yaml")).expect("fixture"),
        );
        assert_same(name, &got, &want);
    }
}

/// The podinfo overlays need generator inputs (scripts, redis.conf) the corpus does not carry:
/// the test copies the tree and writes the same stub files the reference output was made with.
#[test]
fn corpus_podinfo_overlays_match_kubectl_kustomize() {
    let Some(corpus) = corpus() else {
        eprintln!("corpus not present; skipped");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let deploy = tmp.path().join("deploy");
    copy_dir(&corpus.join("stefanprodan__podinfo/deploy"), &deploy);
    let b = deploy.join("bases");
    std::fs::create_dir_all(b.join("database/scripts")).expect("mkdir");
    std::fs::create_dir_all(b.join("frontend/scripts")).expect("mkdir");
    for (p, t) in [
        ("cache/redis.conf", "maxmemory 64mb\n"),
        ("database/scripts/rollup.sh", "echo rollup\n"),
        ("database/scripts/backup.sh", "echo backup\n"),
        ("frontend/scripts/warm-cache.sh", "echo warm\n"),
        ("frontend/scripts/warm-cache-init.sh", "echo init\n"),
    ] {
        std::fs::write(b.join(p), t).expect("write");
    }
    for o in ["dev", "production"] {
        let (got, problems) = render(&deploy.join("overlays").join(o));
        assert!(problems.is_empty(), "{o}: {problems:?}");
        let name = format!("podinfo-overlay-{o}");
        let want = objects_of(
            &std::fs::read_to_string(fixtures().join(&name).join("expected.yaml"))
                .expect("fixture"),
        );
        assert_same(&name, &got, &want);
    }
}

/// The synthetic fixture's inputs (not its expected output) in a temp dir.
fn synthetic_inputs() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for d in ["base", "overlay", "component"] {
        copy_dir(&fixtures().join("synthetic").join(d), &tmp.path().join(d));
    }
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

fn lint_json(args: &[&str], cwd: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["lint", "--format", "json"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn patch_line_is_blamed_not_the_base() {
    let tmp = synthetic_inputs();
    let report = lint_json(&["."], tmp.path());
    let privileged = findings(&report, "privileged-container");
    assert_eq!(privileged.len(), 1, "{report:#}");
    let f = privileged[0];
    // `privileged: true` is line 11 of overlay/security.yaml; the base never sets it.
    assert_eq!(f["file"], "overlay/security.yaml", "{f:#}");
    assert_eq!(f["line"], 11, "{f:#}");
    let msg = f["message"].as_str().expect("message");
    assert!(
        msg.contains("set by overlay/security.yaml:11 on base/deploy.yaml"),
        "{msg}"
    );
    // The fix goes into the patch, the file that should change.
    let edits = f["fix"]["edits"].as_array().expect("edits");
    assert_eq!(edits.len(), 1, "{f:#}");
    assert_eq!(edits[0]["line"], 11);
    assert_eq!(edits[0]["content"], "false");
    assert_eq!(f["object"]["name"], "prod-web");
    assert_eq!(f["object"]["namespace"], "prod");
    // Member files are not linted again on their own: no finding names an unrendered object.
    for f in report["findings"].as_array().expect("findings") {
        if let Some(ns) = f["object"]["namespace"].as_str() {
            assert_eq!(ns, "prod", "{f:#}");
        }
        assert!(
            !f["file"].as_str().unwrap_or("").contains("(rendered)"),
            "{f:#}"
        );
    }
}

#[test]
fn fix_is_applied_to_the_patch_file() {
    let tmp = synthetic_inputs();
    let base_before = std::fs::read_to_string(tmp.path().join("base/deploy.yaml")).expect("read");
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["lint", "--fix", "--unsafe-fixes", "."])
        .current_dir(tmp.path())
        .output()
        .expect("runs");
    assert!(out.status.code().is_some(), "{out:?}");
    let patch = std::fs::read_to_string(tmp.path().join("overlay/security.yaml")).expect("read");
    assert!(patch.contains("privileged: false"), "{patch}");
    let base_after = std::fs::read_to_string(tmp.path().join("base/deploy.yaml")).expect("read");
    assert_eq!(base_before, base_after);
    let report = lint_json(&["."], tmp.path());
    assert!(findings(&report, "privileged-container").is_empty());
}

#[test]
fn base_line_or_kustomization_field_is_blamed_when_they_set_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = tmp.path().join("base");
    let overlay = tmp.path().join("overlay");
    std::fs::create_dir_all(&base).expect("mkdir");
    std::fs::create_dir_all(&overlay).expect("mkdir");
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources:\n  - deploy.yaml\n",
    )
    .expect("write");
    std::fs::write(
        base.join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers:\n        - name: web\n          image: nginx:1.25\n",
    )
    .expect("write");
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources:\n  - ../base\nnamePrefix: prod-\nimages:\n  - name: nginx\n    newTag: latest\n",
    )
    .expect("write");
    let report = lint_json(&["overlay"], tmp.path());
    let host = findings(&report, "host-network");
    assert_eq!(host.len(), 1, "{report:#}");
    assert_eq!(host[0]["file"], "base/deploy.yaml");
    assert_eq!(host[0]["line"], 8);
    let latest = findings(&report, "latest-image-tag");
    assert_eq!(latest.len(), 1, "{report:#}");
    assert_eq!(latest[0]["file"], "overlay/kustomization.yaml");
    assert_eq!(latest[0]["line"], 5);
    assert!(
        latest[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("on base/deploy.yaml"),
        "{:#}",
        latest[0]
    );
    // The patch-created `securityContext` of the synthetic fixture is blamed on the patch.
    let tmp = synthetic_inputs();
    let report = lint_json(&["."], tmp.path());
    let root = findings(&report, "run-as-root");
    assert_eq!(root.len(), 1, "{root:#?}");
    assert_eq!(root[0]["file"], "overlay/security.yaml");
    assert_eq!(root[0]["line"], 10);
    assert!(
        findings(&report, "missing-memory-limit").is_empty(),
        "deleted sidecar is not linted"
    );
    assert!(
        findings(&report, "kustomize-error").is_empty(),
        "{report:#}"
    );
}

#[test]
fn unsupported_features_and_remote_bases_are_located() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("kustomization.yaml"),
        "resources:\n  - https://github.com/example/app//deploy?ref=v1\n  - missing.yaml\nhelmCharts:\n  - name: podinfo\n",
    )
    .expect("write");
    let report = lint_json(&["."], tmp.path());
    let unsupported = findings(&report, "kustomize-unsupported");
    let lines: Vec<i64> = unsupported
        .iter()
        .map(|f| f["line"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(lines, vec![2, 4], "{unsupported:#?}");
    assert!(
        unsupported[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("remote resource")
    );
    assert!(
        unsupported[1]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Helm chart inflation")
    );
    let errors = findings(&report, "kustomize-error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["file"], "kustomization.yaml");
}

/// The synthetic stream the engine lints holds exactly the rendered objects (the emitter's
/// quoting and layout lose nothing), for every kustomization of the corpus.
#[test]
fn emitted_stream_round_trips_for_corpus_kustomizations() {
    let mut dirs = vec![fixtures().join("synthetic/overlay")];
    if let Some(corpus) = corpus() {
        for tree in [
            "stefanprodan__podinfo",
            "fluxcd__flux2-kustomize-helm-example",
        ] {
            collect_kustomizations(&corpus.join(tree), &mut dirs);
        }
    }
    for dir in dirs {
        let (mut want, _) = kustomize::render_dir(&dir, &dir);
        want.sort_by_key(|v| v.to_string());
        let out = kustomize::render_all(std::slice::from_ref(&dir), &dir);
        assert_eq!(out.rendered.len(), 1, "{}", dir.display());
        let f = &out.rendered[0].file;
        if std::env::var_os("ACCORD_DUMP").is_some() {
            std::fs::write("/tmp/synth.yaml", &f.source.text).expect("dump");
        }
        assert!(f.problems.is_empty(), "{}: {:?}", dir.display(), f.problems);
        assert!(f.skipped.is_empty(), "{}: {:?}", dir.display(), f.skipped);
        let mut got: Vec<Value> = f.objects.iter().map(|o| o.node().to_json()).collect();
        got.sort_by_key(|v| v.to_string());
        assert_eq!(got, want, "{}", dir.display());
    }
}

fn collect_kustomizations(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_kustomizations(&p, out);
        } else if p.file_name().is_some_and(|n| n == "kustomization.yaml") {
            out.push(dir.to_path_buf());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendered objects in `accord diff` and `accord lint --rev`: temporary git repositories with a
// base and two overlays that render the Deployment under the same name (no namespace, no
// prefix), so only the overlay directory keeps their objects apart.

fn accord(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("accord runs");
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(code == 0 || code == 1, "exit {code}: {stderr}\n{stdout}");
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("bad json ({e}): {stdout}\n{stderr}"));
    (code, v, stderr)
}

const BASE_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources:
          limits:
            memory: 128Mi
        securityContext:
          runAsNonRoot: true
          privileged: false
";

const PROD_PATCH: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
";

/// base/ (one Deployment), overlays/prod (patched: 3 replicas), overlays/staging (as is).
fn kustomize_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path();
    git(p, &["init", "-q", "-b", "main"]);
    write(
        p,
        ".accord.yaml",
        "disable: [missing-cpu-request, missing-memory-request, missing-pdb, no-pod-anti-affinity, read-only-root-filesystem]\n",
    );
    write(
        p,
        "base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n",
    );
    write(p, "base/deployment.yaml", BASE_DEPLOYMENT);
    write(
        p,
        "overlays/prod/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\npatches:\n- path: patch.yaml\n",
    );
    write(p, "overlays/prod/patch.yaml", PROD_PATCH);
    write(
        p,
        "overlays/staging/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\n",
    );
    commit(p, "base and overlays");
    d
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in {text}")) as u64
        + 1
}

/// (rule, file, line, key.object) of a diff bucket.
fn bucket(v: &Value, which: &str) -> Vec<(String, String, u64, String)> {
    let mut out: Vec<_> = v["findings"][which]
        .as_array()
        .unwrap_or_else(|| panic!("no {which}: {v:#}"))
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["key"]["object"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn changed_files(v: &Value) -> Vec<String> {
    v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn diff_a_base_line_change_is_introduced_in_every_overlay_at_the_base_line() {
    let d = kustomize_repo();
    let p = d.path();
    let head = BASE_DEPLOYMENT.replace("privileged: false", "privileged: true");
    write(p, "base/deployment.yaml", &head);
    commit(p, "privileged");
    let (code, v, _) = accord(p, &["diff", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(code, 1, "an error was introduced: {v:#}");
    let line = line_of(&head, "privileged: true");
    assert_eq!(
        bucket(&v, "introduced"),
        vec![
            (
                "privileged-container".into(),
                "base/deployment.yaml".into(),
                line,
                "overlays/prod::apps/Deployment//web".into()
            ),
            (
                "privileged-container".into(),
                "base/deployment.yaml".into(),
                line,
                "overlays/staging::apps/Deployment//web".into()
            ),
        ],
        "{v:#}"
    );
    // Every finding located in a real file (never the rendered stream), the overlays kept apart.
    for f in v["findings"]["unchanged"].as_array().expect("unchanged") {
        assert!(
            !f["file"].as_str().unwrap_or("").contains("(rendered)"),
            "{f:#}"
        );
    }
    let unchanged = bucket(&v, "unchanged");
    assert_eq!(
        unchanged
            .iter()
            .filter(|f| f.0 == "missing-readiness-probe" && f.1 == "base/deployment.yaml")
            .count(),
        2,
        "{unchanged:?}"
    );
    // Both overlays' rendered Deployments changed, each placed at its base definition.
    let objects = v["objects"].as_array().expect("objects");
    let mut overlays: Vec<&str> = objects
        .iter()
        .map(|o| o["new"]["overlay"].as_str().unwrap_or(""))
        .collect();
    overlays.sort();
    assert_eq!(overlays, ["overlays/prod", "overlays/staging"], "{v:#}");
    for o in objects {
        assert_eq!(o["change"], "modified");
        assert_eq!(o["new"]["file"], "base/deployment.yaml");
        assert_eq!(o["new"]["line"], 1);
        let fields = o["fields"].as_array().expect("fields");
        assert_eq!(fields.len(), 1, "{o:#}");
        assert_eq!(
            fields[0]["path"],
            "/spec/template/spec/containers[name=web]/securityContext/privileged"
        );
        assert_eq!(fields[0]["new_file"], "base/deployment.yaml");
        assert_eq!(fields[0]["new_line"], line);
    }
    // The annotated unified diff is of the changed file, with both findings under its line.
    assert_eq!(changed_files(&v), ["base/deployment.yaml"]);
    let (_, text, _) = {
        let out = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["diff", "HEAD~1..HEAD"])
            .current_dir(p)
            .env("NO_COLOR", "1")
            .output()
            .expect("runs");
        (0, String::from_utf8_lossy(&out.stdout).to_string(), ())
    };
    assert!(text.contains("+++ b/base/deployment.yaml"), "{text}");
    assert!(!text.contains("(rendered)\n"), "{text}");
    assert_eq!(
        text.matches("error[privileged-container]").count(),
        2,
        "{text}"
    );
    assert!(text.contains("(rendered by overlays/prod)"), "{text}");

    // Reverting it fixes the finding in both overlays.
    write(p, "base/deployment.yaml", BASE_DEPLOYMENT);
    commit(p, "unprivileged");
    let (code, v, _) = accord(p, &["diff", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(bucket(&v, "introduced"), vec![]);
    let fixed = bucket(&v, "fixed");
    assert_eq!(fixed.len(), 2, "{fixed:?}");
    assert!(
        fixed
            .iter()
            .all(|f| f.0 == "privileged-container" && f.1 == "base/deployment.yaml" && f.2 == line)
    );
}

/// The patch's line is blamed, not the base's: the base says `privileged: false`, the prod
/// patch turns it on. Only prod's object changes; staging is untouched.
#[test]
fn diff_a_patch_line_change_is_introduced_in_that_overlay_only_at_the_patch_line() {
    let d = kustomize_repo();
    let p = d.path();
    let patch = format!(
        "{PROD_PATCH}  template:\n    spec:\n      containers:\n      - name: web\n        securityContext:\n          privileged: true\n"
    );
    write(p, "overlays/prod/patch.yaml", &patch);
    commit(p, "prod: privileged");
    let (code, v, _) = accord(p, &["diff", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        bucket(&v, "introduced"),
        vec![(
            "privileged-container".into(),
            "overlays/prod/patch.yaml".into(),
            line_of(&patch, "privileged: true"),
            "overlays/prod::apps/Deployment//web".into()
        )],
        "{v:#}"
    );
    let base_line = line_of(BASE_DEPLOYMENT, "privileged: false");
    assert!(
        v["findings"]["introduced"][0]["line"] != base_line,
        "the base line must not be blamed"
    );
    let objects = v["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 1, "{v:#}");
    assert_eq!(objects[0]["new"]["overlay"], "overlays/prod");
    assert_eq!(
        objects[0]["fields"][0]["new_file"],
        "overlays/prod/patch.yaml"
    );
    assert_eq!(changed_files(&v), ["overlays/prod/patch.yaml"]);
}

/// The default range (merge base of the default branch → working tree) renders the working tree.
#[test]
fn diff_default_range_renders_the_working_tree() {
    let d = kustomize_repo();
    let p = d.path();
    let head = BASE_DEPLOYMENT.replace("image: nginx:1.25", "image: nginx:latest");
    write(p, "base/deployment.yaml", &head);
    let (code, v, _) = accord(p, &["diff", "--format", "json"]);
    assert_eq!(code, 0, "latest-image-tag is a warning: {v:#}");
    let introduced = bucket(&v, "introduced");
    assert_eq!(introduced.len(), 2, "{introduced:?}");
    for f in &introduced {
        assert_eq!(
            (f.0.as_str(), f.1.as_str(), f.2),
            (
                "latest-image-tag",
                "base/deployment.yaml",
                line_of(&head, "nginx:latest")
            )
        );
    }
}

/// `lint --rev` renders the kustomizations of the revision from git, not from the disk, and
/// does not lint the patch on its own.
#[test]
fn lint_rev_renders_kustomizations_at_the_revision() {
    let d = kustomize_repo();
    let p = d.path();
    let head = BASE_DEPLOYMENT.replace("privileged: false", "privileged: true");
    write(p, "base/deployment.yaml", &head);
    commit(p, "privileged");
    // The working tree moves on: the revision must still be what is linted.
    write(p, "base/deployment.yaml", BASE_DEPLOYMENT);
    std::fs::remove_file(p.join("overlays/prod/patch.yaml")).expect("rm");
    let (code, v, _) = accord(p, &["lint", "--rev", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{v:#}");
    let findings = v["findings"].as_array().expect("findings");
    let privileged: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "privileged-container")
        .collect();
    assert!(!privileged.is_empty(), "{v:#}");
    for f in &privileged {
        assert_eq!(f["file"], "base/deployment.yaml");
        assert_eq!(f["line"], line_of(&head, "privileged: true"));
    }
    // Two rendered Deployments; base and patch are not objects of their own.
    assert_eq!(v["summary"]["objects"], 2, "{v:#}");
    assert!(
        findings.iter().all(|f| f["rule"]
            .as_str()
            .is_some_and(|r| !r.starts_with("kustomize-"))),
        "the patch is read from the revision: {v:#}"
    );
}

#[test]
fn diff_an_annotation_in_a_patch_waives_its_overlay_only_and_is_located_in_the_patch() {
    let d = kustomize_repo();
    let p = d.path();
    let head = BASE_DEPLOYMENT.replace("privileged: false", "privileged: true");
    write(p, "base/deployment.yaml", &head);
    let patch = PROD_PATCH.replace(
        "  name: web\n",
        "  name: web\n  annotations:\n    accord.dev/ignore: \"privileged-container: the node agent needs it\"\n",
    );
    write(p, "overlays/prod/patch.yaml", &patch);
    commit(p, "privileged, waived in prod");
    let (code, v, _) = accord(p, &["diff", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(code, 1, "staging's finding is not waived: {v:#}");
    let introduced: Vec<&Value> = v["findings"]["introduced"]
        .as_array()
        .expect("introduced")
        .iter()
        .filter(|f| f["rule"] == "privileged-container")
        .collect();
    assert_eq!(introduced.len(), 2, "{v:#}");
    let annotation_line = line_of(&patch, "accord.dev/ignore");
    for f in &introduced {
        assert_eq!(f["file"], "base/deployment.yaml");
        let prod = f["key"]["object"]
            .as_str()
            .unwrap_or("")
            .starts_with("overlays/prod::");
        assert_eq!(f["waived"] == true, prod, "{f:#}");
        if prod {
            // The waiver is the patch's line, not the rendered stream's.
            assert_eq!(f["waiver"]["file"], "overlays/prod/patch.yaml", "{f:#}");
            assert_eq!(f["waiver"]["line"], annotation_line, "{f:#}");
        }
    }
    let added = v["new_waivers"].as_array().expect("new_waivers");
    assert_eq!(added.len(), 1, "{v:#}");
    assert_eq!(added[0]["file"], "overlays/prod/patch.yaml");
    assert_eq!(added[0]["line"], annotation_line);
    assert_eq!(added[0]["rule"], "privileged-container");
}
