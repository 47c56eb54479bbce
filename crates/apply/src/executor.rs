//! Runs a plan's dependency graph: every action once everything it depends on is done, several
//! at a time, and nothing after a failure that it builds on.
//!
//! **Steps.** A step is a plan action, or one of two clean-up steps apply adds for objects set
//! aside by a create-then-switch replace ([`Cleanup`]): *release* (drop the old profile's
//! "all devices" assignment, which only one profile may hold, before the new one takes it) and
//! *retire* (unassign and delete the old object once everything built on its successor is
//! done). Clean-ups are also found for objects left aside by an interrupted earlier run.
//!
//! **Scheduling.** Each step belongs to a lane, the throttling budget its writes draw on
//! (Entra directory or Intune), and each lane runs at most [`crate::Options::concurrency`] steps
//! at once; the client's rate limiter paces the requests inside them. Ready steps start in
//! order of the longest chain of steps that wait for them, then plan order: groups that
//! assignments wait for go before groups nothing waits for, so the Intune budget — the scarce
//! one — starts early and never idles for lack of ready work.
//!
//! **Failure.** A step that fails transiently (throttled, a server fault or a lost connection
//! after the client's own retries) is repeated up to [`crate::Options::attempts`] times; every
//! action looks before it writes on a repeat. A step that still fails is recorded with Graph's
//! evidence; every step that depends on it, directly or not, is skipped naming it; independent
//! steps go on. When [`crate::Options::stop`] is set, no new step starts and those not started
//! are reported as such.

use std::collections::{BinaryHeap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use hangar_model::{Kind, LiveState};
use hangar_plan::{Action, ActionId, Address, Op, Plan};
use tokio::time::Instant;

use crate::actions::{self, replace};
use crate::report::{ActionReport, ApplyReport, CleanupReport, ErrorReport, Status};
use crate::resolve::Registry;
use crate::tenant::Tenant;
use crate::{Error, Event, Options, Progress};

/// An object a replace set aside under [`replace::aside_name`], to be unassigned and deleted
/// once its successor is in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleanup {
    /// Kind.
    pub kind: Kind,
    /// Id of the old object.
    pub id: String,
    /// Its name once set aside.
    pub name: String,
    /// The object that replaces it.
    pub base: Address,
    /// The replace that sets it aside in this run; `None` when an earlier run did and was
    /// interrupted before retiring it.
    pub replaced_by: Option<ActionId>,
    /// Whether it holds the "all devices" assignment (a profile): released before anything
    /// else at `base` runs.
    pub holds_all_devices: bool,
}

/// The clean-ups a run of `plan` performs: objects its replaces set aside, and — when the live
/// state is given — objects set aside by an interrupted earlier run whose successor exists or
/// is created by this plan. Objects the plan deletes anyway are left to the plan.
pub fn cleanups(plan: &Plan, live: Option<&LiveState>) -> Vec<Cleanup> {
    let mut out = Vec::new();
    for action in &plan.actions {
        if let (Op::Replace { live_assignments, .. }, Some(id)) = (&action.op, &action.live_id)
            && replace::strategy(action.address.kind) == replace::Strategy::CreateThenSwitch
        {
            out.push(Cleanup {
                kind: action.address.kind,
                id: id.clone(),
                name: replace::aside_name(action.address.kind, &action.address.name),
                base: action.address.clone(),
                replaced_by: Some(action.id),
                holds_all_devices: live_assignments.iter().any(|a| a.target.is_all_devices()),
            });
        }
    }
    let Some(live) = live else { return out };
    let deleted: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| matches!(a.op, Op::Delete | Op::Replace { .. }))
        .filter_map(|a| a.live_id.as_deref())
        .collect();
    for object in &live.objects {
        let Some(base) = replace::base_name(&object.display_name) else {
            continue;
        };
        if replace::strategy(object.kind) != replace::Strategy::CreateThenSwitch
            || deleted.iter().any(|id| id.eq_ignore_ascii_case(&object.id))
            || out.iter().any(|c| c.id.eq_ignore_ascii_case(&object.id))
        {
            continue;
        }
        let base = Address::new(object.kind, base);
        let successor = live.objects_of(object.kind).any(|o| o.display_name == base.name)
            || plan
                .actions
                .iter()
                .any(|a| a.address == base && matches!(a.op, Op::Create { .. } | Op::Replace { .. }));
        if !successor {
            continue;
        }
        let holds_all_devices = object.kind == Kind::DeploymentProfile
            && object
                .assignments
                .iter()
                .flatten()
                .any(|a| a.target == hangar_model::LiveTarget::AllDevices);
        out.push(Cleanup {
            kind: object.kind,
            id: object.id.clone(),
            name: object.display_name.clone(),
            base,
            replaced_by: None,
            holds_all_devices,
        });
    }
    out
}

