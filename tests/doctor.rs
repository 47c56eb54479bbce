//! `hangar doctor` end to end: the binary against the simulator over real HTTP, in the
//! Commercial and the GCC High example, a healthy tenant and then one broken setting at a time
//! (each test asserts that exactly the expected checks report findings); and `--dsregcmd` with
//! the committed `dsregcmd /status` fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;

use common::{policies, sim_config, stderr, stdout};
use hangar_sim::tenant_settings::{DomainJoinConnector, JoinScope, MdmScope, MdmUrls};
use hangar_sim::{DEFAULT_APP_ROLES, DeviceSeed, FaultRule, Sim, SimConfig};
use serde_json::Value;

const CLIENT_ID: &str = "hangar-doctor-e2e";
const CLIENT_SECRET: &str = "doctor-secret-value";
const COMMERCIAL_TENANT: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";
const GCC_HIGH_TENANT: &str = "9a2e4c71-5b3d-4f08-a6e1-2c7d8b0f4a35";

/// The checks, in report order.
const CHECKS: [&str; 8] = [
    "permissions",
    "licences",
    "mdm-scope",
    "device-join",
    "intune-connector",
    "provisioning-client",
    "autopilot-sync",
    "device-status",
];

fn dsregcmd(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/doctor/tests/fixtures/dsregcmd")
        .join(name)
}

/// A tenant of the example, healthy for it: in Commercial a running connector (the example has
/// a hybrid profile) and registered devices of every tag with their profile assigned.
fn healthy(example: &str, config: SimConfig) -> Sim {
    let sim = Sim::start_background(config).expect("the simulator starts");
    if example == "commercial" {
        sim.add_devices([
            DeviceSeed::new("5CG3ERLLRV", "Engineering"),
            DeviceSeed::new("WVDWS6T", "Engineering"),
            DeviceSeed::new("PFTZ1YAF", "Sales"),
            DeviceSeed::new("KSK-1", "Kiosk"),
            DeviceSeed::new("NZ33LR6", "HQ-Hybrid"),
        ]);
        sim.with_state(|state| {
            for device in state.devices.values_mut() {
                device.deployment_profile_assignment_status = "assignedInSync".into();
            }
            state.tenant_settings.connectors.push(DomainJoinConnector {
                id: "6a1c9f0e-0b3e-4a0c-9a55-2d8f1c7e4b10".into(),
                display_name: "HQ-CONN01".into(),
                state: "active".into(),
                version: "6.2501.2000.5".into(),
                last_connection_ms: None,
            });
        });
    } else {
        sim.add_devices([DeviceSeed::new("5CG2Q5AQGL", "")]);
    }
    sim
}

fn start(example: &str) -> Sim {
    healthy(example, sim_config(example))
}

/// `hangar doctor ARGS --endpoint SIM` with the test client's secret, or with `token` as
/// `HANGAR_ACCESS_TOKEN`.
fn doctor(sim: &Sim, args: &[&str], token: Option<&str>) -> Output {
    let url = sim.url();
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    all.extend(["--endpoint", url.as_str()]);
    let mut command = common::hangar(&all);
    match token {
        Some(token) => command.env("HANGAR_ACCESS_TOKEN", token),
        None => command
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET),
    };
    command.output().expect("hangar runs")
}

fn json_doctor(sim: &Sim, example: &str, token: Option<&str>) -> (i32, Value) {
    let dir = policies(example);
    let output = doctor(sim, &[dir.to_str().unwrap(), "--format", "json"], token);
    let code = output.status.code().expect("exited");
    let value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}\n{}", common::text(&output)));
    (code, value)
}

/// An admin's delegated token with every permission doctor and plan use, and the one that
/// reads the MDM policies.
fn admin_token(sim: &Sim) -> String {
    let mut scopes: Vec<&str> = DEFAULT_APP_ROLES.to_vec();
    scopes.push("Policy.Read.All");
    sim.issue_delegated_token("admin@contoso.com", &scopes)
}

/// check id → (status, [(severity, message)]).
fn results(report: &Value) -> BTreeMap<String, (String, Vec<(String, String)>)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let findings = c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["severity"].as_str().unwrap().to_owned(),
                        f["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (
                c["id"].as_str().unwrap().to_owned(),
                (c["status"].as_str().unwrap().to_owned(), findings),
            )
        })
        .collect()
}

