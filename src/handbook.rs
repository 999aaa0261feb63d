//! The policy handbook: a static, offline HTML site (plus markdown) of the active rules.
//!
//! One index with client-side search and a severity/category filter (plain JS, no external
//! assets; `?q=`, `?severity=` and `?category=` in the URL pre-fill the filter, so runbooks can
//! link to a filtered view) and one page per rule: what, why, examples, fix, owner, and the
//! waivers in force with their expiry. The same content is written as markdown. Rendering is
//! pure: [`render`] returns `(relative path, contents)` pairs in a fixed order.

use crate::policy::Rule;
use crate::waiver::{CentralWaiver, Date, WaiverSet, target_text};
use std::collections::BTreeSet;
use std::fmt::Write;

/// What the handbook is rendered from.
pub struct Input<'a> {
    /// Active rules.
    pub rules: &'a [Rule],
    /// The central waivers file.
    pub waivers: &'a WaiverSet,
    /// Rules that may only be waived centrally.
    pub central_only: &'a BTreeSet<String>,
    /// Reference date for "expired".
    pub today: Date,
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Inline markdown → HTML: `code`, [text](url), **bold**; everything else escaped.
fn inline(s: &str) -> String {
    let mut o = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('`')
            && let Some(end) = r.find('`')
        {
            let _ = write!(o, "<code>{}</code>", esc(&r[..end]));
            rest = &r[end + 1..];
            continue;
        }
        if let Some(r) = rest.strip_prefix("**")
            && let Some(end) = r.find("**")
        {
            let _ = write!(o, "<strong>{}</strong>", esc(&r[..end]));
            rest = &r[end + 2..];
            continue;
        }
        if let Some(r) = rest.strip_prefix('[')
            && let Some(close) = r.find("](")
            && let Some(end) = r[close + 2..].find(')')
        {
            let url = &r[close + 2..close + 2 + end];
            if url.starts_with("http://") || url.starts_with("https://") {
                let _ = write!(o, "<a href=\"{}\">{}</a>", esc(url), esc(&r[..close]));
                rest = &r[close + 2 + end + 1..];
                continue;
            }
        }
        let c = rest.chars().next().expect("non-empty");
        o.push_str(&esc(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    o
}

/// Block markdown → HTML: paragraphs, `-` lists, fenced code.
fn blocks(s: &str) -> String {
    let mut o = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    let flush = |o: &mut String, para: &mut Vec<&str>, list: &mut Vec<String>| {
        if !para.is_empty() {
            let _ = writeln!(o, "<p>{}</p>", inline(&para.join(" ")));
            para.clear();
        }
        if !list.is_empty() {
            o.push_str("<ul>");
            for i in list.iter() {
                let _ = write!(o, "<li>{}</li>", inline(i));
            }
            o.push_str("</ul>\n");
            list.clear();
        }
    };
    for line in s.lines() {
        if let Some(c) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                let _ = writeln!(o, "<pre><code>{}</code></pre>", esc(&c.join("\n")));
                code = None;
            } else {
                c.push(line);
            }
            continue;
        }
        let t = line.trim();
        if t.starts_with("```") {
            flush(&mut o, &mut para, &mut list);
            code = Some(Vec::new());
        } else if t.is_empty() {
            flush(&mut o, &mut para, &mut list);
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            if !para.is_empty() {
                let mut none = Vec::new();
                flush(&mut o, &mut para, &mut none);
            }
            list.push(item.to_string());
        } else if let Some(last) = list.last_mut().filter(|_| line.starts_with("  ")) {
            // Continuation of a list item.
            last.push(' ');
            last.push_str(t);
        } else {
            para.push(t);
        }
    }
    if let Some(c) = code {
        let _ = writeln!(o, "<pre><code>{}</code></pre>", esc(&c.join("\n")));
    }
    flush(&mut o, &mut para, &mut list);
    o
}

const CSS: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}\
code{background:#f3f3f3;padding:0 .2rem}pre code{background:none;padding:0}pre{background:#f6f8fa;padding:.6rem;overflow:auto}\
.sev{font-weight:600}.error{color:#b00}.warning{color:#a60}.info{color:#06a}.expired{color:#b00;font-weight:600}\
.filters{display:flex;gap:.5rem;margin:1rem 0}.filters input{flex:1;padding:.3rem}nav{margin-bottom:1rem}";

fn page(title: &str, body: &str, script: Option<&str>) -> String {
    let mut o = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}",
        esc(title)
    );
    if let Some(s) = script {
        let _ = writeln!(o, "<script>{s}</script>");
    }
    o.push_str("</body>\n</html>\n");
    o
}

const FILTER_JS: &str = r#"
(function () {
  var q = document.getElementById('q');
  var sev = document.getElementById('severity');
  var cat = document.getElementById('category');
  var count = document.getElementById('count');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#rules tbody tr'));
  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (r) {
      var text = r.getAttribute('data-search');
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
        (!sev.value || r.getAttribute('data-severity') === sev.value) &&
        (!cat.value || r.getAttribute('data-category') === cat.value);
      r.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' rules';
  }
  var params = new URLSearchParams(window.location.search);
  if (params.get('q')) q.value = params.get('q');
  if (params.get('severity')) sev.value = params.get('severity');
  if (params.get('category')) cat.value = params.get('category');
  q.addEventListener('input', apply);
  sev.addEventListener('change', apply);
  cat.addEventListener('change', apply);
  apply();
})();
"#;

