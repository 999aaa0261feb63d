//! Rendering one kustomization directory into resources, in kustomize's order.
//!
//! Per kustomization: accumulate `resources` (files, directories holding a kustomization, legacy
//! `bases`), apply `components`, run `configMapGenerator`/`secretGenerator`, then the built-in
//! transformers in kustomize's order — `patchesStrategicMerge`, `patches`, `namespace`,
//! `namePrefix`/`nameSuffix`, `commonLabels`/`labels`, `commonAnnotations`, `patchesJson6902`,
//! `replicas`, `images` — then built-in transformer configs listed under `transformers`, then
//! name-reference updates for everything renamed at this level. Generated names get their hash
//! suffix once, at the top. Anything not rendered (remote bases, Helm charts, plugins,
//! `replacements`, `vars`) becomes a located finding rather than being dropped.

use super::files::{Disk, Files};
use super::generators;
use super::json6902;
use super::merge;
use super::tree::{Origin, RKey, RNode, RVal};
use crate::manifest::FileManifests;
use crate::manifest::yaml::{self, Node};
use crate::source::{Source, SourceFile, Span};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Names a directory may hold its kustomization under.
pub const FILE_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One rendered resource.
#[derive(Clone, Debug)]
pub struct Res {
    /// The object.
    pub node: RNode,
    /// The file that first defined it (a resource file, or the kustomization of a generator).
    pub defined_in: Source,
    /// Name at the start of the current kustomization level (to update references).
    level_name: Option<String>,
    /// Namespace at the start of the current level.
    level_ns: Option<String>,
    /// Generated and waiting for its hash suffix.
    needs_hash: bool,
}

impl Res {
    fn new(node: RNode, defined_in: Source) -> Res {
        let mut r = Res {
            node,
            defined_in,
            level_name: None,
            level_ns: None,
            needs_hash: false,
        };
        r.mark();
        r
    }
    fn mark(&mut self) {
        self.level_name = self.name().map(str::to_string);
        self.level_ns = self.namespace().map(str::to_string);
    }
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.node.get("kind").and_then(RNode::as_str).unwrap_or("")
    }
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.node
            .get("apiVersion")
            .and_then(RNode::as_str)
            .unwrap_or("")
    }
    /// `metadata.name`.
    pub fn name(&self) -> Option<&str> {
        self.node.str_at(&["metadata", "name"])
    }
    /// `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.node.str_at(&["metadata", "namespace"])
    }
    fn set_meta(&mut self, key: &str, value: &str, origin: Option<&Origin>) {
        let meta = self.node.map_entry("metadata", origin);
        meta.set(key, RNode::string(value, origin), origin);
    }
}

/// A finding raised while rendering, located in a kustomization or a file it names.
#[derive(Clone, Debug)]
pub struct Problem {
    /// `kustomize-error` or `kustomize-unsupported`.
    pub rule: &'static str,
    /// What happened.
    pub message: String,
    /// File.
    pub source: Source,
    /// Where in the file.
    pub span: Span,
}

/// State of one rendering run (shared by every kustomization it visits).
pub struct Renderer<'f> {
    /// Where files are read from (the disk, or a git revision's tree).
    pub fs: &'f dyn Files,
    /// Every file read while rendering (kustomizations, resources, patches, generator inputs).
    pub members: BTreeSet<PathBuf>,
    /// Kustomization directories referenced as resources or components.
    pub referenced: BTreeSet<PathBuf>,
    /// Problems found.
    pub problems: Vec<Problem>,
    files: HashMap<PathBuf, Option<Parsed>>,
    /// Results kept for reuse, with how many more uses are expected of each.
    built: HashMap<PathBuf, (Vec<Res>, usize)>,
    stack: Vec<PathBuf>,
    /// How many times each kustomization directory (canonical) is expected to be built: once
    /// per kustomization that includes it, plus once if it is rendered as a top. A result is
    /// kept for reuse only when more uses are expected, and the last expected use takes it
    /// rather than a copy: each copy of a result copies its whole trees. `None` (unknown):
    /// every result is kept and copied on each reuse. A use beyond the count builds again, which
    /// gives the same result.
    pub uses: Option<HashMap<PathBuf, usize>>,
    /// Files already read and parsed by the caller, by display path: used instead of reading
    /// and parsing them again.
    loaded: Option<&'f LoadedFiles<'f>>,
}

/// Files already read and parsed, by display path ([`index_loaded`]).
pub type LoadedFiles<'f> = HashMap<&'f str, &'f FileManifests>;

/// `files` by display path, for [`Renderer::with_loaded`].
pub fn index_loaded(files: &[FileManifests]) -> LoadedFiles<'_> {
    files.iter().map(|f| (f.source.path.as_str(), f)).collect()
}

/// A parsed file: its source and its document roots.
type Parsed = (Source, Arc<[Arc<Node>]>);

/// A reference into a file for findings.
type At<'a> = (&'a Source, Span);

/// `dir/rel` with `.` and `..` removed lexically (so paths display as `base/x.yaml`).
pub fn join(dir: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in dir.join(rel).components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|l| matches!(l, std::path::Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The kustomization file in `dir` on disk, if any.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    kustomization_file_in(&Disk::default(), dir)
}

/// The kustomization file in `dir` as `fs` sees it, if any.
pub fn kustomization_file_in(fs: &dyn Files, dir: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| fs.is_file(p))
}

fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("github.com/")
        || s.starts_with("gitlab.com/")
        || s.starts_with("bitbucket.org/")
        || s.starts_with("git@")
        || s.starts_with("git::")
}

const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "PodSecurityPolicy",
    "ClusterIssuer",
    "GatewayClass",
    "CertificateSigningRequest",
    "FlowSchema",
    "PriorityLevelConfiguration",
];

const WORKLOADS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "ReplicationController",
];

/// Where `commonLabels` (and `labels` with `includeSelectors`) go: (kinds, path, create).
const LABEL_SPECS: &[(&[&str], &str, bool)] = &[
    (&[], "metadata/labels", true),
    (&["Service", "ReplicationController"], "spec/selector", true),
    (&WORKLOADS_NO_JOB, "spec/selector/matchLabels", true),
    (&["Job"], "spec/selector/matchLabels", false),
    (WORKLOADS, "spec/template/metadata/labels", true),
    (&["CronJob"], "spec/jobTemplate/metadata/labels", true),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
    (
        &["StatefulSet"],
        "spec/volumeClaimTemplates/metadata/labels",
        true,
    ),
    (&["PodDisruptionBudget"], "spec/selector/matchLabels", false),
    (&["NetworkPolicy"], "spec/podSelector/matchLabels", false),
    (
        &["NetworkPolicy"],
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ),
    (
        &["NetworkPolicy"],
        "spec/egress/to/podSelector/matchLabels",
        false,
    ),
];
const WORKLOADS_NO_JOB: [&str; 4] = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"];
/// `labels` with `includeTemplates` only.
const TEMPLATE_SPECS: &[(&[&str], &str, bool)] = &[
    (&[], "metadata/labels", true),
    (WORKLOADS, "spec/template/metadata/labels", true),
    (&["CronJob"], "spec/jobTemplate/metadata/labels", true),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];
