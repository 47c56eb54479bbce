//! MDM user scope and MDM URLs of Intune's MDM policy in Entra (Entra > Settings > Mobility >
//! Microsoft Intune). Autopilot enrolls a device in Intune through automatic MDM enrollment:
//! the user who signs in must be in the MDM user scope, and the URLs must be Intune's in the
//! tenant's cloud (`.us` in GCC High and DoD).
//!
//! Graph offers this read to delegated tokens only; with an application token the check is not
//! run and the note says how to run it or what to look at in the portal.

use hangar_graph::TokenKind;

use super::MDM;
use crate::facts::{MdmPolicy, Read, TenantFacts};
use crate::finding::{CheckResult, Finding};
use crate::intent::Intent;
use crate::tables::{INTUNE_APP_ID, INTUNE_MDM_POLICY_NAME, mdm_urls};

pub(super) fn check(facts: &TenantFacts, intent: &Intent<'_>) -> CheckResult {
    let expected = mdm_urls(intent.cloud);
    let by_hand = format!(
        "in the Entra admin center, Settings > Mobility > Microsoft Intune: MDM user scope `All` (or a group holding every user who provisions devices), MDM terms of use URL {}, MDM discovery URL {}, MDM compliance URL {}",
        expected.terms_of_use, expected.discovery, expected.compliance
    );
    let policies = match &facts.mdm {
        Read::Got(policies) => policies,
        Read::NotRead => return CheckResult::skipped(&MDM, "MDM policies not read"),
        Read::Refused(refusal) => {
            let delegated = facts
                .token
                .as_ref()
                .is_some_and(|token| token.kind == TokenKind::Delegated);
            return if delegated || !refusal.is_permission() {
                CheckResult::not_checked(
                    &MDM,
                    format!("could not read the MDM policies: {}", refusal.describe()),
                    format!("the signed-in user needs `Policy.Read.All` and a role such as Global Reader or Intune Administrator; or check by hand: {by_hand}"),
                    refusal.is_permission().then(|| {
                        Finding::warning(
                            "doctor cannot read the MDM user scope: the delegated token lacks `Policy.Read.All`",
                            "sign in with a token that has `Policy.Read.All` (for example `az account get-access-token --resource-type ms-graph`) and pass it as HANGAR_ACCESS_TOKEN",
                        )
                    }),
                )
            } else {
                CheckResult::not_checked(
                    &MDM,
                    "not readable with an application token: Microsoft Graph allows this read only with a delegated token (Policy.Read.All)",
                    format!(
                        "to check it, run doctor with a signed-in admin's token in HANGAR_ACCESS_TOKEN (for example from `az account get-access-token --resource-type ms-graph`); or check by hand: {by_hand}"
                    ),
                    None,
                )
            };
        }
    };
    let Some(intune) = policies
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(INTUNE_APP_ID))
        .or_else(|| policies.iter().find(|p| p.display_name == INTUNE_MDM_POLICY_NAME))
    else {
        return CheckResult::looked(
            &MDM,
            format!("{} MDM policies, none is Microsoft Intune", policies.len()),
            vec![Finding::error(
                "Entra has no MDM policy for Microsoft Intune: devices cannot enroll automatically",
                "set Intune as the MDM authority and add Microsoft Intune under Settings > Mobility in the Entra admin center",
            )],
        );
    };
    let mut findings = Vec::new();
    let scope = scope(intune, intent, &mut findings);
    urls(intune, intent, &mut findings);
    if !intune.is_valid {
        findings.push(Finding::warning(
            "Entra marks the Microsoft Intune MDM policy as not valid",
            "open it under Settings > Mobility in the Entra admin center and save it again; Microsoft says an invalid policy may fail to update and should be recreated",
        ));
    }
    CheckResult::looked(&MDM, format!("MDM user scope {scope}"), findings)
}

/// Checks the user scope; returns it for the summary.
fn scope(policy: &MdmPolicy, intent: &Intent<'_>, findings: &mut Vec<Finding>) -> String {
    match policy.applies_to.as_str() {
        "all" => "All".to_owned(),
        "selected" => {
            let users = intent.device_preparation_user_groups();
            let outside: Vec<String> = users
                .iter()
                .filter(|group| {
                    !policy
                        .included_groups
                        .iter()
                        .any(|g| g.eq_ignore_ascii_case(group))
                })
                .cloned()
                .collect();
            if !outside.is_empty() {
                findings.push(
                    Finding::error(
                        "the users of a Device Preparation policy are outside the MDM user scope: their devices join Entra but never enroll in Intune",
                        "add these groups to the MDM user scope (Settings > Mobility > Microsoft Intune > Some), or set it to All",
                    )
                    .naming(outside),
                );
            }
            if policy.included_groups.is_empty() {
                findings.push(Finding::error(
                    "the MDM user scope is Some, with no group: no device enrolls automatically",
                    "add the groups of the users who provision devices, or set the scope to All",
                ));
            }
            format!("Some ({})", policy.included_groups.join(", "))
        }
        other => {
            findings.push(Finding::error(
                format!("the MDM user scope is `{other}`: no device enrolls in Intune automatically, Autopilot stops after the Entra join"),
                "set MDM user scope to All, or Some with the groups of the users who provision devices (Entra admin center, Settings > Mobility > Microsoft Intune)",
            ));
            "None".to_owned()
        }
    }
}

