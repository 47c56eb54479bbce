//! What the end-to-end tests share: the bundled examples, a simulator for an example's tenant,
//! and the `hangar` binary run with a clean environment.
#![allow(dead_code)] // every test file uses its own part of it
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod portal;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hangar_model::Cloud;
use hangar_sim::{SimCloud, SimConfig};

/// A bundled example: `policies/<name>`.
pub fn policies(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies").join(name)
}

/// The desired state of a valid configuration directory.
pub fn desired(dir: &Path) -> hangar_config::DesiredState {
    hangar_config::load(dir)
        .expect("readable")
        .state
        .expect("the example is valid")
}

/// The simulator's name for `cloud`.
pub fn sim_cloud(cloud: Cloud) -> SimCloud {
    match cloud {
        Cloud::Commercial => SimCloud::Commercial,
        Cloud::Gcc => SimCloud::Gcc,
        Cloud::GccHigh => SimCloud::GccHigh,
        Cloud::Dod => SimCloud::Dod,
    }
}

/// A simulator for the example's tenant (its cloud and tenant id), fresh (built-ins and the
/// sample apps, script and scope tag the examples name), on a 100× clock.
pub fn sim_config(example: &str) -> SimConfig {
    let desired = desired(&policies(example));
    SimConfig::default()
        .cloud(sim_cloud(desired.tenant.cloud.value))
        .tenant_id(desired.tenant.tenant_id.value.clone())
        .clock_scale(100.0)
        .sample_catalog(true)
}

/// The commercial example without its devices CSV, copied into `dir`: for tests that are not
/// about devices.
pub fn commercial_without_devices(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(policies("commercial")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".yaml") && name != "devices.yaml" {
            std::fs::copy(&path, dir.join(name)).unwrap();
        }
    }
    dir.to_owned()
}

/// [`commercial_without_devices`] with pruning on for the names hangar created (the example
/// ships with pruning off): for tests of deletes and their guardrails.
pub fn commercial_with_pruning(dir: &Path) -> PathBuf {
    let dir = commercial_without_devices(dir);
    let tenant = std::fs::read_to_string(dir.join("tenant.yaml")).unwrap();
    let tenant = tenant.replace(
        "prune:\n  enabled: false\n",
        "prune:\n  enabled: true\n  only:\n    - DeviceGroup/Autopilot-*\n    - DeploymentProfile/Autopilot *\n    - EnrollmentStatusPage/ESP *\n  maxDeletes: 5\n",
    );
    assert!(
        tenant.contains("enabled: true"),
        "the example's tenant.yaml changed: {tenant}"
    );
    std::fs::write(dir.join("tenant.yaml"), tenant).unwrap();
    dir
}

/// `hangar ARGS` with a clean environment: no colour, no `RUST_LOG`, no inherited credentials
/// or endpoint, and no terminal (stdin is empty). The caller adds the credentials it wants.
pub fn hangar(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hangar"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    for name in [
        "HANGAR_ENDPOINT",
        "HANGAR_ACCESS_TOKEN",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ] {
        command.env_remove(name);
    }
    command
}

/// Exit code, stdout and stderr, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// stdout, which must be UTF-8.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// stderr, which must be UTF-8.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `text` with miette's line wrapping undone (a message wrapped at 80 columns is one line
/// again; the `  | ` gutter and `help:` indentation are dropped), for `contains` checks.
pub fn flat(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let trimmed = trimmed.strip_prefix("| ").unwrap_or(trimmed);
        let trimmed = trimmed.strip_prefix("x ").unwrap_or(trimmed);
        if trimmed.is_empty() {
            continue;
        }
        // miette breaks after `-` and `/` without a space.
        if !out.is_empty() && !out.ends_with(['-', '/']) {
            out.push(' ');
        }
        out.push_str(trimmed);
    }
    out
}

/// `writes` without the apply lock's group: apply creates it first and deletes it last
/// (ADR 0004), whatever else it does; both must be there.
pub fn without_the_lock(mut writes: Vec<hangar_sim::RequestRecord>) -> Vec<hangar_sim::RequestRecord> {
    let first = writes.first().map(|r| (r.method.clone(), r.path.clone()));
    assert_eq!(
        first,
        Some(("POST".to_owned(), "/v1.0/groups".to_owned())),
        "the lock is taken first: {writes:?}"
    );
    let last = writes.last().map(|r| (r.method.clone(), r.path.clone()));
    assert!(
        last.is_some_and(|(method, path)| method == "DELETE" && path.starts_with("/v1.0/groups/")),
        "the lock is released last: {writes:?}"
    );
    writes.pop();
    writes.remove(0);
    writes
}

/// Asserts `output` exited with `expected`, printing both streams when not.
#[track_caller]
pub fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        output.status.code(),
        Some(expected),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Writes `files` (name, text) into `dir`, creating it.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}
