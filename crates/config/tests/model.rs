//! Library-level tests: YAML in, `DesiredState` / diagnostics / routes out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test helper is a failed test

use hangar_config::routing::{KnownDevice, Routing, Via};
use hangar_config::*;

const TENANT: &str =
    "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n";

fn load(files: &[(&str, &str)]) -> Loaded {
    load_in(&tempfile::tempdir().unwrap(), files)
}

fn load_in(dir: &tempfile::TempDir, files: &[(&str, &str)]) -> Loaded {
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    hangar_config::load(dir.path()).unwrap()
}

fn rules(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.rule).collect()
}

fn valid(files: &[(&str, &str)]) -> DesiredState {
    let loaded = load(files);
    assert!(!loaded.has_errors(), "{:#?}", loaded.diagnostics);
    loaded.state.unwrap()
}

#[test]
fn an_omitted_esp_setting_is_what_intune_gives_a_new_esp() {
    let state = valid(&[
        ("t.yaml", TENANT),
        ("esp.yaml", "kind: EnrollmentStatusPage\nname: default\n"),
    ]);
    let esp = &state.esps[0];
    assert!(esp.builtin && esp.priority.is_none());
    // Graph's values for what a create does not send, and the documented admin center defaults.
    assert!(!esp.show_progress.value && esp.block_device_use.value);
    assert!(!esp.allow_reset.value && !esp.allow_use_on_error.value);
    assert!(!esp.collect_logs.value && !esp.only_autopilot.value);
    assert!(
        esp.install_quality_updates.value,
        "new ESPs install quality updates"
    );
    assert_eq!(esp.timeout_minutes.value, 60);
    assert_eq!(
        esp.error_message.value,
        hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE
    );
    // Omitted description and scope tags are not managed.
    assert!(esp.meta.description.is_none() && esp.meta.scope_tags.is_none());
    // A defaulted value points at the document's `kind:`.
    assert_eq!(
        state.sources.text(esp.block_device_use.span),
        Some("EnrollmentStatusPage")
    );
}

#[test]
fn spans_point_into_the_right_document_of_a_multi_document_file() {
    let text = "kind: DeviceGroup\nname: a\nmembership: assigned\n---\n# second\nkind: DeviceGroup\nname: b\nmembership:\n  groupTag: Sales\n";
    let state = valid(&[("t.yaml", TENANT), ("g.yaml", text)]);
    let b = &state.groups[1];
    let location = state.sources.location(b.meta.name.span);
    assert_eq!((location.line, location.column), (7, 7));
    assert_eq!(state.sources.text(b.meta.name.span), Some("b"));
    let Membership::GroupTag(tag) = &b.membership.value else {
        panic!("a group tag")
    };
    assert_eq!(state.sources.location(tag.span).line, 9);
    assert_eq!(
        b.membership.value.rule().as_deref(),
        Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))")
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let loaded = load(&[
        ("t.yaml", TENANT),
        (
            "a.yaml",
            "kind: DeviceGroup\nname: a\nmembership: assigned\nownerz: []\n---\nkind: Nope\nname: x\n",
        ),
        (
            "b.yaml",
            "kind: DeploymentProfile\nname: p\njoin: entra\nmode: user-driven\ndeviceName: A_B\n",
        ),
        ("c.yaml", "kind: EnrollmentStatusPage\nname: e\n"),
    ]);
    let found = rules(&loaded);
    for rule in [
        "yaml/unknown-field",
        "document/unknown-kind",
        "profile/name-template-chars",
        "esp/priority-required",
    ] {
        assert!(found.contains(&rule), "{rule} missing from {found:?}");
    }
    assert!(loaded.state.is_none());
}

#[test]
fn bom_and_crlf_yaml_keep_offsets() {
    let text = "\u{feff}kind: DeviceGroup\r\nname: a\r\nmembership: assigned\r\n";
    let state = valid(&[("t.yaml", TENANT), ("g.yaml", text)]);
    assert_eq!(state.sources.text(state.groups[0].meta.name.span), Some("a"));
}

