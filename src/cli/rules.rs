//! `accord rules`, `accord explain`, `accord schema`.

use super::Outcome;
use super::common::{RuleOpts, setup, setup_all};
use crate::policy::{Rule, catalogue};
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// Arguments of `accord rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// List every available rule, not only those the config and preset activate.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub rules: RuleOpts,
}

/// Formats of `accord rules`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ListFormat {
    /// A table.
    Text,
    /// JSON array.
    Json,
    /// The Markdown rule catalogue (`docs/rules.md`).
    Markdown,
}

/// Arguments of `accord explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule id, or an equivalent check of another tool (`kube-linter/privileged-container`).
    pub rule: String,
    /// Explain, step by step, why the rule does or does not flag the objects of FILE (or only
    /// the object named NAME or KIND/NAME in it).
    #[arg(long, value_name = "FILE[:NAME]")]
    pub object: Option<String>,
    #[command(flatten)]
    pub rules: RuleOpts,
}

/// Arguments of `accord schema`.
#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum)]
    pub which: Which,
}

/// Generated schemas.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Which {
    /// Rule files.
    Policy,
    /// `.accord.yaml`.
    Config,
    /// `lint --format json` output.
    Report,
    /// The central waivers file.
    Waivers,
}

fn fixable(r: &Rule) -> bool {
    r.fix.is_some()
}

/// Write to standard output; a closed pipe (`| head`) surfaces as an `io::Error` the CLI ignores.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// `accord rules`.
pub fn list(args: RulesArgs) -> Result<Outcome> {
    let s = if args.all {
        setup_all(&args.rules, None)?
    } else {
        setup(&args.rules, None)?
    };
    let mut out = String::new();
    match args.format {
        ListFormat::Json => {
            let v: Vec<_> = s
                .rules
                .iter()
                .map(|r| {
                    let fix = match catalogue::fix_kind(r) {
                        "" => serde_json::Value::Null,
                        k => serde_json::Value::from(k),
                    };
                    serde_json::json!({
                        "id": r.id(), "title": r.spec.title, "severity": r.severity.as_str(),
                        "category": r.spec.category, "fixable": fixable(r), "fix": fix,
                        "presets": r.spec.presets, "aliases": r.spec.aliases,
                        "owner": r.owner, "builtin": r.builtin,
                    })
                })
                .collect();
            out = serde_json::to_string_pretty(&v)? + "\n";
        }
        ListFormat::Markdown => out = catalogue::markdown(&s.rules),
        ListFormat::Text => {
            use std::fmt::Write as _;
            let w = s
                .rules
                .iter()
                .map(|r| r.id().len())
                .max()
                .unwrap_or(4)
                .max(4);
            let _ = writeln!(
                out,
                "{:w$}  {:8}  {:11}  {:6}  TITLE",
                "RULE", "SEVERITY", "CATEGORY", "FIX"
            );
            for r in &s.rules {
                let _ = writeln!(
                    out,
                    "{:w$}  {:8}  {:11}  {:6}  {}",
                    r.id(),
                    r.severity.as_str(),
                    r.spec.category,
                    catalogue::fix_kind(r),
                    r.spec.title
                );
            }
            let fixable = s.rules.iter().filter(|r| fixable(r)).count();
            let _ = writeln!(out, "\n{} rules, {} fixable", s.rules.len(), fixable);
        }
    }
    write_stdout(&out)?;
    Ok(Outcome::Clean)
}

