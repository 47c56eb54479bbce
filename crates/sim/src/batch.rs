//! JSON batching: `POST /{version}/$batch`.
//!
//! Rules (Graph's): at most 20 requests; every `id` unique (else the whole batch is a 400);
//! `url` relative to the version root; a request with a `body` must carry a `Content-Type`
//! header; `dependsOn` names other ids of the same batch, and a request whose dependency did
//! not succeed gets 424 Failed Dependency without running. Items run one after another in an
//! order that respects `dependsOn` (listed order otherwise), each through the full pipeline:
//! every item is faulted and throttled on its own (an inner 429 carries its own
//! `Retry-After`), while the batch itself answers 200. Responses come back in execution order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::clock::error_date;
use crate::odata::{Call, Method, parse_query, percent_decode};
use crate::reply::{GraphError, Outcome, Reply, RequestIds};
use crate::server::{RequestRecord, Shared, render_item};

const MAX_REQUESTS: usize = 20;

struct Item {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn invalid(message: impl Into<String>) -> GraphError {
    GraphError::bad_request(message)
}

fn parse_items(body: &Map<String, Value>) -> Result<Vec<Item>, GraphError> {
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("Invalid batch payload format: the body must have a `requests` array."))?;
    if requests.is_empty() {
        return Err(invalid("Invalid batch payload format: `requests` is empty."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(invalid(format!(
            "The number of batch requests {} exceeds the maximum of {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for (index, request) in requests.iter().enumerate() {
        let request = request
            .as_object()
            .ok_or_else(|| invalid(format!("Batch request {index} is not an object.")))?;
        let text = |name: &str| -> Result<String, GraphError> {
            match request.get(name) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                Some(Value::Number(n)) if name == "id" => Ok(n.to_string()),
                _ => Err(invalid(format!(
                    "Batch request {index} is missing the required property `{name}`."
                ))),
            }
        };
        let id = text("id")?;
        if !seen.insert(id.clone()) {
            return Err(invalid(format!(
                "Batch request ids must be unique; `{id}` appears more than once."
            )));
        }
        let depends_on = match request.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|d| {
                    d.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(format!("`dependsOn` of request `{id}` must list ids.")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(invalid(format!(
                    "`dependsOn` of request `{id}` must be an array."
                )));
            }
        };
        let headers = match request.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(headers)) => headers.clone(),
            Some(_) => return Err(invalid(format!("`headers` of request `{id}` must be an object."))),
        };
        items.push(Item {
            method: text("method")?,
            url: text("url")?,
            headers,
            body: request.get("body").cloned(),
            depends_on,
            id,
        });
    }
    for item in &items {
        for dependency in &item.depends_on {
            if !seen.contains(dependency) || dependency == &item.id {
                return Err(invalid(format!(
                    "Request `{}` depends on `{dependency}`, which is not another request of this batch.",
                    item.id
                )));
            }
        }
    }
    Ok(items)
}

/// Execution order honouring `dependsOn`; an error for cycles.
fn order(items: &[Item]) -> Result<Vec<usize>, GraphError> {
    let mut done: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    while order.len() < items.len() {
        let next = items.iter().enumerate().find(|(i, item)| {
            !order.contains(i) && item.depends_on.iter().all(|d| done.contains(d.as_str()))
        });
        match next {
            Some((index, item)) => {
                done.insert(&item.id);
                order.push(index);
            }
            None => return Err(invalid("The `dependsOn` relations of this batch form a cycle.")),
        }
    }
    Ok(order)
}

pub(crate) fn run(shared: &Arc<Shared>, call: &Call) -> Outcome {
    if call.method != Method::Post {
        return Err(GraphError::new(
            405,
            "BadRequest",
            "Only POST is supported on $batch.",
        ));
    }
    let body = call.json_body()?;
    let items = parse_items(&body)?;
    let order = order(&items)?;
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    for index in order {
        let item = &items[index];
        let started = Instant::now();
        let seq = shared.next_seq();
        let request_id = shared.request_id(seq);
        let header = |name: &str| {
            item.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_owned)
        };
        let client_request_id = header("client-request-id");
        let ids = RequestIds {
            request_id: request_id.clone(),
            client_request_id: client_request_id.clone(),
            date: error_date(shared.clock.now_ms()),
        };
        let relative = if item.url.starts_with('/') {
            item.url.clone()
        } else {
            format!("/{}", item.url)
        };
        let (raw_path, raw_query) = relative.split_once('?').unwrap_or((&relative, ""));
        let path = percent_decode(raw_path, false);
        let failed_dependency = item
            .depends_on
            .iter()
            .find(|d| statuses.get(*d).is_none_or(|s| !(200..300).contains(s)));
        let outcome: Outcome;
        let mut fault = None;
        if let Some(dependency) = failed_dependency {
            outcome = Err(GraphError::new(
                424,
                "FailedDependency",
                format!("The request depends on request `{dependency}`, which failed."),
            ));
        } else if item.url.contains("://") {
            outcome = Err(invalid(
                "Batch request URLs must be relative to the version root, e.g. `/groups`.",
            ));
        } else if item.body.is_some() && header("content-type").is_none() {
            outcome = Err(invalid(
                "Write request id : {id} does not contain Content-Type header or body."
                    .replace("{id}", &item.id),
            ));
        } else {
            let inner = Call {
                method: Method::parse(&item.method),
                version: call.version,
                segments: Call::split_path(&path),
                path: path.clone(),
                raw_query: raw_query.to_owned(),
                query: parse_query(raw_query),
                body: match &item.body {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::String(text)) => text.clone().into_bytes(),
                    Some(value) => serde_json::to_vec(value).unwrap_or_default(),
                },
                base_url: call.base_url.clone(),
                client_id: call.client_id.clone(),
                roles: call.roles.clone(),
                consistency_eventual: header("consistencylevel")
                    .is_some_and(|v| v.eq_ignore_ascii_case("eventual")),
            };
            let processed = shared.process(&inner, false);
            fault = processed.fault;
            outcome = processed.outcome;
        }
        let (status, headers, body) = render_item(outcome, &ids, &path);
        statuses.insert(item.id.clone(), status);
        let mut header_map = Map::new();
        header_map.insert("request-id".into(), json!(request_id));
        if let Some(client) = &client_request_id {
            header_map.insert("client-request-id".into(), json!(client));
        }
        if body.is_some() {
            header_map.insert("Content-Type".into(), json!("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"));
        }
        for (name, value) in headers {
            header_map.insert(name, json!(value));
        }
        let mut response = Map::new();
        response.insert("id".into(), json!(item.id));
        response.insert("status".into(), json!(status));
        response.insert("headers".into(), Value::Object(header_map));
        if let Some(body) = body {
            response.insert("body".into(), body);
        }
        responses.push(Value::Object(response));
        shared.record(RequestRecord {
            seq,
            method: item.method.to_ascii_uppercase(),
            path: format!("/{}{}", call.version.segment(), relative),
            host: call.base_url.trim_start_matches("http://").to_owned(),
            status,
            duration_micros: started.elapsed().as_micros() as u64,
            request_id,
            client_request_id,
            client_id: Some(call.client_id.clone()),
            fault,
            batch_item: Some(item.id.clone()),
        });
    }
    Ok(Reply::ok(json!({ "responses": responses })))
}