const ROUTED: &str = "kind: DeviceGroup\nname: Eng\nmembership:\n  groupTag: Engineering\n---\nkind: DeviceGroup\nname: All\nmembership:\n  rule: 'device.devicePhysicalIds -any (_ -startsWith \"[ZTDID]\")'\n---\nkind: DeviceGroup\nname: Lab\nmembership:\n  rule: 'device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:LAB-1\")'\n---\nkind: DeploymentProfile\nname: Eng\njoin: entra\nmode: user-driven\ndeviceName: ENG-%SERIAL%\nassign:\n  include: [Eng]\n  exclude: [Lab]\n---\nkind: DeploymentProfile\nname: Everyone\njoin: entra\nmode: user-driven\nassign:\n  include: [all-devices]\n---\nkind: EnrollmentStatusPage\nname: Low\npriority: 5\nassign:\n  include: [All]\n---\nkind: EnrollmentStatusPage\nname: High\npriority: 2\nassign:\n  include: [Eng]\n---\nkind: EnrollmentStatusPage\nname: default\n";

#[test]
fn routing_follows_tags_rules_exclusions_and_priorities() {
    let state = valid(&[("t.yaml", TENANT), ("r.yaml", ROUTED)]);
    let routing = Routing::new(&state);
    let group = |name: &str| state.group_by_name(name).unwrap();

    // Tags compare case-insensitively, as Entra's `-eq` does.
    let route = routing.route(&KnownDevice::new("5CG1").with_group_tag("engineering"));
    assert_eq!(route.groups, vec![group("Eng"), group("All")]);
    assert!(route.is_ambiguous(), "Eng and Everyone both reach it");
    assert_eq!(route.profile(), None);
    let esp = route.esp.unwrap();
    assert_eq!(state.esp(esp.id).meta.name.value, "High");
    assert_eq!(esp.via, Via::Group(group("Eng")));
    assert_eq!(route.device_name.as_ref().unwrap().name, "ENG-5CG1");

    // Excluded from Eng by the purchase-order group: only the all-devices profile remains.
    let lab = KnownDevice::new("5CG2")
        .with_group_tag("Engineering")
        .with_purchase_order("LAB-1");
    let route = routing.route(&lab);
    let profile = route.profile().unwrap();
    assert_eq!(state.profile(profile.id).meta.name.value, "Everyone");
    assert_eq!(profile.via, Via::AllDevices);

    // No group: all-devices profile, lowest-priority ESP through `All`.
    let route = routing.route(&KnownDevice::new("X"));
    assert_eq!(state.esp(route.esp.unwrap().id).meta.name.value, "Low");
    let lines = routing.explain(&route);
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("profile `Everyone`: assigned to all devices")),
        "{lines:#?}"
    );
}

#[test]
fn live_devices_route_like_csv_rows() {
    let state = valid(&[("t.yaml", TENANT), ("r.yaml", ROUTED)]);
    let routing = Routing::new(&state);
    let live = hangar_model::LiveDevice {
        id: "d".into(),
        serial_number: " 5CG3 ".into(),
        group_tag: Some("Engineering".into()),
        user_principal_name: None,
        display_name: None,
        purchase_order_identifier: Some("LAB-1".into()),
        deployment_profile_assignment_status: None,
    };
    let route = routing.route(&hangar_config::routing::known_live_device(&live));
    assert!(route.groups.contains(&state.group_by_name("Lab").unwrap()));
    assert_eq!(route.profiles.len(), 1);
}

#[test]
fn name_template_length_uses_the_serials_of_reached_devices() {
    let csv = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n5CG1,,QUJD,Engineering\r\n012345678901,,QUJD,Engineering\r\n";
    let loaded = load(&[
        ("t.yaml", TENANT),
        (
            "g.yaml",
            "kind: DeviceGroup\nname: Eng\nmembership:\n  groupTag: Engineering\n",
        ),
        (
            "p.yaml",
            "kind: DeploymentProfile\nname: P\njoin: entra\nmode: user-driven\ndeviceName: ENG-%SERIAL%\nassign:\n  include: [Eng]\n",
        ),
        (
            "d.yaml",
            "kind: AutopilotDevices\nname: d\nsource: devices/d.csv\n",
        ),
        ("devices/d.csv", csv),
    ]);
    let finding = loaded
        .diagnostics
        .iter()
        .find(|d| d.rule == "profile/name-template-length")
        .unwrap();
    assert!(
        finding.message.contains("ENG-012345678901"),
        "{}",
        finding.message
    );
    // The label points at the device's row in the CSV.
    let label = loaded.sources.location(finding.labels[0].span);
    assert!(label.file.ends_with("d.csv") && label.line == 3, "{label}");
}

