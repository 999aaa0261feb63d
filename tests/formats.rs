//! End-to-end: `accord lint` writing several report formats in one run, the SARIF output
//! validated against the official SARIF 2.1.0 JSON Schema, and fingerprints that survive line
//! moves.

use std::path::Path;
use std::process::Command;

const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    accord.dev/ignore: \"host-network: the ingress controller binds node ports\"
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
        - name: sidecar
          image: \"envoy:1.30\"
";

fn accord(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_accord"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accord")
}

fn repo(deploy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("apps/web")).unwrap();
    std::fs::write(dir.path().join("apps/web/deploy.yaml"), deploy).unwrap();
    std::fs::write(
        dir.path().join("apps/config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    )
    .unwrap();
    dir
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/sarif-schema-2.1.0.json"
        ))
        .unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sarif_output_is_valid_against_the_official_schema() {
    let dir = repo(DEPLOY);
    // `missing.yaml` makes a tool execution notification, so that part of the document is checked too.
    let out = accord(
        dir.path(),
        &[
            "lint",
            "apps",
            "missing.yaml",
            "--format",
            "sarif=reports/accord.sarif",
        ],
    );
    // A missing input is exit 2; the report is written all the same.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = read_json(&dir.path().join("reports/accord.sarif"));
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 3, "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "privileged-container" && r["fixes"].is_array())
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    // The validator is not vacuous: a result without a message is rejected.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn fingerprints_survive_line_moves() {
    let fps = |deploy: &str| -> Vec<(String, String, u64)> {
        let dir = repo(deploy);
        accord(dir.path(), &["lint", "apps", "--format", "sarif=a.sarif"]);
        let doc = read_json(&dir.path().join("a.sarif"));
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["accord/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let before = fps(DEPLOY);
    // Three comment lines on top and the containers swapped: every line moves.
    let swapped = DEPLOY.replace(
        "        - name: app\n          image: nginx\n          securityContext:\n            privileged: true\n        - name: sidecar\n          image: \"envoy:1.30\"\n",
        "        - name: sidecar\n          image: \"envoy:1.30\"\n        - name: app\n          image: nginx\n          securityContext:\n            privileged: true\n",
    );
    assert_ne!(swapped, DEPLOY);
    let after = fps(&format!("# moved\n# down\n# three\n{swapped}"));
    let key = |v: &[(String, String, u64)]| {
        let mut k: Vec<(String, String)> =
            v.iter().map(|(r, f, _)| (r.clone(), f.clone())).collect();
        k.sort();
        k
    };
    assert_eq!(key(&before), key(&after));
    assert!(
        before.iter().zip(&after).any(|(a, b)| a.2 != b.2),
        "lines did move"
    );
}

#[test]
fn several_formats_in_one_run() {
    let dir = repo(DEPLOY);
    let out = accord(
        dir.path(),
        &[
            "lint",
            "apps",
            "--format",
            "text",
            "--format",
            "sarif=out/a.sarif",
            "--format",
            "junit=out/junit.xml",
            "--format",
            "github=out/gh.txt",
            "--format",
            "rdjson=out/a.rdjson",
            "--format",
            "rdjsonl=out/a.rdjsonl",
            "--format",
            "gitlab=out/cq.json",
            "--format",
            "markdown=out/summary.md",
            "--format",
            "json=out/a.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error[privileged-container]"), "{stdout}");
    let json = read_json(&dir.path().join("out/a.json"));
    let all = json["findings"].as_array().unwrap();
    // Waived findings: in SARIF (suppressed) and JUnit (skipped); left out of the formats that
    // post or gate (annotations, reviewdog, Code Quality).
    let waived = all.iter().filter(|f| f["waived"] == true).count();
    assert_eq!(waived, 1, "the host-network waiver applies");
    let n = all.len() - waived;
    assert!(n >= 3);
    let sarif = read_json(&dir.path().join("out/a.sarif"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), n + waived);
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "host-network");
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "the ingress controller binds node ports"
    );
    assert_eq!(
        read_json(&dir.path().join("out/a.rdjson"))["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        n
    );
    assert_eq!(
        read_json(&dir.path().join("out/cq.json"))
            .as_array()
            .unwrap()
            .len(),
        n
    );
    let rdjsonl = std::fs::read_to_string(dir.path().join("out/a.rdjsonl")).unwrap();
    assert_eq!(
        rdjsonl
            .lines()
            .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
            .count(),
        n
    );
    let junit = std::fs::read_to_string(dir.path().join("out/junit.xml")).unwrap();
    assert_eq!(junit.matches("<failure ").count(), n);
    assert_eq!(
        junit
            .matches("<skipped message=\"waived: the ingress controller binds node ports\"/>")
            .count(),
        1
    );
    assert!(junit.contains("<testsuite name=\"apps/config.yaml\" tests=\"1\" failures=\"0\""));
    // GitHub shows at most 10 annotations of each type per step: the rest are counted in one
    // more notice and listed as log lines.
    let gh = std::fs::read_to_string(dir.path().join("out/gh.txt")).unwrap();
    let active = |severity: &str| {
        all.iter()
            .filter(|f| f["waived"] != true && f["severity"] == severity)
            .count()
    };
    let hidden: usize = ["error", "warning", "info"]
        .iter()
        .map(|s| active(s).saturating_sub(10))
        .sum();
    for (severity, command, extra) in [
        ("error", "::error ", 0),
        ("warning", "::warning ", 0),
        ("info", "::notice ", usize::from(hidden > 0)),
    ] {
        assert_eq!(
            gh.lines().filter(|l| l.starts_with(command)).count(),
            active(severity).min(10) + extra,
            "{severity}: {gh}"
        );
    }
    let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(md.starts_with("## accord: "));
    assert!(md.contains("### Waived findings (1)"), "{md}");
}

#[test]
fn format_flag_errors_are_usage_errors() {
    let dir = repo(DEPLOY);
    let out = accord(
        dir.path(),
        &["lint", "apps", "--format", "text", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only one report can go to standard output")
    );
    let out = accord(dir.path(), &["lint", "apps", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format `yaml`"));
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn diff_writes_the_introduced_findings_in_any_format() {
    let dir = repo(&DEPLOY.replace(
        "          image: nginx\n",
        "          image: nginx:1.27.3\n",
    ));
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    std::fs::write(d.join("apps/web/deploy.yaml"), DEPLOY).unwrap();
    git(d, &["commit", "-q", "-am", "unpin the image"]);
    let out = accord(
        d,
        &[
            "diff",
            "HEAD~1..HEAD",
            "--format",
            "json",
            "--format",
            "sarif=out/new.sarif",
            "--format",
            "gitlab=out/cq.json",
            "--format",
            "github=out/gh.txt",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning does not fail: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the diff's own JSON on stdout");
    assert!(report.is_object());
    let sarif = read_json(&d.join("out/new.sarif"));
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        1,
        "only the introduced finding: {results:#?}"
    );
    assert_eq!(results[0]["ruleId"], "latest-image-tag");
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"]
        [results[0]["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(
        rule["shortDescription"]["text"],
        "Images must be pinned to a version"
    );
    assert_eq!(
        read_json(&d.join("out/cq.json")).as_array().unwrap().len(),
        1
    );
    let gh = std::fs::read_to_string(d.join("out/gh.txt")).unwrap();
    assert!(
        gh.starts_with("::warning file=apps/web/deploy.yaml,line=14,"),
        "{gh}"
    );
}
