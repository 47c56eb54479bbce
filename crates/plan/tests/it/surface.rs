//! Every property hangar sends exists on the Graph type it sends it to (beta metadata,
//! `tests/fixtures/surface.json`, copied from `graph-metadata/autopilot-surface.json`).

use std::collections::BTreeMap;

use hangar_model::Kind;
use hangar_plan::Op;
use serde_json::Value;

use crate::support;

struct Surface(BTreeMap<String, (Option<String>, Vec<String>)>);

impl Surface {
    fn load() -> Surface {
        let text = std::fs::read_to_string(support::fixture_dir("surface.json")).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let types = value["types"].as_object().unwrap();
        Surface(
            types
                .iter()
                .map(|(name, t)| {
                    let base = t["base"].as_str().map(str::to_owned);
                    // Navigation properties a body carries inline (Device Preparation `settings`) count too.
                    let properties = t["properties"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .chain(t["navigation"].as_array().unwrap())
                        .map(|p| p.as_str().unwrap().to_owned())
                        .collect();
                    (name.clone(), (base, properties))
                })
                .collect(),
        )
    }

    fn has(&self, type_name: &str, property: &str) -> bool {
        let mut current = Some(type_name.to_owned());
        while let Some(name) = current {
            let Some((base, properties)) = self.0.get(&name) else {
                panic!("type `{name}` not in the fixture")
            };
            if properties.iter().any(|p| p == property) {
                return true;
            }
            current = base.clone();
        }
        false
    }
}

/// The type of a nested property, when it is a complex type hangar writes.
fn nested(property: &str) -> Option<&'static str> {
    match property {
        "outOfBoxExperienceSetting" => Some("outOfBoxExperienceSetting"),
        "platformRestriction" | "windowsRestriction" => Some("deviceEnrollmentPlatformRestriction"),
        "templateReference" => Some("deviceManagementConfigurationPolicyTemplateReference"),
        "settings" => Some("deviceManagementConfigurationSetting"),
        "settingInstanceTemplateReference" => {
            Some("deviceManagementConfigurationSettingInstanceTemplateReference")
        }
        "settingValueTemplateReference" => Some("deviceManagementConfigurationSettingValueTemplateReference"),
        _ => None,
    }
}

fn check(surface: &Surface, type_name: &str, value: &Value, path: &str, problems: &mut Vec<String>) {
    let Value::Object(map) = value else { return };
    let type_name = map.get("@odata.type").and_then(Value::as_str).map_or_else(
        || type_name.to_owned(),
        |t| t.trim_start_matches("#microsoft.graph.").to_owned(),
    );
    for (key, inner) in map {
        if key == "@odata.type" {
            continue;
        }
        if !surface.has(&type_name, key) {
            problems.push(format!("{path}{key} is not a property of {type_name}"));
        }
        let items: Vec<&Value> = match inner {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if item.is_object() {
                let child = nested(key).unwrap_or("(untyped)");
                check(surface, child, item, &format!("{path}{key}."), problems);
            }
        }
    }
}

#[test]
fn every_property_sent_exists_in_graph_metadata() {
    let surface = Surface::load();
    let state = support::load("tenant");
    let plan = hangar_plan::plan(&state, &support::empty_tenant()).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for action in &plan.actions {
        let body = match &action.op {
            Op::Create { body, .. } | Op::Update { body, .. } => body,
            _ => continue,
        };
        let default_type = match action.address.kind {
            Kind::DeviceGroup => "group",
            Kind::DevicePreparationPolicy => "deviceManagementConfigurationPolicy",
            _ => "(typed by @odata.type)",
        };
        check(
            &surface,
            default_type,
            &Value::Object(body.value.clone()),
            &format!("{}: ", action.address),
            &mut problems,
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} bodies checked");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn settings_instance_values_are_typed() {
    // The setting instance and value shapes carry their own `@odata.type`; the check above
    // resolves them. A body without one would be checked against "(untyped)" and fail.
    let surface = Surface::load();
    assert!(surface.has(
        "deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId"
    ));
    assert!(surface.has(
        "deviceManagementConfigurationStringSettingValue",
        "settingValueTemplateReference"
    ));
    assert!(surface.has("azureADWindowsAutopilotDeploymentProfile", "deviceNameTemplate"));
}
