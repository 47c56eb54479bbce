//! Acquiring, caching and refreshing access tokens.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hangar_model::Cloud;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use super::{Credential, CredentialError};
use crate::endpoint::{Endpoint, display_url};
use crate::{Error, Secret};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A token and when to refresh it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// When to acquire a new one (`None`: never, for pre-acquired tokens).
    pub refresh_at: Option<Instant>,
}

/// Hands out tokens for one credential and endpoint, acquiring a new one before the cached one
/// expires (five minutes before, or half-way through a shorter lifetime). Concurrent callers
/// wait for one acquisition instead of each signing in.
#[derive(Debug)]
pub struct TokenProvider {
    credential: Credential,
    endpoint: Endpoint,
    http: reqwest::Client,
    cache: Mutex<Option<AccessToken>>,
    acquisitions: AtomicU32,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct TokenErrorResponse {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

#[derive(Deserialize)]
struct OidcResponse {
    value: String,
}

impl TokenProvider {
    /// A provider for `credential` against `endpoint`, sending with `http`.
    pub fn new(credential: Credential, endpoint: Endpoint, http: reqwest::Client) -> TokenProvider {
        TokenProvider {
            credential,
            endpoint,
            http,
            cache: Mutex::new(None),
            acquisitions: AtomicU32::new(0),
        }
    }

    /// The credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// How many tokens were acquired so far.
    pub fn acquisitions(&self) -> u32 {
        self.acquisitions.load(Ordering::Relaxed)
    }

    /// A valid token, from the cache when it is not due for refresh.
    pub async fn token(&self) -> Result<Secret, Error> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            if cached.refresh_at.is_none_or(|at| Instant::now() < at) {
                return Ok(cached.token.clone());
            }
            tracing::debug!(
                credential = self.credential.kind(),
                "access token due for refresh"
            );
        }
        let fresh = self.acquire().await?;
        self.acquisitions.fetch_add(1, Ordering::Relaxed);
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    /// Drops `stale` from the cache (after Graph refused it), unless a newer one replaced it.
    /// Returns whether a new token can be acquired (false for a pre-acquired token).
    pub async fn invalidate(&self, stale: &Secret) -> bool {
        if matches!(self.credential, Credential::AccessToken(_)) {
            return false;
        }
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| &c.token == stale) {
            *cache = None;
        }
        true
    }

    async fn acquire(&self) -> Result<AccessToken, Error> {
        let cloud = self.endpoint.cloud();
        let (tenant_id, client_id, secret_field, secret_value) = match &self.credential {
            Credential::AccessToken(token) => {
                check_token_audience(token, cloud)?;
                return Ok(AccessToken {
                    token: token.clone(),
                    refresh_at: None,
                });
            }
            Credential::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => (tenant_id, client_id, "client_secret", secret.clone()),
            Credential::ClientCertificate {
                tenant_id,
                client_id,
                certificate,
            } => {
                let aud = self.endpoint.assertion_audience(tenant_id);
                (
                    tenant_id,
                    client_id,
                    "client_assertion",
                    certificate.assertion(client_id, &aud)?,
                )
            }
            Credential::FederatedTokenFile {
                tenant_id,
                client_id,
                path,
            } => {
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| CredentialError::File {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                (tenant_id, client_id, "client_assertion", Secret::new(text.trim()))
            }
            Credential::GitHubActions {
                tenant_id,
                client_id,
                request_url,
                request_token,
            } => {
                let assertion = self.github_oidc_token(request_url, request_token).await?;
                (tenant_id, client_id, "client_assertion", assertion)
            }
        };
        let url = self.endpoint.token_url(tenant_id)?;
        self.endpoint.check("POST", &url)?;
        let scope = self.endpoint.scope();
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", client_id),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ];
        if secret_field == "client_assertion" {
            form.push(("client_assertion_type", ASSERTION_TYPE));
        }
        form.push((secret_field, secret_value.expose()));
        let started = Instant::now();
        // Sign-in is safe to repeat: throttling (429), server errors and dropped connections
        // are retried a few times, honouring `Retry-After`.
        const ATTEMPTS: u32 = 6;
        let mut attempt = 0u32;
        let response = loop {
            attempt += 1;
            let result = self
                .http
                .post(url.clone())
                .header("client-request-id", uuid::Uuid::new_v4().to_string())
                .form(&form)
                .send()
                .await;
            let wait = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if !(status == 429 || status >= 500) || attempt >= ATTEMPTS {
                        break response;
                    }
                    response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(crate::retry::parse_retry_after)
                }
                Err(e) if attempt >= ATTEMPTS || unreachable_reason(&url, &e).is_some() => {
                    let reason = unreachable_reason(&url, &e)
                        .map(|why| format!("cannot reach `{}`: {why}", crate::endpoint::host_and_port(&url)))
                        .unwrap_or_else(|| transport_reason(&e));
                    return Err(CredentialError::Transport {
                        url: display_url(&url),
                        reason,
                    }
                    .into());
                }
                Err(_) => None,
            };
            let wait = wait.unwrap_or(Duration::from_millis(100 * u64::from(attempt)));
            tracing::info!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "sign-in failed transiently, retrying"
            );
            tokio::time::sleep(wait).await;
        };
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| CredentialError::Transport {
            url: display_url(&url),
            reason: transport_reason(&e),
        })?;
        if !(200..300).contains(&status) {
            let parsed: TokenErrorResponse = serde_json::from_slice(&body).unwrap_or_default();
            return Err(CredentialError::Refused {
                cloud,
                scope: scope.to_owned(),
                host: url.host_str().unwrap_or_default().to_owned(),
                status,
                code: parsed.error,
                description: parsed
                    .error_description
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            }
            .into());
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| CredentialError::Transport {
                url: display_url(&url),
                reason: format!("the token response is not the expected JSON: {e}"),
            })?;
        let lifetime = parsed
            .expires_in
            .as_ref()
            .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .map_or(Duration::from_secs(3600), Duration::from_secs);
        let margin = Duration::from_secs(300).min(lifetime / 2);
        tracing::debug!(
            credential = self.credential.kind(),
            cloud = %cloud,
            expires_in_s = lifetime.as_secs(),
            ms = started.elapsed().as_millis() as u64,
            "acquired access token"
        );
        Ok(AccessToken {
            token: Secret::new(parsed.access_token),
            refresh_at: Some(Instant::now() + lifetime - margin),
        })
    }

    /// Asks GitHub Actions for an OIDC token with the cloud's federated audience. The request
    /// URL comes from the runner's environment, not from the cloud table: it is checked to be
    /// `https` (or loopback `http`, for tests) and goes nowhere else.
    async fn github_oidc_token(&self, request_url: &str, request_token: &Secret) -> Result<Secret, Error> {
        let mut url = Url::parse(request_url).map_err(|e| CredentialError::Transport {
            url: "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
            reason: e.to_string(),
        })?;
        let loopback = crate::endpoint::is_loopback(&url);
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(CredentialError::Transport {
                url: display_url(&url),
                reason: "`ACTIONS_ID_TOKEN_REQUEST_URL` must be https".into(),
            }
            .into());
        }
        url.query_pairs_mut()
            .append_pair("audience", self.endpoint.cloud().federated_audience());
        let transport = |e: reqwest::Error| CredentialError::Transport {
            url: display_url(&url),
            reason: transport_reason(&e),
        };
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(request_token.expose())
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        if status != 200 {
            return Err(CredentialError::Transport {
                url: display_url(&url),
                reason: format!(
                    "GitHub answered {status}; does the job have `permissions: id-token: write`?"
                ),
            }
            .into());
        }
        let parsed: OidcResponse = serde_json::from_slice(&body).map_err(|e| CredentialError::Transport {
            url: display_url(&url),
            reason: format!("unexpected OIDC response: {e}"),
        })?;
        Ok(Secret::new(parsed.value))
    }
}

