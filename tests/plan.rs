//! `hangar plan` and `hangar drift` end to end: the binary against the simulator over real
//! HTTP, through `--endpoint` (a simulator started here) and `--local` (one the binary starts
//! over a state file), in the commercial and the GCC High example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{desired, policies, sim_config, stderr, stdout};
use hangar_apply::{GraphTenant, Options};
use hangar_graph::{ClientOptions, Credential, GraphClient, ReadScope};
use hangar_plan::{Op, Plan};
use hangar_sim::{ClientRegistration, FaultRule, GroupMembership, MethodClass, Sim};
use serde_json::{Value, json};

const CLIENT_ID: &str = "hangar-e2e";
const CLIENT_SECRET: &str = "e2e-secret-value";

fn start(example: &str) -> Sim {
    Sim::start_background(sim_config(example)).expect("the simulator starts")
}

/// Runs `hangar` with a clean environment, the test client's secret, and `env` on top.
fn hangar(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = common::hangar(args);
    command
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("hangar runs")
}

/// `hangar <verb> <example> --endpoint <sim> <extra…>`.
fn run(verb: &str, example: &str, sim: &Sim, extra: &[&str]) -> Output {
    let dir = policies(example);
    let url = sim.url();
    let mut args = vec![verb, dir.to_str().unwrap(), "--endpoint", url.as_str()];
    args.extend_from_slice(extra);
    hangar(&args, &[])
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

#[track_caller]
fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        code(output),
        expected,
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

fn json_plan(output: &Output) -> Plan {
    Plan::from_json(&stdout(output)).unwrap_or_else(|e| panic!("{e}\n{}", stdout(output)))
}

/// Makes the tenant match the example by planning and applying it through the libraries.
fn converge(sim: &Sim, example: &str) {
    let desired = desired(&policies(example));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let credential = Credential::ClientSecret {
            tenant_id: sim.tenant_id(),
            client_id: CLIENT_ID.into(),
            secret: CLIENT_SECRET.into(),
        };
        let options = ClientOptions::new(desired.tenant.cloud.value).with_endpoint(sim.url());
        let client = GraphClient::new(options, credential).unwrap();
        let live = hangar_graph::read_live_state(&client, &ReadScope::everything())
            .await
            .unwrap();
        let plan = hangar_plan::plan(&desired, &live).unwrap();
        let report = hangar_apply::apply(
            &plan,
            &GraphTenant::new(client),
            Some(&live),
            &Options::scaled(100.0),
            &(),
        )
        .await;
        assert!(
            report.succeeded(),
            "{}",
            serde_json::to_string_pretty(&report).unwrap()
        );
    });
}

/// Graph requests the simulator answered (sign-in and `/_sim` left out).
fn graph_requests(sim: &Sim) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| !r.path.contains("/oauth2/") && !r.path.starts_with("/_sim"))
        .count()
}

fn assert_valid_order(plan: &Plan) {
    for (position, action) in plan.actions.iter().enumerate() {
        assert_eq!(action.id.0 as usize, position);
        for dependency in &action.depends_on {
            assert!(
                dependency.0 < action.id.0,
                "{} depends on a later action {}",
                action.address,
                dependency.0
            );
        }
    }
}

#[test]
fn an_empty_tenant_plans_every_create_in_a_valid_order() {
    let sim = start("commercial");
    let output = run(
        "plan",
        "commercial",
        &sim,
        &["--format", "json", "--detailed-exitcode"],
    );
    assert_code(&output, 2);
    let plan = json_plan(&output);
    assert_valid_order(&plan);
    let desired = desired(&policies("commercial"));
    let builtins = desired.esps.iter().filter(|esp| esp.builtin).count()
        + desired.restrictions.iter().filter(|r| r.builtin).count();
    assert_eq!(plan.summary.create, desired.objects().count() - builtins);
    assert_eq!(plan.summary.delete + plan.summary.replace, 0);
    assert_eq!(plan.summary.devices.import, desired.devices.len());
    // Every group is created before anything that references it.
    for action in &plan.actions {
        for group in action.referenced_groups() {
            let create = plan
                .actions
                .iter()
                .find(|a| a.address.name == group.name && matches!(a.op, Op::Create { .. }))
                .unwrap_or_else(|| panic!("no create for group `{}`", group.name));
            assert!(
                action.depends_on.contains(&create.id) || create.id == action.id,
                "{} does not wait for `{}`",
                action.address,
                group.name
            );
        }
    }
    // Without --detailed-exitcode, changes are success.
    let output = run("plan", "commercial", &sim, &[]);
    assert_code(&output, 0);
    assert!(stdout(&output).contains("+ DeviceGroup/Autopilot-Sales"));
    assert!(stdout(&output).contains("to create"), "{}", stdout(&output));
}

