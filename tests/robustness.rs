//! No input may panic accord: property-based fuzzing of the manifest loader, the engine with the
//! built-in rules (including fix planning), the rule-file parser and the config parser.
//!
//! Inputs that once crashed are kept in `tests/regressions/` and replayed by
//! `regressions_do_not_panic`.

use accord::config::Config;
use accord::engine::{self, Context};
use accord::{manifest, policy, source::SourceFile};
use proptest::prelude::*;
use std::path::Path;

fn lint_everything(text: &str) {
    let f = manifest::read("fuzz.yaml", text.to_string());
    let rules = policy::builtin_rules().expect("built-in rules");
    let diags = engine::lint(std::slice::from_ref(&f), &rules, &Context::default());
    for d in &diags {
        assert!(d.location.start.line >= 1, "finding without a line: {d:?}");
        if let Some(fix) = &d.fix {
            let _ = engine::fix::apply(&f.source.text, &fix.edits);
        }
    }
}

fn parse_rule(text: &str) {
    let _ = policy::load_rule(SourceFile::new("rule.yaml", text.to_string()), false);
}

fn parse_config(text: &str) {
    let _ = Config::parse(
        SourceFile::new(".accord.yaml", text.to_string()),
        Path::new("."),
    );
}

/// Seeds: real-looking manifests that mutations start from.
const SEEDS: &[&str] = &[
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      securityContext: {runAsNonRoot: true}\n      containers:\n        - name: a\n          image: nginx\n          securityContext:\n            privileged: true\n          resources: {limits: {memory: 1Gi}}\n",
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: &m {name: p}\n  spec:\n    <<: {hostNetwork: true}\n    containers: [{name: x, image: 'x:1'}]\n---\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"a\": \"{{ x }}\"}}\n",
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: c@sha256:abc\n            env:\n            - {name: A, value: |\n                multi\n                line}\n",
];

fn mutate(seed: &str, ops: &[(u8, usize, u8)]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    const ALPHABET: &[u8] = b" \n\t:-[]{},#&*!|>'\"%@`?<=~0123456789abcxyz\r\\";
    for &(kind, pos, ch) in ops {
        if bytes.is_empty() {
            bytes.push(b'a');
        }
        let pos = pos % bytes.len();
        let c = ALPHABET[ch as usize % ALPHABET.len()];
        match kind % 4 {
            0 => bytes.insert(pos, c),
            1 => {
                bytes.remove(pos);
            }
            2 => bytes[pos] = c,
            _ => {
                let end = (pos + ch as usize % 16).min(bytes.len());
                let chunk = bytes[pos..end].to_vec();
                bytes.splice(pos..pos, chunk);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n\t\u{e9}\u{feff}]{0,300}") {
        lint_everything(&text);
        parse_rule(&text);
        parse_config(&text);
    }

    #[test]
    fn mutated_manifests_never_panic(seed in 0..SEEDS.len(), ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..8)) {
        lint_everything(&mutate(SEEDS[seed], &ops));
    }

    #[test]
    fn mutated_rule_files_never_panic(rule in 0..policy::BUILTIN.len(), ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)) {
        parse_rule(&mutate(policy::BUILTIN[rule].1, &ops));
    }

    #[test]
    fn mutated_configs_never_panic(ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)) {
        parse_config(&mutate("owners:\n  security: {owner: a, contact: b}\nseverity:\n  x: error\ninclude: ['**/*.yaml']\nkubernetes-version: '1.30'\npod-templates:\n  a/B: /spec/template\n", &ops));
    }
}

#[test]
fn deep_nesting_and_alias_bombs_are_errors_not_crashes() {
    lint_everything(&"[".repeat(100_000));
    lint_everything(&format!("a: {}", "{b: ".repeat(5000)));
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    lint_everything(&bomb);
    parse_rule(&bomb);
}

#[test]
fn regressions_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    for entry in std::fs::read_dir(dir).expect("regressions dir") {
        let p = entry.expect("entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned();
        lint_everything(&text);
        parse_rule(&text);
        parse_config(&text);
    }
}
