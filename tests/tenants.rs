//! Many tenants end to end: `hangar tenants` over `examples/many-tenants` (a shared base, a
//! Commercial and a GCC High tenant), `include:` through plan and apply against a simulator per
//! tenant, and every layout error refused with nothing listed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{sim_cloud, stderr, stdout, text};
use hangar_model::Cloud;
use hangar_sim::{Sim, SimConfig};
use serde_json::Value;

const CLIENT_ID: &str = "hangar-e2e";
const CLIENT_SECRET: &str = "e2e-secret-value";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/many-tenants")
}

fn hangar(args: &[&str]) -> Output {
    common::hangar(args)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .expect("hangar runs")
}

#[track_caller]
fn assert_code(output: &Output, expected: i32) {
    assert_eq!(output.status.code(), Some(expected), "{}", text(output));
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}\n{}", text(output)))
}

#[test]
fn tenants_lists_each_configuration_with_its_cloud_and_bases() {
    let root = example();
    let output = hangar(&["tenants", root.to_str().unwrap(), "--format", "json"]);
    assert_code(&output, 0);
    let listing = json(&output);
    assert_eq!(listing["format_version"], 1);
    let tenants = listing["tenants"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = tenants
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["cloud"].as_str().unwrap().to_owned(),
                t["tenant_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "contoso".to_owned(),
                "commercial".to_owned(),
                "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44".to_owned()
            ),
            (
                "fabrikam-gov".to_owned(),
                "gcc-high".to_owned(),
                "9a2e4c71-5b3d-4f08-a6e1-2c7d8b0f4a35".to_owned()
            ),
        ]
    );
    for tenant in tenants {
        let directory = Path::new(tenant["directory"].as_str().unwrap());
        assert!(
            directory.join("tenant.yaml").is_file(),
            "the directory is one `hangar plan` can take: {tenant}"
        );
        let include = tenant["include"].as_array().unwrap();
        assert_eq!(include.len(), 1, "{tenant}");
        assert_eq!(include[0]["name"], "common");
        assert!(
            include[0]["directory"].as_str().unwrap().ends_with("base"),
            "{tenant}"
        );
    }

    // One line, for `strategy.matrix: ${{ fromJSON(…) }}`.
    let output = hangar(&["tenants", root.to_str().unwrap(), "--format", "github-matrix"]);
    assert_code(&output, 0);
    let line = stdout(&output);
    assert_eq!(line.lines().count(), 1, "{line}");
    let matrix: Value = serde_json::from_str(&line).unwrap();
    let names: Vec<&str> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["contoso", "fabrikam-gov"]);
    assert_eq!(matrix["include"][1]["cloud"], "gcc-high");

    let output = hangar(&["tenants", root.to_str().unwrap()]);
    assert_code(&output, 0);
    let table = stdout(&output);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("fabrikam-gov  gcc-high"), "{table}");
}

/// A simulator for a tenant of the example, on a fast clock.
fn start(cloud: Cloud, tenant_id: &str) -> Sim {
    let config = SimConfig::default()
        .cloud(sim_cloud(cloud))
        .tenant_id(tenant_id)
        .clock_scale(100.0);
    Sim::start_background(config).expect("the simulator starts")
}

