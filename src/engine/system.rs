//! Findings that come from reading files rather than from rule files: broken YAML, duplicate
//! keys, half-identified objects, and rules that crashed. Their ids are reserved.

use crate::diagnostic::{Diagnostic, Label, Location, Severity};
use crate::manifest::{FileManifests, Object, ProblemKind};
use crate::policy::Rule;

/// Reserved rule ids with their explanation: (id, severity, why, help).
pub const SYSTEM_RULES: &[(&str, Severity, &str, &str)] = &[
    (
        "yaml-syntax",
        Severity::Error,
        "A file that does not parse cannot be applied; tools that read it stop at the first error, so nothing in it reaches the cluster.",
        "Fix the YAML syntax at the indicated position.",
    ),
    (
        "duplicate-key",
        Severity::Error,
        "Kubernetes keeps only the last of two identical keys without a warning, so the first value silently has no effect.",
        "Remove one of the two keys, keeping the value you intend.",
    ),
    (
        "incomplete-object",
        Severity::Error,
        "Every Kubernetes object needs both `apiVersion` and `kind`; `kubectl apply` rejects a document that has only one.",
        "Add the missing `apiVersion` or `kind`.",
    ),
    (
        "rule-error",
        Severity::Error,
        "A rule failed while checking this object, so the object was not fully checked.",
        "Report this to the rule's owner; the rule needs fixing.",
    ),
    (
        "stale-waiver",
        Severity::Warning,
        "A waiver that matches nothing is dead weight: it hides the next finding that happens to match it, without anyone having reviewed that one.",
        "Remove the waiver (or narrow its target to the finding it was written for).",
    ),
];

fn meta(id: &str) -> (Severity, &'static str, &'static str) {
    SYSTEM_RULES
        .iter()
        .find(|r| r.0 == id)
        .map(|r| (r.1, r.2, r.3))
        .unwrap_or((Severity::Error, "", ""))
}

/// A diagnostic of a reserved (system) rule, with its severity and explanation.
pub fn make(id: &str, message: String, location: Location, path: String) -> Diagnostic {
    let (severity, why, help) = meta(id);
    Diagnostic {
        rule: id.to_string(),
        severity,
        category: "input".into(),
        message,
        location,
        identity_path: path.clone(),
        path,
        object: None,
        why: why.into(),
        help: help.into(),
        owner: None,
        contact: None,
        docs: None,
        labels: Vec::new(),
        fix: None,
        waiver: None,
        code_owner: None,
    }
}

/// Diagnostics for a file's YAML problems.
pub fn file_problems(f: &FileManifests) -> Vec<Diagnostic> {
    f.problems
        .iter()
        .map(|p| {
            let id = match p.kind {
                ProblemKind::Syntax => "yaml-syntax",
                ProblemKind::DuplicateKey => "duplicate-key",
                ProblemKind::IncompleteObject => "incomplete-object",
            };
            let mut d = make(
                id,
                p.message.clone(),
                Location::new(&f.source, p.span),
                p.pointer.clone(),
            );
            if let Some(r) = p.related {
                d.labels.push(Label {
                    location: Location::new(&f.source, r),
                    message: "first defined here".into(),
                });
            }
            d
        })
        .collect()
}

/// A diagnostic for a rule that panicked on an object.
pub fn rule_crashed(
    rule: &Rule,
    obj: &Object,
    payload: Box<dyn std::any::Any + Send>,
) -> Diagnostic {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    let kind = obj.node().get("kind").map_or(obj.node().span, |k| k.span);
    let mut d = make(
        "rule-error",
        format!(
            "rule `{}` failed on {}: {what}",
            rule.id(),
            obj.id.display()
        ),
        Location::new(&obj.source, kind),
        String::new(),
    );
    d.object = Some(obj.id.clone());
    d.labels.push(Label {
        location: Location::new(&rule.source, rule.span_of("/id")),
        message: "rule defined here".into(),
    });
    d
}
