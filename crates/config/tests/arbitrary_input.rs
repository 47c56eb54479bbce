//! Property tests: arbitrary bytes as YAML or as a devices CSV never panic the loader, and every
//! diagnostic points inside a known file.
#![allow(clippy::unwrap_used)] // a panic in a test helper is a failed test

use proptest::prelude::*;

const TENANT: &str =
    "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n";

fn check(files: &[(&str, &[u8])]) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let loaded = hangar_config::load(dir.path()).unwrap();
    for diagnostic in &loaded.diagnostics {
        let location = loaded.sources.location(diagnostic.span);
        assert!(location.line >= 1 && location.column >= 1);
        for label in &diagnostic.labels {
            loaded.sources.location(label.span);
        }
        // Rendering a snippet must work for any span too.
        let _ = loaded.sources.excerpt(diagnostic.span, 2);
    }
    if loaded.state.is_some() {
        assert!(!loaded.has_errors());
    }
}

/// Fragments that make random text look like hangar YAML, to get past the first parse error.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("kind: DeviceGroup\n".to_owned()),
        Just("kind: DeploymentProfile\n".to_owned()),
        Just("kind: EnrollmentStatusPage\n".to_owned()),
        Just("---\n".to_owned()),
        Just("name: a\n".to_owned()),
        Just("membership:\n  groupTag: X\n".to_owned()),
        Just("membership: assigned\n".to_owned()),
        Just("join: entra\nmode: user-driven\n".to_owned()),
        Just("deviceName: A-%SERIAL%\n".to_owned()),
        Just("assign:\n  include: [a, all-devices]\n".to_owned()),
        Just("priority: 1\n".to_owned()),
        Just("x: &a [*a]\n".to_owned()),
        Just("  - ".to_owned()),
        Just("{[\"'".to_owned()),
        "[ -~]{0,20}\n",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_yaml(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&[("tenant.yaml", TENANT.as_bytes()), ("fuzz.yaml", &bytes)]);
    }

    #[test]
    fn yaml_like_text(text in yamlish()) {
        check(&[("tenant.yaml", TENANT.as_bytes()), ("fuzz.yaml", text.as_bytes())]);
    }

    #[test]
    fn arbitrary_bytes_as_csv(bytes in prop::collection::vec(any::<u8>(), 0..2048), header in any::<bool>()) {
        let mut csv = if header { b"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n".to_vec() } else { Vec::new() };
        csv.extend_from_slice(&bytes);
        check(&[
            ("tenant.yaml", TENANT.as_bytes()),
            ("devices.yaml", b"kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
            ("d.csv", &csv),
        ]);
    }

    #[test]
    fn csv_like_rows(rows in prop::collection::vec("[A-Z0-9]{0,12},[-0-9]{0,5},[A-Za-z0-9+/=!]{0,16},[A-Za-z]{0,6}", 0..20)) {
        let csv = format!("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n{}", rows.join("\r\n"));
        check(&[
            ("tenant.yaml", TENANT.as_bytes()),
            ("devices.yaml", b"kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
            ("d.csv", csv.as_bytes()),
        ]);
    }
}
