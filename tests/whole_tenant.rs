//! A plan that sees the whole tenant (issue 11 item 6), end to end against the simulator:
//! objects made in the portal on groups hangar manages are warned about and counted in the
//! device impact, and pruning refuses to pull a group from under them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use common::portal::Portal;
use common::{assert_code, stderr, stdout, write_files as write};
use hangar_sim::{DeviceSeed, RequestRecord, Sim, SimConfig};
use serde_json::{Value, json};

const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

fn sim() -> Sim {
    Sim::start_background(SimConfig::default().tenant_id(TENANT_ID).clock_scale(100.0)).unwrap()
}

fn hangar(sim: &Sim, args: &[&str]) -> Output {
    common::hangar(args)
        .args(["--endpoint", &sim.url()])
        .env("AZURE_CLIENT_ID", "hangar-e2e")
        .env("AZURE_CLIENT_SECRET", "e2e-secret")
        .output()
        .expect("hangar runs")
}

const TENANT: &str =
    "kind: Tenant\nname: whole\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\n";

const SALES: &str = "kind: DeviceGroup\nname: Autopilot Sales\nmembership:\n  groupTag: Sales\n---\n\
     kind: DeploymentProfile\nname: Autopilot Sales\njoin: entra\nmode: user-driven\ndeviceName: SLS-%SERIAL%\nassign:\n  include: [Autopilot Sales]\n";

fn profile_body(name: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": name, "description": "made in the portal",
        "deviceNameTemplate": "LEG-%RAND:4%", "locale": "en-US", "deviceType": "windowsPc",
        "preprovisioningAllowed": false, "hardwareHashExtractionEnabled": false,
        "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard",
            "privacySettingsHidden": true, "eulaHidden": true, "keyboardSelectionPageSkipped": true,
            "escapeLinkHidden": true}})
}

/// A portal profile assigned to `group_id`; returns its id.
fn portal_profile(portal: &Portal, name: &str, group_id: &str) -> String {
    let profile = portal.post(
        "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
        profile_body(name),
    );
    let id = profile["id"].as_str().unwrap().to_owned();
    portal.post(
        &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments"),
        json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}}),
    );
    id
}

fn group_id(sim: &Sim, name: &str) -> String {
    sim.with_state(|state| {
        state
            .groups
            .iter()
            .find(|(_, group)| group.properties["displayName"] == json!(name))
            .map(|(id, _)| id.clone())
            .unwrap()
    })
}

fn writes(sim: &Sim) -> Vec<RequestRecord> {
    let writes = sim
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("$batch") && !r.path.contains("/oauth2/"))
        .collect();
    common::without_the_lock(writes)
}

/// The reported case: a portal profile "Legacy Sales (portal)" assigned to a managed group made
/// the plan print that the group's devices move, no action did it, and after apply `plan` still
/// printed the move. Now every format names the object and the group, and nothing moves.
#[test]
fn a_portal_profile_on_a_managed_group_is_a_warning_not_a_phantom_move() {
    let sim = sim();
    sim.add_devices((1..=14).map(|n| DeviceSeed::new(format!("SLS-{n:03}"), "Sales")));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("tenant.yaml", TENANT), ("sales.yaml", SALES)]);
    let dir_text = dir.path().to_str().unwrap();
    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);

    let portal = Portal::new(&sim);
    let legacy_id = portal_profile(
        &portal,
        "Legacy Sales (portal)",
        &group_id(&sim, "Autopilot Sales"),
    );

    for round in ["before apply", "after apply"] {
        let text = hangar(&sim, &["plan", dir_text, "--detailed-exitcode"]);
        assert_code(&text, 0);
        let shown = stdout(&text);
        assert!(
            shown.contains("DeploymentProfile `Legacy Sales (portal)`")
                && shown.contains("managed group `Autopilot Sales`"),
            "{round}: the warning names the object and the group:\n{shown}"
        );
        assert!(
            shown.contains("none of 14 known devices changes profile, ESP or name"),
            "{round}: no phantom move:\n{shown}"
        );

        let markdown = stdout(&hangar(&sim, &["plan", dir_text, "--format", "markdown"]));
        assert!(
            markdown.contains("Legacy Sales (portal)") && markdown.contains("Autopilot Sales"),
            "{round}:\n{markdown}"
        );

        let json: Value =
            serde_json::from_str(&stdout(&hangar(&sim, &["plan", dir_text, "--format", "json"]))).unwrap();
        assert_eq!(
            json["unmanaged"],
            json!([{"kind": "DeploymentProfile", "name": "Legacy Sales (portal)", "id": legacy_id,
                "groups": ["Autopilot Sales"]}]),
            "{round}"
        );
        assert_eq!(json["impact"]["devices"], json!(14), "{round}");
        assert_eq!(json["impact"]["moved"], json!(0), "{round}: {}", json["impact"]);
        assert_eq!(
            json["impact"]["tags"][0]["profiles_after"],
            json!(["Autopilot Sales | Legacy Sales (portal)"]),
            "{round}: the impact counts the portal profile after the plan too"
        );

        sim.clear_request_log();
        assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);
        let written = writes(&sim);
        assert!(written.is_empty(), "{round}: apply writes nothing: {written:?}");
    }
    sim.with_state(|state| {
        assert!(
            state.deployment_profiles.contains_key(&legacy_id),
            "hangar never touches the portal profile"
        );
    });
}

