//! No invented fields: every property the simulator returns for a type exists for that type
//! (with inheritance) in `fixtures/autopilot-surface.json` (msgraph-metadata), and the
//! properties v1.0 declares non-nullable are present. Under v1.0, properties must also exist
//! in the v1.0 CSDL of the type.

use std::collections::{BTreeSet, HashMap};

use hangar_sim::{DeviceSeed, INTUNE_PROVISIONING_CLIENT_APP_ID, SimConfig};
use serde_json::{Value, json};

use crate::support::*;

struct Surface {
    json: Value,
}

/// Base types (the metadata lists each type's own properties only).
fn base(name: &str) -> Option<&'static str> {
    Some(match name {
        "directoryObject" => "entity",
        "group" | "servicePrincipal" => "directoryObject",
        "azureADWindowsAutopilotDeploymentProfile" | "activeDirectoryWindowsAutopilotDeploymentProfile" => {
            "windowsAutopilotDeploymentProfile"
        }
        "windows10EnrollmentCompletionPageConfiguration"
        | "deviceEnrollmentPlatformRestrictionsConfiguration"
        | "deviceEnrollmentPlatformRestrictionConfiguration"
        | "deviceEnrollmentLimitConfiguration"
        | "deviceEnrollmentWindowsHelloForBusinessConfiguration" => "deviceEnrollmentConfiguration",
        "windowsDomainJoinConfiguration" => "deviceConfiguration",
        "groupAssignmentTarget" | "allDevicesAssignmentTarget" | "allLicensedUsersAssignmentTarget" => {
            "deviceAndAppManagementAssignmentTarget"
        }
        "exclusionGroupAssignmentTarget" => "groupAssignmentTarget",
        "deviceManagementConfigurationChoiceSettingDefinition"
        | "deviceManagementConfigurationSimpleSettingDefinition" => {
            "deviceManagementConfigurationSettingDefinition"
        }
        "deviceManagementConfigurationSimpleSettingCollectionDefinition" => {
            "deviceManagementConfigurationSimpleSettingDefinition"
        }
        "deviceManagementConfigurationChoiceSettingInstanceTemplate"
        | "deviceManagementConfigurationSimpleSettingInstanceTemplate"
        | "deviceManagementConfigurationSimpleSettingCollectionInstanceTemplate" => {
            "deviceManagementConfigurationSettingInstanceTemplate"
        }
        "deviceManagementConfigurationIntegerSettingValueTemplate"
        | "deviceManagementConfigurationStringSettingValueTemplate" => {
            "deviceManagementConfigurationSimpleSettingValueTemplate"
        }
        "deviceManagementConfigurationSettingInstanceTemplate"
        | "deviceManagementConfigurationSimpleSettingValueTemplate"
        | "deviceManagementConfigurationChoiceSettingValueTemplate" => return None,
        "entity" | "deviceAndAppManagementAssignmentTarget" => return None,
        _ => "entity",
    })
}

fn chain(name: &str) -> Vec<String> {
    let mut out = vec![name.to_owned()];
    let mut next = base(name);
    while let Some(b) = next {
        out.push(b.to_owned());
        next = base(b);
    }
    out
}

impl Surface {
    fn load() -> Surface {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/autopilot-surface.json"
        ))
        .unwrap();
        Surface {
            json: serde_json::from_str(&text).unwrap(),
        }
    }

    /// Beta properties (and navigation properties) of a type and its bases.
    fn beta(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if self.json["beta"]["complex"].get(name).is_none() {
            out.insert("id".to_owned());
        }
        for t in chain(name) {
            for kind in ["entity", "complex"] {
                if let Some(def) = self.json["beta"][kind].get(&t) {
                    for list in ["properties", "navigationProperties"] {
                        out.extend(
                            def[list]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|p| p.as_str().unwrap().to_owned()),
                        );
                    }
                }
            }
        }
        out
    }

    /// v1.0 CSDL properties of a type and its bases, with their nullability; `None` when the
    /// type's v1.0 block is missing or is not this type.
    fn v1(&self, name: &str) -> Option<HashMap<String, bool>> {
        let complex = self.json["beta"]["complex"].get(name).is_some();
        let mut out = HashMap::new();
        if !complex {
            out.insert("id".to_owned(), false);
        }
        for t in chain(name) {
            if t == "entity" {
                continue;
            }
            let block = self.json["v1.0-Prod"].get(&t)?.as_str()?;
            if t == "group" && !block.contains("mailNickname") {
                return None; // the extracted block is termStore's group
            }
            for piece in block.split("<Property ").skip(1) {
                let name = piece.split('"').nth(1)?.to_owned();
                let nullable = !piece.split("/>").next()?.contains("Nullable=\"false\"");
                out.insert(name, nullable);
            }
        }
        Some(out)
    }
}

