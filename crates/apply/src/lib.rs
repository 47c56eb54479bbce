//! hangar's applier: executes a [`Plan`] against a tenant so that the tenant converges to Git
//! and stays converged whatever Graph does in the middle.
//!
//! What it does:
//!
//! - **Order and concurrency** ([`executor`]): the plan's actions form a dependency graph; every
//!   action runs once all it depends on is done, up to [`Options::concurrency`] at a time per
//!   throttling budget (Entra directory, Intune), most-depended-on first, so the scarcer Intune
//!   write budget never idles while groups are being created. The client's rate limiter paces
//!   the requests themselves.
//! - **Every action kind** ([`actions`]), each with its resource's own API: create, update,
//!   replace (create-then-switch or delete-then-create, per kind), delete (unassigned first),
//!   assignments (one by one for profiles, replace-all `assign` elsewhere), group owners,
//!   priorities through `setPriority`, the Device Preparation device group through
//!   `setEnrollmentTimeDeviceMembershipTarget` with `validationSucceeded` checked, and device
//!   registrations ([`devices`]).
//! - **Ids** ([`resolve`]): symbolic group references and new objects get their ids from the
//!   creates of this run, or from the tenant by name.
//! - **Eventual consistency** ([`visibility`]): a group created by this run is waited for —
//!   readable in the directory, accepted by Intune — with bounded backoff and a clear error when
//!   the wait runs out.
//! - **Unknown outcomes** ([`unknown`]): a create whose answer was lost is resolved by looking
//!   the object up by name before anything is sent again; nothing is created twice.
//! - **Partial failure**: independent branches go on, dependents of a failed action are
//!   skipped, and the [`ApplyReport`] says what happened to every action ([`report`]).
//! - **Guardrails** ([`guard`]): with the configuration's limits in [`Options::guardrails`],
//!   a plan that deletes outside `prune.only` or past `maxDeletes`, deletes what Git declares,
//!   creates a name twice or over an existing object, or touches a built-in other than by
//!   updating it, is refused whole before any request, whoever made it.
//! - **One apply at a time** ([`lock`]): a lease in the tenant (a group whose `uniqueName`
//!   Entra keeps unique), taken before the tenant is read, renewed while the run lives, taken
//!   over after its time-to-live when its holder died.
//! - **What changed since a saved plan** ([`stale`]): the objects a saved plan fingerprinted
//!   that read back differently, to explain why a plan made again differs.
//!
//! What it does not do: decide what to change (the plan does; apply never adds an action the
//! plan did not ask for, except finishing a replace an interrupted run left half done), read
//! configuration, render plans or print. It talks to Graph only through [`Tenant`].
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod actions;
pub mod devices;
mod error;
pub mod executor;
pub mod guard;
pub mod lock;
pub mod report;
pub mod resolve;
pub mod stale;
pub mod tenant;
pub mod unknown;
pub mod visibility;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub use devices::apply;
pub use error::{Error, Evidence};
pub use executor::{Cleanup, cleanups};
pub use guard::Guardrails;
pub use report::{ActionReport, ApplyReport, CleanupReport, Counts, Status};
pub use tenant::{GraphTenant, Tenant};

#[doc(no_inline)]
pub use hangar_plan::Plan;

/// A bounded wait: steps from `first`, doubling up to `max_step`, for at most `total`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// First pause.
    pub first: Duration,
    /// Longest pause.
    pub max_step: Duration,
    /// Time allowed in all.
    pub total: Duration,
}

impl Backoff {
    /// The pause after `step` pauses (0-based).
    pub fn step(&self, step: u32) -> Duration {
        self.first
            .saturating_mul(2u32.saturating_pow(step.min(16)))
            .min(self.max_step)
    }

    fn scaled(self, scale: f64) -> Backoff {
        Backoff {
            first: self.first.div_f64(scale),
            max_step: self.max_step.div_f64(scale),
            total: self.total.div_f64(scale),
        }
    }
}

