//! `accord review`: the diff engine's verdict on a pull request, delivered where its author looks.
//!
//! In GitHub Actions everything comes from the standard environment: the event payload
//! (`GITHUB_EVENT_PATH`: base and head of the pull request), `GITHUB_REPOSITORY`,
//! `GITHUB_API_URL`, `GITHUB_SERVER_URL`, `GITHUB_TOKEN`, `GITHUB_STEP_SUMMARY` and
//! `GITHUB_OUTPUT`. The head is compared with its merge base with the PR base (three dots). The
//! mode decides the channel ([`crate::review::Mode`]); when GitHub refuses to let the token write
//! (403: fork PRs, read-only tokens) the run falls back to annotations and says why in the job
//! summary. Exit code: 1 when an introduced finding is at or above `--fail-on`.

use super::Outcome;
use super::common::{RuleOpts, rule_infos};
use super::diff::{rule_error, rule_options, scope};
use super::lint::FailOnArg;
use super::output::{self, FORMAT_HELP, OutputSpec};
use crate::config::FailOn;
use crate::diagnostic::{self, Diagnostic, Summary};
use crate::diff::{self, DiffError, DiffReport, Settings};
use crate::load::git::GitRepo;
use crate::render::{self, Format, Report, RuleInfo};
use crate::review::github::{Client, ClientConfig};
use crate::review::{self, Changes, Mode, PolicyChange, Target, WaiverUse, event};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::path::PathBuf;

/// `--mode` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeArg {
    /// Workflow annotations and the job summary; needs no token.
    Annotations,
    /// A PR review with inline comments and suggestions, plus the summary comment.
    Review,
    /// Only the summary comment.
    Summary,
}

/// Arguments of `accord review`.
#[derive(Args, Debug)]
pub struct ReviewArgs {
    /// Only these files or directories.
    pub paths: Vec<PathBuf>,
    /// Where results go.
    #[arg(long, value_enum, default_value_t = ModeArg::Annotations)]
    pub mode: ModeArg,
    /// Base revision (default: the pull request's base in $GITHUB_EVENT_PATH). The review
    /// compares the head with the merge base of base and head.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Head revision (default: the pull request's head commit in $GITHUB_EVENT_PATH).
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Exit 1 when an introduced finding is at or above this severity (default: the config's
    /// `fail-on` at the head, else error).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Also write reports of every finding at the head (introduced and unchanged).
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = output::parse_spec, help = FORMAT_HELP)]
    pub formats: Vec<OutputSpec>,
    #[command(flatten)]
    pub rules: RuleOpts,
}

/// The GitHub Actions environment.
#[derive(Debug, Default)]
struct GhEnv {
    event_path: Option<PathBuf>,
    event_name: String,
    repository: Option<String>,
    api_url: String,
    server_url: String,
    token: Option<String>,
    step_summary: Option<PathBuf>,
    output: Option<PathBuf>,
}

fn gh_env() -> GhEnv {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    GhEnv {
        event_path: var("GITHUB_EVENT_PATH").map(PathBuf::from),
        event_name: var("GITHUB_EVENT_NAME").unwrap_or_default(),
        repository: var("GITHUB_REPOSITORY"),
        api_url: var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        server_url: var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
        token: var("GITHUB_TOKEN"),
        step_summary: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        output: var("GITHUB_OUTPUT").map(PathBuf::from),
    }
}

/// Policy changes in the review's terms: per rule, what changed and which objects it newly
/// flags or stops flagging.
fn policy_changes(report: &DiffReport) -> Vec<PolicyChange> {
    let Some(p) = &report.policy else {
        return Vec::new();
    };
    let object = |d: &Diagnostic| {
        d.object
            .as_ref()
            .map(|o| o.display())
            .unwrap_or_else(|| d.location.file().to_string())
    };
    let mut by: BTreeMap<String, (String, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for (list, what) in [
        (&p.rules_added, "added"),
        (&p.rules_removed, "removed"),
        (&p.rules_changed, "changed"),
    ] {
        for r in list {
            by.entry(r.clone())
                .or_insert_with(|| (what.to_string(), BTreeSet::new(), BTreeSet::new()));
        }
    }
    for f in &p.newly_flagged {
        by.entry(f.diagnostic.rule.clone())
            .or_insert_with(|| ("changed".into(), BTreeSet::new(), BTreeSet::new()))
            .1
            .insert(object(&f.diagnostic));
    }
    for f in &p.no_longer_flagged {
        by.entry(f.diagnostic.rule.clone())
            .or_insert_with(|| ("changed".into(), BTreeSet::new(), BTreeSet::new()))
            .2
            .insert(object(&f.diagnostic));
    }
    by.into_iter()
        .map(|(rule, (change, newly, gone))| PolicyChange {
            rule,
            change,
            newly_flagged: newly.into_iter().collect(),
            no_longer_flagged: gone.into_iter().collect(),
        })
        .collect()
}

fn append(path: &Option<PathBuf>, text: &str) -> Result<()> {
    if let Some(p) = path {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .with_context(|| format!("opening {}", p.display()))?;
        f.write_all(text.as_bytes())?;
    }
    Ok(())
}

fn annotation_title(rules: &[RuleInfo]) -> impl Fn(&Diagnostic) -> String + '_ {
    move |d: &Diagnostic| match rules.iter().find(|r| r.id == d.rule) {
        Some(r) => format!("accord {}: {}", d.rule, r.title),
        None => format!("accord {}", d.rule),
    }
}

