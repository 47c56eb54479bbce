//! Autopilot devices: `importedWindowsAutopilotDeviceIdentities` (POST, `import`, GET,
//! DELETE; no PATCH), `windowsAutopilotDeviceIdentities` (list, get, DELETE,
//! `updateDeviceProperties`, user assignment) and `windowsAutopilotSettings` (+ `sync`).
//!
//! Imports are asynchronous on the simulated clock: a new import is `unknown` until
//! `import_processing_secs` have passed, then becomes `complete` (and the registered device
//! appears, with the import's group tag and user) or `error` with 806 `ZtdDeviceAlreadyAssigned`
//! when the serial is already registered. A sync is `inProgress` for `sync_duration_secs`
//! (another sync then is 409) and a new one within `sync_cooldown_secs` of the previous
//! request is 429.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::intune::{array_parameter, intune_bad, refuse_filters};
use super::{Ctx, no_route, with_id};
use crate::clock::{INTUNE_MIN_DATE, intune_timestamp};
use crate::config::SimConfig;
use crate::odata::{Clause, Method, matches};
use crate::paging::{Family, collection, encode_token, next_link, select, take_page};
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::schema::{ApiVersion, Style, Write, render, validate_write};
use crate::state::{AutopilotDevice, ImportedDevice, SimState, intune_time_or_min};

const SERVICE: IntuneService = IntuneService::Enrollment;
const IMPORTED: &str = "importedWindowsAutopilotDeviceIdentity";
const REGISTERED: &str = "windowsAutopilotDeviceIdentity";

/// Advances imports and syncs to `now`. Runs before every request and every snapshot.
pub(crate) fn tick(state: &mut SimState, _config: &SimConfig, now: i64) {
    if let Some(ends) = state.autopilot_settings.sync_ends_at_ms
        && ends <= now
    {
        state.autopilot_settings.sync_status = "completed".to_owned();
        state.autopilot_settings.last_sync_ms = Some(ends);
        state.autopilot_settings.sync_ends_at_ms = None;
    }
    // The index holds only imports still processing, in order of completion: a request that
    // finds none due costs one look at its first entry.
    let due = state.take_due_imports(now);
    if due.is_empty() {
        return;
    }
    complete_imports(state, due);
    crate::profile_status::refresh(state, now, crate::profile_status::Cause::Devices);
}

