//! What `hangar doctor` reads: the MDM policies (delegated tokens only), the device registration
//! policy, subscribed SKUs and domain join connectors, with Microsoft's permission checks; and
//! profile assignment status following group tags through Graph writes.
//!
//! `mobilityManagementPolicy`, `deviceRegistrationPolicy` and `subscribedSku` are not in
//! `fixtures/autopilot-surface.json`; their property names are pinned here from
//! msgraph-metadata's type mappings (commit f54f11b, 2026-08-20), as facts.

use std::collections::BTreeSet;

use hangar_sim::tenant_settings::{JoinScope, MdmScope};
use hangar_sim::{DeviceSeed, SimCloud, SimConfig};
use serde_json::{Value, json};

use crate::support::*;

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test]
async fn mdm_policies_answer_delegated_tokens_only_with_the_clouds_urls() {
    let mut t = T::new(SimConfig::default().cloud(SimCloud::GccHigh)).await;
    // Made with the application's token: the delegated tokens below may only read policies.
    let group = t.create_group("Autopilot Users", None).await;
    let app = t.get("/beta/policies/mobileDeviceManagementPolicies").await;
    assert_eq!(app.status, 403, "{}", app.body);
    assert_eq!(app.code(), "Authorization_RequestDenied");

    t.token = t
        .sim
        .issue_delegated_token("admin@fabrikam.us", &["Group.Read.All"]);
    assert_eq!(
        t.get("/beta/policies/mobileDeviceManagementPolicies")
            .await
            .status,
        403
    );

    t.token = t
        .sim
        .issue_delegated_token("admin@fabrikam.us", &["Policy.Read.All"]);
    assert_eq!(
        t.get("/v1.0/policies/mobileDeviceManagementPolicies")
            .await
            .status,
        400
    );
    t.sim.with_state(|state| {
        state.tenant_settings.mdm.applies_to = MdmScope::Selected;
        state.tenant_settings.mdm.included_groups = vec![group.clone()];
    });
    let list = t
        .get("/beta/policies/mobileDeviceManagementPolicies?$expand=includedGroups")
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let policies = list.body["value"].as_array().unwrap();
    assert_eq!(policies.len(), 2);
    let intune = &policies[0];
    assert_eq!(intune["id"], "0000000a-0000-0000-c000-000000000000");
    assert_eq!(intune["displayName"], "Microsoft Intune");
    assert_eq!(intune["appliesTo"], "selected");
    assert_eq!(
        intune["discoveryUrl"],
        "https://enrollment.manage.microsoft.us/enrollmentserver/discovery.svc"
    );
    assert_eq!(intune["includedGroups"][0]["displayName"], "Autopilot Users");
    let mut expected = set(&[
        "appliesTo",
        "complianceUrl",
        "description",
        "discoveryUrl",
        "displayName",
        "id",
        "isValid",
        "termsOfUseUrl",
        "isMdmEnrollmentDuringRegistrationDisabled",
    ]);
    expected.insert("includedGroups".into());
    assert_eq!(keys(intune), expected);
    assert_eq!(policies[1]["appliesTo"], "none");

    let one = t
        .get("/beta/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000/includedGroups")
        .await;
    assert_eq!(one.body["value"][0]["id"], group.as_str());
    assert_eq!(
        t.get("/beta/policies/mobileDeviceManagementPolicies/nope")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_device_registration_policy_follows_the_state_and_its_permission() {
    let t = T::default().await;
    let policy = t.get("/v1.0/policies/deviceRegistrationPolicy").await;
    assert_eq!(policy.status, 200, "{}", policy.body);
    assert_eq!(
        keys(&policy.body),
        set(&[
            "azureADJoin",
            "azureADRegistration",
            "description",
            "displayName",
            "id",
            "localAdminPassword",
            "multiFactorAuthConfiguration",
            "userDeviceQuota",
        ])
    );
    assert_eq!(
        policy.body["azureADJoin"]["allowedToJoin"]["@odata.type"],
        "#microsoft.graph.allDeviceRegistrationMembership"
    );
    t.sim.with_state(|state| {
        state.tenant_settings.device_join.allowed_to_join = JoinScope::Selected {
            users: vec![],
            groups: vec!["g1".into()],
        };
        state.tenant_settings.device_join.user_device_quota = 0;
    });
    let policy = t.get("/beta/policies/deviceRegistrationPolicy").await.body;
    assert_eq!(policy["azureADJoin"]["allowedToJoin"]["groups"], json!(["g1"]));
    assert_eq!(policy["userDeviceQuota"], 0);

    let denied = T::new(SimConfig::default().app_roles(["Group.Read.All"])).await;
    let refused = denied.get("/v1.0/policies/deviceRegistrationPolicy").await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "Authorization_RequestDenied")
    );
}