/// Asserts exit 2 and that exactly `expected` checks report findings, the first finding of
/// `check` being of `severity` and containing `needle`.
#[track_caller]
fn assert_only(report: &(i32, Value), expected: &[&str], check: &str, severity: &str, needle: &str) {
    let (code, value) = report;
    let results = results(value);
    let with_findings: Vec<&str> = results
        .iter()
        .filter(|(_, (_, findings))| !findings.is_empty())
        .map(|(id, _)| id.as_str())
        .collect();
    let mut want: Vec<&str> = expected.to_vec();
    want.sort_unstable();
    assert_eq!(with_findings, want, "{value:#}");
    assert_eq!(*code, 2, "{value:#}");
    let (found_severity, message) = &results[check].1[0];
    assert_eq!(found_severity, severity, "{message}");
    assert!(message.contains(needle), "`{needle}` not in `{message}`");
}

#[test]
fn a_healthy_commercial_tenant_passes_with_an_application_token() {
    let sim = start("commercial");
    let (code, report) = json_doctor(&sim, "commercial", None);
    let results = results(&report);
    let statuses: Vec<&str> = CHECKS.iter().map(|id| results[*id].0.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "passed",
            "passed",
            "not-checked",
            "passed",
            "passed",
            "passed",
            "passed",
            "passed"
        ],
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["healthy"], true);
    assert_eq!(report["tenant"]["name"], "contoso-prod");
    let tags: Vec<(&str, u64, &str)> = report["devices"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["tag"].as_str().unwrap(),
                r["assigned"].as_u64().unwrap(),
                r["expected"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        [
            ("Engineering", 2, "Autopilot Engineering"),
            ("HQ-Hybrid", 1, "Autopilot HQ Hybrid"),
            ("Kiosk", 1, "Autopilot Kiosk"),
            ("Sales", 1, "Autopilot Sales")
        ]
    );
    // Read only: nothing but GETs reached Graph.
    let writes: Vec<String> = sim
        .request_log()
        .iter()
        .filter(|r| r.method != "GET" && !r.path.contains("/oauth2/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[test]
fn a_healthy_commercial_tenant_passes_every_check_with_an_admins_token() {
    let sim = start("commercial");
    let token = admin_token(&sim);
    let (code, report) = json_doctor(&sim, "commercial", Some(&token));
    let results = results(&report);
    assert!(CHECKS.iter().all(|id| results[*id].0 == "passed"), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn mdm_scope_none_is_found() {
    let sim = start("commercial");
    sim.with_state(|s| s.tenant_settings.mdm.applies_to = MdmScope::None);
    let token = admin_token(&sim);
    let report = json_doctor(&sim, "commercial", Some(&token));
    assert_only(
        &report,
        &["mdm-scope"],
        "mdm-scope",
        "error",
        "MDM user scope is `none`",
    );
}

#[test]
fn empty_mdm_urls_are_found() {
    let sim = start("commercial");
    sim.with_state(|s| s.tenant_settings.mdm.urls = Some(MdmUrls::default()));
    let token = admin_token(&sim);
    let report = json_doctor(&sim, "commercial", Some(&token));
    assert_only(
        &report,
        &["mdm-scope"],
        "mdm-scope",
        "error",
        "MDM discovery URL is empty",
    );
    assert_eq!(results(&report.1)["mdm-scope"].1.len(), 3);
}

#[test]
fn users_who_may_not_join_devices_are_found() {
    let sim = start("commercial");
    sim.with_state(|s| s.tenant_settings.device_join.allowed_to_join = JoinScope::None);
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["device-join"],
        "device-join",
        "error",
        "no user may join devices",
    );
}

#[test]
fn a_tenant_without_intune_is_found() {
    let sim = start("commercial");
    sim.with_state(|s| {
        for sku in &mut s.tenant_settings.subscriptions {
            sku.service_plans.retain(|plan| plan.name != "INTUNE_A");
        }
    });
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["licences"],
        "licences",
        "error",
        "no subscription includes Intune",
    );
}

#[test]
fn a_missing_connector_is_found_when_hybrid_profiles_exist() {
    let sim = start("commercial");
    sim.with_state(|s| s.tenant_settings.connectors.clear());
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["intune-connector"],
        "intune-connector",
        "error",
        "no Intune Connector for Active Directory is installed",
    );
}

#[test]
fn a_silent_connector_is_found() {
    let sim = start("commercial");
    let three_days_ago = sim.now_ms() - 3 * 24 * 3600 * 1000 - 600_000;
    sim.with_state(|s| s.tenant_settings.connectors[0].last_connection_ms = Some(three_days_ago));
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["intune-connector"],
        "intune-connector",
        "error",
        "no Intune Connector for Active Directory is active and in touch with Intune",
    );
}

#[test]
fn a_failed_sync_is_found() {
    let sim = start("commercial");
    sim.with_state(|s| s.autopilot_settings.sync_status = "failed".into());
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["autopilot-sync"],
        "autopilot-sync",
        "error",
        "last Autopilot sync failed",
    );
}

