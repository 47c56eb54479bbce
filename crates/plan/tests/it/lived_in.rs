//! A lived-in tenant (issue 11): what the portal set and hangar does not manage survives, and
//! what is not in Git is seen.

use hangar_model::{Kind, LiveAssignment};
use hangar_plan::{AssignmentTarget, Op};
use serde_json::{Value, json};

use crate::support::{converged, load, object_mut};

fn update_body(plan: &hangar_plan::Plan, kind: Kind, name: &str) -> serde_json::Map<String, Value> {
    plan.actions
        .iter()
        .find_map(|a| match &a.op {
            Op::Update { body, .. } if a.address.kind == kind && a.address.name == name => {
                Some(body.value.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no update of {kind} `{name}`: {:#?}", plan.actions))
}

#[test]
fn an_omitted_description_and_scope_tags_are_left_as_the_portal_set_them() {
    let state = load("tenant");
    let mut live = converged(&state);
    for (kind, name) in [
        (Kind::DeploymentProfile, "Autopilot Sales"),
        (Kind::EnrollmentStatusPage, "ESP Engineering"),
        (Kind::DeviceGroup, "Autopilot-Sales"),
        (Kind::DevicePreparationPolicy, "Device Preparation"),
    ] {
        let object = object_mut(&mut live, kind, name);
        object
            .properties
            .insert("description".into(), json!("typed in the portal"));
        if kind != Kind::DeviceGroup {
            object
                .properties
                .insert("roleScopeTagIds".into(), json!(["0", "3"]));
        }
    }
    let plan = hangar_plan::plan(&state, &live).unwrap();
    assert!(!plan.has_changes(), "{:#?}", plan.actions);

    // A managed change elsewhere on the object does not send them either.
    object_mut(&mut live, Kind::EnrollmentStatusPage, "ESP Engineering")
        .properties
        .insert("installProgressTimeoutInMinutes".into(), json!(30));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let body = update_body(&plan, Kind::EnrollmentStatusPage, "ESP Engineering");
    assert!(
        !body.contains_key("description") && !body.contains_key("roleScopeTagIds"),
        "{body:?}"
    );
}

#[test]
fn the_default_esp_keeps_microsofts_message_unless_git_sets_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenant.yaml"),
        "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44\n---\nkind: EnrollmentStatusPage\nname: default\nshowProgress: true\ninstallQualityUpdates: false\n",
    )
    .unwrap();
    let state = hangar_config::load(dir.path()).unwrap().state.expect("valid");
    let mut live = crate::support::empty_tenant();
    let esp = live
        .objects
        .iter_mut()
        .find(|o| o.kind == Kind::EnrollmentStatusPage)
        .unwrap();
    esp.properties.insert(
        "customErrorMessage".into(),
        json!(hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE),
    );
    esp.properties
        .insert("showInstallationProgress".into(), json!(true));
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let changed: Vec<String> = plan
        .actions
        .iter()
        .flat_map(|a| match &a.op {
            Op::Update { changes, .. } => changes.iter().map(|c| c.path.clone()).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert!(!changed.iter().any(|p| p == "customErrorMessage"), "{changed:?}");
}

#[test]
fn a_replace_all_assign_keeps_targets_hangar_does_not_write() {
    let state = load("tenant");
    let mut live = converged(&state);
    let esp = object_mut(&mut live, Kind::EnrollmentStatusPage, "ESP Engineering");
    let assignments = esp.assignments.as_mut().unwrap();
    assignments.push(LiveAssignment::parse(json!({"id": "cm", "source": "direct",
        "target": {"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "SMS00001"}})));
    // Drop one managed assignment, so the plan rewrites the list.
    assignments.remove(0);
    let plan = hangar_plan::plan(&state, &live).unwrap();
    let change = plan
        .actions
        .iter()
        .find_map(|a| match &a.op {
            Op::Assign(change) if a.address.name == "ESP Engineering" => Some(change),
            _ => None,
        })
        .expect("an assignment change");
    assert!(change.remove.is_empty(), "{change:?}");
    let kept = change
        .after
        .iter()
        .find(|t| matches!(t, AssignmentTarget::Other { .. }))
        .expect("the Configuration Manager target is kept");
    assert_eq!(
        kept.to_graph(|_| None),
        Some(
            json!({"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "SMS00001"})
        )
    );
}

/// An ESP made in the portal on a managed group: a warning, in `unmanaged`, no action, and the
/// impact counts it on both sides (it wins where its live priority ranks first, as before the
/// plan), so no device moves.
#[test]
fn an_unmanaged_esp_on_a_managed_group_is_counted_on_both_sides() {
    let state = load("tenant");
    let mut live = converged(&state);
    let mut portal = live
        .objects
        .iter()
        .find(|o| o.kind == Kind::EnrollmentStatusPage && o.display_name == "ESP Engineering")
        .unwrap()
        .clone();
    portal.id = "0f0e0d0c-0000-4000-8000-00000000e5b1".into();
    portal.display_name = "Portal ESP".into();
    portal
        .properties
        .insert("displayName".into(), json!("Portal ESP"));
    portal.properties.insert("priority".into(), json!(0));
    live.objects.push(portal);

    let plan = hangar_plan::plan(&state, &live).unwrap();
    // Ranked first, it pushes the managed ESPs down one place each: priorities only, and
    // nothing touches the portal's ESP.
    assert!(
        plan.actions
            .iter()
            .all(|a| matches!(a.op, Op::SetPriority { .. }) && a.address.name != "Portal ESP"),
        "{:#?}",
        plan.actions
    );
    assert_eq!(plan.unmanaged.len(), 1, "{:#?}", plan.unmanaged);
    assert_eq!(plan.unmanaged[0].name, "Portal ESP");
    assert!(!plan.unmanaged[0].groups.is_empty());
    assert!(
        plan.warnings.iter().any(|w| w.contains("`Portal ESP`")),
        "{:#?}",
        plan.warnings
    );
    assert_eq!(plan.impact.moved, 0, "{:#?}", plan.impact.changes);
    let reached: Vec<_> = plan
        .impact
        .tags
        .iter()
        .filter(|tag| tag.esps_before.iter().any(|esp| esp == "Portal ESP"))
        .collect();
    assert!(
        !reached.is_empty(),
        "the portal ESP wins somewhere: {:#?}",
        plan.impact.tags
    );
    for tag in reached {
        assert_eq!(tag.esps_before, tag.esps_after, "{tag:#?}");
    }
}
