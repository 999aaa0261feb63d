//! Where each workload kind keeps its pod template.
//!
//! An explicit table instead of reflection (kube-linter's `extract/pod_spec.go` done as data):
//! the built-in `workloads` group and the pod-spec path of each member, extendable from config
//! for pod-bearing custom resources (Argo Rollouts, Knative Services, …).

/// Kinds in the built-in `workloads` group.
pub const WORKLOADS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// JSON Pointer of the pod template (metadata + spec) of a built-in kind; `""` for a Pod itself.
pub fn builtin_pod_template(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some(""),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job"
        | "PodTemplate" => Some(if kind == "PodTemplate" {
            "/template"
        } else {
            "/spec/template"
        }),
        _ => None,
    }
}
