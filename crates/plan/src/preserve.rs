//! Nothing live is silently dropped: what an update sends, and what a replace loses.
//!
//! hangar manages the fields its tables list; a live object holds more (properties set in the
//! admin center that hangar does not model, properties Graph adds later, settings of a Device
//! Preparation policy hangar does not know). How an update keeps them depends on how the kind
//! is written:
//!
//! - **PATCH** (profiles, ESPs, restrictions, domain join, groups): Graph keeps every property
//!   the body does not name, so the body carries only managed properties. A complex property
//!   (`outOfBoxExperienceSetting`, `windowsRestriction`) is replaced as a whole, so the live
//!   object's other keys inside it are copied into the body.
//! - **PUT** (Device Preparation, the only way to change `settings`): the body replaces the
//!   whole policy, so it starts from the live policy (writable properties) and keeps every
//!   setting whose definition hangar does not write.
//!
//! A replace creates a new object from the body alone: whatever unmanaged property the old
//! object held is listed in the plan as lost (`lost`), and the action is destructive.

use hangar_config::fields::Default as FieldDefault;
use hangar_model::{Kind, LiveObject};
use serde_json::{Map, Value};

use crate::normalize::{self, Rule};
use crate::plan::Body;
use crate::project;

/// How a kind's objects are updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMethod {
    /// A partial update: absent properties keep their value.
    Patch,
    /// The whole object is replaced (Settings Catalog policies).
    Put,
}

/// How `kind` is updated (the same choice as `hangar-graph`'s collection rows; graph-api-notes
/// §5: "Graph API does not allow PATCH on the 'settings' navigation property").
pub fn update_method(kind: Kind) -> UpdateMethod {
    match kind {
        Kind::DevicePreparationPolicy => UpdateMethod::Put,
        _ => UpdateMethod::Patch,
    }
}

/// The body of an update of `found`: the write body, plus what the live object holds that hangar
/// does not manage and the write would otherwise drop.
pub(crate) fn update_body(kind: Kind, body: &Body, found: &LiveObject) -> Body {
    let mut out = project::write_body(kind, body);
    let live = writable(kind, &found.properties);
    let managed = managed_paths(kind);
    match update_method(kind) {
        UpdateMethod::Patch => merge_nested(&mut out.value, &live, "", &managed),
        UpdateMethod::Put => {
            for (key, value) in &live {
                if !out.value.contains_key(key) && !managed.contains(&key.as_str()) {
                    out.value.insert(key.clone(), value.clone());
                }
            }
            merge_nested(&mut out.value, &live, "", &managed);
            if kind == Kind::DevicePreparationPolicy {
                keep_unknown_settings(&mut out.value, found);
            }
        }
    }
    out
}

/// Properties of `found` that a new object created from `body` would not have.
pub(crate) fn lost(kind: Kind, body: &Body, found: &LiveObject) -> Vec<String> {
    let live = writable(kind, &found.properties);
    let mut lost = Vec::new();
    collect_lost("", &body.value, &live, &mut lost);
    lost.sort();
    lost
}

fn collect_lost(prefix: &str, body: &Map<String, Value>, live: &Map<String, Value>, out: &mut Vec<String>) {
    for (key, value) in live {
        if is_empty(value) {
            continue;
        }
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (body.get(key), value) {
            (None, _) => out.push(path),
            (Some(Value::Object(inner)), Value::Object(live_inner)) => {
                collect_lost(&path, inner, live_inner, out);
            }
            _ => {}
        }
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.values().all(is_empty),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The live properties hangar could write back: without annotations and without what the
/// normalisation catalog ignores as read-only or volatile for the kind.
fn writable(kind: Kind, properties: &Map<String, Value>) -> Map<String, Value> {
    let mut live = properties.clone();
    let mut nothing = Map::new();
    for entry in normalize::entries(kind) {
        if matches!(entry.rule, Rule::Ignore | Rule::Annotations) {
            normalize::apply(entry, &mut nothing, &mut live);
        }
    }
    // Device Preparation's `settings` come from their own request; `assignments` too.
    live.remove("settings");
    live.remove("assignments");
    live
}

/// Graph paths (`/`-separated) of the fields hangar manages whenever it writes the object: a
/// body without one of them leaves it out on purpose (a self-deploying profile's `userType`),
/// so it is never copied back from the live object. Fields that are not managed when Git omits
/// them (`description`, `roleScopeTagIds`) are not in the list: those are kept.
fn managed_paths(kind: Kind) -> Vec<&'static str> {
    let Some(rows) = hangar_config::fields::kind(kind.name()) else {
        return Vec::new();
    };
    rows.rows()
        .into_iter()
        .filter(|row| !matches!(row.default, FieldDefault::Unmanaged { .. }))
        .filter_map(|row| row.property().map(|(path, _)| path))
        .collect()
}

/// Copies into every object of `body` the keys its live counterpart has and the body does not,
/// recursively (a complex property is replaced as a whole by a write), except keys hangar
/// manages and left out on purpose.
fn merge_nested(body: &mut Map<String, Value>, live: &Map<String, Value>, prefix: &str, managed: &[&str]) {
    for (key, value) in body.iter_mut() {
        if let (Value::Object(inner), Some(Value::Object(live_inner))) = (value, live.get(key)) {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}/{key}")
            };
            for (live_key, live_value) in live_inner {
                let nested = format!("{path}/{live_key}");
                if !inner.contains_key(live_key) && !managed.contains(&nested.as_str()) {
                    inner.insert(live_key.clone(), live_value.clone());
                }
            }
            merge_nested(inner, live_inner, &path, managed);
        }
    }
}

