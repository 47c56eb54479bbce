//! Device registrations: CSV rows against `windowsAutopilotDeviceIdentities`, by serial.
//!
//! This is the planner's extension point for devices as code (issue 7): serials in a CSV and
//! not registered are imported, registered devices whose group tag or assigned user differ are
//! updated through `updateDeviceProperties`, and registered devices in no CSV are deleted only
//! with pruning on and inside `prune.only` (`AutopilotDevice/<serial glob>`). Nothing happens
//! to devices when the configuration has no `AutopilotDevices` document: registrations are
//! then not managed.

use std::collections::{HashMap, HashSet};

use hangar_config::DesiredState;
use hangar_model::{Kind, LiveDevice, LiveState};
use serde_json::json;

use crate::actions::{Draft, Key, Step};
use crate::error::Error;
use crate::plan::{Address, Change, DeviceImport, DeviceSummary, DeviceUpdate, HashSource, Op, Reason};
use crate::prune::Pruning;

/// Drafts device actions; returns the counts.
pub(crate) fn plan_devices(
    state: &DesiredState,
    live: &LiveState,
    pruning: &Pruning,
    drafts: &mut Vec<Draft>,
    errors: &mut Vec<Error>,
) -> DeviceSummary {
    let mut summary = DeviceSummary::default();
    let Some(first_list) = state.device_lists.first() else {
        return summary;
    };
    if !live.is_complete(Kind::AutopilotDevice) {
        errors.push(Error::IncompleteRead {
            kind: Kind::AutopilotDevice,
            name: first_list.name.value.clone(),
            span: first_list.document,
        });
        return summary;
    }
    let mut registered: HashMap<&str, &LiveDevice> = HashMap::with_capacity(live.devices.len());
    for device in &live.devices {
        registered.entry(device.serial()).or_insert(device);
    }
    let mut in_csv: HashSet<&str> = HashSet::with_capacity(state.devices.len());
    for device in &state.devices {
        in_csv.insert(device.serial.as_str());
        let address = Address::new(Kind::AutopilotDevice, device.serial.clone());
        match registered.get(device.serial.as_str()) {
            None => {
                let list = &state.device_lists[device.list.index()];
                let import = DeviceImport {
                    serial_number: device.serial.clone(),
                    group_tag: device.group_tag.clone(),
                    assigned_user: device.assigned_user.clone(),
                    product_key: device.product_id.clone(),
                    source: HashSource {
                        csv: list.path.display().to_string(),
                        row: device.row,
                        record_offset: device.hash.record_offset,
                        column: device.hash.column,
                    },
                };
                let mut draft =
                    Draft::new_device(&address, None, Reason::NotRegistered, Op::ImportDevice(import));
                draft.destructive = false;
                drafts.push(draft);
                summary.import += 1;
            }
            Some(found) => {
                let mut changes = Vec::new();
                let tag = device.group_tag.clone().unwrap_or_default();
                let live_tag = found.group_tag.clone().unwrap_or_default();
                if tag != live_tag {
                    changes.push(Change {
                        path: "groupTag".into(),
                        before: Some(json!(live_tag)),
                        after: Some(json!(tag)),
                        create_only: false,
                    });
                }
                // An empty `Assigned User` column leaves the assignment alone: the CSV from
                // Get-WindowsAutopilotInfo rarely carries one.
                let user = device.assigned_user.as_ref().filter(|user| {
                    !found
                        .user_principal_name
                        .as_deref()
                        .is_some_and(|have| have.eq_ignore_ascii_case(user))
                });
                if let Some(user) = user {
                    changes.push(Change {
                        path: "userPrincipalName".into(),
                        before: found.user_principal_name.as_ref().map(|u| json!(u)),
                        after: Some(json!(user)),
                        create_only: false,
                    });
                }
                if changes.is_empty() {
                    summary.unchanged += 1;
                    continue;
                }
                let update = DeviceUpdate {
                    serial_number: found.serial_number.clone(),
                    changes,
                    group_tag: tag,
                    user_principal_name: user.cloned(),
                };
                drafts.push(Draft::new_device(
                    &address,
                    Some(&found.id),
                    Reason::Drift,
                    Op::UpdateDevice(update),
                ));
                summary.update += 1;
            }
        }
    }
    if pruning.covers(Kind::AutopilotDevice) {
        for device in &live.devices {
            if in_csv.contains(device.serial()) || !pruning.allows(Kind::AutopilotDevice, device.serial()) {
                continue;
            }
            let address = Address::new(Kind::AutopilotDevice, device.serial().to_owned());
            let op = Op::DeleteDevice {
                serial_number: device.serial_number.clone(),
            };
            drafts.push(Draft::new_device(
                &address,
                Some(&device.id),
                Reason::NotInCsv,
                op,
            ));
            summary.delete += 1;
        }
    }
    summary
}

impl Draft {
    fn new_device(address: &Address, live_id: Option<&str>, reason: Reason, op: Op) -> Draft {
        Draft {
            key: Key::new(address, Step::Device),
            live_id: live_id.map(str::to_owned),
            destructive: matches!(op, Op::DeleteDevice { .. }),
            reason,
            op,
            after: Vec::new(),
            releases: Vec::new(),
        }
    }
}
