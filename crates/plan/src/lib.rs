//! hangar's planner: `(DesiredState, LiveState) → Plan`.
//!
//! What it does, in order:
//!
//! 1. **Matching** ([`matching`]): each desired object to at most one live object, by kind and
//!    exact display name; built-ins by built-in identity; duplicates and unread kinds refused.
//! 2. **Projection** ([`project`]): the exact Graph body hangar would send for each desired
//!    object, with symbolic group references.
//! 3. **Normalisation** ([`normalize`]): the catalog of every known way a live value differs
//!    without being a change (read-only fields, server defaults, sets, GUID case, locale
//!    aliases, fields the service ignores in a state, rule layout), as data.
//! 4. **Diff** ([`diff`]) into **actions** (create, update, replace, delete, assignments,
//!    owners, priorities, device group, device registrations), each with a reason, ordered as a
//!    dependency graph (`order`).
//! 5. **Impact** ([`impact`]): where every known device lands before and after.
//! 6. **Rendering** ([`render`]): text, JSON and Markdown.
//!
//! What it does not do: read the tenant (that is `hangar-graph`), load YAML (`hangar-config`),
//! execute anything (`hangar-apply`), print, or perform any IO. It depends on neither
//! `hangar-graph` nor `hangar-apply`.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod actions;
mod devices;
pub mod diff;
mod error;
mod filters;
pub mod impact;
pub mod matching;
pub mod normalize;
mod order;
pub mod plan;
pub mod preserve;
mod priority;
pub mod project;
mod prune;
mod references;
pub mod render;
mod terms;
pub mod unmanaged;

use hangar_config::DesiredState;
use hangar_model::{Kind, LiveState};
use sha2::{Digest, Sha256};

pub use error::{Error, Errors};
pub use impact::Impact;
pub use plan::*;

use crate::actions::{Draft, GroupNames, Step};
use crate::matching::DesiredRef;

/// Plans `desired` against `live`. Pure: the same inputs always give the same plan.
///
/// Refuses (with every reason found) when a desired object matches several live objects, a
/// pinned id or a built-in is missing, a kind that holds a desired object was not read
/// completely, part of a matched object was not read, or pruning would pass `maxDeletes`.
pub fn plan(desired: &DesiredState, live: &LiveState) -> Result<Plan, Errors> {
    let matching = matching::match_objects(desired, live).map_err(Errors)?;
    let groups: Vec<GroupRef> = {
        let mut groups: Vec<GroupRef> = desired
            .groups
            .iter()
            .map(|group| GroupRef {
                name: group.meta.name.value.clone(),
                id: None,
            })
            .collect();
        for (object, found) in &matching.pairs {
            if let (DesiredRef::Group(id), Some(found)) = (object, found) {
                groups[id.index()].id = Some(found.id.clone());
            }
        }
        groups
    };
    filters::check(desired, live).map_err(Errors)?;
    references::check(desired, live).map_err(Errors)?;
    let ctx = project::Context {
        state: desired,
        groups: &groups,
        device_preparation_templates: live.device_preparation_templates.as_deref(),
        live,
    };
    let names = GroupNames::new(live);
    let pruning = prune::Pruning::new(&desired.tenant.prune);
    let mut drafts: Vec<Draft> = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    actions::plan_objects(&ctx, live, &matching, &names, &mut drafts, &mut errors);
    let pruned = actions::plan_prune(&matching, &pruning, &names, &mut drafts);
    errors.extend(unmanaged::prune_refusals(desired, &matching, &pruning));
    priority::plan_priorities(&ctx, live, &matching, &mut drafts, &mut warnings);
    let device_summary = devices::plan_devices(desired, live, &pruning, &mut drafts, &mut errors);

    let deletes = pruned.len() + device_summary.delete;
    let max = desired.tenant.prune.max_deletes.value;
    if deletes > max as usize {
        let mut listed: Vec<String> = pruned.iter().map(ToString::to_string).collect();
        listed.extend(
            drafts
                .iter()
                .filter(|d| matches!(d.op, Op::DeleteDevice { .. }))
                .map(|d| d.key.address.to_string()),
        );
        listed.truncate(20);
        errors.push(Error::TooManyDeletes {
            count: deletes,
            max,
            listed,
            span: desired.tenant.prune.max_deletes.span,
        });
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }
    if let Some(warning) = provisioning_client_warning(&drafts) {
        warnings.push(warning);
    }
    let unmanaged = unmanaged::find(desired, &matching, &pruning);
    warnings.extend(unmanaged.iter().map(unmanaged::UnmanagedObject::warning));

    let summary = summarize(&matching, &drafts, device_summary);
    let deleted_devices: std::collections::HashSet<&str> = drafts
        .iter()
        .filter(|d| matches!(d.op, Op::DeleteDevice { .. }))
        .filter_map(|d| d.live_id.as_deref())
        .collect();
    let staying = impact::Staying::new(desired, &matching, &pruning);
    let impact = impact::compute(desired, live, &staying, &|device| {
        deleted_devices.contains(device.id.as_str())
    });
    let touched: std::collections::HashSet<String> = drafts
        .iter()
        .filter(|d| d.key.step == Step::Device)
        .filter_map(|d| d.live_id.clone())
        .collect();
    let read = read_record(live, &touched);
    let actions = order::order(drafts).map_err(Errors::from)?;
    Ok(Plan {
        format_version: FORMAT_VERSION,
        hangar_version: env!("CARGO_PKG_VERSION").to_owned(),
        cloud: desired.tenant.cloud.value,
        tenant_id: desired.tenant.tenant_id.value.clone(),
        tenant: desired.tenant.name.value.clone(),
        summary,
        actions,
        impact,
        read,
        warnings,
        validation: Vec::new(),
        unmanaged,
        configuration: None,
        history: Vec::new(),
    })
}

