//! `.accord.yaml`: the config file format, its discovery and the resolved settings.
//!
//! The file is read strictly from span-keeping YAML ([`ConfigFile`], which also generates
//! `schemas/config.schema.json`); references to rule ids and categories are checked against the
//! loaded rules and a typo is an error at its line. [`Settings`] is the resolved, cheap-to-query
//! form the rest of accord uses.

use crate::diagnostic::Severity;
use crate::manifest::de::from_node;
use crate::manifest::yaml::{self, Node, escape_token};
use crate::policy::{FileError, PRESETS, Rule};
use crate::schema;
use crate::source::{Source, Span};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Config file names looked for, in order, in each directory from the working directory up.
pub const FILE_NAMES: &[&str] = &[".accord.yaml", ".accord.yml"];

/// The exit-code threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Exit 1 on errors.
    #[default]
    Error,
    /// Exit 1 on warnings or errors.
    Warning,
    /// Exit 1 on any finding.
    Info,
    /// Never exit 1 for findings.
    Never,
}

impl FailOn {
    /// Does a finding of `s` fail the run?
    pub fn fails(self, s: Severity) -> bool {
        match self {
            FailOn::Error => s >= Severity::Error,
            FailOn::Warning => s >= Severity::Warning,
            FailOn::Info => true,
            FailOn::Never => false,
        }
    }
}

/// Owner defaults for a category.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerSpec {
    /// Owning ops team.
    #[serde(default)]
    pub owner: Option<String>,
    /// How to reach them.
    #[serde(default)]
    pub contact: Option<String>,
}

/// `schemas:` — validation against the Kubernetes schemas.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SchemasConfig {
    /// Validate every object against the schema of its kind (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Report fields the schema does not know (default true).
    #[serde(default = "yes")]
    pub strict: bool,
    /// Folders of custom resource JSON schemas in `{group}/{kind}_{version}.json` layout,
    /// relative to the config file.
    #[serde(default)]
    pub dirs: Vec<String>,
}

impl Default for SchemasConfig {
    fn default() -> Self {
        SchemasConfig {
            enabled: true,
            strict: true,
            dirs: Vec::new(),
        }
    }
}

/// The `.accord.yaml` file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Folders of rule files, relative to the config file.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Use the built-in rule library (default true).
    #[serde(default = "yes")]
    pub builtin: bool,
    /// Built-in preset: `default`, `pss-baseline`, `pss-restricted` or `all`.
    #[serde(default)]
    pub preset: Option<String>,
    /// Rule ids or categories to enable in addition to the preset.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Rule ids or categories to disable.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Severity overrides by rule id or category (rule id wins).
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Only lint files matching these globs (relative to the config file; empty: all).
    #[serde(default)]
    pub include: Vec<String>,
    /// Never lint files matching these globs.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Target Kubernetes version (`1.30`) for the deprecated / removed API rules; default 1.37.
    #[serde(default)]
    pub kubernetes_version: Option<String>,
    /// Exit 1 when a finding is at or above this severity.
    #[serde(default)]
    pub fail_on: Option<FailOn>,
    /// Owner and contact defaults per rule category.
    #[serde(default)]
    pub owners: BTreeMap<String, OwnerSpec>,
    /// Pod-bearing custom kinds: `group/Kind` (or `Kind`) → JSON Pointer of the pod template,
    /// e.g. `example.com/Batch: /spec/runner/template`. Workload rules then apply to them. Argo
    /// Rollouts, Knative Services and Configurations, KEDA ScaledJobs and OpenShift
    /// DeploymentConfigs are built in; an entry here overrides a built-in one.
    #[serde(default)]
    pub pod_templates: BTreeMap<String, String>,
    /// The central waivers file owned by ops, relative to this file (see
    /// `schemas/waivers.schema.json`).
    #[serde(default)]
    pub waivers: Option<String>,
    /// Rule ids or categories that may only be waived in the central waivers file: an
    /// `accord.dev/ignore` annotation for them is not honoured (authors cannot self-exempt).
    #[serde(default)]
    pub central_only: Vec<String>,
    /// CODEOWNERS file mapping manifest paths to the owning dev team, relative to this file
    /// (default: `.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS` when present).
    #[serde(default)]
    pub codeowners: Option<String>,
    /// Schema validation settings.
    #[serde(default)]
    pub schemas: SchemasConfig,
}

