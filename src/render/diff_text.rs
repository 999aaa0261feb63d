//! `accord diff --format text`: object changes, the annotated diff (each introduced finding
//! under its line, with why, owner and its fix as a patch), then fixed, pre-existing and
//! policy-change sections and a summary line. Colour only when asked (the CLI asks on a TTY).

use super::Paint;
use crate::diagnostic::{Applicability, Diagnostic};
use crate::diff::model::*;
use std::fmt::Write;

/// Most field changes listed per object before "… N more".
pub const MAX_FIELDS: usize = 12;

/// A JSON value in one short line (strings quoted; long values keep both ends, since the end
/// of an image reference or a path is where changes usually are).
pub fn short_value(v: &serde_json::Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    let chars: Vec<char> = s.chars().collect();
    if chars.len() > 80 {
        let head: String = chars[..30].iter().collect();
        let tail: String = chars[chars.len() - 47..].iter().collect();
        format!("{head}…{tail}")
    } else {
        s
    }
}

/// One field change as `path: old → new` (or `+ path: new` / `- path: old`).
pub fn field_line(f: &FieldChange) -> String {
    match f.kind {
        FieldChangeKind::Added => format!(
            "+ {}: {}",
            f.path,
            f.new.as_ref().map(short_value).unwrap_or_default()
        ),
        FieldChangeKind::Removed => format!(
            "- {}: {}",
            f.path,
            f.old.as_ref().map(short_value).unwrap_or_default()
        ),
        FieldChangeKind::Changed => format!(
            "~ {}: {} → {}",
            f.path,
            f.old.as_ref().map(short_value).unwrap_or_default(),
            f.new.as_ref().map(short_value).unwrap_or_default()
        ),
    }
}

/// How an object change is described in one line: (symbol, verb, detail).
pub fn change_words(c: &ObjectChange) -> (&'static str, &'static str, String) {
    let loc = |s: &Option<ObjectSide>| {
        s.as_ref()
            .map(|s| match &s.overlay {
                Some(o) => format!("{}:{} (rendered by {o})", s.file, s.line),
                None => format!("{}:{}", s.file, s.line),
            })
            .unwrap_or_default()
    };
    match c.kind {
        ChangeKind::Added => ("+", "added", loc(&c.new)),
        ChangeKind::Removed => ("-", "removed", loc(&c.old)),
        ChangeKind::Modified if c.moved() => (
            "~",
            "modified",
            format!("{} → {}", loc(&c.old), loc(&c.new)),
        ),
        ChangeKind::Modified => ("~", "modified", loc(&c.new)),
        ChangeKind::Moved => (">", "moved", format!("{} → {}", loc(&c.old), loc(&c.new))),
        ChangeKind::Renamed => (
            "=",
            "renamed",
            format!(
                "from {} · {}",
                c.old.as_ref().map(|o| o.id.display()).unwrap_or_default(),
                loc(&c.new)
            ),
        ),
    }
}

