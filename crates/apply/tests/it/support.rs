//! A simulated tenant, a client signed in to it, and plan/apply in one call each.

use std::path::{Path, PathBuf};

use hangar_apply::{ApplyReport, GraphTenant, Options};
use hangar_config::DesiredState;
use hangar_graph::live::ReadScope;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ClientOptions, Credential, GraphClient};
use hangar_model::{Cloud, LiveState};
use hangar_plan::Plan;
use hangar_sim::{RequestRecord, Sim, SimCloud, SimConfig};

/// `policies/<name>` of the repository.
pub fn policies(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(name)
        .canonicalize()
        .expect("the example policies exist")
}

/// Loads a configuration directory that must be valid.
pub fn load(dir: &Path) -> DesiredState {
    let loaded = hangar_config::load(dir).expect("readable");
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    loaded
        .state
        .unwrap_or_else(|| panic!("`{}` has errors: {errors:#?}", dir.display()))
}

pub fn sim_cloud(cloud: Cloud) -> SimCloud {
    match cloud {
        Cloud::Commercial => SimCloud::Commercial,
        Cloud::Gcc => SimCloud::Gcc,
        Cloud::GccHigh => SimCloud::GccHigh,
        Cloud::Dod => SimCloud::Dod,
    }
}

/// A simulator config for `desired`'s tenant (cloud and tenant id, and the sample apps, script
/// and scope tag the examples name), with its clock 100 times faster than real time and new
/// groups replicating to Intune after 10 simulated seconds.
pub fn sim_config(desired: &DesiredState) -> SimConfig {
    SimConfig::default()
        .cloud(sim_cloud(desired.tenant.cloud.value))
        .tenant_id(desired.tenant.tenant_id.value.clone())
        .clock_scale(100.0)
        .replication_delay(std::time::Duration::from_secs(10))
        .sample_catalog(true)
}

/// A running simulator and a client signed in to it.
pub struct Env {
    pub sim: Sim,
    pub client: GraphClient,
    pub options: Options,
}

impl Env {
    pub async fn start(config: SimConfig) -> Env {
        let cloud = match config.cloud {
            SimCloud::Commercial => Cloud::Commercial,
            SimCloud::Gcc => Cloud::Gcc,
            SimCloud::GccHigh => Cloud::GccHigh,
            SimCloud::Dod => Cloud::Dod,
        };
        let scale = config.clock_scale;
        let throttled = config.throttling.enabled;
        let sim = Sim::start(config).await.expect("the simulator starts");
        let mut client_options = ClientOptions::new(cloud).with_endpoint(sim.url());
        client_options.retry = RetryPolicy::fast();
        client_options.rate_limit = if throttled {
            RateLimitConfig::scaled(scale)
        } else {
            RateLimitConfig::disabled()
        };
        let credential = Credential::ClientSecret {
            tenant_id: sim.tenant_id(),
            client_id: "hangar-apply-tests".into(),
            secret: "any-secret".into(),
        };
        let client = GraphClient::new(client_options, credential).expect("client");
        Env {
            sim,
            client,
            options: Options::scaled(scale),
        }
    }

    pub fn tenant(&self) -> GraphTenant {
        GraphTenant::new(self.client.clone())
    }

    /// Everything: every kind, every group with its owners.
    pub async fn read(&self) -> LiveState {
        hangar_graph::read_live_state(&self.client, &ReadScope::everything())
            .await
            .expect("the tenant reads")
    }

    /// Reads the tenant and plans `desired` against it.
    pub async fn plan(&self, desired: &DesiredState) -> (LiveState, Plan) {
        let live = self.read().await;
        let plan = hangar_plan::plan(desired, &live).unwrap_or_else(|e| panic!("plan refused: {e}"));
        (live, plan)
    }

    /// Plans and applies `desired`, under its guardrails (as the CLI does): every plan the
    /// planner makes in these tests also passes them.
    pub async fn apply(&self, desired: &DesiredState) -> (Plan, ApplyReport) {
        let (live, plan) = self.plan(desired).await;
        let mut options = self.options.clone();
        options.guardrails = Some(hangar_apply::Guardrails::from_config(desired));
        let report = hangar_apply::apply(&plan, &self.tenant(), Some(&live), &options, &()).await;
        assert!(
            report.refused.is_empty(),
            "the planner's plan broke the guardrails: {:?}",
            report.refused
        );
        (plan, report)
    }

    /// Requests that changed the tenant (reads, `$batch` envelopes, `retrieve…` actions and
    /// sign-in left out).
    pub fn writes(&self) -> Vec<RequestRecord> {
        self.sim.request_log().into_iter().filter(is_write).collect()
    }
}

pub fn is_write(record: &RequestRecord) -> bool {
    record.method != "GET"
        && !record.path.contains("/oauth2/")
        && !record.path.ends_with("/$batch")
        && !record.path.contains("/retrieve")
        && !record.path.starts_with("/_sim")
}

/// The text rendering of a plan, for assertion messages.
pub fn show(plan: &Plan) -> String {
    hangar_plan::render::text::render(
        plan,
        &hangar_plan::render::text::TextOptions {
            color: false,
            wording: hangar_plan::render::Wording::Plan,
            device_limit: 20,
        },
    )
}

/// A failed report, readable.
pub fn show_report(report: &ApplyReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// The commercial example with pruning on for the names hangar created (the example ships with
/// pruning off), copied into a temporary directory: for tests of deletes.
pub fn commercial_with_pruning() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let source = policies("commercial");
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).expect("created");
        for entry in std::fs::read_dir(from).expect("readable") {
            let path = entry.expect("an entry").path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().expect("a name"))).expect("copied");
            }
        }
    };
    copy(&source, dir.path());
    copy(&source.join("devices"), &dir.path().join("devices"));
    let tenant = std::fs::read_to_string(dir.path().join("tenant.yaml")).expect("readable");
    let tenant = tenant.replace(
        "prune:\n  enabled: false\n",
        "prune:\n  enabled: true\n  only:\n    - DeviceGroup/Autopilot-*\n    - DeploymentProfile/Autopilot *\n    - EnrollmentStatusPage/ESP *\n  maxDeletes: 5\n",
    );
    assert!(
        tenant.contains("enabled: true"),
        "the example's tenant.yaml changed: {tenant}"
    );
    std::fs::write(dir.path().join("tenant.yaml"), tenant).expect("written");
    let path = dir.path().to_owned();
    (dir, path)
}
