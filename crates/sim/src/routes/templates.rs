//! Settings Catalog policy templates (`configurationPolicyTemplates`, beta): the simulated
//! tenant's two Device Preparation templates, with setting templates and setting definitions.
//!
//! Option values (`itemId`s) are *defined by meaning*: each choice setting lists its options by
//! display name, and [`DppOptionOrder`] decides which one is `…_0`, `…_1`, …. Real tenants do
//! not document the order (graph-api-notes §5: public sources disagree), so a test can serve
//! either and prove that hangar reads meanings instead of positions. The policy route checks
//! every Device Preparation setting against these templates (template ids, instance and value
//! template ids, shapes, choice values).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::intune::{expansions, refuse_filters};
use super::{Ctx, no_route, with_id};
use crate::odata::{Clause, Method, matches};
use crate::paging::{Family, collection, select, take_page};
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::state::SimState;

/// Which option of a choice setting is `_0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DppOptionOrder {
    /// In the order the admin center lists them: user-driven before automatic, Standard User
    /// before Administrator, No before Yes.
    #[default]
    Listed,
    /// Reversed: `_0` is the last listed option (Administrator, Yes, Automatic).
    Reversed,
}

/// How a setting's value is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SettingShape {
    /// A choice among `options`.
    Choice,
    /// An integer.
    Integer,
    /// A string.
    Text,
    /// A list of strings.
    TextList,
}

/// One option of a choice setting definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingOption {
    /// `itemId`: the value policies hold.
    pub item_id: String,
    /// `displayName`.
    pub display_name: String,
}

/// One setting of a template: its setting template and its definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingTemplate {
    /// The definition id (`settingDefinitionId`, and the definition's `id`).
    pub definition_id: String,
    /// The definition's `displayName`.
    pub display_name: String,
    /// `settingInstanceTemplateId`.
    pub instance_template_id: String,
    /// `settingValueTemplateId`, for single-valued settings.
    #[serde(default)]
    pub value_template_id: Option<String>,
    /// The value's shape.
    pub shape: SettingShape,
    /// Choice options.
    #[serde(default)]
    pub options: Vec<SettingOption>,
}

/// A policy template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTemplate {
    /// `id`: `{baseId}_{version}`.
    pub id: String,
    /// `baseId`.
    pub base_id: String,
    /// `version`.
    pub version: i64,
    /// `displayName`.
    pub display_name: String,
    /// `templateFamily`.
    pub template_family: String,
    /// `lifecycleState`.
    pub lifecycle_state: String,
    /// An automatic (Windows 365) Device Preparation template: its policies take no
    /// assignments.
    #[serde(default)]
    pub automatic: bool,
    /// The setting templates.
    pub settings: Vec<SettingTemplate>,
}

/// The enrollment template family (Device Preparation's).
pub(crate) const ENROLLMENT_FAMILY: &str = "enrollmentConfiguration";

/// A choice setting of the simulated templates: definition id, display name, instance template
/// id, value template id, and its options by display name, in the admin center's order.
struct ChoiceSpec {
    id: &'static str,
    name: &'static str,
    instance: &'static str,
    value: &'static str,
    options: &'static [&'static str],
}

/// A simple setting: definition id, display name, shape, instance template id (user-driven,
/// automatic) and value template id.
struct SimpleSpec {
    id: &'static str,
    name: &'static str,
    shape: SettingShape,
    instance: (&'static str, &'static str),
    value: Option<&'static str>,
}

/// The options are Microsoft's option names as the admin center shows them (graph-api-notes
/// §5, MEM "Deployment mode: User-driven", "Deployment type: Single user"); their order, and
/// so which is `_0`, is the simulated tenant's choice ([`DppOptionOrder`]). The deployment
/// type's second option and the join type's hybrid option follow the Terraform provider's
/// labels; hangar never writes them.
const MODE: ChoiceSpec = ChoiceSpec {
    id: "enrollment_autopilot_dpp_deploymentmode",
    name: "Deployment mode",
    instance: "5180aeab-886e-4589-97d4-40855c646315",
    value: "5874c2f6-bcf1-463b-a9eb-bee64e2f2d82",
    options: &["User-driven", "Automatic"],
};

