//! The Device Preparation device group: `setEnrollmentTimeDeviceMembershipTarget` (graph-api-notes
//! §5). The `…devicesecuritygroupids` setting is only what the portal shows; this action is the
//! binding.
//!
//! - Intune answers HTTP 200 even when it refuses the group: `validationSucceeded` decides.
//!   `securityGroupNotFound` right after the group was created (and `firstPartyAppNotAnOwner`
//!   right after its owner was added) mean "not replicated yet" and are waited out
//!   ([`crate::visibility`]); any other code is final and explained.
//! - HTTP 500 is, with an application token, a known service bug (reported 2026): after a few
//!   attempts the error says what to do — a delegated token in `HANGAR_ACCESS_TOKEN`, or the
//!   binding set by hand in the admin center.

use hangar_plan::{Action, GroupRef};

use super::group_ids;
use crate::executor::Step;
use crate::tenant::Tenant;
use crate::{Error, resolve, visibility};

/// Binds (or, with `None`, clears) the policy's device group.
pub(crate) async fn set<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    after: Option<&GroupRef>,
) -> Result<(), Error> {
    let policy = resolve::object_id(step.tenant, step.registry, action).await?;
    let policy_name = action.address.name.as_str();
    let Some(group) = after else {
        return with_server_errors(step, policy_name, "(none)", || async {
            step.tenant.clear_device_group(&policy).await.map_err(Error::from)
        })
        .await;
    };
    let groups = group_ids(step, [group]).await?;
    visibility::ensure_readable(step, step.registry, &groups).await?;
    let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    with_server_errors(step, policy_name, &group.name, || async {
        match visibility::while_unknown_group(step, &groups, || step.tenant.set_device_group(&policy, &ids))
            .await
        {
            Err(Error::Graph(hangar_graph::Error::MembershipTargetRejected { codes, .. })) => {
                Err(Error::DeviceGroupRejected {
                    policy: policy_name.to_owned(),
                    group: group.name.clone(),
                    hint: hint(&codes),
                    code: codes.join(", "),
                })
            }
            other => other,
        }
    })
    .await
}

/// Repeats `op` on HTTP 500 a few times, then explains the app-only bug.
async fn with_server_errors<T, F, Fut>(
    step: &Step<'_, T>,
    policy: &str,
    group: &str,
    mut op: F,
) -> Result<(), Error>
where
    T: Tenant,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    let attempts = step.options.attempts.max(1);
    let mut failures = 0;
    loop {
        match op().await {
            Err(Error::Graph(error)) if error.status() == Some(500) => {
                failures += 1;
                if failures >= attempts {
                    return Err(Error::DeviceGroupServerError {
                        policy: policy.to_owned(),
                        group: group.to_owned(),
                        advice: advice(step, policy, group),
                        source: Box::new(error),
                    });
                }
                let pause = step.options.retry.step(failures - 1);
                step.waiting(&format!(
                    "Intune answered 500 to the device group binding, trying again in {:.1} s",
                    pause.as_secs_f64()
                ));
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
}

fn advice<T: Tenant>(step: &Step<'_, T>, policy: &str, group: &str) -> String {
    let portal = format!(
        "set it by hand in the Intune admin center (Devices > Enrollment > Device preparation policies > `{policy}` > Device group > `{group}`); the next plan then shows no change"
    );
    if step.options.delegated {
        format!(
            "it failed {} with a delegated token as well; {portal}",
            hangar_model::plural::count(step.options.attempts.max(1) as usize, "time", "times")
        )
    } else {
        format!(
            "this is a known Intune bug with application (client-credentials) tokens. Either run `hangar apply` again with a delegated token of an Intune administrator in `HANGAR_ACCESS_TOKEN` (for example `az account get-access-token --resource https://{} --query accessToken -o tsv`), or {portal}",
            step.tenant.cloud().graph_host()
        )
    }
}

fn hint(codes: &[String]) -> &'static str {
    let has = |code: &str| codes.iter().any(|c| c == code);
    if has("notStaticSecurityGroup") {
        "the device group must be an assigned (static) security group: give the group `membership: assigned`"
    } else if has("notSecurityGroup") {
        "the device group must be a security group"
    } else if has("firstPartyAppNotAnOwner") {
        "the Intune Provisioning Client must own the group: add `owners: [intune-provisioning-client]` to it"
    } else if has("securityGroupNotInCallerScope") {
        "the group is outside the scope (scope tags) of the identity hangar signs in with; widen its Intune role scope"
    } else {
        "see `enrollmentTimeDeviceMembershipTargetValidationErrorCode` in the Graph documentation"
    }
}