/// Complex type of a property, where the simulator returns one.
fn complex_of(property: &str) -> Option<&'static str> {
    Some(match property {
        "outOfBoxExperienceSetting" => "outOfBoxExperienceSetting",
        "outOfBoxExperienceSettings" => "outOfBoxExperienceSettings",
        "state" => "importedWindowsAutopilotDeviceIdentityState",
        "templateReference" => "deviceManagementConfigurationPolicyTemplateReference",
        "settingInstanceTemplate" => "deviceManagementConfigurationSettingInstanceTemplate",
        "choiceSettingValueTemplate" => "deviceManagementConfigurationChoiceSettingValueTemplate",
        "simpleSettingValueTemplate" => "deviceManagementConfigurationSimpleSettingValueTemplate",
        "target" => "deviceAndAppManagementAssignmentTarget",
        p if p.ends_with("Restriction") => "deviceEnrollmentPlatformRestriction",
        _ => return None,
    })
}

fn short(t: &str) -> String {
    t.trim_start_matches('#')
        .trim_start_matches("microsoft.graph.")
        .to_owned()
}

fn check(surface: &Surface, type_name: &str, object: &Value, v1: bool, problems: &mut Vec<String>) {
    let Some(map) = object.as_object() else { return };
    let type_name = map
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(short)
        .unwrap_or_else(|| type_name.to_owned());
    let known = surface.beta(&type_name);
    if known.is_empty() {
        problems.push(format!("type {type_name} is not in the metadata"));
        return;
    }
    let v1_props = if v1 { surface.v1(&type_name) } else { None };
    for (key, value) in map {
        if key.contains('@') || matches!(key.as_str(), "assignments" | "settings" | "owners") {
            continue;
        }
        if !known.contains(key) {
            problems.push(format!("{type_name}.{key} is not a property of {type_name}"));
        }
        if let Some(v1_props) = &v1_props
            && !v1_props.contains_key(key)
        {
            problems.push(format!("{type_name}.{key} does not exist in v1.0"));
        }
        if let (Some(complex), Value::Object(_)) = (complex_of(key), value) {
            check(surface, complex, value, false, problems);
        }
    }
    if let Some(v1_props) = surface.v1(&type_name) {
        for (name, nullable) in v1_props {
            let present = map.get(&name).is_some_and(|v| !v.is_null());
            if !nullable && known.contains(&name) && !present && map.len() > 3 {
                problems.push(format!(
                    "{type_name}.{name} is required (non-nullable in v1.0) but missing or null"
                ));
            }
        }
    }
}

