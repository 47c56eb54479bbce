//! Scale benchmark: a tenant with 100,000 Autopilot devices and 5,000 groups; a local client
//! lists every device by following `@odata.nextLink` (Graph's Intune page size, 1,000), and
//! every group (directory page size, `$top=999`). Latency off. Target: all devices in < 2 s.
//!
//! Run: `cargo bench -p hangar-sim --bench paging` (prints one line per measurement; the
//! numbers in `docs/performance.md` come from it).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use hangar_sim::{DeviceSeed, GroupMembership, Sim, SimConfig};
use serde::Deserialize;

/// What a client keeps of each item: it deserialises into its own types, as `hangar-graph` does.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Item {
    id: String,
    #[serde(rename = "serialNumber", default)]
    serial_number: Option<String>,
    #[serde(rename = "groupTag", default)]
    group_tag: Option<String>,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    value: Vec<Item>,
}

const DEVICES: usize = 100_000;
const GROUPS: usize = 5_000;
const RUNS: usize = 5;

async fn list_all(http: &reqwest::Client, token: &str, first: String) -> (usize, usize) {
    let (mut items, mut pages) = (0, 0);
    let mut next = Some(first);
    while let Some(url) = next {
        let bytes = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: Page = serde_json::from_slice(&bytes).unwrap();
        items += page.value.len();
        next = page.next_link;
        pages += 1;
    }
    (items, pages)
}

fn summary(label: &str, mut times: Vec<Duration>, items: usize, pages: usize) {
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{label}: {items} items in {pages} pages: min {:.3} s, median {:.3} s, max {:.3} s ({RUNS} runs)",
        times[0].as_secs_f64(),
        median.as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    );
}

fn main() {
    let seeded = Instant::now();
    let sim = Sim::start_background(SimConfig::default()).unwrap();
    sim.with_state(|state| {
        state.add_devices((0..DEVICES).map(|i| {
            let mut seed = DeviceSeed::new(format!("SN{i:08}"), format!("Tag{}", i % 50));
            seed.user_principal_name = format!("user{}@contoso.example", i % 5000);
            seed
        }));
        for i in 0..GROUPS {
            state.add_group(&format!("Autopilot group {i:05}"), GroupMembership::Assigned);
        }
    });
    println!(
        "seeded {DEVICES} devices and {GROUPS} groups in {:.3} s",
        seeded.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let token = sim.issue_token("bench");
    let devices_url = format!(
        "{}/beta/deviceManagement/windowsAutopilotDeviceIdentities",
        sim.url()
    );
    let groups_url = format!("{}/v1.0/groups?$top=999", sim.url());
    runtime.block_on(async {
        for (label, url) in [
            ("devices (beta, 1000/page)", &devices_url),
            ("groups (v1.0, $top=999)", &groups_url),
        ] {
            let mut times = Vec::new();
            let mut shape = (0, 0);
            for _ in 0..RUNS {
                let started = Instant::now();
                shape = list_all(&http, &token, url.clone()).await;
                times.push(started.elapsed());
            }
            summary(label, times, shape.0, shape.1);
        }
    });
}
