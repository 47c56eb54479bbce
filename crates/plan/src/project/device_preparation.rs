//! `DevicePreparationPolicy` → Settings Catalog `configurationPolicy` (graph-api-notes §5).
//!
//! Choice option meanings are unverified (graph-api-notes §5: sources conflict). hangar uses the
//! Settings Catalog convention that `_0` is the first option shown in the admin center:
//! deployment mode `_0` user-driven / `_1` automatic, deployment type `_0` single user, join
//! type `_0` Microsoft Entra joined, account type `_0` standard / `_1` administrator, and
//! `_0` = no / `_1` = yes for the two switches.

use hangar_config::{AccountType, DevicePreparationPolicy, DppMode};
use hangar_model::LiveObject;
use hangar_model::well_known::device_preparation::{self as dpp, Setting};
use hangar_model::well_known::odata;
use serde_json::{Map, Value, json};

use super::Context;
use crate::plan::{Body, GroupSlot};

/// `@odata.type` of a Settings Catalog policy.
const CONFIGURATION_POLICY: &str = "#microsoft.graph.deviceManagementConfigurationPolicy";

/// App type used for an allowed app the tenant's policy does not already list: Device
/// Preparation allows Win32 (and LOB/WinGet) apps; Win32 is by far the common case.
const DEFAULT_APP_TYPE: &str = "#microsoft.graph.win32LobApp";

/// The create body, `settings` included (updates are a PUT of the same body).
pub(super) fn body(ctx: &Context<'_>, policy: &DevicePreparationPolicy, live: Option<&LiveObject>) -> Body {
    let automatic = policy.mode.value == DppMode::Automatic;
    let mut body = Map::new();
    body.insert("@odata.type".into(), json!(CONFIGURATION_POLICY));
    body.insert("name".into(), json!(policy.meta.name.value));
    if let Some(description) = &policy.meta.description {
        body.insert("description".into(), json!(description.value));
    }
    body.insert("platforms".into(), json!(dpp::PLATFORMS));
    body.insert("technologies".into(), json!(dpp::TECHNOLOGIES));
    if let Some(tags) = super::scope_tags(&policy.meta) {
        body.insert("roleScopeTagIds".into(), tags);
    }
    let template = if automatic {
        dpp::AUTOMATIC_TEMPLATE_ID
    } else {
        dpp::USER_DRIVEN_TEMPLATE_ID
    };
    body.insert(
        "templateReference".into(),
        json!({"templateId": template, "templateFamily": dpp::TEMPLATE_FAMILY}),
    );

    let mut settings = Vec::new();
    let mut slots = Vec::new();
    settings.push(choice(
        &dpp::DEPLOYMENT_MODE,
        if automatic { 1 } else { 0 },
        automatic,
    ));
    if !automatic {
        settings.push(choice(&dpp::DEPLOYMENT_TYPE, 0, automatic));
        settings.push(choice(&dpp::JOIN_TYPE, 0, automatic));
        let account = match policy.account_type.value {
            AccountType::Standard => 0,
            AccountType::Administrator => 1,
        };
        settings.push(choice(&dpp::ACCOUNT_TYPE, account, automatic));
    }
    settings.push(simple(
        &dpp::TIMEOUT,
        json!(policy.timeout_minutes.value),
        odata::INTEGER_SETTING_VALUE,
        automatic,
    ));
    if let Some(message) = &policy.error_message {
        settings.push(simple(
            &dpp::CUSTOM_ERROR_MESSAGE,
            json!(message.value),
            odata::STRING_SETTING_VALUE,
            automatic,
        ));
    }
    if !automatic {
        settings.push(choice(
            &dpp::ALLOW_SKIP,
            u8::from(policy.allow_skip.value),
            automatic,
        ));
        settings.push(choice(
            &dpp::ALLOW_DIAGNOSTICS,
            u8::from(policy.allow_diagnostics.value),
            automatic,
        ));
    }
    if let Some(group) = &policy.device_group {
        let group = &ctx.groups[group.value.index()];
        let value = group.id.clone().map_or(Value::Null, Value::String);
        slots.push(GroupSlot {
            pointer: format!(
                "/settings/{}/settingInstance/simpleSettingValue/value",
                settings.len()
            ),
            group: group.clone(),
        });
        settings.push(simple(
            &dpp::DEVICE_SECURITY_GROUP,
            value,
            odata::STRING_SETTING_VALUE,
            automatic,
        ));
    }
    let apps: Vec<Value> = policy
        .allowed_apps
        .iter()
        .map(|app| {
            let app_type = live
                .and_then(|live| live_app_type(live, &app.value))
                .unwrap_or_else(|| DEFAULT_APP_TYPE.to_owned());
            json!(json!({"id": app.value, "type": app_type}).to_string())
        })
        .collect();
    settings.push(collection(&dpp::ALLOWED_APPS, apps, automatic));
    let scripts: Vec<Value> = policy
        .allowed_scripts
        .iter()
        .map(|script| json!(script.value))
        .collect();
    settings.push(collection(&dpp::ALLOWED_SCRIPTS, scripts, automatic));
    body.insert("settings".into(), Value::Array(settings));
    Body {
        value: body,
        group_slots: slots,
    }
}

