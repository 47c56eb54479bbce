//! One module per command: `Args` (clap) and `exec`.

pub mod explain;
pub mod schema;
pub mod sim;
pub mod validate;
