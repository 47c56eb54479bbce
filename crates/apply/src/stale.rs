//! Refusing a saved plan that is not what would run now.
//!
//! `apply plan.json` plans the plan's configuration again against the tenant as it is now
//! (the CLI first proves the configuration is the one recorded, by its digest), and runs the
//! fresh plan only if its actions are exactly the saved ones ([`check`]): what a reviewer
//! approved is what runs. When they differ, the refusal lists the differing actions and, to
//! say why, every object the saved plan fingerprinted ([`hangar_plan::ReadRecord`]) that reads
//! back differently ([`changes_since`]): an object that changed or disappeared, an object that
//! now exists where the plan creates one, a device that changed or is now registered where the
//! plan imports it.
//!
//! A changed tenant alone does not refuse a plan: a device's `deploymentProfileAssignmentStatus`
//! changes on its own all day, and an edit to something the plan does not act on does not
//! change what runs.

use std::collections::HashMap;

use hangar_model::{LiveObject, LiveState};
use hangar_plan::{Op, Plan};

use crate::Error;

/// Checks that `fresh`, planned now from the saved plan's configuration, runs exactly the saved
/// plan's actions; `Err` lists the differences and what changed in `live` (the tenant as read
/// now) since the plan was made.
pub fn check(saved: &Plan, fresh: &Plan, live: &LiveState) -> Result<(), Error> {
    let differences = saved.differences(fresh);
    if differences.is_empty() {
        return Ok(());
    }
    Err(Error::Stale {
        differences,
        changes: changes_since(saved, live),
    })
}

/// What changed in `live` since `plan` was made from the tenant: one line per object or device
/// it fingerprinted that reads back differently, or that now exists where it creates one.
pub fn changes_since(plan: &Plan, live: &LiveState) -> Vec<String> {
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
    changes
}

#[cfg(test)]
mod tests {
    use hangar_model::Kind;
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

    fn create(name: &str, description: &str) -> Action {
        Action {
            id: ActionId(0),
            address: Address::new(Kind::DeploymentProfile, name),
            live_id: None,
            destructive: false,
            reason: Reason::NotInTenant,
            depends_on: vec![],
            op: Op::Create {
                body: Body::new(
                    json!({"displayName": name, "description": description})
                        .as_object()
                        .cloned()
                        .unwrap(),
                ),
                fields: Vec::new(),
            },
        }
    }

    fn plan_of(live: &LiveState, actions: Vec<Action>) -> Plan {
        let mut plan = crate::fake::plan(actions);
        plan.read.objects = live
            .objects
            .iter()
            .map(|o| ObjectFingerprint {
                kind: o.kind,
                id: o.id.clone(),
                name: o.display_name.clone(),
                fingerprint: o.fingerprint(),
            })
            .collect();
        plan
    }

    #[test]
    fn the_same_actions_pass_whatever_else_changed() {
        let before = live();
        let saved = plan_of(&before, vec![create("Kiosk", "k")]);
        let mut after = before.clone();
        after.objects[0]
            .properties
            .insert("description".into(), json!("edited in the portal"));
        check(&saved, &saved.clone(), &after).unwrap();
    }

    #[test]
    fn different_actions_are_refused_naming_them_and_what_changed() {
        let before = live();
        let saved = plan_of(&before, vec![create("Kiosk", "reviewed")]);
        let fresh = plan_of(&before, vec![create("Kiosk", "edited after review")]);
        let mut after = before.clone();
        after.objects[0]
            .properties
            .insert("description".into(), json!("edited in the portal"));
        after.objects.remove(1);
        after
            .objects
            .push(LiveObject::new(Kind::DeploymentProfile, "P2", "Kiosk"));
        let Err(Error::Stale { differences, changes }) = check(&saved, &fresh, &after) else {
            panic!("a different plan was accepted");
        };
        assert_eq!(
            differences,
            vec!["+ DeploymentProfile/Kiosk create: differs at `/body/value/description`"]
        );
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
        let message = Error::Stale { differences, changes }.to_string();
        assert!(message.contains("run `hangar plan` again"), "{message}");
    }
}
