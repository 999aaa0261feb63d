//! `accord docs --out DIR`: write the policy handbook (HTML and markdown) of the active rules.

use super::Outcome;
use super::common::{RuleOpts, setup, today};
use crate::handbook::{self, Input};
use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `accord docs`.
#[derive(Args, Debug)]
pub struct DocsArgs {
    /// Output directory (created if missing; handbook files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub rules: RuleOpts,
}

/// Run `accord docs`.
pub fn run(args: DocsArgs) -> Result<Outcome> {
    let s = setup(&args.rules, None)?;
    let waivers = s.waivers()?;
    let central_only = crate::waiver::central_only(&s.config.file.central_only, &s.rules);
    let pages = handbook::render(&Input {
        rules: &s.rules,
        waivers: &waivers,
        central_only: &central_only,
        today: today()?,
    });
    for (rel, text) in &pages {
        let path = args.out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "wrote {} files ({} rules) to {}; open {}",
        pages.len(),
        s.rules.len(),
        args.out.display(),
        args.out.join("index.html").display()
    );
    Ok(Outcome::Clean)
}
