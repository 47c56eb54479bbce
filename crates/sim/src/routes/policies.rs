//! `/beta/deviceManagement/configurationPolicies…`: Settings Catalog policies, with the
//! Device Preparation (Autopilot v2) rules.
//!
//! `PUT` replaces the whole policy including `settings` (the template may not change); `PATCH`
//! changes top-level properties only and refuses `settings`, as Intune does. A policy names a
//! template the tenant has (`configurationPolicyTemplates`, see `templates`); policies on a
//! Device Preparation template get their settings checked against that template's setting
//! templates and definitions (instance and value template ids, shapes, choice option values). `setEnrollmentTimeDeviceMembershipTarget` validates the device group (exists
//! and replicated, security, static, owned by the Intune Provisioning Client) and answers 200
//! with `validationSucceeded: false` and a `targetValidationErrorCode` when it is not; the
//! app-only 500 is an opt-in quirk.

use serde_json::{Map, Value, json};

use super::intune::{
    array_parameter, assigned, expansions, group_visible, intune_bad, list_assignments, refuse_filters,
    render_assignments, replacing_assignments, stamp_create, stamp_update,
};
use super::templates::{ENROLLMENT_FAMILY, PolicyTemplate, SettingShape};
use super::{Ctx, no_route, with_id};
use crate::odata::{Clause, Method, matches};
use crate::paging::{Family, collection, select, take_page};
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::schema::{CONFIGURATION_TECHNOLOGIES, Style, Write, render, validate_write};
use crate::state::{ConfigurationPolicy, INTUNE_PROVISIONING_CLIENT_APP_ID, SimState};

const SERVICE: IntuneService = IntuneService::DeviceConfigV2;
const FRAGMENT: &str = "deviceManagement/configurationPolicies";
const TYPE: &str = "deviceManagementConfigurationPolicy";
const ASSIGNMENT: &str = "deviceManagementConfigurationPolicyAssignment";
const TARGETS: &[&str] = &[
    "groupAssignmentTarget",
    "exclusionGroupAssignmentTarget",
    "allLicensedUsersAssignmentTarget",
    "allDevicesAssignmentTarget",
];

