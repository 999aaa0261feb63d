//! accord: lint Kubernetes GitOps repositories against operations policies written as data.
//!
//! Module map (dependencies point one way, down this list):
//! - [`source`]: files, byte spans, line index. Depends on nothing.
//! - [`manifest`]: span-keeping YAML → Kubernetes objects; strict span-aware deserialization.
//! - [`diagnostic`]: the one finding type and its fix; never renders itself.
//! - [`policy`]: rules as data — the rule file format, loading, validation, compilation.
//! - [`config`]: `.accord.yaml` — format, discovery, validation, resolved settings.
//! - [`engine`]: parallel evaluation of objects × rules, the small typed operator set, fixes.
//! - [`kustomize`]: overlays rendered natively, every field remembering the file and line it came from.
//! - [`schema`]: validation against the embedded Kubernetes schemas and the linted CRDs.
//! - [`render`]: one emitter per output format over `&[Diagnostic]`.
//! - [`handbook`]: `accord docs` — the static HTML/markdown policy handbook.
//! - [`load`]: finding and reading manifest files from the file system or any git revision, and
//!   the rules and config in force at a revision.
//! - [`diff`]: what a change did — objects matched by identity, field changes, the finding
//!   delta (introduced / unchanged / fixed), the policy blast radius, annotated hunks.
//! - [`review`]: delivering findings to pull requests (GitHub reviews, summary comment, annotations).
//! - [`testing`]: `accord test` — running rule examples and fixtures.
//! - [`waiver`]: waivers (annotations and the central file), expiry, stale waivers, CODEOWNERS.
//! - [`cli`]: argument parsing and commands; the only module that uses `anyhow` and the environment.

pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod engine;
pub mod handbook;
pub mod kustomize;
pub mod load;
pub mod manifest;
pub mod policy;
pub mod render;
pub mod review;
pub mod schema;
pub mod source;
pub mod testing;
pub mod waiver;
