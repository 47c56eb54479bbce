//! The hostile corpus (issue 12): inputs a pull request or a tenant could carry to read files
//! it should not, print secrets, hang, panic, exhaust memory, write outside the configuration,
//! or smuggle control characters to a reviewer. Each test drives the `hangar` binary and states
//! the exit code and rule it expects. Large inputs are generated here, not committed.
#![allow(clippy::unwrap_used)] // a panic in a test helper is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::{hangar, text};
use serde_json::Value;

const TENANT: &str =
    "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n";
/// A value planted in the environment: no output may contain it.
const CANARY: &str = "canary-7f3a9c1e5b2d4680";

fn config(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("tenant.yaml"), TENANT).unwrap();
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir.to_owned()
}

/// Runs hangar with the canary planted as a secret and a guard against hangs: a child still
/// running after two minutes is killed and the test fails (a hang is the bug, not slowness).
fn run(args: &[&str], dir: &Path) -> Output {
    let child = hangar(args)
        .current_dir(dir)
        .env("AZURE_CLIENT_SECRET", CANARY)
        .env("HANGAR_TEST_TOKEN", CANARY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, args)
}

fn finish(mut child: Child, args: &[&str]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("`hangar {}` hung", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(CANARY), "a secret was printed:\n{all}");
    assert_ne!(output.status.code(), Some(101), "panic:\n{all}");
    output
}

fn findings(output: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", text(output)))
        .as_array()
        .cloned()
        .unwrap()
}

fn has(output: &Output, rule: &str, file_end: &str) -> bool {
    findings(output)
        .iter()
        .any(|d| d["rule"] == rule && d["file"].as_str().unwrap().ends_with(file_end))
}

fn validate_json(dir: &Path) -> Output {
    run(&["validate", "--format", "json", "."], dir)
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// Item 1: a `source:` naming `/proc/self/environ`, a file outside the directory, or a
/// `*.yaml` symlink out of it is refused by path, never read; the text output prints no secret.
#[cfg(unix)]
#[test]
fn files_outside_the_configuration_are_never_read() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("outside.csv"),
        format!("Device Serial Number,Hardware Hash\r\n{CANARY},QUJD\r\n"),
    )
    .unwrap();
    let dir = config(
        &root.path().join("config"),
        &[
            (
                "environ.yaml",
                "kind: AutopilotDevices\nname: e\nsource: /proc/self/environ\n",
            ),
            (
                "escape.yaml",
                "kind: AutopilotDevices\nname: o\nsource: ../outside.csv\n",
            ),
        ],
    );
    symlink("/proc/self/environ", &dir.join("env.yaml"));
    symlink("../outside.csv", &dir.join("linked.yaml"));
    let output = validate_json(&dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    for file in ["environ.yaml", "escape.yaml", "env.yaml", "linked.yaml"] {
        assert!(
            has(&output, "file/outside-directory", file),
            "{file}: {}",
            text(&output)
        );
    }
    let output = run(&["validate", "."], &dir);
    assert_eq!(output.status.code(), Some(1));
}

/// Item 1: a snippet never shows binary, and never the value of a secret-looking environment
/// variable, even from a file inside the directory (here an `.env`-style file named `*.yaml`).
#[test]
fn snippets_show_no_binary_and_no_secrets() {
    let root = tempfile::tempdir().unwrap();
    let dir = config(
        root.path(),
        &[
            ("env.yaml", &format!("AZURE_CLIENT_SECRET={CANARY}\nkind: : x\n")),
            (
                "binary.yaml",
                "kind: DeviceGroup\nname: a\u{0}b\u{1}\nmembership: [\n",
            ),
        ],
    );
    let output = run(&["validate", "."], &dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains('\u{0}'), "{stderr}");
    assert!(stderr.contains("not shown: the file is not text"), "{stderr}");
}

