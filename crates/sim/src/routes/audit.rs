//! The audit logs: every write the simulator answers is recorded (`record`), as Intune records
//! its own objects' changes in `deviceManagement/auditEvents` and Entra records group changes
//! in `auditLogs/directoryAudits`; both are served here with the `$filter` forms clients use
//! to ask about one object:
//!
//! - `resources/any(r:r/resourceId eq 'ID')` (Intune), `targetResources/any(t:t/id eq 'ID')`
//!   (Entra);
//! - `activityDateTime ge|gt|le|lt 2026-11-01T00:00:00Z`;
//! - `activityOperationType eq|ne 'Get'` (Intune);
//!
//! joined by `and`, with `$orderby=activityDateTime [asc|desc]`, `$top` and next links.
//! Permissions as Learn lists them: `DeviceManagementApps.Read.All` (or `ReadWrite`) for
//! Intune's; `AuditLog.Read.All` and `Directory.Read.All` for Entra's.
//!
//! A "portal edit" in a test is a write with another token (`Sim::issue_delegated_token` for
//! a person): the event names that user, or the application for an app token.

use serde_json::{Map, Value, json};

use super::Ctx;
use super::connectors::intune_forbidden;
use super::entra_policies::insufficient_privileges;
use crate::clock::{directory_timestamp, intune_timestamp, parse_timestamp};
use crate::odata::{Call, Method};
use crate::paging::{Family, collection, encode_token};
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::state::{AuditLog, AuditRecord, SimState, guid_from};

/// Most events kept (oldest dropped first), so a long-lived state file stays small.
pub(crate) const KEPT: usize = 10_000;

const INTUNE_READ: &[&str] = &[
    "DeviceManagementApps.Read.All",
    "DeviceManagementApps.ReadWrite.All",
];
const AUDIT_READ: &[&str] = &["AuditLog.Read.All"];
const DIRECTORY_READ: &[&str] = &["Directory.Read.All", "Directory.ReadWrite.All"];

/// Whether `segments` is one of the audit collections (their `$filter` is parsed here, not by
/// the common parser, which has no lambda operators).
pub(crate) fn is_audit_path(segments: &[String]) -> bool {
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    matches!(
        segments.as_slice(),
        ["deviceManagement", "auditEvents", ..] | ["auditLogs", "directoryAudits", ..]
    )
}

/// The Intune collection → the type name its audit events carry.
const INTUNE_TYPES: &[(&str, &str)] = &[
    (
        "windowsAutopilotDeploymentProfiles",
        "WindowsAutopilotDeploymentProfile",
    ),
    ("deviceEnrollmentConfigurations", "DeviceEnrollmentConfiguration"),
    ("deviceConfigurations", "DeviceConfiguration"),
    ("configurationPolicies", "DeviceManagementConfigurationPolicy"),
    (
        "windowsAutopilotDeviceIdentities",
        "WindowsAutopilotDeviceIdentity",
    ),
    (
        "importedWindowsAutopilotDeviceIdentities",
        "ImportedWindowsAutopilotDeviceIdentity",
    ),
];

/// The properties of the object a write path names (before or after the write).
fn object_properties<'s>(state: &'s SimState, segments: &[&str]) -> Option<&'s Map<String, Value>> {
    match segments {
        ["groups", id, ..] => state.groups.get(*id).map(|g| &g.properties),
        ["deviceManagement", collection, id, ..] => match *collection {
            "windowsAutopilotDeploymentProfiles" => state.deployment_profiles.get(*id).map(|o| &o.properties),
            "deviceEnrollmentConfigurations" => {
                state.enrollment_configurations.get(*id).map(|o| &o.properties)
            }
            "deviceConfigurations" => state.device_configurations.get(*id).map(|o| &o.properties),
            "configurationPolicies" => state.configuration_policies.get(*id).map(|o| &o.properties),
            "importedWindowsAutopilotDeviceIdentities" => {
                state.imported_devices.get(*id).map(|o| &o.properties)
            }
            _ => None,
        },
        _ => None,
    }
}

/// What a write's audit event needs from before the write: the object's properties.
pub(crate) fn before(state: &SimState, call: &Call) -> Option<Map<String, Value>> {
    if !call.method.is_write() {
        return None;
    }
    let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    object_properties(state, &segments).cloned()
}

