//! `accord test`: run every rule's examples and fixtures, like `conftest verify`.
//!
//! Each `examples.invalid` manifest must produce at least one finding of its rule (and, when the
//! rule has a safe fix, applying the fixes until nothing changes must leave no finding of that
//! rule); each `examples.valid` manifest must produce none. Fixture files in a `tests/<rule-id>/`
//! folder beside the rules count the same way: `invalid*.yaml` and `valid*.yaml`. Transition
//! examples (`examples.transitions`) are linted as a change from `old` to `new`: objects are
//! matched by identity, `$old` reads the BASE version, and `applies-to: removed` rules see the
//! objects the change deletes.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::diff::objects;
use crate::engine::{self, Context, Transition, fix, object_key, system};
use crate::manifest::{self, Object};
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
    /// Manifest text (HEAD's, for a transition).
    pub text: String,
    /// BASE manifest text, for a transition example.
    pub old: Option<String>,
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
            old: None,
        });
    }
    for (i, t) in rule.spec.examples.valid.iter().enumerate() {
        out.push(Case {
            rule: rule.id().into(),
            name: format!("examples.valid[{i}]"),
            expect: Expect::Valid,
            text: t.clone(),
            old: None,
        });
    }
    let tr = &rule.spec.examples.transitions;
    for (expect, list, what) in [
        (Expect::Invalid, &tr.invalid, "invalid"),
        (Expect::Valid, &tr.valid, "valid"),
    ] {
        for (i, t) in list.iter().enumerate() {
            out.push(Case {
                rule: rule.id().into(),
                name: format!("examples.transitions.{what}[{i}]"),
                expect,
                text: t.new.clone(),
                old: Some(t.old.clone()),
            });
        }
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
                old: None,
            })
        })
        .collect()
}

/// Lint `text` as file `name` with only `rule`.
pub fn lint_one(rule: &Rule, name: &str, text: &str, ctx: &Context) -> Vec<Diagnostic> {
    let f = manifest::read(name, text);
    engine::lint(std::slice::from_ref(&f), std::slice::from_ref(rule), ctx)
}

/// Lint the change from `old` to `new` (file `name`) with only `rule`: objects matched by
/// identity, `$old` bound, removed objects checked by `applies-to: removed` rules. Problems in
/// the BASE text are reported too.
pub fn lint_transition(
    rule: &Rule,
    name: &str,
    old: &str,
    new: &str,
    ctx: &Context,
) -> Vec<Diagnostic> {
    let b = manifest::read(format!("{name}@old"), old);
    let h = manifest::read(name, new);
    let base: Vec<&Object> = b.objects.iter().collect();
    let head: Vec<&Object> = h.objects.iter().collect();
    let m = objects::match_objects(&base, &head);
    let mut t = Transition::default();
    for (bo, ho) in m.pairs.iter().chain(&m.renamed) {
        t.old.insert(object_key(ho), *bo);
    }
    t.removed = m.removed.clone();
    let mut diags = system::file_problems(&b);
    diags.extend(engine::lint_refs(
        &[&h],
        std::slice::from_ref(rule),
        ctx,
        &t,
    ));
    diags
}

fn lint_case(
    rule: &Rule,
    file: &str,
    text: &str,
    old: Option<&str>,
    ctx: &Context,
) -> Vec<Diagnostic> {
    match old {
        Some(o) => lint_transition(rule, file, o, text, ctx),
        None => lint_one(rule, file, text, ctx),
    }
}

/// Run one case.
pub fn run_case(rule: &Rule, case: Case, ctx: &Context) -> CaseResult {
    let file = format!("{}#{}", rule.id(), case.name);
    let all = lint_case(rule, &file, &case.text, case.old.as_deref(), ctx);
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
                failure = check_fix_converges(
                    rule,
                    &file,
                    &case.text,
                    case.old.as_deref(),
                    &findings,
                    ctx,
                )
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
    old: Option<&str>,
    findings: &[Diagnostic],
    ctx: &Context,
) -> Option<String> {
    // Only fixes in the HEAD text can be applied (findings on removed objects point at BASE).
    let safe = |d: &Diagnostic| {
        d.location.file() == file
            && d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
    };
    if !findings.iter().any(safe) {
        return None;
    }
    let mut text = text.to_string();
    for _ in 0..10 {
        let diags = lint_case(rule, file, &text, old, ctx);
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
