//! The rule file format, as Rust types.
//!
//! These types are the single source of truth for `schemas/policy.schema.json` (generated with
//! schemars; a test fails when the committed copy is stale) and are read strictly: every struct
//! denies unknown keys, so a typo is an error at its line.

use crate::diagnostic::Severity;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One rule: metadata, documentation, what it matches, the condition, the message, the fix and
/// examples — everything about a rule in one YAML file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    /// Stable kebab-case identifier naming the pattern (e.g. `privileged-container`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Default severity.
    pub severity: Severity,
    /// Category (e.g. `security`, `reliability`, `resources`); config can set owners per category.
    pub category: String,
    /// Ops team that owns the requirement (config may default it per category).
    #[serde(default)]
    pub owner: Option<String>,
    /// How to reach the owner (channel, e-mail, URL).
    #[serde(default)]
    pub contact: Option<String>,
    /// What the rule checks (markdown; "What it does").
    #[serde(default)]
    pub description: Option<String>,
    /// Why ops require this: the risk and the incident it prevents (markdown).
    pub why: String,
    /// What the developer should do (one or two sentences, ends with a period).
    pub help: String,
    /// Link to upstream documentation.
    #[serde(default)]
    pub docs: Option<String>,
    /// Equivalent checks of other tools (`kube-linter/privileged-container`,
    /// `polaris/runAsPrivileged`, `kube-score/container-security-context-privileged`,
    /// `pss/baseline/privileged`), so people migrating can find the rule (`accord explain` accepts
    /// them too).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Lifecycle of the rule.
    #[serde(default)]
    pub status: Status,
    /// Presets this rule belongs to (`default`, `pss-baseline`, `pss-restricted`; `all` is implicit).
    #[serde(default)]
    pub presets: Vec<String>,
    /// Which objects the rule applies to.
    #[serde(default, rename = "match")]
    pub match_: MatchSpec,
    /// Which version of the matched objects is checked: `present` (default) checks the objects
    /// of the revision being linted; `removed` checks, in `accord diff`, the BASE version of
    /// objects the change deletes (e.g. "a PersistentVolumeClaim must not be deleted") and never
    /// fires in plain `lint`. See `$old` in conditions for rules on how an object changed.
    #[serde(default)]
    pub applies_to: AppliesTo,
    /// Sub-nodes to check one by one: `containers` (regular, init and ephemeral containers of
    /// every workload kind), `main-containers`, `init-containers`, `pod-spec`, `pod-template`,
    /// `volumes`, or a JSON Pointer pattern where `*` matches every list item or map value —
    /// from the object root (`/spec/rules/*`), from the pod spec (`$pod/volumes/*`), or below
    /// each container (`containers/ports/*`, `main-containers/env/*`; `$container/…` fields and
    /// `{{container.name}}` then refer to the enclosing container). A list selects the union
    /// (`[/spec/defaultBackend, /spec/rules/*/http/paths/*/backend]`). Without `each`, the object
    /// itself is checked.
    #[serde(default)]
    pub each: Option<OneOrMany>,
    /// Only check nodes for which this condition holds.
    #[serde(default)]
    pub when: Option<Condition>,
    /// The node must satisfy this condition; a finding where it does not.
    #[serde(default)]
    pub require: Option<Condition>,
    /// The node must not satisfy this condition; a finding where it does.
    #[serde(default)]
    pub forbid: Option<Condition>,
    /// Message template. Placeholders: `{{object.kind}}`, `{{object.name}}`,
    /// `{{object.namespace}}`, `{{object.ref}}` (Kind namespace/name), `{{container.name}}` /
    /// `{{item.<field>}}` (fields of the checked node), `{{value}}` (the offending value),
    /// `{{path}}` (its JSON Pointer), `{{field}}` (its last key).
    pub message: String,
    /// A machine fix.
    #[serde(default)]
    pub fix: Option<FixSpec>,
    /// Example manifests: `invalid` must produce this rule's finding, `valid` must not.
    pub examples: Examples,
}

/// Which version of an object a rule checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppliesTo {
    /// Objects that exist in the revision being linted (with `$old` = their BASE version in a diff).
    #[default]
    Present,
    /// Objects that exist at BASE and are deleted by the change (diff only; the finding points
    /// at the deleted lines, and `$old` is the deleted object).
    Removed,
}

/// Rule lifecycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Stable.
    #[default]
    Stable,
    /// New; may change.
    Preview,
    /// Will be removed.
    Deprecated,
}

