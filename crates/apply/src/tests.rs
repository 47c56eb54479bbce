//! The executor's rules, one by one, against the in-memory tenant ([`crate::fake`]). Time is
//! paused: every wait and backoff runs instantly, in order.

use hangar_model::Kind;
use hangar_model::well_known::odata;
use hangar_plan::{
    Action, ActionId, Address, Assignment, AssignmentApi, AssignmentChange, AssignmentTarget, Body, Change,
    GroupRef, Op, OwnerRef, Reason,
};
use serde_json::{Value, json};

use crate::fake::{FakeTenant, Fault, plan};
use crate::tenant::Tenant;
use crate::{ApplyReport, Error, Options, Status, apply};

fn action(id: u32, kind: Kind, name: &str, live_id: Option<&str>, deps: &[u32], op: Op) -> Action {
    Action {
        id: ActionId(id),
        address: Address::new(kind, name),
        live_id: live_id.map(str::to_owned),
        destructive: matches!(op, Op::Delete | Op::Replace { .. }),
        reason: Reason::NotInTenant,
        depends_on: deps.iter().map(|d| ActionId(*d)).collect(),
        op,
    }
}

fn body(value: Value) -> Body {
    Body::new(value.as_object().cloned().expect("an object"))
}

fn create_group(id: u32, name: &str) -> Action {
    action(
        id,
        Kind::DeviceGroup,
        name,
        None,
        &[],
        Op::Create {
            body: body(json!({"displayName": name, "securityEnabled": true, "mailEnabled": false})),
            fields: Vec::new(),
        },
    )
}

fn create_profile(id: u32, name: &str) -> Action {
    action(
        id,
        Kind::DeploymentProfile,
        name,
        None,
        &[],
        Op::Create {
            body: body(json!({"@odata.type": odata::ENTRA_PROFILE, "displayName": name})),
            fields: Vec::new(),
        },
    )
}

fn group(name: &str, id: Option<&str>) -> GroupRef {
    GroupRef {
        name: name.into(),
        id: id.map(str::to_owned),
    }
}

fn assign_profile(id: u32, name: &str, live_id: Option<&str>, deps: &[u32], to: GroupRef) -> Action {
    let target = AssignmentTarget::Group {
        group: to,
        filter: None,
    };
    action(
        id,
        Kind::DeploymentProfile,
        name,
        live_id,
        deps,
        Op::Assign(AssignmentChange {
            api: AssignmentApi::OneByOne,
            before: vec![],
            after: vec![target.clone()],
            add: vec![target],
            remove: vec![],
            fields: vec![],
        }),
    )
}

