//! End-to-end benchmark of `hangar plan`: the release binary against a simulated tenant of
//! 2,000 group-tag groups, 300 profiles, 200 ESPs and 100,000 registered devices, at 20 ms of
//! latency on every response and at none, compared in the same run with the **plain reader**
//! (`benches/support/plain_reader.rs`: sign-in and the device pages one after another, bodies
//! read but not decoded), the floor no reader of these pages can beat by more than its own
//! bookkeeping.
//!
//! Two tenants: **converged** (the configuration applied through `hangar-apply`, so the plan is
//! empty: the pull-request and nightly-drift case) and **fresh** (only the devices and the
//! built-ins: every object is a create and every device moves, the worst case for the impact).
//! Runs alternate (plain reader, then `hangar plan`) so both see the same machine load; wall
//! time and peak RSS of `hangar` come from `/usr/bin/time -v`, the load average from
//! `/proc/loadavg`. Then the fresh plan is saved with `--out` (peak RSS) and the saved file is
//! checked byte for byte against the plan rendered as a sorted `serde_json::Value`, the way it
//! was rendered before it was streamed. On the converged tenant each round also runs
//! `hangar import` of the whole tenant into a new directory (issue 11's import target), and the
//! imported configuration is then planned once against the same tenant: it must plan empty.
//!
//! `cargo bench -p hangar-autopilot --bench plan_e2e` (numbers in `docs/performance.md`). Exits 1 when a
//! plan does not end as expected or the saved plan differs. Environment:
//! - `HANGAR_BENCH_RUNS=N`: runs per scenario (default 5);
//! - `HANGAR_BENCH_LATENCIES=20,0`: latencies in ms (default both);
//! - `HANGAR_BENCH_BASELINE=PATH`: another `hangar` binary (an older build) run in the same
//!   alternation, for before/after figures under the same load;
//! - `HANGAR_BENCH_KEEP=1`: keep the configuration and the state files (for `hangar sim
//!   --state …` and a profiler);
//! - `HANGAR_BENCH_SEED=DIR`: only write the configuration (`DIR/config`) and the two tenants
//!   (`DIR/converged.json`, `DIR/fresh.json`), then stop (`scripts/compare-intunecd.sh`);
//! - `HANGAR_BENCH_DEVICES=N`: registered devices (default 100,000).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "support/plain_reader.rs"]
mod plain_reader;

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hangar_apply::{GraphTenant, Options};
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{ClientOptions, Credential, Endpoint, GraphClient, ReadScope};
use hangar_model::{Cloud, Kind};
use hangar_sim::{DeviceSeed, Sim, SimConfig};

const GROUPS: usize = 2_000;
const PROFILES: usize = 300;
const ESPS: usize = 200;
const DEVICES: usize = 100_000;
const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

fn write_config(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("tenant.yaml"),
        format!("kind: Tenant\nname: bench\ncloud: commercial\ntenantId: {TENANT_ID}\n"),
    )
    .unwrap();
    // At most 1,024 documents per file.
    for chunk in 0..GROUPS / 500 {
        let mut text = String::new();
        for i in chunk * 500..(chunk + 1) * 500 {
            let _ = write!(
                text,
                "---\nkind: DeviceGroup\nname: Autopilot-T{i}\nmembership:\n  groupTag: T{i}\n"
            );
        }
        std::fs::write(dir.join(format!("groups-{chunk}.yaml")), text).unwrap();
    }
    let mut text = String::new();
    for p in 0..PROFILES {
        let per = GROUPS / PROFILES;
        let groups: Vec<String> = (0..per).map(|k| format!("Autopilot-T{}", p * per + k)).collect();
        let _ = write!(
            text,
            "---\nkind: DeploymentProfile\nname: Autopilot P{p}\njoin: entra\nmode: user-driven\ndeviceName: P{p}-%RAND:8%\nassign:\n  include: [{}]\n",
            groups.join(", ")
        );
    }
    std::fs::write(dir.join("profiles.yaml"), text).unwrap();
    let mut text = String::new();
    for e in 0..ESPS {
        let per = GROUPS / ESPS;
        let groups: Vec<String> = (0..per).map(|k| format!("Autopilot-T{}", e * per + k)).collect();
        let _ = write!(
            text,
            "---\nkind: EnrollmentStatusPage\nname: ESP {e}\npriority: {}\nassign:\n  include: [{}]\n",
            e + 1,
            groups.join(", ")
        );
    }
    std::fs::write(dir.join("esps.yaml"), text).unwrap();
}