fn urls(policy: &MdmPolicy, intent: &Intent<'_>, findings: &mut Vec<Finding>) {
    let expected = mdm_urls(intent.cloud);
    let rows = [
        (
            "MDM discovery URL",
            policy.discovery_url.as_deref(),
            expected.discovery,
        ),
        (
            "MDM terms of use URL",
            policy.terms_of_use_url.as_deref(),
            expected.terms_of_use,
        ),
        (
            "MDM compliance URL",
            policy.compliance_url.as_deref(),
            expected.compliance,
        ),
    ];
    let restore = "select \"Restore default MDM URLs\" on Settings > Mobility > Microsoft Intune in the Entra admin center";
    for (label, actual, wanted) in rows {
        match actual {
            None => findings.push(Finding::error(
                format!("the {label} is empty: Windows cannot find Intune during enrollment"),
                format!("{restore} (expected {wanted})"),
            )),
            Some(actual) if host(actual) != host(wanted) => findings.push(Finding::error(
                format!(
                    "the {label} `{actual}` is not Intune's in {}: devices enroll against the wrong service",
                    intent.cloud
                ),
                format!("{restore}; expected {wanted}"),
            )),
            Some(actual) if !actual.eq_ignore_ascii_case(wanted) => findings.push(Finding::warning(
                format!("the {label} `{actual}` differs from Intune's default `{wanted}`"),
                restore.to_owned(),
            )),
            Some(_) => {}
        }
    }
}

/// `scheme://host` of a URL, lower case.
fn host(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let after_scheme = lower.find("://").map_or(0, |i| i + 3);
    let end = lower[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(lower.len(), |i| after_scheme + i);
    lower[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::facts::Refusal;
    use crate::finding::{Severity, Status};

    fn intent(cloud: Cloud) -> Intent<'static> {
        Intent::bare(cloud, "t")
    }

    fn with_policy(edit: impl FnOnce(&mut MdmPolicy)) -> TenantFacts {
        let mut facts = healthy();
        if let Read::Got(policies) = &mut facts.mdm {
            edit(&mut policies[0]);
        }
        facts
    }

    #[test]
    fn all_with_the_default_urls_passes() {
        let result = check(&healthy(), &intent(Cloud::Commercial));
        assert_eq!(result.status, Status::Passed, "{result:?}");
    }

    #[test]
    fn commercial_urls_in_gcc_high_are_errors() {
        let result = check(&healthy(), &intent(Cloud::GccHigh));
        assert_eq!(result.findings.len(), 3);
        assert!(result.findings.iter().all(|f| f.severity == Severity::Error));
        assert!(
            result.findings[0]
                .fix
                .contains("https://enrollment.manage.microsoft.us/enrollmentserver/discovery.svc")
        );
    }

    #[test]
    fn scope_none_empty_urls_and_a_shortened_url_are_found() {
        let facts = with_policy(|p| {
            p.applies_to = "none".into();
            p.discovery_url = None;
            p.compliance_url = Some("https://portal.manage.microsoft.com/?portalAction".into());
        });
        let result = check(&facts, &intent(Cloud::Commercial));
        let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("`none`"));
        assert!(messages[1].contains("discovery URL is empty"));
        assert_eq!(result.findings[2].severity, Severity::Warning);
    }

    #[test]
    fn an_application_token_is_refused_without_a_finding() {
        let mut facts = healthy();
        facts.mdm = Read::Refused(Refusal {
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
        });
        let result = check(&facts, &intent(Cloud::GccHigh));
        assert_eq!(result.status, Status::NotChecked);
        assert!(result.findings.is_empty());
        assert!(
            result
                .note
                .as_deref()
                .unwrap_or("")
                .contains("portal.manage.microsoft.us")
        );
    }

    #[test]
    fn hosts_compare_without_path_or_case() {
        assert_eq!(
            host("HTTPS://Enrollment.Manage.Microsoft.com/EnrollmentServer/Discovery.svc"),
            "https://enrollment.manage.microsoft.com"
        );
        assert_eq!(
            host("https://portal.manage.microsoft.us?x"),
            "https://portal.manage.microsoft.us"
        );
        assert_eq!(host("not a url"), "not a url");
    }
}
