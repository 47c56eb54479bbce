//! Scale benchmark of the pure planner: 2,000 groups, 300 profiles, 200 ESPs and 100,000
//! registered devices, planned against an empty tenant (every create, impact over every device)
//! and against a tenant holding the devices' groups' live twins.
//!
//! `cargo bench -p hangar-plan --bench plan` (numbers in `docs/performance.md`). Each run
//! plans, then streams the JSON plan into a byte counter; at the end the plan is also rendered
//! the way it was before issue 15 (a sorted `serde_json::Value`), which must give the same
//! bytes (exit 1 otherwise), with the peak memory before and after it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fmt::Write;
use std::time::Instant;

use hangar_model::well_known::{DEFAULT_ESP_ID_SUFFIX, odata};
use hangar_model::{Kind, LiveDevice, LiveObject, LiveState};

const GROUPS: usize = 2_000;
const PROFILES: usize = 300;
const ESPS: usize = 200;
const DEVICES: usize = 100_000;

fn write_config(dir: &std::path::Path) {
    std::fs::write(
        dir.join("tenant.yaml"),
        "kind: Tenant\nname: bench\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\n",
    )
    .unwrap();
    for chunk in 0..GROUPS / 500 {
        let mut text = String::new();
        for i in chunk * 500..(chunk + 1) * 500 {
            let _ = write!(
                text,
                "---\nkind: DeviceGroup\nname: Autopilot-T{i}\nmembership:\n  groupTag: T{i}\n"
            );
        }
        std::fs::write(dir.join(format!("groups-{chunk}.yaml")), text).unwrap();
    }
    let mut text = String::new();
    for p in 0..PROFILES {
        let groups: Vec<String> = (0..GROUPS / PROFILES)
            .map(|k| format!("Autopilot-T{}", p * (GROUPS / PROFILES) + k))
            .collect();
        let _ = write!(
            text,
            "---\nkind: DeploymentProfile\nname: Autopilot P{p}\njoin: entra\nmode: user-driven\ndeviceName: P{p}-%SERIAL%\nassign:\n  include: [{}]\n",
            groups.join(", ")
        );
    }
    std::fs::write(dir.join("profiles.yaml"), text).unwrap();
    let mut text = String::new();
    for e in 0..ESPS {
        let groups: Vec<String> = (0..GROUPS / ESPS)
            .map(|k| format!("Autopilot-T{}", e * (GROUPS / ESPS) + k))
            .collect();
        let _ = write!(
            text,
            "---\nkind: EnrollmentStatusPage\nname: ESP {e}\npriority: {}\nassign:\n  include: [{}]\n",
            e + 1,
            groups.join(", ")
        );
    }
    std::fs::write(dir.join("esps.yaml"), text).unwrap();
}

fn tenant() -> LiveState {
    let mut live = LiveState {
        complete: Kind::ALL.into_iter().collect(),
        ..LiveState::default()
    };
    let mut esp = LiveObject::new(
        Kind::EnrollmentStatusPage,
        format!("x{DEFAULT_ESP_ID_SUFFIX}"),
        "All users and all devices",
    );
    esp.builtin = true;
    esp.odata_type = Some(odata::ESP.into());
    esp.assignments = Some(vec![]);
    live.objects.push(esp);
    for i in 0..DEVICES {
        live.devices.push(LiveDevice {
            id: format!("d{i}"),
            serial_number: format!("SN{i:07}"),
            group_tag: Some(format!("T{}", (i * 7) % GROUPS)),
            user_principal_name: None,
            display_name: None,
            purchase_order_identifier: None,
            deployment_profile_assignment_status: None,
        });
    }
    live
}

fn cpu_seconds() -> f64 {
    // user + system CPU of this process, from /proc (Linux); 0 elsewhere.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// How plans were rendered before the JSON was streamed (the oracle the streamed bytes must
/// equal): the whole plan as a `serde_json::Value`, keys sorted, printed pretty.
fn rendered_through_value(plan: &hangar_plan::Plan) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    serde_json::to_string_pretty(&sorted(serde_json::to_value(plan).unwrap())).unwrap() + "\n"
}

fn main() {
    let dir = std::env::temp_dir().join(format!("hangar-plan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_config(&dir);
    let loaded = hangar_config::load(&dir).unwrap();
    let state = loaded
        .state
        .unwrap_or_else(|| panic!("{:#?}", &loaded.diagnostics[..3.min(loaded.diagnostics.len())]));
    let live = tenant();
    let mut last = None;
    for run in 0..3 {
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let plan = hangar_plan::plan(&state, &live).unwrap();
        let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        let render = Instant::now();
        let mut counter = Counter(0);
        hangar_plan::render::json::write(&plan, &mut counter).unwrap();
        let streamed = render.elapsed().as_secs_f64();
        println!(
            "run {run}: plan {wall:.3} s wall, {cpu:.2} s CPU; {} actions, {} devices, {} moved; JSON {:.1} MB streamed in {streamed:.3} s; peak RSS so far {:.0} MB",
            plan.actions.len(),
            plan.impact.devices,
            plan.impact.moved,
            counter.0 as f64 / 1e6,
            peak_rss_mb()
        );
        last = Some(plan);
    }
    let plan = last.unwrap();
    let streamed = hangar_plan::render::json::render(&plan);
    // `HANGAR_PLAN_BENCH_DUMP=FILE` keeps the JSON plan, to compare two builds' output.
    if let Some(path) = std::env::var_os("HANGAR_PLAN_BENCH_DUMP") {
        std::fs::write(path, &streamed).unwrap();
    }
    let before = peak_rss_mb();
    let started = Instant::now();
    let oracle = rendered_through_value(&plan);
    println!(
        "rendered through a sorted Value (before issue 15): {:.3} s, peak RSS {before:.0} MB → {:.0} MB; the streamed JSON is {}",
        started.elapsed().as_secs_f64(),
        peak_rss_mb(),
        if oracle == streamed {
            "byte for byte the same"
        } else {
            "DIFFERENT"
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    if oracle != streamed {
        std::process::exit(1);
    }
}

/// Counts the bytes written (the streamed plan, kept nowhere).
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
