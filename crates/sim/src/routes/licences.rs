//! `GET /subscribedSkus[/{id}]` (v1.0 and beta): the tenant's subscriptions and their service
//! plans, the licences `hangar doctor` looks for Intune in. The whole list in one page, as
//! Graph answers it; only `$select` is supported. Application permission
//! `Organization.Read.All` (or `Directory.Read.All`, or a write permission).

use serde_json::{Map, Value, json};

use super::{Ctx, no_route, with_id};
use crate::odata::Method;
use crate::reply::{GraphError, Outcome, Reply};
use crate::schema::render;
use crate::tenant_settings::Subscription;

const READ: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// `/subscribedSkus…`
pub(crate) fn subscribed_skus(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    if ctx.method() != &Method::Get {
        return Err(no_route(ctx, None));
    }
    if !ctx.call.grant.allows_any(READ) {
        return Err(super::entra_policies::insufficient_privileges());
    }
    ctx.no_query_options(&["$select"])?;
    ctx.check_select("subscribedSku")?;
    let tenant = ctx.state.tenant_id.clone();
    let render_one = |sku: &Subscription| -> Map<String, Value> {
        let mut props = Map::new();
        props.insert("accountId".into(), json!(tenant));
        props.insert("accountName".into(), json!("Simulated tenant"));
        props.insert("appliesTo".into(), json!("User"));
        props.insert("capabilityStatus".into(), json!(sku.capability_status));
        props.insert("consumedUnits".into(), json!(sku.consumed_units));
        props.insert(
            "prepaidUnits".into(),
            json!({"enabled": sku.enabled_units, "lockedOut": 0, "suspended": 0, "warning": 0}),
        );
        props.insert(
            "servicePlans".into(),
            Value::Array(
                sku.service_plans
                    .iter()
                    .map(|plan| {
                        json!({
                            "servicePlanId": plan.id,
                            "servicePlanName": plan.name,
                            "provisioningStatus": plan.provisioning_status,
                            "appliesTo": "User",
                        })
                    })
                    .collect(),
            ),
        );
        props.insert("skuId".into(), json!(sku.sku_id));
        props.insert("skuPartNumber".into(), json!(sku.sku_part_number));
        props.insert("subscriptionIds".into(), json!([]));
        let mut out = with_id(&format!("{tenant}_{}", sku.sku_id), None);
        render("subscribedSku", &props, ctx.version(), &mut out);
        crate::paging::select(out, ctx.query.select.as_deref())
    };
    let skus = &ctx.state.tenant_settings.subscriptions;
    match rest {
        [] => {
            let items = skus.iter().map(|sku| Value::Object(render_one(sku))).collect();
            Ok(Reply::ok(crate::paging::collection(
                ctx.call,
                "subscribedSkus",
                items,
                None,
                None,
            )))
        }
        [id] => {
            let sku = skus
                .iter()
                .find(|sku| format!("{tenant}_{}", sku.sku_id).eq_ignore_ascii_case(id))
                .ok_or_else(|| GraphError::directory_not_found(id))?;
            let item = render_one(sku);
            Ok(Reply::ok(ctx.entity("subscribedSkus", item)))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}
