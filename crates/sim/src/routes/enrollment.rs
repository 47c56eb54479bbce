//! `/deviceManagement/deviceEnrollmentConfigurations…`: Enrollment Status Pages, platform
//! restrictions, device limits, Windows Hello for Business; `assign` and `setPriority`.
//!
//! The built-in defaults (`<tenant>_Default…`, priority 0) can be read and PATCHed but not
//! deleted, assigned or re-prioritised. New configurations get the next priority of their
//! family (ESPs, restrictions, limits, Hello for Business each count separately);
//! `setPriority` moves one within 1..=count of its family and shifts the others, refusing gaps;
//! deleting re-numbers the rest. `priority` itself is read-only in POST and PATCH bodies.
//! Assignments are replaced as a whole through `assign`; there is no route to create or delete
//! a single assignment, as in Intune.

use serde_json::{Map, Value, json};

use super::intune::{
    array_parameter, create_object, get_object, intune_bad, list_assignments, list_objects,
    patched_properties, render_assignment, replacing_assignments, resolve_type, stamp_create, stamp_update,
};
use super::{Ctx, no_route};
use crate::odata::{Clause, Method};
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::schema::{ApiVersion, Style, Write, type_exists, validate_write};
use crate::state::{IntuneObject, SimState};

const SERVICE: IntuneService = IntuneService::Enrollment;
const FRAGMENT: &str = "deviceManagement/deviceEnrollmentConfigurations";
const BASE: &str = "deviceEnrollmentConfiguration";
const ASSIGNMENT: &str = "enrollmentConfigurationAssignment";
const TARGETS: &[&str] = &[
    "groupAssignmentTarget",
    "exclusionGroupAssignmentTarget",
    "allLicensedUsersAssignmentTarget",
    "allDevicesAssignmentTarget",
];

/// `deviceEnrollmentConfigurationType` and id suffix of a created configuration.
fn created_kind(type_name: &str) -> Option<(&'static str, &'static str)> {
    match type_name {
        "windows10EnrollmentCompletionPageConfiguration" => Some((
            "windows10EnrollmentCompletionPageConfiguration",
            "Windows10EnrollmentCompletionPageConfiguration",
        )),
        "deviceEnrollmentPlatformRestrictionConfiguration" => {
            Some(("singlePlatformRestriction", "SinglePlatformRestriction"))
        }
        "deviceEnrollmentLimitConfiguration" => Some(("limit", "Limit")),
        "deviceEnrollmentWindowsHelloForBusinessConfiguration" => {
            Some(("windowsHelloForBusiness", "WindowsHelloForBusiness"))
        }
        _ => None,
    }
}

/// Priority family of a type: configurations of one family share a priority sequence.
fn family(type_name: &str) -> &str {
    match type_name {
        "deviceEnrollmentPlatformRestrictionConfiguration"
        | "deviceEnrollmentPlatformRestrictionsConfiguration" => "restriction",
        other => other,
    }
}

