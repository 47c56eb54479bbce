//! The small things a newcomer hit (issue 14): a root with several configurations, an empty
//! directory, an unknown group tag, `%SERIAL%` in `explain --format json`, drift's wording, a
//! UTF-16 devices CSV, counts of one. `hangar sim`'s exports are in `sim_cli.rs`.
#![allow(clippy::unwrap_used)] // a panic in a test helper is a failed test

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn hangar(args: &[&str], dir: &Path) -> Output {
    common::hangar(args)
        .current_dir(dir)
        .output()
        .expect("the hangar binary runs")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Miette's report on one line: wrapped lines joined, the gutter dropped.
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .replace('\\', "/")
        .lines()
        .map(|line| line.trim().trim_start_matches(['x', '|', '!']).trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("JSON ({error}): {}", stdout(output)))
}

#[test]
fn a_root_with_several_configurations_says_so_once() {
    let output = hangar(&["validate", "--format", "json", "policies"], repo());
    assert_eq!(output.status.code(), Some(1));
    let found = json(&output);
    let found = found.as_array().unwrap();
    assert_eq!(
        found.len(),
        1,
        "one finding, not every duplicate name: {found:#?}"
    );
    assert_eq!(found[0]["rule"], "tenant/duplicate");
    let message = found[0]["message"].as_str().unwrap().replace('\\', "/");
    assert!(message.contains("holds 2 configurations"), "{message}");
    assert!(
        message.contains("`policies/commercial` (tenant `contoso-prod`)"),
        "{message}"
    );
    assert!(
        message.contains("`policies/gcc-high` (tenant `fabrikam-gov`)"),
        "{message}"
    );
    assert!(
        found[0]["help"]
            .as_str()
            .unwrap()
            .contains("hangar validate policies/commercial")
    );

    // Two Tenant documents in one directory are still the ordinary duplicate.
    let dir = repo().join("tests/fixtures/invalid/tenant/duplicate");
    let output = hangar(&["validate", "--format", "json", "."], &dir);
    let found = json(&output);
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("a second `Tenant` document"),
        "{found:#?}"
    );
}

#[test]
fn an_empty_directory_says_no_yaml_files_were_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not YAML").unwrap();
    let output = hangar(&["validate", "."], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("no YAML files found under `.`"), "{text}");
    assert!(text.contains("`*.yaml` and `*.yml`"), "{text}");
}

