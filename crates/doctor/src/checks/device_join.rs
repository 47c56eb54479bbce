//! Whether users may join devices to Microsoft Entra (Entra > Devices > Device settings >
//! "Users may join devices to Microsoft Entra"): user-driven Autopilot joins the device as the
//! signing-in user, so that user must be allowed, and must not be over the device quota.

use super::{DEVICE_JOIN, expect_read};
use crate::facts::{JoinScope, TenantFacts};
use crate::finding::{CheckResult, Finding};
use crate::intent::Intent;

pub(super) fn check(facts: &TenantFacts, intent: &Intent<'_>) -> CheckResult {
    let policy = match expect_read(
        &facts.device_registration,
        &DEVICE_JOIN,
        "the device registration policy",
        "Policy.Read.DeviceConfiguration",
    ) {
        Ok(policy) => policy,
        Err(result) => return result,
    };
    let mut findings = Vec::new();
    let where_ =
        "Entra admin center, Devices > Device settings > \"Users may join devices to Microsoft Entra\"";
    let scope = match &policy.allowed_to_join {
        JoinScope::All => "All".to_owned(),
        JoinScope::None => {
            findings.push(Finding::error(
                "no user may join devices to Microsoft Entra: user-driven Autopilot fails at the join",
                format!("set {where_} to All, or Selected with the users who provision devices"),
            ));
            "None".to_owned()
        }
        JoinScope::Selected { users, groups } => {
            let outside: Vec<String> = intent
                .device_preparation_user_groups()
                .into_iter()
                .filter(|group| !groups.iter().any(|g| g.eq_ignore_ascii_case(group)))
                .collect();
            if !outside.is_empty() {
                findings.push(
                    Finding::error(
                        "the users of a Device Preparation policy may not join devices to Microsoft Entra",
                        format!("add these groups under {where_}, or set it to All"),
                    )
                    .naming(outside),
                );
            }
            let mut who = groups.clone();
            if !users.is_empty() {
                who.push(format!("{} user(s)", users.len()));
            }
            format!("Selected ({})", who.join(", "))
        }
        JoinScope::Other(kind) => {
            findings.push(Finding::warning(
                format!("the device join scope has a form doctor does not know (`{kind}`)"),
                format!("check {where_} by hand"),
            ));
            kind.clone()
        }
    };
    if policy.user_device_quota == Some(0) {
        findings.push(Finding::error(
            "the maximum number of devices per user is 0: no user can join a device",
            "raise \"Maximum number of devices per user\" under Devices > Device settings (Microsoft's default is 50)",
        ));
    }
    let quota = policy
        .user_device_quota
        .map_or_else(String::new, |q| format!(", at most {q} devices per user"));
    let mfa = match policy.mfa.as_deref() {
        Some("required") => ", MFA required to join",
        _ => "",
    };
    CheckResult::looked(
        &DEVICE_JOIN,
        format!("users who may join devices: {scope}{quota}{mfa}"),
        findings,
    )
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::facts::Read;
    use crate::finding::Status;

    fn with(edit: impl FnOnce(&mut crate::facts::DeviceRegistration)) -> TenantFacts {
        let mut facts = healthy();
        if let Read::Got(policy) = &mut facts.device_registration {
            edit(policy);
        }
        facts
    }

    #[test]
    fn all_passes_and_none_or_zero_quota_fail() {
        let intent = Intent::bare(Cloud::Commercial, "t");
        let ok = check(&healthy(), &intent);
        assert_eq!(ok.status, Status::Passed);
        assert_eq!(
            ok.summary,
            "users who may join devices: All, at most 50 devices per user"
        );
        let none = check(&with(|p| p.allowed_to_join = JoinScope::None), &intent);
        assert_eq!(none.findings.len(), 1);
        let zero = check(&with(|p| p.user_device_quota = Some(0)), &intent);
        assert!(zero.findings[0].message.contains("is 0"));
    }

    #[test]
    fn selected_without_a_configuration_is_reported_not_judged() {
        let facts = with(|p| {
            p.allowed_to_join = JoinScope::Selected {
                users: vec!["u1".into()],
                groups: vec!["Autopilot Users".into()],
            }
        });
        let result = check(&facts, &Intent::bare(Cloud::GccHigh, "t"));
        assert_eq!(result.status, Status::Passed);
        assert_eq!(
            result.summary,
            "users who may join devices: Selected (Autopilot Users, 1 user(s)), at most 50 devices per user"
        );
    }
}
