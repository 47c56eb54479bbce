//! [`GraphClient`]: sends [`GraphRequest`]s with a token, a `client-request-id`, the rate
//! limiter, the retry policy and the cloud-boundary check, and logs each one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hangar_model::Cloud;
use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::credential::{Credential, TokenProvider};
use crate::endpoint::{Endpoint, display_url};
use crate::error::{ApiError, DecodeError, parse_error_body, truncate};
use crate::rate_limit::{RateLimitConfig, RateLimiter};
use crate::request::{GraphRequest, Repeat};
use crate::retry::{
    LongWait, RequestKind, RetryDecision, RetryPolicy, Transient, parse_retry_after, retries_status,
};
use crate::{Error, Secret};

/// How to build a [`GraphClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The tenant's cloud: hosts (unless overridden) and token scope.
    pub cloud: Cloud,
    /// Send sign-in and Graph requests to this base URL instead (a simulator), e.g.
    /// `http://127.0.0.1:8080`. The CLI fills it from `--endpoint` or `HANGAR_ENDPOINT`.
    pub endpoint_override: Option<String>,
    /// Retry limits.
    pub retry: RetryPolicy,
    /// Client-side throttling budgets.
    pub rate_limit: RateLimitConfig,
    /// Time allowed for one attempt, from sending to the last byte of the answer.
    pub timeout: Duration,
    /// Requests in flight at once. Pages of collections, read one after another, have a
    /// small pool of their own beside it (a quarter of this, at least 1), so that a long chain
    /// of pages never queues behind independent requests.
    pub max_concurrency: usize,
    /// Let [`ClientOptions::endpoint_override`] be an `https` host outside the cloud's own
    /// hosts (a proxy): sign-in, and so the credential, goes there. Never set from the
    /// environment: the CLI sets it only from its `--allow-endpoint-outside-cloud` flag.
    pub allow_endpoint_outside_cloud: bool,
    /// Called before a wait long enough to tell a person about ([`LongWait`]); the caller
    /// prints it. `None`: waits are only logged (tracing, info level).
    pub on_long_wait: Option<LongWaitHook>,
}

/// Receives [`LongWait`]s (see [`ClientOptions::on_long_wait`]).
#[derive(Clone)]
pub struct LongWaitHook(pub Arc<dyn Fn(&LongWait) + Send + Sync>);

impl std::fmt::Debug for LongWaitHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LongWaitHook")
    }
}

impl ClientOptions {
    /// Defaults for `cloud`: documented budgets, 100 s per attempt, 16 requests in flight.
    pub fn new(cloud: Cloud) -> ClientOptions {
        ClientOptions {
            cloud,
            endpoint_override: None,
            retry: RetryPolicy::default(),
            rate_limit: RateLimitConfig::default(),
            timeout: Duration::from_secs(100),
            max_concurrency: 16,
            allow_endpoint_outside_cloud: false,
            on_long_wait: None,
        }
    }

    /// Points every request at `base` (see [`ClientOptions::endpoint_override`]).
    pub fn with_endpoint(mut self, base: impl Into<String>) -> ClientOptions {
        self.endpoint_override = Some(base.into());
        self
    }

    /// Takes the endpoint override from `HANGAR_ENDPOINT` when none is set yet (the CLI sets
    /// `--endpoint` first, so the flag wins).
    pub fn with_endpoint_from_env(mut self) -> ClientOptions {
        if self.endpoint_override.is_none() {
            self.endpoint_override = std::env::var(crate::ENDPOINT_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty());
        }
        self
    }
}

/// A Graph answer that was accepted (2xx).
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// `request-id` header.
    pub request_id: String,
    /// `client-request-id` this client sent.
    pub client_request_id: String,
    /// Retries made.
    pub retries: u32,
    /// The body (empty for 204).
    pub body: Vec<u8>,
    method: String,
    url: String,
}

impl Response {
    /// The body decoded as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::from(DecodeError {
                method: self.method.clone(),
                url: self.url.clone(),
                status: self.status,
                reason: e.to_string(),
                snippet: truncate(&String::from_utf8_lossy(&self.body), 120),
                request_id: self.request_id.clone(),
            })
        })
    }

    /// The body as a JSON object (an empty object for an empty body).
    pub fn object(&self) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Map::new());
        }
        self.json()
    }
}

