//! Waiting for eventual consistency: a group created a moment ago is not yet everywhere.
//!
//! Two waits, both bounded by [`crate::Options::visibility`]:
//!
//! 1. **Readable**: before anything binds a group this run created, the directory must return
//!    it (`GET /groups/{id}`); polled with backoff.
//! 2. **Accepted by Intune**: the binding itself is the only probe Intune offers. When it is
//!    refused in a way that means "this group is unknown here" — Device Preparation's
//!    `securityGroupNotFound` (and `firstPartyAppNotAnOwner` for an owner added a moment ago),
//!    or a 400/404 that names the group or says a group was not found — it is repeated with
//!    backoff. Any other refusal is final at once.
//!
//! When the time runs out the error names the group, the service and what to do: run apply
//! again, which resumes where this run stopped.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::Error;
use crate::executor::Step;
use crate::resolve::Registry;
use crate::tenant::Tenant;

/// A group a binding references: display name and id.
#[derive(Debug, Clone)]
pub(crate) struct GroupId {
    pub name: String,
    pub id: String,
}

/// Waits until the directory returns each group this run created.
pub(crate) async fn ensure_readable<T: Tenant>(
    step: &Step<'_, T>,
    registry: &Registry,
    groups: &[GroupId],
) -> Result<(), Error> {
    let wait = step.options.visibility;
    for group in groups {
        if !registry.needs_read_check(&group.id) {
            continue;
        }
        let started = Instant::now();
        let mut pause = 0u32;
        loop {
            if step.tenant.group_exists(&group.id).await? {
                registry.mark_readable(&group.id);
                break;
            }
            let next = wait.step(pause);
            if started.elapsed() + next > wait.total {
                return Err(Error::NotVisible {
                    name: group.name.clone(),
                    id: group.id.clone(),
                    service: "Entra",
                    waited_secs: started.elapsed().as_secs_f64(),
                    last: "`GET /groups/{id}` answered 404".into(),
                });
            }
            step.waiting(&format!("waiting for new group `{}` to be readable", group.name));
            tokio::time::sleep(next).await;
            pause += 1;
        }
    }
    Ok(())
}

/// Runs `op` (a binding that references `groups`), repeating it while Intune refuses a group as
/// unknown, within the visibility budget.
pub(crate) async fn while_unknown_group<T, R, F, Fut>(
    step: &Step<'_, T>,
    groups: &[GroupId],
    mut op: F,
) -> Result<R, Error>
where
    T: Tenant,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R, hangar_graph::Error>>,
{
    let wait = step.options.visibility;
    let started = Instant::now();
    let mut pause = 0u32;
    loop {
        let error = match op().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let Some(group) = refused_group(&error, groups) else {
            return Err(error.into());
        };
        let next: Duration = wait.step(pause);
        if started.elapsed() + next > wait.total {
            return Err(Error::NotVisible {
                name: group.name.clone(),
                id: group.id.clone(),
                service: "Intune",
                waited_secs: started.elapsed().as_secs_f64(),
                last: error.to_string(),
            });
        }
        step.waiting(&format!(
            "Intune does not know group `{}` yet, retrying in {:.1} s",
            group.name,
            next.as_secs_f64()
        ));
        tokio::time::sleep(next).await;
        pause += 1;
    }
}

/// The group an error says Intune does not know (yet), if it says that.
pub(crate) fn refused_group<'g>(error: &hangar_graph::Error, groups: &'g [GroupId]) -> Option<&'g GroupId> {
    if groups.is_empty() {
        return None;
    }
    if let hangar_graph::Error::MembershipTargetRejected { codes, statuses, .. } = error {
        let transient = codes
            .iter()
            .all(|c| c == "securityGroupNotFound" || c == "firstPartyAppNotAnOwner");
        if !transient || codes.is_empty() {
            return None;
        }
        let lower = statuses.to_ascii_lowercase();
        return groups
            .iter()
            .find(|g| lower.contains(&g.id.to_ascii_lowercase()))
            .or(groups.first());
    }
    let api = error.api()?;
    if !matches!(api.status, 400 | 404) {
        return None;
    }
    let message = format!("{} {}", api.code, api.message).to_ascii_lowercase();
    if let Some(named) = groups
        .iter()
        .find(|g| message.contains(&g.id.to_ascii_lowercase()))
    {
        return Some(named);
    }
    let unknown_group = message.contains("group")
        && [
            "not found",
            "notfound",
            "does not exist",
            "could not be found",
            "doesn't exist",
        ]
        .iter()
        .any(|phrase| message.contains(phrase));
    unknown_group.then(|| &groups[0])
}

#[cfg(test)]
mod tests {
    use hangar_graph::ApiError;

    use super::*;

    fn api(status: u16, code: &str, message: &str) -> hangar_graph::Error {
        hangar_graph::Error::Api(Box::new(ApiError {
            method: "POST".into(),
            url: "u".into(),
            status,
            code: code.into(),
            message: message.into(),
            request_id: "r".into(),
            client_request_id: "c".into(),
            retries: 0,
        }))
    }

    fn groups() -> Vec<GroupId> {
        vec![
            GroupId {
                name: "a".into(),
                id: "AAAA-1".into(),
            },
            GroupId {
                name: "b".into(),
                id: "bbbb-2".into(),
            },
        ]
    }

    #[test]
    fn refusals_that_mean_not_replicated_yet() {
        let groups = groups();
        let named = api(400, "BadRequest", "Group bbbb-2 is not valid for this assignment");
        assert_eq!(refused_group(&named, &groups).map(|g| g.name.as_str()), Some("b"));
        let generic = api(404, "ResourceNotFound", "The group could not be found");
        assert_eq!(
            refused_group(&generic, &groups).map(|g| g.name.as_str()),
            Some("a")
        );
        let dpp = hangar_graph::Error::MembershipTargetRejected {
            policy_id: "p".into(),
            statuses: "aaaa-1: securityGroupNotFound".into(),
            codes: vec!["securityGroupNotFound".into()],
        };
        assert_eq!(refused_group(&dpp, &groups).map(|g| g.name.as_str()), Some("a"));
    }

    #[test]
    fn other_refusals_are_final() {
        let groups = groups();
        assert!(
            refused_group(
                &api(
                    400,
                    "BadRequest",
                    "Another Profile is already assigned to All Devices"
                ),
                &groups
            )
            .is_none()
        );
        assert!(refused_group(&api(500, "InternalServerError", "group not found"), &groups).is_none());
        let not_static = hangar_graph::Error::MembershipTargetRejected {
            policy_id: "p".into(),
            statuses: "aaaa-1: notStaticSecurityGroup".into(),
            codes: vec!["notStaticSecurityGroup".into()],
        };
        assert!(refused_group(&not_static, &groups).is_none());
        assert!(refused_group(&api(404, "x", "group not found"), &[]).is_none());
    }
}
