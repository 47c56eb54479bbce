//! Snapshots of the three renderers over one plan that has a bit of everything.

use hangar_model::{Kind, LiveObject};
use hangar_plan::render::{Wording, json, markdown, text};
use serde_json::json;

use crate::support::{converged, load, object_mut};

fn mixed_plan() -> hangar_plan::Plan {
    let state = load("tenant");
    let mut live = converged(&state);
    // An admin's portal edits…
    object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Engineering")
        .properties
        .insert("locale".into(), json!("fr-FR"));
    object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Kiosk")
        .properties
        .insert("deviceType".into(), json!("holoLens"));
    object_mut(&mut live, Kind::EnrollmentStatusPage, "ESP Engineering")
        .properties
        .insert("priority".into(), json!(3));
    object_mut(&mut live, Kind::EnrollmentStatusPage, "ESP Sales")
        .properties
        .insert("priority".into(), json!(1));
    // …a group deleted by hand, an old profile still in the tenant, a re-tagged device.
    live.objects.retain(|o| o.display_name != "Autopilot-Sales");
    let mut old = LiveObject::new(
        Kind::DeploymentProfile,
        "0ld00000-0000-4000-8000-000000000001",
        "Autopilot Old",
    );
    old.assignments = Some(vec![
        json!({"id": "a1", "source": "direct",
        "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}})
        .into(),
    ]);
    live.objects.push(old);
    let device = live
        .devices
        .iter_mut()
        .find(|d| d.serial_number == "PFTZ1YAF")
        .unwrap();
    device.group_tag = Some("Engineering".into());
    hangar_plan::plan(&state, &live).unwrap()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r#""hangar_version": "[^"]+""#, r#""hangar_version": "[version]""#);
    settings.add_filter(r"[0-9a-f]{8}-1111-4222-8333-[0-9a-f]{12}", "[id]");
    settings
}

#[test]
fn text() {
    let plan = mixed_plan();
    let options = text::TextOptions {
        color: false,
        wording: Wording::Plan,
        device_limit: 20,
    };
    settings().bind(|| insta::assert_snapshot!("text_plan", text::render(&plan, &options)));
    let drift = text::TextOptions {
        wording: Wording::Drift,
        ..options
    };
    settings()
        .bind(|| insta::assert_snapshot!("text_drift_summary", text::summary_line(&plan, drift.wording)));
}

#[test]
fn text_colour_only_when_asked() {
    let plan = mixed_plan();
    let plain = text::render(
        &plan,
        &text::TextOptions {
            color: false,
            wording: Wording::Plan,
            device_limit: 20,
        },
    );
    let colour = text::render(
        &plan,
        &text::TextOptions {
            color: true,
            wording: Wording::Plan,
            device_limit: 20,
        },
    );
    assert!(!plain.contains('\x1b'));
    assert!(colour.contains("\x1b[32m"));
}

#[test]
fn text_nothing_to_do() {
    let state = load("tenant");
    let plan = hangar_plan::plan(&state, &converged(&state)).unwrap();
    let options = text::TextOptions {
        color: false,
        wording: Wording::Drift,
        device_limit: 20,
    };
    insta::assert_snapshot!("text_no_drift", text::render(&plan, &options));
}

#[test]
fn json() {
    let plan = mixed_plan();
    settings().bind(|| insta::assert_snapshot!("json_plan", json::render(&plan)));
}

#[test]
fn markdown() {
    let plan = mixed_plan();
    settings().bind(|| insta::assert_snapshot!("markdown_plan", markdown::render(&plan, Wording::Plan)));
}

/// Issue 12 item 8: a value typed into the portal with an escape sequence, a bidirectional
/// override and a line break reaches the text and Markdown renderers as visible escapes, never as
/// itself; JSON keeps the exact value (escaped by JSON's rules).
#[test]
fn control_characters_from_the_tenant_are_escaped() {
    let state = load("tenant");
    let mut live = converged(&state);
    let hostile = "fr-FR\u{1b}[2J\u{202e}\nX";
    object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Engineering")
        .properties
        .insert("locale".into(), json!(hostile));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let options = text::TextOptions {
        color: true,
        wording: Wording::Plan,
        device_limit: 20,
    };
    let shown = text::render(&plan, &options);
    let markdown = markdown::render(&plan, Wording::Plan);
    for rendered in [&shown, &markdown] {
        assert!(!rendered.contains('\u{202e}'), "{rendered}");
        assert!(!rendered.contains("\u{1b}[2J"), "{rendered}");
        // Shown as the tenant wrote it (not case-folded as compared), escaped.
        assert!(rendered.contains("\\u{1b}[2J"), "{rendered}");
    }
    // Colour codes of hangar's own still work.
    assert!(shown.contains("\u{1b}[33m"), "{shown}");
    let json = json::render(&plan);
    // The compared Graph value (case-folded) and the value as written, both JSON-escaped.
    assert!(json.contains("\\u001b[2j"), "{json}");
    assert!(json.contains("\\u001b[2J"), "{json}");
}

/// One portal edit on an object of every kind (the Device Preparation one a choice, which Graph
/// holds as an option's item id): the plan must read in the YAML's terms for each.
fn every_kind_plan() -> hangar_plan::Plan {
    let state = load("tenant");
    let mut live = converged(&state);
    let mut set = |kind: Kind, name: &str, property: &str, value: serde_json::Value| {
        object_mut(&mut live, kind, name)
            .properties
            .insert(property.into(), value);
    };
    set(
        Kind::DeviceGroup,
        "Autopilot-Engineering",
        "description",
        json!("Laptops"),
    );
    set(
        Kind::DeploymentProfile,
        "Autopilot Sales",
        "locale",
        json!("de-DE"),
    );
    set(
        Kind::EnrollmentStatusPage,
        "ESP Engineering",
        "installProgressTimeoutInMinutes",
        json!(60),
    );
    set(
        Kind::DomainJoinProfile,
        "HQ Domain Join",
        "computerNameSuffixRandomCharCount",
        json!(12),
    );
    let restriction = object_mut(
        &mut live,
        Kind::EnrollmentRestriction,
        "Block personal Windows devices",
    );
    if let Some(platform) = restriction.properties.get_mut("platformRestriction") {
        platform["personalDeviceEnrollmentBlocked"] = json!(false);
        platform["osMinimumVersion"] = json!("10.0.19041");
    }
    let policy = object_mut(&mut live, Kind::DevicePreparationPolicy, "Device Preparation");
    for setting in policy.settings.iter_mut().flatten() {
        let instance = &mut setting["settingInstance"];
        match instance["settingDefinitionId"].as_str() {
            // The published templates number "Administrator" `_1` (support's templates, listed).
            Some("enrollment_autopilot_dpp_accountype") => {
                instance["choiceSettingValue"]["value"] = json!("enrollment_autopilot_dpp_accountype_1");
            }
            Some("enrollment_autopilot_dpp_timeout") => {
                instance["simpleSettingValue"]["value"] = json!(90);
            }
            _ => {}
        }
    }
    hangar_plan::plan(&state, &live).unwrap()
}

#[test]
fn every_kind_in_yaml_terms() {
    let plan = every_kind_plan();
    let kinds: std::collections::BTreeSet<Kind> = plan.actions.iter().map(|a| a.address.kind).collect();
    assert_eq!(kinds.len(), 6, "one change per kind: {kinds:?}");
    for action in &plan.actions {
        if let hangar_plan::Op::Update { changes, .. } = &action.op {
            for change in changes {
                assert!(
                    change.field.is_some(),
                    "{} {}: not in YAML terms",
                    action.address,
                    change.path
                );
            }
        }
    }
    let options = text::TextOptions {
        color: false,
        wording: Wording::Plan,
        device_limit: 20,
    };
    settings().bind(|| {
        insta::assert_snapshot!("every_kind_text", text::render(&plan, &options));
        insta::assert_snapshot!("every_kind_markdown", markdown::render(&plan, Wording::Plan));
    });
}

/// The Device Preparation settings that repeat a YAML field (the deployment mode, the device
/// group the admin center displays) and the template that is the mode read back in YAML terms:
/// `mode: automatic`, the group's name, never a choice id, a group id or a template id.
#[test]
fn device_preparation_mode_and_device_group_in_yaml_terms() {
    use hangar_model::well_known::device_preparation as ids;
    let state = load("tenant");
    let mut live = converged(&state);
    let other_group = object_mut(&mut live, Kind::DeviceGroup, "Autopilot-Engineering")
        .id
        .clone();
    let policy = object_mut(&mut live, Kind::DevicePreparationPolicy, "Device Preparation");
    for setting in policy.settings.iter_mut().flatten() {
        let instance = &mut setting["settingInstance"];
        match instance["settingDefinitionId"].as_str() {
            Some(id) if id == ids::DEPLOYMENT_MODE.definition_id => {
                instance["choiceSettingValue"]["value"] = json!(format!("{id}_1"));
            }
            Some(id) if id == ids::DEVICE_SECURITY_GROUP.definition_id => {
                instance["simpleSettingValue"]["value"] = json!(other_group);
            }
            _ => {}
        }
    }
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let options = text::TextOptions {
        color: false,
        wording: Wording::Plan,
        device_limit: 20,
    };
    let shown = text::render(&plan, &options);
    assert!(
        shown.contains("other.yaml:33 mode: automatic → user-driven\n          (Graph settings.enrollment_autopilot_dpp_deploymentmode)"),
        "{shown}"
    );
    assert!(
        shown.contains("other.yaml:34 deviceGroup: Autopilot-Engineering → Autopilot Deployed\n          (Graph settings.enrollment_autopilot_dpp_devicesecuritygroupids)"),
        "{shown}"
    );
    assert!(!shown.contains(&other_group), "{shown}");

    // A policy made from the automatic template: the template id reads as the mode.
    let mut live = converged(&state);
    object_mut(&mut live, Kind::DevicePreparationPolicy, "Device Preparation")
        .properties
        .insert(
            "templateReference".into(),
            json!({"templateId": ids::AUTOMATIC_TEMPLATE_ID, "templateFamily": ids::TEMPLATE_FAMILY}),
        );
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let shown = text::render(&plan, &options);
    assert!(
        shown.contains("other.yaml:33 mode: automatic → user-driven  # forces replacement"),
        "{shown}"
    );
}

#[test]
fn validation_warnings_reach_markdown_and_json() {
    let mut plan = every_kind_plan();
    plan.validation = vec![hangar_plan::ValidationWarning {
        rule: "profile/unused".into(),
        message: "profile `Autopilot Old` is assigned to no group <b>".into(),
        file: "policies/commercial/profiles.yaml".into(),
        line: 40,
    }];
    let md = markdown::render(&plan, Wording::Plan);
    assert!(
        md.contains("<details><summary>Validation warnings (1)</summary>\n\n- `policies/commercial/profiles.yaml:40` profile `Autopilot Old` is assigned to no group &lt;b&gt; (`profile/unused`)\n\n</details>"),
        "{md}"
    );
    let value: serde_json::Value = serde_json::from_str(&json::render(&plan)).unwrap();
    assert_eq!(value["validation"][0]["rule"], "profile/unused");
    assert_eq!(value["validation"][0]["line"], 40);
    let back = hangar_plan::Plan::from_json(&json::render(&plan)).unwrap();
    assert_eq!(back.validation, plan.validation);
}

/// Drift's history: an actor name from the tenant's audit log is shown under its object in text
/// and Markdown, escaped like every other tenant string, and kept exactly in JSON.
#[test]
fn drift_history_is_shown_under_its_object_and_escaped() {
    use hangar_model::audit::{ActorKind, AuditLog, ChangeEvent};
    let state = load("tenant");
    let mut live = converged(&state);
    object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Engineering")
        .properties
        .insert("locale".into(), json!("fr-FR"));
    let mut plan = hangar_plan::plan(&state, &live).unwrap();
    let (_, id) = plan.drifted_objects()[0];
    let id = id.to_owned();
    let event = |actor: &str| ChangeEvent {
        log: AuditLog::Intune,
        at: "2026-11-30T08:00:00Z".into(),
        actor: actor.into(),
        actor_kind: ActorKind::User,
        activity: "Patch WindowsAutopilotDeploymentProfile".into(),
        properties: vec!["locale".into()],
    };
    let events: Vec<ChangeEvent> = [
        "admin\u{1b}[2J@contoso.com",
        "b@contoso.com",
        "c@contoso.com",
        "d@contoso.com",
    ]
    .into_iter()
    .map(event)
    .collect();
    plan.attach_history(vec![(id, events), ("not-in-the-plan".into(), vec![event("x")])]);
    assert_eq!(plan.history.len(), 1, "an id no action has is dropped");
    let options = text::TextOptions {
        color: false,
        wording: Wording::Drift,
        device_limit: 20,
    };
    let shown = text::render(&plan, &options);
    assert!(
        shown.contains("      changed by admin\\u{1b}[2J@contoso.com (user) at 2026-11-30T08:00:00Z: Patch WindowsAutopilotDeploymentProfile (locale) [Intune audit log]\n"),
        "{shown}"
    );
    assert!(
        shown.contains("… and 1 earlier change (in `--format json`)"),
        "{shown}"
    );
    let markdown = markdown::render(&plan, Wording::Drift);
    assert!(
        markdown.contains("- changed by admin\\u{1b}[2J@contoso.com (user)"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("d@contoso.com"),
        "three newest only: {markdown}"
    );
    let json = json::render(&plan);
    assert!(json.contains("admin\\u001b[2J@contoso.com"), "{json}");
    // A plan (not drift) never carries history, and a saved plan reads back without one.
    let plain = hangar_plan::plan(&state, &live).unwrap();
    assert!(!json::render(&plain).contains("history"));
}

/// How plans were rendered before the JSON was streamed: the whole plan as a
/// `serde_json::Value`, every object's keys sorted, printed pretty. Kept here as the oracle.
fn rendered_through_value(plan: &hangar_plan::Plan) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    serde_json::to_string_pretty(&sorted(serde_json::to_value(plan).unwrap())).unwrap() + "\n"
}

/// A configuration in the shape of the end-to-end benchmark's (group-tag groups, profiles and
/// ESPs with priorities, all assigned) and a tenant of `devices` registered devices that all
/// move: every object is a create and every device has an impact row.
fn large_plan(groups: usize, devices: usize) -> hangar_plan::Plan {
    use std::fmt::Write as _;
    let dir = std::env::temp_dir().join(format!("hangar-plan-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("tenant.yaml"),
        "kind: Tenant\nname: big\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\n",
    )
    .unwrap();
    let mut text = String::new();
    for i in 0..groups {
        let _ = write!(
            text,
            "---\nkind: DeviceGroup\nname: Autopilot-T{i}\nmembership:\n  groupTag: T{i}\n"
        );
    }
    for p in 0..groups / 10 {
        let assigned: Vec<String> = (0..10).map(|k| format!("Autopilot-T{}", p * 10 + k)).collect();
        let _ = write!(
            text,
            "---\nkind: DeploymentProfile\nname: Autopilot P{p}\njoin: entra\nmode: user-driven\ndeviceName: P{p}-%SERIAL%\nassign:\n  include: [{}]\n",
            assigned.join(", ")
        );
        let _ = write!(
            text,
            "---\nkind: EnrollmentStatusPage\nname: ESP {p}\npriority: {}\nassign:\n  include: [{}]\n",
            p + 1,
            assigned.join(", ")
        );
    }
    std::fs::write(dir.join("objects.yaml"), text).unwrap();
    let loaded = hangar_config::load(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let state = loaded.state.unwrap();
    let mut live = crate::support::empty_tenant();
    for i in 0..devices {
        live.devices.push(hangar_model::LiveDevice {
            id: format!("d{i}"),
            serial_number: format!("SN{i:07}"),
            group_tag: Some(format!("T{}", (i * 7) % groups)),
            user_principal_name: None,
            display_name: None,
            purchase_order_identifier: None,
            deployment_profile_assignment_status: None,
        });
    }
    hangar_plan::plan(&state, &live).unwrap()
}

/// The streamed JSON (`--out`, `--format json`) is byte for byte what the sorted `Value` gave,
/// over real plans: one with a bit of everything, an empty one, one that creates everything,
/// and a large one (hundreds of creates, thousands of moved devices). A field added to any plan
/// type is sorted with the others without further work; if the writer ever mishandled a new
/// shape, this fails.
#[test]
fn streamed_json_is_byte_for_byte_the_sorted_value() {
    let state = load("tenant");
    let plans = [
        mixed_plan(),
        hangar_plan::plan(&state, &converged(&state)).unwrap(),
        hangar_plan::plan(&state, &crate::support::empty_tenant()).unwrap(),
        large_plan(300, 5_000),
        // Changes in YAML terms (`field`), Device Preparation choices among them.
        every_kind_plan(),
    ];
    for plan in &plans {
        let streamed = json::render(plan);
        assert_eq!(streamed, rendered_through_value(plan));
        let mut written = Vec::new();
        json::write(plan, &mut written).unwrap();
        assert_eq!(written, streamed.as_bytes());
        assert_eq!(
            &hangar_plan::Plan::from_json(&streamed).unwrap(),
            plan,
            "round trip"
        );
    }
    let large = &plans[3];
    assert!(
        large.actions.len() > 300 && large.impact.moved == 5_000,
        "{}",
        large.actions.len()
    );
}
