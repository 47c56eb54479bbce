//! `hangar plan`: read the tenant, compare it with Git, and show what `apply` would do.
//!
//! The steps other tenant commands share live here too ([`read_and_plan`]): load and validate
//! (errors stop everything before any request), connect, read what the configuration needs,
//! plan, and render a refused plan ([`plan_error_report`]). `drift` is the same read, worded as
//! drift; `apply` goes on with the plan, the live state and the open connection.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use hangar_config::{ConfigDigest, DesiredState, Diagnostic, Severity, SourceMap};
use hangar_model::LiveState;
use hangar_plan::render::Wording;
use hangar_plan::render::text::TextOptions;
use hangar_plan::{Error as PlanError, Plan};
use miette::{IntoDiagnostic, WrapErr};

use crate::commands::validate;
use crate::exit::Exit;
use crate::output;
use crate::tenant::{self, Connection, TenantArgs};

/// Moved devices and device actions listed one by one in text output (the rest are counted).
const TEXT_DEVICE_LIMIT: usize = 50;

/// Arguments of `hangar plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (or one YAML file).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Output format on stdout: `text` (terraform-like), `json` (`docs/plan-format.md`) or
    /// `markdown` (a pull-request comment).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Also save the plan (JSON, with the configuration's digest and a fingerprint of every
    /// live object read) to FILE, for `hangar apply FILE`, which runs it only while the
    /// configuration and the plan made again from it are unchanged. Written atomically; not
    /// written when planning fails.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 2 when the plan has changes (0: nothing to do, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people and logs (colour on a terminal unless `NO_COLOR`).
    Text,
    /// For machines: the versioned plan format.
    Json,
    /// For a pull-request comment: summary table, details, impact, Mermaid diagram.
    Markdown,
}

/// Runs `hangar plan`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let (mut plan, desired) = match read_and_plan(&args.dir, &args.tenant, Next::Show)? {
        Ok(planned) => planned.into_plan()?,
        Err(exit) => return Ok(exit),
    };
    if let Some(out) = &args.out {
        let digest = ConfigDigest::of(&args.dir, &desired.sources)
            .into_diagnostic()
            .wrap_err("cannot record the configuration in the saved plan")?;
        plan.configuration = Some(hangar_plan::Configuration {
            dir: args.dir.display().to_string(),
            digest,
        });
        hangar_durable::write_with(out, |file| hangar_plan::render::json::write(&plan, file))
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot save the plan to `{}`", out.display()))?;
        eprintln!(
            "Saved the plan to {}. `hangar apply {}` runs it while `{}` and the tenant still give exactly this plan.",
            out.display(),
            out.display(),
            args.dir.display()
        );
    }
    print_plan(&plan, args.format, Wording::Plan)?;
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// What the command does with the plan, which decides what its messages say did not happen
/// when it stops early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// `plan` and `drift`: show it.
    Show,
    /// `apply`: carry it out.
    Apply,
}

impl Next {
    /// What did not happen, for the end of a message saying why the command stopped.
    fn nothing_done(self) -> &'static str {
        match self {
            Next::Show => "nothing was planned",
            Next::Apply => "nothing was changed",
        }
    }
}

/// A plan made against the tenant, with the configuration and live state it was made from and
/// the connection it was read through, still open (and the runtime its client runs on).
pub(crate) struct Planned {
    /// The plan.
    pub plan: Plan,
    /// The configuration it was made from.
    pub desired: DesiredState,
    /// What it was made from (`apply` resolves leftovers and cleanups against it).
    pub live: LiveState,
    /// Open: close it when done.
    pub connection: Connection,
    /// The runtime `connection`'s client runs on.
    pub runtime: tokio::runtime::Runtime,
}

impl Planned {
    /// Closes the connection (saving a local tenant) and keeps the plan and its configuration.
    pub(crate) fn into_plan(self) -> miette::Result<(Plan, DesiredState)> {
        drop(self.runtime);
        self.connection.close()?;
        Ok((self.plan, self.desired))
    }
}

/// A configuration that loaded without errors (its warnings printed).
pub(crate) struct Config {
    /// The desired state.
    pub desired: DesiredState,
    /// Every file read, for rendering a refused plan's reasons.
    pub sources: Arc<SourceMap>,
    /// Its validation warnings, which the plan records for the reviewer.
    pub warnings: Vec<hangar_plan::ValidationWarning>,
}

/// Loads `dir`, reads its tenant and plans. `Ok(Err(exit))` when the command already printed
/// why it stops (invalid configuration, refused plan); the connection is closed then.
pub(crate) fn read_and_plan(
    dir: &Path,
    tenant_args: &TenantArgs,
    next: Next,
) -> miette::Result<Result<Planned, Exit>> {
    let config = match load_valid(dir, next)? {
        Ok(config) => config,
        Err(exit) => return Ok(Err(exit)),
    };
    let connection = tenant::connect(tenant_args, &config.desired)?;
    let runtime = tenant::runtime()?;
    plan_connected(dir, config, connection, runtime, next)
}

/// Loads and validates `dir`; `Ok(Err(exit))` when it has errors (printed, with what did not
/// happen because of them).
pub(crate) fn load_valid(dir: &Path, next: Next) -> miette::Result<Result<Config, Exit>> {
    let mut loaded = validate::load(dir)?;
    let valid = !loaded.has_errors();
    let Some(desired) = loaded.state.take().filter(|_| valid) else {
        validate::print_text(&loaded);
        eprintln!("{}", validate::summary(&loaded, dir));
        match next {
            Next::Show => eprintln!("Nothing was read from the tenant: fix the configuration first."),
            Next::Apply => eprintln!(
                "Nothing was read from the tenant and nothing was changed: fix the configuration first."
            ),
        }
        return Ok(Err(Exit::Failure));
    };
    // Warnings do not stop a plan, but a reviewer should see them.
    validate::print_text(&loaded);
    let warnings = hangar_plan::ValidationWarning::of(&loaded.diagnostics, &loaded.sources);
    Ok(Ok(Config {
        desired,
        sources: loaded.sources,
        warnings,
    }))
}

