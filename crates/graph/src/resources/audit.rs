//! The tenant's audit logs, read for `hangar drift` to say who changed a drifted object.
//!
//! | log | request | permission (application, least privileged) |
//! |---|---|---|
//! | Intune | `GET /v1.0/deviceManagement/auditEvents?$filter=resources/any(r:r/resourceId eq '{id}') and activityDateTime ge {since} and activityOperationType ne 'Get'&$orderby=activityDateTime desc&$top={n}` | `DeviceManagementApps.Read.All` (Learn's "List auditEvents" names this one for every Intune audit event, Autopilot included) |
//! | Entra | `GET /v1.0/auditLogs/directoryAudits?$filter=targetResources/any(t:t/id eq '{id}') and activityDateTime ge {since}&$orderby=activityDateTime desc&$top={n}` | `AuditLog.Read.All` and `Directory.Read.All` |
//!
//! Only the first page is read: the newest events are what a reader of drift needs, and an
//! object edited a thousand times must not cost a thousand reads. Decoding is lenient (a
//! missing field is an empty string), as audit schemas carry what each service fills in.

use hangar_model::Kind;
use hangar_model::audit::{ActorKind, AuditLog, ChangeEvent};
use serde_json::Value;

use super::{Body, req_get, send_object, value_array};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, odata_string};

/// Intune's audit events about the object `resource_id` since `since` (`2026-11-01T00:00:00Z`),
/// newest first, at most `top`.
pub fn intune_events(ep: &Endpoint, resource_id: &str, since: &str, top: u32) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::V1,
        format!(
            "/deviceManagement/auditEvents?$filter=resources/any(r:r/resourceId%20eq%20'{}')%20and%20activityDateTime%20ge%20{since}%20and%20activityOperationType%20ne%20'Get'&$orderby=activityDateTime%20desc&$top={top}",
            odata_string(resource_id)
        ),
    )
}

/// Entra's directory audits targeting the object `target_id` since `since`, newest first, at
/// most `top`.
pub fn directory_audits(
    ep: &Endpoint,
    target_id: &str,
    since: &str,
    top: u32,
) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::V1,
        format!(
            "/auditLogs/directoryAudits?$filter=targetResources/any(t:t/id%20eq%20'{}')%20and%20activityDateTime%20ge%20{since}&$orderby=activityDateTime%20desc&$top={top}",
            odata_string(target_id)
        ),
    )
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn first_non_empty(candidates: &[Option<&Value>]) -> String {
    candidates
        .iter()
        .map(|value| text(*value))
        .find(|value| !value.trim().is_empty())
        .unwrap_or_default()
}