fn finding_block(d: &Diagnostic, patch: Option<&str>, indent: &str, p: &Paint, out: &mut String) {
    let _ = writeln!(
        out,
        "{indent}{} {}",
        p.wrap("1", &format!("{}[{}]", p.sev(d.severity), d.rule)),
        p.wrap("1", &d.message)
    );
    if let Some(obj) = &d.object {
        let path = if d.path.is_empty() {
            String::new()
        } else {
            format!(" at {}", d.path)
        };
        let _ = writeln!(
            out,
            "{indent}  {} {}{path}",
            p.wrap("34", "in"),
            obj.display()
        );
    }
    let mut why = d.why.lines();
    if let Some(first) = why.next() {
        let _ = writeln!(out, "{indent}  {} {first}", p.wrap("1", "why:"));
        for l in why {
            let _ = writeln!(out, "{indent}       {l}");
        }
    }
    if !d.help.is_empty() {
        let _ = writeln!(out, "{indent}  {} {}", p.wrap("1", "help:"), d.help);
    }
    if let Some((label, text)) = super::owner_line(d) {
        let _ = writeln!(out, "{indent}  {} {text}", p.wrap("1", label));
    }
    if let Some(docs) = &d.docs {
        let _ = writeln!(out, "{indent}  {} {docs}", p.wrap("1", "docs:"));
    }
    if let Some(c) = &d.code_owner {
        let _ = writeln!(out, "{indent}  {} {c}", p.wrap("1", "code owner:"));
    }
    if let Some(w) = d.waiver.as_ref().filter(|w| w.expired) {
        let _ = writeln!(
            out,
            "{indent}  {} {}",
            p.wrap("1;33", "waiver expired:"),
            super::text::waiver_text(w)
        );
    }
    if let Some(f) = &d.fix {
        let kind = match f.applicability {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "manual",
        };
        let _ = writeln!(
            out,
            "{indent}  {} {} ({kind})",
            p.wrap("1", "fix:"),
            f.title
        );
        if let Some(patch) = patch {
            for l in patch.lines() {
                let colored = if l.starts_with("+++") || l.starts_with("---") {
                    p.wrap("1", l)
                } else if l.starts_with('+') {
                    p.wrap("32", l)
                } else if l.starts_with('-') {
                    p.wrap("31", l)
                } else if l.starts_with("@@") {
                    p.wrap("36", l)
                } else {
                    l.to_string()
                };
                let _ = writeln!(out, "{indent}    {colored}");
            }
        }
    }
}

/// A waived finding under its line: what, and the waiver in force.
fn waived_block(d: &Diagnostic, indent: &str, p: &Paint, out: &mut String) {
    let _ = writeln!(
        out,
        "{indent}{} {} {}",
        p.wrap("2", "waived"),
        p.wrap("1", &format!("[{}]", d.rule)),
        d.message
    );
    if let Some(w) = &d.waiver {
        let _ = writeln!(
            out,
            "{indent}  {} {}",
            p.wrap("34", "= waiver:"),
            super::text::waiver_text(w)
        );
    }
}

fn one_line(d: &Diagnostic, p: &Paint) -> String {
    format!(
        "{}[{}] {}  {}:{}",
        p.sev(d.severity),
        d.rule,
        d.message,
        d.location.file(),
        d.location.start.line
    )
}

