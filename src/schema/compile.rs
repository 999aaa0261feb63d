//! Compiling schemas into validators: the validator options (draft 2020-12, asserted formats,
//! the linear-time regex engine), the self-contained document built for one kind, and the
//! caches that compile each kind once, on first use, whichever thread asks first.
//!
//! A built-in kind's document holds only the definitions reachable from it (a Deployment needs
//! about 120 of a minor's 860), each normalised, so compiling it costs milliseconds; the pod
//! spec, which is most of every workload kind, is compiled once and validated as a part of its
//! own wherever a kind holds it. A custom resource's document is its normalised schema with
//! `metadata` pointing at the built-in `ObjectMeta` of the selected minor.

use super::bundle;
use super::instance::Yaml;
use super::normalize::{self, Dropped};
use jsonschema::{Draft, PatternOptions, Retrieve, ValidationOptions, Validator};
use regex::Regex;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

/// Definition name of `ObjectMeta`, which custom resources share with built-in kinds.
pub const OBJECT_META_DEF: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// Built-in definitions compiled once, on their own, and validated apart from the kinds that
/// hold them: every workload kind holds the whole pod spec (about 110 of its 120 to 140
/// definitions), which would otherwise be compiled again for each.
const SHARED_DEFS: &[&str] = &["io.k8s.api.core.v1.PodSpec"];

/// A part of the instance validated by a schema of its own (a [`SHARED_DEFS`] definition).
pub struct Part {
    /// The property names leading to it from the root.
    pub path: Vec<String>,
    /// Its schema.
    pub compiled: Arc<Compiled>,
}

/// A compiled schema and the document it was compiled from.
pub struct Compiled {
    /// The validator, reading YAML trees directly (see [`super::instance`]).
    pub validator: Validator<Yaml>,
    /// The normalised document (to look up field names and descriptions for messages).
    pub doc: Value,
    /// Parts of the schema that could not be checked.
    pub dropped: Vec<Dropped>,
    /// Fill in the schema's defaults before validating (custom resources).
    pub defaults: bool,
    /// Parts of the instance the validator accepts whatever they hold, to be validated with
    /// schemas of their own (each where its path leads, if it does).
    pub parts: Vec<Part>,
}

/// Result of compiling: the error is a plain sentence.
pub type CompileResult = Result<Arc<Compiled>, String>;

/// The options every schema is compiled with.
fn options() -> ValidationOptions<'static, Arc<dyn Retrieve>, Yaml> {
    jsonschema::options_for::<Yaml>()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_format("byte", is_base64)
        .with_format("cidr", is_cidr)
        .with_format("date-time", is_date_time)
        .with_format("duration", is_duration)
        .with_pattern_options(PatternOptions::regex())
}

/// Can the validator compile this regular expression?
pub fn pattern_supported(pattern: &str) -> bool {
    static SEEN: LazyLock<Mutex<HashMap<String, bool>>> = LazyLock::new(Default::default);
    if let Some(ok) = SEEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
    {
        return *ok;
    }
    let ok = options().build(&json!({"pattern": pattern})).is_ok();
    SEEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(pattern.to_string(), ok);
    ok
}

fn build(doc: Value, dropped: Vec<Dropped>, defaults: bool, parts: Vec<Part>) -> CompileResult {
    match options().build(&doc) {
        Ok(validator) => Ok(Arc::new(Compiled {
            validator,
            doc,
            dropped,
            defaults,
            parts,
        })),
        Err(e) => Err(format!("the schema could not be compiled: {e}")),
    }
}

/// Collect the local `$ref` targets (`#/$defs/<name>`) of a schema, skipping field names.
fn refs<'a>(schema: &'a Value, out: &mut Vec<&'a str>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.extend(r.strip_prefix("#/$defs/")),
                    ("properties" | "patternProperties", Value::Object(fields)) => {
                        fields.values().for_each(|v| refs(v, out))
                    }
                    ("enum" | "const" | "default" | "example" | "examples", _) => {}
                    _ => refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// A built-in definition's name, its normalised schema and the definitions it refers to.