/// What one step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Action(usize),
    Release(usize),
    Retire(usize),
}

/// The throttling budget a step's writes draw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Directory,
    Intune,
}

impl Lane {
    fn of(action: &Action) -> Lane {
        match (&action.address.kind, &action.op) {
            (Kind::DeviceGroup, _) => Lane::Directory,
            _ => Lane::Intune,
        }
    }

    fn index(self) -> usize {
        match self {
            Lane::Directory => 0,
            Lane::Intune => 1,
        }
    }
}

#[derive(Debug, Clone)]
enum State {
    Waiting(usize),
    Running,
    Done,
    Failed,
    Skipped(Vec<ActionId>),
}

struct Node {
    work: Work,
    label: String,
    lane: Lane,
    dependents: Vec<usize>,
    rank: usize,
}

/// What a step in flight sees: the tenant, the options, the ids known so far, and where its
/// notes and waits go.
pub struct Step<'a, T> {
    /// The tenant.
    pub(crate) tenant: &'a T,
    /// Options of the run.
    pub(crate) options: &'a Options,
    /// Ids known so far.
    pub(crate) registry: &'a Registry,
    progress: &'a dyn Progress,
    label: &'a str,
    /// 0 on the first attempt; on a repeat, every action looks before it writes.
    pub(crate) attempt: u32,
    notes: Mutex<Vec<String>>,
}

