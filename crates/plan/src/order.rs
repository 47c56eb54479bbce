//! Orders drafted actions: a deterministic topological order of their dependencies.
//!
//! Edges: what an action names in `after` (a group's creation before anything that references
//! it, an object before its assignments, owners before a Device Preparation binding, each
//! `setPriority` after the previous one), a group's deletion after every action that stops
//! referencing it, an object's deletion after its unassignment, and — because only one profile
//! may target all devices — a profile gaining `all devices` after any profile losing it.
//! Among the actions ready at each step, the smallest (kind, name, step) goes first, so equal
//! inputs always give the same plan.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use hangar_model::Kind;

use crate::actions::{Draft, Key, Step};
use crate::error::Error;
use crate::plan::{Action, ActionId, AssignmentTarget, Op};

/// Orders drafts into numbered actions.
pub(crate) fn order(drafts: Vec<Draft>) -> Result<Vec<Action>, Error> {
    let count = drafts.len();
    let index: HashMap<&Key, usize> = drafts.iter().enumerate().map(|(i, d)| (&d.key, i)).collect();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut add = |from: usize, to: usize| {
        if from != to {
            edges[from].push(to);
        }
    };
    for (i, draft) in drafts.iter().enumerate() {
        for key in &draft.after {
            if let Some(&j) = index.get(key) {
                add(j, i);
            }
        }
    }
    let mut releasing: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        for id in &draft.releases {
            releasing.entry(id.to_lowercase()).or_default().push(i);
        }
    }
    for (i, draft) in drafts.iter().enumerate() {
        if draft.key.address.kind == Kind::DeviceGroup
            && draft.key.step == Step::Delete
            && let Some(id) = &draft.live_id
        {
            for &j in releasing.get(&id.to_lowercase()).into_iter().flatten() {
                add(j, i);
            }
        }
    }
    let loses_all_devices: Vec<usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.key.address.kind == Kind::DeploymentProfile && drops_all_devices(&d.op))
        .map(|(i, _)| i)
        .collect();
    for (i, draft) in drafts.iter().enumerate() {
        if let Op::Assign(change) = &draft.op
            && change.add.iter().any(AssignmentTarget::is_all_devices)
        {
            for &j in &loses_all_devices {
                add(j, i);
            }
        }
    }

    let mut indegree = vec![0usize; count];
    for targets in &edges {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let sort_key = |i: usize| {
        let key = &drafts[i].key;
        (key.address.kind, key.address.name.clone(), key.step, i)
    };
    let mut ready: BinaryHeap<Reverse<(Kind, String, Step, usize)>> = (0..count)
        .filter(|&i| indegree[i] == 0)
        .map(|i| Reverse(sort_key(i)))
        .collect();
    let mut position = vec![usize::MAX; count];
    let mut sequence = Vec::with_capacity(count);
    while let Some(Reverse((_, _, _, i))) = ready.pop() {
        position[i] = sequence.len();
        sequence.push(i);
        for &t in &edges[i] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(Reverse(sort_key(t)));
            }
        }
    }
    if sequence.len() != count {
        let stuck: Vec<String> = (0..count)
            .filter(|&i| position[i] == usize::MAX)
            .take(5)
            .map(|i| format!("{} {:?}", drafts[i].key.address, drafts[i].key.step))
            .collect();
        return Err(Error::Cycle(stuck.join(", ")));
    }
    let mut dependencies: Vec<Vec<ActionId>> = vec![Vec::new(); count];
    for (from, targets) in edges.iter().enumerate() {
        for &to in targets {
            dependencies[to].push(ActionId(position[from] as u32));
        }
    }
    let mut slots: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
    let mut actions = Vec::with_capacity(count);
    for (at, &i) in sequence.iter().enumerate() {
        let Some(draft) = slots[i].take() else { continue };
        let mut depends_on = std::mem::take(&mut dependencies[i]);
        depends_on.sort_unstable();
        depends_on.dedup();
        actions.push(Action {
            id: ActionId(at as u32),
            address: draft.key.address,
            live_id: draft.live_id,
            destructive: draft.destructive,
            reason: draft.reason,
            depends_on,
            op: draft.op,
        });
    }
    Ok(actions)
}

fn drops_all_devices(op: &Op) -> bool {
    match op {
        Op::Assign(change) => change.remove.iter().any(|a| a.target.is_all_devices()),
        Op::Replace { live_assignments, .. } => live_assignments.iter().any(|a| a.target.is_all_devices()),
        _ => false,
    }
}
