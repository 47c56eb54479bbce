//! `DevicePreparationPolicy` → Settings Catalog `configurationPolicy` (graph-api-notes §5).
//!
//! Nothing here is positional: the template id, every setting's instance and value template
//! ids, and every choice value come from the tenant's own Device Preparation templates
//! ([`hangar_model::device_preparation`]), choice values by the meaning of the option ("Standard
//! User", "Yes", …). Public sources disagree on what `_0` and `_1` mean (graph-api-notes §5), and
//! a wrong guess would make every provisioning user a local administrator; a definition that
//! lacks an option hangar needs stops the plan instead.

use hangar_config::{AccountType, DevicePreparationPolicy, DppMode};
use hangar_model::device_preparation::{self as catalog, CatalogError, Choice, Meaning, Template};
use hangar_model::well_known::device_preparation::{self as dpp, Setting};
use hangar_model::well_known::odata;
use hangar_model::{LiveObject, ReferenceKind};
use serde_json::{Map, Value, json};

use super::Context;
use crate::error::Error;
use crate::plan::{Body, GroupSlot};

/// `@odata.type` of a Settings Catalog policy.
const CONFIGURATION_POLICY: &str = "#microsoft.graph.deviceManagementConfigurationPolicy";

/// The mode as the catalog names it.
pub(crate) fn mode(policy: &DevicePreparationPolicy) -> catalog::DppMode {
    match policy.mode.value {
        DppMode::UserDriven => catalog::DppMode::UserDriven,
        DppMode::Automatic => catalog::DppMode::Automatic,
    }
}

/// The template `policy` is (or will be) made from, in the tenant's definitions: the live
/// policy's own while it is a template of the same mode, else the tenant's current one.
pub(crate) fn template<'a>(
    ctx: &Context<'a>,
    policy: &DevicePreparationPolicy,
    live: Option<&LiveObject>,
) -> Result<Template<'a>, Error> {
    let fail = |problem: CatalogError| Error::DevicePreparationValues {
        name: policy.meta.name.value.clone(),
        span: policy.mode.span,
        problem,
    };
    let live_template = live.and_then(|live| live.property("templateReference")?.get("templateId")?.as_str());
    ctx.device_preparation()
        .map_err(fail)?
        .for_policy(mode(policy), live_template)
        .map_err(fail)
}

/// The create body, `settings` included (updates are a PUT of the same body).
pub(super) fn body(
    ctx: &Context<'_>,
    policy: &DevicePreparationPolicy,
    live: Option<&LiveObject>,
) -> Result<Body, Error> {
    let automatic = policy.mode.value == DppMode::Automatic;
    let template = template(ctx, policy, live)?;
    // A failed lookup names the policy and the YAML field whose value could not be written.
    let values = Values { template, policy };
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
    body.insert(
        "templateReference".into(),
        json!({"templateId": template.id(), "templateFamily": dpp::TEMPLATE_FAMILY}),
    );

    let mut settings = Vec::new();
    let mut slots = Vec::new();
    let switch = |on: bool| if on { Meaning::Yes } else { Meaning::No };
    let mode_meaning = if automatic {
        Meaning::Automatic
    } else {
        Meaning::UserDriven
    };
    settings.push(values.choice(Choice::DeploymentMode, mode_meaning, policy.mode.span)?);
    if !automatic {
        settings.push(values.choice(Choice::DeploymentType, Meaning::SingleUser, policy.mode.span)?);
        settings.push(values.choice(Choice::JoinType, Meaning::EntraJoined, policy.mode.span)?);
        let account = match policy.account_type.value {
            AccountType::Standard => Meaning::StandardUser,
            AccountType::Administrator => Meaning::Administrator,
        };
        settings.push(values.choice(Choice::AccountType, account, policy.account_type.span)?);
    }
    settings.push(values.simple(
        &dpp::TIMEOUT,
        json!(policy.timeout_minutes.value),
        odata::INTEGER_SETTING_VALUE,
    )?);
    if let Some(message) = &policy.error_message {
        settings.push(values.simple(
            &dpp::CUSTOM_ERROR_MESSAGE,
            json!(message.value),
            odata::STRING_SETTING_VALUE,
        )?);
    }
    if !automatic {
        settings.push(values.choice(
            Choice::AllowSkip,
            switch(policy.allow_skip.value),
            policy.allow_skip.span,
        )?);
        settings.push(values.choice(
            Choice::AllowDiagnostics,
            switch(policy.allow_diagnostics.value),
            policy.allow_diagnostics.span,
        )?);
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
        settings.push(values.simple(&dpp::DEVICE_SECURITY_GROUP, value, odata::STRING_SETTING_VALUE)?);
    }
    // Each app with its id and its real `@odata.type`, both from the tenant's `mobileApps`
    // (checked before projection), never an assumed type.
    let mut apps: Vec<Value> = Vec::new();
    for app in &policy.allowed_apps {
        let found = crate::references::resolve(ctx.live, ReferenceKind::App, &app.value);
        let Some((id, Some(app_type))) = found.map(|found| (&found.id, &found.odata_type)) else {
            return Err(Error::AppTypeUnknown {
                name: policy.meta.name.value.clone(),
                app: app.value.clone(),
                span: app.span,
            });
        };
        apps.push(json!(json!({"id": id, "type": app_type}).to_string()));
    }
    settings.push(values.collection(&dpp::ALLOWED_APPS, apps)?);
    let scripts: Vec<Value> = policy
        .allowed_scripts
        .iter()
        .map(|script| {
            json!(crate::references::id(
                ctx.live,
                ReferenceKind::Script,
                &script.value
            ))
        })
        .collect();
    settings.push(values.collection(&dpp::ALLOWED_SCRIPTS, scripts)?);
    body.insert("settings".into(), Value::Array(settings));
    Ok(Body {
        value: body,
        group_slots: slots,
    })
}

