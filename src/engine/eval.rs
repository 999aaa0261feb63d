//! Evaluating compiled conditions on a node.
//!
//! Every evaluation returns not only whether the condition holds but *where* it was decided
//! (a JSON Pointer relative to the checked node), so a finding points at the offending field —
//! or, when the field is missing, names it while the span falls back to the nearest parent.

use super::Context;
use super::index::{Index, label_pairs, selects};
use crate::manifest::Node;
use crate::manifest::canon;
use crate::manifest::yaml::{Value, escape_token, push_escaped};
use crate::policy::apis::{self, Rewrite, Standing};
use crate::policy::cond::{Anchor, Cmp, Cond, KindSel, Op, Operand, Relation, Seg, parse_quantity};
use crate::policy::model::{ApiStatus, CompareOp, NamespaceMode, RelationScope};
use crate::schema::instance::YNode;
use std::borrow::Cow;

/// What a condition can see: the checked node and, for anchored paths, the object, its pod
/// template and spec, the enclosing container, and everything linted together.
pub struct Env<'a> {
    /// The checked node.
    pub item: &'a Node,
    /// Its JSON Pointer from the object root.
    pub item_ptr: &'a str,
    /// The object root.
    pub root: &'a Node,
    /// Pointer of the pod spec, for workloads.
    pub pod_ptr: Option<&'a str>,
    /// Pointer of the pod template, for workloads.
    pub template_ptr: Option<&'a str>,
    /// Pointer of the container enclosing the checked node, if any.
    pub container_ptr: Option<&'a str>,
    /// The object (its JSON form is built on first use, for schemas).
    pub object: &'a crate::manifest::Object,
    /// Engine context (target version, pod-bearing kinds).
    pub ctx: &'a Context,
    /// Everything linted together.
    pub index: &'a Index<'a>,
    /// Inside `related.where`: the environment of the rule's checked node.
    pub source: Option<&'a Env<'a>>,
    /// The root of the BASE version of the object, in a diff (`$old`).
    pub old: Option<&'a Node>,
}

/// Result of evaluating a condition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Did the condition hold?
    pub holds: bool,
    /// Where it was decided: a JSON Pointer from the object root.
    pub at: String,
    /// A plain-words reason (schema errors), if any.
    pub reason: Option<String>,
    /// Facts found while deciding, for messages and fixes (`api.replacement`, `fix`, …).
    pub vars: Vec<(String, String)>,
}

