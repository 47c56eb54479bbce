//! The signed-in app's permissions against [`crate::permissions::NEEDS`], read from the access
//! token's own claims: no permission is needed to look, unlike reading the app's role
//! assignments (`servicePrincipals/{id}/appRoleAssignments`, `Application.Read.All`).

use hangar_graph::TokenKind;

use super::PERMISSIONS;
use crate::facts::TenantFacts;
use crate::finding::{CheckResult, Finding};
use crate::permissions::{Command, missing};

pub(super) fn check(facts: &TenantFacts) -> CheckResult {
    let Some(token) = &facts.token else {
        return CheckResult::not_checked(
            &PERMISSIONS,
            "the access token is not a JWT doctor can read",
            "compare the app's API permissions in Entra (App registrations > API permissions) with `docs/security.md`",
            None,
        );
    };
    let who = match token.kind {
        TokenKind::Application => format!(
            "application {} with {} app role{}",
            token.app_id.as_deref().unwrap_or("(unknown)"),
            token.permissions.len(),
            if token.permissions.len() == 1 { "" } else { "s" }
        ),
        TokenKind::Delegated => format!(
            "user {} through app {} with {} scope{}",
            token.user.as_deref().unwrap_or("(unknown)"),
            token.app_id.as_deref().unwrap_or("(unknown)"),
            token.permissions.len(),
            if token.permissions.len() == 1 { "" } else { "s" }
        ),
    };
    let mut findings = Vec::new();
    let mut verdicts = Vec::new();
    for command in Command::ALL {
        let lacking = missing(&token.permissions, command);
        verdicts.push(if lacking.is_empty() {
            format!("{} ok", command.as_str())
        } else {
            format!("{} lacks {}", command.as_str(), lacking.len())
        });
        if lacking.is_empty() {
            continue;
        }
        let names: Vec<String> = lacking
            .iter()
            .map(|need| match need.only_when {
                Some(when) => format!("{} ({}; only when {when})", need.permission, need.purpose),
                None => format!("{} ({})", need.permission, need.purpose),
            })
            .collect();
        let grant = "grant them to the app registration (API permissions > Microsoft Graph > Application permissions) and grant admin consent; see docs/security.md";
        match command {
            Command::Plan => findings.push(
                Finding::error(
                    format!("`hangar plan` and `hangar drift` cannot read everything they need: {} permission(s) missing", lacking.len()),
                    grant,
                )
                .naming(names),
            ),
            Command::Doctor => findings.push(
                Finding::warning(
                    format!("`hangar doctor` cannot run every check: {} permission(s) missing", lacking.len()),
                    grant,
                )
                .naming(names),
            ),
            // A read-only identity (a pull-request pipeline) lacks these on purpose: said in the
            // summary, not a finding.
            Command::Apply => {}
        }
    }
    let result = CheckResult::looked(&PERMISSIONS, format!("{who}: {}", verdicts.join(", ")), findings);
    match token.kind {
        TokenKind::Delegated => result.with_note(
            "a delegated token also needs a directory or Intune role that allows each operation (for example Intune Administrator)",
        ),
        TokenKind::Application => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::finding::{Severity, Status};

    #[test]
    fn the_default_grant_covers_every_command() {
        let result = check(&healthy());
        assert_eq!(result.status, Status::Passed, "{result:?}");
        assert!(
            result.summary.contains("plan ok, apply ok, doctor ok"),
            "{}",
            result.summary
        );
    }

    #[test]
    fn a_read_only_app_is_fine_for_plan_and_says_so() {
        let mut facts = healthy();
        if let Some(token) = &mut facts.token {
            token.permissions = vec![
                "DeviceManagementServiceConfig.Read.All".into(),
                "DeviceManagementConfiguration.Read.All".into(),
                "Group.Read.All".into(),
                "Application.Read.All".into(),
                "Organization.Read.All".into(),
                "Policy.Read.DeviceConfiguration".into(),
            ];
        }
        let result = check(&facts);
        assert_eq!(result.status, Status::Passed);
        assert!(result.summary.contains("apply lacks 3"), "{}", result.summary);
    }

    #[test]
    fn missing_plan_permissions_are_an_error_and_doctors_a_warning() {
        let mut facts = healthy();
        if let Some(token) = &mut facts.token {
            token.permissions = vec!["Group.ReadWrite.All".into()];
        }
        let result = check(&facts);
        let severities: Vec<Severity> = result.findings.iter().map(|f| f.severity).collect();
        assert_eq!(severities, [Severity::Error, Severity::Warning]);
        assert!(result.findings[0].items[0].starts_with("DeviceManagementServiceConfig.Read.All"));
    }

    #[test]
    fn an_opaque_token_is_not_checked() {
        let mut facts = healthy();
        facts.token = None;
        assert_eq!(check(&facts).status, Status::NotChecked);
    }
}