/// Records the audit event of a write that succeeded.
pub(crate) fn record(
    state: &mut SimState,
    call: &Call,
    reply: &Reply,
    before: Option<Map<String, Value>>,
    now: i64,
) {
    if !call.method.is_write() || reply.status >= 300 {
        return;
    }
    let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    let created_id = || {
        reply
            .body
            .as_ref()
            .and_then(|body| body.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let method = &call.method;
    // (log, resource type, id, operation, activity, whether the body's properties are the change)
    let (log, resource_type, id, operation, activity, body_is_change) = match segments.as_slice() {
        ["groups"] if *method == Method::Post => {
            let Some(id) = created_id() else { return };
            (
                AuditLog::Entra,
                "Group".to_owned(),
                id,
                "Add",
                "Add group".to_owned(),
                true,
            )
        }
        ["groups", id] => match method {
            Method::Delete => (
                AuditLog::Entra,
                "Group".to_owned(),
                (*id).to_owned(),
                "Delete",
                "Delete group".to_owned(),
                false,
            ),
            _ => (
                AuditLog::Entra,
                "Group".to_owned(),
                (*id).to_owned(),
                "Update",
                "Update group".to_owned(),
                true,
            ),
        },
        ["groups", id, "owners", ..] => {
            let activity = if *method == Method::Delete {
                "Remove owner from group"
            } else {
                "Add owner to group"
            };
            (
                AuditLog::Entra,
                "Group".to_owned(),
                (*id).to_owned(),
                "Update",
                activity.to_owned(),
                false,
            )
        }
        ["deviceManagement", collection, rest @ ..] => {
            let Some((_, type_name)) = INTUNE_TYPES.iter().find(|(name, _)| name == collection) else {
                return;
            };
            match (rest, method) {
                ([], Method::Post) => {
                    let Some(id) = created_id() else { return };
                    (
                        AuditLog::Intune,
                        (*type_name).to_owned(),
                        id,
                        "Create",
                        format!("Create {type_name}"),
                        true,
                    )
                }
                ([id], Method::Delete) => (
                    AuditLog::Intune,
                    (*type_name).to_owned(),
                    (*id).to_owned(),
                    "Delete",
                    format!("Delete {type_name}"),
                    false,
                ),
                ([id], Method::Patch | Method::Put) => (
                    AuditLog::Intune,
                    (*type_name).to_owned(),
                    (*id).to_owned(),
                    "Patch",
                    format!("Patch {type_name}"),
                    true,
                ),
                ([id, action, ..], _) => (
                    AuditLog::Intune,
                    (*type_name).to_owned(),
                    (*id).to_owned(),
                    "Action",
                    format!("{action} {type_name}"),
                    false,
                ),
                // An action on the collection itself (`import`), no one object.
                _ => return,
            }
        }
        _ => return,
    };
    let after: Option<Map<String, Value>> = if operation == "Delete" {
        None
    } else {
        let path: Vec<&str> = match log {
            AuditLog::Entra => vec!["groups", &id],
            AuditLog::Intune => vec!["deviceManagement", segments[1], &id],
        };
        object_properties(state, &path).cloned()
    };
    let name_of = |properties: &Map<String, Value>| {
        properties
            .get("displayName")
            .or_else(|| properties.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let resource_name = after
        .as_ref()
        .and_then(name_of)
        .or_else(|| before.as_ref().and_then(name_of))
        .unwrap_or_default();
    let mut properties = Vec::new();
    if body_is_change && let Ok(body) = call.json_body() {
        for (name, new) in body {
            if name == "id" || name.starts_with('@') {
                continue;
            }
            let old = before
                .as_ref()
                .and_then(|b| b.get(&name))
                .cloned()
                .unwrap_or(Value::Null);
            properties.push((name, old.to_string(), new.to_string()));
        }
    }
    // Deterministic, and apart from the object ids (which come from `next_id`, untouched here).
    let sequence =
        state.audit_events.last().map_or(0, |last| last.at_ms as u64) + state.audit_events.len() as u64;
    let event = AuditRecord {
        id: guid_from(
            sequence.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            now as u64 ^ 0xA0D1_7E7E,
        ),
        at_ms: now,
        log,
        operation: operation.to_owned(),
        activity,
        resource_type,
        resource_id: id,
        resource_name,
        client_id: call.client_id.clone(),
        user: call.grant.user.clone(),
        properties,
    };
    if state.audit_events.len() >= KEPT {
        state.audit_events.remove(0);
    }
    state.audit_events.push(event);
}

/// One condition of an audit `$filter`.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    /// The lambda over the resources: this object id.
    Object(String),
    /// `activityDateTime` compared with a time (ms): `ge`, `gt`, `le`, `lt`.
    Time(&'static str, i64),
    /// `activityOperationType eq|ne 'X'`.
    Operation(bool, String),
}

fn invalid(clause: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Invalid filter clause: '{clause}' is not supported on this collection."
    ))
}

/// Splits on ` and ` outside quotes.
fn split_and(text: &str) -> Vec<String> {
    let mut clauses = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && c == ' ' {
            let rest: String = chars[i..chars.len().min(i + 5)].iter().collect();
            if rest.eq_ignore_ascii_case(" and ") {
                clauses.push(std::mem::take(&mut current));
                i += 5;
                continue;
            }
        }
        current.push(c);
        i += 1;
    }
    clauses.push(current);
    clauses.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// A single-quoted literal (`''` is a quote).
fn literal(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// Parses a filter: `collection` and `key` name the lambda (`resources`/`resourceId`,
/// `targetResources`/`id`).
fn parse(filter: &str, collection: &str, key: &str, operations: bool) -> Result<Vec<Condition>, GraphError> {
    let mut conditions = Vec::new();
    for clause in split_and(filter) {
        let lower = clause.to_ascii_lowercase();
        if let Some(inner) = lower
            .strip_prefix(&format!("{}/any(", collection.to_ascii_lowercase()))
            .and_then(|_| clause.get(collection.len() + 5..clause.len().saturating_sub(1)))
            .filter(|_| clause.ends_with(')'))
        {
            let (variable, body) = inner.split_once(':').ok_or_else(|| invalid(&clause))?;
            let body = body.trim();
            let property = format!("{}/{key}", variable.trim());
            let rest = body
                .get(..property.len())
                .filter(|p| p.eq_ignore_ascii_case(&property))
                .map(|_| body[property.len()..].trim_start())
                .ok_or_else(|| invalid(&clause))?;
            let value = rest
                .get(..3)
                .filter(|op| op.eq_ignore_ascii_case("eq "))
                .and_then(|_| literal(&rest[3..]))
                .ok_or_else(|| invalid(&clause))?;
            conditions.push(Condition::Object(value));
            continue;
        }
        let words: Vec<&str> = clause.splitn(3, ' ').collect();
        match words.as_slice() {
            [property, op, value] if property.eq_ignore_ascii_case("activityDateTime") => {
                let op = match op.to_ascii_lowercase().as_str() {
                    "ge" => "ge",
                    "gt" => "gt",
                    "le" => "le",
                    "lt" => "lt",
                    _ => return Err(invalid(&clause)),
                };
                let at = parse_timestamp(value.trim()).ok_or_else(|| invalid(&clause))?;
                conditions.push(Condition::Time(op, at));
            }
            [property, op, value] if operations && property.eq_ignore_ascii_case("activityOperationType") => {
                let equal = match op.to_ascii_lowercase().as_str() {
                    "eq" => true,
                    "ne" => false,
                    _ => return Err(invalid(&clause)),
                };
                let value = literal(value).ok_or_else(|| invalid(&clause))?;
                conditions.push(Condition::Operation(equal, value));
            }
            _ => return Err(invalid(&clause)),
        }
    }
    Ok(conditions)
}

fn passes(event: &AuditRecord, conditions: &[Condition]) -> bool {
    conditions.iter().all(|condition| match condition {
        Condition::Object(id) => event.resource_id.eq_ignore_ascii_case(id),
        Condition::Time("ge", at) => event.at_ms >= *at,
        Condition::Time("gt", at) => event.at_ms > *at,
        Condition::Time("le", at) => event.at_ms <= *at,
        Condition::Time(_, at) => event.at_ms < *at,
        Condition::Operation(equal, operation) => event.operation.eq_ignore_ascii_case(operation) == *equal,
    })
}

/// The filter text as sent (the common query parser skipped it).
fn raw_filter(call: &Call) -> Option<&str> {
    call.query
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("$filter"))
        .map(|(_, value)| value.as_str())
}

/// The matching events of `log`, ordered and paged.
fn page(
    ctx: &Ctx<'_>,
    log: AuditLog,
    family: Family,
    conditions: &[Condition],
) -> Result<(Vec<AuditRecord>, Option<String>), GraphError> {
    let descending = match ctx.query.orderby.as_deref().map(str::trim) {
        None => false,
        Some(order) => {
            let lower = order.to_ascii_lowercase();
            match lower.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["activitydatetime"] | ["activitydatetime", "asc"] => false,
                ["activitydatetime", "desc"] => true,
                _ => {
                    return Err(GraphError::bad_request(format!(
                        "Invalid $orderby: '{order}'; this collection orders by activityDateTime only."
                    )));
                }
            }
        }
    };
    let spec = ctx.page_spec(family)?;
    let mut events: Vec<&AuditRecord> = ctx
        .state
        .audit_events
        .iter()
        .filter(|event| event.log == log && passes(event, conditions))
        .collect();
    if descending {
        events.reverse();
    }
    // The skip token carries the position of the next event in this order.
    let start = spec
        .after
        .as_deref()
        .and_then(|after| after.parse::<usize>().ok())
        .unwrap_or(0)
        + spec.skip;
    let end = (start + spec.size).min(events.len());
    let next = (end < events.len()).then(|| end.to_string());
    let page = events
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|e| (*e).clone())
        .collect();
    Ok((page, next))
}