impl Outcome {
    fn new(holds: bool, at: String) -> Self {
        Outcome {
            holds,
            at,
            ..Outcome::default()
        }
    }
    /// A fact found while deciding.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Evaluate `cond` in `env`.
pub fn eval(cond: &Cond, env: &Env<'_>) -> Outcome {
    match cond {
        Cond::All(items) => {
            let mut first: Option<Outcome> = None;
            for c in items {
                let o = eval(c, env);
                if !o.holds {
                    return o;
                }
                first.get_or_insert(o);
            }
            first.unwrap_or_else(|| Outcome::new(true, env.item_ptr.to_string()))
        }
        Cond::Any(items) => {
            let mut first: Option<Outcome> = None;
            for c in items {
                let o = eval(c, env);
                if o.holds {
                    return o;
                }
                first.get_or_insert(o);
            }
            first.unwrap_or_else(|| Outcome::new(false, env.item_ptr.to_string()))
        }
        Cond::Not(c) => {
            let o = eval(c, env);
            Outcome {
                holds: !o.holds,
                ..o
            }
        }
        Cond::Schema(v) => {
            // Validated where it lies: no JSON copy of the object.
            let Some(inst) = env.object.node().pointer(env.item_ptr) else {
                return Outcome::new(false, env.item_ptr.to_string());
            };
            let errors: Vec<_> = v.iter_errors(YNode(inst)).collect();
            if errors.is_empty() {
                return Outcome::new(true, env.item_ptr.to_string());
            }
            // Deepest error first: it is the most specific location.
            let best = errors
                .iter()
                .max_by_key(|e| e.instance_path().as_str().matches('/').count())
                .expect("non-empty");
            let mut at = format!("{}{}", env.item_ptr, best.instance_path().as_str());
            if let jsonschema::error::ValidationErrorKind::Required { property } = best.kind()
                && let Some(p) = property.as_str()
            {
                at.push('/');
                at.push_str(&escape_token(p));
            }
            Outcome {
                holds: false,
                at,
                reason: Some(best.to_string()),
                vars: Vec::new(),
            }
        }
        Cond::Field {
            anchor, path, op, ..
        } => {
            let Some((base, ptr)) = anchored(env, *anchor) else {
                return Outcome::new(missing_holds(op, env), env.item_ptr.to_string());
            };
            let mut o = eval_field(path, op, base, ptr, env);
            if matches!(
                anchor,
                Anchor::Source | Anchor::Origin | Anchor::OriginObject
            ) {
                // Locations inside another object mean nothing to the caller.
                o.at = env.item_ptr.to_string();
            }
            o
        }
        Cond::Related(rel) => eval_related(rel, env),
        Cond::Some { anchor, path, cond } => {
            for (ptr, node) in values_at(env, *anchor, path) {
                let inner = Env {
                    item: node,
                    item_ptr: &ptr,
                    source: Some(env),
                    ..*env
                };
                if holds(cond, &inner) {
                    return Outcome::new(true, ptr);
                }
            }
            Outcome::new(false, env.item_ptr.to_string())
        }
        Cond::ApiStatus(want) => eval_api_status(*want, env),
    }
}

/// Does `cond` hold in `env`? Always `eval(cond, env).holds`, without working out where it
/// was decided: no pointer is built for the nodes it reads. A rule decides with it and calls
/// [`eval`] only for a violation, which most checked nodes are not.
pub fn holds(cond: &Cond, env: &Env<'_>) -> bool {
    let answer = match cond {
        Cond::All(items) => items.iter().all(|c| holds(c, env)),
        Cond::Any(items) => items.iter().any(|c| holds(c, env)),
        Cond::Not(c) => !holds(c, env),
        Cond::Field {
            anchor, path, op, ..
        } => match anchored(env, *anchor) {
            Some((base, ptr)) => field_holds(path, op, base, ptr, env),
            None => missing_holds(op, env),
        },
        Cond::Schema(_) | Cond::Related(_) | Cond::Some { .. } | Cond::ApiStatus(_) => {
            return eval(cond, env).holds;
        }
    };
    debug_assert_eq!(
        answer,
        eval(cond, env).holds,
        "holds and eval disagree on {cond:?}"
    );
    answer
}

/// [`eval_field`]'s answer alone: does `op` hold on any node at `path` below `node` (whose
/// pointer is `base`), or, when there is none, on a missing field?
fn field_holds(path: &[Seg], op: &Op, node: &Node, base: &str, env: &Env<'_>) -> bool {
    let skip_null = matches!(op, Op::Exists(_) | Op::CompareField(..) | Op::SameAs(..));
    let mut found = false;
    let decided = visit(node, path, None, &mut |n, last| {
        if skip_null && n.is_null() {
            return false;
        }
        found = true;
        match (op, last) {
            // The checked node's own key: the last token of its pointer.
            (Op::KeyMatches(re), Some(Token::Key(k))) => re.is_match(k),
            (Op::KeyMatches(re), Some(Token::Index(i))) => re.is_match(&i.to_string()),
            (Op::KeyMatches(re), None) => {
                (crate::manifest::yaml::pointer_tokens(base).last()).is_some_and(|k| re.is_match(k))
            }
            _ => op_holds(op, n, env),
        }
    });
    decided || (!found && missing_holds(op, env))
}

/// The last token of a path to a node: a mapping key or a list index.
#[derive(Clone, Copy)]
enum Token<'k> {
    Key(&'k str),
    Index(usize),
}

/// Call `f` on each node at `path` below `node`, with the path's last token (`last` when the
/// path is empty), until `f` returns true; true when it did.
fn visit<'a>(
    node: &'a Node,
    path: &[Seg],
    last: Option<Token<'_>>,
    f: &mut dyn for<'k> FnMut(&'a Node, Option<Token<'k>>) -> bool,
) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return f(node, last);
    };
    match first {
        Seg::Key(k) => node
            .child(k)
            .is_some_and(|c| visit(c, rest, Some(Token::Key(k)), f)),
        Seg::Any => match &node.value {
            Value::Seq(items) => (items.iter().enumerate())
                .any(|(i, item)| visit(item, rest, Some(Token::Index(i)), f)),
            Value::Map(entries) => {
                (entries.iter()).any(|(k, v)| visit(v, rest, Some(Token::Key(&k.text)), f))
            }
            _ => false,
        },
    }
}

