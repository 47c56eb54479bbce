//! The checks, one module each, all pure: `(facts, intent, now) → CheckResult`. [`CHECKS`]
//! lists them in report order; [`run_all`] runs them.

mod connector;
mod device_join;
mod device_status;
mod licences;
mod mdm;
mod permissions;
mod provisioning_client;
mod sync;

pub use device_status::{DeviceStatus, TagRow};

use crate::facts::{Read, Refusal, TenantFacts};
use crate::finding::{Check, CheckResult, Finding};
use crate::intent::Intent;

/// The signed-in app's permissions against what each command needs.
pub static PERMISSIONS: Check = Check {
    id: "permissions",
    title: "Permissions of the signed-in app",
    source: "https://learn.microsoft.com/graph/permissions-reference",
};
/// Intune (and Entra ID P1) licences.
pub static LICENCES: Check = Check {
    id: "licences",
    title: "Intune licences",
    source: "https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference",
};
/// MDM user scope and URLs.
pub static MDM: Check = Check {
    id: "mdm-scope",
    title: "MDM user scope and MDM URLs",
    source: "https://learn.microsoft.com/mem/intune/enrollment/windows-enroll",
};
/// Whether users may join devices to Entra.
pub static DEVICE_JOIN: Check = Check {
    id: "device-join",
    title: "Users may join devices to Microsoft Entra",
    source: "https://learn.microsoft.com/graph/api/resources/deviceregistrationpolicy",
};
/// Intune Connector for Active Directory.
pub static CONNECTOR: Check = Check {
    id: "intune-connector",
    title: "Intune Connector for Active Directory (hybrid join)",
    source: "https://learn.microsoft.com/autopilot/tutorial/user-driven/hybrid-azure-ad-join-intune-connector",
};
/// Intune Provisioning Client service principal.
pub static PROVISIONING_CLIENT: Check = Check {
    id: "provisioning-client",
    title: "Intune Provisioning Client service principal (Device Preparation)",
    source: "https://learn.microsoft.com/autopilot/device-preparation/tutorial/user-driven/entra-join-device-group",
};
/// Autopilot sync state and time.
pub static SYNC: Check = Check {
    id: "autopilot-sync",
    title: "Autopilot sync",
    source: "https://learn.microsoft.com/graph/api/resources/intune-enrollment-windowsautopilotsettings",
};
/// Profile assignment of registered devices.
pub static DEVICE_STATUS: Check = Check {
    id: "device-status",
    title: "Profile assignment of registered devices",
    source: "https://learn.microsoft.com/graph/api/resources/intune-enrollment-windowsautopilotdeviceidentity",
};

/// Every check, in report order.
pub static CHECKS: [&Check; 8] = [
    &PERMISSIONS,
    &LICENCES,
    &MDM,
    &DEVICE_JOIN,
    &CONNECTOR,
    &PROVISIONING_CLIENT,
    &SYNC,
    &DEVICE_STATUS,
];

/// Runs every check; `now_ms` is the wall clock (connector and sync ages).
pub fn run_all(
    facts: &TenantFacts,
    intent: &Intent<'_>,
    now_ms: i64,
) -> (Vec<CheckResult>, Option<DeviceStatus>) {
    let (device_result, table) = device_status::check(facts, intent);
    let results = vec![
        permissions::check(facts, intent),
        licences::check(facts),
        mdm::check(facts, intent),
        device_join::check(facts, intent),
        connector::check(facts, intent, now_ms),
        provisioning_client::check(facts, intent),
        sync::check(facts, now_ms),
        device_result,
    ];
    (results, table)
}

/// The result of a check whose read Graph refused. A missing application permission that would
/// have allowed the read is a warning; an API Graph does not offer here is only a note.
fn refused(check: &'static Check, what: &str, refusal: &Refusal, permission: &str) -> CheckResult {
    if refusal.is_permission() {
        CheckResult::not_checked(
            check,
            format!("could not read {what}: {}", refusal.describe()),
            format!(
                "grant the app `{permission}` (application permission, admin consent) and run doctor again"
            ),
            Some(Finding::warning(
                format!("doctor cannot read {what}: the app lacks `{permission}`"),
                format!(
                    "grant `{permission}` to the app registration and consent to it, or check by hand (see {})",
                    check.source
                ),
            )),
        )
    } else {
        CheckResult::not_checked(
            check,
            format!("Graph does not offer {what} here: {}", refusal.describe()),
            format!("check by hand (see {})", check.source),
            None,
        )
    }
}

