//! `hangar import` end to end (issue 11 items 1 and 2): a tenant made in the portal, seeded
//! through the simulator's Graph API, imported by the `hangar` binary; the configuration plans
//! with no changes (`--detailed-exitcode` exits 0) and `apply` sends no write but the apply
//! lock's; in Commercial and in GCC High.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::portal::Portal;
use common::{assert_code, stderr};
use hangar_sim::{DeviceSeed, RequestRecord, Sim, SimCloud, SimConfig};
use serde_json::json;

const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

/// A tenant with the sample apps, script and scope tag, whose admin may also add apps and
/// scope tags (the seeding below does, through Graph).
fn sim(cloud: SimCloud) -> Sim {
    let roles = hangar_sim::DEFAULT_APP_ROLES.into_iter().chain([
        "DeviceManagementApps.ReadWrite.All",
        "DeviceManagementRBAC.ReadWrite.All",
    ]);
    Sim::start_background(
        SimConfig::default()
            .cloud(cloud)
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .sample_catalog(true)
            .app_roles(roles),
    )
    .unwrap()
}

fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", "hangar-e2e")
        .env("AZURE_CLIENT_SECRET", "e2e-secret")
        .output()
        .expect("hangar runs")
}

fn is_graph_write(record: &RequestRecord) -> bool {
    record.method != "GET"
        && !record.path.contains("$batch")
        && !record.path.contains("/oauth2/")
        && !record.path.contains("/retrieve")
}

/// The writes of an apply without the apply lock's group (created first, deleted last).
fn writes_besides_the_lock(sim: &Sim, before: usize) -> Vec<RequestRecord> {
    let mut writes: Vec<RequestRecord> = sim.request_log()[before..]
        .iter()
        .filter(|r| is_graph_write(r))
        .cloned()
        .collect();
    assert!(
        writes
            .first()
            .is_some_and(|r| r.method == "POST" && r.path == "/v1.0/groups"),
        "the lock is taken first: {writes:?}"
    );
    assert!(
        writes
            .last()
            .is_some_and(|r| r.method == "DELETE" && r.path.starts_with("/v1.0/groups/")),
        "the lock is released last: {writes:?}"
    );
    writes.pop();
    writes.remove(0);
    writes
}