const META_ONLY: &[(&[&str], &str, bool)] = &[(&[], "metadata/labels", true)];
const ANNOTATION_SPECS: &[(&[&str], &str, bool)] = &[
    (&[], "metadata/annotations", true),
    (WORKLOADS, "spec/template/metadata/annotations", true),
    (&["CronJob"], "spec/jobTemplate/metadata/annotations", true),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// Set `pairs` in the map at `path` (segments through lists apply to every item).
fn set_pairs(
    node: &mut RNode,
    path: &[&str],
    create: bool,
    pairs: &[(String, RNode)],
    o: Option<&Origin>,
) {
    let Some((first, rest)) = path.split_first() else {
        for (k, v) in pairs {
            node.set(k, v.clone(), o);
        }
        return;
    };
    if node.get(first).is_none() {
        if !create || !matches!(node.value, RVal::Map(_)) {
            return;
        }
        node.set(first, RNode::computed(RVal::Map(Vec::new()), o), o);
    }
    let Some(child) = node.get_mut(first) else {
        return;
    };
    match &mut child.value {
        RVal::Seq(items) => {
            for i in items {
                set_pairs(i, rest, create, pairs, o);
            }
        }
        RVal::Map(_) => set_pairs(child, rest, create, pairs, o),
        RVal::Null if create => {
            child.value = RVal::Map(Vec::new());
            set_pairs(child, rest, create, pairs, o);
        }
        _ => {}
    }
}

fn apply_specs(
    resources: &mut [Res],
    specs: &[(&[&str], &str, bool)],
    pairs: &[(String, RNode)],
    o: Option<&Origin>,
) {
    if pairs.is_empty() {
        return;
    }
    for r in resources.iter_mut() {
        let kind = r.kind().to_string();
        for (kinds, path, create) in specs {
            if kinds.is_empty() || kinds.contains(&kind.as_str()) {
                let segs: Vec<&str> = path.split('/').collect();
                set_pairs(&mut r.node, &segs, *create, pairs, o);
            }
        }
    }
}

fn origin(source: &Source, span: Span) -> Option<Origin> {
    Some(Origin {
        source: source.clone(),
        span,
        exact: true,
    })
}

/// Split `a=b` pairs (literals and env files).
fn split_kv(s: &str) -> Option<(String, String)> {
    let (k, v) = s.split_once('=')?;
    let v = v.trim();
    let v = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    Some((k.trim().to_string(), v.to_string()))
}

/// A target's pattern, matched against a whole value.
enum Pattern<'t> {
    /// No regex syntax in it: the value must be this text (what the regex would match, without
    /// compiling one — most targets name a kind or an object).
    Text(&'t str),
    /// A regex.
    Regex(regex::Regex),
    /// Not a valid regex: matches nothing.
    Invalid,
}

impl Pattern<'_> {
    fn new(pat: &str) -> Pattern<'_> {
        const SYNTAX: &[char] = &[
            '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
        ];
        if !pat.contains(SYNTAX) {
            return Pattern::Text(pat);
        }
        match regex::Regex::new(&format!("^(?:{pat})$")) {
            Ok(re) => Pattern::Regex(re),
            Err(_) => Pattern::Invalid,
        }
    }
    fn is_match(&self, v: &str) -> bool {
        match self {
            Pattern::Text(t) => *t == v,
            Pattern::Regex(re) => re.is_match(v),
            Pattern::Invalid => false,
        }
    }
}

/// A patch `target` selector.
#[derive(Default, Debug)]
struct Target {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<String>,
    annotations: Option<String>,
}

fn selector_matches(sel: &str, pairs: Option<&RNode>) -> bool {
    sel.split(',').filter(|t| !t.trim().is_empty()).all(|term| {
        let term = term.trim();
        let get = |k: &str| pairs.and_then(|p| p.get(k.trim())).and_then(RNode::as_str);
        if let Some((k, v)) = term.split_once("!=") {
            get(k) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            get(k) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            get(k).is_none()
        } else {
            get(term).is_some()
        }
    })
}

impl Target {
    fn from_node(n: &Node) -> Target {
        let s = |k: &str| n.get(k).and_then(Node::as_str).map(str::to_string);
        Target {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            name: s("name"),
            namespace: s("namespace"),
            labels: s("labelSelector"),
            annotations: s("annotationSelector"),
        }
    }
    /// The patterns compiled once, to match every resource of a level against.
    fn compile(&self) -> Matcher<'_> {
        fn pat(p: &Option<String>) -> Option<Pattern<'_>> {
            p.as_deref().map(Pattern::new)
        }
        Matcher {
            group: pat(&self.group),
            version: pat(&self.version),
            kind: pat(&self.kind),
            name: pat(&self.name),
            namespace: pat(&self.namespace),
            target: self,
        }
    }
}

/// A [`Target`] with its patterns compiled: `None` for no pattern (anything matches).
struct Matcher<'t> {
    group: Option<Pattern<'t>>,
    version: Option<Pattern<'t>>,
    kind: Option<Pattern<'t>>,
    name: Option<Pattern<'t>>,
    namespace: Option<Pattern<'t>>,
    target: &'t Target,
}

impl Matcher<'_> {
    fn matches(&self, r: &Res) -> bool {
        let api = r.api_version();
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        let re = |pat: &Option<Pattern<'_>>, v: &str| pat.as_ref().is_none_or(|p| p.is_match(v));
        re(&self.group, group)
            && re(&self.version, version)
            && re(&self.kind, r.kind())
            && (re(&self.name, r.name().unwrap_or(""))
                || r.level_name.as_deref().is_some_and(|n| re(&self.name, n)))
            && re(&self.namespace, r.namespace().unwrap_or(""))
            && self.target.labels.as_ref().is_none_or(|s| {
                selector_matches(s, r.node.get("metadata").and_then(|m| m.get("labels")))
            })
            && self.target.annotations.as_ref().is_none_or(|s| {
                selector_matches(s, r.node.get("metadata").and_then(|m| m.get("annotations")))
            })
    }
}

