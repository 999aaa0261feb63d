//! The compiled condition language: a small typed operator set plus JSON Schema.
//!
//! Conditions are compiled once per rule (regexes, schemas, paths) and evaluated by the engine.
//! Operators exist only where JSON Schema is clumsy: presence with a precise "missing field"
//! location, image references, Kubernetes quantities, list uniqueness by key.

use super::model::{ApiStatus, CompareOp, Condition, NamespaceMode, RelatedSpec, RelationScope};
use crate::manifest::yaml::pointer_tokens;
use crate::schema::instance::Yaml;
use regex::Regex;
use std::sync::{Arc, OnceLock};

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// A mapping key or list index.
    Key(String),
    /// `*`: every list item or mapping value.
    Any,
}

/// Where a field path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The checked node (`/…`).
    Item,
    /// The object root (`$object/…`).
    Object,
    /// The pod spec of a workload (`$pod/…`).
    Pod,
    /// The BASE version of the object in a diff (`$old/…`, from its root); missing when there
    /// is no base version (plain `lint`, or an object added by the change).
    Old,
    /// The pod template (metadata + spec) of a workload (`$template/…`).
    Template,
    /// The container enclosing the checked node (`$container/…`, with `each: containers/…`).
    Container,
    /// Inside `related.where` / `some.where`: the node being related from (`$source/…`).
    Source,
    /// Inside nested `where`s: the rule's own checked node (`$origin/…`).
    Origin,
    /// Inside nested `where`s: the root of the rule's checked object (`$origin-object/…`).
    OriginObject,
}

impl Anchor {
    /// How the anchor is written in a field path (`""` for the checked node).
    pub fn name(self) -> &'static str {
        ANCHORS
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("", |(n, _)| n)
    }
}

/// The anchors and their names, longest first.
const ANCHORS: &[(&str, Anchor)] = &[
    ("$origin-object", Anchor::OriginObject),
    ("$template", Anchor::Template),
    ("$container", Anchor::Container),
    ("$object", Anchor::Object),
    ("$old", Anchor::Old),
    ("$source", Anchor::Source),
    ("$origin", Anchor::Origin),
    ("$pod", Anchor::Pod),
];

/// Split an anchored field path (`$pod/securityContext`) into its anchor and pattern.
pub fn parse_field(p: &str) -> Result<(Anchor, Vec<Seg>), String> {
    if p.starts_with('$') {
        for (name, anchor) in ANCHORS {
            if let Some(rest) = p.strip_prefix(name)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return Ok((*anchor, parse_path(rest)?));
            }
        }
        return Err(format!(
            "unknown anchor in `{p}`; use $pod, $template, $container, $object, $old, $source, $origin or $origin-object"
        ));
    }
    Ok((Anchor::Item, parse_path(p)?))
}

/// Parse a JSON Pointer pattern (`*` = any item).
pub fn parse_path(p: &str) -> Result<Vec<Seg>, String> {
    if !p.is_empty() && !p.starts_with('/') {
        return Err(format!(
            "path `{p}` must be a JSON Pointer starting with `/` (e.g. `/securityContext/privileged`)"
        ));
    }
    Ok(pointer_tokens(p)
        .into_iter()
        .map(|t| if t == "*" { Seg::Any } else { Seg::Key(t) })
        .collect())
}

/// A path pattern rendered back as a JSON Pointer (`*` kept).
pub fn seg_pointer(segs: &[Seg]) -> String {
    segs.iter()
        .map(|s| match s {
            Seg::Key(k) => format!("/{}", crate::manifest::yaml::escape_token(k)),
            Seg::Any => "/*".to_string(),
        })
        .collect()
}

/// Which sub-nodes a rule checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Each {
    /// The object itself.
    Object,
    /// Containers of the pod spec (of any workload kind), or nodes below each of them.
    Containers {
        /// `containers`.
        regular: bool,
        /// `initContainers`.
        init: bool,
        /// `ephemeralContainers`.
        ephemeral: bool,
        /// Pattern below each container (empty: the container itself).
        sub: Vec<Seg>,
    },
    /// The pod spec.
    PodSpec,
    /// The pod template (metadata + spec).
    PodTemplate,
    /// Every entry of the pod spec's `volumes`.
    Volumes,
    /// A path pattern from the object root (`Anchor::Object`), the pod spec or the pod template.
    Pattern(Anchor, Vec<Seg>),
    /// The union of several selectors, in order.
    Union(Vec<Each>),
}

