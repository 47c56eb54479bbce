//! Assignments, each resource with its own API (graph-api-notes §1, §2, §5, §6):
//!
//! - **profiles**, one by one: `DELETE …/assignments/{id}` for each removed assignment (gone is
//!   fine), `POST …/assignments` for each added target. A POST is not safe to repeat, so after an
//!   answer that may hide a commit (and on every repeated attempt) the current assignments are
//!   read and targets already there are not added again.
//! - **everything else**, replace-all: `POST …/assign` with the complete list (safe to repeat).
//!
//! New groups are waited for before they are bound ([`crate::visibility`]).

use std::collections::HashSet;

use hangar_model::{Kind, LiveFilter, LiveTarget};
use hangar_plan::{Action, AssignmentApi, AssignmentChange, AssignmentTarget};
use serde_json::Value;

use super::{group_ids, is_gone};
use crate::executor::Step;
use crate::tenant::Tenant;
use crate::unknown::maybe_committed;
use crate::visibility::{self, GroupId};
use crate::{Error, resolve};

/// Applies an assignment change.
pub(crate) async fn assign<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    change: &AssignmentChange,
) -> Result<(), Error> {
    let kind = action.address.kind;
    let id = resolve::object_id(step.tenant, step.registry, action).await?;
    match change.api {
        AssignmentApi::OneByOne => one_by_one(step, kind, &id, change).await,
        AssignmentApi::EnrollmentConfigurationAssign | AssignmentApi::Assign => {
            let groups = group_ids(step, change.after.iter().filter_map(AssignmentTarget::group)).await?;
            visibility::ensure_readable(step, step.registry, &groups).await?;
            let targets = graph_targets(&change.after, &groups);
            visibility::while_unknown_group(step, &groups, || step.tenant.assign(kind, &id, targets.clone()))
                .await
        }
    }
}

/// Graph `target` objects for `targets` (targets hangar does not write are left out).
fn graph_targets(targets: &[AssignmentTarget], groups: &[GroupId]) -> Vec<Value> {
    targets
        .iter()
        .filter_map(|target| {
            target.to_graph(|group| groups.iter().find(|g| g.name == group.name).map(|g| g.id.clone()))
        })
        .collect()
}

/// What makes two assignments the same target (type and group, group ids compared without
/// case), the parse the planner uses ([`LiveTarget::key`]).
fn target_key(target: &Value) -> String {
    filtered_key(&LiveTarget::parse(target), LiveFilter::parse(target).as_ref())
}

/// The target's key and its filter: a filtered assignment is not the unfiltered one.
fn filtered_key(target: &LiveTarget, filter: Option<&LiveFilter>) -> String {
    match filter {
        Some(filter) => format!("{}|{}:{}", target.key(), filter.id.to_lowercase(), filter.mode),
        None => target.key(),
    }
}

async fn current_targets<T: Tenant>(
    step: &Step<'_, T>,
    kind: Kind,
    id: &str,
) -> Result<HashSet<String>, Error> {
    let assignments = step.tenant.assignments(kind, id).await?;
    Ok(assignments
        .iter()
        .map(|a| filtered_key(&a.target, a.filter.as_ref()))
        .collect())
}

async fn one_by_one<T: Tenant>(
    step: &Step<'_, T>,
    kind: Kind,
    id: &str,
    change: &AssignmentChange,
) -> Result<(), Error> {
    for assignment in &change.remove {
        let Some(assignment_id) = &assignment.id else {
            step.note(format!(
                "assignment to {} has no id and was left alone",
                assignment.target
            ));
            continue;
        };
        match step.tenant.delete_assignment(kind, id, assignment_id).await {
            Ok(()) => {}
            Err(e) if is_gone(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if change.add.is_empty() {
        return Ok(());
    }
    let groups = group_ids(step, change.add.iter().filter_map(AssignmentTarget::group)).await?;
    visibility::ensure_readable(step, step.registry, &groups).await?;
    let mut present = if step.attempt > 0 {
        Some(current_targets(step, kind, id).await?)
    } else {
        None
    };
    for target in graph_targets(&change.add, &groups) {
        let key = target_key(&target);
        let mut tries = 0;
        loop {
            if present.as_ref().is_some_and(|p| p.contains(&key)) {
                break;
            }
            tries += 1;
            let result = visibility::while_unknown_group(step, &groups, || {
                step.tenant.add_assignment(kind, id, target.clone())
            })
            .await;
            match result {
                Ok(()) => break,
                Err(Error::Graph(error))
                    if maybe_committed(&error) && tries < step.options.attempts.max(1) =>
                {
                    step.waiting(&format!(
                        "the answer to an assignment was lost ({error}); reading the assignments before trying again"
                    ));
                    present = Some(current_targets(step, kind, id).await?);
                    if present.as_ref().is_some_and(|p| p.contains(&key)) {
                        step.note("an assignment whose answer was lost had been made; kept it".into());
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn targets_compare_by_type_and_group() {
        let a = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "ABC"});
        let b = json!({"@odata.type": "microsoft.graph.groupAssignmentTarget", "groupId": "abc", "x": 1});
        assert_eq!(target_key(&a), target_key(&b));
        let all = json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"});
        assert_ne!(target_key(&a), target_key(&all));
        let filtered = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "abc",
            "deviceAndAppManagementAssignmentFilterId": "F1", "deviceAndAppManagementAssignmentFilterType": "exclude"});
        assert_ne!(target_key(&a), target_key(&filtered));
        let same = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "ABC",
            "deviceAndAppManagementAssignmentFilterId": "f1", "deviceAndAppManagementAssignmentFilterType": "exclude"});
        assert_eq!(target_key(&filtered), target_key(&same));
    }
}
