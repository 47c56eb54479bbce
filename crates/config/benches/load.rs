//! Load + validate + route a generated tenant: 1,000 resources and 100,000 devices with real
//! sized (4 KB) hardware hashes, split over two CSVs (a CSV may be at most 256 MiB).
//!
//! ```text
//! cargo bench -p hangar-config --bench load                  # criterion, 10 samples
//! HANGAR_GENERATE=/tmp/big cargo bench -p hangar-config --bench load   # only write the input
//! ```
//!
//! The input is generated once into `$CARGO_TARGET_DIR/hangar-bench-input` (about 420 MB) and
//! reused. See `docs/performance.md` for the numbers and for measuring peak memory with
//! `/usr/bin/time -v hangar validate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use hangar_config::{KnownDevice, Routing};

const GROUPS: usize = 400;
const RULE_GROUPS: usize = 30;
const PROFILES: usize = 370;
const ESPS: usize = 150;
const DOMAIN_JOINS: usize = 25;
const RESTRICTIONS: usize = 55;
const DEVICES: usize = 100_000;
const CSVS: usize = 2;
const HASH_BYTES: usize = 3_000; // 4,000 characters of base64, like a real hardware hash

/// A small deterministic generator (xorshift), so the input is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn tag(index: usize) -> String {
    format!("Dept{index:03}")
}

/// Writes the tenant into `dir` (replacing it).
pub fn generate(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("devices")).unwrap();
    let mut yaml = String::from(
        "kind: Tenant\nname: bench\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n",
    );
    // Groups: one per tag (indexed), and rule groups that must be evaluated for every device.
    for index in 0..GROUPS - RULE_GROUPS {
        let _ = write!(
            yaml,
            "---\nkind: DeviceGroup\nname: Autopilot-{}\nmembership:\n  groupTag: {}\n",
            tag(index),
            tag(index)
        );
    }
    for index in 0..RULE_GROUPS {
        let _ = write!(
            yaml,
            "---\nkind: DeviceGroup\nname: Rule-{index:03}\nmembership:\n  rule: 'device.devicePhysicalIds -any (_ -eq \"[OrderID]:Dept{index:03}\") -or device.displayName -eq \"lab-{index}\"'\n"
        );
    }
    // Profiles: one per tag group; the first DOMAIN_JOINS are hybrid with a domain join profile.
    for index in 0..PROFILES {
        let hybrid = index < DOMAIN_JOINS;
        let name = if hybrid {
            String::new()
        } else {
            format!("deviceName: D{:03}-%RAND:6%\n", index)
        };
        let _ = write!(
            yaml,
            "---\nkind: DeploymentProfile\nname: Profile {index}\njoin: {}\nmode: user-driven\n{name}assign:\n  include: [Autopilot-{}]\n",
            if hybrid { "hybrid" } else { "entra" },
            tag(index)
        );
    }
    for index in 0..DOMAIN_JOINS {
        let _ = write!(
            yaml,
            "---\nkind: DomainJoinProfile\nname: Join {index}\ndomain: corp.example.com\ncomputerNamePrefix: H{index:02}-\nrandomChars: 8\nassign:\n  include: [Autopilot-{}]\n",
            tag(index)
        );
    }
    for index in 0..ESPS {
        let _ = write!(
            yaml,
            "---\nkind: EnrollmentStatusPage\nname: ESP {index}\npriority: {}\nassign:\n  include: [Autopilot-{}]\n",
            index + 1,
            tag(index)
        );
    }
    for index in 0..RESTRICTIONS {
        let _ = write!(
            yaml,
            "---\nkind: EnrollmentRestriction\nname: Restriction {index}\npriority: {}\nwindows:\n  personalDevicesBlocked: true\nassign:\n  include: [Autopilot-{}]\n",
            index + 1,
            tag(index)
        );
    }
    // Split the documents over files of at most 1,024 documents.
    let documents: Vec<&str> = yaml.split("---\n").collect();
    for (index, chunk) in documents.chunks(500).enumerate() {
        std::fs::write(dir.join(format!("resources-{index}.yaml")), chunk.join("---\n")).unwrap();
    }

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut hash = vec![0u8; HASH_BYTES / 3 * 4];
    for file in 0..CSVS {
        let mut list = String::new();
        let _ = write!(
            list,
            "kind: AutopilotDevices\nname: fleet-{file}\nsource: devices/fleet-{file}.csv\n"
        );
        std::fs::write(dir.join(format!("devices-{file}.yaml")), list).unwrap();
        let out = std::fs::File::create(dir.join(format!("devices/fleet-{file}.csv"))).unwrap();
        let mut out = std::io::BufWriter::new(out);
        out.write_all(b"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n")
            .unwrap();
        for row in 0..DEVICES / CSVS {
            let device = file * (DEVICES / CSVS) + row;
            for byte in hash.iter_mut() {
                *byte = alphabet[(rng.next() % 64) as usize];
            }
            let device_tag = tag(device % (GROUPS - RULE_GROUPS));
            write!(out, "5CG{device:07},,").unwrap();
            out.write_all(&hash).unwrap();
            write!(out, ",{device_tag},user{device}@example.com\r\n").unwrap();
        }
        out.flush().unwrap();
    }
}

fn input() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let dir = target.join("hangar-bench-input");
    if !dir.join(format!("devices/fleet-{}.csv", CSVS - 1)).is_file() {
        println!("generating {} (once)", dir.display());
        generate(&dir);
    }
    dir
}

fn bench(c: &mut Criterion) {
    let dir = input();
    let mut group = c.benchmark_group("config");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(2));
    group.bench_function("load+validate+route 1k resources, 100k devices", |b| {
        b.iter(|| {
            let loaded = hangar_config::load(&dir).unwrap();
            let state = loaded.state.as_ref().expect("the generated tenant validates");
            let routing = Routing::new(state);
            let named = state
                .devices
                .iter()
                .map(|device| routing.route(&hangar_config::routing::known_device(device)))
                .filter(|route| route.device_name.is_some())
                .count();
            assert_eq!(named, DEVICES);
            loaded.diagnostics.len()
        });
    });
    let loaded = hangar_config::load(&dir).unwrap();
    let state = loaded.state.unwrap();
    let routing = Routing::new(&state);
    let devices: Vec<KnownDevice> = state
        .devices
        .iter()
        .map(hangar_config::routing::known_device)
        .collect();
    group.bench_function("route 100k devices", |b| {
        b.iter(|| {
            devices
                .iter()
                .map(|device| routing.route(device).profiles.len())
                .sum::<usize>()
        });
    });
    group.finish();
}

fn main() {
    if let Some(dir) = std::env::var_os("HANGAR_GENERATE") {
        generate(Path::new(&dir));
        println!("wrote {}", Path::new(&dir).display());
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
