//! Integration tests of the simulator over real HTTP (raw requests, not hangar's client).
#![allow(clippy::unwrap_used)]

mod support;

mod batch;
mod devices;
mod doctor;
mod enrollment;
mod faults;
mod fidelity;
mod groups;
mod policies;
mod profiles;
mod references;
mod signin;
mod state;
