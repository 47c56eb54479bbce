//! Device Preparation policies and domain join profiles.

use hangar_sim::{INTUNE_PROVISIONING_CLIENT_APP_ID, SimConfig};
use serde_json::{Value, json};

use crate::support::*;

const POLICIES: &str = "/beta/deviceManagement/configurationPolicies";

pub fn dpp_policy(name: &str) -> Value {
    json!({
        "name": name, "description": "", "platforms": "windows10", "technologies": "enrollment", "roleScopeTagIds": ["0"],
        "templateReference": {"templateId": "80d33118-b7b4-40d8-b15f-81be745e053f_1", "templateFamily": "enrollmentConfiguration"},
        "settings": [
            {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting", "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                "settingDefinitionId": "enrollment_autopilot_dpp_deploymentmode",
                "settingInstanceTemplateReference": {"settingInstanceTemplateId": "5180aeab-886e-4589-97d4-40855c646315"},
                "choiceSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
                    "value": "enrollment_autopilot_dpp_deploymentmode_0", "children": [],
                    "settingValueTemplateReference": {"settingValueTemplateId": "5874c2f6-bcf1-463b-a9eb-bee64e2f2d82"}}}},
            {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting", "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                "settingDefinitionId": "enrollment_autopilot_dpp_timeout",
                "settingInstanceTemplateReference": {"settingInstanceTemplateId": "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb"},
                "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": 60,
                    "settingValueTemplateReference": {"settingValueTemplateId": "0bbcce5b-a55a-4e05-821a-94bf576d6cc8"}}}}
        ]
    })
}

#[tokio::test]
async fn create_put_patch_assign_and_bind_the_device_group() {
    let t = T::default().await;
    let created = t.post(POLICIES, dpp_policy("DPP")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["settingCount"], 2);
    assert_eq!(
        created.body["templateReference"]["templateDisplayName"],
        "Device Preparation"
    );
    let id = created.body["id"].as_str().unwrap().to_owned();

    let settings = t.get(&format!("{POLICIES}/{id}/settings")).await;
    assert_eq!(settings.body["value"].as_array().unwrap().len(), 2);
    let mut changed = dpp_policy("DPP v2");
    changed["settings"].as_array_mut().unwrap().pop();
    assert_eq!(
        t.send("PUT", &format!("{POLICIES}/{id}"), Some(changed))
            .await
            .status,
        204
    );
    let expanded = t.get(&format!("{POLICIES}/{id}?$expand=settings")).await;
    assert_eq!(
        (
            expanded.body["name"].as_str(),
            expanded.body["settings"].as_array().unwrap().len()
        ),
        (Some("DPP v2"), 1)
    );
    let patch_settings = t
        .patch(&format!("{POLICIES}/{id}"), json!({"settings": []}))
        .await;
    assert_eq!(patch_settings.status, 400);
    assert_eq!(
        t.patch(&format!("{POLICIES}/{id}"), json!({"description": "d"}))
            .await
            .status,
        204
    );

    let users = t.create_group("DPP users", None).await;
    let assign = t.post(&format!("{POLICIES}/{id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": users}}]})).await;
    assert_eq!(assign.status, 200, "{}", assign.body);
    assert_eq!(t.get(&format!("{POLICIES}/{id}")).await.body["isAssigned"], true);

    let dynamic = t
        .create_group(
            "dyn",
            Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:x\"))"),
        )
        .await;
    let devices = t.create_group("DPP devices", None).await;
    let bind = |group: &str| json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": group}]});
    let set = format!("{POLICIES}/{id}/setEnrollmentTimeDeviceMembershipTarget");
    let result = t.post(&set, bind(&dynamic)).await;
    assert_eq!(result.status, 200);
    assert_eq!(result.body["value"]["validationSucceeded"], false);
    assert_eq!(
        result.body["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetValidationErrorCode"],
        "notStaticSecurityGroup"
    );
    let not_owned = t.post(&set, bind(&devices)).await;
    assert_eq!(
        not_owned.body["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetValidationErrorCode"],
        "firstPartyAppNotAnOwner"
    );
    let missing = t.post(&set, bind("00000000-0000-0000-0000-000000000009")).await;
    assert_eq!(
        missing.body["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetValidationErrorCode"],
        "securityGroupNotFound"
    );

    let sp = t
        .sim
        .state()
        .service_principal_by_app_id(INTUNE_PROVISIONING_CLIENT_APP_ID)
        .unwrap()
        .id
        .clone();
    t.post(
        &format!("/v1.0/groups/{devices}/owners/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{sp}")}),
    )
    .await;
    let ok = t.post(&set, bind(&devices)).await;
    assert_eq!(ok.body["value"]["validationSucceeded"], true, "{}", ok.body);
    let read = t
        .post(
            &format!("{POLICIES}/{id}/retrieveEnrollmentTimeDeviceMembershipTarget"),
            json!({}),
        )
        .await;
    assert_eq!(
        read.body["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetId"],
        devices.as_str()
    );
    assert_eq!(
        t.post(
            &format!("{POLICIES}/{id}/clearEnrollmentTimeDeviceMembershipTarget"),
            json!({})
        )
        .await
        .status,
        204
    );
    assert_eq!(t.delete(&format!("{POLICIES}/{id}")).await.status, 204);
}

