//! Scope tags, apps and scripts by name end to end (issue 11 item 3): one configuration, two
//! tenants (Commercial and GCC High) whose scope tags, apps and scripts have other ids and apps
//! other types, seeded through Graph as the admin center makes them. Each plan resolves the
//! names in its own tenant, apply writes that tenant's ids (a Device Preparation app with the
//! type the tenant gives it, never an assumed `win32LobApp`), and the plan after is empty. A
//! name or id the tenant lacks, or a name two apps share, stops the plan at its line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::portal::Portal;
use common::{assert_code, stderr, stdout};
use hangar_sim::{Sim, SimCloud, SimConfig, SimState};
use serde_json::{Value, json};

const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

fn sim(cloud: SimCloud) -> Sim {
    let roles = hangar_sim::DEFAULT_APP_ROLES.into_iter().chain([
        "DeviceManagementApps.ReadWrite.All",
        "DeviceManagementRBAC.ReadWrite.All",
    ]);
    Sim::start_background(
        SimConfig::default()
            .cloud(cloud)
            .tenant_id(TENANT_ID)
            .clock_scale(100.0)
            .seed(if cloud == SimCloud::Commercial { 11 } else { 29 })
            .sample_catalog(false)
            .app_roles(roles),
    )
    .unwrap()
}

fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", "hangar-e2e")
        .env("AZURE_CLIENT_SECRET", "e2e-secret")
        .output()
        .expect("hangar runs")
}

/// What one tenant holds, as (name, id, type).
struct Catalog {
    apps: Vec<(String, String, String)>,
    scripts: Vec<(String, String)>,
    tags: Vec<(String, String)>,
}

impl Catalog {
    fn app(&self, name: &str) -> &(String, String, String) {
        self.apps.iter().find(|(n, _, _)| n == name).unwrap()
    }
    fn tag(&self, name: &str) -> &str {
        &self.tags.iter().find(|(n, _)| n == name).unwrap().1
    }
}

/// Seeds scope tags, apps and a script through Graph, in an order (and with decoys) of the
/// tenant's own, so that ids differ between tenants; `company_portal` is that app's type here.
fn seed(sim: &Sim, decoys: usize, company_portal: &str) -> Catalog {
    let portal = Portal::new(sim);
    let mut catalog = Catalog {
        apps: Vec::new(),
        scripts: Vec::new(),
        tags: vec![("Default".into(), "0".into())],
    };
    for n in 0..decoys {
        portal.post(
            "/beta/deviceManagement/roleScopeTags",
            json!({"displayName": format!("Team {n}")}),
        );
        portal.post(
            "/beta/deviceAppManagement/mobileApps",
            json!({"@odata.type": "#microsoft.graph.winGetApp", "displayName": format!("Decoy {n}")}),
        );
    }
    let tag = portal.post(
        "/beta/deviceManagement/roleScopeTags",
        json!({"displayName": "Sales EU"}),
    );
    catalog
        .tags
        .push(("Sales EU".into(), tag["id"].as_str().unwrap().to_owned()));
    for (name, odata_type) in [
        ("Company Portal", company_portal),
        ("Visual Studio Code", "win32LobApp"),
        ("Microsoft 365 Apps", "officeSuiteApp"),
    ] {
        let app = portal.post(
            "/beta/deviceAppManagement/mobileApps",
            json!({"@odata.type": format!("#microsoft.graph.{odata_type}"), "displayName": name}),
        );
        assert_eq!(
            app["@odata.type"],
            json!(format!("#microsoft.graph.{odata_type}"))
        );
        catalog.apps.push((
            name.into(),
            app["id"].as_str().unwrap().to_owned(),
            format!("#microsoft.graph.{odata_type}"),
        ));
    }
    let script = portal.post(
        "/beta/deviceManagement/deviceManagementScripts",
        json!({"displayName": "Set time zone", "fileName": "tz.ps1", "runAsAccount": "system", "scriptContent": ""}),
    );
    catalog
        .scripts
        .push(("Set time zone".into(), script["id"].as_str().unwrap().to_owned()));
    catalog
}

