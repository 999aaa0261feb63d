//! End-to-end tests of schema validation: the built binary on temporary folders.

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn accord(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accord");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `file:line:column rule: message` for every finding of a JSON report.
fn findings(run: &Run) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}: {}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// Lint `files` in a fresh folder with schema validation only.
fn lint(files: &[(&str, &str)], extra: &[&str]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let mut args = vec!["lint", "--no-builtin", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    (accord(dir.path(), &args), dir)
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: two
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - image: nginx
        ports:
        - containerPort: 99999999999
        resources:
          limits: {cpu: lots}
        env:
        - name: DEBUG
          value: yes
      restartPolicyy: Always
";

const SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: creds
  creationTimestamp: yesterday
data:
  password: not base64 !!
";

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, green, blue]}
              name: {type: string, pattern: '^[a-z]+$'}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

#[test]
fn every_kind_of_finding_is_reported_at_its_exact_line_and_column() {
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 0\n  color: Red\n  name: Bad_Name\n  extra: {anything: goes}\n  colour: red\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: empty}\nspec: {}\n";
    let old = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n";
    let custom =
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\n";
    let (run, _dir) = lint(
        &[
            ("deploy.yaml", DEPLOYMENT),
            ("secret.yaml", SECRET),
            ("crd.yaml", CRD),
            ("widget.yaml", widget),
            ("old.yaml", old),
            ("custom.yaml", custom),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        findings(&run),
        [
            "custom.yaml:2:7 schema-missing: no schema for `monitoring.coreos.com/v1` `ServiceMonitor`, so its fields were not checked",
            "deploy.yaml:6:13 schema-invalid-type: `replicas` must be an integer, got string \"two\"",
            "deploy.yaml:14:9 schema-required: missing required field `name` in `containers[0]`",
            "deploy.yaml:16:26 schema-format: `containerPort` must fit in a 32-bit integer (at most 2147483647), got 99999999999",
            "deploy.yaml:18:25 schema-format: `cpu` must be a quantity such as 500m, 2, 1.5 or 128Mi, got \"lots\"",
            "deploy.yaml:21:18 schema-invalid-type: `value` must be a string, got boolean true (unquoted `yes` is a boolean in YAML; write \"yes\" to keep it a string)",
            "deploy.yaml:22:7 schema-unknown-field: unknown field `restartPolicyy` in `spec` (did you mean `restartPolicy`?)",
            "old.yaml:1:13 schema-unknown-kind: `extensions/v1beta1` `Deployment` was removed in Kubernetes 1.16; use `apps/v1`",
            "secret.yaml:5:22 schema-format: `creationTimestamp` must be a date and time such as 2024-01-31T12:00:00Z, got \"yesterday\"",
            "secret.yaml:7:13 schema-format: `password` must be base64-encoded, got \"not base64 !!\"",
            "widget.yaml:5:9 schema-constraint: `size` must be at least 1, got 0",
            "widget.yaml:6:10 schema-enum: `color` must be one of `red`, `green`, `blue`, got \"Red\" (did you mean `red`?)",
            "widget.yaml:7:9 schema-constraint: `name` must match the regular expression `^[a-z]+$`, got \"Bad_Name\"",
            "widget.yaml:9:3 schema-unknown-field: unknown field `colour` in `spec` (did you mean `color`?)",
            "widget.yaml:14:1 schema-required: missing required field `size` in `spec`",
        ]
    );
}

#[test]
fn findings_explain_themselves_in_text() {
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 2\n  colour: red\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("crd.yaml", CRD), ("widget.yaml", widget)]);
    let run = accord(
        dir.path(),
        &["lint", "--no-builtin", "widget.yaml", "crd.yaml"],
    );
    insta::assert_snapshot!("custom_resource_typo", run.stdout);
}