#[test]
fn a_converged_tenant_plans_nothing_in_both_clouds() {
    for example in ["commercial", "gcc-high"] {
        let sim = start(example);
        converge(&sim, example);
        let output = run("plan", example, &sim, &["--detailed-exitcode"]);
        assert_code(&output, 0);
        assert!(
            stdout(&output).contains("No changes"),
            "{example}: {}",
            stdout(&output)
        );
        let output = run("drift", example, &sim, &[]);
        assert_code(&output, 0);
        assert!(stdout(&output).contains("No drift"), "{}", stdout(&output));
        // Every request stayed on the simulator, for this cloud's scope.
        assert!(sim.request_log().iter().all(|r| r.status != 401));
    }
}

#[test]
fn a_portal_edit_shows_exactly_that_field_and_exits_2() {
    let sim = start("commercial");
    converge(&sim, "commercial");
    let (id, before) = sim.with_state(|state| {
        let profile = state
            .deployment_profiles
            .values()
            .find(|p| p.display_name() == "Autopilot Sales")
            .expect("the profile was created");
        (
            profile.id.clone(),
            profile.properties["deviceNameTemplate"].clone(),
        )
    });
    // What an admin does in the portal: a PATCH of one field.
    let token = sim.issue_token("portal-admin");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .patch(format!(
                "{}/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
                sim.url()
            ))
            .bearer_auth(token)
            .json(&json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "deviceNameTemplate": "PORTAL-%RAND:4%"
            }))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success(), "{status}");

    let output = run(
        "plan",
        "commercial",
        &sim,
        &["--format", "json", "--detailed-exitcode"],
    );
    assert_code(&output, 2);
    let plan = json_plan(&output);
    assert_eq!(plan.actions.len(), 1, "{}", stdout(&output));
    let action = &plan.actions[0];
    assert_eq!(action.address.to_string(), "DeploymentProfile/Autopilot Sales");
    let Op::Update { changes, .. } = &action.op else {
        panic!("expected an update, got {:?}", action.op);
    };
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].path, "deviceNameTemplate");
    assert_eq!(changes[0].before, Some(json!("PORTAL-%RAND:4%")));
    assert_eq!(changes[0].after, Some(before));
    assert_eq!(plan.summary.update, 1);

    // Without the audit history (`tests/drift.rs`), whose create events list every field.
    let output = run("drift", "commercial", &sim, &["--no-history"]);
    assert_code(&output, 2);
    let text = stdout(&output);
    assert!(text.contains("deviceNameTemplate"), "{text}");
    assert!(text.contains("Drift:"), "{text}");
    assert!(!text.contains("displayName"), "only the edited field: {text}");
}

#[test]
fn a_duplicate_name_fails_naming_both_ids() {
    let sim = start("commercial");
    let rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))";
    let first = sim.add_group("Autopilot-Sales", GroupMembership::Dynamic(rule.into()));
    let second = sim.add_group("Autopilot-Sales", GroupMembership::Dynamic(rule.into()));
    let out = tempfile::tempdir().unwrap();
    let out_file = out.path().join("plan.json");
    let output = run(
        "plan",
        "commercial",
        &sim,
        &["--out", out_file.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_code(&output, 1);
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let err = stderr(&output);
    // The report wraps long lines; the ids are whole once the wrapping is taken out.
    let unwrapped: String = err.chars().filter(|c| !c.is_whitespace() && *c != '|').collect();
    assert!(unwrapped.contains(&first) && unwrapped.contains(&second), "{err}");
    assert!(err.contains("plan/duplicate-name"), "{err}");
    assert!(err.contains("groups.yaml"), "points at the document: {err}");
    assert!(!out_file.exists());
}

#[test]
fn a_read_error_fails_with_no_plan() {
    let sim = start("commercial");
    sim.inject(
        FaultRule::status(500, 1.0)
            .methods(MethodClass::Reads)
            .path("/deviceManagement/windowsAutopilotDeploymentProfiles"),
    );
    let out = tempfile::tempdir().unwrap();
    let out_file = out.path().join("plan.json");
    for verb in ["plan", "drift"] {
        let extra: &[&str] = match verb {
            "plan" => &["--out", out_file.to_str().unwrap(), "--detailed-exitcode"],
            _ => &[],
        };
        let output = run(verb, "commercial", &sim, extra);
        assert_code(&output, 1);
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
        let err = stderr(&output);
        assert!(err.contains("cannot read the tenant"), "{err}");
        assert!(err.contains("500"), "{err}");
        assert!(!out_file.exists());
    }
}

#[test]
fn validation_errors_stop_before_any_request() {
    let sim = start("commercial");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&policies("commercial"), dir.path());
    let profiles = dir.path().join("profiles.yaml");
    let text = std::fs::read_to_string(&profiles).unwrap();
    std::fs::write(
        &profiles,
        text.replacen("kind: DeploymentProfile", "kind: DeploymentProfil", 1),
    )
    .unwrap();
    let url = sim.url();
    let output = hangar(&["plan", dir.path().to_str().unwrap(), "--endpoint", &url], &[]);
    assert_code(&output, 1);
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("error"), "{}", stderr(&output));
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

