//! The apply lock: at most one `hangar apply` writes to a tenant at a time.
//!
//! Graph has no lock, but Entra keeps one property unique per tenant and checks it when an
//! object is written: a group's `uniqueName`, the client-provided alternate key (the design
//! and its sources are in `docs/adr/0004-apply-lock.md`). The lock is a lease: an empty
//! security group with `uniqueName` [`APPLY_LOCK_UNIQUE_NAME`], created with `POST /groups`. A
//! second create with the same `uniqueName` is refused by Entra, whoever sends it, so exactly
//! one of two racing applies holds the lease — a compare-and-swap that needs no permission
//! beyond `Group.ReadWrite.All`, which apply already has.
//!
//! - **Acquire** ([`acquire`]): create the lease. Refused because it exists: read it, and wait
//!   (polling) while its holder renews it. A lease that does not change for its holder's
//!   time-to-live, as measured on *this* machine's monotonic clock from when it was first seen
//!   unchanged, belongs to a run that died (SIGKILL, a lost runner): it is deleted by id and
//!   the create tried again. No clocks are compared across machines. Deleting by id can only
//!   remove the stale lease: a fresh one is a new object with a new id.
//! - **Hold** ([`Lease::keep_alive`]): the holder renews the lease (a new description) every
//!   fifth of the time-to-live. When the lease is gone (someone deleted it) or could not be
//!   renewed for half the time-to-live, the holder counts it as lost: it stops starting actions
//!   (the executor's stop flag) and the run ends as interrupted.
//! - **Release** ([`Lease::release`]): delete it. A run killed before that leaves the lease to
//!   expire, and the next apply takes it over after one time-to-live.
//!
//! What it does not guarantee: a holder stalled for longer than half the time-to-live (a
//! suspended laptop) may still have requests in flight when another run takes over; the ADR
//! discusses why that window is acceptable and how small it is.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hangar_graph::Error as GraphError;
use hangar_model::well_known::APPLY_LOCK_UNIQUE_NAME;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::tenant::GraphTenant;

/// The lease group's display name, for people who find it in the Entra admin center.
pub const APPLY_LOCK_DISPLAY_NAME: &str = "hangar apply lock";

/// How long a lease outlives a run that died holding it, unless the holder says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(600);

/// How long to wait for another apply's lease by default (longer than [`DEFAULT_TTL`], so a
/// dead holder's lease is always taken over within the wait).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(900);

/// The lease as read from the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRecord {
    /// Group id.
    pub id: String,
    /// Its description: the holder and its time-to-live ([`Holder::describe`]).
    pub description: String,
}

/// What a create of the lease came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// This run holds the lease.
    Held(LeaseRecord),
    /// Another lease with the `uniqueName` exists (Entra refused the create).
    Taken,
}

/// Where the lease lives: the tenant's groups ([`GraphTenant`]) or a test double.
pub trait LeaseStore: Sync {
    /// The lease, if one exists.
    fn find(&self) -> impl Future<Output = Result<Option<LeaseRecord>, GraphError>> + Send;
    /// Creates the lease with `description`; [`Created::Taken`] when one exists.
    fn create(&self, description: &str) -> impl Future<Output = Result<Created, GraphError>> + Send;
    /// Writes a new description; `false` when the lease `id` is gone.
    fn renew(&self, id: &str, description: &str) -> impl Future<Output = Result<bool, GraphError>> + Send;
    /// Deletes the lease `id` (gone already is fine).
    fn delete(&self, id: &str) -> impl Future<Output = Result<(), GraphError>> + Send;
}

/// Who holds (or wants) the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// A random id of this run; a lease whose description names it is this run's.
    pub run: String,
    /// Who this is, for people: `pid 4242 on ci-runner-7`, a CI run.
    pub label: String,
    /// The time-to-live this holder promises to renew within.
    pub ttl: Duration,
}

impl Holder {
    /// A holder with a fresh run id.
    pub fn new(label: impl Into<String>, ttl: Duration) -> Holder {
        Holder {
            run: uuid::Uuid::new_v4().to_string(),
            label: label.into(),
            ttl,
        }
    }

