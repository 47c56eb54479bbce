//! The device phase against the simulator over HTTP: batches, staging clean-up, adoption of an
//! interrupted run's records, lost answers, refused batches, 806, the sync rule, the write
//! budget, a CSV changed after the plan, Ctrl-C.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use hangar_graph::live::ReadScope;
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::retry::RetryPolicy;
use hangar_graph::{ClientOptions, Credential, GraphClient};
use hangar_model::{Cloud, Kind, LiveState};
use hangar_plan::Plan;
use hangar_sim::{DeviceSeed, FaultRule, MethodClass, RequestRecord, Sim, SimCloud, SimConfig};

use crate::{ApplyReport, GraphTenant, Options, Status};

const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";

/// A base64 "hash" of `len` characters, different per serial.
fn hash(serial: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let seed = serial
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    (0..len / 4 * 4)
        .map(|i| ALPHABET[((seed.wrapping_add(i as u64 * 2_654_435_761)) >> 7) as usize % 64] as char)
        .collect()
}

/// A configuration directory: the tenant, one devices list and its CSV.
fn fleet(dir: &Path, cloud: &str, rows: &[(String, &str)], hash_len: usize, prune: bool) {
    let prune = if prune {
        "prune:\n  enabled: true\n  only: [AutopilotDevice/*]\n  maxDeletes: 1000\n"
    } else {
        ""
    };
    std::fs::write(
        dir.join("tenant.yaml"),
        format!("kind: Tenant\nname: fleet\ncloud: {cloud}\ntenantId: {TENANT_ID}\n{prune}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("devices.yaml"),
        "kind: AutopilotDevices\nname: fleet\nsource: devices.csv\n",
    )
    .unwrap();
    let mut csv =
        String::from("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n");
    for (serial, tag) in rows {
        csv.push_str(&format!("{serial},,{},{tag},\r\n", hash(serial, hash_len)));
    }
    std::fs::write(dir.join("devices.csv"), csv).unwrap();
}

fn serials(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i:05}")).collect()
}

struct Env {
    sim: Sim,
    tenant: GraphTenant,
    options: Options,
}

impl Env {
    async fn start(config: SimConfig) -> Env {
        let cloud = match config.cloud {
            SimCloud::Commercial => Cloud::Commercial,
            SimCloud::Gcc => Cloud::Gcc,
            SimCloud::GccHigh => Cloud::GccHigh,
            SimCloud::Dod => Cloud::Dod,
        };
        let scale = config.clock_scale;
        let throttled = config.throttling.enabled;
        let config = config.tenant_id(TENANT_ID);
        let sim = Sim::start(config).await.expect("the simulator starts");
        let mut options = ClientOptions::new(cloud).with_endpoint(sim.url());
        options.retry = RetryPolicy::fast();
        options.rate_limit = if throttled {
            RateLimitConfig::scaled(scale)
        } else {
            RateLimitConfig::disabled()
        };
        let credential = Credential::ClientSecret {
            tenant_id: sim.tenant_id(),
            client_id: "hangar-device-tests".into(),
            secret: "any-secret".into(),
        };
        let client = GraphClient::new(options, credential).expect("client");
        Env {
            sim,
            tenant: GraphTenant::new(client),
            options: Options::scaled(scale),
        }
    }

    async fn plan(&self, dir: &Path) -> (LiveState, Plan) {
        let loaded = hangar_config::load(dir).expect("readable");
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        let desired = loaded.state.unwrap_or_else(|| panic!("invalid: {errors:?}"));
        assert!(errors.is_empty(), "{errors:?}");
        let scope = ReadScope::named([Kind::AutopilotDevice], Vec::<String>::new());
        let live = hangar_graph::read_live_state(self.tenant.client(), &scope)
            .await
            .expect("the tenant reads");
        let plan = hangar_plan::plan(&desired, &live).unwrap_or_else(|e| panic!("plan refused: {e}"));
        (live, plan)
    }

    async fn apply(&self, dir: &Path) -> (Plan, ApplyReport) {
        let (live, plan) = self.plan(dir).await;
        let report = crate::apply(&plan, &self.tenant, Some(&live), &self.options, &()).await;
        (plan, report)
    }

