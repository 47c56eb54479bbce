//! `hangar validate`.

use crate::exit::Exit;

/// Arguments of `hangar validate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `hangar validate`.
pub fn exec(_args: Args) -> miette::Result<Exit> {
    Err(miette::miette!("`hangar validate` is not built yet"))
}
