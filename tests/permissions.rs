//! Least privilege, end to end: the simulator grants a client exactly the application
//! permissions of `docs/security.md` (its own table decides which each request needs, not
//! hangar's). `plan` and `drift` run with the read set alone; `apply` with the read set is
//! refused by Graph at its first write, and the error names the permission and the command that
//! needs it; `apply` with the write set succeeds. Both examples, both clouds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use common::{flat, policies, sim_config, stderr, text};
use hangar_sim::Sim;

const CLIENT_ID: &str = "hangar-least-privilege";
const SECRET: &str = "least-privilege-secret";

/// What `plan`, `drift`, `import` and `doctor` are granted.
const READ: &[&str] = &[
    "Group.Read.All",
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "Application.Read.All",
    // The examples' ESPs and Device Preparation policy name apps.
    "DeviceManagementApps.Read.All",
];

/// What `apply` is granted.
const WRITE: &[&str] = &[
    "Group.ReadWrite.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "Application.ReadWrite.All",
    "DeviceManagementApps.Read.All",
];

fn sim(example: &str, roles: &[&str]) -> Sim {
    Sim::start_background(
        sim_config(example)
            .register_client_secret(CLIENT_ID, SECRET)
            .grant_roles(CLIENT_ID, roles),
    )
    .unwrap()
}

fn run(sim: &Sim, args: &[&str]) -> Output {
    common::hangar(args)
        .args(["--endpoint", &sim.url()])
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET)
        .output()
        .unwrap()
}

fn refusals(sim: &Sim) -> usize {
    sim.request_log().iter().filter(|r| r.status == 403).count()
}

#[test]
fn plan_and_drift_need_only_the_read_permissions() {
    for example in ["commercial", "gcc-high"] {
        let sim = sim(example, READ);
        let dir = policies(example);
        let dir = dir.to_str().unwrap();
        let plan = run(&sim, &["plan", dir, "--detailed-exitcode"]);
        assert_eq!(plan.status.code(), Some(2), "{example}: {}", text(&plan));
        // The audit history is optional (its permissions are not in the read set; a refusal
        // is a warning, `tests/drift.rs`): this checks what drift needs.
        let drift = run(&sim, &["drift", dir, "--no-history"]);
        assert_eq!(drift.status.code(), Some(2), "{example}: {}", text(&drift));
        assert_eq!(
            refusals(&sim),
            0,
            "{example}: a read needed more than the read set"
        );
    }
}

#[test]
fn apply_with_the_read_permissions_is_refused_naming_what_it_needs() {
    let sim = sim("commercial", READ);
    let dir = policies("commercial");
    let output = run(&sim, &["apply", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = flat(&stderr(&output));
    // The first write is the apply lock's group.
    assert!(message.contains("Authorization_RequestDenied"), "{message}");
    assert!(message.contains("`Group.ReadWrite.All`"), "{message}");
    assert!(message.contains("needed by `hangar apply`"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
    assert_eq!(sim.state().groups.len(), 0, "nothing was created");
}

#[test]
fn apply_succeeds_with_the_write_permissions() {
    for example in ["commercial", "gcc-high"] {
        let sim = sim(example, WRITE);
        let dir = policies(example);
        let dir = dir.to_str().unwrap();
        let output = run(&sim, &["apply", dir, "--auto-approve"]);
        assert_eq!(output.status.code(), Some(0), "{example}: {}", text(&output));
        assert_eq!(refusals(&sim), 0, "{example}");
        let plan = run(&sim, &["plan", dir, "--detailed-exitcode"]);
        assert_eq!(plan.status.code(), Some(0), "{example}: {}", text(&plan));
    }
}
