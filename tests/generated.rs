//! Generated artifacts are committed; these tests fail when a committed copy is stale.
//! Run with `UPDATE_GENERATED=1` to rewrite them.

use accord::cli::{Which, schema_json};
use std::path::Path;

fn check(path: &str, expected: String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&p, &expected).expect("write");
        return;
    }
    let actual = std::fs::read_to_string(&p).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} is stale: run `UPDATE_GENERATED=1 cargo test --test generated` and commit it"
    );
}

#[test]
fn json_schemas_are_current() {
    for (which, path) in [
        (Which::Policy, "schemas/policy.schema.json"),
        (Which::Config, "schemas/config.schema.json"),
        (Which::Report, "schemas/report.schema.json"),
        (Which::Waivers, "schemas/waivers.schema.json"),
    ] {
        let mut s = serde_json::to_string_pretty(&schema_json(which)).expect("json");
        s.push('\n');
        check(path, s);
    }
}

#[test]
fn builtin_rules_validate_against_the_policy_schema() {
    let schema = schema_json(Which::Policy);
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for (path, text) in accord::policy::BUILTIN {
        let f = accord::source::SourceFile::new(*path, *text);
        let doc = accord::manifest::yaml::parse(&f).documents.remove(0);
        let errors: Vec<String> = validator
            .iter_errors(&doc.root.to_json())
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
}