/// Span translation for YAML written inside a block scalar (`patch: |`): inner offsets map to
/// the file by line, adding the block's indentation.
fn inline_map(outer: &SourceFile, node: &Node, inner: &str) -> impl Fn(Span) -> Span + use<> {
    let text = outer.slice(node.span).to_string();
    let base = node.span.start();
    // Line starts (in the file) of the block's content lines and their indentation.
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let block = matches!(node.style, crate::manifest::yaml::Style::Block);
    if block {
        let mut off = 0;
        let mut first = true;
        for l in text.split_inclusive('\n') {
            if first {
                first = false;
                off += l.len();
                continue;
            }
            lines.push((base + off, 0));
            off += l.len();
        }
        let indent = text
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        for l in &mut lines {
            l.1 = indent;
        }
    }
    let inner_starts: Vec<usize> = std::iter::once(0)
        .chain(inner.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let whole = node.span;
    let end_of_file = outer.text.len();
    move |s: Span| {
        let map1 = |off: usize| -> Option<usize> {
            let line = inner_starts
                .partition_point(|&st| st <= off)
                .checked_sub(1)?;
            let (start, indent) = lines.get(line)?;
            Some((start + indent + (off - inner_starts[line])).min(end_of_file))
        };
        match (map1(s.start()), map1(s.end().saturating_sub(1))) {
            (Some(a), Some(b)) if b >= a => Span::new(a, b + 1),
            (Some(a), _) => Span::new(a, a),
            _ => whole,
        }
    }
}

impl<'f> Renderer<'f> {
    /// A renderer reading files from `fs`.
    pub fn new(fs: &'f dyn Files) -> Renderer<'f> {
        Renderer {
            fs,
            members: BTreeSet::new(),
            referenced: BTreeSet::new(),
            problems: Vec::new(),
            files: HashMap::new(),
            built: HashMap::new(),
            stack: Vec::new(),
            uses: None,
            loaded: None,
        }
    }

    /// A renderer reading files from `fs`, except those in `loaded` (already read and parsed,
    /// named by display path as `fs` names them), whose sources and documents it takes as
    /// they are.
    pub fn with_loaded(fs: &'f dyn Files, loaded: &'f LoadedFiles<'f>) -> Renderer<'f> {
        let mut r = Renderer::new(fs);
        r.loaded = Some(loaded);
        r
    }

    fn canon(&self, p: &Path) -> PathBuf {
        self.fs.canonical(p)
    }

    fn kustomization_file(&self, dir: &Path) -> Option<PathBuf> {
        kustomization_file_in(self.fs, dir)
    }

    fn problem(&mut self, rule: &'static str, message: String, at: At<'_>) {
        self.problems.push(Problem {
            rule,
            message,
            source: at.0.clone(),
            span: at.1,
        });
    }

    fn display(&self, p: &Path) -> String {
        self.fs.display(p)
    }

    /// Read and parse a YAML file once.
    fn file(&mut self, path: &Path) -> Option<Parsed> {
        let key = self.canon(path);
        if let Some(f) = self.files.get(&key) {
            return f.clone();
        }
        let display = self.display(path);
        let parsed = match self.loaded.and_then(|l| l.get(display.as_str())) {
            Some(f) => Some((f.source.clone(), f.documents.as_slice().into())),
            None => self
                .fs
                .read(path)
                .and_then(|b| String::from_utf8(b).ok())
                .map(|t| {
                    let src = SourceFile::new(display, t);
                    let docs = yaml::parse(&src)
                        .documents
                        .into_iter()
                        .map(|d| Arc::new(d.root))
                        .collect();
                    (src, docs)
                }),
        };
        if parsed.is_some() {
            self.members.insert(path.to_path_buf());
        }
        self.files.insert(key, parsed.clone());
        parsed
    }

    /// The source of the file at `path` (read and parsed once, as every file).
    pub fn source(&mut self, path: &Path) -> Option<Source> {
        self.file(path).map(|(src, _)| src)
    }

    fn read_text(&mut self, path: &Path) -> Option<String> {
        let t = self.fs.read(path).and_then(|b| String::from_utf8(b).ok())?;
        self.members.insert(path.to_path_buf());
        Some(t)
    }

    /// Render the kustomization in `dir` (top level: hash suffixes and name references done).
    pub fn render(&mut self, dir: &Path) -> Vec<Res> {
        let component = self
            .kustomization_file(dir)
            .and_then(|p| self.file(&p))
            .and_then(|(_, docs)| {
                docs.first()
                    .and_then(|d| d.get("kind"))
                    .and_then(Node::as_str)
                    .map(|k| k == "Component")
            })
            .unwrap_or(false);
        let mut out = self.build(dir, Vec::new(), None, component);
        let mut renames = Vec::new();
        for r in &mut out {
            r.mark();
        }
        for r in &mut out {
            if r.needs_hash {
                r.needs_hash = false;
                let Some(name) = r.name().map(str::to_string) else {
                    continue;
                };
                let hash = hash_of(r);
                let o = r
                    .node
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(|n| n.origin.clone());
                r.set_meta("name", &format!("{name}-{hash}"), o.as_ref());
                renames.push(());
            }
        }
        if !renames.is_empty() {
            fix_references(&mut out);
        }
        out
    }

    /// Accumulate and transform one kustomization; `input` holds the parent's resources when
    /// `dir` is a component.
    fn build(
        &mut self,
        dir: &Path,
        input: Vec<Res>,
        via: Option<At<'_>>,
        component: bool,
    ) -> Vec<Res> {
        let key = self.canon(dir);
        let Some(kpath) = self.kustomization_file(dir) else {
            if let Some(at) = via {
                self.problem(
                    "kustomize-error",
                    format!("`{}` has no kustomization.yaml", self.display(dir)),
                    at,
                );
            }
            return input;
        };
        if self.stack.contains(&key) {
            if let Some(at) = via {
                self.problem(
                    "kustomize-error",
                    format!("`{}` includes itself (cycle)", self.display(dir)),
                    at,
                );
            }
            return input;
        }
        let cacheable = input.is_empty() && !component;
        if cacheable && let Some(done) = self.take_built(&key) {
            return done;
        }
        let Some((ksrc, docs)) = self.file(&kpath) else {
            if let Some(at) = via {
                self.problem(
                    "kustomize-error",
                    format!("`{}` is not readable UTF-8 text", self.display(&kpath)),
                    at,
                );
            }
            return input;
        };
        let Some(k) = docs.first().filter(|k| k.as_map().is_some()) else {
            self.problem(
                "kustomize-error",
                "this kustomization does not parse as a YAML mapping; nothing in it is rendered"
                    .into(),
                (&ksrc, Span::empty(0)),
            );
            return input;
        };
        self.stack.push(key.clone());
        let out = self.build_from(dir, &ksrc, k, input, component);
        self.stack.pop();
        if cacheable {
            // Uses left after this one; an unknown count (`usize::MAX`) keeps the result.
            let left = (self.uses.as_ref().and_then(|u| u.get(&key)))
                .map_or(usize::MAX, |n| n.saturating_sub(1));
            if left > 0 {
                self.built.insert(key, (out.clone(), left));
            }
        }
        out
    }

    /// How many results are kept for reuse (tests).
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.built.len()
    }

    /// A kept result of the kustomization at `key`: a copy, or the result itself on its last
    /// expected use.
    fn take_built(&mut self, key: &Path) -> Option<Vec<Res>> {
        let (done, left) = self.built.get_mut(key)?;
        if *left == usize::MAX {
            return Some(done.clone());
        }
        *left -= 1;
        if *left > 0 {
            return Some(done.clone());
        }
        self.built.remove(key).map(|(done, _)| done)
    }

    /// Directories a kustomization includes (`resources`, `bases`, `components`), without
    /// rendering anything.
    pub fn includes(&mut self, dir: &Path) -> Vec<PathBuf> {
        let Some((_, docs)) = self.kustomization_file(dir).and_then(|p| self.file(&p)) else {
            return Vec::new();
        };
        let Some(k) = docs.first() else {
            return Vec::new();
        };
        ["resources", "bases", "components"]
            .iter()
            .filter_map(|f| k.get(f).and_then(Node::as_seq))
            .flatten()
            .filter_map(Node::as_str)
            .filter(|s| !is_remote(s))
            .map(|s| join(dir, s))
            .filter(|p| self.fs.is_dir(p))
            .collect()
    }

    fn build_from(
        &mut self,
        dir: &Path,
        ks: &Source,
        k: &Node,
        input: Vec<Res>,
        component: bool,
    ) -> Vec<Res> {
        let mut res = input;
        for r in &mut res {
            r.mark();
        }
        let strs = |n: Option<&Node>| -> Vec<Node> {
            n.and_then(Node::as_seq)
                .map(<[Node]>::to_vec)
                .unwrap_or_default()
        };
        if let Some(kind) = k.get("kind").and_then(Node::as_str) {
            let want = if component {
                "Component"
            } else {
                "Kustomization"
            };
            if kind != want {
                let span = k.get("kind").map_or(k.span, |n| n.span);
                self.problem(
                    "kustomize-error",
                    format!("expected `kind: {want}` here, found `{kind}`"),
                    (ks, span),
                );
            }
        }
        if let Some(entries) = k.as_map() {
            for (key, _) in entries {
                let supported = [
                    "apiVersion",
                    "kind",
                    "metadata",
                    "resources",
                    "bases",
                    "components",
                    "namespace",
                    "namePrefix",
                    "nameSuffix",
                    "commonLabels",
                    "labels",
                    "commonAnnotations",
                    "images",
                    "replicas",
                    "patches",
                    "patchesStrategicMerge",
                    "patchesJson6902",
                    "configMapGenerator",
                    "secretGenerator",
                    "generatorOptions",
                    "transformers",
                    "sortOptions",
                    "buildMetadata",
                    "openapi",
                    "crds",
                    "configurations",
                ];
                let unsupported = [
                    "helmCharts",
                    "helmChartInflationGenerator",
                    "helmGlobals",
                    "generators",
                    "validators",
                    "replacements",
                    "vars",
                ];
                if unsupported.contains(&key.text.as_str()) {
                    let what = match key.text.as_str() {
                        "helmCharts" | "helmChartInflationGenerator" | "helmGlobals" => {
                            "Helm chart inflation".to_string()
                        }
                        "generators" | "validators" => format!("`{}` plugins", key.text),
                        other => format!("`{other}`"),
                    };
                    self.problem(
                        "kustomize-unsupported",
                        format!("{what} is not supported; the objects it would produce or change are not linted"),
                        (ks, key.span),
                    );
                } else if !supported.contains(&key.text.as_str()) {
                    self.problem(
                        "kustomize-error",
                        format!("unknown kustomization field `{}`", key.text),
                        (ks, key.span),
                    );
                }
            }
        }
        // Resources.
        for entry in strs(k.get("resources"))
            .iter()
            .chain(strs(k.get("bases")).iter())
        {
            let Some(s) = entry.as_str() else { continue };
            if is_remote(s) {
                self.problem(
                    "kustomize-unsupported",
                    format!(
                        "remote resource `{s}` is not supported offline; its objects are not linted"
                    ),
                    (ks, entry.span),
                );
                continue;
            }
            let path = join(dir, s);
            if self.fs.is_dir(&path) {
                self.referenced.insert(self.canon(&path));
                let sub = self.build(&path, Vec::new(), Some((ks, entry.span)), false);
                res.extend(sub);
            } else if self.fs.is_file(&path) {
                match self.file(&path) {
                    Some((src, docs)) => {
                        for d in docs.iter() {
                            self.push_objects(&src, d, &mut res, (ks, entry.span));
                        }
                    }
                    None => self.problem(
                        "kustomize-error",
                        format!("resource `{s}` is not readable UTF-8 text"),
                        (ks, entry.span),
                    ),
                }
            } else {
                self.problem(
                    "kustomize-error",
                    format!("resource `{s}` not found"),
                    (ks, entry.span),
                );
            }
        }
        // Components.
        for entry in strs(k.get("components")) {
            let Some(s) = entry.as_str() else { continue };
            if is_remote(s) {
                self.problem(
                    "kustomize-unsupported",
                    format!("remote component `{s}` is not supported offline"),
                    (ks, entry.span),
                );
                continue;
            }
            let path = join(dir, s);
            self.referenced.insert(self.canon(&path));
            res = self.build(&path, res, Some((ks, entry.span)), true);
        }
        for r in &mut res {
            r.mark();
        }
        self.generators(dir, ks, k, &mut res);
        self.transform(dir, ks, k, &mut res);
        fix_references(&mut res);
        for r in &mut res {
            r.mark();
        }
        res
    }

    fn push_objects(&mut self, src: &Source, d: &Node, res: &mut Vec<Res>, at: At<'_>) {
        if d.is_null() {
            return;
        }
        let kind = d.get("kind").and_then(Node::as_str);
        if d.get("apiVersion").is_none() || kind.is_none() {
            self.problem(
                "kustomize-error",
                format!(
                    "`{}` holds a document that is not a Kubernetes object",
                    src.path
                ),
                at,
            );
            return;
        }
        if let (Some(k), Some(items)) = (kind, d.get("items").and_then(Node::as_seq))
            && k.ends_with("List")
        {
            for i in items {
                self.push_objects(src, i, res, at);
            }
            return;
        }
        res.push(Res::new(RNode::from_node(src, d, &|s| s), src.clone()));
    }

    fn generators(&mut self, dir: &Path, ks: &Source, k: &Node, res: &mut Vec<Res>) {
        let opts = k.get("generatorOptions");
        for (field, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            let Some(list) = k.get(field).and_then(Node::as_seq) else {
                continue;
            };
            for g in list {
                self.generate(dir, ks, g, kind, opts, res);
            }
        }
    }

    fn generate(
        &mut self,
        dir: &Path,
        ks: &Source,
        g: &Node,
        kind: &str,
        opts: Option<&Node>,
        res: &mut Vec<Res>,
    ) {
        let o = origin(ks, g.span);
        let Some(name) = g.get("name").and_then(Node::as_str) else {
            self.problem(
                "kustomize-error",
                format!("a {kind} generator needs a `name`"),
                (ks, g.span),
            );
            return;
        };
        let mut data: BTreeMap<String, (String, Option<Origin>)> = BTreeMap::new();
        for lit in g.get("literals").and_then(Node::as_seq).unwrap_or_default() {
            let Some((key, v)) = lit.as_str().and_then(split_kv) else {
                self.problem(
                    "kustomize-error",
                    "a literal must be `key=value`".into(),
                    (ks, lit.span),
                );
                continue;
            };
            data.insert(key, (v, origin(ks, lit.span)));
        }
        for f in g.get("files").and_then(Node::as_seq).unwrap_or_default() {
            let Some(spec) = f.as_str() else { continue };
            let (key, file) = match spec.split_once('=') {
                Some((k, p)) => (k.to_string(), p.to_string()),
                None => (
                    Path::new(spec)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    spec.to_string(),
                ),
            };
            match self.read_text(&join(dir, &file)) {
                Some(t) => {
                    data.insert(key, (t, origin(ks, f.span)));
                }
                None => self.problem(
                    "kustomize-error",
                    format!("generator file `{file}` not found or not UTF-8 text"),
                    (ks, f.span),
                ),
            }
        }
        let envs: Vec<&Node> = g
            .get("envs")
            .and_then(Node::as_seq)
            .map(|s| s.iter().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain(g.get("env"))
            .collect();
        for e in envs {
            let Some(file) = e.as_str() else { continue };
            match self.read_text(&join(dir, file)) {
                Some(t) => {
                    for line in t.lines() {
                        let line = line.trim();
                        if line.is_empty() || line.starts_with('#') {
                            continue;
                        }
                        if let Some((key, v)) = split_kv(line) {
                            data.insert(key, (v, origin(ks, e.span)));
                        }
                    }
                }
                None => self.problem(
                    "kustomize-error",
                    format!("env file `{file}` not found or not UTF-8 text"),
                    (ks, e.span),
                ),
            }
        }
        let opt = |key: &str| {
            g.get("options")
                .and_then(|o| o.get(key))
                .or_else(|| opts.and_then(|o| o.get(key)))
        };
        let no_hash =
            opt("disableNameSuffixHash").is_some_and(|n| n.value == yaml::Value::Bool(true));
        let immutable = match opt("immutable").map(|n| &n.value) {
            Some(yaml::Value::Bool(b)) => Some(*b),
            _ => None,
        };
        let secret_type = g
            .get("type")
            .and_then(Node::as_str)
            .unwrap_or("Opaque")
            .to_string();
        let mut node = RNode::computed(RVal::Map(Vec::new()), o.as_ref());
        node.set("apiVersion", RNode::string("v1", o.as_ref()), o.as_ref());
        node.set("kind", RNode::string(kind, o.as_ref()), o.as_ref());
        let name_origin = g.get("name").and_then(|n| origin(ks, n.span));
        let meta = node.map_entry("metadata", o.as_ref());
        meta.set(
            "name",
            RNode::string(name, name_origin.as_ref()),
            name_origin.as_ref(),
        );
        if let Some(ns) = g.get("namespace").and_then(Node::as_str) {
            meta.set("namespace", RNode::string(ns, o.as_ref()), o.as_ref());
        }
        for (field, target) in [("labels", "labels"), ("annotations", "annotations")] {
            if let Some(m) = opt(field).and_then(Node::as_map) {
                let t = meta.map_entry(target, o.as_ref());
                for (k2, v) in m {
                    t.set(
                        &k2.text,
                        RNode::from_node(ks, v, &|s| s),
                        origin(ks, k2.span).as_ref(),
                    );
                }
            }
        }
        let mut entries = Vec::new();
        for (key, (v, vo)) in &data {
            let value = if kind == "Secret" {
                generators::base64(v.as_bytes())
            } else {
                v.clone()
            };
            entries.push((
                RKey {
                    text: key.as_str().into(),
                    origin: vo.clone(),
                },
                RNode::string(value, vo.as_ref()),
            ));
        }
        if !entries.is_empty() {
            node.set(
                "data",
                RNode::computed(RVal::Map(entries), o.as_ref()),
                o.as_ref(),
            );
        }
        if kind == "Secret" {
            node.set("type", RNode::string(secret_type, o.as_ref()), o.as_ref());
        }
        if let Some(b) = immutable {
            node.set(
                "immutable",
                RNode::computed(RVal::Bool(b), o.as_ref()),
                o.as_ref(),
            );
        }
        let behavior = g.get("behavior").and_then(Node::as_str).unwrap_or("create");
        let existing = res
            .iter()
            .position(|r| r.kind() == kind && r.name() == Some(name));
        match (behavior, existing) {
            ("merge", Some(i)) => {
                merge::merge(&mut res[i].node, &node);
            }
            ("replace", Some(i)) => {
                res[i].node = node;
            }
            ("merge" | "replace", None) => self.problem(
                "kustomize-error",
                format!(
                    "`behavior: {behavior}` but no {kind} `{name}` to {behavior} in the resources"
                ),
                (ks, g.span),
            ),
            ("create", Some(_)) => self.problem(
                "kustomize-error",
                format!("{kind} `{name}` already exists; use `behavior: merge` or `replace`"),
                (ks, g.span),
            ),
            _ => {
                let mut r = Res::new(node, ks.clone());
                r.needs_hash = !no_hash;
                res.push(r);
            }
        }
    }

    /// Load a patch given as `path:` or inline `patch:`; returns its documents as rendered nodes.
    fn patch_docs(&mut self, dir: &Path, ks: &Source, entry: &Node) -> Vec<RNode> {
        let inline = |src: &Source, n: &Node, text: &str| -> Vec<RNode> {
            let inner = SourceFile::new(src.path.clone(), text);
            let map = inline_map(src, n, text);
            yaml::parse(&inner)
                .documents
                .into_iter()
                .map(|d| RNode::from_node(src, &d.root, &map))
                .collect()
        };
        let as_path = |s: &str| !s.contains('\n') && !s.contains(':');
        let (path_node, patch_node) = match &entry.value {
            yaml::Value::Str(s) if as_path(s) => (Some(entry), None),
            yaml::Value::Str(_) => (None, Some(entry)),
            _ => (entry.get("path"), entry.get("patch")),
        };
        if let Some(p) = patch_node.and_then(|n| n.as_str().map(|s| (n, s))) {
            return inline(ks, p.0, p.1);
        }
        if let Some(pn) = path_node
            && let Some(p) = pn.as_str()
        {
            let path = join(dir, p);
            return match self.file(&path) {
                Some((src, docs)) => docs
                    .iter()
                    .map(|d| RNode::from_node(&src, d, &|s| s))
                    .collect(),
                None => {
                    self.problem(
                        "kustomize-error",
                        format!("patch `{p}` not found"),
                        (ks, pn.span),
                    );
                    Vec::new()
                }
            };
        }
        self.problem(
            "kustomize-error",
            "a patch needs `path` or `patch`".into(),
            (ks, entry.span),
        );
        Vec::new()
    }

    fn apply_patch(
        &mut self,
        ks: &Source,
        entry: &Node,
        doc: &RNode,
        target: Option<Target>,
        res: &mut [Res],
    ) {
        let at = (ks, entry.span);
        let is_json = matches!(doc.value, RVal::Seq(_));
        let untargeted = target.is_none();
        let target = match target {
            Some(t) => t,
            None if is_json => {
                self.problem(
                    "kustomize-error",
                    "a JSON 6902 patch needs a `target`".into(),
                    at,
                );
                return;
            }
            None => {
                let s = |p: &[&str]| doc.str_at(p).map(regex::escape);
                let api = doc.str_at(&["apiVersion"]).unwrap_or("");
                let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
                Target {
                    group: (!api.is_empty()).then(|| regex::escape(group)),
                    version: (!api.is_empty()).then(|| regex::escape(version)),
                    kind: s(&["kind"]),
                    name: s(&["metadata", "name"]),
                    namespace: s(&["metadata", "namespace"]),
                    ..Target::default()
                }
            }
        };
        let ops = if is_json {
            json_ops(doc)
        } else {
            Ok(Vec::new())
        };
        let ops = match ops {
            Ok(o) => o,
            Err(e) => {
                self.problem(
                    "kustomize-error",
                    format!("invalid JSON 6902 patch: {e}"),
                    at,
                );
                return;
            }
        };
        let mut hit = false;
        let target = target.compile();
        for r in res.iter_mut().filter(|r| target.matches(r)) {
            hit = true;
            if is_json {
                if let Err(e) = json6902::apply(&mut r.node, &ops) {
                    self.problem(
                        "kustomize-error",
                        format!(
                            "JSON patch failed on {} {}: {e}",
                            r.kind(),
                            r.name().unwrap_or("")
                        ),
                        at,
                    );
                }
            } else {
                let mut patch = doc.clone();
                // A targeted strategic-merge patch must not rename its targets.
                if let Some(m) = patch.get_mut("metadata") {
                    m.remove("name");
                    m.remove("namespace");
                }
                patch.remove("apiVersion");
                patch.remove("kind");
                merge::merge(&mut r.node, &patch);
            }
        }
        if !hit && untargeted {
            self.problem(
                "kustomize-error",
                "this patch matches no resource (no object with its kind and name)".to_string(),
                at,
            );
        }
    }

    fn transform(&mut self, dir: &Path, ks: &Source, k: &Node, res: &mut [Res]) {
        // patchesStrategicMerge
        for entry in k
            .get("patchesStrategicMerge")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            for doc in self.patch_docs(dir, ks, entry) {
                self.apply_patch(ks, entry, &doc, None, res);
            }
        }
        // patches
        for entry in k.get("patches").and_then(Node::as_seq).unwrap_or_default() {
            let target = entry.get("target").map(Target::from_node);
            for doc in self.patch_docs(dir, ks, entry) {
                let t = target.as_ref().map(|t| Target {
                    group: t.group.clone(),
                    version: t.version.clone(),
                    kind: t.kind.clone(),
                    name: t.name.clone(),
                    namespace: t.namespace.clone(),
                    labels: t.labels.clone(),
                    annotations: t.annotations.clone(),
                });
                self.apply_patch(ks, entry, &doc, t, res);
            }
        }
        // namespace
        if let Some(n) = k.get("namespace")
            && let Some(ns) = n.as_str()
        {
            let o = origin(ks, n.span);
            for r in res.iter_mut() {
                let kind = r.kind().to_string();
                if kind == "Namespace" {
                    r.set_meta("name", ns, o.as_ref());
                } else if !CLUSTER_SCOPED.contains(&kind.as_str()) {
                    r.set_meta("namespace", ns, o.as_ref());
                }
                if (kind == "RoleBinding" || kind == "ClusterRoleBinding")
                    && let Some(RVal::Seq(subjects)) =
                        r.node.get_mut("subjects").map(|s| &mut s.value)
                {
                    for s in subjects {
                        if s.str_at(&["kind"]) == Some("ServiceAccount")
                            && s.str_at(&["name"]) == Some("default")
                        {
                            s.set("namespace", RNode::string(ns, o.as_ref()), o.as_ref());
                        }
                    }
                }
            }
        }
        // namePrefix / nameSuffix
        let prefix = k
            .get("namePrefix")
            .and_then(|n| n.as_str().map(|s| (s.to_string(), n.span)));
        let suffix = k
            .get("nameSuffix")
            .and_then(|n| n.as_str().map(|s| (s.to_string(), n.span)));
        if prefix.is_some() || suffix.is_some() {
            let o = origin(
                ks,
                prefix.as_ref().or(suffix.as_ref()).map_or(k.span, |p| p.1),
            );
            for r in res.iter_mut() {
                if matches!(
                    r.kind(),
                    "CustomResourceDefinition" | "APIService" | "Namespace"
                ) {
                    continue;
                }
                let Some(name) = r.name().map(str::to_string) else {
                    continue;
                };
                let new = format!(
                    "{}{name}{}",
                    prefix.as_ref().map_or("", |p| p.0.as_str()),
                    suffix.as_ref().map_or("", |p| p.0.as_str())
                );
                r.set_meta("name", &new, o.as_ref());
            }
        }
        // commonLabels / labels
        if let Some(m) = k.get("commonLabels").and_then(Node::as_map) {
            let pairs = pairs_of(ks, m);
            let o = k.get("commonLabels").and_then(|n| origin(ks, n.span));
            apply_specs(res, LABEL_SPECS, &pairs, o.as_ref());
        }
        for entry in k.get("labels").and_then(Node::as_seq).unwrap_or_default() {
            let Some(m) = entry.get("pairs").and_then(Node::as_map) else {
                continue;
            };
            let flag = |key: &str| {
                entry
                    .get(key)
                    .is_some_and(|n| n.value == yaml::Value::Bool(true))
            };
            let specs = if flag("includeSelectors") {
                LABEL_SPECS
            } else if flag("includeTemplates") {
                TEMPLATE_SPECS
            } else {
                META_ONLY
            };
            apply_specs(
                res,
                specs,
                &pairs_of(ks, m),
                origin(ks, entry.span).as_ref(),
            );
        }
        if let Some(m) = k.get("commonAnnotations").and_then(Node::as_map) {
            let o = k.get("commonAnnotations").and_then(|n| origin(ks, n.span));
            apply_specs(res, ANNOTATION_SPECS, &pairs_of(ks, m), o.as_ref());
        }
        // patchesJson6902
        for entry in k
            .get("patchesJson6902")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let target = entry.get("target").map(Target::from_node);
            if target.is_none() {
                self.problem(
                    "kustomize-error",
                    "`patchesJson6902` entries need a `target`".into(),
                    (ks, entry.span),
                );
                continue;
            }
            for doc in self.patch_docs(dir, ks, entry) {
                let t = target.as_ref().map(|t| Target {
                    group: t.group.clone(),
                    version: t.version.clone(),
                    kind: t.kind.clone(),
                    name: t.name.clone(),
                    namespace: t.namespace.clone(),
                    ..Target::default()
                });
                self.apply_patch(ks, entry, &doc, t, res);
            }
        }
        // replicas
        for entry in k.get("replicas").and_then(Node::as_seq).unwrap_or_default() {
            let (Some(name), Some(count)) =
                (entry.get("name").and_then(Node::as_str), entry.get("count"))
            else {
                continue;
            };
            let mut hit = false;
            for r in res.iter_mut() {
                if (r.name() == Some(name) || r.level_name.as_deref() == Some(name))
                    && matches!(
                        r.kind(),
                        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
                    )
                {
                    hit = true;
                    let spec = r.node.map_entry("spec", origin(ks, entry.span).as_ref());
                    spec.set(
                        "replicas",
                        RNode::from_node(ks, count, &|s| s),
                        origin(ks, entry.span).as_ref(),
                    );
                }
            }
            if !hit {
                self.problem(
                    "kustomize-error",
                    format!("`replicas`: no workload named `{name}`"),
                    (ks, entry.span),
                );
            }
        }
        // images
        let images: Vec<&Node> = k
            .get("images")
            .and_then(Node::as_seq)
            .map(|s| s.iter().collect::<Vec<_>>())
            .unwrap_or_default();
        if !images.is_empty() {
            for r in res.iter_mut() {
                rewrite_images(&mut r.node, ks, &images);
            }
        }
        // transformers: built-in configs only
        for entry in k
            .get("transformers")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            self.builtin_transformer(dir, ks, entry, res);
        }
    }

    fn builtin_transformer(&mut self, dir: &Path, ks: &Source, entry: &Node, res: &mut [Res]) {
        let at = (ks, entry.span);
        let docs: Vec<(Source, Arc<Node>)> = match entry.as_str() {
            Some(p) if !p.contains('\n') => {
                let path = join(dir, p);
                if self.fs.is_dir(&path) {
                    self.problem(
                        "kustomize-unsupported",
                        format!("transformer directory `{p}` is not supported"),
                        at,
                    );
                    return;
                }
                match self.file(&path) {
                    Some((src, docs)) => docs.iter().map(|d| (src.clone(), d.clone())).collect(),
                    None => {
                        self.problem(
                            "kustomize-error",
                            format!("transformer `{p}` not found"),
                            at,
                        );
                        return;
                    }
                }
            }
            _ => {
                self.problem(
                    "kustomize-unsupported",
                    "inline transformer configurations are not supported".into(),
                    at,
                );
                return;
            }
        };
        for (src, d) in docs {
            let api = d.get("apiVersion").and_then(Node::as_str).unwrap_or("");
            let kind = d.get("kind").and_then(Node::as_str).unwrap_or("");
            let field = match (api, kind) {
                ("builtin", "LabelTransformer") => "labels",
                ("builtin", "AnnotationsTransformer") => "annotations",
                _ => {
                    self.problem(
                        "kustomize-unsupported",
                        format!("transformer plugin `{api}` `{kind}` is not supported; its changes are not linted"),
                        at,
                    );
                    continue;
                }
            };
            let Some(m) = d.get(field).and_then(Node::as_map) else {
                continue;
            };
            let pairs = pairs_of(&src, m);
            let o = origin(&src, d.get(field).map_or(d.span, |n| n.span));
            for spec in d
                .get("fieldSpecs")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                let Some(path) = spec.get("path").and_then(Node::as_str) else {
                    continue;
                };
                let kind_filter = spec.get("kind").and_then(Node::as_str);
                let create = spec
                    .get("create")
                    .is_some_and(|n| n.value == yaml::Value::Bool(true));
                let segs: Vec<&str> = path.split('/').collect();
                for r in res.iter_mut() {
                    if kind_filter.is_none_or(|k| k == r.kind()) {
                        set_pairs(&mut r.node, &segs, create, &pairs, o.as_ref());
                    }
                }
            }
        }
    }
}