/// Which objects a rule applies to.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MatchSpec {
    /// Kinds (`Deployment`), `group/Kind` (`apps/Deployment`), or the group `workloads`
    /// (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
    /// plus pod-bearing custom kinds from config). Empty means every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Namespace globs to include / exclude (objects without a namespace are in `default`).
    #[serde(default)]
    pub namespaces: Option<IncludeExclude>,
    /// Labels the object must have: key → value glob (`*` means "present").
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations the object must have: key → value glob (`*` means "present").
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Objects with any of these labels (key → value glob) are not checked.
    #[serde(default)]
    pub exclude_labels: BTreeMap<String, String>,
}

/// Include and exclude glob lists.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeExclude {
    /// Globs to include (empty: all).
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs to exclude.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A condition on a node. Give `all`, `any`, `not`, `schema`, `related` or `api-status`, or a
/// `field` (JSON Pointer relative to the checked node; `*` matches every item) with one or more
/// operators, which must all hold. Without `field`, operators apply to the node itself.
///
/// Transition rules compare the object with its BASE version in `accord diff`: a field starting
/// with `$old` (e.g. `$old/spec/selector`) reads the BASE version of the object, from its root.
/// When there is no BASE version (plain `lint`, or an object the change adds), `$old` fields are
/// missing, so guard such rules with `when: {field: $old/..., exists: true}`. Compare old and
/// new with `same-as: $old/...` or with a field reference in `gt`/`gte`/`lt`/`lte`
/// (`gte: {field: $old/spec/replicas, times: 0.5}`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Condition {
    /// Holds when every sub-condition holds.
    #[serde(default)]
    pub all: Option<Vec<Condition>>,
    /// Holds when at least one sub-condition holds.
    #[serde(default)]
    pub any: Option<Vec<Condition>>,
    /// Holds when the sub-condition does not.
    #[serde(default)]
    pub not: Option<Box<Condition>>,
    /// Holds when the node is valid against this JSON Schema (draft 2020-12). Errors point at the
    /// exact failing node.
    #[serde(default)]
    #[schemars(with = "serde_json::Value")]
    pub schema: Option<serde_json::Value>,
    /// JSON Pointer, relative to the checked node, of the field the operators test; start it with
    /// `$pod` to read the workload's pod spec (e.g. `$pod/securityContext/runAsNonRoot`),
    /// `$template` for its pod template (`$template/metadata/labels`), `$container` for the
    /// enclosing container (with `each: containers/…`), `$object` for the object root,
    /// `$source` inside `related.where` / `some.where` for the node being related from, or
    /// `$origin` / `$origin-object` inside nested `where`s for the rule's own checked node and
    /// its object's root, or `$old` to read the BASE version of the object in a diff (missing
    /// outside diffs and for added objects).
    #[serde(default)]
    pub field: Option<String>,
    /// The field is present (`true`) or absent (`false`). A field set to `null` counts as absent.
    #[serde(default)]
    pub exists: Option<bool>,
    /// The field equals this value.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub equals: Option<serde_json::Value>,
    /// The field equals one of these values.
    #[serde(default, rename = "in")]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub in_: Option<Vec<serde_json::Value>>,
    /// The field is a string matching this regular expression (Rust `regex` syntax).
    #[serde(default)]
    pub matches: Option<String>,
    /// Greater than (numbers, or Kubernetes quantities such as `512Mi`, `250m`). Every numeric
    /// comparison also accepts a field reference, `{field: $old/spec/replicas, times: 0.5}`: the
    /// value of that field times the factor (`times` defaults to 1); it fails when that field
    /// is missing or not a number.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub gt: Option<serde_json::Value>,
    /// Greater than or equal.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub gte: Option<serde_json::Value>,
    /// Less than.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub lt: Option<serde_json::Value>,
    /// Less than or equal.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub lte: Option<serde_json::Value>,
    /// The field is a list containing this value (strings compare case-insensitively).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub contains: Option<serde_json::Value>,
    /// The field is a container image reference whose tag is one of these (`""` = no tag and
    /// no digest, which pulls `latest`).
    #[serde(default)]
    pub image_tag_in: Option<Vec<String>>,
    /// The field is an image reference pinned by digest (`true`) or not (`false`).
    #[serde(default)]
    pub image_has_digest: Option<bool>,
    /// The field is a list whose items have unique values at this key (e.g. `name`).
    #[serde(default)]
    pub unique_by: Option<String>,
    /// The field is semantically equal to the field at this path (usually `$old/...`): map key
    /// order, formatting and the order of keyed lists do not matter. Both missing counts as equal.
    #[serde(default)]
    pub same_as: Option<String>,
    /// The field is a label selector (plain map or `LabelSelector`) that selects the labels at
    /// this anchored path (e.g. `$template/metadata/labels`).
    #[serde(default)]
    pub selects: Option<String>,
    /// The checked node sits under a mapping key matching this regular expression (e.g. with
    /// `each: /data/*`, the ConfigMap key).
    #[serde(default)]
    pub key_matches: Option<String>,
    /// The field compared with another field (of this node, or anchored: `$pod/…`,
    /// `$container/…`, `$object/…`, and `$source/…` inside `related.where`).
    #[serde(default)]
    pub compare: Option<CompareSpec>,
    /// Holds when another object being linted relates to the checked node as described
    /// (cross-object rules). See [`RelatedSpec`].
    #[serde(default)]
    pub related: Option<RelatedSpec>,
    /// Holds when at least one node at a path pattern of the same object satisfies a condition
    /// (`some: {each: $pod/volumes/*, where: {…}}`; inside `where`, `$source/…` reads the checked
    /// node).
    #[serde(default)]
    pub some: Option<SomeSpec>,
    /// The object's `apiVersion` + `kind` is `deprecated` (deprecated but still served) or
    /// `removed` in the target Kubernetes version (config `kubernetes-version`), per the built-in
    /// API lifecycle table. Sets `{{api.replacement}}`, `{{api.deprecated-in}}`,
    /// `{{api.removed-in}}`, `{{api.target}}` and `{{api.advice}}` for the message and fix.
    #[serde(default)]
    pub api_status: Option<ApiStatus>,
}