impl Each {
    /// The pod spec lists an `Each::Containers` walks, in order (none for other selectors).
    pub fn container_lists(&self) -> impl Iterator<Item = &'static str> {
        let (regular, init, ephemeral) = match self {
            Each::Containers {
                regular,
                init,
                ephemeral,
                ..
            } => (*regular, *init, *ephemeral),
            _ => (false, false, false),
        };
        [
            (regular, "containers"),
            (init, "initContainers"),
            (ephemeral, "ephemeralContainers"),
        ]
        .into_iter()
        .filter_map(|(on, list)| on.then_some(list))
    }

    /// Does this selector yield nodes inside containers (so `{{container.name}}` makes sense)?
    pub fn is_containers(&self) -> bool {
        match self {
            Each::Containers { .. } => true,
            Each::Union(v) => v.iter().any(Each::is_containers),
            _ => false,
        }
    }
}

/// Compile one `each` selector.
pub fn compile_each_one(each: &str) -> Result<Each, String> {
    let containers = |rest: &str, regular, init, ephemeral| -> Result<Each, String> {
        Ok(Each::Containers {
            regular,
            init,
            ephemeral,
            sub: parse_path(rest)?,
        })
    };
    for (name, (r, i, e)) in [
        ("main-containers", (true, false, false)),
        ("init-containers", (false, true, false)),
        ("containers", (true, true, true)),
    ] {
        if let Some(rest) = each.strip_prefix(name)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return containers(rest, r, i, e);
        }
    }
    Ok(match each {
        "object" => Each::Object,
        "pod-spec" => Each::PodSpec,
        "pod-template" => Each::PodTemplate,
        "volumes" => Each::Volumes,
        p if p.starts_with('/') => Each::Pattern(Anchor::Object, parse_path(p)?),
        p if p.starts_with("$pod/") || p.starts_with("$template/") => {
            let (anchor, segs) = parse_field(p)?;
            Each::Pattern(anchor, segs)
        }
        other => {
            return Err(format!(
                "unknown selector `{other}`; use containers, main-containers, init-containers (optionally followed by a pattern such as `/ports/*`), pod-spec, pod-template, volumes, object, or a JSON Pointer pattern like `/spec/rules/*` or `$pod/volumes/*`"
            ));
        }
    })
}

/// Compile an `each` selector (one or a union).
pub fn compile_each(each: Option<&[String]>) -> Result<Each, String> {
    match each {
        None => Ok(Each::Object),
        Some([one]) => compile_each_one(one),
        Some([]) => Err("`each` needs at least one selector".into()),
        Some(many) => Ok(Each::Union(
            many.iter()
                .map(|e| compile_each_one(e))
                .collect::<Result<_, _>>()?,
        )),
    }
}

/// Numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
}

/// The right-hand side of a numeric comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A constant (number or quantity).
    Const(f64),
    /// The value of another field (typically `$old/…`), multiplied by `times`.
    Field {
        /// Where the path starts.
        anchor: Anchor,
        /// Path relative to the anchor.
        path: Vec<Seg>,
        /// Factor applied to the field's value.
        times: f64,
    },
}

impl std::fmt::Display for Operand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operand::Const(c) => write!(f, "{c}"),
            Operand::Field {
                anchor,
                path,
                times,
            } => {
                let root = anchor.name();
                let p: String = path
                    .iter()
                    .map(|s| match s {
                        Seg::Key(k) => format!("/{}", crate::manifest::yaml::escape_token(k)),
                        Seg::Any => "/*".to_string(),
                    })
                    .collect();
                if *times == 1.0 {
                    write!(f, "{root}{p}")
                } else {
                    write!(f, "{root}{p} × {times}")
                }
            }
        }
    }
}

