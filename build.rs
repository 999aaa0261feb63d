//! Embeds the built-in rule library: every `policies/**/*.yaml` file (except `tests/` fixtures and
//! the `data/` tables, which are embedded by the modules that read them) becomes an entry of
//! `BUILTIN`, so adding a rule is adding a file.
//!
//! Also decompresses the Kubernetes schema bundle (`schemas/k8s/bundle.json.zst`, kept compressed
//! in the repository) into `OUT_DIR`, so the binary embeds its JSON and a run never pays for
//! decompressing it.

use std::path::{Path, PathBuf};

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
    for f in &files {
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
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("out dir"));
    std::fs::write(out_dir.join("builtin_policies.rs"), code).expect("write");

    let bundle = root.join("schemas/k8s/bundle.json.zst");
    println!("cargo:rerun-if-changed={}", bundle.display());
    let compressed = std::fs::read(&bundle).expect("schemas/k8s/bundle.json.zst");
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(compressed.as_slice())
        .expect("schemas/k8s/bundle.json.zst is a zstd frame");
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut decoder, &mut json).expect("the schema bundle decompresses");
    std::fs::write(out_dir.join("k8s-bundle.json"), json).expect("write the schema bundle");
}