#[tokio::test]
async fn subscribed_skus_carry_service_plans_and_need_organization_read() {
    let t = T::default().await;
    let skus = t.get("/v1.0/subscribedSkus").await;
    assert_eq!(skus.status, 200, "{}", skus.body);
    let sku = &skus.body["value"][0];
    assert_eq!(
        keys(sku),
        set(&[
            "accountId",
            "accountName",
            "appliesTo",
            "capabilityStatus",
            "consumedUnits",
            "id",
            "prepaidUnits",
            "servicePlans",
            "skuId",
            "skuPartNumber",
            "subscriptionIds",
        ])
    );
    assert_eq!(sku["servicePlans"][0]["servicePlanName"], "INTUNE_A");
    assert_eq!(
        set(&[
            "appliesTo",
            "provisioningStatus",
            "servicePlanId",
            "servicePlanName"
        ]),
        keys(&sku["servicePlans"][0])
    );
    let id = sku["id"].as_str().unwrap();
    assert_eq!(t.get(&format!("/v1.0/subscribedSkus/{id}")).await.status, 200);

    let denied = T::new(SimConfig::default().app_roles(["Group.Read.All"])).await;
    assert_eq!(denied.get("/v1.0/subscribedSkus").await.status, 403);
    let directory = T::new(SimConfig::default().app_roles(["Directory.Read.All"])).await;
    assert_eq!(directory.get("/v1.0/subscribedSkus").await.status, 200);
}

#[tokio::test]
async fn connectors_are_beta_only_and_refused_with_intunes_message() {
    let t = T::default().await;
    assert_eq!(
        t.get("/beta/deviceManagement/domainJoinConnectors").await.body["value"],
        json!([])
    );
    assert_eq!(
        t.get("/v1.0/deviceManagement/domainJoinConnectors").await.status,
        400
    );
    let denied = T::new(SimConfig::default().app_roles(["DeviceManagementServiceConfig.Read.All"])).await;
    let refused = denied.get("/beta/deviceManagement/domainJoinConnectors").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .message()
            .starts_with("Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.Read.All"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn profile_assignment_follows_group_tags_through_graph_writes() {
    let t = T::default().await;
    t.sim
        .add_devices([DeviceSeed::new("S1", "Sales"), DeviceSeed::new("K1", "Kiosk")]);
    let status = |devices: &Value, serial: &str| {
        devices["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["serialNumber"] == serial)
            .map(|d| d["deploymentProfileAssignmentStatus"].clone())
            .unwrap()
    };
    let devices = t
        .get("/beta/deviceManagement/windowsAutopilotDeviceIdentities")
        .await
        .body;
    assert_eq!(status(&devices, "S1"), "notAssigned");

    let group = t
        .create_group(
            "Sales",
            Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"),
        )
        .await;
    let profile = t
        .post(
            "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            crate::profiles::entra_profile("Sales"),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assignment = t
        .post(
            &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{profile}/assignments"),
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}),
        )
        .await;
    assert_eq!(assignment.status, 201, "{}", assignment.body);
    let devices = t
        .get("/beta/deviceManagement/windowsAutopilotDeviceIdentities")
        .await
        .body;
    assert_eq!(status(&devices, "S1"), "assignedInSync");
    assert_eq!(status(&devices, "K1"), "notAssigned");

    // Re-tagging moves the device out of the profile's reach.
    let id = devices["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serialNumber"] == "S1")
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .unwrap();
    t.post(
        &format!("/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties"),
        json!({"groupTag": "Kiosk"}),
    )
    .await;
    let devices = t
        .get("/beta/deviceManagement/windowsAutopilotDeviceIdentities")
        .await
        .body;
    assert_eq!(status(&devices, "S1"), "notAssigned");
}

#[tokio::test]
async fn old_state_files_load_with_a_ready_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let state = hangar_sim::SimState::fresh(SimCloud::Commercial, None, 3, 0);
    let mut json: Value = serde_json::to_value(&state).unwrap();
    json.as_object_mut().unwrap().remove("tenantSettings");
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    let loaded = hangar_sim::SimState::load(&path).unwrap();
    assert_eq!(
        loaded.tenant_settings,
        hangar_sim::tenant_settings::TenantSettings::ready()
    );
}