/// Registered devices: 100,000, or `HANGAR_BENCH_DEVICES`.
fn device_count() -> usize {
    std::env::var("HANGAR_BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEVICES)
}

fn devices() -> impl Iterator<Item = DeviceSeed> {
    (0..device_count()).map(|i| DeviceSeed::new(format!("SN{i:07}"), format!("T{}", (i * 7) % GROUPS)))
}

fn client(sim: &Sim) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(sim.url());
    options.rate_limit = RateLimitConfig::disabled();
    let credential = Credential::ClientSecret {
        tenant_id: sim.tenant_id(),
        client_id: "bench".into(),
        secret: "bench".into(),
    };
    GraphClient::new(options, credential).unwrap()
}

/// Writes the two tenants' state files.
fn seed(config_dir: &Path, converged: &Path, fresh: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (path, apply) in [(fresh, false), (converged, true)] {
        let started = Instant::now();
        let sim = Sim::start_background(SimConfig::default().tenant_id(TENANT_ID).state_file(path)).unwrap();
        sim.add_devices(devices());
        if apply {
            let loaded = hangar_config::load(config_dir).unwrap();
            let desired = loaded
                .state
                .unwrap_or_else(|| panic!("{:#?}", &loaded.diagnostics[..3.min(loaded.diagnostics.len())]));
            let client = client(&sim);
            runtime.block_on(async {
                let live = hangar_graph::read_live_state(&client, &ReadScope::everything())
                    .await
                    .unwrap();
                let plan = hangar_plan::plan(&desired, &live).unwrap();
                let report = hangar_apply::apply(
                    &plan,
                    &GraphTenant::new(client.clone()),
                    Some(&live),
                    &Options::scaled(100.0),
                    &(),
                )
                .await;
                assert!(report.succeeded(), "seeding failed");
            });
        }
        sim.save().unwrap();
        eprintln!(
            "seeded {} in {:.1} s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
}

fn with_latency(path: &Path, latency_ms: u64) -> Sim {
    Sim::start_background(
        SimConfig::default()
            .tenant_id(TENANT_ID)
            .state_file(path)
            .latency(Duration::from_millis(latency_ms), Duration::ZERO),
    )
    .unwrap()
}

/// The plain reader once (a fresh connection, sign-in included), seconds.
fn plain(runtime: &tokio::runtime::Runtime, sim: &Sim) -> f64 {
    let endpoint = Endpoint::with_override(Cloud::Commercial, &sim.url(), false).unwrap();
    let first = hangar_graph::resources::devices::list(&endpoint).unwrap().url;
    let read = runtime.block_on(plain_reader::read(&sim.url(), TENANT_ID, first.as_str()));
    assert_eq!(read.pages, device_count().div_ceil(1000), "device pages");
    read.wall.as_secs_f64()
}

/// `read_live_state` in process with the scope `hangar plan` uses for this configuration
/// (groups by name), seconds.
fn hangar_read(runtime: &tokio::runtime::Runtime, sim: &Sim, scope: &ReadScope) -> f64 {
    let client = client(sim);
    let started = Instant::now();
    let live = runtime
        .block_on(hangar_graph::read_live_state(&client, scope))
        .unwrap();
    assert_eq!(live.devices.len(), device_count());
    started.elapsed().as_secs_f64()
}

struct Run {
    wall: f64,
    rss_mb: f64,
    code: i32,
    read_ms: String,
    plan_ms: String,
    load: f64,
}

/// `hangar -v plan CONFIG --endpoint URL --detailed-exitcode EXTRA…` under `/usr/bin/time -v`,
/// stdout to `/dev/null`.
fn plan_once(binary: &Path, config_dir: &Path, sim: &Sim, extra: &[&str]) -> Run {
    let url = sim.url();
    let mut args: Vec<&OsStr> = vec![OsStr::new("plan"), config_dir.as_os_str()];
    args.extend([
        OsStr::new("--endpoint"),
        OsStr::new(&url),
        OsStr::new("--detailed-exitcode"),
    ]);
    args.extend(extra.iter().map(OsStr::new));
    hangar_once(binary, &args)
}

/// `hangar -v import OUT --cloud commercial --tenant-id ID --endpoint URL` under
/// `/usr/bin/time -v` into a new directory `OUT` (removed first).
fn import_once(binary: &Path, out: &Path, sim: &Sim) -> Run {
    let _ = std::fs::remove_dir_all(out);
    let url = sim.url();
    let args = [
        OsStr::new("import"),
        out.as_os_str(),
        OsStr::new("--cloud"),
        OsStr::new("commercial"),
        OsStr::new("--tenant-id"),
        OsStr::new(TENANT_ID),
        OsStr::new("--endpoint"),
        OsStr::new(&url),
    ];
    hangar_once(binary, &args)
}

/// `hangar -v ARGS…` under `/usr/bin/time -v`, stdout to `/dev/null`.
fn hangar_once(binary: &Path, args: &[&OsStr]) -> Run {
    let load = plain_reader::load_average();
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(binary)
        .arg("-v")
        .args(args)
        .env("AZURE_CLIENT_ID", "bench")
        .env("AZURE_CLIENT_SECRET", "bench")
        .env("NO_COLOR", "1")
        .env_remove("AZURE_TENANT_ID")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let field = |prefix: &str| {
        stderr
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    let ms_of = |message: &str| {
        stderr
            .lines()
            .find(|line| line.contains(message))
            .and_then(|line| line.split("ms=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("?")
            .to_owned()
    };
    let rss_kb: f64 = field("Maximum resident set size (kbytes):")
        .parse()
        .unwrap_or(0.0);
    // `time` reports the child's status; its own line says "Exit status: N".
    let code = field("Exit status:").parse().unwrap_or(-1);
    Run {
        wall,
        rss_mb: rss_kb / 1024.0,
        code,
        read_ms: ms_of("read the tenant"),
        plan_ms: ms_of("planned"),
        load,
    }
}

/// How plans were rendered before streaming: the whole `Value`, keys sorted, printed pretty.
fn rendered_through_value(plan: &hangar_plan::Plan) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    serde_json::to_string_pretty(&sorted(serde_json::to_value(plan).unwrap())).unwrap() + "\n"
}

fn range(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{min:.2}–{max:.2}")
}

fn main() {
    let runs: usize = std::env::var("HANGAR_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let latencies: Vec<u64> = std::env::var("HANGAR_BENCH_LATENCIES")
        .unwrap_or_else(|_| "20,0".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let mut binaries: Vec<(&str, PathBuf)> = vec![("hangar", PathBuf::from(env!("CARGO_BIN_EXE_hangar")))];
    if let Some(baseline) = std::env::var_os("HANGAR_BENCH_BASELINE") {
        binaries.push(("baseline", PathBuf::from(baseline)));
    }
    let seed_only = std::env::var_os("HANGAR_BENCH_SEED").map(PathBuf::from);
    let root = seed_only
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("hangar-plan-e2e-{}", std::process::id())));
    let config_dir = root.join("config");
    write_config(&config_dir);
    let converged = root.join("converged.json");
    let fresh = root.join("fresh.json");
    seed(&config_dir, &converged, &fresh);
    if seed_only.is_some() {
        println!(
            "wrote {} (configuration) and the tenants {} and {} ({} devices)",
            config_dir.display(),
            converged.display(),
            fresh.display(),
            device_count()
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let scope = ReadScope::named(
        [
            Kind::DeviceGroup,
            Kind::DeploymentProfile,
            Kind::EnrollmentStatusPage,
            Kind::AutopilotDevice,
        ],
        (0..GROUPS).map(|i| format!("Autopilot-T{i}")),
    );

    let mut failed = false;
    let mut summary = Vec::new();
    for (name, path, expected) in [("converged", &converged, 0), ("fresh", &fresh, 2)] {
        for &latency in &latencies {
            let sim = with_latency(path, latency);
            let _ = plain(&runtime, &sim); // warm-up
            let mut floors = Vec::new();
            let mut reads = Vec::new();
            let mut plans: Vec<Vec<Run>> = binaries.iter().map(|_| Vec::new()).collect();
            let mut imports: Vec<Run> = Vec::new();
            let imported = root.join("imported");
            for run in 0..runs {
                let load = plain_reader::load_average();
                let floor = plain(&runtime, &sim);
                let read = hangar_read(&runtime, &sim, &scope);
                println!(
                    "{name} {latency} ms run {run}: plain reader {floor:.2} s, read_live_state {read:.2} s ({:.2} ×) [load {load:.1}]",
                    read / floor
                );
                floors.push(floor);
                reads.push(read);
                for ((label, binary), results) in binaries.iter().zip(&mut plans) {
                    let result = plan_once(binary, &config_dir, &sim, &[]);
                    println!(
                        "{name} {latency} ms run {run}: {label} plan {:.2} s = {:.2} × the plain reader; read {} ms, plan {} ms; peak RSS {:.0} MB; exit {} [load {:.1}]",
                        result.wall,
                        result.wall / floor,
                        result.read_ms,
                        result.plan_ms,
                        result.rss_mb,
                        result.code,
                        result.load
                    );
                    failed |= result.code != expected;
                    results.push(result);
                }
                if name == "converged" {
                    let result = import_once(&binaries[0].1, &imported, &sim);
                    println!(
                        "{name} {latency} ms run {run}: hangar import {:.2} s = {:.2} × the plain reader; peak RSS {:.0} MB; exit {} [load {:.1}]",
                        result.wall,
                        result.wall / floor,
                        result.rss_mb,
                        result.code,
                        result.load
                    );
                    failed |= result.code != 0;
                    imports.push(result);
                }
            }
            if name == "converged" && !imports.is_empty() {
                // The imported configuration must plan empty against the tenant it came from
                // (issue 11's round trip, at this scale).
                let check = plan_once(&binaries[0].1, &imported, &sim, &[]);
                println!(
                    "converged {latency} ms: the imported configuration plans with exit {} (0 = no changes)",
                    check.code
                );
                failed |= check.code != 0;
                let walls: Vec<f64> = imports.iter().map(|r| r.wall).collect();
                let ratios: Vec<f64> = imports.iter().zip(&floors).map(|(r, f)| r.wall / f).collect();
                let rss: Vec<f64> = imports.iter().map(|r| r.rss_mb).collect();
                let loads: Vec<f64> = imports.iter().map(|r| r.load).collect();
                summary.push(format!(
                    "| {name} | {latency} ms | `hangar import` | {:.2} s ({}) | | {:.2} s ({}) | **{:.2} ×** ({}) | {} MB | {} |",
                    plain_reader::median(floors.clone()),
                    range(&floors),
                    plain_reader::median(walls.clone()),
                    range(&walls),
                    plain_reader::median(walls) / plain_reader::median(floors.clone()),
                    range(&ratios),
                    range(&rss).replace(".00", ""),
                    range(&loads),
                ));
            }
            let floor = plain_reader::median(floors.clone());
            let read = plain_reader::median(reads.clone());
            for ((label, _), results) in binaries.iter().zip(&plans) {
                let walls: Vec<f64> = results.iter().map(|r| r.wall).collect();
                let ratios: Vec<f64> = results.iter().zip(&floors).map(|(r, f)| r.wall / f).collect();
                let rss: Vec<f64> = results.iter().map(|r| r.rss_mb).collect();
                let loads: Vec<f64> = results.iter().map(|r| r.load).collect();
                summary.push(format!(
                    "| {name} | {latency} ms | {label} | {:.2} s ({}) | {:.2} s ({:.2} ×) | {:.2} s ({}) | **{:.2} ×** ({}) | {} MB | {} |",
                    floor,
                    range(&floors),
                    read,
                    read / floor,
                    plain_reader::median(walls.clone()),
                    range(&walls),
                    plain_reader::median(walls) / floor,
                    range(&ratios),
                    range(&rss).replace(".00", ""),
                    range(&loads),
                ));
            }
            if name == "fresh" && latency == latencies[0] {
                let out = root.join("fresh-plan.json");
                for (label, binary) in &binaries {
                    for extra in [vec!["--out", out.to_str().unwrap()], vec!["--format", "json"]] {
                        let result = plan_once(binary, &config_dir, &sim, &extra);
                        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
                        println!(
                            "fresh {latency} ms: {label} plan {} {:.2} s wall, peak RSS {:.0} MB (saved plan {:.1} MB), exit {} [load {:.1}]",
                            extra.join(" "),
                            result.wall,
                            result.rss_mb,
                            size as f64 / 1e6,
                            result.code,
                            result.load
                        );
                        summary.push(format!(
                            "| fresh | {latency} ms | {label} `plan {}` | | | {:.2} s | | {:.0} MB | {:.1} |",
                            extra.join(" ").replace(out.to_str().unwrap(), "FILE"),
                            result.wall,
                            result.rss_mb,
                            result.load
                        ));
                        failed |= result.code != expected;
                    }
                    let saved = std::fs::read_to_string(&out).unwrap();
                    let plan = hangar_plan::Plan::from_json(&saved).unwrap();
                    let same = rendered_through_value(&plan) == saved;
                    println!(
                        "fresh: {label}'s saved plan ({} actions, {} moved devices) is {}the plan rendered through a sorted Value",
                        plan.actions.len(),
                        plan.impact.moved,
                        if same { "byte for byte " } else { "NOT " }
                    );
                    failed |= !same;
                    let _ = std::fs::remove_file(&out);
                }
            }
        }
    }
    println!();
    println!(
        "| tenant | latency | binary | plain reader, median (range) | read_live_state in process, median | `hangar plan` wall, median (range) | × plain reader, of medians (per run) | peak RSS | load average |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for line in summary {
        println!("{line}");
    }
    if std::env::var_os("HANGAR_BENCH_KEEP").is_some() {
        println!("kept the configuration and state files in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    if failed {
        eprintln!("a plan did not exit as expected, or a saved plan differs");
        std::process::exit(1);
    }
}
