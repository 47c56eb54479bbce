//! The `hangar` command line: argument parsing, output and exit codes.
//!
//! This binary is thin on purpose. Every command lives in `commands/<verb>.rs` with an `Args`
//! struct (clap) and an `exec` function that calls into the library crates and prints. Only this
//! binary writes to stdout or stderr, chooses exit codes, or renders diagnostics (miette).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod commands;
mod exit;
mod output;
mod tenant;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::ColorChoice;

/// Windows Autopilot and Intune enrollment configuration as code.
///
/// Describe Autopilot in YAML, `validate` it offline, `plan` it against a tenant, `apply` it
/// safely, and check for `drift` on a schedule. Works in Commercial, GCC, GCC High and DoD.
#[derive(Debug, Parser)]
#[command(name = "hangar", version, about, long_about, propagate_version = true)]
struct Cli {
    /// More output on stderr: `-v` for requests and decisions, `-vv` for everything.
    /// `RUST_LOG` overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// When to colour output. `NO_COLOR` in the environment means never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,

    /// The repository root that `include:` directories must stay inside. Default: the nearest
    /// directory at or above the configuration that holds `.git`.
    #[arg(long, value_name = "DIR", global = true)]
    root: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a configuration directory offline against the rules of the domain.
    Validate(commands::validate::Args),
    /// Show where each device or group tag lands: groups, profile, ESP and device name.
    Explain(commands::explain::Args),
    /// What an Autopilot, ESP, enrollment, hybrid join or import error code means, what to do,
    /// and what in the configuration prevents it, with Microsoft's sources. Offline.
    ExplainError(commands::explain_error::Args),
    /// Read a tenant (read only) and write a configuration of the Autopilot objects it holds,
    /// pruning off, that plans with no changes.
    Import(commands::import::Args),
    /// Read the tenant and show what `apply` would change (exit 2 with `--detailed-exitcode`
    /// when there are changes).
    Plan(commands::plan::Args),
    /// Read the tenant and report how it differs from Git (exit 2 when it does).
    Drift(commands::drift::Args),
    /// Make the tenant match Git: plan (or take a saved plan), confirm, apply, report.
    Apply(commands::apply::Args),
    /// Manage the devices CSVs: `import-csv` adds a freshly collected hash CSV without
    /// duplicating serials (offline).
    Devices(commands::devices::Args),
    /// Check, read only, what Autopilot depends on outside the configuration (licences, MDM
    /// scope and URLs, device join, connectors, permissions, sync, device profile status), or
    /// compare a device's `dsregcmd /status` with the configuration (exit 2 on findings).
    Doctor(commands::doctor::Args),
    /// Write `AutopilotConfigurationFile.json` for a deployment profile (Windows Autopilot for
    /// existing devices), as the WindowsAutopilotIntune module does. Offline.
    OfflineProfile(commands::offline_profile::Args),
    /// List the configurations under a directory (one per `Tenant` document) for a CI matrix
    /// or a Kubernetes job: directory, name, cloud, tenant id and included bases.
    Tenants(commands::tenants::Args),
    /// Write the JSON Schemas of the YAML kinds (for editors).
    Schema(commands::schema::Args),
    /// Run a Graph-compatible tenant simulator over a state file.
    Sim(commands::sim::Args),
    /// Print the shell completion script for bash, zsh, fish or PowerShell.
    Completions(commands::completions::Args),
    /// Print the man page, or write one page per command with `--out DIR`.
    Man(commands::man::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap exits 2 on a usage error, which pipelines read as "changes present" (`plan
        // --detailed-exitcode`, `drift`): a mistyped flag must be an error (1) instead.
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.exit_code() == 0 { 0 } else { 1 });
        }
    };
    output::init(cli.color);
    commands::validate::set_repository_root(cli.root);
    init_tracing(cli.verbose);

    let result = match cli.command {
        Command::Validate(args) => commands::validate::exec(args),
        Command::Explain(args) => commands::explain::exec(args),
        Command::ExplainError(args) => commands::explain_error::exec(args),
        Command::Import(args) => commands::import::exec(args),
        Command::Plan(args) => commands::plan::exec(args),
        Command::Drift(args) => commands::drift::exec(args),
        Command::Apply(args) => commands::apply::exec(args),
        Command::Devices(args) => commands::devices::exec(args),
        Command::Doctor(args) => commands::doctor::exec(args),
        Command::OfflineProfile(args) => commands::offline_profile::exec(args),
        Command::Tenants(args) => commands::tenants::exec(args),
        Command::Schema(args) => commands::schema::exec(args),
        Command::Sim(args) => commands::sim::exec(args),
        Command::Completions(args) => commands::completions::exec(args),
        Command::Man(args) => commands::man::exec(args),
    };
    exit::finish(result)
}

/// Logs go to stderr. `-v` shows hangar's info-level events (one line per Graph request),
/// `-vv` debug; `RUST_LOG` takes precedence when set.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;

    let default = match verbose {
        0 => "warn",
        1 => "warn,hangar=info,hangar_graph=info,hangar_apply=info,hangar_plan=info,hangar_sim=info",
        _ => "info,hangar=debug,hangar_graph=debug,hangar_apply=debug,hangar_plan=debug,hangar_sim=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(output::stderr_color())
        .try_init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
