//! The embedded Kubernetes schema bundle: `schemas/k8s/bundle.json.zst` ("Bundle format v1").
//!
//! Every bundled Kubernetes minor lives in one deduplicated JSON document: a kind index
//! (`apiVersion/Kind` → definition name and a bit mask of the minors that serve it) and the
//! definitions, each distinct body stored once with the mask of the minors that hold it. The
//! repository keeps it compressed; `build.rs` decompresses it and the binary embeds the JSON.
//! `build.rs` also indexes it (the byte range of every definition's body): a run decodes only
//! the version list and the kind index, on first use (or ahead of time by [`prefetch`]), and a
//! definition's JSON is parsed only when a kind that needs it is compiled.

use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The bundle's JSON, decompressed by `build.rs` from `schemas/k8s/bundle.json.zst` (as generated
/// by `scripts/gen_k8s_bundle.sh`).
static JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/k8s-bundle.json"));

/// The only bundle format this reader understands.
const FORMAT: u32 = 1;

/// A Kubernetes `major.minor` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    /// Major version (1).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl KubeVersion {
    /// Parse `1.30`, `v1.30` or `1.30.2` (the patch is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        crate::config::parse_version(text).map(|(major, minor)| KubeVersion { major, minor })
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A kind of the index: its definition and the minors that serve it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindEntry {
    /// Definition name, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub def: String,
    /// Bit `i` set: served by the bundle's `i`-th minor.
    #[serde(rename = "in")]
    pub mask: u64,
}

impl KindEntry {
    /// Is this kind served by the minor at `index`?
    pub fn served_in(&self, index: usize) -> bool {
        self.mask & (1 << index) != 0
    }
}

/// One body of a definition: (mask of the minors that hold it, byte range of the body in
/// [`JSON`]).
type Variant = (u64, usize, usize);

include!(concat!(env!("OUT_DIR"), "/k8s-bundle-index.rs"));

/// The decoded, indexed bundle.
pub struct Bundle {
    versions: Vec<KubeVersion>,
    kinds: HashMap<String, KindEntry>,
}

/// The embedded bundle's JSON.
pub fn json() -> &'static str {
    JSON
}

fn load() -> Bundle {
    assert_eq!(
        INDEXED_FORMAT, FORMAT,
        "embedded schema bundle has an unknown format"
    );
    let part = |(start, end): (usize, usize)| &JSON[start..end];
    let versions: Vec<String> =
        serde_json::from_str(part(VERSIONS_AT)).expect("embedded schema bundle lists its versions");
    let versions = versions
        .iter()
        .map(|v| KubeVersion::parse(v).expect("embedded schema bundle names versions like 1.30"))
        .collect();
    Bundle {
        versions,
        kinds: serde_json::from_str(part(KINDS_AT)).expect("embedded schema bundle indexes kinds"),
    }
}

static BUNDLE: OnceLock<Bundle> = OnceLock::new();

/// The bundle, decoded on first use.
pub fn get() -> &'static Bundle {
    BUNDLE.get_or_init(load)
}

/// Start decoding the bundle on a background thread, so that it is ready by the time the first
/// object is validated (file reading and parsing run meanwhile).
pub fn prefetch() {
    if BUNDLE.get().is_none() {
        std::thread::spawn(get);
    }
}

impl Bundle {
    /// The bundled minors, oldest first; index `i` is bit `i` of every mask.
    pub fn versions(&self) -> &[KubeVersion] {
        &self.versions
    }

    /// The newest bundled minor.
    pub fn newest(&self) -> KubeVersion {
        *self.versions.last().expect("bundle has versions")
    }

    /// Index of the newest bundled minor not newer than `wanted`; `None` if `wanted` predates
    /// the bundle.
    pub fn select(&self, wanted: KubeVersion) -> Option<usize> {
        self.versions.iter().rposition(|v| *v <= wanted)
    }

    /// The index entry of `apiVersion` + `kind`, whichever minors serve it.
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<&KindEntry> {
        self.kinds.get(&format!("{api_version}/{kind}"))
    }

