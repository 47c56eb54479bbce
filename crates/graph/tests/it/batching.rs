//! `$batch` against a loopback server: inner statuses, inner 429s retried after the largest
//! inner `Retry-After`, `dependsOn` chains.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ApiVersion, ClientOptions, Credential, GraphClient, GraphRequest, Secret, batch};
use hangar_model::Cloud;
use serde_json::{Value, json};

use crate::raw_server::{RawServer, Reply};

fn client(url: &str) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(url);
    options.retry = RetryPolicy::fast();
    options.rate_limit = RateLimitConfig::disabled();
    GraphClient::new(options, Credential::AccessToken(Secret::new("token"))).unwrap()
}

fn ids(body: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(body).unwrap();
    value["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn inner_throttling_is_retried_after_the_largest_retry_after() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |seen| {
        let ids = ids(&seen.body);
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        let responses: Vec<Value> = ids
            .iter()
            .map(|id| match (first, id.as_str()) {
                (true, "2") => json!({"id": id, "status": 429, "headers": {"Retry-After": "0.2"}, "body": {"error": {"code": "TooManyRequests"}}}),
                (true, "3") => json!({"id": id, "status": 429, "headers": {"retry-after": "0.4"}, "body": {"error": {"code": "TooManyRequests"}}}),
                (_, "4") => json!({"id": id, "status": 404, "body": {"error": {"code": "ResourceNotFound", "message": "gone"}}}),
                _ => json!({"id": id, "status": 200, "body": {"value": [{"id": format!("a{id}")}]}}),
            })
            .collect();
        Reply::Json(200, json!({"responses": responses}).to_string())
    })
    .await;
    let client = client(&server.url);
    let requests: Vec<GraphRequest> = (1..=4)
        .map(|i| {
            GraphRequest::get(
                client.endpoint(),
                ApiVersion::Beta,
                format!("/deviceManagement/x/{i}/assignments"),
            )
            .unwrap()
        })
        .collect();
    let results = batch::send_all(&client, requests).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap()["value"][0]["id"], "a1");
    assert_eq!(results[1].as_ref().unwrap()["value"][0]["id"], "a2");
    assert_eq!(results[2].as_ref().unwrap()["value"][0]["id"], "a3");
    let missing = results[3].as_ref().unwrap_err();
    assert_eq!(missing.status(), Some(404), "per-item status is kept");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].target.ends_with("/beta/$batch"));
    assert_eq!(ids(&seen[0].body), ["1", "2", "3", "4"]);
    assert_eq!(
        ids(&seen[1].body),
        ["2", "3"],
        "only the throttled items are sent again"
    );
    assert!(
        seen[1].at.duration_since(seen[0].at) >= Duration::from_millis(400),
        "waited for the largest Retry-After"
    );
}

#[tokio::test]
async fn more_than_twenty_requests_are_split_and_ordered() {
    let server = RawServer::start(|seen| {
        let ids = ids(&seen.body);
        assert!(ids.len() <= 20);
        let body: Value = serde_json::from_str(&seen.body).unwrap();
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"id": r["id"], "status": 200, "body": {"url": r["url"]}}))
            .rev()
            .collect();
        Reply::Json(200, json!({"responses": responses}).to_string())
    })
    .await;
    let client = client(&server.url);
    let requests: Vec<GraphRequest> = (0..45)
        .map(|i| {
            GraphRequest::get(client.endpoint(), ApiVersion::V1, format!("/groups/g{i}/owners")).unwrap()
        })
        .collect();
    let results = batch::send_all(&client, requests).await.unwrap();
    assert_eq!(results.len(), 45);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.as_ref().unwrap()["url"], format!("/groups/g{i}/owners"));
    }
    assert_eq!(server.seen().len(), 3, "45 requests make 3 batches");
}

#[tokio::test]
async fn a_chain_uses_depends_on() {
    let server = RawServer::start(|seen| {
        let body: Value = serde_json::from_str(&seen.body).unwrap();
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"id": r["id"], "status": 204}))
            .collect();
        Reply::Json(200, json!({"responses": responses}).to_string())
    })
    .await;
    let client = client(&server.url);
    let ep = client.endpoint().clone();
    let requests = vec![
        hangar_graph::resources::enrollment_configurations::set_priority(&ep, "e1", 1).unwrap(),
        hangar_graph::resources::enrollment_configurations::set_priority(&ep, "e2", 2).unwrap(),
        hangar_graph::resources::enrollment_configurations::set_priority(&ep, "e3", 3).unwrap(),
    ];
    let results = batch::send_chain(&client, requests).await.unwrap();
    assert!(results.iter().all(Result::is_ok));
    let body: Value = serde_json::from_str(&server.seen()[0].body).unwrap();
    let items = body["requests"].as_array().unwrap();
    assert!(items[0].get("dependsOn").is_none());
    assert_eq!(items[1]["dependsOn"], json!(["1"]));
    assert_eq!(items[2]["dependsOn"], json!(["2"]));
    assert_eq!(items[2]["headers"]["Content-Type"], "application/json");
    assert_eq!(items[2]["body"], json!({"priority": 3}));
}
