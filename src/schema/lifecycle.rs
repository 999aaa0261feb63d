//! When each built-in Kubernetes API appeared, was deprecated and was removed, and what replaces
//! it.
//!
//! Two data files, both embedded: `schemas/k8s/api-lifecycle.tsv` (generated with the bundle:
//! the first and last bundled minor that serves each `apiVersion` + `kind`) and
//! `schemas/k8s/api-replacements.tsv` (written by hand from the Kubernetes deprecation guide:
//! deprecation and removal versions and the replacement, including APIs removed before the
//! oldest bundled minor). Where the hand table says nothing, the replacement of a removed or
//! pre-release API is the most stable version of the same group and kind that the newest minor
//! serves.

use super::bundle::KubeVersion;
use std::collections::HashMap;
use std::sync::LazyLock;

static LIFECYCLE_TSV: &str = include_str!("../../schemas/k8s/api-lifecycle.tsv");
static REPLACEMENTS_TSV: &str = include_str!("../../schemas/k8s/api-replacements.tsv");

/// The lifecycle of one `apiVersion` + `kind`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// The first bundled minor that serves it; the oldest bundled minor means "this one or
    /// earlier". `None`: it was removed before the oldest bundled minor.
    pub introduced: Option<KubeVersion>,
    /// The minor that deprecated it, when the deprecation guide says.
    pub deprecated: Option<KubeVersion>,
    /// The first minor that no longer serves it; `None` while the newest bundled minor does.
    pub removed: Option<KubeVersion>,
    /// The `apiVersion` to move to (same kind), if there is one: for a removed API, or for an
    /// alpha or beta API that a more stable version supersedes.
    pub replacement: Option<String>,
    /// Advice when there is no like-for-like replacement.
    pub note: Option<String>,
}

/// `(apiVersion, kind)` → its lifecycle.
type Apis = HashMap<(String, String), Lifecycle>;

fn version(text: &str) -> KubeVersion {
    KubeVersion::parse(text)
        .unwrap_or_else(|| panic!("embedded API data has a bad version `{text}`"))
}

fn rows(tsv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

/// Ordering of API versions by stability: `v1` > `v1beta2` > `v1beta1` > `v1alpha1`.
pub fn version_priority(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let major = rest[..digits].parse().unwrap_or(0);
    let tail = &rest[digits..];
    let (stability, n) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n)
    } else if tail.is_empty() {
        (3, "0")
    } else {
        (0, "0")
    };
    (stability, major, n.parse().unwrap_or(0))
}

