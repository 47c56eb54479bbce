//! Benchmark: read 100,000 Autopilot devices, 1,000 groups and 300 profiles with their
//! assignments from the simulator at 20 ms latency per response.
//!
//! Checks (the process exits 1 when one fails):
//! - requests = sign-in + pages + batches, nothing else (from the simulator's request log);
//! - the whole read takes at most 1.3× the **plain reader** (`benches/support/plain_reader.rs`:
//!   sign-in plus the device pages one after another, bodies read but not decoded), measured in
//!   the same run, alternating with the reads, on the same tenant.
//!
//! Run: `cargo bench -p hangar-graph --bench read_live_state`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../benches/support/plain_reader.rs"]
mod plain_reader;

use std::time::{Duration, Instant};

use hangar_graph::live::{GroupScope, ReadScope};
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{ClientOptions, Credential, Endpoint, GraphClient, read_live_state};
use hangar_model::{Cloud, Kind};
use hangar_sim::{DeviceSeed, GroupMembership, Sim, SimConfig};
use serde_json::json;

const DEVICES: usize = 100_000;
const GROUPS: usize = 1_000;
const PROFILES: usize = 300;
const LATENCY: Duration = Duration::from_millis(20);

fn client(sim: &Sim) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(sim.url());
    options.rate_limit = RateLimitConfig::default();
    let credential = Credential::ClientSecret {
        tenant_id: sim.tenant_id(),
        client_id: "bench".into(),
        secret: "s".into(),
    };
    GraphClient::new(options, credential).unwrap()
}

struct Run {
    wall: Duration,
    /// Time the simulator spent answering the device pages (latency included).
    device_server_time: Duration,
    requests: usize,
    by_kind: Vec<(&'static str, usize)>,
}

async fn run(sim: &Sim, scope: &ReadScope) -> Run {
    sim.clear_request_log();
    let client = client(sim);
    let started = Instant::now();
    let state = read_live_state(&client, scope).await.unwrap();
    let wall = started.elapsed();
    std::hint::black_box(&state);
    let log = sim.request_log();
    let outer: Vec<_> = log.iter().filter(|r| r.batch_item.is_none()).collect();
    let count = |f: &dyn Fn(&str) -> bool| outer.iter().filter(|r| f(&r.path)).count();
    let device_server_time = outer
        .iter()
        .filter(|r| r.path.contains("windowsAutopilotDeviceIdentities"))
        .map(|r| Duration::from_micros(r.duration_micros))
        .sum();
    Run {
        wall,
        device_server_time,
        requests: outer.len(),
        by_kind: vec![
            ("sign-in", count(&|p| p.contains("/oauth2/"))),
            (
                "device pages",
                count(&|p| p.contains("windowsAutopilotDeviceIdentities")),
            ),
            ("group pages", count(&|p| p.starts_with("/v1.0/groups"))),
            (
                "profile pages",
                count(&|p| p.contains("windowsAutopilotDeploymentProfiles")),
            ),
            ("batches", count(&|p| p.ends_with("$batch"))),
        ],
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sim = Sim::start(SimConfig::default().latency(LATENCY, Duration::ZERO)).await.unwrap();
        let seeding = Instant::now();
        let names: Vec<String> = (0..GROUPS).map(|i| format!("Autopilot group {i:04}")).collect();
        sim.with_state(|state| {
            let ids: Vec<String> = names.iter().map(|n| state.add_group(n, GroupMembership::Assigned)).collect();
            for (i, group_id) in ids.iter().take(PROFILES).enumerate() {
                let id = state.add_profile(&format!("Profile {i:03}"), json!({"deviceNameTemplate": "AP-%SERIAL%"}));
                let assignment_id = state.new_guid();
                let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id});
                if let Some(profile) = state.deployment_profiles.get_mut(&id) {
                    profile.assignments.push(hangar_sim::Assignment { id: assignment_id, target });
                }
            }
            state.add_devices((0..DEVICES).map(|i| DeviceSeed::new(format!("SN{i:07}"), format!("Tag{}", i % 50))));
        });
        println!("seeded {DEVICES} devices, {GROUPS} groups, {PROFILES} profiles in {:?}", seeding.elapsed());

        let chain_scope = ReadScope::named([Kind::AutopilotDevice], []);
        let all_scope = ReadScope {
            groups: GroupScope::All,
            ..ReadScope::named([Kind::AutopilotDevice, Kind::DeviceGroup, Kind::DeploymentProfile], [])
        };
        let named_scope = ReadScope::named([Kind::AutopilotDevice, Kind::DeviceGroup, Kind::DeploymentProfile], names.clone());

        // Warm-up (connection pool, allocator), then three rounds of every read, alternating
        // so that each sees the same machine load; the best of each is kept.
        let _ = run(&sim, &chain_scope).await;
        let endpoint = Endpoint::with_override(Cloud::Commercial, &sim.url(), false).unwrap();
        let first = hangar_graph::resources::devices::list(&endpoint).unwrap().url;
        let (mut plains, mut chains, mut alls, mut nameds) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            let load = plain_reader::load_average();
            let plain = plain_reader::read(&sim.url(), &sim.tenant_id(), first.as_str()).await;
            assert_eq!(plain.pages, DEVICES.div_ceil(1000));
            println!("plain reader {:.3} s ({} pages, {:.1} MB) [load {load:.1}]", plain.wall.as_secs_f64(), plain.pages, plain.bytes as f64 / 1e6);
            plains.push(plain.wall);
            chains.push(run(&sim, &chain_scope).await);
            alls.push(run(&sim, &all_scope).await);
            nameds.push(run(&sim, &named_scope).await);
        }
        let best = |runs: Vec<Run>| runs.into_iter().min_by_key(|r| r.wall).unwrap();
        let plain = plains.into_iter().min().unwrap();
        let (chain, all, named) = (best(chains), best(alls), best(nameds));

        let device_pages = DEVICES.div_ceil(1000);
        let expected_all = 1 + device_pages + GROUPS.div_ceil(999) + 1 + PROFILES.div_ceil(20);
        // Names go 15 to an `in` filter, 20 filters to a `$batch`.
        let expected_named = 1 + device_pages + GROUPS.div_ceil(15).div_ceil(20) + 1 + PROFILES.div_ceil(20);
        let floor = LATENCY * (1 + device_pages as u32);
        let mut failed = false;
        println!("{:<26} wall {:>7.3} s", "plain reader (the floor)", plain.as_secs_f64());
        for (label, run, expected) in [("devices only", &chain, 1 + device_pages), ("all groups", &all, expected_all), ("groups by name", &named, expected_named)] {
            println!(
                "{label:<26} wall {:>7.3} s  (server time on device pages {:.3} s)  requests {:>4} (expected {expected})  {:?}",
                run.wall.as_secs_f64(),
                run.device_server_time.as_secs_f64(),
                run.requests,
                run.by_kind
            );
            if run.requests != expected {
                println!("  FAIL: {} requests, expected {expected}", run.requests);
                failed = true;
            }
        }
        println!("latency alone: {:.3} s ({} sequential responses × {:?})", floor.as_secs_f64(), 1 + device_pages, LATENCY);
        for (label, run) in [("devices only", &chain), ("all groups", &all), ("groups by name", &named)] {
            let ratio = run.wall.as_secs_f64() / plain.as_secs_f64();
            println!("{label}: {ratio:.2}× the plain reader");
            if ratio > 1.3 {
                println!("  FAIL: more than 1.3× the plain reader");
                failed = true;
            }
        }
        sim.shutdown().await;
        if failed {
            std::process::exit(1);
        }
    });
}
