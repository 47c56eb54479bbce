//! Integration tests of hangar-graph: one test binary, topic modules.

mod boundary;
mod credentials;
mod faults;
mod raw_server;
mod redaction;
