//! Replace: a field Graph takes only on create changed, so the object must be made again.
//!
//! Two strategies, chosen per kind ([`strategy`]); `docs/apply.md` explains each choice.
//!
//! - **Create-then-switch** (deployment profiles, enrollment restrictions, and ESPs and domain
//!   join profiles should a replace ever be planned for them): the old object is renamed aside
//!   to `<name> replaced by hangar` (identity is the name, so the new one can take it without a
//!   duplicate), the new object is created, the plan's follow-up actions assign it (and set its
//!   priority), and only then is the old one unassigned and deleted (the *retire* clean-up, see
//!   [`crate::executor`]). Devices (profiles) and users (restrictions) stay covered throughout;
//!   if anything built on the new object fails, the old one is kept, still assigned, and the
//!   report says so. One exception: only one profile may hold the "all devices" assignment, so
//!   the old profile drops it just before the new one is created.
//! - **Delete-then-create** (Device Preparation policies): the old policy is unassigned and
//!   deleted, then the new one created. A mode change (user-driven ↔ automatic) changes the
//!   template, the setting set and who the policy is for, so there is no coverage to preserve,
//!   and two policies bound to one device group at once is not a documented state.
//! - **Never** (groups): a group's id is referenced by every assignment and binding; groups
//!   have no create-only field hangar manages, so a replace is a planner bug and is refused.
//!
//! A run interrupted between the rename and the retire leaves the aside object behind; the next
//! run finds it by its name and retires it once its successor is in place.

use hangar_model::Kind;
use hangar_plan::{Action, Assignment, Body as PlanBody, Change};
use serde_json::{Value, json};

use super::{is_gone, object, resolve_body};
use crate::executor::{Cleanup, Step};
use crate::tenant::{Body, Tenant};
use crate::unknown::{self, Lookup};
use crate::{Error, visibility};

/// Suffix of the name of an object set aside by a replace.
pub const ASIDE_SUFFIX: &str = " replaced by hangar";

/// Longest display name hangar writes for an aside object (profiles allow 200).
const MAX_NAME: usize = 200;

/// How an object of a kind is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Rename the old one aside, create the new one, switch, then retire the old one.
    CreateThenSwitch,
    /// Unassign and delete the old one, then create the new one.
    DeleteThenCreate,
    /// Refused.
    Never,
}

/// The replace strategy of `kind`.
pub fn strategy(kind: Kind) -> Strategy {
    match kind {
        Kind::DeploymentProfile
        | Kind::EnrollmentRestriction
        | Kind::EnrollmentStatusPage
        | Kind::DomainJoinProfile => Strategy::CreateThenSwitch,
        Kind::DevicePreparationPolicy => Strategy::DeleteThenCreate,
        Kind::DeviceGroup | Kind::AutopilotDevice => Strategy::Never,
    }
}

/// The name an object of `kind` named `name` gets while set aside.
pub fn aside_name(_kind: Kind, name: &str) -> String {
    let room = MAX_NAME - ASIDE_SUFFIX.len();
    let mut end = name.len().min(room);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ASIDE_SUFFIX}", &name[..end])
}

/// The name of the object that replaced an aside object, if `name` is one.
pub fn base_name(name: &str) -> Option<&str> {
    name.strip_suffix(ASIDE_SUFFIX).filter(|base| !base.is_empty())
}

