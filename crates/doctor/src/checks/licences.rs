//! Intune licences: a service plan that licenses Intune (`INTUNE_A` and kin), provisioned, in
//! an active subscription. Basic Mobility and Security (`INTUNE_O365`) is not Intune and has
//! no Autopilot. Automatic MDM enrollment also needs Entra ID P1 (a warning when absent).

use super::{LICENCES, expect_read};
use crate::facts::TenantFacts;
use crate::finding::{CheckResult, Finding};
use crate::tables::{PlanRole, service_plan};

pub(super) fn check(facts: &TenantFacts) -> CheckResult {
    let skus = match expect_read(
        &facts.skus,
        &LICENCES,
        "the subscriptions",
        "Organization.Read.All",
    ) {
        Ok(skus) => skus,
        Err(result) => return result,
    };
    // (sku, plan name, provisioned and active) for every plan doctor recognises.
    let mut intune = Vec::new();
    let mut basic = false;
    let mut entra_p1 = false;
    for sku in skus {
        for plan in &sku.plans {
            let Some(known) = service_plan(&plan.id, &plan.name) else {
                continue;
            };
            let usable = sku.is_active() && plan.status.eq_ignore_ascii_case("Success");
            match known.role {
                PlanRole::Intune => intune.push((sku, known.name, usable, plan.status.clone())),
                PlanRole::BasicMobility => basic |= usable,
                PlanRole::EntraP1 => entra_p1 |= usable,
            }
        }
    }
    let usable: Vec<String> = intune
        .iter()
        .filter(|(_, _, usable, _)| *usable)
        .map(|(sku, plan, _, _)| format!("{plan} in {}", sku.part_number))
        .collect();
    let mut findings = Vec::new();
    if usable.is_empty() {
        let fix = "buy or renew a licence that includes Intune Plan 1 (Microsoft 365 E3/E5/F3/Business Premium, EMS E3/E5, Intune Plan 1; the _USGOV_GCCHIGH SKUs in GCC High) and assign it to the users who provision devices";
        if intune.is_empty() && basic {
            findings.push(Finding::error(
                "the tenant has only Basic Mobility and Security (INTUNE_O365), which is not Intune: Autopilot needs Intune",
                fix,
            ));
        } else if intune.is_empty() {
            findings.push(Finding::error("no subscription includes Intune", fix));
        } else {
            findings.push(
                Finding::error("Intune is licensed but not usable: its subscription is suspended or the plan is not provisioned", fix)
                    .naming(intune.iter().map(|(sku, plan, _, status)| {
                        format!("{plan} in {} (subscription {}, plan {status})", sku.part_number, sku.capability_status)
                    })),
            );
        }
    }
    if !entra_p1 {
        findings.push(Finding::warning(
            "no active Entra ID P1 or P2: Windows automatic MDM enrollment (and its MDM user scope) needs it",
            "license Entra ID P1 (included in Microsoft 365 E3/E5, EMS E3/E5, Business Premium)",
        ));
    }
    let summary = if usable.is_empty() {
        format!("{} subscription(s), none licenses Intune", skus.len())
    } else {
        format!("Intune licensed: {}", usable.join(", "))
    };
    CheckResult::looked(&LICENCES, summary, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::facts::{PlanInfo, Read};
    use crate::finding::{Severity, Status};

    #[test]
    fn intune_a_in_an_enabled_sku_passes() {
        let result = check(&healthy());
        assert_eq!(result.status, Status::Passed);
        assert_eq!(result.summary, "Intune licensed: INTUNE_A in SPE_E3");
    }

    #[test]
    fn basic_mobility_only_is_not_intune() {
        let mut facts = healthy();
        if let Read::Got(skus) = &mut facts.skus {
            skus[0].plans[0] = PlanInfo {
                id: "882e1d05-acd1-4ccb-8708-6ee03664b117".into(),
                name: "INTUNE_O365".into(),
                status: "Success".into(),
            };
        }
        let result = check(&facts);
        assert_eq!(result.findings.len(), 1);
        assert!(result.findings[0].message.contains("Basic Mobility"));
    }

    #[test]
    fn a_suspended_subscription_and_a_missing_p1_are_found() {
        let mut facts = healthy();
        if let Read::Got(skus) = &mut facts.skus {
            skus[0].capability_status = "Suspended".into();
        }
        let result = check(&facts);
        let severities: Vec<Severity> = result.findings.iter().map(|f| f.severity).collect();
        assert_eq!(severities, [Severity::Error, Severity::Warning]);
        assert!(result.findings[0].items[0].contains("subscription Suspended"));
    }
}
