#![allow(dead_code)]
//! A minimal loopback HTTP/1.1 server for tests that need answers the simulator does not give on
//! purpose (a foreign `@odata.nextLink`, a GitHub OIDC endpoint). One request per connection.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: std::time::Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to answer.
pub enum Reply {
    Json(u16, String),
    /// Status, extra headers, body.
    Full(u16, Vec<(String, String)>, String),
    Drop,
}

pub struct RawServer {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl RawServer {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let (head_end, content_length) = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..pos]).to_string();
                            let length = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            break (pos + 4, length);
                        }
                    };
                    while buf.len() < head_end + content_length {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.lines();
                    let first = lines.next().unwrap_or_default().to_owned();
                    let mut parts = first.split(' ');
                    let seen = Seen {
                        method: parts.next().unwrap_or_default().to_owned(),
                        target: parts.next().unwrap_or_default().to_owned(),
                        headers: lines
                            .filter_map(|l| {
                                l.split_once(':')
                                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                            })
                            .collect(),
                        body: String::from_utf8_lossy(&buf[head_end..]).to_string(),
                        at: std::time::Instant::now(),
                    };
                    let reply = handler(&seen);
                    log.lock().unwrap().push(seen);
                    match reply {
                        Reply::Drop => drop(socket),
                        reply @ (Reply::Json(..) | Reply::Full(..)) => {
                            let (status, extra, body) = match reply {
                                Reply::Json(status, body) => (status, Vec::new(), body),
                                Reply::Full(status, extra, body) => (status, extra, body),
                                Reply::Drop => unreachable!(),
                            };
                            let extra: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
                            let text = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = socket.write_all(text.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                    }
                });
            }
        });
        RawServer { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
