//! End-to-end tests: run the `accord` binary on temporary directories.

use std::path::Path;
use std::process::{Command, Output};

fn accord(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      resources: {limits: {memory: 1Gi}}\n      securityContext:\n        runAsNonRoot: true\n        privileged: true\n";

#[test]
fn finding_has_exact_location_and_all_fields() {
    let t = tempfile::tempdir().expect("tmp");
    write(t.path(), "pod.yaml", PRIVILEGED);
    let out = accord(
        t.path(),
        &[
            "lint",
            "--format",
            "json",
            "--rule",
            "privileged-container",
            "pod.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "privileged-container");
    assert_eq!(f["file"], "pod.yaml");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(13), Some(21))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(13), Some(25))
    );
    assert_eq!(f["path"], "/spec/containers/0/securityContext/privileged");
    assert_eq!(f["object"]["kind"], "Pod");
    assert_eq!(f["object"]["namespace"], "ns");
    assert!(f["message"].as_str().unwrap().contains("`app`"));
    for key in [
        "why", "help", "docs", "owner", "contact", "fix", "severity", "category",
    ] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn missing_field_points_at_nearest_parent_and_names_the_field() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        securityContext: {runAsNonRoot: true}\n",
    );
    let v = json(&accord(
        t.path(),
        &[
            "lint",
            "--format",
            "json",
            "--rule",
            "missing-memory-limit",
            ".",
        ],
    ));
    let f = &v["findings"][0];
    assert_eq!(
        f["path"],
        "/spec/template/spec/containers/0/resources/limits/memory"
    );
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(8), Some(9))
    );
}

#[test]
fn broken_file_is_one_located_finding_and_others_are_still_linted() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "a/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  k: [1, 2\n",
    );
    write(t.path(), "b/pod.yaml", PRIVILEGED);
    let out = accord(
        t.path(),
        &["lint", "--format", "json", "--rule", "privileged-container"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let rules: Vec<(&str, &str, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![
            ("yaml-syntax", "a/broken.yaml", 5),
            ("privileged-container", "b/pod.yaml", 13)
        ]
    );
}

#[test]
fn duplicate_keys_and_half_objects_are_findings() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n---\nkind: Secret\nmetadata: {name: s}\n",
    );
    let v = json(&accord(t.path(), &["lint", "--format", "json", "x.yaml"]));
    let found: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("duplicate-key".to_string(), 5),
            ("incomplete-object".to_string(), 7)
        ]
    );
}

#[test]
fn lists_templates_and_plain_yaml() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    hostNetwork: true\n    containers: []\n",
    );
    write(
        t.path(),
        "chart/t.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n",
    );
    write(t.path(), "values.yaml", "replicas: 3\n");
    write(
        t.path(),
        "alerts.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: alerts}\ndata:\n  rule: 'summary: {{ $labels.instance }} is down'\n",
    );
    let out = accord(
        t.path(),
        &[
            "lint",
            "--format",
            "json",
            "-v",
            "--rule",
            "host-network",
            ".",
        ],
    );
    let v = json(&out);
    assert_eq!(v["summary"]["objects"], 2);
    assert_eq!(v["summary"]["skipped_templates"], 1);
    assert_eq!(v["summary"]["skipped_non_kubernetes"], 1);
    let f = &v["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["line"].as_u64(), f["path"].as_str()),
        (Some("host-network"), Some(8), Some("/spec/hostNetwork"))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("chart/t.yaml: skipped, Helm/Go template"),
        "{stderr}"
    );
    assert!(
        stderr.contains("values.yaml: document 1 skipped"),
        "{stderr}"
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let t = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["lint", "--format", "json", "-"])
        .current_dir(t.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), PRIVILEGED.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json(&out);
    assert_eq!(v["findings"][0]["file"], "<stdin>");
}

#[test]
fn misspelled_key_in_rule_file_is_exit_2_with_line() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "rules/r.yaml",
        "id: my-rule\ntitle: T\nseverty: error\ncategory: c\nwhy: w\nhelp: h.\nmessage: m\nrequire: {field: /x, exists: true}\nexamples: {valid: ['a: 1'], invalid: ['a: 1']}\n",
    );
    write(t.path(), "pod.yaml", PRIVILEGED);
    let out = accord(t.path(), &["lint", "--policy", "rules", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules/r.yaml:3:1"), "{err}");
    assert!(err.contains("did you mean `severity`"), "{err}");
}

#[test]
fn misspelled_key_in_config_is_exit_2_with_line() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        ".accord.yaml",
        "owners:\n  security: {owner: sec}\nfial-on: warning\n",
    );
    write(t.path(), "pod.yaml", PRIVILEGED);
    let out = accord(t.path(), &["lint", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".accord.yaml:3:1"), "{err}");
    assert!(err.contains("did you mean `fail-on`"), "{err}");
    write(t.path(), ".accord.yaml", "disable: [privileged-containr]\n");
    let out = accord(t.path(), &["lint", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".accord.yaml:1:11") && err.contains("did you mean `privileged-container`"),
        "{err}"
    );
}

