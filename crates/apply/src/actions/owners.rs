//! Group owners: `POST /groups/{id}/owners/$ref`. Owners not in Git are left alone.
//!
//! The Intune Provisioning Client (app id `f1346770-…`) must own a Device Preparation device
//! group. When the plan has no object id for it (the tenant had no such service principal when
//! planned), it is looked up by app id and created if it is still missing (graph-api-notes §3).
//! Adding an owner twice is harmless (Graph's "already exist" counts as done), so an add whose
//! answer was lost is checked against the owner list and repeated if needed.

use hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID;
use hangar_plan::{Action, OwnerRef};

use crate::executor::Step;
use crate::tenant::Tenant;
use crate::unknown::maybe_committed;
use crate::visibility::{self, GroupId};
use crate::{Error, resolve};

/// Adds every owner in `add` to the group.
pub(crate) async fn add<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    add: &[OwnerRef],
) -> Result<(), Error> {
    let group = resolve::object_id(step.tenant, step.registry, action).await?;
    let groups = [GroupId {
        name: action.address.name.clone(),
        id: group.clone(),
    }];
    visibility::ensure_readable(step, step.registry, &groups).await?;
    for owner in add {
        let object_id = match owner {
            OwnerRef::Object { object_id } => object_id.clone(),
            OwnerRef::IntuneProvisioningClient { object_id } => {
                provisioning_client(step, object_id.as_deref()).await?
            }
        };
        let mut tries = 0;
        loop {
            tries += 1;
            let result =
                visibility::while_unknown_group(step, &groups, || step.tenant.add_owner(&group, &object_id))
                    .await;
            match result {
                Ok(()) => break,
                Err(Error::Graph(error))
                    if maybe_committed(&error) && tries < step.options.attempts.max(1) =>
                {
                    let owners = step.tenant.owners(&group).await?;
                    if owners.iter().any(|o| o.eq_ignore_ascii_case(&object_id)) {
                        break;
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// The Intune Provisioning Client's object id: known, found by app id, or created.
async fn provisioning_client<T: Tenant>(step: &Step<'_, T>, known: Option<&str>) -> Result<String, Error> {
    if let Some(id) = known {
        return Ok(id.to_owned());
    }
    // One action at a time looks it up or creates it: two concurrent creates would race.
    let _guard = step.registry.provisioning_client_lock().await;
    if let Some(id) = step.registry.provisioning_client() {
        return Ok(id);
    }
    let app = INTUNE_PROVISIONING_CLIENT_APP_ID;
    let mut tries = 0;
    let id = loop {
        if let Some(id) = step.tenant.service_principal(app).await? {
            break id;
        }
        tries += 1;
        match step.tenant.create_service_principal(app).await {
            Ok(id) => {
                step.note(format!(
                    "created the Intune Provisioning Client service principal (app id `{app}`) as `{id}`"
                ));
                break id;
            }
            // Lost answer, or someone else created it meanwhile: look again.
            Err(error)
                if (maybe_committed(&error) || matches!(error.status(), Some(400 | 409)))
                    && tries < step.options.attempts.max(1) => {}
            Err(error) => return Err(error.into()),
        }
    };
    step.registry.set_provisioning_client(&id);
    Ok(id)
}
