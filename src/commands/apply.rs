//! `hangar apply`: make the tenant match Git.
//!
//! Two sources: a configuration directory (plan now, then apply that plan), or a plan saved with
//! `hangar plan --out plan.json`. A saved plan runs only as it was reviewed: the configuration
//! it records (its directory, or `--config DIR`) must have the recorded digest, and a plan made
//! again from it against the tenant must have exactly the saved actions; the fresh plan is what
//! runs. Either way the plan is shown, confirmed on a terminal (`yes`) or by `--auto-approve` —
//! without a terminal and without the flag nothing is sent — checked against the
//! configuration's guardrails (`hangar_apply::guard`), and executed by `hangar-apply` with
//! progress on stderr: a bar on a terminal, one line per step otherwise. `--report FILE`
//! writes the JSON apply report (`docs/apply.md`) atomically, failed runs included.
//!
//! Before it reads the tenant, apply takes the tenant's apply lock (`hangar_apply::lock`): a
//! second apply waits (`--lock-timeout`), and a lock left by a killed run is taken over after
//! its time-to-live (`--lock-ttl`). The lock is released when the run ends.
//!
//! Ctrl-C stops starting actions (those in flight finish, the report lists the rest as not
//! started); a second Ctrl-C quits at once. Either way a re-run picks up where this one stopped.
//!
//! Exit codes: 0 applied (or nothing to do), 1 anything failed, was refused or was cancelled.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hangar_apply::lock::{Holder, Lease, LockEvent, LockOptions};
use hangar_apply::{ApplyReport, Cleanup, Event, GraphTenant, Guardrails, Options, Progress, Status};
use hangar_config::ConfigDigest;
use hangar_plan::Plan;
use hangar_plan::render::Wording;
use miette::{IntoDiagnostic, WrapErr, miette};

use crate::commands::plan::{self as plan_command, Config, Format, Next, Planned};
use crate::exit::Exit;
use crate::output;
use crate::tenant::{self, Connection, TenantArgs};

/// How much shorter every wait is against the local tenant (it answers at once).
const LOCAL_SPEEDUP: f64 = 100.0;

/// Arguments of `hangar apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (or one YAML file) to plan and apply, or a plan saved with
    /// `hangar plan --out FILE` (a `.json` file) to apply as it was reviewed.
    #[arg(default_value = ".", value_name = "DIR|PLAN")]
    pub source: PathBuf,

    /// For a saved plan: the configuration it was made from (default: the directory the plan
    /// records). Its files must be unchanged since the plan was made.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,

    /// Apply without asking. Required when there is no terminal to ask on (CI).
    #[arg(long)]
    pub auto_approve: bool,

    /// Write the apply report (JSON: what happened to every action, with Graph's request ids)
    /// to FILE. Written atomically, also when actions fail.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// How long to wait while another apply holds the tenant's lock (`90s`, `15m`, `1h`; a
    /// number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub lock_timeout: Duration,

    /// How long the lock outlives this run if it is killed: the run renews it every fifth of
    /// this, and another apply takes over a lock left unchanged this long.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub lock_ttl: Duration,

    /// Do not take the tenant's apply lock: a concurrent apply could then create every object
    /// twice. Only for a tenant where the lock cannot be taken; CI's `concurrency:` must then
    /// be the only guard.
    #[arg(long)]
    pub no_lock: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `90s`, `15m`, `1h`, or seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: use `90s`, `15m` or `1h`"))?;
    let seconds = match unit.trim() {
        "s" => value,
        "m" => value.saturating_mul(60),
        "h" => value.saturating_mul(3600),
        other => return Err(format!("unknown unit `{other}` in `{text}`: use `s`, `m` or `h`")),
    };
    if seconds == 0 {
        return Err("the duration must be at least one second".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

/// Runs `hangar apply`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let saved = args.source.is_file()
        && args
            .source
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let saved = if saved {
        Some(read_saved_plan(&args.source)?)
    } else {
        None
    };
    let config_dir = match (&saved, &args.config) {
        (None, Some(_)) => {
            return Err(miette!(
                help = "pass the configuration directory as the first argument, or a plan saved with `hangar plan --out FILE`",
                "`--config` is for a saved plan, and `{}` is not one",
                args.source.display()
            ));
        }
        (None, None) => args.source.clone(),
        (Some(_), Some(dir)) => dir.clone(),
        (Some(plan), None) => recorded_dir(&args.source, plan)?,
    };
    let config = match plan_command::load_valid(&config_dir, Next::Apply)? {
        Ok(config) => config,
        Err(exit) => return Ok(exit),
    };
    if let Some(plan) = &saved
        && let Err(exit) = check_configuration(&args.source, plan, &config_dir, &config)?
    {
        return Ok(exit);
    }
    let mut connection = tenant::connect(&args.tenant, &config.desired)?;
    let runtime = tenant::runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    match take_lock(&args, &connection, &runtime, &stop) {
        Ok(Some(lease)) => connection.hold_lock(lease),
        Ok(None) => {}
        Err(error) => {
            drop(runtime);
            connection.close()?;
            eprintln!("{error:?}");
            eprintln!("Nothing was read from the tenant and nothing was changed.");
            return Ok(Exit::Failure);
        }
    }
    let mut planned =
        match plan_command::plan_connected(&config_dir, config, connection, runtime, Next::Apply)? {
            Ok(planned) => planned,
            Err(exit) => return Ok(exit),
        };
    if let Some(saved) = saved {
        if let Err(stale) = hangar_apply::stale::check(&saved, &planned.plan, &planned.live) {
            eprintln!("{:?}", miette!("{stale}"));
            eprintln!("Nothing was changed.");
            finish(planned.connection, planned.runtime)?;
            return Ok(Exit::Failure);
        }
        eprintln!(
            "The saved plan `{}` is what a plan made now gives: applying it.",
            args.source.display()
        );
        planned.plan.configuration = saved.configuration;
    }
    run(&args, planned, stop)
}

/// Releases the apply lock (while `runtime` still runs the client), then closes the connection.
fn finish(mut connection: Connection, runtime: tokio::runtime::Runtime) -> miette::Result<()> {
    connection.release_lock(&runtime);
    drop(runtime);
    connection.close()
}

/// Reads a plan saved with `hangar plan --out`.
fn read_saved_plan(path: &Path) -> miette::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the plan `{}`", path.display()))?;
    Plan::from_json(&text)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot use `{}` as a plan", path.display()))
}