/// Issue 14 item 1 (here): a CSV problem never prints the row's whole hardware hash; the row
/// number is kept.
#[test]
fn csv_rows_with_hashes_are_cut_in_diagnostics() {
    let root = tempfile::tempdir().unwrap();
    let hash = "QUJD".repeat(1100);
    let dir = config(
        root.path(),
        &[
            ("devices.yaml", "kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
            (
                "d.csv",
                &format!(
                    "Device Serial Number,Hardware Hash,Group Tag\r\n5CG1,{hash},A\r\n5CG2,{hash},A,extra\r\n"
                ),
            ),
        ],
    );
    let output = run(&["validate", "."], &dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(&hash[..400]), "a hash was printed:\n{stderr}");
    assert!(stderr.lines().all(|line| line.chars().count() < 200), "{stderr}");
    assert!(stderr.contains("row 2"), "{stderr}");
}

/// Item 4: no diagnostic panics, whatever the column: a 70,000-character value with an error
/// after it, and a flow list of a million elements.
#[test]
fn diagnostics_far_to_the_right_do_not_panic() {
    let root = tempfile::tempdir().unwrap();
    let long = format!(
        "kind: DeviceGroup\nname: a\nmembership: assigned\ndescription: \"{}\" bad: [\n",
        "x".repeat(70_000)
    );
    let list = format!(
        "kind: DeviceGroup\nname: b\nmembership: assigned\nowners: [{}]\n",
        vec!["x"; 1_000_000].join(",")
    );
    let dir = config(root.path(), &[("long.yaml", &long), ("list.yaml", &list)]);
    let output = run(&["validate", "."], &dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("long.yaml:4:"), "{stderr}");
    assert!(stderr.lines().all(|line| line.chars().count() < 200), "{stderr}");
    assert!(has(&validate_json(&dir), "yaml/syntax", "long.yaml"));
}

/// Item 5: symlink cycles are found and named, the walk reads every document once, a symlink
/// to `/` is refused, a FIFO named `x.yaml` or used as `source:` never blocks.
#[cfg(unix)]
#[test]
fn the_walk_survives_cycles_and_special_files() {
    let root = tempfile::tempdir().unwrap();
    let dir = config(
        root.path(),
        &[
            (
                "groups/a.yaml",
                "kind: DeviceGroup\nname: a\nmembership: assigned\n",
            ),
            (
                "fifo-source.yaml",
                "kind: AutopilotDevices\nname: f\nsource: pipe.csv\n",
            ),
            (
                "zero.yaml",
                "kind: AutopilotDevices\nname: z\nsource: devices/zero.csv\n",
            ),
        ],
    );
    symlink(".", &dir.join("loop"));
    symlink("..", &dir.join("groups/up"));
    symlink("/", &dir.join("root"));
    std::fs::create_dir_all(dir.join("devices")).unwrap();
    symlink("/dev/zero", &dir.join("devices/zero.csv"));
    let fifos = mkfifo(&dir.join("x.yaml")) && mkfifo(&dir.join("pipe.csv"));
    let output = validate_json(&dir);
    let found = findings(&output);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let loops: Vec<&str> = found
        .iter()
        .filter(|d| d["rule"] == "file/symlink-loop")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(loops.len(), 2, "{found:#?}");
    assert!(
        loops.iter().any(|m| m.contains("`loop`") && m.contains("cycle")),
        "{loops:?}"
    );
    assert!(!found.iter().any(|d| d["rule"] == "name/duplicate"), "{found:#?}");
    assert!(has(&output, "file/outside-directory", "root"), "{found:#?}");
    assert!(has(&output, "file/outside-directory", "zero.yaml"), "{found:#?}");
    if fifos {
        assert!(has(&output, "file/not-regular", "x.yaml"), "{found:#?}");
        let source = found
            .iter()
            .find(|d| d["file"].as_str().unwrap().ends_with("fifo-source.yaml"))
            .unwrap();
        assert_eq!(source["rule"], "devices/source");
        assert!(source["message"].as_str().unwrap().contains("FIFO"), "{source:#}");
    }
}

/// The walk's bounds: a tree deeper than 32 directories.
#[test]
fn the_walk_is_bounded() {
    let root = tempfile::tempdir().unwrap();
    let dir = config(root.path(), &[]);
    let deep: PathBuf = (0..34).fold(dir.clone(), |path, i| path.join(format!("d{i}")));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        deep.join("g.yaml"),
        "kind: DeviceGroup\nname: deep\nmembership: assigned\n",
    )
    .unwrap();
    let output = validate_json(&dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(has(&output, "file/walk-limit", "d32"), "{}", text(&output));
}

/// Item 9: a single-line CSV past the row cap is refused while streaming (memory stays
/// bounded; the peak is measured in docs/security.md), and `/dev/zero` is never read.
#[test]
fn huge_rows_are_refused_while_reading() {
    let root = tempfile::tempdir().unwrap();
    let line = format!(
        "Device Serial Number,Hardware Hash\n5CG1,{}\n",
        "A".repeat(3 << 20)
    );
    let dir = config(
        root.path(),
        &[
            ("devices.yaml", "kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
            ("d.csv", &line),
        ],
    );
    let output = validate_json(&dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let found = findings(&output);
    assert!(
        found
            .iter()
            .any(|d| d["rule"] == "devices/csv"
                && d["message"].as_str().unwrap().contains("longer than 1 MiB")),
        "{found:#?}"
    );
    let output = run(
        &[
            "devices",
            "import-csv",
            "d.csv",
            "--tag",
            "X",
            "--into",
            "out.csv",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(!dir.join("out.csv").exists());
    #[cfg(unix)]
    {
        let output = run(
            &[
                "devices",
                "import-csv",
                "/dev/zero",
                "--tag",
                "X",
                "--into",
                "out.csv",
            ],
            &dir,
        );
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    }
}

/// Item 8: control characters in names and tags are refused by `validate`, and the text output
/// shows them escaped.
#[test]
fn control_characters_are_refused_and_never_printed() {
    let root = tempfile::tempdir().unwrap();
    let dir = config(
        root.path(),
        &[(
            "g.yaml",
            "kind: DeviceGroup\nname: \"Sales\\e[2J\"\nmembership:\n  groupTag: \"A\\u202eB\"\n---\nkind: DeviceGroup\nname: \"Two\\nlines\"\nmembership: assigned\n",
        )],
    );
    let output = validate_json(&dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let count = findings(&output)
        .iter()
        .filter(|d| d["rule"] == "text/control-character")
        .count();
    assert_eq!(count, 3, "{}", text(&output));
    let output = run(&["validate", "."], &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{202e}'),
        "{stderr}"
    );
    assert!(stderr.contains("\\u{1b}"), "{stderr}");
}

/// Item 11: a tag with `"`, `'` and a backtick makes a rule Entra accepts (and the simulator,
/// which parses escapes as Entra documents them); a tag whose rule would pass 3,072
/// characters fails `validate`, not Graph.
#[test]
fn group_tags_with_quotes_apply_and_long_ones_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = config(
        &root.path().join("config"),
        &[(
            "g.yaml",
            "kind: DeviceGroup\nname: Quoted\nmembership:\n  groupTag: 'Sa\"l''e`s'\n",
        )],
    );
    let state = root.path().join("tenant.json");
    let args = [
        "apply",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--local",
        state.to_str().unwrap(),
    ];
    let output = run(&args, root.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains(r#"[OrderID]:Sa`\"l''e``s"#), "{saved}");
    let again = run(
        &[
            "plan",
            dir.to_str().unwrap(),
            "--detailed-exitcode",
            "--local",
            state.to_str().unwrap(),
        ],
        root.path(),
    );
    assert_eq!(again.status.code(), Some(0), "converged: {}", text(&again));

    std::fs::write(
        dir.join("g.yaml"),
        format!(
            "kind: DeviceGroup\nname: Long\nmembership:\n  groupTag: {}\n",
            "x".repeat(100_000)
        ),
    )
    .unwrap();
    let output = validate_json(&dir);
    assert_eq!(output.status.code(), Some(1));
    assert!(has(&output, "text/too-long", "g.yaml"), "{}", text(&output));
}

/// Item 12: a temporary file a killed `import-csv` left is removed by the next run; a
/// symlinked managed CSV is updated through its link, which stays a link.
#[cfg(unix)]
#[test]
fn import_csv_cleans_up_after_a_kill_and_keeps_symlinks() {
    let root = tempfile::tempdir().unwrap();
    let dir = config(
        root.path(),
        &[
            (
                "devices.yaml",
                "kind: AutopilotDevices\nname: d\nsource: fleet.csv\ngroupTag: A\n",
            ),
            (
                "real/fleet.csv",
                "Device Serial Number,Hardware Hash\r\n5CG1,QUJD\r\n",
            ),
            (
                "fresh.csv",
                "Device Serial Number,Hardware Hash\r\n5CG2,QUJDRA==\r\n",
            ),
        ],
    );
    symlink("real/fleet.csv", &dir.join("fleet.csv"));
    // What a kill between writing and renaming leaves (the pid never runs on Linux).
    let stale = dir.join("real/.fleet.csv.999999999.tmp");
    std::fs::write(&stale, "Device Serial Number,Hardware Hash\r\n5CG1,QU").unwrap();
    let output = run(&["devices", "import-csv", "fresh.csv", "--tag", "A", "."], &dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        std::fs::symlink_metadata(dir.join("fleet.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(dir.join("real/fleet.csv")).unwrap();
    assert!(written.contains("5CG2"), "{written}");
    if Path::new("/proc/self").exists() {
        assert!(!stale.exists(), "the stale temporary file is removed");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("real"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Item 1: `devices import-csv` never writes outside the configuration directory.
#[test]
fn import_csv_never_writes_outside_the_configuration() {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside.csv");
    std::fs::write(&outside, "Device Serial Number,Hardware Hash\r\n5CG1,QUJD\r\n").unwrap();
    let dir = config(
        &root.path().join("config"),
        &[
            (
                "devices.yaml",
                "kind: AutopilotDevices\nname: d\nsource: ../outside.csv\n",
            ),
            (
                "fresh.csv",
                "Device Serial Number,Hardware Hash\r\n5CG2,QUJDRA==\r\n",
            ),
        ],
    );
    let output = run(&["devices", "import-csv", "fresh.csv", "--tag", "A", "."], &dir);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "Device Serial Number,Hardware Hash\r\n5CG1,QUJD\r\n"
    );
}