#[test]
fn config_sets_owners_severity_and_threshold() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        ".accord.yaml",
        "owners:\n  security: {owner: platform-security, contact: '#sec'}\nseverity:\n  privileged-container: warning\nfail-on: error\n",
    );
    write(t.path(), "pod.yaml", PRIVILEGED);
    let out = accord(
        t.path(),
        &[
            "lint",
            "--format",
            "json",
            "--rule",
            "privileged-container",
            "pod.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "warnings only, threshold error");
    let f = &json(&out)["findings"][0];
    assert_eq!(
        (
            f["owner"].as_str(),
            f["contact"].as_str(),
            f["severity"].as_str()
        ),
        (Some("platform-security"), Some("#sec"), Some("warning"))
    );
    let out = accord(t.path(), &["lint", "--fail-on", "warning", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(1));
}

const SAFE_RULE: &str = r#"id: pod-privilege-escalation
title: No privilege escalation
severity: error
category: security
why: A process that can gain more privileges than its parent can turn a small bug into root on the node.
help: Set `allowPrivilegeEscalation` to false.
presets: [default]
each: containers
require:
  field: /securityContext/allowPrivilegeEscalation
  equals: false
message: "Container `{{container.name}}` in {{object.ref}} allows privilege escalation ({{value}})"
fix:
  title: "Set `allowPrivilegeEscalation: false`"
  safe: true
  edits:
    - set: /securityContext/allowPrivilegeEscalation
      value: false
match:
  kinds: [workloads]
examples:
  invalid:
    - |
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers:
          - name: a
            image: a:1
  valid:
    - |
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers:
          - name: a
            image: a:1
            securityContext:
              allowPrivilegeEscalation: false
"#;

#[test]
fn fix_applies_safe_edits_keeping_comments_and_converges() {
    let t = tempfile::tempdir().expect("tmp");
    write(t.path(), "rules/escalation.yaml", SAFE_RULE);
    let original = "# team: shop\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p # the pod\nspec:\n  containers:\n    # main container\n    - name: a\n      image: a:1\n      securityContext:\n        allowPrivilegeEscalation: true # TODO\n    - name: b\n      image: b:1\n";
    write(t.path(), "pod.yaml", original);
    let out = accord(
        t.path(),
        &[
            "lint",
            "--no-builtin",
            "--policy",
            "rules",
            "--fix",
            "pod.yaml",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let fixed = std::fs::read_to_string(t.path().join("pod.yaml")).unwrap();
    assert_eq!(
        fixed,
        "# team: shop\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p # the pod\nspec:\n  containers:\n    # main container\n    - name: a\n      image: a:1\n      securityContext:\n        allowPrivilegeEscalation: false # TODO\n    - name: b\n      image: b:1\n      securityContext:\n        allowPrivilegeEscalation: false\n"
    );
}

#[test]
fn accord_test_runs_user_rule_examples() {
    let t = tempfile::tempdir().expect("tmp");
    write(t.path(), "rules/escalation.yaml", SAFE_RULE);
    let out = accord(t.path(), &["test", "rules"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 rules, 2 tests, 2 passed, 0 failed"));
    // A wrong expectation fails.
    write(
        t.path(),
        "rules/escalation.yaml",
        &SAFE_RULE
            .replace(
                "allowPrivilegeEscalation: false\n\"#",
                "allowPrivilegeEscalation: true\n\"#",
            )
            .replace(
                "              allowPrivilegeEscalation: false\n",
                "              allowPrivilegeEscalation: true\n",
            ),
    );
    let out = accord(t.path(), &["test", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("FAIL pod-privilege-escalation examples.valid[0]")
    );
    // Fixtures beside rules count too.
    write(t.path(), "rules/escalation.yaml", SAFE_RULE);
    write(
        t.path(),
        "rules/tests/pod-privilege-escalation/invalid-job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers: [{name: x, image: 'x:1'}]\n",
    );
    let out = accord(t.path(), &["test", "rules"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 rules, 3 tests, 3 passed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let corpus = Path::new("/work/shared/corpus");
    let t = tempfile::tempdir().expect("tmp");
    let dir = if corpus.is_dir() {
        corpus.to_path_buf()
    } else {
        for i in 0..50 {
            write(t.path(), &format!("f{i}.yaml"), PRIVILEGED);
        }
        t.path().to_path_buf()
    };
    let run = |threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["lint", "--format", "json", "."])
            .current_dir(&dir)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("runs")
            .stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert!(one == run("2"), "output differs between 1 and 2 threads");
    assert!(one == run("4"), "output differs between 1 and 4 threads");
}

#[test]
fn text_output_shows_snippet_why_fix_and_owner() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        ".accord.yaml",
        "owners:\n  security: {owner: platform-security, contact: '#sec'}\n",
    );
    write(t.path(), "pod.yaml", PRIVILEGED);
    let out = accord(
        t.path(),
        &["lint", "--rule", "privileged-container", "pod.yaml"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    insta::assert_snapshot!(text);
}

#[test]
fn exit_codes() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    assert_eq!(
        accord(t.path(), &["lint", "ok.yaml"]).status.code(),
        Some(0)
    );
    assert_eq!(
        accord(t.path(), &["lint", "--bogus"]).status.code(),
        Some(2)
    );
    assert_eq!(
        accord(t.path(), &["lint", "missing.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        accord(t.path(), &["explain", "privileged-container"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        accord(t.path(), &["explain", "privileged-containr"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_crlf_and_bom_inputs_get_exact_positions() {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        "pod.json",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"j\"},\n  \"spec\": {\"hostNetwork\": true, \"containers\": []}\n}\n",
    );
    write(
        t.path(),
        "crlf.yaml",
        "\u{feff}apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: c\r\nspec:\r\n  hostNetwork: true\r\n  containers: []\r\n",
    );
    let v = json(&accord(
        t.path(),
        &["lint", "--format", "json", "--rule", "host-network", "."],
    ));
    let got: Vec<(String, u64, u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["end_column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("crlf.yaml".to_string(), 6, 16, 20),
            ("pod.json".to_string(), 5, 27, 31)
        ]
    );
}

/// A repository where per-object and cross-object rules, schemas of built-in kinds and custom
/// resources, fixes and waiver annotations all have something to report (every rule on).
fn mixed_repository(dir: &Path) {
    write(dir, ".accord.yaml", "preset: all\n");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stream");
    for entry in std::fs::read_dir(&fixtures).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let name = path.file_name().expect("name");
            std::fs::copy(&path, dir.join(name)).expect("copy");
        }
    }
}

#[test]
fn streaming_and_whole_tree_lints_write_the_same_reports() {
    let t = tempfile::tempdir().expect("tmp");
    mixed_repository(t.path());
    for format in ["json", "text", "sarif", "github"] {
        let run = |stream: &str| {
            Command::new(env!("CARGO_BIN_EXE_accord"))
                .args(["lint", "--format", format])
                .current_dir(t.path())
                .env("NO_COLOR", "1")
                .env("ACCORD_TODAY", "2026-12-01")
                .env("ACCORD_STREAM", stream)
                .output()
                .expect("runs")
        };
        let (whole, streamed) = (run("0"), run("1"));
        assert_eq!(whole.status.code(), Some(1), "{format}");
        assert_eq!(streamed.status.code(), whole.status.code(), "{format}");
        assert_eq!(
            String::from_utf8_lossy(&streamed.stdout),
            String::from_utf8_lossy(&whole.stdout),
            "{format}"
        );
    }
    let v = json(
        &Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["lint", "--format", "json"])
            .current_dir(t.path())
            .env("ACCORD_STREAM", "1")
            .output()
            .expect("runs"),
    );
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule"))
        .collect();
    for want in [
        "yaml-syntax",
        "missing-configmap",
        "replicas-with-autoscaler",
        "service-selects-nothing",
        "schema-invalid-type",
    ] {
        assert!(rules.contains(&want), "{want} missing from {rules:?}");
    }
    // The waiver narrowed to the sidecar applies to it, not to the other container.
    let waived: Vec<bool> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "run-as-root" && f["file"] == "waiver-hpa-service.yaml")
        .map(|f| f["waived"].as_bool().expect("waived"))
        .collect();
    assert_eq!(waived, vec![true, false]);
}

#[test]
fn a_bad_stream_setting_is_an_input_error() {
    let t = tempfile::tempdir().expect("tmp");
    write(t.path(), "pod.yaml", PRIVILEGED);
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["lint"])
        .current_dir(t.path())
        .env("ACCORD_STREAM", "yes")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ACCORD_STREAM"));
}
