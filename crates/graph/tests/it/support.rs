//! Shared helpers for the simulator tests.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ClientOptions, Credential, GraphClient};
use hangar_model::Cloud;
use hangar_sim::{Sim, SimCloud, SimConfig};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::Value;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn sim_cloud(cloud: Cloud) -> SimCloud {
    match cloud {
        Cloud::Commercial => SimCloud::Commercial,
        Cloud::Gcc => SimCloud::Gcc,
        Cloud::GccHigh => SimCloud::GccHigh,
        Cloud::Dod => SimCloud::Dod,
    }
}

pub async fn start(config: SimConfig) -> Sim {
    Sim::start(config).await.expect("the simulator starts")
}

/// A client signing in with a client secret against `sim`, with fast retries and no limiter.
pub fn client(sim: &Sim, cloud: Cloud) -> GraphClient {
    client_with(sim, cloud, secret_credential(sim), RateLimitConfig::disabled())
}

pub fn secret_credential(sim: &Sim) -> Credential {
    Credential::ClientSecret {
        tenant_id: sim.tenant_id(),
        client_id: "hangar-tests".into(),
        secret: "any-secret".into(),
    }
}

pub fn client_with(
    sim: &Sim,
    cloud: Cloud,
    credential: Credential,
    rate_limit: RateLimitConfig,
) -> GraphClient {
    let mut options = ClientOptions::new(cloud).with_endpoint(sim.url());
    options.retry = RetryPolicy::fast();
    options.rate_limit = rate_limit;
    GraphClient::new(options, credential).expect("client")
}

pub fn certificate_pem() -> String {
    std::fs::read_to_string(format!("{FIXTURES}/test-cert.pem")).unwrap()
}

/// An RS256 JWT over `claims` signed with the test key, `x5t` of the test certificate: what
/// GitHub's OIDC provider (or a workload identity issuer) would hand out.
pub fn mint_jwt(mut claims: Value) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    for (key, value) in [("iat", now), ("nbf", now), ("exp", now + 600)] {
        claims.as_object_mut().unwrap().entry(key).or_insert(value.into());
    }
    let x5t = std::fs::read_to_string(format!("{FIXTURES}/test-cert.x5t")).unwrap();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": x5t.trim()});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key_pem = std::fs::read_to_string(format!("{FIXTURES}/test-key.pem")).unwrap();
    let block = pem::parse(key_pem).unwrap();
    let key = rsa::PrivateKey::from_pkcs8_der(block.contents()).unwrap();
    let signature = SigningKey::<sha2_011::Sha256>::new(key).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}