const OBJECTS: &str = "kind: DeviceGroup\nname: Autopilot Deployed\nmembership: assigned\nowners: [intune-provisioning-client]\n---\n\
kind: DeviceGroup\nname: Autopilot Users\nmembership: assigned\n---\n\
kind: DeviceGroup\nname: Autopilot-Sales\nmembership:\n  groupTag: Sales\n---\n\
kind: EnrollmentStatusPage\nname: ESP Sales\npriority: 1\nshowProgress: true\n\
scopeTags: [Default, Sales EU]\n\
blockingApps:\n  - Company Portal\n  - Visual Studio Code\n\
assign:\n  include: [Autopilot-Sales]\n---\n\
kind: DevicePreparationPolicy\nname: Device Preparation\ndeviceGroup: Autopilot Deployed\nuserGroups: [Autopilot Users]\n\
scopeTags: [Sales EU]\n\
allowedApps: [Microsoft 365 Apps, Company Portal]\nallowedScripts: [Set time zone]\n";

fn configuration(dir: &Path, cloud: &str, objects: &str) {
    std::fs::write(
        dir.join("tenant.yaml"),
        format!("kind: Tenant\nname: moved\ncloud: {cloud}\ntenantId: {TENANT_ID}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("objects.yaml"), objects).unwrap();
}

/// The allowed apps a stored Device Preparation policy records: id → type.
fn allowed_apps(state: &SimState) -> Vec<(String, String)> {
    let policy = state.configuration_policies.values().next().unwrap();
    let mut out = Vec::new();
    for setting in &policy.settings {
        let instance = &setting["settingInstance"];
        if instance["settingDefinitionId"] != "enrollment_autopilot_dpp_allowedappids" {
            continue;
        }
        for value in instance["simpleSettingCollectionValue"].as_array().unwrap() {
            let app: Value = serde_json::from_str(value["value"].as_str().unwrap()).unwrap();
            out.push((
                app["id"].as_str().unwrap().to_owned(),
                app["type"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out.sort();
    out
}

fn allowed_scripts(state: &SimState) -> Vec<String> {
    let policy = state.configuration_policies.values().next().unwrap();
    policy
        .settings
        .iter()
        .map(|setting| &setting["settingInstance"])
        .filter(|instance| instance["settingDefinitionId"] == "enrollment_autopilot_dpp_allowedscriptids")
        .flat_map(|instance| {
            instance["simpleSettingCollectionValue"]
                .as_array()
                .unwrap()
                .clone()
        })
        .map(|value| value["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn one_configuration_plans_and_applies_in_two_tenants_with_their_own_ids_and_app_types() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen_ids = Vec::new();
    for (cloud, name, decoys, portal_type) in [
        (SimCloud::Commercial, "commercial", 0, "winGetApp"),
        (SimCloud::GccHigh, "gcc-high", 3, "windowsMobileMSI"),
    ] {
        let sim = sim(cloud);
        let catalog = seed(&sim, decoys, portal_type);
        configuration(dir.path(), name, OBJECTS);
        let path = dir.path().to_str().unwrap();
        let url = sim.url();

        assert_code(&hangar(&["apply", path, "--endpoint", &url, "--auto-approve"]), 0);
        sim.with_state(|state| {
            let esp = state
                .enrollment_configurations
                .values()
                .find(|c| c.properties["displayName"] == "ESP Sales")
                .unwrap();
            let blocking: BTreeSet<&str> = esp.properties["selectedMobileAppIds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let want: BTreeSet<&str> = ["Company Portal", "Visual Studio Code"]
                .into_iter()
                .map(|n| catalog.app(n).1.as_str())
                .collect();
            assert_eq!(blocking, want, "{name}");
            assert_eq!(
                esp.properties["roleScopeTagIds"],
                json!(["0", catalog.tag("Sales EU")]),
                "{name}"
            );
            // Each allowed app with this tenant's id and this tenant's type for it.
            let mut want: Vec<(String, String)> = ["Microsoft 365 Apps", "Company Portal"]
                .into_iter()
                .map(|n| {
                    let (_, id, odata_type) = catalog.app(n);
                    (id.clone(), odata_type.clone())
                })
                .collect();
            want.sort();
            assert_eq!(allowed_apps(state), want, "{name}");
            assert_eq!(
                allowed_scripts(state),
                vec![catalog.scripts[0].1.clone()],
                "{name}"
            );
            let policy = state.configuration_policies.values().next().unwrap();
            assert_eq!(
                policy.properties["roleScopeTagIds"],
                json!([catalog.tag("Sales EU")]),
                "{name}"
            );
        });
        assert_code(
            &hangar(&["plan", path, "--endpoint", &url, "--detailed-exitcode"]),
            0,
        );
        // A change shows each id with its name in this tenant.
        let edited = OBJECTS
            .replace("scopeTags: [Default, Sales EU]", "scopeTags: [Sales EU]")
            .replace(
                "  - Company Portal\n  - Visual Studio Code\n",
                "  - Company Portal\n",
            );
        configuration(dir.path(), name, &edited);
        let output = hangar(&["plan", path, "--endpoint", &url]);
        assert_code(&output, 0);
        let text = stdout(&output);
        for (id, label) in [
            (catalog.app("Visual Studio Code").1.as_str(), "Visual Studio Code"),
            (catalog.app("Company Portal").1.as_str(), "Company Portal"),
            (catalog.tag("Sales EU"), "Sales EU"),
            ("0", "Default"),
        ] {
            assert!(
                text.contains(&format!("{id} ({label})")),
                "{name}: {label}\n{text}"
            );
        }
        seen_ids.push((
            catalog.app("Company Portal").1.clone(),
            catalog.tag("Sales EU").to_owned(),
        ));
    }
    assert_ne!(seen_ids[0], seen_ids[1], "the two tenants give other ids");
}

#[test]
fn a_name_or_id_the_tenant_lacks_or_a_shared_name_stops_the_plan_at_its_line() {
    let sim = sim(SimCloud::Commercial);
    let catalog = seed(&sim, 0, "winGetApp");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let url = sim.url();

    let plan_fails = |objects: &str, expected: &[&str]| {
        configuration(dir.path(), "commercial", objects);
        let output = hangar(&["plan", path, "--endpoint", &url]);
        assert_code(&output, 1);
        let text = common::flat(&stderr(&output));
        for part in expected {
            assert!(text.contains(part), "missing `{part}` in:\n{text}");
        }
        assert!(stdout(&output).is_empty(), "no plan is printed");
    };
    let esp = |lines: &str| {
        format!("kind: EnrollmentStatusPage\nname: ESP Sales\npriority: 1\nshowProgress: true\n{lines}")
    };

    plan_fails(
        &esp("blockingApps:\n  - Company Portal\n  - Compnay Portal\n"),
        &[
            "plan/reference-not-found",
            "no app is named `Compnay Portal` in the tenant",
            "Company Portal",
            "objects.yaml:7:",
        ],
    );
    plan_fails(
        &esp("blockingApps:\n  - 00000000-0000-4000-8000-00000000abcd\n"),
        &[
            "no app has id `00000000-0000-4000-8000-00000000abcd` in the tenant",
            "objects.yaml:6:",
        ],
    );
    plan_fails(
        &esp("scopeTags: [Default, Sales US]\n"),
        &["no scope tag is named `Sales US`", "Sales EU", "objects.yaml:5:"],
    );
    plan_fails(
        "kind: DeviceGroup\nname: D\nmembership: assigned\nowners: [intune-provisioning-client]\n---\n\
         kind: DeviceGroup\nname: U\nmembership: assigned\n---\n\
         kind: DevicePreparationPolicy\nname: P\ndeviceGroup: D\nuserGroups: [U]\nallowedScripts: [Set timezone]\n",
        &["no script is named `Set timezone`", "objects.yaml:14:"],
    );

    // A second app of the same name: the error lists both ids; either id pins one.
    let twin = Portal::new(&sim).post(
        "/beta/deviceAppManagement/mobileApps",
        json!({"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "Company Portal"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = &catalog.app("Company Portal").1;
    plan_fails(
        &esp("blockingApps: [Company Portal]\n"),
        &[
            "plan/reference-ambiguous",
            "2 apps are named `Company Portal`",
            first,
            &twin,
        ],
    );
    configuration(
        dir.path(),
        "commercial",
        &esp(&format!("blockingApps: [{}]\n", twin.to_uppercase())),
    );
    assert_code(&hangar(&["apply", path, "--endpoint", &url, "--auto-approve"]), 0);
    sim.with_state(|state| {
        let esp = state
            .enrollment_configurations
            .values()
            .find(|c| c.properties["displayName"] == "ESP Sales")
            .unwrap();
        assert_eq!(esp.properties["selectedMobileAppIds"], json!([twin]));
    });
    assert_code(
        &hangar(&["plan", path, "--endpoint", &url, "--detailed-exitcode"]),
        0,
    );
}
