//! Crash test: `hangar apply` is killed with SIGKILL at seeded points (after the N-th write the
//! simulator has seen) and run again, several times; the last run completes. The tenant then
//! matches Git, holds no name twice and no object set aside by a replace, and one more apply
//! writes nothing. Once from an empty tenant, once while a profile is being replaced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::text;

use hangar_sim::{RequestRecord, Sim, SimConfig, SimState};
use serde_json::json;

const CLIENT_ID: &str = "hangar-crash-test";
const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

/// `hangar ARGS --endpoint SIM` with a clean environment and the test client's secret.
/// Applies take the tenant's lock with a short time-to-live, so that the run after a killed one
/// takes the dead run's lock over within seconds.
fn command(args: &[&str], sim: &Sim) -> Command {
    let mut command = common::hangar(args);
    if args.first() == Some(&"apply") {
        command.args(["--lock-ttl", "2s"]);
    }
    command
        .args(["--endpoint", &sim.url()])
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", "crash-test-secret");
    command
}

fn run(args: &[&str], sim: &Sim) -> Output {
    command(args, sim).output().expect("hangar runs")
}

fn is_write(record: &RequestRecord) -> bool {
    record.method != "GET"
        && !record.path.contains("/oauth2/")
        && !record.path.ends_with("/$batch")
        && !record.path.contains("/retrieve")
}

fn writes(sim: &Sim) -> usize {
    sim.request_log().iter().filter(|r| is_write(r)).count()
}

/// SplitMix64: the kill points, from a fixed seed.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Starts `hangar apply` and SIGKILLs it once the simulator has seen `after` more writes
/// (unless it finishes first). Returns whether it was killed.
fn apply_and_kill(dir: &str, sim: &Sim, after: usize) -> bool {
    let start = writes(sim);
    let mut child = command(&["apply", dir, "--auto-approve"], sim)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hangar starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if writes(sim) >= start + after {
            child.kill().expect("SIGKILL delivered");
            child.wait().unwrap();
            return true;
        }
        assert!(Instant::now() < deadline, "hangar apply hangs");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Display names per collection that occur more than once, and objects left aside.
fn problems(state: &SimState) -> Vec<String> {
    let mut out = Vec::new();
    let collections: [(&str, Vec<String>); 4] = [
        (
            "group",
            state
                .groups
                .values()
                .map(|g| g.display_name().to_owned())
                .collect(),
        ),
        (
            "profile",
            state
                .deployment_profiles
                .values()
                .map(|p| p.display_name().to_owned())
                .collect(),
        ),
        (
            "enrollment configuration",
            state
                .enrollment_configurations
                .values()
                .filter(|e| !state.is_default_enrollment_configuration(&e.id))
                .map(|e| e.display_name().to_owned())
                .collect(),
        ),
        (
            "domain join",
            state
                .device_configurations
                .values()
                .map(|d| d.display_name().to_owned())
                .collect(),
        ),
    ];
    for (what, mut names) in collections {
        names.sort();
        for pair in names.windows(2) {
            if pair[0] == pair[1] {
                out.push(format!("two {what}s named `{}`", pair[0]));
            }
        }
        for name in &names {
            if name.ends_with(" replaced by hangar") {
                out.push(format!("{what} `{name}` left aside"));
            }
        }
    }
    out
}

/// Kills apply at seeded points, then lets it finish, and checks the tenant.
fn converge_through_kills(dir: &str, sim: &Sim, seed: &mut Seeded, rounds: usize) {
    let mut killed = 0;
    for _ in 0..rounds {
        let after = 1 + (seed.next() % 6) as usize;
        if apply_and_kill(dir, sim, after) {
            killed += 1;
        }
    }
    assert!(killed > 0, "no run was killed: the kill points are too late");
    let last = run(&["apply", dir, "--auto-approve"], sim);
    assert_eq!(last.status.code(), Some(0), "{}", text(&last));
    let plan = run(&["plan", dir, "--detailed-exitcode"], sim);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "the tenant does not match Git:\n{}",
        text(&plan)
    );
    let state = sim.state();
    assert_eq!(problems(&state), Vec::<String>::new());
    let before = sim.request_log().len();
    let again = run(&["apply", dir, "--auto-approve"], sim);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let wrote: Vec<(String, String)> = sim.request_log()[before..]
        .iter()
        .filter(|r| is_write(r))
        .map(|r| {
            (
                r.method.clone(),
                r.path.split('/').take(3).collect::<Vec<_>>().join("/"),
            )
        })
        .collect();
    assert_eq!(
        wrote,
        vec![
            ("POST".to_owned(), "/v1.0/groups".to_owned()),
            ("DELETE".to_owned(), "/v1.0/groups".to_owned()),
        ],
        "a converged apply wrote something besides taking and releasing the lock"
    );
    assert_eq!(locks(sim), 0, "the lock was released");
}

