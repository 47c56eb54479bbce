//! Device Preparation values from the tenant's setting definitions, end to end (issue 11): the
//! `hangar` binary against simulated tenants that number their options differently. In one
//! tenant `…_accountype_0` means Standard User, in the other Administrator; the same YAML
//! (`accountType: standard`) plans and applies a standard user in both, in the commercial and
//! the GCC High cloud, and a re-plan is empty. A tenant whose definition lacks the option stops
//! the plan naming the setting, the option and the YAML line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{policies, text, without_the_lock};
use hangar_sim::{
    DppOptionOrder, RequestRecord, Sim, SimCloud, SimConfig, SimState, device_preparation_templates,
};
use serde_json::Value;

const TENANT_ID: &str = "9a2e4c71-5b3d-4f08-a6e1-2c7d8b0f4a35";
const CLOUDS: [(&str, SimCloud); 2] = [
    ("commercial", SimCloud::Commercial),
    ("gcc-high", SimCloud::GccHigh),
];
const ORDERS: [DppOptionOrder; 2] = [DppOptionOrder::Listed, DppOptionOrder::Reversed];

/// The GCC High example without its devices, for `cloud`, in `dir`.
fn config(dir: &Path, cloud: &str) -> PathBuf {
    for entry in std::fs::read_dir(policies("gcc-high")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".yaml") && name != "devices.yaml" {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                dir.join(&name),
                text.replace("cloud: gcc-high", &format!("cloud: {cloud}")),
            )
            .unwrap();
        }
    }
    dir.to_owned()
}

fn start(cloud: SimCloud, order: DppOptionOrder) -> Sim {
    let sim = Sim::start_background(
        SimConfig::default()
            .cloud(cloud)
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .sample_catalog(true),
    )
    .expect("the simulator starts");
    sim.with_state(|state| state.policy_templates = device_preparation_templates(order));
    sim
}

fn run(sim: &Sim, args: &[&str]) -> Output {
    common::hangar(args)
        .args(["--endpoint", &sim.url()])
        .env("AZURE_CLIENT_ID", "hangar-dpp-e2e")
        .env("AZURE_CLIENT_SECRET", "dpp-e2e-secret")
        .output()
        .expect("hangar runs")
}

/// What the stored policy's value of `definition` means in the simulated tenant.
fn meaning(state: &SimState, definition: &str) -> String {
    let policy = state
        .configuration_policies
        .values()
        .next()
        .expect("the policy exists");
    let value = policy
        .settings
        .iter()
        .find(|s| s["settingInstance"]["settingDefinitionId"] == definition)
        .and_then(|s| s["settingInstance"]["choiceSettingValue"]["value"].as_str())
        .unwrap_or_else(|| panic!("no {definition}"))
        .to_owned();
    let template = policy.properties["templateReference"]["templateId"]
        .as_str()
        .unwrap();
    state.policy_templates[template]
        .setting(definition)
        .unwrap()
        .options
        .iter()
        .find(|o| o.item_id == value)
        .map(|o| o.display_name.clone())
        .unwrap_or_else(|| format!("{value} (no such option)"))
}

/// A Graph write (not a read, not a `$batch` envelope, not sign-in; `retrieve…` is a read).
fn is_graph_write(record: &RequestRecord) -> bool {
    record.method != "GET"
        && !record.path.contains("$batch")
        && !record.path.contains("/oauth2/")
        && !record.path.contains("/retrieve")
}