/// `some`: a quantifier over nodes of the same object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SomeSpec {
    /// Path pattern (`*` allowed), relative to the checked node or anchored (`$pod/…`,
    /// `$container/…`, `$template/…`, `$object/…`).
    pub each: String,
    /// Condition each candidate is tested with (the candidate is the checked node).
    #[serde(rename = "where")]
    pub where_: Box<Condition>,
}

/// Lifecycle states of an API version in the target Kubernetes version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ApiStatus {
    /// Deprecated in or before the target version but still served by it.
    Deprecated,
    /// No longer served by the target version.
    Removed,
}

/// A string or a list of strings.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, in order.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Comparison operators of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CompareOp {
    /// Equal (scalars, or whole lists / mappings).
    Equals,
    /// Different (a missing other field counts as different).
    NotEquals,
    /// Equal to one of the values the other path pattern (with `*`) resolves to.
    In,
    /// Greater than (numbers or quantities).
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
}

/// Compare the field with another field: `compare: {op: lte, field: $source/spec/minAvailable}`.
/// A missing field on either side makes every operator but `not-equals` false.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CompareSpec {
    /// The operator.
    pub op: CompareOp,
    /// The other field (anchored path; `*` allowed with `in`).
    pub field: String,
}

/// Namespace rule of a relation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NamespaceMode {
    /// Same namespace; an object without `metadata.namespace` gets one at apply time, so it
    /// matches any namespace (keeps false positives rare in kustomize / Argo CD repositories).
    #[default]
    Same,
    /// Any namespace (cluster-scoped targets such as ClusterRole).
    Any,
}

/// Which other objects a relation may reach, by where they were read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RelationScope {
    /// Everything linted together.
    #[default]
    All,
    /// Objects from files in the same directory (files applied together, e.g. one kustomization).
    Directory,
    /// Objects from the same file (one rendered stream).
    File,
}

/// One equality between the checked node and a related object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RelationMatch {
    /// Path(s) of the value on the checked node (anchors allowed); the first one present is
    /// used. When none is present, `default` is used, or else this equality is skipped.
    pub source: OneOrMany,
    /// Value to use when no `source` path is present (e.g. `default` for a service account).
    #[serde(default)]
    pub default: Option<String>,
    /// Path pattern(s) on the related object (from its root, `*` allowed); one of the values
    /// found must equal the source value (strings and numbers compare by text, so a port `80`
    /// matches `"80"`).
    pub target: OneOrMany,
}

