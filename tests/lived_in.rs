//! A lived-in tenant (issue 11), end to end: objects and values made in the portal, through the
//! simulator's Graph API as the portal makes them, against the `hangar` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use common::portal::Portal;
use common::{assert_code, stderr, stdout, write_files as write};
use hangar_sim::{Sim, SimConfig};
use serde_json::json;

const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

fn sim() -> Sim {
    Sim::start_background(SimConfig::default().tenant_id(TENANT_ID).clock_scale(100.0)).unwrap()
}

fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", "hangar-e2e")
        .env("AZURE_CLIENT_SECRET", "e2e-secret")
        .output()
        .expect("hangar runs")
}

const TENANT: &str =
    "kind: Tenant\nname: lived-in\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\n";

/// hangar changes one modelled field of every object an admin made or edited in the portal;
/// everything hangar does not model, or that Git omits, is still there after the apply.
#[test]
fn portal_data_hangar_does_not_model_survives_apply() {
    let sim = sim();
    let portal = Portal::new(&sim);
    // Made in the portal.
    let group = portal.post(
        "/v1.0/groups",
        json!({"displayName": "Autopilot-Sales", "description": "Sales laptops, made in the portal",
            "mailEnabled": false, "mailNickname": "sales-portal-7f3", "securityEnabled": true,
            "classification": "internal", "visibility": "Private",
            "groupTypes": ["DynamicMembership"], "membershipRuleProcessingState": "On",
            "membershipRule": "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"}),
    );
    let group_id = group["id"].as_str().unwrap().to_owned();
    let profile = portal.post(
        "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Autopilot Sales", "description": "from the portal",
            "roleScopeTagIds": ["0", "3"], "managementServiceAppId": "portal-app",
            "deviceNameTemplate": "OLD-%RAND:4%", "locale": "en-US", "deviceType": "windowsPc",
            "preprovisioningAllowed": false, "hardwareHashExtractionEnabled": false,
            "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard",
                "privacySettingsHidden": true, "eulaHidden": true, "keyboardSelectionPageSkipped": true,
                "escapeLinkHidden": true}}),
    );
    let profile_id = profile["id"].as_str().unwrap().to_owned();
    let esp = portal.post(
        "/beta/deviceManagement/deviceEnrollmentConfigurations",
        json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "displayName": "ESP Sales", "description": "from the portal", "roleScopeTagIds": ["0", "3"],
            "showInstallationProgress": true, "installProgressTimeoutInMinutes": 30,
            "customErrorMessage": "Call the Sales help line"}),
    );
    let esp_id = esp["id"].as_str().unwrap().to_owned();
    let join = portal.post(
        "/beta/deviceManagement/deviceConfigurations",
        json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
            "displayName": "HQ Domain Join", "description": "from the portal",
            "activeDirectoryDomainName": "corp.contoso.com", "computerNameStaticPrefix": "HQ-",
            "computerNameSuffixRandomCharCount": 6,
            "deviceManagementApplicabilityRuleOsEdition": {"osEditionTypes": ["windows10Enterprise"], "ruleType": "include"}}),
    );
    let join_id = join["id"].as_str().unwrap().to_owned();
    // Built-ins edited in the portal: another platform's restriction.
    let restrictions = portal.get("/beta/deviceManagement/deviceEnrollmentConfigurations");
    let builtin = |suffix: &str| {
        restrictions["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_str().unwrap().ends_with(suffix))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let restriction_id = builtin("_DefaultPlatformRestrictions");
    portal.patch(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{restriction_id}"),
        json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            "iosRestriction": {"platformBlocked": true, "personalDeviceEnrollmentBlocked": true}}),
    );
    let default_esp_id = builtin("_DefaultWindows10EnrollmentCompletionPageConfiguration");

    // Git changes one modelled field of each, and says nothing of the rest.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("tenant.yaml", TENANT),
            (
                "objects.yaml",
                "kind: DeviceGroup\nname: Autopilot-Sales\nmembership:\n  groupTag: Sales-EMEA\n---\n\
                 kind: DeploymentProfile\nname: Autopilot Sales\njoin: entra\nmode: user-driven\nlocale: en-US\ndeviceName: SLS-%RAND:6%\nassign:\n  include: [Autopilot-Sales]\n---\n\
                 kind: EnrollmentStatusPage\nname: ESP Sales\npriority: 1\nshowProgress: true\ntimeoutMinutes: 90\nerrorMessage: Call the Sales help line\nassign:\n  include: [Autopilot-Sales]\n---\n\
                 kind: EnrollmentStatusPage\nname: default\nshowProgress: true\ninstallQualityUpdates: false\n---\n\
                 kind: DomainJoinProfile\nname: HQ Domain Join\ndomain: corp.contoso.com\ncomputerNamePrefix: HQ-\nrandomChars: 8\nassign:\n  include: [Autopilot-Sales]\n---\n\
                 kind: EnrollmentRestriction\nname: default\nwindows:\n  personalDevicesBlocked: true\n",
            ),
        ],
    );
    let dir_text = dir.path().to_str().unwrap();
    let url = sim.url();
    let output = hangar(&["apply", dir_text, "--endpoint", &url, "--auto-approve"]);
    assert_code(&output, 0);
    let output = hangar(&["plan", dir_text, "--endpoint", &url, "--detailed-exitcode"]);
    assert_code(&output, 0);

    sim.with_state(|state| {
        let group = &state.groups[&group_id];
        assert_eq!(
            group.properties["description"],
            json!("Sales laptops, made in the portal")
        );
        assert_eq!(group.properties["classification"], json!("internal"));
        assert_eq!(group.properties["visibility"], json!("Private"));
        assert_eq!(group.properties["mailNickname"], json!("sales-portal-7f3"));
        assert!(
            group.properties["membershipRule"]
                .as_str()
                .unwrap()
                .contains("Sales-EMEA"),
            "the managed rule changed"
        );

        let profile = &state.deployment_profiles[&profile_id];
        assert_eq!(profile.properties["deviceNameTemplate"], json!("SLS-%RAND:6%"));
        assert_eq!(profile.properties["description"], json!("from the portal"));
        assert_eq!(profile.properties["roleScopeTagIds"], json!(["0", "3"]));
        assert_eq!(profile.properties["managementServiceAppId"], json!("portal-app"));

        let esp = &state.enrollment_configurations[&esp_id];
        assert_eq!(esp.properties["installProgressTimeoutInMinutes"], json!(90));
        assert_eq!(esp.properties["description"], json!("from the portal"));
        assert_eq!(esp.properties["roleScopeTagIds"], json!(["0", "3"]));

        let default_esp = &state.enrollment_configurations[&default_esp_id];
        assert_eq!(default_esp.properties["showInstallationProgress"], json!(true));
        assert_eq!(
            default_esp.properties["customErrorMessage"],
            json!(hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE),
            "the built-in keeps Microsoft's message"
        );

        let join = &state.device_configurations[&join_id];
        assert_eq!(join.properties["computerNameSuffixRandomCharCount"], json!(8));
        assert_eq!(join.properties["description"], json!("from the portal"));
        assert_eq!(
            join.properties["deviceManagementApplicabilityRuleOsEdition"]["osEditionTypes"],
            json!(["windows10Enterprise"])
        );

        let restriction = &state.enrollment_configurations[&restriction_id];
        assert_eq!(
            restriction.properties["windowsRestriction"]["personalDeviceEnrollmentBlocked"],
            json!(true)
        );
        assert_eq!(
            restriction.properties["iosRestriction"]["platformBlocked"],
            json!(true)
        );
    });
}

