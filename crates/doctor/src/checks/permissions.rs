//! The signed-in app's permissions against [`crate::permissions::NEEDS`], read from the access
//! token's own claims: no permission is needed to look, unlike reading the app's role
//! assignments (`servicePrincipals/{id}/appRoleAssignments`, `Application.Read.All`).

use hangar_graph::TokenKind;

use super::PERMISSIONS;
use crate::facts::TenantFacts;
use crate::finding::{CheckResult, Finding};
use crate::intent::Intent;
use crate::permissions::{Command, Need, missing};

pub(super) fn check(facts: &TenantFacts, intent: &Intent<'_>) -> CheckResult {
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
    let grant = "grant them to the app registration (API permissions > Microsoft Graph > Application permissions) and grant admin consent; see docs/security.md";
    for command in Command::ALL {
        // Without a configuration a conditional permission may not be needed at all: it is
        // said as a possibility, never counted as missing.
        let (lacking, perhaps): (Vec<_>, Vec<_>) = missing(&token.permissions, command, intent.config)
            .into_iter()
            .partition(|need| need.only_when.is_none() || intent.config.is_some());
        verdicts.push(if lacking.is_empty() {
            format!("{} ok", command.as_str())
        } else {
            format!("{} lacks {}", command.as_str(), lacking.len())
        });
        let names: Vec<String> = lacking.iter().copied().map(describe).collect();
        match command {
            _ if lacking.is_empty() => {}
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
        if !perhaps.is_empty() && command != Command::Apply {
            findings.push(
                Finding::warning(
                    format!(
                        "`hangar {}` may need {} permission(s) the app lacks, depending on the configuration",
                        command.as_str(),
                        perhaps.len()
                    ),
                    format!(
                        "run `hangar doctor DIR` with the configuration to know; if it needs them, {grant}"
                    ),
                )
                .naming(perhaps.iter().copied().map(describe).collect::<Vec<_>>()),
            );
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

fn describe(need: &Need) -> String {
    match need.only_when {
        Some(when) => format!(
            "{} ({}; only when {})",
            need.permission,
            need.purpose,
            when.describe()
        ),
        None => format!("{} ({})", need.permission, need.purpose),
    }
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::finding::{Severity, Status};

    fn bare() -> Intent<'static> {
        Intent::bare(Cloud::Commercial, "t")
    }

    /// The bundled Commercial example: its ESP blocks on apps named in the tenant.
    fn example() -> hangar_config::DesiredState {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/commercial");
        hangar_config::load(&dir)
            .ok()
            .and_then(|loaded| loaded.state)
            .unwrap_or_else(|| panic!("the example loads"))
    }

    fn without_apps_permission() -> TenantFacts {
        let mut facts = healthy();
        if let Some(token) = &mut facts.token {
            token
                .permissions
                .retain(|p| !p.starts_with("DeviceManagementApps"));
        }
        facts
    }

    #[test]
    fn a_conditional_permission_is_decided_by_the_configuration() {
        let facts = without_apps_permission();
        // Without a configuration: a possibility, not a missing permission.
        let result = check(&facts, &bare());
        assert!(result.summary.contains("plan ok, apply ok"), "{}", result.summary);
        assert_eq!(result.findings.len(), 1, "{result:?}");
        assert_eq!(result.findings[0].severity, Severity::Warning);
        assert!(result.findings[0].message.contains("may need"), "{result:?}");
        assert!(result.findings[0].items[0].starts_with("DeviceManagementApps.Read.All"));
        // With a configuration that names apps: missing, an error for plan.
        let config = example();
        assert!(config.references_apps());
        let result = check(&facts, &Intent::of(&config));
        assert!(result.summary.contains("plan lacks 1"), "{}", result.summary);
        assert_eq!(result.findings[0].severity, Severity::Error);
        assert!(result.findings[0].items[0].starts_with("DeviceManagementApps.Read.All"));
        // With one that names none: not needed, nothing said.
        let mut config = example();
        config.esps.iter_mut().for_each(|esp| esp.blocking_apps.clear());
        config
            .device_preparation
            .iter_mut()
            .for_each(|dpp| dpp.allowed_apps.clear());
        let result = check(&facts, &Intent::of(&config));
        assert_eq!(result.status, Status::Passed, "{result:?}");
    }

    #[test]
    fn the_default_grant_covers_every_command() {
        let result = check(&healthy(), &bare());
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
                "DeviceManagementApps.Read.All".into(),
            ];
        }
        let result = check(&facts, &bare());
        assert_eq!(result.status, Status::Passed);
        assert!(result.summary.contains("apply lacks 3"), "{}", result.summary);
    }

    #[test]
    fn missing_plan_permissions_are_an_error_and_doctors_a_warning() {
        let mut facts = healthy();
        if let Some(token) = &mut facts.token {
            token.permissions = vec!["Group.ReadWrite.All".into()];
        }
        let result = check(&facts, &bare());
        let severities: Vec<Severity> = result.findings.iter().map(|f| f.severity).collect();
        // Plan: missing (error), and may need (the apps permission, without a configuration);
        // doctor: missing (warning).
        assert_eq!(
            severities,
            [Severity::Error, Severity::Warning, Severity::Warning]
        );
        assert!(result.findings[0].items[0].starts_with("DeviceManagementServiceConfig.Read.All"));
    }

    #[test]
    fn an_opaque_token_is_not_checked() {
        let mut facts = healthy();
        facts.token = None;
        assert_eq!(check(&facts, &bare()).status, Status::NotChecked);
    }
}