fn waivers_for<'a>(input: &'a Input<'_>, rule: &str) -> Vec<&'a CentralWaiver> {
    input
        .waivers
        .entries
        .iter()
        .filter(|w| w.spec.rule == rule)
        .collect()
}

fn owner_line(r: &Rule) -> String {
    match (&r.owner, &r.contact) {
        (Some(o), Some(c)) => format!("{o} ({c})"),
        (Some(o), None) => o.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => "not set".into(),
    }
}

fn rule_html(r: &Rule, input: &Input<'_>) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<nav><a href=\"../index.html\">← All rules</a></nav>\n<h1><code>{}</code>: {}</h1>",
        esc(r.id()),
        esc(&r.spec.title)
    );
    let _ = writeln!(
        b,
        "<table class=\"meta\"><tr><th>Severity</th><td class=\"sev {0}\">{0}</td></tr><tr><th>Category</th><td>{1}</td></tr><tr><th>Owner</th><td id=\"owner\">{2}</td></tr><tr><th>Waivers</th><td>{3}</td></tr></table>",
        r.severity.as_str(),
        esc(&r.spec.category),
        esc(&owner_line(r)),
        if input.central_only.contains(r.id()) {
            "central waivers file only (annotations are not honoured)"
        } else {
            "annotation <code>accord.dev/ignore</code> or central waivers file"
        }
    );
    if let Some(d) = &r.spec.description {
        let _ = write!(b, "<h2>What it does</h2>\n{}", blocks(d));
    }
    let _ = write!(b, "<h2>Why</h2>\n{}", blocks(&r.spec.why));
    let _ = write!(b, "<h2>What to do</h2>\n{}", blocks(&r.spec.help));
    if let Some(f) = &r.fix {
        let _ = writeln!(
            b,
            "<h2>Fix</h2>\n<p>{} ({})</p>",
            inline(&f.title),
            if f.safe {
                "safe: <code>accord lint --fix</code>"
            } else {
                "unsafe: <code>accord lint --fix --unsafe-fixes</code>"
            }
        );
    }
    let ws = waivers_for(input, r.id());
    let _ = writeln!(b, "<h2 id=\"waivers\">Waivers ({})</h2>", ws.len());
    if ws.is_empty() {
        b.push_str("<p>No central waivers for this rule.</p>\n");
    } else {
        b.push_str("<table id=\"waiver-list\"><thead><tr><th>Target</th><th>Reason</th><th>Approved by</th><th>Ticket</th><th>Expires</th></tr></thead><tbody>\n");
        for w in ws {
            let expired = w.expires < input.today;
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}{}</td></tr>",
                esc(&target_text(&w.spec.target)),
                inline(w.spec.reason.trim()),
                esc(&w.spec.approved_by),
                w.spec.ticket.as_deref().map(link).unwrap_or_default(),
                if expired { " class=\"expired\"" } else { "" },
                w.expires,
                if expired { " (expired)" } else { "" }
            );
        }
        b.push_str("</tbody></table>\n");
    }
    for ex in &r.spec.examples.invalid {
        let _ = writeln!(
            b,
            "<h2>Example (flagged)</h2>\n<pre class=\"invalid\"><code>{}</code></pre>",
            esc(ex.trim_end())
        );
    }
    for ex in &r.spec.examples.valid {
        let _ = writeln!(
            b,
            "<h2>Use instead</h2>\n<pre class=\"valid\"><code>{}</code></pre>",
            esc(ex.trim_end())
        );
    }
    if let Some(d) = &r.spec.docs {
        let _ = writeln!(b, "<h2>Reference</h2>\n<p>{}</p>", link(d));
    }
    page(&format!("{} — accord policy handbook", r.id()), &b, None)
}

fn link(s: &str) -> String {
    if s.starts_with("http://") || s.starts_with("https://") {
        format!("<a href=\"{0}\">{0}</a>", esc(s))
    } else {
        esc(s)
    }
}

