//! Create, update and delete of one object.

use hangar_model::Kind;
use hangar_plan::{Action, Body as PlanBody};

use super::{is_gone, resolve_body};
use crate::Error;
use crate::executor::Step;
use crate::tenant::Tenant;
use crate::{resolve, unknown, visibility};

/// POSTs the object (never twice) and records its id for what follows.
pub(crate) async fn create<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    body: &PlanBody,
) -> Result<String, Error> {
    let (body, groups) = resolve_body(step, body).await?;
    visibility::ensure_readable(step, step.registry, &groups).await?;
    let id = unknown::create(step, &action.address, &body, step.attempt > 0).await?;
    step.registry.created(&action.address, &id);
    Ok(id)
}

/// PATCHes (PUTs, for Device Preparation) the complete write body. Safe to repeat.
pub(crate) async fn update<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    body: &PlanBody,
) -> Result<(), Error> {
    let id = resolve::object_id(step.tenant, step.registry, action).await?;
    let (body, groups) = resolve_body(step, body).await?;
    visibility::ensure_readable(step, step.registry, &groups).await?;
    let kind = action.address.kind;
    visibility::while_unknown_group(step, &groups, || step.tenant.update(kind, &id, &body)).await
}

/// DELETEs the object. The plan unassigns it first; a profile's assignments are checked once
/// more right before, because Intune refuses to delete a profile that still has any. An object
/// already gone counts as deleted.
pub(crate) async fn delete<T: Tenant>(step: &Step<'_, T>, action: &Action) -> Result<(), Error> {
    let Some(id) = &action.live_id else {
        return Err(Error::UnresolvedObject {
            address: action.address.clone(),
        });
    };
    delete_by_id(step, action.address.kind, id).await
}

/// Unassigns (profiles) and deletes `id`; gone is fine.
pub(crate) async fn delete_by_id<T: Tenant>(step: &Step<'_, T>, kind: Kind, id: &str) -> Result<(), Error> {
    if kind == Kind::DeploymentProfile {
        match step.tenant.assignments(kind, id).await {
            Ok(assignments) => {
                for assignment in assignments {
                    if let Some(assignment_id) = assignment.id.as_deref() {
                        match step.tenant.delete_assignment(kind, id, assignment_id).await {
                            Err(e) if !is_gone(&e) => return Err(e.into()),
                            _ => {}
                        }
                    }
                }
            }
            Err(e) if is_gone(&e) => {
                step.note("already deleted".into());
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
    }
    match step.tenant.delete(kind, id).await {
        Ok(()) => Ok(()),
        Err(e) if is_gone(&e) => {
            step.note("already deleted".into());
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
