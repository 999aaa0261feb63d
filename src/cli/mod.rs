//! Command-line interface: argument parsing and one file per subcommand.
//!
//! The only module that reads the environment and uses `anyhow`. Exit codes: 0 nothing at or
//! above the fail threshold, 1 findings at or above it, 2 usage, config or rule-file errors.

mod common;
mod diff;
mod docs;
mod init;
pub use rules::{Which, explain_text, schema_json};
mod lint;
mod output;
mod review;
mod rules;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Lint Kubernetes manifests against operations policies written as data.
#[derive(Parser, Debug)]
#[command(name = "accord", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lint manifest files and directories (`-` reads standard input).
    Lint(lint::LintArgs),
    /// What a change did: object changes, findings introduced / pre-existing / fixed, and an
    /// annotated diff, between two git revisions.
    Diff(diff::DiffArgs),
    /// Review a pull request: its introduced findings as annotations, a PR review with inline
    /// comments and one-click fixes, and one summary comment (GitHub Actions environment).
    Review(review::ReviewArgs),
    /// Run every rule's examples and fixtures.
    Test(test::TestArgs),
    /// List the active rules.
    Rules(rules::RulesArgs),
    /// Explain one rule: what, why, examples, fix.
    Explain(rules::ExplainArgs),
    /// Print a generated JSON Schema (`policy`, `config`, `report` or `waivers`).
    Schema(rules::SchemaArgs),
    /// Write the policy handbook (static HTML with search, plus markdown) of the active rules.
    Docs(docs::DocsArgs),
    /// Scaffold `.accord.yaml`, a sample rule, a waivers file and a GitHub workflow.
    Init(init::InitArgs),
}

/// The libyaml fallback parser can panic on malformed input; those panics are caught and mean
/// "not valid YAML". Keep them off stderr; every other panic is reported as usual.
fn quiet_fallback_parser_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("libyaml-safer"))
        {
            return;
        }
        default(info);
    }));
}

/// Outcome of a command.
pub enum Outcome {
    /// Exit 0.
    Clean,
    /// Exit 1.
    Findings,
    /// Exit 2 after the report was printed (e.g. an input path does not exist).
    InputError,
}

/// Run the CLI.
pub fn main() -> ExitCode {
    quiet_fallback_parser_panics();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Lint(a) => lint::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Review(a) => review::run(a),
        Command::Test(a) => test::run(a),
        Command::Rules(a) => rules::list(a),
        Command::Explain(a) => rules::explain(a),
        Command::Schema(a) => rules::schema(a),
        Command::Docs(a) => docs::run(a),
        Command::Init(a) => init::run(a),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::InputError) => ExitCode::from(2),
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