#[test]
fn explain_an_unknown_tag_is_an_error_and_a_tag_has_no_serial() {
    let commercial = repo().join("policies/commercial");
    let commercial = commercial.to_str().unwrap();
    let output = hangar(&["explain", commercial, "--tag", "Enginering"], repo());
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("group tag `Enginering` is unknown"), "{text}");
    assert!(text.contains("did you mean `Engineering`?"), "{text}");

    let output = hangar(&["explain", commercial, "--tag", "Nothing-Like-It"], repo());
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("`Engineering`, `HQ-Hybrid`, `Kiosk`, `Sales`"));

    let output = hangar(
        &["explain", commercial, "--tag", "Engineering", "--format", "json"],
        repo(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let route = &json(&output)[0];
    assert_eq!(route["serial"], Value::Null, "{route:#}");
    assert_eq!(route["group_tag"], "Engineering");
    assert_eq!(route["profile"], "Autopilot Engineering");

    // Real devices keep their serials.
    let output = hangar(&["explain", commercial, "--format", "json"], repo());
    assert!(json(&output)[0]["serial"].is_string());
}

#[test]
fn drift_reads_tenant_to_git_like_plan() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::commercial_without_devices(&dir.path().join("config"));
    let state = dir.path().join("tenant.json");
    let config_arg = config.to_str().unwrap();
    let state_arg = state.to_str().unwrap();
    let applied = hangar(
        &["apply", config_arg, "--local", state_arg, "--auto-approve"],
        dir.path(),
    );
    assert!(applied.status.success(), "{}", stderr(&applied));
    let esp = config.join("esp.yaml");
    let text = std::fs::read_to_string(&esp).unwrap();
    assert!(text.contains("collectLogs: true"));
    // The first ESP (`default`) only: every ESP of the example collects logs.
    std::fs::write(&esp, text.replacen("collectLogs: true", "collectLogs: false", 1)).unwrap();

    let drift = hangar(&["drift", config_arg, "--local", state_arg], dir.path());
    assert_eq!(drift.status.code(), Some(2));
    let plan = hangar(&["plan", config_arg, "--local", state_arg], dir.path());
    let (drift, plan) = (stdout(&drift), stdout(&plan));
    // In the configuration's terms: the YAML field where it is written, the Graph property as
    // a hint.
    let change = "esp.yaml:12 collectLogs: true → false";
    assert!(drift.contains(change) && plan.contains(change), "{drift}\n{plan}");
    let hint = "(Graph allowLogCollectionOnInstallFailure)";
    assert!(drift.contains(hint) && plan.contains(hint), "{drift}\n{plan}");
    let markdown = hangar(
        &["plan", config_arg, "--local", state_arg, "--format", "markdown"],
        dir.path(),
    );
    let markdown = stdout(&markdown);
    assert!(
        markdown.contains("- collectLogs: true   # ")
            && markdown.contains("esp.yaml:12 · Graph allowLogCollectionOnInstallFailure"),
        "{markdown}"
    );
    assert!(markdown.contains("+ collectLogs: false"), "{markdown}");
    assert!(
        drift.contains(
            "differs from Git (each change: the tenant's value → Git's, which `hangar apply` would set):"
        ),
        "{drift}"
    );
    assert!(
        drift.contains("Drift: 0 in Git but missing from the tenant, 1 changed in the tenant, 0 to replace, 0 in the tenant but not in Git (pruning)."),
        "{drift}"
    );
    let markdown = hangar(
        &["drift", config_arg, "--local", state_arg, "--format", "markdown"],
        dir.path(),
    );
    assert!(
        stdout(&markdown).contains("# - the tenant, + Git"),
        "{}",
        stdout(&markdown)
    );
}

#[test]
fn a_utf16_devices_csv_points_at_import_csv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenant.yaml"),
        "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("devices.yaml"),
        "kind: AutopilotDevices\nname: fleet\nsource: AutopilotHWID.csv\n",
    )
    .unwrap();
    // What Windows PowerShell 5.1's Get-WindowsAutopilotInfo writes: UTF-16 LE with a BOM.
    let csv = "Device Serial Number,Windows Product ID,Hardware Hash\r\n5CG0000001,,QUJDREVGR0g=\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in csv.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    std::fs::write(dir.path().join("AutopilotHWID.csv"), bytes).unwrap();
    let output = hangar(&["validate", "--format", "json", "."], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let found = json(&output);
    let finding = &found[0];
    assert_eq!(finding["rule"], "file/not-utf8");
    assert!(
        finding["message"].as_str().unwrap().contains("UTF-16"),
        "{finding:#}"
    );
    let help = finding["help"].as_str().unwrap();
    assert!(
        help.contains("hangar devices import-csv FILE --tag TAG"),
        "{help}"
    );
    assert!(help.contains("save `AutopilotHWID.csv` as UTF-8"), "{help}");
}

#[test]
fn counts_of_one_are_singular() {
    // A routing warning about one untagged device (the fixture has one device without a tag
    // that reaches no profile).
    let dir = repo().join("tests/fixtures/invalid/devices/invalid-hash");
    let output = hangar(&["validate", "--format", "json", "."], &dir);
    let found = json(&output);
    let messages: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"1 device has no group tag and reaches no deployment profile"),
        "{messages:#?}"
    );
    for message in messages {
        assert!(
            !message.contains("1 devices") && !message.contains("(s)"),
            "{message}"
        );
    }
    // The plan's device impact ("moves 1 device") is covered by hangar-plan's render snapshots.
}
