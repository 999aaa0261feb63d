//! Every built-in rule: its examples behave as declared (invalid → finding, valid → none, safe
//! fixes converge), and the rendered diagnostics of each invalid example are snapshot-tested.

use accord::engine::Context;
use accord::policy;
use accord::render;
use accord::testing::{self, Expect};

#[test]
fn every_rule_example_behaves_as_declared() {
    let rules = policy::builtin_rules().expect("built-in rules load");
    assert!(!rules.is_empty());
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
        "failing rule examples:\n{}",
        failures.join("\n")
    );
}

#[test]
fn rendered_diagnostics_per_rule() {
    let rules = policy::builtin_rules().expect("built-in rules load");
    for r in testing::run(&rules, &[], &Context::default()) {
        if r.case.expect != Expect::Invalid {
            continue;
        }
        let mut out = String::new();
        for d in &r.findings {
            render::text::diagnostic(d, false, &mut out);
        }
        let name = format!(
            "{}@{}",
            r.case.rule,
            r.case.name.replace(['[', ']'], "_").replace('.', "-")
        );
        insta::assert_snapshot!(name, out);
    }
}

#[test]
fn rule_metadata_meets_the_bar() {
    let rules = policy::builtin_rules().expect("built-in rules load");
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for r in &rules {
        let id = r.id();
        if !ids.insert(id.to_string()) {
            problems.push(format!("{id}: duplicate id"));
        }
        if !r.spec.help.trim_end().ends_with('.') {
            problems.push(format!("{id}: help must end with a period"));
        }
        if r.spec.why.trim().len() < 80 {
            problems.push(format!("{id}: `why` is too short to explain the risk"));
        }
        if r.spec
            .docs
            .as_deref()
            .is_none_or(|d| !d.starts_with("https://"))
        {
            problems.push(format!("{id}: needs an https docs link"));
        }
        let ex = &r.spec.examples;
        if (ex.valid.is_empty() && ex.transitions.valid.is_empty())
            || (ex.invalid.is_empty() && ex.transitions.invalid.is_empty())
        {
            problems.push(format!("{id}: needs valid and invalid examples"));
        }
        if r.spec.presets.is_empty() {
            problems.push(format!("{id}: belongs to no preset"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
