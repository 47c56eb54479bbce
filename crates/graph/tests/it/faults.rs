//! Faults against a bare loopback server: a dropped create is an unknown outcome, a dropped
//! read is retried, `Retry-After` is honoured, errors keep their evidence.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ClientOptions, Credential, Error, GraphClient, Secret};
use hangar_model::Cloud;
use serde_json::json;

use crate::raw_server::{RawServer, Reply};

fn client(url: &str) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(url);
    options.retry = RetryPolicy::fast();
    options.rate_limit = RateLimitConfig::disabled();
    GraphClient::new(options, Credential::AccessToken(Secret::new("token"))).unwrap()
}

#[tokio::test]
async fn a_dropped_create_is_an_unknown_outcome_and_is_not_repeated() {
    let server = RawServer::start(|_| Reply::Drop).await;
    let client = client(&server.url);
    let body =
        json!({"displayName": "g", "mailEnabled": false, "mailNickname": "g", "securityEnabled": true});
    let err = client
        .groups()
        .create(body.as_object().unwrap())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.to_string().contains("look the object up"), "{err}");
    assert_eq!(server.seen().len(), 1, "a create is never repeated blindly");
}

#[tokio::test]
async fn a_dropped_read_is_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::Drop
        } else {
            Reply::Json(200, r#"{"value":[{"id":"g1","displayName":"a"}]}"#.into())
        }
    })
    .await;
    let groups = client(&server.url).groups().list().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_and_client_request_ids_are_sent() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Full(
                429,
                vec![("Retry-After".into(), "0.35".into())],
                r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#.into(),
            )
        } else {
            Reply::Json(200, r#"{"value":[]}"#.into())
        }
    })
    .await;
    client(&server.url).profiles().list().await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].at.duration_since(seen[0].at) >= Duration::from_millis(350),
        "retried before Retry-After"
    );
    let ids: Vec<&str> = seen
        .iter()
        .map(|s| s.header("client-request-id").unwrap())
        .collect();
    assert_ne!(ids[0], ids[1], "each attempt has its own client-request-id");
}

#[tokio::test]
async fn intune_errors_are_unpacked_with_their_evidence() {
    let inner = r#"{"_version":3,"Message":"Another Profile p2 is already assigned to All Devices - Operation ID (for customer support): 0 - Activity ID: x","CustomApiErrorPhrase":"","RetryAfter":null}"#;
    let body =
        json!({"error": {"code": "BadRequest", "message": inner, "innerError": {"request-id": "rid-7"}}})
            .to_string();
    let server = RawServer::start(move |_| Reply::Json(400, body.clone())).await;
    let err = client(&server.url)
        .profiles()
        .add_assignment("p1", hangar_graph::resources::all_devices_target())
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.code, "BadRequest");
    assert!(
        api.message
            .starts_with("Another Profile p2 is already assigned to All Devices")
    );
    assert_eq!(api.request_id, "rid-7");
    assert!(!api.client_request_id.is_empty());
    assert_eq!(
        server.seen()[0].header("client-request-id"),
        Some(api.client_request_id.as_str())
    );
    assert!(
        api.url
            .ends_with("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/p1/assignments")
    );
    assert_eq!(server.seen().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn a_repeated_next_link_aborts_the_read() {
    let server = RawServer::start(|seen| {
        let link = format!(
            "http://{}/beta/deviceManagement/windowsAutopilotDeviceIdentities?$skiptoken=same",
            seen.header("host").unwrap()
        );
        Reply::Json(
            200,
            json!({"value": [{"id": "d1", "serialNumber": "S1"}], "@odata.nextLink": link}).to_string(),
        )
    })
    .await;
    let err = client(&server.url).autopilot_devices().list().await.unwrap_err();
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    assert!(err.to_string().contains("repeated"), "{err}");
}

#[tokio::test]
async fn a_failed_page_is_an_error_never_a_short_list() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |seen| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            let link = format!("http://{}/v1.0/groups?$skiptoken=2", seen.header("host").unwrap());
            Reply::Json(
                200,
                json!({"value": [{"id": "g1"}], "@odata.nextLink": link}).to_string(),
            )
        } else {
            Reply::Json(
                403,
                r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}"#
                    .into(),
            )
        }
    })
    .await;
    let err = client(&server.url).groups().list().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn a_gateway_timeout_on_a_create_is_an_unknown_outcome_but_a_read_is_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |seen| {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        if seen.method == "POST" || first {
            Reply::Json(
                504,
                r#"{"error":{"code":"GatewayTimeout","message":"upstream timed out"}}"#.into(),
            )
        } else {
            Reply::Json(200, r#"{"value":[]}"#.into())
        }
    })
    .await;
    let client = client(&server.url);
    client.groups().list().await.unwrap();
    assert_eq!(server.seen().len(), 2, "the read was retried once");
    let body = json!({"displayName": "g"});
    let err = client
        .groups()
        .create(body.as_object().unwrap())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(server.seen().len(), 3, "the create was sent once");
}