/// A typed operator on one field value.
#[derive(Debug, Clone)]
pub enum Op {
    /// Present (non-null) or absent.
    Exists(bool),
    /// Equal to a value.
    Equals(serde_json::Value),
    /// One of several values.
    In(Vec<serde_json::Value>),
    /// String matching a regex.
    Matches(Pattern),
    /// Numeric / quantity comparison.
    Compare(Cmp, Operand),
    /// Semantically equal to the value at another path (both missing counts as equal).
    SameAs(Anchor, Vec<Seg>),
    /// List containing a value.
    Contains(serde_json::Value),
    /// Image tag is one of these (`""` = untagged).
    ImageTagIn(Vec<String>),
    /// Image pinned by digest or not.
    ImageHasDigest(bool),
    /// List items unique by key.
    UniqueBy(String),
    /// Compared with another field.
    CompareField(CompareOp, Anchor, Vec<Seg>),
    /// A selector selecting the labels at an anchored path.
    Selects(Anchor, Vec<Seg>),
    /// The checked node's own mapping key matches.
    KeyMatches(Pattern),
}

/// A compiled regular expression, from a process-wide cache: the library repeats patterns
/// (`.+` in fourteen rules), and compiling them was a third of the rule library's load time.
/// A [`Regex`] is a cheap handle to shared, thread-safe matching state.
fn regex(pattern: &str) -> Result<Regex, regex::Error> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(re) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(re);
    }
    // Compiled outside the lock, so rules loading in parallel do not wait for each other.
    let re = Regex::new(pattern)?;
    if let Ok(mut c) = cache.lock() {
        c.entry(pattern.to_string()).or_insert_with(|| re.clone());
    }
    Ok(re)
}

/// A rule's regular expression. A user's rule compiles it as it loads, so a mistake is an
/// error at its line; a built-in rule compiles it on first use (most rules never reach a node
/// that needs theirs, and the library's tests compile every built-in pattern).
#[derive(Clone)]
pub struct Pattern(Arc<(String, OnceLock<Option<Regex>>)>);

impl Pattern {
    /// Compile `source` now (`lazy`: on first use).
    fn new(source: &str, lazy: bool) -> Result<Self, regex::Error> {
        let cell = OnceLock::new();
        if !lazy {
            let _ = cell.set(Some(regex(source)?));
        }
        Ok(Pattern(Arc::new((source.to_string(), cell))))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0.0
    }

    /// The compiled expression (`None` only for a built-in pattern that does not compile, which
    /// the library's tests rule out).
    pub fn compiled(&self) -> Option<&Regex> {
        self.0.1.get_or_init(|| regex(&self.0.0).ok()).as_ref()
    }

    /// Does `text` match?
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled().is_some_and(|re| re.is_match(text))
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/", self.as_str())
    }
}

/// Which kinds a relation reaches.
#[derive(Debug, Clone, PartialEq)]
pub enum KindSel {
    /// `Kind` or `group/Kind`.
    Kind(Option<String>, String),
    /// The `workloads` group.
    Workloads,
    /// The checked object's own group and kind.
    SelfKind,
}

/// One compiled equality of a relation.
#[derive(Debug, Clone)]
pub struct RelMatch {
    /// Paths on the checked node (first present wins).
    pub sources: Vec<(Anchor, Vec<Seg>)>,
    /// Value when no source is present.
    pub default: Option<String>,
    /// Alternative patterns on the related object.
    pub targets: Vec<Vec<Seg>>,
}

/// A compiled relation (see [`RelatedSpec`]).
#[derive(Debug, Clone)]
pub struct Relation {
    /// Related kinds.
    pub kinds: Vec<KindSel>,
    /// Namespace rule.
    pub namespace: NamespaceMode,
    /// Candidate scope.
    pub scope: RelationScope,
    /// Equalities.
    pub matches: Vec<RelMatch>,
    /// Selector on the checked node.
    pub selector: Option<(Anchor, Vec<Seg>)>,
    /// Selector path on the related object.
    pub selected_by: Option<Vec<Seg>>,
    /// Condition on the related object.
    pub where_: Option<Cond>,
}

