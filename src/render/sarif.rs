//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! One run; the rule table lists every active rule (id, title, description, help as text and
//! markdown, `helpUri`, level, tags, `security-severity` for security rules). Each result has the
//! real region (1-based, end column exclusive, columns in Unicode code points as
//! `run.columnKind` says), related locations, the machine fix, and two partial fingerprints:
//! `accord/v1` (rule + file + object identity + identity path — survives line moves and list
//! reordering) and `primaryLocationLineHash`, computed exactly as GitHub's `upload-sarif` does
//! so uploads through the REST API do not duplicate alerts. A waived finding keeps its result,
//! with `suppressions` (in-source for annotations, external for the central waivers file). Validated against the official
//! schema in `tests/sarif_schema.rs`.

use super::{Report, RuleInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// `$schema` of the documents written.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Key of accord's own partial fingerprint.
pub const FINGERPRINT_KEY: &str = "accord/v1";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Clip `s` to at most `max` characters (SARIF consumers cap description lengths).
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Percent-encode a relative path for `artifactLocation.uri` (an RFC 3986 URI reference):
/// unreserved characters and `/` stay, everything else is `%XX` per UTF-8 byte.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `MyRuleId` from `my-rule-id` (SARIF's `rule.name` is conventionally an identifier).
fn pascal(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The help of a rule as plain text and as markdown: why, what to do, owner, docs.
pub fn rule_help(r: &RuleInfo) -> (String, String) {
    let mut text = String::new();
    let mut md = String::new();
    if let Some(d) = &r.description {
        text.push_str(d.trim());
        text.push_str("\n\n");
        md.push_str(d.trim());
        md.push_str("\n\n");
    }
    if !r.why.trim().is_empty() {
        text.push_str(&format!("Why: {}\n\n", super::reflow(&r.why)));
        md.push_str(&format!("**Why:** {}\n\n", super::reflow(&r.why)));
    }
    if !r.help.trim().is_empty() {
        text.push_str(&format!("What to do: {}\n\n", r.help.trim()));
        md.push_str(&format!("**What to do:** {}\n\n", r.help.trim()));
    }
    match (&r.owner, &r.contact) {
        (Some(o), Some(c)) => {
            text.push_str(&format!("Owner: {o} ({c})\n"));
            md.push_str(&format!("**Owner:** {o} ({c})\n\n"));
        }
        (Some(o), None) => {
            text.push_str(&format!("Owner: {o}\n"));
            md.push_str(&format!("**Owner:** {o}\n\n"));
        }
        (None, Some(c)) => {
            text.push_str(&format!("Contact: {c}\n"));
            md.push_str(&format!("**Contact:** {c}\n\n"));
        }
        (None, None) => {}
    }
    if let Some(d) = &r.docs {
        text.push_str(&format!("Docs: {d}\n"));
        md.push_str(&format!("[Documentation]({d})\n"));
    }
    (text.trim_end().to_string(), md.trim_end().to_string())
}

fn rule_descriptor(r: &RuleInfo) -> Value {
    let (text, markdown) = rule_help(r);
    let mut tags = vec![r.category.clone(), "kubernetes".to_string()];
    tags.dedup();
    let mut props = json!({
        "tags": tags,
        "precision": "very-high",
        "problem.severity": match r.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "recommendation",
        },
    });
    if r.category == "security" {
        // GitHub ranks security alerts by this score: >= 7.0 high, 4.0-6.9 medium, < 4.0 low.
        props["security-severity"] = json!(match r.severity {
            Severity::Error => "8.0",
            Severity::Warning => "5.0",
            Severity::Info => "2.0",
        });
    }
    let full = r
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(&r.title);
    let mut v = json!({
        "id": r.id,
        "name": pascal(&r.id),
        "shortDescription": { "text": clip(&r.title, 1024) },
        "fullDescription": { "text": clip(full, 1024) },
        "defaultConfiguration": { "level": level(r.severity) },
        "help": { "text": text, "markdown": markdown },
        "properties": props,
    });
    if let Some(d) = &r.docs {
        v["helpUri"] = json!(d);
    }
    v
}

fn region(d: &Diagnostic) -> Value {
    let l = &d.location;
    json!({
        "startLine": l.start.line,
        "startColumn": l.start.column,
        "endLine": l.end.line.max(l.start.line),
        "endColumn": if l.end.line > l.start.line { l.end.column } else { l.end.column.max(l.start.column) },
    })
}

fn physical(path: &str, region: Value) -> Value {
    json!({ "artifactLocation": { "uri": uri(path) }, "region": region })
}

fn result(
    d: &Diagnostic,
    rule_index: usize,
    line_hashes: &mut HashMap<String, Vec<String>>,
) -> Value {
    let hashes = line_hashes
        .entry(d.location.file().to_string())
        .or_insert_with(|| line_hashes_of(&d.location.source));
    let line_hash = hashes.get(d.location.start.line.saturating_sub(1)).cloned();
    let mut fingerprints = json!({ FINGERPRINT_KEY: d.fingerprint() });
    if let Some(h) = line_hash {
        fingerprints["primaryLocationLineHash"] = json!(h);
    }
    let mut props = json!({ "category": d.category });
    if let Some(o) = &d.object {
        props["object"] = json!(o.display());
    }
    if !d.path.is_empty() {
        props["path"] = json!(d.path);
    }
    if let Some(o) = &d.owner {
        props["owner"] = json!(o);
    }
    if let Some(c) = &d.contact {
        props["contact"] = json!(c);
    }
    let mut v = json!({
        "ruleId": d.rule,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": { "text": d.message },
        "locations": [{ "physicalLocation": physical(d.location.file(), region(d)) }],
        "partialFingerprints": fingerprints,
        "properties": props,
    });
    if let Some(s) = crate::waiver::sarif_suppressions(d) {
        v["suppressions"] = s;
    }
    if !d.labels.is_empty() {
        v["relatedLocations"] = Value::Array(
            d.labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "id": i,
                        "message": { "text": l.message },
                        "physicalLocation": physical(l.location.file(), json!({
                            "startLine": l.location.start.line,
                            "startColumn": l.location.start.column,
                        })),
                    })
                })
                .collect(),
        );
    }
    if let Some(f) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) {
        let replacements: Vec<Value> = f
            .edits
            .iter()
            .map(|e| {
                json!({
                    "deletedRegion": {
                        "startLine": e.start.line, "startColumn": e.start.column,
                        "endLine": e.end.line, "endColumn": e.end.column,
                    },
                    "insertedContent": { "text": e.content },
                })
            })
            .collect();
        v["fixes"] = json!([{
            "description": { "text": f.title },
            "artifactChanges": [{ "artifactLocation": { "uri": uri(d.location.file()) }, "replacements": replacements }],
        }]);
    }
    v
}

