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

/// Issue 12 item 7: a single 500 or 502 on a read no longer aborts it; reads are idempotent.
#[tokio::test]
async fn a_500_or_502_on_a_read_is_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |_| match counter.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::Json(
            500,
            r#"{"error":{"code":"InternalServerError","message":"oops"}}"#.into(),
        ),
        1 => Reply::Json(502, "<html>Bad Gateway</html>".into()),
        _ => Reply::Json(200, r#"{"value":[{"id":"g1","displayName":"a"}]}"#.into()),
    })
    .await;
    let groups = client(&server.url).groups().list().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(server.seen().len(), 3);
}

/// Writes keep their rules: a 500 says nothing about whether the write happened, so it is not
/// repeated by the client (`hangar-apply` looks up or reports it).
#[tokio::test]
async fn a_500_on_a_write_is_not_retried() {
    let server = RawServer::start(|_| {
        Reply::Json(
            500,
            r#"{"error":{"code":"InternalServerError","message":"oops"}}"#.into(),
        )
    })
    .await;
    let body = json!({"description": "x"});
    let err = client(&server.url)
        .groups()
        .update("g1", body.as_object().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.seen().len(), 1);
}

/// A `$batch` of reads whose inner answers are 500 is retried for those items.
#[tokio::test]
async fn inner_500s_of_a_read_batch_are_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |_| {
        let status = if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            500
        } else {
            200
        };
        Reply::Json(
            200,
            json!({"responses": [{"id": "1", "status": status, "body": {"id": "g1"}}]}).to_string(),
        )
    })
    .await;
    let client = client(&server.url);
    let request = hangar_graph::resources::groups::get(client.endpoint(), "g1").unwrap();
    let results = hangar_graph::batch::send_all(&client, vec![request])
        .await
        .unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    assert_eq!(server.seen().len(), 2);
}

/// Issue 12 item 7: a host name that does not resolve fails at once, naming the host, instead
/// of being retried for minutes.
#[tokio::test]
async fn an_unresolvable_host_fails_fast_naming_it() {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint("https://hangar-test.invalid");
    options.allow_endpoint_outside_cloud = true;
    options.rate_limit = RateLimitConfig::disabled();
    let client = GraphClient::new(options, Credential::AccessToken(Secret::new("token"))).unwrap();
    let err = client.groups().list().await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cannot reach `hangar-test.invalid`"), "{text}");
    assert!(text.contains("does not resolve"), "{text}");
    assert_eq!(client.stats().attempts.load(Ordering::Relaxed), 1);
    assert_eq!(client.stats().retries.load(Ordering::Relaxed), 0);
}

/// A host that is not this machine and refuses the connection fails at once (`0.0.0.0` is not
/// a loopback address in the URL, and Linux connects it to this machine, where nothing
/// listens on the port); this machine refusing is retried (a local simulator may be starting).
#[tokio::test]
async fn a_refused_connection_fails_fast_unless_it_is_this_machine() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut options =
        ClientOptions::new(Cloud::Commercial).with_endpoint(format!("https://0.0.0.0:{closed}"));
    options.allow_endpoint_outside_cloud = true;
    options.rate_limit = RateLimitConfig::disabled();
    options.retry = RetryPolicy::fast();
    let client = GraphClient::new(options, Credential::AccessToken(Secret::new("token"))).unwrap();
    let err = client.groups().list().await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(client.stats().retries.load(Ordering::Relaxed), 0);

    let local = client_with_retries(&format!("http://127.0.0.1:{closed}"), 3);
    let err = local.groups().list().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(local.stats().retries.load(Ordering::Relaxed), 3);
}

fn client_with_retries(url: &str, retries: u32) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(url);
    options.retry = RetryPolicy {
        max_retries: retries,
        ..RetryPolicy::fast()
    };
    options.rate_limit = RateLimitConfig::disabled();
    GraphClient::new(options, Credential::AccessToken(Secret::new("token"))).unwrap()
}

/// A long wait is handed to the caller (the CLI prints it); short ones are not.
#[tokio::test]
async fn long_waits_are_announced_to_the_caller() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let server = RawServer::start(move |_| match counter.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::Full(
            429,
            vec![("Retry-After".into(), "0.3".into())],
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#.into(),
        ),
        1 => Reply::Full(
            503,
            vec![("Retry-After".into(), "0.01".into())],
            r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#.into(),
        ),
        _ => Reply::Json(200, r#"{"value":[]}"#.into()),
    })
    .await;
    let heard: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = heard.clone();
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(server.url.clone());
    options.retry = RetryPolicy::fast();
    options.rate_limit = RateLimitConfig::disabled();
    options.on_long_wait = Some(hangar_graph::http::LongWaitHook(Arc::new(move |wait| {
        log.lock().unwrap().push(wait.to_string());
    })));
    let client = GraphClient::new(options, Credential::AccessToken(Secret::new("token"))).unwrap();
    client.groups().list().await.unwrap();
    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(
        heard[0].starts_with("waiting 1 s before retrying GET "),
        "{heard:?}"
    );
    assert!(heard[0].contains("throttled (HTTP 429), as the server asked with Retry-After"));
}