/// Replaces the object; returns the new object's id.
pub(crate) async fn replace<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    body: &PlanBody,
    changes: &[Change],
    live_assignments: &[Assignment],
) -> Result<String, Error> {
    let address = &action.address;
    let kind = address.kind;
    let Some(old) = &action.live_id else {
        return Err(Error::UnresolvedObject {
            address: address.clone(),
        });
    };
    let (body, groups) = resolve_body(step, body).await?;
    visibility::ensure_readable(step, step.registry, &groups).await?;
    let strategy = strategy(kind);
    if strategy == Strategy::Never {
        return Err(Error::Unsupported {
            address: address.clone(),
            reason: format!("a {kind} is never replaced: its id is referenced by every assignment"),
        });
    }
    if step.attempt > 0
        && let Some(id) = successor(step, action, old, unknown::body_type(&body)).await?
    {
        step.note(format!(
            "the new object already exists as `{id}` (an earlier attempt made it)"
        ));
        step.registry.created(address, &id);
        return Ok(id);
    }
    match strategy {
        Strategy::CreateThenSwitch => {
            let aside = aside_name(kind, &address.name);
            let mut rename = Body::new();
            if let Some(old_type) = old_odata_type(changes, &body) {
                rename.insert("@odata.type".into(), json!(old_type));
            }
            rename.insert("displayName".into(), json!(aside));
            match step.tenant.update(kind, old, &rename).await {
                Ok(()) => step.note(format!(
                    "old object `{old}` renamed to `{aside}`; it is unassigned and deleted once the new one is in place"
                )),
                Err(e) if is_gone(&e) => step.note(format!("old object `{old}` was already gone")),
                Err(e) => return Err(e.into()),
            }
            if kind == Kind::DeploymentProfile {
                for assignment in live_assignments.iter().filter(|a| a.target.is_all_devices()) {
                    if let Some(assignment_id) = &assignment.id {
                        match step.tenant.delete_assignment(kind, old, assignment_id).await {
                            Ok(()) => step.note(
                                "the old profile's `all devices` assignment was removed first: only one profile may hold it".into(),
                            ),
                            Err(e) if is_gone(&e) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
        }
        Strategy::DeleteThenCreate => {
            if !live_assignments.is_empty()
                && hangar_plan::project::assignment_api(kind).is_some()
                && kind != Kind::DeploymentProfile
            {
                match step.tenant.assign(kind, old, Vec::new()).await {
                    Err(e) if !is_gone(&e) => return Err(e.into()),
                    _ => {}
                }
            }
            object::delete_by_id(step, kind, old).await?;
            step.note(format!(
                "old object `{old}` unassigned and deleted before the new one was created"
            ));
        }
        Strategy::Never => {}
    }
    let id = unknown::create(step, address, &body, step.attempt > 0).await?;
    step.registry.created(address, &id);
    Ok(id)
}

/// On a repeat: the object that already replaced `old`, if an earlier attempt made it.
async fn successor<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    old: &str,
    odata_type: Option<&str>,
) -> Result<Option<String>, Error> {
    let found = step
        .tenant
        .find(action.address.kind, &action.address.name)
        .await?;
    let others: Vec<_> = found
        .into_iter()
        .filter(|f| !f.id.eq_ignore_ascii_case(old))
        .collect();
    match others.len() {
        0 => Ok(None),
        1 => match unknown::look_up(step, action.address.kind, &action.address.name, odata_type).await? {
            Lookup::Found(found) if !found.id.eq_ignore_ascii_case(old) => Ok(Some(found.id)),
            _ => Ok(None),
        },
        _ => Err(Error::Duplicate {
            address: action.address.clone(),
            ids: others.into_iter().map(|f| f.id).collect(),
        }),
    }
}

/// The old object's `@odata.type` (a replace may be changing it).
fn old_odata_type(changes: &[Change], body: &Body) -> Option<String> {
    changes
        .iter()
        .find(|c| c.path == "@odata.type")
        .and_then(|c| c.before.as_ref())
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| unknown::body_type(body).map(str::to_owned))
}

/// Drops an aside profile's "all devices" assignment (before its successor takes it).
pub(crate) async fn release<T: Tenant>(step: &Step<'_, T>, cleanup: &Cleanup) -> Result<(), Error> {
    let assignments = match step.tenant.assignments(cleanup.kind, &cleanup.id).await {
        Ok(assignments) => assignments,
        Err(e) if is_gone(&e) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for assignment in assignments {
        let all_devices = assignment.target == hangar_model::LiveTarget::AllDevices;
        if let (true, Some(id)) = (all_devices, assignment.id.as_deref()) {
            match step.tenant.delete_assignment(cleanup.kind, &cleanup.id, id).await {
                Err(e) if !is_gone(&e) => return Err(e.into()),
                _ => step.note(format!("removed `all devices` from `{}`", cleanup.name)),
            }
        }
    }
    Ok(())
}

/// Unassigns and deletes an object set aside by a replace.
pub(crate) async fn retire<T: Tenant>(step: &Step<'_, T>, cleanup: &Cleanup) -> Result<(), Error> {
    let kind = cleanup.kind;
    if kind != Kind::DeploymentProfile && hangar_plan::project::assignment_api(kind).is_some() {
        match step.tenant.assign(kind, &cleanup.id, Vec::new()).await {
            Ok(()) => {}
            Err(e) if is_gone(&e) => {
                step.note("already deleted".into());
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
    }
    object::delete_by_id(step, kind, &cleanup.id).await?;
    step.note(format!(
        "`{}` (`{}`) unassigned and deleted",
        cleanup.name, cleanup.id
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aside_names_round_trip_and_fit() {
        let aside = aside_name(Kind::DeploymentProfile, "Autopilot Sales");
        assert_eq!(aside, "Autopilot Sales replaced by hangar");
        assert_eq!(base_name(&aside), Some("Autopilot Sales"));
        assert_eq!(base_name("Autopilot Sales"), None);
        assert_eq!(base_name(ASIDE_SUFFIX), None);
        let long = "é".repeat(150);
        let aside = aside_name(Kind::DeploymentProfile, &long);
        assert!(aside.len() <= MAX_NAME, "{}", aside.len());
        assert!(aside.ends_with(ASIDE_SUFFIX));
    }

    #[test]
    fn strategies() {
        assert_eq!(strategy(Kind::DeploymentProfile), Strategy::CreateThenSwitch);
        assert_eq!(strategy(Kind::EnrollmentRestriction), Strategy::CreateThenSwitch);
        assert_eq!(
            strategy(Kind::DevicePreparationPolicy),
            Strategy::DeleteThenCreate
        );
        assert_eq!(strategy(Kind::DeviceGroup), Strategy::Never);
    }
}
