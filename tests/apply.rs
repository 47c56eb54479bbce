//! `hangar apply` end to end: the binary against the simulator over real HTTP, through
//! `--local` (the README quickstart) and `--endpoint` (a simulator started here, with faults
//! and quirks), in the commercial and the GCC High example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{policies, sim_config, stderr, stdout, text};
use hangar_sim::{Sim, SimState};
use serde_json::Value;

const CLIENT_ID: &str = "hangar-apply-e2e";
const CLIENT_SECRET: &str = "e2e-secret-value";

/// The commercial example without its devices CSV, in `dir/config`.
fn without_devices(dir: &Path) -> PathBuf {
    common::commercial_without_devices(&dir.join("config"))
}

/// Runs `hangar` with a clean environment and the test client's secret.
fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .expect("hangar runs")
}

fn local_state(path: &Path) -> SimState {
    SimState::load(path).expect("the local tenant was saved")
}

fn names(state: &SimState) -> Vec<String> {
    let mut names: Vec<String> = state
        .groups
        .values()
        .map(|g| g.display_name().to_owned())
        .collect();
    names.extend(
        state
            .deployment_profiles
            .values()
            .map(|p| p.display_name().to_owned()),
    );
    names.extend(
        state
            .enrollment_configurations
            .values()
            .map(|e| e.display_name().to_owned()),
    );
    names.extend(state.configuration_policies.values().map(|p| p.name().to_owned()));
    names.sort();
    names
}

