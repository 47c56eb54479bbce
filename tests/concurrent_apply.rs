//! Issue 12 item 3: two or more `hangar apply` at once against one tenant. Without a lock each
//! read the same empty tenant and created everything (5 of 5 seeds, 14 duplicates each). With
//! the tenant's apply lock (a group whose `uniqueName` Entra keeps unique, ADR 0004) they run
//! one after the other: zero duplicates, and the tenant converges, also when runs are killed
//! with SIGKILL at seeded points while they hold the lock (the next run takes a dead run's lock
//! over after its time-to-live).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::text;
use hangar_sim::{RequestRecord, Sim, SimConfig, SimState};

const CLIENT_ID: &str = "hangar-concurrency-test";
const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";
/// Short, so that a killed holder's lock is taken over within seconds.
const LOCK_TTL: &str = "3s";

fn command(args: &[&str], sim: &Sim) -> Command {
    let mut command = common::hangar(args);
    if args.first() == Some(&"apply") {
        command.args(["--lock-ttl", LOCK_TTL, "--auto-approve"]);
    }
    command
        .args(["--endpoint", &sim.url()])
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", "concurrency-test-secret");
    command
}

fn spawn_apply(dir: &str, sim: &Sim) -> Child {
    command(&["apply", dir], sim)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hangar starts")
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

/// SplitMix64, for the seeded choices.
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

/// Names held by more than one object of a collection (the lock group included: there is at
/// most one lock).
fn duplicates(state: &SimState) -> Vec<String> {
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
    let mut out = Vec::new();
    for (what, mut names) in collections {
        names.sort();
        for pair in names.windows(2) {
            if pair[0] == pair[1] {
                out.push(format!("two {what}s named `{}`", pair[0]));
            }
        }
    }
    out
}

fn locks(state: &SimState) -> usize {
    state
        .groups
        .values()
        .filter(|g| g.properties.get("uniqueName").and_then(|u| u.as_str()) == Some("hangar-apply-lock"))
        .count()
}

fn wait(child: Child) -> Output {
    child.wait_with_output().expect("hangar ends")
}

/// The tenant matches Git, holds no name twice and no lock, and another apply writes nothing
/// but its own lock.
fn assert_converged(dir: &str, sim: &Sim) {
    let state = sim.state();
    assert_eq!(duplicates(&state), Vec::<String>::new());
    assert_eq!(locks(&state), 0, "every lock was released or taken over");
    let plan = command(&["plan", dir, "--detailed-exitcode"], sim)
        .output()
        .unwrap();
    assert_eq!(
        plan.status.code(),
        Some(0),
        "the tenant does not match Git:\n{}",
        text(&plan)
    );
}

fn sim(seed: u64) -> Sim {
    Sim::start_background(
        SimConfig::default()
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .replication_delay(Duration::from_secs(10))
            .seed(seed),
    )
    .expect("the simulator starts")
}

#[test]
fn concurrent_applies_leave_no_duplicates_and_converge() {
    for (seed, runs) in [(11u64, 2usize), (12, 3), (13, 4)] {
        let sim = sim(seed);
        let dir = tempfile::tempdir().unwrap();
        let example = common::commercial_without_devices(dir.path());
        let example = example.to_str().unwrap();
        let children: Vec<Child> = (0..runs).map(|_| spawn_apply(example, &sim)).collect();
        let outputs: Vec<Output> = children.into_iter().map(wait).collect();
        for output in &outputs {
            assert_eq!(output.status.code(), Some(0), "seed {seed}: {}", text(output));
        }
        let waited = outputs
            .iter()
            .filter(|o| {
                String::from_utf8_lossy(&o.stderr).contains("Another apply holds the tenant's apply lock")
            })
            .count();
        assert!(waited >= 1, "seed {seed}: no run waited for another");
        // Exactly one run created the lock at a time: every create of the lock but one per
        // holder was refused by the uniqueName check.
        let refused = sim
            .request_log()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/v1.0/groups" && r.status == 409)
            .count();
        assert!(refused >= runs - 1, "seed {seed}: {refused} refused lock creates");
        assert_converged(example, &sim);
    }
}

/// Several applies at once, one of them SIGKILLed at a seeded point (after the simulator saw a
/// seeded number of writes, so sometimes while it holds the lock), for several rounds; then a
/// last apply. Zero duplicates, convergence, no lock left.
#[test]
fn concurrent_applies_with_kills_converge_without_duplicates() {
    let mut taken_over = 0;
    let mut failed_survivors = 0;
    for seed in [2026u64, 7, 42] {
        let sim = sim(seed);
        let dir = tempfile::tempdir().unwrap();
        let example = common::commercial_without_devices(dir.path());
        let example = example.to_str().unwrap();
        let mut rng = Seeded(seed);
        let mut killed = 0;
        for round in 0..3 {
            // After the first round the tenant converged; drift it so the runs have work.
            if round > 0 {
                sim.with_state(|state| {
                    for group in state.groups.values_mut() {
                        if group.display_name().starts_with("Autopilot-") {
                            group
                                .properties
                                .insert("description".into(), serde_json::json!(format!("drift {round}")));
                        }
                    }
                    let names: Vec<String> = state
                        .deployment_profiles
                        .iter()
                        .filter(|(_, p)| p.display_name() == "Autopilot Sales")
                        .map(|(id, _)| id.clone())
                        .collect();
                    for id in names {
                        state.deployment_profiles.remove(&id);
                    }
                });
            }
            let runs = 2 + (rng.next() % 2) as usize;
            let victim = (rng.next() % runs as u64) as usize;
            let after = 2 + (rng.next() % 20) as usize;
            let start = writes(&sim);
            let mut children: Vec<Option<Child>> =
                (0..runs).map(|_| Some(spawn_apply(example, &sim))).collect();
            let deadline = Instant::now() + Duration::from_secs(180);
            loop {
                let victim_done = children[victim]
                    .as_mut()
                    .is_none_or(|child| child.try_wait().unwrap().is_some());
                if victim_done {
                    break;
                }
                if writes(&sim) >= start + after {
                    let mut child = children[victim].take().unwrap();
                    child.kill().expect("SIGKILL delivered");
                    child.wait().unwrap();
                    killed += 1;
                    break;
                }
                assert!(Instant::now() < deadline, "seed {seed}: hangar apply hangs");
                std::thread::sleep(Duration::from_millis(1));
            }
            for child in children.into_iter().flatten() {
                let output = wait(child);
                if String::from_utf8_lossy(&output.stderr).contains("Taking the lock over") {
                    taken_over += 1;
                }
                if output.status.code() != Some(0) {
                    failed_survivors += 1;
                    eprintln!("seed {seed} round {round}: a survivor failed:\n{}", text(&output));
                }
            }
            assert_eq!(
                duplicates(&sim.state()),
                Vec::<String>::new(),
                "seed {seed} round {round}"
            );
        }
        assert!(
            killed > 0,
            "seed {seed}: no run was killed: the kill points are too late"
        );
        let last = command(&["apply", example], &sim).output().unwrap();
        assert_eq!(last.status.code(), Some(0), "seed {seed}: {}", text(&last));
        assert_converged(example, &sim);
    }
    assert!(
        taken_over > 0,
        "no kill left a lock to take over: the kill points miss the holders"
    );
    assert_eq!(failed_survivors, 0, "every run that was not killed succeeded");
}