    fn log(&self, filter: impl Fn(&RequestRecord) -> bool) -> Vec<RequestRecord> {
        self.sim.request_log().into_iter().filter(|r| filter(r)).collect()
    }

    fn imports_posted(&self) -> usize {
        self.log(|r| r.method == "POST" && r.path.contains("importedWindowsAutopilotDeviceIdentities/import"))
            .len()
    }

    fn syncs(&self) -> Vec<u16> {
        self.log(|r| r.path.ends_with("windowsAutopilotSettings/sync"))
            .iter()
            .map(|r| r.status)
            .collect()
    }

    fn registered(&self, serial: &str) -> usize {
        self.sim
            .state()
            .devices
            .values()
            .filter(|d| d.serial_number.trim() == serial)
            .count()
    }
}

fn show(report: &ApplyReport) -> String {
    let failed: Vec<String> = report
        .actions
        .iter()
        .filter(|a| a.status != Status::Done)
        .take(5)
        .map(|a| format!("{} {:?} {:?} {:?}", a.address, a.status, a.error, a.notes))
        .collect();
    format!("{:?}: {failed:#?}", report.summary)
}

fn config() -> SimConfig {
    SimConfig::default().clock_scale(100.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_go_in_batches_of_500_and_leave_no_staging_record() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, &str)> = serials("B", 1203).into_iter().map(|s| (s, "Sales")).collect();
    fleet(dir.path(), "commercial", &rows, 64, false);
    let env = Env::start(config()).await;
    let (plan, report) = env.apply(dir.path()).await;
    assert_eq!(plan.summary.devices.import, 1203);
    assert!(report.succeeded(), "{}", show(&report));
    assert_eq!(env.imports_posted(), 3, "500 + 500 + 203");
    assert!(
        env.log(|r| r.method == "GET" && r.path.contains("importedWindowsAutopilotDeviceIdentities/"))
            .is_empty(),
        "no per-device polling"
    );
    let state = env.sim.state();
    assert!(state.imported_devices.is_empty(), "staging cleaned up");
    assert_eq!(state.devices.len(), 1203);
    assert!(report.actions.iter().all(|a| a.object_id.is_some()));
    assert_eq!(env.syncs(), vec![204], "one sync, after the imports");
    let (_, again) = env.plan(dir.path()).await;
    assert!(!again.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_import_is_named_and_the_others_register() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        ("ABC-1".to_owned(), "Sales"),
        ("OK-1".to_owned(), "Sales"),
        ("OK-2".to_owned(), "Sales"),
    ];
    fleet(dir.path(), "gcc-high", &rows, 64, false);
    let env = Env::start(config().cloud(SimCloud::GccHigh)).await;
    // The same device, registered under another spelling of its serial.
    env.sim.add_devices([DeviceSeed::new("abc-1", "Old")]);
    let (_, report) = env.apply(dir.path()).await;
    let refused = report.actions.iter().find(|a| a.address.name == "ABC-1").unwrap();
    assert_eq!(refused.status, Status::Failed);
    let message = &refused.error.as_ref().unwrap().message;
    assert!(
        message.contains("806") && message.contains("ZtdDeviceAlreadyAssigned"),
        "{message}"
    );
    assert!(
        refused
            .notes
            .iter()
            .any(|n| n.contains("letter case") && n.contains("`abc-1`")),
        "{:?}",
        refused.notes
    );
    assert_eq!(report.summary.done, 2, "{}", show(&report));
    assert!(
        env.sim.state().imported_devices.is_empty(),
        "the failed record is deleted too"
    );
    assert_eq!(env.registered("OK-1"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_staged_by_an_interrupted_run_are_adopted_not_imported_again() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, &str)> = serials("R", 6).into_iter().map(|s| (s, "Lab")).collect();
    fleet(dir.path(), "commercial", &rows, 64, false);
    let env = Env::start(config().import_processing(Duration::from_secs(30))).await;
    // What a run killed after its import call leaves: two records still processing.
    let staged = env
        .tenant
        .client()
        .autopilot_devices()
        .import_records(
            &rows[..2]
                .iter()
                .map(|(serial, tag)| hangar_graph::resources::devices::ImportedDevice {
                    serial_number: serial.clone(),
                    hardware_identifier: hash(serial, 64),
                    group_tag: (*tag).to_owned(),
                    ..Default::default()
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    assert_eq!(staged.len(), 2);
    env.sim.clear_request_log();
    let (plan, report) = env.apply(dir.path()).await;
    assert_eq!(plan.summary.devices.import, 6, "not registered yet");
    assert!(report.succeeded(), "{}", show(&report));
    assert_eq!(env.imports_posted(), 1, "only the four others are imported");
    let adopted: Vec<_> = report
        .actions
        .iter()
        .filter(|a| a.notes.iter().any(|n| n.contains("adopted")))
        .collect();
    assert_eq!(adopted.len(), 2);
    assert!(
        adopted.iter().all(|a| a.attempts == 0),
        "never sent: {adopted:#?}"
    );
    assert!(
        report.actions.iter().all(|a| a.error.is_none()),
        "no 806 from a second import"
    );
    for (serial, _) in &rows {
        assert_eq!(env.registered(serial), 1, "{serial}");
    }
    assert!(env.sim.state().imported_devices.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_leftovers_are_cleaned_up_when_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![("L-1".to_owned(), "Lab")];
    fleet(dir.path(), "commercial", &rows, 64, false);
    let env = Env::start(config()).await;
    // An interrupted run's import that completed after it was killed.
    env.tenant
        .client()
        .autopilot_devices()
        .import_records(&[hangar_graph::resources::devices::ImportedDevice {
            serial_number: "L-1".into(),
            hardware_identifier: hash("L-1", 64),
            group_tag: "Lab".into(),
            ..Default::default()
        }])
        .await
        .unwrap();
    let (plan, report) = env.apply(dir.path()).await;
    assert!(!plan.has_changes(), "the device registered");
    assert!(report.succeeded());
    assert!(
        env.sim.state().imported_devices.is_empty(),
        "its staging record is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_an_import_is_looked_up_not_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, &str)> = serials("D", 30).into_iter().map(|s| (s, "Ops")).collect();
    fleet(dir.path(), "commercial", &rows, 64, false);
    let env = Env::start(
        config().fault(
            FaultRule::drop_response(1.0)
                .methods(MethodClass::Writes)
                .path("importedWindowsAutopilotDeviceIdentities/import")
                .times(1),
        ),
    )
    .await;
    let (_, report) = env.apply(dir.path()).await;
    assert!(report.succeeded(), "{}", show(&report));
    assert_eq!(env.imports_posted(), 1, "found, not sent again");
    for (serial, _) in &rows {
        assert_eq!(env.registered(serial), 1, "{serial}");
    }
    assert!(env.sim.state().imported_devices.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_batch_is_split_until_it_fits() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, &str)> = serials("S", 40).into_iter().map(|s| (s, "Ops")).collect();
    fleet(dir.path(), "commercial", &rows, 3000, false);
    // 40 hashes of 3,000 characters do not fit in 64 KiB; 10 do.
    let env = Env::start(config().max_body_bytes(64 * 1024)).await;
    let (_, report) = env.apply(dir.path()).await;
    assert!(report.succeeded(), "{}", show(&report));
    assert_eq!(env.sim.state().devices.len(), 40);
    assert!(env.imports_posted() > 4, "split");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_per_run_and_never_twice_within_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::start(SimConfig::default()).await;
    let mut rows = vec![("Y-1".to_owned(), "Sales")];
    fleet(dir.path(), "commercial", &rows, 64, false);
    let (_, first) = env.apply(dir.path()).await;
    assert!(first.succeeded(), "{}", show(&first));
    assert_eq!(env.syncs(), vec![204]);

    rows.push(("Y-2".to_owned(), "Sales"));
    fleet(dir.path(), "commercial", &rows, 64, false);
    env.sim.clear_request_log();
    let (_, second) = env.apply(dir.path()).await;
    assert!(
        second.succeeded(),
        "a refused sync is not a failure: {}",
        show(&second)
    );
    assert_eq!(env.syncs(), vec![429], "asked once, refused, not repeated");
    let note = second
        .actions
        .iter()
        .flat_map(|a| &a.notes)
        .find(|n| n.contains("sync"));
    assert!(
        note.is_some_and(|n| n.contains("ten minutes") && n.contains("run `hangar apply` again after")),
        "{note:?}"
    );

    env.sim.advance_clock(Duration::from_secs(11 * 60));
    rows.push(("Y-3".to_owned(), "Sales"));
    fleet(dir.path(), "commercial", &rows, 64, false);
    env.sim.clear_request_log();
    let (_, third) = env.apply(dir.path()).await;
    assert!(third.succeeded(), "{}", show(&third));
    assert_eq!(env.syncs(), vec![204]);

    // Nothing imported: no sync asked for.
    env.sim.clear_request_log();
    let (plan, _) = env.apply(dir.path()).await;
    assert!(!plan.has_changes());
    assert!(env.syncs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_changes_and_prunes_run_at_the_write_budget_without_a_429() {
    let dir = tempfile::tempdir().unwrap();
    let all = serials("T", 152);
    let rows: Vec<(String, &str)> = all[..150].iter().map(|s| (s.clone(), "New")).collect();
    fleet(dir.path(), "commercial", &rows, 64, true);
    // A 10× clock: a 20 s window lasts 2 s, so the limiter's 5 % margin (100 ms) covers the
    // scheduling noise of a busy test machine.
    let env = Env::start(SimConfig::default().clock_scale(10.0).throttling(true)).await;
    env.sim
        .add_devices(all.iter().map(|s| DeviceSeed::new(s.clone(), "Old")));
    let (plan, report) = env.apply(dir.path()).await;
    assert_eq!(plan.summary.devices.update, 150);
    assert_eq!(plan.summary.devices.delete, 2);
    assert!(report.succeeded(), "{}", show(&report));
    let throttled = env.log(|r| r.status == 429);
    assert!(throttled.is_empty(), "{} requests throttled", throttled.len());
    let state = env.sim.state();
    assert_eq!(state.devices.len(), 150);
    assert!(state.devices.values().all(|d| d.group_tag == "New"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_changed_after_the_plan_imports_nothing_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, &str)> = serials("C", 5).into_iter().map(|s| (s, "Ops")).collect();
    fleet(dir.path(), "commercial", &rows, 64, false);
    let env = Env::start(config()).await;
    let (live, plan) = env.plan(dir.path()).await;
    // The last row's hash is damaged after the plan was made.
    let path = dir.path().join("devices.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let damaged = text.replacen(&hash("C00004", 64), &format!("!{}", &hash("C00004", 64)[1..]), 1);
    assert_ne!(damaged, text);
    std::fs::write(&path, damaged).unwrap();
    let report = crate::apply(&plan, &env.tenant, Some(&live), &env.options, &()).await;
    assert_eq!(report.summary.failed, 5, "{}", show(&report));
    assert_eq!(env.imports_posted(), 0);
    let bad = report
        .actions
        .iter()
        .find(|a| a.address.name == "C00004")
        .unwrap();
    assert!(
        bad.error.as_ref().unwrap().message.contains("C00004"),
        "{:?}",
        bad.error
    );
    let other = report
        .actions
        .iter()
        .find(|a| a.address.name == "C00000")
        .unwrap();
    assert!(
        other
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("nothing is imported from a CSV that fails validation"),
        "{:?}",
        other.error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_starts_no_device_action() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, &str)> = serials("X", 3).into_iter().map(|s| (s, "Ops")).collect();
    fleet(dir.path(), "commercial", &rows, 64, false);
    let mut env = Env::start(config()).await;
    env.options.stop = Some(Arc::new(AtomicBool::new(true)));
    let (_, report) = env.apply(dir.path()).await;
    assert_eq!(report.summary.not_started, 3);
    assert!(report.interrupted);
    assert_eq!(env.imports_posted(), 0);
}