#[test]
fn another_tenants_credential_is_refused_before_any_request() {
    let sim = start("commercial");
    let url = sim.url();
    let dir = policies("commercial");
    let output = hangar(
        &["plan", dir.to_str().unwrap(), "--endpoint", &url],
        &[("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001")],
    );
    assert_code(&output, 1);
    assert!(stderr(&output).contains("AZURE_TENANT_ID"), "{}", stderr(&output));
    assert!(sim.request_log().is_empty());
}

#[test]
fn no_credential_says_which_variables_and_points_at_the_local_tenant() {
    let dir = policies("commercial");
    let output = common::hangar(&["plan", dir.to_str().unwrap()]).output().unwrap();
    assert_code(&output, 1);
    let stderr = stderr(&output);
    assert!(stderr.contains("AZURE_CLIENT_SECRET"), "{stderr}");
    assert!(stderr.contains("--local tenant.json"), "{stderr}");
}

#[test]
fn json_markdown_and_saved_plans() {
    let sim = start("commercial");
    let out = tempfile::tempdir().unwrap();
    let out_file = out.path().join("plan.json");

    let output = run("plan", "commercial", &sim, &["--format", "json"]);
    assert_code(&output, 0);
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["format_version"], json!(hangar_plan::FORMAT_VERSION));
    for count in ["create", "update", "replace", "delete"] {
        assert!(value["summary"][count].is_u64(), "summary.{count}: {value}");
    }
    assert!(value["summary"]["create"].as_u64().unwrap() > 0);
    assert!(value["actions"].as_array().is_some_and(|a| !a.is_empty()));

    let output = run("plan", "commercial", &sim, &["--format", "markdown"]);
    assert_code(&output, 0);
    let markdown = stdout(&output);
    assert!(
        markdown.contains("| | create | update | replace | delete | unchanged |"),
        "{markdown}"
    );
    assert!(markdown.contains("```mermaid"), "{markdown}");
    assert!(markdown.contains("<details>"), "{markdown}");

    let output = run(
        "plan",
        "commercial",
        &sim,
        &["--out", out_file.to_str().unwrap(), "--format", "json"],
    );
    assert_code(&output, 0);
    let saved = std::fs::read_to_string(&out_file).unwrap();
    let plan = Plan::from_json(&saved).unwrap();
    assert_eq!(plan, json_plan(&output), "the file is the plan printed");
    assert_eq!(hangar_plan::render::json::render(&plan), saved, "round trip");
    assert!(!plan.read.complete.is_empty());
    // Only the plan itself is left in the directory.
    let entries: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn drift_exits_2_on_difference_in_every_format() {
    let sim = start("gcc-high");
    for format in ["text", "json", "markdown"] {
        let output = run("drift", "gcc-high", &sim, &["--format", format]);
        assert_code(&output, 2);
    }
    let output = run("drift", "gcc-high", &sim, &["--format", "markdown"]);
    assert!(stdout(&output).contains("hangar drift"), "{}", stdout(&output));
    let output = run("drift", "gcc-high", &sim, &[]);
    assert!(
        stdout(&output).contains("the tenant differs from Git"),
        "{}",
        stdout(&output)
    );
    // GCC High: every request went to the simulator with a token for graph.microsoft.us.
    assert!(graph_requests(&sim) > 0);
    assert!(
        sim.request_log().iter().all(|r| r.status < 400),
        "{:?}",
        sim.request_log()
    );
}

