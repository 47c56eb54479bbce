//! The plain reader: the floor that hangar's reads are measured against (`docs/performance.md`).
//!
//! It signs in, then GETs the registered-device pages one after another (the same URL hangar
//! reads, `$select` included), reads each body to its last byte and finds `@odata.nextLink` in
//! it, and decodes nothing. No retry, rate limiter, token cache, logging or decoding: what the
//! wire and the simulator cost, none of hangar's own work. Pages can only be read one after
//! another (each holds the link to the next), so no reader of the same pages can be faster by
//! more than its own bookkeeping.
//!
//! Shared by `benches/plan_e2e.rs`, `crates/graph/benches/read_live_state.rs` and
//! `crates/apply/benches/devices.rs` through `#[path]`, so all measure the same floor.
// Each benchmark uses part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One read of every device page.
pub struct PlainRead {
    /// Sign-in to the last byte of the last page.
    pub wall: Duration,
    /// Pages read.
    pub pages: usize,
    /// Bytes of page bodies read.
    pub bytes: usize,
}

/// Reads from the simulator at `base` (tenant `tenant`), starting at `first`, on a task of its
/// own: on a runtime worker, as hangar's reads run (a future polled by `block_on` itself is
/// woken from the workers' IO driver across threads, which slowed every page in this setup).
pub async fn read(base: &str, tenant: &str, first: &str) -> PlainRead {
    let (base, tenant, first) = (base.to_owned(), tenant.to_owned(), first.to_owned());
    tokio::spawn(async move { read_here(&base, &tenant, &first).await })
        .await
        .expect("the plain reader")
}

async fn read_here(base: &str, tenant: &str, first: &str) -> PlainRead {
    // A new client each time: a fresh connection, as a new `hangar` process has.
    let http = reqwest::Client::new();
    let started = Instant::now();
    let token: serde_json::Value = http
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "bench"),
            ("client_secret", "bench"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("sign-in")
        .error_for_status()
        .expect("sign-in status")
        .json()
        .await
        .expect("token body");
    let token = token["access_token"].as_str().expect("access_token").to_owned();
    let mut url = first.to_owned();
    let (mut pages, mut bytes) = (0, 0);
    loop {
        let body = http
            .get(&url)
            .bearer_auth(&token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("page")
            .error_for_status()
            .expect("page status")
            .bytes()
            .await
            .expect("page body");
        pages += 1;
        bytes += body.len();
        match next_link(&body) {
            Some(next) => url = next,
            None => break,
        }
    }
    PlainRead {
        wall: started.elapsed(),
        pages,
        bytes,
    }
}

/// The first `"@odata.nextLink":"…"` in the body, unescaped as the simulator writes it (its
/// links hold no character JSON escapes).
fn next_link(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"@odata.nextLink\":\"";
    let start = body.windows(KEY.len()).position(|window| window == KEY)? + KEY.len();
    let end = start + body[start..].iter().position(|&b| b == b'"')?;
    Some(String::from_utf8_lossy(&body[start..end]).into_owned())
}

/// The 1-minute load average (`/proc/loadavg`), to record beside each figure.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The median of some durations (seconds).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