/// Names of `modifiedProperties[].displayName`, in order, without repeats or blanks.
fn property_names(resources: Option<&Value>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for resource in resources.and_then(Value::as_array).into_iter().flatten() {
        for property in resource
            .get("modifiedProperties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = text(property.get("displayName"));
            if !name.trim().is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// An Intune `auditEvent` as a change event.
pub fn intune_event(body: &Body) -> ChangeEvent {
    let actor = body.get("actor");
    let field = |name: &str| actor.and_then(|actor| actor.get(name));
    let actor_type = text(field("auditActorType"));
    let user = text(field("userPrincipalName"));
    // `ItPro` is a person in the portal; `Partner` and `Application` are apps. Some events
    // leave the type empty: a UPN still says it was a person.
    let actor_kind =
        if actor_type.eq_ignore_ascii_case("ItPro") || (actor_type.is_empty() && !user.is_empty()) {
            ActorKind::User
        } else if !actor_type.is_empty() || !text(field("applicationId")).is_empty() {
            ActorKind::Application
        } else {
            ActorKind::Unknown
        };
    let name = match actor_kind {
        ActorKind::User => first_non_empty(&[field("userPrincipalName"), field("userId")]),
        _ => first_non_empty(&[
            field("applicationDisplayName"),
            field("servicePrincipalName"),
            field("applicationId"),
            field("userPrincipalName"),
        ]),
    };
    ChangeEvent {
        log: AuditLog::Intune,
        at: text(body.get("activityDateTime")),
        actor: name,
        actor_kind,
        activity: first_non_empty(&[
            body.get("activity"),
            body.get("displayName"),
            body.get("activityType"),
        ]),
        properties: property_names(body.get("resources")),
    }
}

/// An Entra `directoryAudit` as a change event.
pub fn directory_audit(body: &Body) -> ChangeEvent {
    let initiated = body.get("initiatedBy");
    let user = initiated.and_then(|i| i.get("user")).filter(|u| u.is_object());
    let app = initiated.and_then(|i| i.get("app")).filter(|a| a.is_object());
    let (actor, actor_kind) = match (user, app) {
        (Some(user), _) => (
            first_non_empty(&[
                user.get("userPrincipalName"),
                user.get("displayName"),
                user.get("id"),
            ]),
            ActorKind::User,
        ),
        (None, Some(app)) => (
            first_non_empty(&[
                app.get("displayName"),
                app.get("servicePrincipalName"),
                app.get("appId"),
            ]),
            ActorKind::Application,
        ),
        (None, None) => (String::new(), ActorKind::Unknown),
    };
    ChangeEvent {
        log: AuditLog::Entra,
        at: text(body.get("activityDateTime")),
        actor,
        actor_kind,
        activity: text(body.get("activityDisplayName")),
        properties: property_names(body.get("targetResources")),
    }
}

/// The audit logs, on a client.
#[derive(Debug, Clone, Copy)]
pub struct AuditLogs<'c> {
    pub(crate) client: &'c GraphClient,
}

impl AuditLogs<'_> {
    /// The newest Intune events about `resource_id` (first page only).
    pub async fn intune(&self, resource_id: &str, since: &str, top: u32) -> Result<Vec<ChangeEvent>, Error> {
        let body = send_object(
            self.client,
            intune_events(self.client.endpoint(), resource_id, since, top),
        )
        .await?;
        Ok(events(body, intune_event))
    }

    /// The newest Entra directory audits targeting `target_id` (first page only).
    pub async fn entra(&self, target_id: &str, since: &str, top: u32) -> Result<Vec<ChangeEvent>, Error> {
        let body = send_object(
            self.client,
            directory_audits(self.client.endpoint(), target_id, since, top),
        )
        .await?;
        Ok(events(body, directory_audit))
    }
}

/// Most objects whose history one drift run reads (one request each).
pub const MAX_OBJECTS: usize = 50;

/// The log that records changes to objects of `kind`.
pub fn log_of(kind: Kind) -> AuditLog {
    match kind {
        Kind::DeviceGroup => AuditLog::Entra,
        _ => AuditLog::Intune,
    }
}

/// What [`recent_changes`] read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Per object id (as asked), its newest events; objects without events are left out.
    pub events: Vec<(String, Vec<ChangeEvent>)>,
    /// Why some history is missing (a log that refused the read, objects over the limit):
    /// one sentence each, for the output's warnings.
    pub notes: Vec<String>,
}

/// The newest `per_object` events since `since` of each object (`kind`, Graph id), the first
/// [`MAX_OBJECTS`]. Never fails: a log that refuses or fails is a note, and the rest of that
/// log is not asked (one refusal says all there is to say).
pub async fn recent_changes(
    client: &GraphClient,
    objects: &[(Kind, &str)],
    since: &str,
    per_object: u32,
) -> History {
    let logs = client.audit_logs();
    let mut history = History::default();
    let mut stopped: Vec<AuditLog> = Vec::new();
    for (kind, id) in objects.iter().take(MAX_OBJECTS) {
        let log = log_of(*kind);
        if stopped.contains(&log) {
            continue;
        }
        let read = match log {
            AuditLog::Intune => logs.intune(id, since, per_object).await,
            AuditLog::Entra => logs.entra(id, since, per_object).await,
        };
        match read {
            Ok(events) if events.is_empty() => {}
            Ok(events) => history.events.push(((*id).to_owned(), events)),
            Err(error) => {
                stopped.push(log);
                history.notes.push(refusal_note(log, &error));
            }
        }
    }
    if objects.len() > MAX_OBJECTS {
        history.notes.push(format!(
            "who changed what is shown for the first {MAX_OBJECTS} objects that differ; {} more were not looked up",
            objects.len() - MAX_OBJECTS
        ));
    }
    history
}