fn template_of(props: &Map<String, Value>) -> String {
    props
        .get("templateReference")
        .and_then(|t| t.get("templateId"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn invalid(message: impl Into<String>) -> GraphError {
    intune_bad(SERVICE, message)
}

/// Checks one Device Preparation setting against the policy's template: a setting the template
/// has, in its shape, with the template's instance and value template ids, and (for a choice)
/// one of the definition's option values.
fn check_dpp_setting(setting: &Value, template: &PolicyTemplate) -> Result<(), GraphError> {
    let instance = setting
        .get("settingInstance")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("Each setting needs a 'settingInstance' object."))?;
    let definition = instance
        .get("settingDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(expected) = template.setting(definition) else {
        return Err(invalid(format!(
            "Setting definition '{definition}' does not belong to the template '{}'.",
            template.id
        )));
    };
    let instance_type = instance.get("@odata.type").and_then(Value::as_str).unwrap_or("");
    let expected_type = match expected.shape {
        SettingShape::Choice => "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
        SettingShape::Integer | SettingShape::Text => {
            "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance"
        }
        SettingShape::TextList => {
            "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance"
        }
    };
    if instance_type != expected_type {
        return Err(invalid(format!(
            "Setting '{definition}' must be a '{expected_type}', not '{instance_type}'."
        )));
    }
    if let Some(reference) = instance
        .get("settingInstanceTemplateReference")
        .and_then(|r| r.get("settingInstanceTemplateId"))
        && reference.as_str() != Some(expected.instance_template_id.as_str())
    {
        return Err(invalid(format!(
            "Setting '{definition}' has the wrong settingInstanceTemplateId; expected '{}'.",
            expected.instance_template_id
        )));
    }
    let value = instance
        .get("choiceSettingValue")
        .or_else(|| instance.get("simpleSettingValue"));
    if let Some(reference) = value
        .and_then(|v| v.get("settingValueTemplateReference"))
        .and_then(|r| r.get("settingValueTemplateId"))
        .and_then(Value::as_str)
        && Some(reference) != expected.value_template_id.as_deref()
    {
        return Err(invalid(format!(
            "Setting '{definition}' has the wrong settingValueTemplateId '{reference}'."
        )));
    }
    match expected.shape {
        SettingShape::Choice => {
            let value = instance
                .get("choiceSettingValue")
                .and_then(|v| v.get("value"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !expected.options.iter().any(|option| option.item_id == value) {
                return Err(invalid(format!(
                    "'{value}' is not an option of setting '{definition}'."
                )));
            }
        }
        SettingShape::Integer | SettingShape::Text => {
            let value = instance
                .get("simpleSettingValue")
                .ok_or_else(|| invalid(format!("Setting '{definition}' needs a 'simpleSettingValue'.")))?;
            let value_type = value.get("@odata.type").and_then(Value::as_str).unwrap_or("");
            if expected.shape == SettingShape::Integer {
                let number = value.get("value").and_then(Value::as_i64);
                if value_type != "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue"
                    || number.is_none()
                {
                    return Err(invalid(format!("Setting '{definition}' takes an integer value.")));
                }
                if let Some(minutes) = number.filter(|_| definition.ends_with("_timeout"))
                    && !(15..=720).contains(&minutes)
                {
                    return Err(invalid(format!(
                        "The Device Preparation timeout must be 15 to 720 minutes, got {minutes}."
                    )));
                }
            } else if value_type != "#microsoft.graph.deviceManagementConfigurationStringSettingValue"
                || !value.get("value").is_some_and(Value::is_string)
            {
                return Err(invalid(format!("Setting '{definition}' takes a string value.")));
            }
        }
        SettingShape::TextList => {
            let values = instance
                .get("simpleSettingCollectionValue")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    invalid(format!(
                        "Setting '{definition}' needs a 'simpleSettingCollectionValue' array."
                    ))
                })?;
            if values.len() > 10 {
                return Err(invalid(format!(
                    "Setting '{definition}' takes at most 10 values, got {}.",
                    values.len()
                )));
            }
        }
    }
    Ok(())
}

/// Validates a full policy body (POST or PUT); returns the properties and the settings.
fn check_policy(
    ctx: &Ctx<'_>,
    body: &Map<String, Value>,
    existing: Option<&ConfigurationPolicy>,
) -> Result<(Map<String, Value>, Vec<Value>), GraphError> {
    let mut top = body.clone();
    let settings = match top.remove("settings") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(settings)) => settings,
        Some(_) => {
            return Err(GraphError::model_validation("'settings' must be an array."));
        }
    };
    top.remove("id");
    let mut props = validate_write(TYPE, &top, Write::Create, ctx.version(), Style::Intune)?;
    for required in ["name", "platforms", "technologies"] {
        if props
            .get(required)
            .is_none_or(|v| v.as_str().is_none_or(str::is_empty))
        {
            return Err(GraphError::model_validation(format!("'{required}' is required.")));
        }
    }
    let technologies = props.get("technologies").and_then(Value::as_str).unwrap_or("");
    for part in technologies.split(',').map(str::trim) {
        if !CONFIGURATION_TECHNOLOGIES.contains(&part) {
            return Err(GraphError::model_validation(format!(
                "Requested value '{part}' was not found. Property 'technologies'."
            )));
        }
    }
    let template = template_of(&props);
    if let Some(existing) = existing
        && template != template_of(&existing.properties)
    {
        return Err(invalid("The template of a policy cannot change."));
    }
    let dpp_template = if template.is_empty() {
        None
    } else {
        let found = ctx
            .state
            .policy_templates
            .get(&template)
            .ok_or_else(|| invalid(format!("The template '{template}' was not found.")))?;
        Some(found).filter(|t| t.template_family == ENROLLMENT_FAMILY)
    };
    if let Some(found) = dpp_template {
        if let Some(Value::Object(reference)) = props.get_mut("templateReference") {
            if reference.get("templateFamily").and_then(Value::as_str) != Some(ENROLLMENT_FAMILY) {
                return Err(invalid(
                    "Device Preparation policies belong to the template family 'enrollmentConfiguration'.",
                ));
            }
            reference.insert("templateDisplayName".into(), json!(found.display_name));
            reference.insert(
                "templateDisplayVersion".into(),
                json!(format!("Version {}", found.version)),
            );
        }
        if props.get("technologies").and_then(Value::as_str) != Some("enrollment")
            || props.get("platforms").and_then(Value::as_str) != Some("windows10")
        {
            return Err(invalid(
                "Device Preparation policies take platforms 'windows10' and technologies 'enrollment'.",
            ));
        }
    }
    let mut stored = Vec::new();
    for (index, setting) in settings.into_iter().enumerate() {
        let Value::Object(mut setting) = setting else {
            return Err(GraphError::model_validation("Each setting must be an object."));
        };
        if let Some(found) = dpp_template {
            check_dpp_setting(&Value::Object(setting.clone()), found)?;
        } else if !setting.get("settingInstance").is_some_and(Value::is_object) {
            return Err(invalid("Each setting needs a 'settingInstance' object."));
        }
        setting.retain(|k, _| k == "@odata.type" || k == "settingInstance");
        setting.insert("id".into(), json!(index.to_string()));
        stored.push(Value::Object(setting));
    }
    if dpp_template.is_some_and(|t| !t.automatic) {
        let mut seen = std::collections::HashSet::new();
        for setting in &stored {
            let id = setting["settingInstance"]["settingDefinitionId"]
                .as_str()
                .unwrap_or("");
            if !seen.insert(id.to_owned()) {
                return Err(invalid(format!("Setting '{id}' appears more than once.")));
            }
        }
    }
    props.insert("settingCount".into(), json!(stored.len()));
    Ok((props, stored))
}