/// `deviceManagement/auditEvents`.
pub(crate) fn intune_events(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    if ctx.method() != &Method::Get || !rest.is_empty() {
        return Err(super::no_route(ctx, Some(IntuneService::Enrollment)));
    }
    if !ctx.call.grant.allows_any(INTUNE_READ) {
        return Err(intune_forbidden(ctx, IntuneService::Enrollment, INTUNE_READ));
    }
    ctx.no_query_options(&["$top", "$skip", "$skiptoken", "$select", "$orderby"])?;
    let conditions = match raw_filter(ctx.call) {
        Some(filter) => parse(filter, "resources", "resourceId", true)?,
        None => Vec::new(),
    };
    let (events, next) = page(ctx, AuditLog::Intune, Family::Intune, &conditions)?;
    let items = events
        .iter()
        .map(|event| Value::Object(render_intune(event)))
        .collect();
    let body = collection(ctx.call, "deviceManagement/auditEvents", items, None, None);
    Ok(Reply::json(200, with_next(ctx.call, body, next)))
}

/// `auditLogs/directoryAudits`.
pub(crate) fn directory_audits(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    if ctx.method() != &Method::Get || !rest.is_empty() {
        return Err(super::no_route(ctx, None));
    }
    if !(ctx.call.grant.allows_any(AUDIT_READ) && ctx.call.grant.allows_any(DIRECTORY_READ)) {
        return Err(insufficient_privileges());
    }
    ctx.no_query_options(&["$top", "$skiptoken", "$select", "$orderby"])?;
    let conditions = match raw_filter(ctx.call) {
        Some(filter) => parse(filter, "targetResources", "id", false)?,
        None => Vec::new(),
    };
    let (events, next) = page(ctx, AuditLog::Entra, Family::Directory, &conditions)?;
    let items = events
        .iter()
        .map(|event| Value::Object(render_entra(event)))
        .collect();
    let body = collection(ctx.call, "auditLogs/directoryAudits", items, None, None);
    Ok(Reply::json(200, with_next(ctx.call, body, next)))
}

