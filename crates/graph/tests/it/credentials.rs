//! Each credential kind against a loopback token endpoint: what is sent, to where, with which
//! scope and audience; caching, refresh and refusal. (The simulator tests repeat the sign-ins
//! against its real token endpoint.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ClientOptions, Credential, CredentialError, Error, GraphClient};
use hangar_model::Cloud;
use serde_json::json;

use crate::raw_server::{RawServer, Reply, Seen};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn form(seen: &Seen) -> Vec<(String, String)> {
    url::form_urlencoded::parse(seen.body.as_bytes())
        .into_owned()
        .collect()
}

fn field(seen: &Seen, name: &str) -> Option<String> {
    form(seen).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A token endpoint (tokens `tok-N`, lifetime `expires_in`) and a Graph that answers empty lists.
async fn tenant(expires_in: u64) -> RawServer {
    let issued = Arc::new(AtomicU32::new(0));
    RawServer::start(move |seen| {
        if seen.target.contains("/oauth2/v2.0/token") {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::Json(
                200,
                json!({"token_type": "Bearer", "access_token": format!("tok-{n}"), "expires_in": expires_in})
                    .to_string(),
            )
        } else if seen.target.starts_with("/oidc") {
            Reply::Json(200, json!({"value": "github-oidc-jwt"}).to_string())
        } else {
            Reply::Json(200, r#"{"value":[]}"#.into())
        }
    })
    .await
}

fn client(url: &str, cloud: Cloud, credential: Credential) -> GraphClient {
    let mut options = ClientOptions::new(cloud).with_endpoint(url);
    options.retry = RetryPolicy::fast();
    options.rate_limit = RateLimitConfig::disabled();
    GraphClient::new(options, credential).unwrap()
}

fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn client_secret_signs_in_with_the_clouds_scope() {
    for cloud in Cloud::ALL {
        let server = tenant(3600).await;
        let credential = Credential::from_lookup(env(vec![
            ("AZURE_TENANT_ID", "tenant-1".into()),
            ("AZURE_CLIENT_ID", "client-1".into()),
            ("AZURE_CLIENT_SECRET", "secret-1".into()),
        ]))
        .unwrap();
        let client = client(&server.url, cloud, credential);
        client.groups().list().await.unwrap();
        client.profiles().list().await.unwrap();
        let seen = server.seen();
        let token = &seen[0];
        assert_eq!(token.target, "/tenant-1/oauth2/v2.0/token");
        assert_eq!(field(token, "scope").as_deref(), Some(cloud.scope()));
        assert_eq!(field(token, "grant_type").as_deref(), Some("client_credentials"));
        assert_eq!(field(token, "client_secret").as_deref(), Some("secret-1"));
        assert_eq!(seen.len(), 3, "one sign-in serves both requests");
        assert_eq!(seen[1].header("authorization"), Some("Bearer tok-1"));
        assert!(seen[1].header("client-request-id").is_some());
    }
}

#[tokio::test]
async fn certificate_assertion_has_x5t_and_the_real_clouds_audience() {
    for (cloud, pfx) in [
        (Cloud::GccHigh, "test-aes.pfx"),
        (Cloud::Dod, "test-combined.pem"),
    ] {
        let server = tenant(3600).await;
        let credential = Credential::from_lookup(env(vec![
            ("AZURE_TENANT_ID", "tenant-1".into()),
            ("AZURE_CLIENT_ID", "client-1".into()),
            ("AZURE_CLIENT_CERTIFICATE_PATH", format!("{FIXTURES}/{pfx}")),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "hangar-test".into()),
        ]))
        .unwrap();
        client(&server.url, cloud, credential)
            .groups()
            .list()
            .await
            .unwrap();
        let token = &server.seen()[0];
        assert_eq!(
            field(token, "client_assertion_type").as_deref(),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(field(token, "scope").as_deref(), Some(cloud.scope()));
        let assertion = field(token, "client_assertion").unwrap();
        let parts: Vec<&str> = assertion.split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let x5t = std::fs::read_to_string(format!("{FIXTURES}/test-cert.x5t")).unwrap();
        assert_eq!(header["x5t"], x5t.trim());
        assert_eq!(
            claims["aud"],
            "https://login.microsoftonline.us/tenant-1/oauth2/v2.0/token"
        );
        assert!(field(token, "client_secret").is_none());
    }
}

#[tokio::test]
async fn federated_token_file_is_read_at_each_sign_in() {
    let server = tenant(3600).await;
    let path = std::env::temp_dir().join(format!("hangar-graph-fed-{}", std::process::id()));
    std::fs::write(&path, "federated-jwt-1\n").unwrap();
    let credential = Credential::from_lookup(env(vec![
        ("AZURE_TENANT_ID", "t".into()),
        ("AZURE_CLIENT_ID", "c".into()),
        ("AZURE_FEDERATED_TOKEN_FILE", path.display().to_string()),
    ]))
    .unwrap();
    client(&server.url, Cloud::Commercial, credential)
        .groups()
        .list()
        .await
        .unwrap();
    assert_eq!(
        field(&server.seen()[0], "client_assertion").as_deref(),
        Some("federated-jwt-1")
    );
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn github_actions_oidc_asks_for_the_clouds_audience() {
    for (cloud, audience) in [
        (Cloud::Commercial, "api://AzureADTokenExchange"),
        (Cloud::GccHigh, "api://AzureADTokenExchangeUSGov"),
    ] {
        let server = tenant(3600).await;
        let credential = Credential::from_lookup(env(vec![
            ("AZURE_TENANT_ID", "t".into()),
            ("AZURE_CLIENT_ID", "c".into()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                format!("{}/oidc?api-version=2.0", server.url),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner-token".into()),
        ]))
        .unwrap();
        client(&server.url, cloud, credential)
            .groups()
            .list()
            .await
            .unwrap();
        let seen = server.seen();
        let oidc = &seen[0];
        assert!(
            oidc.target.starts_with("/oidc?api-version=2.0&audience="),
            "{}",
            oidc.target
        );
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(oidc.target.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert!(query.contains(&("audience".into(), audience.into())));
        assert_eq!(oidc.header("authorization"), Some("Bearer runner-token"));
        assert_eq!(
            field(&seen[1], "client_assertion").as_deref(),
            Some("github-oidc-jwt")
        );
    }
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    // A 2 s lifetime is refreshed after 1 s (half-way, for lifetimes under ten minutes).
    let server = tenant(2).await;
    let credential = Credential::ClientSecret {
        tenant_id: "t".into(),
        client_id: "c".into(),
        secret: "s".into(),
    };
    let client = client(&server.url, Cloud::Commercial, credential);
    client.groups().list().await.unwrap();
    client.groups().list().await.unwrap();
    assert_eq!(client.tokens().acquisitions(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.groups().list().await.unwrap();
    assert_eq!(client.tokens().acquisitions(), 2);
    let last = server.seen().into_iter().last().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer tok-2"));
}

#[tokio::test]
async fn a_refused_sign_in_names_cloud_and_scope() {
    let server = RawServer::start(|_| {
        Reply::Json(400, json!({"error": "invalid_client", "error_description": "AADSTS900382: Confidential Client is not supported in Cross Cloud request.\r\nTrace ID: x"}).to_string())
    })
    .await;
    let credential = Credential::ClientSecret {
        tenant_id: "t".into(),
        client_id: "c".into(),
        secret: "s".into(),
    };
    let err = client(&server.url, Cloud::GccHigh, credential)
        .groups()
        .list()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Credential(CredentialError::Refused { .. })),
        "{err:?}"
    );
    assert!(
        text.contains("gcc-high")
            && text.contains("https://graph.microsoft.us/.default")
            && text.contains("AADSTS900382"),
        "{text}"
    );
    assert_eq!(server.seen().len(), 1, "no Graph request without a token");
}

#[tokio::test]
async fn a_token_graph_refuses_is_renewed_once_then_reported_with_cloud_and_scope() {
    let server = RawServer::start(|seen| {
        if seen.target.contains("/oauth2/") {
            Reply::Json(200, json!({"access_token": "tok", "expires_in": 3600}).to_string())
        } else {
            Reply::Json(401, r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure. Invalid audience."}}"#.into())
        }
    })
    .await;
    let credential = Credential::ClientSecret {
        tenant_id: "t".into(),
        client_id: "c".into(),
        secret: "s".into(),
    };
    let client = client(&server.url, Cloud::Dod, credential);
    let err = client.groups().list().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(
        text.contains("`dod`") && text.contains("https://dod-graph.microsoft.us/.default"),
        "{text}"
    );
    assert_eq!(client.tokens().acquisitions(), 2, "one fresh token was tried");
    assert_eq!(server.seen().len(), 4);
}
