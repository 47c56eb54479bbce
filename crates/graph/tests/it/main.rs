//! Integration tests of hangar-graph: one test binary, topic modules. `sim_*` modules run
//! against the simulator (`hangar-sim`) over real HTTP; the others use a bare loopback server
//! for answers the simulator does not give on purpose.
// Test helpers outside `#[test]` functions may unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod batching;
mod boundary;
mod credentials;
mod faults;
mod raw_server;
mod redaction;
mod sim_auth;
mod sim_graph;
mod support;
