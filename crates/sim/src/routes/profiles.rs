//! `/beta/deviceManagement/windowsAutopilotDeploymentProfiles…`: Autopilot deployment
//! profiles (classic, v1) and their assignments.
//!
//! Rules enforced, as Intune does: a device name template expands to at most 15 characters
//! (letters, digits, hyphens, `%SERIAL%` counted as at least one character, `%RAND:x%` as x),
//! not all digits, and empty for hybrid profiles; `userType` is refused on shared
//! (self-deploying) profiles and never returned for them; only one profile targets All
//! Devices; a profile with assignments cannot be deleted; 350 profiles per tenant; no classic
//! profiles at all in GCC High and DoD. Deprecated read-only twins (`language`,
//! `extractHardwareHash`, `enableWhiteGlove`, `outOfBoxExperienceSettings`) mirror their
//! replacements.

use serde_json::{Map, Value, json};

use super::intune::{
    check_target, create_object, get_object, intune_bad, list_assignments, list_objects, patched_properties,
    render_assignment, resolve_type, stamp_create, stamp_update,
};
use super::{Ctx, no_route};
use crate::odata::{Clause, Method};
use crate::paging::collection;
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::schema::{Style, Write, validate_write};
use crate::state::{ALL_DEVICES_VIRTUAL_GROUP, Assignment, IntuneObject, SimState};

const SERVICE: IntuneService = IntuneService::Enrollment;
const FRAGMENT: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const BASE: &str = "windowsAutopilotDeploymentProfile";
const ASSIGNMENT: &str = "windowsAutopilotDeploymentProfileAssignment";
const TARGETS: &[&str] = &[
    "groupAssignmentTarget",
    "exclusionGroupAssignmentTarget",
    "allDevicesAssignmentTarget",
];
const TENANT_LIMIT: usize = 350;

/// Derived read-only values and the shared-profile quirk, applied to stored properties.
pub(crate) fn finish_profile(props: &mut Map<String, Value>) {
    let get = |p: &Map<String, Value>, k: &str| p.get(k).cloned().unwrap_or(Value::Null);
    if let Some(locale) = props.get("locale").cloned() {
        props.insert("language".into(), locale);
    }
    props.insert(
        "extractHardwareHash".into(),
        json!(
            get(props, "hardwareHashExtractionEnabled")
                .as_bool()
                .unwrap_or(false)
        ),
    );
    props.insert(
        "enableWhiteGlove".into(),
        json!(get(props, "preprovisioningAllowed").as_bool().unwrap_or(false)),
    );
    if let Some(Value::Object(oobe)) = props.get_mut("outOfBoxExperienceSetting") {
        if oobe.get("deviceUsageType").and_then(Value::as_str) == Some("shared") {
            oobe.remove("userType");
        }
        let legacy = json!({
            "hidePrivacySettings": oobe.get("privacySettingsHidden").cloned().unwrap_or(json!(false)),
            "hideEULA": oobe.get("eulaHidden").cloned().unwrap_or(json!(false)),
            "userType": oobe.get("userType").cloned().unwrap_or(Value::Null),
            "deviceUsageType": oobe.get("deviceUsageType").cloned().unwrap_or(json!("singleUser")),
            "skipKeyboardSelectionPage": oobe.get("keyboardSelectionPageSkipped").cloned().unwrap_or(json!(false)),
            "hideEscapeLink": oobe.get("escapeLinkHidden").cloned().unwrap_or(json!(true)),
        });
        props.insert("outOfBoxExperienceSettings".into(), legacy);
    }
}

/// Checks a device name template; the error says why.
pub(crate) fn check_template(template: &str) -> Result<(), String> {
    if template.is_empty() {
        return Ok(());
    }
    let mut length = 0usize;
    let mut has_macro = false;
    let mut literal_digits_only = true;
    let mut rest = template;
    while let Some(ch) = rest.chars().next() {
        if ch == '%' {
            let end = rest[1..]
                .find('%')
                .ok_or_else(|| format!("unterminated macro in '{template}'"))?
                + 1;
            let name = &rest[1..end];
            has_macro = true;
            if name.eq_ignore_ascii_case("SERIAL") {
                length += 1;
            } else if let Some(count) = name.strip_prefix("RAND:").or_else(|| name.strip_prefix("rand:")) {
                let count: usize = count
                    .parse()
                    .map_err(|_| format!("'%{name}%' needs a number of characters"))?;
                if count == 0 {
                    return Err(format!("'%{name}%' must generate at least one character"));
                }
                length += count;
            } else {
                return Err(format!("unknown macro '%{name}%'; use %SERIAL% or %RAND:x%"));
            }
            rest = &rest[end + 1..];
        } else {
            if !(ch.is_ascii_alphanumeric() || ch == '-') {
                return Err(format!(
                    "'{ch}' is not allowed; use letters, digits, hyphens and macros"
                ));
            }
            if !ch.is_ascii_digit() {
                literal_digits_only = false;
            }
            length += 1;
            rest = &rest[ch.len_utf8()..];
        }
    }
    if length > 15 {
        return Err(format!(
            "'{template}' expands to at least {length} characters; device names are at most 15"
        ));
    }
    if !has_macro && literal_digits_only {
        return Err(format!(
            "'{template}' is all digits; a device name needs a letter or a hyphen"
        ));
    }
    Ok(())
}

