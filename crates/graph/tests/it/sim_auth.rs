//! Sign-in against the simulator: every credential kind, every cloud's scope, refusal, refresh.

use std::time::Duration;

use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{Credential, CredentialError, Error, Secret};
use hangar_model::Cloud;
use hangar_sim::{FederatedCredential, SimConfig};
use serde_json::json;

use crate::raw_server::{RawServer, Reply};
use crate::support::{certificate_pem, client, client_with, mint_jwt, secret_credential, sim_cloud, start};

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/endpoint-config:ref:refs/heads/main";

fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn client_secret_signs_in_to_every_cloud_with_its_scope() {
    for cloud in Cloud::ALL {
        let sim = start(
            SimConfig::default()
                .cloud(sim_cloud(cloud))
                .register_client_secret("app-1", "s3cret"),
        )
        .await;
        let credential = Credential::ClientSecret {
            tenant_id: sim.tenant_id(),
            client_id: "app-1".into(),
            secret: "s3cret".into(),
        };
        let client = client_with(&sim, cloud, credential, RateLimitConfig::disabled());
        client
            .groups()
            .list()
            .await
            .unwrap_or_else(|e| panic!("{cloud}: {e}"));
        let log = sim.request_log();
        assert!(
            log[0].path.ends_with("/oauth2/v2.0/token") && log[0].status == 200,
            "{cloud}: {:?}",
            log[0]
        );
        assert_eq!(log[1].client_id.as_deref(), Some("app-1"));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_token_for_the_wrong_cloud_is_refused_with_cloud_and_scope() {
    // The tenant lives in GCC High; the client believes it is commercial.
    let sim = start(SimConfig::default().cloud(sim_cloud(Cloud::GccHigh))).await;
    let client = client(&sim, Cloud::Commercial);
    let err = client.groups().list().await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Credential(CredentialError::Refused { .. })),
        "{err:?}"
    );
    assert!(
        text.contains("`commercial`") && text.contains("https://graph.microsoft.com/.default"),
        "{text}"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let sim = start(SimConfig::default().register_client_secret("app-1", "right")).await;
    let credential = Credential::ClientSecret {
        tenant_id: sim.tenant_id(),
        client_id: "app-1".into(),
        secret: "wrong".into(),
    };
    let err = client_with(&sim, Cloud::Commercial, credential, RateLimitConfig::disabled())
        .groups()
        .list()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Credential(CredentialError::Refused { .. })),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("wrong"),
        "the secret is not echoed: {err}"
    );
}

#[tokio::test]
async fn certificate_pem_and_pfx_sign_in_in_every_cloud() {
    for (cloud, file) in [
        (Cloud::Commercial, "test-combined.pem"),
        (Cloud::GccHigh, "test-aes.pfx"),
        (Cloud::Dod, "test-legacy.pfx"),
    ] {
        let sim = start(
            SimConfig::default()
                .cloud(sim_cloud(cloud))
                .register_client_certificate("app-1", &certificate_pem()),
        )
        .await;
        let credential = Credential::from_lookup(env(vec![
            ("AZURE_TENANT_ID", sim.tenant_id()),
            ("AZURE_CLIENT_ID", "app-1".into()),
            (
                "AZURE_CLIENT_CERTIFICATE_PATH",
                format!("{}/{file}", crate::support::FIXTURES),
            ),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "hangar-test".into()),
        ]))
        .unwrap();
        client_with(&sim, cloud, credential, RateLimitConfig::disabled())
            .groups()
            .list()
            .await
            .unwrap_or_else(|e| panic!("{cloud} {file}: {e}"));
        sim.shutdown().await;
    }
}

fn federated(cloud: Cloud) -> FederatedCredential {
    let _ = cloud;
    FederatedCredential {
        issuer: GITHUB.into(),
        subject: SUBJECT.into(),
        audience: None,
        certificate: Some(certificate_pem()),
        certificate_file: None,
    }
}

#[tokio::test]
async fn github_actions_oidc_signs_in_with_the_clouds_audience() {
    for cloud in [Cloud::Commercial, Cloud::GccHigh] {
        let sim = start(
            SimConfig::default()
                .cloud(sim_cloud(cloud))
                .register_federated_credential("app-1", federated(cloud)),
        )
        .await;
        // GitHub's token service: mints a JWT for whatever audience is asked.
        let github = RawServer::start(|seen| {
            let query = seen.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let audience = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "audience")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let jwt = mint_jwt(json!({"iss": GITHUB, "sub": SUBJECT, "aud": audience}));
            Reply::Json(200, json!({"value": jwt}).to_string())
        })
        .await;
        let credential = Credential::from_lookup(env(vec![
            ("AZURE_TENANT_ID", sim.tenant_id()),
            ("AZURE_CLIENT_ID", "app-1".into()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                format!("{}/token?api-version=2.0", github.url),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner".into()),
        ]))
        .unwrap();
        client_with(&sim, cloud, credential, RateLimitConfig::disabled())
            .groups()
            .list()
            .await
            .unwrap_or_else(|e| panic!("{cloud}: {e}"));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_federated_token_file_signs_in() {
    let sim = start(
        SimConfig::default()
            .cloud(sim_cloud(Cloud::Dod))
            .register_federated_credential("app-1", federated(Cloud::Dod)),
    )
    .await;
    let path = std::env::temp_dir().join(format!("hangar-graph-sim-fed-{}", std::process::id()));
    std::fs::write(
        &path,
        mint_jwt(json!({"iss": GITHUB, "sub": SUBJECT, "aud": "api://AzureADTokenExchangeUSGov"})),
    )
    .unwrap();
    let credential = Credential::FederatedTokenFile {
        tenant_id: sim.tenant_id(),
        client_id: "app-1".into(),
        path: path.clone(),
    };
    let result = client_with(&sim, Cloud::Dod, credential, RateLimitConfig::disabled())
        .groups()
        .list()
        .await;
    let _ = std::fs::remove_file(path);
    result.unwrap();
}

#[tokio::test]
async fn a_pre_acquired_token_is_used_as_is() {
    let sim = start(SimConfig::default()).await;
    let token = sim.issue_token("delegated-app");
    let client = client_with(
        &sim,
        Cloud::Commercial,
        Credential::AccessToken(Secret::new(token)),
        RateLimitConfig::disabled(),
    );
    client.groups().list().await.unwrap();
    let log = sim.request_log();
    assert_eq!(log.len(), 1, "no sign-in request");
    assert_eq!(log[0].client_id.as_deref(), Some("delegated-app"));
}

#[tokio::test]
async fn tokens_are_cached_and_refreshed_before_expiry() {
    let sim = start(SimConfig::default().token_lifetime(Duration::from_secs(2))).await;
    let client = client_with(
        &sim,
        Cloud::Commercial,
        secret_credential(&sim),
        RateLimitConfig::disabled(),
    );
    for _ in 0..3 {
        client.groups().list().await.unwrap();
    }
    assert_eq!(client.tokens().acquisitions(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.groups().list().await.unwrap();
    assert_eq!(client.tokens().acquisitions(), 2);
    let sign_ins = sim
        .request_log()
        .iter()
        .filter(|r| r.path.contains("/oauth2/"))
        .count();
    assert_eq!(sign_ins, 2);
    assert!(
        sim.request_log().iter().all(|r| r.status != 401),
        "no request went out with an expired token"
    );
}