fn render_policy(policy: &ConfigurationPolicy, ctx: &Ctx<'_>) -> Map<String, Value> {
    let mut out = with_id(&policy.id, None);
    let mut props = policy.properties.clone();
    props.insert("settingCount".into(), json!(policy.settings.len()));
    props.insert("isAssigned".into(), json!(!policy.assignments.is_empty()));
    render(TYPE, &props, ctx.version(), &mut out);
    out
}

fn with_expansions(
    ctx: &Ctx<'_>,
    policy: &ConfigurationPolicy,
    mut item: Map<String, Value>,
    expand: &[String],
) -> Map<String, Value> {
    if expand.iter().any(|e| e == "settings") {
        item.insert("settings".into(), Value::Array(policy.settings.clone()));
    }
    if expand.iter().any(|e| e == "assignments") {
        item.insert(
            "assignments".into(),
            Value::Array(render_assignments(&policy.assignments, ASSIGNMENT, ctx.version())),
        );
    }
    item
}

/// The `targetValidationErrorCode` of a device group, or `None` when it is fine.
fn membership_error(ctx: &Ctx<'_>, group_id: &str) -> Option<&'static str> {
    if !group_visible(ctx, group_id) {
        return Some("securityGroupNotFound");
    }
    let group = ctx.state.groups.get(group_id)?;
    if !group.is_security() {
        return Some("notSecurityGroup");
    }
    if group.is_dynamic() {
        return Some("notStaticSecurityGroup");
    }
    let provisioning = ctx
        .state
        .service_principal_by_app_id(INTUNE_PROVISIONING_CLIENT_APP_ID)
        .map(|sp| sp.id.clone());
    if !provisioning.is_some_and(|sp| group.owners.iter().any(|o| o.eq_ignore_ascii_case(&sp))) {
        return Some("firstPartyAppNotAnOwner");
    }
    None
}

fn membership_result(ctx: &Ctx<'_>, targets: &[Value]) -> (bool, Value) {
    let mut ok = true;
    let statuses: Vec<Value> = targets
        .iter()
        .map(|target| {
            let id = target.get("targetId").and_then(Value::as_str).unwrap_or("");
            let error = membership_error(ctx, id);
            ok &= error.is_none();
            json!({
                "@odata.type": "microsoft.graph.enrollmentTimeDeviceMembershipTargetStatus",
                "targetId": id,
                "targetValidationErrorCode": error,
            })
        })
        .collect();
    let result = json!({
        "@odata.type": "microsoft.graph.enrollmentTimeDeviceMembershipTargetResult",
        "validationSucceeded": ok,
        "enrollmentTimeDeviceMembershipTargetValidationStatuses": statuses,
    });
    (ok, result)
}

/// The membership-target actions answer the result wrapped in `value`, as the docs' example does.
fn membership_reply(ctx: &Ctx<'_>, result: Value) -> Reply {
    Reply::ok(json!({
        "@odata.context": ctx.context("microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"),
        "value": result,
    }))
}

/// The opt-in quirk: Intune answers 500 to the membership-target writes with an app-only
/// token, and every token the simulator issues is app-only.
fn app_only_quirk(ctx: &Ctx<'_>) -> Result<(), GraphError> {
    if ctx.config.quirks.dpp_app_only_500 {
        return Err(GraphError::intune(
            500,
            "InternalServerError",
            SERVICE,
            "An internal server error has occurred",
        ));
    }
    Ok(())
}

fn policy<'s>(state: &'s SimState, id: &str) -> Result<&'s ConfigurationPolicy, GraphError> {
    state
        .configuration_policies
        .get(id)
        .ok_or_else(|| GraphError::intune_not_found(SERVICE, "DeviceManagementConfigurationPolicy", id))
}

