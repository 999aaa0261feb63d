//! `accord test`: run rule examples and fixtures and print a verify-style report.

use super::Outcome;
use super::common::{RuleOpts, fail_with};
use crate::engine::Context;
use crate::policy;
use crate::testing;
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `accord test`.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Rule folders to test (default: the built-in library).
    pub dirs: Vec<PathBuf>,
    /// Print passing cases too.
    #[arg(short, long)]
    pub verbose: bool,
    /// Only test these rules (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub only: Vec<String>,
}

/// Run `accord test`.
pub fn run(args: TestArgs) -> Result<Outcome> {
    let cwd = std::env::current_dir()?;
    let display = |p: &Path| crate::load::display_path(p, &cwd);
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    if args.dirs.is_empty() {
        rules = policy::builtin_rules().map_err(|e| fail_with(&e))?;
    }
    for d in &args.dirs {
        match policy::load_dir(d, &display) {
            Ok(mut r) => rules.append(&mut r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    errors.extend(policy::check_unique(&rules));
    if !errors.is_empty() {
        return Err(fail_with(&errors));
    }
    if !args.only.is_empty() {
        rules.retain(|r| args.only.iter().any(|o| o == r.id()));
    }
    let _ = RuleOpts::default();
    let dirs: Vec<&Path> = args.dirs.iter().map(PathBuf::as_path).collect();
    let results = testing::run(&rules, &dirs, &Context::default());
    let mut failed = 0;
    for r in &results {
        match &r.failure {
            None if args.verbose => println!("PASS {} {}", r.case.rule, r.case.name),
            None => {}
            Some(why) => {
                failed += 1;
                println!(
                    "FAIL {} {}\n     {}",
                    r.case.rule,
                    r.case.name,
                    why.replace('\n', "\n     ")
                );
            }
        }
    }
    println!(
        "{} rules, {} tests, {} passed, {} failed",
        rules.len(),
        results.len(),
        results.len() - failed,
        failed
    );
    Ok(if failed > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