/// Counters, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    /// Attempts sent (retries included).
    pub attempts: AtomicU64,
    /// Retries made.
    pub retries: AtomicU64,
    /// Milliseconds spent waiting for the rate limiter.
    pub limiter_wait_ms: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    tokens: TokenProvider,
    retry: RetryPolicy,
    limiter: RateLimiter,
    permits: Semaphore,
    chain_permits: Semaphore,
    timeout: Duration,
    stats: Stats,
    on_long_wait: Option<LongWaitHook>,
}

/// The Graph client. Cheap to clone (one shared connection pool, token cache and limiter).
#[derive(Debug, Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

/// Which requests in flight a request waits behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// The shared pool of [`ClientOptions::max_concurrency`] requests.
    Shared,
    /// A page of a collection: pages are read one after another, so each waits for the one
    /// before it, and the longest such chain (100 pages of devices) sets the length of a whole
    /// read. Queued behind a hundred `$batch`es in the shared pool, every page of it would wait
    /// for them; its own small pool ([`chain_lanes`]) keeps it moving.
    Chain,
}

/// Chains of pages in flight at once beside the shared pool: a quarter of it, at least one.
fn chain_lanes(max_concurrency: usize) -> usize {
    (max_concurrency / 4).max(1)
}

enum Outcome {
    Done(Response),
    Retry(Transient, Error),
    Fail(Error),
}

