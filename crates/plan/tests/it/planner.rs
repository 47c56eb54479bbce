//! Planner scenarios against hand-built and converged tenants.

use hangar_model::{Kind, LiveObject};
use hangar_plan::{AssignmentTarget, Error, Op, Plan, Reason};
use serde_json::json;

use crate::support::{self, converged, empty_tenant, load, object_mut};

fn assert_valid_order(plan: &Plan) {
    for (index, action) in plan.actions.iter().enumerate() {
        assert_eq!(action.id.0 as usize, index);
        for dependency in &action.depends_on {
            assert!(
                dependency.0 < action.id.0,
                "{} depends on a later action {dependency}",
                action.address
            );
        }
    }
}

#[test]
fn empty_tenant_plans_every_create_in_a_valid_order() {
    let state = load("tenant");
    let plan = hangar_plan::plan(&state, &empty_tenant()).unwrap();
    assert_valid_order(&plan);
    // 6 groups, 4 profiles, 3 ESPs, 2 domain joins, 1 restriction, 1 Device Preparation policy.
    assert_eq!(plan.summary.create, 17);
    // The built-in ESP and restriction are updated, never created.
    assert_eq!(plan.summary.update, 2);
    assert_eq!(plan.summary.devices.import, 8);
    for action in &plan.actions {
        if let Op::Create { .. } = action.op {
            assert!(
                !action.address.name.eq("default"),
                "built-in created: {}",
                action.address
            );
        }
    }
    // Every group is created before anything that references it.
    let position = |kind: Kind, name: &str| {
        plan.actions.iter().position(|a| {
            a.address.kind == kind && a.address.name == name && matches!(a.op, Op::Create { .. })
        })
    };
    for action in &plan.actions {
        let at = action.id.0 as usize;
        for group in action.referenced_groups() {
            let created = position(Kind::DeviceGroup, &group.name).expect("group created");
            assert!(
                created < at,
                "{} uses `{}` before it exists",
                action.address,
                group.name
            );
            assert!(
                action.depends_on.iter().any(|d| d.0 as usize == created),
                "{} lacks the dependency",
                action.address
            );
        }
    }
    // The Device Preparation binding waits for the owner.
    let owners = plan
        .actions
        .iter()
        .position(|a| matches!(a.op, Op::AddOwners { .. }))
        .unwrap();
    let binding = plan
        .actions
        .iter()
        .position(|a| matches!(a.op, Op::SetDeviceGroup { .. }))
        .unwrap();
    assert!(owners < binding);
}

#[test]
fn a_tenant_that_matches_plans_nothing() {
    let state = load("tenant");
    let live = converged(&state);
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
    assert_eq!(plan.summary.unchanged, 19);
    assert_eq!(plan.impact.moved, 0);
    assert_eq!(plan.read.objects.len(), live.objects.len());
}

#[test]
fn a_portal_edit_shows_exactly_that_field() {
    let state = load("tenant");
    let mut live = converged(&state);
    object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Engineering")
        .properties
        .insert("locale".into(), json!("fr-FR"));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert_eq!(plan.actions.len(), 1, "{:#?}", plan.actions);
    let Op::Update { changes, .. } = &plan.actions[0].op else {
        panic!("not an update")
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "locale");
    assert_eq!(changes[0].before, Some(json!("fr-fr")));
    assert_eq!(changes[0].after, Some(json!("en-us")));
    assert_eq!(plan.actions[0].reason, Reason::Drift);
}

#[test]
fn duplicate_names_fail_listing_both_ids() {
    let state = load("tenant");
    let mut live = converged(&state);
    let mut twin = LiveObject::new(
        Kind::DeploymentProfile,
        "ffffffff-0000-4000-8000-000000000001",
        "Autopilot Sales",
    );
    twin.assignments = Some(vec![]);
    live.objects.push(twin);
    let errors = hangar_plan::plan(&state, &live).unwrap_err();
    let message = errors.to_string();
    assert!(matches!(errors.0[0], Error::DuplicateName { .. }), "{message}");
    assert!(
        message.contains("ffffffff-0000-4000-8000-000000000001"),
        "{message}"
    );
    let original = live
        .objects
        .iter()
        .find(|o| o.display_name == "Autopilot Sales" && !o.id.starts_with("ffff"))
        .unwrap();
    assert!(message.contains(&original.id), "{message}");
    assert!(message.contains("id:"), "{message}");
}

#[test]
fn an_incomplete_read_never_creates() {
    let state = load("tenant");
    let mut live = empty_tenant();
    live.complete.remove(&Kind::DeploymentProfile);
    let errors = hangar_plan::plan(&state, &live).unwrap_err();
    assert!(errors.0.iter().all(|e| matches!(
        e,
        Error::IncompleteRead {
            kind: Kind::DeploymentProfile,
            ..
        }
    )));
    assert_eq!(errors.0.len(), 4);
}

