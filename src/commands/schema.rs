//! `hangar schema`.

use crate::exit::Exit;

/// Arguments of `hangar schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `hangar schema`.
pub fn exec(_args: Args) -> miette::Result<Exit> {
    Err(miette::miette!("`hangar schema` is not built yet"))
}
