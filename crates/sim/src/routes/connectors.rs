//! `GET /beta/deviceManagement/domainJoinConnectors[/{id}]`: the Intune Connectors for Active
//! Directory (`deviceManagementDomainJoinConnector`) that hybrid-joined Autopilot devices need.
//! A connector whose `lastConnectionMs` is unset is running and reports the current simulated
//! time. Application permission `DeviceManagementConfiguration.Read.All` (or `…ReadWrite.All`),
//! refused with Intune's "Application is not authorized" 403 otherwise.

use serde_json::{Map, Value, json};

use super::{Ctx, no_route, with_id};
use crate::clock::intune_timestamp;
use crate::odata::Method;
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::schema::{ApiVersion, render};
use crate::tenant_settings::DomainJoinConnector;

const TYPE: &str = "deviceManagementDomainJoinConnector";
const FRAGMENT: &str = "deviceManagement/domainJoinConnectors";
const READ: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];

/// Intune's answer to a token without one of `permissions`.
pub(crate) fn intune_forbidden(ctx: &Ctx<'_>, service: IntuneService, permissions: &[&str]) -> GraphError {
    let who = if ctx.call.grant.delegated {
        "User"
    } else {
        "Application"
    };
    GraphError::intune(
        403,
        "Forbidden",
        service,
        format!(
            "{who} is not authorized to perform this operation. {who} must have one of the following scopes: {}",
            permissions.join(", ")
        ),
    )
}

/// `domainJoinConnectors…`
pub(crate) fn connectors(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    if ctx.method() != &Method::Get {
        return Err(no_route(ctx, Some(IntuneService::DeviceConfiguration)));
    }
    if !ctx.call.grant.allows_any(READ) {
        return Err(intune_forbidden(ctx, IntuneService::DeviceConfiguration, READ));
    }
    ctx.no_query_options(&["$select"])?;
    ctx.check_select(TYPE)?;
    let now = ctx.now;
    let render_one = |connector: &DomainJoinConnector| -> Map<String, Value> {
        let mut props = Map::new();
        props.insert("displayName".into(), json!(connector.display_name));
        props.insert(
            "lastConnectionDateTime".into(),
            json!(intune_timestamp(connector.last_connection_ms.unwrap_or(now))),
        );
        props.insert("state".into(), json!(connector.state));
        props.insert("version".into(), json!(connector.version));
        let mut out = with_id(&connector.id, Some(TYPE));
        render(TYPE, &props, ApiVersion::Beta, &mut out);
        crate::paging::select(out, ctx.query.select.as_deref())
    };
    let all = &ctx.state.tenant_settings.connectors;
    match rest {
        [] => {
            let items = all.iter().map(|c| Value::Object(render_one(c))).collect();
            Ok(Reply::ok(crate::paging::collection(
                ctx.call, FRAGMENT, items, None, None,
            )))
        }
        [id] => {
            let connector = all
                .iter()
                .find(|c| c.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| {
                    GraphError::intune_not_found(
                        IntuneService::DeviceConfiguration,
                        "DomainJoinConnector",
                        id,
                    )
                })?;
            let item = render_one(connector);
            Ok(Reply::ok(ctx.entity(FRAGMENT, item)))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}