/// Parse a kind selector (`Deployment`, `apps/Deployment`, `core/Service`, `workloads`, `self`).
pub fn parse_kind(k: &str) -> KindSel {
    match k {
        "workloads" => KindSel::Workloads,
        "self" => KindSel::SelfKind,
        _ => match k.rsplit_once('/') {
            Some((g, kind)) => KindSel::Kind(
                Some(if g == "core" {
                    String::new()
                } else {
                    g.to_string()
                }),
                kind.to_string(),
            ),
            None => KindSel::Kind(None, k.to_string()),
        },
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Cond {
    /// All hold.
    All(Vec<Cond>),
    /// Any holds.
    Any(Vec<Cond>),
    /// Does not hold.
    Not(Box<Cond>),
    /// Valid against a JSON Schema.
    Schema(Arc<jsonschema::Validator<Yaml>>),
    /// A relation to other linted objects.
    Related(Box<Relation>),
    /// The object's API version is deprecated / removed in the target version.
    ApiStatus(ApiStatus),
    /// Some node at a pattern satisfies a condition.
    Some {
        /// Where the pattern starts.
        anchor: Anchor,
        /// The pattern.
        path: Vec<Seg>,
        /// The condition.
        cond: Box<Cond>,
    },
    /// An operator on a field.
    Field {
        /// Where the path starts.
        anchor: Anchor,
        /// Path relative to the anchor.
        path: Vec<Seg>,
        /// The path as written.
        raw: String,
        /// Operator.
        op: Op,
    },
}

/// Parse a number or a Kubernetes quantity (`512Mi`, `250m`, `1e3`, `2`) into a float.
pub fn quantity(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_quantity(s),
        _ => None,
    }
}

/// Parse a Kubernetes quantity string.
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let suffixes: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suf, mul) in suffixes {
        if let Some(num) = s.strip_suffix(suf) {
            return num
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f * mul);
        }
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Compile the right-hand side of `gt` / `gte` / `lt` / `lte`: a number, a quantity, or
/// `{field: <anchored path>, times: <factor>}`.
fn operand(v: &serde_json::Value) -> Result<Operand, String> {
    if let serde_json::Value::Object(m) = v {
        let field = m
            .get("field")
            .and_then(serde_json::Value::as_str)
            .ok_or("needs `field` in a field reference")?;
        if let Some(k) = m.keys().find(|k| *k != "field" && *k != "times") {
            return Err(format!(
                "has unknown key `{k}` (a field reference takes `field` and `times`)"
            ));
        }
        let times = match m.get("times") {
            None => 1.0,
            Some(t) => t
                .as_f64()
                .filter(|f| f.is_finite())
                .ok_or("needs a number for `times`")?,
        };
        let (anchor, path) = parse_field(field)?;
        return Ok(Operand::Field {
            anchor,
            path,
            times,
        });
    }
    quantity(v).map(Operand::Const).ok_or_else(|| {
        "needs a number, a quantity like `512Mi`, or `{field: $old/…, times: 0.5}`".to_string()
    })
}

/// Does this condition relate the object to other objects (`related`)?
pub fn relates(c: &Cond) -> bool {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().any(relates),
        Cond::Not(c) => relates(c),
        Cond::Some { cond, .. } => relates(cond),
        Cond::Related(_) => true,
        Cond::Schema(_) | Cond::ApiStatus(_) | Cond::Field { .. } => false,
    }
}

/// Does every relation in this condition (those inside a relation's `where` included) stay in
/// the checked object's file (`scope: file`)? Then the objects of that file are all it reads.
pub fn within_file(c: &Cond) -> bool {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().all(within_file),
        Cond::Not(c) | Cond::Some { cond: c, .. } => within_file(c),
        Cond::Related(r) => {
            r.scope == RelationScope::File && r.where_.as_ref().is_none_or(within_file)
        }
        Cond::Schema(_) | Cond::ApiStatus(_) | Cond::Field { .. } => true,
    }
}

/// The relations this condition evaluates on the checked object itself (not those inside a
/// relation's `where`, which are evaluated on the related object).
pub fn relations<'c>(c: &'c Cond, out: &mut Vec<&'c Relation>) {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| relations(c, out)),
        Cond::Not(c) | Cond::Some { cond: c, .. } => relations(c, out),
        Cond::Related(r) => out.push(r),
        Cond::Schema(_) | Cond::ApiStatus(_) | Cond::Field { .. } => {}
    }
}

