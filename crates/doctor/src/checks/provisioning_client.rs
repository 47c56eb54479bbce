//! The Intune Provisioning Client service principal (app id in
//! `hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID`): Device Preparation adds each
//! device to its device group as this app, which must own the group. Required when the
//! configuration has a Device Preparation policy, or without a configuration where Device
//! Preparation is the only Autopilot (GCC High, DoD); elsewhere its absence is only noted.

use hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID;

use super::{PROVISIONING_CLIENT, expect_read};
use crate::facts::TenantFacts;
use crate::finding::{CheckResult, Finding};
use crate::intent::Intent;

pub(super) fn check(facts: &TenantFacts, intent: &Intent<'_>) -> CheckResult {
    let policies = intent.device_preparation();
    let required = match &policies {
        Some(policies) => !policies.is_empty(),
        None => !intent.cloud.has_classic_autopilot(),
    };
    let found = match expect_read(
        &facts.provisioning_client,
        &PROVISIONING_CLIENT,
        "service principals",
        "Application.Read.All",
    ) {
        Ok(found) => found,
        Err(result) => return result,
    };
    match (found, required) {
        (Some(sp), _) => CheckResult::looked(
            &PROVISIONING_CLIENT,
            format!("present: {} ({})", sp.display_name, sp.id),
            Vec::new(),
        ),
        (None, true) => CheckResult::looked(
            &PROVISIONING_CLIENT,
            "missing",
            vec![Finding::error(
                format!(
                    "the Intune Provisioning Client service principal (app id {INTUNE_PROVISIONING_CLIENT_APP_ID}) is not in the tenant: Device Preparation cannot add devices to its device group"
                ),
                format!(
                    "create it (`New-MgServicePrincipal -AppId {INTUNE_PROVISIONING_CLIENT_APP_ID}`, or `POST /servicePrincipals {{\"appId\":\"{INTUNE_PROVISIONING_CLIENT_APP_ID}\"}}` with Application.ReadWrite.All), then `hangar apply` makes it the owner of each Device Preparation device group"
                ),
            )],
        ),
        (None, false) => CheckResult::skipped(
            &PROVISIONING_CLIENT,
            match policies {
                Some(_) => "not in the tenant; the configuration has no Device Preparation policy",
                None => "not in the tenant; needed only for Device Preparation",
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::facts::Read;
    use crate::finding::Status;

    #[test]
    fn required_where_device_preparation_is_the_only_autopilot() {
        let mut facts = healthy();
        facts.provisioning_client = Read::Got(None);
        let gcc_high = check(&facts, &Intent::bare(Cloud::GccHigh, "t"));
        assert_eq!(gcc_high.status, Status::Findings);
        let commercial = check(&facts, &Intent::bare(Cloud::Commercial, "t"));
        assert_eq!(commercial.status, Status::Skipped);
        assert_eq!(
            check(&healthy(), &Intent::bare(Cloud::GccHigh, "t")).status,
            Status::Passed
        );
    }
}