const USER_DRIVEN_CHOICES: &[ChoiceSpec] = &[
    ChoiceSpec {
        id: "enrollment_autopilot_dpp_deploymenttype",
        name: "Deployment type",
        instance: "f4184296-fa9f-4b67-8b12-1723b3f8456b",
        value: "e0af022f-37f3-4a40-916d-1ab7281c88d9",
        options: &["Single user", "Self-deploying"],
    },
    ChoiceSpec {
        id: "enrollment_autopilot_dpp_jointype",
        name: "Join type",
        instance: "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
        value: "1fa84eb3-fcfa-4ed6-9687-0f3d486402c4",
        options: &["Microsoft Entra joined", "Microsoft Entra hybrid joined"],
    },
    ChoiceSpec {
        id: "enrollment_autopilot_dpp_accountype",
        name: "User account type",
        instance: "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
        value: "bf13bb47-69ef-4e06-97c1-50c2859a49c2",
        options: &["Standard User", "Administrator"],
    },
    ChoiceSpec {
        id: "enrollment_autopilot_dpp_allowskip",
        name: "Allow users to skip setup after multiple attempts",
        instance: "2a71dc89-0f17-4ba9-bb27-af2521d34710",
        value: "a2323e5e-ac56-4517-8847-b0a6fdb467e7",
        options: &["No", "Yes"],
    },
    ChoiceSpec {
        id: "enrollment_autopilot_dpp_allowdiagnostics",
        name: "Show link to diagnostics",
        instance: "e2b7a81b-f243-4abd-bce3-c1856345f405",
        value: "c59d26fd-3460-4b26-b47a-f7e202e7d5a3",
        options: &["No", "Yes"],
    },
];

const SIMPLE: &[SimpleSpec] = &[
    SimpleSpec {
        id: "enrollment_autopilot_dpp_timeout",
        name: "Minutes allowed before showing installation error",
        shape: SettingShape::Integer,
        instance: (
            "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
            "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
        ),
        value: Some("0bbcce5b-a55a-4e05-821a-94bf576d6cc8"),
    },
    SimpleSpec {
        id: "enrollment_autopilot_dpp_customerrormessage",
        name: "Custom error message",
        shape: SettingShape::Text,
        instance: (
            "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
            "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
        ),
        value: Some("fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97"),
    },
    SimpleSpec {
        id: "enrollment_autopilot_dpp_devicesecuritygroupids",
        name: "Device security group",
        shape: SettingShape::Text,
        instance: (
            "a46a50ab-3076-4968-9366-75a40dde950e",
            "a46a50ab-3076-4968-9366-75a40dde950e",
        ),
        value: Some("5f7d09e1-1a90-44ad-9c9f-ad90ba509e60"),
    },
    SimpleSpec {
        id: "enrollment_autopilot_dpp_allowedappids",
        name: "Allowed applications",
        shape: SettingShape::TextList,
        instance: (
            "70d22a8a-a03c-4f62-b8df-dded3e327639",
            "a9dedfd6-c3b2-46d9-ae39-91fd0dcb7a20",
        ),
        value: None,
    },
    SimpleSpec {
        id: "enrollment_autopilot_dpp_allowedscriptids",
        name: "Allowed scripts",
        shape: SettingShape::TextList,
        instance: (
            "1bc67702-800c-4271-8fd9-609351cc19cf",
            "ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31",
        ),
        value: None,
    },
];

fn choice(spec: &ChoiceSpec, order: DppOptionOrder) -> SettingTemplate {
    let count = spec.options.len();
    let options = spec
        .options
        .iter()
        .enumerate()
        .map(|(listed, name)| {
            let index = match order {
                DppOptionOrder::Listed => listed,
                DppOptionOrder::Reversed => count - 1 - listed,
            };
            SettingOption {
                item_id: format!("{}_{index}", spec.id),
                display_name: (*name).to_owned(),
            }
        })
        .collect();
    SettingTemplate {
        definition_id: spec.id.to_owned(),
        display_name: spec.name.to_owned(),
        instance_template_id: spec.instance.to_owned(),
        value_template_id: Some(spec.value.to_owned()),
        shape: SettingShape::Choice,
        options,
    }
}

fn simple(spec: &SimpleSpec, automatic: bool) -> SettingTemplate {
    SettingTemplate {
        definition_id: spec.id.to_owned(),
        display_name: spec.name.to_owned(),
        instance_template_id: if automatic {
            spec.instance.1
        } else {
            spec.instance.0
        }
        .to_owned(),
        value_template_id: spec.value.map(str::to_owned),
        shape: spec.shape,
        options: Vec::new(),
    }
}

