//! Refusing a stale saved plan.
//!
//! `plan --out plan.json` records the fingerprint of every live object it read
//! ([`hangar_plan::ReadRecord`]). Before `apply plan.json` changes anything, every one of them
//! is read again ([`scope`]) and compared ([`check`]): an object that changed or disappeared,
//! an object that now exists where the plan creates one, a device that changed or is now
//! registered where the plan imports it — any of these refuses the whole plan, naming each.
//!
//! Devices are compared one by one for those the plan acts on; the digest over the whole
//! device list is not compared, because `deploymentProfileAssignmentStatus` changes on its own
//! all day and would make every saved plan of a live fleet stale.

use std::collections::{BTreeSet, HashMap};

use hangar_graph::ReadScope;
use hangar_graph::live::GroupScope;
use hangar_model::{Kind, LiveObject, LiveState};
use hangar_plan::{Op, Plan};

use crate::Error;

/// What to read to check `plan`: every kind it read or acts on, the groups it names, with
/// owners when the plan read them (so fingerprints compare like with like).
pub fn scope(plan: &Plan) -> ReadScope {
    let mut kinds: BTreeSet<Kind> = plan.read.complete.iter().copied().collect();
    kinds.extend(plan.read.objects.iter().map(|o| o.kind));
    kinds.extend(plan.actions.iter().map(|a| a.address.kind));
    let devices = plan.read.devices > 0
        || !plan.read.device_fingerprints.is_empty()
        || plan
            .actions
            .iter()
            .any(|a| a.address.kind == Kind::AutopilotDevice);
    if !devices {
        kinds.remove(&Kind::AutopilotDevice);
    }
    let mut groups: BTreeSet<String> = plan
        .read
        .objects
        .iter()
        .filter(|o| o.kind == Kind::DeviceGroup)
        .map(|o| o.name.clone())
        .collect();
    for action in &plan.actions {
        if action.address.kind == Kind::DeviceGroup {
            groups.insert(action.address.name.clone());
        }
        groups.extend(action.referenced_groups().into_iter().map(|g| g.name.clone()));
    }
    if !groups.is_empty() {
        kinds.insert(Kind::DeviceGroup);
    }
    // A policy on a template only the tenant lists is recognised through its templates.
    let device_preparation_templates = kinds.contains(&Kind::DevicePreparationPolicy);
    ReadScope {
        kinds,
        groups: GroupScope::Named(groups),
        group_owners: plan.read.group_owners,
        provisioning_client: false,
        device_preparation_templates,
    }
}

/// Compares the re-read `live` state with what `plan` was made from; `Err` lists every
/// difference.
pub fn check(plan: &Plan, live: &LiveState) -> Result<(), Error> {
    let mut changes = Vec::new();
    let by_id: HashMap<String, &LiveObject> = live
        .objects
        .iter()
        .map(|o| (o.id.to_ascii_lowercase(), o))
        .collect();
    for recorded in &plan.read.objects {
        match by_id.get(&recorded.id.to_ascii_lowercase()) {
            None => changes.push(format!(
                "{} `{}` (`{}`) is gone from the tenant",
                recorded.kind, recorded.name, recorded.id
            )),
            Some(object) if object.fingerprint() != recorded.fingerprint => {
                let renamed = if object.display_name == recorded.name {
                    String::new()
                } else {
                    format!(", now named `{}`", object.display_name)
                };
                changes.push(format!(
                    "{} `{}` (`{}`) changed{renamed}",
                    recorded.kind, recorded.name, recorded.id
                ));
            }
            Some(_) => {}
        }
    }
    for action in &plan.actions {
        if let Op::Create { .. } = action.op {
            let address = &action.address;
            if let Some(object) = live
                .objects_of(address.kind)
                .find(|o| o.display_name == address.name)
            {
                changes.push(format!(
                    "{address} now exists (`{}`), and the plan would create it",
                    object.id
                ));
            }
        }
    }
    let devices: HashMap<String, &hangar_model::LiveDevice> = live
        .devices
        .iter()
        .map(|d| (d.id.to_ascii_lowercase(), d))
        .collect();
    for recorded in &plan.read.device_fingerprints {
        match devices.get(&recorded.id.to_ascii_lowercase()) {
            None => changes.push(format!(
                "Autopilot device `{}` (`{}`) is no longer registered",
                recorded.serial, recorded.id
            )),
            Some(device) if device.fingerprint() != recorded.fingerprint => changes.push(format!(
                "Autopilot device `{}` (`{}`) changed",
                recorded.serial, recorded.id
            )),
            Some(_) => {}
        }
    }
    for action in &plan.actions {
        if let Op::ImportDevice(import) = &action.op
            && let Some(device) = live
                .devices
                .iter()
                .find(|d| d.serial() == import.serial_number.trim())
        {
            changes.push(format!(
                "Autopilot device `{}` is now registered (`{}`), and the plan would import it",
                import.serial_number, device.id
            ));
        }
    }
    if changes.is_empty() {
        Ok(())
    } else {
        Err(Error::Stale { changes })
    }
}

