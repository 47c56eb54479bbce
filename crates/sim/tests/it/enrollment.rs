//! Enrollment configurations: defaults, ESP, restrictions, assign, setPriority.

use serde_json::json;

use crate::support::*;

const CONFIGS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";

fn esp(name: &str) -> serde_json::Value {
    json!({
        "@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
        "displayName": name, "showInstallationProgress": true, "installProgressTimeoutInMinutes": 60
    })
}

#[tokio::test]
async fn defaults_are_seeded_and_protected() {
    let t = T::default().await;
    let tenant = t.sim.tenant_id();
    let esp_id = format!("{tenant}_DefaultWindows10EnrollmentCompletionPageConfiguration");
    let default = t.get(&format!("{CONFIGS}/{esp_id}")).await;
    assert_eq!(default.status, 200);
    assert_eq!(default.body["priority"], 0);
    assert_eq!(
        default.body["deviceEnrollmentConfigurationType"],
        "defaultWindows10EnrollmentCompletionPageConfiguration"
    );
    assert!(
        t.get(&format!("{CONFIGS}/{tenant}_DefaultPlatformRestrictions"))
            .await
            .status
            == 200
    );
    assert_eq!(t.delete(&format!("{CONFIGS}/{esp_id}")).await.status, 400);
    let assign = t
        .post(
            &format!("{CONFIGS}/{esp_id}/assign"),
            json!({"enrollmentConfigurationAssignments": []}),
        )
        .await;
    assert_eq!(assign.status, 400);
    assert_eq!(
        t.post(&format!("{CONFIGS}/{esp_id}/setPriority"), json!({"priority": 1}))
            .await
            .status,
        400
    );
    let patched = t.patch(&format!("{CONFIGS}/{esp_id}"), json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration", "showInstallationProgress": true})).await;
    assert_eq!(patched.status, 204, "{}", patched.body);
    let filtered = t
        .get(&format!(
            "{CONFIGS}?$filter=deviceEnrollmentConfigurationType eq 'defaultLimit'"
        ))
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn priorities_assign_and_v1_projection() {
    let t = T::default().await;
    let a = t.post(CONFIGS, esp("A")).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(
        a.body["id"]
            .as_str()
            .unwrap()
            .ends_with("_Windows10EnrollmentCompletionPageConfiguration")
    );
    assert_eq!(a.body["priority"], 1);
    let a = a.body["id"].as_str().unwrap().to_owned();
    let b = t.post(CONFIGS, esp("B")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(t.get(&format!("{CONFIGS}/{b}")).await.body["priority"], 2);
    assert_eq!(
        t.post(&format!("{CONFIGS}/{b}/setPriority"), json!({"priority": 1}))
            .await
            .status,
        204
    );
    assert_eq!(t.get(&format!("{CONFIGS}/{a}")).await.body["priority"], 2);
    let gap = t
        .post(&format!("{CONFIGS}/{b}/setPriority"), json!({"priority": 5}))
        .await;
    assert_eq!(gap.status, 400);
    let with_priority = t.post(CONFIGS, json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration", "displayName": "C", "priority": 3})).await;
    assert_eq!(with_priority.status, 400, "priority is read-only in POST bodies");

    let group = t.create_group("ESP users", None).await;
    let body = json!({"enrollmentConfigurationAssignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}]});
    assert_eq!(t.post(&format!("{CONFIGS}/{a}/assign"), body).await.status, 204);
    let assignments = t.get(&format!("{CONFIGS}/{a}/assignments")).await;
    assert_eq!(assignments.body["value"][0]["target"]["groupId"], group.as_str());
    let single_delete = t.delete(&format!("{CONFIGS}/{a}/assignments/{a}_{group}")).await;
    assert_eq!(single_delete.status, 400, "no route to delete one ESP assignment");

    let v1 = t
        .get(&format!(
            "/v1.0/deviceManagement/deviceEnrollmentConfigurations/{a}"
        ))
        .await;
    assert_eq!(v1.status, 200);
    assert!(
        v1.body.get("showInstallationProgress").is_none(),
        "beta-only property under v1.0"
    );
    assert!(v1.body.get("allowNonBlockingAppInstallation").is_some());

    let restriction = t
        .post(
            CONFIGS,
            json!({
                "@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
                "displayName": "Block personal Windows", "platformType": "windows",
                "platformRestriction": {"platformBlocked": false, "personalDeviceEnrollmentBlocked": true}
            }),
        )
        .await;
    assert_eq!(restriction.status, 201, "{}", restriction.body);
    assert_eq!(
        restriction.body["priority"], 1,
        "restrictions have their own priority sequence"
    );
    assert_eq!(
        restriction.body["platformRestriction"]["osMinimumVersion"],
        serde_json::Value::Null
    );

    assert_eq!(t.delete(&format!("{CONFIGS}/{b}")).await.status, 204);
    assert_eq!(
        t.get(&format!("{CONFIGS}/{a}")).await.body["priority"],
        1,
        "deleting renumbers"
    );
}
