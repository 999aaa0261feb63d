//! Cross-object rules and pod-bearing custom resources end to end: everything linted together is
//! one index (across files), built-in pod templates make Argo Rollouts, Knative Services, KEDA
//! ScaledJobs and OpenShift DeploymentConfigs workloads, and `.accord.yaml` adds more.

use std::path::Path;
use std::process::Command;

fn lint(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .current_dir(dir)
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .expect("run accord");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
}

fn findings(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_string(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    f.sort();
    f
}

#[test]
fn relations_span_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("orphan.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: old\n  namespace: shop\nspec:\n  selector: {app: web-v1}\n  ports: [{port: 80}]\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    )
    .expect("write");
    let v = lint(dir.path(), &["--rule", "service-selects-nothing", "."]);
    assert_eq!(
        findings(&v),
        vec![(
            "service-selects-nothing".to_string(),
            "Service old selects no pods: no workload has the labels `{app: web-v1}`".to_string()
        )]
    );
}

const ROLLOUT: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          securityContext:\n            privileged: true\n";

#[test]
fn built_in_pod_bearing_custom_resources_are_workloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rollout.yaml"), ROLLOUT).expect("write");
    std::fs::write(
        dir.path().join("knative.yaml"),
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: hello\nspec:\n  template:\n    spec:\n      containers:\n        - name: hello\n          image: example/hello\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("scaledjob.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata:\n  name: worker\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          hostNetwork: true\n          containers:\n            - name: worker\n              image: example/worker:1.0.0\n",
    )
    .expect("write");
    let v = lint(
        dir.path(),
        &[
            "--rule",
            "privileged-container",
            "--rule",
            "latest-image-tag",
            "--rule",
            "host-network",
            ".",
        ],
    );
    let rules: Vec<String> = findings(&v).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        rules,
        vec!["host-network", "latest-image-tag", "privileged-container"]
    );
}

#[test]
fn config_adds_pod_bearing_kinds() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("job.yaml"),
        "apiVersion: example.com/v1\nkind: Batch\nmetadata:\n  name: nightly\nspec:\n  runner:\n    template:\n      spec:\n        containers:\n          - name: run\n            image: example/run:1.0.0\n            securityContext: {privileged: true}\n",
    )
    .expect("write");
    let before = lint(dir.path(), &["--rule", "privileged-container", "job.yaml"]);
    assert!(
        findings(&before).is_empty(),
        "unknown kinds are not workloads"
    );
    std::fs::write(
        dir.path().join(".accord.yaml"),
        "pod-templates:\n  example.com/Batch: /spec/runner/template\n",
    )
    .expect("write");
    let after = lint(dir.path(), &["--rule", "privileged-container", "job.yaml"]);
    assert_eq!(
        findings(&after),
        vec![(
            "privileged-container".to_string(),
            "Container `run` in Batch nightly runs privileged (`privileged: true`)".to_string()
        )]
    );
}

#[test]
fn kubernetes_version_selects_deprecations() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("hpa.yaml"),
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n",
    )
    .expect("write");
    let rules = [
        "--rule",
        "removed-api-version",
        "--rule",
        "deprecated-api-version",
        "hpa.yaml",
    ];
    std::fs::write(
        dir.path().join(".accord.yaml"),
        "kubernetes-version: \"1.24\"\n",
    )
    .expect("write");
    assert_eq!(
        findings(&lint(dir.path(), &rules))
            .into_iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        vec!["deprecated-api-version"]
    );
    std::fs::write(
        dir.path().join(".accord.yaml"),
        "kubernetes-version: \"1.22\"\n",
    )
    .expect("write");
    assert!(findings(&lint(dir.path(), &rules)).is_empty());
    std::fs::write(
        dir.path().join(".accord.yaml"),
        "kubernetes-version: \"1.30\"\n",
    )
    .expect("write");
    let v = lint(dir.path(), &rules);
    assert_eq!(
        findings(&v).into_iter().map(|f| f.0).collect::<Vec<_>>(),
        vec!["removed-api-version"]
    );
    assert_eq!(v["findings"][0]["fix"]["applicability"], "safe");
}

#[test]
fn kustomize_common_labels_and_embedded_pod_templates_count_as_pod_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("app/base");
    std::fs::create_dir_all(&base).expect("mkdir");
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources: [deployment.yaml]\ncommonLabels:\n  app: web\n",
    )
    .expect("write");
    std::fs::write(
        base.join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("lws.yaml"),
        "apiVersion: leaderworkerset.x-k8s.io/v1\nkind: LeaderWorkerSet\nmetadata:\n  name: llm\nspec:\n  leaderWorkerTemplate:\n    workerTemplate:\n      metadata:\n        labels: {app: llm}\n      spec:\n        containers:\n          - name: worker\n            image: example/llm:1.0.0\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("services.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: llm\nspec:\n  selector: {app: llm}\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-0\nspec:\n  selector: {app: web, statefulset.kubernetes.io/pod-name: web-0}\n  ports: [{port: 80}]\n",
    )
    .expect("write");
    let v = lint(dir.path(), &["--rule", "service-selects-nothing", "."]);
    assert_eq!(findings(&v), Vec::<(String, String)>::new());
}
