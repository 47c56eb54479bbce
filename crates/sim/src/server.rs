//! The HTTP side: the accept loop, the axum router, the Graph request pipeline (auth, latency,
//! faults, throttling, dispatch, error rendering, request log) and the `/_sim` endpoints.
//!
//! Connections are served one by one through hyper so that a "drop" fault can close a
//! connection after the write committed and before any byte of the response is written: the
//! handler signals its connection and the connection task drops the socket.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::auth::Authority;
use crate::batch;
use crate::clock::{SimClock, error_date};
use crate::config::SimConfig;
use crate::faults::{Faults, Injected};
use crate::odata::{Call, Method, Query, parse_query, percent_decode};
use crate::reply::{GraphError, Outcome, Reply, RequestIds};
use crate::routes;
use crate::schema::ApiVersion;
use crate::state::{SimState, guid_from, splitmix64};
use crate::throttle::{Family, Throttle, retry_after_header};

/// One request the simulator answered (or dropped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path and query as sent (for `$batch` items: the item's relative URL, prefixed with the
    /// version).
    pub path: String,
    /// `Host` header.
    pub host: String,
    /// Status sent; 0 when the connection was dropped without a response.
    pub status: u16,
    /// Real time spent answering, microseconds (latency included).
    pub duration_micros: u64,
    /// `request-id` sent back.
    pub request_id: String,
    /// `client-request-id` the client sent, echoed back.
    pub client_request_id: Option<String>,
    /// The signed-in application, when the request carried a valid token.
    pub client_id: Option<String>,
    /// The injected fault or throttling, if any (`status 503`, `throttle`, `drop`, `budget
    /// intune/app/writes`).
    pub fault: Option<String>,
    /// For `$batch` items: the item's `id`.
    pub batch_item: Option<String>,
}

/// Everything a running simulator shares between connections.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SimConfig,
    pub clock: SimClock,
    pub state: Mutex<SimState>,
    pub authority: Mutex<Authority>,
    pub faults: Mutex<Faults>,
    pub throttle: Mutex<Throttle>,
    pub log: Mutex<VecDeque<RequestRecord>>,
    seq: AtomicU64,
}

/// The outcome of one Graph request through the pipeline.
pub(crate) struct Processed {
    pub outcome: Outcome,
    pub fault: Option<String>,
    pub drop: bool,
}

impl Shared {
    pub fn new(config: SimConfig, mut state: SimState, clock: SimClock) -> Result<Shared, crate::SimError> {
        state.index_imports();
        let authority = Authority::new(&config, &state.tenant_id)?;
        Ok(Shared {
            faults: Mutex::new(Faults::new(&config)),
            throttle: Mutex::new(Throttle::new(&config.throttling)),
            authority: Mutex::new(authority),
            state: Mutex::new(state),
            log: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            clock,
            config,
        })
    }

    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn request_id(&self, seq: u64) -> String {
        let mut s = self.config.seed ^ seq.wrapping_mul(0x9E37_79B9);
        guid_from(splitmix64(&mut s), splitmix64(&mut s))
    }

    pub fn record(&self, record: RequestRecord) {
        tracing::info!(
            method = %record.method,
            path = %record.path,
            status = record.status,
            micros = record.duration_micros,
            fault = record.fault.as_deref().unwrap_or(""),
            "sim request"
        );
        let mut log = self.log.lock();
        if log.len() >= self.config.log_capacity.max(1) {
            log.pop_front();
        }
        log.push_back(record);
    }

