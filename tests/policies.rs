//! The built-in rule library, rule by rule: every example behaves as declared, every invalid
//! example's rendered diagnostics are snapshotted, every rule carries complete documentation, and
//! `docs/rules.md` matches the rules (`UPDATE_GENERATED=1` regenerates it).

use accord::engine::Context;
use accord::policy::{self, BUILTIN, PRESETS, Rule, catalogue};
use accord::render::text;
use accord::testing::{self, Expect};
use std::collections::BTreeSet;

fn rules() -> Vec<Rule> {
    match policy::builtin_rules() {
        Ok(r) => r,
        Err(errors) => panic!(
            "built-in rules do not load:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

#[test]
fn every_example_behaves_as_declared() {
    let rules = rules();
    let results = testing::run(&rules, &[], &Context::default());
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{} {}: {f}", r.case.rule, r.case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing examples:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        results
            .iter()
            .filter(|r| r.case.expect == Expect::Invalid)
            .count()
            >= rules.len()
    );
}

#[test]
fn invalid_examples_render_as_snapshotted() {
    let rules = rules();
    let ctx = Context::default();
    for rule in &rules {
        let mut out = String::new();
        for case in testing::example_cases(rule)
            .into_iter()
            .filter(|c| c.expect == Expect::Invalid)
        {
            let result = testing::run_case(rule, case, &ctx);
            out.push_str(&format!("=== {} ===\n", result.case.name));
            for d in &result.findings {
                text::diagnostic(d, false, &mut out);
                out.push('\n');
            }
        }
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("policies@{}", rule.id()), out);
        });
    }
}

#[test]
fn rule_ids_are_unique_and_files_are_named_after_them() {
    let rules = rules();
    assert!(policy::check_unique(&rules).is_empty());
    for (path, _) in BUILTIN {
        let rule = rules
            .iter()
            .find(|r| r.source.path.ends_with(path))
            .expect("loaded");
        // Transition rules (how an object changes, `accord diff`) live together.
        let folder = if rule.transition {
            "transitions"
        } else {
            rule.spec.category.as_str()
        };
        assert_eq!(
            *path,
            format!("{folder}/{}.yaml", rule.id()),
            "file name and location of `{}`",
            rule.id()
        );
    }
}

#[test]
fn every_rule_is_documented() {
    let categories: BTreeSet<&str> = [
        "api",
        "hygiene",
        "images",
        "networking",
        "probes",
        "rbac",
        "reliability",
        "resources",
        "security",
    ]
    .into();
    let mut aliases = BTreeSet::new();
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    for r in &rules() {
        let id = r.id();
        let s = &r.spec;
        check(
            categories.contains(s.category.as_str()),
            format!("{id}: unknown category {}", s.category),
        );
        check(
            s.description
                .as_deref()
                .is_some_and(|d| d.trim().len() > 20),
            format!("{id}: needs a description"),
        );
        let sentences = s.why.matches(". ").count()
            + s.why.matches(".\n").count()
            + usize::from(!s.why.trim_end().ends_with('.'));
        check(
            (2..=5).contains(&sentences),
            format!("{id}: `why` should be two to four sentences, has {sentences}"),
        );
        check(
            s.help.trim().ends_with('.'),
            format!("{id}: `help` must end with a period"),
        );
        check(
            s.docs.as_deref().is_some_and(|d| d.starts_with("https://")),
            format!("{id}: needs a docs URL"),
        );
        let ex = &s.examples;
        check(
            (!ex.valid.is_empty() || !ex.transitions.valid.is_empty())
                && (!ex.invalid.is_empty() || !ex.transitions.invalid.is_empty()),
            format!("{id}: needs valid and invalid examples"),
        );
        check(
            s.message.contains("{{object."),
            format!("{id}: the message must name the object"),
        );
        if matches!(r.each, accord::policy::cond::Each::Containers { .. }) {
            check(
                s.message.contains("{{container.name}}"),
                format!("{id}: the message must name the container"),
            );
        }
        if let Some(f) = &s.fix {
            check(
                !f.title.is_empty() && !f.edits.is_empty(),
                format!("{id}: incomplete fix"),
            );
        }
        for p in &s.presets {
            check(
                PRESETS.contains(&p.as_str()) && p != "all",
                format!("{id}: preset {p}"),
            );
        }
        for a in &s.aliases {
            check(
                a.contains('/'),
                format!("{id}: alias `{a}` must be tool/check"),
            );
            aliases.insert(a.clone());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn pss_presets_nest() {
    let rules = rules();
    let in_preset = |p: &str| -> BTreeSet<&str> {
        rules
            .iter()
            .filter(|r| r.spec.presets.iter().any(|x| x == p))
            .map(Rule::id)
            .collect()
    };
    let baseline = in_preset("pss-baseline");
    let restricted = in_preset("pss-restricted");
    assert!(
        baseline.is_subset(&restricted),
        "restricted must include every baseline control"
    );
    assert_eq!(
        baseline.len(),
        13,
        "the baseline profile has 13 controls (host namespaces split in three): {baseline:?}"
    );
    assert_eq!(
        restricted.len() - baseline.len(),
        7,
        "the restricted profile adds 7 rules: {:?}",
        restricted.difference(&baseline)
    );
}

#[test]
fn most_rules_point_at_peer_checks_or_the_issue_list() {
    // Every alias names a real tool prefix, so `accord explain <tool>/<check>` works.
    for r in &rules() {
        for a in &r.spec.aliases {
            let tool = a.split('/').next().unwrap_or_default();
            assert!(
                ["kube-linter", "polaris", "kube-score", "pss", "pluto"].contains(&tool),
                "{}: alias {a}",
                r.id()
            );
        }
    }
    let rules = rules();
    assert!(
        policy::find(&rules, "kube-linter/privileged-container")
            .is_some_and(|r| r.id() == "privileged-container")
    );
}

#[test]
fn rules_catalogue_is_up_to_date() {
    let generated = catalogue::markdown(&rules());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &generated).expect("write docs/rules.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale; run `UPDATE_GENERATED=1 cargo test --test policies`"
    );
}