    /// The lease description: parsable (`run …`, `ttl …s`), readable, and different at each
    /// renewal so that waiters see the lease is alive.
    pub fn describe(&self, renewal: u64) -> String {
        format!(
            "hangar apply lock: run {} ({}), ttl {}s, renewal {renewal}. Other hangar applies to this tenant wait while it exists; delete it only if no apply is running.",
            self.run,
            self.label.chars().take(200).collect::<String>(),
            self.ttl.as_secs().max(1)
        )
    }

    fn owns(&self, record: &LeaseRecord) -> bool {
        record.description.contains(&format!("run {} ", self.run))
    }
}

/// The holder's time-to-live written in a lease description, if it can be read.
pub fn ttl_of(description: &str) -> Option<Duration> {
    let rest = &description[description.find("ttl ")? + 4..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    rest[digits.len()..]
        .starts_with('s')
        .then(|| digits.parse().ok().map(Duration::from_secs))
        .flatten()
}

/// Who a lease description says holds it, for messages.
pub fn holder_of(description: &str) -> String {
    description
        .strip_prefix("hangar apply lock: ")
        .and_then(|rest| rest.split(", ttl ").next())
        .unwrap_or(description)
        .to_owned()
}

/// How [`acquire`] waits.
#[derive(Debug, Clone)]
pub struct LockOptions {
    /// This run.
    pub holder: Holder,
    /// Give up after waiting this long for another holder.
    pub wait: Duration,
}

impl LockOptions {
    /// The pause between two looks at another run's lease: a tenth of the longer of both
    /// time-to-lives, at most 15 s.
    fn poll(&self, other_ttl: Duration) -> Duration {
        (self.holder.ttl.max(other_ttl) / 10).clamp(Duration::from_millis(50), Duration::from_secs(15))
    }
}

/// Something [`acquire`] tells the caller while it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockEvent {
    /// Another run holds the lease; waiting for it (said once per holder).
    Waiting {
        /// Who holds it.
        holder: String,
    },
    /// The lease did not change for its time-to-live: its holder is gone; it is taken over.
    TakingOver {
        /// Who held it.
        holder: String,
        /// Its time-to-live.
        ttl: Duration,
    },
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run held the lease for the whole wait.
    #[error(
        "another `hangar apply` holds the tenant's apply lock ({holder}); waited {waited_secs:.0} s. Run again when it is done; if no apply is running (it was killed), the lock is taken over once it is {ttl_secs} s old, or delete the group `{name}` (`{id}`) in the Entra admin center"
    )]
    Held {
        /// Who holds it.
        holder: String,
        /// How long this run waited.
        waited_secs: f64,
        /// The holder's time-to-live.
        ttl_secs: u64,
        /// The lease group's display name.
        name: &'static str,
        /// The lease group's id.
        id: String,
    },
    /// Entra kept refusing the lock as taken, yet it could not be read by its `uniqueName`.
    #[error(
        "cannot take the tenant's apply lock: Entra refuses it as taken, but no group with `uniqueName` `{}` can be read (waited {waited_secs:.0} s); check that the app can read groups (`Group.Read.All`), or apply with `--no-lock`",
        APPLY_LOCK_UNIQUE_NAME
    )]
    Unreadable {
        /// How long this run tried.
        waited_secs: f64,
    },
    /// Graph refused or failed a lock request (a missing permission, a tenant without
    /// `uniqueName` support).
    #[error(
        "cannot take the tenant's apply lock: {0}; if this tenant cannot hold the lock, `--no-lock` applies without it (CI's `concurrency:` is then the only guard)"
    )]
    Graph(#[source] GraphError),
}