#[test]
fn one_base_converges_two_tenants_in_two_clouds() {
    let root = example();
    let tenants = [
        (
            "contoso",
            Cloud::Commercial,
            "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44",
        ),
        (
            "fabrikam-gov",
            Cloud::GccHigh,
            "9a2e4c71-5b3d-4f08-a6e1-2c7d8b0f4a35",
        ),
    ];
    for (name, cloud, tenant_id) in tenants {
        let sim = start(cloud, tenant_id);
        let url = sim.url();
        let dir = root.join("tenants").join(name);
        let dir = dir.to_str().unwrap();
        let output = hangar(&["plan", dir, "--endpoint", &url, "--format", "json"]);
        assert_code(&output, 0);
        let plan = json(&output);
        let addresses: Vec<String> = plan["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|action| {
                let address = &action["address"];
                format!(
                    "{}/{}",
                    address["kind"].as_str().unwrap(),
                    address["name"].as_str().unwrap()
                )
            })
            .collect();
        // The base's objects are planned in this tenant, under the same names.
        for from_base in [
            "DeviceGroup/All-Employees",
            "EnrollmentRestriction/Block personal Windows devices",
            "EnrollmentStatusPage/default",
        ] {
            assert!(
                addresses.iter().any(|address| address == from_base),
                "{name}: {from_base} missing from {addresses:?}"
            );
        }

        let output = hangar(&["apply", dir, "--endpoint", &url, "--auto-approve"]);
        assert_code(&output, 0);
        let output = hangar(&["drift", dir, "--endpoint", &url]);
        assert_code(&output, 0);
        // The restriction from the base is assigned to this tenant's own copy of the group.
        sim.with_state(|state| {
            let group = state
                .groups
                .values()
                .find(|g| g.display_name() == "All-Employees")
                .expect("the base's group was created");
            let restriction = state
                .enrollment_configurations
                .values()
                .find(|c| c.display_name() == "Block personal Windows devices")
                .expect("the base's restriction was created");
            let assigned = serde_json::to_string(&restriction.assignments).unwrap();
            assert!(assigned.contains(&group.id), "{name}: {assigned}");
        });
    }
}

/// A repository in a temporary directory: `.git`, the files given, and its path.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn tenant(name: &str, include: &str) -> String {
    format!(
        "kind: Tenant\nname: {name}\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\ninclude: [{include}]\n"
    )
}

/// Runs `hangar tenants` and `hangar validate` on the repository's first tenant and returns
/// their stderr; both must fail with nothing on stdout.
#[track_caller]
fn refused(repo: &Path, validate: &str) -> (String, String) {
    let output = hangar(&["tenants", repo.to_str().unwrap(), "--format", "json"]);
    assert_code(&output, 1);
    assert!(output.stdout.is_empty(), "nothing listed: {}", text(&output));
    let listing = stderr(&output);
    let output = hangar(&["validate", repo.join(validate).to_str().unwrap()]);
    assert_code(&output, 1);
    (listing, stderr(&output))
}