/// Settings of one policy, written with the template ids and option values of its template.
struct Values<'a> {
    template: Template<'a>,
    policy: &'a DevicePreparationPolicy,
}

impl Values<'_> {
    fn fail(&self, source: CatalogError) -> Error {
        self.fail_at(self.policy.mode.span, source)
    }

    /// The error for a value of the YAML field at `span`.
    fn fail_at(&self, span: hangar_config::Span, problem: CatalogError) -> Error {
        Error::DevicePreparationValues {
            name: self.policy.meta.name.value.clone(),
            span,
            problem,
        }
    }

    /// The instance template reference and the value template reference of a setting.
    fn references(&self, setting: &Setting) -> Result<(Value, Value), Error> {
        let found = self
            .template
            .setting(setting.definition_id)
            .map_err(|e| self.fail(e))?;
        let value = found
            .value_template_id
            .as_ref()
            .map_or(Value::Null, |id| json!({"settingValueTemplateId": id}));
        Ok((
            json!({"settingInstanceTemplateId": found.instance_template_id}),
            value,
        ))
    }

    /// The choice setting's option that means `meaning`; `span` is the YAML field it comes from.
    fn choice(&self, choice: Choice, meaning: Meaning, span: hangar_config::Span) -> Result<Value, Error> {
        let setting = choice.setting();
        let (instance, value_template) = self.references(setting)?;
        let option = self
            .template
            .option(choice, meaning)
            .map_err(|e| self.fail_at(span, e))?;
        Ok(wrap(json!({
            "@odata.type": odata::CHOICE_SETTING_INSTANCE,
            "settingDefinitionId": setting.definition_id,
            "settingInstanceTemplateReference": instance,
            "choiceSettingValue": {
                "@odata.type": odata::CHOICE_SETTING_VALUE,
                "value": option.item_id,
                "children": [],
                "settingValueTemplateReference": value_template,
            },
        })))
    }

    fn simple(&self, setting: &Setting, value: Value, value_type: &str) -> Result<Value, Error> {
        let (instance, value_template) = self.references(setting)?;
        Ok(wrap(json!({
            "@odata.type": odata::SIMPLE_SETTING_INSTANCE,
            "settingDefinitionId": setting.definition_id,
            "settingInstanceTemplateReference": instance,
            "simpleSettingValue": {
                "@odata.type": value_type,
                "value": value,
                "settingValueTemplateReference": value_template,
            },
        })))
    }

    fn collection(&self, setting: &Setting, values: Vec<Value>) -> Result<Value, Error> {
        let (instance, _) = self.references(setting)?;
        let values: Vec<Value> = values
            .into_iter()
            .map(|value| json!({"@odata.type": odata::STRING_SETTING_VALUE, "value": value}))
            .collect();
        Ok(wrap(json!({
            "@odata.type": odata::SIMPLE_SETTING_COLLECTION_INSTANCE,
            "settingDefinitionId": setting.definition_id,
            "settingInstanceTemplateReference": instance,
            "simpleSettingCollectionValue": values,
        })))
    }
}

/// Rewrites each choice value of a normalised comparable object (`settings` keyed by
/// definition, see the `dpp.settings-by-definition` normalisation) from its item id to
/// `"<item id> (<option name>)"`, the name from `template`'s definition, so that a changed
/// value reads as what it means: `"…_accountype_1 (Administrator)" → "…_accountype_0 (Standard
/// User)"`. Both sides get the same label for the same id, so comparing is unchanged. A value
/// the definition does not list is marked so.
pub(crate) fn label_choices(template: &Template<'_>, comparable: &mut Map<String, Value>) {
    let Some(Value::Object(settings)) = comparable.get_mut("settings") else {
        return;
    };
    for choice in Choice::ALL {
        let definition = choice.definition_id();
        if let Some(Value::String(item)) = settings.get_mut(definition) {
            let label = template.option_label(definition, item).map_or_else(
                || "not an option of the tenant's definition".to_owned(),
                str::to_owned,
            );
            *item = format!("{item} ({label})");
        }
    }
}

fn wrap(instance: Value) -> Value {
    json!({"@odata.type": odata::CONFIGURATION_SETTING, "settingInstance": instance})
}
