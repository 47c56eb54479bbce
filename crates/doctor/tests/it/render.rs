//! The three formats of a tenant report and of a device report, as snapshots. The tenant report
//! is built from fixed facts (a commercial tenant with something wrong in most checks) at a
//! fixed time, so the snapshots are exact.

use hangar_doctor::dsregcmd::compare::Identify;
use hangar_doctor::facts::*;
use hangar_doctor::render::{json, markdown, text};
use hangar_doctor::{Intent, check_device, report_from};
use hangar_graph::resources::devices::{ProfileStatus, SyncSettings};
use hangar_graph::{TokenClaims, TokenKind};

use crate::{example, fixture};

/// 2026-03-01T12:00:00Z.
const NOW: i64 = 1_772_366_400_000;

fn device(serial: &str, tag: &str, status: &str, detail: &str) -> ProfileStatus {
    ProfileStatus {
        id: format!("id-{serial}"),
        serial_number: Some(serial.into()),
        group_tag: Some(tag.into()),
        display_name: None,
        enrollment_state: Some("notContacted".into()),
        deployment_profile_assignment_status: Some(status.into()),
        deployment_profile_assignment_detailed_status: Some(detail.into()),
        deployment_profile_assigned_date_time: None,
    }
}

fn broken_tenant() -> TenantFacts {
    TenantFacts {
        token: Some(TokenClaims {
            kind: TokenKind::Delegated,
            app_id: Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46".into()),
            tenant_id: Some("3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44".into()),
            audience: Some("https://graph.microsoft.com".into()),
            user: Some("admin@contoso.com".into()),
            permissions: vec![
                "DeviceManagementServiceConfig.Read.All".into(),
                "DeviceManagementConfiguration.Read.All".into(),
                "Group.Read.All".into(),
                "Application.Read.All".into(),
                "Policy.Read.All".into(),
            ],
        }),
        mdm: Read::Got(vec![MdmPolicy {
            id: "0000000a-0000-0000-c000-000000000000".into(),
            display_name: "Microsoft Intune".into(),
            applies_to: "none".into(),
            discovery_url: None,
            terms_of_use_url: Some("https://portal.manage.microsoft.com/TermsofUse.aspx".into()),
            compliance_url: Some("https://portal.manage.microsoft.com/?portalAction=Compliance".into()),
            is_valid: true,
            included_groups: Vec::new(),
        }]),
        device_registration: Read::Got(DeviceRegistration {
            allowed_to_join: JoinScope::All,
            user_device_quota: Some(50),
            mfa: Some("required".into()),
        }),
        skus: Read::Refused(Refusal {
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
        }),
        connectors: Read::Got(vec![Connector {
            name: "HQ-CONN01".into(),
            state: "active".into(),
            version: Some("6.2501.2000.5".into()),
            last_connection: Some("2026-02-24T12:00:00Z".into()),
            last_connection_ms: Some(NOW - 5 * 24 * 3600 * 1000),
        }]),
        provisioning_client: Read::Got(None),
        sync: Read::Got(SyncSettings {
            sync_status: "failed".into(),
            last_manual_trigger: None,
            last_manual_trigger_ms: None,
            last_sync: Some("2026-02-28T12:00:00Z".into()),
        }),
        devices: Read::Got(vec![
            device("5CG3ERLLRV", "Engineering", "assignedInSync", "none"),
            device("WVDWS6T", "Engineering", "notAssigned", "none"),
            device("PFTZ1YAF", "Sales", "failed", "hardwareRequirementsNotMet"),
            device("NZ33LR6", "HQ-Hybrid", "pending", "none"),
            device("X-1", "", "notAssigned", "none"),
        ]),
        profiles: Read::NotRead,
    }
}

#[test]
fn tenant_report_formats() {
    let config = example("commercial");
    let report = report_from(&broken_tenant(), &Intent::of(&config), NOW);
    assert!(report.has_findings());
    insta::assert_snapshot!("tenant_text", text::report(&report));
    insta::assert_snapshot!("tenant_markdown", markdown::report(&report));
    insta::assert_snapshot!("tenant_json", json::report(&report));
}

#[test]
fn device_report_formats() {
    let config = example("commercial");
    let path = fixture("hybrid-entra-only.txt");
    let bytes = std::fs::read(&path).unwrap();
    let check = check_device(
        &bytes,
        std::path::Path::new("hybrid-entra-only.txt"),
        &Intent::of(&config),
        &Identify::Name,
    )
    .unwrap();
    insta::assert_snapshot!("device_text", text::device(&check));
    insta::assert_snapshot!("device_markdown", markdown::device(&check));
    insta::assert_snapshot!("device_json", json::device(&check));
}