type Def = (String, Arc<Value>, Vec<String>);

/// The built-in definitions reachable from `root` in the minor at `minor`, normalised; those in
/// `stop` (other than `root`) are named by the definitions that refer to them but not entered.
fn reachable(root: &str, minor: usize, strict: bool, stop: &[&str]) -> Result<Vec<Def>, String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(name) = todo.pop() {
        if (name != root && stop.contains(&name.as_str())) || !seen.insert(name.clone()) {
            continue;
        }
        let schema = normalized_def(&name, minor, strict)?;
        let mut next = Vec::new();
        refs(&schema, &mut next);
        let next: Vec<String> = next.into_iter().map(str::to_string).collect();
        todo.extend(next.iter().cloned());
        out.push((name, schema, next));
    }
    Ok(out)
}

/// The normalised built-in definitions reachable from `root` in the minor at `minor`; those in
/// `apart` (validated on their own) are left as `{}`, which accepts anything.
fn closure(
    root: &str,
    minor: usize,
    strict: bool,
    apart: &[&str],
) -> Result<Map<String, Value>, String> {
    Ok(closure_of(
        reachable(root, minor, strict, apart)?,
        root,
        apart,
    ))
}

/// [`closure`] from the definitions [`reachable`] found (stopping at `apart`).
fn closure_of(reached: Vec<Def>, root: &str, apart: &[&str]) -> Map<String, Value> {
    let mut defs = Map::new();
    for (name, schema, next) in reached {
        for n in next
            .iter()
            .filter(|n| *n != root && apart.contains(&n.as_str()))
        {
            defs.insert(n.clone(), json!({}));
        }
        defs.insert(name, Value::clone(&schema));
    }
    defs
}

/// Where built-in definition `part` applies in instances of `root`: the property names leading
/// to each reference to it. `None` when `root` reaches it other than through `properties` alone
/// (under `items`, an `anyOf`, a map's values...) or through a definition that refers to
/// itself: where it applies then depends on more than a path.
#[cfg(test)]
fn part_paths(
    root: &str,
    part: &str,
    minor: usize,
    strict: bool,
) -> Result<Option<Vec<Vec<String>>>, String> {
    Ok(part_paths_in(
        &reachable(root, minor, strict, &[part])?,
        root,
        part,
    ))
}

/// [`part_paths`] in the definitions [`reachable`] found from `root` (stopping at `part`).
fn part_paths_in(reached: &[Def], root: &str, part: &str) -> Option<Vec<Vec<String>>> {
    // The definitions reachable from `root`, with their references, and those reaching `part`.
    let graph: HashMap<&str, (&Value, &[String])> = (reached.iter())
        .map(|(name, schema, next)| (name.as_str(), (&**schema, next.as_slice())))
        .collect();
    let mut reaching: HashSet<&str> = HashSet::from([part]);
    loop {
        let before = reaching.len();
        for (name, (_, next)) in &graph {
            if next.iter().any(|n| reaching.contains(n.as_str())) {
                reaching.insert(name);
            }
        }
        if reaching.len() == before {
            break;
        }
    }
    if !reaching.contains(root) {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let root_schema = graph[root].0;
    let mut walk = PartWalk {
        graph: &graph,
        reaching: &reaching,
        part,
        path: Vec::new(),
        stack: vec![root],
        out: &mut out,
    };
    walk.schema(root_schema).then_some(out)
}

/// The walk of [`part_paths_in`] through the schemas that reach the part.
struct PartWalk<'a> {
    graph: &'a HashMap<&'a str, (&'a Value, &'a [String])>,
    reaching: &'a HashSet<&'a str>,
    part: &'a str,
    path: Vec<String>,
    stack: Vec<&'a str>,
    out: &'a mut Vec<Vec<String>>,
}

