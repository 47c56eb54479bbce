//! Entra's tenant policies that Autopilot depends on, read-only:
//!
//! - `GET /beta/policies/mobileDeviceManagementPolicies[/{id}[/includedGroups]]`: the MDM
//!   policies (user scope and URLs of automatic enrollment). Microsoft documents the read for
//!   **delegated** tokens only (`Policy.Read.All` or `Policy.ReadWrite.MobilityManagement`); an
//!   application token gets 403, as does a user token without one of those scopes. Two
//!   policies are listed, as in a real tenant: "Microsoft Intune" (the one that matters for
//!   Windows automatic enrollment, kept in the state) and "Microsoft Intune Enrollment"
//!   (constant, scope `none`). `$expand=includedGroups` and `$select` are supported.
//! - `GET /policies/deviceRegistrationPolicy` (v1.0 and beta): who may join devices to Entra.
//!   Application permission `Policy.Read.DeviceConfiguration` (or `…ReadWrite…`).

use serde_json::{Map, Value, json};

use super::{Ctx, no_route, with_id};
use crate::reply::{GraphError, Outcome, Reply};
use crate::schema::{ApiVersion, render};
use crate::tenant_settings::{INTUNE_APP_ID, INTUNE_ENROLLMENT_POLICY_ID, JoinScope, MdmUrls};

const MDM_TYPE: &str = "mobileDeviceManagementPolicy";
const MDM_FRAGMENT: &str = "policies/mobileDeviceManagementPolicies";

/// Delegated scopes that read the MDM policies (application permissions: none exist).
const MDM_READ_SCOPES: &[&str] = &["Policy.Read.All", "Policy.ReadWrite.MobilityManagement"];
/// Permissions that read the device registration policy.
const REGISTRATION_READ: &[&str] = &[
    "Policy.Read.DeviceConfiguration",
    "Policy.ReadWrite.DeviceConfiguration",
    "Policy.Read.All",
];

