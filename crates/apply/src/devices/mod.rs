//! Device registrations at fleet scale (issue 7, graph-api-notes §4): imports, group tag and
//! user changes, pruning deletes, staging clean-up and one Autopilot sync per run.
//!
//! [`apply`] is the crate's entry point ([`crate::apply`]): it runs the plan's object actions
//! through the [`executor`] and then the device actions here, as one phase,
//! because per-action steps cannot batch: 100,000 imports would be 100,000 POSTs and 100,000
//! polling loops. What the phase does:
//!
//! - **Imports** (`import`): every CSV row to import is read back and checked first (the row
//!   still lists the serial, the hash is valid base64); a CSV with one bad row imports nothing.
//!   Staging records left by an earlier, interrupted run are adopted instead of importing the
//!   serial again; failed ones are deleted and the device imported afresh. Devices go to
//!   `importedWindowsAutopilotDeviceIdentities/import` 500 to a call (the Intune portal's limit
//!   for one upload) and at most 3 MiB of JSON, with at most 2,000 of this run's records staged
//!   at once. All staged records are polled together by listing the staging collection
//!   without hashes (one request per 1,000 records), until each is `complete` or `error`; each
//!   is then deleted, whatever its outcome. Completed devices are confirmed in the registered
//!   list (by serial, twenty lookups to a `$batch`, or one full listing for large runs).
//!   Failures name the device and, for known codes (802, 806, 808), what to do. A lost answer
//!   to an import is resolved by looking for the staging records before anything is sent
//!   again; a refused batch is split in halves until the refused device is found.
//! - **Updates and deletes** (`writes`): `updateDeviceProperties` and `DELETE`, many at a
//!   time, paced by the client's rate limiter (Intune: 100 writes per 20 s per app), so that
//!   10,000 tag changes run at the budget without a 429.
//! - **Sync** (`sync`): once per run, after imports registered at least one device: the
//!   settings are read first (no request while a sync runs), and a refusal (429 within ten
//!   minutes of the last sync, 409) is reported, never fatal and never repeated.
//! - **Leftovers**: when the configuration manages devices, finished staging records of devices
//!   already registered (an interrupted run's) are deleted even when nothing else changes.
//!
//! Imports and the other writes run at the same time and share the rate limiter. Ctrl-C
//! ([`Options::stop`]) stops sending new batches and writes; imports already staged are still
//! polled, cleaned up and reported.

mod import;
mod single;
mod sync;
mod tenant;
#[cfg(test)]
mod tests;
mod writes;

use std::time::{Duration, SystemTime};

use hangar_model::LiveState;
use hangar_plan::{Action, Op, Plan, ReadRecord, Summary};
use tokio::time::Instant;

pub(crate) use single::{delete, import, update};
pub use tenant::DeviceTenant;

use crate::report::{ActionReport, ApplyReport, ErrorReport, Status};
use crate::{Error, Event, Options, Progress, executor};

/// Applies `plan` to `tenant`: the object actions through the executor (ordering, lanes,
/// retries, clean-ups), then the device actions as one phase (see the module docs). `live` is
/// the state the plan was made from. With [`Options::guardrails`] (the CLI always sets them),
/// a plan that breaks them is refused whole before any request ([`ApplyReport::refused`]).
/// Otherwise never returns early: the report says what happened to every action, in plan
/// order.
pub async fn apply<T: DeviceTenant>(
    plan: &Plan,
    tenant: &T,
    live: Option<&LiveState>,
    options: &Options,
    progress: &dyn Progress,
) -> ApplyReport {
    if let Some(guardrails) = &options.guardrails {
        let refused = guardrails.check(plan, live);
        if !refused.is_empty() {
            tracing::warn!(
                reasons = refused.len(),
                "the plan breaks the configuration's guardrails; nothing was sent"
            );
            return ApplyReport::refusal(plan, refused);
        }
    }
    let devices: Vec<&Action> = plan.actions.iter().filter(|a| is_device(a)).collect();
    let sweep = manages_devices(plan, live);
    if devices.is_empty() && !sweep {
        return executor::apply(plan, tenant, live, options, progress).await;
    }
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let rest = Plan {
        format_version: plan.format_version,
        hangar_version: plan.hangar_version.clone(),
        cloud: plan.cloud,
        tenant_id: plan.tenant_id.clone(),
        tenant: plan.tenant.clone(),
        summary: Summary::default(),
        actions: plan.actions.iter().filter(|a| !is_device(a)).cloned().collect(),
        impact: hangar_plan::Impact::default(),
        read: ReadRecord::default(),
        warnings: Vec::new(),
        validation: Vec::new(),
        unmanaged: Vec::new(),
        configuration: None,
        history: Vec::new(),
    };
    let counted = Counted {
        inner: progress,
        extra: devices.len(),
    };
    let objects = executor::apply(&rest, tenant, live, options, &counted).await;
    let mut slots: Vec<Slot<'_>> = devices.into_iter().map(Slot::new).collect();
    run(&mut slots, tenant, live, options, progress, sweep).await;

    let mut device_reports = slots.into_iter().map(Slot::report).peekable();
    let mut object_reports = objects.actions.into_iter().peekable();
    let mut actions = Vec::with_capacity(plan.actions.len());
    for action in &plan.actions {
        let next = if is_device(action) {
            device_reports.next_if(|r| r.id == action.id)
        } else {
            object_reports.next_if(|r| r.id == action.id)
        };
        actions.push(next.unwrap_or_else(|| not_started(action)));
    }
    ApplyReport::new(
        plan,
        actions,
        objects.cleanups,
        objects.interrupted || options.stopping(),
        started_at,
        SystemTime::now(),
        clock.elapsed(),
    )
}