/// The non-null nodes at an anchored path pattern: [`values_at`] without their pointers.
fn nodes_at<'e>(env: &'e Env<'_>, anchor: Anchor, path: &[Seg]) -> Vec<&'e Node> {
    let mut out = Vec::new();
    if let Some((base, _)) = anchored(env, anchor) {
        visit(base, path, None, &mut |n, _| {
            if !n.is_null() {
                out.push(n);
            }
            false
        });
    }
    out
}

/// The node an anchor names, and its pointer (from its object's root).
fn anchored<'e>(env: &'e Env<'_>, anchor: Anchor) -> Option<(&'e Node, &'e str)> {
    match anchor {
        Anchor::Item => Some((env.item, env.item_ptr)),
        Anchor::Object => Some((env.root, "")),
        Anchor::Pod => env.pod_ptr.and_then(|p| Some((env.root.pointer(p)?, p))),
        Anchor::Template => env
            .template_ptr
            .and_then(|p| Some((env.root.pointer(p)?, p))),
        Anchor::Container => env
            .container_ptr
            .and_then(|p| Some((env.root.pointer(p)?, p))),
        Anchor::Old => env.old.map(|o| (o, "")),
        Anchor::Source => env.source.map(|s| (s.item, s.item_ptr)),
        Anchor::Origin | Anchor::OriginObject => {
            let mut e = env;
            while let Some(up) = e.source {
                e = up;
            }
            if anchor == Anchor::Origin {
                Some((e.item, e.item_ptr))
            } else {
                Some((e.root, ""))
            }
        }
    }
}

/// Values at an anchored path pattern.
fn values_at<'e>(env: &'e Env<'_>, anchor: Anchor, path: &[Seg]) -> Vec<(String, &'e Node)> {
    let mut out = Vec::new();
    if let Some((base, ptr)) = anchored(env, anchor) {
        resolve(base, path, ptr, &mut out);
    }
    out.retain(|(_, n)| !n.is_null());
    out
}

/// Scalars compare by text (`80` = `"80"`) or, when both are numbers or quantities, by value
/// (`1` = `1000m`); collections structurally.
fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Seq(_) | Value::Map(_), _) | (_, Value::Seq(_) | Value::Map(_)) => {
            a.to_json() == b.to_json()
        }
        _ => {
            a.display_text() == b.display_text()
                || matches!((number(a), number(b)), (Some(p), Some(q)) if p == q)
        }
    }
}

fn eval_api_status(want: ApiStatus, env: &Env<'_>) -> Outcome {
    let id = &env.object.id;
    let at = "/apiVersion".to_string();
    let Some(entry) = apis::lookup(&id.api_version, &id.kind) else {
        return Outcome::new(false, at);
    };
    let standing = entry.standing(env.ctx.kubernetes_version);
    let holds = match want {
        ApiStatus::Removed => standing == Standing::Removed,
        ApiStatus::Deprecated => standing == Standing::Deprecated,
    };
    let (maj, min) = env.ctx.kubernetes_version;
    let mut vars = vec![
        ("target".to_string(), format!("{maj}.{min}")),
        ("advice".to_string(), entry.advice()),
        (
            "fix".to_string(),
            match entry.rewrite {
                Rewrite::Safe => "safe",
                Rewrite::Unsafe => "unsafe",
                Rewrite::None => "none",
            }
            .to_string(),
        ),
    ];
    for (k, v) in [
        ("replacement", &entry.replacement),
        ("deprecated-in", &entry.deprecated_in),
        ("removed-in", &entry.removed_in),
    ] {
        if let Some(v) = v {
            vars.push((k.to_string(), v.clone()));
        }
    }
    Outcome {
        holds,
        at,
        reason: None,
        vars,
    }
}

