//! `accord rules`, `accord explain`, `accord schema`.

use super::Outcome;
use super::common::{RuleOpts, setup};
use crate::policy::Rule;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

/// Arguments of `accord rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
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
}

/// Arguments of `accord explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule id.
    pub rule: String,
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

/// `accord rules`.
pub fn list(args: RulesArgs) -> Result<Outcome> {
    let s = setup(&args.rules, None)?;
    match args.format {
        ListFormat::Json => {
            let v: Vec<_> = s
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id(), "title": r.spec.title, "severity": r.severity.as_str(),
                        "category": r.spec.category, "fixable": fixable(r), "owner": r.owner, "builtin": r.builtin,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ListFormat::Text => {
            let w = s
                .rules
                .iter()
                .map(|r| r.id().len())
                .max()
                .unwrap_or(4)
                .max(4);
            println!(
                "{:w$}  {:8}  {:14}  {:3}  TITLE",
                "RULE", "SEVERITY", "CATEGORY", "FIX"
            );
            for r in &s.rules {
                println!(
                    "{:w$}  {:8}  {:14}  {:3}  {}",
                    r.id(),
                    r.severity.as_str(),
                    r.spec.category,
                    if fixable(r) { "yes" } else { "" },
                    r.spec.title
                );
            }
        }
    }
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

/// `accord explain`.
pub fn explain(args: ExplainArgs) -> Result<Outcome> {
    let mut opts: RuleOpts = args.rules.clone();
    opts.only.clear();
    let s = setup(&opts, None)?;
    let Some(r) = s.rules.iter().find(|r| r.id() == args.rule) else {
        let ids: Vec<&str> = s.rules.iter().map(Rule::id).collect();
        match crate::manifest::de::closest(&args.rule, &ids) {
            Some(c) => bail!("no rule `{}` (did you mean `{c}`?)", args.rule),
            None => bail!("no rule `{}`; `accord rules` lists them", args.rule),
        }
    };
    print!("{}", explain_text(r));
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
            serde_json::to_value(schemars::schema_for!(crate::waiver::WaiversFile))
                .expect("schema")
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