fn provisioning_client_warning(drafts: &[Draft]) -> Option<String> {
    let missing = drafts.iter().any(|d| match &d.op {
        Op::AddOwners { add } => add
            .iter()
            .any(|o| matches!(o, OwnerRef::IntuneProvisioningClient { object_id: None })),
        _ => false,
    });
    missing.then(|| {
        format!(
            "the tenant has no Intune Provisioning Client service principal (app id `{}`): apply must create it before it can own Device Preparation device groups",
            hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID
        )
    })
}

fn summarize(matching: &matching::Matching<'_>, drafts: &[Draft], devices: DeviceSummary) -> Summary {
    use std::collections::BTreeMap;
    let mut per_address: BTreeMap<&Address, u8> = BTreeMap::new();
    for draft in drafts.iter().filter(|d| d.key.step != Step::Device) {
        // Most significant wins: create 3, replace 2, delete 1 (with its unassign), update 0.
        let weight = match (&draft.op, draft.key.step) {
            (Op::Create { .. }, _) => 3,
            (Op::Replace { .. }, _) => 2,
            (Op::Delete, _) | (_, Step::Unassign) => 1,
            _ => 0,
        };
        let slot = per_address.entry(&draft.key.address).or_insert(weight);
        *slot = (*slot).max(weight);
    }
    let mut summary = Summary {
        devices,
        ..Summary::default()
    };
    for weight in per_address.values() {
        match weight {
            3 => summary.create += 1,
            2 => summary.replace += 1,
            1 => summary.delete += 1,
            _ => summary.update += 1,
        }
    }
    summary.unchanged = matching.pairs.len() - (summary.create + summary.replace + summary.update);
    summary
}

fn read_record(live: &LiveState, touched: &std::collections::HashSet<String>) -> ReadRecord {
    let objects = live
        .objects
        .iter()
        .map(|object| ObjectFingerprint {
            kind: object.kind,
            id: object.id.clone(),
            name: object.display_name.clone(),
            fingerprint: object.fingerprint(),
        })
        .collect();
    let mut device_prints: Vec<(&str, String)> = live
        .devices
        .iter()
        .map(|device| (device.id.as_str(), device.fingerprint()))
        .collect();
    device_prints.sort_unstable();
    let devices_digest = (!device_prints.is_empty()).then(|| {
        let mut hasher = Sha256::new();
        for (id, print) in &device_prints {
            hasher.update(id.to_ascii_lowercase().as_bytes());
            hasher.update([0]);
            hasher.update(print.as_bytes());
            hasher.update([0]);
        }
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    });
    let device_fingerprints = live
        .devices
        .iter()
        .filter(|device| touched.contains(&device.id))
        .map(|device| DeviceFingerprint {
            id: device.id.clone(),
            serial: device.serial().to_owned(),
            fingerprint: device.fingerprint(),
        })
        .collect();
    let complete = live
        .complete
        .iter()
        .copied()
        .filter(|k| Kind::ALL.contains(k))
        .collect();
    ReadRecord {
        complete,
        objects,
        group_owners: live
            .objects_of(Kind::DeviceGroup)
            .any(|group| group.owners.is_some()),
        devices: live.devices.len(),
        devices_digest,
        device_fingerprints,
    }
}
