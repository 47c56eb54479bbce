//! One module per kind of action, each with its resource's own API (graph-api-notes §11):
//!
//! | action | module | how |
//! |---|---|---|
//! | create, update, delete | [`object`] | POST (never twice, see [`crate::unknown`]); PATCH, PUT for Device Preparation; DELETE after the unassign the plan orders first, 404 = already gone |
//! | replace | [`replace`] | per kind: create-then-switch or delete-then-create |
//! | assign | [`assign`] | profiles one by one (`POST`/`DELETE …/assignments`); ESPs, restrictions, domain join and Device Preparation with the replace-all `assign` |
//! | add owners | [`owners`] | `owners/$ref`; the Intune Provisioning Client is looked up (created if missing) by app id |
//! | set priority | this module | `setPriority`, in the chain order the plan gives |
//! | set device group | [`device_group`] | `setEnrollmentTimeDeviceMembershipTarget`, `validationSucceeded` checked |
//! | devices | [`crate::devices`] | import, `updateDeviceProperties`, delete |
//!
//! Every action is idempotent: on a repeated attempt it looks before it writes.

pub mod assign;
pub mod device_group;
pub mod object;
pub mod owners;
pub mod replace;

use hangar_plan::{Action, Body as PlanBody, GroupRef, Op};

use crate::Error;
use crate::executor::Step;
use crate::resolve;
use crate::tenant::{Body, Tenant};
use crate::visibility::GroupId;

/// Runs one action; returns the id of the object a create or replace made.
pub(crate) async fn run<T: Tenant>(step: &Step<'_, T>, action: &Action) -> Result<Option<String>, Error> {
    match &action.op {
        Op::Create { body, .. } => object::create(step, action, body).await.map(Some),
        Op::Update { body, .. } => object::update(step, action, body).await.map(|()| None),
        Op::Replace {
            body,
            changes,
            live_assignments,
            ..
        } => replace::replace(step, action, body, changes, live_assignments)
            .await
            .map(Some),
        Op::Delete => object::delete(step, action).await.map(|()| None),
        Op::Assign(change) => assign::assign(step, action, change).await.map(|()| None),
        Op::AddOwners { add } => owners::add(step, action, add).await.map(|()| None),
        Op::SetPriority { after, .. } => {
            let id = resolve::object_id(step.tenant, step.registry, action).await?;
            step.tenant.set_priority(&id, *after).await?;
            Ok(None)
        }
        Op::SetDeviceGroup { after, .. } => device_group::set(step, action, after.as_ref())
            .await
            .map(|()| None),
        Op::ImportDevice(import) => crate::devices::import(step, import).await.map(Some),
        Op::UpdateDevice(update) => crate::devices::update(step, action, update).await.map(|()| None),
        Op::DeleteDevice { serial_number } => crate::devices::delete(step, action, serial_number)
            .await
            .map(|()| None),
    }
}

/// Ids of `groups`, resolved (plan, this run, or the tenant by name).
pub(crate) async fn group_ids<'g, T: Tenant>(
    step: &Step<'_, T>,
    groups: impl IntoIterator<Item = &'g GroupRef>,
) -> Result<Vec<GroupId>, Error> {
    let mut out: Vec<GroupId> = Vec::new();
    for group in groups {
        if out.iter().any(|g| g.name == group.name) {
            continue;
        }
        let id = resolve::group_id(step.tenant, step.registry, group).await?;
        out.push(GroupId {
            name: group.name.clone(),
            id,
        });
    }
    Ok(out)
}

/// A plan body with its group slots filled; also the groups it names.
pub(crate) async fn resolve_body<T: Tenant>(
    step: &Step<'_, T>,
    body: &PlanBody,
) -> Result<(Body, Vec<GroupId>), Error> {
    let groups = group_ids(step, body.group_slots.iter().map(|s| &s.group)).await?;
    let value = body
        .resolve(|group| groups.iter().find(|g| g.name == group.name).map(|g| g.id.clone()))
        .map_err(|group| Error::UnresolvedGroup { name: group.name })?;
    match value {
        serde_json::Value::Object(map) => Ok((map, groups)),
        _ => Ok((Body::new(), groups)),
    }
}

/// Whether Graph said the object is not there (a repeated delete).
pub(crate) fn is_gone(error: &hangar_graph::Error) -> bool {
    error.is_not_found()
}