/// The kind selectors of every relation in this condition, relations inside a relation's
/// `where` included: the only objects besides the checked one its outcome can depend on.
pub fn related_kinds<'c>(c: &'c Cond, out: &mut Vec<&'c KindSel>) {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| related_kinds(c, out)),
        Cond::Not(c) | Cond::Some { cond: c, .. } => related_kinds(c, out),
        Cond::Related(r) => {
            out.extend(&r.kinds);
            if let Some(w) = &r.where_ {
                related_kinds(w, out);
            }
        }
        Cond::Schema(_) | Cond::ApiStatus(_) | Cond::Field { .. } => {}
    }
}

/// Does this condition read the BASE version of the object (`$old`)?
pub fn reads_old(c: &Cond) -> bool {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().any(reads_old),
        Cond::Not(c) => reads_old(c),
        Cond::Schema(_) | Cond::ApiStatus(_) => false,
        // `$old` inside a relation's `where` reads the related object's BASE version: the
        // rule itself still checks the present object.
        Cond::Related(_) => false,
        Cond::Some { anchor, cond, .. } => *anchor == Anchor::Old || reads_old(cond),
        Cond::Field { anchor, op, .. } => {
            *anchor == Anchor::Old
                || matches!(
                    op,
                    Op::SameAs(Anchor::Old, _)
                        | Op::CompareField(_, Anchor::Old, _)
                        | Op::Selects(Anchor::Old, _)
                        | Op::Compare(
                            _,
                            Operand::Field {
                                anchor: Anchor::Old,
                                ..
                            }
                        )
                )
        }
    }
}

/// Build a JSON Schema validator the way accord does everywhere (draft 2020-12, formats
/// asserted, linear-time regexes).
pub fn build_schema(schema: &serde_json::Value) -> Result<jsonschema::Validator<Yaml>, String> {
    jsonschema::options_for::<Yaml>()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|e| format!("invalid JSON Schema: {e}"))
}

