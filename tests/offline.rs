//! End-to-end tests of the offline helpers: `hangar offline-profile` (the Autopilot file for
//! existing devices) and `hangar explain-error`.
#![allow(clippy::unwrap_used)] // a panic in a test helper is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Map, Value};

fn hangar(args: &[&str]) -> Output {
    common::hangar(args).output().expect("the hangar binary runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\\', "/")
}

/// Miette's report on one line: wrapped lines joined, the gutter (`x`, `|`) dropped.
fn flat(bytes: &[u8]) -> String {
    text(bytes)
        .lines()
        .map(|line| line.trim().trim_start_matches(['x', '|', '!']).trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn object(text: &str) -> Map<String, Value> {
    serde_json::from_str::<Value>(text)
        .unwrap_or_else(|error| panic!("JSON ({error}): {text}"))
        .as_object()
        .cloned()
        .expect("an object")
}

/// The sample in Microsoft Learn ("Windows Autopilot deployment for existing devices"), rebuilt
/// from the profile it describes: every key and value matches, except two facts of the module
/// version the sample predates.
#[test]
fn offline_profile_matches_the_documented_example_key_for_key() {
    let dir = fixture("offline-profile/learn-example");
    let out = tempfile::tempdir().unwrap();
    let output = hangar(&[
        "offline-profile",
        dir.to_str().unwrap(),
        "--profile",
        "Autopilot Profile",
        "--tenant-domain",
        "M365x373186.onmicrosoft.com",
        "--correlation-id",
        "7F9E6025-1E13-45F3-BF82-A3E8C5B59EAC",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "the file goes to --out, not stdout");
    let path = out.path().join("AutopilotConfigurationFile.json");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.is_ascii(), "OOBE needs an ASCII file");
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "no byte order mark");
    let ours = object(&String::from_utf8(bytes).unwrap());
    let expected = object(&std::fs::read_to_string(dir.join("expected.json")).unwrap());
    for (key, value) in &expected {
        let mine = ours
            .get(key)
            .unwrap_or_else(|| panic!("`{key}` is missing: {ours:#?}"));
        if key == "CloudAssignedOobeConfig" {
            // Learn's sample comes from an older module; the current module (and hangar) add bit
            // 256 to every profile.
            assert_eq!(mine.as_u64(), value.as_u64().map(|bits| bits | 256), "{key}");
        } else {
            assert_eq!(mine, value, "{key}");
        }
    }
    let extra: Vec<&str> = ours
        .keys()
        .filter(|key| !expected.contains_key(*key))
        .map(String::as_str)
        .collect();
    // The two values the current module hard-codes ("not represented in Intune").
    assert_eq!(
        extra,
        [
            "CloudAssignedAutopilotUpdateDisabled",
            "CloudAssignedAutopilotUpdateTimeout"
        ]
    );
    assert_eq!(ours["CloudAssignedAutopilotUpdateDisabled"], 1);
    assert_eq!(ours["CloudAssignedAutopilotUpdateTimeout"], 1_800_000);
}

#[test]
fn offline_profiles_of_the_commercial_example() {
    let dir = common::policies("commercial");
    let mut report = String::new();
    for profile in ["Autopilot Engineering", "Autopilot Sales", "Autopilot HQ Hybrid"] {
        let output = hangar(&[
            "offline-profile",
            dir.to_str().unwrap(),
            "--profile",
            profile,
            "--tenant-domain",
            "contoso.onmicrosoft.com",
        ]);
        assert!(output.status.success(), "{profile}: {}", text(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.is_ascii() && stdout.contains("\r\n"), "{profile}");
        object(&stdout);
        report.push_str(&format!(
            "=== {profile}\n{}--- stderr\n{}\n",
            stdout.replace("\r\n", "\n"),
            text(&output.stderr)
        ));
    }
    insta::assert_snapshot!(report);

    // Writing it twice gives the same bytes (the correlation id is derived, not random).
    let run = || {
        hangar(&[
            "offline-profile",
            dir.to_str().unwrap(),
            "--profile",
            "Autopilot Sales",
            "--tenant-domain",
            "contoso.onmicrosoft.com",
        ])
        .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn offline_profile_refuses_what_cannot_work() {
    let commercial = common::policies("commercial");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("AutopilotConfigurationFile.json");
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--profile",
                "Autopilot Kiosk",
                "--tenant-domain",
                "contoso.onmicrosoft.com",
            ],
            "self-deploying",
        ),
        (
            &[
                "--profile",
                "Autopilot Enginering",
                "--tenant-domain",
                "contoso.onmicrosoft.com",
            ],
            "did you mean `Autopilot Engineering`?",
        ),
        (
            &["--profile", "Nope", "--tenant-domain", "contoso.onmicrosoft.com"],
            "the profiles are: `Autopilot Engineering`",
        ),
        (
            &["--profile", "Autopilot Sales", "--tenant-domain", "contoso"],
            "`--tenant-domain` `contoso`",
        ),
        (
            &[
                "--profile",
                "Autopilot Sales",
                "--tenant-domain",
                "contoso.onmicrosoft.com",
                "--correlation-id",
                "{7F9E6025-1E13-45F3-BF82-A3E8C5B59EAC}",
            ],
            "`--correlation-id`",
        ),
        (&["--profile", "Autopilot Sales"], "--tenant-domain"),
    ];
    for (args, says) in cases {
        let mut all = vec!["offline-profile", commercial.to_str().unwrap()];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", file.to_str().unwrap()]);
        let output = hangar(&all);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = flat(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!file.exists(), "{args:?}: nothing is written");
    }

    let gov = hangar(&[
        "offline-profile",
        common::policies("gcc-high").to_str().unwrap(),
        "--profile",
        "Autopilot Device Preparation",
        "--tenant-domain",
        "fabrikam.onmicrosoft.us",
    ]);
    assert_eq!(gov.status.code(), Some(1));
    assert!(flat(&gov.stderr).contains("`gcc-high`"), "{}", flat(&gov.stderr));

    // `CloudAssignedTenantId` is a GUID: a domain in `tenantId` is refused.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenant.yaml"),
        "kind: Tenant\nname: t\ncloud: commercial\ntenantId: contoso.onmicrosoft.com\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("profile.yaml"),
        "kind: DeploymentProfile\nname: P\njoin: entra\nmode: user-driven\n",
    )
    .unwrap();
    let output = hangar(&[
        "offline-profile",
        dir.path().to_str().unwrap(),
        "--profile",
        "P",
        "--tenant-domain",
        "contoso.onmicrosoft.com",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(
        flat(&output.stderr).contains("`tenantId` `contoso.onmicrosoft.com`"),
        "{}",
        flat(&output.stderr)
    );

    // A configuration with errors is reported like `validate` does.
    let broken = fixture("invalid/profile/locale");
    let output = hangar(&[
        "offline-profile",
        broken.to_str().unwrap(),
        "--profile",
        "P",
        "--tenant-domain",
        "contoso.onmicrosoft.com",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("profile/locale"));
}

#[test]
fn explain_error_explains_the_guides_codes_with_sources() {
    let mut report = String::new();
    for code in ["0x800705B4", "801c0003", "-2145910760", "0x80070032", "806"] {
        let output = hangar(&["explain-error", code]);
        assert!(output.status.success(), "{code}: {}", text(&output.stderr));
        report.push_str(&format!(
            "$ hangar explain-error {code}\n{}\n",
            text(&output.stdout)
        ));
    }
    insta::assert_snapshot!(report);

    let output = hangar(&["explain-error", "0x80180014", "--format", "json"]);
    assert!(output.status.success());
    let entry = object(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(entry["code"], "0x80180014");
    assert_eq!(entry["name"], "MENROLL_E_DEVICENOTSUPPORTED");
    assert_eq!(entry["known"], true);
    assert!(entry["sources"].as_array().unwrap().iter().all(|source| {
        source["url"]
            .as_str()
            .unwrap()
            .starts_with("https://learn.microsoft.com/")
    }));
    assert_eq!(
        entry["prevention"][0]["field"],
        "EnrollmentRestriction.windows.platformBlocked"
    );

    let list = hangar(&["explain-error", "--list", "--format", "json"]);
    assert!(list.status.success());
    let codes: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert!(codes.len() >= 40, "{}", codes.len());
    for code in &codes {
        assert!(!code["sources"].as_array().unwrap().is_empty(), "{code:#}");
    }
}

#[test]
fn explain_error_says_what_it_does_not_know() {
    let output = hangar(&["explain-error", "0x80070005"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = flat(&output.stderr);
    assert!(stderr.contains("hangar has no entry for 0x80070005"), "{stderr}");
    assert!(stderr.contains("Windows error 5"), "{stderr}");

    let output = hangar(&["explain-error", "0x8018001a", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let unknown = object(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(unknown["known"], false);
    assert_eq!(unknown["facility"], 0x18);
    assert!(
        flat(&output.stderr).contains("0x80180014"),
        "neighbours of the facility"
    );

    for malformed in ["0xZZ", "not-a-code", "-0x5", "99999999999", ""] {
        let output = hangar(&["explain-error", malformed]);
        assert_eq!(output.status.code(), Some(1), "{malformed:?}");
        assert!(
            flat(&output.stderr).contains("is not an error code"),
            "{malformed:?}: {}",
            flat(&output.stderr)
        );
    }
    let output = hangar(&["explain-error"]);
    assert_eq!(output.status.code(), Some(1), "a code or --list is required");
}