fn yes() -> bool {
    true
}

impl Default for ConfigFile {
    fn default() -> Self {
        ConfigFile {
            policies: Vec::new(),
            builtin: true,
            preset: None,
            enable: Vec::new(),
            disable: Vec::new(),
            severity: BTreeMap::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            kubernetes_version: None,
            fail_on: None,
            owners: BTreeMap::new(),
            pod_templates: BTreeMap::new(),
            waivers: None,
            central_only: Vec::new(),
            codeowners: None,
            schemas: SchemasConfig::default(),
        }
    }
}

/// A loaded config file with its source, for locating later errors.
#[derive(Debug, Clone)]
pub struct Config {
    /// Parsed content.
    pub file: ConfigFile,
    /// Where it came from (`None` for defaults).
    pub source: Option<Source>,
    /// Its tree.
    pub tree: Option<Arc<Node>>,
    /// Directory that relative paths in it are resolved against.
    pub dir: PathBuf,
}

impl Config {
    /// Defaults, rooted at `dir`.
    pub fn default_at(dir: &Path) -> Self {
        Config {
            file: ConfigFile::default(),
            source: None,
            tree: None,
            dir: dir.to_path_buf(),
        }
    }

    /// Parse a config file.
    pub fn parse(source: Source, dir: &Path) -> Result<Self, Vec<FileError>> {
        let parsed = yaml::parse(&source);
        if !parsed.issues.is_empty() {
            return Err(parsed
                .issues
                .iter()
                .map(|i| FileError::new(&source, i.span, i.message.clone()))
                .collect());
        }
        let Some(doc) = parsed.documents.into_iter().next() else {
            return Ok(Config {
                file: ConfigFile::default(),
                source: Some(source),
                tree: None,
                dir: dir.to_path_buf(),
            });
        };
        let file: ConfigFile = from_node(&doc.root)
            .map_err(|e| vec![FileError::from_de(&source, e, doc.root.span)])?;
        let cfg = Config {
            file,
            source: Some(source),
            tree: Some(Arc::new(doc.root)),
            dir: dir.to_path_buf(),
        };
        let mut errors = Vec::new();
        if let Some(p) = &cfg.file.preset
            && !PRESETS.contains(&p.as_str())
        {
            errors.push(cfg.error(
                "/preset",
                format!("unknown preset `{p}`; known: {}", PRESETS.join(", ")),
            ));
        }
        if let Some(v) = &cfg.file.kubernetes_version
            && parse_version(v).is_none()
        {
            errors.push(cfg.error(
                "/kubernetes-version",
                format!("`{v}` is not a Kubernetes version like `1.30`"),
            ));
        }
        for (k, p) in &cfg.file.pod_templates {
            if !p.is_empty() && !p.starts_with('/') {
                errors.push(cfg.error(
                    &format!("/pod-templates/{}", escape_token(k)),
                    format!("`{p}` must be a JSON Pointer such as `/spec/template`"),
                ));
            }
        }
        for (field, list) in [
            ("include", &cfg.file.include),
            ("exclude", &cfg.file.exclude),
        ] {
            for (i, g) in list.iter().enumerate() {
                if let Err(e) = globset::Glob::new(g) {
                    errors
                        .push(cfg.error(&format!("/{field}/{i}"), format!("bad glob `{g}`: {e}")));
                }
            }
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

    /// Find `.accord.yaml` from `start` upwards.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            for name in FILE_NAMES {
                let p = d.join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
            dir = d.parent();
        }
        None
    }

    /// An error at the node at `pointer` of the config file.
    pub fn error(&self, pointer: &str, message: String) -> FileError {
        let source = self
            .source
            .clone()
            .unwrap_or_else(|| crate::source::SourceFile::new("<config>", ""));
        let span = self
            .tree
            .as_ref()
            .and_then(|t| t.pointer(pointer).map(|n| n.span))
            .unwrap_or(Span::empty(0));
        FileError::new(&source, span, message)
    }

