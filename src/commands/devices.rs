//! `hangar devices import-csv FILE [DIR] --tag TAG [--into CSV|DIR] [--update]`: adds the devices of a
//! freshly collected hash CSV (Get-WindowsAutopilotInfo's output, UTF-8 or UTF-16) to the
//! managed CSV an `AutopilotDevices` document names, without duplicating serials. Offline:
//! nothing is sent to a tenant; `hangar plan` then shows the imports and `hangar apply` makes
//! them (see `docs/devices.md`).
//!
//! `--into` is the configuration directory (default `.`): the `AutopilotDevices` document whose
//! `groupTag:` is TAG receives the rows, or the only one there is; serials in any other CSV of
//! the configuration are never added again. `--into` may also name a CSV file directly (created
//! when missing). Any problem with any row means nothing is written.

use std::path::{Path, PathBuf};

use hangar_config::devices::merge::{ImportCsv, Merged, merge};
use hangar_config::{DesiredState, Limits};
use miette::miette;

use crate::commands::validate;
use crate::exit::Exit;

/// Arguments of `hangar devices`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// `hangar devices` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add the devices of a freshly collected hash CSV (Get-WindowsAutopilotInfo) to the
    /// managed devices CSV, without duplicating serials. Offline.
    ImportCsv(ImportCsvArgs),
}

/// Arguments of `hangar devices import-csv`.
#[derive(Debug, clap::Args)]
pub struct ImportCsvArgs {
    /// The CSV Get-WindowsAutopilotInfo wrote (UTF-8, or UTF-16 from Windows PowerShell 5.1).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The group tag of these devices (a `Group Tag` column in FILE, if any, must agree).
    #[arg(long, value_name = "TAG")]
    pub tag: String,

    /// The configuration directory whose `AutopilotDevices` CSV receives the rows (the one whose
    /// `groupTag:` is TAG, or the only one), or a CSV file (created when missing).
    #[arg(long, value_name = "CSV|DIR", default_value = ".")]
    pub into: PathBuf,

    /// The same as `--into`, given as a second argument.
    #[arg(value_name = "DIR", conflicts_with = "into")]
    pub dir: Option<PathBuf>,

    /// Replace rows whose serial is already in the managed CSV with another hash, tag or user
    /// (by default that is an error and nothing is written).
    #[arg(long)]
    pub update: bool,
}

/// Runs `hangar devices …`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    match args.command {
        Command::ImportCsv(args) => import_csv(&args),
    }
}

fn import_csv(args: &ImportCsvArgs) -> miette::Result<Exit> {
    let into = args.dir.as_ref().unwrap_or(&args.into);
    let tag = args.tag.trim();
    if tag.is_empty() {
        return Err(miette!(
            help = "pass the tag the devices were collected with, e.g. `--tag Sales`",
            "`--tag` is empty"
        ));
    }
    let limits = Limits::default();
    let is_csv = into.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let merged = if is_csv && !into.is_dir() {
        run_merge(ImportCsv {
            fresh: &args.file,
            tag,
            update: args.update,
            target: into,
            default_tag: None,
            elsewhere: Vec::new(),
            limits: &limits,
        })?
    } else {
        let loaded = validate::load(into)?;
        let Some(state) = &loaded.state else {
            validate::print_text(&loaded);
            eprintln!("{}", validate::summary(&loaded, into));
            eprintln!(
                "The configuration has errors, so its devices CSVs cannot be checked for duplicates: fix it first, or name the CSV with `--into FILE.csv`. Nothing was written."
            );
            return Ok(Exit::Failure);
        };
        let list = pick_list(state, tag, into)?;
        let target = state.device_lists[list].path.clone();
        let default_tag = state.device_lists[list]
            .group_tag
            .as_ref()
            .map(|t| t.value.as_str());
        let elsewhere = state
            .devices
            .iter()
            .filter(|d| d.list.index() != list)
            .map(|d| {
                (
                    d.serial.clone(),
                    state.device_lists[d.list.index()].path.clone(),
                    d.row,
                    d.group_tag.clone(),
                )
            })
            .collect();
        run_merge(ImportCsv {
            fresh: &args.file,
            tag,
            update: args.update,
            target: &target,
            default_tag,
            elsewhere,
            limits: &limits,
        })?
    };
    print_outcome(&merged, tag);
    Ok(Exit::Success)
}

fn run_merge(request: ImportCsv<'_>) -> miette::Result<Merged> {
    merge(&request).map_err(|error| match error {
        hangar_config::Error::Merge { .. } => miette!(
            help = "fix FILE (or collect the hashes again with Get-WindowsAutopilotInfo -GroupTag TAG), then run the command again",
            "{error}"
        ),
        other => miette::Report::from_err(other),
    })
}

/// The `AutopilotDevices` document to add to: the one whose `groupTag:` is `tag`, else the
/// only one.
fn pick_list(state: &DesiredState, tag: &str, dir: &Path) -> miette::Result<usize> {
    let lists = &state.device_lists;
    let tagged: Vec<usize> = (0..lists.len())
        .filter(|&i| lists[i].group_tag.as_ref().is_some_and(|t| t.value == tag))
        .collect();
    match (tagged.as_slice(), lists.len()) {
        ([one], _) => Ok(*one),
        ([], 1) => Ok(0),
        ([], 0) => Err(miette!(
            help = "add one, e.g.\n  kind: AutopilotDevices\n  name: fleet\n  source: devices/fleet.csv\nor name a CSV with `--into FILE.csv`",
            "`{}` has no `AutopilotDevices` document to add the devices to",
            dir.display()
        )),
        _ => {
            let names: Vec<String> = lists
                .iter()
                .map(|l| format!("`{}` ({})", l.name.value, l.path.display()))
                .collect();
            Err(miette!(
                help = "name the CSV with `--into FILE.csv`, or give one document `groupTag: {tag}`",
                "`{}` has several `AutopilotDevices` documents ({}) and none has `groupTag: {tag}`",
                dir.display(),
                names.join(", ")
            ))
        }
    }
}

fn print_outcome(merged: &Merged, tag: &str) {
    let target = merged.target.display();
    if merged.fresh_was_utf16 {
        eprintln!("Read UTF-16 (Windows PowerShell 5.1); the managed CSV stays UTF-8.");
    }
    for (serial, file) in &merged.elsewhere {
        eprintln!(
            "`{serial}` is already in `{}` with tag `{tag}`: left there.",
            file.display()
        );
    }
    if !merged.columns_added.is_empty() {
        eprintln!(
            "Added the column(s) {} to `{target}`.",
            merged
                .columns_added
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let verb = if merged.created { "Created" } else { "Updated" };
    if merged.written {
        println!(
            "{verb} `{target}`: {} added, {} replaced, {} already there (tag `{tag}`).",
            merged.added.len(),
            merged.updated.len(),
            merged.unchanged.len()
        );
        eprintln!("Next: `hangar plan` shows the imports; `hangar apply` makes them.");
    } else {
        let known = merged.unchanged.len() + merged.elsewhere.len();
        println!(
            "Nothing to do: {} already in `{target}` (tag `{tag}`).",
            if known == 1 {
                "the device is".to_owned()
            } else {
                format!("all {known} devices are")
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_parse() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: ImportCsvArgs,
        }
        let cli = Cli::try_parse_from([
            "x",
            "hash.csv",
            "--tag",
            "Sales",
            "--into",
            "d/fleet.csv",
            "--update",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.args.tag, "Sales");
        assert!(cli.args.update);
        assert!(
            Cli::try_parse_from(["x", "hash.csv"]).is_err(),
            "--tag is required"
        );
    }
}
