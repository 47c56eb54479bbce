//! `$batch`.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn depends_on_424_and_per_item_status() {
    let t = T::default().await;
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": "/groups", "headers": {"Content-Type": "application/json"},
         "body": {"displayName": "b", "mailEnabled": false, "mailNickname": "b", "securityEnabled": true}},
        {"id": "2", "method": "GET", "url": "groups?$top=1", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/groups/00000000-0000-0000-0000-000000000000"},
        {"id": "4", "method": "GET", "url": "/groups", "dependsOn": ["3"]},
        {"id": "5", "method": "POST", "url": "/groups", "body": {"displayName": "no content type"}}
    ]});
    let response = t.post("/v1.0/$batch", body).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let status = |id: &str| {
        response.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (status("1"), status("2"), status("3"), status("4"), status("5")),
        (201, 200, 404, 424, 400)
    );
    let log = t.sim.request_log();
    assert_eq!(log.iter().filter(|r| r.batch_item.is_some()).count(), 5);
}

#[tokio::test]
async fn batch_limits() {
    let t = T::default().await;
    let many: Vec<_> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/groups"}))
        .collect();
    assert_eq!(
        t.post("/v1.0/$batch", json!({"requests": many})).await.status,
        400
    );
    let duplicate = json!({"requests": [{"id": "a", "method": "GET", "url": "/groups"}, {"id": "a", "method": "GET", "url": "/groups"}]});
    assert_eq!(t.post("/v1.0/$batch", duplicate).await.status, 400);
    let unknown_dependency =
        json!({"requests": [{"id": "a", "method": "GET", "url": "/groups", "dependsOn": ["z"]}]});
    assert_eq!(t.post("/v1.0/$batch", unknown_dependency).await.status, 400);
}

#[tokio::test]
async fn inner_requests_are_throttled_one_by_one() {
    let t = T::default().await;
    t.sim.inject(
        hangar_sim::FaultRule::throttle(2.0, 1.0)
            .path("/deviceManagement")
            .times(1),
    );
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/deviceManagement/windowsAutopilotDeploymentProfiles"},
        {"id": "2", "method": "GET", "url": "/deviceManagement/windowsAutopilotDeploymentProfiles"}
    ]});
    let response = t.post("/beta/$batch", body).await;
    let items = response.body["responses"].as_array().unwrap();
    assert_eq!(items[0]["status"], 429);
    assert_eq!(items[0]["headers"]["Retry-After"], "2");
    assert_eq!(items[1]["status"], 200);
}
