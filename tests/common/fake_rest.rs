//! A REST service the CI script tests stand up in place of GitHub or Azure DevOps: an axum
//! server on loopback whose answers come from a handler over test-owned state, recording every
//! call (method, path and query, `Authorization`, body) for the assertions.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub host: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Call {
    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.path.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| percent_decode(value))
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a handler answers.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(status: u16, value: Value) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&value).unwrap(),
        }
    }

    pub fn bytes(status: u16, body: Vec<u8>) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/octet-stream".into())],
            body,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler<S> = dyn Fn(&mut S, &Call, &str) -> Answer + Send + Sync;

/// The running fake. Stops when dropped.
pub struct FakeRest<S> {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared<S>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared<S> {
    state: S,
    calls: Vec<Call>,
}

impl<S: Send + 'static> FakeRest<S> {
    /// Serves `handler` over `state`; the handler also gets the server's own base URL.
    pub fn start(state: S, handler: impl Fn(&mut S, &Call, &str) -> Answer + Send + Sync + 'static) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            state,
            calls: Vec::new(),
        }));
        let handler: Arc<Handler<S>> = Arc::new(handler);
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let serve_shared = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let base = format!("http://{addr}");
                let app = axum::Router::new().fallback(
                    move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                        let shared = Arc::clone(&serve_shared);
                        let handler = Arc::clone(&handler);
                        let base = base.clone();
                        async move {
                            let header = |name: &str| {
                                headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
                            };
                            let call = Call {
                                method: method.to_string(),
                                path: uri
                                    .path_and_query()
                                    .map(|p| p.as_str().to_owned())
                                    .unwrap_or_default(),
                                host: header("host").unwrap_or_default(),
                                authorization: header("authorization"),
                                content_type: header("content-type"),
                                body,
                            };
                            let answer = {
                                let mut shared = shared.lock().unwrap();
                                shared.calls.push(call.clone());
                                handler(&mut shared.state, &call, &base)
                            };
                            let mut response =
                                Response::builder().status(StatusCode::from_u16(answer.status).unwrap());
                            for (name, value) in &answer.headers {
                                response = response.header(name.as_str(), value.as_str());
                            }
                            response.body(Body::from(answer.body)).unwrap()
                        }
                    },
                );
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        FakeRest {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().unwrap().calls.clone()
    }

    pub fn clear_calls(&self) {
        self.shared.lock().unwrap().calls.clear();
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.shared.lock().unwrap().state)
    }
}

impl<S> Drop for FakeRest<S> {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
