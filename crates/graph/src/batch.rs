//! JSON batching: up to 20 requests in one `POST /$batch`.
//!
//! The outer 200 says nothing about the inner requests: each has its own status. An inner
//! answer [`retries_status`] retries for that request (429 and 503; 504 where repeating is
//! harmless; 500 and 502 on reads) is sent again in a smaller batch after
//! the largest inner `Retry-After`, within the client's retry policy; a `424 Failed Dependency`
//! whose dependency is being retried goes with it. Every inner request draws its own slot from
//! the rate limiter, as Graph throttles each individually.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::Error;
use crate::endpoint::{ApiVersion, display_url};
use crate::error::{ApiError, DecodeError, parse_error_body};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat};
use crate::retry::{LongWait, RetryDecision, Transient, parse_retry_after, retries_status};

/// Most requests Graph accepts in one batch.
pub const MAX_BATCH: usize = 20;

/// The answer to one inner request.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResponse {
    /// Inner HTTP status.
    pub status: u16,
    /// Inner body (`Value::Null` when absent).
    pub body: Value,
}

#[derive(Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub(crate) responses: Vec<Item>,
}

#[derive(Deserialize)]
pub(crate) struct Item {
    pub(crate) id: String,
    pub(crate) status: u16,
    #[serde(default)]
    pub(crate) headers: Map<String, Value>,
    #[serde(default)]
    pub(crate) body: Value,
}

/// Sends independent `requests` in batches of at most 20, the batches concurrently, and returns
/// one result per request in the same order: the inner body for a 2xx, an [`Error::Api`] for
/// anything else. The outer `Err` is for a batch that failed as a whole.
pub async fn send_all(
    client: &GraphClient,
    requests: Vec<GraphRequest>,
) -> Result<Vec<Result<Value, Error>>, Error> {
    let total = requests.len();
    let mut by_version: BTreeMap<ApiVersion, Vec<(usize, GraphRequest)>> = BTreeMap::new();
    for (index, request) in requests.into_iter().enumerate() {
        by_version
            .entry(request.version)
            .or_default()
            .push((index, request));
    }
    let mut tasks = JoinSet::new();
    for (version, items) in by_version {
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let chunk: Vec<(usize, GraphRequest)> = items.by_ref().take(MAX_BATCH).collect();
            let client = client.clone();
            tasks.spawn(async move {
                let (indices, requests): (Vec<usize>, Vec<GraphRequest>) = chunk.into_iter().unzip();
                let results = send_one_batch(&client, version, requests, false).await;
                (indices, results)
            });
        }
    }
    let mut out: Vec<Option<Result<Value, Error>>> = (0..total).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (indices, results) = joined.map_err(|e| Error::Paging {
            url: "$batch".into(),
            reason: e.to_string(),
        })?;
        for (index, result) in indices.into_iter().zip(results?) {
            out[index] = Some(result);
        }
    }
    Ok(out
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(missing("$batch"))))
        .collect())
}

/// Sends up to 20 requests as one batch in which each depends on the one before it
/// (`dependsOn`), so they run in order. A failed request makes the rest fail with 424.
pub async fn send_chain(
    client: &GraphClient,
    requests: Vec<GraphRequest>,
) -> Result<Vec<Result<Value, Error>>, Error> {
    let Some(first) = requests.first() else {
        return Ok(Vec::new());
    };
    let version = first.version;
    if requests.len() > MAX_BATCH || requests.iter().any(|r| r.version != version) {
        return Err(Error::InvalidBody {
            resource: "$batch",
            reason: format!("a dependent chain holds at most {MAX_BATCH} requests of one API version"),
        });
    }
    send_one_batch(client, version, requests, true).await
}

fn missing(url: &str) -> Error {
    Error::from(DecodeError {
        method: "POST".into(),
        url: url.into(),
        status: 200,
        reason: "the batch answer has no response for this request".into(),
        snippet: String::new(),
        request_id: String::new(),
    })
}

