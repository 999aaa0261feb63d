//! The rule catalogue: a Markdown page generated from rule files (`docs/rules.md`,
//! `accord rules --format markdown`), so the documentation can never drift from the rules.

use super::{PRESETS, Rule};
use std::fmt::Write;

/// Is the rule's fix applied by `--fix` (safe), offered (unsafe), or absent?
pub fn fix_kind(r: &Rule) -> &'static str {
    match &r.fix {
        Some(f) if f.safe => "safe",
        Some(_) => "unsafe",
        None => "",
    }
}

fn anchor(id: &str) -> String {
    id.to_string()
}

fn presets(r: &Rule) -> String {
    let mut p: Vec<&str> = r.spec.presets.iter().map(String::as_str).collect();
    p.push("all");
    p.join(", ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The catalogue of `rules` as Markdown, grouped by category (rules sorted by id).
pub fn markdown(rules: &[Rule]) -> String {
    let mut rules: Vec<&Rule> = rules.iter().collect();
    rules.sort_by(|a, b| {
        (a.spec.category.as_str(), a.id()).cmp(&(b.spec.category.as_str(), b.id()))
    });
    let mut o = String::new();
    let _ = writeln!(o, "# Rule catalogue\n");
    let _ = writeln!(
        o,
        "<!-- Generated from policies/ by `accord rules --all --format markdown`; do not edit. -->\n"
    );
    let fixable = rules.iter().filter(|r| r.fix.is_some()).count();
    let safe = rules
        .iter()
        .filter(|r| r.fix.as_ref().is_some_and(|f| f.safe))
        .count();
    let _ = writeln!(
        o,
        "{} rules, {} with a machine fix ({} safe, applied by `accord lint --fix`).\n",
        rules.len(),
        fixable,
        safe
    );
    let _ = writeln!(o, "Presets (config `preset:`):\n");
    for p in PRESETS {
        let n = if *p == "all" {
            rules.len()
        } else {
            rules
                .iter()
                .filter(|r| r.spec.presets.iter().any(|x| x == p))
                .count()
        };
        let what = match *p {
            "default" => "high-signal rules, on unless configured otherwise",
            "pss-baseline" => "exactly the Pod Security Standards baseline controls",
            "pss-restricted" => {
                "exactly the Pod Security Standards restricted controls (baseline included)"
            }
            _ => "every rule",
        };
        let _ = writeln!(o, "- `{p}` ({n} rules): {what}.");
    }
    let _ = writeln!(
        o,
        "\n| Rule | Severity | Category | Presets | Fix | Title |\n|---|---|---|---|---|---|"
    );
    for r in &rules {
        let _ = writeln!(
            o,
            "| [`{}`](#{}) | {} | {} | {} | {} | {} |",
            r.id(),
            anchor(r.id()),
            r.spec.severity.as_str(),
            r.spec.category,
            presets(r),
            fix_kind(r),
            r.spec.title
        );
    }
    let mut category = "";
    for r in &rules {
        if r.spec.category != category {
            category = &r.spec.category;
            let _ = writeln!(o, "\n## {category}");
        }
        let _ = writeln!(o, "\n### {}\n", r.id());
        let _ = writeln!(o, "**{}**\n", r.spec.title);
        let _ = writeln!(
            o,
            "Severity: {} · Presets: {}{}\n",
            r.spec.severity.as_str(),
            presets(r),
            match fix_kind(r) {
                "" => String::new(),
                k => format!(" · Fix: {k}"),
            }
        );
        if let Some(d) = &r.spec.description {
            let _ = writeln!(o, "{}\n", one_line(d));
        }
        let _ = writeln!(o, "*Why:* {}\n", one_line(&r.spec.why));
        let _ = writeln!(o, "*What to do:* {}\n", one_line(&r.spec.help));
        if let Some(f) = &r.fix {
            let _ = writeln!(
                o,
                "*Fix ({}):* {}\n",
                if f.safe { "safe" } else { "unsafe" },
                f.title
            );
        }
        if !r.spec.aliases.is_empty() {
            let _ = writeln!(
                o,
                "*Equivalent checks:* {}\n",
                r.spec
                    .aliases
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(d) = &r.spec.docs {
            let _ = writeln!(o, "*Docs:* <{d}>\n");
        }
        if let Some(ex) = r.spec.examples.invalid.first() {
            let _ = writeln!(
                o,
                "<details><summary>Example that is flagged</summary>\n\n```yaml\n{}\n```\n\n</details>",
                ex.trim_end()
            );
        }
    }
    o
}