fn pairs_of(src: &Source, m: &[(yaml::Key, Node)]) -> Vec<(String, RNode)> {
    m.iter()
        .map(|(k, v)| {
            let text = match &v.value {
                yaml::Value::Str(s) => s.as_str().to_owned(),
                _ => v.display_value(),
            };
            (
                k.text.as_str().to_owned(),
                RNode {
                    value: RVal::Str(text.into()),
                    origin: origin(src, v.span),
                },
            )
        })
        .collect()
}

fn json_ops(doc: &RNode) -> Result<Vec<json6902::Op>, String> {
    let mut ops = Vec::new();
    for item in doc.as_seq().unwrap_or_default() {
        let s = |k: &str| item.get(k).and_then(RNode::as_str).map(str::to_string);
        ops.push(json6902::Op {
            op: s("op").ok_or("an operation needs `op`")?,
            path: s("path").ok_or("an operation needs `path`")?,
            from: s("from"),
            value: item.get("value").cloned(),
        });
    }
    Ok(ops)
}

/// Image name without tag or digest.
fn image_name(image: &str) -> (&str, &str) {
    let (rest, digest_at) = match image.find('@') {
        Some(i) => (&image[..i], i),
        None => (image, image.len()),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], &image[slash + i..]),
        None => (&image[..digest_at], &image[digest_at..]),
    }
}

