//! Reading the tenant: every read doctor needs, concurrently, through `hangar-graph`. A read
//! Graph refuses with 400, 403 or 404 becomes a [`Refusal`] its check reports; any other
//! failure (sign-in, network, 5xx after retries, a broken page chain) stops doctor, because a
//! failed read is never an answer.

use hangar_graph::resources::Body;
use hangar_graph::resources::devices::SyncSettings;
use hangar_graph::{Error as GraphError, GraphClient};
use hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID;

use crate::Error;
use crate::facts::*;
use crate::intent::Intent;

fn outcome<T>(what: &'static str, result: Result<T, GraphError>) -> Result<Read<T>, Error> {
    match result {
        Ok(value) => Ok(Read::Got(value)),
        Err(error) => match error.api() {
            Some(api) if matches!(error, GraphError::Api(_)) && matches!(api.status, 400 | 403 | 404) => {
                Ok(Read::Refused(Refusal {
                    status: api.status,
                    code: api.code.clone(),
                    message: api
                        .message
                        .split(" - Operation ID")
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                }))
            }
            _ => Err(Error::Read {
                what,
                source: Box::new(error),
            }),
        },
    }
}

fn each<T>(bodies: Vec<Body>, parse: fn(&Body) -> T) -> Vec<T> {
    bodies.iter().map(parse).collect()
}

/// Reads everything the checks need for `intent`.
pub async fn read_tenant(client: &GraphClient, intent: &Intent<'_>) -> Result<TenantFacts, Error> {
    // Signing in first gives one clear error for a credential problem, before eight reads
    // fail the same way.
    let token = client
        .token_claims()
        .await
        .map_err(|source| Error::SignIn(Box::new(source)))?;
    let wants_profiles = intent.config.is_none() && intent.cloud.has_classic_autopilot();
    let (mdm, registration, skus, connectors, provisioning_client, sync, devices, profiles) = tokio::join!(
        async { client.mobility_policies().list().await },
        async { client.device_registration_policy().get().await },
        async { client.subscribed_skus().list().await },
        async {
            if intent.cloud.has_classic_autopilot() {
                Some(client.domain_join_connectors().list().await)
            } else {
                None
            }
        },
        async {
            client
                .service_principals()
                .find_by_app_id(INTUNE_PROVISIONING_CLIENT_APP_ID)
                .await
        },
        async { client.autopilot_settings().get().await },
        async { client.autopilot_devices().list_profile_status().await },
        async {
            if wants_profiles {
                Some(client.profiles().list().await)
            } else {
                None
            }
        },
    );
    let mut device_registration = outcome(
        "the device registration policy",
        registration.map(|body| DeviceRegistration::of(&body)),
    )?;
    if let Read::Got(policy) = &mut device_registration {
        resolve_group_names(client, &mut policy.allowed_to_join).await;
    }
    Ok(TenantFacts {
        token,
        mdm: outcome("the MDM policies", mdm.map(|b| each(b, MdmPolicy::of)))?,
        device_registration,
        skus: outcome("the subscribed SKUs", skus.map(|b| each(b, Sku::of)))?,
        connectors: match connectors {
            Some(result) => outcome(
                "the Intune Connectors for Active Directory",
                result.map(|b| each(b, Connector::of)),
            )?,
            None => Read::NotRead,
        },
        provisioning_client: outcome(
            "the Intune Provisioning Client",
            provisioning_client.map(|found| found.as_ref().map(ServicePrincipal::of)),
        )?,
        sync: outcome("the Autopilot settings", sync.map(|body| SyncSettings::of(&body)))?,
        devices: outcome("the registered devices", devices)?,
        profiles: match profiles {
            Some(result) => outcome(
                "the deployment profiles",
                result.map(|b| each(b, ProfileSummary::of)),
            )?,
            None => Read::NotRead,
        },
    })
}

/// Replaces the group ids of a `Selected` join scope with their names, where they can be read
/// (a group that cannot be read keeps its id: the check still reports it).
async fn resolve_group_names(client: &GraphClient, scope: &mut JoinScope) {
    let JoinScope::Selected { groups, .. } = scope else {
        return;
    };
    for group in groups.iter_mut() {
        if let Ok(Some(body)) = client.groups().get(group).await
            && let Some(name) = body.get("displayName").and_then(|v| v.as_str())
        {
            *group = name.to_owned();
        }
    }
}