fn priority(object: &IntuneObject) -> i64 {
    object
        .properties
        .get("priority")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Custom configurations of a family, by priority.
fn family_members(state: &SimState, type_name: &str) -> Vec<String> {
    let fam = family(type_name).to_owned();
    let mut members: Vec<(i64, String)> = state
        .enrollment_configurations
        .values()
        .filter(|o| family(&o.odata_type) == fam && !state.is_default_enrollment_configuration(&o.id))
        .map(|o| (priority(o), o.id.clone()))
        .collect();
    members.sort();
    members.into_iter().map(|(_, id)| id).collect()
}

fn renumber(state: &mut SimState, ordered: &[String]) {
    for (index, id) in ordered.iter().enumerate() {
        if let Some(object) = state.enrollment_configurations.get_mut(id) {
            object.properties.insert("priority".into(), json!(index + 1));
        }
    }
}

fn check_values(type_name: &str, merged: &Map<String, Value>, creating: bool) -> Result<(), GraphError> {
    if merged
        .get("displayName")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(GraphError::model_validation("'displayName' is required."));
    }
    match type_name {
        "windows10EnrollmentCompletionPageConfiguration" => {
            if let Some(timeout) = merged
                .get("installProgressTimeoutInMinutes")
                .and_then(Value::as_i64)
                && !(1..=1440).contains(&timeout)
            {
                return Err(intune_bad(
                    SERVICE,
                    format!("installProgressTimeoutInMinutes must be between 1 and 1440, got {timeout}."),
                ));
            }
            if merged
                .get("customErrorMessage")
                .and_then(Value::as_str)
                .is_some_and(|m| m.chars().count() > 10_000)
            {
                return Err(intune_bad(
                    SERVICE,
                    "customErrorMessage must be at most 10000 characters.",
                ));
            }
            if merged
                .get("selectedMobileAppIds")
                .and_then(Value::as_array)
                .is_some_and(|a| a.len() > 100)
            {
                return Err(intune_bad(
                    SERVICE,
                    "At most 100 apps can block the Enrollment Status Page.",
                ));
            }
        }
        "deviceEnrollmentPlatformRestrictionConfiguration"
            if creating && merged.get("platformType").is_none_or(Value::is_null) =>
        {
            return Err(GraphError::model_validation("'platformType' is required."));
        }
        "deviceEnrollmentLimitConfiguration" => {
            if let Some(limit) = merged.get("limit").and_then(Value::as_i64)
                && !(1..=15).contains(&limit)
            {
                return Err(intune_bad(
                    SERVICE,
                    format!("The device limit must be between 1 and 15, got {limit}."),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// `deviceEnrollmentConfigurations…`
pub(crate) fn configurations(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    let not_found = |id: &str| GraphError::intune_not_found(SERVICE, "DeviceEnrollmentConfiguration", id);
    let visible = |ctx: &Ctx<'_>, id: &str| {
        ctx.state
            .enrollment_configurations
            .get(id)
            .filter(|o| type_exists(&o.odata_type, ctx.version()))
            .cloned()
    };
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            let beta = ctx.version() == ApiVersion::Beta;
            list_objects(
                ctx,
                &ctx.state.enrollment_configurations,
                FRAGMENT,
                BASE,
                ASSIGNMENT,
                |c| match c {
                    Clause::Eq(p, _) => beta && p == "deviceEnrollmentConfigurationType",
                    Clause::IsOf(_) => true,
                    _ => false,
                },
                SERVICE,
            )
        }
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let type_name = resolve_type(&body, BASE, None, ctx.version())?;
            let Some((config_type, suffix)) = created_kind(&type_name) else {
                return Err(intune_bad(
                    SERVICE,
                    format!(
                        "Configurations of type '{type_name}' cannot be created; only the built-in one exists."
                    ),
                ));
            };
            let mut props = validate_write(&type_name, &body, Write::Create, ctx.version(), Style::Intune)?;
            check_values(&type_name, &props, true)?;
            let next_priority = family_members(ctx.state, &type_name).len() + 1;
            stamp_create(&mut props, ctx.now);
            props.insert("priority".into(), json!(next_priority));
            props.insert("version".into(), json!(0));
            props.insert("deviceEnrollmentConfigurationType".into(), json!(config_type));
            let id = format!("{}_{suffix}", ctx.state.new_guid());
            create_object(
                ctx,
                |state| &mut state.enrollment_configurations,
                FRAGMENT,
                id,
                type_name,
                props,
            )
        }
        (Method::Get, [id]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            get_object(ctx, &object, FRAGMENT, ASSIGNMENT)
        }
        (Method::Patch, [id]) => {
            let body = ctx.call.json_body()?;
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            let mut merged = patched_properties(ctx, &object, &body)?;
            check_values(&object.odata_type, &merged, false)?;
            stamp_update(&mut merged, ctx.now);
            if let Some(stored) = ctx.state.enrollment_configurations.get_mut(*id) {
                stored.properties = merged;
            }
            Ok(Reply::no_content())
        }
        (Method::Delete, [id]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            if ctx.state.is_default_enrollment_configuration(id) {
                return Err(intune_bad(
                    SERVICE,
                    "The default configuration cannot be deleted.",
                ));
            }
            ctx.state.enrollment_configurations.remove(*id);
            let members = family_members(ctx.state, &object.odata_type);
            renumber(ctx.state, &members);
            Ok(Reply::no_content())
        }
        (Method::Get, [id, "assignments"]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            list_assignments(
                ctx,
                &object.assignments,
                &format!("{FRAGMENT}('{id}')/assignments"),
                ASSIGNMENT,
            )
        }
        (Method::Get, [id, "assignments", assignment]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            let found = object
                .assignments
                .iter()
                .find(|a| a.id == *assignment)
                .ok_or_else(|| {
                    GraphError::intune_not_found(SERVICE, "EnrollmentConfigurationAssignment", assignment)
                })?;
            Ok(Reply::ok(ctx.entity(
                &format!("{FRAGMENT}('{id}')/assignments"),
                render_assignment(found, ASSIGNMENT, ctx.version()),
            )))
        }
        (Method::Post, [id, "assign"]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            if ctx.state.is_default_enrollment_configuration(id) {
                return Err(intune_bad(
                    SERVICE,
                    "The default configuration applies to all users and devices and cannot be assigned.",
                ));
            }
            let body = ctx.call.json_body()?;
            let requested = array_parameter(&body, "enrollmentConfigurationAssignments")?;
            let assignments = replacing_assignments(ctx, &object.id, requested, TARGETS, SERVICE, "Target")?;
            if let Some(stored) = ctx.state.enrollment_configurations.get_mut(*id) {
                stored.assignments = assignments;
            }
            Ok(Reply::no_content())
        }
        (Method::Post, [id, "setPriority"]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            if ctx.state.is_default_enrollment_configuration(id) {
                return Err(intune_bad(
                    SERVICE,
                    "The priority of the default configuration is fixed at 0.",
                ));
            }
            let body = ctx.call.json_body()?;
            let wanted = body.get("priority").and_then(Value::as_i64).ok_or_else(|| {
                GraphError::model_validation("The 'priority' parameter must be an integer.")
            })?;
            let mut members = family_members(ctx.state, &object.odata_type);
            let count = members.len() as i64;
            if !(1..=count).contains(&wanted) {
                return Err(intune_bad(
                    SERVICE,
                    format!(
                        "Priority {wanted} is out of range: configurations of this kind take priorities 1 to {count}, without gaps."
                    ),
                ));
            }
            members.retain(|m| m != id);
            members.insert((wanted - 1) as usize, (*id).to_owned());
            renumber(ctx.state, &members);
            Ok(Reply::no_content())
        }
        (_, [] | [_] | [_, "assignments" | "assign" | "setPriority"] | [_, "assignments", _]) => {
            Err(no_route(ctx, Some(SERVICE)))
        }
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}