fn rewrite_images(node: &mut RNode, ks: &Source, images: &[&Node]) {
    match &mut node.value {
        RVal::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                if (k.text == "containers"
                    || k.text == "initContainers"
                    || k.text == "ephemeralContainers")
                    && let RVal::Seq(items) = &mut v.value
                {
                    for c in items.iter_mut() {
                        let Some(image) =
                            c.get("image").and_then(RNode::as_str).map(str::to_string)
                        else {
                            continue;
                        };
                        let (name, tag) = image_name(&image);
                        for e in images {
                            if e.get("name").and_then(Node::as_str) != Some(name) {
                                continue;
                            }
                            let new_name = e.get("newName").and_then(Node::as_str).unwrap_or(name);
                            let new_tag = if let Some(d) = e.get("digest").and_then(Node::as_str) {
                                format!("@{d}")
                            } else if let Some(t) = e.get("newTag") {
                                format!(
                                    ":{}",
                                    match &t.value {
                                        yaml::Value::Str(s) => s.as_str().to_owned(),
                                        _ => t.display_value(),
                                    }
                                )
                            } else {
                                tag.to_string()
                            };
                            let o = origin(ks, e.span);
                            c.set(
                                "image",
                                RNode::string(format!("{new_name}{new_tag}"), o.as_ref()),
                                o.as_ref(),
                            );
                            break;
                        }
                    }
                } else {
                    rewrite_images(v, ks, images);
                }
            }
        }
        RVal::Seq(items) => {
            for i in items {
                rewrite_images(i, ks, images);
            }
        }
        _ => {}
    }
}

