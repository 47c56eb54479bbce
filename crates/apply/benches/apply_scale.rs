//! Benchmark: apply a plan that creates 2,000 groups, 300 deployment profiles and their 300
//! assignments, against the simulator enforcing Graph's documented budgets on a clock 10× faster
//! than real time, with 20 ms latency on every response.
//!
//! The floor is the budget's, as a sliding window lets it be spent: 600 Intune writes (300
//! profiles + 300 assignments) at 100 writes per 20 s can all be sent once the last of six
//! windows opens, 5 × 20 = 100 simulated seconds after the first (10.0 s real). (Dividing the
//! writes by the rate, 120 simulated seconds, was the floor until issue 15; it flattered apply by
//! 20 %.) The 2,000 group creates draw on the directory budget (3,000 writes per 150 s), which
//! they do not exhaust, so they are free if they run beside the Intune writes instead of before
//! them.
//!
//! Checks (the process exits 1 when one fails):
//! - wall time of `apply` ≤ 1.15 × the sliding-window floor;
//! - zero 429 answers in the simulator's log;
//! - every action done, and the next plan empty.
//!
//! Run: `cargo bench -p hangar-apply --bench apply_scale`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use hangar_apply::{GraphTenant, Options};
use hangar_graph::live::ReadScope;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::{ClientOptions, Credential, GraphClient, read_live_state};
use hangar_model::Cloud;
use hangar_sim::{Sim, SimConfig};

const GROUPS: usize = 2_000;
const PROFILES: usize = 300;
const CLOCK_SCALE: f64 = 10.0;
const LATENCY: Duration = Duration::from_millis(20);
const TENANT_ID: &str = "5b0c2e7a-9d41-4f36-8a1e-3c6b7d2f9e08";

/// Writes the configuration, 500 documents per file (a file holds at most 1,024).
fn configuration(dir: &std::path::Path) {
    let mut documents = vec![format!(
        "kind: Tenant\nname: bench\ncloud: commercial\ntenantId: {TENANT_ID}\n"
    )];
    for i in 0..GROUPS {
        documents.push(format!(
            "kind: DeviceGroup\nname: Bench-Group-{i:04}\nmembership:\n  groupTag: Tag{i:04}\n"
        ));
    }
    for j in 0..PROFILES {
        documents.push(format!(
            "kind: DeploymentProfile\nname: Bench Profile {j:03}\njoin: entra\nmode: user-driven\ndeviceName: B{j:03}-%RAND:6%\nlocale: en-US\nassign:\n  include: [Bench-Group-{:04}]\n",
            j * (GROUPS / PROFILES)
        ));
    }
    for (n, chunk) in documents.chunks(500).enumerate() {
        std::fs::write(dir.join(format!("bench-{n}.yaml")), chunk.join("---\n")).unwrap();
    }
}

fn client(sim: &Sim) -> GraphClient {
    let mut options = ClientOptions::new(Cloud::Commercial).with_endpoint(sim.url());
    options.rate_limit = RateLimitConfig::scaled(CLOCK_SCALE);
    let credential = Credential::ClientSecret {
        tenant_id: sim.tenant_id(),
        client_id: "bench".into(),
        secret: "s".into(),
    };
    GraphClient::new(options, credential).unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    configuration(dir.path());
    let loaded = hangar_config::load(dir.path()).unwrap();
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .take(5)
        .collect();
    let desired = loaded
        .state
        .unwrap_or_else(|| panic!("the generated configuration is invalid: {errors:#?}"));
    let mut ok = true;
    for replication in [Duration::ZERO, Duration::from_secs(10)] {
        ok &= scenario(&runtime, &desired, replication);
    }
    if !ok {
        std::process::exit(1);
    }
}

/// One run on a fresh simulator whose new groups reach Intune after `replication` (simulated).
fn scenario(
    runtime: &tokio::runtime::Runtime,
    desired: &hangar_config::DesiredState,
    replication: Duration,
) -> bool {
    let config = SimConfig::default()
        .tenant_id(TENANT_ID)
        .throttling(true)
        .clock_scale(CLOCK_SCALE)
        .replication_delay(replication)
        .latency(LATENCY, Duration::ZERO);
    let sim = Sim::start_background(config).unwrap();
    let client = client(&sim);
    let ok = runtime.block_on(async {
        let live = read_live_state(&client, &ReadScope::everything()).await.unwrap();
        let plan = hangar_plan::plan(desired, &live).unwrap();
        let writes = plan.actions.len();
        let intune_writes = plan
            .actions
            .iter()
            .filter(|a| a.address.kind != hangar_model::Kind::DeviceGroup)
            .count();
        sim.clear_request_log();
        let tenant = GraphTenant::new(client.clone());
        let options = Options::scaled(CLOCK_SCALE);
        let started = Instant::now();
        let report = hangar_apply::apply(&plan, &tenant, Some(&live), &options, &()).await;
        let wall = started.elapsed();
        let log = sim.request_log();
        let throttled = log.iter().filter(|r| r.status == 429).count();
        let floor_sim = intune_writes as f64 / (100.0 / 20.0);
        let floor = Duration::from_secs_f64(floor_sim / CLOCK_SCALE);
        let window_floor = Duration::from_secs_f64(
            ((intune_writes as f64 / 100.0).ceil() - 1.0) * 20.0 / CLOCK_SCALE,
        );
        let ratio = wall.as_secs_f64() / window_floor.as_secs_f64();
        let live = read_live_state(&client, &ReadScope::everything()).await.unwrap();
        let again = hangar_plan::plan(desired, &live).unwrap();
        println!(
            "apply: {GROUPS} groups, {PROFILES} profiles, {PROFILES} assignments; clock ×{CLOCK_SCALE}, latency {LATENCY:?}, group replication {}s (simulated)",
            replication.as_secs()
        );
        println!("  actions               {writes} ({intune_writes} Intune writes)");
        println!("  requests sent         {}", log.iter().filter(|r| !r.path.contains("oauth2")).count());
        println!("  sliding-window floor  {:.2} s real (the last window opens after ⌈n/100⌉−1 windows of 20 s)", window_floor.as_secs_f64());
        println!("  writes ÷ rate         {:.2} s real ({floor_sim:.0} s simulated; the floor before issue 15: {:.3} ×)", floor.as_secs_f64(), wall.as_secs_f64() / floor.as_secs_f64());
        println!("  apply wall time       {:.2} s = {ratio:.3} × the sliding-window floor", wall.as_secs_f64());
        println!("  429 answers           {throttled}");
        println!("  actions done          {} of {writes}", report.summary.done);
        println!("  next plan             {} actions", again.actions.len());
        let mut ok = true;
        if ratio > 1.15 {
            println!("FAIL: wall time above 1.15 × the sliding-window floor");
            ok = false;
        }
        if throttled > 0 {
            println!("FAIL: {throttled} answers were 429");
            ok = false;
        }
        if !report.succeeded() || again.has_changes() {
            println!("FAIL: the apply did not converge");
            ok = false;
        }
        ok
    });
    drop(sim);
    ok
}
