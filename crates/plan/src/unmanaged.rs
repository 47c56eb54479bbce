//! Live objects that are not in Git but reach what hangar manages.
//!
//! A lived-in tenant keeps objects made in the portal, or outside the configuration's scope,
//! that are assigned to groups the configuration manages: a second deployment profile, a
//! competing ESP or restriction, a Device Preparation policy on the same users. hangar never
//! changes them (they are not its objects) but they decide where devices land as much as its
//! own do, so the plan names each one as a warning ([`UnmanagedObject`]), the device impact
//! counts them on both sides (`impact.rs`), and pruning refuses to delete a group one of them
//! is assigned to, unless pruning deletes that object too (`prune_refusals`).

use std::collections::{BTreeSet, HashMap};

use hangar_config::DesiredState;
use hangar_model::{Kind, LiveObject, LiveTarget};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::matching::{DesiredRef, Matching};
use crate::prune::Pruning;

/// The kinds whose assignments decide where a device lands or how it enrolls.
pub(crate) const ASSIGNED_KINDS: [Kind; 5] = [
    Kind::DeploymentProfile,
    Kind::EnrollmentStatusPage,
    Kind::DomainJoinProfile,
    Kind::EnrollmentRestriction,
    Kind::DevicePreparationPolicy,
];

/// A live object not in the configuration (and not pruned by it) that is assigned to a group
/// the configuration manages, or to all devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmanagedObject {
    /// Its kind.
    pub kind: Kind,
    /// Its display name.
    pub name: String,
    /// Its Graph id.
    pub id: String,
    /// The managed groups it is assigned to (included, excluded or, for a Device Preparation
    /// policy, as its device group), by name, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Whether it is assigned to all devices (which includes every managed device).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_devices: bool,
}

impl UnmanagedObject {
    /// The sentence the plan shows in its warnings.
    pub fn warning(&self) -> String {
        let mut targets: Vec<String> = self.groups.iter().map(|g| format!("`{g}`")).collect();
        if self.all_devices {
            targets.push("all devices".to_owned());
        }
        let groups = match self.groups.len() {
            0 => "",
            1 => "managed group ",
            _ => "managed groups ",
        };
        format!(
            "{} `{}` (id `{}`) is not in the configuration but is assigned to {groups}{}: Intune applies it beside what hangar manages, and the device impact counts it; hangar never changes it. Add it to the configuration (`hangar import --kind {} --name '{}'` writes its document) or remove the assignment in the admin center",
            self.kind,
            self.name,
            self.id,
            targets.join(", "),
            self.kind,
            glob_literal(&self.name).replace('\'', "''"),
        )
    }
}

/// `name` as a glob that matches only itself (`hangar import --name` takes a glob).
fn glob_literal(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '*' | '?' | '[' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

/// The groups the configuration manages (not `external: true`) that exist in the tenant: live
/// id (lowercase) → name.
pub(crate) fn managed_groups<'a>(state: &DesiredState, matching: &Matching<'a>) -> HashMap<String, &'a str> {
    matching
        .pairs
        .iter()
        .filter_map(|(object, found)| match (object, found) {
            (DesiredRef::Group(id), Some(found)) if !state.group(*id).is_external() => {
                Some((found.id.to_lowercase(), found.display_name.as_str()))
            }
            _ => None,
        })
        .collect()
}

/// Every group id (lowercase) an object is assigned to: included, excluded, other targets that
/// name a group, and a Device Preparation policy's device group.
fn assigned_group_ids(object: &LiveObject) -> impl Iterator<Item = String> + '_ {
    object
        .direct_assignments()
        .filter_map(|a| a.target.group_id())
        .chain(
            object
                .device_membership_targets
                .iter()
                .flatten()
                .map(String::as_str),
        )
        .map(str::to_lowercase)
}

/// Whether an object targets all devices.
fn all_devices(object: &LiveObject) -> bool {
    object
        .direct_assignments()
        .any(|a| matches!(a.target, LiveTarget::AllDevices))
}

/// The live objects of [`ASSIGNED_KINDS`] that no document matched and pruning keeps: they
/// stay in the tenant after the plan.
pub(crate) fn surviving<'a>(matching: &Matching<'a>, pruning: &Pruning) -> Vec<&'a LiveObject> {
    matching
        .unmatched
        .iter()
        .copied()
        .filter(|object| ASSIGNED_KINDS.contains(&object.kind))
        .filter(|object| !pruning.allows(object.kind, &object.display_name))
        .collect()
}

/// The unmanaged objects that reach managed groups or all devices, in kind then name order.
pub(crate) fn find(state: &DesiredState, matching: &Matching<'_>, pruning: &Pruning) -> Vec<UnmanagedObject> {
    let managed = managed_groups(state, matching);
    let mut found: Vec<UnmanagedObject> = surviving(matching, pruning)
        .into_iter()
        .filter_map(|object| {
            let groups: BTreeSet<String> = assigned_group_ids(object)
                .filter_map(|id| managed.get(&id).map(|name| (*name).to_owned()))
                .collect();
            let all = all_devices(object);
            (!groups.is_empty() || all).then(|| UnmanagedObject {
                kind: object.kind,
                name: object.display_name.clone(),
                id: object.id.clone(),
                groups: groups.into_iter().collect(),
                all_devices: all,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.kind, &a.name, &a.id).cmp(&(b.kind, &b.name, &b.id)));
    found
}

/// Pruning a group that an object staying in the tenant is assigned to would leave that object
/// pointing at nothing (and its devices without it): refused, unless the object is pruned too.
pub(crate) fn prune_refusals(state: &DesiredState, matching: &Matching<'_>, pruning: &Pruning) -> Vec<Error> {
    let survivors = surviving(matching, pruning);
    let mut errors = Vec::new();
    for group in matching
        .unmatched
        .iter()
        .filter(|object| object.kind == Kind::DeviceGroup)
        .filter(|group| pruning.allows(Kind::DeviceGroup, &group.display_name))
    {
        let id = group.id.to_lowercase();
        let span = state
            .tenant
            .prune
            .only
            .iter()
            .find(|pattern| pattern.matches(Kind::DeviceGroup, &group.display_name))
            .map_or(state.tenant.prune.enabled.span, |pattern| pattern.span);
        for object in &survivors {
            if assigned_group_ids(object).any(|assigned| assigned == id) {
                errors.push(Error::PruneAssignedGroup {
                    group: group.display_name.clone(),
                    kind: object.kind,
                    name: object.display_name.clone(),
                    id: object.id.clone(),
                    span,
                });
            }
        }
    }
    errors
}