fn hash_of(r: &Res) -> String {
    let strmap = |key: &str| -> BTreeMap<String, String> {
        match r.node.get(key).map(|n| &n.value) {
            Some(RVal::Map(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((k.text.to_string(), v.as_str()?.to_string())))
                .collect(),
            _ => BTreeMap::new(),
        }
    };
    let immutable = match r.node.get("immutable").map(|n| &n.value) {
        Some(RVal::Bool(b)) => Some(*b),
        _ => None,
    };
    if r.kind() == "Secret" {
        let t = r
            .node
            .get("type")
            .and_then(RNode::as_str)
            .unwrap_or("Opaque");
        generators::secret_hash(t, &strmap("data"), immutable)
    } else {
        generators::configmap_hash(&strmap("data"), &strmap("binaryData"), immutable)
    }
}

/// Which kind a reference field names, given the field and its holder.
fn reference_kind(parent_key: &str, key: &str, holder_kind: Option<&str>) -> Option<&'static str> {
    Some(match (parent_key, key) {
        ("configMapKeyRef" | "configMapRef" | "configMap", "name") => "ConfigMap",
        ("secretKeyRef" | "secretRef" | "secret", "name") | ("secret", "secretName") => "Secret",
        ("imagePullSecrets", "name") => "Secret",
        ("tls", "secretName") => "Secret",
        (_, "serviceAccountName") => "ServiceAccount",
        ("persistentVolumeClaim", "claimName") => "PersistentVolumeClaim",
        ("service", "name") => "Service",
        ("spec", "serviceName") => "Service",
        ("scaleTargetRef", "name") | ("roleRef", "name") => match holder_kind {
            Some("Deployment") => "Deployment",
            Some("StatefulSet") => "StatefulSet",
            Some("ReplicaSet") => "ReplicaSet",
            Some("Role") => "Role",
            Some("ClusterRole") => "ClusterRole",
            _ => return None,
        },
        ("subjects", "name") if holder_kind == Some("ServiceAccount") => "ServiceAccount",
        _ => return None,
    })
}