impl<'a> PartWalk<'a> {
    /// Record where the part applies under `schema` (at the current path); false when it is
    /// reached other than through `properties`.
    fn schema(&mut self, schema: &Value) -> bool {
        let Value::Object(map) = schema else {
            return true;
        };
        for (key, value) in map {
            let ok = match (key.as_str(), value) {
                ("$ref", Value::String(r)) => match r.strip_prefix("#/$defs/") {
                    Some(name) if name == self.part => {
                        self.out.push(self.path.clone());
                        true
                    }
                    Some(name) if self.reaching.contains(name) => {
                        let Some((&name, &(def, _))) = self.graph.get_key_value(name) else {
                            return false;
                        };
                        if self.stack.contains(&name) {
                            return false;
                        }
                        self.stack.push(name);
                        let ok = self.schema(def);
                        self.stack.pop();
                        ok
                    }
                    _ => true,
                },
                ("properties", Value::Object(fields)) => fields.iter().all(|(name, sub)| {
                    self.path.push(name.clone());
                    let ok = self.schema(sub);
                    self.path.pop();
                    ok
                }),
                ("enum" | "const" | "default" | "example" | "examples", _) => true,
                _ => {
                    let mut inner = Vec::new();
                    refs(value, &mut inner);
                    !inner.iter().any(|n| self.reaching.contains(n))
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// Built-in definition `name` of the minor at `minor`, parsed and normalised once per process:
/// kinds share most of their definitions (every workload has the whole `PodSpec`).
fn normalized_def(name: &str, minor: usize, strict: bool) -> Result<Arc<Value>, String> {
    type Key = (usize, bool, String);
    static DONE: LazyLock<Mutex<HashMap<Key, Arc<Value>>>> = LazyLock::new(Default::default);
    let key = (minor, strict, name.to_string());
    if let Some(v) = DONE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(Arc::clone(v));
    }
    let text = bundle::get()
        .def(name, minor)
        .ok_or_else(|| format!("the built-in schemas have no definition `{name}`"))?;
    let mut schema: Value =
        serde_json::from_str(text).map_err(|e| format!("definition `{name}` is not JSON: {e}"))?;
    normalize::builtin_def(name, &mut schema);
    normalize::normalize(&mut schema, strict, &pattern_supported);
    let schema = Arc::new(schema);
    DONE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, Arc::clone(&schema));
    Ok(schema)
}

/// Compile built-in definition `def` of the minor at `minor` (cached for the process).
pub fn builtin(def: &str, minor: usize, strict: bool) -> CompileResult {
    static CACHE: LazyLock<Cache<(usize, bool, String)>> = LazyLock::new(Cache::default);
    CACHE.get_or_compile((minor, strict, def.to_string()), || {
        // One walk from `def`, stopping at the shared definitions, finds both where each
        // applies and, when each is apart or not reached, the closure to compile.
        let shared: Vec<&str> = SHARED_DEFS.iter().copied().filter(|&s| s != def).collect();
        let reached = reachable(def, minor, strict, &shared)?;
        let mut parts = Vec::new();
        let mut apart = Vec::new();
        let mut whole = false;
        for &s in &shared {
            let Some(paths) = part_paths_in(&reached, def, s) else {
                // Reached other than by a path: compiled within the kind.
                whole = true;
                continue;
            };
            if paths.is_empty() {
                continue;
            }
            let compiled = builtin(s, minor, strict)?;
            parts.extend(paths.into_iter().map(|path| Part {
                path,
                compiled: Arc::clone(&compiled),
            }));
            apart.push(s);
        }
        let defs = match whole {
            false => closure_of(reached, def, &apart),
            true => closure(def, minor, strict, &apart)?,
        };
        build(
            json!({"$defs": defs, "$ref": format!("#/$defs/{def}")}),
            Vec::new(),
            false,
            parts,
        )
    })
}

/// Compile the schema of a custom resource: normalise it, give it `apiVersion`, `kind` and the
/// built-in `ObjectMeta` of the minor at `minor`. Its defaults are applied before validating.
pub fn custom(mut schema: Value, minor: usize, strict: bool) -> CompileResult {
    let dropped = normalize::normalize(&mut schema, strict, &pattern_supported);
    let Value::Object(root) = &mut schema else {
        return Err("the schema is not an object".into());
    };
    let props = root.entry("properties").or_insert_with(|| json!({}));
    if let Value::Object(props) = props {
        props.insert("apiVersion".into(), json!({"type": "string"}));
        props.insert("kind".into(), json!({"type": "string"}));
        props.insert(
            "metadata".into(),
            json!({"$ref": format!("#/$defs/{OBJECT_META_DEF}")}),
        );
    }
    if strict
        && !root.contains_key("additionalProperties")
        && root.get("x-kubernetes-preserve-unknown-fields") != Some(&Value::Bool(true))
    {
        root.insert("additionalProperties".into(), Value::Bool(false));
    }
    root.insert(
        "$defs".into(),
        Value::Object(closure(OBJECT_META_DEF, minor, strict, &[])?),
    );
    build(schema, dropped, true, Vec::new())
}

/// Compiled schemas by key; each is compiled once, by the first thread that asks.
pub struct Cache<K> {
    slots: Mutex<HashMap<K, Arc<OnceLock<CompileResult>>>>,
}

impl<K> Default for Cache<K> {
    fn default() -> Self {
        Cache {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash> Cache<K> {
    /// The schema compiled for `key`, compiling it with `compile` if nobody has.
    pub fn get_or_compile(&self, key: K, compile: impl FnOnce() -> CompileResult) -> CompileResult {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        slot.get_or_init(compile).clone()
    }
}

/// `byte`: standard base64 with padding, as Go decodes `[]byte` (line breaks are ignored).
fn is_base64(s: &str) -> bool {
    let bytes: Vec<u8> = s.bytes().filter(|b| !matches!(b, b'\r' | b'\n')).collect();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let pad = bytes.iter().rev().take_while(|b| **b == b'=').count();
    pad <= 2
        && bytes[..bytes.len() - pad]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// `cidr`: an IP address and a prefix length that fits it.
fn is_cidr(s: &str) -> bool {
    let Some((ip, len)) = s.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// `date-time`: RFC 3339, with the leniency of the API server's parser (seconds and the zone
/// may be left out, the separator may be a space).
fn is_date_time(s: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$").expect("date-time regex")
    });
    let Some(c) = RE.captures(s) else {
        return false;
    };
    let num = |i: usize| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<u32>().unwrap_or(99))
    };
    (1..=12).contains(&num(2))
        && (1..=31).contains(&num(3))
        && num(4) <= 23
        && num(5) <= 59
        && num(6) <= 60
}

/// `duration`: Go's `time.ParseDuration` syntax (`1h30m`, `500ms`, `-1.5s`, `0`), plus the day
/// and week units and unit words the API server's format registry also accepts.
fn is_duration(s: &str) -> bool {
    const UNITS: &[&str] = &[
        "ns",
        "us",
        "µs",
        "μs",
        "ms",
        "s",
        "m",
        "h",
        "d",
        "w",
        "nanosecond",
        "nanoseconds",
        "microsecond",
        "microseconds",
        "millisecond",
        "milliseconds",
        "sec",
        "secs",
        "second",
        "seconds",
        "min",
        "mins",
        "minute",
        "minutes",
        "hr",
        "hrs",
        "hour",
        "hours",
        "day",
        "days",
        "wk",
        "wks",
        "week",
        "weeks",
    ];
    let s = s.trim();
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if !number.bytes().any(|b| b.is_ascii_digit()) || number.matches('.').count() > 1 {
            return false;
        }
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(rest.len());
        if !UNITS.contains(&&rest[..unit_len]) {
            return false;
        }
        rest = rest[unit_len..].trim_start();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Node;
    use crate::schema::instance::{YNode, node_from_json};

    fn valid(c: &Compiled, value: &Value) -> bool {
        errors(c, value).is_empty()
    }

    /// (instance path, message) of each error, the parts' included.
    fn errors(c: &Compiled, value: &Value) -> Vec<(String, String)> {
        fn walk(c: &Compiled, node: &Node, prefix: &str, out: &mut Vec<(String, String)>) {
            for e in c.validator.iter_errors(YNode(node)) {
                out.push((
                    format!("{prefix}{}", e.instance_path().as_str()),
                    e.to_string(),
                ));
            }
            for part in &c.parts {
                if let Some(below) = part.path.iter().try_fold(node, |n, k| n.get(k)) {
                    walk(
                        &part.compiled,
                        below,
                        &format!("{prefix}/{}", part.path.join("/")),
                        out,
                    );
                }
            }
        }
        let mut out = Vec::new();
        walk(c, &node_from_json(value), "", &mut out);
        out
    }

    fn newest() -> usize {
        bundle::get().versions().len() - 1
    }

    #[test]
    fn formats_follow_the_api_server() {
        assert!(is_base64("aGVsbG8=") && is_base64("") && is_base64("aGVs\nbG8="));
        assert!(!is_base64("not base64 !!") && !is_base64("aGVsbG8") && !is_base64("a==="));
        assert!(
            is_cidr("10.0.0.0/8")
                && is_cidr("fd00::/64")
                && !is_cidr("10.0.0.0/33")
                && !is_cidr("10.0.0.0")
        );
        assert!(
            is_date_time("2024-01-31T12:00:00Z")
                && is_date_time("2024-01-31T12:00:00.5+02:00")
                && is_date_time("2024-01-31 12:00")
        );
        assert!(!is_date_time("yesterday") && !is_date_time("2024-13-01T00:00:00Z"));
        for ok in ["1h30m", "500ms", "-1.5s", "0", "2w", "10 minutes", "1µs"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "5", "1x", "PT5M", "h", "1..5s"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn regular_expressions_are_checked_by_the_validator_engine() {
        assert!(pattern_supported("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
        assert!(pattern_supported("(?i)^abc$"));
        assert!(!pattern_supported("^(unclosed$"));
    }

    #[test]
    fn a_builtin_kind_compiles_from_its_closure_and_is_cached() {
        let b = bundle::get();
        let def = &b.kind("apps/v1", "Deployment").unwrap().def;
        let first = builtin(def, newest(), true).unwrap();
        let again = builtin(def, newest(), true).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let defs = first.doc["$defs"].as_object().unwrap();
        // The pod spec is a part, validated with a schema of its own.
        assert_eq!(defs["io.k8s.api.core.v1.PodSpec"], json!({}));
        assert!(defs.contains_key("io.k8s.api.apps.v1.DeploymentStrategy") && defs.len() < 30);
        let [part] = first.parts.as_slice() else {
            panic!("one part")
        };
        assert_eq!(part.path, ["spec", "template", "spec"]);
        assert!(part.compiled.doc["$defs"].as_object().unwrap().len() > 100);
        let ok = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "creationTimestamp": null},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": null, "memory": "1Gi"}}}]}},
                     "strategy": {"rollingUpdate": {"maxUnavailable": null, "maxSurge": "25%"}}}});
        assert!(valid(&first, &ok), "{:?}", errors(&first, &ok));
        let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": "3", "replica": 3, "selector": {},
            "template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 99999999999i64}], "resources": {"limits": {"cpu": "lots"}}}]}}}});
        let errors: Vec<String> = errors(&first, &bad).into_iter().map(|e| e.0).collect();
        for path in [
            "/spec/replicas",
            "/spec",
            "/spec/template/spec/containers/0/ports/0/containerPort",
            "/spec/template/spec/containers/0/resources/limits/cpu",
        ] {
            assert!(errors.iter().any(|e| e == path), "{path} in {errors:?}");
        }
    }

    #[test]
    fn every_workload_kind_shares_one_pod_spec_schema() {
        let b = bundle::get();
        let kind = |api: &str, kind: &str| {
            builtin(&b.kind(api, kind).unwrap().def, newest(), true).unwrap()
        };
        let pod_spec = builtin("io.k8s.api.core.v1.PodSpec", newest(), true).unwrap();
        for (api, k, path) in [
            ("v1", "Pod", "spec"),
            ("v1", "PodTemplate", "template/spec"),
            ("v1", "ReplicationController", "spec/template/spec"),
            ("apps/v1", "StatefulSet", "spec/template/spec"),
            ("batch/v1", "Job", "spec/template/spec"),
            ("batch/v1", "CronJob", "spec/jobTemplate/spec/template/spec"),
        ] {
            let c = kind(api, k);
            let paths: Vec<String> = c.parts.iter().map(|p| p.path.join("/")).collect();
            assert_eq!(paths, [path], "{k}");
            assert!(Arc::ptr_eq(&c.parts[0].compiled, &pod_spec), "{k}");
        }
        assert!(kind("v1", "Service").parts.is_empty());
        // A wrong pod spec is found where it is, whichever kind holds it.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "image": 3}], "hostNetwork": "yes"}});
        let found = errors(&kind("v1", "Pod"), &pod);
        let paths: Vec<&str> = found.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            paths,
            ["/spec/containers/0/image", "/spec/hostNetwork"],
            "{found:?}"
        );
        let bad_spec = json!({"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": {"spec": "none"}}}}});
        let found = errors(&kind("batch/v1", "CronJob"), &bad_spec);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/spec/jobTemplate/spec/template/spec");
    }