/// Split `apps/v1` into (`apps`, `v1`); the core group is `""`.
fn split(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

fn load() -> Apis {
    let mut apis = HashMap::new();
    let mut newest = version("1.0");
    let mut served: Vec<(&str, &str, KubeVersion)> = Vec::new();
    for r in rows(LIFECYCLE_TSV) {
        let (first, last) = (version(r[2]), version(r[3]));
        newest = newest.max(last);
        served.push((r[0], r[1], last));
        apis.insert(
            (r[0].to_string(), r[1].to_string()),
            Lifecycle {
                introduced: Some(first),
                ..Lifecycle::default()
            },
        );
    }
    for ((api, kind), l) in apis.iter_mut() {
        let last = served
            .iter()
            .find(|(a, k, _)| a == api && k == kind)
            .map(|s| s.2)
            .expect("row exists");
        if last < newest {
            l.removed = Some(KubeVersion {
                major: last.major,
                minor: last.minor + 1,
            });
        }
        let (group, own) = split(api);
        if l.removed.is_none() && version_priority(own).0 == 3 {
            // A served GA version needs no replacement, even when a newer GA exists.
            continue;
        }
        l.replacement = served
            .iter()
            .filter(|(a, k, last)| k == kind && *last == newest && split(a).0 == group)
            .map(|(a, _, _)| *a)
            .max_by_key(|a| (version_priority(split(a).1), *a))
            .filter(|best| version_priority(split(best).1) > version_priority(own))
            .map(str::to_string);
    }
    for r in rows(REPLACEMENTS_TSV) {
        let entry = apis
            .entry((r[0].to_string(), r[1].to_string()))
            .or_default();
        entry.deprecated = Some(version(r[2]));
        entry.removed = Some(version(r[3]));
        entry.replacement = Some(r[4]).filter(|x| *x != "-").map(str::to_string);
        entry.note = r.get(5).filter(|x| !x.is_empty()).map(|x| x.to_string());
    }
    apis
}

static APIS: LazyLock<Apis> = LazyLock::new(load);

/// The lifecycle of a built-in `apiVersion` + `kind`; `None` for anything Kubernetes never
/// served (custom resources, typos).
pub fn api_lifecycle(api_version: &str, kind: &str) -> Option<Lifecycle> {
    APIS.get(&(api_version.to_string(), kind.to_string()))
        .cloned()
}

/// The most stable removed `apiVersion` of `group` that served `kind`, with its lifecycle: what
/// to say about a kind asked for under a version that never served it.
pub fn removed_from_group(group: &str, kind: &str) -> Option<(String, Lifecycle)> {
    APIS.iter()
        .filter(|((api, k), l)| k == kind && split(api).0 == group && l.removed.is_some())
        .max_by_key(|((api, _), _)| (version_priority(split(api).1), api.clone()))
        .map(|((api, _), l)| (api.clone(), l.clone()))
}

/// Is `group` one of Kubernetes' own API groups (`""` is the core group)?
pub fn is_builtin_group(group: &str) -> bool {
    static GROUPS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut g: Vec<&str> = rows(LIFECYCLE_TSV)
            .chain(rows(REPLACEMENTS_TSV))
            .map(|r| split(r[0]).0)
            .collect();
        g.sort_unstable();
        g.dedup();
        g
    });
    GROUPS.binary_search(&group).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<KubeVersion> {
        KubeVersion::parse(s)
    }

    #[test]
    fn removed_apis_name_their_replacement() {
        let l = api_lifecycle("extensions/v1beta1", "Deployment").unwrap();
        assert_eq!(
            (l.introduced, l.removed, l.replacement.as_deref()),
            (None, v("1.16"), Some("apps/v1"))
        );
        let l = api_lifecycle("autoscaling/v2beta2", "HorizontalPodAutoscaler").unwrap();
        assert_eq!(
            (l.introduced, l.deprecated, l.removed),
            (v("1.25"), v("1.23"), v("1.26"))
        );
        assert_eq!(l.replacement.as_deref(), Some("autoscaling/v2"));
        let l = api_lifecycle("policy/v1beta1", "PodSecurityPolicy").unwrap();
        assert!(
            l.replacement.is_none()
                && l.note
                    .as_deref()
                    .unwrap()
                    .contains("Pod Security Admission")
        );
    }

    #[test]
    fn replacements_are_derived_for_apis_the_table_does_not_list() {
        let l = api_lifecycle(
            "admissionregistration.k8s.io/v1beta1",
            "ValidatingAdmissionPolicy",
        )
        .unwrap();
        assert_eq!(
            (l.removed, l.replacement.as_deref()),
            (v("1.34"), Some("admissionregistration.k8s.io/v1"))
        );
        let l = api_lifecycle("apps/v1", "Deployment").unwrap();
        assert_eq!(
            l,
            Lifecycle {
                introduced: v("1.25"),
                ..Lifecycle::default()
            }
        );
        assert!(
            api_lifecycle("autoscaling/v1", "HorizontalPodAutoscaler")
                .unwrap()
                .replacement
                .is_none()
        );
        let l = api_lifecycle("resource.k8s.io/v1beta1", "ResourceClaim").unwrap();
        assert_eq!(
            (l.removed, l.replacement.as_deref()),
            (None, Some("resource.k8s.io/v1"))
        );
        assert!(api_lifecycle("example.com/v1", "Widget").is_none());
    }

    #[test]
    fn the_hand_table_agrees_with_the_bundle_data() {
        let newest = rows(LIFECYCLE_TSV).map(|r| version(r[3])).max().unwrap();
        for r in rows(REPLACEMENTS_TSV) {
            let removed = version(r[3]);
            let served: Vec<_> = rows(LIFECYCLE_TSV)
                .filter(|l| l[0] == r[0] && l[1] == r[1])
                .collect();
            if let Some(row) = served.first() {
                assert_eq!(version(row[3]).minor + 1, removed.minor, "{r:?}");
            } else {
                assert!(
                    removed <= version("1.25"),
                    "{r:?} is missing from api-lifecycle.tsv"
                );
            }
            assert!(version(r[2]) < removed, "{r:?}");
            if r[4] != "-" {
                assert!(
                    rows(LIFECYCLE_TSV)
                        .any(|l| l[0] == r[4] && l[1] == r[1] && version(l[3]) == newest),
                    "{r:?}: replacement not served"
                );
            }
        }
    }

    #[test]
    fn removed_kinds_are_found_by_group() {
        let (api, l) = removed_from_group("policy", "PodSecurityPolicy").unwrap();
        assert_eq!((api.as_str(), l.removed), ("policy/v1beta1", v("1.25")));
        assert!(
            removed_from_group("apps", "Deployment")
                .unwrap()
                .0
                .starts_with("apps/v1beta")
        );
        assert!(removed_from_group("policy", "Widget").is_none());
    }

    #[test]
    fn versions_order_by_stability() {
        let mut vs = vec!["v1alpha1", "v2", "v1beta1", "v1", "v1beta2", "v2beta1"];
        vs.sort_by_key(|v| version_priority(v));
        assert_eq!(
            vs,
            ["v1alpha1", "v1beta1", "v1beta2", "v2beta1", "v1", "v2"]
        );
        assert!(is_builtin_group("") && is_builtin_group("apps") && is_builtin_group("extensions"));
        assert!(!is_builtin_group("monitoring.coreos.com"));
    }
}