#[test]
fn crds_are_validated_themselves() {
    let broken = CRD
        .replace("    served: true\n", "    served: \"yes\"\n")
        .replace(
            "x-kubernetes-preserve-unknown-fields: true",
            "x-kubernetes-preserve-unknown-field: true",
        );
    let (run, _dir) = lint(&[("crd.yaml", &broken)], &[]);
    assert_eq!(
        findings(&run),
        [
            "crd.yaml:11:13 schema-invalid-type: `served` must be a boolean, got string \"yes\"",
            "crd.yaml:24:37 schema-unknown-field: unknown field `x-kubernetes-preserve-unknown-field` in `extra` (did you mean `x-kubernetes-preserve-unknown-fields`?)",
        ]
    );
}

#[test]
fn custom_resources_of_versions_the_crd_does_not_serve_are_errors() {
    let (run, _dir) = lint(
        &[
            ("crd.yaml", CRD),
            (
                "w.yaml",
                "apiVersion: example.com/v2\nkind: Widget\nmetadata: {name: w}\n",
            ),
        ],
        &[],
    );
    assert_eq!(
        findings(&run),
        [
            "w.yaml:1:13 schema-unknown-kind: CustomResourceDefinition `widgets.example.com` does not serve `example.com/v2` `Widget`; use `example.com/v1`"
        ]
    );
}

#[test]
fn strictness_can_be_turned_off_by_flag_or_config() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  lables: {app: a}\n";
    let (run, _dir) = lint(&[("cm.yaml", cm)], &[]);
    assert_eq!(
        findings(&run),
        [
            "cm.yaml:5:3 schema-unknown-field: unknown field `lables` in `metadata` (did you mean `labels`?)"
        ]
    );
    let (run, _dir) = lint(&[("cm.yaml", cm)], &["--no-strict"]);
    assert_eq!((run.code, findings(&run).len()), (0, 0));
    let (run, _dir) = lint(
        &[
            ("cm.yaml", cm),
            (".accord.yaml", "schemas:\n  strict: false\n"),
        ],
        &[],
    );
    assert!(findings(&run).is_empty());
    let (run, _dir) = lint(
        &[
            ("cm.yaml", cm),
            (".accord.yaml", "disable: [schema-unknown-field]\n"),
        ],
        &[],
    );
    assert!(findings(&run).is_empty());
    let (run, _dir) = lint(&[("cm.yaml", cm)], &["--no-schemas"]);
    assert_eq!(run.code, 0);
}