/// The directory part of a display path (`""` for a bare file name).
fn parent_dir(path: &str) -> &str {
    path.rfind(['/', '\\']).map_or("", |i| &path[..i])
}

fn eval_related(rel: &Relation, env: &Env<'_>) -> Outcome {
    let me = env.object;
    // The checked node's values for each equality (first value found, else the default).
    let defaults: Vec<Option<Node>> = rel
        .matches
        .iter()
        .map(|m| {
            m.default.as_ref().map(|d| Node {
                span: crate::source::Span::empty(0),
                style: crate::manifest::yaml::Style::Plain,
                value: Value::Str(d.as_str().into()),
            })
        })
        .collect();
    let sources: Vec<Option<(String, &Node)>> = rel
        .matches
        .iter()
        .zip(&defaults)
        .map(|(m, d)| {
            m.sources
                .iter()
                .find_map(|(a, p)| values_at(env, *a, p).into_iter().next())
                .or_else(|| d.as_ref().map(|d| (env.item_ptr.to_string(), d)))
        })
        .collect();
    if !rel.matches.is_empty() && sources.iter().all(Option::is_none) {
        return Outcome::new(true, env.item_ptr.to_string());
    }
    let selector = rel
        .selector
        .as_ref()
        .map(|(a, p)| values_at(env, *a, p).into_iter().next());
    let at = sources
        .iter()
        .flatten()
        .map(|(p, _)| p.clone())
        .next()
        .or_else(|| {
            rel.selector.as_ref().map(|(a, p)| match &selector {
                Some(Some((sp, _))) => sp.clone(),
                _ => format!(
                    "{}{}",
                    anchored(env, *a).map_or("", |(_, p)| p),
                    crate::policy::cond::seg_pointer(p)
                ),
            })
        })
        .unwrap_or_else(|| env.item_ptr.to_string());
    if matches!(selector, Some(None)) {
        // A missing selector selects nothing.
        return Outcome::new(false, at);
    }
    let my_labels = match &rel.selected_by {
        Some(_) => env
            .index
            .entry_of(me)
            .map(|e| e.pod_labels.clone())
            .unwrap_or_else(|| label_pairs(env.root.pointer("/metadata/labels"))),
        None => Vec::new(),
    };
    let mut best: Option<usize> = None;
    // A reference by name narrows the candidates to the objects of that name.
    let by_name =
        rel.matches
            .iter()
            .zip(&sources)
            .find_map(|(m, src)| match (m.targets.as_slice(), src) {
                ([t], Some((_, v)))
                    if *t == [Seg::Key("metadata".into()), Seg::Key("name".into())] =>
                {
                    v.as_str()
                }
                _ => None,
            });
    // Same-namespace relations only look at that namespace and at objects without one (which
    // the loop below keeps as well); the result is the same as scanning every object of the kind.
    let ns = match (&rel.namespace, &me.id.namespace) {
        (NamespaceMode::Same, Some(ns)) => Some(ns.as_str()),
        _ => None,
    };
    // The objects the relation reaches, as ascending lists (borrowed from the index).
    let of_kind = |kind: &str| -> Vec<Cow<'_, [usize]>> {
        match ns {
            Some(ns) => vec![
                env.index.of_kind_in(kind, Some(ns)),
                env.index.of_kind_in(kind, None),
            ],
            None => vec![env.index.of_kind(kind)],
        }
    };
    let reached: Vec<Cow<'_, [usize]>> = match by_name {
        Some(name) => match ns {
            Some(ns) => vec![
                Cow::Owned(env.index.named_in(name, Some(ns))),
                Cow::Owned(env.index.named_in(name, None)),
            ],
            None => vec![Cow::Owned(env.index.named(name))],
        },
        None => (rel.kinds.iter())
            .flat_map(|k| match k {
                KindSel::Kind(_, kind) => of_kind(kind),
                KindSel::Workloads => match ns {
                    Some(ns) => vec![
                        env.index.workloads_in(Some(ns)),
                        env.index.workloads_in(None),
                    ],
                    None => vec![env.index.workloads()],
                },
                KindSel::SelfKind => of_kind(&me.id.kind),
            })
            .collect(),
    };
    // Only objects that carry a pair the selector requires can pass it: the others need not
    // be looked at. (With equalities, a candidate the selector rejects can still be the one
    // that locates a finding, so they are all looked at.) When fewer objects carry the pair
    // than the relation reaches, those are the candidates: the loop checks their kind and
    // namespace as the index would have.
    let carriers = match &selector {
        Some(Some((_, sel))) if rel.matches.is_empty() => env.index.may_select(sel),
        _ => None,
    };
    let reached_count: usize = reached.iter().map(|r| r.len()).sum();
    let candidates = match carriers {
        Some(c) if c.len() < reached_count => c,
        _ => {
            let mut all = reached.concat();
            if reached.len() > 1 {
                all.sort_unstable();
                all.dedup();
            }
            if let Some(c) = carriers {
                all.retain(|i| c.binary_search(i).is_ok());
            }
            all
        }
    };
    for i in candidates {
        let entry = &env.index.entries[i];
        let target = entry.obj;
        let kind_ok = rel.kinds.iter().any(|k| match k {
            KindSel::Kind(g, kind) => target.id.is_kind(g.as_deref(), kind),
            // A workload, for the index, is one by kind or one that embeds pod templates.
            KindSel::Workloads => entry.workload,
            KindSel::SelfKind => target.id.kind == me.id.kind && target.id.group() == me.id.group(),
        });
        if std::ptr::eq(target, me) || !kind_ok {
            continue;
        }
        // Only a scoped relation reads the candidate's file (a cache miss per candidate).
        let same_file =
            || std::ptr::eq(&*target.source, &*me.source) || target.source.path == me.source.path;
        let in_scope = match rel.scope {
            RelationScope::All => true,
            RelationScope::File => same_file(),
            RelationScope::Directory => {
                same_file() || parent_dir(&target.source.path) == parent_dir(&me.source.path)
            }
        };
        if !in_scope {
            continue;
        }
        if rel.namespace == NamespaceMode::Same
            && let (Some(a), Some(b)) = (&me.id.namespace, &target.id.namespace)
            && a != b
        {
            continue;
        }
        let troot = target.node();
        let failed = rel
            .matches
            .iter()
            .zip(&sources)
            .position(|(m, src)| match src {
                None => false,
                Some((_, sv)) => {
                    !(m.targets.iter()).any(|t| any_at(troot, t, &|tv| same_value(sv, tv)))
                }
            });
        if let Some(f) = failed {
            // Remember the candidate that matched the most equalities: its first mismatch is the
            // most precise location for a finding (the port, when the Service exists).
            if best.is_none_or(|b| f > b) {
                best = Some(f);
            }
            continue;
        }
        if let Some(Some((_, sel))) = &selector
            && !selects(sel, &entry.pod_labels)
        {
            continue;
        }
        if let Some(path) = &rel.selected_by {
            let mut found = Vec::new();
            resolve(troot, path, "", &mut found);
            if !found.iter().any(|(_, sel)| selects(sel, &my_labels)) {
                continue;
            }
        }
        if let Some(w) = &rel.where_ {
            let tpl = entry.template.clone();
            let pod = tpl.as_ref().map(|p| format!("{p}/spec"));
            let tenv = Env {
                item: troot,
                item_ptr: "",
                root: troot,
                pod_ptr: pod.as_deref(),
                template_ptr: tpl.as_deref(),
                container_ptr: None,
                object: target,
                ctx: env.ctx,
                index: env.index,
                source: Some(env),
                old: None,
            };
            if !holds(w, &tenv) {
                continue;
            }
        }
        return Outcome::new(true, at);
    }
    let at = best
        .and_then(|f| sources.get(f).cloned().flatten())
        .map_or(at, |(p, _)| p);
    Outcome::new(false, at)
}

