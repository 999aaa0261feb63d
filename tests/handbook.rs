//! `accord docs`: the handbook renders, every link resolves, and — in a real headless Chromium
//! when `/usr/bin/chromium` exists (CI installs it) — pages load, the `?q=` filter applied by
//! the page's script hides non-matching rules, and a screenshot is kept under
//! `target/test-artifacts/`.

use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// Render the handbook of a small repository (built-in rules, owners, two waivers).
fn render(out: &Path) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tmp");
    write(
        t.path(),
        ".accord.yaml",
        "waivers: waivers.yaml\ncentral-only: [security]\nowners:\n  security: {owner: ops-security, contact: \"#ops-sec\"}\n",
    );
    write(
        t.path(),
        "waivers.yaml",
        "waivers:\n  - rule: privileged-container\n    target: {kind: DaemonSet, namespace: monitoring, name: node-exporter}\n    reason: reads host metrics from `/proc`\n    ticket: https://tracker.example.com/OPS-1\n    approved-by: alice (ops-security)\n    expires: 2026-12-31\n  - rule: privileged-container\n    target: {files: [\"legacy/**\"]}\n    reason: old <agent>\n    approved-by: bob\n    expires: 2025-06-30\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["docs", "--out"])
        .arg(out)
        .current_dir(t.path())
        .env("ACCORD_TODAY", "2026-01-15")
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    t
}

