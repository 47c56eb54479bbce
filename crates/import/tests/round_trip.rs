//! The round trip, as a property (issue 11 item 2): for a generated lived-in tenant (every enum
//! value, unicode and OData-hostile names, edited built-ins, portal scope tags and
//! descriptions, exclusions, hash-less devices), `import` writes a configuration that loads
//! without errors and plans with no changes against the same tenant. Pure: the live state is
//! built in the shape `hangar-graph` reads it in; the e2e test `tests/import.rs` does the same
//! through the simulator and the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hangar_config::fields;
use hangar_model::well_known::{DEFAULT_ESP_ID_SUFFIX, DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX, odata};
use hangar_model::{Cloud, Kind, LiveDevice, LiveObject, LiveState};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

/// Names as admins type them: letters from several scripts, spaces, and the characters OData
/// filters and YAML care about (`'`, `&`, `#`, `/`, `:`, `%`, `"`).
fn name() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "Autopilot",
            "Ventes",
            "Équipe",
            "販売",
            "Kiosk",
            "O'Brien",
            "true",
            "60",
        ]),
        prop::collection::vec(
            prop::sample::select(vec![
                " ", "-", "'", "&", "#1", "/", ": x", "%", "\"q\"", "ü", "漢", "Z", "(EU)",
            ]),
            0..4,
        ),
    )
        .prop_map(|(head, tail)| format!("{head}{}", tail.concat()))
}

fn tag() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["Sales", "Kiosk-01", "O'Brien", "Équipe", "x y", "HQ_Hybrid"])
        .prop_map(str::to_owned)
}

/// Graph's device types, from the table (every enum value is generated).
fn device_types() -> Vec<&'static str> {
    match fields::DEPLOYMENT_PROFILE
        .field("deviceType")
        .and_then(|row| row.property())
    {
        Some((_, fields::Codec::Enum(pairs))) => pairs.iter().map(|(_, graph)| *graph).collect(),
        other => panic!("deviceType is an enum property: {other:?}"),
    }
}

const LOCALES: [&str; 3] = ["", "en-US", "fr-FR"];

fn guid(n: u64) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

#[derive(Debug, Clone)]
struct Spec {
    groups: Vec<(String, u8, String)>,
    profiles: Vec<(String, Profile)>,
    esps: Vec<(String, Esp)>,
    default_esp: Option<Esp>,
    default_windows_blocked: bool,
    devices: Vec<(String, Option<String>, Option<String>)>,
}