#[test]
fn schema_rules_are_configured_like_any_rule() {
    let custom = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n";
    let (run, _dir) = lint(&[("w.yaml", custom)], &[]);
    assert_eq!(run.code, 0, "a missing schema is only information");
    let config =
        "severity:\n  schema-missing: error\nowners:\n  schema:\n    owner: platform-team\n";
    let (run, _dir) = lint(&[("w.yaml", custom), (".accord.yaml", config)], &[]);
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["findings"][0]["severity"], "error");
    assert_eq!(report["findings"][0]["owner"], "platform-team");
    assert!(
        report["findings"][0]["why"]
            .as_str()
            .unwrap()
            .contains("typo")
    );
    let (run, _dir) = lint(
        &[("w.yaml", custom), (".accord.yaml", "disable: [schema]\n")],
        &[],
    );
    assert!(findings(&run).is_empty());
    let (run, _dir) = lint(
        &[
            ("w.yaml", custom),
            (".accord.yaml", "disable: [schema-mising]\n"),
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `schema-missing`?"),
        "{}",
        run.stderr
    );
    let (run, _dir) = lint(
        &[
            ("w.yaml", custom),
            (".accord.yaml", "schemas:\n  strickt: false\n"),
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(".accord.yaml:2:3"), "{}", run.stderr);
    let (run, _dir) = lint(&[("w.yaml", custom)], &["--rule", "schema-missing"]);
    assert_eq!(findings(&run).len(), 1);
    let (run, _dir) = lint(&[("w.yaml", custom)], &["--rule", "schema-required"]);
    assert!(findings(&run).is_empty());
}

#[test]
fn the_kubernetes_version_selects_the_schemas() {
    let hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 3\n";
    let (run, _dir) = lint(&[("hpa.yaml", hpa)], &[]);
    assert_eq!(
        findings(&run),
        [
            "hpa.yaml:1:13 schema-unknown-kind: `autoscaling/v2beta2` `HorizontalPodAutoscaler` was removed in Kubernetes 1.26; use `autoscaling/v2`"
        ]
    );
    let (run, _dir) = lint(&[("hpa.yaml", hpa)], &["--kubernetes-version", "1.25"]);
    assert_eq!((run.code, findings(&run).len()), (0, 0), "{}", run.stdout);
    let (run, _dir) = lint(
        &[
            ("hpa.yaml", hpa),
            (".accord.yaml", "kubernetes-version: \"1.25\"\n"),
        ],
        &[],
    );
    assert!(findings(&run).is_empty());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["kubernetes_version"], "1.25");
    let (run, _dir) = lint(&[("hpa.yaml", hpa)], &["--kubernetes-version", "1.20"]);
    assert!(
        run.stderr.contains(
            "no schemas are bundled for Kubernetes 1.20; validating against those of 1.25"
        ),
        "{}",
        run.stderr
    );
    let (run, _dir) = lint(&[("hpa.yaml", hpa)], &["--kubernetes-version", "latest"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`latest` is not a Kubernetes version"),
        "{}",
        run.stderr
    );
}

#[test]
fn schema_folders_in_kubeconform_layout_are_used_for_custom_resources() {
    let schema = r#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {"spec": {"type": "object", "additionalProperties": false,
        "properties": {"endpoints": {"type": "array", "items": {"type": "object", "properties": {"port": {"type": "string"}, "interval": {"type": "string"}}, "additionalProperties": false}}}}}}"#;
    let monitor = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\nspec:\n  endpoint:\n  - port: web\n";
    let files = [
        (
            "catalog/monitoring.coreos.com/servicemonitor_v1.json",
            schema,
        ),
        ("manifests/m.yaml", monitor),
    ];
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files);
    let run = accord(
        dir.path(),
        &[
            "lint",
            "--no-builtin",
            "--format",
            "json",
            "--schemas",
            "catalog",
            "manifests",
        ],
    );
    assert_eq!(
        findings(&run),
        [
            "manifests/m.yaml:5:3 schema-unknown-field: unknown field `endpoint` in `spec` (did you mean `endpoints`?)"
        ]
    );
    let run = accord(
        dir.path(),
        &[
            "lint",
            "--no-builtin",
            "--format",
            "json",
            "--schemas",
            "catalog",
            "--no-strict",
            "manifests",
        ],
    );
    assert!(findings(&run).is_empty());
    write(
        dir.path(),
        &[(".accord.yaml", "schemas:\n  dirs: [catalog]\n")],
    );
    let run = accord(
        dir.path(),
        &["lint", "--no-builtin", "--format", "json", "manifests"],
    );
    assert_eq!(findings(&run).len(), 1);
    let run = accord(
        dir.path(),
        &["lint", "--no-builtin", "--schemas", "nowhere", "manifests"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("schema folder nowhere does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn kustomizations_are_validated_as_rendered_and_stray_patches_skipped_with_a_note() {
    let kustomization =
        "resources: [deploy.yaml]\ncommonLabels: {app: web}\npatches:\n- path: replicas.yaml\n";
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: nginx}]\n";
    let patch =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n";
    let stray =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n";
    let files = [
        ("app/kustomization.yaml", kustomization),
        ("app/deploy.yaml", deploy),
        ("app/replicas.yaml", patch),
        ("other/replicas-patch.yaml", stray),
    ];
    // The selector comes from commonLabels; the patch is merged, not judged on its own.
    let (run, dir) = lint(&files, &[]);
    assert_eq!(
        (run.code, findings(&run)),
        (0, Vec::<String>::new()),
        "{}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["skipped_patches"], 1);
    let verbose = accord(dir.path(), &["lint", "--no-builtin", "-v", "."]);
    assert!(
        verbose.stderr.contains("note: other/replicas-patch.yaml: document 1 (Deployment web) not schema-validated: kustomize patch (by its file name)"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose
            .stdout
            .contains("1 kustomize patch not schema-validated"),
        "{}",
        verbose.stdout
    );
    // A mistake in a patch is found on the rendered object and reported at the patch's line.
    write(
        dir.path(),
        &[(
            "app/replicas.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n",
        )],
    );
    let run = accord(
        dir.path(),
        &["lint", "--no-builtin", "--format", "json", "."],
    );
    assert_eq!(
        findings(&run),
        [
            "app/replicas.yaml:5:13 schema-invalid-type: `replicas` must be an integer, got string \"three\" (set by app/replicas.yaml:5 on app/deploy.yaml)"
        ]
    );
}

/// The verdicts kubeconform's acceptance suite expects, on look-alike inputs.
#[test]
fn valid_manifests_pass_and_invalid_ones_fail_like_kubeconform() {
    let valid = [
        (
            "rc.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"ReplicationController\", \"metadata\": {\"name\": \"bob\"}, \"spec\": {\"replicas\": 2, \"selector\": {\"app\": \"nginx\"}, \"template\": {\"metadata\": {\"name\": \"nginx\", \"labels\": {\"app\": \"nginx\"}}, \"spec\": {\"containers\": [{\"name\": \"nginx\", \"image\": \"nginx\", \"ports\": [{\"containerPort\": 80}]}]}}}}\n",
        ),
        (
            "int-or-string.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: heapster}\nspec:\n  ports:\n  - port: 80\n    targetPort: 8082\n  - port: 81\n    targetPort: metrics\n",
        ),
        (
            "quantity.yaml",
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: mem}\nspec:\n  limits:\n  - default: {memory: 512Mi, cpu: 1}\n    defaultRequest: {memory: 256M, cpu: 0.5}\n    type: Container\n",
        ),
        (
            "nulls.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: frontend\n  labels:\n  annotations: null\nspec:\n  clusterIP:\n  ports:\n  - port: 80\n  selector:\n    app: guestbook\n",
        ),
        (
            "null-array.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: d\n        image: x\n        args:\n          # - --commented-out\n        resources:\n          limits: {cpu: null}\n      tolerations:\n      - key: k\n        effect: NoSchedule\n  strategy:\n    rollingUpdate: {maxUnavailable: null, maxSurge: 25%}\n",
        ),
        (
            "generate-name.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: pi-\nspec:\n  template:\n    spec:\n      containers:\n      - name: pi\n        image: perl\n        command: [perl, -Mbignum=bpi, -wle, print bpi(2000)]\n      restartPolicy: Never\n  backoffLimit: 4\n",
        ),
        (
            "multi.yaml",
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: redis}\nspec:\n  ports:\n  - port: 6379\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n",
        ),
        ("empty-list.yaml", "apiVersion: v1\nkind: List\nitems: []\n"),
        ("blank.yaml", "# nothing here\n"),
    ];
    let (run, _dir) = lint(&valid, &[]);
    assert_eq!(
        (run.code, findings(&run)),
        (0, Vec::<String>::new()),
        "{}",
        run.stderr
    );
    let invalid_list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ReplicationController\n  metadata: {name: bob}\n  spec:\n    replicas: asd\n    selector: {app: nginx}\n";
    let (run, _dir) = lint(&[("list.yaml", invalid_list)], &[]);
    assert_eq!(run.code, 1);
    assert_eq!(
        findings(&run),
        ["list.yaml:8:15 schema-invalid-type: `replicas` must be an integer, got string \"asd\""]
    );
}

#[test]
fn schema_rules_can_be_explained() {
    let dir = tempfile::tempdir().unwrap();
    let run = accord(dir.path(), &["explain", "schema-unknown-field"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("# schema-unknown-field: Fields must exist in the schema"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("silently drops"));
    let run = accord(dir.path(), &["explain", "schema-unknown-feld"]);
    assert!(
        run.stderr.contains("did you mean `schema-unknown-field`?"),
        "{}",
        run.stderr
    );
}
