//! Graph misbehaving, one way at a time: lost answers after a commit, throttling and server
//! errors, the app-only 500 of the Device Preparation binding; and a replace, a stale saved
//! plan and the pruning guardrails, end to end.

use std::collections::BTreeMap;

use hangar_apply::Status;
use hangar_model::Kind;
use hangar_plan::Op;
use hangar_sim::{FaultRule, GroupMembership, MethodClass};
use serde_json::{Value, json};

use crate::support::{Env, load, policies, show, show_report, sim_config};

/// Names held by more than one object of a kind.
fn duplicates(live: &hangar_model::LiveState) -> Vec<String> {
    let mut seen: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    for object in &live.objects {
        *seen
            .entry((object.kind, object.display_name.as_str()))
            .or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((kind, name), n)| format!("{kind}/{name} ×{n}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_whose_answers_are_lost_are_never_repeated() {
    let desired = load(&policies("commercial"));
    // The first writes to groups, profiles and their assignments, ESPs and devices commit and
    // lose their answer.
    let config = sim_config(&desired)
        .fault(FaultRule::drop_response(1.0).path("/groups").times(3))
        .fault(
            FaultRule::drop_response(1.0)
                .path("windowsAutopilotDeploymentProfiles")
                .times(4),
        )
        .fault(
            FaultRule::drop_response(1.0)
                .path("deviceEnrollmentConfigurations")
                .times(2),
        )
        .fault(
            FaultRule::drop_response(1.0)
                .path("importedWindowsAutopilotDeviceIdentities")
                .times(2),
        );
    let env = Env::start(config).await;
    let (_, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    let dropped = env.sim.request_log().iter().filter(|r| r.status == 0).count();
    assert_eq!(dropped, 11, "every scripted drop happened");
    let live = env.read().await;
    assert!(duplicates(&live).is_empty(), "{:?}", duplicates(&live));
    assert_eq!(live.devices.len(), 50, "every device registered once");
    let (_, again) = env.plan(&desired).await;
    assert!(!again.has_changes(), "{}", show(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_storms_and_server_errors_are_ridden_out() {
    let desired = load(&policies("commercial"));
    let config = sim_config(&desired)
        .seed(11)
        .fault(FaultRule::throttle(2.0, 0.3))
        .fault(FaultRule::status(503, 0.05))
        // 500s on writes only (a 500 on a read fails the read, by design of the reader).
        .fault(
            FaultRule::status(500, 0.03)
                .methods(MethodClass::Writes)
                .path("/deviceManagement"),
        )
        .fault(
            FaultRule::status(500, 0.03)
                .methods(MethodClass::Writes)
                .path("/groups"),
        );
    let env = Env::start(config).await;
    let (_, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    let log = env.sim.request_log();
    assert!(log.iter().any(|r| r.status == 429), "the storm happened");
    assert!(log.iter().any(|r| r.status == 500), "server errors happened");
    let live = env.read().await;
    assert!(duplicates(&live).is_empty(), "{:?}", duplicates(&live));
    let (_, again) = env.plan(&desired).await;
    assert!(!again.has_changes(), "{}", show(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_only_500_is_explained_and_everything_else_is_done() {
    let desired = load(&policies("gcc-high"));
    let env = Env::start(sim_config(&desired).quirk_dpp_app_only_500(true)).await;
    let (plan, report) = env.apply(&desired).await;
    assert!(report.failed());
    let failed: Vec<_> = report
        .actions
        .iter()
        .filter(|a| a.status != Status::Done)
        .collect();
    assert_eq!(failed.len(), 1, "{}", show_report(&report));
    let binding = failed[0];
    assert_eq!(binding.action, "set_device_group");
    let error = binding.error.as_ref().expect("an error");
    assert_eq!(error.evidence.status, Some(500));
    assert!(error.evidence.request_id.is_some());
    for expected in [
        "HANGAR_ACCESS_TOKEN",
        "graph.microsoft.us",
        "Device preparation policies",
    ] {
        assert!(
            error.message.contains(expected),
            "`{expected}` missing: {}",
            error.message
        );
    }
    assert!(plan.actions.len() > 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_whose_device_type_changed_is_replaced_without_losing_its_group() {
    let desired = load(&policies("commercial"));
    let env = Env::start(sim_config(&desired)).await;
    let (_, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    let old = env.sim.with_state(|state| {
        let profile = state
            .deployment_profiles
            .values_mut()
            .find(|p| p.display_name() == "Autopilot Kiosk")
            .expect("created");
        profile.properties.insert("deviceType".into(), json!("holoLens"));
        profile.id.clone()
    });
    let (plan, report) = env.apply(&desired).await;
    assert!(
        plan.actions.iter().any(|a| matches!(a.op, Op::Replace { .. })),
        "{}",
        show(&plan)
    );
    assert!(report.succeeded(), "{}", show_report(&report));
    assert_eq!(report.cleanups.len(), 1);
    assert_eq!(report.cleanups[0].status, Status::Done);
    let profiles: Vec<(String, Vec<Value>)> = env.sim.with_state(|state| {
        state
            .deployment_profiles
            .values()
            .filter(|p| p.display_name().starts_with("Autopilot Kiosk"))
            .map(|p| {
                (
                    p.id.clone(),
                    p.assignments.iter().map(|a| a.target.clone()).collect(),
                )
            })
            .collect()
    });
    assert_eq!(profiles.len(), 1, "{profiles:?}");
    assert_ne!(profiles[0].0, old);
    assert_eq!(profiles[0].1.len(), 1, "assigned to its group");
    let (_, again) = env.plan(&desired).await;
    assert!(!again.has_changes(), "{}", show(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_refused_once_the_tenant_changed() {
    let desired = load(&policies("commercial"));
    let env = Env::start(sim_config(&desired)).await;
    let (_, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    // A drift, planned and saved.
    env.sim.with_state(|state| {
        let profile = state
            .deployment_profiles
            .values_mut()
            .find(|p| p.display_name() == "Autopilot Sales")
            .expect("created");
        profile.properties.insert("locale".into(), json!("fr-FR"));
    });
    let (_, plan) = env.plan(&desired).await;
    assert!(plan.has_changes());
    let saved = hangar_plan::Plan::from_json(&hangar_plan::render::json::render(&plan)).expect("round trip");
    let (live, fresh) = env.plan(&desired).await;
    hangar_apply::stale::check(&saved, &fresh, &live).expect("nothing changed yet");

    // Someone edits the profile again in the portal after the plan was saved: the plan made
    // now sets the same value but from another one, so it is not what was reviewed.
    env.sim.with_state(|state| {
        let profile = state
            .deployment_profiles
            .values_mut()
            .find(|p| p.display_name() == "Autopilot Sales")
            .expect("created");
        profile.properties.insert("locale".into(), json!("de-DE"));
    });
    let (live, fresh) = env.plan(&desired).await;
    let error = hangar_apply::stale::check(&saved, &fresh, &live).expect_err("stale");
    let message = error.to_string();
    assert!(
        message.contains("DeploymentProfile/Autopilot Sales update: differs at"),
        "{message}"
    );
    assert!(
        message.contains("DeploymentProfile `Autopilot Sales`"),
        "{message}"
    );
    assert!(message.contains("changed"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_deletes_only_inside_its_scope_and_never_built_ins() {
    let (_dir, config) = crate::support::commercial_with_pruning();
    let desired = load(&config);
    let env = Env::start(sim_config(&desired)).await;
    // Inside `prune.only` (hangar's naming) and outside it.
    let (stale_group, foreign_group, stale_profile, foreign_profile) = env.sim.with_state(|state| {
        (
            state.add_group("Autopilot-Retired", GroupMembership::Assigned),
            state.add_group("Finance Laptops", GroupMembership::Assigned),
            state.add_profile("Autopilot Retired", json!({})),
            state.add_profile("Manual Profile", json!({})),
        )
    });
    let (plan, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    assert_eq!(plan.summary.delete, 2, "{}", show(&plan));
    let (groups, profiles, defaults) = env.sim.with_state(|state| {
        (
            state.groups.keys().cloned().collect::<Vec<_>>(),
            state.deployment_profiles.keys().cloned().collect::<Vec<_>>(),
            state
                .enrollment_configurations
                .keys()
                .filter(|id| id.contains("_Default"))
                .count(),
        )
    });
    assert!(!groups.contains(&stale_group));
    assert!(groups.contains(&foreign_group), "outside `prune.only`: untouched");
    assert!(!profiles.contains(&stale_profile));
    assert!(
        profiles.contains(&foreign_profile),
        "outside `prune.only`: untouched"
    );
    assert_eq!(defaults, 4, "built-ins are never deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_preparation_policy_whose_template_changed_is_deleted_then_created() {
    let desired = load(&policies("gcc-high"));
    let env = Env::start(sim_config(&desired)).await;
    let (_, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    let old = env.sim.with_state(|state| {
        let policy = state.configuration_policies.values_mut().next().expect("created");
        policy.properties.insert(
            "templateReference".into(),
            json!({"templateId": hangar_model::well_known::device_preparation::AUTOMATIC_TEMPLATE_ID, "templateFamily": "enrollmentConfiguration"}),
        );
        policy.id.clone()
    });
    let (plan, report) = env.apply(&desired).await;
    assert!(
        plan.actions.iter().any(|a| matches!(a.op, Op::Replace { .. })),
        "{}",
        show(&plan)
    );
    assert!(report.succeeded(), "{}", show_report(&report));
    assert!(report.cleanups.is_empty(), "nothing is set aside");
    let policies: Vec<(String, usize, usize)> = env.sim.with_state(|state| {
        state
            .configuration_policies
            .values()
            .map(|p| {
                (
                    p.id.clone(),
                    p.assignments.len(),
                    p.device_membership_targets.len(),
                )
            })
            .collect()
    });
    assert_eq!(policies.len(), 1, "{policies:?}");
    assert_ne!(policies[0].0, old);
    assert_eq!((policies[0].1, policies[0].2), (1, 1), "assigned and bound");
    let (_, again) = env.plan(&desired).await;
    assert!(!again.has_changes(), "{}", show(&again));
}
