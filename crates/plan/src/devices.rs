//! Device registrations: CSV rows against `windowsAutopilotDeviceIdentities`, by serial (issue 7).
//!
//! Serials match exactly after trimming (Graph pads them; `5CG1` and `5cg1` are two serials, and
//! an import of the second would end in 806, which apply explains). A serial in a CSV and not
//! registered is imported; a registered device whose group tag, assigned user or display name
//! differs is updated through `updateDeviceProperties` (an empty `Assigned User` or `Display
//! Name` leaves the live value alone). A hash-less row (no hardware hash) can only manage a
//! registration that exists (an OEM's, or an earlier one): when its serial is not registered the
//! plan is refused, naming the CSV and row. A registered device in no CSV is deleted only with pruning on and inside
//! `prune.only` (`AutopilotDevice/<serial glob>`). A serial registered twice (a motherboard
//! replaced and registered again) is one device to Git: every registration that differs is
//! updated, and both are pruned together. Nothing happens to devices when the configuration has
//! no `AutopilotDevices` document: registrations are then not managed.
//!
//! Cost: one hash lookup per CSV row and per registration, and nothing kept for devices that do
//! not change, so a plan of 100,000 unchanged devices is two passes over the rows.

use std::collections::{HashMap, HashSet};

use hangar_config::DesiredState;
use hangar_model::{Kind, LiveDevice, LiveState};
use serde_json::json;

use crate::actions::{Draft, Key, Step};
use crate::error::Error;
use crate::plan::{Address, Change, DeviceImport, DeviceSummary, DeviceUpdate, HashSource, Op, Reason};
use crate::prune::Pruning;