#[test]
fn layout_errors_list_nothing_and_name_the_files() {
    const GROUP: &str = "kind: DeviceGroup\nname: Shared\nmembership: assigned\n";

    // An include cycle through two bases.
    let repo = repository(&[
        ("tenants/a/tenant.yaml", &tenant("a", "../../base/one")),
        ("base/one/base.yaml", "kind: Base\nname: one\ninclude: [../two]\n"),
        ("base/two/base.yaml", "kind: Base\nname: two\ninclude: [../one]\n"),
    ]);
    let (listing, validate) = refused(repo.path(), "tenants/a");
    for message in [&listing, &validate] {
        assert!(message.contains("include/cycle"), "{message}");
        assert!(message.contains("an include cycle"), "{message}");
    }

    // A missing base.
    let repo = repository(&[("tenants/a/tenant.yaml", &tenant("a", "../../base"))]);
    let (listing, validate) = refused(repo.path(), "tenants/a");
    for message in [&listing, &validate] {
        assert!(message.contains("include/missing"), "{message}");
        assert!(message.contains("tenant.yaml:5"), "file:line: {message}");
    }

    // A base outside the repository (a symlink that leaves it counts as outside).
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("groups.yaml"), GROUP).unwrap();
    let repo = repository(&[("tenants/a/tenant.yaml", &tenant("a", "../../base"))]);
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), repo.path().join("base")).unwrap();
    #[cfg(unix)]
    {
        let (listing, validate) = refused(repo.path(), "tenants/a");
        for message in [&listing, &validate] {
            assert!(message.contains("include/outside-root"), "{message}");
        }
    }

    // Two `Tenant` documents in one configuration.
    let repo = repository(&[
        ("tenants/a/tenant.yaml", &tenant("a", "../../base")),
        ("tenants/a/second.yaml", &tenant("b", "../../base")),
        ("base/groups.yaml", GROUP),
    ]);
    let output = hangar(&["tenants", repo.path().to_str().unwrap()]);
    assert_code(&output, 1);
    assert!(output.stdout.is_empty(), "{}", text(&output));
    assert!(stderr(&output).contains("tenant/duplicate"), "{}", text(&output));

    // Other YAML beside the configurations (Kubernetes manifests, files without `kind:`) is
    // not hangar's: listed around. A near miss of `Tenant` is an error, not a silent gap.
    let repo = repository(&[
        ("tenants/a/tenant.yaml", &tenant("a", "../../base")),
        ("base/groups.yaml", GROUP),
        (
            "deploy/namespace.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hangar\n",
        ),
        ("compose.yaml", "services:\n  web:\n    image: nginx\n"),
    ]);
    let output = hangar(&["tenants", repo.path().to_str().unwrap(), "--format", "json"]);
    assert_code(&output, 0);
    assert_eq!(json(&output)["tenants"].as_array().unwrap().len(), 1);
    std::fs::create_dir_all(repo.path().join("tenants/b")).unwrap();
    std::fs::write(
        repo.path().join("tenants/b/tenant.yaml"),
        tenant("b", "../../base").replace("kind: Tenant", "kind: Tenat"),
    )
    .unwrap();
    let output = hangar(&["tenants", repo.path().to_str().unwrap()]);
    assert_code(&output, 1);
    assert!(output.stdout.is_empty(), "{}", text(&output));
    assert!(
        stderr(&output).contains("did you mean `Tenant`"),
        "{}",
        text(&output)
    );

    // A name in both the base and the tenant: an error naming both files.
    let repo = repository(&[
        ("tenants/a/tenant.yaml", &tenant("a", "../../base")),
        ("tenants/a/groups.yaml", GROUP),
        ("base/groups.yaml", GROUP),
    ]);
    let output = hangar(&["validate", repo.path().join("tenants/a").to_str().unwrap()]);
    assert_code(&output, 1);
    let message = stderr(&output);
    assert!(message.contains("name/duplicate"), "{message}");
    assert!(message.contains("base/groups.yaml"), "{message}");
    assert!(
        message.contains("tenants/a/groups.yaml") || message.contains("groups.yaml"),
        "{message}"
    );
}

#[test]
fn the_root_can_be_given_when_there_is_no_git() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("tenants/a/tenant.yaml", tenant("a", "../../base")),
        (
            "base/groups.yaml",
            "kind: DeviceGroup\nname: Shared\nmembership: assigned\n".to_owned(),
        ),
    ];
    for (path, content) in &files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let config = dir.path().join("tenants/a");
    let output = hangar(&["validate", config.to_str().unwrap()]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("--root"), "{}", text(&output));
    let output = hangar(&[
        "validate",
        config.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
    ]);
    assert_code(&output, 0);
}

