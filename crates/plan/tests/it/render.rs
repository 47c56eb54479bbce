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
        assert!(rendered.contains("\\u{1b}[2j"), "{rendered}");
    }
    // Colour codes of hangar's own still work.
    assert!(shown.contains("\u{1b}[33m"), "{shown}");
    let json = json::render(&plan);
    assert!(json.contains("\\u001b[2j"), "{json}");
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