/// Why one log's history is missing, and what would let hangar read it.
fn refusal_note(log: AuditLog, error: &Error) -> String {
    let (what, permission) = match log {
        AuditLog::Intune => ("the Intune audit log", "DeviceManagementApps.Read.All"),
        AuditLog::Entra => ("the Entra audit log", "AuditLog.Read.All and Directory.Read.All"),
    };
    match error.status() {
        Some(401 | 403) => format!(
            "who changed what is not shown from {what}: the read was refused ({}); grant the app {permission} to see it",
            error.status().unwrap_or_default()
        ),
        _ => format!("who changed what is not shown from {what}: the read failed: {error}"),
    }
}

fn events(body: Body, decode: fn(&Body) -> ChangeEvent) -> Vec<ChangeEvent> {
    value_array(body)
        .iter()
        .filter_map(Value::as_object)
        .map(decode)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Body {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn intune_actors_are_people_or_apps() {
        // Learn's documented shape, with an admin's values.
        let event = intune_event(&body(json!({
            "activity": "Patch DeviceEnrollmentConfiguration",
            "activityDateTime": "2026-11-30T08:00:00Z",
            "actor": {"auditActorType": "ItPro", "userPrincipalName": "admin@contoso.com", "applicationDisplayName": "Microsoft Intune portal extension"},
            "resources": [{"resourceId": "r1", "modifiedProperties": [
                {"displayName": "priority", "oldValue": "1", "newValue": "2"},
                {"displayName": "priority", "oldValue": "1", "newValue": "2"},
                {"displayName": "", "newValue": "x"}
            ]}]
        })));
        assert_eq!(event.actor, "admin@contoso.com");
        assert_eq!(event.actor_kind, ActorKind::User);
        assert_eq!(event.properties, ["priority"]);
        let app = intune_event(&body(json!({
            "displayName": "Create DeviceConfiguration",
            "actor": {"auditActorType": "Application", "applicationDisplayName": "hangar", "applicationId": "a1"}
        })));
        assert_eq!(
            (app.actor.as_str(), app.actor_kind),
            ("hangar", ActorKind::Application)
        );
        assert_eq!(app.activity, "Create DeviceConfiguration");
        let empty = intune_event(&body(json!({})));
        assert_eq!(empty.actor_kind, ActorKind::Unknown);
    }

    #[test]
    fn entra_initiators() {
        let event = directory_audit(&body(json!({
            "activityDisplayName": "Update group",
            "activityDateTime": "2026-11-30T08:00:00Z",
            "initiatedBy": {"user": {"userPrincipalName": "admin@contoso.com"}, "app": null},
            "targetResources": [{"id": "g1", "modifiedProperties": [{"displayName": "Description"}]}]
        })));
        assert_eq!(event.actor, "admin@contoso.com");
        assert_eq!(event.properties, ["Description"]);
        let app = directory_audit(&body(json!({
            "initiatedBy": {"user": null, "app": {"displayName": "hangar", "appId": "a1"}}
        })));
        assert_eq!(
            (app.actor.as_str(), app.actor_kind),
            ("hangar", ActorKind::Application)
        );
    }

    #[test]
    fn ids_are_quoted_in_filters() {
        let ep = Endpoint::new(hangar_model::Cloud::GccHigh);
        let request = intune_events(&ep, "o'id", "2026-11-01T00:00:00Z", 5).unwrap();
        assert!(
            request
                .url
                .as_str()
                .starts_with("https://graph.microsoft.us/v1.0/deviceManagement/auditEvents?")
        );
        assert!(request.relative.contains("'o%27%27id'"), "{}", request.relative);
    }
}