/// reqwest errors, without their URL (which may carry a query) and without panicking.
pub(crate) fn transport_reason(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut reason = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "connection failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// Why a failed connection to `url` will not succeed by trying again, or `None` when it may:
/// the host name does not resolve (a typo, a cloud's host unknown to this network's DNS), or a
/// host that is not this machine refused the connection (nothing listens there). A refusal
/// from this machine is retried: a local simulator may still be starting.
pub(crate) fn unreachable_reason(url: &Url, error: &reqwest::Error) -> Option<String> {
    use std::error::Error as _;
    let mut source = error.source();
    while let Some(cause) = source {
        // hyper-util's connector wraps resolver failures as `dns error: …`.
        let text = cause.to_string();
        if text.starts_with("dns error") {
            return Some(format!("its name does not resolve ({text})"));
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
            && !crate::endpoint::is_loopback(url)
        {
            return Some(format!("it refused the connection ({io})"));
        }
        source = cause.source();
    }
    None
}

/// Refuses a pre-acquired JWT whose `aud` is another cloud's Graph. Opaque tokens pass.
fn check_token_audience(token: &Secret, cloud: Cloud) -> Result<(), CredentialError> {
    let Some(payload) = token.expose().split('.').nth(1) else {
        return Ok(());
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return Ok(());
    };
    let Ok(claims) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Ok(());
    };
    let Some(aud) = claims.get("aud").and_then(|a| a.as_str()) else {
        return Ok(());
    };
    let host = Url::parse(aud).ok().and_then(|u| u.host_str().map(str::to_owned));
    let Some(host) = host else { return Ok(()) };
    let is_a_graph_host = Cloud::ALL
        .iter()
        .any(|c| c.graph_host().eq_ignore_ascii_case(&host));
    if is_a_graph_host && !host.eq_ignore_ascii_case(cloud.graph_host()) {
        return Err(CredentialError::WrongCloud {
            cloud,
            scope: cloud.scope().to_owned(),
            audience: aud.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> Secret {
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        Secret::new(format!(
            "{}.{}.sig",
            part(serde_json::json!({"alg": "none"})),
            part(claims)
        ))
    }

    #[test]
    fn pre_acquired_token_for_another_cloud_is_refused() {
        let commercial = jwt(serde_json::json!({"aud": "https://graph.microsoft.com"}));
        let err = check_token_audience(&commercial, Cloud::GccHigh).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("gcc-high") && text.contains("https://graph.microsoft.us/.default"),
            "{text}"
        );
        assert!(check_token_audience(&commercial, Cloud::Gcc).is_ok());
        let dod = jwt(serde_json::json!({"aud": "https://dod-graph.microsoft.us/"}));
        assert!(check_token_audience(&dod, Cloud::Dod).is_ok());
        assert!(check_token_audience(&dod, Cloud::GccHigh).is_err());
        // App-id audiences and opaque tokens cannot be judged: they pass.
        let by_app_id = jwt(serde_json::json!({"aud": "00000003-0000-0000-c000-000000000000"}));
        assert!(check_token_audience(&by_app_id, Cloud::Dod).is_ok());
        assert!(check_token_audience(&Secret::new("opaque"), Cloud::Dod).is_ok());
    }
}