/// Whether an action is a device registration.
pub fn is_device(action: &Action) -> bool {
    matches!(
        action.op,
        Op::ImportDevice(_) | Op::UpdateDevice(_) | Op::DeleteDevice { .. }
    )
}

/// Whether the plan came from a configuration with devices CSVs and a complete read of the
/// registered devices: then staging records an interrupted run left behind are cleaned up even
/// when no device changes.
fn manages_devices(plan: &Plan, live: Option<&LiveState>) -> bool {
    let devices = &plan.summary.devices;
    devices.import + devices.update + devices.unchanged > 0
        && live.is_some_and(|live| live.is_complete(hangar_model::Kind::AutopilotDevice))
}

/// Runs the device phase over `slots` (device actions in plan order).
async fn run<T: DeviceTenant>(
    slots: &mut [Slot<'_>],
    tenant: &T,
    live: Option<&LiveState>,
    options: &Options,
    progress: &dyn Progress,
    sweep: bool,
) {
    let (mut imports, mut others): (Vec<&mut Slot<'_>>, Vec<&mut Slot<'_>>) = slots
        .iter_mut()
        .partition(|slot| matches!(slot.action.op, Op::ImportDevice(_)));
    let (registered, ()) = tokio::join!(
        import::run(tenant, &mut imports, live, options, progress, sweep),
        writes::run(tenant, &mut others, options, progress),
    );
    if registered > 0 {
        let outcome = sync::once(tenant).await;
        progress.event(Event::Waiting {
            label: "Autopilot sync",
            detail: &outcome,
        });
        if let Some(slot) = imports.iter_mut().find(|s| s.status == Status::Done) {
            slot.notes.push(outcome);
        }
    }
}

/// A device action on its way to its report.
pub(crate) struct Slot<'p> {
    action: &'p Action,
    label: String,
    status: Status,
    error: Option<Error>,
    notes: Vec<String>,
    attempts: u32,
    started: Option<Instant>,
    duration: Duration,
    object_id: Option<String>,
}

impl<'p> Slot<'p> {
    fn new(action: &'p Action) -> Slot<'p> {
        Slot {
            action,
            label: format!(
                "{} {} {}: {}",
                action.id,
                action.symbol(),
                action.address,
                action.op.name()
            ),
            status: Status::NotStarted,
            error: None,
            notes: Vec::new(),
            attempts: 0,
            started: None,
            duration: Duration::ZERO,
            object_id: None,
        }
    }

    /// The serial, as the plan has it.
    fn serial(&self) -> &str {
        self.action.address.name.trim()
    }

    /// Not started yet (an adopted import is started: it must not be sent again).
    fn is_open(&self) -> bool {
        self.started.is_none() && self.status == Status::NotStarted && self.error.is_none()
    }

    fn start(&mut self, progress: &dyn Progress) {
        if self.started.is_none() {
            self.started = Some(Instant::now());
            progress.event(Event::Started { label: &self.label });
            tracing::info!(step = self.label.as_str(), "start");
        }
    }

    fn note(&mut self, note: String) {
        tracing::info!(step = self.label.as_str(), note = note.as_str(), "note");
        self.notes.push(note);
    }

    fn finish(&mut self, progress: &dyn Progress, result: Result<Option<String>, Error>) {
        self.duration = self.started.map_or(Duration::ZERO, |s| s.elapsed());
        let detail = result.as_ref().err().map(ToString::to_string);
        match result {
            Ok(object_id) => {
                self.status = Status::Done;
                self.object_id = object_id;
            }
            Err(error) => {
                // Info, not warn: the progress event below shows the failure to the user already.
                tracing::info!(step = self.label.as_str(), error = %error, "failed");
                self.status = Status::Failed;
                self.error = Some(error);
            }
        }
        progress.event(Event::Finished {
            label: &self.label,
            status: self.status,
            detail: detail.as_deref(),
        });
    }

    fn report(self) -> ActionReport {
        ActionReport {
            id: self.action.id,
            address: self.action.address.clone(),
            action: self.action.op.name().to_owned(),
            status: self.status,
            object_id: self.object_id,
            notes: self.notes,
            error: self.error.as_ref().map(ErrorReport::from),
            skipped_because: Vec::new(),
            attempts: self.attempts,
            duration_ms: self.duration.as_millis() as u64,
        }
    }
}

pub(crate) fn not_started(action: &Action) -> ActionReport {
    ActionReport {
        id: action.id,
        address: action.address.clone(),
        action: action.op.name().to_owned(),
        status: Status::NotStarted,
        object_id: None,
        notes: Vec::new(),
        error: None,
        skipped_because: Vec::new(),
        attempts: 0,
        duration_ms: 0,
    }
}

/// Passes events through, counting the device actions into `Begin`.
struct Counted<'a> {
    inner: &'a dyn Progress,
    extra: usize,
}

impl Progress for Counted<'_> {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Begin { total } => self.inner.event(Event::Begin {
                total: total + self.extra,
            }),
            other => self.inner.event(other),
        }
    }
}

/// Repeats `attempt` while it fails transiently (throttled or a server fault after the
/// client's own retries, a lost connection), as the executor does for object actions.
async fn retrying<F, Fut, R>(options: &Options, attempts: &mut u32, mut attempt: F) -> Result<R, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<R, Error>>,
{
    let started = Instant::now();
    let mut made = 0;
    loop {
        let result = attempt(made).await;
        made += 1;
        *attempts += 1;
        match result {
            Err(error) => match options.retry_pause(&error, made, started) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => return Err(error),
            },
            other => return other,
        }
    }
}
