//! Issue 12 item 2, end to end: what a reviewer approved is exactly what runs. A saved plan
//! records the configuration it was made from; `hangar apply PLAN.json` loads it (the recorded
//! directory, or `--config DIR`), refuses it unless every file is unchanged, plans it again
//! against the tenant and refuses unless the actions are the saved ones. Every tampering of
//! `plan.json` the hostile run applied is refused here with a clear message, and nothing but
//! the apply lock is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{flat, policies, stderr, text};
use hangar_sim::{GroupMembership, RequestRecord, Sim, SimConfig};
use serde_json::{Value, json};

const CLIENT_ID: &str = "hangar-saved-plan-e2e";
const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

fn hangar(args: &[&str], sim: &Sim) -> Output {
    common::hangar(args)
        .args(["--endpoint", &sim.url()])
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", "saved-plan-secret")
        .output()
        .expect("hangar runs")
}

fn is_write(record: &RequestRecord) -> bool {
    record.method != "GET"
        && !record.path.contains("/oauth2/")
        && !record.path.ends_with("/$batch")
        && !record.path.contains("/retrieve")
}

/// Writes after `from` in the log, as `METHOD /version/collection`.
fn writes_since(sim: &Sim, from: usize) -> Vec<String> {
    sim.request_log()[from..]
        .iter()
        .filter(|r| is_write(r))
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path.split('/').take(3).collect::<Vec<_>>().join("/")
            )
        })
        .collect()
}

/// Only the lock's create and delete.
fn only_the_lock() -> Vec<String> {
    vec!["POST /v1.0/groups".to_owned(), "DELETE /v1.0/groups".to_owned()]
}

/// A tenant where the commercial example (without devices) is applied, then drifted: one group
/// description edited (an update), two hangar-named groups nobody wants (deletes inside
/// `prune.only`), one foreign group. And a saved plan for it.
struct Setup {
    sim: Sim,
    _dir: tempfile::TempDir,
    config: PathBuf,
    plan: PathBuf,
}