async fn send_one_batch(
    client: &GraphClient,
    version: ApiVersion,
    requests: Vec<GraphRequest>,
    chained: bool,
) -> Result<Vec<Result<Value, Error>>, Error> {
    let batch_url = client.endpoint().graph_url(version, "/$batch")?;
    let mut finals: Vec<Option<Result<Value, Error>>> = (0..requests.len()).map(|_| None).collect();
    let mut pending: Vec<usize> = (0..requests.len()).collect();
    let started = Instant::now();
    let mut retries = 0u32;
    let mut waited = Duration::ZERO;
    loop {
        for &i in &pending {
            let request = &requests[i];
            client.endpoint().check(request.method.as_str(), &request.url)?;
            client
                .limiter()
                .acquire(request.service, request.is_write())
                .await;
        }
        let pending_ids: HashSet<usize> = pending.iter().copied().collect();
        let body_items: Vec<Value> = pending
            .iter()
            .map(|&i| {
                let request = &requests[i];
                let mut item = json!({"id": (i + 1).to_string(), "method": request.method.as_str(), "url": request.relative});
                let mut headers: Map<String, Value> =
                    request.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
                if let Some(body) = &request.body {
                    headers.insert("Content-Type".into(), Value::String("application/json".into()));
                    item["body"] = body.clone();
                }
                if !headers.is_empty() {
                    item["headers"] = Value::Object(headers);
                }
                if chained && i > 0 && pending_ids.contains(&(i - 1)) {
                    item["dependsOn"] = json!([i.to_string()]);
                }
                item
            })
            .collect();
        let all_safe = pending.iter().all(|&i| requests[i].repeat == Repeat::Safe);
        let outer = GraphRequest {
            method: Method::POST,
            version,
            relative: "/$batch".into(),
            url: batch_url.clone(),
            headers: Vec::new(),
            body: Some(json!({"requests": body_items})),
            repeat: if all_safe { Repeat::Safe } else { Repeat::Unsafe },
            service: requests[pending[0]].service,
        };
        let response = client.send_prelimited(&outer).await?;
        let envelope: Envelope = response.json()?;
        let mut by_id: BTreeMap<String, Item> = envelope
            .responses
            .into_iter()
            .map(|item| (item.id.clone(), item))
            .collect();
        let mut again = Vec::new();
        let mut largest_wait: Option<Duration> = None;
        for &i in &pending {
            let request = &requests[i];
            let Some(item) = by_id.remove(&(i + 1).to_string()) else {
                finals[i] = Some(Err(missing(&display_url(&request.url))));
                continue;
            };
            let transient = retries_status(item.status, request.kind());
            let blocked_by_retry = item.status == 424 && chained && i > 0 && again.contains(&(i - 1));
            if transient || blocked_by_retry {
                let after = header_ci(&item.headers, "retry-after").and_then(parse_retry_after);
                if let Some(after) = after {
                    largest_wait = Some(largest_wait.map_or(after, |w| w.max(after)));
                }
                again.push(i);
                finals[i] = Some(Err(inner_error(
                    request,
                    &item,
                    &response.client_request_id,
                    retries,
                )));
                continue;
            }
            finals[i] = Some(if (200..300).contains(&item.status) {
                Ok(item.body)
            } else {
                Err(inner_error(request, &item, &response.client_request_id, retries))
            });
        }
        if again.is_empty() {
            break;
        }
        let transient = Transient::Status {
            status: 429,
            retry_after: largest_wait,
        };
        match client
            .retry_policy()
            .decide(transient, retries, started.elapsed(), rand::random())
        {
            RetryDecision::RetryAfter(wait) => {
                tracing::info!(
                    url = %display_url(&batch_url),
                    throttled = again.len(),
                    retries,
                    wait_ms = wait.as_millis() as u64,
                    "inner batch requests throttled, retrying them"
                );
                client.announce_wait(&LongWait {
                    method: "POST".into(),
                    url: display_url(&batch_url),
                    reason: format!("{} of its requests throttled or failing", again.len()),
                    wait,
                    server_asked: largest_wait.is_some(),
                    retries,
                    waited,
                });
                tokio::time::sleep(wait).await;
                waited += wait;
                retries += 1;
                pending = again;
            }
            RetryDecision::GiveUp => break,
        }
    }
    Ok(finals
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(missing("$batch"))))
        .collect())
}

pub(crate) fn header_ci<'a>(headers: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

fn inner_error(request: &GraphRequest, item: &Item, client_request_id: &str, retries: u32) -> Error {
    let body = serde_json::to_vec(&item.body).unwrap_or_default();
    let (code, message, inner_request_id) = parse_error_body(&body);
    Error::Api(Box::new(ApiError {
        method: request.method.as_str().to_owned(),
        url: display_url(&request.url),
        status: item.status,
        code,
        message,
        request_id: header_ci(&item.headers, "request-id")
            .map(str::to_owned)
            .or(inner_request_id)
            .unwrap_or_default(),
        client_request_id: client_request_id.to_owned(),
        retries,
    }))
}
