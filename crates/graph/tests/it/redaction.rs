//! Secrets and tokens appear in no log line, error or `Debug` output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ClientOptions, Credential, GraphClient};
use hangar_model::Cloud;
use serde_json::json;

use crate::raw_server::{RawServer, Reply};

const SECRET: &str = "client-secret-7f3a9c1e-do-not-leak";
const TOKEN: &str = "eyJ0eXAi.access-token-b81d55-do-not-leak.sig";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_known_secret_and_token_never_show() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = RawServer::start(|seen| {
        if seen.target.contains("/oauth2/") {
            Reply::Json(
                200,
                json!({"access_token": TOKEN, "expires_in": 3600}).to_string(),
            )
        } else if seen.method == "POST" {
            Reply::Drop
        } else if seen.target.contains("deviceManagement") {
            Reply::Full(
                429,
                vec![("Retry-After".into(), "0.01".into())],
                r#"{"error":{"code":"TooManyRequests"}}"#.into(),
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
    let mut options = ClientOptions::new(Cloud::GccHigh).with_endpoint(server.url.clone());
    options.retry = RetryPolicy {
        max_retries: 2,
        ..RetryPolicy::fast()
    };
    options.rate_limit = RateLimitConfig::disabled();
    let credential = Credential::ClientSecret {
        tenant_id: "t".into(),
        client_id: "c".into(),
        secret: SECRET.into(),
    };
    let client = GraphClient::new(options, credential.clone()).unwrap();

    let mut outputs = vec![format!("{credential:?}"), format!("{client:?}")];
    let body = json!({"displayName": "g"});
    let errors = [
        client.groups().list().await.unwrap_err(),
        client.profiles().list().await.unwrap_err(),
        client
            .groups()
            .create(body.as_object().unwrap())
            .await
            .unwrap_err(),
    ];
    for error in &errors {
        outputs.push(error.to_string());
        outputs.push(format!("{error:?}"));
        outputs.push(format!("{error:#?}"));
    }
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("graph request failed") || logs.contains("transient"),
        "logs were captured:\n{logs}"
    );
    outputs.push(logs);
    for text in &outputs {
        for leak in [SECRET, TOKEN, "access-token-b81d55"] {
            assert!(!text.contains(leak), "`{leak}` leaked into:\n{text}");
        }
    }
    // The secret did go where it belongs.
    assert!(server.seen()[0].body.contains("client-secret-7f3a9c1e"));
}