fn rule_ids(repo: &Path) -> Vec<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["rules", "--format", "json"])
        .current_dir(repo)
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// Every `href="…"` in `html`.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Relative links must point at existing files (external links are left alone).
fn check_links(file: &Path, html: &str) {
    for h in hrefs(html) {
        if h.starts_with("http://") || h.starts_with("https://") || h.starts_with('#') {
            continue;
        }
        let target = h.split(['#', '?']).next().unwrap_or_default();
        let p = file.parent().expect("dir").join(target);
        assert!(p.is_file(), "{}: broken link {h}", file.display());
    }
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut v = vec![dir.join("index.html")];
    let mut rules: Vec<PathBuf> = std::fs::read_dir(dir.join("rules"))
        .expect("rules dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    rules.sort();
    v.extend(rules);
    v
}

#[test]
fn handbook_has_a_page_per_rule_waivers_and_no_broken_links() {
    let out = tempfile::tempdir().expect("tmp");
    let repo = render(out.path());
    let ids = rule_ids(repo.path());
    assert!(ids.len() >= 5);
    for id in &ids {
        assert!(
            out.path().join(format!("rules/{id}.html")).is_file(),
            "{id}"
        );
        assert!(out.path().join(format!("rules/{id}.md")).is_file(), "{id}");
    }
    let index = std::fs::read_to_string(out.path().join("index.html")).expect("index");
    for id in &ids {
        assert!(index.contains(&format!("href=\"rules/{id}.html\"")), "{id}");
    }
    for f in html_files(out.path()) {
        let html = std::fs::read_to_string(&f).expect("read");
        assert!(!html.contains("<script src"), "no external scripts");
        assert!(!html.contains("<link"), "no external stylesheets");
        check_links(&f, &html);
    }
    let page =
        std::fs::read_to_string(out.path().join("rules/privileged-container.html")).expect("page");
    assert!(
        page.contains("<h2 id=\"waivers\">Waivers (2)</h2>"),
        "{page}"
    );
    assert!(
        page.contains("DaemonSet monitoring/node-exporter"),
        "{page}"
    );
    assert!(
        page.contains("reads host metrics from <code>/proc</code>"),
        "{page}"
    );
    assert!(page.contains("old &lt;agent&gt;"), "escaped");
    assert!(
        page.contains("<td class=\"expired\">2025-06-30 (expired)</td>"),
        "{page}"
    );
    assert!(page.contains("<td>2026-12-31</td>"), "{page}");
    assert!(page.contains("central waivers file only"), "{page}");
    assert!(page.contains("ops-security (#ops-sec)"), "{page}");
    let md = std::fs::read_to_string(out.path().join("rules/privileged-container.md")).expect("md");
    assert!(
        md.contains("| files legacy/** | old <agent> | bob |  | 2025-06-30 (expired) |"),
        "{md}"
    );
}

fn chromium(args: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().expect("tmp");
    Command::new("timeout")
        .arg("120")
        .arg(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs")
}

fn url(p: &Path, query: &str) -> String {
    format!("file://{}{query}", p.display())
}

/// The rows of the rules table in a dumped DOM: (id, hidden).
fn rows(dom: &str) -> Vec<(String, bool)> {
    dom.split("<tr data-id=\"")
        .skip(1)
        .map(|s| {
            let id = s.split('"').next().unwrap_or_default().to_string();
            let tag = s.split('>').next().unwrap_or_default();
            (id, tag.contains("hidden"))
        })
        .collect()
}

#[test]
fn handbook_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} not installed (CI installs it: apt-get install chromium)");
        return;
    }
    let out = tempfile::tempdir().expect("tmp");
    let repo = render(out.path());
    let index = out.path().join("index.html");
    let ids = rule_ids(repo.path());

    // The page loads and its script runs: with no query every rule is shown.
    let dom = String::from_utf8(chromium(&["--dump-dom"], &url(&index, "")).stdout).expect("utf8");
    assert!(dom.contains("<h1>Policy handbook</h1>"), "{dom}");
    let all = rows(&dom);
    assert_eq!(all.len(), ids.len());
    assert!(all.iter().all(|(_, hidden)| !hidden), "{all:?}");
    let n = ids.len();
    assert!(dom.contains(&format!("<p id=\"count\">{n} of {n} rules</p>")));
    check_links(&index, &dom);

    // `?q=` filters on load.
    let dom =
        String::from_utf8(chromium(&["--dump-dom"], &url(&index, "?q=memory%20limit")).stdout)
            .expect("utf8");
    let shown: Vec<String> = rows(&dom)
        .into_iter()
        .filter(|(_, h)| !h)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(shown, ["missing-memory-limit"], "{dom}");
    assert!(
        dom.contains(&format!("<p id=\"count\">1 of {n} rules</p>")),
        "{dom}"
    );

    // Severity filter and multi-word search.
    let dom = String::from_utf8(
        chromium(
            &["--dump-dom"],
            &url(&index, "?q=ops-security%20run%20privileged&severity=error"),
        )
        .stdout,
    )
    .expect("utf8");
    let shown: Vec<String> = rows(&dom)
        .into_iter()
        .filter(|(_, h)| !h)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(shown, ["privileged-container"], "{dom}");

    // Rule pages load in the browser and their links resolve (a sample: every page's links are
    // checked statically above, and each browser start costs seconds).
    let pages = html_files(out.path());
    let sample = pages.iter().skip(1).take(3).chain(
        pages
            .iter()
            .filter(|p| p.ends_with("privileged-container.html")),
    );
    for f in sample {
        let dom = String::from_utf8(chromium(&["--dump-dom"], &url(f, "")).stdout).expect("utf8");
        assert!(dom.contains("<h1><code>"), "{}: {dom}", f.display());
        check_links(f, &dom);
    }

    // Screenshots kept as test artifacts.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("mkdir");
    for (name, page) in [
        ("handbook-index.png", index.clone()),
        (
            "handbook-rule.png",
            out.path().join("rules/privileged-container.html"),
        ),
    ] {
        let shot = artifacts.join(name);
        let _ = std::fs::remove_file(&shot);
        let o = chromium(
            &[&format!("--screenshot={}", shot.display())],
            &url(&page, ""),
        );
        let png = std::fs::read(&shot).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: {}",
                shot.display(),
                String::from_utf8_lossy(&o.stderr)
            )
        });
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{}",
            shot.display()
        );
        eprintln!("screenshot: {}", shot.display());
    }
}