/// The README's quickstart, in both clouds: apply to a fresh local tenant, then again: the
/// second run finds nothing to do.
fn quickstart(example: &str) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("demo-tenant.json");
    let state_arg = state.to_str().unwrap();
    let policies = policies(example);
    let policies = policies.to_str().unwrap();
    let report = dir.path().join("report.json");
    let first = hangar(&[
        "apply",
        policies,
        "--local",
        state_arg,
        "--auto-approve",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(stderr(&first).contains("Apply complete"), "{}", text(&first));
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["summary"]["failed"], 0);
    let done = report["summary"]["done"].as_u64().unwrap();
    assert!(done > 10, "{report}");
    assert_eq!(report["actions"].as_array().unwrap().len() as u64, done);

    let tenant = local_state(&state);
    let collections: [Vec<String>; 4] = [
        tenant
            .groups
            .values()
            .map(|g| g.display_name().to_owned())
            .collect(),
        tenant
            .deployment_profiles
            .values()
            .map(|p| p.display_name().to_owned())
            .collect(),
        tenant
            .enrollment_configurations
            .values()
            .filter(|e| !tenant.is_default_enrollment_configuration(&e.id))
            .map(|e| e.display_name().to_owned())
            .collect(),
        tenant
            .configuration_policies
            .values()
            .map(|p| p.name().to_owned())
            .collect(),
    ];
    for mut names in collections {
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "no name twice: {names:?}");
    }

    let second = hangar(&["apply", policies, "--local", state_arg, "--auto-approve"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert!(stdout(&second).contains("No changes"), "{}", text(&second));
    assert!(stderr(&second).contains("Nothing to apply."), "{}", text(&second));
}

#[test]
fn quickstart_commercial_applies_then_finds_nothing_to_do() {
    quickstart("commercial");
}

#[test]
fn quickstart_gcc_high_applies_then_finds_nothing_to_do() {
    quickstart("gcc-high");
}

#[test]
fn without_a_terminal_nothing_is_applied_unless_auto_approved() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let output = hangar(&[
        "apply",
        policies("commercial").to_str().unwrap(),
        "--local",
        state.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = stderr(&output);
    assert!(
        message.contains("refusing to apply without `--auto-approve`"),
        "{message}"
    );
    assert!(message.contains("nothing was changed"), "{message}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("+ DeviceGroup/Autopilot-Sales"),
        "the plan is shown first"
    );
    let state = local_state(&state);
    assert!(
        !names(&state).iter().any(|n| n.starts_with("Autopilot")),
        "nothing was created: {:?}",
        names(&state)
    );
}

#[test]
fn a_saved_plan_applies_when_fresh_and_is_refused_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let state_arg = state.to_str().unwrap();
    let plan_file = dir.path().join("plan.json");
    let example = without_devices(dir.path());
    let example = example.to_str().unwrap();

    // Apply once, then drift in the portal, then save a plan that repairs it.
    let first = hangar(&["apply", example, "--local", state_arg, "--auto-approve"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let edit = |description: &str| {
        let mut tenant = local_state(&state);
        let group = tenant
            .groups
            .values_mut()
            .find(|g| g.display_name() == "Autopilot-Kiosk")
            .unwrap();
        group
            .properties
            .insert("description".into(), Value::String(description.into()));
        tenant.save(&state).unwrap();
    };
    edit("edited in the portal");
    let plan = hangar(&[
        "plan",
        example,
        "--local",
        state_arg,
        "--out",
        plan_file.to_str().unwrap(),
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // Someone edits again after the plan was saved: refused, naming the object.
    edit("edited again");
    let stale = hangar(&[
        "apply",
        plan_file.to_str().unwrap(),
        "--local",
        state_arg,
        "--auto-approve",
    ]);
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    let message = stderr(&stale);
    assert!(message.contains("the saved plan is stale"), "{message}");
    assert!(message.contains("DeviceGroup `Autopilot-Kiosk`"), "{message}");
    assert!(message.contains("Nothing was changed"), "{message}");

    // A fresh saved plan applies.
    let plan = hangar(&[
        "plan",
        example,
        "--local",
        state_arg,
        "--out",
        plan_file.to_str().unwrap(),
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let applied = hangar(&[
        "apply",
        plan_file.to_str().unwrap(),
        "--local",
        state_arg,
        "--auto-approve",
    ]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    let group = local_state(&state)
        .groups
        .values()
        .find(|g| g.display_name() == "Autopilot-Kiosk")
        .map(|g| g.properties["description"].clone())
        .unwrap();
    assert_eq!(
        group,
        "Lobby and warehouse kiosks, self-deploying (group tag Kiosk)"
    );
}

/// GCC High has a Device Preparation policy, so plans read group owners. A saved plan runs
/// when the tenant changed in a way that leaves the plan as it was (an extra owner, which
/// hangar leaves alone), and is refused when the change alters what would run (the owner Git
/// asks for removed): the refusal names the differing action and the group that changed.
#[test]
fn a_saved_plan_that_read_owners_is_checked_with_owners() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let state_arg = state.to_str().unwrap();
    let plan_file = dir.path().join("plan.json");
    let plan_arg = plan_file.to_str().unwrap();
    let example = policies("gcc-high");
    let example = example.to_str().unwrap();
    let first = hangar(&["apply", example, "--local", state_arg, "--auto-approve"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));

    let plan = hangar(&["plan", example, "--local", state_arg, "--out", plan_arg]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let saved: Value = serde_json::from_slice(&std::fs::read(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["read"]["group_owners"], true, "{saved}");
    let fresh = hangar(&["apply", plan_arg, "--local", state_arg, "--auto-approve"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh));

    // The owner of one group (the Intune Provisioning Client) becomes an owner of the other:
    // hangar leaves extra owners alone, so the plan is unchanged and runs.
    let mut tenant = local_state(&state);
    let (owned, owner) = tenant
        .groups
        .values()
        .find_map(|g| g.owners.first().map(|o| (g.display_name().to_owned(), o.clone())))
        .unwrap();
    let group = tenant.groups.values_mut().find(|g| g.owners.is_empty()).unwrap();
    group.owners.push(owner.clone());
    tenant.save(&state).unwrap();
    let unchanged = hangar(&["apply", plan_arg, "--local", state_arg, "--auto-approve"]);
    assert_eq!(unchanged.status.code(), Some(0), "{}", text(&unchanged));

    // The owner Git asks for is removed from the Device Preparation group: a plan made now adds
    // it back, which the reviewed plan did not: refused.
    let mut tenant = local_state(&state);
    let group = tenant
        .groups
        .values_mut()
        .find(|g| g.display_name() == owned)
        .unwrap();
    let name = owned;
    group.owners.clear();
    tenant.save(&state).unwrap();
    let stale = hangar(&["apply", plan_arg, "--local", state_arg, "--auto-approve"]);
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    let message = stderr(&stale);
    assert!(message.contains("the saved plan is stale"), "{message}");
    assert!(
        message.contains(&format!("DeviceGroup/{name} add_owners")),
        "{message}"
    );
    assert!(message.contains(&format!("DeviceGroup `{name}`")), "{message}");
    assert!(message.contains("Nothing was changed"), "{message}");
    assert!(
        local_state(&state)
            .groups
            .values()
            .find(|g| g.display_name() == name)
            .unwrap()
            .owners
            .is_empty(),
        "nothing was written"
    );
}

#[test]
fn more_deletes_than_max_deletes_refuse_the_whole_plan() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let state_arg = state.to_str().unwrap();
    let example = common::commercial_with_pruning(&dir.path().join("config"));
    let first = hangar(&[
        "apply",
        example.to_str().unwrap(),
        "--local",
        state_arg,
        "--auto-approve",
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    // Six hangar-named groups nobody wants any more (`maxDeletes: 5`).
    let mut tenant = local_state(&state);
    for i in 0..6 {
        tenant.add_group(
            &format!("Autopilot-Old-{i}"),
            hangar_sim::GroupMembership::Assigned,
        );
    }
    tenant.save(&state).unwrap();
    let before = names(&local_state(&state));
    let output = hangar(&[
        "apply",
        example.to_str().unwrap(),
        "--local",
        state_arg,
        "--auto-approve",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(stderr(&output).contains("maxDeletes"), "{}", text(&output));
    // Rendered as `plan` renders a refusal: the rule id, and that nothing was changed.
    assert!(
        stderr(&output).contains("plan/too-many-deletes"),
        "{}",
        text(&output)
    );
    assert!(
        stderr(&output).contains("nothing was changed"),
        "{}",
        text(&output)
    );
    assert_eq!(names(&local_state(&state)), before, "nothing was deleted");
}

#[test]
fn a_failed_action_exits_1_and_the_report_names_it_with_request_ids() {
    let sim = Sim::start_background(sim_config("gcc-high").quirk_dpp_app_only_500(true)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = hangar(&[
        "apply",
        policies("gcc-high").to_str().unwrap(),
        "--endpoint",
        &sim.url(),
        "--auto-approve",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = stderr(&output);
    assert!(message.contains("HANGAR_ACCESS_TOKEN"), "{message}");
    assert!(message.contains("Apply failed"), "{message}");
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let failed: Vec<&Value> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["action"], "set_device_group");
    assert_eq!(failed[0]["error"]["status"], 500);
    assert!(
        failed[0]["error"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(failed[0]["error"]["client_request_id"].is_string());
    assert_eq!(report["summary"]["failed"], 1);
}

/// Runs `hangar apply` on a pseudo-terminal (util-linux `script`), answering `answer`.
fn apply_on_a_terminal(config: &Path, state: &Path, answer: &str) -> Output {
    use std::io::Write;
    let line = format!(
        "{} apply {} --local {}",
        env!("CARGO_BIN_EXE_hangar"),
        config.display(),
        state.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("HANGAR_ENDPOINT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_terminal_only_yes_applies() {
    let dir = tempfile::tempdir().unwrap();
    let config = without_devices(dir.path());
    let state = dir.path().join("tenant.json");

    let declined = apply_on_a_terminal(&config, &state, "y");
    assert_eq!(declined.status.code(), Some(1), "{}", text(&declined));
    let shown = String::from_utf8_lossy(&declined.stdout);
    assert!(shown.contains("Only `yes` is accepted"), "{shown}");
    assert!(shown.contains("Apply cancelled"), "{shown}");
    assert!(
        !names(&local_state(&state))
            .iter()
            .any(|n| n.starts_with("Autopilot"))
    );

    let approved = apply_on_a_terminal(&config, &state, "yes");
    assert_eq!(approved.status.code(), Some(0), "{}", text(&approved));
    assert!(names(&local_state(&state)).iter().any(|n| n == "Autopilot-Sales"));
}