/// Pruning a group that an object outside the configuration is assigned to is refused, naming
/// both and how to proceed; with the object in the prune scope too, both are pruned.
#[test]
fn pruning_a_group_an_unmanaged_object_uses_is_refused() {
    let sim = sim();
    let portal = Portal::new(&sim);
    let old = portal.post(
        "/v1.0/groups",
        json!({"displayName": "Autopilot Old", "mailEnabled": false, "mailNickname": "old",
            "securityEnabled": true, "groupTypes": ["DynamicMembership"],
            "membershipRuleProcessingState": "On",
            "membershipRule": "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Old\"))"}),
    );
    let old_id = old["id"].as_str().unwrap().to_owned();
    let legacy_id = portal_profile(&portal, "Legacy Old (portal)", &old_id);

    let dir = tempfile::tempdir().unwrap();
    let prune = |only: &str| format!("{TENANT}prune:\n  enabled: true\n  only: [{only}]\n  maxDeletes: 5\n");
    write(
        dir.path(),
        &[
            ("tenant.yaml", &prune("\"DeviceGroup/Autopilot *\"")),
            ("sales.yaml", SALES),
        ],
    );
    let dir_text = dir.path().to_str().unwrap();
    let refused = hangar(&sim, &["plan", dir_text]);
    assert_code(&refused, 1);
    let said = common::flat(&stderr(&refused));
    assert!(
        said.contains("pruning would delete group `Autopilot Old`")
            && said.contains("DeploymentProfile `Legacy Old (portal)`")
            && said.contains(&legacy_id)
            && said.contains("remove its assignment")
            && said.contains("plan/prune-assigned-group")
            && said.contains("tenant.yaml"),
        "{said}"
    );
    sim.clear_request_log();
    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 1);
    assert!(writes(&sim).is_empty(), "a refused plan writes nothing");

    // The portal profile in the prune scope too: both go, the profile first.
    write(
        dir.path(),
        &[(
            "tenant.yaml",
            &prune("\"DeviceGroup/Autopilot *\", \"DeploymentProfile/Legacy *\""),
        )],
    );
    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);
    sim.with_state(|state| {
        assert!(!state.groups.contains_key(&old_id));
        assert!(!state.deployment_profiles.contains_key(&legacy_id));
    });
}