/// Imports into `dir`, then proves the round trip: plan empty, apply writes nothing.
fn import_plan_apply(sim: &Sim, cloud: &str, dir: &Path, extra: &[&str]) -> String {
    let url = sim.url();
    let dir_text = dir.to_str().unwrap();
    let mut args = vec![
        "import",
        dir_text,
        "--cloud",
        cloud,
        "--tenant-id",
        TENANT_ID,
        "--endpoint",
        &url,
    ];
    args.extend_from_slice(extra);
    let import = hangar(&args);
    assert_code(&import, 0);
    let plan = hangar(&["plan", dir_text, "--endpoint", &url, "--detailed-exitcode"]);
    assert_code(&plan, 0);
    let before = sim.request_log().len();
    let apply = hangar(&["apply", dir_text, "--endpoint", &url, "--auto-approve"]);
    assert_code(&apply, 0);
    let writes = writes_besides_the_lock(sim, before);
    assert!(writes.is_empty(), "apply after import wrote: {writes:#?}");
    stderr(&import)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Everything an admin could have made in the Commercial portal, with values hangar's defaults
/// do not have.
fn seed_commercial(sim: &Sim) {
    let portal = Portal::new(sim);
    let group = |name: &str, rule: Option<&str>| {
        let mut body = json!({"displayName": name, "mailEnabled": false, "mailNickname": format!("g{}", name.len()),
            "securityEnabled": true, "description": format!("{name}, made in the portal")});
        match rule {
            Some(rule) => {
                body["groupTypes"] = json!(["DynamicMembership"]);
                body["membershipRule"] = json!(rule);
                body["membershipRuleProcessingState"] = json!("On");
            }
            None => body["groupTypes"] = json!([]),
        }
        portal.post("/v1.0/groups", body)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sales = group(
        "Autopilot-Sales",
        Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"),
    );
    let hostile = group(
        "Ventes – O'Brien & Co / #1",
        Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:O''Brien\"))"),
    );
    let surface = group(
        "Surface devices",
        Some(
            "(device.deviceModel -eq \"Surface Laptop 5\") -and (device.devicePhysicalIds -any (_ -contains \"[ZTDId]\"))",
        ),
    );
    let users = group("All-Employees", None);
    let pilots = group("Pilot exclusions", None);
    // A scope tag and an app made in the portal (ids the tenant picks), referred to by id.
    let helpdesk = portal.post(
        "/beta/deviceManagement/roleScopeTags",
        json!({"displayName": "Helpdesk", "description": "made in the portal"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let crm = portal.post(
        "/beta/deviceAppManagement/mobileApps",
        json!({"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "CRM Client", "publisher": "Contoso"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_uppercase();

    let assign = |path: &str, group_id: &str, exclude: bool| {
        let target = if exclude {
            json!({"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group_id})
        } else {
            json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id})
        };
        portal.post(path, json!({"target": target}));
    };
    let profile = |body: serde_json::Value| {
        portal.post("/beta/deviceManagement/windowsAutopilotDeploymentProfiles", body)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sales_profile = profile(
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": "Autopilot Sales", "description": "from the portal", "roleScopeTagIds": ["0", helpdesk],
        "deviceNameTemplate": "SLS-%RAND:6%", "locale": "fr-FR", "deviceType": "windowsPc",
        "preprovisioningAllowed": true, "hardwareHashExtractionEnabled": false,
        "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "administrator",
            "privacySettingsHidden": true, "eulaHidden": false, "keyboardSelectionPageSkipped": true,
            "escapeLinkHidden": true}}),
    );
    let path =
        format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{sales_profile}/assignments");
    assign(&path, &sales, false);
    assign(&path, &pilots, true);
    // A second profile on the same group, made in the portal: imported like any other.
    let legacy = profile(
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": "Legacy Sales (portal)", "locale": "", "deviceType": "windowsPc",
        "outOfBoxExperienceSetting": {"deviceUsageType": "shared",
            "privacySettingsHidden": true, "eulaHidden": true, "keyboardSelectionPageSkipped": true,
            "escapeLinkHidden": true}}),
    );
    assign(
        &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{legacy}/assignments"),
        &hostile,
        false,
    );
    profile(
        json!({"@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
        "displayName": "HQ Hybrid", "locale": "en-US", "hybridAzureADJoinSkipConnectivityCheck": true,
        "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard",
            "privacySettingsHidden": true, "eulaHidden": true, "keyboardSelectionPageSkipped": true,
            "escapeLinkHidden": true}}),
    );

    let esp = portal.post(
        "/beta/deviceManagement/deviceEnrollmentConfigurations",
        json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "displayName": "ESP Sales", "description": "from the portal", "roleScopeTagIds": ["0", helpdesk],
            "showInstallationProgress": true, "installProgressTimeoutInMinutes": 45,
            "allowLogCollectionOnInstallFailure": true, "trackInstallProgressForAutopilotOnly": true,
            "selectedMobileAppIds": [crm],
            "customErrorMessage": "Call the Sales help line: \"4357\""}),
    );
    let esp_id = esp["id"].as_str().unwrap();
    portal.post(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{esp_id}/assign"),
        json!({"enrollmentConfigurationAssignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": surface}}]}),
    );
    let restriction = portal.post(
        "/beta/deviceManagement/deviceEnrollmentConfigurations",
        json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
            "displayName": "Block personal Windows", "platformType": "windows",
            "platformRestriction": {"platformBlocked": false, "personalDeviceEnrollmentBlocked": true,
                "osMinimumVersion": "10.0.19045", "osMaximumVersion": ""}}),
    );
    let restriction_id = restriction["id"].as_str().unwrap();
    portal.post(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{restriction_id}/assign"),
        json!({"enrollmentConfigurationAssignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": users}}]}),
    );
    let join = portal.post(
        "/beta/deviceManagement/deviceConfigurations",
        json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
            "displayName": "HQ Domain Join", "activeDirectoryDomainName": "corp.contoso.com",
            "computerNameStaticPrefix": "HQ-", "computerNameSuffixRandomCharCount": 6,
            "organizationalUnit": "OU=Autopilot,DC=corp,DC=contoso,DC=com"}),
    );
    let join_id = join["id"].as_str().unwrap();
    portal.post(
        &format!("/beta/deviceManagement/deviceConfigurations/{join_id}/assign"),
        json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": sales}}]}),
    );

    // The built-ins, edited in the portal.
    let configurations = portal.get("/beta/deviceManagement/deviceEnrollmentConfigurations");
    let builtin = |suffix: &str| {
        configurations["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_str().unwrap().ends_with(suffix))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    portal.patch(
        &format!(
            "/beta/deviceManagement/deviceEnrollmentConfigurations/{}",
            builtin("_DefaultWindows10EnrollmentCompletionPageConfiguration")
        ),
        json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "showInstallationProgress": true, "installProgressTimeoutInMinutes": 90}),
    );
    portal.patch(
        &format!(
            "/beta/deviceManagement/deviceEnrollmentConfigurations/{}",
            builtin("_DefaultPlatformRestrictions")
        ),
        json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            "windowsRestriction": {"platformBlocked": false, "personalDeviceEnrollmentBlocked": true}}),
    );

    // Registered by an OEM: no hash in hand.
    sim.add_devices([
        DeviceSeed::new("OEM-0001", "Sales"),
        DeviceSeed::new("OEM-0002", ""),
    ]);
}

