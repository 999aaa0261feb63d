//! The text the review bot posts: inline comments, the review body and the summary comment.
//!
//! Every inline comment says what is wrong, why ops require it (their words), what to do, who
//! owns the rule and how to reach them, and links the docs; when the rule has a fix it carries a
//! GitHub ```` ```suggestion ```` block replacing exactly the commented lines. Each ends with a
//! hidden fingerprint marker (`<!-- accord:fp:<hash> -->`) so a re-run never posts the same
//! finding twice; the one summary comment per PR is found again by `<!-- accord:summary -->`.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::render::RuleInfo;
use crate::render::markdown::{self, escape, escape_block, owner_line};
use std::fmt::Write;

/// Marker of the summary comment.
pub const SUMMARY_MARKER: &str = "<!-- accord:summary -->";

/// Hidden marker carrying a finding's fingerprint.
pub fn fp_marker(fp: &str) -> String {
    format!("<!-- accord:fp:{fp} -->")
}

/// Fingerprints marked in a comment body.
pub fn fingerprints_in(body: &str) -> Vec<String> {
    body.match_indices("<!-- accord:fp:")
        .filter_map(|(i, m)| {
            let rest = &body[i + m.len()..];
            let end = rest.find(" -->")?;
            let fp = &rest[..end];
            (!fp.is_empty() && fp.bytes().all(|b| b.is_ascii_hexdigit())).then(|| fp.to_string())
        })
        .collect()
}

/// A fenced block one backtick longer than any backtick run starting a line inside `lines`
/// (at least three), so YAML with Markdown in a block scalar cannot close it early.
pub fn fence(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .map(|l| l.trim_start().bytes().take_while(|b| *b == b'`').count())
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The ```` ```suggestion ```` block replacing the commented lines with `new_lines`.
pub fn suggestion_block(new_lines: &[String]) -> String {
    let f = fence(new_lines);
    let mut out = format!("{f}suggestion\n");
    for l in new_lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&f);
    out.push('\n');
    out
}

/// Body of an inline comment on `d`. `suggestion` holds the replacement for the commented lines
/// when the fix can be offered as a one-click suggestion.
pub fn inline(d: &Diagnostic, rule: Option<&RuleInfo>, suggestion: Option<&[String]>) -> String {
    let mut out = format!(
        "**{} · `{}`** — {}\n\n",
        markdown::severity(d.severity),
        escape(&d.rule),
        escape(&d.message)
    );
    if !d.why.trim().is_empty() {
        let _ = writeln!(out, "**Why:** {}\n", escape_block(&d.why));
    }
    if !d.help.trim().is_empty() {
        let _ = writeln!(out, "**What to do:** {}\n", escape_block(&d.help));
    }
    if let Some(f) = &d.fix {
        match suggestion {
            Some(lines) => {
                let note = match f.applicability {
                    Applicability::Safe => "safe: keeps the intent",
                    _ => "changes behaviour: review before committing",
                };
                let _ = writeln!(out, "**Suggested fix:** {} ({note})\n", escape(&f.title));
                out.push_str(&suggestion_block(lines));
                out.push('\n');
            }
            None => {
                let note = match f.applicability {
                    Applicability::Safe => "safe; `accord lint --fix` applies it",
                    Applicability::Unsafe => {
                        "changes behaviour; `accord lint --fix --unsafe-fixes` applies it"
                    }
                    Applicability::DisplayOnly => "apply it by hand",
                };
                let _ = writeln!(out, "**Fix:** {} ({note})\n", escape(&f.title));
            }
        }
    }
    if let Some(w) = d.waiver.as_ref().filter(|w| w.expired) {
        let _ = writeln!(
            out,
            "**Waiver expired:** {}\n",
            escape(&crate::render::text::waiver_text(w))
        );
    }
    let mut footer = Vec::new();
    if let Some(c) = &d.code_owner {
        footer.push(format!("**Code owner:** {}", escape(c)));
    }
    if let Some(o) = owner_line(d.owner.as_deref(), d.contact.as_deref()) {
        footer.push(o);
    }
    if let Some(docs) = d.docs.as_deref().or(rule.and_then(|r| r.docs.as_deref())) {
        footer.push(format!(
            "[Documentation]({})",
            docs.replace(['(', ')', ' '], "")
        ));
    }
    footer.push(format!("`accord explain {}`", d.rule));
    out.push_str(&footer.join(" · "));
    out.push_str("\n\n");
    out.push_str(&fp_marker(&d.fingerprint()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn markers_round_trip() {
        let body = format!(
            "text\n{}\nmore {}",
            fp_marker("00ff12ab34cd56ef"),
            fp_marker("0123456789abcdef")
        );
        assert_eq!(
            fingerprints_in(&body),
            vec!["00ff12ab34cd56ef", "0123456789abcdef"]
        );
        assert!(fingerprints_in("<!-- accord:fp:not hex -->").is_empty());
    }

    #[test]
    fn fences_outgrow_backticks_in_content() {
        assert_eq!(fence(&["a: 1".into()]), "```");
        assert_eq!(fence(&["  ```".into(), "x".into()]), "````");
        assert_eq!(
            suggestion_block(&["  a: 1".into()]),
            "```suggestion\n  a: 1\n```\n"
        );
        assert_eq!(
            suggestion_block(&[]),
            "```suggestion\n```\n",
            "an empty suggestion deletes the lines"
        );
    }

    #[test]
    fn inline_comment_says_what_why_who_and_fix() {
        let (diags, ..) = fixtures::sample();
        let d = diags
            .iter()
            .find(|d| d.rule == "privileged-container")
            .unwrap();
        let body = inline(
            d,
            None,
            Some(&["            privileged: false".to_string()]),
        );
        assert!(body.starts_with("**🛑 error · `privileged-container`** — Container `app` in Deployment shop/web runs privileged"), "{body}");
        assert!(body.contains("**Why:** A privileged container has every capability"));
        assert!(body.contains("**Suggested fix:** Set `securityContext.privileged: false` (changes behaviour: review before committing)\n\n```suggestion\n            privileged: false\n```\n"));
        assert!(body.contains("[Documentation](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)"));
        assert!(body.ends_with(&fp_marker(&d.fingerprint())));
        let mut owned = d.clone();
        owned.owner = Some("platform-security".into());
        owned.contact = Some("#sec-help".into());
        assert!(inline(&owned, None, None).contains("**Owner:** platform-security — #sec-help"));
    }
}