/// Reads the tenant of `config` through `connection` and plans; `Ok(Err(exit))` when the plan
/// was refused (printed; the apply lock, if the connection holds it, is released and the
/// connection closed then).
pub(crate) fn plan_connected(
    dir: &Path,
    config: Config,
    mut connection: Connection,
    runtime: tokio::runtime::Runtime,
    next: Next,
) -> miette::Result<Result<Planned, Exit>> {
    let Config {
        desired,
        sources,
        warnings: validation,
    } = config;
    let scope = tenant::read_scope(&desired);
    eprintln!(
        "Reading tenant `{}` ({}) from {}…",
        desired.tenant.name.value, desired.tenant.cloud.value, connection.target
    );
    let started = Instant::now();
    let live = match runtime.block_on(hangar_graph::read_live_state(&connection.client, &scope)) {
        Ok(live) => live,
        Err(error) => {
            connection.release_lock(&runtime);
            drop(runtime);
            // The failed read is the error; dropping still saves a local tenant (a failure to
            // save is logged).
            drop(connection);
            return Err(miette::Report::from_err(error)
                .wrap_err(format!("cannot read the tenant; {}", next.nothing_done())));
        }
    };
    tracing::info!(
        objects = live.objects.len(),
        devices = live.devices.len(),
        ms = started.elapsed().as_millis() as u64,
        "read the tenant"
    );

    let started = Instant::now();
    let mut plan = match hangar_plan::plan(&desired, &live) {
        Ok(plan) => plan,
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{:?}", plan_error_report(error, &sources));
            }
            eprintln!(
                "{}: the plan was refused ({} error{}){}",
                dir.display(),
                errors.0.len(),
                if errors.0.len() == 1 { "" } else { "s" },
                match next {
                    Next::Show => "",
                    Next::Apply => "; nothing was changed",
                }
            );
            connection.release_lock(&runtime);
            drop(runtime);
            connection.close()?;
            return Ok(Err(Exit::Failure));
        }
    };
    tracing::info!(
        actions = plan.actions.len(),
        ms = started.elapsed().as_millis() as u64,
        "planned"
    );
    for warning in &plan.warnings {
        eprintln!("warning: {warning}");
    }
    plan.validation = validation;
    Ok(Ok(Planned {
        plan,
        desired,
        live,
        connection,
        runtime,
    }))
}

/// Prints `plan` on stdout in `format`. JSON is streamed (it can be tens of megabytes).
pub(crate) fn print_plan(plan: &Plan, format: Format, wording: Wording) -> miette::Result<()> {
    let text = match format {
        Format::Json => {
            return hangar_plan::render::json::write(plan, std::io::stdout().lock())
                .map_err(miette::Report::from_err);
        }
        Format::Text => hangar_plan::render::text::render(
            plan,
            &TextOptions {
                color: output::stdout_color(),
                wording,
                device_limit: TEXT_DEVICE_LIMIT,
            },
        ),
        Format::Markdown => hangar_plan::render::markdown::render(plan, wording),
    };
    validate::write_stdout(&text)
}

/// A refused plan's reason as a diagnostic, with the configuration snippet when it has a place
/// there.
pub(crate) fn plan_error_report(error: &PlanError, sources: &SourceMap) -> miette::Report {
    let rule = match error {
        PlanError::DuplicateName { .. } => "plan/duplicate-name",
        PlanError::PinnedIdNotFound { .. } => "plan/pinned-id-not-found",
        PlanError::BuiltinMissing { .. } => "plan/builtin-missing",
        PlanError::IncompleteRead { .. } => "plan/incomplete-read",
        PlanError::PartNotRead { .. } => "plan/part-not-read",
        PlanError::BuiltinReplace { .. } => "plan/builtin-replace",
        PlanError::TooManyDeletes { .. } => "plan/too-many-deletes",
        PlanError::PruneAssignedGroup { .. } => "plan/prune-assigned-group",
        PlanError::RenameBothLive { .. } | PlanError::RenameFromDocument { .. } => "plan/renamed-from",
        PlanError::ExternalGroupMissing { .. } => "plan/external-group-missing",
        PlanError::HashlessNotRegistered { .. } | PlanError::HashlessNotRegisteredMore { .. } => {
            "plan/hashless-not-registered"
        }
        PlanError::DevicePreparationValues { .. } => "plan/device-preparation-values",
        PlanError::FilterNotFound { .. } | PlanError::ReferenceNotFound { .. } => "plan/reference-not-found",
        PlanError::FilterAmbiguous { .. } | PlanError::ReferenceAmbiguous { .. } => {
            "plan/reference-ambiguous"
        }
        PlanError::FiltersNotRead { .. } | PlanError::ReferencesNotRead { .. } => "plan/reference-not-read",
        PlanError::AppTypeUnknown { .. } => "plan/app-type-unknown",
        _ => "plan/internal",
    };
    match error.span() {
        Some(span) => validate::report(
            &Diagnostic {
                rule,
                severity: Severity::Error,
                message: error.to_string(),
                help: None,
                span,
                labels: Vec::new(),
            },
            sources,
        ),
        None => miette::Report::new(
            miette::MietteDiagnostic::new(validate::safe(&error.to_string()))
                .with_code(rule)
                .with_severity(miette::Severity::Error),
        ),
    }
}
