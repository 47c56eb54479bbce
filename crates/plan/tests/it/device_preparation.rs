//! Device Preparation values come from the tenant's definitions, by meaning (issue 11): the
//! same YAML plans the right `itemId`s whichever option a tenant numbers `_0`, a tenant that
//! lacks an option stops the plan, and changed values show what they mean.

use hangar_model::Kind;
use hangar_model::device_preparation::CatalogError;
use hangar_plan::{Error, Op, Plan};
use serde_json::Value;

use crate::support::{self, device_preparation_templates, empty_tenant, load, object_mut};

/// The `choiceSettingValue.value` of setting `definition` in the Device Preparation create.
fn created_choice(plan: &Plan, definition: &str) -> String {
    let body = plan
        .actions
        .iter()
        .find_map(|a| match &a.op {
            Op::Create { body, .. } if a.address.kind == Kind::DevicePreparationPolicy => Some(body),
            _ => None,
        })
        .expect("the policy is created");
    body.value["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["settingInstance"]["settingDefinitionId"] == definition)
        .and_then(|s| s["settingInstance"]["choiceSettingValue"]["value"].as_str())
        .unwrap_or_else(|| panic!("no {definition}"))
        .to_owned()
}

#[test]
fn the_same_yaml_writes_each_tenants_own_option_values() {
    let state = load("tenant"); // accountType: standard, allowSkip: false, allowDiagnostics: true
    for (reversed, standard, no, yes) in [(false, "_0", "_0", "_1"), (true, "_1", "_1", "_0")] {
        let mut live = empty_tenant();
        live.device_preparation_templates = Some(device_preparation_templates(reversed));
        let plan = hangar_plan::plan(&state, &live).unwrap();
        let account = created_choice(&plan, "enrollment_autopilot_dpp_accountype");
        assert_eq!(
            account,
            format!("enrollment_autopilot_dpp_accountype{standard}"),
            "reversed: {reversed}"
        );
        assert_eq!(
            created_choice(&plan, "enrollment_autopilot_dpp_allowskip"),
            format!("enrollment_autopilot_dpp_allowskip{no}")
        );
        assert_eq!(
            created_choice(&plan, "enrollment_autopilot_dpp_allowdiagnostics"),
            format!("enrollment_autopilot_dpp_allowdiagnostics{yes}")
        );
        // Applied, the tenant then matches: nothing to do.
        support::apply(&plan, &mut live);
        let again = hangar_plan::plan(&state, &live).unwrap();
        assert!(
            again.actions.is_empty(),
            "reversed: {reversed}: {:#?}",
            again.actions
        );
    }
}

#[test]
fn a_changed_value_shows_what_both_values_mean() {
    let state = load("tenant");
    let mut live = empty_tenant();
    live.device_preparation_templates = Some(device_preparation_templates(true));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    support::apply(&plan, &mut live);
    // Someone makes the provisioning users administrators in the portal: `_0` in this tenant.
    let policy = object_mut(&mut live, Kind::DevicePreparationPolicy, "Device Preparation");
    for setting in policy.settings.as_mut().unwrap() {
        let instance = &mut setting["settingInstance"];
        if instance["settingDefinitionId"] == "enrollment_autopilot_dpp_accountype" {
            instance["choiceSettingValue"]["value"] = Value::from("enrollment_autopilot_dpp_accountype_0");
        }
    }
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let Op::Update { changes, body, .. } = &plan.actions[0].op else {
        panic!("an update: {:#?}", plan.actions)
    };
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].path, "settings.enrollment_autopilot_dpp_accountype");
    assert_eq!(
        changes[0].before,
        Some(Value::from(
            "enrollment_autopilot_dpp_accountype_0 (Administrator)"
        ))
    );
    assert_eq!(
        changes[0].after,
        Some(Value::from(
            "enrollment_autopilot_dpp_accountype_1 (Standard User)"
        ))
    );
    // The PUT body carries the tenant's value, not a label.
    let sent = body.value["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["settingInstance"]["settingDefinitionId"] == "enrollment_autopilot_dpp_accountype")
        .unwrap();
    assert_eq!(
        sent["settingInstance"]["choiceSettingValue"]["value"],
        "enrollment_autopilot_dpp_accountype_1"
    );
}

#[test]
fn a_definition_without_the_option_stops_the_plan_naming_setting_and_option() {
    let state = load("tenant");
    let mut live = empty_tenant();
    let mut templates = device_preparation_templates(false);
    for template in &mut templates {
        for setting in &mut template.settings {
            if setting.definition_id == "enrollment_autopilot_dpp_accountype" {
                setting.options.retain(|o| o.display_name != "Standard User");
            }
        }
    }
    live.device_preparation_templates = Some(templates);
    let errors = hangar_plan::plan(&state, &live).unwrap_err();
    let [Error::DevicePreparationValues { name, span, problem }] = errors.0.as_slice() else {
        panic!("{errors}")
    };
    assert_eq!(name, "Device Preparation");
    assert!(matches!(problem, CatalogError::MissingOption { .. }), "{problem}");
    let text = errors.to_string();
    assert!(
        text.contains("`enrollment_autopilot_dpp_accountype`")
            && text.contains("\"Standard User\"")
            && text.contains("`enrollment_autopilot_dpp_accountype_1` \"Administrator\""),
        "{text}"
    );
    let at = state.sources.location(*span);
    assert!(
        at.file.ends_with("other.yaml") && at.line == 36,
        "the span is `accountType:`: {at}"
    );

    // Definitions that were not read are unknown, never guessed.
    let mut unread = empty_tenant();
    unread.device_preparation_templates = None;
    let errors = hangar_plan::plan(&state, &unread).unwrap_err();
    assert!(errors.to_string().contains("were not read"), "{errors}");
    // And a tenant without any Device Preparation template says so.
    let mut none = empty_tenant();
    none.device_preparation_templates = Some(Vec::new());
    let errors = hangar_plan::plan(&state, &none).unwrap_err();
    assert!(
        errors
            .to_string()
            .contains("no user-driven Device Preparation policy template"),
        "{errors}"
    );
}