fn check_profile(
    type_name: &str,
    merged: &Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<(), GraphError> {
    let text = |key: &str| merged.get(key).and_then(Value::as_str).unwrap_or("");
    if text("displayName").trim().is_empty() {
        return Err(GraphError::model_validation("'displayName' is required."));
    }
    if text("displayName").chars().count() > 200 {
        return Err(intune_bad(SERVICE, "displayName must be at most 200 characters."));
    }
    if text("description").chars().count() > 1500 {
        return Err(intune_bad(
            SERVICE,
            "description must be at most 1500 characters.",
        ));
    }
    let template = text("deviceNameTemplate");
    if type_name == "activeDirectoryWindowsAutopilotDeploymentProfile" && !template.is_empty() {
        return Err(intune_bad(
            SERVICE,
            "Hybrid Azure AD joined profiles take no device name template; naming comes from the domain join profile.",
        ));
    }
    check_template(template)
        .map_err(|why| intune_bad(SERVICE, format!("Invalid device name template: {why}.")))?;
    // The generic 400 Intune answers when `userType` is sent for a shared profile.
    let sent_oobe = body.get("outOfBoxExperienceSetting").and_then(Value::as_object);
    let shared = merged
        .get("outOfBoxExperienceSetting")
        .and_then(|o| o.get("deviceUsageType"))
        .and_then(Value::as_str)
        == Some("shared");
    if shared && sent_oobe.is_some_and(|o| o.get("userType").is_some_and(|u| !u.is_null())) {
        return Err(GraphError::intune(
            400,
            "BadRequest",
            SERVICE,
            "An error has occurred",
        ));
    }
    if shared && type_name == "activeDirectoryWindowsAutopilotDeploymentProfile" {
        return Err(intune_bad(
            SERVICE,
            "Self-deploying (shared) profiles cannot be hybrid joined.",
        ));
    }
    Ok(())
}

fn not_found(id: &str) -> GraphError {
    GraphError::intune_not_found(SERVICE, "WindowsAutopilotDeploymentProfile", id)
}

fn profile<'s>(state: &'s SimState, id: &str) -> Result<&'s IntuneObject, GraphError> {
    state.deployment_profiles.get(id).ok_or_else(|| not_found(id))
}

fn assignment_not_found(id: &str) -> GraphError {
    GraphError::intune_not_found(SERVICE, "WindowsAutopilotDeploymentProfileAssignment", id)
}

