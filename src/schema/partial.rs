//! Objects that are not whole cluster objects, so schema validation must not judge them as
//! such. Kustomizations among the inputs are rendered before validation (`crate::kustomize`), so
//! their patches never reach it on their own; what is left are partial objects outside a
//! rendered kustomization and configuration that is never applied:
//!
//! - patches: objects holding strategic-merge directives (`$patch: delete`,
//!   `$setElementOrder/…`, …) and files named as patches by convention (`*-patch.yaml`,
//!   `*_patch.yaml`, a `patches/` folder), which are partial on purpose (a Deployment patch
//!   without `selector` is fine);
//! - local configuration: kustomize's own kinds, its `builtin` plugin configs, kubeconfig files
//!   (`v1` `Config`), and objects annotated `config.kubernetes.io/local-config: "true"`.
//!
//! Skipped objects are counted and listed with the reason, never dropped silently.

use crate::manifest::Object;
use crate::manifest::yaml::{Node, Value};

/// The API group of kustomize's own configuration kinds.
pub const KUSTOMIZE_GROUP: &str = "kustomize.config.k8s.io";

/// Why an object was not validated against a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// It holds a strategic-merge patch directive (`$patch`, `$setElementOrder/…`, …).
    PatchDirective {
        /// The directive key.
        key: String,
    },
    /// Its file is named as a patch (`*-patch.yaml`, `patches/…`).
    PatchName,
    /// It configures a tool and is never applied to a cluster.
    LocalConfig,
}

impl SkipReason {
    /// Is this a kustomize patch (counted in the summary)?
    pub fn is_patch(&self) -> bool {
        !matches!(self, SkipReason::LocalConfig)
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::PatchDirective { key } => write!(f, "strategic-merge patch (has `{key}`)"),
            SkipReason::PatchName => write!(f, "kustomize patch (by its file name)"),
            SkipReason::LocalConfig => write!(f, "local configuration, not applied to a cluster"),
        }
    }
}

/// Is `path` named like a kustomize patch: a `patch` or `patches` word in the file name, or a
/// `patches` folder?
fn named_as_patch(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or_default();
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let word = |w: &str| w.eq_ignore_ascii_case("patch") || w.eq_ignore_ascii_case("patches");
    stem.split(['-', '_', '.']).any(word) || parts.any(|dir| dir == "patches")
}

/// The first strategic-merge directive key in `node`, depth first.
fn directive(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            let key = k.text.as_str();
            let is_directive = key == "$patch"
                || key == "$retainKeys"
                || key.starts_with("$setElementOrder/")
                || key.starts_with("$deleteFromPrimitiveList/");
            if is_directive {
                Some(key)
            } else {
                directive(v)
            }
        }),
        Value::Seq(items) => items.iter().find_map(directive),
        _ => None,
    }
}

/// Could `obj` hold a directive key? Searching its document's text for one is much cheaper than
/// walking every node, and a directive is written `$patch`, `$retainKeys`… unless escaped in a
/// double-quoted key, so any backslash sends the search to the tree too.
fn may_hold_directive(obj: &Object) -> bool {
    let span = obj.document.span;
    let text = obj
        .source
        .text
        .get(span.start()..span.end())
        .unwrap_or(&obj.source.text);
    text.contains('\\')
        || text.match_indices('$').any(|(at, _)| {
            let rest = &text[at + 1..];
            [
                "patch",
                "retainKeys",
                "setElementOrder/",
                "deleteFromPrimitiveList/",
            ]
            .iter()
            .any(|w| rest.starts_with(w))
        })
}

/// Why `obj` must not be validated as a whole object, if it must not.
pub fn skip_reason(obj: &Object) -> Option<SkipReason> {
    let local = obj.id.group() == KUSTOMIZE_GROUP
        || obj.id.api_version == "builtin"
        || (obj.id.api_version == "v1" && obj.id.kind == "Config")
        || obj
            .annotations()
            .iter()
            .any(|(k, v)| *k == "config.kubernetes.io/local-config" && *v == "true");
    if local {
        return Some(SkipReason::LocalConfig);
    }
    if let Some(key) = may_hold_directive(obj)
        .then(|| directive(obj.node()))
        .flatten()
    {
        return Some(SkipReason::PatchDirective {
            key: key.to_string(),
        });
    }
    named_as_patch(&obj.source.path).then_some(SkipReason::PatchName)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::read;

    #[test]
    fn patch_directives_and_names_are_recognised() {
        let f = read(
            "app/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports:\n  - $patch: delete\n    port: 80\n",
        );
        assert_eq!(skip_reason(&f.objects[0]), None);
        assert_eq!(
            skip_reason(&f.objects[1]),
            Some(SkipReason::PatchDirective {
                key: "$patch".into()
            })
        );
        let p = read(
            "config/default/manager_auth_proxy_patch.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
        );
        assert_eq!(skip_reason(&p.objects[0]), Some(SkipReason::PatchName));
    }

    #[test]
    fn directives_are_found_however_they_are_written() {
        let f = read(
            "app/svc.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports:\n  - \"\\u0024patch\": delete\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  x: &p {$retainKeys: [a]}\n  y: *p\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c, annotations: {a: $HOME, b: \"$(patch)\"}}\n",
        );
        let reasons: Vec<_> = f.objects.iter().map(skip_reason).collect();
        assert_eq!(
            reasons,
            [
                Some(SkipReason::PatchDirective {
                    key: "$patch".into()
                }),
                Some(SkipReason::PatchDirective {
                    key: "$retainKeys".into()
                }),
                None
            ]
        );
    }

    #[test]
    fn patch_names_follow_the_convention() {
        for yes in [
            "a/patch.yaml",
            "a/manager_webhook_patch.yaml",
            "patch-replicas.yml",
            "crd/patches/cainjection.yaml",
        ] {
            assert!(named_as_patch(yes), "{yes}");
        }
        for no in ["dispatcher.yaml", "patchwork/deploy.yaml", "deploy.yaml"] {
            assert!(!named_as_patch(no), "{no}");
        }
    }

    #[test]
    fn local_configuration_is_recognised() {
        let f = read(
            "k.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n---\napiVersion: builtin\nkind: PatchTransformer\n---\napiVersion: v1\nkind: Config\nclusters: []\n",
        );
        assert_eq!(f.objects.len(), 4);
        assert!(
            f.objects
                .iter()
                .all(|o| skip_reason(o) == Some(SkipReason::LocalConfig))
        );
    }
}
