//! Devices as code, end to end (issue 7): the `hangar` binary against the simulator over real
//! HTTP (`--endpoint` at a simulator started here, or `--local`), in the commercial and the GCC
//! High cloud: imports with a refused row (806), group tag changes and a pruned device, a
//! re-run after an apply killed with SIGKILL, the one-sync-per-ten-minutes rule,
//! `hangar devices import-csv` feeding plan and apply, bad CSVs refused before any request,
//! hash-less rows managing an OEM-registered device, and the bundled examples importing their
//! CSVs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::text;
use hangar_sim::{DeviceSeed, RequestRecord, Sim, SimCloud, SimConfig};
use serde_json::Value;

const TENANT_ID: &str = "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44";
const CLIENT_ID: &str = "hangar-devices-e2e";
const CLOUDS: [(&str, SimCloud); 2] = [
    ("commercial", SimCloud::Commercial),
    ("gcc-high", SimCloud::GccHigh),
];

/// A base64 "hardware hash" of `len` characters, different per serial.
fn hash(serial: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let seed = serial
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    (0..len / 4 * 4)
        .map(|i| ALPHABET[((seed.wrapping_add(i as u64 * 2_654_435_761)) >> 7) as usize % 64] as char)
        .collect()
}

/// A configuration directory: the tenant (with devices in the prune scope when `prune` names a
/// glob), one `AutopilotDevices` document and its CSV.
fn fleet(dir: &Path, cloud: &str, rows: &[(&str, &str)], prune: Option<&str>) {
    let prune = prune.map_or_else(String::new, |glob| {
        format!("prune:\n  enabled: true\n  only: [\"AutopilotDevice/{glob}\"]\n  maxDeletes: 10\n")
    });
    std::fs::create_dir_all(dir.join("devices")).unwrap();
    std::fs::write(
        dir.join("tenant.yaml"),
        format!("kind: Tenant\nname: fleet\ncloud: {cloud}\ntenantId: {TENANT_ID}\n{prune}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("devices.yaml"),
        "kind: AutopilotDevices\nname: fleet\nsource: devices/fleet.csv\n",
    )
    .unwrap();
    let mut csv =
        String::from("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n");
    for (serial, tag) in rows {
        csv.push_str(&format!("{serial},,{},{tag},\r\n", hash(serial, 128)));
    }
    std::fs::write(dir.join("devices/fleet.csv"), csv).unwrap();
}

fn start(cloud: SimCloud, config: SimConfig) -> Sim {
    Sim::start_background(config.cloud(cloud).tenant_id(TENANT_ID)).expect("the simulator starts")
}

/// `hangar` with a clean environment; `sim` adds `--endpoint` and the test client's secret.
/// Applies take the tenant's lock with a short time-to-live: a test kills some of them, and the
/// next run takes the dead run's lock over after it.
fn command(args: &[&str], sim: Option<&Sim>) -> Command {
    let mut command = common::hangar(args);
    if args.first() == Some(&"apply") {
        command.args(["--lock-ttl", "2s"]);
    }
    if let Some(sim) = sim {
        command
            .args(["--endpoint", &sim.url()])
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", "devices-e2e-secret");
    }
    command
}

fn run(args: &[&str], sim: Option<&Sim>) -> Output {
    command(args, sim).output().expect("hangar runs")
}

fn apply(dir: &Path, sim: &Sim) -> Output {
    let report = dir.join("report.json");
    run(
        &[
            "apply",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--report",
            report.to_str().unwrap(),
        ],
        Some(sim),
    )
}

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

/// `hangar plan --detailed-exitcode`: 0 nothing to do, 2 changes.
fn plan_exit(dir: &Path, sim: &Sim) -> Option<i32> {
    run(&["plan", dir.to_str().unwrap(), "--detailed-exitcode"], Some(sim))
        .status
        .code()
}

fn log(sim: &Sim, filter: impl Fn(&RequestRecord) -> bool) -> Vec<RequestRecord> {
    sim.request_log().into_iter().filter(|r| filter(r)).collect()
}

fn is_import(record: &RequestRecord) -> bool {
    record.method == "POST"
        && record
            .path
            .contains("importedWindowsAutopilotDeviceIdentities/import")
}

fn is_staging_read(record: &RequestRecord) -> bool {
    record.method == "GET" && record.path.contains("importedWindowsAutopilotDeviceIdentities")
}

fn syncs(sim: &Sim) -> Vec<u16> {
    log(sim, |r| r.path.ends_with("windowsAutopilotSettings/sync"))
        .iter()
        .map(|r| r.status)
        .collect()
}

fn registered(sim: &Sim, serial: &str) -> usize {
    sim.state()
        .devices
        .values()
        .filter(|d| d.serial_number.trim() == serial)
        .count()
}

fn staged(sim: &Sim) -> usize {
    sim.state().imported_devices.len()
}

#[test]
fn an_import_with_a_refused_row_names_it_and_registers_the_rest() {
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            ("ABC-0001", "Sales"),
            ("5CG0000001", "Sales"),
            ("5CG0000002", "Sales"),
            ("5CG0000003", "Lab"),
        ];
        fleet(dir.path(), cloud, &rows, None);
        let sim = start(sim_cloud, SimConfig::default());
        // The same hardware, registered earlier under another spelling of its serial: Intune
        // refuses the import with 806.
        sim.add_devices([DeviceSeed::new("abc-0001", "Old")]);
        let output = apply(dir.path(), &sim);
        assert_eq!(output.status.code(), Some(1), "{cloud}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("ABC-0001") && stderr.contains("ZtdDeviceAlreadyAssigned (806)"),
            "{cloud}: {}",
            text(&output)
        );
        let report = report(dir.path());
        assert_eq!(report["summary"]["done"], 3, "{cloud}: {report:#}");
        assert_eq!(report["summary"]["failed"], 1, "{cloud}");
        let refused = report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"]["name"] == "ABC-0001")
            .unwrap();
        assert!(
            refused["notes"].to_string().contains("letter case"),
            "{cloud}: {refused:#}"
        );
        for (serial, _) in &rows[1..] {
            assert_eq!(registered(&sim, serial), 1, "{cloud}: {serial}");
        }
        assert_eq!(staged(&sim), 0, "{cloud}: every staging record deleted");
        assert_eq!(log(&sim, is_import).len(), 1, "{cloud}: one import call");
        // The refused device stays planned; nothing else.
        assert_eq!(plan_exit(dir.path(), &sim), Some(2), "{cloud}");
    }
}