/// The two Device Preparation templates (user-driven `80d33118-…_1` "Device Preparation",
/// automatic `a6157a7f-…_1` "Windows Autopilot device preparation", graph-api-notes §5), with
/// options numbered in `order`. The automatic template has no account type, join type,
/// deployment type, skip or diagnostics settings (automatic policies carry none).
pub fn device_preparation_templates(
    order: DppOptionOrder,
) -> std::collections::BTreeMap<String, PolicyTemplate> {
    let template = |base: &str, name: &str, automatic: bool| {
        let mut settings = vec![choice(&MODE, order)];
        if !automatic {
            settings.extend(USER_DRIVEN_CHOICES.iter().map(|spec| choice(spec, order)));
        }
        settings.extend(SIMPLE.iter().map(|spec| simple(spec, automatic)));
        PolicyTemplate {
            id: format!("{base}_1"),
            base_id: base.to_owned(),
            version: 1,
            display_name: name.to_owned(),
            template_family: ENROLLMENT_FAMILY.to_owned(),
            lifecycle_state: "active".to_owned(),
            automatic,
            settings,
        }
    };
    [
        template(
            "80d33118-b7b4-40d8-b15f-81be745e053f",
            "Device Preparation",
            false,
        ),
        template(
            "a6157a7f-aa00-42d9-ac82-7d2479f545db",
            "Windows Autopilot device preparation",
            true,
        ),
    ]
    .into_iter()
    .map(|t| (t.id.clone(), t))
    .collect()
}

/// The templates of a fresh tenant (and of a state file saved before templates existed).
pub(crate) fn default_templates() -> std::collections::BTreeMap<String, PolicyTemplate> {
    device_preparation_templates(DppOptionOrder::Listed)
}

impl PolicyTemplate {
    /// The setting template of a definition.
    pub fn setting(&self, definition_id: &str) -> Option<&SettingTemplate> {
        self.settings.iter().find(|s| s.definition_id == definition_id)
    }
}

const SERVICE: IntuneService = IntuneService::DeviceConfigV2;
const FRAGMENT: &str = "deviceManagement/configurationPolicyTemplates";

fn render_template(template: &PolicyTemplate) -> Map<String, Value> {
    let mut out = with_id(&template.id, None);
    out.insert("baseId".into(), json!(template.base_id));
    out.insert("version".into(), json!(template.version));
    out.insert("displayName".into(), json!(template.display_name));
    out.insert("description".into(), json!(""));
    out.insert(
        "displayVersion".into(),
        json!(format!("Version {}", template.version)),
    );
    out.insert("lifecycleState".into(), json!(template.lifecycle_state));
    out.insert("platforms".into(), json!("windows10"));
    out.insert("technologies".into(), json!("enrollment"));
    out.insert("templateFamily".into(), json!(template.template_family));
    out.insert("allowUnmanagedSettings".into(), json!(false));
    out.insert("settingTemplateCount".into(), json!(template.settings.len()));
    out.insert("disableEntraGroupPolicyAssignment".into(), json!(false));
    out
}

/// `@odata.type` suffixes of a shape: instance template, its value template property and
/// type, and the definition.
fn shape_types(shape: SettingShape) -> (&'static str, &'static str, Option<&'static str>, &'static str) {
    match shape {
        SettingShape::Choice => (
            "ChoiceSettingInstanceTemplate",
            "choiceSettingValueTemplate",
            Some("ChoiceSettingValueTemplate"),
            "ChoiceSettingDefinition",
        ),
        SettingShape::Integer => (
            "SimpleSettingInstanceTemplate",
            "simpleSettingValueTemplate",
            Some("IntegerSettingValueTemplate"),
            "SimpleSettingDefinition",
        ),
        SettingShape::Text => (
            "SimpleSettingInstanceTemplate",
            "simpleSettingValueTemplate",
            Some("StringSettingValueTemplate"),
            "SimpleSettingDefinition",
        ),
        SettingShape::TextList => (
            "SimpleSettingCollectionInstanceTemplate",
            "simpleSettingCollectionValueTemplate",
            None,
            "SimpleSettingCollectionDefinition",
        ),
    }
}

fn graph_type(suffix: &str) -> String {
    format!("#microsoft.graph.deviceManagementConfiguration{suffix}")
}

