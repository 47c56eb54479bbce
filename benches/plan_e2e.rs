//! End-to-end benchmark of `hangar plan`: the release binary against a simulated tenant of
//! 2,000 group-tag groups, 300 profiles, 200 ESPs and 100,000 registered devices, with 20 ms
//! of latency on every response, compared with the read floor (sign-in and the device pages,
//! which must be read one after another).
//!
//! Two tenants: **converged** (the configuration applied through `hangar-apply`, so the plan is
//! empty: the pull-request and nightly-drift case) and **fresh** (only the devices and the
//! built-ins: every object is a create and every device moves, the worst case for the impact).
//! Each is planned three times; wall time and peak RSS come from `/usr/bin/time -v`.
//!
//! `cargo bench -p hangar-autopilot --bench plan_e2e` (numbers in `docs/performance.md`). Exits 1 when a
//! plan does not end as expected. `HANGAR_BENCH_KEEP=1` keeps the configuration and the state
//! files (for `hangar sim --state …` and a profiler).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hangar_apply::{GraphTenant, Options};
use hangar_graph::live::GroupScope;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{ClientOptions, Credential, GraphClient, ReadScope};
use hangar_model::{Cloud, Kind};
use hangar_sim::{DeviceSeed, Sim, SimConfig};

const GROUPS: usize = 2_000;
const PROFILES: usize = 300;
const ESPS: usize = 200;
const DEVICES: usize = 100_000;
const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";
const LATENCY: Duration = Duration::from_millis(20);
const RUNS: usize = 3;

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

fn devices() -> impl Iterator<Item = DeviceSeed> {
    (0..DEVICES).map(|i| DeviceSeed::new(format!("SN{i:07}"), format!("T{}", (i * 7) % GROUPS)))
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

fn with_latency(path: &Path) -> Sim {
    Sim::start_background(
        SimConfig::default()
            .tenant_id(TENANT_ID)
            .state_file(path)
            .latency(LATENCY, Duration::ZERO),
    )
    .unwrap()
}

/// Best of three: sign-in plus every device page, nothing else.
fn floor(sim: &Sim) -> f64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scope = ReadScope::named([Kind::AutopilotDevice], []);
    (0..RUNS)
        .map(|_| {
            let client = client(sim);
            let started = Instant::now();
            let live = runtime
                .block_on(hangar_graph::read_live_state(&client, &scope))
                .unwrap();
            assert_eq!(live.devices.len(), DEVICES);
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Best of three: what `hangar plan` reads for this configuration (groups by name), and the
/// same with every group paged instead.
fn reads(sim: &Sim) -> (f64, f64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let kinds = [
        Kind::DeviceGroup,
        Kind::DeploymentProfile,
        Kind::EnrollmentStatusPage,
        Kind::AutopilotDevice,
    ];
    let named = ReadScope::named(kinds, (0..GROUPS).map(|i| format!("Autopilot-T{i}")));
    let all = ReadScope {
        groups: GroupScope::All,
        ..ReadScope::named(kinds, [])
    };
    let best = |scope: &ReadScope| {
        (0..RUNS)
            .map(|_| {
                let client = client(sim);
                let started = Instant::now();
                runtime
                    .block_on(hangar_graph::read_live_state(&client, scope))
                    .unwrap();
                started.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    (best(&named), best(&all))
}

struct Run {
    wall: f64,
    rss_mb: f64,
    code: i32,
    read_ms: String,
    plan_ms: String,
}

fn plan_once(config_dir: &Path, sim: &Sim) -> Run {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_hangar"))
        .args(["-v", "plan"])
        .arg(config_dir)
        .args(["--endpoint", &sim.url(), "--detailed-exitcode"])
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
    }
}

fn main() {
    let root = std::env::temp_dir().join(format!("hangar-plan-e2e-{}", std::process::id()));
    let config_dir = root.join("config");
    write_config(&config_dir);
    let converged = root.join("converged.json");
    let fresh = root.join("fresh.json");
    seed(&config_dir, &converged, &fresh);

    let mut failed = false;
    for (name, path, expected) in [("converged", &converged, 0), ("fresh", &fresh, 2)] {
        let sim = with_latency(path);
        let floor = floor(&sim);
        println!(
            "{name}: read floor (sign-in + {} device pages) {floor:.2} s",
            DEVICES / 1000
        );
        let (named, all) = reads(&sim);
        println!(
            "{name}: read_live_state alone: groups by name {named:.2} s ({:.2} ×), all groups paged {all:.2} s ({:.2} ×)",
            named / floor,
            all / floor
        );
        for run in 0..RUNS {
            let result = plan_once(&config_dir, &sim);
            println!(
                "{name} run {run}: hangar plan {:.2} s wall = {:.2} × the floor; read {} ms, plan {} ms; peak RSS {:.0} MB; exit {}",
                result.wall,
                result.wall / floor,
                result.read_ms,
                result.plan_ms,
                result.rss_mb,
                result.code
            );
            failed |= result.code != expected;
        }
    }
    if std::env::var_os("HANGAR_BENCH_KEEP").is_some() {
        println!("kept the configuration and state files in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    if failed {
        eprintln!("a plan did not exit as expected");
        std::process::exit(1);
    }
}
