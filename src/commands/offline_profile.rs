//! `hangar offline-profile [DIR] --profile NAME --tenant-domain DOMAIN [--out FILE|DIR]`: writes
//! `AutopilotConfigurationFile.json` for a deployment profile, in the format of the
//! WindowsAutopilotIntune module's `ConvertTo-AutopilotConfigurationJSON`, for Windows Autopilot
//! for existing devices. Offline: the configuration gives the profile and the tenant id; the tenant's
//! domain, which the module reads from Graph, is a flag. See `docs/offline-profile.md`.

use std::path::{Path, PathBuf};

use hangar_config::offline::{self, Correlation, OfflineInputs};
use miette::{IntoDiagnostic, WrapErr};

use crate::commands::validate;
use crate::exit::Exit;

/// Arguments of `hangar offline-profile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// The `DeploymentProfile` to write (its `name:`).
    #[arg(long, value_name = "NAME")]
    pub profile: String,

    /// The tenant's domain, written as `CloudAssignedTenantDomain`: its default domain (what the
    /// PowerShell module reads from Graph) or its `*.onmicrosoft.com` domain.
    #[arg(long, value_name = "DOMAIN")]
    pub tenant_domain: String,

    /// `ZtdCorrelationId` to write (a GUID). Default: the profile's pinned `id:`, else an id
    /// derived from the tenant id and the profile name, the same every time.
    #[arg(long, value_name = "GUID")]
    pub correlation_id: Option<String>,

    /// Write the file here (a directory gets `AutopilotConfigurationFile.json`) instead of to
    /// stdout. The file is replaced atomically.
    #[arg(long, value_name = "FILE|DIR")]
    pub out: Option<PathBuf>,
}

/// Runs `hangar offline-profile`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let loaded = validate::load(&args.dir)?;
    let Some(state) = &loaded.state else {
        validate::print_text(&loaded);
        eprintln!("{}", validate::summary(&loaded, &args.dir));
        return Ok(Exit::Failure);
    };
    let inputs = OfflineInputs {
        tenant_domain: &args.tenant_domain,
        correlation_id: args.correlation_id.as_deref(),
    };
    let written = offline::offline_profile(state, &args.profile, inputs).map_err(|error| {
        let help = match &error {
            hangar_config::Error::UnknownProfile { .. } => {
                "`hangar explain` lists where each device lands; the names are the `name:` of the `DeploymentProfile` documents"
            }
            hangar_config::Error::OfflineUnsupported { .. } => {
                "the file supports user-driven profiles (Entra or hybrid join) in Commercial and GCC; see docs/offline-profile.md"
            }
            _ => "see docs/offline-profile.md",
        };
        miette::miette!(help = help, "{error}")
    })?;
    let from = match written.correlation {
        Correlation::Given => "given with --correlation-id",
        Correlation::PinnedId => "the profile's pinned `id:`, as the PowerShell module writes",
        Correlation::Derived => {
            "derived from the tenant id and the profile name; pass --correlation-id to choose one"
        }
    };
    match &args.out {
        Some(out) => {
            let path = target(out);
            hangar_durable::write(&path, written.text.as_bytes())
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write `{}`", path.display()))?;
            eprintln!(
                "Wrote `{}` for deployment profile `{}`.",
                path.display(),
                written.profile
            );
            if path.file_name().is_some_and(|name| name != offline::FILE_NAME) {
                eprintln!(
                    "warning: OOBE reads only a file named `{}`: rename it when you package it",
                    offline::FILE_NAME
                );
            }
        }
        None => validate::write_stdout(&written.text)?,
    }
    eprintln!("ZtdCorrelationId {} ({from}).", written.correlation_id);
    for note in &written.notes {
        eprintln!("note: {note}");
    }
    Ok(Exit::Success)
}

/// `--out` as a file path: a directory gets the file name OOBE looks for.
fn target(out: &Path) -> PathBuf {
    if out.is_dir() {
        out.join(offline::FILE_NAME)
    } else {
        out.to_owned()
    }
}
