//! Evaluating compiled conditions on a node.
//!
//! Every evaluation returns not only whether the condition holds but *where* it was decided
//! (a JSON Pointer relative to the checked node), so a finding points at the offending field —
//! or, when the field is missing, names it while the span falls back to the nearest parent.

use crate::manifest::Node;
use crate::manifest::canon;
use crate::manifest::yaml::{Value, escape_token};
use crate::policy::cond::{Anchor, Cmp, Cond, Op, Operand, Seg, parse_quantity};

/// What a condition can see: the checked node and, for anchored paths, the object and pod spec.
pub struct Env<'a> {
    /// The checked node.
    pub item: &'a Node,
    /// Its JSON Pointer from the object root.
    pub item_ptr: &'a str,
    /// The object root.
    pub root: &'a Node,
    /// Pointer of the pod spec, for workloads.
    pub pod_ptr: Option<&'a str>,
    /// The object (its JSON form is built on first use, for schemas).
    pub object: &'a crate::manifest::Object,
    /// The root of the BASE version of the object, in a diff (`$old`).
    pub old: Option<&'a Node>,
}

impl<'a> Env<'a> {
    /// The node an anchor starts from and its pointer from the object root.
    fn anchor(&self, anchor: Anchor) -> (Option<&'a Node>, &'a str) {
        match anchor {
            Anchor::Item => (Some(self.item), self.item_ptr),
            Anchor::Object => (Some(self.root), ""),
            Anchor::Pod => match self.pod_ptr {
                Some(p) => (self.root.pointer(p), p),
                None => (None, ""),
            },
            Anchor::Old => (self.old, ""),
        }
    }

    /// Every node an anchored path pattern reaches.
    fn lookup(&self, anchor: Anchor, path: &[Seg]) -> Vec<(String, &'a Node)> {
        let mut found = Vec::new();
        if let (Some(b), ptr) = self.anchor(anchor) {
            resolve(b, path, ptr.to_string(), &mut found);
        }
        found.retain(|(_, n)| !n.is_null());
        found
    }
}

/// The other side of an operator that compares with another field.
enum Rhs<'a> {
    /// The operator compares with constants only.
    None,
    /// `same-as`: the nodes at the other path (empty when missing).
    Nodes(Vec<(String, &'a Node)>, String),
    /// A numeric field reference, resolved and multiplied (`None` when missing or not numeric).
    Num(Option<f64>),
}

fn number(n: &Node) -> Option<f64> {
    match &n.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => parse_quantity(s),
        _ => None,
    }
}

/// Result of evaluating a condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Did the condition hold?
    pub holds: bool,
    /// Where it was decided: a JSON Pointer from the object root.
    pub at: String,
    /// A plain-words reason (schema errors), if any.
    pub reason: Option<String>,
}

impl Outcome {
    fn new(holds: bool, at: String) -> Self {
        Outcome {
            holds,
            at,
            reason: None,
        }
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
            let Some(inst) = env.object.json().pointer(env.item_ptr) else {
                return Outcome::new(false, env.item_ptr.to_string());
            };
            let errors: Vec<_> = v.iter_errors(inst).collect();
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
            }
        }
        Cond::Field {
            anchor, path, op, ..
        } => {
            let rhs = match op {
                Op::SameAs(a, p) => {
                    let field = p.iter().rev().find_map(|s| {
                        if let Seg::Key(k) = s {
                            Some(k.clone())
                        } else {
                            None
                        }
                    });
                    Rhs::Nodes(env.lookup(*a, p), field.unwrap_or_default())
                }
                Op::Compare(
                    _,
                    Operand::Field {
                        anchor,
                        path,
                        times,
                    },
                ) => Rhs::Num(
                    env.lookup(*anchor, path)
                        .first()
                        .and_then(|(_, n)| number(n))
                        .map(|v| v * times),
                ),
                _ => Rhs::None,
            };
            let (base, ptr) = env.anchor(*anchor);
            match base {
                Some(b) => eval_field(path, op, b, ptr, &rhs),
                None => Outcome::new(missing_holds(op, &rhs), env.item_ptr.to_string()),
            }
        }
    }
}

fn resolve<'a>(node: &'a Node, path: &[Seg], prefix: String, out: &mut Vec<(String, &'a Node)>) {
    let Some((first, rest)) = path.split_first() else {
        out.push((prefix, node));
        return;
    };
    match first {
        Seg::Key(k) => {
            if let Some(child) = node.child(k) {
                resolve(child, rest, format!("{prefix}/{}", escape_token(k)), out);
            }
        }
        Seg::Any => match &node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    resolve(item, rest, format!("{prefix}/{i}"), out);
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    resolve(v, rest, format!("{prefix}/{}", escape_token(&k.text)), out);
                }
            }
            _ => {}
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

/// Does the operator hold on a missing field?
fn missing_holds(op: &Op, rhs: &Rhs<'_>) -> bool {
    match (op, rhs) {
        (Op::Exists(false), _) => true,
        (Op::SameAs(..), Rhs::Nodes(other, _)) => other.is_empty(),
        _ => false,
    }
}

fn eval_field(path: &[Seg], op: &Op, node: &Node, base: &str, rhs: &Rhs<'_>) -> Outcome {
    let mut found = Vec::new();
    resolve(node, path, base.to_string(), &mut found);
    found.retain(|(_, n)| !n.is_null() || !matches!(op, Op::Exists(_) | Op::SameAs(..)));
    if found.is_empty() {
        let holds = missing_holds(op, rhs);
        return Outcome::new(holds, format!("{base}{}", missing_pointer(node, path)));
    }
    let mut first: Option<Outcome> = None;
    for (ptr, n) in &found {
        let (holds, sub) = test(op, n, rhs);
        let o = Outcome::new(holds, format!("{ptr}{sub}"));
        if holds {
            return o;
        }
        first.get_or_insert(o);
    }
    first.expect("non-empty")
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

fn test(op: &Op, n: &Node, rhs: &Rhs<'_>) -> (bool, String) {
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
        Op::Compare(cmp, operand) => {
            let r = match (operand, rhs) {
                (Operand::Const(c), _) => Some(*c),
                (Operand::Field { .. }, Rhs::Num(v)) => *v,
                _ => None,
            };
            ok(number(n).zip(r).is_some_and(|(l, r)| match cmp {
                Cmp::Gt => l > r,
                Cmp::Gte => l >= r,
                Cmp::Lt => l < r,
                Cmp::Lte => l <= r,
            }))
        }
        Op::SameAs(..) => match rhs {
            Rhs::Nodes(other, field) => ok(other
                .first()
                .is_some_and(|(_, o)| canon::equal(n, o, field))),
            _ => ok(false),
        },
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(image_parts("nginx"), (None, None));
        assert_eq!(image_parts("nginx:1.2"), (Some("1.2"), None));
        assert_eq!(image_parts("reg:5000/nginx"), (None, None));
        assert_eq!(image_parts("reg:5000/nginx:latest"), (Some("latest"), None));
        assert_eq!(image_parts("nginx@sha256:abc"), (None, Some("sha256:abc")));
    }
}
