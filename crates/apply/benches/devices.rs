//! Benchmarks of devices as code (issue 7), against the simulator over HTTP.
//!
//! **plan**: 100,000 devices in two CSVs of 50,000 rows with real-sized hardware hashes (4,000
//! base64 characters), all registered with the same tags, at 20 ms latency on every response.
//! The floor is the plain reader (`benches/support/plain_reader.rs`): sign-in and the 100 pages
//! of 1,000 registered devices one after another (each page carries the link to the next),
//! bodies read but not decoded, measured in the same run. Measured: the read `hangar plan` does
//! for this configuration plus `hangar_plan::plan`, against that floor; the configuration is
//! loaded once beforehand (its time is reported apart). Checks: ≤ 1.3 × the floor, only the
//! list pages requested, and an empty plan that keeps nothing per device.
//!
//! **apply**: 10,000 group tag changes (`updateDeviceProperties`) with the simulator enforcing
//! Graph's documented Intune budgets (100 writes per 20 s per app) on a clock 20× faster than
//! real time. The floor is the budget's, as a sliding window lets it be spent: the last of 100
//! windows of 100 writes opens 99 × 20 = 1,980 simulated seconds after the first (99.0 s real;
//! until issue 15 the floor was writes ÷ rate, 2,000 simulated seconds). Checks: ≤ 1.15 × the
//! floor, zero 429 answers, every device changed.
//!
//! Run: `cargo bench -p hangar-apply --bench devices` (`HANGAR_BENCH_ONLY=plan` or `apply` for
//! one). The generated CSVs (≈ 400 MB) are kept in `$CARGO_TARGET_DIR/hangar-devices-bench`.
//! Exits 1 when a check fails.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../benches/support/plain_reader.rs"]
mod plain_reader;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hangar_apply::{GraphTenant, Options};
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{ClientOptions, Credential, GraphClient, ReadScope, read_live_state};
use hangar_model::{Cloud, Kind};
use hangar_sim::{DeviceSeed, Sim, SimConfig};

const TENANT_ID: &str = "7c1d9e42-3a5b-4f60-8e2d-1b9a6c4f0d37";
const DEVICES: usize = 100_000;
const PER_CSV: usize = 50_000;
const HASH_CHARS: usize = 4_000;
const LATENCY: Duration = Duration::from_millis(20);
const TAG_CHANGES: usize = 10_000;
const APPLY_SCALE: f64 = 20.0;
const RUNS: usize = 3;

fn serial(i: usize) -> String {
    format!("BN{i:08}")
}

fn tag(i: usize) -> String {
    format!("Tag{:03}", i % 200)
}

/// A base64 hash of `HASH_CHARS` characters (content does not matter, size does).
fn hash_line(i: usize, out: &mut Vec<u8>) {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..HASH_CHARS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(ALPHABET[(x % 64) as usize]);
    }
}

/// The configuration of the plan benchmark, written once.
fn plan_configuration() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("hangar-devices-bench");
    let done = base.join(".complete");
    if done.exists() {
        return base;
    }
    std::fs::create_dir_all(base.join("devices")).unwrap();
    std::fs::write(
        base.join("tenant.yaml"),
        format!("kind: Tenant\nname: bench\ncloud: commercial\ntenantId: {TENANT_ID}\n"),
    )
    .unwrap();
    let mut lists = String::new();
    for part in 0..DEVICES / PER_CSV {
        lists.push_str(&format!(
            "---\nkind: AutopilotDevices\nname: fleet-{part}\nsource: devices/fleet-{part}.csv\n"
        ));
        let file = std::fs::File::create(base.join(format!("devices/fleet-{part}.csv"))).unwrap();
        let mut out = std::io::BufWriter::new(file);
        out.write_all(b"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n")
            .unwrap();
        let mut line = Vec::with_capacity(HASH_CHARS + 64);
        for i in part * PER_CSV..(part + 1) * PER_CSV {
            line.clear();
            line.extend_from_slice(serial(i).as_bytes());
            line.extend_from_slice(b",,");
            hash_line(i, &mut line);
            line.push(b',');
            line.extend_from_slice(tag(i).as_bytes());
            line.extend_from_slice(b",\r\n");
            out.write_all(&line).unwrap();
        }
        out.flush().unwrap();
    }
    std::fs::write(base.join("devices.yaml"), lists).unwrap();
    std::fs::write(&done, "").unwrap();
    base
}

fn load(dir: &Path) -> hangar_config::DesiredState {
    let loaded = hangar_config::load(dir).unwrap();
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .take(5)
        .collect();
    loaded
        .state
        .unwrap_or_else(|| panic!("the generated configuration is invalid: {errors:#?}"))
}