    /// Runs one Graph request (outer or `$batch` item): faults, throttling, then the routes.
    pub fn process(self: &Arc<Self>, call: &Call, outer: bool) -> Processed {
        let family = family(&call.segments);
        let fault = self.faults.lock().decide(&call.method, &call.path, outer);
        match fault {
            Some(Injected::Status(status)) => {
                let (code, message) = match status {
                    500 => ("InternalServerError", "An internal server error occurred."),
                    502 => ("BadGateway", "Bad gateway."),
                    503 => (
                        "ServiceUnavailable",
                        "The service is temporarily unavailable. Please retry later.",
                    ),
                    504 => ("GatewayTimeout", "The gateway timed out."),
                    _ => ("UnknownError", "The simulator injected this error."),
                };
                let mut error = GraphError::new(status, code, message);
                if status == 503 {
                    error = error.with_header("Retry-After", "1");
                }
                return Processed {
                    outcome: Err(error),
                    fault: Some(format!("status {status}")),
                    drop: false,
                };
            }
            Some(Injected::Throttle(secs)) => {
                let real = self.clock.to_real_secs(secs);
                return Processed {
                    outcome: Err(throttled(real, None)),
                    fault: Some("throttle".into()),
                    drop: false,
                };
            }
            Some(Injected::Drop) | None => {}
        }
        let drop = fault == Some(Injected::Drop);
        let cost = resource_units(call);
        let now = self.clock.now_ms();
        if let Err(refusal) =
            self.throttle
                .lock()
                .admit(family, &call.client_id, call.method.is_write(), cost, now)
        {
            let real = self.clock.to_real_secs(refusal.retry_after_secs);
            let scope = (family == Family::Directory).then_some(refusal.scope);
            return Processed {
                outcome: Err(throttled(real, scope)),
                fault: Some(format!("budget {}", refusal.scope)),
                drop: false,
            };
        }
        let outcome = if let Err(refused) = crate::permissions::check(call, &call.grant.permissions) {
            Err(refused)
        } else if call.segments.first().map(String::as_str) == Some("$batch") {
            if outer {
                batch::run(self, call)
            } else {
                Err(GraphError::bad_request(
                    "A $batch request cannot contain another $batch request.",
                ))
            }
        } else {
            self.execute(call, now)
        };
        let outcome = outcome.map(|reply| {
            if family == Family::Directory && self.throttle.lock().enabled() {
                reply.with_header("x-ms-resource-unit", cost.to_string())
            } else {
                reply
            }
        });
        Processed {
            outcome,
            fault: drop.then(|| "drop".to_owned()),
            drop,
        }
    }

    fn execute(&self, call: &Call, now: i64) -> Outcome {
        let query = if routes::audit::is_audit_path(&call.segments) {
            // The audit collections parse their own `$filter` (lambda operators).
            let without: Vec<(String, String)> = call
                .query
                .iter()
                .filter(|(key, _)| !key.eq_ignore_ascii_case("$filter"))
                .cloned()
                .collect();
            Query::parse(&without)?
        } else {
            Query::parse(&call.query)?
        };
        let mut state = self.state.lock();
        let before = routes::audit::before(&state, call);
        state.clock_ms = state.clock_ms.max(now);
        routes::devices::tick(&mut state, &self.config, now);
        let mut ctx = routes::Ctx {
            state: &mut state,
            call,
            query,
            now,
            config: &self.config,
        };
        let outcome = routes::dispatch(&mut ctx);
        if let Ok(reply) = &outcome {
            routes::audit::record(&mut state, call, reply, before, now);
        }
        if outcome.is_ok()
            && let Some(cause) = changes_profile_reach(call)
        {
            crate::profile_status::refresh(&mut state, now, cause);
        }
        outcome
    }
}

fn throttled(real_secs: f64, scope: Option<&str>) -> GraphError {
    let mut error = GraphError::new(
        429,
        "TooManyRequests",
        "Too many requests. Retry after the interval in the Retry-After header.",
    )
    .with_header("Retry-After", retry_after_header(real_secs));
    if let Some(scope) = scope {
        error = error
            .with_header(
                "x-ms-throttle-scope",
                format!("Tenant_Application/ReadWrite/{scope}"),
            )
            .with_header("x-ms-throttle-information", "ResourceUnitLimitExceeded");
    }
    error
}

/// Whether a successful `call` can change which devices a deployment profile reaches, and how
/// (see [`crate::profile_status::Cause`]): writes
/// to profiles and their assignments, to groups, and to a device's properties (its tag).
fn changes_profile_reach(call: &Call) -> Option<crate::profile_status::Cause> {
    use crate::profile_status::Cause;
    if !call.method.is_write() {
        return None;
    }
    let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["deviceManagement", "windowsAutopilotDeploymentProfiles", ..] | ["groups", ..] => Some(Cause::Reach),
        [
            "deviceManagement",
            "windowsAutopilotDeviceIdentities",
            _,
            "updateDeviceProperties",
        ] => Some(Cause::Devices),
        _ => None,
    }
}

/// The throttling family of a path.
fn family(segments: &[String]) -> Family {
    match segments.first().map(String::as_str) {
        Some("deviceManagement") => Family::Intune,
        Some(
            "groups" | "servicePrincipals" | "directoryObjects" | "policies" | "subscribedSkus" | "auditLogs",
        ) => Family::Directory,
        _ => Family::None,
    }
}

/// Directory resource-unit cost: 1, `$select` −1, `$expand` +1, `$top` < 20 −1, at least 1.
fn resource_units(call: &Call) -> u32 {
    let mut cost: i32 = 1;
    for (key, value) in &call.query {
        match key.as_str() {
            "$select" => cost -= 1,
            "$expand" => cost += 1,
            "$top" if value.parse::<u32>().is_ok_and(|top| top < 20) => cost -= 1,
            _ => {}
        }
    }
    cost.max(1) as u32
}

/// Per-connection kill switch, put into every request's extensions.
#[derive(Clone)]
struct ConnectionKill(Arc<Notify>);