impl<T> Step<'_, T> {
    /// Reports a wait (eventual consistency, an unknown outcome being resolved).
    pub(crate) fn waiting(&self, detail: &str) {
        tracing::info!(step = self.label, detail, "waiting");
        self.progress.event(Event::Waiting {
            label: self.label,
            detail,
        });
    }

    /// Adds a note to the step's report entry.
    pub(crate) fn note(&self, note: String) {
        tracing::info!(step = self.label, note = note.as_str(), "note");
        match self.notes.lock() {
            Ok(mut notes) => notes.push(note),
            Err(poisoned) => poisoned.into_inner().push(note),
        }
    }

    fn take_notes(&self) -> Vec<String> {
        match self.notes.lock() {
            Ok(mut notes) => std::mem::take(&mut *notes),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

/// How a step ended.
struct Outcome {
    node: usize,
    result: Result<Option<String>, Error>,
    notes: Vec<String>,
    attempts: u32,
    duration: Duration,
}

/// Applies `plan` to `tenant`. `live` is the state the plan was made from (or re-read for a
/// saved plan): with it, objects set aside by an interrupted earlier run are cleaned up too.
///
/// Never returns early: the report says what happened to every action.
pub async fn apply<T: Tenant>(
    plan: &Plan,
    tenant: &T,
    live: Option<&LiveState>,
    options: &Options,
    progress: &dyn Progress,
) -> ApplyReport {
    let started_at = std::time::SystemTime::now();
    let clock = Instant::now();
    let cleanups = cleanups(plan, live);
    let registry = Registry::from_plan(plan);
    let (nodes, deps) = build(plan, &cleanups);
    let count = nodes.len();
    progress.event(Event::Begin { total: count });

    let mut states: Vec<State> = deps.iter().map(|d| State::Waiting(d.len())).collect();
    let mut outcomes: Vec<Option<Outcome>> = (0..count).map(|_| None).collect();
    let mut ready: [BinaryHeap<(usize, std::cmp::Reverse<usize>)>; 2] =
        [BinaryHeap::new(), BinaryHeap::new()];
    for (i, node) in nodes.iter().enumerate() {
        if deps[i].is_empty() {
            ready[node.lane.index()].push((node.rank, std::cmp::Reverse(i)));
        }
    }
    let limit = options.concurrency.max(1);
    let mut in_lane = [0usize; 2];
    let mut running = FuturesUnordered::new();
    loop {
        if !options.stopping() {
            for lane in 0..2 {
                while in_lane[lane] < limit {
                    let Some((_, std::cmp::Reverse(i))) = ready[lane].pop() else {
                        break;
                    };
                    in_lane[lane] += 1;
                    states[i] = State::Running;
                    progress.event(Event::Started {
                        label: &nodes[i].label,
                    });
                    tracing::info!(step = nodes[i].label.as_str(), "start");
                    running.push(run_step(
                        i, &nodes[i], plan, &cleanups, tenant, options, &registry, progress,
                    ));
                }
            }
        }
        let Some(outcome) = running.next().await else {
            break;
        };
        let i = outcome.node;
        in_lane[nodes[i].lane.index()] -= 1;
        let detail = outcome.result.as_ref().err().map(ToString::to_string);
        match &outcome.result {
            Ok(_) => {
                states[i] = State::Done;
                for &d in &nodes[i].dependents {
                    if let State::Waiting(left) = &mut states[d] {
                        *left -= 1;
                        if *left == 0 {
                            ready[nodes[d].lane.index()].push((nodes[d].rank, std::cmp::Reverse(d)));
                        }
                    }
                }
            }
            Err(error) => {
                // Info, not warn: the progress event shows the failure to the user already.
                tracing::info!(step = nodes[i].label.as_str(), error = %error, "failed");
                states[i] = State::Failed;
                let cause = match nodes[i].work {
                    Work::Action(a) => vec![plan.actions[a].id],
                    Work::Release(_) | Work::Retire(_) => Vec::new(),
                };
                skip_dependents(i, &cause, &nodes, &mut states, progress);
            }
        }
        progress.event(Event::Finished {
            label: &nodes[i].label,
            status: if outcome.result.is_ok() {
                Status::Done
            } else {
                Status::Failed
            },
            detail: detail.as_deref(),
        });
        outcomes[i] = Some(outcome);
    }

    let finished_at = std::time::SystemTime::now();
    report(
        plan,
        &cleanups,
        &nodes,
        states,
        outcomes,
        options.stopping(),
        started_at,
        finished_at,
        clock.elapsed(),
    )
}

fn skip_dependents(
    failed: usize,
    cause: &[ActionId],
    nodes: &[Node],
    states: &mut [State],
    progress: &dyn Progress,
) {
    let mut queue: VecDeque<usize> = nodes[failed].dependents.iter().copied().collect();
    while let Some(d) = queue.pop_front() {
        match &mut states[d] {
            State::Waiting(_) => {
                states[d] = State::Skipped(cause.to_vec());
                let because = describe_cause(cause);
                progress.event(Event::Finished {
                    label: &nodes[d].label,
                    status: Status::Skipped,
                    detail: Some(&because),
                });
                queue.extend(nodes[d].dependents.iter().copied());
            }
            State::Skipped(causes) => {
                for c in cause {
                    if !causes.contains(c) {
                        causes.push(*c);
                    }
                }
            }
            _ => {}
        }
    }
}

fn describe_cause(cause: &[ActionId]) -> String {
    if cause.is_empty() {
        return "a step it depends on failed".to_owned();
    }
    format!(
        "{} failed",
        cause
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Builds the steps and their dependencies (`deps[i]`: the steps `i` waits for).
fn build(plan: &Plan, cleanups: &[Cleanup]) -> (Vec<Node>, Vec<Vec<usize>>) {
    let actions = plan.actions.len();
    let index_of: std::collections::HashMap<ActionId, usize> =
        plan.actions.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let mut nodes: Vec<Node> = Vec::new();
    let mut deps: Vec<Vec<usize>> = Vec::new();
    for action in &plan.actions {
        nodes.push(Node {
            work: Work::Action(nodes.len()),
            label: format!(
                "{} {} {}: {}",
                action.id,
                action.symbol(),
                action.address,
                action.op.name()
            ),
            lane: Lane::of(action),
            dependents: Vec::new(),
            rank: 0,
        });
        deps.push(
            action
                .depends_on
                .iter()
                .filter_map(|d| index_of.get(d).copied())
                .collect(),
        );
    }
    // Transitive dependents of every action, for clean-ups that wait for "everything built
    // on the successor".
    let mut direct: Vec<Vec<usize>> = vec![Vec::new(); actions];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            direct[j].push(i);
        }
    }
    let downstream = |roots: &[usize]| -> Vec<usize> {
        let mut seen = vec![false; actions];
        let mut queue: VecDeque<usize> = roots.iter().copied().collect();
        let mut out = Vec::new();
        while let Some(i) = queue.pop_front() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(i);
            queue.extend(direct[i].iter().copied());
        }
        out
    };
    for (c, cleanup) in cleanups.iter().enumerate() {
        let roots: Vec<usize> = match cleanup.replaced_by {
            Some(id) => index_of.get(&id).copied().into_iter().collect(),
            None => plan
                .actions
                .iter()
                .enumerate()
                .filter(|(_, a)| a.address == cleanup.base)
                .map(|(i, _)| i)
                .collect(),
        };
        let mut waits = downstream(&roots);
        if cleanup.holds_all_devices && cleanup.replaced_by.is_none() {
            let release = nodes.len();
            nodes.push(Node {
                work: Work::Release(c),
                label: format!("{} `{}`: release all devices", cleanup.kind, cleanup.name),
                lane: Lane::Intune,
                dependents: Vec::new(),
                rank: 0,
            });
            deps.push(Vec::new());
            for &root in &roots {
                deps[root].push(release);
            }
            waits.push(release);
        }
        nodes.push(Node {
            work: Work::Retire(c),
            label: format!(
                "{} `{}`: retire (replaced by `{}`)",
                cleanup.kind, cleanup.name, cleanup.base.name
            ),
            lane: Lane::Intune,
            dependents: Vec::new(),
            rank: 0,
        });
        deps.push(waits);
    }
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            nodes[j].dependents.push(i);
        }
    }
    for node in &mut nodes {
        node.dependents.sort_unstable();
        node.dependents.dedup();
    }
    for d in &mut deps {
        d.sort_unstable();
        d.dedup();
    }
    rank(&mut nodes, &deps);
    (nodes, deps)
}

