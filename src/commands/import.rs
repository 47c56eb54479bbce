//! `hangar import`: read a tenant (read only) and write a hangar configuration of what it holds.

use std::path::PathBuf;

use hangar_graph::ReadScope;
use hangar_model::{Cloud, Kind};
use miette::{IntoDiagnostic, miette};

use crate::exit::Exit;
use crate::tenant::{self, TenantArgs};

/// Arguments of `hangar import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the configuration: a missing or empty directory.
    pub out: PathBuf,

    /// The tenant's cloud: commercial, gcc, gcc-high or dod.
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Cloud,

    /// The tenant id (GUID or verified domain).
    #[arg(long, value_name = "ID")]
    pub tenant_id: String,

    /// The tenant's `name:` in `tenant.yaml` (default: the directory's name).
    #[arg(long, value_name = "NAME")]
    pub tenant_name: Option<String>,

    /// Import only this kind (repeat for several): DeploymentProfile, EnrollmentStatusPage,
    /// DevicePreparationPolicy, DomainJoinProfile, EnrollmentRestriction, AutopilotDevices,
    /// DeviceGroup (group-tag groups; the groups imported objects reference are always written).
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Vec<Kind>,

    /// Import only objects whose name matches GLOB (`Autopilot *`).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    if text == "AutopilotDevices" {
        return Ok(Kind::AutopilotDevice);
    }
    Kind::from_name(text).ok_or_else(|| {
        format!(
            "unknown kind `{text}`; one of: {}",
            Kind::ALL.map(|kind| kind.name()).join(", ")
        )
    })
}

/// Runs `hangar import`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    // Refuse before reading anything: an import is for a new configuration.
    if std::fs::read_dir(&args.out).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(miette!(
            help = "choose a new directory; import never merges into or overwrites a configuration",
            "`{}` is not empty; nothing was read or written",
            args.out.display()
        ));
    }
    let tenant_name = args.tenant_name.clone().unwrap_or_else(|| {
        args.out.file_name().map_or_else(
            || "imported".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
    });
    let connection = tenant::connect_to(&args.tenant, args.cloud, &args.tenant_id)?;
    eprintln!(
        "Reading tenant `{}` ({}) from {} (read only)…",
        args.tenant_id, args.cloud, connection.target
    );
    let runtime = tenant::runtime()?;
    let mut scope = ReadScope::everything();
    if !args.kind.is_empty() {
        scope.kinds = args.kind.iter().copied().collect();
        scope.kinds.insert(Kind::DeviceGroup);
        scope.device_preparation_templates = scope.kinds.contains(&Kind::DevicePreparationPolicy);
    }
    let read = runtime.block_on(hangar_graph::read_live_state(&connection.client, &scope));
    drop(runtime);
    connection.close()?;
    let live = read.map_err(|error| {
        miette::Report::from_err(error).wrap_err("cannot read the tenant; nothing was written")
    })?;

    let options = hangar_import::Options {
        tenant_name,
        cloud: args.cloud,
        tenant_id: args.tenant_id.clone(),
        kinds: (!args.kind.is_empty()).then(|| args.kind.iter().copied().collect()),
        name: args.name.clone(),
    };
    let imported = hangar_import::import(&live, &options).into_diagnostic()?;
    hangar_import::write(&args.out, &imported).into_diagnostic()?;
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    let counts: Vec<String> = imported
        .counts
        .iter()
        .map(|(kind, count)| match kind {
            Kind::AutopilotDevice => format!("{count} device{}", if *count == 1 { "" } else { "s" }),
            kind => format!("{count} {kind}"),
        })
        .collect();
    eprintln!(
        "Wrote {} ({}). Pruning is off. Next: `hangar plan {}` should show no changes.",
        args.out.display(),
        if counts.is_empty() {
            "nothing to import".to_owned()
        } else {
            counts.join(", ")
        },
        args.out.display()
    );
    Ok(Exit::Success)
}
