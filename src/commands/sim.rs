//! `hangar sim`.

use crate::exit::Exit;

/// Arguments of `hangar sim`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `hangar sim`.
pub fn exec(_args: Args) -> miette::Result<Exit> {
    Err(miette::miette!("`hangar sim` is not built yet"))
}
