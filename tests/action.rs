//! The GitHub Action (`action.yml`), run locally: its steps' shell commands are executed with the
//! environment the runner would give them, with `curl` and `cargo` replaced by stubs on `PATH`
//! that serve a fake release directory (no network) and record what they were asked.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TARGET: &str = "x86_64-unknown-linux-musl";

fn action() -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    let src = accord::source::SourceFile::new("action.yml", text);
    let parsed = accord::manifest::yaml::parse(&src);
    assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
    parsed.documents[0].root.to_json()
}

fn pinned_version() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("action/VERSION"))
        .unwrap()
        .trim()
        .to_string()
}

fn step<'a>(action: &'a Value, name: &str) -> &'a Value {
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

/// Evaluate the `${{ … }}` expressions the action uses in `env:` values.
fn expand(value: &str, inputs: &BTreeMap<&str, &str>) -> String {
    let mut out = value.to_string();
    while let Some(start) = out.find("${{") {
        let end = out[start..].find("}}").expect("closed expression") + start;
        let expr = out[start + 3..end].trim();
        let v = if let Some(name) = expr.strip_prefix("inputs.") {
            inputs.get(name).map(|s| s.to_string()).unwrap_or_default()
        } else {
            match expr {
                "github.action_repository" => "acme/accord".to_string(),
                "github.token" => "ghs_fake".to_string(),
                other => panic!("unexpected expression {other}"),
            }
        };
        out.replace_range(start..end + 2, &v);
    }
    out
}

struct Runner {
    tmp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let r = Runner {
            tmp: tempfile::tempdir().unwrap(),
        };
        for d in ["fakebin", "releases", "runner_temp"] {
            std::fs::create_dir_all(r.path(d)).unwrap();
        }
        std::fs::write(r.path("github_path"), "").unwrap();
        std::fs::write(r.path("github_output"), "").unwrap();
        // `curl`: serve https://github.com/acme/accord/releases/download/<tag>/<asset> from
        // releases/<tag>/<asset>; exit 22 (curl --fail) when absent. Log every URL.
        r.script(
            "curl",
            &format!(
                "#!/usr/bin/env bash\nout=''\nurl=''\nwhile [ $# -gt 0 ]; do case \"$1\" in --output|-o) out=\"$2\"; shift 2;; --retry|--retry-delay|--proto) shift 2;; -*) shift;; *) url=\"$1\"; shift;; esac; done\n\
                 echo \"$url\" >> {log}\nrel=\"${{url#https://github.com/acme/accord/releases/download/}}\"\n\
                 [ \"$rel\" != \"$url\" ] && [ -f {rel}/\"$rel\" ] || {{ echo 'curl: (22) The requested URL returned error: 404' >&2; exit 22; }}\ncp {rel}/\"$rel\" \"$out\"\n",
                log = r.path("curl.log").display(),
                rel = r.path("releases").display()
            ),
        );
        r
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn script(&self, name: &str, body: &str) {
        let p = self.path("fakebin").join(name);
        std::fs::write(&p, body).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }

    /// Publish a release archive of the real accord binary, with its `.sha256`.
    fn publish(&self, version: &str, sha_override: Option<&str>) {
        let name = format!("accord-v{version}-{TARGET}");
        let dir = self.path("releases").join(format!("v{version}"));
        let stage = self.path("stage").join(&name);
        std::fs::create_dir_all(&stage).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_accord"), stage.join("accord")).unwrap();
        let asset = dir.join(format!("{name}.tar.gz"));
        let st = Command::new("tar")
            .arg("-C")
            .arg(self.path("stage"))
            .arg("-czf")
            .arg(&asset)
            .arg(&name)
            .status()
            .unwrap();
        assert!(st.success());
        let sum = Command::new("sha256sum").arg(&asset).output().unwrap();
        let sum = String::from_utf8(sum.stdout)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let sum = sha_override.map(str::to_string).unwrap_or(sum);
        std::fs::write(
            dir.join(format!("{name}.tar.gz.sha256")),
            format!("{sum}  {name}.tar.gz\n"),
        )
        .unwrap();
    }