#[test]
fn a_usage_error_is_an_error_not_changes() {
    let dir = policies("commercial");
    for args in [
        vec![
            "plan",
            dir.to_str().unwrap(),
            "--local",
            "x.json",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        vec!["drift", dir.to_str().unwrap(), "--detailed-exitcod"],
        vec!["plan", dir.to_str().unwrap(), "--format", "yaml"],
    ] {
        let output = hangar(&args, &[]);
        assert_code(&output, 1);
        assert!(stdout(&output).is_empty());
    }
    assert_code(&hangar(&["plan", "--help"], &[]), 0);
}

#[test]
fn the_endpoint_can_come_from_the_environment() {
    let sim = start("commercial");
    let dir = policies("commercial");
    let url = sim.url();
    let output = hangar(
        &["plan", dir.to_str().unwrap(), "--detailed-exitcode"],
        &[("HANGAR_ENDPOINT", &url)],
    );
    assert_code(&output, 2);
    assert!(graph_requests(&sim) > 0);
}

#[test]
fn a_local_tenant_from_a_fresh_clone() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("x.json");
    for example in ["commercial", "gcc-high"] {
        let state = dir.path().join(format!("{example}.json"));
        let policies = policies(example);
        let args = [
            "plan",
            policies.to_str().unwrap(),
            "--local",
            state.to_str().unwrap(),
            "--detailed-exitcode",
        ];
        let output = hangar(&args, &[("AZURE_CLIENT_ID", ""), ("AZURE_CLIENT_SECRET", "")]);
        assert_code(&output, 2);
        assert!(stdout(&output).contains("+ DeviceGroup/"), "{}", stdout(&output));
        assert!(state.exists(), "the state file is created");
        // The saved tenant is the configuration's, in its cloud; a second run plans the same.
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let desired = desired(&policies);
        assert_eq!(saved["tenantId"], json!(desired.tenant.tenant_id.value));
        let again = hangar(&args, &[]);
        assert_code(&again, 2);
        assert_eq!(stdout(&again), stdout(&output));
    }
    // A state file of another cloud is refused with a clear message.
    let commercial = dir.path().join("commercial.json");
    std::fs::copy(&commercial, &state).unwrap();
    let gcc_high = policies("gcc-high");
    let output = hangar(
        &[
            "plan",
            gcc_high.to_str().unwrap(),
            "--local",
            state.to_str().unwrap(),
        ],
        &[],
    );
    assert_code(&output, 1);
    assert!(stderr(&output).contains("gcc-high"), "{}", stderr(&output));
}

#[test]
fn secrets_and_tokens_reach_no_output() {
    const SECRET: &str = "Zq8~known-secret-3f1d9c";
    let mut config = sim_config("commercial");
    config.clients = vec![ClientRegistration {
        client_id: CLIENT_ID.into(),
        secrets: vec![SECRET.into()],
        ..ClientRegistration::default()
    }];
    let sim = Sim::start_background(config).unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_file = out.path().join("plan.json");
    let dir = policies("commercial");
    let url = sim.url();
    let output = hangar(
        &[
            "-vv",
            "plan",
            dir.to_str().unwrap(),
            "--endpoint",
            &url,
            "--out",
            out_file.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    );
    assert_code(&output, 0);
    let signed_in = sim
        .request_log()
        .iter()
        .any(|r| r.path.contains("/oauth2/") && r.status == 200);
    assert!(signed_in, "the secret was accepted");
    let saved = std::fs::read_to_string(&out_file).unwrap();
    let everything = format!("{}\n{}\n{saved}", stdout(&output), stderr(&output));
    assert!(stderr(&output).contains("DEBUG"), "-vv logs: {}", stderr(&output));
    assert!(!everything.contains(SECRET), "the secret leaked");
    // The simulator's tokens are JWTs: a base64url JSON header starts with `eyJ`.
    assert!(!everything.contains("eyJ"), "a token leaked");
    assert!(
        !everything.to_ascii_lowercase().contains("bearer "),
        "an authorization header leaked"
    );

    // Apply through the same credential, then plan the converged tenant: still nothing.
    let report = out.path().join("report.json");
    let output = hangar(
        &[
            "-vv",
            "apply",
            dir.to_str().unwrap(),
            "--endpoint",
            &url,
            "--auto-approve",
            "--report",
            report.to_str().unwrap(),
        ],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    );
    assert_code(&output, 0);
    let written = std::fs::read_to_string(&report).unwrap();
    let everything = format!("{}\n{}\n{written}", stdout(&output), stderr(&output));
    assert!(!everything.contains(SECRET), "the secret leaked from apply");
    assert!(!everything.contains("eyJ"), "a token leaked from apply");
    let output = run("drift", "commercial", &sim, &[]);
    assert_code(&output, 1);
    let output = hangar(
        &["drift", dir.to_str().unwrap(), "--endpoint", &url],
        &[("AZURE_CLIENT_SECRET", SECRET)],
    );
    assert_code(&output, 0);

    // A wrong secret: the refusal is reported, still without the secret.
    let output = hangar(
        &["-vv", "plan", dir.to_str().unwrap(), "--endpoint", &url],
        &[("AZURE_CLIENT_SECRET", "wrong-secret-value")],
    );
    assert_code(&output, 1);
    let everything = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!everything.contains("wrong-secret-value"), "{everything}");
    assert!(
        everything.contains("7000215") || everything.contains("invalid_client"),
        "{everything}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
