//! `accord lint --fix` end to end: safe fixes are applied in place, comments and untouched lines
//! survive byte for byte, unsafe fixes wait for `--unsafe-fixes`, and a second run is clean.

use std::path::Path;
use std::process::Command;

fn accord(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run accord");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const MANIFEST: &str = "\
# Reporting job, owned by team-data.
apiVersion: batch/v1beta1   # moved in 1.21
kind: CronJob
metadata:
  name: report
  namespace: data
spec:
  schedule: \"0 3 * * *\"   # nightly
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: example/report:1.4.2
              securityContext:
                # explicitly requested by the vendor, see TICKET-42
                allowPrivilegeEscalation: true
                readOnlyRootFilesystem: true
";

#[test]
fn safe_fixes_apply_in_place_and_keep_comments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cronjob.yaml");
    std::fs::write(&file, MANIFEST).expect("write");
    let rules = [
        "--rule",
        "removed-api-version",
        "--rule",
        "privilege-escalation-allowed",
        "--rule",
        "proc-mount-unmasked",
    ];
    let mut args = vec!["lint", "--color", "never", "--fix", "cronjob.yaml"];
    args.extend(rules);
    let (code, out) = accord(dir.path(), &args);
    assert_eq!(code, 0, "everything fixable was fixed:\n{out}");
    let fixed = std::fs::read_to_string(&file).expect("read");
    let expected = MANIFEST
        .replace(
            "apiVersion: batch/v1beta1   # moved in 1.21",
            "apiVersion: batch/v1   # moved in 1.21",
        )
        .replace(
            "allowPrivilegeEscalation: true",
            "allowPrivilegeEscalation: false",
        );
    assert_eq!(fixed, expected);

    // A second run finds nothing and changes nothing: the fixes converged.
    let mut again = vec!["lint", "--color", "never", "cronjob.yaml"];
    again.extend(rules);
    let (code, out) = accord(dir.path(), &again);
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), expected);
}

#[test]
fn unsafe_fixes_need_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pod.yaml");
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tools # debugging pod\nspec:\n  hostPID: true\n  containers:\n    - name: tools\n      image: busybox:1.36\n";
    std::fs::write(&file, text).expect("write");
    let (code, _) = accord(
        dir.path(),
        &[
            "lint", "--color", "never", "--fix", "--rule", "host-pid", "pod.yaml",
        ],
    );
    assert_eq!(
        code, 1,
        "the unsafe fix is not applied without --unsafe-fixes"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), text);
    let (code, out) = accord(
        dir.path(),
        &[
            "lint",
            "--color",
            "never",
            "--fix",
            "--unsafe-fixes",
            "--rule",
            "host-pid",
            "pod.yaml",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tools # debugging pod\nspec:\n  containers:\n    - name: tools\n      image: busybox:1.36\n"
    );
}