#[test]
fn a_missing_builtin_is_an_error() {
    let state = load("tenant");
    let mut live = empty_tenant();
    live.objects.retain(|o| o.kind != Kind::EnrollmentStatusPage);
    let errors = hangar_plan::plan(&state, &live).unwrap_err();
    assert!(errors.0.iter().any(|e| matches!(
        e,
        Error::BuiltinMissing {
            kind: Kind::EnrollmentStatusPage,
            ..
        }
    )));
}

#[test]
fn pruning_unassigns_then_deletes_inside_its_scope_only() {
    let state = load("tenant");
    let mut live = converged(&state);
    let group_id = live
        .objects
        .iter()
        .find(|o| o.display_name == "Autopilot-Sales")
        .unwrap()
        .id
        .clone();
    let mut old = LiveObject::new(
        Kind::DeploymentProfile,
        "0ld00000-0000-4000-8000-000000000001",
        "Autopilot Old",
    );
    old.assignments = Some(vec![
        json!({"id": "a1", "source": "direct",
        "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}})
        .into(),
    ]);
    live.objects.push(old);
    let mut outside = LiveObject::new(
        Kind::DeploymentProfile,
        "0ld00000-0000-4000-8000-000000000002",
        "Legacy profile",
    );
    outside.assignments = Some(vec![]);
    live.objects.push(outside);
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert_valid_order(&plan);
    assert_eq!(plan.actions.len(), 2, "{:#?}", plan.actions);
    let (unassign, delete) = (&plan.actions[0], &plan.actions[1]);
    assert!(
        matches!(&unassign.op, Op::Assign(change) if change.after.is_empty() && change.remove.len() == 1)
    );
    assert_eq!(unassign.reason, Reason::UnassignBeforeDelete);
    assert!(matches!(delete.op, Op::Delete));
    assert!(delete.destructive);
    assert_eq!(delete.depends_on, vec![unassign.id]);
    assert_eq!(plan.summary.delete, 1);
}

#[test]
fn too_many_deletes_refuse_the_whole_plan() {
    let state = load("tenant");
    let mut live = converged(&state);
    for index in 0..4 {
        let mut old = LiveObject::new(
            Kind::DeviceGroup,
            format!("0ld00000-0000-4000-8000-00000000000{index}"),
            format!("Autopilot-Old-{index}"),
        );
        old.owners = Some(vec![]);
        live.objects.push(old);
    }
    let errors = hangar_plan::plan(&state, &live).unwrap_err();
    assert!(
        matches!(errors.0[0], Error::TooManyDeletes { count: 4, max: 3, .. }),
        "{errors}"
    );
}

#[test]
fn a_create_only_change_is_a_destructive_replace_that_reassigns() {
    let state = load("tenant");
    let mut live = converged(&state);
    object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Kiosk")
        .properties
        .insert("deviceType".into(), json!("holoLens"));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert_valid_order(&plan);
    let replace = &plan.actions[0];
    let Op::Replace {
        changes,
        live_assignments,
        ..
    } = &replace.op
    else {
        panic!("{:#?}", plan.actions)
    };
    assert!(replace.destructive);
    assert!(changes.iter().any(|c| c.path == "deviceType" && c.create_only));
    assert_eq!(live_assignments.len(), 1);
    assert_eq!(plan.summary.replace, 1);
    assert_eq!(
        support::added(&plan, Kind::DeploymentProfile, "Autopilot Kiosk").len(),
        1
    );
    let mut after = live.clone();
    support::apply(&plan, &mut after);
    assert!(hangar_plan::plan(&state, &after).unwrap().actions.is_empty());
}

#[test]
fn swapped_priorities_are_restored_in_ascending_order() {
    let state = load("tenant");
    let mut live = converged(&state);
    object_mut(&mut live, Kind::EnrollmentStatusPage, "ESP Engineering")
        .properties
        .insert("priority".into(), json!(3));
    object_mut(&mut live, Kind::EnrollmentStatusPage, "ESP Sales")
        .properties
        .insert("priority".into(), json!(1));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let priorities: Vec<(String, Option<u32>, u32)> = plan
        .actions
        .iter()
        .filter_map(|a| match a.op {
            Op::SetPriority { before, after } => Some((a.address.name.clone(), before, after)),
            _ => None,
        })
        .collect();
    assert_eq!(
        priorities,
        [
            ("ESP Engineering".to_owned(), Some(3), 1),
            ("ESP Kiosk".to_owned(), Some(2), 2),
            ("ESP Sales".to_owned(), Some(1), 3)
        ]
    );
    assert_eq!(plan.actions[1].depends_on, vec![plan.actions[0].id]);
    // Replay with the service shifting the others (insert semantics): no collisions, right order.
    let mut order = vec!["ESP Sales", "ESP Kiosk", "ESP Engineering"];
    for (name, _, after) in &priorities {
        order.retain(|n| n != name);
        order.insert(*after as usize - 1, name);
    }
    assert_eq!(order, ["ESP Engineering", "ESP Kiosk", "ESP Sales"]);
}

#[test]
fn an_extra_assignment_added_in_the_portal_is_removed() {
    let state = load("tenant");
    let mut live = converged(&state);
    let kiosk = live
        .objects
        .iter()
        .find(|o| o.display_name == "Autopilot-Kiosk")
        .unwrap()
        .id
        .clone();
    let profile = object_mut(&mut live, Kind::DeploymentProfile, "Autopilot Engineering");
    profile.assignments.as_mut().unwrap().push(
        json!({"id": "extra", "source": "direct",
        "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": kiosk.to_uppercase()}})
        .into(),
    );
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert_eq!(plan.actions.len(), 1, "{:#?}", plan.actions);
    let Op::Assign(change) = &plan.actions[0].op else {
        panic!()
    };
    assert!(change.add.is_empty());
    assert_eq!(change.remove.len(), 1);
    assert_eq!(change.remove[0].id.as_deref(), Some("extra"));
    assert!(
        matches!(&change.remove[0].target, AssignmentTarget::Group { group, .. } if group.name == "Autopilot-Kiosk")
    );
    // Kiosk devices (tagged Kiosk) would have had two profiles: removing the extra one settles them.
    assert!(plan.impact.moved > 0);
}

#[test]
fn a_group_tag_changed_in_the_portal_moves_the_device_back() {
    let state = load("tenant");
    let mut live = converged(&state);
    let device = live
        .devices
        .iter_mut()
        .find(|d| d.serial_number == "PFTZ1YAF")
        .unwrap();
    device.group_tag = Some("Engineering".into());
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert_eq!(plan.actions.len(), 1);
    let Op::UpdateDevice(update) = &plan.actions[0].op else {
        panic!()
    };
    assert_eq!(update.group_tag, "Sales");
    assert_eq!(plan.impact.moved, 1);
    let moved = &plan.impact.changes[0];
    assert_eq!(moved.before.profile.as_deref(), Some("Autopilot Engineering"));
    assert_eq!(moved.after.profile.as_deref(), Some("Autopilot Sales"));
    assert_eq!(plan.read.device_fingerprints.len(), 1);
}

#[test]
fn impact_counts_devices_per_tag() {
    let state = load("tenant");
    let plan = hangar_plan::plan(&state, &empty_tenant()).unwrap();
    assert_eq!(plan.impact.devices, 8);
    let engineering = plan
        .impact
        .tags
        .iter()
        .find(|t| t.tag.as_deref() == Some("Engineering"))
        .unwrap();
    assert_eq!(engineering.devices, 4);
    assert_eq!(engineering.profiles_after, ["Autopilot Engineering"]);
    assert_eq!(engineering.esps_after, ["ESP Engineering"]);
    assert_eq!(engineering.groups, ["Autopilot-Engineering"]);
    let names: Vec<&str> = plan
        .impact
        .changes
        .iter()
        .filter_map(|d| d.after.name.as_deref())
        .collect();
    assert!(names.contains(&"ENG-5CG3ERLLRV"), "{names:?}");
    assert!(names.contains(&"HQ-########"), "{names:?}");
}

#[test]
fn the_plan_is_deterministic_and_round_trips_through_json() {
    let state = load("tenant");
    let live = empty_tenant();
    let first = hangar_plan::plan(&state, &live).unwrap();
    let second = hangar_plan::plan(&state, &live).unwrap();
    let text = hangar_plan::render::json::render(&first);
    assert_eq!(text, hangar_plan::render::json::render(&second));
    let back = Plan::from_json(&text).unwrap();
    assert_eq!(back, first);
    let current = format!("\"format_version\": {}", hangar_plan::FORMAT_VERSION);
    assert!(text.contains(&current), "{text}");
    let other_version = text.replacen(&current, "\"format_version\": 99", 1);
    assert!(matches!(
        Plan::from_json(&other_version),
        Err(Error::PlanVersion {
            found: Some(99),
            supported: hangar_plan::FORMAT_VERSION
        })
    ));
}

#[test]
fn a_pinned_id_picks_one_of_two_namesakes() {
    let state = load("pinned");
    let mut live = empty_tenant();
    for id in [
        "aaaaaaaa-0000-4000-8000-000000000001",
        "aaaaaaaa-0000-4000-8000-000000000002",
    ] {
        let mut group = LiveObject::new(Kind::DeviceGroup, id, "Autopilot-Sales");
        group.properties = support::obj(
            json!({"displayName": "Autopilot-Sales", "groupTypes": ["DynamicMembership"],
            "membershipRule": "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))",
            "membershipRuleProcessingState": "On", "mailEnabled": false, "securityEnabled": true}),
        );
        group.owners = Some(vec![]);
        live.objects.push(group);
    }
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
}
