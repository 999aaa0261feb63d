//! Step-by-step explanation of one rule on one object, for `accord explain RULE --object`.
//!
//! The verdict always comes from the engine itself ([`matches`], [`select`], [`eval`],
//! [`check_object`]); this module only walks the same steps and records what each one saw:
//! the kind / namespace / label selection, the nodes `each` selected, the `when` precondition,
//! every sub-condition's outcome with the path that decided it, and the resulting findings.
//! Conditions are traced by evaluating each node of the condition tree with the real
//! evaluator, so the trace cannot drift from what `lint` does.

use super::eval::{Env, eval};
use super::{Context, Index, check_object, matches, select};
use crate::diagnostic::Diagnostic;
use crate::manifest::Object;
use crate::policy::cond::{Cmp, Cond, Each, Op};
use crate::policy::{Check, Rule};

/// One line of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Nesting depth.
    pub depth: usize,
    /// Outcome of the step, when it has one.
    pub ok: Option<bool>,
    /// What was checked and what was seen.
    pub text: String,
}

fn step(out: &mut Vec<Step>, depth: usize, ok: Option<bool>, text: String) {
    out.push(Step { depth, ok, text });
}

#[allow(unreachable_patterns)]
fn op_text(op: &Op) -> String {
    match op {
        Op::Exists(b) => format!("exists: {b}"),
        Op::Equals(v) => format!("equals: {v}"),
        Op::In(vs) => format!(
            "in: [{}]",
            vs.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Op::Matches(re) => format!("matches: /{}/", re.as_str()),
        Op::Compare(c, n) => format!(
            "{}: {n}",
            match c {
                Cmp::Gt => "gt",
                Cmp::Gte => "gte",
                Cmp::Lt => "lt",
                Cmp::Lte => "lte",
            }
        ),
        Op::Contains(v) => format!("contains: {v}"),
        Op::ImageTagIn(t) => format!("image-tag-in: {t:?}"),
        Op::ImageHasDigest(b) => format!("image-has-digest: {b}"),
        Op::UniqueBy(k) => format!("unique-by: {k}"),
        other => format!("{other:?}"),
    }
}

#[allow(unreachable_patterns)]
fn cond_text(c: &Cond) -> String {
    match c {
        Cond::All(v) => format!("all of {}", v.len()),
        Cond::Any(v) => format!("any of {}", v.len()),
        Cond::Not(_) => "not".into(),
        Cond::Schema(_) => "schema".into(),
        Cond::Related(r) => format!("related: {} other object(s)", r.kinds.len()),
        Cond::ApiStatus(a) => format!("api-status: {a:?}"),
        Cond::Some { .. } => "some".into(),
        Cond::Field { raw, op, .. } => {
            let f = if raw.is_empty() { "(the node)" } else { raw };
            format!("field {f} {}", op_text(op))
        }
        other => {
            let d = format!("{other:?}");
            d.chars().take(80).collect()
        }
    }
}

/// Trace a condition: one step per node of the condition tree, each evaluated for real.
pub fn trace_cond(c: &Cond, env: &Env<'_>, depth: usize, out: &mut Vec<Step>) {
    let o = eval(c, env);
    let seen = match env.root.pointer(&o.at) {
        Some(n) => format!("`{}`", n.display_value()),
        None => "not set".into(),
    };
    let mut text = format!(
        "{} → {} at {} ({seen})",
        cond_text(c),
        if o.holds { "holds" } else { "does not hold" },
        if o.at.is_empty() { "/" } else { &o.at }
    );
    if let Some(r) = &o.reason {
        text.push_str(&format!(": {r}"));
    }
    step(out, depth, Some(o.holds), text);
    match c {
        Cond::All(v) | Cond::Any(v) => {
            for x in v {
                trace_cond(x, env, depth + 1, out);
            }
        }
        Cond::Not(x) => trace_cond(x, env, depth + 1, out),
        _ => {}
    }
}

fn each_text(e: &Each) -> String {
    match e {
        Each::Object => "the object".into(),
        Each::Containers { sub, .. } => {
            let v: Vec<&str> = e.container_lists().collect();
            let below = crate::policy::cond::seg_pointer(sub);
            if below.is_empty() {
                format!("containers ({})", v.join(", "))
            } else {
                format!("`{below}` of containers ({})", v.join(", "))
            }
        }
        Each::PodSpec => "the pod spec".into(),
        Each::PodTemplate => "the pod template".into(),
        Each::Volumes => "pod volumes".into(),
        Each::Pattern(_, p) => {
            format!("the path pattern `{}`", crate::policy::cond::seg_pointer(p))
        }
        Each::Union(v) => v.iter().map(each_text).collect::<Vec<_>>().join(" + "),
    }
}

/// Explain `rule` on `obj` (cross-object conditions see the objects of `index`): the steps, and
/// the findings the engine produces (unwaived).
pub fn explain(
    rule: &Rule,
    obj: &Object,
    ctx: &Context,
    index: &Index<'_>,
) -> (Vec<Step>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let m = &rule.matcher;
    let kinds: Vec<String> = m
        .kinds
        .iter()
        .map(|(g, k)| match g {
            Some(g) => format!("{g}/{k}"),
            None => k.clone(),
        })
        .chain(m.workloads.then(|| "workloads".to_string()))
        .collect();
    let kind_ok = m.any_kind
        || (m.workloads && ctx.is_workload(obj))
        || m.kinds.iter().any(|(g, k)| obj.id.is_kind(g.as_deref(), k));
    step(
        &mut out,
        0,
        Some(kind_ok),
        format!(
            "kind `{}` (apiVersion {}) — rule applies to {}",
            obj.id.kind,
            obj.id.api_version,
            if m.any_kind {
                "every kind".to_string()
            } else {
                kinds.join(", ")
            }
        ),
    );
    let ns = obj.id.namespace.as_deref().unwrap_or("default");
    let ns_ok = !(m.ns_include.as_ref().is_some_and(|s| !s.is_match(ns))
        || m.ns_exclude.as_ref().is_some_and(|s| s.is_match(ns)));
    let ns_filter = match &rule.spec.match_.namespaces {
        Some(f) => format!("include {:?}, exclude {:?}", f.include, f.exclude),
        None => "no namespace filter".into(),
    };
    step(
        &mut out,
        0,
        Some(ns_ok),
        format!("namespace `{ns}` — {ns_filter}"),
    );
    let spec = &rule.spec.match_;
    if !spec.labels.is_empty() || !spec.exclude_labels.is_empty() || !spec.annotations.is_empty() {
        let labels = obj.labels();
        step(
            &mut out,
            0,
            None,
            format!(
                "labels {:?} — rule requires labels {:?}, annotations {:?}, excludes labels {:?}",
                labels, spec.labels, spec.annotations, spec.exclude_labels
            ),
        );
    }
    let applies = matches(rule, obj, ctx);
    if !applies {
        step(
            &mut out,
            0,
            Some(false),
            "the rule does not apply to this object".into(),
        );
        return (out, Vec::new());
    }
    let items = select(&rule.each, obj, ctx);
    step(
        &mut out,
        0,
        Some(!items.is_empty()),
        format!(
            "each: {} → {} node{}",
            each_text(&rule.each),
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
    );
    let template = ctx.pod_template(obj);
    let pod_ptr = template.as_ref().map(|p| format!("{p}/spec"));
    for sel in &items {
        let (ptr, item) = (&sel.ptr, sel.node);
        let name = item
            .get("name")
            .map(|n| format!(" (`{}`)", n.display_value()))
            .unwrap_or_default();
        step(
            &mut out,
            1,
            None,
            format!("{}{name}", if ptr.is_empty() { "/" } else { ptr }),
        );
        let env = Env {
            item,
            item_ptr: ptr,
            root: obj.node(),
            pod_ptr: pod_ptr.as_deref(),
            template_ptr: template.as_deref(),
            container_ptr: sel.container.as_deref(),
            object: obj,
            ctx,
            index,
            source: None,
            old: None,
        };
        if let Some(when) = &rule.when {
            step(&mut out, 2, None, "when:".into());
            trace_cond(when, &env, 3, &mut out);
            if !eval(when, &env).holds {
                step(
                    &mut out,
                    2,
                    Some(true),
                    "precondition does not hold: node skipped".into(),
                );
                continue;
            }
        }
        let (word, c, want) = match &rule.check {
            Check::Require(c) => ("require (a finding when it does not hold):", c, true),
            Check::Forbid(c) => ("forbid (a finding when it holds):", c, false),
        };
        step(&mut out, 2, None, word.into());
        trace_cond(c, &env, 3, &mut out);
        let ok = eval(c, &env).holds == want;
        step(
            &mut out,
            2,
            Some(ok),
            if ok {
                "no finding".into()
            } else {
                "→ finding".into()
            },
        );
    }
    let mut diags = Vec::new();
    check_object(rule, obj, ctx, index, &mut diags);
    (out, diags)
}