fn index_html(input: &Input<'_>) -> String {
    let mut b = String::from(
        "<h1>Policy handbook</h1>\n<p>The rules accord checks in this repository: what each one requires, why ops require it, how to fix a finding, whom to ask, and the exceptions in force. Search, or filter by severity and category.</p>\n",
    );
    let cats: BTreeSet<&str> = input
        .rules
        .iter()
        .map(|r| r.spec.category.as_str())
        .collect();
    b.push_str("<div class=\"filters\"><input id=\"q\" type=\"search\" placeholder=\"Search rules (id, title, owner, category…)\" aria-label=\"Search rules\">");
    b.push_str("<select id=\"severity\" aria-label=\"Severity\"><option value=\"\">All severities</option><option value=\"error\">error</option><option value=\"warning\">warning</option><option value=\"info\">info</option></select>");
    b.push_str("<select id=\"category\" aria-label=\"Category\"><option value=\"\">All categories</option>");
    for c in &cats {
        let _ = write!(b, "<option value=\"{0}\">{0}</option>", esc(c));
    }
    let _ = writeln!(
        b,
        "</select></div>\n<p id=\"count\">{0} of {0} rules</p>",
        input.rules.len()
    );
    let mut rules: Vec<&Rule> = input.rules.iter().collect();
    rules.sort_by(|a, b| a.id().cmp(b.id()));
    b.push_str("<table id=\"rules\"><thead><tr><th>Rule</th><th>Severity</th><th>Category</th><th>Owner</th><th>Waivers</th></tr></thead><tbody>\n");
    for r in rules {
        let ws = waivers_for(input, r.id());
        let active = ws.iter().filter(|w| w.expires >= input.today).count();
        let search = format!(
            "{} {} {} {} {}",
            r.id(),
            r.spec.title,
            r.spec.category,
            owner_line(r),
            r.severity.as_str()
        )
        .to_lowercase();
        let _ = writeln!(
            b,
            "<tr data-id=\"{id}\" data-severity=\"{sev}\" data-category=\"{cat}\" data-search=\"{search}\"><td><a href=\"rules/{id}.html\"><code>{id}</code></a><br>{title}</td><td class=\"sev {sev}\">{sev}</td><td>{cat}</td><td>{owner}</td><td>{active}{more}</td></tr>",
            id = esc(r.id()),
            sev = r.severity.as_str(),
            cat = esc(&r.spec.category),
            search = esc(&search),
            title = esc(&r.spec.title),
            owner = esc(&owner_line(r)),
            more = if ws.len() > active {
                format!(" (+{} expired)", ws.len() - active)
            } else {
                String::new()
            }
        );
    }
    b.push_str(
        "</tbody></table>\n<p>Also available as markdown: <a href=\"index.md\">index.md</a>.</p>\n",
    );
    page("accord policy handbook", &b, Some(FILTER_JS))
}

fn rule_md(r: &Rule, input: &Input<'_>) -> String {
    let mut o = crate::cli::explain_text(r);
    let ws = waivers_for(input, r.id());
    let _ = writeln!(o, "\n## Waivers ({})\n", ws.len());
    if input.central_only.contains(r.id()) {
        o.push_str("Only the central waivers file can waive this rule; `accord.dev/ignore` annotations are not honoured.\n\n");
    }
    if ws.is_empty() {
        o.push_str("No central waivers for this rule.\n");
    } else {
        o.push_str("| Target | Reason | Approved by | Ticket | Expires |\n|---|---|---|---|---|\n");
        for w in ws {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {}{} |",
                target_text(&w.spec.target).replace('|', "\\|"),
                w.spec.reason.trim().replace('|', "\\|").replace('\n', " "),
                w.spec.approved_by,
                w.spec.ticket.as_deref().unwrap_or(""),
                w.expires,
                if w.expires < input.today {
                    " (expired)"
                } else {
                    ""
                }
            );
        }
    }
    o
}

fn index_md(input: &Input<'_>) -> String {
    let mut o = String::from(
        "# Policy handbook\n\n| Rule | Title | Severity | Category | Owner | Waivers |\n|---|---|---|---|---|---|\n",
    );
    let mut rules: Vec<&Rule> = input.rules.iter().collect();
    rules.sort_by(|a, b| a.id().cmp(b.id()));
    for r in rules {
        let _ = writeln!(
            o,
            "| [`{0}`](rules/{0}.md) | {1} | {2} | {3} | {4} | {5} |",
            r.id(),
            r.spec.title.replace('|', "\\|"),
            r.severity.as_str(),
            r.spec.category,
            owner_line(r),
            waivers_for(input, r.id()).len()
        );
    }
    o
}

/// Render the handbook: `(path relative to the output directory, contents)`, rules by id.
pub fn render(input: &Input<'_>) -> Vec<(String, String)> {
    let mut rules: Vec<&Rule> = input.rules.iter().collect();
    rules.sort_by(|a, b| a.id().cmp(b.id()));
    let mut out = vec![
        ("index.html".to_string(), index_html(input)),
        ("index.md".to_string(), index_md(input)),
    ];
    for r in rules {
        out.push((format!("rules/{}.html", r.id()), rule_html(r, input)));
        out.push((format!("rules/{}.md", r.id()), rule_md(r, input)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_subset() {
        assert_eq!(
            inline("Set `a<b` and [docs](https://x.io/?a=1&b=2) **now** <script>"),
            "Set <code>a&lt;b</code> and <a href=\"https://x.io/?a=1&amp;b=2\">docs</a> <strong>now</strong> &lt;script&gt;"
        );
        assert_eq!(
            inline("[x](javascript:alert(1))"),
            "[x](javascript:alert(1))"
        );
        let h = blocks("One\ntwo.\n\n- a\n- b\n\n```\n<x>\n```\n");
        assert_eq!(
            h,
            "<p>One two.</p>\n<ul><li>a</li><li>b</li></ul>\n<pre><code>&lt;x&gt;</code></pre>\n"
        );
    }
}
