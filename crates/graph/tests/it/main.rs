//! Integration tests of hangar-graph: one test binary, topic modules.
// Test helpers outside `#[test]` functions may unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod batching;
mod boundary;
mod credentials;
mod faults;
mod raw_server;
mod redaction;
