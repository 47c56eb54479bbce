//! `hangar doctor`: read-only checks of what Autopilot depends on outside the configuration
//! (`hangar_doctor::check_tenant`), or of a device's `dsregcmd /status` against the
//! configuration (`--dsregcmd`, offline). Exit 0 healthy, 2 findings, 1 error.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use hangar_doctor::dsregcmd::compare::Identify;
use hangar_doctor::dsregcmd::{MAX_BYTES, Problem};
use hangar_doctor::render::{json, markdown, text};
use hangar_doctor::{Error as DoctorError, Intent};
use hangar_model::Cloud;
use miette::miette;

use crate::commands::validate;
use crate::exit::Exit;
use crate::tenant::{self, TenantArgs};

/// Arguments of `hangar doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory. Optional: without it doctor checks what every Autopilot
    /// tenant needs, for the tenant named by `--cloud` and `--tenant-id`.
    pub dir: Option<PathBuf>,

    /// Output format on stdout: `text`, `json` (`docs/doctor.md`) or `markdown`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// The tenant's cloud, without DIR: commercial, gcc, gcc-high or dod.
    #[arg(long, value_name = "CLOUD", conflicts_with = "dir")]
    pub cloud: Option<Cloud>,

    /// The tenant id (GUID or verified domain), without DIR.
    #[arg(long, value_name = "ID", conflicts_with = "dir")]
    pub tenant_id: Option<String>,

    /// Compare the output of `dsregcmd /status` collected from a device (FILE, UTF-8 or
    /// UTF-16) with what the configuration intends for it. Offline: reads no tenant.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["local", "endpoint"])]
    pub dsregcmd: Option<PathBuf>,

    /// With `--dsregcmd`: the device's serial number (dsregcmd does not print it). Without
    /// `--serial` or `--tag`, doctor recognises the device by its `Device Name`.
    #[arg(long, requires = "dsregcmd")]
    pub serial: Option<String>,

    /// With `--dsregcmd`: the group tag the device was registered with (for a device not in
    /// the devices CSVs).
    #[arg(long, requires = "dsregcmd")]
    pub tag: Option<String>,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// How a doctor report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people and logs.
    Text,
    /// For machines: the versioned report format of `docs/doctor.md`.
    Json,
    /// For a pull-request or ticket comment.
    Markdown,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A doctor error as a diagnostic, with its help and its cause.
fn report(error: DoctorError) -> miette::Report {
    let help = error.help();
    let base = match help {
        Some(help) => miette!(help = help, "{error}"),
        None => miette::Report::from_err(error),
    };
    base.wrap_err("hangar doctor stopped; nothing was checked")
}

/// Runs `hangar doctor`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let loaded = match &args.dir {
        Some(dir) => {
            let loaded = validate::load(dir)?;
            if loaded.state.is_none() || loaded.has_errors() {
                validate::print_text(&loaded);
                eprintln!("{}", validate::summary(&loaded, dir));
                eprintln!("Nothing was checked: fix the configuration first.");
                return Ok(Exit::Failure);
            }
            Some(loaded)
        }
        None => None,
    };
    let intent = match (&loaded, args.cloud, &args.tenant_id) {
        (Some(loaded), _, _) => match &loaded.state {
            Some(state) => Intent::of(state),
            None => return Ok(Exit::Failure),
        },
        (None, Some(cloud), Some(tenant_id)) => Intent::bare(cloud, tenant_id),
        (None, _, _) => {
            return Err(miette!(
                help = "pass the configuration directory (`hangar doctor policies/commercial`), or name the tenant with `--cloud CLOUD --tenant-id ID`",
                "without a configuration directory, doctor needs `--cloud` and `--tenant-id`"
            ));
        }
    };
    match &args.dsregcmd {
        Some(file) => device(&args, &intent, file),
        None => tenant_check(&args, &intent),
    }
}

fn tenant_check(args: &Args, intent: &Intent<'_>) -> miette::Result<Exit> {
    let connection = tenant::connect_to(&args.tenant, intent.cloud, intent.tenant_id)?;
    eprintln!(
        "Checking tenant `{}` ({}) from {} (read only)…",
        intent.tenant_id, intent.cloud, connection.target
    );
    let runtime = tenant::runtime()?;
    let result = runtime.block_on(hangar_doctor::check_tenant(&connection.client, intent, now_ms()));
    drop(runtime);
    connection.close()?;
    let report_ = result.map_err(report)?;
    let out = match args.format {
        Format::Text => text::report(&report_),
        Format::Json => json::report(&report_),
        Format::Markdown => markdown::report(&report_),
    };
    validate::write_stdout(&out)?;
    Ok(if report_.has_findings() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

fn device(args: &Args, intent: &Intent<'_>, file: &Path) -> miette::Result<Exit> {
    if intent.config.is_none() && (args.serial.is_some() || args.tag.is_some()) {
        return Err(miette!(
            help = "pass the configuration directory, which says what each device should be",
            "`--serial` and `--tag` need the configuration directory"
        ));
    }
    let bytes = read_limited(file).map_err(|problem| {
        report(DoctorError::Dsregcmd {
            path: file.to_owned(),
            problem,
        })
    })?;
    let identify = match (&args.serial, &args.tag) {
        (Some(serial), tag) => Identify::Serial {
            serial: serial.clone(),
            tag: tag.clone(),
        },
        (None, Some(tag)) => Identify::Tag(tag.clone()),
        (None, None) => Identify::Name,
    };
    let check = hangar_doctor::check_device(&bytes, file, intent, &identify).map_err(report)?;
    let out = match args.format {
        Format::Text => text::device(&check),
        Format::Json => json::device(&check),
        Format::Markdown => markdown::device(&check),
    };
    validate::write_stdout(&out)?;
    Ok(if check.has_findings() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// Reads at most [`MAX_BYTES`] + 1 bytes, so a huge file is refused without being loaded.
fn read_limited(path: &Path) -> Result<Vec<u8>, Problem> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Problem::Unreadable(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Problem::Unreadable(e.to_string()))?;
    if bytes.len() > MAX_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(Problem::TooLarge(size));
    }
    Ok(bytes)
}