/// How apply runs. [`Options::new`] has the values for Microsoft's service;
/// [`Options::scaled`] shrinks every wait for a simulator whose clock runs faster.
#[derive(Debug, Clone)]
pub struct Options {
    /// Actions in flight at once, per throttling budget (directory, Intune).
    pub concurrency: usize,
    /// Attempts per action when it fails transiently (throttled or a server fault after the
    /// client's own retries, a lost connection).
    pub attempts: u32,
    /// Pauses between those attempts.
    pub retry: Backoff,
    /// Waiting for a new group to be readable in the directory and accepted by Intune.
    pub visibility: Backoff,
    /// After an unknown outcome: how many lookups must find nothing before the create is sent
    /// again, and the pause between them (directory reads can lag a write).
    pub confirm_absent: (u32, Duration),
    /// Polling a device import until it is `complete` or `error`.
    pub import_poll: Backoff,
    /// Whether the token is delegated (`HANGAR_ACCESS_TOKEN`): changes the advice when the
    /// Device Preparation device group cannot be set.
    pub delegated: bool,
    /// Set it (for example on Ctrl-C) to stop starting actions; those in flight finish.
    pub stop: Option<Arc<AtomicBool>>,
    /// The configuration's limits on any plan ([`guard`]): when set, a plan that breaks them is
    /// refused before anything is sent. The CLI always sets them from the configuration.
    pub guardrails: Option<Guardrails>,
}

impl Options {
    /// Waits sized for Microsoft Graph: groups replicate to Intune within about a minute (CIPP
    /// retries 3 × 10 s, Terraform reads back 30 × 2 s), imports take minutes.
    pub fn new() -> Options {
        Options {
            concurrency: 8,
            attempts: 4,
            retry: Backoff {
                first: Duration::from_secs(2),
                max_step: Duration::from_secs(30),
                total: Duration::from_secs(120),
            },
            visibility: Backoff {
                first: Duration::from_secs(2),
                max_step: Duration::from_secs(15),
                total: Duration::from_secs(180),
            },
            confirm_absent: (2, Duration::from_secs(2)),
            import_poll: Backoff {
                first: Duration::from_secs(15),
                max_step: Duration::from_secs(30),
                total: Duration::from_secs(1800),
            },
            delegated: false,
            stop: None,
            guardrails: None,
        }
    }

    /// [`Options::new`] with every wait divided by `clock_scale` (simulated seconds per real
    /// second), as the client's rate limiter does.
    pub fn scaled(clock_scale: f64) -> Options {
        let scale = if clock_scale.is_finite() && clock_scale > 0.0 {
            clock_scale
        } else {
            1.0
        };
        let base = Options::new();
        Options {
            retry: base.retry.scaled(scale),
            visibility: base.visibility.scaled(scale),
            confirm_absent: (base.confirm_absent.0, base.confirm_absent.1.div_f64(scale)),
            import_poll: base.import_poll.scaled(scale),
            ..base
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The pause before trying again a step whose attempt number `made` (from 1) failed with
    /// `error`, the first having started at `started`; `None` when it must not be tried again:
    /// the error is not transient, the attempts or the retry time are spent, or the run stops.
    pub(crate) fn retry_pause(
        &self,
        error: &Error,
        made: u32,
        started: tokio::time::Instant,
    ) -> Option<Duration> {
        let pause = self.retry.step(made.saturating_sub(1));
        (error.is_transient()
            && made < self.attempts.max(1)
            && !self.stopping()
            && started.elapsed() + pause <= self.retry.total)
            .then_some(pause)
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new()
    }
}

/// What happens during a run, for progress displays. Labels read like
/// `#3 DeviceGroup/Autopilot-Sales: create`.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The run starts with this many steps (actions and clean-ups).
    Begin {
        /// Steps in all.
        total: usize,
    },
    /// A step started.
    Started {
        /// The step.
        label: &'a str,
    },
    /// A step waits (eventual consistency, an unknown outcome, a retry); `detail` says why.
    Waiting {
        /// The step.
        label: &'a str,
        /// Why.
        detail: &'a str,
    },
    /// A step ended (done, failed or skipped).
    Finished {
        /// The step.
        label: &'a str,
        /// How.
        status: Status,
        /// The error or the reason it was skipped, if any.
        detail: Option<&'a str>,
    },
}

/// Receives [`Event`]s. Implementations must be cheap: they are called from the run loop.
pub trait Progress: Sync {
    /// One event.
    fn event(&self, event: Event<'_>);
}

/// Ignores every event.
impl Progress for () {
    fn event(&self, _event: Event<'_>) {}
}