/// The nodes at `path` below `node`, each with its pointer (`prefix` + the path's tokens).
pub(crate) fn resolve<'a>(
    node: &'a Node,
    path: &[Seg],
    prefix: &str,
    out: &mut Vec<(String, &'a Node)>,
) {
    // One buffer, sized once: grown token by token, it was reallocated several times per call.
    let mut buf = String::with_capacity(prefix.len() + 64);
    buf.push_str(prefix);
    resolve_in(node, path, &mut buf, out);
}

/// [`resolve`] on one pointer buffer: each step pushes its token and truncates it again, so a
/// pointer is allocated only for a node that is found.
fn resolve_in<'a>(
    node: &'a Node,
    path: &[Seg],
    buf: &mut String,
    out: &mut Vec<(String, &'a Node)>,
) {
    let Some((first, rest)) = path.split_first() else {
        out.push((buf.clone(), node));
        return;
    };
    let len = buf.len();
    match first {
        Seg::Key(k) => {
            if let Some(child) = node.child(k) {
                buf.push('/');
                push_escaped(buf, k);
                resolve_in(child, rest, buf, out);
            }
        }
        Seg::Any => match &node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(buf, "/{i}");
                    resolve_in(item, rest, buf, out);
                    buf.truncate(len);
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    buf.push('/');
                    push_escaped(buf, &k.text);
                    resolve_in(v, rest, buf, out);
                    buf.truncate(len);
                }
            }
            _ => {}
        },
    }
    buf.truncate(len);
}