#[test]
fn failed_profile_assignments_are_named() {
    let sim = start("commercial");
    sim.with_state(|s| {
        for device in s.devices.values_mut().filter(|d| d.group_tag == "Sales") {
            device.deployment_profile_assignment_status = "failed".into();
        }
    });
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["device-status"],
        "device-status",
        "error",
        "1 device(s) failed",
    );
    let finding = &report.1["checks"][7]["findings"][0];
    assert_eq!(finding["items"][0], "PFTZ1YAF (tag Sales)");
}

#[test]
fn devices_without_the_profile_the_configuration_gives_them_are_found() {
    let sim = start("commercial");
    sim.with_state(|s| {
        for device in s.devices.values_mut().filter(|d| d.group_tag == "Kiosk") {
            device.deployment_profile_assignment_status = "notAssigned".into();
        }
    });
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["device-status"],
        "device-status",
        "warning",
        "1 device(s) tagged `Kiosk` have no deployment profile, though the configuration gives them `Autopilot Kiosk`",
    );
}

#[test]
fn an_app_without_a_permission_doctor_needs_is_found() {
    let roles: Vec<&str> = DEFAULT_APP_ROLES
        .iter()
        .copied()
        // `Directory.Read.All` also reads subscribed SKUs: take both away.
        .filter(|r| *r != "Organization.Read.All" && *r != "Directory.Read.All")
        .collect();
    let sim = healthy("commercial", sim_config("commercial").app_roles(roles));
    let report = json_doctor(&sim, "commercial", None);
    assert_only(
        &report,
        &["permissions", "licences"],
        "licences",
        "warning",
        "the app lacks `Organization.Read.All`",
    );
    assert_eq!(results(&report.1)["licences"].0, "not-checked");
    assert!(
        results(&report.1)["permissions"].1[0]
            .1
            .starts_with("`hangar doctor` cannot run every check")
    );
}

#[test]
fn a_healthy_gcc_high_tenant_passes_and_skips_hybrid() {
    let sim = start("gcc-high");
    let (code, report) = json_doctor(&sim, "gcc-high", None);
    let results = results(&report);
    assert_eq!(results["intune-connector"].0, "skipped");
    assert_eq!(results["provisioning-client"].0, "passed");
    assert_eq!(
        results["device-status"].0, "passed",
        "no profile is normal under Device Preparation"
    );
    assert_eq!(code, 0, "{report:#}");
    // Every request stayed on the simulator and used the GCC High scope.
    assert!(sim.request_log().iter().all(|r| r.status != 401));
}

#[test]
fn a_gcc_high_tenant_without_the_provisioning_client_is_found() {
    let sim = start("gcc-high");
    sim.with_state(|s| {
        s.service_principals.retain(|_, sp| {
            sp.properties.get("appId").and_then(Value::as_str)
                != Some(hangar_sim::INTUNE_PROVISIONING_CLIENT_APP_ID)
        });
    });
    let report = json_doctor(&sim, "gcc-high", None);
    assert_only(
        &report,
        &["provisioning-client"],
        "provisioning-client",
        "error",
        "Intune Provisioning Client service principal",
    );
}

#[test]
fn commercial_mdm_urls_in_gcc_high_are_found() {
    let sim = start("gcc-high");
    sim.with_state(|s| s.tenant_settings.mdm.urls = Some(MdmUrls::intune(hangar_sim::SimCloud::Commercial)));
    let token = sim.issue_delegated_token("admin@fabrikam.us", &["Policy.Read.All", "Organization.Read.All"]);
    let report = json_doctor(&sim, "gcc-high", Some(&token));
    let results = results(&report.1);
    let mdm = &results["mdm-scope"].1;
    assert_eq!(mdm.len(), 3, "{:#}", report.1);
    assert!(mdm[0].1.contains("is not Intune's in gcc-high"), "{}", mdm[0].1);
}