/// A Device Preparation policy is updated with PUT, which replaces the whole policy: what the
/// portal set that Git omits is sent back, not dropped.
#[test]
fn a_device_preparation_put_keeps_what_git_omits() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let policy = |timeout: u32| {
        format!(
            "kind: DeviceGroup\nname: Autopilot Deployed\nmembership: assigned\nowners: [intune-provisioning-client]\n---\n\
             kind: DeviceGroup\nname: Autopilot Users\nmembership: assigned\n---\n\
             kind: DevicePreparationPolicy\nname: Device Preparation\ndeviceGroup: Autopilot Deployed\nuserGroups: [Autopilot Users]\ntimeoutMinutes: {timeout}\n"
        )
    };
    write(dir.path(), &[("tenant.yaml", TENANT), ("dpp.yaml", &policy(60))]);
    let dir_text = dir.path().to_str().unwrap();
    let url = sim.url();
    assert_code(
        &hangar(&["apply", dir_text, "--endpoint", &url, "--auto-approve"]),
        0,
    );

    let id = sim.with_state(|state| state.configuration_policies.keys().next().cloned().unwrap());
    let portal = Portal::new(&sim);
    portal.patch(
        &format!("/beta/deviceManagement/configurationPolicies/{id}"),
        json!({"description": "edited in the portal", "roleScopeTagIds": ["0", "5"]}),
    );
    write(dir.path(), &[("dpp.yaml", &policy(120))]);
    assert_code(
        &hangar(&["apply", dir_text, "--endpoint", &url, "--auto-approve"]),
        0,
    );
    sim.with_state(|state| {
        let policy = &state.configuration_policies[&id];
        assert_eq!(policy.properties["description"], json!("edited in the portal"));
        assert_eq!(policy.properties["roleScopeTagIds"], json!(["0", "5"]));
        let timeout = policy
            .settings
            .iter()
            .find(|s| s["settingInstance"]["settingDefinitionId"] == "enrollment_autopilot_dpp_timeout")
            .unwrap();
        assert_eq!(
            timeout["settingInstance"]["simpleSettingValue"]["value"],
            json!(120)
        );
    });
}

