//! Imported and registered Autopilot devices, settings and sync.

use std::time::Duration;

use hangar_sim::{DeviceSeed, SimConfig};
use serde_json::json;

use crate::support::*;

const IMPORTED: &str = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";

#[tokio::test]
async fn import_is_asynchronous_and_806_for_a_registered_serial() {
    let t = T::new(SimConfig::default().import_processing(Duration::from_secs(30))).await;
    t.sim.add_devices([DeviceSeed::new("TAKEN", "old")]);
    let device = json!({"@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity", "serialNumber": "NEW-1", "groupTag": "Sales", "productKey": "", "hardwareIdentifier": "AAECAw==", "state": {"deviceImportStatus": "pending", "deviceRegistrationId": "", "deviceErrorCode": 0, "deviceErrorName": ""}});
    let created = t.post(IMPORTED, device).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["state"]["deviceImportStatus"], "unknown");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let taken = t.post(&format!("{IMPORTED}/import"), json!({"importedWindowsAutopilotDeviceIdentities": [{"serialNumber": "TAKEN", "hardwareIdentifier": "AAEC"}]})).await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    let taken_id = taken.body["value"][0]["id"].as_str().unwrap().to_owned();

    assert_eq!(
        t.get(&format!("{IMPORTED}/{id}")).await.body["state"]["deviceImportStatus"],
        "unknown"
    );
    t.sim.advance_clock(Duration::from_secs(31));
    let done = t.get(&format!("{IMPORTED}/{id}")).await;
    assert_eq!(done.body["state"]["deviceImportStatus"], "complete");
    let registered = t
        .get(&format!("{DEVICES}?$filter=contains(serialNumber,'NEW-1')"))
        .await;
    assert_eq!(registered.body["value"][0]["groupTag"], "Sales");
    assert_eq!(
        registered.body["value"][0]["id"],
        done.body["state"]["deviceRegistrationId"]
    );
    let failed = t.get(&format!("{IMPORTED}/{taken_id}")).await;
    assert_eq!(failed.body["state"]["deviceImportStatus"], "error");
    assert_eq!(failed.body["state"]["deviceErrorCode"], 806);
    assert_eq!(
        failed.body["state"]["deviceErrorName"],
        "ZtdDeviceAlreadyAssigned"
    );

    let patch = t
        .patch(&format!("{IMPORTED}/{id}"), json!({"groupTag": "x"}))
        .await;
    assert_eq!(patch.status, 400);
    assert!(
        patch.message().contains("No OData route exists"),
        "{}",
        patch.message()
    );
    assert_eq!(t.delete(&format!("{IMPORTED}/{id}")).await.status, 204);
    let no_hash = t.post(IMPORTED, json!({"serialNumber": "X"})).await;
    assert_eq!(no_hash.status, 400);
    let old_field = t
        .post(
            IMPORTED,
            json!({"serialNumber": "X", "hardwareIdentifier": "AA==", "orderIdentifier": "t"}),
        )
        .await;
    assert_eq!(
        old_field.status, 400,
        "the deprecated orderIdentifier is not a property"
    );
}

#[tokio::test]
async fn registered_devices_update_and_delete() {
    let t = T::default().await;
    t.sim
        .add_devices((0..3).map(|i| DeviceSeed::new(format!("S{i}"), "A")));
    let (all, _) = t.get_all(DEVICES).await;
    assert_eq!(all.len(), 3);
    let id = all[0]["id"].as_str().unwrap().to_owned();
    let update = t
        .post(
            &format!("{DEVICES}/{id}/updateDeviceProperties"),
            json!({"groupTag": "B", "displayName": "PC-1"}),
        )
        .await;
    assert_eq!(update.status, 204);
    let got = t.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(
        (got.body["groupTag"].as_str(), got.body["displayName"].as_str()),
        (Some("B"), Some("PC-1"))
    );
    let v1 = t
        .get(&format!(
            "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{id}"
        ))
        .await;
    assert!(v1.body.get("deploymentProfileAssignmentStatus").is_none());
    let bad = t
        .post(
            &format!("{DEVICES}/{id}/updateDeviceProperties"),
            json!({"serialNumber": "x"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(t.delete(&format!("{DEVICES}/{id}")).await.status, 204);
    let first = t.get(DEVICES).await;
    assert_eq!(first.body["@odata.count"], 2);
}

#[tokio::test]
async fn intune_pages_and_the_top_loop_quirk() {
    let t = T::new(
        SimConfig::default()
            .page_sizes(100, 10)
            .quirk_autopilot_top_loop(true),
    )
    .await;
    t.sim
        .add_devices((0..25).map(|i| DeviceSeed::new(format!("S{i:02}"), "A")));
    let (all, pages) = t
        .get_all("/v1.0/deviceManagement/windowsAutopilotDeviceIdentities")
        .await;
    assert_eq!((all.len(), pages), (25, 3));
    let first = t
        .get("/v1.0/deviceManagement/windowsAutopilotDeviceIdentities?$top=5")
        .await;
    let second = t.get(first.body["@odata.nextLink"].as_str().unwrap()).await;
    let third = t.get(second.body["@odata.nextLink"].as_str().unwrap()).await;
    assert_eq!(
        second.body["value"], third.body["value"],
        "the next link repeats the same page"
    );
    assert_eq!(second.body["@odata.nextLink"], third.body["@odata.nextLink"]);
}

/// The status of a sync request under `version`.
async fn sync(t: &T, version: &str) -> u16 {
    t.send(
        "POST",
        &format!("/{version}/deviceManagement/windowsAutopilotSettings/sync"),
        None,
    )
    .await
    .status
}

#[tokio::test]
async fn sync_conflict_and_cooldown() {
    let t = T::new(SimConfig::default().sync_duration(Duration::from_secs(60))).await;
    let settings = t.get("/beta/deviceManagement/windowsAutopilotSettings").await;
    assert_eq!(settings.body["syncStatus"], "unknown");
    assert_eq!(settings.body["lastSyncDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(sync(&t, "beta").await, 204);
    assert_eq!(sync(&t, "beta").await, 409);
    t.sim.advance_clock(Duration::from_secs(61));
    assert_eq!(
        t.get("/beta/deviceManagement/windowsAutopilotSettings")
            .await
            .body["syncStatus"],
        "completed"
    );
    assert_eq!(sync(&t, "beta").await, 429);
    t.sim.advance_clock(Duration::from_secs(600));
    assert_eq!(sync(&t, "beta").await, 204);
    assert_eq!(sync(&t, "v1.0").await, 400);
}

#[tokio::test]
async fn an_import_staged_directly_in_the_state_still_completes() {
    // `with_state` edits bypass the routes; the index of processing imports is rebuilt after.
    let t = T::new(SimConfig::default().import_processing(Duration::from_secs(30))).await;
    let created = t
        .post(
            IMPORTED,
            json!({"serialNumber": "VIA-API", "hardwareIdentifier": "AAECAw=="}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let mut copy = t
        .sim
        .with_state(|state| state.imported_devices.values().next().cloned().unwrap());
    copy.id = "direct-import".to_owned();
    copy.properties.insert("serialNumber".into(), json!("VIA-STATE"));
    t.sim
        .with_state(|state| state.imported_devices.insert(copy.id.clone(), copy));
    t.sim.advance_clock(Duration::from_secs(31));
    let done = t.get(&format!("{IMPORTED}/direct-import")).await;
    assert_eq!(
        done.body["state"]["deviceImportStatus"], "complete",
        "{}",
        done.body
    );
    let (registered, _) = t.get_all(DEVICES).await;
    assert_eq!(registered.len(), 2);
}
