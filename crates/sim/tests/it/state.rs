//! State file, request log endpoint, typed snapshot, concurrency.

use hangar_sim::{GroupMembership, Sim, SimConfig, SimError};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn save_and_reload_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    let t = T::new(SimConfig::default().state_file(&path)).await;
    assert!(path.exists(), "a missing state file is created at start");
    let group = t.create_group("Persisted", None).await;
    t.sim.save().unwrap();
    let tenant = t.sim.tenant_id();
    drop(t);
    let again = Sim::start(SimConfig::default().state_file(&path)).await.unwrap();
    assert_eq!(again.tenant_id(), tenant);
    assert!(again.state().groups.contains_key(&group));
    let wrong_cloud = Sim::start(
        SimConfig::default()
            .cloud(hangar_sim::SimCloud::Dod)
            .state_file(&path),
    )
    .await;
    assert!(matches!(wrong_cloud, Err(SimError::CloudMismatch { .. })));
}

#[tokio::test]
async fn log_endpoint_and_snapshot() {
    let t = T::default().await;
    t.get("/v1.0/groups?$top=5").await;
    let log: serde_json::Value = t
        .http
        .get(t.url("/_sim/log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = &log["value"][0];
    assert_eq!(
        (
            entry["method"].as_str(),
            entry["path"].as_str(),
            entry["status"].as_u64()
        ),
        (Some("GET"), Some("/v1.0/groups?$top=5"), Some(200))
    );
    assert!(entry["host"].as_str().unwrap().starts_with("127.0.0.1:"));
    let advanced = t.http.post(t.url("/_sim/clock?seconds=60")).send().await.unwrap();
    assert_eq!(advanced.status(), 200);
}

#[tokio::test]
async fn concurrent_writes_are_all_kept() {
    let t = T::default().await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let http = t.http.clone();
        let url = t.url("/v1.0/groups");
        let token = t.token.clone();
        handles.push(tokio::spawn(async move {
            http.post(url).bearer_auth(token).json(&json!({"displayName": format!("c{i}"), "mailEnabled": false, "mailNickname": format!("c{i}"), "securityEnabled": true})).send().await.unwrap().status().as_u16()
        }));
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap(), 201);
    }
    assert_eq!(t.sim.state().groups.len(), 40);
}

#[test]
fn background_start_for_sync_callers() {
    let sim = Sim::start_background(SimConfig::default()).unwrap();
    sim.add_group("bg", GroupMembership::Assigned);
    assert!(sim.url().starts_with("http://127.0.0.1:"));
    assert_eq!(sim.state().groups.len(), 1);
    drop(sim);
}