/// Update references to objects renamed since the level started.
fn fix_references(res: &mut [Res]) {
    let renames: Vec<Rename> = res
        .iter()
        .filter_map(|r| {
            let old = r.level_name.clone()?;
            let new = r.name()?.to_string();
            let ns_changed = r.level_ns.as_deref() != r.namespace();
            (old != new || ns_changed).then(|| {
                let o = r
                    .node
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(|n| n.origin.clone());
                (
                    r.kind().to_string(),
                    old,
                    r.level_ns.clone(),
                    new,
                    r.namespace().map(str::to_string),
                    o,
                )
            })
        })
        .collect();
    if renames.is_empty() {
        return;
    }
    for r in res.iter_mut() {
        walk_refs(&mut r.node, "", &renames);
    }
}

type Rename = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<Origin>,
);

fn walk_refs(node: &mut RNode, parent_key: &str, renames: &[Rename]) {
    let holder_kind = node.str_at(&["kind"]).map(str::to_string);
    let holder_name = node.str_at(&["name"]).map(str::to_string);
    match &mut node.value {
        RVal::Map(entries) => {
            let is_subject = parent_key == "subjects";
            for (k, v) in entries.iter_mut() {
                if let RVal::Str(s) = &v.value
                    && let Some(kind) = reference_kind(parent_key, &k.text, holder_kind.as_deref())
                    && let Some(rn) = renames.iter().find(|rn| rn.0 == kind && rn.1 == s)
                {
                    if rn.1 != rn.3 {
                        *v = RNode::string(rn.3.clone(), rn.5.as_ref());
                    }
                    continue;
                }
                walk_refs(v, &k.text, renames);
            }
            if is_subject
                && holder_kind.as_deref() == Some("ServiceAccount")
                && let Some(name) = holder_name.as_deref()
                && let Some(rn) = renames
                    .iter()
                    .find(|rn| rn.0 == "ServiceAccount" && rn.1 == name)
                && let Some(ns) = &rn.4
            {
                node.set(
                    "namespace",
                    RNode::string(ns.clone(), rn.5.as_ref()),
                    rn.5.as_ref(),
                );
            }
        }
        RVal::Seq(items) => {
            for i in items {
                walk_refs(i, parent_key, renames);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    /// A target pattern without regex syntax, compared as text, matches what the anchored
    /// regex kustomize compiles would match; one with syntax is that regex; an invalid one
    /// matches nothing.
    #[test]
    fn target_patterns_match_as_anchored_regexes() {
        let patterns = [
            "web",
            "my-app",
            "",
            "Deployment",
            "cert-manager.io",
            "web-.*",
            "Deployment|StatefulSet",
            "a+",
            "(unclosed",
        ];
        let values = [
            "web",
            "web-1",
            "my-app",
            "",
            "Deployment",
            "StatefulSet",
            "cert-manager.io",
            "cert-managerXio",
            "aaa",
            "xweb",
        ];
        let mut texts = 0;
        for p in patterns {
            let pattern = Pattern::new(p);
            texts += usize::from(matches!(pattern, Pattern::Text(_)));
            let re = regex::Regex::new(&format!("^(?:{p})$")).ok();
            for v in values {
                let want = re.as_ref().is_some_and(|re| re.is_match(v));
                assert_eq!(pattern.is_match(v), want, "{p:?} on {v:?}");
            }
        }
        assert_eq!(texts, 4, "plain names skip the regex");
    }
}
