//! `/beta/deviceManagement/assignmentFilters[/{id}]`: Intune assignment filters
//! (`deviceAndAppManagementAssignmentFilter`: `displayName`, `description`, `platform`, `rule`,
//! `roleScopeTags`, `assignmentFilterManagementType`). List, get, create and delete, as the
//! admin center uses them; hangar only reads them, to resolve `filter:` names to ids. Beta
//! only, like every Intune filter API. Read needs `DeviceManagementConfiguration.Read.All` (or
//! `…ReadWrite.All`), write `…ReadWrite.All`, refused with Intune's 403 otherwise.
//!
//! The type is not in the Autopilot metadata extract the simulator validates against, so the
//! body is checked here: `displayName`, `platform` and `rule` are required strings.

use serde_json::{Map, Value, json};

use super::connectors::intune_forbidden;
use super::intune::{intune_bad, stamp_create};
use super::{Ctx, no_route, with_id};
use crate::odata::Method;
use crate::reply::{GraphError, IntuneService, Outcome, Reply};

const TYPE: &str = "deviceAndAppManagementAssignmentFilter";
const FRAGMENT: &str = "deviceManagement/assignmentFilters";
const SERVICE: IntuneService = IntuneService::DeviceConfiguration;
const READ: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const WRITE: &[&str] = &["DeviceManagementConfiguration.ReadWrite.All"];
/// The properties a filter has (Microsoft Learn, `intune-policyset-deviceandappmanagementassignmentfilter`).
const PROPERTIES: &[&str] = &[
    "createdDateTime",
    "lastModifiedDateTime",
    "displayName",
    "description",
    "platform",
    "rule",
    "roleScopeTags",
    "assignmentFilterManagementType",
];

fn render(id: &str, stored: &Map<String, Value>, select: Option<&[String]>) -> Value {
    let mut out = with_id(id, Some(TYPE));
    for name in PROPERTIES {
        out.insert(
            (*name).to_owned(),
            stored.get(*name).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(crate::paging::select(out, select))
}

/// `assignmentFilters…`
pub(crate) fn assignment_filters(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    let writes = !matches!(ctx.method(), Method::Get);
    let needed = if writes { WRITE } else { READ };
    if !ctx.call.grant.allows_any(needed) {
        return Err(intune_forbidden(ctx, SERVICE, needed));
    }
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            ctx.no_query_options(&["$select"])?;
            let select = ctx.query.select.clone();
            let items = ctx
                .state
                .assignment_filters
                .iter()
                .map(|(id, stored)| render(id, stored, select.as_deref()))
                .collect();
            Ok(Reply::ok(crate::paging::collection(
                ctx.call, FRAGMENT, items, None, None,
            )))
        }
        (Method::Get, [id]) => {
            ctx.no_query_options(&["$select"])?;
            let select = ctx.query.select.clone();
            let (key, stored) = find(ctx, id)?;
            Ok(Reply::ok(render(&key, &stored, select.as_deref())))
        }
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let mut stored = Map::new();
            for name in ["displayName", "platform", "rule"] {
                match body.get(name) {
                    Some(Value::String(text)) if !text.trim().is_empty() => {
                        stored.insert(name.into(), json!(text));
                    }
                    _ => {
                        return Err(intune_bad(
                            SERVICE,
                            format!("An assignment filter needs a non-empty '{name}'."),
                        ));
                    }
                }
            }
            for name in ["description", "roleScopeTags", "assignmentFilterManagementType"] {
                if let Some(value) = body.get(name) {
                    stored.insert(name.into(), value.clone());
                }
            }
            stored
                .entry("assignmentFilterManagementType")
                .or_insert_with(|| json!("devices"));
            stored.entry("roleScopeTags").or_insert_with(|| json!(["0"]));
            stamp_create(&mut stored, ctx.now);
            let id = ctx.state.new_guid();
            ctx.state.assignment_filters.insert(id.clone(), stored.clone());
            Ok(Reply::created(render(&id, &stored, None)))
        }
        (Method::Delete, [id]) => {
            let (key, _) = find(ctx, id)?;
            ctx.state.assignment_filters.remove(&key);
            Ok(Reply::no_content())
        }
        _ => Err(no_route(ctx, Some(SERVICE))),
    }
}

fn find(ctx: &Ctx<'_>, id: &str) -> Result<(String, Map<String, Value>), GraphError> {
    ctx.state
        .assignment_filters
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(id))
        .map(|(key, stored)| (key.clone(), stored.clone()))
        .ok_or_else(|| GraphError::intune_not_found(SERVICE, "DeviceAndAppManagementAssignmentFilter", id))
}

/// Whether a filter id names a filter of the tenant (the zero GUID and empty mean "none").
pub(crate) fn filter_exists(ctx: &Ctx<'_>, id: &str) -> bool {
    let id = id.trim();
    id.is_empty()
        || id == "00000000-0000-0000-0000-000000000000"
        || ctx
            .state
            .assignment_filters
            .keys()
            .any(|key| key.eq_ignore_ascii_case(id))
}
