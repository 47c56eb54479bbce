//! `hangar man`: the man pages, generated from the CLI definition.
//!
//! Without `--out` the page of `hangar` itself goes to stdout (`hangar man | man -l -`); with
//! `--out DIR` one page per command is written (`hangar.1`, `hangar-plan.1`,
//! `hangar-devices-import-csv.1`, …), which is what release archives ship.

use std::path::PathBuf;

use clap::CommandFactory;
use miette::{IntoDiagnostic, WrapErr};

use crate::exit::Exit;

/// Arguments of `hangar man`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write `hangar.1` and one page per command into DIR (created if missing) instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs `hangar man`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let command = crate::Cli::command();
    match args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .into_diagnostic()?;
            let mut stdout = std::io::stdout().lock();
            std::io::Write::write_all(&mut stdout, &page).into_diagnostic()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot create `{}`", dir.display()))?;
            clap_mangen::generate_to(command, &dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write the man pages into `{}`", dir.display()))?;
            eprintln!("wrote the man pages into {}", dir.display());
        }
    }
    Ok(Exit::Success)
}
