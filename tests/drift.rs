//! `hangar drift` names who changed a drifted object: the simulator records every write it
//! answers in its Intune and Entra audit logs, a "portal edit" is a write with an admin's
//! delegated token, and drift shows the newest events of each drifted object in every format.
//! Without the audit permissions drift still works and says what it could not read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{stdout, text};
use hangar_sim::{DEFAULT_APP_ROLES, Sim, SimCloud, SimConfig};
use serde_json::{Value, json};

const CLIENT_ID: &str = "hangar-e2e";
const ADMIN: &str = "admin@contoso.example";
const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

fn contoso() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/many-tenants/tenants/contoso")
}

fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", "e2e-secret-value")
        .output()
        .expect("hangar runs")
}

#[track_caller]
fn assert_code(output: &Output, expected: i32) {
    assert_eq!(output.status.code(), Some(expected), "{}", text(output));
}

/// A converged Commercial tenant for the contoso example whose app holds `extra` roles on top
/// of hangar's defaults, edited in the portal: the restriction's description (Intune) and the
/// group's description (Entra).
fn edited_tenant(extra: &[&str]) -> Sim {
    // The simulator's default roles include `DeviceManagementApps.Read.All`: left out here, so
    // that `extra` alone decides what the audit reads may do.
    let roles: Vec<&str> = DEFAULT_APP_ROLES
        .iter()
        .copied()
        .filter(|role| *role != "DeviceManagementApps.Read.All")
        .chain(extra.iter().copied())
        .collect();
    let config = SimConfig::default()
        .cloud(SimCloud::Commercial)
        .tenant_id(TENANT_ID)
        .clock_scale(100.0)
        .app_roles(roles);
    let sim = Sim::start_background(config).unwrap();
    let dir = contoso();
    let url = sim.url();
    assert_code(
        &hangar(&[
            "apply",
            dir.to_str().unwrap(),
            "--endpoint",
            &url,
            "--auto-approve",
        ]),
        0,
    );
    let (restriction, odata_type, group) = sim.with_state(|state| {
        let restriction = state
            .enrollment_configurations
            .values()
            .find(|c| c.display_name() == "Block personal Windows devices")
            .unwrap();
        let group = state
            .groups
            .values()
            .find(|g| g.display_name() == "All-Employees")
            .unwrap();
        (
            restriction.id.clone(),
            restriction.odata_type.clone(),
            group.id.clone(),
        )
    });
    let token = sim.issue_delegated_token(
        ADMIN,
        &[
            "DeviceManagementServiceConfig.ReadWrite.All",
            "Group.ReadWrite.All",
        ],
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for (path, body) in [
            (
                format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{restriction}"),
                json!({"@odata.type": format!("#microsoft.graph.{odata_type}"), "description": "edited in the portal"}),
            ),
            (format!("/v1.0/groups/{group}"), json!({"description": "edited in the portal"})),
        ] {
            let status = client
                .patch(format!("{url}{path}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "{path}: {status}");
        }
    });
    sim
}

#[test]
fn drift_names_who_changed_each_drifted_object_in_every_format() {
    let sim = edited_tenant(&[
        "DeviceManagementApps.Read.All",
        "AuditLog.Read.All",
        "Directory.Read.All",
    ]);
    let dir = contoso();
    let url = sim.url();
    let output = hangar(&[
        "drift",
        dir.to_str().unwrap(),
        "--endpoint",
        &url,
        "--format",
        "json",
    ]);
    assert_code(&output, 2);
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(plan.get("warnings").is_none(), "{plan:#}");
    let history = plan["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{plan:#}");
    for (kind, log) in [("EnrollmentRestriction", "intune"), ("DeviceGroup", "entra")] {
        let object = history
            .iter()
            .find(|h| h["address"]["kind"] == kind)
            .unwrap_or_else(|| panic!("{kind}: {plan:#}"));
        let newest = &object["events"][0];
        assert_eq!(newest["log"], log, "{object:#}");
        assert_eq!(newest["actor"], ADMIN, "{object:#}");
        assert_eq!(newest["actor_kind"], "user");
        assert_eq!(newest["properties"], json!(["description"]), "{object:#}");
        // Before the portal edit, hangar's own apply created it: the app.
        let events = object["events"].as_array().unwrap();
        let oldest = events.last().unwrap();
        assert_eq!(oldest["actor"], CLIENT_ID, "{object:#}");
        assert_eq!(oldest["actor_kind"], "application");
    }

    let output = hangar(&["drift", dir.to_str().unwrap(), "--endpoint", &url]);
    assert_code(&output, 2);
    let shown = stdout(&output);
    assert!(
        shown.contains(&format!("changed by {ADMIN} (user) at ")),
        "{shown}"
    );
    assert!(shown.contains("(description) [Intune audit log]"), "{shown}");
    assert!(
        shown.contains("Update group (description) [Entra audit log]"),
        "{shown}"
    );

    let output = hangar(&[
        "drift",
        dir.to_str().unwrap(),
        "--endpoint",
        &url,
        "--format",
        "markdown",
    ]);
    assert_code(&output, 2);
    assert!(
        stdout(&output).contains(&format!("- changed by {ADMIN} (user)")),
        "{}",
        stdout(&output)
    );

    // The reads are the documented ones: one object each, newest first, a bounded page.
    let log = sim.request_log();
    let intune = log
        .iter()
        .find(|r| r.path.contains("/deviceManagement/auditEvents"))
        .expect("an Intune audit read");
    assert!(intune.path.starts_with("/v1.0/"), "{}", intune.path);
    let directory = log
        .iter()
        .find(|r| r.path.contains("/auditLogs/directoryAudits"))
        .expect("an Entra audit read");
    assert!(directory.path.starts_with("/v1.0/"), "{}", directory.path);

    // `--no-history` reads no audit log.
    let before = sim.request_log().len();
    let output = hangar(&[
        "drift",
        dir.to_str().unwrap(),
        "--endpoint",
        &url,
        "--no-history",
        "--format",
        "json",
    ]);
    assert_code(&output, 2);
    assert!(!stdout(&output).contains("\"history\""));
    assert!(
        sim.request_log()[before..]
            .iter()
            .all(|r| !r.path.contains("audit")),
        "no audit read"
    );
}

#[test]
fn without_the_audit_permissions_drift_says_what_it_could_not_read() {
    let sim = edited_tenant(&[]);
    let dir = contoso();
    let output = hangar(&[
        "drift",
        dir.to_str().unwrap(),
        "--endpoint",
        &sim.url(),
        "--format",
        "json",
    ]);
    assert_code(&output, 2);
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(plan.get("history").is_none(), "{plan:#}");
    let warnings = plan["warnings"].to_string();
    assert!(warnings.contains("DeviceManagementApps.Read.All"), "{warnings}");
    assert!(warnings.contains("AuditLog.Read.All"), "{warnings}");
    // One refusal per log, not one per object.
    let refused = sim
        .request_log()
        .iter()
        .filter(|r| r.path.contains("audit") && r.status == 403)
        .count();
    assert_eq!(refused, 2);
}
