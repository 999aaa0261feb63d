//! End-to-end tests of waivers, ownership and `accord init`: the binary on temporary repos.

use std::path::Path;
use std::process::{Command, Output};

fn accord_on(dir: &Path, today: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ACCORD_TODAY", today)
        .output()
        .expect("runs")
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn findings<'a>(v: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// A pod with two containers; `app` and `sidecar` are privileged, otherwise clean.
fn pod(annotation: Option<&str>) -> String {
    let ann = annotation
        .map(|a| format!("  annotations:\n    accord.dev/ignore: \"{a}\"\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\n  namespace: monitoring\n{ann}spec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      resources: {{limits: {{memory: 1Gi}}}}\n      securityContext:\n        runAsNonRoot: true\n        privileged: true\n    - name: sidecar\n      image: envoy:1.30\n      resources: {{limits: {{memory: 1Gi}}}}\n      securityContext:\n        runAsNonRoot: true\n        privileged: true\n"
    )
}

/// The waiver tests run a fixed set of rules, independent of the growing default preset.
const CONFIG: &str = "waivers: waivers.yaml\nowners:\n  security: {owner: ops-security, contact: \"#ops-sec\"}\nbuiltin: false\nenable: [privileged-container, run-as-root, missing-memory-limit, host-network, latest-image-tag]\n";

const WAIVER: &str = "waivers:\n  - rule: privileged-container\n    target:\n      kind: Pod\n      namespace: monitoring\n      name: agent\n      files: [\"apps/**\"]\n    reason: node agent reads host devices\n    ticket: OPS-42\n    approved-by: alice (ops-security)\n    expires: 2026-01-31\n";

fn repo(config: &str, waivers: &str, annotation: Option<&str>) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tmp");
    write(t.path(), ".accord.yaml", config);
    write(t.path(), "waivers.yaml", waivers);
    write(t.path(), "apps/agent.yaml", &pod(annotation));
    t
}

#[test]
fn central_waiver_in_force_waives_but_lists_the_findings() {
    let t = repo(CONFIG, WAIVER, None);
    let out = accord_on(t.path(), "2026-01-31", &["lint", "--format", "json", "."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    let f = findings(&v, "privileged-container");
    assert_eq!(f.len(), 2, "waived findings stay listed");
    for f in &f {
        assert_eq!(f["waived"], true);
        let w = &f["waiver"];
        assert_eq!(w["source"], "central");
        assert_eq!(w["reason"], "node agent reads host devices");
        assert_eq!(w["approved_by"], "alice (ops-security)");
        assert_eq!(w["ticket"], "OPS-42");
        assert_eq!(w["expires"], "2026-01-31");
        assert_eq!(w["expired"], false);
        assert_eq!(
            (w["file"].as_str(), w["line"].as_u64()),
            (Some("waivers.yaml"), Some(2))
        );
    }
    assert_eq!(v["summary"]["waived"], 2);
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(v["summary"]["findings"], 0);

    let text = accord_on(t.path(), "2026-01-31", &["lint", "."]);
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(s.contains("2 waived findings:"), "{s}");
    assert!(
        s.contains("= waiver: waivers file waivers.yaml:2, approved by alice (ops-security), expires 2026-01-31, OPS-42: node agent reads host devices"),
        "{s}"
    );
    assert!(s.contains("; 2 waived"), "{s}");
}

#[test]
fn expired_waiver_fails_with_its_history() {
    let t = repo(CONFIG, WAIVER, None);
    let out = accord_on(t.path(), "2026-02-01", &["lint", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = findings(&v, "privileged-container");
    assert_eq!(f.len(), 2);
    for f in &f {
        assert_eq!(f["waived"], false);
        assert_eq!(f["waiver"]["expired"], true);
        let label = f["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .find(|l| l["file"] == "waivers.yaml")
            .expect("label at the waiver entry");
        assert_eq!(label["line"], 2);
        let m = label["message"].as_str().expect("message");
        assert!(m.contains("expired on 2026-01-31"), "{m}");
        assert!(m.contains("alice (ops-security)"), "{m}");
        assert!(m.contains("OPS-42"), "{m}");
    }
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(v["summary"]["expired_waivers"], 1);
    assert_eq!(v["summary"]["waived"], 0);
    let text = accord_on(t.path(), "2026-02-01", &["lint", "."]);
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(
        s.contains("note: waivers.yaml:2:5: waiver expired on 2026-01-31: had been waived by alice (ops-security) (OPS-42)"),
        "{s}"
    );
}

#[test]
fn stale_waiver_is_reported_at_its_entry() {
    let stale = format!(
        "{WAIVER}  - rule: host-network\n    target: {{name: gone-*}}\n    reason: removed last year\n    approved-by: bob\n    expires: 2027-01-01\n"
    );
    let t = repo(CONFIG, &stale, None);
    let out = accord_on(t.path(), "2026-01-01", &["lint", "--format", "json", "."]);
    let v = json(&out);
    let s = findings(&v, "stale-waiver");
    assert_eq!(s.len(), 1, "{v:#}");
    assert_eq!(s[0]["file"], "waivers.yaml");
    assert_eq!(s[0]["line"], 12);
    assert_eq!(s[0]["severity"], "warning");
    assert!(
        s[0]["message"]
            .as_str()
            .unwrap()
            .contains("`host-network` (approved by bob) matches no finding")
    );
    assert_eq!(v["summary"]["stale_waivers"], 1);
    // Linting one file is not the whole repository: central waivers are not called stale.
    let one = accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "apps/agent.yaml"],
    );
    assert!(findings(&json(&one), "stale-waiver").is_empty());
}

#[test]
fn annotation_waives_unless_the_rule_is_central_only() {
    let ann = "privileged-container: agent needs /dev/kmsg";
    let t = repo(
        "owners:\n  security: {owner: ops-security}\n",
        "waivers: []\n",
        Some(ann),
    );
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    let f = findings(&v, "privileged-container");
    assert_eq!(f.len(), 2);
    assert!(
        f.iter()
            .all(|f| f["waived"] == true && f["waiver"]["source"] == "annotation")
    );
    assert_eq!(f[0]["waiver"]["reason"], "agent needs /dev/kmsg");
    assert_eq!(f[0]["waiver"]["line"], 7);

    let t = repo(
        "central-only: [security]\nowners:\n  security: {owner: ops-security}\n",
        "waivers: []\n",
        Some(ann),
    );
    let out = accord_on(t.path(), "2026-01-01", &["lint", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = findings(&v, "privileged-container");
    assert_eq!(f.len(), 2);
    for f in &f {
        assert_eq!(f["waived"], false);
        assert!(f.get("waiver").is_none());
        let l = &f["labels"][0];
        assert_eq!(
            (l["file"].as_str(), l["line"].as_u64()),
            (Some("apps/agent.yaml"), Some(7))
        );
        let m = l["message"].as_str().unwrap();
        assert!(m.contains("not honoured"), "{m}");
        assert!(m.contains("central waivers file (ask ops-security)"), "{m}");
    }
    assert!(
        findings(&v, "stale-waiver").is_empty(),
        "a refused annotation is not stale"
    );
}

#[test]
fn annotation_needs_a_reason_and_can_be_narrowed_to_a_container() {
    let t = repo("{}\n", "waivers: []\n", Some("privileged-container"));
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    let f = findings(&v, "privileged-container");
    assert!(f.iter().all(|f| f["waived"] == false));
    assert!(
        f[0]["labels"][0]["message"]
            .as_str()
            .unwrap()
            .contains("write `privileged-container: <reason>`")
    );

    let t = repo(
        "{}\n",
        "waivers: []\n",
        Some("privileged-container@sidecar: iptables setup"),
    );
    let out = accord_on(t.path(), "2026-01-01", &["lint", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(1), "app is still privileged");
    let v = json(&out);
    let f = findings(&v, "privileged-container");
    let waived: Vec<_> = f
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["waived"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        waived,
        [
            ("/spec/containers/0/securityContext/privileged", false),
            ("/spec/containers/1/securityContext/privileged", true)
        ]
    );

    // An annotation for a rule that does not fire on the object is stale.
    let t = repo("{}\n", "waivers: []\n", Some("host-network: not needed"));
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    let s = findings(&v, "stale-waiver");
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0]["file"].as_str(), s[0]["line"].as_u64()),
        (Some("apps/agent.yaml"), Some(7))
    );
}

#[test]
fn waivers_file_errors_are_located() {
    let t = repo(
        CONFIG,
        "waivers:\n  - rule: privileged-containr\n    target: {kind: Pod}\n    reason: x\n    approved-by: a\n    expires: 2026-13-01\n",
        None,
    );
    let out = accord_on(t.path(), "2026-01-01", &["lint", "."]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("unknown rule `privileged-containr` (did you mean `privileged-container`?)\n  --> waivers.yaml:2:11"), "{e}");
    assert!(
        e.contains("`2026-13-01` is not a date like `2026-12-31`\n  --> waivers.yaml:6:14"),
        "{e}"
    );
}

#[test]
fn each_file_s_findings_name_its_own_code_owner() {
    let t = repo(CONFIG, "waivers: []\n", None);
    write(t.path(), "base/agent.yaml", &pod(None));
    write(t.path(), "zz/agent.yaml", &pod(None));
    write(
        t.path(),
        ".github/CODEOWNERS",
        "* @org/platform\n/apps/ @org/monitoring\n/zz/ @org/edge\n",
    );
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    let owners: Vec<(&str, &str)> = findings(&v, "privileged-container")
        .iter()
        .map(|f| {
            let file = f["file"].as_str().expect("file");
            (file, f["code_owner"].as_str().expect("owner"))
        })
        .collect();
    assert_eq!(
        owners,
        [
            ("apps/agent.yaml", "@org/monitoring"),
            ("apps/agent.yaml", "@org/monitoring"),
            ("base/agent.yaml", "@org/platform"),
            ("base/agent.yaml", "@org/platform"),
            ("zz/agent.yaml", "@org/edge"),
            ("zz/agent.yaml", "@org/edge"),
        ]
    );
}

#[test]
fn findings_name_the_owning_dev_team_and_the_ops_owner() {
    let t = repo(CONFIG, "waivers: []\n", None);
    write(
        t.path(),
        ".github/CODEOWNERS",
        "* @org/platform\n/apps/ @org/monitoring\n",
    );
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    let f = findings(&v, "privileged-container");
    assert_eq!(f[0]["code_owner"], "@org/monitoring");
    assert_eq!(f[0]["owner"], "ops-security");
    let s = String::from_utf8_lossy(&accord_on(t.path(), "2026-01-01", &["lint", "."]).stdout)
        .to_string();
    assert!(
        s.contains("= code owner: @org/monitoring (CODEOWNERS: you own this object)"),
        "{s}"
    );
    assert!(s.contains("= owner: ops-security (#ops-sec)"), "{s}");
}

#[test]
fn fix_leaves_waived_findings_alone() {
    let t = repo(CONFIG, WAIVER, None);
    let before = std::fs::read_to_string(t.path().join("apps/agent.yaml")).unwrap();
    let out = accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--fix", "--unsafe-fixes", "."],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(t.path().join("apps/agent.yaml")).unwrap(),
        before
    );
}

#[test]
fn init_scaffolds_a_working_repository_and_never_overwrites() {
    let t = tempfile::tempdir().expect("tmp");
    write(t.path(), "accord-waivers.yaml", "waivers: []  # mine\n");
    let out = accord_on(t.path(), "2026-01-01", &["init"]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("created .accord.yaml"), "{s}");
    assert!(s.contains("created policies/local/team-label.yaml"), "{s}");
    assert!(s.contains("created .github/workflows/accord.yaml"), "{s}");
    assert!(s.contains("kept    accord-waivers.yaml"), "{s}");
    assert_eq!(
        std::fs::read_to_string(t.path().join("accord-waivers.yaml")).unwrap(),
        "waivers: []  # mine\n"
    );
    // The sample rule passes its own examples, and the config, waivers file and rule load.
    let test = accord_on(t.path(), "2026-01-01", &["test", "policies"]);
    assert_eq!(
        test.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
    write(
        t.path(),
        "apps/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: example/api:1.0\n          resources: {limits: {memory: 1Gi}}\n          securityContext: {runAsNonRoot: true}\n",
    );
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    let f = findings(&v, "team-label");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["owner"], "platform-team");
    // A second run changes nothing.
    let config = std::fs::read_to_string(t.path().join(".accord.yaml")).unwrap();
    write(t.path(), ".accord.yaml", &format!("{config}# edited\n"));
    let again = accord_on(t.path(), "2026-01-01", &["init"]);
    assert!(!String::from_utf8_lossy(&again.stdout).contains("created"));
    assert!(
        std::fs::read_to_string(t.path().join(".accord.yaml"))
            .unwrap()
            .ends_with("# edited\n")
    );
}

/// SARIF suppressions and the markdown section, through the library functions the report
/// emitters call.
#[test]
fn waived_findings_in_sarif_suppressions_and_markdown() {
    use accord::waiver::{self, Options, WaiverSet};
    let files = vec![accord::manifest::read(
        "apps/agent.yaml",
        pod(Some("privileged-container@sidecar: iptables setup")),
    )];
    let rules = accord::policy::builtin_rules().expect("rules");
    let mut diags = accord::engine::lint(&files, &rules, &Default::default());
    let ids: Vec<&str> = rules.iter().map(|r| r.id()).collect();
    let set = WaiverSet::parse(
        accord::source::SourceFile::new("waivers.yaml", WAIVER.replace("2026-01-31", "2026-06-30")),
        Some(&ids),
    )
    .expect("waivers");
    let opts = Options {
        today: waiver::Date::parse("2026-01-01").unwrap(),
        central_only: Default::default(),
        ran: ids.iter().map(|s| s.to_string()).collect(),
        stale_central: true,
    };
    waiver::apply(&mut diags, &files, &set, &opts, &|p: &str| p.to_string());
    let privileged: Vec<_> = diags
        .iter()
        .filter(|d| d.rule == "privileged-container")
        .collect();
    assert_eq!(privileged.len(), 2);
    // Central waivers win over annotations; both findings are waived.
    let s = waiver::sarif_suppressions(privileged[0]).expect("suppressed");
    assert_eq!(s[0]["kind"], "external");
    assert_eq!(s[0]["status"], "accepted");
    assert_eq!(s[0]["justification"], "node agent reads host devices");
    assert_eq!(s[0]["properties"]["approvedBy"], "alice (ops-security)");
    assert_eq!(
        s[0]["location"]["physicalLocation"]["region"]["startLine"],
        2
    );
    let md = waiver::markdown_section(&diags);
    assert!(md.starts_with("### Waived findings (2)"), "{md}");
    assert!(md.contains("| `privileged-container` | apps/agent.yaml:15 | Pod monitoring/agent | node agent reads host devices (OPS-42) | alice (ops-security) | 2026-06-30 | waivers file (waivers.yaml:2) |"), "{md}");

    // Without the central waiver, the annotation suppresses in source (sidecar only).
    let mut diags = accord::engine::lint(&files, &rules, &Default::default());
    waiver::apply(
        &mut diags,
        &files,
        &WaiverSet::default(),
        &opts,
        &|p: &str| p.to_string(),
    );
    let sup: Vec<_> = diags
        .iter()
        .filter(|d| d.rule == "privileged-container")
        .map(|d| waiver::sarif_suppressions(d).map(|s| s[0]["kind"].clone()))
        .collect();
    assert_eq!(sup, [None, Some("inSource".into())]);
    let md = waiver::markdown_section(&diags);
    assert!(
        md.contains("| iptables setup | — (author) | never | annotation (apps/agent.yaml:7) |"),
        "{md}"
    );

    // A waiver added in a change needs approval by the rule's owner.
    let base = WaiverSet::default();
    let mut rules = rules;
    for r in &mut rules {
        if r.id() == "privileged-container" {
            r.owner = Some("ops-security".into());
        }
    }
    let new: Vec<_> = waiver::new_waivers(&base, &set, &rules, &Default::default(), "waivers.yaml")
        .iter()
        .map(|n| n.note())
        .collect();
    let md = waiver::markdown_needs_approval(&new);
    assert!(md.contains("**needs approval by ops-security**"), "{md}");
    assert!(
        waiver::new_waivers(&set, &set, &rules, &Default::default(), "waivers.yaml").is_empty()
    );
}

#[test]
fn explain_object_traces_each_step_and_the_waiver() {
    let t = repo(
        "central-only: [security]\nowners:\n  security: {owner: ops-security}\n",
        "waivers: []\n",
        Some("privileged-container@sidecar: iptables setup"),
    );
    write(
        t.path(),
        "apps/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: other\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n",
    );
    let out = accord_on(
        t.path(),
        "2026-01-01",
        &[
            "explain",
            "privileged-container",
            "--object",
            "apps/agent.yaml:agent",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    for want in [
        "privileged-container on Pod monitoring/agent (apps/agent.yaml:1)",
        "  ✓ kind `Pod` (apiVersion v1) — rule applies to workloads",
        "  ✓ each: containers (containers, initContainers, ephemeralContainers) → 2 nodes",
        "    /spec/containers/1 (`sidecar`)",
        "        ✓ field /securityContext/privileged equals: true → holds at /spec/containers/1/securityContext/privileged (`true`)",
        "  finding at apps/agent.yaml:15:21 (/spec/containers/0/securityContext/privileged)",
        "    waiver: ✗ apps/agent.yaml:7: `accord.dev/ignore` annotation not honoured: `privileged-container` may only be waived in the central waivers file (ask ops-security)",
    ] {
        assert!(s.contains(want), "missing {want:?} in:\n{s}");
    }
    // Objects the rule does not apply to, or that pass, say so.
    let out = accord_on(
        t.path(),
        "2026-01-01",
        &[
            "explain",
            "privileged-container",
            "--object",
            "apps/svc.yaml",
        ],
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("  ✗ kind `Service` (apiVersion v1) — rule applies to workloads\n"),
        "{s}"
    );
    assert!(
        s.contains("  ✗ the rule does not apply to this object\n"),
        "{s}"
    );
    assert!(s.contains("        ✗ field /securityContext/privileged equals: true → does not hold at /spec/containers/0/securityContext/privileged (not set)\n      ✓ no finding\n  result: no finding\n"), "{s}");
    let out = accord_on(
        t.path(),
        "2026-01-01",
        &[
            "explain",
            "privileged-container",
            "--object",
            "apps/svc.yaml:nope",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no object named `nope` in apps/svc.yaml; it holds: Service/web, Pod/other")
    );
}

#[test]
fn text_report_with_waived_expired_and_stale_waivers() {
    let waivers = format!(
        "{WAIVER}  - rule: missing-memory-limit\n    target: {{name: agent, container: sidecar}}\n    reason: sized by VPA\n    approved-by: bob\n    expires: 2027-01-01\n  - rule: host-network\n    target: {{name: gone}}\n    reason: removed\n    approved-by: carol\n    expires: 2027-01-01\n"
    );
    let t = repo(CONFIG, &waivers, Some("run-as-root: vendor image"));
    // Make the sidecar finding exist: drop its memory limit.
    let p = t.path().join("apps/agent.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    let i = text
        .rfind("      resources: {limits: {memory: 1Gi}}\n")
        .unwrap();
    std::fs::write(&p, format!("{}{}", &text[..i], &text[i + 41..])).unwrap();
    let out = accord_on(t.path(), "2026-02-01", &["lint", "--color", "never", "."]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn waivers_added_since_the_base_need_approval_by_the_rule_owner() {
    let added = format!(
        "{WAIVER}  - rule: missing-memory-limit\n    target: {{name: agent}}\n    reason: sized by VPA\n    approved-by: bob\n    expires: 2027-01-01\n"
    );
    let t = repo(CONFIG, &added, None);
    write(t.path(), "base-waivers.yaml", WAIVER);
    write(t.path(), "CODEOWNERS", "waivers.yaml @org/ops\n");
    let out = accord_on(
        t.path(),
        "2026-01-01",
        &[
            "lint",
            "--format",
            "json",
            "--waivers-base",
            "base-waivers.yaml",
            ".",
        ],
    );
    let v = json(&out);
    let n = v["new_waivers"].as_array().expect("new waivers");
    assert_eq!(n.len(), 1, "{v:#}");
    assert_eq!(n[0]["rule"], "missing-memory-limit");
    assert_eq!(n[0]["line"], 12);
    // missing-memory-limit has no owner here: the waivers file's code owner approves.
    assert_eq!(n[0]["needs_approval_by"], "@org/ops");
    let out = accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--waivers-base", "base-waivers.yaml", "."],
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("waivers added in this change:\n  waivers.yaml:12: `missing-memory-limit` for * agent until 2027-01-01 (sized by VPA) — needs approval by @org/ops\n"),
        "{s}"
    );
    // Without a base, nothing is called out.
    let v = json(&accord_on(
        t.path(),
        "2026-01-01",
        &["lint", "--format", "json", "."],
    ));
    assert!(v.get("new_waivers").is_none());
}
