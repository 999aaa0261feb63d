//! `accord test`: run every rule's examples and fixtures, like `conftest verify`.
//!
//! Each `examples.invalid` manifest must produce at least one finding of its rule (and, when the
//! rule has a safe fix, applying the fixes until nothing changes must leave no finding of that
//! rule); each `examples.valid` manifest must produce none. Fixture files in a `tests/<rule-id>/`
//! folder beside the rules count the same way: `invalid*.yaml` and `valid*.yaml`.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::engine::{self, Context, fix};
use crate::manifest;
use crate::policy::Rule;
use std::path::Path;

/// What one example or fixture is expected to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Must produce a finding of the rule.
    Invalid,
    /// Must not.
    Valid,
}

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Rule id.
    pub rule: String,
    /// Display name (`examples.invalid[0]` or a fixture path).
    pub name: String,
    /// Expectation.
    pub expect: Expect,
    /// Manifest text.
    pub text: String,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// `None` when it passed, else why it failed.
    pub failure: Option<String>,
    /// The rule's findings on the case (for snapshots).
    pub findings: Vec<Diagnostic>,
}

/// Cases from a rule's inline examples.
pub fn example_cases(rule: &Rule) -> Vec<Case> {
    let mut out = Vec::new();
    for (i, t) in rule.spec.examples.invalid.iter().enumerate() {
        out.push(Case {
            rule: rule.id().into(),
            name: format!("examples.invalid[{i}]"),
            expect: Expect::Invalid,
            text: t.clone(),
        });
    }
    for (i, t) in rule.spec.examples.valid.iter().enumerate() {
        out.push(Case {
            rule: rule.id().into(),
            name: format!("examples.valid[{i}]"),
            expect: Expect::Valid,
            text: t.clone(),
        });
    }
    out
}

/// Cases from `tests/<rule-id>/{valid,invalid}*.yaml` under `dir`.
pub fn fixture_cases(dir: &Path, rule: &Rule) -> Vec<Case> {
    let d = dir.join("tests").join(rule.id());
    let Ok(entries) = std::fs::read_dir(&d) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            let expect = if name.starts_with("invalid") {
                Expect::Invalid
            } else if name.starts_with("valid") {
                Expect::Valid
            } else {
                return None;
            };
            let text = std::fs::read_to_string(&p).ok()?;
            Some(Case {
                rule: rule.id().into(),
                name: p.to_string_lossy().replace('\\', "/"),
                expect,
                text,
            })
        })
        .collect()
}

/// Lint `text` as file `name` with only `rule`.
pub fn lint_one(rule: &Rule, name: &str, text: &str, ctx: &Context) -> Vec<Diagnostic> {
    let f = manifest::read(name, text);
    engine::lint(std::slice::from_ref(&f), std::slice::from_ref(rule), ctx)
}

/// Run one case.
pub fn run_case(rule: &Rule, case: Case, ctx: &Context) -> CaseResult {
    let file = format!("{}#{}", rule.id(), case.name);
    let all = lint_one(rule, &file, &case.text, ctx);
    let problems: Vec<&Diagnostic> = all.iter().filter(|d| d.rule != rule.id()).collect();
    let findings: Vec<Diagnostic> = all
        .iter()
        .filter(|d| d.rule == rule.id())
        .cloned()
        .collect();
    let mut failure = None;
    if let Some(p) = problems.first() {
        failure = Some(format!(
            "the example itself is broken: {}:{}: {}",
            p.location.start.line, p.location.start.column, p.message
        ));
    } else {
        match case.expect {
            Expect::Invalid if findings.is_empty() => {
                failure = Some("expected a finding, got none".into())
            }
            Expect::Valid if !findings.is_empty() => {
                let f = &findings[0];
                failure = Some(format!(
                    "expected no finding, got {}:{}: {}",
                    f.location.start.line, f.location.start.column, f.message
                ));
            }
            Expect::Invalid => {
                failure = check_fix_converges(rule, &file, &case.text, &findings, ctx)
            }
            Expect::Valid => {}
        }
    }
    CaseResult {
        case,
        failure,
        findings,
    }
}

/// Apply safe fixes until nothing changes (at most 10 rounds); fixable findings must be gone.
fn check_fix_converges(
    rule: &Rule,
    file: &str,
    text: &str,
    findings: &[Diagnostic],
    ctx: &Context,
) -> Option<String> {
    let safe = |d: &Diagnostic| {
        d.fix
            .as_ref()
            .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
    };
    if !findings.iter().any(safe) {
        return None;
    }
    let mut text = text.to_string();
    for _ in 0..10 {
        let diags = lint_one(rule, file, &text, ctx);
        if diags.iter().any(|d| d.rule != rule.id()) {
            return Some(format!("applying the fix broke the manifest:\n{text}"));
        }
        let edits: Vec<_> = diags
            .iter()
            .filter(|d| safe(d))
            .flat_map(|d| d.fix.as_ref().map(|f| f.edits.clone()).unwrap_or_default())
            .collect();
        if edits.is_empty() {
            let left: Vec<_> = diags.iter().filter(|d| d.rule == rule.id()).collect();
            return if left.is_empty() {
                None
            } else {
                Some(format!(
                    "after applying the safe fix the finding remains: {}",
                    left[0].message
                ))
            };
        }
        text = fix::apply(&text, &edits).0;
    }
    Some("the safe fix does not converge after 10 rounds".into())
}

/// Run all cases of `rules` (fixtures searched under `dirs`).
pub fn run(rules: &[Rule], dirs: &[&Path], ctx: &Context) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for r in rules {
        let mut cases = example_cases(r);
        for d in dirs {
            cases.extend(fixture_cases(d, r));
        }
        out.extend(cases.into_iter().map(|c| run_case(r, c, ctx)));
    }
    out
}