/// A large import in a CI log (no terminal): the refused row line by line, then a count every
/// tenth of the run, not one line per device. On the local tenant, whose limiter is off: over
/// HTTP the 400 staging deletes would take 80 s of Intune's write budget.
#[test]
fn a_large_import_logs_failures_and_counts_not_every_device() {
    let dir = tempfile::tempdir().unwrap();
    let serials: Vec<String> = (0..400).map(|i| format!("BULK-{i:04}")).collect();
    let rows: Vec<(&str, &str)> = serials.iter().map(|s| (s.as_str(), "Lab")).collect();
    fleet(dir.path(), "commercial", &rows, None);
    let local = dir.path().join("tenant.json");
    {
        let sim = start(SimCloud::Commercial, SimConfig::default().state_file(&local));
        sim.add_devices([DeviceSeed::new("bulk-0007", "Old")]);
        sim.save().unwrap();
    }
    let report_path = dir.path().join("report.json");
    let output = run(
        &[
            "apply",
            dir.path().to_str().unwrap(),
            "--local",
            local.to_str().unwrap(),
            "--auto-approve",
            "--report",
            report_path.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("failed") && l.contains("BULK-0007")),
        "{}",
        text(&output)
    );
    assert!(
        !stderr.contains("BULK-0008"),
        "a device that imported is not listed: {stderr}"
    );
    assert!(stderr.contains("400/400 steps finished (1 not done)"), "{stderr}");
    assert!(
        stderr.lines().count() < 60,
        "{} lines: {stderr}",
        stderr.lines().count()
    );
    assert_eq!(report(dir.path())["summary"]["done"], 399);
}