/// A static group the configuration makes dynamic: Entra removes its explicit members, so the
/// update is destructive and says how many (read with `$count` and `ConsistencyLevel: eventual`).
#[test]
fn static_to_dynamic_is_destructive_and_counts_the_members_dropped() {
    let sim = sim();
    let portal = Portal::new(&sim);
    let member = |name: &str| {
        let group = portal.post(
            "/v1.0/groups",
            json!({"displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', ""),
                "securityEnabled": true, "groupTypes": []}),
        );
        format!(
            "https://graph.microsoft.com/v1.0/directoryObjects/{}",
            group["id"].as_str().unwrap()
        )
    };
    let members = [member("Kiosk A"), member("Kiosk B")];
    portal.post(
        "/v1.0/groups",
        json!({"displayName": "Autopilot Sales", "mailEnabled": false, "mailNickname": "sales",
            "securityEnabled": true, "groupTypes": [], "members@odata.bind": members}),
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("tenant.yaml", TENANT), ("sales.yaml", SALES)]);
    let dir_text = dir.path().to_str().unwrap();

    sim.clear_request_log();
    let json: Value =
        serde_json::from_str(&stdout(&hangar(&sim, &["plan", dir_text, "--format", "json"]))).unwrap();
    let count = sim
        .request_log()
        .into_iter()
        .find(|r| r.path.ends_with("/members/$count"))
        .expect("the member count is read");
    assert_eq!(count.method, "GET");
    let update = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"]["kind"] == "DeviceGroup" && a["action"] == "update")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(update["destructive"], json!(true), "{update:#}");
    assert_eq!(update["membership"], json!({"to_dynamic": true, "members": 2}));

    let text = stdout(&hangar(&sim, &["plan", dir_text]));
    assert!(
        text.contains("membership: assigned → dynamic drops 2 members"),
        "{text}"
    );
    let markdown = stdout(&hangar(&sim, &["plan", dir_text, "--format", "markdown"]));
    assert!(markdown.contains("drops 2 members"), "{markdown}");

    // A group that stays dynamic has nothing counted.
    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);
    sim.clear_request_log();
    assert_code(&hangar(&sim, &["plan", dir_text, "--detailed-exitcode"]), 0);
    assert!(
        !sim.request_log().iter().any(|r| r.path.contains("$count")),
        "no count when the type does not change"
    );
}

/// `renamedFrom:` renames in place: one PATCH of `displayName`, no delete and create, the same
/// id and its assignments kept; both names live, or `renamedFrom` equal to the name, are errors
/// naming the file and line.
#[test]
fn renamed_from_renames_in_place_with_one_patch() {
    let sim = sim();
    sim.add_devices((1..=3).map(|n| DeviceSeed::new(format!("SLS-{n:03}"), "Sales")));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("tenant.yaml", TENANT), ("sales.yaml", SALES)]);
    let dir_text = dir.path().to_str().unwrap();
    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);
    let id = sim.with_state(|state| state.deployment_profiles.keys().next().cloned().unwrap());

    let renamed = SALES.replace(
        "name: Autopilot Sales\njoin: entra",
        "name: Sales Laptops\nrenamedFrom: Autopilot Sales\njoin: entra",
    );
    write(dir.path(), &[("sales.yaml", &renamed)]);
    let json: Value =
        serde_json::from_str(&stdout(&hangar(&sim, &["plan", dir_text, "--format", "json"]))).unwrap();
    let actions = json["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{json:#}");
    assert_eq!(actions[0]["action"], "update");
    assert_eq!(actions[0]["reason"], "renamed");
    assert_eq!(actions[0]["live_id"], json!(id));
    assert_eq!(json["impact"]["moved"], json!(0), "a rename moves no device");
    let text = stdout(&hangar(&sim, &["plan", dir_text]));
    assert!(text.contains("renamed in place"), "{text}");

    sim.clear_request_log();
    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);
    let written = writes(&sim);
    let shown: Vec<String> = written
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(written.len(), 1, "exactly one write: {shown:?}");
    assert_eq!(written[0].method, "PATCH", "{shown:?}");
    assert!(written[0].path.ends_with(&id), "{shown:?}");
    sim.with_state(|state| {
        let profile = &state.deployment_profiles[&id];
        assert_eq!(profile.properties["displayName"], json!("Sales Laptops"));
        assert_eq!(state.deployment_profiles.len(), 1);
    });
    assert_code(&hangar(&sim, &["plan", dir_text, "--detailed-exitcode"]), 0);

    // Both names live: a plan error at the `renamedFrom:` line.
    Portal::new(&sim).post(
        "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
        profile_body("Autopilot Sales"),
    );
    let refused = hangar(&sim, &["plan", dir_text]);
    assert_code(&refused, 1);
    let said = common::flat(&stderr(&refused));
    assert!(
        said.contains("the tenant has both")
            && said.contains("plan/renamed-from")
            && said.contains("sales.yaml:8"),
        "{said}"
    );

    // `renamedFrom` equal to the name: a validation error at its line.
    write(
        dir.path(),
        &[(
            "sales.yaml",
            &SALES.replace("join: entra", "renamedFrom: Autopilot Sales\njoin: entra"),
        )],
    );
    let invalid = common::hangar(&["validate", dir_text]).output().unwrap();
    assert_code(&invalid, 1);
    let said = common::flat(&stderr(&invalid));
    assert!(
        said.contains("name/renamed-from") && said.contains("sales.yaml:8"),
        "{said}"
    );
}