/// Markdown explanation of a rule.
pub fn explain_text(r: &Rule) -> String {
    let mut o = format!("# {}: {}\n\n", r.id(), r.spec.title);
    o.push_str(&format!(
        "Severity: {} · Category: {}",
        r.severity.as_str(),
        r.spec.category
    ));
    let mut presets = r.spec.presets.clone();
    presets.push("all".into());
    o.push_str(&format!(" · Presets: {}", presets.join(", ")));
    if let Some(owner) = &r.owner {
        o.push_str(&format!(" · Owner: {owner}"));
    }
    if let Some(c) = &r.contact {
        o.push_str(&format!(" ({c})"));
    }
    o.push_str("\n\n");
    if let Some(d) = &r.spec.description {
        o.push_str(&format!("## What it does\n\n{}\n\n", d.trim()));
    }
    o.push_str(&format!(
        "## Why\n\n{}\n\n## What to do\n\n{}\n\n",
        r.spec.why.trim(),
        r.spec.help.trim()
    ));
    if let Some(f) = &r.fix {
        o.push_str(&format!(
            "## Fix ({})\n\n{}\n\n",
            if f.safe { "safe" } else { "unsafe" },
            f.title
        ));
    }
    if !r.spec.aliases.is_empty() {
        let aliases: Vec<String> = r.spec.aliases.iter().map(|a| format!("`{a}`")).collect();
        o.push_str(&format!(
            "## Equivalent checks\n\n{}\n\n",
            aliases.join(", ")
        ));
    }
    for (i, ex) in r.spec.examples.invalid.iter().enumerate() {
        o.push_str(&format!(
            "## Example{}\n\n```yaml\n{}\n```\n\n",
            if i == 0 {
                String::new()
            } else {
                format!(" {}", i + 1)
            },
            ex.trim_end()
        ));
    }
    for (i, t) in r.spec.examples.transitions.invalid.iter().enumerate() {
        let n = if i == 0 {
            String::new()
        } else {
            format!(" {}", i + 1)
        };
        o.push_str(&format!(
            "## Example change{n}\n\nBefore:\n\n```yaml\n{}\n```\n\nAfter:\n\n```yaml\n{}\n```\n\n",
            t.old.trim_end(),
            t.new.trim_end()
        ));
    }
    for ex in &r.spec.examples.valid {
        o.push_str(&format!(
            "## Use instead\n\n```yaml\n{}\n```\n\n",
            ex.trim_end()
        ));
    }
    if let Some(d) = &r.spec.docs {
        o.push_str(&format!("Docs: {d}\n"));
    }
    o
}

/// Markdown explanation of a schema finding's rule.
fn schema_rule_text(r: &crate::schema::SchemaRule) -> String {
    format!(
        "# {}: {}\n\nSeverity: {} · Category: {}\n\n## Why\n\n{}\n\n## What to do\n\n{}\n",
        r.id,
        r.title,
        r.severity.as_str(),
        crate::schema::CATEGORY,
        r.why,
        r.help
    )
}

/// `accord explain`.
pub fn explain(args: ExplainArgs) -> Result<Outcome> {
    let mut opts: RuleOpts = args.rules.clone();
    opts.only.clear();
    let s = setup_all(&opts, None)?;
    let found = crate::policy::find_all(&s.rules, &args.rule);
    let Some(r) = found.first().copied() else {
        if let Some(r) = crate::schema::rule(&args.rule) {
            print!("{}", schema_rule_text(r));
            return Ok(Outcome::Clean);
        }
        let mut ids: Vec<&str> = s.rules.iter().map(Rule::id).collect();
        ids.extend(crate::schema::SCHEMA_RULES.iter().map(|r| r.id));
        match crate::manifest::de::closest(&args.rule, &ids) {
            Some(c) => bail!("no rule `{}` (did you mean `{c}`?)", args.rule),
            None => bail!("no rule `{}`; `accord rules --all` lists them", args.rule),
        }
    };
    match &args.object {
        Some(o) => explain_object(&s, r, o),
        None => {
            let mut text = explain_text(r);
            for other in &found[1..] {
                text.push_str("\n---\n\n");
                text.push_str(&explain_text(other));
            }
            write_stdout(&text)?;
            Ok(Outcome::Clean)
        }
    }
}

/// Split `FILE[:NAME]`: the part after the last `:` is a name only when the whole is not a file.
fn split_object_arg(arg: &str) -> (PathBuf, Option<String>) {
    if Path::new(arg).is_file() {
        return (PathBuf::from(arg), None);
    }
    match arg.rsplit_once(':') {
        Some((f, n)) if !n.is_empty() => (PathBuf::from(f), Some(n.to_string())),
        _ => (PathBuf::from(arg), None),
    }
}