/// Rank = steps on the longest chain that starts at the step (itself included).
fn rank(nodes: &mut [Node], deps: &[Vec<usize>]) {
    let count = nodes.len();
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut order = Vec::with_capacity(count);
    let mut queue: VecDeque<usize> = (0..count).filter(|&i| indegree[i] == 0).collect();
    while let Some(i) = queue.pop_front() {
        order.push(i);
        for &d in &nodes[i].dependents {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                queue.push_back(d);
            }
        }
    }
    // A cycle (a plan bug) leaves steps out of `order`: they keep rank 0 and never become
    // ready, and the report shows them as not started.
    for &i in order.iter().rev() {
        let best = nodes[i]
            .dependents
            .iter()
            .map(|&d| nodes[d].rank)
            .max()
            .unwrap_or(0);
        nodes[i].rank = best + 1;
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_step<T: Tenant>(
    index: usize,
    node: &Node,
    plan: &Plan,
    cleanups: &[Cleanup],
    tenant: &T,
    options: &Options,
    registry: &Registry,
    progress: &dyn Progress,
) -> Outcome {
    let started = Instant::now();
    let attempts = options.attempts.max(1);
    let mut notes = Vec::new();
    let mut attempt = 0;
    loop {
        let step = Step {
            tenant,
            options,
            registry,
            progress,
            label: &node.label,
            attempt,
            notes: Mutex::new(Vec::new()),
        };
        let result = match node.work {
            Work::Action(a) => actions::run(&step, &plan.actions[a]).await,
            Work::Release(c) => replace::release(&step, &cleanups[c]).await.map(|()| None),
            Work::Retire(c) => replace::retire(&step, &cleanups[c]).await.map(|()| None),
        };
        notes.extend(step.take_notes());
        attempt += 1;
        let pause = match &result {
            Err(error) => options.retry_pause(error, attempt, started),
            Ok(_) => None,
        };
        match (result, pause) {
            (Err(error), Some(pause)) => {
                step.waiting(&format!(
                    "attempt {attempt} of {attempts} failed ({error}); trying again in {:.1} s",
                    pause.as_secs_f64()
                ));
                notes.push(format!("attempt {attempt} failed: {error}"));
                tokio::time::sleep(pause).await;
            }
            (result, _) => {
                return Outcome {
                    node: index,
                    result,
                    notes,
                    attempts: attempt,
                    duration: started.elapsed(),
                };
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    plan: &Plan,
    cleanups: &[Cleanup],
    nodes: &[Node],
    states: Vec<State>,
    mut outcomes: Vec<Option<Outcome>>,
    interrupted: bool,
    started_at: std::time::SystemTime,
    finished_at: std::time::SystemTime,
    elapsed: Duration,
) -> ApplyReport {
    let mut actions = Vec::with_capacity(plan.actions.len());
    let mut cleanup_reports: Vec<CleanupReport> = cleanups.iter().map(CleanupReport::new).collect();
    for (i, state) in states.into_iter().enumerate() {
        let outcome = outcomes[i].take();
        let (status, error, skipped_because) = match (&state, &outcome) {
            (State::Done, _) => (Status::Done, None, Vec::new()),
            (State::Failed, Some(outcome)) => (
                Status::Failed,
                outcome.result.as_ref().err().map(ErrorReport::from),
                Vec::new(),
            ),
            (State::Skipped(cause), _) => (Status::Skipped, None, cause.clone()),
            _ => (Status::NotStarted, None, Vec::new()),
        };
        match nodes[i].work {
            Work::Action(a) => {
                let action = &plan.actions[a];
                actions.push(ActionReport {
                    id: action.id,
                    address: action.address.clone(),
                    action: action.op.name().to_owned(),
                    status,
                    object_id: outcome
                        .as_ref()
                        .and_then(|o| o.result.as_ref().ok().cloned().flatten()),
                    notes: outcome.as_ref().map(|o| o.notes.clone()).unwrap_or_default(),
                    error,
                    skipped_because,
                    attempts: outcome.as_ref().map_or(0, |o| o.attempts),
                    duration_ms: outcome.as_ref().map_or(0, |o| o.duration.as_millis() as u64),
                });
            }
            Work::Release(c) | Work::Retire(c) => {
                cleanup_reports[c].merge(
                    status,
                    error,
                    skipped_because,
                    outcome.map(|o| o.notes).unwrap_or_default(),
                );
            }
        }
    }
    ApplyReport::new(
        plan,
        actions,
        cleanup_reports,
        interrupted,
        started_at,
        finished_at,
        elapsed,
    )
}