/// A relation to other objects being linted, evaluated over everything linted together
/// (e.g. a Service and the workloads its selector must match). The condition holds when at
/// least one other object satisfies every part given:
///
/// - `kinds`: its kind (`Kind`, `group/Kind`, `workloads`, or `self` for the checked object's own
///   group and kind);
/// - `namespace`: `same` (default) or `any`;
/// - `scope`: `all` objects linted together (default), or only those from the same `directory`
///   or `file`;
/// - `match`: equalities between values of the checked node and the object (a reference by
///   name, port, kind…). When every `source` is missing, the checked node references nothing
///   and the condition holds;
/// - `selector`: a label selector on the checked node (a plain label map as in a Service, or a
///   `LabelSelector` with `matchLabels` / `matchExpressions`) that must select the object's pod
///   labels (its pod template's labels for workloads, else its own labels). A missing selector
///   selects nothing; an empty `LabelSelector` (`{}`) selects everything;
/// - `selected-by`: a selector path on the object that must select the checked object's pod
///   labels;
/// - `where`: a condition on the object (its root is the checked node; `$source/…` reads the
///   checked node of the rule).
///
/// A finding is located at the first `match` source (the dangling reference) or the selector.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RelatedSpec {
    /// Kinds of the related objects.
    pub kinds: Vec<String>,
    /// Namespace rule.
    #[serde(default)]
    pub namespace: NamespaceMode,
    /// Which linted objects are candidates: `all` (default), `directory` or `file`.
    #[serde(default)]
    pub scope: RelationScope,
    /// Equalities (references by name, port, kind…).
    #[serde(default, rename = "match")]
    pub match_: Vec<RelationMatch>,
    /// Selector on the checked node that must select the object's pod labels.
    #[serde(default)]
    pub selector: Option<String>,
    /// Selector path on the object that must select the checked object's pod labels.
    #[serde(default)]
    pub selected_by: Option<String>,
    /// Condition on the related object.
    #[serde(default, rename = "where")]
    pub where_: Option<Box<Condition>>,
}

/// A fix: structural edits plus whether they are safe to apply without review.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FixSpec {
    /// One line describing the change (e.g. "Set `privileged: false`").
    pub title: String,
    /// Safe fixes keep the intent and are applied by `accord lint --fix`; unsafe ones need
    /// `--unsafe-fixes`.
    pub safe: bool,
    /// The edits, applied in order.
    pub edits: Vec<EditSpec>,
}

/// One edit. Paths are JSON Pointers relative to the checked node (`each`). A string `value` may
/// use the message placeholders (`"{{api.replacement}}"`); when a placeholder has no value for a
/// finding, that finding gets no fix. A relation or lookup may also make a safe fix unsafe for
/// one finding (the API lifecycle table marks which apiVersion moves are mechanical).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EditSpec {
    /// Set the value at this path (creating missing parents).
    #[serde(default)]
    pub set: Option<String>,
    /// Remove the key or item at this path.
    #[serde(default)]
    pub remove: Option<String>,
    /// Append `value` to the list at this path (creating it when missing; no-op if present).
    #[serde(default)]
    pub add: Option<String>,
    /// The value for `set` / `add`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub value: Option<serde_json::Value>,
}

impl EditSpec {
    /// The operation (`set`, `remove` or `add`) and its path relative to the checked node; a
    /// `set` at the node itself when none is given.
    pub fn op(&self) -> (&'static str, &str) {
        match (&self.set, &self.remove, &self.add) {
            (Some(p), _, _) => ("set", p),
            (_, Some(p), _) => ("remove", p),
            (_, _, Some(p)) => ("add", p),
            _ => ("set", ""),
        }
    }
}

/// Example manifests, each a YAML string (multi-document allowed).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Manifests that must not produce this rule's finding.
    #[serde(default)]
    pub valid: Vec<String>,
    /// Manifests that must produce at least one finding of this rule.
    #[serde(default)]
    pub invalid: Vec<String>,
    /// Examples for transition rules (`$old`, `applies-to: removed`): a BASE and a HEAD version.
    #[serde(default)]
    pub transitions: Transitions,
}

/// Transition examples: each is linted as a change from `old` to `new`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transitions {
    /// Changes that must not produce this rule's finding.
    #[serde(default)]
    pub valid: Vec<TransitionExample>,
    /// Changes that must produce at least one finding of this rule.
    #[serde(default)]
    pub invalid: Vec<TransitionExample>,
}

/// One change: the manifests at BASE and at HEAD (objects are matched by identity; an empty
/// string means "no objects", e.g. a deletion).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionExample {
    /// The manifests at BASE.
    #[serde(default)]
    pub old: String,
    /// The manifests at HEAD.
    #[serde(default)]
    pub new: String,
}