/// Takes the apply lock for `options.holder`, waiting for another holder up to
/// `options.wait` (see the module docs). `on_event` hears what it waits for.
pub async fn acquire<S: LeaseStore>(
    store: &S,
    options: &LockOptions,
    on_event: &(dyn Fn(LockEvent) + Sync),
) -> Result<LeaseRecord, LockError> {
    let started = Instant::now();
    // The other lease as first seen unchanged, and when.
    let mut observed: Option<(LeaseRecord, Instant)> = None;
    let mut announced: Option<String> = None;
    let mut last_ttl = options.holder.ttl;
    loop {
        match store.create(&options.holder.describe(0)).await {
            Ok(Created::Held(record)) => return Ok(record),
            Ok(Created::Taken) => {}
            // The create may have happened: the look-up below tells.
            Err(error) if error.is_outcome_unknown() => {}
            Err(error) => return Err(LockError::Graph(error)),
        }
        let current = store.find().await.map_err(LockError::Graph)?;
        match current {
            Some(record) if options.holder.owns(&record) => return Ok(record),
            Some(record) => {
                let ttl = ttl_of(&record.description).unwrap_or(DEFAULT_TTL);
                last_ttl = ttl;
                let holder = holder_of(&record.description);
                let since = match &observed {
                    Some((seen, at)) if *seen == record => *at,
                    _ => {
                        let now = Instant::now();
                        observed = Some((record.clone(), now));
                        now
                    }
                };
                if since.elapsed() >= ttl {
                    on_event(LockEvent::TakingOver {
                        holder: holder.clone(),
                        ttl,
                    });
                    tracing::warn!(lease = %record.id, holder = %holder, "taking over an apply lock that was not renewed for its time-to-live");
                    store.delete(&record.id).await.map_err(LockError::Graph)?;
                    observed = None;
                    continue;
                }
                if announced.as_deref() != Some(holder.as_str()) {
                    on_event(LockEvent::Waiting {
                        holder: holder.clone(),
                    });
                    announced = Some(holder.clone());
                }
                if started.elapsed() >= options.wait {
                    return Err(LockError::Held {
                        holder,
                        waited_secs: started.elapsed().as_secs_f64(),
                        ttl_secs: ttl.as_secs(),
                        name: APPLY_LOCK_DISPLAY_NAME,
                        id: record.id,
                    });
                }
            }
            // Refused, yet not found: deleted since, or not yet readable where we read.
            None if started.elapsed() >= options.wait => {
                return Err(LockError::Unreadable {
                    waited_secs: started.elapsed().as_secs_f64(),
                });
            }
            None => {}
        }
        tokio::time::sleep(options.poll(last_ttl)).await;
    }
}

/// A held lease, renewed while [`Lease::keep_alive`] runs.
#[derive(Debug)]
pub struct Lease {
    record: LeaseRecord,
    holder: Holder,
    lost: Arc<AtomicBool>,
    why_lost: Arc<Mutex<Option<String>>>,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl Lease {
    /// The lease held by `holder`.
    pub fn new(record: LeaseRecord, holder: Holder) -> Lease {
        Lease {
            record,
            holder,
            lost: Arc::default(),
            why_lost: Arc::default(),
            renewer: None,
        }
    }

    /// The lease group's id.
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// Starts renewing the lease on the current runtime every fifth of its time-to-live. When
    /// it is lost, `stop` is set (the executor stops starting actions) and
    /// [`Lease::lost`] says why.
    pub fn keep_alive<S: LeaseStore + Send + Clone + 'static>(&mut self, store: S, stop: Arc<AtomicBool>) {
        let id = self.record.id.clone();
        let holder = self.holder.clone();
        let lost = self.lost.clone();
        let why_lost = self.why_lost.clone();
        let every = (holder.ttl / 5).max(Duration::from_millis(20));
        let give_up = holder.ttl / 2;
        self.renewer = Some(tokio::spawn(async move {
            let mut last_ok = Instant::now();
            let mut renewal = 0u64;
            loop {
                tokio::time::sleep(every).await;
                renewal += 1;
                let why = match store.renew(&id, &holder.describe(renewal)).await {
                    Ok(true) => {
                        last_ok = Instant::now();
                        continue;
                    }
                    Ok(false) => {
                        "the lock group was deleted (by a person, or by a run that took it over)".to_owned()
                    }
                    Err(error) if last_ok.elapsed() < give_up => {
                        tracing::warn!(error = %error, "the apply lock could not be renewed; trying again");
                        continue;
                    }
                    Err(error) => format!(
                        "it could not be renewed for {:.0} s ({error})",
                        last_ok.elapsed().as_secs_f64()
                    ),
                };
                tracing::error!(reason = %why, "lost the apply lock; no further action is started");
                *why_lost.lock().await = Some(why);
                lost.store(true, Ordering::SeqCst);
                stop.store(true, Ordering::SeqCst);
                return;
            }
        }));
    }

    /// Why the lease was lost, if it was.
    pub async fn lost(&self) -> Option<String> {
        if self.lost.load(Ordering::SeqCst) {
            self.why_lost.lock().await.clone()
        } else {
            None
        }
    }