#[test]
fn a_selected_mdm_scope_must_hold_the_device_preparation_users() {
    let sim = start("gcc-high");
    let other = sim.add_group("Helpdesk", hangar_sim::GroupMembership::Assigned);
    sim.with_state(|s| {
        s.tenant_settings.mdm.applies_to = MdmScope::Selected;
        s.tenant_settings.mdm.included_groups = vec![other];
    });
    let mut scopes: Vec<&str> = DEFAULT_APP_ROLES.to_vec();
    scopes.push("Policy.Read.All");
    let token = sim.issue_delegated_token("admin@fabrikam.us", &scopes);
    let report = json_doctor(&sim, "gcc-high", Some(&token));
    assert_only(
        &report,
        &["mdm-scope"],
        "mdm-scope",
        "error",
        "users of a Device Preparation policy are outside the MDM user scope",
    );
    assert_eq!(
        report.1["checks"][2]["findings"][0]["items"][0],
        "Autopilot Users"
    );

    let users = sim.add_group("Autopilot Users", hangar_sim::GroupMembership::Assigned);
    sim.with_state(|s| s.tenant_settings.mdm.included_groups.push(users));
    let (code, _) = json_doctor(&sim, "gcc-high", Some(&token));
    assert_eq!(code, 0);
}

#[test]
fn without_a_configuration_cloud_and_tenant_id_name_the_tenant() {
    let sim = start("gcc-high");
    let output = doctor(
        &sim,
        &[
            "--cloud",
            "gcc-high",
            "--tenant-id",
            GCC_HIGH_TENANT,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["tenant"].get("name").is_none());
    assert_eq!(report["tenant"]["cloud"], "gcc-high");

    let missing = doctor(&sim, &["--cloud", "gcc-high"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("doctor needs `--cloud` and"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn without_a_configuration_hybrid_use_is_read_from_the_tenant() {
    let sim = start("commercial");
    sim.with_state(|s| s.tenant_settings.connectors.clear());
    let bare = [
        "--cloud",
        "commercial",
        "--tenant-id",
        COMMERCIAL_TENANT,
        "--format",
        "json",
    ];
    let output = doctor(&sim, &bare, None);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        results(&report)["intune-connector"].0,
        "skipped",
        "no hybrid profile in the tenant yet"
    );
    sim.add_profile(
        "HQ Hybrid",
        serde_json::json!({"@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"}),
    );
    let output = doctor(&sim, &bare, None);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(results(&report)["intune-connector"].0, "findings", "{report:#}");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_failed_read_is_an_error_not_a_finding() {
    let sim = start("commercial");
    sim.inject(FaultRule::status(500, 1.0).path("/subscribedSkus"));
    let dir = policies("commercial");
    let output = doctor(&sim, &[dir.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    assert!(
        stderr(&output).contains("cannot read the subscribed SKUs"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn text_and_markdown_reports_are_printed() {
    let sim = start("commercial");
    sim.with_state(|s| s.autopilot_settings.sync_status = "failed".into());
    let dir = policies("commercial");
    let text = doctor(&sim, &[dir.to_str().unwrap()], None);
    assert_eq!(text.status.code(), Some(2));
    let out = stdout(&text);
    assert!(
        out.starts_with(
            "hangar doctor: tenant contoso-prod (3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44) in commercial\n"
        ),
        "{out}"
    );
    assert!(out.contains("[error] autopilot-sync: Autopilot sync"), "{out}");
    assert!(out.contains("1 error in 8 checks"), "{out}");
    let markdown = doctor(&sim, &[dir.to_str().unwrap(), "--format", "markdown"], None);
    assert!(stdout(&markdown).starts_with("## hangar doctor: `contoso-prod`"));
    assert!(stdout(&markdown).contains("### Findings"));
}

/// `hangar doctor [DIR] --dsregcmd FILE ARGS` (offline: no endpoint, no credentials).
fn device(args: &[&str]) -> Output {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    common::hangar(&all).output().expect("hangar runs")
}

#[test]
fn dsregcmd_outputs_are_compared_with_the_configuration() {
    let commercial = policies("commercial");
    let gcc_high = policies("gcc-high");
    let c = commercial.to_str().unwrap();
    let g = gcc_high.to_str().unwrap();
    let file = |name: &str| dsregcmd(name).to_str().unwrap().to_owned();
    let cases: [(Vec<String>, i32, &str); 8] = [
        (
            vec![c.into(), "--dsregcmd".into(), file("entra-joined.txt")],
            0,
            "no findings",
        ),
        (
            vec![c.into(), "--dsregcmd".into(), file("entra-joined.utf16le.txt")],
            0,
            "(UTF-16LE)",
        ),
        (
            vec![c.into(), "--dsregcmd".into(), file("hybrid-joined.txt")],
            0,
            "join: hybrid",
        ),
        (
            vec![c.into(), "--dsregcmd".into(), file("hybrid-entra-only.txt")],
            2,
            "the hybrid join failed silently",
        ),
        (
            vec![c.into(), "--dsregcmd".into(), file("no-mdm-urls.txt")],
            2,
            "no MDM URLs",
        ),
        (
            vec![
                g.into(),
                "--dsregcmd".into(),
                file("gcc-high-entra-joined.txt"),
                "--serial".into(),
                "5CG2Q5AQGL".into(),
            ],
            0,
            "device preparation: Autopilot Device Preparation",
        ),
        (
            vec![
                g.into(),
                "--dsregcmd".into(),
                file("gcc-high-commercial-urls.txt"),
                "--serial".into(),
                "5CG2Q5AQGL".into(),
            ],
            2,
            "not Intune's in gcc-high",
        ),
        (
            vec![
                "--cloud".into(),
                "gcc-high".into(),
                "--tenant-id".into(),
                GCC_HIGH_TENANT.into(),
                "--dsregcmd".into(),
                file("gcc-high-entra-joined.txt"),
            ],
            0,
            "no findings",
        ),
    ];
    for (args, code, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = device(&args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}\n{}",
            common::text(&output)
        );
        assert!(
            stdout(&output).contains(needle),
            "{args:?}: `{needle}` in\n{}",
            stdout(&output)
        );
    }
}

#[test]
fn unusable_dsregcmd_files_and_arguments_are_errors() {
    let commercial = policies("commercial");
    let gcc_high = policies("gcc-high");
    let c = commercial.to_str().unwrap();
    let g = gcc_high.to_str().unwrap();
    let file = |name: &str| dsregcmd(name).to_str().unwrap().to_owned();
    let missing = dsregcmd("no-such-file.txt");
    let cases: [(Vec<String>, &str); 6] = [
        (
            vec![c.into(), "--dsregcmd".into(), file("truncated.txt")],
            "looks truncated",
        ),
        (
            vec![c.into(), "--dsregcmd".into(), file("foreign.txt")],
            "not `dsregcmd /status` output",
        ),
        (
            vec![c.into(), "--dsregcmd".into(), missing.to_str().unwrap().into()],
            "cannot read the file",
        ),
        (
            vec![g.into(), "--dsregcmd".into(), file("gcc-high-entra-joined.txt")],
            "pass `--serial",
        ),
        (
            vec![
                "--cloud".into(),
                "commercial".into(),
                "--tenant-id".into(),
                COMMERCIAL_TENANT.into(),
                "--dsregcmd".into(),
                file("entra-joined.txt"),
                "--serial".into(),
                "X".into(),
            ],
            "need the configuration directory",
        ),
        (
            vec![
                c.into(),
                "--dsregcmd".into(),
                file("entra-joined.txt"),
                "--local".into(),
                "t.json".into(),
            ],
            "cannot be used with",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = device(&args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}\n{}",
            common::text(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: `{needle}` in\n{}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn a_refused_sign_in_stops_doctor() {
    let sim =
        Sim::start_background(sim_config("commercial").register_client_secret(CLIENT_ID, "another secret"))
            .expect("the simulator starts");
    let dir = policies("commercial");
    let output = doctor(&sim, &[dir.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    assert!(stderr(&output).contains("cannot sign in"), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains(CLIENT_SECRET),
        "the secret never reaches an error"
    );
    assert!(stdout(&output).is_empty());
}