/// `windowsAutopilotDeploymentProfiles…`
pub(crate) fn profiles(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    let classic = ctx.config.cloud.has_classic_autopilot();
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => list_objects(
            ctx,
            &ctx.state.deployment_profiles,
            FRAGMENT,
            BASE,
            ASSIGNMENT,
            |_: &Clause| false,
            SERVICE,
        ),
        (Method::Post, []) => {
            if !classic {
                return Err(intune_bad(
                    SERVICE,
                    format!(
                        "Windows Autopilot deployment profiles are not available in {}; use Autopilot device preparation policies.",
                        ctx.config.cloud
                    ),
                ));
            }
            if ctx.state.deployment_profiles.len() >= TENANT_LIMIT {
                return Err(intune_bad(
                    SERVICE,
                    format!("A tenant can have at most {TENANT_LIMIT} Autopilot profiles."),
                ));
            }
            let body = ctx.call.json_body()?;
            let type_name = resolve_type(&body, BASE, Some(BASE), ctx.version())?;
            let mut props = validate_write(&type_name, &body, Write::Create, ctx.version(), Style::Intune)?;
            if !props.contains_key("outOfBoxExperienceSetting") {
                props.insert("outOfBoxExperienceSetting".into(), json!({
                    "privacySettingsHidden": false, "eulaHidden": false, "userType": "standard",
                    "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": false, "escapeLinkHidden": true
                }));
            }
            check_profile(&type_name, &props, &body)?;
            stamp_create(&mut props, ctx.now);
            finish_profile(&mut props);
            let id = ctx.state.new_guid();
            create_object(
                ctx,
                |state| &mut state.deployment_profiles,
                FRAGMENT,
                id,
                type_name,
                props,
            )
        }
        (Method::Get, [id]) => get_object(ctx, profile(ctx.state, id)?, FRAGMENT, ASSIGNMENT),
        (Method::Patch, [id]) => {
            let body = ctx.call.json_body()?;
            let object = profile(ctx.state, id)?;
            let mut merged = patched_properties(ctx, object, &body)?;
            check_profile(&object.odata_type, &merged, &body)?;
            stamp_update(&mut merged, ctx.now);
            finish_profile(&mut merged);
            if let Some(stored) = ctx.state.deployment_profiles.get_mut(*id) {
                stored.properties = merged;
            }
            Ok(Reply::no_content())
        }
        (Method::Delete, [id]) => {
            let object = profile(ctx.state, id)?;
            if !object.assignments.is_empty() {
                return Err(intune_bad(
                    SERVICE,
                    format!(
                        "The profile '{id}' is assigned to {} target(s). Delete its assignments before deleting the profile.",
                        object.assignments.len()
                    ),
                ));
            }
            ctx.state.deployment_profiles.remove(*id);
            Ok(Reply::no_content())
        }
        (Method::Get, [id, "assignments"]) => list_assignments(
            ctx,
            &profile(ctx.state, id)?.assignments,
            &format!("{FRAGMENT}('{id}')/assignments"),
            ASSIGNMENT,
        ),
        (Method::Post, [id, "assignments"]) => {
            let body = ctx.call.json_body()?;
            let object = profile(ctx.state, id)?;
            for key in body.keys() {
                if !matches!(
                    key.as_str(),
                    "target" | "@odata.type" | "id" | "source" | "sourceId"
                ) {
                    return Err(GraphError::model_validation(format!(
                        "The property '{key}' does not exist on type 'microsoft.graph.{ASSIGNMENT}'."
                    )));
                }
            }
            let (target, suffix) = check_target(ctx, body.get("target"), TARGETS, SERVICE)?;
            if suffix == ALL_DEVICES_VIRTUAL_GROUP {
                let other = ctx.state.deployment_profiles.values().find(|p| {
                    p.id != object.id
                        && p.assignments
                            .iter()
                            .any(|a| a.target_type() == "allDevicesAssignmentTarget")
                });
                if let Some(other) = other {
                    return Err(intune_bad(
                        SERVICE,
                        format!("Another Profile {} is already assigned to All Devices", other.id),
                    ));
                }
            }
            let assignment = Assignment {
                id: format!("{}_{suffix}", object.id),
                target,
            };
            if object.assignments.iter().any(|a| a.id == assignment.id) {
                return Err(intune_bad(
                    SERVICE,
                    format!("The profile is already assigned to '{suffix}'."),
                ));
            }
            let body = ctx.entity(
                &format!("{FRAGMENT}('{id}')/assignments"),
                render_assignment(&assignment, ASSIGNMENT, ctx.version()),
            );
            if let Some(stored) = ctx.state.deployment_profiles.get_mut(*id) {
                stored.assignments.push(assignment);
            }
            Ok(Reply::created(body))
        }
        (Method::Get, [id, "assignments", assignment]) => {
            let found = profile(ctx.state, id)?
                .assignments
                .iter()
                .find(|a| a.id == *assignment)
                .ok_or_else(|| assignment_not_found(assignment))?;
            Ok(Reply::ok(ctx.entity(
                &format!("{FRAGMENT}('{id}')/assignments"),
                render_assignment(found, ASSIGNMENT, ctx.version()),
            )))
        }
        (Method::Delete, [id, "assignments", assignment]) => {
            let object = ctx
                .state
                .deployment_profiles
                .get_mut(*id)
                .ok_or_else(|| not_found(id))?;
            let before = object.assignments.len();
            object.assignments.retain(|a| a.id != *assignment);
            if object.assignments.len() == before {
                return Err(assignment_not_found(assignment));
            }
            Ok(Reply::no_content())
        }
        (Method::Post, [id, "assign"]) => {
            profile(ctx.state, id)?;
            let body = ctx.call.json_body()?;
            let device_ids = body.get("deviceIds").and_then(Value::as_array);
            if !device_ids.is_some_and(|ids| ids.iter().all(Value::is_string)) {
                return Err(GraphError::model_validation(
                    "The 'deviceIds' parameter must be an array of device ids.",
                ));
            }
            Ok(Reply::no_content())
        }
        (Method::Get, [id, "assignedDevices"]) => {
            profile(ctx.state, id)?;
            Ok(Reply::ok(collection(
                ctx.call,
                &format!("{FRAGMENT}('{id}')/assignedDevices"),
                Vec::new(),
                None,
                None,
            )))
        }
        (_, [] | [_] | [_, "assignments" | "assign" | "assignedDevices"] | [_, "assignments", _]) => {
            Err(no_route(ctx, Some(SERVICE)))
        }
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert!(check_template("").is_ok());
        assert!(check_template("DEPT-%SERIAL%").is_ok());
        assert!(check_template("CRP-%RAND:5%").is_ok());
        assert!(check_template("LOC-BLDG-%RAND:4%").is_ok());
        assert!(check_template("ABCDEFGHIJKLMNOP").is_err());
        assert!(check_template("ABCDEFGHIJ-%RAND:5%").is_err());
        assert!(check_template("12345").is_err());
        assert!(check_template("A_B").is_err());
        assert!(check_template("A-%NAME%").is_err());
        assert!(check_template("A-%RAND:x%").is_err());
        assert!(check_template("A-%SERIAL").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::check_template;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn templates_never_panic(text in "[A-Za-z0-9%:\\-_ é]{0,30}") {
            let _ = check_template(&text);
        }
    }
}
