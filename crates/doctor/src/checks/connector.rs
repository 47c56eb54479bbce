//! The Intune Connector for Active Directory, when hybrid Autopilot profiles exist (in the
//! configuration, or without one in the tenant): it creates the computer objects of hybrid
//! devices, so at least one must be active and in touch with Intune. The guide's fixes come
//! with each finding.

use super::{CONNECTOR, age};
use crate::facts::{Connector, Read, TenantFacts};
use crate::finding::{CheckResult, Finding};
use crate::intent::Intent;

/// A connector silent for longer than this is reported. Microsoft documents no threshold; a
/// running connector checks in far more often than daily, so a day of silence means it is not
/// running (hangar's choice).
pub(crate) const STALE_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

const LOGS: &str = "check the Intune Connector service (ODJConnectorSvc) on the connector server, its connectivity to a writable domain controller and to Intune, and its logs in C:\\ProgramData\\Microsoft\\IntuneConnector\\Logs";

pub(super) fn check(facts: &TenantFacts, intent: &Intent<'_>, now_ms: i64) -> CheckResult {
    if !intent.cloud.has_classic_autopilot() {
        return CheckResult::skipped(
            &CONNECTOR,
            format!("hybrid join through Autopilot does not exist in {}", intent.cloud),
        );
    }
    let hybrid: Vec<String> = match (intent.hybrid_profiles(), &facts.profiles) {
        (Some(names), _) => names,
        (None, Read::Got(profiles)) => profiles
            .iter()
            .filter(|p| p.hybrid)
            .map(|p| p.name.clone())
            .collect(),
        (None, _) => Vec::new(),
    };
    if hybrid.is_empty() {
        let source = if intent.config.is_some() {
            "the configuration has"
        } else {
            "the tenant has"
        };
        return CheckResult::skipped(&CONNECTOR, format!("{source} no hybrid-join profile"));
    }
    let connectors = match &facts.connectors {
        Read::Got(connectors) => connectors,
        Read::Refused(refusal) => {
            return super::refused(
                &CONNECTOR,
                "the Intune Connectors",
                refusal,
                "DeviceManagementConfiguration.Read.All",
            );
        }
        Read::NotRead => return CheckResult::skipped(&CONNECTOR, "connectors not read"),
    };
    let profiles = hybrid.join(", ");
    if connectors.is_empty() {
        return CheckResult::looked(
            &CONNECTOR,
            format!("no connector; hybrid profiles: {profiles}"),
            vec![Finding::error(
                "hybrid profiles exist but no Intune Connector for Active Directory is installed: hybrid devices cannot get a computer object and fail during setup",
                "install the Intune Connector for Active Directory on a domain-joined Windows Server 2016 or later with line of sight to a domain controller (Intune admin center, Devices > Windows > Enrollment > Intune Connector for Active Directory)",
            )],
        );
    }
    let healthy = |c: &Connector| {
        c.state.eq_ignore_ascii_case("active")
            && c.last_connection_ms
                .is_some_and(|seen| now_ms - seen <= STALE_AFTER_MS)
    };
    let describe = |c: &Connector| {
        let seen = match c.last_connection_ms {
            Some(ms) => format!("last seen {} ago", age(ms, now_ms)),
            None => "never seen".to_owned(),
        };
        let version = c
            .version
            .as_deref()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default();
        format!("{} ({}, {seen}{version})", c.name, c.state)
    };
    let good: Vec<&Connector> = connectors.iter().filter(|c| healthy(c)).collect();
    let bad: Vec<&Connector> = connectors.iter().filter(|c| !healthy(c)).collect();
    let mut findings = Vec::new();
    if good.is_empty() {
        findings.push(
            Finding::error(
                "no Intune Connector for Active Directory is active and in touch with Intune: hybrid devices fail at \"Joining your organization's network\"",
                LOGS,
            )
            .naming(bad.iter().map(|c| describe(c))),
        );
    } else if !bad.is_empty() {
        findings.push(
            Finding::warning(
                "an Intune Connector for Active Directory is not active or not in touch with Intune",
                LOGS,
            )
            .naming(bad.iter().map(|c| describe(c))),
        );
    }
    CheckResult::looked(
        &CONNECTOR,
        format!(
            "{} of {} connector(s) healthy: {}; hybrid profiles: {profiles}",
            good.len(),
            connectors.len(),
            connectors.iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
        findings,
    )
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;
    use crate::checks::fixtures::{NOW, healthy};
    use crate::facts::ProfileSummary;
    use crate::finding::{Severity, Status};

    fn hybrid_tenant() -> TenantFacts {
        let mut facts = healthy();
        facts.profiles = Read::Got(vec![ProfileSummary {
            name: "HQ Hybrid".into(),
            hybrid: true,
        }]);
        facts
    }

    fn connectors(facts: &mut TenantFacts) -> &mut Vec<Connector> {
        match &mut facts.connectors {
            Read::Got(c) => c,
            _ => unreachable!("the fixture reads connectors"),
        }
    }

    #[test]
    fn skipped_without_hybrid_profiles_and_in_gcc_high() {
        let bare = Intent::bare(Cloud::Commercial, "t");
        assert_eq!(check(&healthy(), &bare, NOW).status, Status::Skipped);
        let gcc_high = Intent::bare(Cloud::GccHigh, "t");
        assert_eq!(check(&hybrid_tenant(), &gcc_high, NOW).status, Status::Skipped);
    }

    #[test]
    fn an_active_recent_connector_passes() {
        let result = check(&hybrid_tenant(), &Intent::bare(Cloud::Commercial, "t"), NOW);
        assert_eq!(result.status, Status::Passed, "{result:?}");
        assert!(
            result
                .summary
                .contains("HQ-CONN01 (active, last seen 10 minutes ago, version 6.2501.2000.5)")
        );
    }

    #[test]
    fn missing_stale_and_broken_connectors_are_found() {
        let intent = Intent::bare(Cloud::Commercial, "t");
        let mut none = hybrid_tenant();
        connectors(&mut none).clear();
        assert_eq!(check(&none, &intent, NOW).findings[0].severity, Severity::Error);

        let mut stale = hybrid_tenant();
        connectors(&mut stale)[0].last_connection_ms = Some(NOW - 3 * STALE_AFTER_MS);
        let result = check(&stale, &intent, NOW);
        assert_eq!(result.findings[0].severity, Severity::Error);
        assert_eq!(
            result.findings[0].items,
            ["HQ-CONN01 (active, last seen 3 days ago, version 6.2501.2000.5)"]
        );

        let mut mixed = hybrid_tenant();
        let mut broken = connectors(&mut mixed)[0].clone();
        broken.name = "HQ-CONN02".into();
        broken.state = "error".into();
        connectors(&mut mixed).push(broken);
        let result = check(&mixed, &intent, NOW);
        assert_eq!(result.findings[0].severity, Severity::Warning);
        assert!(result.findings[0].items[0].starts_with("HQ-CONN02 (error"));
    }
}