/// Appends to the body's `settings` every live setting whose definition the body does not
/// write (a setting Intune added to the template, or one hangar does not model), as Graph
/// returned it without its instance `id`.
fn keep_unknown_settings(body: &mut Map<String, Value>, found: &LiveObject) {
    let Some(live_settings) = &found.settings else {
        return;
    };
    let definition = |setting: &Value| {
        setting
            .pointer("/settingInstance/settingDefinitionId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let Some(Value::Array(settings)) = body.get_mut("settings") else {
        return;
    };
    let written: Vec<String> = settings.iter().filter_map(definition).collect();
    for setting in live_settings {
        let Some(id) = definition(setting) else { continue };
        if written.iter().any(|w| w.eq_ignore_ascii_case(&id)) {
            continue;
        }
        let mut kept = setting.clone();
        if let Value::Object(map) = &mut kept {
            map.remove("id");
            map.retain(|key, _| !key.contains("@odata.") || key == "@odata.type");
        }
        settings.push(kept);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: Kind, properties: Value) -> LiveObject {
        let mut object = LiveObject::new(kind, "id-1", "x");
        object.properties = properties.as_object().cloned().unwrap_or_default();
        object
    }

    fn body(value: Value) -> Body {
        Body::new(value.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn a_patch_keeps_unknown_keys_of_complex_properties_and_names_nothing_else() {
        let found = object(
            Kind::DeploymentProfile,
            json!({"id": "p", "displayName": "x", "managementServiceAppId": "m",
                "outOfBoxExperienceSetting": {"eulaHidden": false, "newFlag": true}}),
        );
        let out = update_body(
            Kind::DeploymentProfile,
            &body(json!({"displayName": "x", "outOfBoxExperienceSetting": {"eulaHidden": true}})),
            &found,
        );
        assert_eq!(
            out.value,
            json!({"displayName": "x", "outOfBoxExperienceSetting": {"eulaHidden": true, "newFlag": true}})
                .as_object()
                .cloned()
                .unwrap()
        );
    }

    #[test]
    fn a_key_hangar_leaves_out_on_purpose_is_not_copied_back() {
        // A self-deploying profile sends no `userType` (Graph refuses it for shared profiles).
        let found = object(
            Kind::DeploymentProfile,
            json!({"outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard"}}),
        );
        let out = update_body(
            Kind::DeploymentProfile,
            &body(json!({"outOfBoxExperienceSetting": {"deviceUsageType": "shared"}})),
            &found,
        );
        assert_eq!(
            out.value["outOfBoxExperienceSetting"],
            json!({"deviceUsageType": "shared"})
        );
    }

    #[test]
    fn a_put_starts_from_the_live_policy_and_keeps_unknown_settings() {
        let mut found = object(
            Kind::DevicePreparationPolicy,
            json!({"id": "c", "name": "DPP", "description": "from the portal", "roleScopeTagIds": ["0", "7"],
                "settingCount": 3, "createdDateTime": "t", "@odata.context": "ctx"}),
        );
        found.settings = Some(vec![
            json!({"id": "0", "settingInstance": {"settingDefinitionId": "enrollment_autopilot_dpp_timeout", "simpleSettingValue": {"value": 60}}}),
            json!({"id": "1", "settingInstance": {"settingDefinitionId": "enrollment_autopilot_dpp_somethingnew", "simpleSettingValue": {"value": "x"}}}),
        ]);
        let out = update_body(
            Kind::DevicePreparationPolicy,
            &body(json!({"name": "DPP", "settings": [
                {"settingInstance": {"settingDefinitionId": "enrollment_autopilot_dpp_timeout", "simpleSettingValue": {"value": 90}}}
            ]})),
            &found,
        );
        assert_eq!(out.value["description"], json!("from the portal"));
        assert_eq!(out.value["roleScopeTagIds"], json!(["0", "7"]));
        for read_only in ["id", "settingCount", "createdDateTime", "@odata.context"] {
            assert!(!out.value.contains_key(read_only), "{read_only}");
        }
        let settings = out.value["settings"].as_array().unwrap();
        assert_eq!(settings.len(), 2);
        assert_eq!(
            settings[0]["settingInstance"]["simpleSettingValue"]["value"],
            json!(90)
        );
        assert_eq!(
            settings[1],
            json!({"settingInstance": {"settingDefinitionId": "enrollment_autopilot_dpp_somethingnew", "simpleSettingValue": {"value": "x"}}})
        );
    }

    #[test]
    fn a_replace_lists_what_it_loses() {
        let found = object(
            Kind::DeploymentProfile,
            json!({"id": "p", "displayName": "x", "managementServiceAppId": "m", "language": "en-US",
                "lastModifiedDateTime": "t", "description": "", "futureProperty": 3,
                "outOfBoxExperienceSetting": {"eulaHidden": true, "newFlag": true}}),
        );
        let new = body(json!({"displayName": "x", "outOfBoxExperienceSetting": {"eulaHidden": true}}));
        assert_eq!(
            lost(Kind::DeploymentProfile, &new, &found),
            ["futureProperty", "outOfBoxExperienceSetting.newFlag"]
        );
    }
}