fn setup() -> Setup {
    let sim = Sim::start_background(SimConfig::default().tenant_id(TENANT_ID).clock_scale(100.0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = common::commercial_with_pruning(&dir.path().join("config"));
    let config_arg = config.to_str().unwrap();
    let first = hangar(&["apply", config_arg, "--auto-approve"], &sim);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    sim.with_state(|state| {
        let group = state
            .groups
            .values_mut()
            .find(|g| g.display_name() == "Autopilot-Kiosk")
            .unwrap();
        group
            .properties
            .insert("description".into(), json!("edited in the portal"));
        state.add_group("Autopilot-Old-1", GroupMembership::Assigned);
        state.add_group("Autopilot-Old-2", GroupMembership::Assigned);
        state.add_group("Finance Laptops", GroupMembership::Assigned);
    });
    let plan = dir.path().join("plan.json");
    let made = hangar(&["plan", config_arg, "--out", plan.to_str().unwrap()], &sim);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    Setup {
        sim,
        _dir: dir,
        config,
        plan,
    }
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn actions(plan: &mut Value) -> &mut Vec<Value> {
    plan["actions"].as_array_mut().unwrap()
}

/// Writes `plan` next to the saved one and applies it; returns the output and the writes.
fn apply_tampered(setup: &Setup, name: &str, plan: &Value) -> (Output, Vec<String>) {
    let path = setup.plan.with_file_name(name);
    std::fs::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    let from = setup.sim.request_log().len();
    let output = hangar(&["apply", path.to_str().unwrap(), "--auto-approve"], &setup.sim);
    (output, writes_since(&setup.sim, from))
}

#[track_caller]
fn assert_refused(output: &Output, writes: &[String], expected: &[&str]) {
    assert_eq!(output.status.code(), Some(1), "{}", text(output));
    let message = flat(&stderr(output));
    for part in expected {
        assert!(message.contains(part), "missing `{part}` in:\n{message}");
    }
    assert!(message.contains("Nothing was changed"), "{message}");
    assert_eq!(writes, only_the_lock(), "nothing but the lock was written");
}

#[test]
fn the_saved_plan_records_its_configuration_and_applies_while_unchanged() {
    let setup = setup();
    let saved = read(&setup.plan);
    assert_eq!(saved["format_version"], hangar_plan::FORMAT_VERSION);
    assert_eq!(saved["configuration"]["dir"], setup.config.to_str().unwrap());
    assert!(
        saved["configuration"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let files: Vec<&str> = saved["configuration"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"tenant.yaml") && files.contains(&"groups.yaml"),
        "{files:?}"
    );

    let applied = hangar(
        &["apply", setup.plan.to_str().unwrap(), "--auto-approve"],
        &setup.sim,
    );
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    assert!(
        stderr(&applied).contains("is what a plan made now gives"),
        "{}",
        text(&applied)
    );
    let names: Vec<String> = setup
        .sim
        .state()
        .groups
        .values()
        .map(|g| g.display_name().to_owned())
        .collect();
    assert!(!names.contains(&"Autopilot-Old-1".to_owned()), "{names:?}");
    assert!(names.contains(&"Finance Laptops".to_owned()), "{names:?}");
}

#[test]
fn every_tampering_of_the_saved_plan_is_refused_and_nothing_is_written() {
    let setup = setup();
    let saved = read(&setup.plan);
    let finance = setup.sim.with_state(|state| {
        state
            .groups
            .values()
            .find(|g| g.display_name() == "Finance Laptops")
            .unwrap()
            .id
            .clone()
    });
    let next_id = |plan: &Value| plan["actions"].as_array().unwrap().len();

    // A delete outside `prune.only`.
    let mut plan = saved.clone();
    let id = next_id(&plan);
    actions(&mut plan).push(json!({
        "id": id, "action": "delete", "destructive": true, "reason": "pruned",
        "address": {"kind": "DeviceGroup", "name": "Finance Laptops"}, "live_id": finance,
    }));
    let (output, writes) = apply_tampered(&setup, "outside-prune.json", &plan);
    assert_refused(
        &output,
        &writes,
        &[
            "the saved plan is stale",
            "- DeviceGroup/Finance Laptops delete: in the saved plan, not in a plan made now",
        ],
    );

    // Past `maxDeletes` (5): four more hangar-named groups deleted.
    let mut plan = saved.clone();
    for i in 0..4 {
        let id = next_id(&plan);
        actions(&mut plan).push(json!({
            "id": id, "action": "delete", "destructive": true, "reason": "pruned",
            "address": {"kind": "DeviceGroup", "name": format!("Autopilot-Extra-{i}")},
            "live_id": format!("00000000-0000-0000-0000-00000000000{i}"),
        }));
    }
    let (output, writes) = apply_tampered(&setup, "past-max.json", &plan);
    assert_refused(
        &output,
        &writes,
        &["DeviceGroup/Autopilot-Extra-3 delete: in the saved plan, not in a plan made now"],
    );

    // An update turned into a delete.
    let mut plan = saved.clone();
    let update = actions(&mut plan)
        .iter_mut()
        .find(|a| a["action"] == "update")
        .expect("the saved plan updates Autopilot-Kiosk");
    let address = format!(
        "{}/{}",
        update["address"]["kind"].as_str().unwrap(),
        update["address"]["name"].as_str().unwrap()
    );
    let object = update.as_object_mut().unwrap();
    object.insert("action".into(), json!("delete"));
    object.insert("destructive".into(), json!(true));
    object.remove("body");
    object.remove("changes");
    let (output, writes) = apply_tampered(&setup, "update-to-delete.json", &plan);
    assert_refused(
        &output,
        &writes,
        &[&format!(
            "- {address} delete: in the saved plan, not in a plan made now"
        )],
    );

    // A duplicated create (the plan creates the two groups' lock-free twin).
    let mut plan = saved.clone();
    let mut create = json!({
        "id": 0, "action": "create", "destructive": false, "reason": "not_in_tenant",
        "address": {"kind": "DeviceGroup", "name": "Autopilot-Sales"},
        "body": {"value": {"displayName": "Autopilot-Sales", "mailEnabled": false, "mailNickname": "AutopilotSales", "securityEnabled": true}},
    });
    create["id"] = json!(next_id(&plan));
    actions(&mut plan).push(create.clone());
    create["id"] = json!(next_id(&plan));
    actions(&mut plan).push(create);
    let (output, writes) = apply_tampered(&setup, "duplicate-create.json", &plan);
    assert_refused(
        &output,
        &writes,
        &["+ DeviceGroup/Autopilot-Sales create: in the saved plan, not in a plan made now"],
    );

    // An edited body.
    let mut plan = saved.clone();
    let update = actions(&mut plan)
        .iter_mut()
        .find(|a| a["action"] == "update")
        .unwrap();
    update["body"]["value"]["description"] = json!("not what was reviewed");
    let (output, writes) = apply_tampered(&setup, "edited-body.json", &plan);
    assert_refused(
        &output,
        &writes,
        &["DeviceGroup/Autopilot-Kiosk update: differs at `/body/value/description`"],
    );

    // The recorded digest edited to hide a change: the file list no longer matches it.
    let mut plan = saved.clone();
    plan["configuration"]["digest"] = json!(format!("sha256:{}", "0".repeat(64)));
    let from = setup.sim.request_log().len();
    let (output, _) = apply_tampered(&setup, "edited-digest.json", &plan);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        flat(&stderr(&output)).contains("does not match its own file list"),
        "{}",
        text(&output)
    );
    assert!(
        setup.sim.request_log()[from..].is_empty(),
        "refused before any request"
    );

    // Another tenant.
    let mut plan = saved.clone();
    plan["tenant_id"] = json!("00000000-1111-2222-3333-444444444444");
    let (output, _) = apply_tampered(&setup, "other-tenant.json", &plan);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        flat(&stderr(&output)).contains("is for tenant `00000000-1111-2222-3333-444444444444`"),
        "{}",
        text(&output)
    );

    // After all that, the untampered plan still applies.
    let applied = hangar(
        &["apply", setup.plan.to_str().unwrap(), "--auto-approve"],
        &setup.sim,
    );
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
}

/// A configuration file changed after the plan was made (here, after review in a pull request):
/// refused before the tenant is even read, naming the file.
#[test]
fn a_configuration_changed_after_the_plan_is_refused_naming_the_file() {
    let setup = setup();
    let groups = setup.config.join("groups.yaml");
    let text_before = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(
        &groups,
        text_before.replace("Sales laptops", "Sales laptops (edited)"),
    )
    .unwrap();
    let from = setup.sim.request_log().len();
    let output = hangar(
        &["apply", setup.plan.to_str().unwrap(), "--auto-approve"],
        &setup.sim,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = flat(&stderr(&output));
    assert!(message.contains("`groups.yaml` changed"), "{message}");
    assert!(
        message.contains("Nothing was read from the tenant and nothing was changed"),
        "{message}"
    );
    assert!(setup.sim.request_log()[from..].is_empty(), "no request at all");
}

/// The devices CSV is part of the configuration: the plan holds no hash, apply reads them back
/// from the CSV, so a CSV edited after review would register other hardware.
#[test]
fn a_devices_csv_changed_after_the_plan_is_refused() {
    let sim = Sim::start_background(SimConfig::default().tenant_id(TENANT_ID).clock_scale(100.0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    copy_dir(&policies("commercial"), &config);
    let plan = dir.path().join("plan.json");
    let made = hangar(
        &["plan", config.to_str().unwrap(), "--out", plan.to_str().unwrap()],
        &sim,
    );
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    let csv = config.join("devices/fleet-2026.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&csv, bytes).unwrap();
    let output = hangar(&["apply", plan.to_str().unwrap(), "--auto-approve"], &sim);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        flat(&stderr(&output)).contains("`devices/fleet-2026.csv` changed"),
        "{}",
        text(&output)
    );
    assert!(sim.state().devices.is_empty(), "nothing imported");
}

/// The plan records where its configuration was; elsewhere (another checkout in CI), `--config`
/// names it, and without it the error says so.
#[test]
fn the_configuration_is_found_where_recorded_or_with_config() {
    let setup = setup();
    let moved = setup.config.with_file_name("checkout");
    std::fs::rename(&setup.config, &moved).unwrap();
    let missing = hangar(
        &["apply", setup.plan.to_str().unwrap(), "--auto-approve"],
        &setup.sim,
    );
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    assert!(
        flat(&stderr(&missing)).contains("--config DIR"),
        "{}",
        text(&missing)
    );
    let applied = hangar(
        &[
            "apply",
            setup.plan.to_str().unwrap(),
            "--config",
            moved.to_str().unwrap(),
            "--auto-approve",
        ],
        &setup.sim,
    );
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
