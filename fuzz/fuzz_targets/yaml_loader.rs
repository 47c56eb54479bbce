//! The YAML loader, from bytes in a file to diagnostics and their snippets.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"));
    std::fs::write(dir.path().join("config.yaml"), data).expect("write the input");
    let loaded = hangar_config::load(dir.path()).expect("the directory is readable");
    hangar_fuzz::check_snippets(&loaded, "s3cr3t-fuzz-value");
});