/// Render the whole diff report.
pub fn render(r: &DiffReport, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} → {}",
        p.wrap("1", "accord diff"),
        r.base.label(),
        r.head.label()
    );
    // 1. Object changes.
    if !r.objects.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap("1", &format!("Object changes ({})", r.objects.len()))
        );
        for c in &r.objects {
            let (sym, verb, detail) = change_words(c);
            let code = match c.kind {
                ChangeKind::Added => "32",
                ChangeKind::Removed => "31",
                _ => "33",
            };
            let _ = writeln!(
                out,
                "  {} {:<8} {}  {}",
                p.wrap(code, sym),
                verb,
                p.wrap("1", &c.id.display()),
                p.wrap("2", &detail)
            );
            for f in c.fields.iter().take(MAX_FIELDS) {
                let _ = writeln!(out, "      {}", field_line(f));
            }
            if c.fields.len() > MAX_FIELDS {
                let _ = writeln!(
                    out,
                    "      … {} more field changes (--format json lists all)",
                    c.fields.len() - MAX_FIELDS
                );
            }
        }
    }
    // 2. Annotated diff.
    let mut shown = vec![false; r.findings.introduced.len()];
    if !r.files.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap("1", &format!("Changed files ({})", r.files.len()))
        );
    }
    for f in &r.files {
        let old = f.old_path.as_deref().unwrap_or(&f.path);
        let (a, b) = match f.status {
            FileStatus::Added => ("/dev/null".to_string(), format!("b/{}", f.path)),
            FileStatus::Deleted => (format!("a/{}", f.path), "/dev/null".to_string()),
            _ => (format!("a/{old}"), format!("b/{}", f.path)),
        };
        let _ = writeln!(out, "{}", p.wrap("1", &format!("--- {a}")));
        let _ = writeln!(out, "{}", p.wrap("1", &format!("+++ {b}")));
        for h in &f.hunks {
            let _ = writeln!(
                out,
                "{}",
                p.wrap(
                    "36",
                    &format!(
                        "@@ -{},{} +{},{} @@",
                        h.old_start, h.old_len, h.new_start, h.new_len
                    )
                )
            );
            for l in &h.lines {
                let line = match l.tag {
                    LineTag::Context => format!(" {}", l.text),
                    LineTag::Added => p.wrap("32", &format!("+{}", l.text)),
                    LineTag::Removed => p.wrap("31", &format!("-{}", l.text)),
                };
                let _ = writeln!(out, "{line}");
                for &i in &l.annotations {
                    let Some(fd) = r.findings.introduced.get(i) else {
                        continue;
                    };
                    shown[i] = true;
                    let col = fd.diagnostic.location.start.column.saturating_sub(1);
                    if fd.diagnostic.is_waived() {
                        let _ = writeln!(out, " {}{}", " ".repeat(col), p.wrap("2", "^"));
                        waived_block(
                            &fd.diagnostic,
                            &format!(" {}", " ".repeat(col.min(12))),
                            &p,
                            &mut out,
                        );
                        continue;
                    }
                    let _ = writeln!(out, " {}{}", " ".repeat(col), p.wrap("1;31", "^"));
                    finding_block(
                        &fd.diagnostic,
                        fd.patch.as_deref(),
                        &format!(" {}", " ".repeat(col.min(12))),
                        &p,
                        &mut out,
                    );
                }
            }
        }
    }
    let rest: Vec<&Finding> = r
        .findings
        .introduced
        .iter()
        .enumerate()
        .filter(|(i, f)| !shown[*i] && !f.diagnostic.is_waived())
        .map(|(_, f)| f)
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap(
                "1",
                &format!("Introduced outside the changed lines ({})", rest.len())
            )
        );
        for f in rest {
            let d = &f.diagnostic;
            let _ = writeln!(
                out,
                "  {} {}:{}:{}",
                p.wrap("34", "-->"),
                d.location.file(),
                d.location.start.line,
                d.location.start.column
            );
            finding_block(d, f.patch.as_deref(), "  ", &p, &mut out);
        }
    }
    // 3. Fixed, policy, pre-existing.
    if !r.findings.fixed.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap("1", &format!("Fixed ({})", r.findings.fixed.len()))
        );
        for f in &r.findings.fixed {
            let _ = writeln!(
                out,
                "  {} {}",
                p.wrap("32", "✓"),
                one_line(&f.diagnostic, &p)
            );
        }
    }
    if let Some(pc) = &r.policy {
        let _ = writeln!(out, "\n{}", p.wrap("1", "Policy change"));
        for (what, list) in [
            ("added", &pc.rules_added),
            ("removed", &pc.rules_removed),
            ("changed", &pc.rules_changed),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "  rules {what}: {}", list.join(", "));
            }
        }
        if pc.filter_changed {
            let _ = writeln!(
                out,
                "  include/exclude globs changed (HEAD's apply to both revisions)"
            );
        }
        for i in &pc.impact {
            let _ = writeln!(
                out,
                "  rule `{}` newly flags {} object{} in {} file{}",
                i.rule,
                i.objects,
                if i.objects == 1 { "" } else { "s" },
                i.files,
                if i.files == 1 { "" } else { "s" }
            );
        }
        for f in &pc.newly_flagged {
            let _ = writeln!(
                out,
                "    {} {}",
                p.wrap("33", "!"),
                one_line(&f.diagnostic, &p)
            );
        }
        if !pc.no_longer_flagged.is_empty() {
            let _ = writeln!(
                out,
                "  no longer flagged because of the rule change: {}",
                pc.no_longer_flagged.len()
            );
            for f in &pc.no_longer_flagged {
                let _ = writeln!(
                    out,
                    "    {} {}",
                    p.wrap("32", "✓"),
                    one_line(&f.diagnostic, &p)
                );
            }
        }
    }
    let unchanged: Vec<&Finding> = r
        .findings
        .unchanged
        .iter()
        .filter(|f| !f.diagnostic.is_waived())
        .collect();
    if !unchanged.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap("1", &format!("Pre-existing ({})", unchanged.len()))
        );
        for f in unchanged {
            let _ = writeln!(
                out,
                "  {} {}",
                p.wrap("2", "·"),
                one_line(&f.diagnostic, &p)
            );
        }
    }
    // Waived findings are listed, never dropped: introduced ones first.
    let waived: Vec<(&str, &Finding)> = r
        .findings
        .introduced
        .iter()
        .map(|f| ("introduced", f))
        .chain(r.findings.unchanged.iter().map(|f| ("pre-existing", f)))
        .filter(|(_, f)| f.diagnostic.is_waived())
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap("1", &format!("Waived ({})", waived.len()))
        );
        for (what, f) in waived {
            let d = &f.diagnostic;
            let _ = writeln!(
                out,
                "  {} {}  {}",
                p.wrap("2", "~"),
                one_line(d, &p),
                p.wrap("2", &format!("({what})"))
            );
            if let Some(w) = &d.waiver {
                let _ = writeln!(
                    out,
                    "      {} {}",
                    p.wrap("34", "= waiver:"),
                    super::text::waiver_text(w)
                );
            }
        }
    }
    if !r.new_waivers.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.wrap(
                "1",
                &format!("Waivers added in this change ({})", r.new_waivers.len())
            )
        );
        for n in &r.new_waivers {
            let _ = writeln!(
                out,
                "  {}:{}: {} — {}",
                n.file,
                n.line,
                n.describe(),
                p.wrap(
                    "1;33",
                    &format!("needs approval by {}", n.needs_approval_by)
                )
            );
        }
    }
    for e in &r.errors {
        let _ = writeln!(out, "error: cannot read {}: {}", e.file, e.message);
    }
    out.push('\n');
    out.push_str(&summary_line(r));
    out.push('\n');
    out
}