/// Least privilege: a refusal names the permission the request needs and who needs it, for
/// the directory's error shape and for Intune's (scopes nested in the message).
#[tokio::test]
async fn a_403_names_the_permission_and_the_commands_that_need_it() {
    let intune = r#"{"_version":3,"Message":"Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementServiceConfig.ReadWrite.All - Operation ID (for customer support): 0 - Activity ID: x","CustomApiErrorPhrase":"","RetryAfter":null}"#;
    let intune_body = json!({"error": {"code": "Forbidden", "message": intune}}).to_string();
    let server = RawServer::start(move |seen| {
        if seen.target.contains("/groups") {
            Reply::Json(
                403,
                r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#.into(),
            )
        } else {
            Reply::Json(403, intune_body.clone())
        }
    })
    .await;
    let client = client(&server.url);
    let read = client.groups().list().await.unwrap_err().to_string();
    assert!(read.contains("`Group.Read.All`"), "{read}");
    assert!(
        read.contains("needed by `hangar plan`, `drift`, `apply`"),
        "{read}"
    );
    let write = client
        .enrollment_configurations()
        .set_priority("e1", 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        write.contains("`DeviceManagementServiceConfig.ReadWrite.All`"),
        "{write}"
    );
    assert!(write.contains("needed by `hangar apply`"), "{write}");
    assert!(write.contains("Application is not authorized"), "{write}");
    assert_eq!(server.seen().len(), 2, "a 403 is not retried");
}

/// Page `page` of `count` devices, `@odata.nextLink` (to page `next`) before `value`, as the
/// simulator and Graph may write it; `tail` closes the body.
fn device_page(host: &str, page: usize, next: Option<usize>, count: usize, tail: &str) -> String {
    let mut body = String::from("{");
    if let Some(next) = next {
        body.push_str(&format!(
            r#""@odata.nextLink":"http://{host}/beta/deviceManagement/windowsAutopilotDeviceIdentities?$skiptoken={next}","#
        ));
    }
    body.push_str(r#""value":["#);
    for i in 0..count {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"id":"p{page:03}-{i:05}","serialNumber":"S{i:05}","groupTag":"a fairly long group tag to make the page large"}}"#
        ));
    }
    body.push_str(tail);
    body
}

#[tokio::test]
async fn a_page_that_does_not_decode_fails_the_read_even_after_its_link_was_followed() {
    // Page 1 is large (decoded on another thread) and its link comes first, so page 2 is asked
    // for before page 1 is decoded; page 1 then turns out to be broken.
    let server = RawServer::start(|seen| {
        let host = seen.header("host").unwrap().to_owned();
        if seen.target.contains("skiptoken=2") {
            Reply::Json(200, device_page(&host, 2, None, 10, "]}"))
        } else {
            Reply::Json(200, device_page(&host, 1, Some(2), 2_000, "], oops"))
        }
    })
    .await;
    let err = client(&server.url).autopilot_devices().list().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(
        server.seen().len(),
        2,
        "page 2 was asked for before page 1 was decoded"
    );
}

#[tokio::test]
async fn pages_arrive_in_order_while_the_next_is_already_on_its_way() {
    let server = RawServer::start(|seen| {
        let host = seen.header("host").unwrap().to_owned();
        let page: usize = seen
            .target
            .split("skiptoken=")
            .nth(1)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let next = (page < 5).then_some(page + 1);
        Reply::Json(200, device_page(&host, page, next, 1_000, "]}"))
    })
    .await;
    let devices = client(&server.url).autopilot_devices().list().await.unwrap();
    assert_eq!(devices.len(), 6 * 1_000);
    assert_eq!(server.seen().len(), 6);
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "every page's devices, in page order");
}

#[tokio::test]
async fn a_link_written_with_escapes_is_still_followed() {
    // The scan ahead looks for the key as bytes; an escaped key is left to the full decode.
    let server = RawServer::start(|seen| {
        let host = seen.header("host").unwrap();
        if seen.target.contains("skiptoken=2") {
            Reply::Json(200, r#"{"value":[{"id":"d2","serialNumber":"S2"}]}"#.into())
        } else {
            Reply::Json(
                200,
                format!(
                    r#"{{"value":[{{"id":"d1","serialNumber":"S1"}}],"\u0040odata.nextLink":"http:\/\/{host}\/beta\/deviceManagement\/windowsAutopilotDeviceIdentities?$skiptoken=2"}}"#
                ),
            )
        }
    })
    .await;
    let devices = client(&server.url).autopilot_devices().list().await.unwrap();
    assert_eq!(devices.len(), 2);
}
