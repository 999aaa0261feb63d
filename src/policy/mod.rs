//! Rules as data: loading, validating and compiling rule files.
//!
//! A rule is one YAML file ([`model::RuleSpec`]). This module reads rule files strictly (every
//! error points at its line), compiles what can be compiled once — JSON Schemas, regexes,
//! globs, selectors, message templates — and hands the engine ready-to-run [`Rule`]s. The
//! built-in library under `policies/` is embedded in the binary by `build.rs`; nothing registers
//! a rule but its file.

pub mod apis;
pub mod catalogue;
pub mod cond;
pub mod model;
pub mod template;

use crate::diagnostic::Severity;
use crate::manifest::de::{DeError, from_node};
use crate::manifest::yaml::{self, Node};
use crate::source::{Source, SourceFile, Span};
use cond::{Cond, Each, compile_cond, compile_each};
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use model::{FixSpec, RuleSpec};
use std::path::Path;
use std::sync::Arc;
use template::Template;

/// Preset names a rule can belong to (`all` selects every rule).
pub const PRESETS: &[&str] = &["default", "pss-baseline", "pss-restricted", "all"];

/// The built-in rule files: (path under `policies/`, contents).
pub static BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// The trees of the [`BUILTIN`] files, parsed at build time and encoded (see
/// [`yaml::encode`]): `BUILTIN_TREES[BUILTIN_TREE_RANGES[i].0..BUILTIN_TREE_RANGES[i].1]` is
/// file `i`'s (empty when it did not parse cleanly).
static BUILTIN_TREES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_trees.bin"));
static BUILTIN_TREE_RANGES: &[(usize, usize)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_tree_ranges.rs"));

/// Built-in file `i` parsed: its tree decoded, or (if it has none) parsed now.
fn builtin_parsed(i: usize, source: &SourceFile) -> yaml::ParsedStream {
    let tree = (BUILTIN_TREE_RANGES.get(i)).and_then(|&(from, to)| BUILTIN_TREES.get(from..to));
    yaml::decode_or_parse(tree.unwrap_or_default(), source)
}

/// An error in a rule or config file, located at its line.
#[derive(Debug, Clone)]
pub struct FileError {
    /// The file.
    pub source: Source,
    /// Where.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    /// Build an error at `span`.
    pub fn new(source: &Source, span: Span, message: impl Into<String>) -> Self {
        FileError {
            source: source.clone(),
            span,
            message: message.into(),
        }
    }
    /// Convert a deserialization error (falls back to `whole` when the error has no span).
    pub fn from_de(source: &Source, e: DeError, whole: Span) -> Self {
        FileError {
            source: source.clone(),
            span: e.span.unwrap_or(whole),
            message: e.message,
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.source.position(self.span.start());
        write!(
            f,
            "{}:{}:{}: {}",
            self.source.path, p.line, p.column, self.message
        )
    }
}

/// Whether the rule must hold or must not.
#[derive(Debug)]
pub enum Check {
    /// A finding where the condition does not hold.
    Require(Cond),
    /// A finding where the condition holds.
    Forbid(Cond),
}

/// Compiled kind / namespace / label selection.
#[derive(Debug, Default)]
pub struct Matcher {
    /// Every kind.
    pub any_kind: bool,
    /// The `workloads` group.
    pub workloads: bool,
    /// `(group or None, Kind)` pairs.
    pub kinds: Vec<(Option<String>, String)>,
    /// Namespace include globs (empty: all).
    pub ns_include: Option<GlobSet>,
    /// Namespace exclude globs.
    pub ns_exclude: Option<GlobSet>,
    /// Required labels.
    pub labels: Vec<(String, GlobMatcher)>,
    /// Required annotations.
    pub annotations: Vec<(String, GlobMatcher)>,
    /// Excluding labels.
    pub exclude_labels: Vec<(String, GlobMatcher)>,
}

/// A compiled rule, ready for the engine.
#[derive(Debug)]
pub struct Rule {
    /// The rule as written (metadata, docs, examples).
    pub spec: RuleSpec,
    /// Effective severity (after config overrides).
    pub severity: Severity,
    /// Effective owner (rule, else category default from config).
    pub owner: Option<String>,
    /// Effective contact.
    pub contact: Option<String>,
    /// The rule file, for labels pointing into it.
    pub source: Source,
    /// The parsed rule file.
    pub tree: Arc<Node>,
    /// Object selection.
    pub matcher: Matcher,
    /// Sub-node selection.
    pub each: Each,
    /// Precondition.
    pub when: Option<Cond>,
    /// The check.
    pub check: Check,
    /// Message template.
    pub message: Template,
    /// Fix.
    pub fix: Option<FixSpec>,
    /// Templates of string fix values with placeholders, by edit index.
    pub fix_values: Vec<Option<Template>>,
    /// Is it from the built-in library?
    pub builtin: bool,
    /// Which version of objects it checks.
    pub applies_to: model::AppliesTo,
    /// Is it a transition rule (reads `$old` or checks removed objects)? Its findings only
    /// make sense for a change, so a diff always counts them as introduced.
    pub transition: bool,
    /// Does it relate the object to other linted objects (`related`)? Its findings on a file
    /// can change when another file changes.
    pub cross_object: bool,
    /// `why`, trimmed, shared by the rule's findings.
    pub why: Arc<str>,
    /// `help`, trimmed, shared by the rule's findings.
    pub help: Arc<str>,
    /// `docs`, shared by the rule's findings.
    pub docs: Option<Arc<str>>,
}

impl Rule {
    /// Rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }
    /// The relations (`related`) it evaluates on the checked object, in `when` and the check;
    /// empty unless [`Rule::cross_object`].
    pub fn relations(&self) -> Vec<&cond::Relation> {
        let mut out = Vec::new();
        for c in self.conds() {
            cond::relations(c, &mut out);
        }
        out
    }
    /// Its conditions: `when` (if any), then the check's.
    pub fn conds(&self) -> impl Iterator<Item = &Cond> {
        let check = match &self.check {
            Check::Require(c) | Check::Forbid(c) => c,
        };
        self.when.iter().chain([check])
    }
    /// Span of a node of the rule file (by JSON Pointer), or the file start.
    pub fn span_of(&self, pointer: &str) -> Span {
        self.tree
            .pointer(pointer)
            .map_or(Span::empty(0), |n| n.span)
    }
}

fn kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

fn glob(source: &Source, tree: &Node, ptr: &str, pattern: &str) -> Result<Glob, FileError> {
    Glob::new(pattern).map_err(|e| {
        FileError::new(
            source,
            tree.pointer(ptr).map_or(Span::empty(0), |n| n.span),
            format!("bad glob `{pattern}`: {e}"),
        )
    })
}

fn glob_set(
    source: &Source,
    tree: &Node,
    ptr: &str,
    patterns: &[String],
) -> Result<Option<GlobSet>, FileError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for (i, p) in patterns.iter().enumerate() {
        b.add(glob(source, tree, &format!("{ptr}/{i}"), p)?);
    }
    b.build()
        .map(Some)
        .map_err(|e| FileError::new(source, Span::empty(0), e.to_string()))
}

/// Parse and compile one rule file.
pub fn load_rule(source: Source, builtin: bool) -> Result<Rule, Vec<FileError>> {
    let parsed = yaml::parse(&source);
    load_parsed(source, parsed, builtin)
}

/// Compile one rule file, parsed.
fn load_parsed(
    source: Source,
    parsed: yaml::ParsedStream,
    builtin: bool,
) -> Result<Rule, Vec<FileError>> {
    let mut errors: Vec<FileError> = parsed
        .issues
        .iter()
        .map(|i| FileError::new(&source, i.span, i.message.clone()))
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(doc) = parsed.documents.into_iter().next() else {
        return Err(vec![FileError::new(
            &source,
            Span::empty(0),
            "empty rule file",
        )]);
    };
    let tree = Arc::new(doc.root);
    let spec: RuleSpec =
        from_node(&tree).map_err(|e| vec![FileError::from_de(&source, e, tree.span)])?;
    let at = |ptr: &str| tree.pointer(ptr).map_or(tree.span, |n| n.span);
    if !kebab(&spec.id) {
        errors.push(FileError::new(
            &source,
            at("/id"),
            format!("rule id `{}` must be kebab-case (a-z, 0-9, -)", spec.id),
        ));
    }
    for (i, p) in spec.presets.iter().enumerate() {
        if !PRESETS.contains(&p.as_str()) {
            errors.push(FileError::new(
                &source,
                at(&format!("/presets/{i}")),
                format!("unknown preset `{p}`; known: {}", PRESETS.join(", ")),
            ));
        }
    }
    let mut matcher = Matcher::default();
    if spec.match_.kinds.is_empty() {
        matcher.any_kind = true;
    }
    for k in &spec.match_.kinds {
        if k == "workloads" {
            matcher.workloads = true;
        } else if k == "*" {
            matcher.any_kind = true;
        } else if let Some((g, kind)) = k.rsplit_once('/') {
            matcher.kinds.push((
                Some(if g == "core" {
                    String::new()
                } else {
                    g.to_string()
                }),
                kind.to_string(),
            ));
        } else {
            matcher.kinds.push((None, k.clone()));
        }
    }
    let mut compile_globs = |map: &std::collections::BTreeMap<String, String>,
                             ptr: &str|
     -> Vec<(String, GlobMatcher)> {
        let mut out = Vec::new();
        for (k, v) in map {
            match glob(
                &source,
                &tree,
                &format!("{ptr}/{}", yaml::escape_token(k)),
                v,
            ) {
                Ok(g) => out.push((k.clone(), g.compile_matcher())),
                Err(e) => errors.push(e),
            }
        }
        out
    };
    matcher.labels = compile_globs(&spec.match_.labels, "/match/labels");
    matcher.annotations = compile_globs(&spec.match_.annotations, "/match/annotations");
    matcher.exclude_labels = compile_globs(&spec.match_.exclude_labels, "/match/exclude-labels");
    if let Some(ns) = &spec.match_.namespaces {
        match glob_set(&source, &tree, "/match/namespaces/include", &ns.include) {
            Ok(s) => matcher.ns_include = s,
            Err(e) => errors.push(e),
        }
        match glob_set(&source, &tree, "/match/namespaces/exclude", &ns.exclude) {
            Ok(s) => matcher.ns_exclude = s,
            Err(e) => errors.push(e),
        }
    }
    let each_list = spec.each.as_ref().map(model::OneOrMany::to_vec);
    let each = match compile_each(each_list.as_deref()) {
        Ok(e) => e,
        Err(m) => {
            errors.push(FileError::new(&source, at("/each"), m));
            Each::Object
        }
    };
    let mut cerr = |ptr: String, msg: String| errors.push(FileError::new(&source, at(&ptr), msg));
    let when = spec
        .when
        .as_ref()
        .and_then(|c| compile_cond(c, "/when", builtin, &mut cerr));
    let check = match (&spec.require, &spec.forbid) {
        (Some(c), None) => compile_cond(c, "/require", builtin, &mut cerr).map(Check::Require),
        (None, Some(c)) => compile_cond(c, "/forbid", builtin, &mut cerr).map(Check::Forbid),
        (Some(_), Some(_)) => {
            cerr(
                "/forbid".into(),
                "give either `require` or `forbid`, not both".into(),
            );
            None
        }
        (None, None) => {
            cerr(
                String::new(),
                "a rule needs a condition: `require` (must hold) or `forbid` (must not hold)"
                    .into(),
            );
            None
        }
    };
    let message = match Template::compile(&spec.message) {
        Ok(t) => Some(t),
        Err(m) => {
            errors.push(FileError::new(&source, at("/message"), m));
            None
        }
    };
    let mut fix_values = Vec::new();
    if let Some(fix) = &spec.fix {
        for (i, e) in fix.edits.iter().enumerate() {
            match e
                .value
                .as_ref()
                .and_then(|v| v.as_str())
                .filter(|s| s.contains("{{"))
            {
                Some(t) => match Template::compile(t) {
                    Ok(t) => fix_values.push(Some(t)),
                    Err(m) => {
                        errors.push(FileError::new(
                            &source,
                            at(&format!("/fix/edits/{i}/value")),
                            m,
                        ));
                        fix_values.push(None);
                    }
                },
                None => fix_values.push(None),
            }
            let ops = [e.set.is_some(), e.remove.is_some(), e.add.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            let ptr = format!("/fix/edits/{i}");
            if ops != 1 {
                errors.push(FileError::new(
                    &source,
                    at(&ptr),
                    "each edit needs exactly one of `set`, `remove`, `add`",
                ));
            } else if (e.set.is_some() || e.add.is_some()) && e.value.is_none() {
                errors.push(FileError::new(
                    &source,
                    at(&ptr),
                    "`set` and `add` need a `value`",
                ));
            } else if e.remove.is_some() && e.value.is_some() {
                errors.push(FileError::new(
                    &source,
                    at(&ptr),
                    "`remove` takes no `value`",
                ));
            }
            for p in [&e.set, &e.remove, &e.add].into_iter().flatten() {
                if !p.is_empty() && !p.starts_with('/') {
                    errors.push(FileError::new(
                        &source,
                        at(&ptr),
                        format!("edit path `{p}` must be a JSON Pointer starting with `/`"),
                    ));
                }
            }
        }
    }
    let ex = &spec.examples;
    if ex.invalid.is_empty() && ex.transitions.invalid.is_empty() {
        errors.push(FileError::new(
            &source,
            at("/examples"),
            "a rule needs at least one `invalid` example",
        ));
    }
    if ex.valid.is_empty() && ex.transitions.valid.is_empty() {
        errors.push(FileError::new(
            &source,
            at("/examples"),
            "a rule needs at least one `valid` example",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(check), Some(message)) = (check, message) else {
        return Err(vec![FileError::new(
            &source,
            tree.span,
            "rule could not be compiled",
        )]);
    };
    let applies_to = spec.applies_to;
    let transition = applies_to == model::AppliesTo::Removed
        || when.as_ref().is_some_and(cond::reads_old)
        || match &check {
            Check::Require(c) | Check::Forbid(c) => cond::reads_old(c),
        };
    let cross_object = when.as_ref().is_some_and(cond::relates)
        || match &check {
            Check::Require(c) | Check::Forbid(c) => cond::relates(c),
        };
    Ok(Rule {
        why: spec.why.trim().into(),
        help: spec.help.trim().into(),
        docs: spec.docs.as_deref().map(Arc::from),
        applies_to,
        transition,
        cross_object,
        severity: spec.severity,
        owner: spec.owner.clone(),
        contact: spec.contact.clone(),
        fix: spec.fix.clone(),
        fix_values,
        spec,
        source,
        tree,
        matcher,
        each,
        when,
        check,
        message,
        builtin,
    })
}

/// Built-in rules being loaded ahead of need, by [`prefetch_builtin_rules`].
type Prefetched = std::thread::JoinHandle<Result<Vec<Rule>, Vec<FileError>>>;

static PREFETCHED: std::sync::Mutex<Option<Prefetched>> = std::sync::Mutex::new(None);

/// Start loading the built-in rules on a thread of their own, so the caller can do something
/// else meanwhile (`accord lint` finds its input files): the next [`builtin_rules`] call takes
/// the result. Loading the library (its trees are decoded, then every rule compiled) is most of
/// a small lint's start-up, and finding files leaves a core idle. A prefetch nobody takes costs
/// only its CPU time.
pub fn prefetch_builtin_rules() {
    let mut slot = PREFETCHED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(std::thread::spawn(load_builtin_rules));
    }
}

/// The built-in rules.
pub fn builtin_rules() -> Result<Vec<Rule>, Vec<FileError>> {
    let prefetched = PREFETCHED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match prefetched.map(std::thread::JoinHandle::join) {
        Some(Ok(rules)) => rules,
        // The prefetch panicked (it cannot, short of a bug): load here, where a panic shows.
        Some(Err(_)) | None => load_builtin_rules(),
    }
}

fn load_builtin_rules() -> Result<Vec<Rule>, Vec<FileError>> {
    use rayon::prelude::*;
    // Parsing and compiling the library is most of a one-file lint's start-up: spread it over
    // the cores (results keep the files' order).
    let loaded: Vec<Result<Rule, Vec<FileError>>> = (BUILTIN.par_iter().enumerate())
        .map(|(i, (path, text))| {
            let source = SourceFile::new(format!("<builtin>/policies/{path}"), *text);
            let parsed = builtin_parsed(i, &source);
            load_parsed(source, parsed, true)
        })
        .collect();
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for r in loaded {
        match r {
            Ok(r) => rules.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The built-in rules of one preset (`all` for every rule), as a repository without a config
/// file gets them with `preset: <name>`.
pub fn builtin_preset(preset: &str) -> Result<Vec<Rule>, Vec<FileError>> {
    let mut rules = builtin_rules()?;
    rules.retain(|r| preset == "all" || r.spec.presets.iter().any(|p| p == preset));
    Ok(rules)
}

/// Rule files (`*.yaml`, `*.yml`) under `dir`, recursively, skipping `tests/` fixture folders and
/// `data/` lookup tables.
pub fn rule_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let p = entry?.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| {
                    n != "tests" && n != "data" && !n.to_string_lossy().starts_with('.')
                }) {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Load every rule under `dir`, with `display` as the path prefix shown to users.
pub fn load_dir(
    dir: &Path,
    display: &dyn Fn(&Path) -> String,
) -> Result<Vec<Rule>, Vec<FileError>> {
    let files = rule_files(dir).map_err(|e| {
        vec![FileError::new(
            &SourceFile::new(display(dir), ""),
            Span::empty(0),
            format!("cannot read policy folder: {e}"),
        )]
    })?;
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => match load_rule(SourceFile::new(display(&f), text), false) {
                Ok(r) => rules.push(r),
                Err(mut e) => errors.append(&mut e),
            },
            Err(e) => errors.push(FileError::new(
                &SourceFile::new(display(&f), ""),
                Span::empty(0),
                format!("cannot read: {e}"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Find a rule by id or by one of its aliases (`kube-linter/privileged-container`).
pub fn find<'a>(rules: &'a [Rule], name: &str) -> Option<&'a Rule> {
    find_all(rules, name).into_iter().next()
}

/// The rule with this id, or every rule that lists it as an alias (a check of another tool may
/// be covered by several rules).
pub fn find_all<'a>(rules: &'a [Rule], name: &str) -> Vec<&'a Rule> {
    match rules.iter().find(|r| r.id() == name) {
        Some(r) => vec![r],
        None => rules
            .iter()
            .filter(|r| r.spec.aliases.iter().any(|a| a == name))
            .collect(),
    }
}

/// Reject duplicate rule ids, pointing at both files.
pub fn check_unique(rules: &[Rule]) -> Vec<FileError> {
    let mut seen: std::collections::HashMap<&str, &Rule> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for r in rules {
        if let Some(first) = seen.insert(r.id(), r) {
            errors.push(FileError::new(
                &r.source,
                r.span_of("/id"),
                format!(
                    "duplicate rule id `{}` (also defined in {})",
                    r.id(),
                    first.source.path
                ),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trees build.rs embedded are what parsing the built-in files gives now, document for
    /// document (spans, styles, values, keys): decoding them is parsing them.
    #[test]
    fn embedded_builtin_trees_are_the_parsed_files() {
        assert_eq!(BUILTIN_TREE_RANGES.len(), BUILTIN.len());
        for (i, (path, text)) in BUILTIN.iter().enumerate() {
            let source = SourceFile::new(*path, *text);
            let parsed = yaml::parse(&source);
            assert!(parsed.issues.is_empty(), "{path}");
            let (from, to) = BUILTIN_TREE_RANGES[i];
            let decoded = yaml::decode(&BUILTIN_TREES[from..to]).expect(path);
            assert_eq!(decoded.documents.len(), parsed.documents.len(), "{path}");
            for (d, p) in decoded.documents.iter().zip(&parsed.documents) {
                assert_eq!((d.index, &d.root), (p.index, &p.root), "{path}");
            }
        }
    }
}