/// The closing line: `2 introduced (1 error, 1 warning), 4 pre-existing, 1 fixed · …`.
pub fn summary_line(r: &DiffReport) -> String {
    let s = &r.summary;
    let mut sev = Vec::new();
    for (n, w) in [
        (s.introduced_errors, "error"),
        (s.introduced_warnings, "warning"),
        (s.introduced_infos, "info"),
    ] {
        if n > 0 {
            sev.push(format!(
                "{n} {w}{}",
                if n == 1 || w == "info" { "" } else { "s" }
            ));
        }
    }
    let sev = if sev.is_empty() {
        String::new()
    } else {
        format!(" ({})", sev.join(", "))
    };
    let mut objs = Vec::new();
    for (n, w) in [
        (s.added, "added"),
        (s.removed, "removed"),
        (s.modified, "modified"),
        (s.moved, "moved"),
        (s.renamed, "renamed"),
    ] {
        if n > 0 {
            objs.push(format!("{n} {w}"));
        }
    }
    let objs = if objs.is_empty() {
        "no object changes".to_string()
    } else {
        format!("objects: {}", objs.join(", "))
    };
    let mut line = format!(
        "{} introduced{sev}, {} pre-existing, {} fixed · {objs} · {} file{} changed",
        s.introduced,
        s.unchanged,
        s.fixed,
        s.files,
        if s.files == 1 { "" } else { "s" }
    );
    if s.policy_new > 0 {
        let _ = write!(line, " · rule change newly flags {}", s.policy_new);
    }
    for (n, one, many) in [
        (s.waived, "waived", "waived"),
        (s.expired_waivers, "expired waiver", "expired waivers"),
        (s.stale_waivers, "stale waiver", "stale waivers"),
        (
            s.new_waivers,
            "new waiver needs approval",
            "new waivers need approval",
        ),
    ] {
        if n > 0 {
            let _ = write!(line, " · {n} {}", if n == 1 { one } else { many });
        }
    }
    line
}