/// Run `accord review`.
pub fn run(args: ReviewArgs) -> Result<Outcome> {
    let outputs = if args.formats.is_empty() {
        Vec::new()
    } else {
        output::resolve(&args.formats, Format::Text)?
    };
    let env = gh_env();
    let ev = match &env.event_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the event payload {}", p.display()))?;
            event::parse(&env.event_name, &text).map_err(|e| anyhow!("{}: {e}", p.display()))?
        }
        None => event::Event::default(),
    };
    let pr = ev.pull_request.clone();
    let base_spec = args
        .base
        .clone()
        .or_else(|| pr.as_ref().map(|p| p.base_sha.clone()))
        .or(ev.before.clone());
    let head_spec = args
        .head
        .clone()
        .or_else(|| pr.as_ref().map(|p| p.head_sha.clone()))
        .or(ev.after.clone());
    let (Some(base_spec), Some(head_spec)) = (base_spec, head_spec) else {
        bail!(
            "no pull request in the event (GITHUB_EVENT_PATH) to review; give the revisions with --base REV --head REV"
        );
    };

    // The diff: head against its merge base with the base (what the PR's "Files changed" shows).
    let cwd = std::env::current_dir()?;
    let repo = GitRepo::discover(&cwd)?;
    let base = repo.resolve(&base_spec)?;
    let head = repo.resolve(&head_spec)?;
    let merge = repo.merge_base(&base, &head)?;
    let base_sha = merge.commit.clone().unwrap_or_else(|| base_spec.clone());
    let head_sha = head.commit.clone().unwrap_or_else(|| head_spec.clone());
    let opts = rule_options(&args.rules, &cwd)?;
    let rules_at_head = crate::load::rules::at_revision(&repo, head.rev, &opts)
        .map_err(|e| rule_error(e, &head.label()))?;
    let infos = rule_infos(&rules_at_head.rules);
    let settings = Settings {
        rules: opts,
        paths: scope(&repo, &args.paths, &cwd)?,
        context: 3,
        on_files: super::common::size_heap_for_files,
    };
    let report = match diff::run(&repo, merge, head, &settings) {
        Ok(r) => r,
        Err(DiffError::Rules { rev, error }) => return Err(rule_error(error, &rev)),
        Err(DiffError::Git(e)) => return Err(e.into()),
    };
    let take = |v: &[crate::diff::Finding]| {
        v.iter()
            .map(|f| f.diagnostic.clone())
            .collect::<Vec<Diagnostic>>()
    };
    // One finding per line even when several overlays render the same base line.
    let mut introduced = crate::kustomize::merge_overlays(take(&report.findings.introduced));
    let unchanged = take(&report.findings.unchanged);
    // Reports list every finding at the head, waived ones included (marked as such).
    let mut at_head: Vec<Diagnostic> = introduced.iter().chain(&unchanged).cloned().collect();
    diagnostic::sort(&mut at_head);
    let fixed = take(&report.findings.fixed);
    let policy = policy_changes(&report);
    // Waived findings are accepted exceptions: listed in the summary, never commented, annotated
    // or failing the run.
    let waivers: Vec<WaiverUse> = introduced
        .iter()
        .chain(&unchanged)
        .filter_map(WaiverUse::of)
        .collect();
    introduced.retain(|d| !d.is_waived());
    let changes = Changes {
        introduced: &introduced,
        unchanged: &unchanged,
        fixed: &fixed,
        waivers: &waivers,
        new_waivers: &report.new_waivers,
        policy_changes: &policy,
    };

    // Reports of every finding at the head.
    if !outputs.is_empty() {
        let mut summary = Summary {
            files: report.summary.files,
            objects: report.summary.objects,
            rules: infos.len(),
            unreadable: report.errors.len(),
            ..Summary::default()
        };
        summary.count(&at_head);
        let r = Report {
            diagnostics: &at_head,
            summary: &summary,
            errors: &report.errors,
            new_waivers: &report.new_waivers,
            rules: &infos,
            files: &[],
        };
        output::write_all(&outputs, &r, Some(false))?;
    }

    let target = Target {
        repo: env.repository.clone().unwrap_or_default(),
        server_url: env.server_url.clone(),
        pr: pr.clone().unwrap_or(event::PullRequest {
            number: 0,
            base_sha: base_sha.clone(),
            head_sha: head_sha.clone(),
            author: None,
            from_fork: false,
        }),
        base_sha: base_sha.clone(),
    };
    let mode = match args.mode {
        ModeArg::Annotations => Mode::Annotations,
        ModeArg::Review => Mode::Review,
        ModeArg::Summary => Mode::Summary,
    };

    // Post, or explain why not.
    let mut note: Option<String> = None;
    let mut posted = None;
    if mode != Mode::Annotations {
        let why_not = if pr.is_none() {
            Some("this run is not for a pull request, so there is nothing to comment on; findings are shown as annotations.".to_string())
        } else if target.repo.is_empty() {
            Some("GITHUB_REPOSITORY is not set, so accord cannot tell which repository to comment on; findings are shown as annotations.".to_string())
        } else if env.token.is_none() {
            Some("no GITHUB_TOKEN was given, so accord cannot post the review; findings are shown as annotations. Pass `github-token` (the default `${{ github.token }}` works) with `permissions: pull-requests: write`.".to_string())
        } else {
            None
        };
        match why_not {
            Some(n) => note = Some(n),
            None => {
                let client = Client::new(ClientConfig::new(&env.api_url, env.token.clone()));
                match review::post(&client, &target, &changes, &infos, mode) {
                    Ok(p) => posted = Some(p),
                    Err(e) if e.is_forbidden() => {
                        let fork = pr.as_ref().is_some_and(|p| p.from_fork);
                        note = Some(format!(
                            "GitHub refused to let this workflow's token write to the pull request ({e}){}. Findings are shown as annotations and in this summary instead. {}",
                            if fork {
                                ", as it does for pull requests from forks"
                            } else {
                                ""
                            },
                            if fork {
                                "To comment on fork pull requests, post from a `workflow_run` workflow."
                            } else {
                                "Give the job `permissions: pull-requests: write`."
                            }
                        ));
                    }
                    Err(e) => {
                        note = Some(format!(
                            "accord could not post the review: {e}. Findings are shown as annotations instead."
                        ));
                    }
                }
            }
        }
    }

    let mut stdout = std::io::stdout().lock();
    if let Some(n) = &note {
        writeln!(
            stdout,
            "::warning title=accord::{}",
            render::github::escape_data(n)
        )?;
    }
    if mode == Mode::Annotations || note.is_some() {
        let title = annotation_title(&infos);
        let (text, hidden) = render::github::annotations(&introduced, &title);
        stdout.write_all(text.as_bytes())?;
        if hidden > 0 {
            writeln!(
                stdout,
                "::notice title=accord::{}",
                render::github::escape_data(&format!(
                    "{hidden} more introduced findings are not shown as annotations; see the job summary"
                ))
            )?;
        }
    }
    let outside: HashSet<String> = posted
        .as_ref()
        .map(|p: &review::Posted<'_>| p.outside.iter().map(|d| d.fingerprint()).collect())
        .unwrap_or_default();
    let summary = review::summary(
        &target,
        &changes,
        &infos,
        &outside,
        note.as_deref(),
        render::markdown::JOB_SUMMARY_LIMIT,
    );
    // The job summary is not a PR comment: drop the marker line.
    let job_summary = summary
        .split_once('\n')
        .map_or(summary.as_str(), |(_, rest)| rest);
    append(&env.step_summary, job_summary)?;
    append(
        &env.output,
        &format!(
            "introduced={}\nunchanged={}\nfixed={}\n",
            introduced.len(),
            unchanged.len(),
            fixed.len()
        ),
    )?;
    let mut line = format!(
        "accord: {} introduced, {} unchanged, {} fixed",
        introduced.len(),
        unchanged.len(),
        fixed.len()
    );
    if let Some(p) = &posted {
        line.push_str(&format!(
            " · review: {} new inline comment{}, {} already commented, {} outside the diff",
            p.inline.len(),
            if p.inline.len() == 1 { "" } else { "s" },
            p.already.len(),
            p.outside.len()
        ));
        match p.summary {
            Some(review::SummaryAction::Created(id)) => {
                line.push_str(&format!(" · summary comment {id} created"))
            }
            Some(review::SummaryAction::Updated(id)) => {
                line.push_str(&format!(" · summary comment {id} updated"))
            }
            None => {}
        }
        for r in &p.rejected {
            writeln!(
                stdout,
                "::warning title=accord::{}",
                render::github::escape_data(&format!("GitHub rejected an inline comment: {r}"))
            )?;
        }
    }
    writeln!(stdout, "{line}")?;
    stdout.flush()?;

    let fail_on = match args.fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => report.fail_on.unwrap_or_default(),
    };
    let failed = introduced.iter().any(|d| fail_on.fails(d.severity));
    Ok(
        if failed || (fail_on != FailOn::Never && !report.errors.is_empty()) {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    )
}