/// Compile a condition; errors are reported through `err(pointer, message)`. `lazy`: compile
/// its regular expressions on first use (built-in rules, see [`Pattern`]).
pub fn compile_cond(
    c: &Condition,
    ptr: &str,
    lazy: bool,
    err: &mut dyn FnMut(String, String),
) -> Option<Cond> {
    let mut parts: Vec<Cond> = Vec::new();
    let mut groups = 0;
    if let Some(all) = &c.all {
        groups += 1;
        let v: Vec<Cond> = all
            .iter()
            .enumerate()
            .filter_map(|(i, c)| compile_cond(c, &format!("{ptr}/all/{i}"), lazy, err))
            .collect();
        if all.is_empty() {
            err(
                format!("{ptr}/all"),
                "`all` needs at least one condition".into(),
            );
        }
        parts.push(Cond::All(v));
    }
    if let Some(any) = &c.any {
        groups += 1;
        let v: Vec<Cond> = any
            .iter()
            .enumerate()
            .filter_map(|(i, c)| compile_cond(c, &format!("{ptr}/any/{i}"), lazy, err))
            .collect();
        if any.is_empty() {
            err(
                format!("{ptr}/any"),
                "`any` needs at least one condition".into(),
            );
        }
        parts.push(Cond::Any(v));
    }
    if let Some(not) = &c.not {
        groups += 1;
        if let Some(n) = compile_cond(not, &format!("{ptr}/not"), lazy, err) {
            parts.push(Cond::Not(Box::new(n)));
        }
    }
    if let Some(schema) = &c.schema {
        groups += 1;
        match build_schema(schema) {
            Ok(v) => parts.push(Cond::Schema(Arc::new(v))),
            Err(m) => err(format!("{ptr}/schema"), m),
        }
    }
    if let Some(r) = &c.related {
        groups += 1;
        if let Some(rel) = compile_related(r, &format!("{ptr}/related"), lazy, err) {
            parts.push(Cond::Related(Box::new(rel)));
        }
    }
    if let Some(a) = c.api_status {
        groups += 1;
        parts.push(Cond::ApiStatus(a));
    }
    if let Some(sm) = &c.some {
        groups += 1;
        match parse_field(&sm.each) {
            Ok((anchor, path)) => {
                if let Some(cond) =
                    compile_cond(&sm.where_, &format!("{ptr}/some/where"), lazy, err)
                {
                    parts.push(Cond::Some {
                        anchor,
                        path,
                        cond: Box::new(cond),
                    });
                }
            }
            Err(m) => err(format!("{ptr}/some/each"), m),
        }
    }
    let raw = c.field.clone().unwrap_or_default();
    let (anchor, path) = match parse_field(&raw) {
        Ok(p) => p,
        Err(m) => {
            err(format!("{ptr}/field"), m);
            return None;
        }
    };
    let mut ops: Vec<Op> = Vec::new();
    if let Some(b) = c.exists {
        ops.push(Op::Exists(b));
    }
    if let Some(v) = &c.equals {
        ops.push(Op::Equals(v.clone()));
    }
    if let Some(v) = &c.in_ {
        ops.push(Op::In(v.clone()));
    }
    if let Some(r) = &c.matches {
        match Pattern::new(r, lazy) {
            Ok(re) => ops.push(Op::Matches(re)),
            Err(e) => err(
                format!("{ptr}/matches"),
                format!("invalid regular expression: {e}"),
            ),
        }
    }
    for (key, v, cmp) in [
        ("gt", &c.gt, Cmp::Gt),
        ("gte", &c.gte, Cmp::Gte),
        ("lt", &c.lt, Cmp::Lt),
        ("lte", &c.lte, Cmp::Lte),
    ] {
        if let Some(v) = v {
            match operand(v) {
                Ok(o) => ops.push(Op::Compare(cmp, o)),
                Err(m) => err(format!("{ptr}/{key}"), format!("`{key}` {m}, got {v}")),
            }
        }
    }
    if let Some(other) = &c.same_as {
        match parse_field(other) {
            Ok((a, p)) => ops.push(Op::SameAs(a, p)),
            Err(m) => err(format!("{ptr}/same-as"), m),
        }
    }
    if let Some(v) = &c.contains {
        ops.push(Op::Contains(v.clone()));
    }
    if let Some(v) = &c.image_tag_in {
        ops.push(Op::ImageTagIn(v.clone()));
    }
    if let Some(b) = c.image_has_digest {
        ops.push(Op::ImageHasDigest(b));
    }
    if let Some(k) = &c.unique_by {
        ops.push(Op::UniqueBy(k.clone()));
    }
    if let Some(sel) = &c.selects {
        match parse_field(sel) {
            Ok((a, segs)) => ops.push(Op::Selects(a, segs)),
            Err(m) => err(format!("{ptr}/selects"), m),
        }
    }
    if let Some(r) = &c.key_matches {
        match Pattern::new(r, lazy) {
            Ok(re) => ops.push(Op::KeyMatches(re)),
            Err(e) => err(
                format!("{ptr}/key-matches"),
                format!("invalid regular expression: {e}"),
            ),
        }
    }
    if let Some(cmp) = &c.compare {
        match parse_field(&cmp.field) {
            Ok((a, segs)) => ops.push(Op::CompareField(cmp.op, a, segs)),
            Err(m) => err(format!("{ptr}/compare/field"), m),
        }
    }
    if !ops.is_empty() {
        groups += 1;
        if groups > 1 {
            err(ptr.to_string(), "a condition is one of: `all`, `any`, `not`, `schema`, or `field` with operators; wrap several in `all`".into());
            return None;
        }
        let mut fields: Vec<Cond> = ops
            .into_iter()
            .map(|op| Cond::Field {
                anchor,
                path: path.clone(),
                raw: raw.clone(),
                op,
            })
            .collect();
        return Some(if fields.len() == 1 {
            fields.remove(0)
        } else {
            Cond::All(fields)
        });
    }
    if c.field.is_some() {
        err(format!("{ptr}/field"), "`field` needs an operator (exists, equals, in, matches, gt, gte, lt, lte, contains, image-tag-in, image-has-digest, unique-by, same-as, compare, selects, key-matches)".into());
        return None;
    }
    match groups {
        0 => {
            err(ptr.to_string(), "empty condition".into());
            None
        }
        1 => parts.pop(),
        _ => {
            err(ptr.to_string(), "a condition is one of: `all`, `any`, `not`, `schema`, `related`, `some`, `api-status`, or `field` with operators; wrap several in `all`".into());
            None
        }
    }
}