/// Adds `@odata.nextLink` for the position `next`.
fn with_next(call: &Call, mut body: Value, next: Option<String>) -> Value {
    if let (Some(next), Some(map)) = (next, body.as_object_mut()) {
        let link = crate::paging::next_link(call, &encode_token(&next));
        map.insert("@odata.nextLink".into(), json!(link));
    }
    body
}

fn render_intune(event: &AuditRecord) -> Map<String, Value> {
    let actor = match &event.user {
        Some(user) => json!({
            "type": "ItPro",
            "auditActorType": "ItPro",
            "userPermissions": ["*"],
            "applicationId": event.client_id,
            "applicationDisplayName": "Microsoft Intune portal extension",
            "userPrincipalName": user,
            "servicePrincipalName": null,
            "ipAddress": "127.0.0.1",
            "userId": guid_from(user.len() as u64, user.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))),
        }),
        None => json!({
            "type": "Application",
            "auditActorType": "Application",
            "userPermissions": [],
            "applicationId": event.client_id,
            "applicationDisplayName": event.client_id,
            "userPrincipalName": null,
            "servicePrincipalName": event.client_id,
            "ipAddress": "127.0.0.1",
            "userId": null,
        }),
    };
    let modified: Vec<Value> = event
        .properties
        .iter()
        .map(|(name, old, new)| json!({"displayName": name, "oldValue": old, "newValue": new}))
        .collect();
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!("#microsoft.graph.auditEvent"));
    out.insert("id".into(), json!(event.id));
    out.insert("displayName".into(), json!(event.activity));
    out.insert("componentName".into(), json!("Enrollment"));
    out.insert("actor".into(), actor);
    out.insert("activity".into(), json!(event.activity));
    out.insert("activityDateTime".into(), json!(intune_timestamp(event.at_ms)));
    out.insert("activityType".into(), json!(event.activity));
    out.insert("activityOperationType".into(), json!(event.operation));
    out.insert("activityResult".into(), json!("Success"));
    out.insert(
        "correlationId".into(),
        json!(guid_from(event.at_ms as u64, 0x00C0_FFEE)),
    );
    out.insert(
        "resources".into(),
        json!([{
            "displayName": event.resource_name,
            "modifiedProperties": modified,
            "type": event.resource_type,
            "auditResourceType": event.resource_type,
            "resourceId": event.resource_id,
        }]),
    );
    out.insert("category".into(), json!("Enrollment"));
    out
}

