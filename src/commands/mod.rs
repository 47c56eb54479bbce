//! One module per command: `Args` (clap) and `exec`.

pub mod apply;
pub mod completions;
pub mod devices;
pub mod doctor;
pub mod drift;
pub mod explain;
pub mod explain_error;
pub mod import;
pub mod man;
pub mod offline_profile;
pub mod plan;
pub mod schema;
pub mod sim;
pub mod tenants;
pub mod validate;
