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

mod certificate {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hangar_sim::{FederatedCredential, Sim, SimCloud, SimConfig};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use serde_json::{Value, json};
    use sha1::Digest;

    use super::token_request;
    use crate::support::CLIENT_ID;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn x5t(cert_pem: &str) -> String {
        URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(pem::parse(cert_pem).unwrap().contents()))
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn sign(key_pem: &str, header: Value, claims: Value) -> String {
        let key = rsa::PrivateKey::from_pkcs8_der(pem::parse(key_pem).unwrap().contents()).unwrap();
        let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(key);
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = signer.sign(input.as_bytes()).to_vec();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn assertion(sim: &Sim, key: &str, cert: &str, aud_host: &str, exp_in: i64) -> String {
        sign(
            key,
            json!({"alg": "RS256", "typ": "JWT", "x5t": x5t(cert)}),
            json!({
                "aud": format!("https://{aud_host}/{}/oauth2/v2.0/token", sim.tenant_id()),
                "iss": CLIENT_ID, "sub": CLIENT_ID, "jti": "1", "nbf": now() - 10, "exp": now() + exp_in
            }),
        )
    }

    async fn exchange(sim: &Sim, assertion: &str, scope: &str) -> (u16, Value) {
        token_request(
            sim,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion),
                ("scope", scope),
            ],
        )
        .await
    }

    #[tokio::test]
    async fn rs256_assertion_against_a_registered_certificate() {
        let (cert, key) = (fixture("sim-test-cert.pem"), fixture("sim-test-key.pem"));
        let sim = Sim::start(
            SimConfig::default()
                .cloud(SimCloud::GccHigh)
                .register_client_certificate(CLIENT_ID, &cert),
        )
        .await
        .unwrap();
        let scope = "https://graph.microsoft.us/.default";
        let good = assertion(&sim, &key, &cert, "login.microsoftonline.us", 300);
        let (status, body) = exchange(&sim, &good, scope).await;
        assert_eq!(status, 200, "{body}");

        let commercial_aud = assertion(&sim, &key, &cert, "login.microsoftonline.com", 300);
        assert_eq!(exchange(&sim, &commercial_aud, scope).await.0, 401);
        let expired = assertion(&sim, &key, &cert, "login.microsoftonline.us", -600);
        assert_eq!(exchange(&sim, &expired, scope).await.1["error_codes"][0], 700_024);
        let (other_cert, other_key) = (fixture("sim-other-cert.pem"), fixture("sim-other-key.pem"));
        let unknown_key = assertion(&sim, &other_key, &other_cert, "login.microsoftonline.us", 300);
        assert_eq!(
            exchange(&sim, &unknown_key, scope).await.1["error_codes"][0],
            700_027
        );
        let forged = assertion(&sim, &other_key, &cert, "login.microsoftonline.us", 300);
        let (status, body) = exchange(&sim, &forged, scope).await;
        assert_eq!(
            (status, body["error_codes"][0].as_i64()),
            (401, Some(700_027)),
            "wrong key behind a known x5t"
        );
        let tampered = format!("{}x", &good[..good.len() - 1]);
        assert_eq!(exchange(&sim, &tampered, scope).await.0, 401);
        assert_eq!(exchange(&sim, "not.a.jwt", scope).await.0, 401);
    }

    #[tokio::test]
    async fn federated_assertion_from_a_registered_issuer() {
        let (cert, key) = (fixture("sim-other-cert.pem"), fixture("sim-other-key.pem"));
        let credential = FederatedCredential {
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: "repo:org/repo:environment:prod".into(),
            certificate: Some(cert.clone()),
            ..FederatedCredential::default()
        };
        let sim = Sim::start(SimConfig::default().register_federated_credential(CLIENT_ID, credential))
            .await
            .unwrap();
        let token = |subject: &str, aud: &str| {
            sign(
                &key,
                json!({"alg": "RS256", "typ": "JWT"}),
                json!({
                    "iss": "https://token.actions.githubusercontent.com", "sub": subject, "aud": aud,
                    "nbf": now() - 5, "exp": now() + 300
                }),
            )
        };
        let scope = "https://graph.microsoft.com/.default";
        let (status, body) = exchange(
            &sim,
            &token("repo:org/repo:environment:prod", "api://AzureADTokenExchange"),
            scope,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = exchange(
            &sim,
            &token("repo:org/repo:ref:refs/heads/main", "api://AzureADTokenExchange"),
            scope,
        )
        .await;
        assert_eq!((status, body["error_codes"][0].as_i64()), (400, Some(70_021)));
        assert_eq!(
            exchange(
                &sim,
                &token(
                    "repo:org/repo:environment:prod",
                    "api://AzureADTokenExchangeUSGov"
                ),
                scope
            )
            .await
            .0,
            400
        );
    }
}
