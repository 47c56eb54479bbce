//! The devices CSV reader (through `validate`'s loader) and the `import-csv` merge, from bytes
//! in a CSV.
#![no_main]

use std::sync::OnceLock;

use hangar_config::Limits;
use hangar_config::devices::merge::{ImportCsv, merge};
use libfuzzer_sys::fuzz_target;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

const TENANT: &str = "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n---\nkind: AutopilotDevices\nname: d\nsource: d.csv\ngroupTag: A\n";
const MANAGED: &str = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n5CG1,,QUJD,A\r\n";

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("tenant.yaml"), TENANT).expect("write the tenant");
        dir
    });
    std::fs::write(dir.path().join("d.csv"), data).expect("write the input");
    let loaded = hangar_config::load(dir.path()).expect("the directory is readable");
    hangar_fuzz::check_snippets(&loaded, "s3cr3t-fuzz-value");
    // The same bytes as a freshly collected CSV merged into a managed one.
    let managed = dir.path().join("managed.csv");
    std::fs::write(&managed, MANAGED).expect("write the managed CSV");
    let limits = Limits::default();
    let _ = merge(&ImportCsv {
        fresh: &dir.path().join("d.csv"),
        tag: "A",
        update: data.first().is_some_and(|b| b & 1 == 1),
        target: &managed,
        default_tag: None,
        elsewhere: Vec::new(),
        limits: &limits,
    });
});