/// The directory's answer to a token without the permission an operation needs.
pub(crate) fn insufficient_privileges() -> GraphError {
    GraphError::new(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

/// `/policies/…`
pub(crate) fn policies(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match rest {
        ["mobileDeviceManagementPolicies", rest @ ..] => {
            if ctx.version() == ApiVersion::V1 {
                return Err(GraphError::segment_not_found("mobileDeviceManagementPolicies"));
            }
            mdm_policies(ctx, rest)
        }
        ["deviceRegistrationPolicy"] => device_registration(ctx),
        [other, ..] => Err(GraphError::segment_not_found(other)),
        [] => Err(GraphError::segment_not_found("policies")),
    }
}

fn mdm_policies(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    if ctx.method() != &crate::odata::Method::Get {
        return Err(no_route(ctx, None));
    }
    if !(ctx.call.grant.delegated && ctx.call.grant.allows_any(MDM_READ_SCOPES)) {
        return Err(insufficient_privileges());
    }
    ctx.no_query_options(&["$expand", "$select"])?;
    for name in &ctx.query.expand {
        if name != "includedGroups" {
            return Err(GraphError::bad_request(format!(
                "Could not find a property named '{name}' to expand."
            )));
        }
    }
    ctx.check_select(MDM_TYPE)?;
    let expand = !ctx.query.expand.is_empty();
    match rest {
        [] => {
            let items = [INTUNE_APP_ID, INTUNE_ENROLLMENT_POLICY_ID]
                .into_iter()
                .map(|id| Value::Object(render_mdm(ctx, id, expand)))
                .collect();
            Ok(Reply::ok(crate::paging::collection(
                ctx.call,
                MDM_FRAGMENT,
                items,
                None,
                None,
            )))
        }
        [id] => {
            let id = known_policy(id)?;
            let item = render_mdm(ctx, id, expand);
            Ok(Reply::ok(ctx.entity(MDM_FRAGMENT, item)))
        }
        [id, "includedGroups"] => {
            let id = known_policy(id)?;
            let items = included_groups(ctx, id);
            Ok(Reply::ok(crate::paging::collection(
                ctx.call, "groups", items, None, None,
            )))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn known_policy(id: &str) -> Result<&'static str, GraphError> {
    [INTUNE_APP_ID, INTUNE_ENROLLMENT_POLICY_ID]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(id))
        .ok_or_else(|| GraphError::directory_not_found(id))
}

fn included_groups(ctx: &Ctx<'_>, policy_id: &str) -> Vec<Value> {
    if policy_id != INTUNE_APP_ID {
        return Vec::new();
    }
    ctx.state
        .tenant_settings
        .mdm
        .included_groups
        .iter()
        .filter_map(|id| ctx.state.groups.get(id))
        .map(|group| {
            json!({
                "@odata.type": "#microsoft.graph.group",
                "id": group.id,
                "displayName": group.display_name(),
            })
        })
        .collect()
}

fn render_mdm(ctx: &Ctx<'_>, id: &str, expand: bool) -> Map<String, Value> {
    let mut props = Map::new();
    if id == INTUNE_APP_ID {
        let policy = &ctx.state.tenant_settings.mdm;
        let urls = policy
            .urls
            .clone()
            .unwrap_or_else(|| MdmUrls::intune(ctx.state.cloud));
        props.insert("appliesTo".into(), json!(policy.applies_to.as_str()));
        props.insert("complianceUrl".into(), json!(urls.compliance));
        props.insert(
            "description".into(),
            json!("Device Management Policy for Microsoft Intune"),
        );
        props.insert("discoveryUrl".into(), json!(urls.discovery));
        props.insert("displayName".into(), json!("Microsoft Intune"));
        props.insert("isValid".into(), json!(policy.is_valid));
        props.insert("termsOfUseUrl".into(), json!(urls.terms_of_use));
    } else {
        // The enrollment app's policy is listed with scope `none` in every tenant seen in
        // Microsoft's examples; it plays no part in Windows automatic enrollment.
        let urls = MdmUrls::intune(ctx.state.cloud);
        props.insert("appliesTo".into(), json!("none"));
        props.insert("complianceUrl".into(), json!(urls.compliance));
        props.insert(
            "description".into(),
            json!("Device Management Policy for Microsoft Intune Enrollment"),
        );
        props.insert("discoveryUrl".into(), json!(urls.discovery));
        props.insert("displayName".into(), json!("Microsoft Intune Enrollment"));
        props.insert("isValid".into(), json!(true));
        props.insert("termsOfUseUrl".into(), json!(urls.terms_of_use));
    }
    let mut out = with_id(id, Some(MDM_TYPE));
    render(MDM_TYPE, &props, ApiVersion::Beta, &mut out);
    if expand {
        out.insert("includedGroups".into(), Value::Array(included_groups(ctx, id)));
    }
    crate::paging::select(out, ctx.query.select.as_deref())
}

fn device_registration(ctx: &mut Ctx<'_>) -> Outcome {
    if ctx.method() != &crate::odata::Method::Get {
        return Err(no_route(ctx, None));
    }
    if !ctx.call.grant.allows_any(REGISTRATION_READ) {
        return Err(insufficient_privileges());
    }
    ctx.no_query_options(&["$select"])?;
    ctx.check_select("deviceRegistrationPolicy")?;
    let join = &ctx.state.tenant_settings.device_join;
    let membership = |scope: &JoinScope| match scope {
        JoinScope::All => json!({"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}),
        JoinScope::None => json!({"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"}),
        JoinScope::Selected { users, groups } => json!({
            "@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
            "users": users,
            "groups": groups,
        }),
    };
    let mut props = Map::new();
    props.insert("displayName".into(), json!("Device Registration Policy"));
    props.insert(
        "description".into(),
        json!(
            "Tenant-wide policy that manages intial provisioning controls using quota restrictions, additional authentication and authorization checks"
        ),
    );
    props.insert("userDeviceQuota".into(), json!(join.user_device_quota));
    props.insert(
        "multiFactorAuthConfiguration".into(),
        json!(if join.mfa_required {
            "required"
        } else {
            "notRequired"
        }),
    );
    props.insert(
        "azureADRegistration".into(),
        json!({"isAdminConfigurable": false, "allowedToRegister": membership(&JoinScope::All)}),
    );
    props.insert(
        "azureADJoin".into(),
        json!({
            "isAdminConfigurable": true,
            "allowedToJoin": membership(&join.allowed_to_join),
            "localAdmins": {
                "enableGlobalAdmins": true,
                "registeringUsers": membership(&JoinScope::All),
            },
        }),
    );
    props.insert("localAdminPassword".into(), json!({"isEnabled": false}));
    let mut out = with_id("deviceRegistrationPolicy", None);
    render("deviceRegistrationPolicy", &props, ctx.version(), &mut out);
    let out = crate::paging::select(out, ctx.query.select.as_deref());
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(ctx.context("deviceRegistrationPolicy")),
    );
    body.extend(out);
    Ok(Reply::ok(Value::Object(body)))
}