#[test]
fn a_commercial_tenant_made_in_the_portal_imports_to_a_configuration_that_plans_empty() {
    let sim = sim(SimCloud::Commercial);
    seed_commercial(&sim);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("contoso");
    let notes = import_plan_apply(&sim, "commercial", &dir, &[]);

    let tenant = read(&dir, "tenant.yaml");
    assert!(
        tenant.starts_with("# yaml-language-server: $schema=schemas/Tenant.json\n"),
        "{tenant}"
    );
    assert!(tenant.contains("prune:\n  enabled: false\n"), "{tenant}");
    let groups = read(&dir, "groups.yaml");
    assert!(groups.contains("name: Autopilot-Sales\n"), "{groups}");
    assert!(groups.contains("membership:\n  groupTag: Sales\n"), "{groups}");
    assert!(
        groups.contains("membership:\n  groupTag: \"O'Brien\"\n"),
        "{groups}"
    );
    assert!(groups.contains("membership:\n  rule: "), "{groups}");
    // A static user group no Autopilot object owns: matched by name, never changed.
    assert!(
        groups.contains("name: All-Employees\nexternal: true\n"),
        "{groups}"
    );
    let profiles = read(&dir, "profiles.yaml");
    assert!(
        !profiles.contains("id:"),
        "no pins without a collision: {profiles}"
    );
    assert!(
        profiles.contains("scopeTags:\n  - Default\n  - Helpdesk\n"),
        "scope tags by name: {profiles}"
    );
    assert!(
        profiles.contains("    - Autopilot-Sales\n"),
        "references by name: {profiles}"
    );
    let esp = read(&dir, "esp.yaml");
    assert!(esp.contains("name: default\n"), "{esp}");
    assert!(
        esp.contains("blockingApps:\n  - CRM Client\n"),
        "apps by name: {esp}"
    );
    let restrictions = read(&dir, "restrictions.yaml");
    assert!(restrictions.contains("name: default\n"), "{restrictions}");
    let csv = read(&dir, "devices/registered.csv");
    assert!(csv.contains("OEM-0001,,,Sales,,"), "{csv}");
    assert!(notes.contains("Pruning is off"), "{notes}");

    // Same tenant, same bytes.
    let other = tempfile::tempdir().unwrap();
    let again = other.path().join("contoso");
    let url = sim.url();
    assert_code(
        &hangar(&[
            "import",
            again.to_str().unwrap(),
            "--cloud",
            "commercial",
            "--tenant-id",
            TENANT_ID,
            "--endpoint",
            &url,
        ]),
        0,
    );
    for file in [
        "tenant.yaml",
        "groups.yaml",
        "profiles.yaml",
        "esp.yaml",
        "restrictions.yaml",
        "domain-join.yaml",
        "devices.yaml",
        "devices/registered.csv",
    ] {
        assert_eq!(
            read(&dir, file),
            read(&again, file),
            "{file} differs between two imports"
        );
    }

    // A non-empty directory is refused before anything is read.
    let refused = hangar(&[
        "import",
        dir.to_str().unwrap(),
        "--cloud",
        "commercial",
        "--tenant-id",
        TENANT_ID,
        "--endpoint",
        &url,
    ]);
    assert_code(&refused, 1);
    assert!(stderr(&refused).contains("is not empty"), "{}", stderr(&refused));
}

#[test]
fn a_narrowed_import_leaves_the_rest_of_the_tenant_alone() {
    let sim = sim(SimCloud::Commercial);
    seed_commercial(&sim);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("sales");
    import_plan_apply(
        &sim,
        "commercial",
        &dir,
        &["--kind", "DeploymentProfile", "--name", "Autopilot *"],
    );
    let profiles = read(&dir, "profiles.yaml");
    assert!(profiles.contains("name: Autopilot Sales\n"), "{profiles}");
    assert!(!profiles.contains("Legacy"), "{profiles}");
    assert!(!dir.join("esp.yaml").exists());
    assert!(!dir.join("devices.yaml").exists());
    let groups = read(&dir, "groups.yaml");
    assert!(
        groups.contains("name: Pilot exclusions\n"),
        "the excluded group is referenced: {groups}"
    );
}