/// `accord explain RULE --object FILE[:NAME]`: the step-by-step trace, then the waiver.
fn explain_object(s: &super::common::Setup, rule: &Rule, arg: &str) -> Result<Outcome> {
    let (path, name) = split_object_arg(arg);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let files = vec![crate::manifest::read(
        crate::load::display_path(&path, &s.cwd),
        text,
    )];
    let objects: Vec<&crate::manifest::Object> = files[0]
        .objects
        .iter()
        .filter(|o| {
            name.as_deref().is_none_or(|n| {
                let on = o.id.name.as_deref().unwrap_or_default();
                n == on || n == format!("{}/{on}", o.id.kind)
            })
        })
        .collect();
    if objects.is_empty() {
        let names: Vec<String> = files[0]
            .objects
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o.id.kind,
                    o.id.name.as_deref().unwrap_or("<unnamed>")
                )
            })
            .collect();
        bail!(
            "no object{} in {}; it holds: {}",
            name.map(|n| format!(" named `{n}`")).unwrap_or_default(),
            path.display(),
            if names.is_empty() {
                "no Kubernetes objects".into()
            } else {
                names.join(", ")
            }
        );
    }
    let all: Vec<&crate::manifest::Object> = files[0].objects.iter().collect();
    let index = crate::engine::Index::new(&all, &s.ctx);
    let waivers = s.waivers()?;
    let mut opts = s.waiver_options(super::common::today()?, &[]);
    opts.ran = std::iter::once(rule.id().to_string()).collect();
    let repo_path = |d: &str| s.repo_path(d);
    let mut out = String::new();
    for obj in objects {
        let start = obj.source.position(obj.node().span.start());
        out.push_str(&format!(
            "{} on {} ({}:{})\n",
            rule.id(),
            obj.id.display(),
            obj.source.path,
            start.line
        ));
        let (steps, mut diags) = crate::engine::trace::explain(rule, obj, &s.ctx, &index);
        for st in &steps {
            let mark = match st.ok {
                Some(true) => "✓ ",
                Some(false) => "✗ ",
                None => "",
            };
            out.push_str(&format!("{}{mark}{}\n", "  ".repeat(st.depth + 1), st.text));
        }
        crate::waiver::apply(&mut diags, &files, &waivers, &opts, &repo_path);
        diags.retain(|d| d.object.as_ref() == Some(&obj.id));
        let findings: Vec<_> = diags.iter().filter(|d| d.rule == rule.id()).collect();
        if findings.is_empty() {
            out.push_str("  result: no finding\n");
        }
        for d in &findings {
            out.push_str(&format!(
                "  finding at {}:{}:{} ({}): {}\n",
                d.location.file(),
                d.location.start.line,
                d.location.start.column,
                if d.path.is_empty() { "/" } else { &d.path },
                d.message
            ));
            match &d.waiver {
                Some(w) if !w.expired => out.push_str(&format!(
                    "    waiver: ✓ waived — {}\n",
                    crate::render::text::waiver_text(w)
                )),
                Some(w) => out.push_str(&format!(
                    "    waiver: ✗ expired, the finding is active — {}\n",
                    crate::render::text::waiver_text(w)
                )),
                None => {
                    let refused: Vec<_> = d
                        .labels
                        .iter()
                        .filter(|l| l.message.contains("not honoured"))
                        .collect();
                    if refused.is_empty() {
                        out.push_str("    waiver: none (the finding is active)\n");
                    }
                    for l in refused {
                        out.push_str(&format!(
                            "    waiver: ✗ {}:{}: {}\n",
                            l.location.file(),
                            l.location.start.line,
                            l.message
                        ));
                    }
                }
            }
        }
        for d in diags
            .iter()
            .filter(|d| d.rule == crate::diagnostic::STALE_WAIVER)
        {
            out.push_str(&format!(
                "  waiver: {}:{}: {}\n",
                d.location.file(),
                d.location.start.line,
                d.message
            ));
        }
        out.push('\n');
    }
    print!("{out}");
    Ok(Outcome::Clean)
}

/// The generated JSON Schemas.
pub fn schema_json(which: Which) -> serde_json::Value {
    match which {
        Which::Policy => {
            serde_json::to_value(schemars::schema_for!(crate::policy::model::RuleSpec))
                .expect("schema")
        }
        Which::Config => {
            serde_json::to_value(schemars::schema_for!(crate::config::ConfigFile)).expect("schema")
        }
        Which::Report => crate::render::json::schema(),
        Which::Waivers => {
            serde_json::to_value(schemars::schema_for!(crate::waiver::WaiversFile)).expect("schema")
        }
    }
}

/// `accord schema`.
pub fn schema(args: SchemaArgs) -> Result<Outcome> {
    println!(
        "{}",
        serde_json::to_string_pretty(&schema_json(args.which))?
    );
    Ok(Outcome::Clean)
}
