//! `accord init`: scaffold a repository — config, a sample rule with examples, a waivers file
//! and a GitHub workflow. Never overwrites: existing files are kept and listed.

use super::Outcome;
use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `accord init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Repository root to scaffold (default: the working directory).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

const CONFIG: &str = r##"# accord configuration — see `accord schema config` for every key.
# Rule folders (each rule is one YAML file; `accord test policies` runs their examples).
policies: [policies]
# Built-in preset: default, pss-baseline, pss-restricted or all.
preset: default
# Exit 1 on findings at or above this severity.
fail-on: error
# Who owns each category of rules: findings say "ask <owner> about this rule".
owners:
  local:
    owner: platform-team
    contact: "#platform"
# Exceptions approved by ops (see accord-waivers.yaml); annotations cannot waive these.
waivers: accord-waivers.yaml
central-only: [security]
# Manifest path → owning dev team; default: .github/CODEOWNERS or CODEOWNERS.
# codeowners: .github/CODEOWNERS
"##;

const RULE: &str = r#"id: team-label
title: Workloads must name their owning team
severity: warning
category: local
description: |
  Flags workloads without a `team` label.
why: |
  When a workload misbehaves at 3 a.m., the on-call engineer must know which team to page.
  The `team` label is what alerts and dashboards route on.
help: Add a `team` label to `metadata.labels` naming the owning team.
match:
  kinds: [workloads]
require:
  field: /metadata/labels/team
  exists: true
message: "{{object.ref}} has no `team` label"
examples:
  invalid:
    - |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: api
      spec:
        selector:
          matchLabels: {app: api}
        template:
          metadata:
            labels: {app: api}
          spec:
            containers:
              - name: api
                image: example/api:1.0
  valid:
    - |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: api
        labels:
          team: payments
      spec:
        selector:
          matchLabels: {app: api}
        template:
          metadata:
            labels: {app: api}
          spec:
            containers:
              - name: api
                image: example/api:1.0
"#;

const WAIVERS: &str = r#"# Central waivers, owned by ops (schema: `accord schema waivers`).
# Each entry is an exception to one rule for one target, with a reason, a ticket, an approver
# and an end date; expired waivers stop applying, waivers matching nothing are reported stale.
#
# waivers:
#   - rule: privileged-container
#     target:
#       kind: DaemonSet
#       namespace: monitoring
#       name: node-exporter
#       # files: ["apps/monitoring/**"]
#       # container: exporter
#     reason: reads host metrics from /proc and /sys
#     ticket: https://tracker.example.com/OPS-123
#     approved-by: ops-security
#     expires: 2026-12-31
waivers: []
"#;

const WORKFLOW: &str = r#"name: accord
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  accord:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Install accord
        run: cargo install --locked accord
      - name: Rules pass their own examples
        run: accord test policies
      - name: Lint manifests
        run: accord lint .
"#;

/// The files `init` writes: (path relative to the root, contents).
pub const FILES: &[(&str, &str)] = &[
    (".accord.yaml", CONFIG),
    ("policies/local/team-label.yaml", RULE),
    ("accord-waivers.yaml", WAIVERS),
    (".github/workflows/accord.yaml", WORKFLOW),
];

/// Run `accord init`.
pub fn run(args: InitArgs) -> Result<Outcome> {
    if !args.dir.is_dir() {
        anyhow::bail!("{} is not a directory", args.dir.display());
    }
    let existing_config = crate::config::FILE_NAMES
        .iter()
        .map(|n| args.dir.join(n))
        .find(|p| p.is_file());
    for (rel, text) in FILES {
        let path = args.dir.join(rel);
        if path.exists() || (*rel == ".accord.yaml" && existing_config.is_some()) {
            println!("kept    {rel} (exists; not overwritten)");
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        // `create_new` never replaces a file, even one created since the check above.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(text.as_bytes())?;
        println!("created {rel}");
    }
    println!(
        "next: `accord test policies` checks the sample rule, `accord lint .` lints the repository"
    );
    Ok(Outcome::Clean)
}