#[test]
fn tag_changes_and_a_pruned_device_converge() {
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        let rows = [("T-001", "New"), ("T-002", "New"), ("T-003", "Same")];
        fleet(dir.path(), cloud, &rows, Some("GONE-*"));
        let sim = start(sim_cloud, SimConfig::default());
        sim.add_devices([
            DeviceSeed::new("T-001", "Old"),
            DeviceSeed::new("T-002", "Old"),
            DeviceSeed::new("T-003", "Same"),
            DeviceSeed::new("GONE-1", "Old"),
            // Not in any CSV, but outside the prune scope: left alone.
            DeviceSeed::new("KEEP-1", "Old"),
        ]);
        let plan = run(&["plan", dir.path().to_str().unwrap()], Some(&sim));
        let shown = String::from_utf8_lossy(&plan.stdout);
        assert!(
            shown.contains("devices: 0 to import, 2 to update, 1 to delete"),
            "{cloud}: {}",
            text(&plan)
        );
        assert!(shown.contains("groupTag: \"Old\" → \"New\""), "{cloud}: {shown}");
        let output = apply(dir.path(), &sim);
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        let state = sim.state();
        let tag_of = |serial: &str| {
            state
                .devices
                .values()
                .find(|d| d.serial_number == serial)
                .map(|d| d.group_tag.clone())
        };
        assert_eq!(tag_of("T-001").as_deref(), Some("New"), "{cloud}");
        assert_eq!(tag_of("T-002").as_deref(), Some("New"), "{cloud}");
        assert_eq!(tag_of("GONE-1"), None, "{cloud}: pruned");
        assert_eq!(
            tag_of("KEEP-1").as_deref(),
            Some("Old"),
            "{cloud}: outside the scope"
        );
        assert!(syncs(&sim).is_empty(), "{cloud}: nothing imported, no sync");
        assert_eq!(plan_exit(dir.path(), &sim), Some(0), "{cloud}: converged");

        // Someone retags a device in the portal: the nightly drift job sees it.
        sim.with_state(|state| {
            for device in state.devices.values_mut().filter(|d| d.serial_number == "T-001") {
                device.group_tag = "Portal".into();
            }
        });
        let drift = run(&["drift", dir.path().to_str().unwrap()], Some(&sim));
        assert_eq!(drift.status.code(), Some(2), "{cloud}: {}", text(&drift));
        let shown = String::from_utf8_lossy(&drift.stdout);
        assert!(
            shown.contains("AutopilotDevice/T-001") && shown.contains("\"Portal\" → \"New\""),
            "{cloud}: {shown}"
        );
    }
}

