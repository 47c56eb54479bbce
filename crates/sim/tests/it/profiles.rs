//! Autopilot deployment profiles and assignments.

use hangar_sim::{SimCloud, SimConfig};
use serde_json::{Value, json};

use crate::support::*;

const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";

pub fn entra_profile(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": name,
        "deviceNameTemplate": "AP-%SERIAL%",
        "locale": "en-US",
        "outOfBoxExperienceSetting": {
            "privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
            "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true
        }
    })
}

#[tokio::test]
async fn create_read_update_assign_unassign_delete() {
    let t = T::default().await;
    let created = t.post(PROFILES, entra_profile("Sales")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body["@odata.type"],
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    );
    assert_eq!(
        created.body["language"], "en-US",
        "deprecated twin mirrors locale"
    );
    assert_eq!(created.body["deviceType"], "windowsPc");
    assert_eq!(created.body["roleScopeTagIds"], json!(["0"]));

    let listed = t.get(PROFILES).await;
    assert_eq!(
        listed.body["value"][0]["@odata.type"],
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    );

    let patched = t.patch(&format!("{PROFILES}/{id}"), json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "description": "d"})).await;
    assert_eq!(patched.status, 204, "{}", patched.body);
    let device_type = t
        .patch(&format!("{PROFILES}/{id}"), json!({"deviceType": "holoLens"}))
        .await;
    assert_eq!(device_type.status, 400, "deviceType is create-only");

    let group = t.create_group("Sales devices", None).await;
    let assignment =
        json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}});
    let assigned = t
        .post(&format!("{PROFILES}/{id}/assignments"), assignment.clone())
        .await;
    assert_eq!(assigned.status, 201, "{}", assigned.body);
    let assignment_id = assigned.body["id"].as_str().unwrap().to_owned();
    assert_eq!(assignment_id, format!("{id}_{group}"));
    assert_eq!(
        t.post(&format!("{PROFILES}/{id}/assignments"), assignment)
            .await
            .status,
        400
    );

    let expanded = t.get(&format!("{PROFILES}/{id}?$expand=assignments")).await;
    assert_eq!(
        expanded.body["assignments"][0]["target"]["groupId"],
        group.as_str()
    );

    let refused = t.delete(&format!("{PROFILES}/{id}")).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.message().contains("Delete its assignments"),
        "{}",
        refused.message()
    );
    assert_eq!(
        t.delete(&format!("{PROFILES}/{id}/assignments/{assignment_id}"))
            .await
            .status,
        204
    );
    assert_eq!(t.delete(&format!("{PROFILES}/{id}")).await.status, 204);
    assert_eq!(t.get(&format!("{PROFILES}/{id}")).await.status, 404);
}

#[tokio::test]
async fn validation_failures_intune_reports() {
    let t = T::default().await;
    let mut long = entra_profile("Long");
    long["deviceNameTemplate"] = json!("ABCDEFGHIJKLM-%RAND:4%");
    let refused = t.post(PROFILES, long).await;
    assert_eq!(refused.status, 400);
    assert!(refused.message().contains("15"), "{}", refused.message());
    let wrapped: Value = serde_json::from_str(refused.body["error"]["message"].as_str().unwrap()).unwrap();
    assert_eq!(wrapped["_version"], 3, "Intune wraps JSON in `message`");

    let mut shared = entra_profile("Kiosk");
    shared["outOfBoxExperienceSetting"]["deviceUsageType"] = json!("shared");
    assert_eq!(
        t.post(PROFILES, shared.clone()).await.status,
        400,
        "userType on a shared profile"
    );
    shared["outOfBoxExperienceSetting"]
        .as_object_mut()
        .unwrap()
        .remove("userType");
    let kiosk = t.post(PROFILES, shared).await;
    assert_eq!(kiosk.status, 201, "{}", kiosk.body);
    assert!(
        kiosk.body["outOfBoxExperienceSetting"].get("userType").is_none(),
        "never returned for shared profiles"
    );

    let hybrid = json!({"@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile", "displayName": "Hybrid", "deviceNameTemplate": "X-%SERIAL%"});
    assert_eq!(t.post(PROFILES, hybrid).await.status, 400);
    let unknown = t
        .post(PROFILES, json!({"displayName": "x", "colour": "red"}))
        .await;
    assert_eq!((unknown.status, unknown.code()), (400, "ModelValidationFailure"));
    let read_only = t
        .post(PROFILES, json!({"displayName": "x", "extractHardwareHash": true}))
        .await;
    assert_eq!(read_only.status, 400);

    let a = t.post(PROFILES, entra_profile("A")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = t.post(PROFILES, entra_profile("B")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}});
    assert_eq!(
        t.post(&format!("{PROFILES}/{a}/assignments"), all.clone())
            .await
            .status,
        201
    );
    let second = t.post(&format!("{PROFILES}/{b}/assignments"), all).await;
    assert_eq!(second.status, 400);
    assert_eq!(
        second.message().split(" - ").next().unwrap(),
        format!("Another Profile {a} is already assigned to All Devices")
    );
}

#[tokio::test]
async fn beta_only_under_v1_and_absent_in_gcc_high() {
    let t = T::default().await;
    let v1 = t
        .get("/v1.0/deviceManagement/windowsAutopilotDeploymentProfiles")
        .await;
    assert_eq!(v1.status, 400);
    assert_eq!(
        v1.body["error"]["message"],
        "Resource not found for the segment 'windowsAutopilotDeploymentProfiles'."
    );
    let high = T::new(SimConfig::default().cloud(SimCloud::GccHigh)).await;
    assert_eq!(high.get(PROFILES).await.body["value"], json!([]));
    assert_eq!(high.post(PROFILES, entra_profile("x")).await.status, 400);
}

#[tokio::test]
async fn new_groups_are_invisible_to_intune_until_replicated() {
    let t = T::new(SimConfig::default().replication_delay(std::time::Duration::from_secs(30))).await;
    let id = t.post(PROFILES, entra_profile("P")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = t.create_group("Fresh", None).await;
    let assignment =
        json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}});
    let early = t
        .post(&format!("{PROFILES}/{id}/assignments"), assignment.clone())
        .await;
    assert_eq!(early.status, 400);
    t.sim.advance_clock(std::time::Duration::from_secs(31));
    assert_eq!(
        t.post(&format!("{PROFILES}/{id}/assignments"), assignment)
            .await
            .status,
        201
    );
}