#[cfg(test)]
mod tests {
    use hangar_plan::{Action, ActionId, Address, Body, ObjectFingerprint, Reason};
    use serde_json::json;

    use super::*;

    fn live() -> LiveState {
        let mut group = LiveObject::new(Kind::DeviceGroup, "G1", "Autopilot-Sales");
        group.properties = json!({"id": "G1", "displayName": "Autopilot-Sales"})
            .as_object()
            .cloned()
            .unwrap();
        group.owners = Some(vec!["sp".into()]);
        let mut profile = LiveObject::new(Kind::DeploymentProfile, "P1", "Sales");
        profile.assignments = Some(vec![]);
        LiveState {
            complete: [Kind::DeviceGroup, Kind::DeploymentProfile].into_iter().collect(),
            objects: vec![group, profile],
            ..LiveState::default()
        }
    }

    fn plan_of(live: &LiveState, without_owners: bool) -> Plan {
        let mut plan = crate::fake::plan(vec![Action {
            id: ActionId(0),
            address: Address::new(Kind::DeploymentProfile, "Kiosk"),
            live_id: None,
            destructive: false,
            reason: Reason::NotInTenant,
            depends_on: vec![],
            op: Op::Create {
                body: Body::default(),
            },
        }]);
        plan.read.objects = live
            .objects
            .iter()
            .map(|o| {
                let mut o = o.clone();
                if without_owners {
                    o.owners = None;
                }
                ObjectFingerprint {
                    kind: o.kind,
                    id: o.id.clone(),
                    name: o.display_name.clone(),
                    fingerprint: o.fingerprint(),
                }
            })
            .collect();
        plan.read.group_owners = !without_owners;
        plan
    }

    /// `live` as [`scope`] reads it again for `plan`.
    fn reread(live: &LiveState, plan: &Plan) -> LiveState {
        let mut live = live.clone();
        if !scope(plan).group_owners {
            for object in &mut live.objects {
                object.owners = None;
            }
        }
        live
    }

    #[test]
    fn unchanged_tenant_passes_with_or_without_owners_read() {
        let live = live();
        for without_owners in [false, true] {
            let plan = plan_of(&live, without_owners);
            check(&plan, &reread(&live, &plan)).unwrap();
        }
    }

    #[test]
    fn every_kind_of_change_is_named() {
        let before = live();
        let plan = plan_of(&before, false);
        let mut after = before.clone();
        after.objects[0]
            .properties
            .insert("description".into(), json!("edited in the portal"));
        after.objects.remove(1);
        after
            .objects
            .push(LiveObject::new(Kind::DeploymentProfile, "P2", "Kiosk"));
        let Err(Error::Stale { changes }) = check(&plan, &after) else {
            panic!("stale plan accepted");
        };
        assert_eq!(changes.len(), 3, "{changes:#?}");
        assert!(
            changes[0].contains("DeviceGroup `Autopilot-Sales` (`G1`) changed"),
            "{changes:?}"
        );
        assert!(changes[1].contains("`Sales` (`P1`) is gone"), "{changes:?}");
        assert!(
            changes[2].contains("DeploymentProfile/Kiosk now exists (`P2`)"),
            "{changes:?}"
        );
        let message = Error::Stale { changes }.to_string();
        assert!(message.contains("run `hangar plan` again"), "{message}");
    }

    #[test]
    fn scope_names_every_group() {
        let live = live();
        let scope = scope(&plan_of(&live, false));
        assert!(scope.kinds.contains(&Kind::DeviceGroup));
        assert!(!scope.kinds.contains(&Kind::AutopilotDevice));
        assert_eq!(
            scope.groups,
            GroupScope::Named(["Autopilot-Sales".to_owned()].into_iter().collect())
        );
        assert!(scope.group_owners);
        assert!(!super::scope(&plan_of(&live, true)).group_owners);
    }
}