/// Completes `due` imports, in order of completion.
fn complete_imports(state: &mut SimState, due: Vec<String>) {
    let mut serials: HashSet<String> = state
        .devices
        .values()
        .map(|d| d.serial_number.trim().to_ascii_uppercase())
        .collect();
    for id in due {
        let Some(import) = state.imported_devices.get(&id).cloned() else {
            continue;
        };
        let serial = import.serial_number().trim().to_ascii_uppercase();
        if serials.contains(&serial) {
            if let Some(stored) = state.imported_devices.get_mut(&id) {
                stored.import_status = "error".to_owned();
                stored.error_code = 806;
                stored.error_name = "ZtdDeviceAlreadyAssigned".to_owned();
            }
            continue;
        }
        serials.insert(serial);
        let device_id = state.new_guid();
        let text = |k: &str| {
            import
                .properties
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let device = AutopilotDevice {
            id: device_id.clone(),
            serial_number: import.serial_number().to_owned(),
            group_tag: text("groupTag"),
            product_key: text("productKey"),
            user_principal_name: text("assignedUserPrincipalName"),
            managed_device_id: "00000000-0000-0000-0000-000000000000".to_owned(),
            enrollment_state: "notContacted".to_owned(),
            deployment_profile_assignment_status: "notAssigned".to_owned(),
            ..AutopilotDevice::default()
        };
        state.devices.insert(device_id.clone(), device);
        if let Some(stored) = state.imported_devices.get_mut(&id) {
            stored.import_status = "complete".to_owned();
            stored.registration_id = device_id;
        }
    }
}

fn render_imported(device: &ImportedDevice) -> Map<String, Value> {
    let mut out = with_id(&device.id, Some(IMPORTED));
    let mut props = device.properties.clone();
    props.insert(
        "state".into(),
        json!({
            "deviceImportStatus": device.import_status,
            "deviceRegistrationId": device.registration_id,
            "deviceErrorCode": device.error_code,
            "deviceErrorName": device.error_name,
        }),
    );
    render(IMPORTED, &props, ApiVersion::Beta, &mut out);
    out
}

/// One property value of a registered device, borrowed.
enum Field<'a> {
    Text(&'a str),
    /// Text, `null` when empty.
    TextOrNull(&'a str),
    Null,
    /// An Intune timestamp, `0001-01-01T00:00:00Z` when unset.
    Time(Option<i64>),
}

/// Every property of a registered device, in Graph's order, with whether it is beta-only.
fn device_fields(d: &AutopilotDevice) -> [(&'static str, Field<'_>, bool); 26] {
    use Field::{Null, Text, TextOrNull, Time};
    [
        (
            "deploymentProfileAssignmentStatus",
            Text(&d.deployment_profile_assignment_status),
            true,
        ),
        ("deploymentProfileAssignmentDetailedStatus", Text("none"), true),
        (
            "deploymentProfileAssignedDateTime",
            Time(d.deployment_profile_assigned_ms),
            true,
        ),
        ("groupTag", Text(&d.group_tag), false),
        (
            "purchaseOrderIdentifier",
            Text(&d.purchase_order_identifier),
            false,
        ),
        ("serialNumber", Text(&d.serial_number), false),
        ("productKey", Text(&d.product_key), false),
        ("manufacturer", Text(&d.manufacturer), false),
        ("model", Text(&d.model), false),
        ("enrollmentState", Text(&d.enrollment_state), false),
        ("lastContactedDateTime", Time(d.last_contacted_ms), false),
        ("addressableUserName", Text(&d.addressable_user_name), false),
        ("userPrincipalName", Text(&d.user_principal_name), false),
        ("resourceName", Text(""), false),
        ("skuNumber", Text(&d.sku_number), false),
        ("systemFamily", Text(&d.system_family), false),
        ("azureActiveDirectoryDeviceId", Text(&d.azure_ad_device_id), false),
        ("azureAdDeviceId", Text(&d.azure_ad_device_id), true),
        ("managedDeviceId", Text(&d.managed_device_id), false),
        ("displayName", Text(&d.display_name), false),
        ("deviceAccountUpn", Text(&d.device_account_upn), true),
        ("deviceAccountPassword", Null, true),
        ("deviceFriendlyName", TextOrNull(&d.device_friendly_name), true),
        ("remediationState", Text("unknown"), true),
        ("remediationStateLastModifiedDateTime", Time(None), true),
        ("userlessEnrollmentStatus", Text("unknown"), true),
    ]
}

const DEVICE_TYPE: &str = "#microsoft.graph.windowsAutopilotDeviceIdentity";

/// Renders a registered device for `version` as a JSON map.
pub(crate) fn render_device(d: &AutopilotDevice, version: ApiVersion) -> Map<String, Value> {
    let mut out = Map::with_capacity(28);
    out.insert("@odata.type".into(), json!(DEVICE_TYPE));
    out.insert("id".into(), json!(d.id));
    for (name, field, beta_only) in device_fields(d) {
        if beta_only && version == ApiVersion::V1 {
            continue;
        }
        let value = match field {
            Field::Text(text) => Value::String(text.to_owned()),
            Field::TextOrNull("") | Field::Null => Value::Null,
            Field::TextOrNull(text) => Value::String(text.to_owned()),
            Field::Time(ms) => intune_time_or_min(ms),
        };
        out.insert(name.into(), value);
    }
    out
}

fn write_json_str(out: &mut Vec<u8>, text: &str) {
    // Writing to a Vec cannot fail; serde_json escapes the string.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Writes the same JSON as [`render_device`] straight into `out`: the fast path for pages of
/// 1,000 devices.
pub(crate) fn write_device(out: &mut Vec<u8>, d: &AutopilotDevice, version: ApiVersion) {
    out.extend_from_slice(b"{\"@odata.type\":\"");
    out.extend_from_slice(DEVICE_TYPE.as_bytes());
    out.extend_from_slice(b"\",\"id\":");
    write_json_str(out, &d.id);
    for (name, field, beta_only) in device_fields(d) {
        if beta_only && version == ApiVersion::V1 {
            continue;
        }
        out.push(b',');
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        match field {
            Field::Text(text) => write_json_str(out, text),
            Field::TextOrNull("") | Field::Null => out.extend_from_slice(b"null"),
            Field::TextOrNull(text) => write_json_str(out, text),
            Field::Time(Some(ms)) => write_json_str(out, &intune_timestamp(ms)),
            Field::Time(None) => write_json_str(out, INTUNE_MIN_DATE),
        }
    }
    out.push(b'}');
}

fn device_property(d: &AutopilotDevice, name: &str) -> Option<Value> {
    let value = match name {
        "serialNumber" => &d.serial_number,
        "groupTag" => &d.group_tag,
        "purchaseOrderIdentifier" => &d.purchase_order_identifier,
        "userPrincipalName" => &d.user_principal_name,
        "manufacturer" => &d.manufacturer,
        "model" => &d.model,
        "enrollmentState" => &d.enrollment_state,
        "id" => &d.id,
        _ => return None,
    };
    Some(Value::String(value.clone()))
}

fn check_imported_body(
    body: &Map<String, Value>,
    version: ApiVersion,
) -> Result<Map<String, Value>, GraphError> {
    if let Some(t) = body.get("@odata.type").and_then(Value::as_str)
        && crate::schema::short_type(t) != IMPORTED
    {
        return Err(GraphError::model_validation(format!(
            "'{t}' is not 'microsoft.graph.{IMPORTED}'."
        )));
    }
    let mut props = validate_write(IMPORTED, body, Write::Create, version, Style::Intune)?;
    props.remove("state");
    let serial = props.get("serialNumber").and_then(Value::as_str).unwrap_or("");
    if serial.trim().is_empty() {
        return Err(intune_bad(SERVICE, "serialNumber is required."));
    }
    if props
        .get("hardwareIdentifier")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(intune_bad(
            SERVICE,
            "hardwareIdentifier (the base64 hardware hash) is required.",
        ));
    }
    Ok(props)
}

fn new_import(ctx: &mut Ctx<'_>, mut props: Map<String, Value>, import_id: &str) -> ImportedDevice {
    props.insert("importId".into(), json!(import_id));
    ImportedDevice {
        id: ctx.state.new_guid(),
        properties: props,
        import_status: "unknown".to_owned(),
        registration_id: String::new(),
        error_code: 0,
        error_name: String::new(),
        completes_at_ms: ctx.now + (ctx.config.import_processing_secs * 1000.0) as i64,
    }
}

/// `importedWindowsAutopilotDeviceIdentities…`
pub(crate) fn imported(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    const FRAGMENT: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
    let not_found =
        |id: &str| GraphError::intune_not_found(SERVICE, "ImportedWindowsAutopilotDeviceIdentity", id);
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            if ctx.query.filter.is_some() {
                return Err(intune_bad(
                    SERVICE,
                    "Filtering is not supported on imported device identities.",
                ));
            }
            ctx.check_select(IMPORTED)?;
            let spec = ctx.page_spec(Family::Intune)?;
            let (page, next) = take_page(&ctx.state.imported_devices, &spec, |_| true);
            let items = page
                .into_iter()
                .map(|d| Value::Object(select(render_imported(d), ctx.query.select.as_deref())))
                .collect();
            Ok(Reply::ok(collection(ctx.call, FRAGMENT, items, next, None)))
        }
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let props = check_imported_body(&body, ctx.version())?;
            let import_id = ctx.state.new_guid();
            let device = new_import(ctx, props, &import_id);
            let body = ctx.entity(FRAGMENT, render_imported(&device));
            ctx.state.stage_import(device);
            Ok(Reply::created(body))
        }
        (Method::Post, ["import"]) => {
            let body = ctx.call.json_body()?;
            let items = array_parameter(&body, "importedWindowsAutopilotDeviceIdentities")?;
            let mut checked = Vec::new();
            for item in items {
                let item = item
                    .as_object()
                    .ok_or_else(|| GraphError::model_validation("Each device must be an object."))?;
                checked.push(check_imported_body(item, ctx.version())?);
            }
            let import_id = ctx.state.new_guid();
            let mut out = Vec::new();
            for props in checked {
                let device = new_import(ctx, props, &import_id);
                out.push(Value::Object(render_imported(&device)));
                ctx.state.stage_import(device);
            }
            Ok(Reply::ok(collection(
                ctx.call,
                "Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)",
                out,
                None,
                None,
            )))
        }
        (Method::Get, [id]) => {
            let device = ctx.state.imported_devices.get(*id).ok_or_else(|| not_found(id))?;
            Ok(Reply::ok(ctx.entity(
                FRAGMENT,
                select(render_imported(device), ctx.query.select.as_deref()),
            )))
        }
        (Method::Delete, [id]) => {
            ctx.state
                .imported_devices
                .remove(*id)
                .ok_or_else(|| not_found(id))?;
            Ok(Reply::no_content())
        }
        (_, [] | [_]) => Err(no_route(ctx, Some(SERVICE))),
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

/// `windowsAutopilotDeviceIdentities…`
pub(crate) fn registered(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    const FRAGMENT: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
    let not_found = |id: &str| GraphError::intune_not_found(SERVICE, "WindowsAutopilotDeviceIdentity", id);
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            refuse_filters(ctx, SERVICE, "Autopilot devices", |clause| match clause {
                Clause::Contains(p, _) => {
                    matches!(p.as_str(), "serialNumber" | "groupTag" | "userPrincipalName")
                }
                Clause::Eq(p, _) => matches!(
                    p.as_str(),
                    "serialNumber" | "groupTag" | "enrollmentState" | "purchaseOrderIdentifier"
                ),
                _ => false,
            })?;
            ctx.check_select(REGISTERED)?;
            let spec = ctx.page_spec(Family::Intune)?;
            let clauses = ctx.query.filter.clone().unwrap_or_default();
            let keep =
                |d: &AutopilotDevice| clauses.is_empty() || matches(&clauses, |p| device_property(d, p));
            let (page, next) = take_page(&ctx.state.devices, &spec, keep);
            let version = ctx.version();
            let count = spec.after.is_none().then(|| {
                if clauses.is_empty() {
                    ctx.state.devices.len()
                } else {
                    ctx.state.devices.values().filter(|d| keep(d)).count()
                }
            });
            let mut link = next
                .as_deref()
                .map(|after| next_link(ctx.call, &encode_token(after)));
            if ctx.config.quirks.autopilot_top_loop && ctx.query.top.is_some() && link.is_some() {
                // The 2020 bug: the next link of a `$top` page points at the same page.
                let token = ctx.query.skiptoken.clone().unwrap_or_else(|| encode_token(""));
                link = Some(next_link(ctx.call, &token));
            }
            if ctx.query.select.is_none() {
                let mut out = Vec::with_capacity(page.len() * 1100 + 512);
                out.extend_from_slice(b"{\"@odata.context\":");
                write_json_str(&mut out, &ctx.context(FRAGMENT));
                if let Some(count) = count {
                    out.extend_from_slice(format!(",\"@odata.count\":{count}").as_bytes());
                }
                if let Some(link) = &link {
                    out.extend_from_slice(b",\"@odata.nextLink\":");
                    write_json_str(&mut out, link);
                }
                out.extend_from_slice(b",\"value\":[");
                for (index, device) in page.into_iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write_device(&mut out, device, version);
                }
                out.extend_from_slice(b"]}");
                return Ok(Reply::raw(200, out));
            }
            let items: Vec<Value> = page
                .into_iter()
                .map(|d| Value::Object(select(render_device(d, version), ctx.query.select.as_deref())))
                .collect();
            let mut body = collection(ctx.call, FRAGMENT, items, None, count);
            if let (Some(link), Some(map)) = (link, body.as_object_mut()) {
                let value = map.remove("value").unwrap_or(Value::Null);
                map.insert("@odata.nextLink".into(), json!(link));
                map.insert("value".into(), value);
            }
            Ok(Reply::ok(body))
        }
        (Method::Get, [id]) => {
            ctx.check_select(REGISTERED)?;
            let device = ctx.state.devices.get(*id).ok_or_else(|| not_found(id))?;
            Ok(Reply::ok(ctx.entity(
                FRAGMENT,
                select(render_device(device, ctx.version()), ctx.query.select.as_deref()),
            )))
        }
        (Method::Delete, [id]) => {
            ctx.state.devices.remove(*id).ok_or_else(|| not_found(id))?;
            Ok(Reply::no_content())
        }
        (Method::Post, [id, "updateDeviceProperties"]) => {
            let body = ctx.call.json_body()?;
            let mut allowed = vec![
                "userPrincipalName",
                "addressableUserName",
                "groupTag",
                "displayName",
            ];
            if ctx.version() == ApiVersion::Beta {
                allowed.extend(["deviceAccountUpn", "deviceAccountPassword", "deviceFriendlyName"]);
            }
            for (key, value) in &body {
                if !allowed.contains(&key.as_str()) {
                    return Err(GraphError::model_validation(format!(
                        "'{key}' is not a parameter of updateDeviceProperties; it takes {}.",
                        allowed.join(", ")
                    )));
                }
                if !value.is_string() && !value.is_null() {
                    return Err(GraphError::model_validation(format!("'{key}' must be a string.")));
                }
            }
            let device = ctx.state.devices.get_mut(*id).ok_or_else(|| not_found(id))?;
            let text = |key: &str| body.get(key).map(|v| v.as_str().unwrap_or("").to_owned());
            if let Some(v) = text("userPrincipalName") {
                device.user_principal_name = v;
            }
            if let Some(v) = text("addressableUserName") {
                device.addressable_user_name = v;
            }
            if let Some(v) = text("groupTag") {
                device.group_tag = v;
            }
            if let Some(v) = text("displayName") {
                device.display_name = v;
            }
            if let Some(v) = text("deviceAccountUpn") {
                device.device_account_upn = v;
            }
            if let Some(v) = text("deviceFriendlyName") {
                device.device_friendly_name = v;
            }
            Ok(Reply::no_content())
        }
        (Method::Post, [id, "assignUserToDevice"]) => {
            let body = ctx.call.json_body()?;
            let upn = body
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .ok_or_else(|| GraphError::model_validation("'userPrincipalName' is required."))?;
            let name = body
                .get("addressableUserName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let device = ctx.state.devices.get_mut(*id).ok_or_else(|| not_found(id))?;
            device.user_principal_name = upn.to_owned();
            device.addressable_user_name = name;
            Ok(Reply::no_content())
        }
        (Method::Post, [id, "unassignUserFromDevice"]) => {
            let device = ctx.state.devices.get_mut(*id).ok_or_else(|| not_found(id))?;
            device.user_principal_name.clear();
            device.addressable_user_name.clear();
            Ok(Reply::no_content())
        }
        (
            _,
            []
            | [_]
            | [
                _,
                "updateDeviceProperties" | "assignUserToDevice" | "unassignUserFromDevice",
            ],
        ) => Err(no_route(ctx, Some(SERVICE))),
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

/// `windowsAutopilotSettings…`
pub(crate) fn settings(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            let s = &ctx.state.autopilot_settings;
            let mut props = Map::new();
            props.insert("lastSyncDateTime".into(), intune_time_or_min(s.last_sync_ms));
            props.insert(
                "lastManualSyncTriggerDateTime".into(),
                intune_time_or_min(s.last_manual_trigger_ms),
            );
            props.insert("syncStatus".into(), json!(s.sync_status));
            let mut item = with_id(&s.id, Some("windowsAutopilotSettings"));
            render("windowsAutopilotSettings", &props, ctx.version(), &mut item);
            Ok(Reply::ok(
                ctx.entity("deviceManagement/windowsAutopilotSettings", item),
            ))
        }
        (Method::Post, ["sync"]) => {
            let settings = &mut ctx.state.autopilot_settings;
            if settings.sync_status == "inProgress" {
                return Err(GraphError::intune(
                    409,
                    "Conflict",
                    SERVICE,
                    "A sync is already in progress.",
                ));
            }
            let cooldown_ms = (ctx.config.sync_cooldown_secs * 1000.0) as i64;
            if let Some(last) = settings.last_manual_trigger_ms {
                let wait_ms = last + cooldown_ms - ctx.now;
                if wait_ms > 0 {
                    return Err(GraphError::intune(
                        429,
                        "TooManyRequests",
                        SERVICE,
                        format!(
                            "Syncs are limited to one every {} minutes; the last one was requested at {}.",
                            ctx.config.sync_cooldown_secs / 60.0,
                            intune_timestamp(last)
                        ),
                    ));
                }
            }
            settings.last_manual_trigger_ms = Some(ctx.now);
            let duration_ms = (ctx.config.sync_duration_secs * 1000.0) as i64;
            if duration_ms > 0 {
                settings.sync_status = "inProgress".to_owned();
                settings.sync_ends_at_ms = Some(ctx.now + duration_ms);
            } else {
                settings.sync_status = "completed".to_owned();
                settings.last_sync_ms = Some(ctx.now);
            }
            Ok(Reply::no_content())
        }
        (_, [] | ["sync"]) => Err(no_route(ctx, Some(SERVICE))),
        (_, [other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_writes_what_render_returns() {
        let device = AutopilotDevice {
            id: "d1".into(),
            serial_number: "S\"1\\".into(),
            group_tag: "Tag é".into(),
            deployment_profile_assigned_ms: Some(1_700_000_000_000),
            ..AutopilotDevice::default()
        };
        for version in [ApiVersion::V1, ApiVersion::Beta] {
            let mut bytes = Vec::new();
            write_device(&mut bytes, &device, version);
            let written: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(written, Value::Object(render_device(&device, version)));
        }
    }
}
