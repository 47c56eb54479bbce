//! Latency, seeded faults, dropped responses, throttling on a scaled clock, bad input.

use std::time::Duration;

use hangar_sim::{FaultRule, MethodClass, SimConfig};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn scripted_status_then_success() {
    let t = T::default().await;
    t.sim.inject(
        FaultRule::status(503, 1.0)
            .methods(MethodClass::Reads)
            .path("/groups")
            .times(2),
    );
    assert_eq!(t.get("/v1.0/groups").await.status, 503);
    assert_eq!(t.get("/v1.0/groups").await.status, 503);
    assert_eq!(t.get("/v1.0/groups").await.status, 200);
    let faults: Vec<_> = t.sim.request_log().into_iter().filter_map(|r| r.fault).collect();
    assert_eq!(faults, vec!["status 503", "status 503"]);
}

#[tokio::test]
async fn dropped_response_after_commit() {
    let t = T::default().await;
    t.sim
        .inject(FaultRule::drop_response(1.0).path("/groups").times(1));
    let result = t
        .http
        .post(t.url("/v1.0/groups"))
        .bearer_auth(&t.token)
        .json(&json!({"displayName": "dropped", "mailEnabled": false, "mailNickname": "dropped", "securityEnabled": true}))
        .send()
        .await;
    assert!(result.is_err(), "the connection closes without a response");
    assert!(
        t.sim.state().group_by_name("dropped").is_some(),
        "the write committed"
    );
    assert_eq!(t.sim.request_log().last().unwrap().status, 0);
}

#[tokio::test]
async fn seeded_faults_replay() {
    async fn run() -> Vec<u16> {
        let t = T::new(SimConfig::default().seed(42).fault(FaultRule::status(500, 0.4))).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(t.get("/v1.0/groups").await.status);
        }
        statuses
    }
    let first = run().await;
    assert_eq!(first, run().await);
    assert!(first.contains(&500) && first.contains(&200));
}

#[tokio::test]
async fn intune_write_budget_with_fractional_real_retry_after() {
    let mut config = SimConfig::default().throttling(true).clock_scale(100.0);
    config.throttling.intune_app_writes = 5;
    let t = T::new(config).await;
    let profile = |i: usize| json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": format!("p{i}")});
    let mut throttled = None;
    for i in 0..6 {
        let response = t
            .post(
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                profile(i),
            )
            .await;
        if response.status == 429 {
            throttled = Some(response);
            break;
        }
    }
    let throttled = throttled.expect("the sixth write in a window is throttled");
    let retry_after: f64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!(
        retry_after > 0.0 && retry_after <= 0.2,
        "20 simulated seconds at scale 100 is at most 0.2 s: {retry_after}"
    );
    tokio::time::sleep(Duration::from_secs_f64(retry_after + 0.01)).await;
    let after = t
        .post(
            "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            profile(9),
        )
        .await;
    assert_eq!(after.status, 201, "honouring Retry-After is enough");
}

#[tokio::test]
async fn oversized_and_garbage_bodies_are_graph_errors() {
    let t = T::new(SimConfig::default().max_body_bytes(1024)).await;
    let big = json!({"displayName": "x".repeat(4096)});
    let response = t.post("/v1.0/groups", big).await;
    assert_eq!(response.status, 413);
    assert!(response.body["error"]["innerError"]["request-id"].is_string());
    for garbage in ["[]", "null", "\"text\"", "{\"displayName\": ", "\u{0}\u{1}"] {
        let response = t
            .http
            .post(t.url("/beta/deviceManagement/windowsAutopilotDeploymentProfiles"))
            .bearer_auth(&t.token)
            .header("content-type", "application/json")
            .body(garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{garbage:?}");
    }
    let unknown_path = t.get("/v1.0/users").await;
    assert_eq!(unknown_path.status, 400);
    let bad_version = t.get("/v2.0/groups").await;
    assert_eq!(bad_version.status, 400);
    let client_id = t
        .http
        .get(t.url("/v1.0/groups"))
        .bearer_auth(&t.token)
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(client_id.headers()["client-request-id"], "abc-123");
}

#[tokio::test]
async fn latency_is_added() {
    let t = T::new(SimConfig::default().latency(Duration::from_millis(30), Duration::ZERO)).await;
    let started = std::time::Instant::now();
    t.get("/v1.0/groups").await;
    assert!(started.elapsed() >= Duration::from_millis(30));
}
