//! `hangar drift`: the same read and comparison as `plan`, worded as how the tenant differs
//! from Git, for a scheduled job. Exit 2 whenever it differs. Each object that differs is
//! shown with who changed it last, from the tenant's audit logs (`--no-history` skips them).
//! `--metrics FILE` also writes the run as OpenMetrics text (a success or a failure), for
//! Prometheus.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hangar_graph::resources::audit;
use hangar_model::Kind;
use hangar_model::audit::rfc3339_seconds;

use hangar_plan::Plan;
use hangar_plan::render::Wording;
use hangar_plan::render::metrics::{self, TenantLabels};
use miette::{IntoDiagnostic, WrapErr};

use crate::commands::plan::{self, Format, Next};
use crate::commands::validate;
use crate::exit::Exit;
use crate::tenant::TenantArgs;

/// Arguments of `hangar drift`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (or one YAML file).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Output format on stdout: `text`, `json` (`docs/plan-format.md`) or `markdown`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Do not read the audit logs: drift then does not say who changed a drifted object (by
    /// default it reads the newest events of each, up to 50 objects, one request each).
    #[arg(long)]
    pub no_history: bool,

    /// Also write the run as OpenMetrics text to FILE (replaced whole, also when the run
    /// fails): drift counts, success, last success time, duration, labelled by tenant. For
    /// node_exporter's textfile collector or a scrape (`docs/many-tenants.md`).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// Runs `hangar drift`: exit 0 when the tenant matches Git, 2 when it differs, 1 on error.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let started = Instant::now();
    let result = run(&args);
    if let Some(path) = &args.metrics {
        let plan = match &result {
            Ok((_, Some(plan))) => Some(plan),
            _ => None,
        };
        // A metrics file that cannot be written fails the run: a scheduler that only watches
        // the metrics would otherwise see a stale success.
        write_metrics(path, &args.dir, plan, started)?;
    }
    result.map(|(exit, _)| exit)
}

/// How far back drift looks in the audit logs: Entra keeps directory audits 30 days (7
/// without a P1 or P2 licence), Intune keeps its audit events longer.
const HISTORY_DAYS: u64 = 30;

/// Newest audit events read per drifted object.
const HISTORY_PER_OBJECT: u32 = 5;

fn run(args: &Args) -> miette::Result<(Exit, Option<Plan>)> {
    let mut planned = match plan::read_and_plan(&args.dir, &args.tenant, Next::Show)? {
        Ok(planned) => planned,
        Err(exit) => return Ok((exit, None)),
    };
    if !args.no_history && planned.plan.has_changes() {
        let objects: Vec<(Kind, String)> = planned
            .plan
            .drifted_objects()
            .into_iter()
            .map(|(address, id)| (address.kind, id.to_owned()))
            .collect();
        let objects: Vec<(Kind, &str)> = objects.iter().map(|(kind, id)| (*kind, id.as_str())).collect();
        let since = SystemTime::now()
            .checked_sub(Duration::from_secs(HISTORY_DAYS * 86_400))
            .unwrap_or(UNIX_EPOCH);
        let history = planned.runtime.block_on(audit::recent_changes(
            &planned.connection.client,
            &objects,
            &rfc3339_seconds(since),
            HISTORY_PER_OBJECT,
        ));
        planned.plan.attach_history(history.events);
        planned.plan.warnings.extend(history.notes);
    }
    let plan = planned.into_plan()?.0;
    plan::print_plan(&plan, args.format, Wording::Drift)?;
    let exit = if plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    };
    Ok((exit, Some(plan)))
}

fn write_metrics(path: &Path, dir: &Path, plan: Option<&Plan>, started: Instant) -> miette::Result<()> {
    let labels = match plan {
        Some(plan) => TenantLabels {
            tenant: plan.tenant.clone(),
            tenant_id: plan.tenant_id.clone(),
            cloud: Some(plan.cloud),
        },
        None => labels_of(dir),
    };
    let previous_success = std::fs::read_to_string(path)
        .ok()
        .and_then(|previous| metrics::last_success(&previous, &labels));
    let finished_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64());
    let text = metrics::render(&metrics::Run {
        labels,
        plan,
        finished_at,
        duration_seconds: started.elapsed().as_secs_f64(),
        previous_success,
    });
    hangar_durable::write(path, text.as_bytes())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write the metrics to `{}`", path.display()))
}

/// The labels of a run that failed before planning: the `Tenant` document as `hangar
/// tenants` reads it (only `Tenant` and `Base` documents parsed), so a configuration with an
/// error elsewhere still reports under its own name; else the directory's name.
fn labels_of(dir: &Path) -> TenantLabels {
    let listed = hangar_config::tenants::list(dir, &validate::load_options())
        .ok()
        .filter(|listing| listing.configurations.len() == 1)
        .and_then(|listing| listing.configurations.into_iter().next());
    match listed {
        Some(configuration) => TenantLabels {
            tenant: configuration.name,
            tenant_id: configuration.tenant_id,
            cloud: Some(configuration.cloud),
        },
        None => TenantLabels {
            tenant: std::fs::canonicalize(dir)
                .ok()
                .and_then(|dir| dir.file_name().map(|name| name.to_string_lossy().into_owned()))
                .unwrap_or_default(),
            tenant_id: String::new(),
            cloud: None,
        },
    }
}