/// Does `f` hold for a node at `path` below `node`? ([`resolve`] without the pointers.)
fn any_at(node: &Node, path: &[Seg], f: &impl Fn(&Node) -> bool) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return f(node);
    };
    match first {
        Seg::Key(k) => node.child(k).is_some_and(|c| any_at(c, rest, f)),
        Seg::Any => match &node.value {
            Value::Seq(items) => items.iter().any(|c| any_at(c, rest, f)),
            Value::Map(entries) => entries.iter().any(|(_, c)| any_at(c, rest, f)),
            _ => false,
        },
    }
}

/// The pointer a missing path would have: concrete keys, `*` left as-is where unresolved.
fn missing_pointer(node: &Node, path: &[Seg]) -> String {
    let mut at = String::new();
    let mut cur = Some(node);
    for seg in path {
        match seg {
            Seg::Key(k) => {
                at.push('/');
                at.push_str(&escape_token(k));
                cur = cur.and_then(|n| n.child(k));
            }
            Seg::Any => {
                // Descend into the first item, if any, to keep the pointer concrete.
                match cur.map(|n| &n.value) {
                    Some(Value::Seq(items)) if !items.is_empty() => {
                        at.push_str("/0");
                        cur = items.first();
                    }
                    _ => {
                        at.push_str("/*");
                        cur = None;
                    }
                }
            }
        }
    }
    at
}

fn eval_field(path: &[Seg], op: &Op, node: &Node, base: &str, env: &Env<'_>) -> Outcome {
    let mut found = Vec::new();
    resolve(node, path, base, &mut found);
    found.retain(|(_, n)| {
        !n.is_null() || !matches!(op, Op::Exists(_) | Op::CompareField(..) | Op::SameAs(..))
    });
    if found.is_empty() {
        let holds = missing_holds(op, env);
        return Outcome::new(holds, format!("{base}{}", missing_pointer(node, path)));
    }
    let mut first: Option<Outcome> = None;
    for (ptr, n) in found {
        let n = &n;
        let (holds, sub) = match op {
            Op::KeyMatches(re) => (
                crate::manifest::yaml::pointer_tokens(&ptr)
                    .last()
                    .is_some_and(|k| re.is_match(k)),
                String::new(),
            ),
            Op::Contains(_) | Op::UniqueBy(_) => test(op, n),
            _ => (op_holds(op, n, env), String::new()),
        };
        let at = if sub.is_empty() {
            ptr
        } else {
            format!("{ptr}{sub}")
        };
        let o = Outcome::new(holds, at);
        if holds {
            return o;
        }
        first.get_or_insert(o);
    }
    first.expect("non-empty")
}