    /// Run a step's `run:` with its `env:` (expressions evaluated) and the runner's variables.
    fn run_step(
        &self,
        step: &Value,
        inputs: &BTreeMap<&str, &str>,
        extra_env: &[(&str, String)],
    ) -> Output {
        assert_eq!(step["shell"], "bash");
        let script = step["run"].as_str().unwrap();
        assert!(
            !script.contains("${{"),
            "expressions inside run: allow script injection: {script}"
        );
        let mut cmd = Command::new("bash");
        cmd.arg("-c").arg(script);
        if let Some(env) = step["env"].as_object() {
            for (k, v) in env {
                cmd.env(k, expand(v.as_str().unwrap(), inputs));
            }
        }
        let path = format!(
            "{}:{}",
            self.path("fakebin").display(),
            std::env::var("PATH").unwrap()
        );
        cmd.env("PATH", path)
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("GITHUB_PATH", self.path("github_path"))
            .env("GITHUB_OUTPUT", self.path("github_output"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.path("runner_temp"))
            .env_remove("GITHUB_ACTION_REPOSITORY")
            .env_remove("GITHUB_SERVER_URL");
        for (k, v) in extra_env {
            let v = if *k == "PATH" {
                format!("{}:{v}", self.path("fakebin").display())
            } else {
                v.clone()
            };
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_default()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn metadata_declares_the_inputs_outputs_and_a_composite_run() {
    let a = action();
    for input in [
        "paths",
        "config",
        "policies",
        "kubernetes-version",
        "fail-on",
        "mode",
        "sarif-file",
        "version",
        "github-token",
    ] {
        assert!(
            a["inputs"][input]["description"].is_string(),
            "input {input}"
        );
    }
    assert_eq!(a["inputs"]["mode"]["default"], "annotations");
    assert_eq!(a["inputs"]["fail-on"]["default"], "error");
    for output in ["introduced", "unchanged", "fixed"] {
        assert_eq!(
            a["outputs"][output]["value"],
            format!("${{{{ steps.review.outputs.{output} }}}}")
        );
    }
    assert_eq!(a["runs"]["using"], "composite");
    // The pinned version is the crate's: a release bumps both.
    let cargo = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    assert!(cargo.contains(&format!("\nversion = \"{}\"\n", pinned_version())));
}

#[test]
fn install_downloads_the_pinned_release_and_checks_its_sha256() {
    let r = Runner::new();
    let v = pinned_version();
    r.publish(&v, None);
    let out = r.run_step(step(&action(), "Install accord"), &BTreeMap::new(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sha256 OK"), "{}", text(&out));
    let bin = r.path("runner_temp/accord/bin");
    assert_eq!(r.read("github_path").trim(), bin.display().to_string());
    let version = Command::new(bin.join("accord"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("accord "));
    let urls = r.read("curl.log");
    assert_eq!(
        urls.lines().next().unwrap(),
        format!(
            "https://github.com/acme/accord/releases/download/v{v}/accord-v{v}-{TARGET}.tar.gz"
        )
    );
}

#[test]
fn a_checksum_mismatch_fails_without_falling_back() {
    let r = Runner::new();
    let v = pinned_version();
    r.publish(&v, Some(&"0".repeat(64)));
    r.script(
        "cargo",
        &format!(
            "#!/usr/bin/env bash\necho \"$@\" >> {}\n",
            r.path("cargo.log").display()
        ),
    );
    let out = r.run_step(step(&action(), "Install accord"), &BTreeMap::new(), &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("::error title=accord::sha256 mismatch"),
        "{}",
        text(&out)
    );
    assert_eq!(r.read("cargo.log"), "", "cargo must not run");
    assert!(!r.path("runner_temp/accord/bin/accord").exists());
}

#[test]
fn a_missing_release_falls_back_to_cargo_install_locked() {
    let r = Runner::new();
    // cargo stub: record the arguments and "build" by copying the real binary into --root/bin.
    r.script(
        "cargo",
        &format!(
            "#!/usr/bin/env bash\necho \"$@\" >> {log}\nroot=''\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\" && cp {bin} \"$root/bin/accord\"\n",
            log = r.path("cargo.log").display(),
            bin = env!("CARGO_BIN_EXE_accord")
        ),
    );
    let inputs = BTreeMap::from([("version", "v9.9.9")]);
    let out = r.run_step(step(&action(), "Install accord"), &inputs, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(
        "::warning title=accord::could not download accord-v9.9.9-x86_64-unknown-linux-musl.tar.gz"
    ));
    assert_eq!(
        r.read("cargo.log").trim(),
        format!(
            "install --locked --git https://github.com/acme/accord --tag v9.9.9 --root {} accord",
            r.path("runner_temp/accord").display()
        )
    );
    assert!(r.read("github_path").contains("runner_temp/accord/bin"));
}

#[test]
fn install_rejects_versions_that_are_not_versions() {
    let r = Runner::new();
    let inputs = BTreeMap::from([("version", "1.0; rm -rf /")]);
    let out = r.run_step(step(&action(), "Install accord"), &inputs, &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("is not a release version"));
    assert_eq!(r.read("curl.log"), "");
}

#[test]
fn the_review_step_passes_inputs_as_separate_arguments() {
    let r = Runner::new();
    r.script(
        "accord",
        &format!(
            "#!/usr/bin/env bash\nfor a in \"$@\"; do echo \"[$a]\"; done > {}\n",
            r.path("accord.args").display()
        ),
    );
    let inputs = BTreeMap::from([
        ("paths", "apps/web\nclusters/prod  'quoted dir'"),
        ("policies", "ops/rules ops/extra"),
        ("config", "ci/accord.yaml"),
        ("kubernetes-version", "1.31"),
        ("fail-on", "warning"),
        ("mode", "review"),
        ("sarif-file", "out/accord.sarif"),
    ]);
    let a = action();
    let out = r.run_step(step(&a, "Review"), &inputs, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        r.read("accord.args"),
        "[review]\n[--mode]\n[review]\n[--fail-on]\n[warning]\n[--config]\n[ci/accord.yaml]\n[--kubernetes-version]\n[1.31]\n[--format]\n[sarif=out/accord.sarif]\n\
         [--policy]\n[ops/rules]\n[--policy]\n[ops/extra]\n[--]\n[apps/web]\n[clusters/prod]\n['quoted]\n[dir']\n"
    );
    assert!(
        r.read("github_output")
            .contains("sarif-file=out/accord.sarif\n")
    );
    // The token reaches accord through the environment only.
    let s = step(&a, "Review");
    assert_eq!(s["env"]["GITHUB_TOKEN"], "${{ inputs.github-token }}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_whole_action_reviews_a_pull_request() {
    // Install from the (stubbed) release, then run the review step as the runner would, in a
    // checkout of a pull request's head, in the default annotations mode.
    let r = Runner::new();
    r.publish(&pinned_version(), None);
    let a = action();
    let out = r.run_step(step(&a, "Install accord"), &BTreeMap::new(), &[]);
    assert!(out.status.success(), "{}", text(&out));

    let repo = r.path("repo");
    std::fs::create_dir_all(repo.join("apps")).unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27.3\n      resources: {limits: {memory: 64Mi}}\n      securityContext:\n        runAsNonRoot: true\n";
    std::fs::write(repo.join("apps/pod.yaml"), pod).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(
        repo.join("apps/pod.yaml"),
        format!("{pod}        privileged: true\n"),
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "head"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let event = r.path("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"number": 7, "pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}}).to_string(),
    )
    .unwrap();
    let summary = r.path("summary.md");

    // Later steps see $GITHUB_PATH on PATH: put the installed directory first.
    let installed = r.read("github_path").trim().to_string();
    let mut s = step(&a, "Review").clone();
    s["run"] = format!("cd {} && {}", repo.display(), s["run"].as_str().unwrap()).into();
    let inputs = BTreeMap::from([("sarif-file", "accord.sarif")]);
    let path = format!("{installed}:{}", std::env::var("PATH").unwrap());
    let out = r.run_step(
        &s,
        &inputs,
        &[
            ("PATH", path),
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
            ("GITHUB_REPOSITORY", "acme/deploy".into()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "an error was introduced: {t}");
    assert!(t.contains("::error file=apps/pod.yaml,line=12,"), "{t}");
    let outputs = r.read("github_output");
    assert!(outputs.contains("sarif-file=accord.sarif\n"), "{outputs}");
    // Only the new privileged flag is introduced; what the default preset finds in the
    // pod as it already was (probes, requests, ...) is unchanged, never blamed on the change.
    let count = |name: &str| -> usize {
        let line = outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} output: {outputs}"));
        line.parse().unwrap()
    };
    assert_eq!(count("introduced"), 1, "{outputs}");
    assert_eq!(count("fixed"), 0, "{outputs}");
    assert!(count("unchanged") > 0, "{outputs}");
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("**1 introduced**")
    );
    assert!(repo.join("accord.sarif").is_file());
}