fn group_ids_of(tenant: &FakeTenant, kind: Kind, name: &str) -> Vec<Vec<String>> {
    tenant
        .named(kind, name)
        .into_iter()
        .map(|(_, o)| {
            o.assignments
                .iter()
                .filter_map(|(_, t)| t.get("groupId").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .collect()
}

async fn run(tenant: &FakeTenant, actions: Vec<Action>) -> ApplyReport {
    apply(&plan(actions), tenant, None, &Options::new(), &()).await
}

fn position(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("`{prefix}` not in {log:#?}"))
}

#[tokio::test(start_paused = true)]
async fn new_groups_are_created_first_and_referenced_by_id() {
    let tenant = FakeTenant::default();
    let report = run(
        &tenant,
        vec![
            create_group(0, "Autopilot-Sales"),
            create_profile(1, "Sales"),
            assign_profile(2, "Sales", None, &[0, 1], group("Autopilot-Sales", None)),
        ],
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    let (group_id, _) = tenant.named(Kind::DeviceGroup, "Autopilot-Sales").remove(0);
    assert_eq!(
        group_ids_of(&tenant, Kind::DeploymentProfile, "Sales"),
        vec![vec![group_id.clone()]]
    );
    assert_eq!(report.actions[0].object_id.as_deref(), Some(group_id.as_str()));
    let log = tenant.log();
    assert!(position(&log, "create DeviceGroup") < position(&log, "add_assignment"));
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_is_lost_is_found_not_repeated() {
    let tenant = FakeTenant::default();
    tenant.fault("create:DeviceGroup", 1, Fault::Lose);
    tenant.fault("create:DeploymentProfile", 1, Fault::Refuse(500));
    let profile = tenant.add(Kind::DeploymentProfile, "Existing", Some(odata::ENTRA_PROFILE));
    let report = run(
        &tenant,
        vec![
            create_group(0, "Autopilot-Sales"),
            create_profile(1, "Sales"),
            assign_profile(
                2,
                "Existing",
                Some(&profile),
                &[0],
                group("Autopilot-Sales", None),
            ),
        ],
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(tenant.named(Kind::DeviceGroup, "Autopilot-Sales").len(), 1);
    assert_eq!(tenant.named(Kind::DeploymentProfile, "Sales").len(), 1);
    assert!(
        report.actions[0]
            .notes
            .iter()
            .any(|n| n.contains("answer was lost")),
        "{:?}",
        report.actions[0].notes
    );
    let creates = tenant
        .log()
        .iter()
        .filter(|l| l.starts_with("create DeviceGroup"))
        .count();
    assert_eq!(creates, 1, "the group was POSTed once");
}

#[tokio::test(start_paused = true)]
async fn a_lost_assignment_answer_is_checked_before_adding_again() {
    let tenant = FakeTenant::default();
    let profile = tenant.add(Kind::DeploymentProfile, "P", Some(odata::ENTRA_PROFILE));
    let group_id = tenant.add(Kind::DeviceGroup, "G", None);
    tenant.fault("add_assignment", 1, Fault::Lose);
    let report = run(
        &tenant,
        vec![assign_profile(
            0,
            "P",
            Some(&profile),
            &[],
            group("G", Some(&group_id)),
        )],
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(
        group_ids_of(&tenant, Kind::DeploymentProfile, "P"),
        vec![vec![group_id]]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_what_depends_on_it_and_nothing_else() {
    let tenant = FakeTenant::default();
    tenant.fault("create:DeviceGroup", 1, Fault::Refuse(400));
    let other = tenant.add(Kind::DeploymentProfile, "Other", Some(odata::ENTRA_PROFILE));
    let mut second = create_group(1, "G2");
    second.depends_on = vec![];
    let report = run(
        &tenant,
        vec![
            create_group(0, "G1"),
            second,
            create_profile(2, "P"),
            assign_profile(3, "P", None, &[0, 2], group("G1", None)),
            assign_profile(4, "Other", Some(&other), &[1], group("G2", None)),
        ],
    )
    .await;
    let statuses: Vec<Status> = report.actions.iter().map(|a| a.status).collect();
    // The first group create in plan order hits the fault (both are ready at once; the
    // higher-ranked one, G1, starts first).
    assert_eq!(
        statuses,
        vec![
            Status::Failed,
            Status::Done,
            Status::Done,
            Status::Skipped,
            Status::Done
        ],
        "{report:#?}"
    );
    let failed = &report.actions[0];
    let error = failed.error.as_ref().expect("an error");
    assert_eq!(error.evidence.status, Some(400));
    assert_eq!(error.evidence.request_id.as_deref(), Some("request-1"));
    assert_eq!(report.actions[3].skipped_because, vec![ActionId(0)]);
    assert!(report.failed());
    assert_eq!(report.summary.failed, 1);
    assert_eq!(report.summary.skipped, 1);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried() {
    let tenant = FakeTenant::default();
    let id = tenant.add(Kind::DomainJoinProfile, "HQ", None);
    tenant.fault("update", 2, Fault::Refuse(503));
    let report = run(
        &tenant,
        vec![action(
            0,
            Kind::DomainJoinProfile,
            "HQ",
            Some(&id),
            &[],
            Op::Update {
                changes: vec![],
                body: body(json!({"displayName": "HQ", "computerNameStaticPrefix": "HQ-"})),
                membership: None,
            },
        )],
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.actions[0].attempts, 3);
}

fn replace_profile(old: &str, old_group: &str, old_assignment: &str) -> Vec<Action> {
    let g = group("G", Some(old_group));
    vec![
        action(
            0,
            Kind::DeploymentProfile,
            "P",
            Some(old),
            &[],
            Op::Replace {
                changes: vec![Change {
                    path: "deviceType".into(),
                    before: Some(json!("windowsPc")),
                    after: Some(json!("holoLens")),
                    create_only: true,
                    field: None,
                }],
                body: body(
                    json!({"@odata.type": odata::ENTRA_PROFILE, "displayName": "P", "deviceType": "holoLens"}),
                ),
                lost: Vec::new(),
                live_assignments: vec![Assignment {
                    id: Some(old_assignment.into()),
                    target: AssignmentTarget::Group {
                        group: g.clone(),
                        filter: None,
                    },
                }],
            },
        ),
        assign_profile(1, "P", None, &[0], g),
    ]
}

fn seed_replace(tenant: &FakeTenant) -> (String, String, String) {
    let old = tenant.add(Kind::DeploymentProfile, "P", Some(odata::ENTRA_PROFILE));
    let group_id = tenant.add(Kind::DeviceGroup, "G", None);
    let assignment = tenant.with(|s| {
        let object = s.objects.get_mut(&old).expect("seeded");
        object.assignments.push((
            "a-old".into(),
            json!({"@odata.type": odata::GROUP_TARGET, "groupId": group_id}),
        ));
        "a-old".to_owned()
    });
    (old, group_id, assignment)
}

#[tokio::test(start_paused = true)]
async fn a_profile_replace_creates_then_switches() {
    let tenant = FakeTenant::default();
    let (old, group_id, assignment) = seed_replace(&tenant);
    let report = run(&tenant, replace_profile(&old, &group_id, &assignment)).await;
    assert!(report.succeeded(), "{report:#?}");
    let profiles = tenant.named(Kind::DeploymentProfile, "P");
    assert_eq!(profiles.len(), 1);
    assert_ne!(profiles[0].0, old, "a new object");
    assert_eq!(
        group_ids_of(&tenant, Kind::DeploymentProfile, "P"),
        vec![vec![group_id]]
    );
    assert!(tenant.with(|s| !s.objects.contains_key(&old)), "old one deleted");
    let log = tenant.log();
    // Devices stay covered: the new profile is assigned before the old one loses its
    // assignment.
    let rename = position(&log, "update DeploymentProfile");
    let create = position(&log, "create DeploymentProfile");
    let assign = position(&log, "add_assignment");
    let unassign = position(&log, "delete_assignment");
    let delete = position(&log, "delete DeploymentProfile");
    assert!(
        rename < create && create < assign && assign < unassign && unassign < delete,
        "{log:#?}"
    );
    assert_eq!(report.cleanups.len(), 1);
    assert_eq!(report.cleanups[0].status, Status::Done);
}

#[tokio::test(start_paused = true)]
async fn a_replace_keeps_the_old_object_when_the_new_one_cannot_be_assigned() {
    let tenant = FakeTenant::default();
    let (old, group_id, assignment) = seed_replace(&tenant);
    tenant.fault("add_assignment", 1, Fault::Refuse(400));
    let report = run(&tenant, replace_profile(&old, &group_id, &assignment)).await;
    assert!(report.failed());
    assert_eq!(report.cleanups[0].status, Status::Skipped);
    assert_eq!(report.cleanups[0].skipped_because, vec![ActionId(1)]);
    let aside = tenant.named(Kind::DeploymentProfile, "P replaced by hangar");
    assert_eq!(aside.len(), 1, "kept, renamed aside");
    assert_eq!(aside[0].1.assignments.len(), 1, "and still assigned");

    // The next run (a fresh plan: the new profile exists unassigned) finishes the switch.
    let new = tenant.named(Kind::DeploymentProfile, "P").remove(0).0;
    let live = tenant
        .read(&hangar_graph::ReadScope::everything())
        .await
        .expect("read");
    let next = plan(vec![assign_profile(
        0,
        "P",
        Some(&new),
        &[],
        group("G", Some(&group_id)),
    )]);
    let report = apply(&next, &tenant, Some(&live), &Options::new(), &()).await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.cleanups.len(), 1);
    assert!(report.cleanups[0].left_by_earlier_run);
    assert!(
        tenant
            .named(Kind::DeploymentProfile, "P replaced by hangar")
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn new_groups_are_waited_for_until_intune_knows_them() {
    let tenant = FakeTenant::default();
    let esp = tenant.add(Kind::EnrollmentStatusPage, "ESP", None);
    let report = {
        let target = AssignmentTarget::Group {
            group: group("G", None),
            filter: None,
        };
        let assign = action(
            1,
            Kind::EnrollmentStatusPage,
            "ESP",
            Some(&esp),
            &[0],
            Op::Assign(AssignmentChange {
                api: AssignmentApi::EnrollmentConfigurationAssign,
                before: vec![],
                after: vec![target.clone()],
                add: vec![target],
                remove: vec![],
                fields: vec![],
            }),
        );
        // Intune refuses the new group three times before it has replicated.
        let create = create_group(0, "G");
        let plan = plan(vec![create, assign]);
        let tenant_ref = &tenant;
        let options = Options::new();
        let run = apply(&plan, tenant_ref, None, &options, &());
        let seed = async {
            loop {
                tokio::task::yield_now().await;
                if let Some((id, _)) = tenant.named(Kind::DeviceGroup, "G").into_iter().next() {
                    tenant.with(|s| s.unreplicated.insert(id, 3));
                    break;
                }
            }
        };
        let (report, ()) = tokio::join!(run, seed);
        report
    };
    assert!(report.succeeded(), "{report:#?}");
    let (group_id, _) = tenant.named(Kind::DeviceGroup, "G").remove(0);
    assert_eq!(
        group_ids_of(&tenant, Kind::EnrollmentStatusPage, "ESP"),
        vec![vec![group_id]]
    );
}

#[tokio::test(start_paused = true)]
async fn the_device_group_binding_explains_the_app_only_500() {
    let tenant = FakeTenant::default();
    let policy = tenant.add(Kind::DevicePreparationPolicy, "DPP", None);
    let group_id = tenant.add(Kind::DeviceGroup, "Autopilot Deployed", None);
    tenant.with(|s| {
        s.objects
            .get_mut(&group_id)
            .expect("seeded")
            .owners
            .push("sp".into())
    });
    tenant.fault("set_device_group", 100, Fault::Refuse(500));
    let report = run(
        &tenant,
        vec![action(
            0,
            Kind::DevicePreparationPolicy,
            "DPP",
            Some(&policy),
            &[],
            Op::SetDeviceGroup {
                before: vec![],
                after: Some(group("Autopilot Deployed", Some(&group_id))),
            },
        )],
    )
    .await;
    let error = report.actions[0].error.as_ref().expect("failed");
    assert!(error.message.contains("HANGAR_ACCESS_TOKEN"), "{}", error.message);
    assert!(
        error.message.contains("Device preparation policies > `DPP`"),
        "{}",
        error.message
    );
    assert_eq!(error.evidence.status, Some(500));
    assert_eq!(
        report.actions[0].attempts, 1,
        "explained, not retried by the executor again"
    );
}

#[tokio::test(start_paused = true)]
async fn owners_then_binding_with_the_provisioning_client_created_once() {
    let tenant = FakeTenant::default();
    let policy = tenant.add(Kind::DevicePreparationPolicy, "DPP", None);
    let owners = |id: u32, name: &str| {
        action(
            id,
            Kind::DeviceGroup,
            name,
            None,
            &[id - 2],
            Op::AddOwners {
                add: vec![OwnerRef::IntuneProvisioningClient { object_id: None }],
            },
        )
    };
    let report = run(
        &tenant,
        vec![
            create_group(0, "Deployed"),
            create_group(1, "Deployed 2"),
            owners(2, "Deployed"),
            owners(3, "Deployed 2"),
            action(
                4,
                Kind::DevicePreparationPolicy,
                "DPP",
                Some(&policy),
                &[0, 2],
                Op::SetDeviceGroup {
                    before: vec![],
                    after: Some(group("Deployed", None)),
                },
            ),
        ],
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(tenant.with(|s| s.service_principals.len()), 1);
    let bound = tenant.with(|s| s.objects[&policy].device_group.clone());
    assert_eq!(
        bound,
        vec![tenant.named(Kind::DeviceGroup, "Deployed").remove(0).0]
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_run_reports_what_it_did_not_start() {
    let tenant = FakeTenant::default();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let options = Options {
        stop: Some(stop),
        ..Options::new()
    };
    let report = apply(&plan(vec![create_group(0, "G")]), &tenant, None, &options, &()).await;
    assert!(report.interrupted);
    assert_eq!(report.actions[0].status, Status::NotStarted);
    assert!(report.failed());
    assert!(tenant.log().is_empty());
}

#[tokio::test(start_paused = true)]
async fn deletes_unassign_profiles_first_and_accept_gone_objects() {
    let tenant = FakeTenant::default();
    let (old, _, _) = seed_replace(&tenant);
    let report = run(
        &tenant,
        vec![
            action(0, Kind::DeploymentProfile, "P", Some(&old), &[], Op::Delete),
            action(
                1,
                Kind::DomainJoinProfile,
                "Gone",
                Some("id-nowhere"),
                &[],
                Op::Delete,
            ),
        ],
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert!(tenant.named(Kind::DeploymentProfile, "P").is_empty());
    assert_eq!(report.actions[1].notes, vec!["already deleted".to_owned()]);
}

#[tokio::test(start_paused = true)]
async fn priorities_follow_the_plan_chain() {
    let tenant = FakeTenant::default();
    let a = tenant.add(Kind::EnrollmentStatusPage, "A", None);
    let b = tenant.add(Kind::EnrollmentStatusPage, "B", None);
    let set = |id: u32, name: &str, live: &str, deps: &[u32], after: u32| {
        action(
            id,
            Kind::EnrollmentStatusPage,
            name,
            Some(live),
            deps,
            Op::SetPriority { before: None, after },
        )
    };
    let report = run(&tenant, vec![set(0, "A", &a, &[], 1), set(1, "B", &b, &[0], 2)]).await;
    assert!(report.succeeded(), "{report:#?}");
    let log = tenant.log();
    assert_eq!(
        log,
        vec![format!("set_priority - {a}"), format!("set_priority - {b}")]
    );
}

#[test]
fn transient_errors_are_classified() {
    let lost = Error::from(hangar_graph::Error::OutcomeUnknown {
        method: "POST".into(),
        url: "u".into(),
        retries: 0,
        client_request_id: "c".into(),
        message: "m".into(),
    });
    assert!(lost.is_transient());
    assert_eq!(lost.evidence().client_request_id.as_deref(), Some("c"));
    let stale = Error::Stale {
        differences: vec![],
        changes: vec![],
    };
    assert!(!stale.is_transient());
}
