//! Embeds the built-in rule library: every `policies/**/*.yaml` file (except `tests/` fixtures and
//! the `data/` tables, which are embedded by the modules that read them) becomes an entry of
//! `BUILTIN`, so adding a rule is adding a file. Each file is also parsed here, with the crate's
//! own YAML module, and its tree embedded encoded (`BUILTIN_TREES`, see `yaml::encode`): a run
//! decodes the trees instead of parsing the library again. So is the deprecated-API table of
//! `policies/data` (whose text `policy::apis` embeds).
//!
//! Also decompresses the Kubernetes schema bundle (`schemas/k8s/bundle.json.zst`, kept compressed
//! in the repository) into `OUT_DIR`, so the binary embeds its JSON and a run never pays for
//! decompressing it, and indexes it there (`k8s-bundle-index.rs`), so a run never scans it to
//! find a definition.

use std::path::{Path, PathBuf};

// The crate's YAML module and the source module it uses, as they are (their `crate::source`
// is this `source`): the trees embedded are those a run would parse.
#[allow(dead_code)]
#[path = "src/source.rs"]
mod source;
#[allow(dead_code)]
#[path = "src/manifest/yaml.rs"]
mod yaml;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "tests" && n != "data") {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut files = Vec::new();
    walk(&policies, &mut files);
    files.sort();
    let mut code = String::from("&[\n");
    // Every file's encoded tree, one after another, and each one's byte range (empty when the
    // file does not parse cleanly: a run parses it, and reports what is wrong).
    let mut trees = Vec::new();
    let mut tree_ranges = String::from("&[\n");
    for f in &files {
        let start = trees.len();
        trees.extend(encoded_tree(f));
        tree_ranges.push_str(&format!("    ({start}, {}),\n", trees.len()));
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&policies)
            .expect("under policies")
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push(']');
    tree_ranges.push(']');
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("out dir"));
    std::fs::write(out_dir.join("builtin_policies.rs"), code).expect("write");
    std::fs::write(out_dir.join("builtin_trees.bin"), trees).expect("write");
    std::fs::write(out_dir.join("builtin_tree_ranges.rs"), tree_ranges).expect("write");
    // The deprecated-API table (policies/data), read by every lint that checks apiVersions.
    let apis = root.join("policies/data/deprecated-apis.yaml");
    println!("cargo:rerun-if-changed={}", apis.display());
    std::fs::write(
        out_dir.join("deprecated_apis_tree.bin"),
        encoded_tree(&apis),
    )
    .expect("write");
    println!("cargo:rerun-if-changed=src/source.rs");
    println!("cargo:rerun-if-changed=src/manifest/yaml.rs");

    let bundle = root.join("schemas/k8s/bundle.json.zst");
    println!("cargo:rerun-if-changed={}", bundle.display());
    let compressed = std::fs::read(&bundle).expect("schemas/k8s/bundle.json.zst");
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(compressed.as_slice())
        .expect("schemas/k8s/bundle.json.zst is a zstd frame");
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut decoder, &mut json).expect("the schema bundle decompresses");
    let index = bundle_index(std::str::from_utf8(&json).expect("the schema bundle is UTF-8"));
    std::fs::write(out_dir.join("k8s-bundle.json"), &json).expect("write the schema bundle");
    std::fs::write(out_dir.join("k8s-bundle-index.rs"), index).expect("write the bundle index");
}

/// The YAML file at `path` parsed and encoded (see `yaml::encode`); empty if it has issues,
/// which a run then finds by parsing it.
fn encoded_tree(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (YAML files are UTF-8)", path.display()));
    let parsed = yaml::parse(&source::SourceFile::new(path.display().to_string(), text));
    yaml::encode(&parsed).unwrap_or_default()
}

/// The byte range of `raw` inside `json` (which it borrows from).
fn range(json: &str, raw: &serde_json::value::RawValue) -> (usize, usize) {
    let start = raw.get().as_ptr() as usize - json.as_ptr() as usize;
    (start, start + raw.get().len())
}

/// Index the bundle ("Bundle format v1", see `src/schema/bundle.rs`) at build time, so a run
/// does not scan its megabytes to find the definitions: Rust source for `FORMAT`, the byte
/// ranges of `versions` and `kinds`, and every definition's variants as (minor mask, byte
/// range of the body), sorted by name for a binary search. Checks the layout on the way: a
/// malformed bundle fails the build.
fn bundle_index(json: &str) -> String {
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;
    let top: BTreeMap<&str, &RawValue> =
        serde_json::from_str(json).expect("the schema bundle is a JSON object");
    let part = |key: &str| {
        *top.get(key)
            .unwrap_or_else(|| panic!("the schema bundle has `{key}`"))
    };
    for key in top.keys() {
        assert!(
            ["format", "versions", "kinds", "defs", "source"].contains(key),
            "the schema bundle has an unknown field `{key}`"
        );
    }
    let format: u32 = serde_json::from_str(part("format").get()).expect("`format` is a number");
    let defs: BTreeMap<&str, Vec<BTreeMap<&str, &RawValue>>> =
        serde_json::from_str(part("defs").get()).expect("`defs` maps names to variant lists");
    let mut code = format!(
        "/// Generated by build.rs from the bundle's JSON.\n\
         pub(super) const INDEXED_FORMAT: u32 = {format};\n\
         pub(super) const VERSIONS_AT: (usize, usize) = {:?};\n\
         pub(super) const KINDS_AT: (usize, usize) = {:?};\n\
         pub(super) static DEFS: &[(&str, &[Variant])] = &[\n",
        range(json, part("versions")),
        range(json, part("kinds")),
    );
    for (name, variants) in &defs {
        code.push_str(&format!("    ({name:?}, &["));
        for v in variants {
            assert!(
                v.len() == 2 && v.contains_key("in") && v.contains_key("schema"),
                "definition `{name}`: a variant has exactly `in` and `schema`"
            );
            let mask: u64 = serde_json::from_str(v["in"].get()).expect("`in` is a bit mask");
            let (start, end) = range(json, v["schema"]);
            code.push_str(&format!("({mask}, {start}, {end}), "));
        }
        code.push_str("]),\n");
    }
    code.push_str("];\n");
    code
}
