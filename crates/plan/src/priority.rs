//! Priorities of ESPs and enrollment restrictions: a collision-free sequence of
//! `setPriority` calls.
//!
//! Intune keeps each kind's priorities sequential (1..n, the built-in fixed at 0) and refuses
//! gaps; two objects sharing one can become unrecoverable (graph-api-notes §2, field-lessons
//! §c.8). The YAML `priority:` is therefore a rank: hangar merges the managed objects (by
//! their desired priority) with the tenant's other objects (by their live priority, managed
//! first on a tie), numbers the result 1..n, and — when any managed object is out of place —
//! sets every managed object from the first misplaced position onwards, in ascending order.
//! Each call then moves an object up into a position whose predecessors are already final,
//! which no intermediate state can collide with, whether the service shifts the others down or
//! swaps the two.

use hangar_model::{Kind, LiveObject, LiveState};
use serde_json::Value;

use crate::actions::{Draft, Key, Step};
use crate::matching::{DesiredRef, Matching};
use crate::plan::{Address, Op, Reason};
use crate::project::Context;

struct Slot<'a> {
    rank: u64,
    managed: bool,
    name: &'a str,
    /// For managed objects: address, live id, live priority, and whether the object is new.
    target: Option<(Address, Option<&'a str>, Option<u32>, bool)>,
}

/// Drafts `setPriority` actions for ESPs and restrictions.
pub(crate) fn plan_priorities(
    ctx: &Context<'_>,
    live: &LiveState,
    matching: &Matching<'_>,
    drafts: &mut Vec<Draft>,
    warnings: &mut Vec<String>,
) {
    for kind in [Kind::EnrollmentStatusPage, Kind::EnrollmentRestriction] {
        plan_kind(ctx, live, matching, kind, drafts, warnings);
    }
}

fn live_priority(object: &LiveObject) -> Option<u32> {
    object
        .property("priority")
        .and_then(Value::as_u64)
        .and_then(|p| u32::try_from(p).ok())
}

fn plan_kind(
    ctx: &Context<'_>,
    live: &LiveState,
    matching: &Matching<'_>,
    kind: Kind,
    drafts: &mut Vec<Draft>,
    warnings: &mut Vec<String>,
) {
    let state = ctx.state;
    let mut slots: Vec<Slot<'_>> = Vec::new();
    for &(object, found) in matching
        .pairs
        .iter()
        .filter(|(o, _)| o.kind() == kind && !o.builtin(state))
    {
        let priority = match object {
            DesiredRef::Esp(id) => state.esp(id).priority.as_ref(),
            DesiredRef::Restriction(id) => state.restriction(id).priority.as_ref(),
            _ => None,
        };
        let Some(priority) = priority else { continue };
        let name = object.meta(state).name.value.as_str();
        let address = Address::new(kind, name);
        let replaced = drafts
            .iter()
            .any(|d| d.key == Key::new(&address, Step::Object) && matches!(d.op, Op::Replace { .. }));
        let fresh = found.is_none() || replaced;
        let live_value = found.and_then(live_priority).filter(|_| !fresh);
        slots.push(Slot {
            rank: u64::from(priority.value),
            managed: true,
            name,
            target: Some((address, found.map(|f| f.id.as_str()), live_value, fresh)),
        });
    }
    if slots.is_empty() {
        return;
    }
    if !live.is_complete(kind) {
        warnings.push(format!(
            "{kind} priorities are not planned: the tenant's {kind} objects were not all read, so their order is unknown"
        ));
        return;
    }
    let deleted = |object: &LiveObject| {
        drafts
            .iter()
            .any(|d| d.key.step == Step::Delete && d.live_id.as_deref() == Some(&object.id))
    };
    for object in &matching.unmatched {
        if object.kind != kind || deleted(object) || !same_sequence(object) {
            continue;
        }
        slots.push(Slot {
            rank: u64::from(live_priority(object).unwrap_or(u32::MAX)),
            managed: false,
            name: &object.display_name,
            target: None,
        });
    }
    slots.sort_by(|a, b| (a.rank, !a.managed, a.name).cmp(&(b.rank, !b.managed, b.name)));
    let misplaced = slots
        .iter()
        .enumerate()
        .position(|(index, slot)| match &slot.target {
            Some((_, _, live_value, fresh)) => *fresh || *live_value != Some(index as u32 + 1),
            None => false,
        });
    let Some(first) = misplaced else { return };
    let kind_changes: Vec<Key> = drafts
        .iter()
        .filter(|d| d.key.address.kind == kind && matches!(d.key.step, Step::Object | Step::Delete))
        .map(|d| d.key.clone())
        .collect();
    let mut previous: Option<Key> = None;
    for (index, slot) in slots.iter().enumerate().skip(first) {
        let Some((address, live_id, live_value, fresh)) = &slot.target else {
            continue;
        };
        let reason = if *fresh {
            Reason::NewObject
        } else if *live_value != Some(index as u32 + 1) {
            Reason::Drift
        } else {
            Reason::PriorityOrder
        };
        let op = Op::SetPriority {
            before: *live_value,
            after: index as u32 + 1,
        };
        let mut draft = Draft {
            key: Key::new(address, Step::Priority),
            live_id: if *fresh { None } else { live_id.map(str::to_owned) },
            destructive: false,
            reason,
            op,
            after: kind_changes.clone(),
            releases: Vec::new(),
        };
        draft.after.extend(previous.take());
        previous = Some(draft.key.clone());
        drafts.push(draft);
    }
}

/// Whether a live object shares the priority sequence of hangar's objects: custom
/// restrictions for other platforms have their own order.
fn same_sequence(object: &LiveObject) -> bool {
    match object.kind {
        Kind::EnrollmentRestriction => object
            .property("platformType")
            .and_then(Value::as_str)
            .is_none_or(|platform| platform.eq_ignore_ascii_case("windows")),
        _ => true,
    }
}