/// Starts `hangar apply` and SIGKILLs it once it has staged its devices and looked at the
/// staging area once (so it is waiting for Intune to process them).
fn apply_and_kill_while_polling(dir: &Path, sim: &Sim) {
    sim.clear_request_log();
    let mut child: Child = command(&["apply", dir.to_str().unwrap(), "--auto-approve"], Some(sim))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hangar starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let records = sim.request_log();
        let posted = records.iter().position(is_import);
        if posted.is_some_and(|at| records[at..].iter().any(is_staging_read)) {
            child.kill().expect("SIGKILL delivered");
            child.wait().unwrap();
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "hangar apply ended before it was killed"
        );
        assert!(Instant::now() < deadline, "hangar apply never staged its devices");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_killed_apply_converges_without_importing_twice() {
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        let mut rows: Vec<(String, &str)> = (0..12).map(|i| (format!("K-{i:03}"), "Lab")).collect();
        let borrowed = |rows: &[(String, &str)]| -> Vec<(String, String)> {
            rows.iter().map(|(s, t)| (s.clone(), (*t).to_owned())).collect()
        };
        let write = |rows: &[(String, &str)]| {
            let owned = borrowed(rows);
            let pairs: Vec<(&str, &str)> = owned.iter().map(|(s, t)| (s.as_str(), t.as_str())).collect();
            fleet(dir.path(), cloud, &pairs, None);
        };
        write(&rows);
        // Intune takes an hour (simulated) to process an import: the apply is killed while it
        // waits.
        let sim = start(
            sim_cloud,
            SimConfig::default().import_processing(Duration::from_secs(3600)),
        );

        // 1. Killed while its imports are still processing; the re-run adopts them.
        apply_and_kill_while_polling(dir.path(), &sim);
        assert_eq!(staged(&sim), 12, "{cloud}: staged, then killed");
        assert_eq!(sim.state().devices.len(), 0, "{cloud}");
        sim.clear_request_log();
        let mut rerun = command(
            &["apply", dir.path().to_str().unwrap(), "--auto-approve"],
            Some(&sim),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while log(&sim, is_staging_read).is_empty() {
            assert!(
                Instant::now() < deadline,
                "{cloud}: the re-run never looked at the staging area"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        sim.advance_clock(Duration::from_secs(3601));
        let deadline = Instant::now() + Duration::from_secs(60);
        while rerun.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if rerun.try_wait().unwrap().is_none() {
            rerun.kill().unwrap();
        }
        let output = rerun.wait_with_output().unwrap();
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        assert!(log(&sim, is_import).is_empty(), "{cloud}: nothing imported twice");
        for (serial, _) in &rows {
            assert_eq!(registered(&sim, serial), 1, "{cloud}: {serial}");
        }
        assert_eq!(staged(&sim), 0, "{cloud}");

        // 2. Killed, and the imports finish before the next run: it finds them registered and
        //    only cleans up the staging records.
        rows.extend((12..17).map(|i| (format!("K-{i:03}"), "Lab")));
        write(&rows);
        apply_and_kill_while_polling(dir.path(), &sim);
        assert_eq!(staged(&sim), 5, "{cloud}");
        sim.advance_clock(Duration::from_secs(3601));
        sim.clear_request_log();
        let output = apply(dir.path(), &sim);
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        assert!(log(&sim, is_import).is_empty(), "{cloud}: nothing imported twice");
        assert_eq!(staged(&sim), 0, "{cloud}: leftovers cleaned up");
        for (serial, _) in &rows {
            assert_eq!(registered(&sim, serial), 1, "{cloud}: {serial}");
        }
        assert_eq!(plan_exit(dir.path(), &sim), Some(0), "{cloud}");
    }
}

#[test]
fn one_sync_per_run_and_none_within_ten_minutes_of_the_last() {
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        let sim = start(sim_cloud, SimConfig::default());
        let mut rows = vec![("S-1", "Sales")];
        fleet(dir.path(), cloud, &rows, None);
        let first = apply(dir.path(), &sim);
        assert!(first.status.success(), "{cloud}: {}", text(&first));
        assert_eq!(syncs(&sim), vec![204], "{cloud}: synced after the import");

        // A second run within ten (simulated) minutes imports, asks once, is refused, and
        // says when the next sync is allowed; the refusal is not a failure.
        rows.push(("S-2", "Sales"));
        fleet(dir.path(), cloud, &rows, None);
        sim.clear_request_log();
        let second = apply(dir.path(), &sim);
        assert!(second.status.success(), "{cloud}: {}", text(&second));
        assert_eq!(syncs(&sim), vec![429], "{cloud}: asked once, not repeated");
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert!(
            stderr.contains("allows one every ten minutes") && stderr.contains("again after"),
            "{cloud}: {}",
            text(&second)
        );
        assert_eq!(registered(&sim, "S-2"), 1, "{cloud}");

        // Ten minutes later (on the simulator's clock), the next import syncs again.
        sim.advance_clock(Duration::from_secs(601));
        rows.push(("S-3", "Sales"));
        fleet(dir.path(), cloud, &rows, None);
        sim.clear_request_log();
        let third = apply(dir.path(), &sim);
        assert!(third.status.success(), "{cloud}: {}", text(&third));
        assert_eq!(syncs(&sim), vec![204], "{cloud}");

        // No import, no sync.
        sim.clear_request_log();
        let fourth = apply(dir.path(), &sim);
        assert!(fourth.status.success(), "{cloud}: {}", text(&fourth));
        assert!(syncs(&sim).is_empty(), "{cloud}");
    }
}

/// What Windows PowerShell 5.1's `Get-WindowsAutopilotInfo -OutputFile` writes: UTF-16 LE with
/// a byte order mark, CRLF, no quotes.
fn collected(rows: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n");
    for (serial, tag) in rows {
        text.push_str(&format!("{serial},,{},{tag}\r\n", hash(serial, 128)));
    }
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn import_csv_adds_collected_devices_that_plan_and_apply_then_register() {
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        fleet(dir.path(), cloud, &[("OLD-1", "Sales")], None);
        let csv = dir.path().join("devices/fleet.csv");
        let fresh = dir.path().join("AutopilotHWID.csv");
        std::fs::write(
            &fresh,
            collected(&[("NEW-1", "Sales"), ("NEW-2", "Sales"), ("OLD-1", "Sales")]),
        )
        .unwrap();
        let into = dir.path().to_str().unwrap();
        let fresh_arg = fresh.to_str().unwrap();
        let output = run(
            &[
                "devices",
                "import-csv",
                fresh_arg,
                "--tag",
                "Sales",
                "--into",
                into,
            ],
            None,
        );
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("2 added, 0 replaced, 1 already there"),
            "{cloud}: {}",
            text(&output)
        );
        let merged = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(merged.matches("NEW-1").count(), 1, "{merged}");
        assert_eq!(merged.matches("OLD-1").count(), 1, "{merged}");
        assert!(merged.ends_with(&format!("NEW-2,,{},Sales,\r\n", hash("NEW-2", 128))));

        // Again: nothing to do. With another tag: refused, nothing written.
        let again = run(
            &[
                "devices",
                "import-csv",
                fresh_arg,
                "--tag",
                "Sales",
                "--into",
                into,
            ],
            None,
        );
        assert!(again.status.success() && String::from_utf8_lossy(&again.stdout).contains("Nothing to do"));
        std::fs::write(&fresh, collected(&[("NEW-1", "")])).unwrap();
        let clash = run(
            &["devices", "import-csv", fresh_arg, "--tag", "Lab", "--into", into],
            None,
        );
        assert_eq!(clash.status.code(), Some(1), "{cloud}: {}", text(&clash));
        assert!(
            String::from_utf8_lossy(&clash.stderr).contains("--update"),
            "{cloud}: {}",
            text(&clash)
        );
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), merged, "unchanged");

        let validate = run(&["validate", into], None);
        assert!(validate.status.success(), "{cloud}: {}", text(&validate));
        let sim = start(sim_cloud, SimConfig::default());
        sim.add_devices([DeviceSeed::new("OLD-1", "Sales")]);
        let output = apply(dir.path(), &sim);
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        assert_eq!(registered(&sim, "NEW-1"), 1, "{cloud}");
        assert_eq!(registered(&sim, "NEW-2"), 1, "{cloud}");

        // `--update` moves NEW-1 to Lab; apply changes its tag.
        let update = run(
            &[
                "devices",
                "import-csv",
                fresh_arg,
                "--tag",
                "Lab",
                "--into",
                into,
                "--update",
            ],
            None,
        );
        assert!(update.status.success(), "{cloud}: {}", text(&update));
        let output = apply(dir.path(), &sim);
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        let tag = sim
            .state()
            .devices
            .values()
            .find(|d| d.serial_number == "NEW-1")
            .map(|d| d.group_tag.clone());
        assert_eq!(tag.as_deref(), Some("Lab"), "{cloud}");
    }
}