#[tokio::test]
async fn every_returned_property_exists_in_graph_metadata() {
    let t = T::new(SimConfig::default().sync_duration(std::time::Duration::from_secs(5))).await;
    let surface = Surface::load();
    let mut objects: Vec<(String, Value, bool)> = Vec::new();
    let mut keep =
        |type_name: &str, value: &Value, v1: bool| objects.push((type_name.to_owned(), value.clone(), v1));

    // Directory.
    let group = t.create_group("Devices", None).await;
    let sp = t
        .get(&format!(
            "/v1.0/servicePrincipals(appId='{INTUNE_PROVISIONING_CLIENT_APP_ID}')"
        ))
        .await
        .body;
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/v1.0/groups/{group}/owners/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{sp_id}")}),
    )
    .await;
    keep("servicePrincipal", &sp, true);
    for version in ["v1.0", "beta"] {
        keep(
            "group",
            &t.get(&format!("/{version}/groups/{group}")).await.body,
            version == "v1.0",
        );
        for owner in t.get(&format!("/{version}/groups/{group}/owners")).await.body["value"]
            .as_array()
            .unwrap()
        {
            keep("servicePrincipal", owner, version == "v1.0");
        }
    }
    let dynamic = t
        .create_group(
            "Dynamic",
            Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:x\"))"),
        )
        .await;
    keep(
        "group",
        &t.get(&format!("/v1.0/groups/{dynamic}")).await.body,
        true,
    );

    // Profiles and their assignments.
    let entra = t
        .post(
            "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            crate::profiles::entra_profile("E"),
        )
        .await
        .body;
    let hybrid = t.post("/beta/deviceManagement/windowsAutopilotDeploymentProfiles", json!({"@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile", "displayName": "H", "hybridAzureADJoinSkipConnectivityCheck": true})).await.body;
    let entra_id = entra["id"].as_str().unwrap();
    for target in [
        json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}),
        json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}),
        json!({"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": dynamic}),
    ] {
        let assignment = t
            .post(
                &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{entra_id}/assignments"),
                json!({"target": target}),
            )
            .await;
        assert_eq!(assignment.status, 201, "{}", assignment.body);
        keep(
            "windowsAutopilotDeploymentProfileAssignment",
            &assignment.body,
            false,
        );
    }
    keep("windowsAutopilotDeploymentProfile", &entra, false);
    keep("windowsAutopilotDeploymentProfile", &hybrid, false);
    for profile in t
        .get("/beta/deviceManagement/windowsAutopilotDeploymentProfiles?$expand=assignments")
        .await
        .body["value"]
        .as_array()
        .unwrap()
    {
        keep("windowsAutopilotDeploymentProfile", profile, false);
    }

    // Enrollment configurations, defaults included, under both versions.
    t.post("/beta/deviceManagement/deviceEnrollmentConfigurations", json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration", "displayName": "ESP", "showInstallationProgress": true})).await;
    t.post("/beta/deviceManagement/deviceEnrollmentConfigurations", json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration", "displayName": "R", "platformType": "windows", "platformRestriction": {"personalDeviceEnrollmentBlocked": true}})).await;
    for version in ["v1.0", "beta"] {
        for config in t
            .get(&format!(
                "/{version}/deviceManagement/deviceEnrollmentConfigurations?$expand=assignments"
            ))
            .await
            .body["value"]
            .as_array()
            .unwrap()
        {
            keep("deviceEnrollmentConfiguration", config, version == "v1.0");
            let id = config["id"].as_str().unwrap();
            if !id.contains("_Default") {
                let body = json!({"enrollmentConfigurationAssignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}]});
                t.post(
                    &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assign"),
                    body,
                )
                .await;
                for assignment in t
                    .get(&format!(
                        "/{version}/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments"
                    ))
                    .await
                    .body["value"]
                    .as_array()
                    .unwrap()
                {
                    keep("enrollmentConfigurationAssignment", assignment, version == "v1.0");
                }
            }
        }
    }

    // Domain join.
    let join = t.post("/beta/deviceManagement/deviceConfigurations", json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "displayName": "J", "activeDirectoryDomainName": "corp.example.com", "computerNameStaticPrefix": "C-", "computerNameSuffixRandomCharCount": 6})).await.body;
    keep("windowsDomainJoinConfiguration", &join, false);
    let assigned = t.post(&format!("/beta/deviceManagement/deviceConfigurations/{}/assign", join["id"].as_str().unwrap()), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}]})).await.body;
    for assignment in assigned["value"].as_array().unwrap() {
        keep("deviceConfigurationAssignment", assignment, false);
    }

    // Device Preparation.
    let policy = t
        .post(
            "/beta/deviceManagement/configurationPolicies",
            crate::policies::dpp_policy("D"),
        )
        .await
        .body;
    keep("deviceManagementConfigurationPolicy", &policy, false);
    let policy_id = policy["id"].as_str().unwrap();
    let assigned = t.post(&format!("/beta/deviceManagement/configurationPolicies/{policy_id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]})).await.body;
    for assignment in assigned["value"].as_array().unwrap() {
        keep("deviceManagementConfigurationPolicyAssignment", assignment, false);
    }
    let result = t.post(&format!("/beta/deviceManagement/configurationPolicies/{policy_id}/setEnrollmentTimeDeviceMembershipTarget"), json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": group}]})).await.body;
    assert_eq!(result["value"]["validationSucceeded"], true, "{result}");
    keep(
        "enrollmentTimeDeviceMembershipTargetResult",
        &result["value"],
        false,
    );
    for status in result["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"]
        .as_array()
        .unwrap()
    {
        keep("enrollmentTimeDeviceMembershipTargetStatus", status, false);
    }
    for setting in t
        .get(&format!(
            "/beta/deviceManagement/configurationPolicies/{policy_id}/settings"
        ))
        .await
        .body["value"]
        .as_array()
        .unwrap()
    {
        keep("deviceManagementConfigurationSetting", setting, false);
    }
    // Policy templates, their setting templates and setting definitions.
    let templates = t
        .get("/beta/deviceManagement/configurationPolicyTemplates?$filter=templateFamily%20eq%20'enrollmentConfiguration'")
        .await
        .body;
    for template in templates["value"].as_array().unwrap() {
        keep("deviceManagementConfigurationPolicyTemplate", template, false);
        let id = template["id"].as_str().unwrap();
        for setting in t
            .get(&format!(
                "/beta/deviceManagement/configurationPolicyTemplates/{id}/settingTemplates?$expand=settingDefinitions"
            ))
            .await
            .body["value"]
            .as_array()
            .unwrap()
        {
            keep("deviceManagementConfigurationSettingTemplate", setting, false);
            for definition in setting["settingDefinitions"].as_array().unwrap() {
                // Options (`deviceManagementConfigurationOptionDefinition`) are not in the
                // metadata extract; their properties follow the beta docs page of that type.
                keep("deviceManagementConfigurationSettingDefinition", definition, false);
            }
        }
    }

    // Devices.
    t.sim.add_devices([DeviceSeed::new("S-1", "A")]);
    let imported = t
        .post(
            "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities",
            json!({"serialNumber": "S-2", "hardwareIdentifier": "AAEC", "groupTag": "B"}),
        )
        .await
        .body;
    keep("importedWindowsAutopilotDeviceIdentity", &imported, true);
    for version in ["v1.0", "beta"] {
        for device in t
            .get(&format!(
                "/{version}/deviceManagement/windowsAutopilotDeviceIdentities"
            ))
            .await
            .body["value"]
            .as_array()
            .unwrap()
        {
            keep("windowsAutopilotDeviceIdentity", device, version == "v1.0");
        }
        for device in t
            .get(&format!(
                "/{version}/deviceManagement/importedWindowsAutopilotDeviceIdentities"
            ))
            .await
            .body["value"]
            .as_array()
            .unwrap()
        {
            keep(
                "importedWindowsAutopilotDeviceIdentity",
                device,
                version == "v1.0",
            );
        }
    }
    t.send(
        "POST",
        "/beta/deviceManagement/windowsAutopilotSettings/sync",
        None,
    )
    .await;
    keep(
        "windowsAutopilotSettings",
        &t.get("/beta/deviceManagement/windowsAutopilotSettings")
            .await
            .body,
        false,
    );

    // What `hangar doctor` reads that the surface file holds: the domain join connector.
    t.sim.with_state(|state| {
        state
            .tenant_settings
            .connectors
            .push(hangar_sim::tenant_settings::DomainJoinConnector {
                id: "c1".into(),
                display_name: "HQ-CONN01".into(),
                state: "active".into(),
                version: "6.2501.2000.5".into(),
                last_connection_ms: None,
            });
    });
    for connector in t.get("/beta/deviceManagement/domainJoinConnectors").await.body["value"]
        .as_array()
        .unwrap()
    {
        keep("deviceManagementDomainJoinConnector", connector, false);
    }

    let mut problems = Vec::new();
    let mut types = BTreeSet::new();
    for (type_name, object, v1) in &objects {
        let actual = object
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(short)
            .unwrap_or_else(|| type_name.clone());
        types.insert(actual);
        if type_name != "servicePrincipal"
            && type_name != "group"
            && !type_name.starts_with("enrollmentTime")
            && object.get("@odata.type").is_none()
            && type_name != "deviceManagementConfigurationPolicy"
            && type_name != "deviceManagementConfigurationPolicyTemplate"
            && type_name != "deviceManagementConfigurationSettingTemplate"
        {
            problems.push(format!("{type_name} item without @odata.type"));
        }
        check(&surface, type_name, object, *v1, &mut problems);
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(types.len() >= 18, "checked types: {types:?}");
}