/// Hash-less rows of unregistered serials listed one by one in the refusal (the rest counted).
const HASHLESS_LISTED: usize = 20;

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
    // The first registration of each serial; the rare second ones (a serial registered twice)
    // are kept aside.
    let mut registered: HashMap<&str, &LiveDevice> = HashMap::with_capacity(live.devices.len());
    let mut twice: HashMap<&str, Vec<&LiveDevice>> = HashMap::new();
    for device in &live.devices {
        match registered.entry(device.serial()) {
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(device);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                twice.entry(device.serial()).or_default().push(device);
            }
        }
    }
    let mut in_csv: HashSet<&str> = HashSet::with_capacity(state.devices.len());
    let mut unregistered_hashless = 0usize;
    for device in &state.devices {
        in_csv.insert(device.serial.as_str());
        let address = Address::new(Kind::AutopilotDevice, device.serial.clone());
        match registered.get(device.serial.as_str()) {
            None => {
                let list = &state.device_lists[device.list.index()];
                let Some(hash) = device.hash else {
                    unregistered_hashless += 1;
                    if unregistered_hashless <= HASHLESS_LISTED {
                        errors.push(Error::HashlessNotRegistered {
                            serial: device.serial.clone(),
                            csv: list.path.display().to_string(),
                            row: device.row,
                            span: device.span,
                        });
                    }
                    continue;
                };
                let import = DeviceImport {
                    serial_number: device.serial.clone(),
                    group_tag: device.group_tag.clone(),
                    assigned_user: device.assigned_user.clone(),
                    product_key: device.product_id.clone(),
                    display_name: device.display_name.clone(),
                    source: HashSource {
                        csv: list.path.display().to_string(),
                        row: device.row,
                        record_offset: hash.record_offset,
                        column: hash.column,
                    },
                };
                let mut draft =
                    Draft::new_device(&address, None, Reason::NotRegistered, Op::ImportDevice(import));
                draft.destructive = false;
                drafts.push(draft);
                summary.import += 1;
            }
            Some(&found) => {
                let mut changed = false;
                for found in std::iter::once(found)
                    .chain(twice.get(device.serial.as_str()).into_iter().flatten().copied())
                {
                    if let Some(update) = update_of(device, found) {
                        drafts.push(Draft::new_device(
                            &address,
                            Some(&found.id),
                            Reason::Drift,
                            Op::UpdateDevice(update),
                        ));
                        changed = true;
                    }
                }
                if changed {
                    summary.update += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
        }
    }
    if unregistered_hashless > HASHLESS_LISTED {
        errors.push(Error::HashlessNotRegisteredMore {
            count: unregistered_hashless - HASHLESS_LISTED,
        });
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

/// What `updateDeviceProperties` must change for the registration `found` to match the CSV
/// row `device`; `None` when it matches.
fn update_of(device: &hangar_config::Device, found: &LiveDevice) -> Option<DeviceUpdate> {
    let mut changes = Vec::new();
    let tag = device.group_tag.clone().unwrap_or_default();
    let live_tag = found.group_tag.clone().unwrap_or_default();
    if tag != live_tag {
        changes.push(Change {
            path: "groupTag".into(),
            before: Some(json!(live_tag)),
            after: Some(json!(tag)),
            create_only: false,
            field: None,
        });
    }
    // An empty `Assigned User` column leaves the assignment alone: the CSV from
    // Get-WindowsAutopilotInfo rarely carries one. UPNs compare without case, as Entra does.
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
            field: None,
        });
    }
    // An empty `Display Name` leaves the live name alone, like the user. Names compare exactly:
    // Intune keeps the case it was given.
    let display_name = device
        .display_name
        .as_ref()
        .filter(|name| found.display_name.as_deref() != Some(name.as_str()));
    if let Some(name) = display_name {
        changes.push(Change {
            path: "displayName".into(),
            before: found.display_name.as_ref().map(|n| json!(n)),
            after: Some(json!(name)),
            create_only: false,
            field: None,
        });
    }
    (!changes.is_empty()).then(|| DeviceUpdate {
        serial_number: found.serial_number.clone(),
        changes,
        group_tag: tag,
        user_principal_name: user.cloned(),
        display_name: display_name.cloned(),
    })
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use hangar_model::{LiveDevice, LiveState};

    use crate::plan::{Op, Plan};

    /// A configuration of one devices CSV (`rows`: serial, tag, user), loaded.
    fn desired(rows: &[(&str, &str, &str)], prune: Option<&str>) -> hangar_config::DesiredState {
        let mut csv =
            String::from("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\n");
        for (serial, tag, user) in rows {
            csv.push_str(&format!("{serial},,QUJDRA==,{tag},{user}\n"));
        }
        desired_csv(&csv, prune)
    }

    /// A configuration of one devices CSV `d.csv` with this text, loaded.
    fn desired_csv(csv: &str, prune: Option<&str>) -> hangar_config::DesiredState {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hangar-plan-devices-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let prune = prune.map_or_else(String::new, |glob| {
            format!("prune:\n  enabled: true\n  only: [\"{glob}\"]\n  maxDeletes: 100\n")
        });
        std::fs::write(
            dir.join("tenant.yaml"),
            format!("kind: Tenant\nname: t\ncloud: commercial\ntenantId: contoso.onmicrosoft.com\n{prune}"),
        )
        .unwrap();
        std::fs::write(
            dir.join("devices.yaml"),
            "kind: AutopilotDevices\nname: d\nsource: d.csv\n",
        )
        .unwrap();
        std::fs::write(dir.join("d.csv"), csv).unwrap();
        let loaded = hangar_config::load(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.state.unwrap()
    }

    fn registered(devices: &[(&str, &str, &str, &str)]) -> LiveState {
        let mut live = LiveState::default();
        live.complete.insert(hangar_model::Kind::AutopilotDevice);
        for (id, serial, tag, user) in devices {
            live.devices.push(LiveDevice {
                id: (*id).to_owned(),
                serial_number: (*serial).to_owned(),
                group_tag: (!tag.is_empty()).then(|| (*tag).to_owned()),
                user_principal_name: (!user.is_empty()).then(|| (*user).to_owned()),
                display_name: None,
                purchase_order_identifier: None,
                deployment_profile_assignment_status: None,
            });
        }
        live
    }

    fn ops(plan: &Plan) -> Vec<String> {
        plan.actions
            .iter()
            .map(|a| {
                format!(
                    "{} {} {}",
                    a.op.name(),
                    a.address.name,
                    a.live_id.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn serials_match_exactly_after_trimming() {
        let state = desired(
            &[("5CG1", "Sales", ""), ("5CG2", "Sales", ""), ("abc", "Sales", "")],
            None,
        );
        let live = registered(&[
            ("d1", "  5CG1 ", "Sales", ""),
            ("d2", "5CG2", "Ops", ""),
            ("d3", "ABC", "Sales", ""),
        ]);
        let plan = crate::plan(&state, &live).unwrap();
        assert_eq!(
            ops(&plan),
            vec!["update_device 5CG2 d2", "import_device abc -"],
            "padding is ignored, case is not"
        );
        let s = &plan.summary.devices;
        assert_eq!((s.import, s.update, s.delete, s.unchanged), (1, 1, 0, 1));
        let Op::UpdateDevice(update) = &plan.actions[0].op else {
            panic!("an update")
        };
        assert_eq!(update.group_tag, "Sales");
        assert_eq!(update.changes[0].path, "groupTag");
    }

    #[test]
    fn users_change_only_when_the_csv_names_one() {
        let state = desired(
            &[
                ("A1", "T", ""),
                ("A2", "T", "Ann@Contoso.com"),
                ("A3", "T", "bob@contoso.com"),
            ],
            None,
        );
        let live = registered(&[
            ("d1", "A1", "T", "someone@contoso.com"),
            ("d2", "A2", "T", "ann@contoso.com"),
            ("d3", "A3", "T", ""),
        ]);
        let plan = crate::plan(&state, &live).unwrap();
        assert_eq!(ops(&plan), vec!["update_device A3 d3"]);
        let Op::UpdateDevice(update) = &plan.actions[0].op else {
            panic!("an update")
        };
        assert_eq!(update.user_principal_name.as_deref(), Some("bob@contoso.com"));
    }

    #[test]
    fn devices_in_no_csv_are_deleted_only_inside_the_prune_scope() {
        let live = registered(&[
            ("d1", "A1", "T", ""),
            ("d2", "LAB-9", "T", ""),
            ("d3", "OLD-7", "T", ""),
        ]);
        let rows = [("A1", "T", "")];
        let off = crate::plan(&desired(&rows, None), &live).unwrap();
        assert!(!off.has_changes(), "no pruning: devices in no CSV stay");
        let scoped = crate::plan(&desired(&rows, Some("AutopilotDevice/OLD-*")), &live).unwrap();
        assert_eq!(ops(&scoped), vec!["delete_device OLD-7 d3"]);
        assert!(scoped.actions[0].destructive);
        assert_eq!(scoped.summary.devices.delete, 1);
    }

    #[test]
    fn a_serial_registered_twice_is_one_device() {
        let state = desired(&[("TW-1", "New", "")], Some("AutopilotDevice/*"));
        let live = registered(&[
            ("d1", "TW-1", "Old", ""),
            ("d2", "TW-1", "New", ""),
            ("d3", "TW-1 ", "Old", ""),
        ]);
        let plan = crate::plan(&state, &live).unwrap();
        assert_eq!(ops(&plan), vec!["update_device TW-1 d1", "update_device TW-1 d3"]);
        assert_eq!(plan.summary.devices.update, 1, "counted once");
    }

    #[test]
    fn unchanged_devices_cost_no_action() {
        let rows: Vec<(String, String)> = (0..2000).map(|i| (format!("U{i:05}"), "T".to_owned())).collect();
        let borrowed: Vec<(&str, &str, &str)> =
            rows.iter().map(|(s, t)| (s.as_str(), t.as_str(), "")).collect();
        let live_rows: Vec<(String, String)> = rows
            .iter()
            .enumerate()
            .map(|(i, (s, _))| (format!("d{i}"), s.clone()))
            .collect();
        let live_borrowed: Vec<(&str, &str, &str, &str)> = live_rows
            .iter()
            .map(|(id, s)| (id.as_str(), s.as_str(), "T", ""))
            .collect();
        let plan = crate::plan(&desired(&borrowed, None), &registered(&live_borrowed)).unwrap();
        assert!(plan.actions.is_empty());
        assert_eq!(plan.summary.devices.unchanged, 2000);
        assert!(plan.read.device_fingerprints.is_empty());
        assert!(plan.impact.changes.is_empty());
    }

    /// `registered`, with display names: `(id, serial, tag, display name)`.
    fn named(devices: &[(&str, &str, &str, &str)]) -> LiveState {
        let mut live = registered(
            &devices
                .iter()
                .map(|(id, s, t, _)| (*id, *s, *t, ""))
                .collect::<Vec<_>>(),
        );
        for (device, (_, _, _, name)) in live.devices.iter_mut().zip(devices) {
            device.display_name = (!name.is_empty()).then(|| (*name).to_owned());
        }
        live
    }

    const HEADER: &str =
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,Display Name\n";

    #[test]
    fn hashless_rows_manage_registered_devices_by_serial() {
        let state = desired_csv(
            &format!("{HEADER}OEM-1,,,Sales,,\nOEM-2,,,Sales,,Front desk\nOEM-3,,,Sales,,Kiosk\n"),
            None,
        );
        let live = named(&[
            ("d1", "OEM-1", "Factory", "OEM name"),
            ("d2", "OEM-2", "Sales", ""),
            ("d3", "OEM-3", "Sales", "Kiosk"),
        ]);
        let plan = crate::plan(&state, &live).unwrap();
        assert_eq!(
            ops(&plan),
            vec!["update_device OEM-1 d1", "update_device OEM-2 d2"]
        );
        let updates: Vec<&crate::plan::DeviceUpdate> = plan
            .actions
            .iter()
            .filter_map(|a| match &a.op {
                Op::UpdateDevice(update) => Some(update),
                _ => None,
            })
            .collect();
        assert_eq!(updates[0].group_tag, "Sales");
        assert_eq!(
            updates[0].display_name, None,
            "an empty cell leaves the name alone"
        );
        assert_eq!(
            updates[1]
                .changes
                .iter()
                .map(|c| c.path.as_str())
                .collect::<Vec<_>>(),
            vec!["displayName"]
        );
        assert_eq!(updates[1].display_name.as_deref(), Some("Front desk"));
        let s = &plan.summary.devices;
        assert_eq!((s.import, s.update, s.unchanged), (0, 2, 1));
    }

    #[test]
    fn a_hashless_row_of_an_unregistered_serial_refuses_the_plan_naming_the_row() {
        let state = desired_csv(
            &format!("{HEADER}OEM-1,,,Sales,,\nNEW-1,,QUJD,Sales,,\nOEM-9,,,Sales,,\n"),
            None,
        );
        let live = registered(&[("d1", "OEM-1", "Sales", "")]);
        let errors = crate::plan(&state, &live).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        let message = errors.to_string();
        assert!(
            message.contains("d.csv` row 3")
                && message.contains("`OEM-9`")
                && message.contains("Get-WindowsAutopilotInfo"),
            "{message}"
        );
        assert_eq!(
            state.sources.location(errors.0[0].span().unwrap()).line,
            4,
            "the span is the row"
        );
    }

    #[test]
    fn many_unregistered_hashless_rows_are_listed_then_counted() {
        let rows: String = (0..25).map(|i| format!("X{i:02},,,T,,\n")).collect();
        let state = desired_csv(&format!("{HEADER}{rows}"), None);
        let errors = crate::plan(&state, &registered(&[])).unwrap_err();
        assert_eq!(errors.0.len(), super::HASHLESS_LISTED + 1);
        assert!(
            errors
                .to_string()
                .ends_with("… and 5 more hash-less rows whose serial is not registered")
        );
    }

    #[test]
    fn an_import_carries_its_display_name() {
        let state = desired_csv(&format!("{HEADER}NEW-1,,QUJD,Sales,,Lab 7\n"), None);
        let plan = crate::plan(&state, &registered(&[])).unwrap();
        let Op::ImportDevice(import) = &plan.actions[0].op else {
            panic!("an import")
        };
        assert_eq!(import.display_name.as_deref(), Some("Lab 7"));
        let text = crate::render::text::render(
            &plan,
            &crate::render::text::TextOptions {
                color: false,
                wording: crate::render::Wording::Plan,
                device_limit: 10,
            },
        );
        assert!(text.contains("+ displayName = \"Lab 7\""), "{text}");
    }

    #[test]
    fn an_unread_device_list_refuses_the_plan() {
        let state = desired(&[("A1", "T", "")], None);
        let mut live = registered(&[]);
        live.complete.clear();
        let errors = crate::plan(&state, &live).unwrap_err();
        assert!(errors.to_string().contains("AutopilotDevice"), "{errors}");
    }
}