#[derive(Debug, Clone)]
struct Profile {
    hybrid: bool,
    shared: bool,
    device_type: usize,
    locale: usize,
    name_template: bool,
    pre_provisioning: bool,
    hide_eula: bool,
    admin: bool,
    tags: bool,
    description: Option<String>,
    include: Vec<usize>,
    exclude: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Esp {
    show: bool,
    timeout: u32,
    logs: bool,
    block_retry: bool,
    message: Option<String>,
    apps: usize,
    include: Vec<usize>,
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        (
            any::<bool>(),
            any::<bool>(),
            0..device_types().len(),
            0..3usize,
            any::<bool>(),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        prop::option::of(name()),
        prop::collection::vec(0..6usize, 0..3),
        prop::collection::vec(0..6usize, 0..2),
    )
        .prop_map(
            |(
                (hybrid, shared, device_type, locale, name_template),
                (pre_provisioning, hide_eula, admin, tags),
                description,
                include,
                exclude,
            )| Profile {
                hybrid,
                shared: shared && !hybrid,
                device_type,
                locale,
                name_template,
                pre_provisioning,
                hide_eula,
                admin,
                tags,
                description,
                include,
                exclude,
            },
        )
}

fn esp() -> impl Strategy<Value = Esp> {
    (
        any::<bool>(),
        30..240u32,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(name()),
        0..5usize,
        prop::collection::vec(0..6usize, 0..3),
    )
        .prop_map(|(show, timeout, logs, block_retry, message, apps, include)| Esp {
            show,
            timeout,
            logs,
            block_retry,
            message,
            apps,
            include,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec((name(), 0..3u8, tag()), 1..6),
        prop::collection::vec((name(), profile()), 0..4),
        prop::collection::vec((name(), esp()), 0..3),
        prop::option::of(esp()),
        any::<bool>(),
        prop::collection::vec(
            (
                "[A-Z0-9]{6,12}",
                prop::option::of(tag()),
                prop::option::of(Just("ana@contoso.com".to_owned())),
            ),
            0..5,
        ),
    )
        .prop_map(
            |(groups, profiles, esps, default_esp, default_windows_blocked, devices)| Spec {
                groups,
                profiles,
                esps,
                default_esp,
                default_windows_blocked,
                devices,
            },
        )
}

/// Assignment filter ids the generated profiles use.
const FILTERS: [&str; 3] = [
    "ffffffff-0000-4000-8000-000000000001",
    "ffffffff-0000-4000-8000-000000000002",
    "ffffffff-0000-4000-8000-000000000003",
];

fn object(kind: Kind, id: &str, properties: Value) -> LiveObject {
    let properties = properties.as_object().cloned().unwrap();
    let name = properties
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut object = LiveObject::new(kind, id, name);
    object.odata_type = properties
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    object.properties = properties;
    object
}

fn assignment(group_id: &str, exclude: bool) -> hangar_model::LiveAssignment {
    let odata_type = if exclude {
        odata::EXCLUSION_GROUP_TARGET
    } else {
        odata::GROUP_TARGET
    };
    json!({"id": format!("a-{group_id}-{exclude}"), "source": "direct",
        "target": {"@odata.type": odata_type, "groupId": group_id}})
    .into()
}

/// The tenant a spec describes, as `hangar-graph` reads it.
fn tenant(spec: &Spec) -> LiveState {
    let mut live = LiveState::default();
    live.complete.extend(Kind::ALL);
    // Assignment filters: one whose name YAML must quote in a flow map, one plain, and two that
    // share a name (import cannot name them, says so, and the plan keeps the filter).
    live.assignment_filters = Some(
        [
            (FILTERS[0], "Surface, {laptops}"),
            (FILTERS[1], "Kiosks"),
            (FILTERS[2], "Twin"),
            ("ffffffff-0000-4000-8000-000000000004", "Twin"),
        ]
        .into_iter()
        .map(|(id, name)| hangar_model::AssignmentFilter {
            id: id.into(),
            display_name: name.into(),
            platform: Some("windows10AndLater".into()),
        })
        .collect(),
    );
    // What the configuration refers to by name: scope tags and apps, two of each sharing a name
    // (import writes those by id and says so), names that need quoting, apps of several types.
    let referenced = |id: String, name: &str, odata_type: Option<&str>| hangar_model::Referenced {
        id,
        display_name: name.to_owned(),
        odata_type: odata_type.map(str::to_owned),
    };
    live.scope_tags = Some(vec![
        referenced("0".into(), "Default", None),
        referenced("3".into(), "O'Brien & Co: EU", None),
        referenced("4".into(), "Sales", None),
        referenced("5".into(), "Sales", None),
    ]);
    live.mobile_apps = Some(
        APPS.iter()
            .enumerate()
            .map(|(n, (name, odata_type))| referenced(guid(900 + n as u64), name, Some(odata_type)))
            .collect(),
    );
    let mut group_ids = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (index, (name, kind, tag)) in spec.groups.iter().enumerate() {
        let id = guid(100 + index as u64);
        // Unique group names: a configuration refers to groups by name.
        let name = if seen.insert(name.clone()) {
            name.clone()
        } else {
            format!("{name} {index}")
        };
        seen.insert(name.clone());
        let (types, rule) = match kind {
            0 => (json!([]), Value::Null),
            1 => (
                json!(["DynamicMembership"]),
                json!(hangar_membership::group_tag_rule(tag)),
            ),
            _ => (
                json!(["DynamicMembership"]),
                json!("(device.deviceModel -eq \"Surface Laptop 5\")"),
            ),
        };
        let mut properties = json!({"id": id, "displayName": name, "groupTypes": types,
            "securityEnabled": true, "mailEnabled": false, "mailNickname": format!("n{index}")});
        if !rule.is_null() {
            properties["membershipRule"] = rule;
            properties["membershipRuleProcessingState"] = json!("On");
        }
        live.objects.push(object(Kind::DeviceGroup, &id, properties));
        group_ids.push(id);
    }
    let group = |index: &usize| group_ids[index % group_ids.len()].clone();

    let device_types = device_types();
    for (index, (name, p)) in spec.profiles.iter().enumerate() {
        let id = guid(200 + index as u64);
        let odata_type = if p.hybrid {
            odata::HYBRID_PROFILE
        } else {
            odata::ENTRA_PROFILE
        };
        // The admin center hides the license terms of a self-deploying profile (no user is there
        // to answer them); validation refuses it otherwise.
        let mut oobe = json!({"deviceUsageType": if p.shared { "shared" } else { "singleUser" },
            "privacySettingsHidden": true, "eulaHidden": p.hide_eula || p.shared, "keyboardSelectionPageSkipped": true,
            "escapeLinkHidden": true});
        if !p.shared {
            oobe["userType"] = json!(if p.admin { "administrator" } else { "standard" });
        }
        let mut properties = json!({"id": id, "@odata.type": odata_type, "displayName": format!("{name} P{index}"),
            "description": p.description.clone().unwrap_or_default(),
            "roleScopeTagIds": if p.tags { json!(["0", "3", "4"]) } else { json!(["0"]) },
            "deviceType": device_types[p.device_type],
            "locale": LOCALES[p.locale],
            "deviceNameTemplate": if p.name_template && !p.hybrid { "ENG-%SERIAL%" } else { "" },
            "preprovisioningAllowed": p.pre_provisioning && !p.shared && p.device_type == 0,
            "hardwareHashExtractionEnabled": false,
            "outOfBoxExperienceSetting": oobe});
        if p.hybrid {
            properties["hybridAzureADJoinSkipConnectivityCheck"] = json!(p.pre_provisioning);
        }
        let mut profile = object(Kind::DeploymentProfile, &id, properties);
        // An assigned hybrid profile needs a domain join profile on the same groups (validation
        // refuses it otherwise); the generator leaves hybrid profiles unassigned.
        let include = if p.hybrid { &[][..] } else { &p.include[..] };
        let mut assignments: Vec<_> = include.iter().map(|g| assignment(&group(g), false)).collect();
        assignments.extend(
            p.exclude
                .iter()
                .filter(|g| !include.iter().any(|i| group(i) == group(g)))
                .map(|g| assignment(&group(g), true)),
        );
        assignments.dedup_by(|a, b| a.raw == b.raw);
        // The first included target of every profile but each fourth carries a filter, in
        // either mode.
        if let Some(first) = assignments.first_mut().filter(|_| !include.is_empty())
            && index % 4 != 3
        {
            let mut raw = first.raw.clone();
            raw["target"]["deviceAndAppManagementAssignmentFilterId"] = json!(FILTERS[index % 4]);
            raw["target"]["deviceAndAppManagementAssignmentFilterType"] =
                json!(if index % 2 == 0 { "include" } else { "exclude" });
            *first = raw.into();
        }
        profile.assignments = Some(assignments);
        live.objects.push(profile);
    }

    let esp_properties = |id: &str, name: &str, priority: usize, esp: &Esp| {
        let apps: Vec<String> = (0..esp.apps)
            .map(|n| guid(900 + n as u64).to_uppercase())
            .collect();
        json!({"id": id, "@odata.type": odata::ESP, "displayName": name, "priority": priority,
            "roleScopeTagIds": ["0"],
            "showInstallationProgress": esp.show, "installProgressTimeoutInMinutes": esp.timeout,
            "allowLogCollectionOnInstallFailure": esp.logs, "blockDeviceSetupRetryByUser": esp.block_retry,
            "allowDeviceResetOnInstallFailure": false, "allowDeviceUseOnInstallFailure": false,
            "trackInstallProgressForAutopilotOnly": true, "allowNonBlockingAppInstallation": false,
            "disableUserStatusTrackingAfterFirstUser": false, "installQualityUpdates": false,
            "customErrorMessage": esp.message.clone().unwrap_or_default(),
            "selectedMobileAppIds": apps})
    };
    for (index, (name, esp)) in spec.esps.iter().enumerate() {
        let id = guid(300 + index as u64);
        let mut object = object(
            Kind::EnrollmentStatusPage,
            &id,
            esp_properties(&id, &format!("{name} E{index}"), index + 1, esp),
        );
        let mut assignments: Vec<_> = esp.include.iter().map(|g| assignment(&group(g), false)).collect();
        assignments.sort_by_key(|a| a.raw.to_string());
        assignments.dedup_by(|a, b| a.raw == b.raw);
        object.assignments = Some(assignments);
        live.objects.push(object);
    }
    let default_esp = spec.default_esp.clone().unwrap_or(Esp {
        show: false,
        timeout: 60,
        logs: false,
        block_retry: false,
        message: Some(hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE.to_owned()),
        apps: 0,
        include: Vec::new(),
    });
    let id = format!("{}{DEFAULT_ESP_ID_SUFFIX}", guid(1));
    let mut builtin = object(
        Kind::EnrollmentStatusPage,
        &id,
        esp_properties(&id, "All users and all devices", 0, &default_esp),
    );
    builtin.builtin = true;
    builtin.assignments = Some(vec![
        json!({"id": "all", "source": "direct",
        "target": {"@odata.type": odata::ALL_DEVICES_TARGET}})
        .into(),
    ]);
    live.objects.push(builtin);

    let id = format!("{}{DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX}", guid(2));
    let mut restriction = object(
        Kind::EnrollmentRestriction,
        &id,
        json!({"id": id, "@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            "displayName": "All users and all devices", "priority": 0,
            "windowsRestriction": {"platformBlocked": false, "personalDeviceEnrollmentBlocked": spec.default_windows_blocked,
                "osMinimumVersion": "", "osMaximumVersion": "", "blockedManufacturers": [], "blockedSkus": []},
            "iosRestriction": {"platformBlocked": true}}),
    );
    restriction.builtin = true;
    restriction.assignments = Some(vec![
        json!({"id": "all", "source": "direct",
        "target": {"@odata.type": odata::ALL_DEVICES_TARGET}})
        .into(),
    ]);
    live.objects.push(restriction);

    let mut serials = std::collections::BTreeSet::new();
    for (index, (serial, tag, user)) in spec.devices.iter().enumerate() {
        if !serials.insert(serial.clone()) {
            continue;
        }
        live.devices.push(LiveDevice {
            id: guid(500 + index as u64),
            serial_number: format!("{serial} "),
            group_tag: tag.clone(),
            user_principal_name: user.clone(),
            display_name: None,
            purchase_order_identifier: None,
            deployment_profile_assignment_status: None,
        });
    }
    live
}

/// The tenant's apps: name and `@odata.type`; the last two share a name.
const APPS: &[(&str, &str)] = &[
    ("Company Portal", "#microsoft.graph.winGetApp"),
    ("販売 CRM #1", "#microsoft.graph.win32LobApp"),
    ("Agent", "#microsoft.graph.windowsMobileMSI"),
    ("Agent", "#microsoft.graph.win32LobApp"),
];

fn check(spec: &Spec, cloud: Cloud) -> Result<(), TestCaseError> {
    let live = tenant(spec);
    let options = hangar_import::Options {
        tenant_name: "lived-in".into(),
        cloud,
        tenant_id: "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44".into(),
        kinds: None,
        name: None,
    };
    let imported = hangar_import::import(&live, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let again = hangar_import::import(&live, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&imported, &again, "deterministic");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("config");
    hangar_import::write(&out, &imported).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let loaded = hangar_config::load(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let files = || {
        imported
            .files
            .iter()
            .filter(|(path, _)| !path.starts_with("schemas/"))
            .map(|(path, bytes)| format!("--- {path}\n{}", String::from_utf8_lossy(bytes)))
            .collect::<String>()
    };
    // References by name where the name is the tenant's only one, by id where it is not.
    let esp_text =
        String::from_utf8_lossy(imported.files.get("esp.yaml").map_or(&[][..], |b| &b[..])).into_owned();
    let esps = spec.esps.iter().map(|(_, esp)| esp).chain(&spec.default_esp);
    let most_apps = esps.map(|esp| esp.apps).max().unwrap_or(0);
    if most_apps >= 1 {
        prop_assert!(esp_text.contains("- Company Portal\n"), "{}", files());
        prop_assert!(!esp_text.contains(&guid(900)), "{}", files());
    }
    if most_apps >= 3 {
        prop_assert!(esp_text.contains(&format!("- \"{}\"", guid(902))), "{}", files());
        prop_assert!(
            imported
                .notes
                .iter()
                .any(|n| n.contains("app `Agent` is written by its id"))
        );
    }
    if spec.profiles.iter().any(|(_, p)| p.tags) {
        let text = String::from_utf8_lossy(&imported.files["profiles.yaml"]).into_owned();
        prop_assert!(text.contains("O'Brien & Co: EU"), "{}", files());
        prop_assert!(text.contains("- \"4\"\n"), "{}", files());
    }
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == hangar_config::Severity::Error)
        .map(|d| format!("{}: {}", d.rule, d.message))
        .collect();
    // A generated tenant may hold a profile the domain rules refuse (a virtual machine that
    // self-deploys): the import is right to carry it, and validation to stop it. Any other
    // error (YAML, schema, references) is the import's fault.
    prop_assume!(!errors.iter().any(|e| e.starts_with("profile/")));
    prop_assert!(errors.is_empty(), "{errors:#?}\n{}", files());
    let desired = loaded.state.unwrap();
    let plan =
        hangar_plan::plan(&desired, &live).map_err(|e| TestCaseError::fail(format!("{e:?}\n{}", files())))?;
    prop_assert!(
        !plan.has_changes(),
        "{}\n{}",
        hangar_plan::render::json::render(&plan),
        files()
    );
    // Filters with a name of their own are written by name; a shared name is pinned by id.
    let profiles = imported
        .files
        .get("profiles.yaml")
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let uses = |id: &str| {
        live.objects_of(Kind::DeploymentProfile)
            .flat_map(|p| p.direct_assignments())
            .any(|a| a.filter.as_ref().is_some_and(|f| f.id == id))
    };
    for (id, written) in [
        (FILTERS[0], r#"filter: "Surface, {laptops}""#),
        (FILTERS[1], "filter: Kiosks"),
    ] {
        prop_assert_eq!(uses(id), profiles.contains(written), "{}\n{}", written, files());
    }
    prop_assert!(!profiles.contains("Twin"), "{}", files());
    prop_assert_eq!(
        uses(FILTERS[2]),
        profiles.contains(&format!("filter: {}", FILTERS[2])),
        "{}",
        files()
    );
    Ok(())
}

#[test]
fn import_then_plan_is_empty_for_generated_lived_in_tenants() {
    // Seeded and modest: a failure reproduces, and the suite stays fast.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 48,
            max_global_rejects: 4096,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]),
    );
    runner
        .run(&spec(), |spec| check(&spec, Cloud::Commercial))
        .unwrap();
    // GCC High has no classic Autopilot profiles.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 16,
            max_global_rejects: 4096,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[12; 32]),
    );
    runner
        .run(&spec(), |mut spec| {
            spec.profiles.clear();
            check(&spec, Cloud::GccHigh)
        })
        .unwrap();
}