/// The configuration directory a saved plan records, which must exist here.
fn recorded_dir(path: &Path, plan: &Plan) -> miette::Result<PathBuf> {
    let Some(configuration) = &plan.configuration else {
        return Err(miette!(
            help = "make the plan with `hangar plan DIR --out FILE`",
            "`{}` records no configuration, so it cannot be checked against one; nothing was changed",
            path.display()
        ));
    };
    let dir = PathBuf::from(&configuration.dir);
    if dir.exists() {
        Ok(dir)
    } else {
        Err(miette!(
            help = "pass the configuration with `--config DIR` (a checkout of the commit the plan was made from)",
            "`{}` was made from the configuration in `{}`, which is not here; nothing was changed",
            path.display(),
            configuration.dir
        ))
    }
}

/// Refuses a saved plan whose configuration (tenant, or any file) is not the one loaded now.
fn check_configuration(
    path: &Path,
    plan: &Plan,
    dir: &Path,
    config: &Config,
) -> miette::Result<Result<(), Exit>> {
    let tenant = &config.desired.tenant;
    if !plan.tenant_id.eq_ignore_ascii_case(&tenant.tenant_id.value) || plan.cloud != tenant.cloud.value {
        eprintln!(
            "{:?}",
            miette!(
                "`{}` is for tenant `{}` ({}), but the configuration in `{}` is for tenant `{}` ({}); nothing was changed",
                path.display(),
                plan.tenant_id,
                plan.cloud,
                dir.display(),
                tenant.tenant_id.value,
                tenant.cloud.value
            )
        );
        return Ok(Err(Exit::Failure));
    }
    let Some(recorded) = &plan.configuration else {
        return Err(miette!("`{}` records no configuration", path.display()));
    };
    let now = ConfigDigest::of(dir, &config.desired.sources)
        .into_diagnostic()
        .wrap_err("cannot compute the configuration's digest")?;
    let differences = recorded.digest.differences(&now);
    if differences.is_empty() {
        return Ok(Ok(()));
    }
    eprintln!(
        "{:?}",
        miette!(
            help = "plan again from this configuration (`hangar plan DIR --out FILE`) and have that plan reviewed",
            "the configuration in `{}` is not the one `{}` was made from, so the plan is not applied:\n{}",
            dir.display(),
            path.display(),
            differences
                .iter()
                .map(|d| format!("  - {d}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    );
    eprintln!("Nothing was read from the tenant and nothing was changed.");
    Ok(Err(Exit::Failure))
}

/// Who this run is, in the lock's description: the process, the host, and a CI run if any.
fn holder_label() -> String {
    let host = ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "an unnamed host".to_owned());
    let mut label = format!("pid {} on {host}", std::process::id());
    if let (Ok(run), Ok(repository)) = (std::env::var("GITHUB_RUN_ID"), std::env::var("GITHUB_REPOSITORY")) {
        label.push_str(&format!(", GitHub Actions run {run} of {repository}"));
    } else if let Ok(build) = std::env::var("BUILD_BUILDID") {
        label.push_str(&format!(", Azure Pipelines build {build}"));
    }
    label
}

/// Takes the tenant's apply lock (waiting for another apply as `--lock-timeout` allows) and
/// keeps it alive; `Ok(None)` with `--no-lock`.
fn take_lock(
    args: &Args,
    connection: &Connection,
    runtime: &tokio::runtime::Runtime,
    stop: &Arc<AtomicBool>,
) -> miette::Result<Option<Lease>> {
    if args.no_lock {
        eprintln!(
            "WARNING: applying without the tenant's apply lock (--no-lock): an apply running at the same time would create objects twice."
        );
        return Ok(None);
    }
    let tenant = GraphTenant::new(connection.client.clone());
    let options = LockOptions {
        holder: Holder::new(holder_label(), args.lock_ttl),
        wait: args.lock_timeout,
    };
    let timeout = args.lock_timeout;
    let on_event = move |event: LockEvent| match event {
        LockEvent::Waiting { holder } => eprintln!(
            "Another apply holds the tenant's apply lock ({holder}); waiting for it, at most {} s…",
            timeout.as_secs()
        ),
        LockEvent::TakingOver { holder, ttl } => eprintln!(
            "The apply lock of {holder} was not renewed for {} s: that run is gone. Taking the lock over.",
            ttl.as_secs()
        ),
    };
    let record = runtime
        .block_on(hangar_apply::lock::acquire(&tenant, &options, &on_event))
        .map_err(miette::Report::from_err)?;
    let mut lease = Lease::new(record, options.holder);
    let _entered = runtime.enter();
    lease.keep_alive(tenant, stop.clone());
    tracing::info!(lease = lease.id(), "took the tenant's apply lock");
    Ok(Some(lease))
}

fn run(args: &Args, planned: Planned, stop: Arc<AtomicBool>) -> miette::Result<Exit> {
    let Planned {
        plan,
        desired,
        live,
        connection,
        runtime,
    } = planned;
    let guardrails = Guardrails::from_config(&desired);
    let cleanups = hangar_apply::cleanups(&plan, Some(&live));
    plan_command::print_plan(&plan, Format::Text, Wording::Plan)?;
    let refused = guardrails.check(&plan, Some(&live));
    if !refused.is_empty() {
        eprintln!(
            "{:?}",
            miette!(
                "the plan breaks the configuration's guardrails, so none of it is applied:\n{}",
                refused
                    .iter()
                    .map(|r| format!("  - {r}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        );
        eprintln!("Nothing was changed.");
        finish(connection, runtime)?;
        return Ok(Exit::Failure);
    }
    let leftovers: Vec<&Cleanup> = cleanups.iter().filter(|c| c.replaced_by.is_none()).collect();
    if !leftovers.is_empty() {
        eprintln!(
            "An earlier run was interrupted during a replace; these are deleted once their successor is in place:"
        );
        for cleanup in &leftovers {
            eprintln!("  - {} `{}` ({})", cleanup.kind, cleanup.name, cleanup.id);
        }
    }
    let mut options = if args.tenant.local.is_some() {
        Options::scaled(LOCAL_SPEEDUP)
    } else {
        Options::new()
    };
    options.guardrails = Some(guardrails);
    if !plan.has_changes() && leftovers.is_empty() {
        eprintln!("Nothing to apply.");
        let report = runtime.block_on(hangar_apply::apply(
            &plan,
            &GraphTenant::new(connection.client.clone()),
            Some(&live),
            &options,
            &(),
        ));
        let written = write_report(args, &report);
        finish(connection, runtime)?;
        written?;
        return Ok(Exit::Success);
    }
    if !args.auto_approve {
        let approved = if output::interactive() {
            confirm(&plan)?
        } else {
            eprintln!(
                "{:?}",
                miette!(
                    help = "review the plan above, then run again with `--auto-approve` (in CI: on merge, after the plan was reviewed in the pull request)",
                    "refusing to apply without `--auto-approve`: there is no terminal to ask for confirmation on"
                )
            );
            false
        };
        if !approved {
            eprintln!("Apply cancelled; nothing was changed.");
            finish(connection, runtime)?;
            return Ok(Exit::Failure);
        }
    }

    // The local tenant has no replication delay or import processing time: no real-world
    // waits either.
    options.delegated = args.tenant.local.is_none() && std::env::var_os("HANGAR_ACCESS_TOKEN").is_some();
    options.stop = Some(stop.clone());
    let display = Display::new(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let tenant = GraphTenant::new(connection.client.clone());
    let started = Instant::now();
    let report = runtime.block_on(async {
        let watcher = tokio::spawn(watch_interrupts(stop));
        let report = hangar_apply::apply(&plan, &tenant, Some(&live), &options, &display).await;
        watcher.abort();
        report
    });
    display.finish();
    let lost = connection.lock_lost(&runtime);
    let written = write_report(args, &report);
    let closed = finish(connection, runtime);
    if let Some(why) = lost {
        eprintln!(
            "{:?}",
            miette!(
                "this run lost the tenant's apply lock ({why}), so it stopped starting actions: another apply may be running; run `hangar apply` again"
            )
        );
    }
    print_outcome(&report, started.elapsed());
    written?;
    closed?;
    Ok(if report.failed() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// Asks on the terminal; only `yes` approves.
fn confirm(plan: &Plan) -> miette::Result<bool> {
    let mut stderr = std::io::stderr().lock();
    write!(
        stderr,
        "\nApply these changes to tenant `{}` ({})?\n  Only `yes` is accepted.\n\n  Enter a value: ",
        plan.tenant, plan.tenant_id
    )
    .into_diagnostic()?;
    stderr.flush().into_diagnostic()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .into_diagnostic()
        .wrap_err("cannot read the answer")?;
    Ok(answer.trim() == "yes")
}

/// First Ctrl-C: stop starting actions. Second: quit now.
async fn watch_interrupts(stop: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.store(true, Ordering::Relaxed);
    eprintln!("\nStopping: actions in flight finish, nothing new starts. Ctrl-C again to quit at once.");
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("Quit. Run `hangar apply` again to finish: it resumes where this run stopped.");
        std::process::exit(130);
    }
}

fn write_report(args: &Args, report: &ApplyReport) -> miette::Result<()> {
    if let Some(path) = &args.report {
        report
            .write_atomic(path)
            .into_diagnostic()
            .wrap_err("the apply report was not written")?;
        eprintln!("Wrote the apply report to {}.", path.display());
    }
    Ok(())
}

fn print_outcome(report: &ApplyReport, elapsed: std::time::Duration) {
    let failed: Vec<_> = report
        .actions
        .iter()
        .filter(|a| a.status == Status::Failed)
        .collect();
    for action in &failed {
        let message = action.error.as_ref().map_or("", |e| e.message.as_str());
        eprintln!("{:?}", miette!("{} {}: {message}", action.id, action.address));
    }
    for cleanup in report.cleanups.iter().filter(|c| c.status != Status::Done) {
        let why = match (&cleanup.error, cleanup.skipped_because.is_empty()) {
            (Some(error), _) => error.message.clone(),
            (None, false) => format!(
                "kept because {} failed",
                cleanup
                    .skipped_because
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (None, true) => "not attempted".to_owned(),
        };
        eprintln!(
            "warning: {} `{}` ({}) is still in the tenant: {why}",
            cleanup.kind, cleanup.name, cleanup.id
        );
    }
    let s = report.summary;
    let verdict = if report.interrupted {
        "Apply interrupted"
    } else if report.failed() {
        "Apply failed"
    } else {
        "Apply complete"
    };
    eprintln!(
        "{verdict} after {:.1} s: {} done, {} failed, {} skipped, {} not started.",
        elapsed.as_secs_f64(),
        s.done,
        s.failed,
        s.skipped,
        s.not_started
    );
    if report.failed() {
        eprintln!("Run `hangar apply` again after fixing the cause: it only does what is still missing.");
    }
}

/// Progress on stderr: a bar on a terminal; without one (CI logs), one line per finished step
/// for a run of at most [`Lines::EVERY_STEP_UP_TO`] steps. A larger run (a device import of
/// thousands) prints its failures and waits line by line and a count every
/// [`Lines::COUNT_EVERY_PERCENT`] percent, so the log stays readable.
enum Display {
    Bar(indicatif::ProgressBar),
    Lines(Lines),
}

impl Display {
    fn new(terminal: bool) -> Display {
        if !terminal {
            return Display::Lines(Lines::default());
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Display::Bar(bar)
    }

    fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Counters for the line display; atomics because [`Progress`] is shared by concurrent steps.
#[derive(Default)]
struct Lines {
    total: AtomicUsize,
    finished: AtomicUsize,
    not_done: AtomicUsize,
}

impl Lines {
    const EVERY_STEP_UP_TO: usize = 200;
    const COUNT_EVERY_PERCENT: usize = 10;

    fn event(&self, event: Event<'_>) {
        match event {
            Event::Begin { total } => {
                self.total.store(total, Ordering::Relaxed);
                if total > Self::EVERY_STEP_UP_TO {
                    eprintln!(
                        "Applying {} (failures line by line, a count every {}%)…",
                        hangar_model::plural::count(total, "step", "steps"),
                        Self::COUNT_EVERY_PERCENT
                    );
                } else {
                    eprintln!(
                        "Applying {}…",
                        hangar_model::plural::count(total, "step", "steps")
                    );
                }
            }
            Event::Started { .. } => {}
            Event::Waiting { label, detail } => eprintln!("wait    {label}: {detail}"),
            Event::Finished {
                label,
                status,
                detail,
            } => {
                let total = self.total.load(Ordering::Relaxed);
                let finished = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
                if status != Status::Done {
                    self.not_done.fetch_add(1, Ordering::Relaxed);
                }
                if total <= Self::EVERY_STEP_UP_TO || status != Status::Done {
                    match detail {
                        Some(detail) => eprintln!("{:<7} {label}: {detail}", status.name()),
                        None => eprintln!("{:<7} {label}", status.name()),
                    }
                }
                if total > Self::EVERY_STEP_UP_TO && crosses_step(finished, total) {
                    eprintln!(
                        "        {finished}/{total} steps finished ({} not done)",
                        self.not_done.load(Ordering::Relaxed)
                    );
                }
            }
        }
    }
}

/// Whether `finished` is the first count at or past a [`Lines::COUNT_EVERY_PERCENT`] mark.
fn crosses_step(finished: usize, total: usize) -> bool {
    let percent = |n: usize| n * 100 / total.max(1) / Lines::COUNT_EVERY_PERCENT;
    finished >= total || percent(finished) > percent(finished - 1)
}

impl Progress for Display {
    fn event(&self, event: Event<'_>) {
        match (self, event) {
            (Display::Bar(bar), Event::Begin { total }) => bar.set_length(total as u64),
            (Display::Bar(bar), Event::Started { label }) => bar.set_message(label.to_owned()),
            (Display::Bar(bar), Event::Waiting { label, detail }) => {
                bar.set_message(format!("{label}: {detail}"));
            }
            (
                Display::Bar(bar),
                Event::Finished {
                    label,
                    status,
                    detail,
                },
            ) => {
                bar.inc(1);
                if status != Status::Done {
                    bar.println(format!(
                        "{} {label}: {}",
                        status.name(),
                        detail.unwrap_or_default()
                    ));
                }
            }
            (Display::Lines(lines), event) => lines.event(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("5 days").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn a_large_run_counts_once_per_ten_percent() {
        let marks: Vec<usize> = (1..=1000).filter(|&n| crosses_step(n, 1000)).collect();
        assert_eq!(marks, vec![100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
        let odd: Vec<usize> = (1..=333).filter(|&n| crosses_step(n, 333)).collect();
        assert_eq!(odd.len(), 10);
        assert_eq!(odd.last(), Some(&333));
    }
}