fn compile_related(
    r: &RelatedSpec,
    ptr: &str,
    lazy: bool,
    err: &mut dyn FnMut(String, String),
) -> Option<Relation> {
    let mut ok = true;
    if r.kinds.is_empty() {
        err(
            format!("{ptr}/kinds"),
            "`related` needs at least one kind".into(),
        );
        ok = false;
    }
    let mut matches = Vec::new();
    for (i, m) in r.match_.iter().enumerate() {
        let mut sources = Vec::new();
        for src in m.source.to_vec() {
            match parse_field(&src) {
                Ok(s) => sources.push(s),
                Err(e) => {
                    err(format!("{ptr}/match/{i}/source"), e);
                    ok = false;
                }
            }
        }
        let mut targets = Vec::new();
        for t in m.target.to_vec() {
            match parse_path(&t) {
                Ok(p) => targets.push(p),
                Err(e) => {
                    err(format!("{ptr}/match/{i}/target"), e);
                    ok = false;
                }
            }
        }
        matches.push(RelMatch {
            sources,
            default: m.default.clone(),
            targets,
        });
    }
    let selector = match r.selector.as_deref().map(parse_field).transpose() {
        Ok(s) => s,
        Err(e) => {
            err(format!("{ptr}/selector"), e);
            ok = false;
            None
        }
    };
    let selected_by = match r.selected_by.as_deref().map(parse_path).transpose() {
        Ok(s) => s,
        Err(e) => {
            err(format!("{ptr}/selected-by"), e);
            ok = false;
            None
        }
    };
    let where_ = match &r.where_ {
        Some(w) => match compile_cond(w, &format!("{ptr}/where"), lazy, err) {
            Some(c) => Some(c),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    ok.then(|| Relation {
        kinds: r.kinds.iter().map(|k| parse_kind(k)).collect(),
        namespace: r.namespace,
        scope: r.scope,
        matches,
        selector,
        selected_by,
        where_,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns<'c>(c: &'c Cond, out: &mut Vec<&'c Pattern>) {
        match c {
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| patterns(c, out)),
            Cond::Not(c) | Cond::Some { cond: c, .. } => patterns(c, out),
            Cond::Related(rel) => rel.where_.iter().for_each(|c| patterns(c, out)),
            Cond::Field {
                op: Op::Matches(p) | Op::KeyMatches(p),
                ..
            } => out.push(p),
            Cond::Schema(_) | Cond::ApiStatus(_) | Cond::Field { .. } => {}
        }
    }

    /// Built-in rules compile their regular expressions on first use, so a broken one would
    /// only match nothing: every one must compile.
    #[test]
    fn every_builtin_pattern_compiles() {
        let rules = crate::policy::builtin_rules().expect("built-in rules load");
        let mut found = Vec::new();
        for rule in &rules {
            rule.when.iter().for_each(|c| patterns(c, &mut found));
            match &rule.check {
                crate::policy::Check::Require(c) | crate::policy::Check::Forbid(c) => {
                    patterns(c, &mut found)
                }
            }
        }
        assert!(
            found.len() > 20,
            "the library has patterns: {}",
            found.len()
        );
        for p in found {
            let re = p.compiled().unwrap_or_else(|| panic!("{p:?} compiles"));
            assert_eq!(re.as_str(), p.as_str());
        }
    }

    #[test]
    fn user_patterns_compile_as_they_load_and_built_in_ones_on_first_use() {
        let user = Pattern::new("^a+$", false).expect("compiles");
        assert!(user.0.1.get().is_some());
        assert!(Pattern::new("(unclosed", false).is_err());
        let builtin = Pattern::new("^a+$", true).expect("deferred");
        assert!(builtin.0.1.get().is_none());
        assert!(builtin.is_match("aaa") && !builtin.is_match("ab"));
        assert!(builtin.0.1.get().is_some());
        let broken = Pattern::new("(unclosed", true).expect("deferred");
        assert!(!broken.is_match("(unclosed"));
    }
}
