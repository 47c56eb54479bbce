//! `hangar explain`.

use crate::exit::Exit;

/// Arguments of `hangar explain`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `hangar explain`.
pub fn exec(_args: Args) -> miette::Result<Exit> {
    Err(miette::miette!("`hangar explain` is not built yet"))
}