fn new_client(sim: &Sim, scale: Option<f64>) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(sim.url());
    options.rate_limit = match scale {
        Some(scale) => RateLimitConfig::scaled(scale),
        None => RateLimitConfig::disabled(),
    };
    let credential = Credential::ClientSecret {
        tenant_id: sim.tenant_id(),
        client_id: "devices-bench".into(),
        secret: "s".into(),
    };
    GraphClient::new(options, credential).unwrap()
}

/// The read scope `hangar plan` uses for a configuration of devices only.
fn scope() -> ReadScope {
    ReadScope::named([Kind::AutopilotDevice], Vec::<String>::new())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn plan_benchmark(runtime: &tokio::runtime::Runtime) -> bool {
    let generated = Instant::now();
    let dir = plan_configuration();
    let generated = generated.elapsed();
    let loading = Instant::now();
    let desired = load(&dir);
    let loading = loading.elapsed();
    assert_eq!(desired.devices.len(), DEVICES);
    let config = SimConfig::default()
        .tenant_id(TENANT_ID)
        .latency(LATENCY, Duration::ZERO);
    let sim = Sim::start_background(config).unwrap();
    sim.add_devices((0..DEVICES).map(|i| DeviceSeed::new(serial(i), tag(i))));
    let rss_before = peak_rss_mb();
    runtime.block_on(async {
        let mut floor = Duration::MAX;
        let mut planned = Duration::MAX;
        let mut read_only = Duration::MAX;
        let mut requests = 0;
        let mut plan_json = 0;
        let mut plan_cpu = Duration::MAX;
        let mut ok = true;
        let endpoint = hangar_graph::Endpoint::with_override(hangar_model::Cloud::Commercial, &sim.url(), false).unwrap();
        let first = hangar_graph::resources::devices::list(&endpoint).unwrap().url;
        for _ in 0..RUNS {
            // The floor: the plain reader (sign-in and every page, read but not decoded).
            let plain = plain_reader::read(&sim.url(), TENANT_ID, first.as_str()).await;
            assert_eq!(plain.pages, DEVICES / 1000);
            floor = floor.min(plain.wall);

            // What `hangar plan` does after loading: read its scope, then plan.
            let client = new_client(&sim, None);
            sim.clear_request_log();
            let started = Instant::now();
            let live = read_live_state(&client, &scope()).await.unwrap();
            let read = started.elapsed();
            let cpu = Instant::now();
            let plan = hangar_plan::plan(&desired, &live).unwrap();
            plan_cpu = plan_cpu.min(cpu.elapsed());
            planned = planned.min(started.elapsed());
            read_only = read_only.min(read);
            let log = sim.request_log();
            requests = log.len();
            let pages = log
                .iter()
                .filter(|r| r.method == "GET" && r.path.contains("windowsAutopilotDeviceIdentities"))
                .count();
            let sign_in = log.iter().filter(|r| r.path.contains("/oauth2/")).count();
            if pages + sign_in != requests || pages != DEVICES / 1000 {
                println!("FAIL: {requests} requests, {pages} device pages, {sign_in} sign-ins");
                ok = false;
            }
            if plan.has_changes() || !plan.impact.changes.is_empty() || !plan.read.device_fingerprints.is_empty() {
                println!("FAIL: the plan of unchanged devices is not empty");
                ok = false;
            }
            plan_json = serde_json::to_vec(&plan).unwrap().len();
        }
        let ratio = planned.as_secs_f64() / floor.as_secs_f64();
        println!("plan: {DEVICES} devices in 2 CSVs ({HASH_CHARS}-character hashes), all registered and unchanged; latency {LATENCY:?}; best of {RUNS}");
        println!("  CSVs generated            {:.1} s (first run only)", generated.as_secs_f64());
        println!("  load + validate (once)    {:.2} s", loading.as_secs_f64());
        println!("  floor: plain reader       {:.2} s (load {:.1})", floor.as_secs_f64(), plain_reader::load_average());
        println!("  read for the plan         {:.2} s", read_only.as_secs_f64());
        println!("  plan() CPU                {:.2} s", plan_cpu.as_secs_f64());
        println!("  read + plan               {:.2} s = {ratio:.3} × the floor", planned.as_secs_f64());
        println!("  requests                  {requests} (sign-in + {} pages)", DEVICES / 1000);
        println!("  plan JSON                 {plan_json} bytes");
        if let (Some(before), Some(after)) = (rss_before, peak_rss_mb()) {
            println!("  peak RSS (whole process)  {before:.0} MB before reading, {after:.0} MB after (simulator included)");
        }
        if ratio > 1.3 {
            println!("FAIL: read + plan above 1.3 × the floor");
            ok = false;
        }
        ok
    })
}

fn apply_benchmark(runtime: &tokio::runtime::Runtime) -> bool {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("devices")).unwrap();
    std::fs::write(
        dir.path().join("tenant.yaml"),
        format!("kind: Tenant\nname: bench\ncloud: commercial\ntenantId: {TENANT_ID}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("devices.yaml"),
        "kind: AutopilotDevices\nname: fleet\nsource: devices/fleet.csv\n",
    )
    .unwrap();
    let mut csv =
        String::from("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n");
    for i in 0..TAG_CHANGES {
        csv.push_str(&format!("{},,QUJDRA==,New{:02},\r\n", serial(i), i % 50));
    }
    std::fs::write(dir.path().join("devices/fleet.csv"), csv).unwrap();
    let desired = load(dir.path());
    let config = SimConfig::default()
        .tenant_id(TENANT_ID)
        .throttling(true)
        .clock_scale(APPLY_SCALE)
        .latency(LATENCY, Duration::ZERO);
    let sim = Sim::start_background(config).unwrap();
    sim.add_devices((0..TAG_CHANGES).map(|i| DeviceSeed::new(serial(i), "Old")));
    let client = new_client(&sim, Some(APPLY_SCALE));
    runtime.block_on(async {
        let live = read_live_state(&client, &scope()).await.unwrap();
        let plan = hangar_plan::plan(&desired, &live).unwrap();
        assert_eq!(plan.summary.devices.update, TAG_CHANGES);
        // A full window of the budget, so the run starts from an idle budget as a real one would.
        tokio::time::sleep(Duration::from_secs_f64(20.0 * 1.05 / APPLY_SCALE)).await;
        sim.clear_request_log();
        let tenant = GraphTenant::new(client.clone());
        let options = Options::scaled(APPLY_SCALE);
        let started = Instant::now();
        let report = hangar_apply::apply(&plan, &tenant, Some(&live), &options, &()).await;
        let wall = started.elapsed();
        let log = sim.request_log();
        let throttled = log.iter().filter(|r| r.status == 429).count();
        let writes = log.iter().filter(|r| r.method == "POST" && r.path.ends_with("updateDeviceProperties")).count();
        // The last window of 100 writes opens ⌈n/100⌉ − 1 windows of 20 s after the first.
        let floor_sim = ((TAG_CHANGES as f64 / 100.0).ceil() - 1.0) * 20.0;
        let floor = Duration::from_secs_f64(floor_sim / APPLY_SCALE);
        let rate_floor = TAG_CHANGES as f64 / (100.0 / 20.0) / APPLY_SCALE;
        let ratio = wall.as_secs_f64() / floor.as_secs_f64();
        let changed = sim
            .state()
            .devices
            .values()
            .filter(|d| d.group_tag.starts_with("New"))
            .count();
        println!("apply: {TAG_CHANGES} group tag changes; Intune budgets on, clock ×{APPLY_SCALE}, latency {LATENCY:?}");
        println!("  updateDeviceProperties    {writes}");
        println!("  sliding-window floor      {:.1} s real ({floor_sim:.0} s simulated: the last window of 100 writes opens)", floor.as_secs_f64());
        println!("  writes ÷ rate             {rate_floor:.1} s real (the floor before issue 15: {:.3} ×)", wall.as_secs_f64() / rate_floor);
        println!("  apply wall time           {:.1} s = {ratio:.3} × the sliding-window floor (load {:.1})", wall.as_secs_f64(), plain_reader::load_average());
        println!("  429 answers               {throttled}");
        println!("  devices changed           {changed} of {TAG_CHANGES}");
        let mut ok = true;
        if ratio > 1.15 {
            println!("FAIL: wall time above 1.15 × the floor");
            ok = false;
        }
        if throttled > 0 {
            println!("FAIL: {throttled} answers were 429");
            ok = false;
        }
        if !report.succeeded() || changed != TAG_CHANGES {
            println!("FAIL: not every device changed");
            ok = false;
        }
        ok
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let only = std::env::var("HANGAR_BENCH_ONLY").unwrap_or_default();
    let mut ok = true;
    if only.is_empty() || only == "plan" {
        ok &= plan_benchmark(&runtime);
    }
    if only.is_empty() || only == "apply" {
        ok &= apply_benchmark(&runtime);
    }
    if !ok {
        std::process::exit(1);
    }
}