    #[test]
    fn where_a_part_is_reached_otherwise_than_through_properties_the_kind_is_compiled_whole() {
        let b = bundle::get();
        // A list's items and an object reached from itself hold no path to a part.
        let list = "io.k8s.api.core.v1.PodList";
        assert_eq!(
            part_paths(list, "io.k8s.api.core.v1.PodSpec", newest(), true),
            Ok(None)
        );
        let pods = builtin(list, newest(), true).unwrap();
        assert!(pods.parts.is_empty());
        assert!(pods.doc["$defs"]["io.k8s.api.core.v1.PodSpec"]["properties"].is_object());
        let meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
        let crd = &b
            .kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
            .unwrap()
            .def;
        assert_eq!(
            part_paths(crd, meta, newest(), true),
            Ok(Some(vec![vec!["metadata".to_string()]]))
        );
        let props = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
        assert_eq!(part_paths(crd, props, newest(), true), Ok(None));
    }

    #[test]
    fn formats_are_asserted_in_builtin_kinds() {
        let b = bundle::get();
        let secret = builtin(&b.kind("v1", "Secret").unwrap().def, newest(), true).unwrap();
        assert!(!valid(
            &secret,
            &json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "not base64 !!"}})
        ));
        assert!(valid(
            &secret,
            &json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "aGVsbG8="}})
        ));
        assert!(!valid(
            &secret,
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"creationTimestamp": "yesterday"}})
        ));
    }

    #[test]
    fn the_crd_schema_itself_compiles_despite_recursion_and_field_names_like_ref() {
        let b = bundle::get();
        let crd = builtin(
            &b.kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
                .unwrap()
                .def,
            newest(),
            true,
        )
        .unwrap();
        let doc = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "a.b.c"},
            "spec": {"group": "b.c", "scope": "Namespaced", "names": {"kind": "A", "plural": "as"}, "versions": [{"name": "v1", "served": true, "storage": true,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
            "properties": {"n": {"type": "integer", "nullable": true}}}}}}}]}});
        assert!(valid(&crd, &doc), "{:?}", errors(&crd, &doc));
    }

    #[test]
    fn custom_resources_get_object_meta_and_strictness() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}});
        let c = custom(schema, newest(), true).unwrap();
        assert!(valid(
            &c,
            &json!({"apiVersion": "x/v1", "kind": "A", "metadata": {"name": "a"}, "spec": {"size": 1}})
        ));
        assert!(!valid(
            &c,
            &json!({"apiVersion": "x/v1", "kind": "A", "spec": {"sise": 1}})
        ));
        assert!(!valid(
            &c,
            &json!({"apiVersion": "x/v1", "kind": "A", "metadata": {"labels": {"a": 1}}})
        ));
        assert!(!valid(
            &c,
            &json!({"apiVersion": "x/v1", "kind": "A", "status2": {}})
        ));
    }
}