impl GraphClient {
    /// A client for `options` signing in with `credential`.
    pub fn new(options: ClientOptions, credential: Credential) -> Result<GraphClient, Error> {
        let endpoint = match &options.endpoint_override {
            Some(base) => Endpoint::with_override(options.cloud, base, options.allow_endpoint_outside_cloud)?,
            None => Endpoint::new(options.cloud),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hangar/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::InvalidEndpoint {
                url: "(client)".into(),
                reason: e.to_string(),
            })?;
        let tokens = TokenProvider::new(credential, endpoint.clone(), http.clone());
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                endpoint,
                tokens,
                retry: options.retry,
                limiter: RateLimiter::new(&options.rate_limit),
                permits: Semaphore::new(options.max_concurrency.max(1)),
                chain_permits: Semaphore::new(chain_lanes(options.max_concurrency)),
                timeout: options.timeout,
                stats: Stats::default(),
                on_long_wait: options.on_long_wait,
            }),
        })
    }

    /// Where requests go.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The tenant's cloud.
    pub fn cloud(&self) -> Cloud {
        self.inner.endpoint.cloud()
    }

    /// The token provider (for tests: how many tokens were acquired).
    pub fn tokens(&self) -> &TokenProvider {
        &self.inner.tokens
    }

    /// The claims of the access token this client signs in with (signing in first when it has
    /// no token yet): its kind and the Graph permissions it carries. `None` for an opaque
    /// token. The token itself never leaves this crate.
    pub async fn token_claims(&self) -> Result<Option<crate::credential::TokenClaims>, Error> {
        let token = self.inner.tokens.token().await?;
        Ok(crate::credential::TokenClaims::of(&token))
    }

    /// Request counters.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// The rate limiter (shared with `$batch`, which draws one slot per inner request).
    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// The retry policy.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Tells the caller about a wait before a retry when it is long ([`RetryPolicy::announces`]).
    pub(crate) fn announce_wait(&self, wait: &LongWait) {
        if self.inner.retry.announces(wait.wait, wait.waited) {
            tracing::info!(wait = %wait, "long wait before a retry");
            if let Some(hook) = &self.inner.on_long_wait {
                (hook.0)(wait);
            }
        }
    }

    /// Sends `request`, retrying what the policy allows, and returns the 2xx answer. Any other
    /// status is an error; nothing is ever turned into "empty".
    pub async fn send(&self, request: &GraphRequest) -> Result<Response, Error> {
        self.send_inner(request, true, Lane::Shared).await
    }

    /// Like [`GraphClient::send`], for a page of a collection read page after page: it waits
    /// only behind other such pages (a few chains at once), never behind the shared pool of
    /// independent requests, so a long chain is not stretched by the `$batch`es read beside it.
    pub(crate) async fn send_page(&self, request: &GraphRequest) -> Result<Response, Error> {
        self.send_inner(request, true, Lane::Chain).await
    }

    /// Like [`GraphClient::send`] but without taking rate-limiter slots (the caller took them,
    /// as `$batch` does per inner request).
    pub(crate) async fn send_prelimited(&self, request: &GraphRequest) -> Result<Response, Error> {
        self.send_inner(request, false, Lane::Shared).await
    }

    async fn send_inner(&self, request: &GraphRequest, limit: bool, lane: Lane) -> Result<Response, Error> {
        let inner = &self.inner;
        let method = request.method.as_str().to_owned();
        let shown_url = display_url(&request.url);
        let started = Instant::now();
        let mut retries = 0u32;
        let mut retry_waits = Duration::ZERO;
        let mut reauthenticated = false;
        loop {
            // The boundary check comes first, on every attempt: a violation is never a request.
            inner.endpoint.check(&method, &request.url)?;
            let waited = if limit {
                inner.limiter.acquire(request.service, request.is_write()).await
            } else {
                Duration::ZERO
            };
            if !waited.is_zero() {
                inner
                    .stats
                    .limiter_wait_ms
                    .fetch_add(waited.as_millis() as u64, Ordering::Relaxed);
                tracing::debug!(method = %method, url = %shown_url, wait_ms = waited.as_millis() as u64, "rate limiter wait");
            }
            let token = inner.tokens.token().await?;
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let attempt_start = Instant::now();
            let outcome = {
                let permits = match lane {
                    Lane::Shared => &inner.permits,
                    Lane::Chain => &inner.chain_permits,
                };
                let _permit = permits.acquire().await.map_err(|_| Error::Transport {
                    method: method.clone(),
                    url: shown_url.clone(),
                    retries,
                    client_request_id: client_request_id.clone(),
                    message: "client shut down".into(),
                })?;
                inner.stats.attempts.fetch_add(1, Ordering::Relaxed);
                self.attempt(request, &token, &client_request_id, &method, &shown_url, retries)
                    .await
            };
            let ms = attempt_start.elapsed().as_millis() as u64;
            match outcome {
                Outcome::Done(response) => {
                    log_request(
                        request,
                        &method,
                        &shown_url,
                        response.status,
                        ms,
                        &response.request_id,
                        &client_request_id,
                        retries,
                    );
                    return Ok(response);
                }
                Outcome::Fail(Error::Api(api)) if api.status == 401 && !reauthenticated => {
                    reauthenticated = true;
                    if inner.tokens.invalidate(&token).await {
                        tracing::info!(method = %method, url = %shown_url, "token refused, signing in again");
                        continue;
                    }
                    return Err(self.unauthorized(api));
                }
                Outcome::Fail(Error::Api(api)) if api.status == 401 => return Err(self.unauthorized(api)),
                Outcome::Fail(error) => {
                    tracing::info!(method = %method, url = %shown_url, ms, retries, client_request_id = %client_request_id, error = %error, "graph request failed");
                    return Err(error);
                }
                Outcome::Retry(transient, error) => {
                    let jitter: f64 = rand::random();
                    match inner.retry.decide(transient, retries, started.elapsed(), jitter) {
                        RetryDecision::RetryAfter(wait) => {
                            inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                            tracing::info!(
                                method = %method, url = %shown_url, ms, retries,
                                client_request_id = %client_request_id,
                                wait_ms = wait.as_millis() as u64,
                                reason = %transient_name(transient),
                                "transient failure, retrying"
                            );
                            self.announce_wait(&LongWait {
                                method: method.clone(),
                                url: shown_url.clone(),
                                reason: transient_reason(transient),
                                wait,
                                server_asked: matches!(
                                    transient,
                                    Transient::Status {
                                        retry_after: Some(_),
                                        ..
                                    }
                                ),
                                retries,
                                waited: retry_waits,
                            });
                            tokio::time::sleep(wait).await;
                            retry_waits += wait;
                            retries += 1;
                        }
                        RetryDecision::GiveUp => {
                            tracing::info!(method = %method, url = %shown_url, retries, error = %error, "giving up after retries");
                            return Err(error);
                        }
                    }
                }
            }
        }
    }

    fn unauthorized(&self, api: Box<ApiError>) -> Error {
        Error::Unauthorized {
            cloud: self.cloud(),
            scope: self.inner.endpoint.scope().to_owned(),
            source: api,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        request: &GraphRequest,
        token: &Secret,
        client_request_id: &str,
        method: &str,
        shown_url: &str,
        retries: u32,
    ) -> Outcome {
        let inner = &self.inner;
        let mut builder = inner
            .http
            .request(request.method.clone(), request.url.clone())
            .timeout(inner.timeout)
            .bearer_auth(token.expose())
            .header("client-request-id", client_request_id)
            .header("Accept", "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        } else if request.method == Method::POST {
            builder = builder.header("Content-Length", "0");
        }
        let transport = |message: String, unknown: bool| -> Error {
            if unknown {
                Error::OutcomeUnknown {
                    method: method.to_owned(),
                    url: shown_url.to_owned(),
                    retries,
                    client_request_id: client_request_id.to_owned(),
                    message,
                }
            } else {
                Error::Transport {
                    method: method.to_owned(),
                    url: shown_url.to_owned(),
                    retries,
                    client_request_id: client_request_id.to_owned(),
                    message,
                }
            }
        };
        let unsafe_write = request.repeat == Repeat::Unsafe;
        let response = match builder.send().await {
            Ok(response) => response,
            // Not connected: nothing was sent, any request may be retried, unless retrying
            // cannot help (a name that does not resolve, a remote host that refuses).
            Err(e) if e.is_connect() => {
                if let Some(reason) = crate::credential::unreachable_reason(&request.url, &e) {
                    return Outcome::Fail(Error::Unreachable {
                        method: method.to_owned(),
                        url: shown_url.to_owned(),
                        host: crate::endpoint::host_and_port(&request.url),
                        reason,
                    });
                }
                return Outcome::Retry(
                    Transient::Connection,
                    transport(crate::credential::transport_reason_pub(&e), false),
                );
            }
            Err(e) if unsafe_write => {
                return Outcome::Fail(transport(crate::credential::transport_reason_pub(&e), true));
            }
            Err(e) => {
                return Outcome::Retry(
                    Transient::Connection,
                    transport(crate::credential::transport_reason_pub(&e), false),
                );
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("request-id").unwrap_or_default();
        let retry_after = header("retry-after").as_deref().and_then(parse_retry_after);
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(e) if unsafe_write && (200..300).contains(&status) => {
                return Outcome::Fail(transport(
                    format!(
                        "the answer was lost: {}",
                        crate::credential::transport_reason_pub(&e)
                    ),
                    true,
                ));
            }
            Err(e) => {
                return Outcome::Retry(
                    Transient::Connection,
                    transport(crate::credential::transport_reason_pub(&e), false),
                );
            }
        };
        if (200..300).contains(&status) {
            return Outcome::Done(Response {
                status,
                request_id,
                client_request_id: client_request_id.to_owned(),
                retries,
                body,
                method: method.to_owned(),
                url: shown_url.to_owned(),
            });
        }
        let (code, message, inner_request_id) = parse_error_body(&body);
        let api = Box::new(ApiError {
            method: method.to_owned(),
            url: shown_url.to_owned(),
            status,
            code,
            message,
            request_id: if request_id.is_empty() {
                inner_request_id.unwrap_or_default()
            } else {
                request_id
            },
            client_request_id: client_request_id.to_owned(),
            retries,
        });
        // A gateway timeout on a create may have committed: that is an unknown outcome.
        let kind = request.kind();
        if status == 504 && kind == RequestKind::UnsafeWrite {
            return Outcome::Fail(transport(format!("gateway timeout ({api})"), true));
        }
        if retries_status(status, kind) {
            return Outcome::Retry(Transient::Status { status, retry_after }, Error::Api(api));
        }
        Outcome::Fail(Error::Api(api))
    }
}

fn transient_name(transient: Transient) -> String {
    match transient {
        Transient::Status { status, .. } => status.to_string(),
        Transient::Connection => "connection".to_owned(),
    }
}

/// Why a request waits, in words.
pub(crate) fn transient_reason(transient: Transient) -> String {
    match transient {
        Transient::Status { status: 429, .. } => "throttled (HTTP 429)".to_owned(),
        Transient::Status { status, .. } => format!("HTTP {status}"),
        Transient::Connection => "the connection failed".to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
fn log_request(
    request: &GraphRequest,
    method: &str,
    url: &str,
    status: u16,
    ms: u64,
    request_id: &str,
    client_request_id: &str,
    retries: u32,
) {
    if request.is_write() {
        tracing::info!(
            method,
            url,
            status,
            ms,
            request_id,
            client_request_id,
            retries,
            "graph request"
        );
    } else {
        tracing::debug!(
            method,
            url,
            status,
            ms,
            request_id,
            client_request_id,
            retries,
            "graph request"
        );
    }
}