/// Whole days and hours between two instants, for people (`3 days`, `5 hours`, `12 minutes`).
pub(crate) fn age(from_ms: i64, to_ms: i64) -> String {
    let minutes = (to_ms - from_ms).max(0) / 60_000;
    match minutes {
        m if m >= 2 * 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m >= 120 => format!("{} hours", m / 60),
        m => format!("{m} minutes"),
    }
}

/// The value of `read` or the early result for a read that did not happen.
fn expect_read<'f, T>(
    read: &'f Read<T>,
    check: &'static Check,
    what: &str,
    permission: &str,
) -> Result<&'f T, CheckResult> {
    match read {
        Read::Got(value) => Ok(value),
        Read::Refused(refusal) => Err(refused(check, what, refusal, permission)),
        Read::NotRead => Err(CheckResult::skipped(check, format!("{what} not read"))),
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Facts of a healthy tenant, for the checks' unit tests to break one at a time.

    use hangar_graph::resources::devices::SyncSettings;
    use hangar_graph::{TokenClaims, TokenKind};

    use crate::facts::*;
    use crate::tables::INTUNE_APP_ID;

    /// 2026-03-01T12:00:00Z.
    pub const NOW: i64 = 1_772_366_400_000;

    pub fn healthy() -> TenantFacts {
        TenantFacts {
            token: Some(TokenClaims {
                kind: TokenKind::Application,
                app_id: Some("app".into()),
                tenant_id: Some("t".into()),
                audience: Some("https://graph.microsoft.com".into()),
                user: None,
                permissions: hangar_sim::DEFAULT_APP_ROLES
                    .iter()
                    .map(|r| (*r).to_owned())
                    .collect(),
            }),
            mdm: Read::Got(vec![MdmPolicy {
                id: INTUNE_APP_ID.into(),
                display_name: "Microsoft Intune".into(),
                applies_to: "all".into(),
                discovery_url: Some(
                    "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc".into(),
                ),
                terms_of_use_url: Some("https://portal.manage.microsoft.com/TermsofUse.aspx".into()),
                compliance_url: Some("https://portal.manage.microsoft.com/?portalAction=Compliance".into()),
                is_valid: true,
                included_groups: Vec::new(),
            }]),
            device_registration: Read::Got(DeviceRegistration {
                allowed_to_join: JoinScope::All,
                user_device_quota: Some(50),
                mfa: Some("notRequired".into()),
            }),
            skus: Read::Got(vec![Sku {
                part_number: "SPE_E3".into(),
                capability_status: "Enabled".into(),
                enabled_units: Some(25),
                plans: vec![
                    PlanInfo {
                        id: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5".into(),
                        name: "INTUNE_A".into(),
                        status: "Success".into(),
                    },
                    PlanInfo {
                        id: "41781fb2-bc02-4b7c-bd55-b576c07bb09d".into(),
                        name: "AAD_PREMIUM".into(),
                        status: "Success".into(),
                    },
                ],
            }]),
            connectors: Read::Got(vec![Connector {
                name: "HQ-CONN01".into(),
                state: "active".into(),
                version: Some("6.2501.2000.5".into()),
                last_connection: Some("2026-03-01T11:50:00Z".into()),
                last_connection_ms: Some(NOW - 10 * 60_000),
            }]),
            provisioning_client: Read::Got(Some(ServicePrincipal {
                id: "sp1".into(),
                display_name: "Intune Provisioning Client".into(),
            })),
            sync: Read::Got(SyncSettings {
                sync_status: "completed".into(),
                last_manual_trigger: None,
                last_manual_trigger_ms: None,
                last_sync: Some("2026-03-01T10:00:00Z".into()),
            }),
            devices: Read::Got(Vec::new()),
            profiles: Read::NotRead,
        }
    }
}