/// Assignment filters: the YAML names them, the plan names them, apply writes them, and a
/// filter made in the portal on a managed assignment survives an apply that names it.
#[test]
fn assignment_filters_are_named_planned_and_kept() {
    let sim = sim();
    let portal = Portal::new(&sim);
    let surface = portal.post(
        "/beta/deviceManagement/assignmentFilters",
        json!({"displayName": "Surface devices", "platform": "windows10AndLater",
            "rule": "(device.manufacturer -eq \"Microsoft Corporation\")"}),
    );
    let surface_id = surface["id"].as_str().unwrap().to_owned();
    let kiosks = portal.post(
        "/beta/deviceManagement/assignmentFilters",
        json!({"displayName": "Kiosks", "platform": "windows10AndLater",
            "rule": "(device.deviceName -startsWith \"KSK-\")"}),
    );
    let kiosks_id = kiosks["id"].as_str().unwrap().to_owned();
    let group = portal.post(
        "/v1.0/groups",
        json!({"displayName": "Autopilot-Sales", "mailEnabled": false, "mailNickname": "sales",
            "securityEnabled": true, "groupTypes": ["DynamicMembership"], "membershipRuleProcessingState": "On",
            "membershipRule": "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"}),
    );
    let group_id = group["id"].as_str().unwrap().to_owned();
    sim.advance_clock(std::time::Duration::from_secs(600));
    // Made in the portal: a profile assigned to the group with the Surface filter.
    let profile = portal.post(
        "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Autopilot Sales", "deviceNameTemplate": "SLS-%RAND:6%", "locale": "en-US",
            "deviceType": "windowsPc", "preprovisioningAllowed": false, "hardwareHashExtractionEnabled": false,
            "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard",
                "privacySettingsHidden": true, "eulaHidden": true, "keyboardSelectionPageSkipped": true,
                "escapeLinkHidden": true}}),
    );
    let profile_id = profile["id"].as_str().unwrap().to_owned();
    portal.post(
        &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{profile_id}/assignments"),
        json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id,
            "deviceAndAppManagementAssignmentFilterId": surface_id,
            "deviceAndAppManagementAssignmentFilterType": "include"}}),
    );

    let dir = tempfile::tempdir().unwrap();
    let objects = |profile_assign: &str| {
        format!(
            "kind: DeviceGroup\nname: Autopilot-Sales\nmembership:\n  groupTag: Sales\n---\n\
             kind: DeploymentProfile\nname: Autopilot Sales\njoin: entra\nmode: user-driven\nlocale: en-US\ndeviceName: SLS-%RAND:6%\n\
             assign:\n  include:\n{profile_assign}---\n\
             kind: EnrollmentStatusPage\nname: ESP Kiosks\npriority: 1\nshowProgress: true\n\
             assign:\n  include:\n    - target: all-devices\n      filter: Kiosks\n      filterMode: exclude\n"
        )
    };
    let same = "    - target: Autopilot-Sales\n      filter: Surface devices\n";
    write(
        dir.path(),
        &[("tenant.yaml", TENANT), ("objects.yaml", &objects(same))],
    );
    let dir_text = dir.path().to_str().unwrap();
    let url = sim.url();

    // The plan names the new ESP's filter and leaves the profile's filtered assignment alone.
    let output = hangar(&["plan", dir_text, "--endpoint", &url]);
    assert_code(&output, 0);
    let text = stdout(&output);
    // In the configuration's terms: the entry as `assign.include` writes it.
    assert!(
        assign_line(
            &text,
            '+',
            "{target: all-devices, filter: Kiosks, filterMode: exclude}"
        ),
        "{text}"
    );
    assert!(
        !text.contains("Surface devices"),
        "the profile's assignment is unchanged:\n{text}"
    );

    let output = hangar(&["apply", dir_text, "--endpoint", &url, "--auto-approve"]);
    assert_code(&output, 0);
    let output = hangar(&["plan", dir_text, "--endpoint", &url, "--detailed-exitcode"]);
    assert_code(&output, 0);
    sim.with_state(|state| {
        let profile = &state.deployment_profiles[&profile_id];
        assert_eq!(profile.assignments.len(), 1);
        let target = &profile.assignments[0].target;
        assert_eq!(
            target["deviceAndAppManagementAssignmentFilterId"],
            json!(surface_id)
        );
        assert_eq!(
            target["deviceAndAppManagementAssignmentFilterType"],
            json!("include")
        );
        let esp = state
            .enrollment_configurations
            .values()
            .find(|c| c.properties["displayName"] == "ESP Kiosks")
            .unwrap();
        let target = &esp.assignments[0].target;
        assert_eq!(
            target["deviceAndAppManagementAssignmentFilterId"],
            json!(kiosks_id)
        );
        assert_eq!(
            target["deviceAndAppManagementAssignmentFilterType"],
            json!("exclude")
        );
    });

    // Changing the filter mode in Git is planned with both filters named, and applied.
    let changed = "    - target: Autopilot-Sales\n      filter: Surface devices\n      filterMode: exclude\n";
    write(dir.path(), &[("objects.yaml", &objects(changed))]);
    let output = hangar(&["plan", dir_text, "--endpoint", &url]);
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(
        assign_line(
            &text,
            '-',
            "{target: Autopilot-Sales, filter: Surface devices, filterMode: include}"
        ),
        "{text}"
    );
    assert!(
        assign_line(
            &text,
            '+',
            "{target: Autopilot-Sales, filter: Surface devices, filterMode: exclude}"
        ),
        "{text}"
    );
    assert_code(
        &hangar(&["apply", dir_text, "--endpoint", &url, "--auto-approve"]),
        0,
    );
    sim.with_state(|state| {
        let profile = &state.deployment_profiles[&profile_id];
        assert_eq!(profile.assignments.len(), 1);
        assert_eq!(
            profile.assignments[0].target["deviceAndAppManagementAssignmentFilterType"],
            json!("exclude")
        );
    });

    // A filter name the tenant does not have stops the plan at its line, naming the ones it has.
    let typo = "    - target: Autopilot-Sales\n      filter: Surface devics\n";
    write(dir.path(), &[("objects.yaml", &objects(typo))]);
    let output = hangar(&["plan", dir_text, "--endpoint", &url]);
    assert_code(&output, 1);
    let text = stderr(&output);
    assert!(
        text.contains("no assignment filter is named `Surface devics`"),
        "{text}"
    );
    assert!(
        text.contains("objects.yaml:"),
        "the error names the file and line:\n{text}"
    );
    assert!(text.contains("Surface devices"), "{text}");
}

/// Whether the text plan has an assignment line `sign` (`+`, `-`) naming where `assign.include`
/// is written and the entry as YAML writes it.
fn assign_line(text: &str, sign: char, entry: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix(&format!("      {sign} "))
            .and_then(|rest| rest.split_once(' '))
            .is_some_and(|(at, words)| {
                at.contains("objects.yaml:") && words == format!("assign.include: {entry}")
            })
    })
}