fn render_entra(event: &AuditRecord) -> Map<String, Value> {
    let (user, app) = match &event.user {
        Some(upn) => (
            json!({"id": null, "displayName": null, "userPrincipalName": upn, "ipAddress": "127.0.0.1"}),
            Value::Null,
        ),
        None => (
            Value::Null,
            json!({"appId": event.client_id, "displayName": event.client_id, "servicePrincipalId": null, "servicePrincipalName": null}),
        ),
    };
    // Entra writes old and new values as JSON arrays in a string.
    let modified: Vec<Value> = event
        .properties
        .iter()
        .map(|(name, old, new)| {
            let wrap = |text: &str| {
                if text == "null" {
                    "[]".to_owned()
                } else {
                    format!("[{text}]")
                }
            };
            json!({"displayName": name, "oldValue": wrap(old), "newValue": wrap(new)})
        })
        .collect();
    let operation = match event.operation.as_str() {
        "Delete" => "Delete",
        "Add" => "Add",
        _ => "Update",
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("Directory_{}", event.id)));
    out.insert("category".into(), json!("GroupManagement"));
    out.insert(
        "correlationId".into(),
        json!(guid_from(event.at_ms as u64, 0x00C0_FFEE)),
    );
    out.insert("result".into(), json!("success"));
    out.insert("resultReason".into(), json!(""));
    out.insert("activityDisplayName".into(), json!(event.activity));
    out.insert("activityDateTime".into(), json!(directory_timestamp(event.at_ms)));
    out.insert("loggedByService".into(), json!("Core Directory"));
    out.insert("operationType".into(), json!(operation));
    out.insert("initiatedBy".into(), json!({"user": user, "app": app}));
    out.insert(
        "targetResources".into(),
        json!([{
            "id": event.resource_id,
            "displayName": event.resource_name,
            "type": event.resource_type,
            "userPrincipalName": null,
            "groupType": null,
            "modifiedProperties": modified,
        }]),
    );
    out.insert("additionalDetails".into(), json!([]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_as_clients_send_them() {
        let conditions = parse(
            "resources/any(r:r/resourceId eq 'a''b') and activityDateTime ge 2026-11-01T00:00:00Z and activityOperationType ne 'Get'",
            "resources",
            "resourceId",
            true,
        )
        .unwrap();
        assert_eq!(conditions[0], Condition::Object("a'b".into()));
        assert!(matches!(conditions[1], Condition::Time("ge", _)));
        assert_eq!(conditions[2], Condition::Operation(false, "Get".into()));
        let entra = parse(
            "targetResources/any(t: t/id eq 'g1')",
            "targetResources",
            "id",
            false,
        )
        .unwrap();
        assert_eq!(entra, [Condition::Object("g1".into())]);
        for refused in [
            "displayName eq 'x'",
            "resources/any(r:r/displayName eq 'x')",
            "activityDateTime ge yesterday",
            "activityOperationType ne 'Get'",
        ] {
            assert!(
                parse(refused, "targetResources", "id", false).is_err(),
                "{refused}"
            );
        }
    }
}