#[test]
fn devices_keep_hash_locations_not_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "\u{feff}\"Device Serial Number\",\"Windows Product ID\",\"Hardware Hash\",\"Group Tag\",\"Assigned User\"\r\n\"5CG1\",\"\",\"QUJDRA==\",\"Sales\",\"a@b.c\"\r\n\r\n\"5CG2\",,\"RUZHSA==\",,\r\n";
    let loaded = load_in(
        &dir,
        &[
            ("t.yaml", TENANT),
            (
                "d.yaml",
                "kind: AutopilotDevices\nname: d\nsource: d.csv\ngroupTag: Default\n",
            ),
            ("d.csv", csv),
            (
                "g.yaml",
                "kind: DeviceGroup\nname: S\nmembership:\n  groupTag: Sales\n---\nkind: DeviceGroup\nname: D\nmembership:\n  groupTag: Default\n---\nkind: DeploymentProfile\nname: P\njoin: entra\nmode: user-driven\nassign:\n  include: [S, D]\n",
            ),
        ],
    );
    assert!(!loaded.has_errors(), "{:#?}", loaded.diagnostics);
    let state = loaded.state.unwrap();
    assert_eq!(state.devices.len(), 2);
    let first = &state.devices[0];
    assert_eq!(
        (
            first.serial.as_str(),
            first.group_tag.as_deref(),
            first.assigned_user.as_deref()
        ),
        ("5CG1", Some("Sales"), Some("a@b.c"))
    );
    assert_eq!(state.devices[1].group_tag.as_deref(), Some("Default"));
    let path = &state.device_lists[0].path;
    assert_eq!(
        hangar_config::devices::read_hash(first, path).unwrap(),
        "QUJDRA=="
    );
    assert_eq!(
        hangar_config::devices::read_hash(&state.devices[1], path).unwrap(),
        "RUZHSA=="
    );
    assert_eq!(state.sources.location(state.devices[1].span).line, 4);
}

#[test]
fn hashless_rows_manage_registrations_by_serial() {
    // An empty `Hardware Hash` cell, a blank one, and a CSV without the column are hash-less;
    // `Display Name` is read (case and spacing of the header do not matter).
    let csv = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,display_name\r\nOEM-1,,,Sales,,Front desk\r\nOEM-2,,  ,Sales,,\r\nHW-1,,QUJD,Sales,,Lab 7\r\n";
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_in(
        &dir,
        &[
            ("t.yaml", TENANT),
            (
                "d.yaml",
                "kind: AutopilotDevices\nname: d\nsource: d.csv\n---\nkind: AutopilotDevices\nname: s\nsource: s.csv\ngroupTag: Ops\n",
            ),
            ("d.csv", csv),
            ("s.csv", "Serial Number,Group Tag\nS-1,\nS-2,Lab\n"),
        ],
    );
    assert!(!loaded.has_errors(), "{:#?}", loaded.diagnostics);
    let state = loaded.state.unwrap();
    let by_serial = |serial: &str| state.devices.iter().find(|d| d.serial == serial).unwrap();
    let oem = by_serial("OEM-1");
    assert!(oem.hash.is_none());
    assert_eq!(oem.display_name.as_deref(), Some("Front desk"));
    assert_eq!(oem.group_tag.as_deref(), Some("Sales"));
    assert!(by_serial("OEM-2").hash.is_none(), "a blank cell is empty");
    assert_eq!(by_serial("OEM-2").display_name, None);
    let hw = by_serial("HW-1");
    assert!(hw.hash.is_some());
    assert_eq!(hw.display_name.as_deref(), Some("Lab 7"));
    assert_eq!(
        hangar_config::devices::read_hash(hw, &state.device_lists[0].path).unwrap(),
        "QUJD"
    );
    let err = hangar_config::devices::read_hash(oem, &state.device_lists[0].path).unwrap_err();
    assert!(
        std::error::Error::source(&err)
            .unwrap()
            .to_string()
            .contains("hash-less"),
        "{err}"
    );
    assert!(by_serial("S-1").hash.is_none());
    assert_eq!(by_serial("S-1").group_tag.as_deref(), Some("Ops"));
    assert_eq!(by_serial("S-2").group_tag.as_deref(), Some("Lab"));
    // The display name takes part in routing (`device.displayName` rules).
    let known = hangar_config::routing::known_device(oem);
    assert_eq!(
        known,
        KnownDevice::new("OEM-1".to_owned())
            .with_group_tag("Sales".to_owned())
            .with_display_name("Front desk".to_owned())
    );
}