/// Lock groups in the tenant.
fn locks(sim: &Sim) -> usize {
    sim.with_state(|state| {
        state
            .groups
            .values()
            .filter(|g| g.properties.get("uniqueName").and_then(|u| u.as_str()) == Some("hangar-apply-lock"))
            .count()
    })
}

#[test]
fn killed_applies_converge_without_duplicates() {
    for seed in [2026, 7, 42] {
        killed_applies_converge(seed);
    }
}

fn killed_applies_converge(seed: u64) {
    let sim = Sim::start_background(
        SimConfig::default()
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .replication_delay(Duration::from_secs(10))
            .seed(seed),
    )
    .expect("the simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let example = common::commercial_without_devices(dir.path());
    let example = example.to_str().unwrap();
    let mut seed = Seeded(seed);

    // From an empty tenant.
    converge_through_kills(example, &sim, &mut seed, 6);

    // While a profile is replaced (a create-only field drifted) and a group was edited.
    sim.with_state(|state| {
        let profile = state
            .deployment_profiles
            .values_mut()
            .find(|p| p.display_name() == "Autopilot Kiosk")
            .unwrap();
        profile.properties.insert("deviceType".into(), json!("holoLens"));
        let group = state
            .groups
            .values_mut()
            .find(|g| g.display_name() == "Autopilot-Sales")
            .unwrap();
        group.properties.insert("description".into(), json!("edited"));
    });
    converge_through_kills(example, &sim, &mut seed, 4);
    let kiosk: Vec<String> = sim.with_state(|state| {
        state
            .deployment_profiles
            .values()
            .filter(|p| p.display_name().starts_with("Autopilot Kiosk"))
            .map(|p| p.properties["deviceType"].to_string())
            .collect()
    });
    assert_eq!(kiosk, vec!["\"windowsPc\"".to_owned()], "replaced exactly once");
}

#[test]
fn ctrl_c_stops_starting_actions_and_the_report_says_what_was_not_started() {
    let sim = Sim::start_background(
        SimConfig::default()
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .latency(Duration::from_millis(150), Duration::ZERO),
    )
    .expect("the simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let example = common::commercial_without_devices(dir.path());
    let report = dir.path().join("report.json");
    let child = command(
        &[
            "apply",
            example.to_str().unwrap(),
            "--auto-approve",
            "--report",
            report.to_str().unwrap(),
        ],
        &sim,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("hangar starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while writes(&sim) < 2 {
        assert!(Instant::now() < deadline, "hangar apply never wrote");
        std::thread::sleep(Duration::from_millis(2));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Stopping"), "{stderr}");
    assert!(stderr.contains("Apply interrupted"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["interrupted"], true);
    assert!(
        report["summary"]["not_started"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    assert_eq!(
        report["summary"]["failed"], 0,
        "in-flight actions finished: {report:#}"
    );

    // The next run finishes the job.
    let last = run(&["apply", example.to_str().unwrap(), "--auto-approve"], &sim);
    assert_eq!(last.status.code(), Some(0), "{}", text(&last));
    assert_eq!(problems(&sim.state()), Vec::<String>::new());
}