/// The SARIF log as a JSON value.
pub fn document(r: &Report<'_>) -> Value {
    // Rule table: every active rule, plus any rule with findings that the table lacks.
    let mut rules: BTreeMap<String, RuleInfo> = r
        .rules
        .iter()
        .map(|ri| (ri.id.clone(), ri.clone()))
        .collect();
    for d in r.diagnostics {
        if !rules.contains_key(&d.rule) {
            rules.insert(d.rule.clone(), RuleInfo::from_diagnostic(d));
        }
    }
    let index: HashMap<&str, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut line_hashes = HashMap::new();
    let results: Vec<Value> = r
        .diagnostics
        .iter()
        .map(|d| result(d, index[d.rule.as_str()], &mut line_hashes))
        .collect();
    let notifications: Vec<Value> = r
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("cannot read {}: {}", e.file, e.message) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(&e.file) } } }],
            })
        })
        .collect();
    let mut invocation = json!({ "executionSuccessful": r.errors.is_empty() });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "accord",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.values().map(rule_descriptor).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": results,
        }],
    })
}

/// Render the SARIF log (pretty JSON, trailing newline).
pub fn render(r: &Report<'_>) -> String {
    let mut s = serde_json::to_string_pretty(&document(r)).expect("serializable");
    s.push('\n');
    s
}

