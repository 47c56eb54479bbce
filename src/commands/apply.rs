//! `hangar apply`: make the tenant match Git.
//!
//! Two sources: a configuration directory (plan now, then apply that plan), or a plan saved with
//! `hangar plan --out plan.json` (every object it fingerprinted is read again first, and a plan
//! that no longer matches the tenant is refused, naming what changed). Either way the plan is
//! shown, confirmed on a terminal (`yes`) or by `--auto-approve` — without a terminal and without
//! the flag nothing is sent — and executed by `hangar-apply` with progress on stderr: a bar on a
//! terminal, one line per step otherwise. `--report FILE` writes the JSON apply report
//! (`docs/apply.md`) atomically, failed runs included.
//!
//! Ctrl-C stops starting actions (those in flight finish, the report lists the rest as not
//! started); a second Ctrl-C quits at once. Either way a re-run picks up where this one stopped.
//!
//! Exit codes: 0 applied (or nothing to do), 1 anything failed, was refused or was cancelled.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use hangar_apply::{ApplyReport, Cleanup, Event, GraphTenant, Options, Progress, Status};
use hangar_plan::Plan;
use hangar_plan::render::Wording;
use miette::{IntoDiagnostic, WrapErr, miette};

use crate::commands::plan::{self as plan_command, Format, Next, Planned};
use crate::exit::Exit;
use crate::output;
use crate::tenant::{self, TenantArgs};

/// How much shorter every wait is against the local tenant (it answers at once).
const LOCAL_SPEEDUP: f64 = 100.0;

/// Arguments of `hangar apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (or one YAML file) to plan and apply, or a plan saved with
    /// `hangar plan --out FILE` (a `.json` file) to apply as it is.
    #[arg(default_value = ".", value_name = "DIR|PLAN")]
    pub source: PathBuf,

    /// Apply without asking. Required when there is no terminal to ask on (CI).
    #[arg(long)]
    pub auto_approve: bool,

    /// Write the apply report (JSON: what happened to every action, with Graph's request ids)
    /// to FILE. Written atomically, also when actions fail.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// Runs `hangar apply`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let saved_plan = args.source.is_file()
        && args
            .source
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let planned = if saved_plan {
        from_saved_plan(&args)?
    } else {
        plan_command::read_and_plan(&args.source, &args.tenant, Next::Apply)?
    };
    match planned {
        Ok(planned) => run(&args, planned),
        Err(exit) => Ok(exit),
    }
}

/// Reads a saved plan and checks it against the tenant. `Ok(Err(exit))` when the reason to
/// stop was already printed.
fn from_saved_plan(args: &Args) -> miette::Result<Result<Planned, Exit>> {
    let path = &args.source;
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the plan `{}`", path.display()))?;
    let plan = Plan::from_json(&text)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot use `{}` as a plan", path.display()))?;
    let connection = tenant::connect_to(&args.tenant, plan.cloud, &plan.tenant_id)?;
    eprintln!(
        "Checking saved plan `{}` against tenant `{}` ({}) at {}…",
        path.display(),
        plan.tenant,
        plan.cloud,
        connection.target
    );
    let runtime = tenant::runtime()?;
    let tenant = GraphTenant::new(connection.client.clone());
    let scope = hangar_apply::stale::scope(&plan);
    let live = match runtime.block_on(hangar_apply::Tenant::read(&tenant, &scope)) {
        Ok(live) => live,
        Err(error) => {
            // The failed read is the error; dropping still saves a local tenant (a failure to
            // save is logged).
            drop(connection);
            return Err(
                miette::Report::from_err(error).wrap_err("cannot read the tenant; nothing was changed")
            );
        }
    };
    if let Err(stale) = hangar_apply::stale::check(&plan, &live) {
        eprintln!("{:?}", miette!("{stale}"));
        eprintln!("Nothing was changed.");
        connection.close()?;
        return Ok(Err(Exit::Failure));
    }
    Ok(Ok(Planned {
        plan,
        live,
        connection,
        runtime,
    }))
}

fn run(args: &Args, planned: Planned) -> miette::Result<Exit> {
    let Planned {
        plan,
        live,
        connection,
        runtime,
    } = planned;
    let cleanups = hangar_apply::cleanups(&plan, Some(&live));
    plan_command::print_plan(&plan, Format::Text, Wording::Plan)?;
    let leftovers: Vec<&Cleanup> = cleanups.iter().filter(|c| c.replaced_by.is_none()).collect();
    if !leftovers.is_empty() {
        eprintln!(
            "An earlier run was interrupted during a replace; these are deleted once their successor is in place:"
        );
        for cleanup in &leftovers {
            eprintln!("  - {} `{}` ({})", cleanup.kind, cleanup.name, cleanup.id);
        }
    }
    if !plan.has_changes() && leftovers.is_empty() {
        eprintln!("Nothing to apply.");
        let report = runtime.block_on(hangar_apply::apply(
            &plan,
            &GraphTenant::new(connection.client.clone()),
            Some(&live),
            &Options::new(),
            &(),
        ));
        write_report(args, &report)?;
        connection.close()?;
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
            connection.close()?;
            return Ok(Exit::Failure);
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    // The local tenant has no replication delay or import processing time: no real-world
    // waits either.
    let mut options = if args.tenant.local.is_some() {
        Options::scaled(LOCAL_SPEEDUP)
    } else {
        Options::new()
    };
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
    drop(runtime);
    let written = write_report(args, &report);
    let closed = connection.close();
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
    fn a_large_run_counts_once_per_ten_percent() {
        let marks: Vec<usize> = (1..=1000).filter(|&n| crosses_step(n, 1000)).collect();
        assert_eq!(marks, vec![100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
        let odd: Vec<usize> = (1..=333).filter(|&n| crosses_step(n, 333)).collect();
        assert_eq!(odd.len(), 10);
        assert_eq!(odd.last(), Some(&333));
    }
}