/// `external: true`: a group hangar resolves by name for references but never creates, changes
/// or prunes; its live rule decides its devices in the impact; a missing one is a plan error
/// naming the file and line.
#[test]
fn an_external_group_is_referenced_never_changed() {
    let sim = sim();
    sim.add_devices((1..=4).map(|n| DeviceSeed::new(format!("OTH-{n:03}"), "Other")));
    let portal = Portal::new(&sim);
    let other = portal.post(
        "/v1.0/groups",
        json!({"displayName": "Other Team Devices", "description": "the other team's",
            "mailEnabled": false, "mailNickname": "other", "securityEnabled": true,
            "groupTypes": ["DynamicMembership"], "membershipRuleProcessingState": "On",
            "membershipRule": "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Other\"))"}),
    );
    let other_id = other["id"].as_str().unwrap().to_owned();
    let before = sim.with_state(|state| state.groups[&other_id].clone());

    let dir = tempfile::tempdir().unwrap();
    let prune = format!("{TENANT}prune:\n  enabled: true\n  only: [\"DeviceGroup/*\"]\n  maxDeletes: 5\n");
    let config = "kind: DeviceGroup\nname: Other Team Devices\nexternal: true\n---\n\
         kind: DeploymentProfile\nname: Other Laptops\njoin: entra\nmode: user-driven\nassign:\n  include: [Other Team Devices]\n";
    write(dir.path(), &[("tenant.yaml", &prune), ("other.yaml", config)]);
    let dir_text = dir.path().to_str().unwrap();

    let json: Value =
        serde_json::from_str(&stdout(&hangar(&sim, &["plan", dir_text, "--format", "json"]))).unwrap();
    let actions = json["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["address"]["kind"] != "DeviceGroup"),
        "no action on the external group: {json:#}"
    );
    assert_eq!(json["summary"]["delete"], json!(0), "never pruned");
    assert_eq!(
        json["impact"]["moved"],
        json!(4),
        "its live rule routes the devices: {}",
        json["impact"]
    );
    assert_eq!(
        json["impact"]["changes"][0]["after"]["profile"],
        json!("Other Laptops")
    );

    assert_code(&hangar(&sim, &["apply", dir_text, "--auto-approve"]), 0);
    let profile_targets = sim.with_state(|state| {
        let profile = state.deployment_profiles.values().next().unwrap();
        profile
            .assignments
            .iter()
            .map(|a| a.target["groupId"].clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        profile_targets,
        vec![json!(other_id)],
        "assigned by the name's live id"
    );
    assert_eq!(
        sim.with_state(|state| state.groups[&other_id].clone()).properties,
        before.properties,
        "the group is untouched"
    );
    assert_code(&hangar(&sim, &["plan", dir_text, "--detailed-exitcode"]), 0);

    // A missing external group: a plan error at `external: true`.
    write(
        dir.path(),
        &[(
            "other.yaml",
            &config
                .replace("name: Other Team Devices\n", "name: Other Team Devicez\n")
                .replace("[Other Team Devices]", "[Other Team Devicez]"),
        )],
    );
    let refused = hangar(&sim, &["plan", dir_text]);
    assert_code(&refused, 1);
    let said = common::flat(&stderr(&refused));
    assert!(
        said.contains("plan/external-group-missing")
            && said.contains("external group `Other Team Devicez` is not in the tenant")
            && said.contains("other.yaml:3"),
        "{said}"
    );

    // An external group takes no membership.
    write(
        dir.path(),
        &[(
            "other.yaml",
            &config.replace("external: true\n", "external: true\nmembership: assigned\n"),
        )],
    );
    let invalid = common::hangar(&["validate", dir_text]).output().unwrap();
    assert_code(&invalid, 1);
    let said = common::flat(&stderr(&invalid));
    assert!(
        said.contains("group/external") && said.contains("other.yaml:4"),
        "{said}"
    );
}