/// Does `op` hold on `n`? Not for `key-matches`, which reads the node's pointer.
fn op_holds(op: &Op, n: &Node, env: &Env<'_>) -> bool {
    match op {
        Op::CompareField(cop, anchor, other) => compare(*cop, n, &nodes_at(env, *anchor, other)),
        Op::Selects(anchor, other) => {
            let labels = nodes_at(env, *anchor, other)
                .first()
                .map(|l| label_pairs(Some(l)))
                .unwrap_or_default();
            selects(n, &labels)
        }
        Op::SameAs(anchor, other) => {
            let field = other.iter().rev().find_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Any => None,
            });
            nodes_at(env, *anchor, other)
                .first()
                .is_some_and(|o| canon::equal(n, o, field.unwrap_or_default()))
        }
        Op::Compare(
            cmp,
            Operand::Field {
                anchor,
                path: other,
                times,
            },
        ) => {
            let r = nodes_at(env, *anchor, other)
                .first()
                .and_then(|o| number(o))
                .map(|v| v * times);
            number(n)
                .zip(r)
                .is_some_and(|(l, r)| compare_numbers(*cmp, l, r))
        }
        _ => test(op, n).0,
    }
}

fn scalar_eq(n: &Node, v: &serde_json::Value, fold: bool) -> bool {
    use serde_json::Value as J;
    match (&n.value, v) {
        (Value::Null, J::Null) => true,
        (Value::Bool(a), J::Bool(b)) => a == b,
        (Value::Int(a), J::Number(b)) => b.as_f64() == Some(*a as f64),
        (Value::Float(a), J::Number(b)) => b.as_f64() == Some(*a),
        (Value::Str(a), J::String(b)) => {
            if fold {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        }
        (Value::Seq(_) | Value::Map(_), _) => &n.to_json() == v,
        _ => false,
    }
}

/// Split an image reference into (tag, digest).
pub fn image_parts(image: &str) -> (Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let tag = name[last_slash..].rsplit_once(':').map(|(_, t)| t);
    (tag, digest)
}

fn number(n: &Node) -> Option<f64> {
    match &n.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => parse_quantity(s),
        _ => None,
    }
}

fn compare_numbers(cmp: Cmp, l: f64, r: f64) -> bool {
    match cmp {
        Cmp::Gt => l > r,
        Cmp::Gte => l >= r,
        Cmp::Lt => l < r,
        Cmp::Lte => l <= r,
    }
}

/// Does the operator hold on a missing field? Only "absent", "different from", "unique" (an
/// absent list has no duplicates) and "same as" another missing field do.
fn missing_holds(op: &Op, env: &Env<'_>) -> bool {
    match op {
        Op::Exists(false) | Op::UniqueBy(_) | Op::CompareField(CompareOp::NotEquals, ..) => true,
        Op::SameAs(anchor, other) => nodes_at(env, *anchor, other).is_empty(),
        _ => false,
    }
}

fn compare(op: CompareOp, n: &Node, others: &[&Node]) -> bool {
    let first = others.first().copied();
    let num = |cmp: fn(f64, f64) -> bool| match (number(n), first.and_then(number)) {
        (Some(a), Some(b)) => cmp(a, b),
        _ => false,
    };
    match op {
        CompareOp::Equals => first.is_some_and(|o| same_value(n, o)),
        CompareOp::NotEquals => first.is_none_or(|o| !same_value(n, o)),
        CompareOp::In => others.iter().any(|o| same_value(n, o)),
        CompareOp::Gt => num(|a, b| a > b),
        CompareOp::Gte => num(|a, b| a >= b),
        CompareOp::Lt => num(|a, b| a < b),
        CompareOp::Lte => num(|a, b| a <= b),
    }
}