    /// The error location for a map key (severity/owners entries).
    fn key_error(&self, map: &str, key: &str, message: String) -> FileError {
        let source = self
            .source
            .clone()
            .unwrap_or_else(|| crate::source::SourceFile::new("<config>", ""));
        let span = self
            .tree
            .as_ref()
            .and_then(|t| t.key_span(&format!("{map}/{}", escape_token(key))))
            .unwrap_or(Span::empty(0));
        FileError::new(&source, span, message)
    }

    /// Select, override and annotate `rules` (built-in first, then user rules) per this config.
    pub fn apply(&self, rules: Vec<Rule>) -> Result<Vec<Rule>, Vec<FileError>> {
        let mut errors = Vec::new();
        let known = |name: &str| {
            rules
                .iter()
                .any(|r| r.id() == name || r.spec.category == name)
                || name == schema::CATEGORY
                || schema::rule(name).is_some()
        };
        for (field, list) in [
            ("enable", &self.file.enable),
            ("disable", &self.file.disable),
            ("central-only", &self.file.central_only),
        ] {
            for (i, name) in list.iter().enumerate() {
                if !known(name) {
                    errors.push(self.error(&format!("/{field}/{i}"), unknown_rule(name, &rules)));
                }
            }
        }
        for name in self.file.severity.keys() {
            if !known(name) {
                errors.push(self.key_error("/severity", name, unknown_rule(name, &rules)));
            }
        }
        for name in self.file.owners.keys() {
            if !rules.iter().any(|r| r.spec.category == *name) && name != schema::CATEGORY {
                errors.push(self.key_error(
                    "/owners",
                    name,
                    format!("no rule has category `{name}`"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let preset = self.file.preset.as_deref().unwrap_or("default");
        let selected = |r: &Rule| {
            let in_preset = self.file.builtin
                && (preset == "all" || r.spec.presets.iter().any(|p| p == preset));
            self.selects(r.id(), &r.spec.category, !r.builtin || in_preset)
        };
        let mut out = Vec::new();
        for mut r in rules {
            if !selected(&r) {
                continue;
            }
            if let Some(s) = self.severity_override(r.id(), &r.spec.category) {
                r.severity = s;
            }
            if let Some(o) = self.file.owners.get(&r.spec.category) {
                if r.owner.is_none() {
                    r.owner = o.owner.clone();
                }
                if r.contact.is_none() {
                    r.contact = o.contact.clone();
                }
            }
            out.push(r);
        }
        Ok(out)
    }

    /// Does the config select rule `id` of `category`? `default_on` is the answer when neither
    /// is named: a disabled id wins over an enabled one's category, an enabled id over a
    /// disabled category.
    fn selects(&self, id: &str, category: &str, default_on: bool) -> bool {
        let has = |list: &[String], name: &str| list.iter().any(|n| n == name);
        let f = &self.file;
        if has(&f.disable, id) {
            return false;
        }
        if has(&f.enable, id) {
            return true;
        }
        if has(&f.disable, category) {
            return false;
        }
        has(&f.enable, category) || default_on
    }

    /// The configured severity of rule `id` of `category` (the rule id wins).
    fn severity_override(&self, id: &str, category: &str) -> Option<Severity> {
        self.file
            .severity
            .get(id)
            .or_else(|| self.file.severity.get(category))
            .copied()
    }

    /// The severity of a rule that is on unless disabled (schema findings), or `None` when the
    /// config disables it.
    pub fn rule_severity(&self, id: &str, category: &str, default: Severity) -> Option<Severity> {
        self.selects(id, category, true)
            .then(|| self.severity_override(id, category).unwrap_or(default))
    }
}

fn unknown_rule(name: &str, rules: &[Rule]) -> String {
    let mut names: Vec<&str> = rules.iter().map(|r| r.id()).collect();
    names.extend(rules.iter().map(|r| r.spec.category.as_str()));
    names.extend(schema::SCHEMA_RULES.iter().map(|r| r.id));
    names.push(schema::CATEGORY);
    match crate::manifest::de::closest(name, &names) {
        Some(c) => format!("unknown rule or category `{name}` (did you mean `{c}`?)"),
        None => format!("unknown rule or category `{name}`"),
    }
}

/// Parse `1.30` / `v1.30.2` into (major, minor).
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches('v');
    let mut it = v.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    if let Some(p) = it.next() {
        p.parse::<u32>().ok()?;
    }
    Some((major, minor))
}