/// The value of the one sample of `metric` in OpenMetrics `text`.
fn sample(text: &str, metric: &str) -> f64 {
    let line = text
        .lines()
        .find(|line| line.starts_with(&format!("{metric}{{")))
        .unwrap_or_else(|| panic!("no {metric} in\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn drift_writes_metrics_for_success_drift_and_failure() {
    let (cloud, tenant_id) = (Cloud::Commercial, "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44");
    let sim = start(cloud, tenant_id);
    let url = sim.url();
    let dir = example().join("tenants/contoso");
    let dir = dir.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let metrics = out.path().join("contoso.prom");
    let metrics_arg = metrics.to_str().unwrap();
    assert_code(&hangar(&["apply", dir, "--endpoint", &url, "--auto-approve"]), 0);

    let output = hangar(&["drift", dir, "--endpoint", &url, "--metrics", metrics_arg]);
    assert_code(&output, 0);
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains(&format!(
            "hangar_drift_changes{{tenant=\"contoso\",tenant_id=\"{tenant_id}\",cloud=\"commercial\"}} 0\n"
        )),
        "{text}"
    );
    assert_eq!(sample(&text, "hangar_drift_success"), 1.0);
    let first_success = sample(&text, "hangar_drift_last_success_timestamp_seconds");
    assert!(first_success > 1.6e9, "{text}");

    // A portal edit: one object drifts.
    let id = sim.with_state(|state| {
        state
            .groups
            .values()
            .find(|g| g.display_name() == "All-Employees")
            .unwrap()
            .id
            .clone()
    });
    patch(
        &sim,
        &format!("/v1.0/groups/{id}"),
        r#"{"description":"edited in the portal"}"#,
    );
    let output = hangar(&["drift", dir, "--endpoint", &url, "--metrics", metrics_arg]);
    assert_code(&output, 2);
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(sample(&text, "hangar_drift_changes"), 1.0, "{text}");
    assert!(text.contains("change=\"update\"} 1\n"), "{text}");

    // A run that fails (the configuration no longer validates) says so under the same
    // labels, keeps the last success time, and drops the counts.
    let repo = repository(&[(
        "tenants/contoso/tenant.yaml",
        &std::fs::read_to_string(Path::new(dir).join("tenant.yaml"))
            .unwrap()
            .replace("../../base", "../../missing"),
    )]);
    let broken = repo.path().join("tenants/contoso");
    let output = hangar(&[
        "drift",
        broken.to_str().unwrap(),
        "--endpoint",
        &url,
        "--metrics",
        metrics_arg,
    ]);
    assert_code(&output, 1);
    let failed = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(sample(&failed, "hangar_drift_success"), 0.0, "{failed}");
    assert!(failed.contains("tenant=\"contoso\""), "{failed}");
    assert!(!failed.contains("hangar_drift_changes"), "{failed}");
    assert!(sample(&failed, "hangar_drift_last_success_timestamp_seconds") >= first_success);
}

/// What an admin does in the portal: a PATCH with another identity's token.
fn patch(sim: &Sim, path: &str, body: &str) {
    let token = sim.issue_delegated_token(
        "admin@contoso.example",
        &[
            "Group.ReadWrite.All",
            "DeviceManagementServiceConfig.ReadWrite.All",
        ],
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .patch(format!("{}{path}", sim.url()))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success(), "{status}");
}

/// A saved plan covers the bases too: a base edited after review refuses the apply, naming the
/// base's file as seen from the configuration, whatever the working directory.
#[test]
fn a_base_edited_after_the_plan_is_reviewed_refuses_the_apply() {
    let repo = repository(&[
        ("tenants/a/tenant.yaml", &tenant("a", "../../base")),
        (
            "base/groups.yaml",
            "kind: DeviceGroup\nname: Shared\nmembership: assigned\n",
        ),
    ]);
    let sim = start(Cloud::Commercial, "00000000-0000-4000-8000-000000000001");
    let url = sim.url();
    let plan = repo.path().join("plan.json");
    let config = repo.path().join("tenants/a");
    // Planned from the repository root, applied from elsewhere: the same digest.
    let save_plan = || {
        let made = common::hangar(&[
            "plan",
            "tenants/a",
            "--endpoint",
            &url,
            "--out",
            plan.to_str().unwrap(),
        ])
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .current_dir(repo.path())
        .output()
        .unwrap();
        assert_code(&made, 0);
    };
    save_plan();
    let apply = || {
        hangar(&[
            "apply",
            plan.to_str().unwrap(),
            "--auto-approve",
            "--config",
            config.to_str().unwrap(),
            "--endpoint",
            &url,
        ])
    };
    assert_code(&apply(), 0);
    save_plan();
    std::fs::write(
        repo.path().join("base/groups.yaml"),
        "kind: DeviceGroup\nname: Shared\ndescription: edited\nmembership: assigned\n",
    )
    .unwrap();
    let applied = apply();
    assert_code(&applied, 1);
    let message = stderr(&applied).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(message.contains("`../../base/groups.yaml` changed"), "{message}");
}