fn test(op: &Op, n: &Node) -> (bool, String) {
    let ok = |b: bool| (b, String::new());
    match op {
        Op::Exists(b) => ok(n.is_null() != *b),
        Op::Equals(v) => ok(scalar_eq(n, v, false)),
        Op::In(vs) => ok(vs.iter().any(|v| scalar_eq(n, v, false))),
        Op::Matches(re) => ok(match &n.value {
            Value::Str(s) => re.is_match(s),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => re.is_match(&n.display_value()),
            _ => false,
        }),
        Op::Compare(cmp, Operand::Const(rhs)) => {
            ok(number(n).is_some_and(|l| compare_numbers(*cmp, l, *rhs)))
        }
        Op::Contains(v) => match n.as_seq() {
            Some(items) => match items.iter().position(|i| scalar_eq(i, v, true)) {
                Some(i) => (true, format!("/{i}")),
                None => ok(false),
            },
            None => ok(false),
        },
        Op::ImageTagIn(tags) => ok(match n.as_str() {
            Some(img) => {
                let (tag, digest) = image_parts(img);
                match (tag, digest) {
                    (Some(t), _) => tags.iter().any(|x| x == t),
                    (None, None) => tags.iter().any(String::is_empty),
                    (None, Some(_)) => false,
                }
            }
            None => false,
        }),
        Op::ImageHasDigest(b) => ok(n.as_str().is_some_and(|s| s.contains('@') == *b)),
        Op::UniqueBy(key) => match n.as_seq() {
            Some(items) => {
                let mut seen: Vec<String> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if let Some(k) = item.get(key) {
                        let v = k.display_value();
                        if seen.contains(&v) {
                            return (false, format!("/{i}/{}", escape_token(key)));
                        }
                        seen.push(v);
                    }
                }
                ok(true)
            }
            None => ok(true),
        },
        Op::CompareField(..)
        | Op::Selects(..)
        | Op::KeyMatches(_)
        | Op::SameAs(..)
        | Op::Compare(_, Operand::Field { .. }) => ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// Lint `text` with a rule forbidding `cond` (YAML, indented for the rule's `forbid:`) on
    /// what `each` (a line, or nothing) selects:
    /// the pointers of its findings. In a debug build every answer of [`holds`] is checked
    /// against [`eval`]'s.
    fn forbid_at(cond: &str, each: &str, text: &str) -> Vec<String> {
        let rule = format!(
            "id: t\ntitle: t\nseverity: error\ncategory: c\nwhy: w\nhelp: h\n\
             match:\n  kinds: [ConfigMap]\n{each}forbid:\n{cond}message: m\n\
             examples:\n  valid: [x]\n  invalid: [x]\n"
        );
        let rule =
            crate::policy::load_rule(SourceFile::new("r.yaml", rule), false).expect("rule loads");
        let ctx = super::super::Context::default();
        (crate::testing::lint_one(&rule, "x.yaml", text, &ctx).into_iter())
            .map(|d| d.path)
            .collect()
    }

    #[test]
    fn key_matches_reads_the_last_token_of_any_path() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n\
            data: {db-password: x, mode: y}\nlist: [a, b, c]\n";
        // A key reached through `*` over a mapping, and a list index.
        let keyed = "  field: /data/*\n  key-matches: password\n";
        assert_eq!(forbid_at(keyed, "", text), ["/data/db-password"]);
        let indexed = "  field: /list/*\n  key-matches: ^0$\n";
        assert_eq!(forbid_at(indexed, "", text), ["/list/0"]);
        // A key named in the path.
        let named = "  field: /data/mode\n  key-matches: ^mode$\n";
        assert_eq!(forbid_at(named, "", text), ["/data/mode"]);
        // No path: the checked node's own key.
        let own = "  key-matches: ^mode$\n";
        assert_eq!(forbid_at(own, "each: /data/*\n", text), ["/data/mode"]);
        // Decided on a missing field: nothing to match.
        let missing = "  field: /data/none\n  key-matches: .\n";
        assert!(forbid_at(missing, "", text).is_empty());
    }

    #[test]
    fn image_references() {
        assert_eq!(image_parts("nginx"), (None, None));
        assert_eq!(image_parts("nginx:1.2"), (Some("1.2"), None));
        assert_eq!(image_parts("reg:5000/nginx"), (None, None));
        assert_eq!(image_parts("reg:5000/nginx:latest"), (Some("latest"), None));
        assert_eq!(image_parts("nginx@sha256:abc"), (None, Some("sha256:abc")));
    }
}