/// Writes `csv` as the fleet CSV and a second list `extra` (if any), and checks `validate` and
/// `apply` refuse with the expected words, naming the file and row, before any Graph request.
fn refused(cloud: &str, sim_cloud: SimCloud, csv: &[u8], extra: Option<&[u8]>, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    fleet(dir.path(), cloud, &[], None);
    std::fs::write(dir.path().join("devices/fleet.csv"), csv).unwrap();
    if let Some(extra) = extra {
        std::fs::write(dir.path().join("devices/more.csv"), extra).unwrap();
        std::fs::write(
            dir.path().join("more.yaml"),
            "kind: AutopilotDevices\nname: more\nsource: devices/more.csv\n",
        )
        .unwrap();
    }
    let validate = run(&["validate", dir.path().to_str().unwrap()], None);
    assert_eq!(validate.status.code(), Some(1), "{cloud}: {}", text(&validate));
    let shown = String::from_utf8_lossy(&validate.stderr);
    for word in expected {
        assert!(
            shown.contains(word),
            "{cloud}: `{word}` missing: {}",
            text(&validate)
        );
    }
    let sim = start(sim_cloud, SimConfig::default());
    let output = apply(dir.path(), &sim);
    assert_eq!(output.status.code(), Some(1), "{cloud}: {}", text(&output));
    let graph = log(&sim, |r| {
        r.path.starts_with("/v1.0") || r.path.starts_with("/beta")
    });
    assert!(
        graph.is_empty(),
        "{cloud}: nothing may reach the tenant: {graph:?}"
    );
}