/// `configurationPolicies…`
pub(crate) fn policies(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            refuse_filters(
                ctx,
                SERVICE,
                "configuration policies",
                |clause| matches!(clause, Clause::Eq(p, _) if p.eq_ignore_ascii_case("templateReference/templateFamily") || p == "name" || p.eq_ignore_ascii_case("templateReference/templateId")),
            )?;
            ctx.check_select(TYPE)?;
            let expand = expansions(ctx, &["assignments", "settings"])?;
            let spec = ctx.page_spec(Family::Intune)?;
            let clauses = ctx.query.filter.clone().unwrap_or_default();
            let keep = |p: &ConfigurationPolicy| {
                matches(&clauses, |name| match name.to_ascii_lowercase().as_str() {
                    "templatereference/templatefamily" => p
                        .properties
                        .get("templateReference")
                        .and_then(|t| t.get("templateFamily"))
                        .cloned(),
                    "templatereference/templateid" => p
                        .properties
                        .get("templateReference")
                        .and_then(|t| t.get("templateId"))
                        .cloned(),
                    _ => p.properties.get(name).cloned(),
                })
            };
            let (page, next) = take_page(&ctx.state.configuration_policies, &spec, keep);
            let items = page
                .into_iter()
                .map(|p| {
                    Value::Object(with_expansions(
                        ctx,
                        p,
                        select(render_policy(p, ctx), ctx.query.select.as_deref()),
                        &expand,
                    ))
                })
                .collect();
            Ok(Reply::ok(collection(ctx.call, FRAGMENT, items, next, None)))
        }
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let (mut props, settings) = check_policy(ctx, &body, None)?;
            stamp_create(&mut props, ctx.now);
            let id = ctx.state.new_guid();
            let policy = ConfigurationPolicy {
                id: id.clone(),
                properties: props,
                settings,
                assignments: Vec::new(),
                device_membership_targets: Vec::new(),
            };
            let body = ctx.entity(FRAGMENT, render_policy(&policy, ctx));
            ctx.state.configuration_policies.insert(id, policy);
            Ok(Reply::created(body))
        }
        (Method::Get, [id]) => {
            ctx.check_select(TYPE)?;
            let expand = expansions(ctx, &["assignments", "settings"])?;
            let policy = policy(ctx.state, id)?;
            let item = with_expansions(
                ctx,
                policy,
                select(render_policy(policy, ctx), ctx.query.select.as_deref()),
                &expand,
            );
            Ok(Reply::ok(ctx.entity(FRAGMENT, item)))
        }
        (Method::Put, [id]) => {
            let body = ctx.call.json_body()?;
            let existing = policy(ctx.state, id)?;
            let (mut props, settings) = check_policy(ctx, &body, Some(existing))?;
            for kept in ["createdDateTime", "creationSource"] {
                if let Some(value) = existing.properties.get(kept) {
                    props.insert(kept.into(), value.clone());
                }
            }
            stamp_update(&mut props, ctx.now);
            if let Some(stored) = ctx.state.configuration_policies.get_mut(*id) {
                stored.properties = props;
                stored.settings = settings;
            }
            Ok(Reply::no_content())
        }
        (Method::Patch, [id]) => {
            let body = ctx.call.json_body()?;
            if body.contains_key("settings") {
                return Err(invalid(
                    "The 'settings' of a policy cannot be changed with PATCH; send the whole policy with PUT.",
                ));
            }
            let existing = policy(ctx.state, id)?;
            let props = validate_write(
                TYPE,
                &body,
                Write::Update(&existing.properties),
                ctx.version(),
                Style::Intune,
            )?;
            if props.contains_key("templateReference")
                && props.get("templateReference").map(|t| t.get("templateId"))
                    != existing
                        .properties
                        .get("templateReference")
                        .map(|t| t.get("templateId"))
            {
                return Err(invalid("The template of a policy cannot change."));
            }
            if let Some(stored) = ctx.state.configuration_policies.get_mut(*id) {
                stored.properties.extend(props);
                stamp_update(&mut stored.properties, ctx.now);
            }
            Ok(Reply::no_content())
        }
        (Method::Delete, [id]) => {
            policy(ctx.state, id)?;
            ctx.state.configuration_policies.remove(*id);
            Ok(Reply::no_content())
        }
        (Method::Get, [id, "settings"]) => Ok(Reply::ok(collection(
            ctx.call,
            &format!("{FRAGMENT}('{id}')/settings"),
            policy(ctx.state, id)?.settings.clone(),
            None,
            None,
        ))),
        (Method::Get, [id, "assignments"]) => list_assignments(
            ctx,
            &policy(ctx.state, id)?.assignments,
            &format!("{FRAGMENT}('{id}')/assignments"),
            ASSIGNMENT,
        ),
        (Method::Post, [id, "assign"]) => {
            let policy = policy(ctx.state, id)?;
            let body = ctx.call.json_body()?;
            let requested = array_parameter(&body, "assignments")?;
            let automatic = ctx
                .state
                .policy_templates
                .get(&template_of(&policy.properties))
                .is_some_and(|t| t.automatic);
            if automatic && !requested.is_empty() {
                return Err(invalid(
                    "Automatic Device Preparation policies take no assignments.",
                ));
            }
            let assignments = replacing_assignments(ctx, &policy.id, requested, TARGETS, SERVICE, "Target")?;
            let reply = assigned(ctx, &assignments, ASSIGNMENT);
            if let Some(stored) = ctx.state.configuration_policies.get_mut(*id) {
                stored.assignments = assignments;
            }
            Ok(reply)
        }
        (Method::Post, [id, "setEnrollmentTimeDeviceMembershipTarget"]) => {
            policy(ctx.state, id)?;
            app_only_quirk(ctx)?;
            let body = ctx.call.json_body()?;
            let targets = array_parameter(&body, "enrollmentTimeDeviceMembershipTargets")?;
            if targets.len() > 1 {
                return Err(invalid(
                    "A policy takes at most one enrollment-time device membership target.",
                ));
            }
            let mut normalised = Vec::new();
            for target in targets {
                let target_type = target.get("targetType").and_then(Value::as_str).unwrap_or("");
                if target_type != "staticSecurityGroup" {
                    return Err(GraphError::model_validation(format!(
                        "Requested value '{target_type}' was not found. Property 'targetType' takes staticSecurityGroup."
                    )));
                }
                let target_id = target
                    .get("targetId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| GraphError::model_validation("'targetId' is required."))?;
                normalised.push(json!({"targetType": target_type, "targetId": target_id}));
            }
            let (ok, result) = membership_result(ctx, &normalised);
            if ok && let Some(stored) = ctx.state.configuration_policies.get_mut(*id) {
                stored.device_membership_targets = normalised;
            }
            Ok(membership_reply(ctx, result))
        }
        (Method::Post, [id, "retrieveEnrollmentTimeDeviceMembershipTarget"]) => {
            let (_, result) = membership_result(ctx, &policy(ctx.state, id)?.device_membership_targets);
            Ok(membership_reply(ctx, result))
        }
        (Method::Post, [id, "clearEnrollmentTimeDeviceMembershipTarget"]) => {
            policy(ctx.state, id)?;
            app_only_quirk(ctx)?;
            if let Some(stored) = ctx.state.configuration_policies.get_mut(*id) {
                stored.device_membership_targets.clear();
            }
            Ok(Reply::no_content())
        }
        (_, [] | [_] | [_, _]) => Err(no_route(ctx, Some(SERVICE))),
        (_, [_, _, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}