#[test]
fn two_profiles_of_one_name_import_one_pinned_and_say_so() {
    let sim = sim(SimCloud::Commercial);
    let portal = Portal::new(&sim);
    for locale in ["en-US", "de-DE"] {
        portal.post(
            "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "Twin", "locale": locale,
                "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard",
                    "privacySettingsHidden": true, "eulaHidden": true, "keyboardSelectionPageSkipped": true}}),
        );
    }
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("twins");
    let notes = import_plan_apply(&sim, "commercial", &dir, &[]);
    let profiles = read(&dir, "profiles.yaml");
    assert_eq!(profiles.matches("name: Twin\n").count(), 1, "{profiles}");
    assert!(profiles.contains("\nid: "), "{profiles}");
    assert!(notes.contains("2 objects share the name"), "{notes}");
}

#[test]
fn a_gcc_high_tenant_with_device_preparation_imports_to_a_configuration_that_plans_empty() {
    let sim = sim(SimCloud::GccHigh);
    let url = sim.url();
    // The policy is created through Graph by an earlier configuration (Device Preparation's
    // settings JSON is what the portal sends too), then edited in the portal.
    let seed = tempfile::tempdir().unwrap();
    std::fs::write(
        seed.path().join("tenant.yaml"),
        format!("kind: Tenant\nname: seed\ncloud: gcc-high\ntenantId: {TENANT_ID}\n"),
    )
    .unwrap();
    std::fs::write(
        seed.path().join("dpp.yaml"),
        "kind: DeviceGroup\nname: Autopilot Deployed\nmembership: assigned\nowners: [intune-provisioning-client]\n---\n\
         kind: DeviceGroup\nname: Autopilot Users\nmembership: assigned\n---\n\
         kind: DevicePreparationPolicy\nname: Device Preparation – Fabrikam\ndeviceGroup: Autopilot Deployed\nuserGroups: [Autopilot Users]\n\
         accountType: administrator\ntimeoutMinutes: 90\nallowDiagnostics: true\nerrorMessage: Call the service desk\n\
         allowedApps: [Microsoft 365 Apps]\nallowedScripts: [Set time zone]\n",
    )
    .unwrap();
    assert_code(
        &hangar(&[
            "apply",
            seed.path().to_str().unwrap(),
            "--endpoint",
            &url,
            "--auto-approve",
        ]),
        0,
    );
    let id = sim.with_state(|state| state.configuration_policies.keys().next().cloned().unwrap());
    let portal = Portal::new(&sim);
    portal.patch(
        &format!("/beta/deviceManagement/configurationPolicies/{id}"),
        json!({"description": "edited in the portal", "roleScopeTagIds": ["0", "1"]}),
    );
    let esp = portal.post(
        "/beta/deviceManagement/deviceEnrollmentConfigurations",
        json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "displayName": "ESP Fabrikam", "showInstallationProgress": true,
            "customErrorMessage": "Ünïcødé message ☃ — call x4357"}),
    );
    assert!(esp["id"].is_string());
    sim.add_devices([DeviceSeed::new("GOV-OEM-1", "Gov")]);

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("fabrikam");
    import_plan_apply(&sim, "gcc-high", &dir, &[]);
    let policy = read(&dir, "device-preparation.yaml");
    assert!(policy.contains("accountType: administrator\n"), "{policy}");
    assert!(policy.contains("deviceGroup: Autopilot Deployed\n"), "{policy}");
    assert!(policy.contains("description: edited in the portal\n"), "{policy}");
    assert!(
        policy.contains("scopeTags:\n  - Default\n  - Sales EU\n"),
        "{policy}"
    );
    assert!(
        policy.contains("allowedApps:\n  - Microsoft 365 Apps\n"),
        "{policy}"
    );
    assert!(
        policy.contains("allowedScripts:\n  - Set time zone\n"),
        "{policy}"
    );
    let groups = read(&dir, "groups.yaml");
    assert!(
        groups.contains("owners:\n  - intune-provisioning-client\n"),
        "{groups}"
    );
}

/// A kind the app may not read stops the import, names the permission, and writes nothing.
#[test]
fn a_kind_the_app_may_not_read_names_the_permission_and_writes_nothing() {
    let roles: Vec<&str> = hangar_sim::DEFAULT_APP_ROLES
        .iter()
        .copied()
        .filter(|role| !role.starts_with("DeviceManagementServiceConfig"))
        .collect();
    let sim = Sim::start_background(
        SimConfig::default()
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .app_roles(roles),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("denied");
    let url = sim.url();
    let import = hangar(&[
        "import",
        dir.to_str().unwrap(),
        "--cloud",
        "commercial",
        "--tenant-id",
        TENANT_ID,
        "--endpoint",
        &url,
    ]);
    assert_code(&import, 1);
    assert!(
        stderr(&import).contains("DeviceManagementServiceConfig.Read"),
        "{}",
        stderr(&import)
    );
    assert!(
        stderr(&import).contains("nothing was written"),
        "{}",
        stderr(&import)
    );
    assert!(!dir.exists(), "nothing written");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no staging left behind"
    );
}