#[test]
fn bad_csvs_are_refused_naming_file_and_row_before_any_request() {
    let header = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
    let good = hash("GOOD-1", 128);
    for (cloud, sim_cloud) in CLOUDS {
        // A truncated hash (length not a multiple of 4) and a non-base64 one.
        let csv = format!(
            "{header}GOOD-1,,{good},Sales,\r\nCUT-1,,{},Sales,\r\nBAD-1,,{}!,Sales,\r\n",
            &good[..101],
            &good[..127]
        );
        refused(
            cloud,
            sim_cloud,
            csv.as_bytes(),
            None,
            &["fleet.csv", "row 2", "row 3", "base64"],
        );
        // Serials with a space, a tab, a non-breaking space.
        let csv = format!(
            "{header}AB 12,,{good},Sales,\r\n\"AB\t13\",,{good},Sales,\r\nAB\u{a0}14,,{good},Sales,\r\n"
        );
        refused(
            cloud,
            sim_cloud,
            csv.as_bytes(),
            None,
            &["row 1", "has a space", "row 2", "a tab", "row 3", "non-breaking"],
        );
        // One serial in two CSVs with different tags.
        let one = format!("{header}DUP-1,,{good},Sales,\r\n");
        let two = format!("{header}DUP-1,,{good},Lab,\r\n");
        refused(
            cloud,
            sim_cloud,
            one.as_bytes(),
            Some(two.as_bytes()),
            &["DUP-1", "listed twice", "different group tags"],
        );
        // No rows at all.
        refused(
            cloud,
            sim_cloud,
            header.as_bytes(),
            None,
            &["fleet.csv", "lists no devices"],
        );
    }
    // A 500 MB file (sparse: no disk is used).
    let dir = tempfile::tempdir().unwrap();
    fleet(dir.path(), "commercial", &[], None);
    let file = std::fs::File::create(dir.path().join("devices/fleet.csv")).unwrap();
    file.set_len(500 * 1024 * 1024).unwrap();
    let validate = run(&["validate", dir.path().to_str().unwrap()], None);
    assert_eq!(validate.status.code(), Some(1), "{}", text(&validate));
    let shown = String::from_utf8_lossy(&validate.stderr);
    assert!(
        shown.contains("fleet.csv") && shown.contains("500 MiB"),
        "{}",
        text(&validate)
    );
}