/// GitHub's `primaryLocationLineHash` for every line of `source` (index 0 = line 1), ported from
/// `github/codeql-action` `src/fingerprints.ts`: a rolling hash (base 37, wrapping 64-bit) over
/// the next 100 UTF-16 code units from each line's first character, skipping spaces and tabs,
/// `\r\n`/`\r` read as `\n`; written as unsigned hex plus `:k`, k counting earlier equal hashes.
pub fn line_hashes_of(source: &SourceFile) -> Vec<String> {
    const BLOCK: usize = 100;
    const MOD: u64 = 37;
    const EOF: u64 = 65535;
    let first_mod = (0..BLOCK).fold(1u64, |m, _| m.wrapping_mul(MOD));
    let mut window = [0u64; BLOCK];
    let mut line_numbers = [0usize; BLOCK]; // 0 = no line starts here
    let mut hash: u64 = 0;
    let mut index = 0;
    let mut line_number = 0;
    let mut line_start = true;
    let mut prev_cr = false;
    let mut counts: HashMap<u64, usize> = HashMap::new();
    let mut out: Vec<String> = Vec::new();

    let mut emit = |line: usize, hash: u64, out: &mut Vec<String>| {
        let n = counts.entry(hash).or_insert(0);
        *n += 1;
        if out.len() < line {
            out.resize(line, String::new());
        }
        out[line - 1] = format!("{hash:x}:{n}");
    };
    let step = |c: u64, window: &mut [u64; BLOCK], index: &mut usize, hash: &mut u64| {
        let begin = window[*index];
        window[*index] = c;
        *hash = MOD
            .wrapping_mul(*hash)
            .wrapping_add(c)
            .wrapping_sub(first_mod.wrapping_mul(begin));
        *index = (*index + 1) % BLOCK;
    };
    let units = source
        .text
        .encode_utf16()
        .map(u64::from)
        .chain(std::iter::once(EOF));
    for mut c in units {
        if c == u64::from(b' ') || c == u64::from(b'\t') || (prev_cr && c == u64::from(b'\n')) {
            prev_cr = false;
            continue;
        }
        if c == u64::from(b'\r') {
            c = u64::from(b'\n');
            prev_cr = true;
        } else {
            prev_cr = false;
        }
        if line_numbers[index] != 0 {
            emit(line_numbers[index], hash, &mut out);
            line_numbers[index] = 0;
        }
        if line_start {
            line_start = false;
            line_number += 1;
            line_numbers[index] = line_number;
        }
        if c == u64::from(b'\n') {
            line_start = true;
        }
        step(c, &mut window, &mut index, &mut hash);
    }
    for _ in 0..BLOCK {
        if line_numbers[index] != 0 {
            emit(line_numbers[index], hash, &mut out);
            line_numbers[index] = 0;
        }
        step(0, &mut window, &mut index, &mut hash);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn results_have_rules_regions_fingerprints_and_fixes() {
        let (diags, summary, rules, files) = fixtures::sample();
        let report = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &[],
            new_waivers: &[],
            rules: &rules,
            files: &files,
        };
        let doc = document(&report);
        let run = &doc["runs"][0];
        let table = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(table.len(), rules.len());
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), diags.len());
        for (res, d) in results.iter().zip(&diags) {
            let i = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(table[i]["id"], res["ruleId"]);
            assert_eq!(res["partialFingerprints"][FINGERPRINT_KEY], d.fingerprint());
            assert_eq!(
                res["locations"][0]["physicalLocation"]["region"]["startLine"],
                d.location.start.line
            );
            assert!(
                res["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
                    .ends_with(":1")
            );
        }
        let privileged = results
            .iter()
            .find(|r| r["ruleId"] == "privileged-container")
            .unwrap();
        assert_eq!(privileged["level"], "error");
        let d = diags
            .iter()
            .find(|d| d.rule == "privileged-container")
            .unwrap();
        let edit = &d.fix.as_ref().unwrap().edits[0];
        let replacement = &privileged["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(
            replacement["insertedContent"]["text"],
            edit.content.as_str()
        );
        assert_eq!(replacement["deletedRegion"]["startLine"], edit.start.line);
        assert_eq!(replacement["deletedRegion"]["endColumn"], edit.end.column);
        let rule = &table[privileged["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(
            rule["helpUri"],
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"
        );
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .starts_with("Flags every container")
        );
        assert_eq!(rule["properties"]["security-severity"], "8.0");
        assert_eq!(rule["name"], "PrivilegedContainer");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("apps/web/deploy.yaml"), "apps/web/deploy.yaml");
        assert_eq!(uri("my apps/dé.yaml"), "my%20apps/d%C3%A9.yaml");
    }

    #[test]
    fn line_hashes_match_codeql_action() {
        // Test vectors from github/codeql-action `src/fingerprints.test.ts`.
        let h = |text: &str| line_hashes_of(&SourceFile::new("a", text));
        assert_eq!(h(""), vec!["c129715d7a2bc9a3:1"]);
        assert_eq!(
            h(" a\nb\n  \t\tc\n d"),
            vec![
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1"
            ]
        );
        let expected = vec![
            "e9496ae3ebfced30:1",
            "fb7c023a8b9ccb3f:1",
            "ce8ba1a563dcdaca:1",
            "e20e36e16fcb0cc8:1",
            "b3edc88f2938467e:1",
            "c8e28b0b4002a3a0:1",
            "c129715d7a2bc9a3:1",
        ];
        assert_eq!(
            h(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n"),
            expected
        );
        assert_eq!(
            h(" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r"),
            expected
        );
        assert_eq!(
            h(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n"),
            expected
        );
        assert_eq!(
            h(" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n"),
            expected
        );
        assert_eq!(
            h(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End"),
            vec![
                "8b7cf3e952e7aeb2:1",
                "b1ae1287ec4718d9:1",
                "bff680108adb0fcc:1",
                "c6805c5e1288b612:1",
                "b86d3392aea1be30:1",
                "e6ceba753e1a442:1"
            ]
        );
        assert_eq!(
            h(&"Lorem ipsum dolor sit amet.\n".repeat(10)),
            vec![
                "a7f2ff13bc495cf2:1",
                "a7f2ff13bc495cf2:2",
                "a7f2ff13bc495cf2:3",
                "a7f2ff13bc495cf2:4",
                "a7f2ff13bc495cf2:5",
                "a7f2ff13bc495cf2:6",
                "a7f2ff1481e87703:1",
                "a9cf91f7bbf1862b:1",
                "55ec222b86bcae53:1",
                "cc97dc7b1d7d8f7b:1",
                "c129715d7a2bc9a3:1",
            ]
        );
    }
}