    /// Every indexed kind as `(apiVersion, Kind, entry)`, in no particular order.
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &str, &KindEntry)> {
        self.kinds.iter().filter_map(|(key, entry)| {
            let (api, kind) = key.rsplit_once('/')?;
            Some((api, kind, entry))
        })
    }

    /// The JSON text of definition `name` in the minor at `index`.
    pub fn def(&self, name: &str, index: usize) -> Option<&'static str> {
        // `build.rs` writes the definitions sorted by name (a `BTreeMap`'s order).
        let at = DEFS.binary_search_by_key(&name, |(n, _)| n).ok()?;
        DEFS[at]
            .1
            .iter()
            .find(|(mask, ..)| mask & (1 << index) != 0)
            .map(|&(_, start, end)| &JSON[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    const SOURCE: &str = include_str!("../../schemas/k8s/SOURCE.toml");

    fn source_value(key: &str) -> &'static str {
        SOURCE
            .lines()
            .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('='))
            .map(|v| v.trim().trim_matches('"'))
            .unwrap_or_else(|| panic!("SOURCE.toml has {key}"))
    }

    /// Number of definitions in the minor at `index`.
    fn def_count(index: usize) -> usize {
        DEFS.iter()
            .map(|(_, vs)| vs)
            .filter(|vs| vs.iter().any(|(mask, ..)| mask & (1 << index) != 0))
            .count()
    }

    #[test]
    fn embedded_bundle_matches_its_recorded_checksum() {
        let json = json();
        assert_eq!(json.len().to_string(), source_value("json_bytes"));
        let digest: String = Sha256::digest(json.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, source_value("json_sha256"));
    }

    #[test]
    fn definitions_are_sorted_by_name_for_lookup() {
        assert!(DEFS.is_sorted_by_key(|(name, _)| name));
        let b = get();
        for (name, variants) in DEFS {
            let newest = variants
                .iter()
                .any(|(mask, ..)| mask & (1 << (b.versions().len() - 1)) != 0);
            assert_eq!(
                b.def(name, b.versions().len() - 1).is_some(),
                newest,
                "{name}"
            );
        }
        assert_eq!(b.def("io.k8s.api.apps.v1.NoSuchThing", 0), None);
    }

    #[test]
    fn counts_match_the_recorded_provenance() {
        let b = get();
        let names: Vec<String> = b.versions().iter().map(ToString::to_string).collect();
        assert_eq!(names.first().map(String::as_str), Some("1.25"));
        assert_eq!(b.newest().to_string(), source_value("latest"));
        assert_eq!(names.len(), 13);
        assert_eq!(b.kinds.len().to_string(), source_value("kinds"));
        assert_eq!(DEFS.len().to_string(), source_value("def_names"));
        let newest = b.versions().len() - 1;
        assert_eq!(def_count(newest).to_string(), source_value("latest_defs"));
        assert_eq!(
            b.kinds()
                .filter(|(_, _, k)| k.served_in(newest))
                .count()
                .to_string(),
            source_value("latest_kinds")
        );
        assert_eq!(def_count(newest), 862);
        assert_eq!(
            b.kinds().filter(|(_, _, k)| k.served_in(newest)).count(),
            201
        );
    }

    #[test]
    fn selection_picks_the_newest_minor_not_newer_than_asked() {
        let b = get();
        let v = |s| KubeVersion::parse(s).unwrap();
        assert_eq!(b.versions()[b.select(v("1.31.4")).unwrap()], v("1.31"));
        assert_eq!(b.select(v("1.99")), Some(b.versions().len() - 1));
        assert_eq!(b.select(v("1.24")), None);
        let hpa = b
            .kind("autoscaling/v2beta2", "HorizontalPodAutoscaler")
            .unwrap();
        assert!(hpa.served_in(0) && !hpa.served_in(1));
        assert!(
            b.def("io.k8s.api.apps.v1.Deployment", b.versions().len() - 1)
                .unwrap()
                .contains("DeploymentSpec")
        );
    }
}