#[tokio::test]
async fn bad_settings_and_the_app_only_quirk() {
    let t = T::new(SimConfig::default().quirk_dpp_app_only_500(true)).await;
    let mut bad = dpp_policy("bad");
    bad["settings"][1]["settingInstance"]["simpleSettingValue"]["value"] = json!(5);
    assert_eq!(
        t.post(POLICIES, bad).await.status,
        400,
        "timeout below 15 minutes"
    );
    let mut unknown = dpp_policy("unknown");
    unknown["settings"][0]["settingInstance"]["settingDefinitionId"] =
        json!("enrollment_autopilot_dpp_bogus");
    assert_eq!(t.post(POLICIES, unknown).await.status, 400);
    let id = t.post(POLICIES, dpp_policy("ok")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let quirk = t
        .post(
            &format!("{POLICIES}/{id}/setEnrollmentTimeDeviceMembershipTarget"),
            json!({"enrollmentTimeDeviceMembershipTargets": []}),
        )
        .await;
    assert_eq!(quirk.status, 500);
    let filtered = t
        .get(&format!(
            "{POLICIES}?$filter=templateReference/templateFamily eq 'enrollmentConfiguration'"
        ))
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn domain_join_profiles() {
    let t = T::default().await;
    const CONFIGS: &str = "/beta/deviceManagement/deviceConfigurations";
    let body = json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "displayName": "Hybrid", "activeDirectoryDomainName": "corp.example.com", "computerNameStaticPrefix": "CORP-", "computerNameSuffixRandomCharCount": 8, "organizationalUnit": "OU=PCs,DC=corp,DC=example,DC=com"});
    let created = t.post(CONFIGS, body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        t.patch(
            &format!("{CONFIGS}/{id}"),
            json!({"computerNameSuffixRandomCharCount": 20})
        )
        .await
        .status,
        400
    );
    let group = t.create_group("Hybrid devices", None).await;
    let assigned = t.post(&format!("{CONFIGS}/{id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}]})).await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(
        t.get(&format!("{CONFIGS}/{id}/assignments")).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let listed = t
        .get(&format!(
            "{CONFIGS}?$filter=isof('microsoft.graph.windowsDomainJoinConfiguration')"
        ))
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    let other = t
        .post(
            CONFIGS,
            json!({"@odata.type": "#microsoft.graph.deviceConfiguration", "displayName": "x"}),
        )
        .await;
    assert_eq!(other.status, 400, "abstract base type");
    assert_eq!(
        t.get("/v1.0/deviceManagement/deviceConfigurations").await.body["value"],
        json!([]),
        "beta-only type hidden under v1.0"
    );
    assert_eq!(t.delete(&format!("{CONFIGS}/{id}")).await.status, 204);
}

#[tokio::test]
async fn device_preparation_templates_serve_their_definitions_and_check_policies() {
    let t = T::default().await;
    const TEMPLATES: &str = "/beta/deviceManagement/configurationPolicyTemplates";
    let listed = t
        .get(&format!(
            "{TEMPLATES}?$filter=templateFamily%20eq%20'enrollmentConfiguration'"
        ))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Device Preparation", "Windows Autopilot device preparation"]
    );
    let none = t
        .get(&format!("{TEMPLATES}?$filter=templateFamily%20eq%20'baseline'"))
        .await;
    assert_eq!(none.body["value"].as_array().unwrap().len(), 0);
    assert_eq!(
        t.get("/v1.0/deviceManagement/configurationPolicyTemplates")
            .await
            .status,
        400
    );

    let user_driven = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
    let bare = t
        .get(&format!("{TEMPLATES}/{user_driven}/settingTemplates"))
        .await;
    assert!(
        bare.body["value"][0].get("settingDefinitions").is_none(),
        "only when expanded"
    );
    let expanded = t
        .get(&format!(
            "{TEMPLATES}/{user_driven}/settingTemplates?$expand=settingDefinitions"
        ))
        .await;
    let account = expanded.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["settingInstanceTemplate"]["settingDefinitionId"] == "enrollment_autopilot_dpp_accountype"
        })
        .unwrap()
        .clone();
    assert_eq!(
        account["settingInstanceTemplate"]["choiceSettingValueTemplate"]["settingValueTemplateId"],
        "bf13bb47-69ef-4e06-97c1-50c2859a49c2"
    );
    let options: Vec<(&str, &str)> = account["settingDefinitions"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["itemId"].as_str().unwrap(), o["displayName"].as_str().unwrap()))
        .collect();
    assert_eq!(
        options,
        [
            ("enrollment_autopilot_dpp_accountype_0", "Standard User"),
            ("enrollment_autopilot_dpp_accountype_1", "Administrator")
        ]
    );
    assert_eq!(
        t.get(&format!("{TEMPLATES}/nope_1/settingTemplates"))
            .await
            .status,
        404
    );

    // Reversed numbering: `_0` now means Administrator, and a value no option has is refused.
    t.sim.with_state(|state| {
        state.policy_templates =
            hangar_sim::device_preparation_templates(hangar_sim::DppOptionOrder::Reversed);
    });
    let expanded = t
        .get(&format!(
            "{TEMPLATES}/{user_driven}/settingTemplates?$expand=settingDefinitions"
        ))
        .await;
    let first = expanded.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["settingInstanceTemplate"]["settingDefinitionId"] == "enrollment_autopilot_dpp_accountype"
        })
        .unwrap()["settingDefinitions"][0]["options"][0]
        .clone();
    assert_eq!(
        (first["itemId"].as_str(), first["displayName"].as_str()),
        (
            Some("enrollment_autopilot_dpp_accountype_1"),
            Some("Standard User")
        )
    );
    let mut policy = dpp_policy("bad mode");
    policy["settings"][0]["settingInstance"]["choiceSettingValue"]["value"] =
        json!("enrollment_autopilot_dpp_deploymentmode_7");
    let refused = t.post(POLICIES, policy).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.to_string().contains("is not an option"),
        "{}",
        refused.body
    );
    let mut policy = dpp_policy("unknown template");
    policy["templateReference"]["templateId"] = json!("00000000-0000-0000-0000-000000000000_1");
    assert_eq!(t.post(POLICIES, policy).await.status, 400);
    let mut policy = dpp_policy("wrong value template");
    policy["settings"][0]["settingInstance"]["choiceSettingValue"]["settingValueTemplateReference"]["settingValueTemplateId"] =
        json!("00000000-0000-0000-0000-000000000000");
    assert_eq!(t.post(POLICIES, policy).await.status, 400);
}