#[test]
fn a_standard_user_is_written_whichever_option_the_tenant_numbers_0() {
    for (cloud, sim_cloud) in CLOUDS {
        for order in ORDERS {
            let dir = tempfile::tempdir().unwrap();
            let config = config(dir.path(), cloud);
            let config = config.to_str().unwrap();
            let sim = start(sim_cloud, order);
            let apply = run(&sim, &["apply", config, "--auto-approve"]);
            assert_eq!(
                apply.status.code(),
                Some(0),
                "{cloud} {order:?}: {}",
                text(&apply)
            );
            let state = sim.state();
            assert_eq!(
                [
                    meaning(&state, "enrollment_autopilot_dpp_deploymentmode"),
                    meaning(&state, "enrollment_autopilot_dpp_deploymenttype"),
                    meaning(&state, "enrollment_autopilot_dpp_jointype"),
                    meaning(&state, "enrollment_autopilot_dpp_accountype"),
                    meaning(&state, "enrollment_autopilot_dpp_allowskip"),
                    meaning(&state, "enrollment_autopilot_dpp_allowdiagnostics"),
                ],
                [
                    "User-driven",
                    "Single user",
                    "Microsoft Entra joined",
                    "Standard User",
                    "No",
                    "Yes"
                ],
                "{cloud} {order:?}"
            );
            let plan = run(&sim, &["plan", config, "--detailed-exitcode"]);
            assert_eq!(
                plan.status.code(),
                Some(0),
                "{cloud} {order:?}: converged: {}",
                text(&plan)
            );

            // Made an administrator in the portal: the plan says so in the tenant's words, and
            // apply puts the standard user back.
            let administrator = sim.with_state(|state| {
                let template = &state.policy_templates["80d33118-b7b4-40d8-b15f-81be745e053f_1"];
                let admin = template
                    .setting("enrollment_autopilot_dpp_accountype")
                    .unwrap()
                    .options
                    .iter()
                    .find(|o| o.display_name == "Administrator")
                    .unwrap()
                    .item_id
                    .clone();
                let policy = state.configuration_policies.values_mut().next().unwrap();
                for setting in &mut policy.settings {
                    if setting["settingInstance"]["settingDefinitionId"]
                        == "enrollment_autopilot_dpp_accountype"
                    {
                        setting["settingInstance"]["choiceSettingValue"]["value"] =
                            Value::from(admin.clone());
                    }
                }
                admin
            });
            // In the configuration's terms: the YAML field, its file:line and YAML values; the
            // setting only as a hint, never the choice's item id.
            let plan = run(&sim, &["plan", config]);
            let shown = String::from_utf8_lossy(&plan.stdout);
            let line = shown
                .lines()
                .find(|l| l.contains("accountType: administrator → standard"))
                .unwrap_or_else(|| panic!("{cloud} {order:?}: {}", text(&plan)));
            assert!(
                line.contains("device-preparation.yaml:"),
                "{cloud} {order:?}: {line}"
            );
            assert!(
                shown.contains("(Graph settings.enrollment_autopilot_dpp_accountype)"),
                "{cloud} {order:?}: {shown}"
            );
            assert!(!shown.contains(&administrator), "{cloud} {order:?}: {shown}");
            let markdown = run(&sim, &["plan", config, "--format", "markdown"]);
            let markdown = String::from_utf8_lossy(&markdown.stdout);
            assert!(
                markdown.contains("- accountType: administrator   # "),
                "{markdown}"
            );
            assert!(markdown.contains("+ accountType: standard"), "{markdown}");
            assert!(!markdown.contains("settingInstance"), "{markdown}");
            let json = run(&sim, &["plan", config, "--format", "json"]);
            let json: Value = serde_json::from_slice(&json.stdout).unwrap();
            let change = json["actions"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|a| a["changes"].as_array()?.first().cloned())
                .unwrap();
            assert_eq!(change["graph"], "settings.enrollment_autopilot_dpp_accountype");
            assert_eq!(change["field"]["name"], "accountType");
            assert_eq!(change["field"]["before"], "administrator");
            assert_eq!(change["field"]["after"], "standard");
            sim.clear_request_log();
            let apply = run(&sim, &["apply", config, "--auto-approve"]);
            assert_eq!(
                apply.status.code(),
                Some(0),
                "{cloud} {order:?}: {}",
                text(&apply)
            );
            let writes = without_the_lock(sim.request_log().into_iter().filter(is_graph_write).collect());
            assert_eq!(writes.len(), 1, "{cloud} {order:?}: one PUT: {writes:?}");
            assert_eq!(writes[0].method, "PUT", "{cloud} {order:?}");
            assert_eq!(
                meaning(&sim.state(), "enrollment_autopilot_dpp_accountype"),
                "Standard User"
            );
        }
    }
}

#[test]
fn a_definition_without_the_option_stops_the_plan_naming_setting_option_and_line() {
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), cloud);
        let sim = start(sim_cloud, DppOptionOrder::Reversed);
        sim.with_state(|state| {
            for template in state.policy_templates.values_mut() {
                for setting in &mut template.settings {
                    if setting.definition_id == "enrollment_autopilot_dpp_accountype" {
                        setting.options.retain(|o| o.display_name != "Standard User");
                    }
                }
            }
        });
        sim.clear_request_log();
        let apply = run(&sim, &["apply", config.to_str().unwrap(), "--auto-approve"]);
        assert_eq!(apply.status.code(), Some(1), "{cloud}: {}", text(&apply));
        let stderr = String::from_utf8_lossy(&apply.stderr);
        let line = std::fs::read_to_string(config.join("device-preparation.yaml"))
            .unwrap()
            .lines()
            .position(|l| l.starts_with("accountType:"))
            .unwrap()
            + 1;
        for expected in [
            "plan/device-preparation-values",
            "`enrollment_autopilot_dpp_accountype`",
            "\"Standard User\"",
            "\"Administrator\"",
            &format!("device-preparation.yaml:{line}"),
        ] {
            assert!(
                stderr.contains(expected),
                "{cloud}: `{expected}` in {}",
                text(&apply)
            );
        }
        let writes = without_the_lock(sim.request_log().into_iter().filter(is_graph_write).collect());
        assert!(
            writes.is_empty(),
            "{cloud}: nothing but the lock written: {writes:?}"
        );
        // Only a configuration with a Device Preparation policy reads the definitions.
        assert!(
            sim.request_log()
                .iter()
                .any(|r| r.path.contains("configurationPolicyTemplates")),
            "{cloud}"
        );
    }
}
