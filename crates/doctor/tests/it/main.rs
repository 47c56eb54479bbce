//! Integration tests of `hangar-doctor`: `dsregcmd /status` fixtures against the example
//! configurations, and the three output formats (snapshots). The tenant checks over real HTTP
//! against the simulator are end-to-end tests of the binary (`tests/doctor.rs` at the root).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dsregcmd;
mod dsregcmd_props;
mod render;

use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dsregcmd")
        .join(name)
}

pub fn example(name: &str) -> hangar_config::DesiredState {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(name);
    hangar_config::load(&dir)
        .expect("readable")
        .state
        .expect("the example is valid")
}
