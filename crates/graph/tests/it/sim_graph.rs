//! Reading and writing against the simulator: paging, `$batch`, faults, throttling, and the
//! live-state reader.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hangar_graph::live::{GroupScope, ReadScope};
use hangar_graph::rate_limit::RateLimitConfig;
use hangar_graph::resources::{self, fields};
use hangar_graph::{Error, read_live_state};
use hangar_model::{Cloud, Kind};
use hangar_sim::{DeviceSeed, FaultRule, GroupMembership, MethodClass, Sim, SimConfig};
use serde_json::{Value, json};

use crate::support::{client, client_with, secret_credential, start};

fn body(value: Value) -> resources::Body {
    value.as_object().cloned().unwrap()
}

/// A tenant with `groups` groups, `profiles` profiles each assigned to one group, and
/// `devices` devices.
fn seed(sim: &Sim, groups: usize, profiles: usize, devices: usize) {
    sim.with_state(|state| {
        let ids: Vec<String> =
            (0..groups).map(|i| state.add_group(&format!("Autopilot group {i:05}"), GroupMembership::Assigned)).collect();
        for i in 0..profiles {
            let id = state.add_profile(&format!("Profile {i:04}"), json!({"deviceNameTemplate": "AP-%SERIAL%"}));
            let assignment_id = state.new_guid();
            let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": ids[i % ids.len().max(1)]});
            if let Some(profile) = state.deployment_profiles.get_mut(&id) {
                profile.assignments.push(hangar_sim::Assignment { id: assignment_id, target });
            }
        }
        state.add_devices((0..devices).map(|i| DeviceSeed::new(format!("SN{i:07}"), format!("Tag{}", i % 7))));
    });
}

fn graph_requests(sim: &Sim) -> Vec<hangar_sim::RequestRecord> {
    sim.request_log()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .collect()
}

#[tokio::test]
async fn paging_reads_ten_thousand_groups_to_the_end() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 10_000, 0, 0);
    let client = client(&sim, Cloud::Commercial);
    let groups = client.groups().list().await.unwrap();
    assert_eq!(groups.len(), 10_000);
    let unique: BTreeSet<&str> = groups.iter().filter_map(resources::id_of).collect();
    assert_eq!(unique.len(), 10_000);
    let pages = graph_requests(&sim)
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/groups"))
        .count();
    assert_eq!(pages, 10_000usize.div_ceil(999), "pages of 999 groups");
}

#[tokio::test]
async fn paging_reads_ten_thousand_devices_to_the_end() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 0, 0, 10_000);
    let client = client(&sim, Cloud::Commercial);
    let devices = client.autopilot_devices().list().await.unwrap();
    assert_eq!(devices.len(), 10_000);
    assert!(devices.iter().any(|d| d.serial() == "SN0009999"));
    let pages = graph_requests(&sim)
        .iter()
        .filter(|r| r.path.contains("windowsAutopilotDeviceIdentities"))
        .count();
    assert_eq!(pages, 10, "pages of 1000 devices");
}

#[tokio::test]
async fn groups_by_name_and_their_owners_are_read_in_batches() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 60, 0, 0);
    let sp = sim
        .state()
        .service_principal_by_app_id(hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID)
        .map(|sp| sp.id.clone())
        .unwrap();
    let owned = sim
        .state()
        .group_by_name("Autopilot group 00007")
        .map(|g| g.id.clone())
        .unwrap();
    sim.with_state(|state| state.groups.get_mut(&owned).map(|g| g.owners.push(sp.clone())));
    let client = client(&sim, Cloud::Commercial);
    let names: Vec<String> = (0..45)
        .map(|i| format!("Autopilot group {i:05}"))
        .chain(["Nobody's group".to_owned()])
        .collect();
    let scope = ReadScope {
        group_owners: true,
        provisioning_client: true,
        ..ReadScope::named([Kind::DeviceGroup], names)
    };
    let state = read_live_state(&client, &scope).await.unwrap();
    assert_eq!(state.objects.len(), 45);
    assert_eq!(state.provisioning_client_id.as_deref(), Some(sp.as_str()));
    assert_eq!(
        state.object_by_id(&owned).unwrap().owners.as_deref(),
        Some(&[sp.clone()][..])
    );
    assert!(state.objects.iter().all(|g| g.owners.is_some()));
    let log = graph_requests(&sim);
    let batches = log
        .iter()
        .filter(|r| r.path.ends_with("$batch") && r.batch_item.is_none())
        .count();
    // 46 names in 4 `in` filters of at most 15 (1 batch) + 45 owner reads (3 batches); 1
    // service principal lookup.
    let name_filters = log
        .iter()
        .filter(|r| r.batch_item.is_some() && r.path.contains("displayName%20in%20("))
        .count();
    assert_eq!(name_filters, 4, "{log:#?}");
    assert_eq!(batches, 4, "{log:#?}");
    assert_eq!(log.iter().filter(|r| r.batch_item.is_none()).count(), 5);
}