#[test]
fn a_misspelt_hash_column_and_a_bad_hash_are_still_errors() {
    let loaded = load(&[
        ("t.yaml", TENANT),
        ("d.yaml", "kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
        ("d.csv", "Device Serial Number,HW Hash\nA1,QUJD\n"),
    ]);
    assert_eq!(rules(&loaded), vec!["devices/missing-column"]);
    assert!(
        loaded.diagnostics[0].message.contains("`HW Hash`"),
        "{}",
        loaded.diagnostics[0].message
    );
    let loaded = load(&[
        ("t.yaml", TENANT),
        ("d.yaml", "kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
        ("d.csv", "Device Serial Number,Hardware Hash\nA1,\nA2,QU!D\n"),
    ]);
    let bad = loaded.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(bad.rule, "devices/invalid-hash");
    assert!(bad.message.contains("`A2` (row 2)"), "{}", bad.message);
    assert_eq!(
        loaded.diagnostics.iter().filter(|d| d.is_error()).count(),
        1,
        "row 1 is hash-less, not invalid"
    );
}

#[test]
fn hashless_writer_output_reads_back_unchanged() {
    use hangar_config::devices::{HASHLESS_HEADER, HashlessRow, write_hashless};
    let mut out = Vec::new();
    write_hashless(
        &mut out,
        [
            HashlessRow {
                serial: " OEM-1 ",
                group_tag: Some("Sales, West"),
                assigned_user: Some("ann@contoso.com"),
                display_name: Some("Desk \"7\""),
            },
            HashlessRow {
                serial: "OEM-2",
                ..HashlessRow::default()
            },
        ],
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        format!(
            "{HASHLESS_HEADER}\r\nOEM-1,,,\"Sales, West\",ann@contoso.com,\"Desk \"\"7\"\"\"\r\nOEM-2,,,,,\r\n"
        )
    );
    let state = valid(&[
        ("t.yaml", TENANT),
        ("d.yaml", "kind: AutopilotDevices\nname: d\nsource: d.csv\n"),
        ("d.csv", &text),
    ]);
    let first = &state.devices[0];
    assert_eq!(
        (
            first.serial.as_str(),
            first.group_tag.as_deref(),
            first.assigned_user.as_deref(),
            first.display_name.as_deref(),
            first.hash
        ),
        (
            "OEM-1",
            Some("Sales, West"),
            Some("ann@contoso.com"),
            Some("Desk \"7\""),
            None
        )
    );
    assert_eq!(state.devices[1].group_tag, None);
}

#[test]
fn duplicate_serials_across_files_name_both_rows() {
    let header = "Device Serial Number,Windows Product ID,Hardware Hash\n";
    let loaded = load(&[
        ("t.yaml", TENANT),
        (
            "d.yaml",
            "kind: AutopilotDevices\nname: a\nsource: a.csv\n---\nkind: AutopilotDevices\nname: b\nsource: b.csv\n",
        ),
        ("a.csv", &format!("{header}S1,,QUJD\nS2,,QUJD\n")),
        ("b.csv", &format!("{header}X9,,QUJD\ns2,,QUJD\n")),
    ]);
    let finding = loaded
        .diagnostics
        .iter()
        .find(|d| d.rule == "devices/duplicate-serial")
        .unwrap();
    assert!(
        finding.message.contains("row 2") && finding.message.contains("a.csv row 2"),
        "{}",
        finding.message
    );
    assert!(loaded.sources.location(finding.span).file.ends_with("b.csv"));
}

#[test]
fn a_csv_over_the_limit_is_refused_before_reading() {
    let limits = Limits {
        max_csv_bytes: 64,
        ..Limits::default()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.yaml"), TENANT).unwrap();
    std::fs::write(
        dir.path().join("d.yaml"),
        "kind: AutopilotDevices\nname: a\nsource: a.csv\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "Device Serial Number,Hardware Hash\n".repeat(10),
    )
    .unwrap();
    let loaded = hangar_config::load_with(dir.path(), &limits).unwrap();
    let finding = loaded
        .diagnostics
        .iter()
        .find(|d| d.rule == "file/too-large")
        .unwrap();
    assert_eq!(loaded.sources.text(finding.span), Some("a.csv"));
}

#[test]
fn gcc_high_has_no_classic_profiles() {
    let tenant = TENANT.replace("commercial", "gcc-high");
    let loaded = load(&[
        ("t.yaml", &tenant),
        (
            "p.yaml",
            "kind: DeploymentProfile\nname: P\njoin: entra\nmode: self-deploying\npreProvisioning: true\n",
        ),
    ]);
    assert_eq!(rules(&loaded), ["cloud/classic-autopilot-unavailable"]);
}

#[test]
fn prune_patterns_match_kind_and_glob() {
    let tenant =
        format!("{TENANT}prune:\n  enabled: true\n  only: [DeviceGroup/Autopilot-*]\n  maxDeletes: 3\n");
    let state = valid(&[("t.yaml", &tenant)]);
    let prune = &state.tenant.prune;
    assert!(prune.enabled.value && prune.max_deletes.value == 3);
    assert!(prune.only[0].matches(hangar_model::Kind::DeviceGroup, "Autopilot-Sales"));
    assert!(!prune.only[0].matches(hangar_model::Kind::DeviceGroup, "Finance"));
    assert!(!prune.only[0].matches(hangar_model::Kind::DeploymentProfile, "Autopilot-Sales"));
}

#[test]
fn user_targeted_esps_are_mentioned_not_guessed() {
    let esp = "kind: EnrollmentStatusPage\nname: Users\npriority: 1\nassign:\n  include: [all-users]\n";
    let state = valid(&[("t.yaml", TENANT), ("e.yaml", esp)]);
    let routing = Routing::new(&state);
    let route = routing.route(&KnownDevice::new("S"));
    assert!(route.esp.is_none(), "a user-targeted ESP is not a device route");
    let lines = routing.explain(&route);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("`Users` may apply instead")),
        "{lines:#?}"
    );
}

#[test]
fn each_parsing_limit_says_what_to_do_about_it() {
    let help = |name: &str, text: &str| {
        let loaded = load(&[("t.yaml", TENANT), (name, text)]);
        let finding = loaded
            .diagnostics
            .iter()
            .find(|d| d.rule == "yaml/limit")
            .unwrap_or_else(|| panic!("{name}: {:#?}", loaded.diagnostics));
        finding.help.clone().unwrap_or_default()
    };
    let documents = help("many.yaml", &"---\n# nothing\n".repeat(1025));
    assert!(
        documents.contains("at most 1024 documents per file"),
        "{documents}"
    );
    assert!(!documents.contains("alias"), "{documents}");

    let deep = format!(
        "kind: DeviceGroup\nname: g\nx: {}{}\n",
        "[".repeat(70),
        "]".repeat(70)
    );
    let deep = help("deep.yaml", &deep);
    assert!(deep.contains("nest less deeply"), "{deep}");

    let mut bomb = String::from("kind: DeviceGroup\nname: g\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..6 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    let bomb = help("bomb.yaml", &bomb);
    assert!(bomb.contains("do not use aliases"), "{bomb}");
}

#[test]
fn include_entries_take_an_assignment_filter() {
    let group = "kind: DeviceGroup\nname: G\nmembership:\n  groupTag: G\n---\n";
    let state = valid(&[
        ("t.yaml", TENANT),
        (
            "o.yaml",
            &format!(
                "{group}kind: EnrollmentStatusPage\nname: E\npriority: 1\nassign:\n  include:\n    - G\n    - target: all-devices\n      filter: Kiosks\n      filterMode: exclude\n    - target: all-users\n      filter: Surface\n"
            ),
        ),
    ]);
    let assign = &state.esps[0].assign;
    assert_eq!(assign.include.len(), 3);
    let group_id = state.group_by_name("G").unwrap();
    assert!(assign.filter_of(Target::Group(group_id)).is_none());
    let kiosks = assign.filter_of(Target::AllDevices).unwrap();
    assert_eq!(kiosks.name.value, "Kiosks");
    assert_eq!(kiosks.mode.value, hangar_model::FilterMode::Exclude);
    let surface = assign.filter_of(Target::AllUsers).unwrap();
    assert_eq!(
        surface.mode.value,
        hangar_model::FilterMode::Include,
        "include is the default"
    );

    // `filterMode` alone, an unknown key and an unknown group are errors, not silently dropped.
    for bad in [
        "    - target: G\n      filterMode: exclude\n",
        "    - target: G\n      filtre: Kiosks\n",
        "    - target: H\n      filter: Kiosks\n",
    ] {
        let loaded = load(&[
            ("t.yaml", TENANT),
            (
                "o.yaml",
                &format!(
                    "{group}kind: EnrollmentStatusPage\nname: E\npriority: 1\nassign:\n  include:\n{bad}"
                ),
            ),
        ]);
        assert!(loaded.has_errors(), "{bad}");
    }
}