/// The router: sign-in, the `/_sim` endpoints, and Graph as the fallback.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/_sim/log", get(log_get).delete(log_clear))
        .route("/_sim/state", get(state_get))
        .route("/_sim/clock", post(clock_advance))
        .route("/_sim/save", post(save))
        .fallback(graph)
        .with_state(shared)
}

/// Serves connections until `shutdown` flips to true.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let app = app.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(serve_connection(stream, app, shutdown));
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, app: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let service_kill = kill.clone();
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request
            .extensions_mut()
            .insert(ConnectionKill(service_kill.clone()));
        app.clone().oneshot(request.map(Body::new))
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = kill.notified() => {}
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), connection).await;
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn json_response(status: u16, body: Option<&Value>, headers: &[(String, String)]) -> Response<Body> {
    match body {
        Some(body) => bytes_response(status, serde_json::to_vec(body).unwrap_or_default(), headers),
        None => bytes_response(status, Vec::new(), headers),
    }
}

fn bytes_response(status: u16, bytes: Vec<u8>, headers: &[(String, String)]) -> Response<Body> {
    let has_body = !bytes.is_empty();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if has_body {
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
        );
    }
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    request: Request<Body>,
) -> Response<Body> {
    let started = Instant::now();
    let seq = shared.next_seq();
    let (parts, body) = request.into_parts();
    let host = header(&parts.headers, "host").unwrap_or("").to_owned();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(body, shared.config.max_body_bytes)
        .await
        .unwrap_or_default();
    let form_ok = header(&parts.headers, "content-type").is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    let trace_id = shared.request_id(seq);
    let correlation_id = header(&parts.headers, "client-request-id")
        .map(str::to_owned)
        .unwrap_or_else(|| shared.request_id(seq ^ 0xC0));
    let now = shared.clock.now_ms();
    let result = if form_ok {
        shared.authority.lock().token(
            &tenant,
            &bytes,
            header(&parts.headers, "authorization"),
            now,
            shared.clock.scale(),
        )
    } else {
        shared
            .authority
            .lock()
            .token(&tenant, b"", None, now, shared.clock.scale())
    };
    let (status, body) = match result {
        Ok(body) => (200, body),
        Err(error) => (
            error.status,
            error.body(&trace_id, &correlation_id, crate::clock::wall_clock_ms()),
        ),
    };
    let headers = vec![
        ("x-ms-request-id".to_owned(), trace_id.clone()),
        ("client-request-id".to_owned(), correlation_id.clone()),
        ("cache-control".to_owned(), "no-store, no-cache".to_owned()),
    ];
    shared.record(RequestRecord {
        seq,
        method: parts.method.to_string(),
        path,
        host,
        status,
        duration_micros: started.elapsed().as_micros() as u64,
        request_id: trace_id,
        client_request_id: Some(correlation_id),
        client_id: None,
        fault: None,
        batch_item: None,
    });
    let mut response = json_response(status, Some(&body), &headers);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

async fn graph(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let seq = shared.next_seq();
    let request_id = shared.request_id(seq);
    let (parts, body) = request.into_parts();
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let host = header(&parts.headers, "host").unwrap_or("127.0.0.1").to_owned();
    let client_request_id = header(&parts.headers, "client-request-id")
        .or_else(|| header(&parts.headers, "x-ms-client-request-id"))
        .map(str::to_owned);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let raw_path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let method = Method::parse(parts.method.as_str());
    let ids = RequestIds {
        request_id: request_id.clone(),
        client_request_id: client_request_id.clone(),
        date: error_date(shared.clock.now_ms()),
    };
    let mut record = RequestRecord {
        seq,
        method: method.as_str().to_owned(),
        path: path_and_query,
        host: host.clone(),
        status: 0,
        duration_micros: 0,
        request_id: request_id.clone(),
        client_request_id: client_request_id.clone(),
        client_id: None,
        fault: None,
        batch_item: None,
    };
    let mut response_headers = vec![("request-id".to_owned(), request_id.clone())];
    if let Some(client) = &client_request_id {
        response_headers.push(("client-request-id".to_owned(), client.clone()));
    }
    let finish = |shared: &Arc<Shared>,
                  mut record: RequestRecord,
                  outcome: Outcome,
                  mut headers: Vec<(String, String)>,
                  path: &str| {
        let (status, body) = match outcome {
            Ok(Reply {
                status,
                raw: Some(bytes),
                headers: extra,
                ..
            }) => {
                headers.extend(extra);
                record.status = status;
                record.duration_micros = started.elapsed().as_micros() as u64;
                shared.record(record);
                return bytes_response(status, bytes, &headers);
            }
            Ok(reply) => {
                headers.extend(reply.headers);
                (reply.status, reply.body)
            }
            Err(error) => {
                headers.extend(error.headers.clone());
                (error.status, Some(error.body(&ids, path)))
            }
        };
        record.status = status;
        record.duration_micros = started.elapsed().as_micros() as u64;
        shared.record(record);
        json_response(status, body.as_ref(), &headers)
    };

    // Version segment.
    let trimmed = raw_path.trim_start_matches('/');
    let (version_segment, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let version = match version_segment {
        "v1.0" => ApiVersion::V1,
        "beta" => ApiVersion::Beta,
        other => {
            let error = GraphError::bad_request(format!("Invalid version: {other}"));
            return finish(&shared, record, Err(error), response_headers, &raw_path);
        }
    };
    let path = format!("/{}", percent_decode(rest, false));

    // Body, with the size limit.
    let too_large = header(&parts.headers, "content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|len| len > shared.config.max_body_bytes);
    let body = if too_large {
        None
    } else {
        axum::body::to_bytes(body, shared.config.max_body_bytes)
            .await
            .ok()
    };
    let Some(body) = body else {
        let error = GraphError::new(
            413,
            "RequestEntityTooLarge",
            format!(
                "The request body is larger than the limit of {} bytes.",
                shared.config.max_body_bytes
            ),
        );
        return finish(&shared, record, Err(error), response_headers, &path);
    };

    // Authentication.
    let caller = match shared
        .authority
        .lock()
        .check_bearer(header(&parts.headers, "authorization"), shared.clock.now_ms())
    {
        Ok(caller) => caller,
        Err(error) => return finish(&shared, record, Err(error), response_headers, &path),
    };
    record.client_id = Some(caller.client_id.clone());

    // Latency (real time).
    let latency = shared.faults.lock().latency_ms();
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }

    let call = Call {
        method,
        version,
        segments: Call::split_path(&path),
        path: path.clone(),
        raw_query: raw_query.clone(),
        query: parse_query(&raw_query),
        body: body.to_vec(),
        base_url: format!("http://{host}"),
        client_id: caller.client_id,
        grant: caller.grant,
        consistency_eventual: header(&parts.headers, "consistencylevel")
            .is_some_and(|v| v.eq_ignore_ascii_case("eventual")),
    };
    let processed = shared.process(&call, true);
    record.fault = processed.fault.clone();
    if processed.drop
        && let Some(kill) = kill
    {
        record.status = 0;
        record.duration_micros = started.elapsed().as_micros() as u64;
        shared.record(record);
        kill.0.notify_one();
        // The connection task drops the socket; this response is never written.
        let never = std::future::pending::<std::convert::Infallible>().await;
        match never {}
    }
    finish(&shared, record, processed.outcome, response_headers, &path)
}

async fn log_get(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let log: Vec<RequestRecord> = shared.log.lock().iter().cloned().collect();
    json_response(200, Some(&json!({ "value": log })), &[])
}

async fn log_clear(State(shared): State<Arc<Shared>>) -> Response<Body> {
    shared.log.lock().clear();
    json_response(204, None, &[])
}

async fn state_get(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let now = shared.clock.now_ms();
    let mut state = shared.state.lock();
    routes::devices::tick(&mut state, &shared.config, now);
    let body = serde_json::to_value(&*state).unwrap_or(Value::Null);
    drop(state);
    json_response(200, Some(&body), &[])
}

async fn clock_advance(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response<Body> {
    let seconds = parse_query(query.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "seconds")
        .and_then(|(_, v)| v.parse::<f64>().ok());
    match seconds {
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            shared.clock.advance(Duration::from_secs_f64(seconds));
            json_response(
                200,
                Some(&json!({ "now": crate::clock::intune_timestamp(shared.clock.now_ms()) })),
                &[],
            )
        }
        _ => json_response(
            400,
            Some(&json!({ "error": "expected `?seconds=N` with N >= 0" })),
            &[],
        ),
    }
}

async fn save(State(shared): State<Arc<Shared>>) -> Response<Body> {
    match crate::save_shared(&shared) {
        Ok(()) => json_response(204, None, &[]),
        Err(e) => json_response(500, Some(&json!({ "error": e.to_string() })), &[]),
    }
}

/// Renders a processed `$batch` item's outcome: status, headers, body.
pub(crate) fn render_item(
    outcome: Outcome,
    ids: &RequestIds,
    path: &str,
) -> (u16, Vec<(String, String)>, Option<Value>) {
    match outcome {
        Ok(Reply {
            status,
            body,
            raw: Some(bytes),
            headers,
        }) => (status, headers, serde_json::from_slice(&bytes).ok().or(body)),
        Ok(Reply {
            status,
            body,
            raw: None,
            headers,
        }) => (status, headers, body),
        Err(error) => {
            let body = error.body(ids, path);
            (error.status, error.headers, Some(body))
        }
    }
}