/// Hash-less rows (issue 11): a device an OEM registered (no hash in hand) is managed by
/// serial alone; a hash-less row of a serial nobody registered is refused naming file and row.
#[test]
fn an_oem_registered_device_is_managed_by_a_hashless_row() {
    let header =
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,Display Name\r\n";
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        fleet(dir.path(), cloud, &[], None);
        let csv = dir.path().join("devices/fleet.csv");
        std::fs::write(&csv, format!("{header}OEM-1,,,Sales,,Front desk\r\n")).unwrap();
        let sim = start(sim_cloud, SimConfig::default());
        sim.add_devices([DeviceSeed::new("OEM-1", "Factory")]);

        let plan = run(&["plan", dir.path().to_str().unwrap()], Some(&sim));
        let shown = String::from_utf8_lossy(&plan.stdout);
        assert!(
            shown.contains("devices: 0 to import, 1 to update")
                && shown.contains("groupTag: \"Factory\" → \"Sales\"")
                && shown.contains("displayName: (absent) → \"Front desk\""),
            "{cloud}: {}",
            text(&plan)
        );
        sim.clear_request_log();
        let output = apply(dir.path(), &sim);
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        let is_graph_write = |r: &RequestRecord| {
            r.method != "GET" && !r.path.contains("$batch") && !r.path.contains("/oauth2/")
        };
        let writes = common::without_the_lock(log(&sim, is_graph_write));
        let paths: Vec<&str> = writes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(writes.len(), 1, "{cloud}: one write: {paths:?}");
        assert!(
            paths[0].ends_with("/updateDeviceProperties"),
            "{cloud}: {paths:?}"
        );
        let state = sim.state();
        let device = state
            .devices
            .values()
            .find(|d| d.serial_number == "OEM-1")
            .unwrap();
        assert_eq!(
            (device.group_tag.as_str(), device.display_name.as_str()),
            ("Sales", "Front desk"),
            "{cloud}"
        );
        assert_eq!(plan_exit(dir.path(), &sim), Some(0), "{cloud}: converged");
        assert!(
            log(&sim, |r| r.path.contains("configurationPolicyTemplates")).is_empty(),
            "{cloud}: no Device Preparation policy, no template read"
        );

        // A serial nobody registered, without a hash: nothing to manage, nothing to import.
        std::fs::write(
            &csv,
            format!("{header}OEM-1,,,Sales,,Front desk\r\nNEW-9,,,Sales,,\r\n"),
        )
        .unwrap();
        sim.clear_request_log();
        let refused = run(
            &["apply", dir.path().to_str().unwrap(), "--auto-approve"],
            Some(&sim),
        );
        assert_eq!(refused.status.code(), Some(1), "{cloud}: {}", text(&refused));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("fleet.csv` row 2")
                && stderr.contains("`NEW-9`")
                && stderr.contains("fleet.csv:3")
                && stderr.contains("plan/hashless-not-registered"),
            "{cloud}: {}",
            text(&refused)
        );
        let writes = common::without_the_lock(log(&sim, is_graph_write));
        assert!(
            writes.is_empty(),
            "{cloud}: nothing but the lock written: {writes:?}"
        );
    }
}

/// A row with a hash and a display name: imported, then named once registered (an import
/// cannot carry a name), so one apply converges.
#[test]
fn an_imported_device_gets_its_display_name_in_the_same_apply() {
    let header =
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,Display Name\r\n";
    for (cloud, sim_cloud) in CLOUDS {
        let dir = tempfile::tempdir().unwrap();
        fleet(dir.path(), cloud, &[], None);
        std::fs::write(
            dir.path().join("devices/fleet.csv"),
            format!("{header}NAMED-1,,{},Sales,,Reception\r\n", hash("NAMED-1", 128)),
        )
        .unwrap();
        let sim = start(sim_cloud, SimConfig::default());
        let output = apply(dir.path(), &sim);
        assert!(output.status.success(), "{cloud}: {}", text(&output));
        let state = sim.state();
        let device = state
            .devices
            .values()
            .find(|d| d.serial_number == "NAMED-1")
            .unwrap();
        assert_eq!(
            (device.group_tag.as_str(), device.display_name.as_str()),
            ("Sales", "Reception"),
            "{cloud}"
        );
        assert_eq!(plan_exit(dir.path(), &sim), Some(0), "{cloud}: converged");
    }
}

#[test]
fn the_bundled_examples_import_their_devices_locally() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for example in ["commercial", "gcc-high"] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tenant.json");
        let config = root.join("policies").join(example);
        let report = dir.path().join("report.json");
        let output = run(
            &[
                "apply",
                config.to_str().unwrap(),
                "--local",
                state.to_str().unwrap(),
                "--auto-approve",
                "--report",
                report.to_str().unwrap(),
            ],
            None,
        );
        let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        let imports: Vec<&Value> = report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "import_device")
            .collect();
        assert!(!imports.is_empty(), "{example}: the example has devices");
        assert!(
            imports.iter().all(|a| a["status"] == "done"),
            "{example}: {}",
            text(&output)
        );
        let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        assert_eq!(
            saved["devices"].as_object().unwrap().len(),
            imports.len(),
            "{example}"
        );
        assert!(
            saved["importedDevices"].as_object().unwrap().is_empty(),
            "{example}"
        );
    }
}