#[tokio::test]
async fn batch_reads_per_object_collections() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 30, 45, 0);
    let client = client(&sim, Cloud::Commercial);
    let scope = ReadScope::named([Kind::DeploymentProfile], []);
    let state = read_live_state(&client, &scope).await.unwrap();
    let profiles: Vec<_> = state.objects_of(Kind::DeploymentProfile).collect();
    assert_eq!(profiles.len(), 45);
    assert!(
        profiles
            .iter()
            .all(|p| p.assignments.as_ref().is_some_and(|a| a.len() == 1))
    );
    let log = graph_requests(&sim);
    let batches = log
        .iter()
        .filter(|r| r.path.ends_with("$batch") && r.batch_item.is_none())
        .count();
    assert_eq!(batches, 3, "45 assignment reads in batches of 20");
}

/// What the storm reads: every kind, every group with owners, the provisioning client.
fn storm_scope() -> ReadScope {
    ReadScope::everything()
}

#[tokio::test]
async fn a_storm_of_429s_and_503s_reads_and_writes_correctly() {
    let calm = start(SimConfig::default()).await;
    seed(&calm, 300, 60, 3000);
    let scope = storm_scope();
    let expected = read_live_state(&client(&calm, Cloud::Commercial), &scope)
        .await
        .unwrap();

    let storm = start(
        SimConfig::default()
            .seed(42)
            .fault(FaultRule::throttle(0.01, 0.30))
            .fault(FaultRule::status(503, 0.05)),
    )
    .await;
    seed(&storm, 300, 60, 3000);
    let client = client(&storm, Cloud::Commercial);
    let read = read_live_state(&client, &scope).await.unwrap();
    assert_eq!(read.devices.len(), expected.devices.len());
    assert_eq!(read.objects.len(), expected.objects.len());
    assert_eq!(read.complete, expected.complete);
    for kind in [Kind::DeviceGroup, Kind::DeploymentProfile] {
        let names = |s: &hangar_model::LiveState| {
            s.objects_of(kind)
                .map(|o| o.display_name.clone())
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(names(&read), names(&expected), "{kind}");
    }
    // Writes through the storm: each create lands exactly once.
    for i in 0..40 {
        let group = body(
            json!({"displayName": format!("storm {i}"), "mailEnabled": false, "mailNickname": format!("storm{i}"), "securityEnabled": true}),
        );
        client.groups().create(&group).await.unwrap();
    }
    let created = storm
        .state()
        .groups
        .values()
        .filter(|g| g.display_name().starts_with("storm "))
        .count();
    assert_eq!(created, 40);
    let faults = storm.request_log().iter().filter(|r| r.fault.is_some()).count();
    assert!(faults > 50, "the storm was real ({faults} faults)");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sim = start(SimConfig::default()).await;
    sim.inject(FaultRule::throttle(0.8, 1.0).times(1));
    let client = client(&sim, Cloud::Commercial);
    let started = Instant::now();
    client.groups().list().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "retried before Retry-After"
    );
    let log = graph_requests(&sim);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, 429);
    assert_eq!(log[1].status, 200);
    assert_eq!(
        client.stats().retries.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn a_dropped_create_comes_back_as_outcome_unknown() {
    let sim = start(SimConfig::default()).await;
    sim.inject(
        FaultRule::drop_response(1.0)
            .methods(MethodClass::Writes)
            .times(1),
    );
    let client = client(&sim, Cloud::Commercial);
    let group = body(
        json!({"displayName": "Dropped", "mailEnabled": false, "mailNickname": "dropped", "securityEnabled": true}),
    );
    let err = client.groups().create(&group).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    // It committed; it was sent once; looking it up finds it.
    let posts = graph_requests(&sim).iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1);
    assert_eq!(client.groups().find_by_name("Dropped").await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_rate_limiter_keeps_long_writes_under_the_intune_budget() {
    // 250 Intune writes on a clock 25× real time: two and a half 20 s windows of 100 writes.
    // Not faster: the simulator counts a write when it arrives and the limiter when it is
    // sent, so the scheduling jitter of a loaded machine must stay well inside the limiter's
    // safety margin of the (scaled) window.
    let scale = 25.0;
    let sim = start(SimConfig::default().throttling(true).clock_scale(scale)).await;
    let esp_id = sim.with_state(|state| {
        state
            .enrollment_configurations
            .keys()
            .find(|id| !state.is_default_enrollment_configuration(id))
            .cloned()
    });
    let client = client_with(
        &sim,
        Cloud::Commercial,
        secret_credential(&sim),
        RateLimitConfig::scaled(scale),
    );
    // Sign in and connect first: the limiter takes a write's slot before the token request,
    // and a loaded machine can spend more than the limiter's margin on the first sign-in,
    // which would shift the first write's arrival into the next window.
    client.enrollment_configurations().list().await.unwrap();
    let created = client
        .enrollment_configurations()
        .create(
            &fields::ENROLLMENT_STATUS_PAGE,
            &body(json!({"displayName": "Limiter ESP", "showInstallationProgress": true})),
        )
        .await
        .unwrap();
    let id = resources::id_of(&created).unwrap().to_owned();
    let _ = esp_id;
    let started = std::time::Instant::now();
    for i in 0..249 {
        client
            .enrollment_configurations()
            .update(
                &fields::ENROLLMENT_STATUS_PAGE,
                &id,
                &body(json!({"description": format!("write {i}")})),
            )
            .await
            .unwrap();
    }
    let throttled: Vec<_> = sim
        .request_log()
        .into_iter()
        .filter(|r| r.status == 429)
        .collect();
    assert!(
        throttled.is_empty(),
        "the limiter kept every write inside the budget: {throttled:?}"
    );
    // 250 writes at 100 per 20 s need two full windows: 40 simulated seconds, 1.6 s of real
    // time at 25×. On an idle machine the writes are faster than that, so the limiter must
    // have waited; on a loaded one the writes themselves may take that long, and then waiting
    // was not needed. Either way the budget held without a 429 (asserted above).
    let waited = client
        .stats()
        .limiter_wait_ms
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        waited > 0 || started.elapsed() >= std::time::Duration::from_secs_f64(40.0 / scale),
        "250 writes took {:?} of real time without the limiter waiting: faster than the budget allows",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_live_state_of_a_whole_tenant() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 5, 3, 20);
    let client = client(&sim, Cloud::Commercial);
    let group = client
        .groups()
        .find_by_name("Autopilot group 00001")
        .await
        .unwrap();
    let group_id = resources::id_of(&group[0]).unwrap().to_owned();
    let provisioning = client
        .service_principals()
        .find_by_app_id(hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID)
        .await
        .unwrap()
        .expect("a fresh tenant has the Intune Provisioning Client");
    let sp_id = resources::id_of(&provisioning).unwrap().to_owned();
    client.groups().add_owner(&group_id, &sp_id).await.unwrap();
    client.groups().add_owner(&group_id, &sp_id).await.unwrap();

    // An ESP with a priority and an assignment; a domain join profile; a DPP policy.
    let esps = client.enrollment_configurations();
    let esp = esps
        .create(
            &fields::ENROLLMENT_STATUS_PAGE,
            &body(json!({"displayName": "Kiosk ESP", "priority": 9})),
        )
        .await
        .unwrap();
    let esp_id = resources::id_of(&esp).unwrap().to_owned();
    esps.set_priority(&esp_id, 1).await.unwrap();
    esps.assign(&esp_id, vec![resources::group_target(&group_id)])
        .await
        .unwrap();
    let dj = client
        .domain_join()
        .create(&body(json!({"displayName": "Hybrid DJ", "activeDirectoryDomainName": "corp.contoso.com", "computerNameStaticPrefix": "HY-", "computerNameSuffixRandomCharCount": 8})))
        .await
        .unwrap();
    client
        .domain_join()
        .assign(
            resources::id_of(&dj).unwrap(),
            vec![resources::group_target(&group_id)],
        )
        .await
        .unwrap();
    let dpp = client
        .device_preparation()
        .create(&body(json!({
            "name": "Device prep", "platforms": "windows10", "technologies": "enrollment",
            "templateReference": {"templateId": hangar_model::well_known::device_preparation::USER_DRIVEN_TEMPLATE_ID, "templateFamily": "enrollmentConfiguration"},
            "settings": [],
        })))
        .await
        .unwrap();
    let dpp_id = resources::id_of(&dpp).unwrap().to_owned();
    client
        .device_preparation()
        .set_membership_target(&dpp_id, std::slice::from_ref(&group_id))
        .await
        .unwrap();

    let state = read_live_state(&client, &ReadScope::everything()).await.unwrap();
    assert_eq!(state.complete, Kind::ALL.into_iter().collect());
    assert_eq!(state.provisioning_client_id.as_deref(), Some(sp_id.as_str()));
    assert_eq!(state.devices.len(), 20);
    let owned = state.object_by_id(&group_id).unwrap();
    assert_eq!(owned.owners.as_deref(), Some(&[sp_id.clone()][..]));
    let esps: Vec<_> = state.objects_of(Kind::EnrollmentStatusPage).collect();
    assert!(
        esps.iter().any(|e| e.builtin && e.assignments.is_none()),
        "the default ESP is built in"
    );
    let kiosk = esps.iter().find(|e| e.display_name == "Kiosk ESP").unwrap();
    assert!(!kiosk.builtin);
    assert_eq!(kiosk.property("priority"), Some(&json!(1)));
    assert_eq!(kiosk.assignments.as_ref().unwrap().len(), 1);
    assert!(state.objects_of(Kind::EnrollmentRestriction).any(|r| r.builtin));
    assert_eq!(state.objects_of(Kind::DomainJoinProfile).count(), 1);
    let policy = state.objects_of(Kind::DevicePreparationPolicy).next().unwrap();
    assert_eq!(
        policy.device_membership_targets.as_deref(),
        Some(&[group_id.clone()][..])
    );
    assert!(policy.settings.is_some() && policy.assignments.is_some());

    // Named group reads find only those names; unknown names are simply absent.
    let named = ReadScope {
        groups: GroupScope::Named(["Autopilot group 00002".to_owned(), "No such group".to_owned()].into()),
        ..ReadScope::named([Kind::DeviceGroup], [])
    };
    let state = read_live_state(&client, &named).await.unwrap();
    assert_eq!(state.objects.len(), 1);
    assert!(state.is_complete(Kind::DeviceGroup));
}

#[tokio::test]
async fn classic_profiles_are_not_requested_in_gcc_high() {
    let sim = start(SimConfig::default().cloud(crate::support::sim_cloud(Cloud::GccHigh))).await;
    let client = client(&sim, Cloud::GccHigh);
    let state = read_live_state(&client, &ReadScope::named([Kind::DeploymentProfile], []))
        .await
        .unwrap();
    assert!(state.is_complete(Kind::DeploymentProfile));
    assert!(graph_requests(&sim).is_empty());
}

#[tokio::test]
async fn a_failed_read_is_an_error_not_an_empty_kind() {
    let sim = start(SimConfig::default()).await;
    sim.inject(FaultRule::status(500, 1.0).path("/deviceManagement/windowsAutopilotDeploymentProfiles"));
    let client = client(&sim, Cloud::Commercial);
    let err = read_live_state(&client, &ReadScope::everything())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
}

#[tokio::test]
async fn the_rate_limiter_keeps_long_directory_writes_under_the_budget() {
    // A directory write budget of 100 per 20 s (tightened from 3,000 per 150 s so the test is
    // short) on a clock 100× real time; the client is told the same budget.
    let budgets = hangar_sim::Throttling {
        enabled: true,
        directory_app_writes: 100,
        directory_write_window_secs: 20.0,
        ..hangar_sim::Throttling::default()
    };
    let sim = start(
        SimConfig::default()
            .throttling_budgets(budgets)
            .clock_scale(100.0),
    )
    .await;
    let limits = RateLimitConfig {
        directory_writes: hangar_graph::rate_limit::Budget {
            limit: 100,
            window: Duration::from_secs(20),
        },
        ..RateLimitConfig::scaled(100.0)
    };
    let client = client_with(&sim, Cloud::Commercial, secret_credential(&sim), limits);
    let started = Instant::now();
    for i in 0..250 {
        let group = body(
            json!({"displayName": format!("paced {i}"), "mailEnabled": false, "mailNickname": format!("paced{i}"), "securityEnabled": true}),
        );
        client.groups().create(&group).await.unwrap();
    }
    let throttled = sim.request_log().iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 0, "the limiter kept every write inside the budget");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "two full windows had to pass"
    );
    assert_eq!(
        sim.state()
            .groups
            .values()
            .filter(|g| g.display_name().starts_with("paced "))
            .count(),
        250
    );

    // Control: without the limiter the same budget does draw 429s (and the client recovers).
    // A slower clock (2 s windows) makes sure 150 writes land inside one window.
    let control = start(
        SimConfig::default()
            .throttling_budgets(budgets_again())
            .clock_scale(10.0),
    )
    .await;
    let unlimited = client_with(
        &control,
        Cloud::Commercial,
        secret_credential(&control),
        RateLimitConfig::disabled(),
    );
    for i in 0..150 {
        let group = body(
            json!({"displayName": format!("unpaced {i}"), "mailEnabled": false, "mailNickname": format!("unpaced{i}"), "securityEnabled": true}),
        );
        unlimited.groups().create(&group).await.unwrap();
    }
    assert!(
        control.request_log().iter().any(|r| r.status == 429),
        "the simulator enforces the budget"
    );
}

fn budgets_again() -> hangar_sim::Throttling {
    hangar_sim::Throttling {
        enabled: true,
        directory_app_writes: 100,
        directory_write_window_secs: 20.0,
        ..hangar_sim::Throttling::default()
    }
}
