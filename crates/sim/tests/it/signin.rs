//! Sign-in over HTTP and bearer checks.

use hangar_sim::{Sim, SimCloud, SimConfig};
use serde_json::Value;

use crate::support::*;

async fn token_request(sim: &Sim, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(sim.token_url())
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn client_secret_sign_in_then_graph_call() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (status, body) = token_request(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "anything"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 3000);
    let token = body["access_token"].as_str().unwrap();
    let groups = reqwest::Client::new()
        .get(format!("{}/v1.0/groups", sim.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.status(), 200);
}

#[tokio::test]
async fn scope_must_be_the_clouds_graph_default() {
    let sim = Sim::start(SimConfig::default().cloud(SimCloud::GccHigh))
        .await
        .unwrap();
    let form = |scope| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "s"),
            ("scope", scope),
        ]
    };
    let (status, body) = token_request(&sim, &form("https://graph.microsoft.com/.default")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_codes"][0], 500_011, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS500011: ")
    );
    assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
    let (status, body) = token_request(&sim, &form("Group.Read.All")).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    let (status, _) = token_request(&sim, &form("https://graph.microsoft.us/.default")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn graph_without_a_valid_token_is_401() {
    let t = T::default().await;
    let http = reqwest::Client::new();
    let none = http.get(t.url("/v1.0/groups")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    let forged = http
        .get(t.url("/v1.0/groups"))
        .bearer_auth("a.b.c")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn tokens_expire_on_the_simulated_clock() {
    let t = T::new(SimConfig::default().token_lifetime(std::time::Duration::from_secs(60))).await;
    assert_eq!(t.get("/v1.0/groups").await.status, 200);
    t.sim.advance_clock(std::time::Duration::from_secs(61));
    let expired = t.get("/v1.0/groups").await;
    assert_eq!(expired.status, 401);
    assert!(
        expired.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn registered_clients_only_after_config() {
    let sim = Sim::start(SimConfig::default().register_client_secret(CLIENT_ID, "right"))
        .await
        .unwrap();
    let scope = "https://graph.microsoft.com/.default";
    let (status, body) = token_request(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!((status, body["error_codes"][0].as_i64()), (401, Some(7_000_215)));
    let (status, body) = token_request(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "other"),
            ("client_secret", "right"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!((status, body["error_codes"][0].as_i64()), (400, Some(700_016)));
    let (status, _) = token_request(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "right"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200);
}