/// A setting template as Graph shows it, with its definition when `expand` asks.
fn render_setting(setting: &SettingTemplate, index: usize, expand: bool) -> Value {
    let (instance_type, value_property, value_type, definition_type) = shape_types(setting.shape);
    let value_template = match value_type {
        // String value templates have no recommended or required value (beta metadata).
        Some(value_type) if setting.shape == SettingShape::Text => json!({
            "@odata.type": graph_type(value_type),
            "settingValueTemplateId": setting.value_template_id,
            "defaultValue": null,
        }),
        Some(value_type) => json!({
            "@odata.type": graph_type(value_type),
            "settingValueTemplateId": setting.value_template_id,
            "defaultValue": null,
            "recommendedValueDefinition": null,
            "requiredValueDefinition": null,
        }),
        None => json!([]),
    };
    let mut instance = Map::new();
    instance.insert("@odata.type".into(), json!(graph_type(instance_type)));
    instance.insert("settingDefinitionId".into(), json!(setting.definition_id));
    instance.insert(
        "settingInstanceTemplateId".into(),
        json!(setting.instance_template_id),
    );
    instance.insert("isRequired".into(), json!(false));
    instance.insert(value_property.into(), value_template);
    let mut out = Map::new();
    out.insert("id".into(), json!(index.to_string()));
    out.insert("settingInstanceTemplate".into(), Value::Object(instance));
    if expand {
        let mut definition = Map::new();
        definition.insert("@odata.type".into(), json!(graph_type(definition_type)));
        definition.insert("id".into(), json!(setting.definition_id));
        definition.insert("name".into(), json!(setting.definition_id));
        definition.insert("displayName".into(), json!(setting.display_name));
        definition.insert("description".into(), json!(setting.display_name));
        definition.insert(
            "baseUri".into(),
            json!("./Vendor/MSFT/Enrollment/AutopilotDevicePreparation"),
        );
        definition.insert("visibility".into(), json!("template"));
        if setting.shape == SettingShape::Choice {
            let options: Vec<Value> = setting
                .options
                .iter()
                .map(|option| {
                    json!({
                        "@odata.type": "#microsoft.graph.deviceManagementConfigurationOptionDefinition",
                        "itemId": option.item_id,
                        "displayName": option.display_name,
                        "name": option.display_name,
                        "description": null,
                        "helpText": null,
                        "dependentOn": [],
                        "dependedOnBy": [],
                    })
                })
                .collect();
            definition.insert(
                "defaultOptionId".into(),
                json!(setting.options.first().map(|o| o.item_id.clone())),
            );
            definition.insert("options".into(), Value::Array(options));
        }
        out.insert("settingDefinitions".into(), json!([Value::Object(definition)]));
    }
    Value::Object(out)
}

fn template<'s>(state: &'s SimState, id: &str) -> Result<&'s PolicyTemplate, GraphError> {
    state.policy_templates.get(id).ok_or_else(|| {
        GraphError::intune_not_found(SERVICE, "DeviceManagementConfigurationPolicyTemplate", id)
    })
}

/// `configurationPolicyTemplates…` (beta): list (`$filter` on `templateFamily`,
/// `lifecycleState`, `displayName`), get, and `settingTemplates` (`$expand=settingDefinitions`).
pub(crate) fn templates(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            refuse_filters(
                ctx,
                SERVICE,
                "configuration policy templates",
                |clause| matches!(clause, Clause::Eq(p, _) if ["templateFamily", "lifecycleState", "displayName", "id"].contains(&p.as_str())),
            )?;
            ctx.no_query_options(&["$filter", "$top", "$skiptoken", "$select"])?;
            let spec = ctx.page_spec(Family::Intune)?;
            let clauses = ctx.query.filter.clone().unwrap_or_default();
            let keep = |t: &PolicyTemplate| matches(&clauses, |name| render_template(t).get(name).cloned());
            let (page, next) = take_page(&ctx.state.policy_templates, &spec, keep);
            let items = page
                .into_iter()
                .map(|t| Value::Object(select(render_template(t), ctx.query.select.as_deref())))
                .collect();
            Ok(Reply::ok(collection(ctx.call, FRAGMENT, items, next, None)))
        }
        (Method::Get, [id]) => {
            ctx.no_query_options(&["$select"])?;
            let item = select(
                render_template(template(ctx.state, id)?),
                ctx.query.select.as_deref(),
            );
            Ok(Reply::ok(ctx.entity(FRAGMENT, item)))
        }
        (Method::Get, [id, "settingTemplates"]) => {
            ctx.no_query_options(&["$expand"])?;
            let expand = expansions(ctx, &["settingDefinitions"])?;
            let template = template(ctx.state, id)?;
            let items = template
                .settings
                .iter()
                .enumerate()
                .map(|(index, setting)| render_setting(setting, index, !expand.is_empty()))
                .collect();
            Ok(Reply::ok(collection(
                ctx.call,
                &format!("{FRAGMENT}('{id}')/settingTemplates"),
                items,
                None,
                None,
            )))
        }
        (_, [] | [_] | [_, _]) => Err(no_route(ctx, Some(SERVICE))),
        (_, [_, _, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}
