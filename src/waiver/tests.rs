use super::*;
use crate::source::SourceFile;

const RULES: &[&str] = &["run-as-root", "privileged-container"];

fn parse(text: &str) -> Result<WaiverSet, Vec<FileError>> {
    WaiverSet::parse(SourceFile::new("waivers.yaml", text), Some(RULES))
}

fn line_of(e: &FileError) -> usize {
    e.source.position(e.span.start()).line
}

#[test]
fn typos_and_bad_values_are_errors_at_their_line() {
    let e = parse("waivers:\n  - rule: run-as-root\n    target: {kind: Deployment}\n    reason: x\n    approved-by: ops\n    expire: 2026-01-01\n").unwrap_err();
    assert_eq!(line_of(&e[0]), 6, "{}", e[0].message);
    assert!(
        e[0].message.contains("did you mean `expires`"),
        "{}",
        e[0].message
    );

    let e = parse("waivers:\n  - rule: run-as-rot\n    target: {kind: Deployment}\n    reason: x\n    approved-by: ops\n    expires: 2026-02-30\n").unwrap_err();
    let msgs: Vec<(usize, &str)> = e.iter().map(|e| (line_of(e), e.message.as_str())).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].0, 2);
    assert!(msgs[0].1.contains("did you mean `run-as-root`"));
    assert_eq!(msgs[1].0, 6);
    assert!(msgs[1].1.contains("not a date"));

    let e = parse("waivers:\n  - rule: run-as-root\n    target: {}\n    reason: x\n    approved-by: ops\n    expires: 2026-01-01\n").unwrap_err();
    assert_eq!(line_of(&e[0]), 3);
    assert!(e[0].message.contains("needs a target"));
}

#[test]
fn parses_a_valid_file() {
    let s = parse("waivers:\n  - rule: run-as-root\n    target:\n      kind: Deployment\n      files: [apps/**]\n    reason: vendor image\n    ticket: OPS-1\n    approved-by: ops-security\n    expires: 2026-03-31\n").unwrap();
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.entries[0].expires.to_string(), "2026-03-31");
    assert_eq!(s.entries[0].location.start.line, 2);
}

#[test]
fn annotation_syntax() {
    let f = crate::manifest::read(
        "d.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    accord.dev/ignore: |\n      run-as-root: vendor image runs as root\n      privileged-container@sidecar: needs iptables\n      run-as-root@/spec/initContainers: init chowns\n      latest-image-tag\n",
    );
    let a = annotation_waivers(&f.objects[0]);
    assert_eq!(a.len(), 4);
    assert_eq!(a[0].narrow, Narrow::Object);
    assert_eq!(a[0].reason.as_deref(), Some("vendor image runs as root"));
    assert_eq!(a[1].narrow, Narrow::Container("sidecar".into()));
    assert_eq!(a[2].narrow, Narrow::Path("/spec/initContainers".into()));
    assert_eq!(a[3].rule, "latest-image-tag");
    assert_eq!(a[3].reason, None);
    assert_eq!(a[0].location.start.line, 6);
}

#[test]
fn paths_match_on_token_boundaries() {
    assert!(under("/spec/containers/1/image", "/spec/containers/1"));
    assert!(under("/spec/containers/1", "/spec/containers/1/"));
    assert!(!under("/spec/containers/10/image", "/spec/containers/1"));
}