fn instance_template(setting: &Setting, automatic: bool) -> &'static str {
    match (automatic, setting.automatic_instance_template_id) {
        (true, Some(id)) => id,
        _ => setting.instance_template_id,
    }
}

fn value_template(setting: &Setting) -> Value {
    setting
        .value_template_id
        .map_or(Value::Null, |id| json!({"settingValueTemplateId": id}))
}

fn wrap(instance: Value) -> Value {
    json!({"@odata.type": odata::CONFIGURATION_SETTING, "settingInstance": instance})
}

fn choice(setting: &Setting, option: u8, automatic: bool) -> Value {
    wrap(json!({
        "@odata.type": odata::CHOICE_SETTING_INSTANCE,
        "settingDefinitionId": setting.definition_id,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance_template(setting, automatic)},
        "choiceSettingValue": {
            "@odata.type": odata::CHOICE_SETTING_VALUE,
            "value": format!("{}_{option}", setting.definition_id),
            "children": [],
            "settingValueTemplateReference": value_template(setting),
        },
    }))
}

fn simple(setting: &Setting, value: Value, value_type: &str, automatic: bool) -> Value {
    wrap(json!({
        "@odata.type": odata::SIMPLE_SETTING_INSTANCE,
        "settingDefinitionId": setting.definition_id,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance_template(setting, automatic)},
        "simpleSettingValue": {
            "@odata.type": value_type,
            "value": value,
            "settingValueTemplateReference": value_template(setting),
        },
    }))
}

fn collection(setting: &Setting, values: Vec<Value>, automatic: bool) -> Value {
    let values: Vec<Value> = values
        .into_iter()
        .map(|value| json!({"@odata.type": odata::STRING_SETTING_VALUE, "value": value}))
        .collect();
    wrap(json!({
        "@odata.type": odata::SIMPLE_SETTING_COLLECTION_INSTANCE,
        "settingDefinitionId": setting.definition_id,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance_template(setting, automatic)},
        "simpleSettingCollectionValue": values,
    }))
}

/// The type the live policy already records for an allowed app.
fn live_app_type(live: &LiveObject, app_id: &str) -> Option<String> {
    let settings = live.settings.as_ref()?;
    settings.iter().find_map(|setting| {
        let instance = setting.get("settingInstance")?;
        if instance.get("settingDefinitionId")?.as_str()? != dpp::ALLOWED_APPS.definition_id {
            return None;
        }
        instance
            .get("simpleSettingCollectionValue")?
            .as_array()?
            .iter()
            .find_map(|value| {
                let text = value.get("value")?.as_str()?;
                let app: Value = serde_json::from_str(text).ok()?;
                let id = app.get("id")?.as_str()?;
                id.eq_ignore_ascii_case(app_id)
                    .then(|| app.get("type")?.as_str().map(str::to_owned))?
            })
    })
}
