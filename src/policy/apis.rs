//! The API lifecycle table: which `apiVersion` + `kind` pairs are deprecated or removed in which
//! Kubernetes version, what replaces them, and whether moving is a mechanical `apiVersion`
//! rewrite.
//!
//! The table is data (`policies/data/deprecated-apis.yaml`, embedded at build time) read strictly
//! like every other accord file; the `api-status` condition looks objects up in it against the
//! configured target version (`kubernetes-version`, default [`DEFAULT_KUBERNETES_VERSION`]).

use crate::manifest::de::from_node;
use crate::manifest::yaml;
use crate::source::SourceFile;
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::OnceLock;

/// The target Kubernetes version when the config names none.
pub const DEFAULT_KUBERNETES_VERSION: (u32, u32) = (1, 37);

/// Where the table is, as its errors name it.
const TABLE_PATH: &str = "policies/data/deprecated-apis.yaml";

/// The embedded table.
pub const TABLE: &str = include_str!("../../policies/data/deprecated-apis.yaml");

/// [`TABLE`]'s tree, parsed at build time (see `yaml::encode`; empty if it did not parse).
static TABLE_TREE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/deprecated_apis_tree.bin"));

/// How an `apiVersion` rewrite fixes an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rewrite {
    /// The schemas are compatible: rewriting `apiVersion` is the whole migration.
    Safe,
    /// Rewriting `apiVersion` is the first step, but fields or defaults changed: review needed.
    Unsafe,
    /// No replacement API, or the manifest must be restructured.
    None,
}

/// One row of the table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ApiEntry {
    /// `group/version` as written in manifests.
    pub api_version: String,
    /// Kind.
    pub kind: String,
    /// First Kubernetes version that deprecated it (`1.19`).
    #[serde(default)]
    pub deprecated_in: Option<String>,
    /// First Kubernetes version that no longer serves it.
    #[serde(default)]
    pub removed_in: Option<String>,
    /// The API version to use instead, if any.
    #[serde(default)]
    pub replacement: Option<String>,
    /// Whether rewriting `apiVersion` to the replacement is a complete, safe migration.
    pub rewrite: Rewrite,
    /// What else changes when migrating (one sentence).
    #[serde(default)]
    pub note: Option<String>,
}

/// Parse `1.30` / `v1.30.2` into (major, minor).
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches('v');
    let mut it = v.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    if let Some(p) = it.next() {
        p.parse::<u32>().ok()?;
    }
    Some((major, minor))
}

/// Parse a table text (used for the embedded table and in tests).
pub fn parse_table(text: &str) -> Result<Vec<ApiEntry>, String> {
    let src = SourceFile::new(TABLE_PATH, text);
    let parsed = yaml::parse(&src);
    read_table(&src, parsed)
}

/// The rows of the table `src`, parsed.
fn read_table(src: &SourceFile, parsed: yaml::ParsedStream) -> Result<Vec<ApiEntry>, String> {
    if let Some(i) = parsed.issues.first() {
        return Err(i.message.clone());
    }
    let Some(doc) = parsed.documents.into_iter().next() else {
        return Ok(Vec::new());
    };
    let rows: Vec<ApiEntry> = from_node(&doc.root).map_err(|e| {
        let at = e.span.map(|s| src.position(s.start()).line).unwrap_or(0);
        format!("line {at}: {}", e.message)
    })?;
    for r in &rows {
        for v in [&r.deprecated_in, &r.removed_in].into_iter().flatten() {
            if parse_version(v).is_none() {
                return Err(format!(
                    "{} {}: `{v}` is not a version like 1.22",
                    r.api_version, r.kind
                ));
            }
        }
        if r.rewrite != Rewrite::None && r.replacement.is_none() {
            return Err(format!(
                "{} {}: a rewrite needs a replacement",
                r.api_version, r.kind
            ));
        }
    }
    Ok(rows)
}

/// The embedded table (parsed once; a test guarantees it parses).
pub fn table() -> &'static [ApiEntry] {
    static T: OnceLock<Vec<ApiEntry>> = OnceLock::new();
    T.get_or_init(|| {
        let src = SourceFile::new(TABLE_PATH, TABLE);
        read_table(&src, yaml::decode_or_parse(TABLE_TREE, &src)).unwrap_or_default()
    })
}

/// The row for `api_version` + `kind`, if any.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static ApiEntry> {
    table()
        .iter()
        .find(|e| e.api_version == api_version && e.kind == kind)
}

/// Where an API stands in `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Served, not deprecated.
    Current,
    /// Deprecated but served.
    Deprecated,
    /// Not served.
    Removed,
}

impl ApiEntry {
    /// Its standing in `target`.
    pub fn standing(&self, target: (u32, u32)) -> Standing {
        let at = |v: &Option<String>| {
            v.as_deref()
                .and_then(parse_version)
                .is_some_and(|v| v <= target)
        };
        if at(&self.removed_in) {
            Standing::Removed
        } else if at(&self.deprecated_in) {
            Standing::Deprecated
        } else {
            Standing::Current
        }
    }
    /// One sentence of advice.
    pub fn advice(&self) -> String {
        let mut s = match &self.replacement {
            Some(r) => format!("use `{r}` instead"),
            None => "it has no replacement".to_string(),
        };
        if let Some(n) = &self.note {
            s.push_str(&format!(" ({})", n.trim_end_matches('.')));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_s_embedded_tree_reads_as_the_table_does() {
        let parsed = yaml::decode(TABLE_TREE).expect("build.rs embedded the tree");
        let src = SourceFile::new(TABLE_PATH, TABLE);
        let rows = read_table(&src, parsed).expect("reads");
        let again = parse_table(TABLE).expect("parses");
        assert_eq!(format!("{rows:?}"), format!("{again:?}"));
        assert_eq!(table().len(), rows.len());
    }

    #[test]
    fn embedded_table_parses_and_is_unique() {
        let rows = parse_table(TABLE).expect("table parses");
        assert!(rows.len() > 40);
        let mut keys: Vec<_> = rows
            .iter()
            .map(|r| (r.api_version.clone(), r.kind.clone()))
            .collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate rows");
    }

    #[test]
    fn standing_by_version() {
        let e = lookup("batch/v1beta1", "CronJob").expect("row");
        assert_eq!(e.standing((1, 20)), Standing::Current);
        assert_eq!(e.standing((1, 21)), Standing::Deprecated);
        assert_eq!(e.standing((1, 25)), Standing::Removed);
        assert_eq!(e.replacement.as_deref(), Some("batch/v1"));
    }
}
