//! Facts doctor compares the tenant with, as data: Intune's MDM URLs per cloud, the service
//! plans that license Intune, and well-known ids. Sources are in `docs/doctor.md`.

use hangar_model::Cloud;

/// App id of Microsoft Intune; Entra's MDM policy for Intune has this id.
pub const INTUNE_APP_ID: &str = "0000000a-0000-0000-c000-000000000000";

/// Display name of Intune's MDM policy in Entra (Entra > Settings > Mobility).
pub const INTUNE_MDM_POLICY_NAME: &str = "Microsoft Intune";

/// Intune's MDM URLs in one cloud: what "Restore default MDM URLs" sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdmUrls {
    /// MDM discovery URL (`discoveryUrl`; `MdmUrl` in `dsregcmd /status`).
    pub discovery: &'static str,
    /// MDM terms of use URL (`termsOfUseUrl`; `MdmTouUrl`).
    pub terms_of_use: &'static str,
    /// MDM compliance URL (`complianceUrl`; `MdmComplianceUrl`).
    pub compliance: &'static str,
}

const COMMERCIAL_URLS: MdmUrls = MdmUrls {
    discovery: "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
    terms_of_use: "https://portal.manage.microsoft.com/TermsofUse.aspx",
    compliance: "https://portal.manage.microsoft.com/?portalAction=Compliance",
};

/// The provisioning guide lists these for GCC High; Intune's US government documentation gives
/// `enrollment.manage.microsoft.us` for every US government cloud, so DoD gets the same (its
/// portal URLs are not separately documented: UNVERIFIED for DoD).
const US_GOVERNMENT_URLS: MdmUrls = MdmUrls {
    discovery: "https://enrollment.manage.microsoft.us/enrollmentserver/discovery.svc",
    terms_of_use: "https://portal.manage.microsoft.us/TermsofUse.aspx",
    compliance: "https://portal.manage.microsoft.us/?portalAction=Compliance",
};

/// Intune's MDM URLs in `cloud`.
pub fn mdm_urls(cloud: Cloud) -> &'static MdmUrls {
    match cloud {
        Cloud::Commercial | Cloud::Gcc => &COMMERCIAL_URLS,
        Cloud::GccHigh | Cloud::Dod => &US_GOVERNMENT_URLS,
    }
}

/// What a service plan means for Autopilot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRole {
    /// Licenses Intune (MDM, Autopilot).
    Intune,
    /// Basic Mobility and Security (MDM for Office 365): not Intune, no Autopilot.
    BasicMobility,
    /// Entra ID P1: automatic MDM enrollment needs it.
    EntraP1,
}

/// A service plan doctor recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicePlan {
    /// `servicePlanName`.
    pub name: &'static str,
    /// `servicePlanId`.
    pub id: &'static str,
    /// What it is for.
    pub role: PlanRole,
}

/// Service plans matched by name or id. Ids: Microsoft's "Product names and service plan
/// identifiers for licensing" (INTUNE_A, AAD_PREMIUM, INTUNE_O365 read there; the others
/// from compilations of that page: see `docs/doctor.md`).
pub const SERVICE_PLANS: [ServicePlan; 7] = [
    ServicePlan {
        name: "INTUNE_A",
        id: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
        role: PlanRole::Intune,
    },
    ServicePlan {
        name: "INTUNE_A_GOV",
        id: "d216f254-796f-4dab-bbfa-710686e646b9",
        role: PlanRole::Intune,
    },
    ServicePlan {
        name: "INTUNE_A_VL",
        id: "3e170737-c728-4eae-bbb9-3f3360f7184c",
        role: PlanRole::Intune,
    },
    ServicePlan {
        name: "INTUNE_EDU",
        id: "da24caf9-af8e-485c-b7c8-e73336da2693",
        role: PlanRole::Intune,
    },
    ServicePlan {
        name: "INTUNE_O365",
        id: "882e1d05-acd1-4ccb-8708-6ee03664b117",
        role: PlanRole::BasicMobility,
    },
    ServicePlan {
        name: "AAD_PREMIUM",
        id: "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
        role: PlanRole::EntraP1,
    },
    ServicePlan {
        name: "AAD_PREMIUM_P2",
        id: "eec0eb4f-6444-4f95-aba0-50c24d67f998",
        role: PlanRole::EntraP1,
    },
];

/// The plan with this id or name, if doctor knows it.
pub fn service_plan(id: &str, name: &str) -> Option<&'static ServicePlan> {
    SERVICE_PLANS
        .iter()
        .find(|plan| plan.id.eq_ignore_ascii_case(id) || plan.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_government_clouds_use_the_us_urls() {
        for cloud in Cloud::ALL {
            let urls = mdm_urls(cloud);
            let us = matches!(cloud, Cloud::GccHigh | Cloud::Dod);
            for url in [urls.discovery, urls.terms_of_use, urls.compliance] {
                assert_eq!(url.contains(".microsoft.us/"), us, "{cloud}: {url}");
            }
        }
    }

    #[test]
    fn plans_are_found_by_id_or_name() {
        assert_eq!(
            service_plan("C1EC4A95-1F05-45B3-A911-AA3FA01094F5", "").map(|p| p.name),
            Some("INTUNE_A")
        );
        assert_eq!(
            service_plan("", "intune_o365").map(|p| p.role),
            Some(PlanRole::BasicMobility)
        );
        assert_eq!(service_plan("x", "EXCHANGE_S_STANDARD"), None);
    }
}