    /// Stops renewing and deletes the lease (unless it was lost: it is no longer this run's).
    pub async fn release<S: LeaseStore>(mut self, store: &S) -> Result<(), GraphError> {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
        if self.lost.load(Ordering::SeqCst) {
            return Ok(());
        }
        store.delete(&self.record.id).await
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}

fn lease_body(description: &str) -> Map<String, Value> {
    let body = json!({
        "displayName": APPLY_LOCK_DISPLAY_NAME,
        "description": description,
        "mailEnabled": false,
        "mailNickname": APPLY_LOCK_UNIQUE_NAME,
        "securityEnabled": true,
        "groupTypes": [],
        "uniqueName": APPLY_LOCK_UNIQUE_NAME,
    });
    match body {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn record_of(body: &Map<String, Value>) -> Option<LeaseRecord> {
    Some(LeaseRecord {
        id: body.get("id")?.as_str()?.to_owned(),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Whether Graph refused a create because the `uniqueName` is taken. Entra's code for a
/// duplicate key is `Request_MultipleObjectsWithSameKeyValue` (409, and 400 in older answers);
/// any other 400/409 is checked by reading the lease back, so a different wording cannot
/// make two holders.
fn is_taken(error: &GraphError) -> bool {
    error.api().is_some_and(|api| {
        (api.status == 409 || api.status == 400)
            && (api.code == "Request_MultipleObjectsWithSameKeyValue"
                || api.message.to_ascii_lowercase().contains("already exist"))
    })
}

impl LeaseStore for GraphTenant {
    async fn find(&self) -> Result<Option<LeaseRecord>, GraphError> {
        let found = self
            .client()
            .groups()
            .get_by_unique_name(APPLY_LOCK_UNIQUE_NAME)
            .await?;
        Ok(found.as_ref().and_then(record_of))
    }

    async fn create(&self, description: &str) -> Result<Created, GraphError> {
        match self.client().groups().create(&lease_body(description)).await {
            Ok(body) => Ok(record_of(&body).map_or(Created::Taken, Created::Held)),
            Err(error) if is_taken(&error) => Ok(Created::Taken),
            Err(error) => Err(error),
        }
    }

    async fn renew(&self, id: &str, description: &str) -> Result<bool, GraphError> {
        let body = json!({"description": description});
        let Value::Object(body) = body else {
            return Ok(true);
        };
        match self.client().groups().update(id, &body).await {
            Ok(()) => Ok(true),
            Err(error) if error.is_not_found() => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), GraphError> {
        match self.client().groups().delete(id).await {
            Err(error) if error.is_not_found() => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;

    /// A tenant with one `uniqueName` slot, checked atomically as Entra does.
    #[derive(Debug, Default, Clone)]
    struct Slot {
        lease: Arc<StdMutex<Option<LeaseRecord>>>,
        next_id: Arc<StdMutex<u32>>,
    }

    impl LeaseStore for Slot {
        async fn find(&self) -> Result<Option<LeaseRecord>, GraphError> {
            Ok(self.lease.lock().unwrap().clone())
        }
        async fn create(&self, description: &str) -> Result<Created, GraphError> {
            let mut lease = self.lease.lock().unwrap();
            if lease.is_some() {
                return Ok(Created::Taken);
            }
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            let record = LeaseRecord {
                id: format!("lease-{next}"),
                description: description.to_owned(),
            };
            *lease = Some(record.clone());
            Ok(Created::Held(record))
        }
        async fn renew(&self, id: &str, description: &str) -> Result<bool, GraphError> {
            let mut lease = self.lease.lock().unwrap();
            match lease.as_mut() {
                Some(record) if record.id == id => {
                    record.description = description.to_owned();
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
        async fn delete(&self, id: &str) -> Result<(), GraphError> {
            let mut lease = self.lease.lock().unwrap();
            if lease.as_ref().is_some_and(|r| r.id == id) {
                *lease = None;
            }
            Ok(())
        }
    }

    fn options(label: &str, ttl: u64, wait: u64) -> LockOptions {
        LockOptions {
            holder: Holder::new(label, Duration::from_secs(ttl)),
            wait: Duration::from_secs(wait),
        }
    }

    #[test]
    fn descriptions_carry_the_ttl_and_the_holder() {
        let holder = Holder::new("pid 7 on ci", Duration::from_secs(90));
        let text = holder.describe(3);
        assert_eq!(ttl_of(&text), Some(Duration::from_secs(90)));
        assert_eq!(holder_of(&text), format!("run {} (pid 7 on ci)", holder.run));
        assert!(holder.owns(&LeaseRecord {
            id: "x".into(),
            description: text
        }));
        assert_eq!(ttl_of("edited by hand"), None);
        assert_eq!(ttl_of("ttl 5x"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn one_holder_at_a_time_and_a_renewed_lease_is_never_taken_over() {
        let slot = Slot::default();
        let first = options("first", 60, 600);
        let record = acquire(&slot, &first, &|_| {}).await.unwrap();
        let mut lease = Lease::new(record, first.holder.clone());
        let stop = Arc::new(AtomicBool::new(false));
        lease.keep_alive(slot.clone(), stop.clone());

        // A second run waits the whole 5 minutes (five times the TTL) and gives up: the first
        // keeps renewing.
        let events = StdMutex::new(Vec::new());
        let second = options("second", 60, 300);
        let err = acquire(&slot, &second, &|e| events.lock().unwrap().push(e))
            .await
            .unwrap_err();
        assert!(matches!(err, LockError::Held { .. }), "{err}");
        assert!(err.to_string().contains("(first)"), "{err}");
        assert_eq!(events.lock().unwrap().len(), 1, "the wait is announced once");
        assert!(!stop.load(Ordering::SeqCst));
        assert!(lease.lost().await.is_none());

        lease.release(&slot).await.unwrap();
        assert!(slot.find().await.unwrap().is_none());
        acquire(&slot, &second, &|_| {}).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_dead_holders_lease_is_taken_over_after_its_ttl() {
        let slot = Slot::default();
        // A run that took the lease and died: it never renews.
        let dead = options("dead", 30, 600);
        acquire(&slot, &dead, &|_| {}).await.unwrap();
        let started = Instant::now();
        let events = StdMutex::new(Vec::new());
        let next = options("next", 600, 600);
        let record = acquire(&slot, &next, &|e| events.lock().unwrap().push(e))
            .await
            .unwrap();
        assert!(next.holder.owns(&record));
        // The dead holder's TTL (30 s), not the waiter's (600 s), decides.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(30) && waited < Duration::from_secs(40),
            "{waited:?}"
        );
        let events = events.lock().unwrap();
        assert!(
            matches!(&events[1], LockEvent::TakingOver { ttl, .. } if *ttl == Duration::from_secs(30)),
            "{events:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_deleted_lease_is_noticed_and_stops_the_run() {
        let slot = Slot::default();
        let holder = options("holder", 10, 60);
        let record = acquire(&slot, &holder, &|_| {}).await.unwrap();
        let mut lease = Lease::new(record.clone(), holder.holder.clone());
        let stop = Arc::new(AtomicBool::new(false));
        lease.keep_alive(slot.clone(), stop.clone());
        slot.delete(&record.id).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(stop.load(Ordering::SeqCst));
        assert!(lease.lost().await.unwrap().contains("deleted"));
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiters_end_with_one_holder_each_in_turn() {
        let slot = Slot::default();
        let mut holders = Vec::new();
        let runs: Vec<LockOptions> = (0..4).map(|i| options(&format!("run {i}"), 20, 600)).collect();
        let mut tasks = Vec::new();
        for run in runs.clone() {
            let slot = slot.clone();
            tasks.push(tokio::spawn(async move {
                let record = acquire(&slot, &run, &|_| {}).await.unwrap();
                // Hold it for a while, renewing, then release.
                let mut lease = Lease::new(record, run.holder.clone());
                lease.keep_alive(slot.clone(), Arc::new(AtomicBool::new(false)));
                let held_from = Instant::now();
                tokio::time::sleep(Duration::from_secs(45)).await;
                assert!(lease.lost().await.is_none(), "a renewed lease was taken over");
                lease.release(&slot).await.unwrap();
                (held_from, Instant::now())
            }));
        }
        for task in tasks {
            holders.push(task.await.unwrap());
        }
        holders.sort();
        for pair in holders.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "two holders at once: {holders:?}");
        }
    }
}
