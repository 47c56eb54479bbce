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
    sim.request_log().into_iter().filter(|r| !r.path.contains("/oauth2/")).collect()
}

#[tokio::test]
async fn paging_reads_ten_thousand_objects_to_the_end() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 10_000, 0, 10_000);
    let client = client(&sim, Cloud::Commercial);
    let groups = client.groups().list().await.unwrap();
    assert_eq!(groups.len(), 10_000);
    let unique: BTreeSet<&str> = groups.iter().filter_map(resources::id_of).collect();
    assert_eq!(unique.len(), 10_000);
    let devices = client.autopilot_devices().list().await.unwrap();
    assert_eq!(devices.len(), 10_000);
    assert!(devices.iter().any(|d| d.serial() == "SN0009999"));
    let log = graph_requests(&sim);
    let group_pages = log.iter().filter(|r| r.path.starts_with("/v1.0/groups")).count();
    let device_pages = log.iter().filter(|r| r.path.contains("windowsAutopilotDeviceIdentities")).count();
    assert_eq!(group_pages, 10_000usize.div_ceil(999), "pages of 999 groups");
    assert_eq!(device_pages, 10, "pages of 1000 devices");
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
    assert!(profiles.iter().all(|p| p.assignments.as_ref().is_some_and(|a| a.len() == 1)));
    let log = graph_requests(&sim);
    let batches = log.iter().filter(|r| r.path.ends_with("$batch") && r.batch_item.is_none()).count();
    assert_eq!(batches, 3, "45 assignment reads in batches of 20");
}

#[tokio::test]
async fn a_storm_of_429s_and_503s_reads_and_writes_correctly() {
    let calm = start(SimConfig::default()).await;
    seed(&calm, 300, 60, 3000);
    let expected = read_live_state(&client(&calm, Cloud::Commercial), &ReadScope::everything()).await.unwrap();

    let storm = start(
        SimConfig::default()
            .seed(42)
            .fault(FaultRule::throttle(0.01, 0.30))
            .fault(FaultRule::status(503, 0.05)),
    )
    .await;
    seed(&storm, 300, 60, 3000);
    let client = client(&storm, Cloud::Commercial);
    let read = read_live_state(&client, &ReadScope::everything()).await.unwrap();
    assert_eq!(read.devices.len(), expected.devices.len());
    assert_eq!(read.objects.len(), expected.objects.len());
    assert_eq!(read.complete, expected.complete);
    for kind in [Kind::DeviceGroup, Kind::DeploymentProfile] {
        let names = |s: &hangar_model::LiveState| s.objects_of(kind).map(|o| o.display_name.clone()).collect::<BTreeSet<_>>();
        assert_eq!(names(&read), names(&expected), "{kind}");
    }
    // Writes through the storm: each create lands exactly once.
    for i in 0..40 {
        let group = body(json!({"displayName": format!("storm {i}"), "mailEnabled": false, "mailNickname": format!("storm{i}"), "securityEnabled": true}));
        client.groups().create(&group).await.unwrap();
    }
    let created = storm.state().groups.values().filter(|g| g.display_name().starts_with("storm ")).count();
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
    client.profiles().list().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(800), "retried before Retry-After");
    let log = graph_requests(&sim);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, 429);
    assert_eq!(log[1].status, 200);
    assert_eq!(client.stats().retries.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_dropped_create_comes_back_as_outcome_unknown() {
    let sim = start(SimConfig::default()).await;
    sim.inject(FaultRule::drop_response(1.0).methods(MethodClass::Writes).times(1));
    let client = client(&sim, Cloud::Commercial);
    let profile = body(json!({"@odata.type": hangar_model::well_known::odata::ENTRA_PROFILE, "displayName": "Dropped"}));
    let err = client.profiles().create(&profile).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    // It committed; it was sent once; looking it up finds it.
    let posts = graph_requests(&sim).iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1);
    let found: Vec<_> = client.profiles().list().await.unwrap().into_iter().filter(|p| p["displayName"] == "Dropped").collect();
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn the_rate_limiter_keeps_long_writes_under_the_intune_budget() {
    // 250 Intune writes on a clock 100× real time: two and a half 20 s windows of 100 writes.
    let sim = start(SimConfig::default().throttling(true).clock_scale(100.0)).await;
    let esp_id = sim.with_state(|state| {
        state.enrollment_configurations.keys().find(|id| !state.is_default_enrollment_configuration(id)).cloned()
    });
    let client = client_with(&sim, Cloud::Commercial, secret_credential(&sim), RateLimitConfig::scaled(100.0));
    let created = client
        .enrollment_configurations()
        .create(&fields::ENROLLMENT_STATUS_PAGE, &body(json!({"displayName": "Limiter ESP", "showInstallationProgress": true})))
        .await
        .unwrap();
    let id = resources::id_of(&created).unwrap().to_owned();
    let _ = esp_id;
    for i in 0..249 {
        client
            .enrollment_configurations()
            .update(&fields::ENROLLMENT_STATUS_PAGE, &id, &body(json!({"description": format!("write {i}")})))
            .await
            .unwrap();
    }
    let throttled = sim.request_log().iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 0, "the limiter kept every write inside the budget");
    assert!(client.stats().limiter_wait_ms.load(std::sync::atomic::Ordering::Relaxed) > 0, "it did have to wait");
}

#[tokio::test]
async fn the_live_state_of_a_whole_tenant() {
    let sim = start(SimConfig::default()).await;
    seed(&sim, 5, 3, 20);
    let client = client(&sim, Cloud::Commercial);
    let group = client.groups().find_by_name("Autopilot group 00001").await.unwrap();
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
    let esp = esps.create(&fields::ENROLLMENT_STATUS_PAGE, &body(json!({"displayName": "Kiosk ESP", "priority": 9}))).await.unwrap();
    let esp_id = resources::id_of(&esp).unwrap().to_owned();
    esps.set_priority(&esp_id, 1).await.unwrap();
    esps.assign(&esp_id, vec![resources::group_target(&group_id)]).await.unwrap();
    let dj = client
        .domain_join()
        .create(&body(json!({"displayName": "Hybrid DJ", "activeDirectoryDomainName": "corp.contoso.com", "computerNameStaticPrefix": "HY-", "computerNameSuffixRandomCharCount": 8})))
        .await
        .unwrap();
    client.domain_join().assign(resources::id_of(&dj).unwrap(), vec![resources::group_target(&group_id)]).await.unwrap();
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
    client.device_preparation().set_membership_target(&dpp_id, std::slice::from_ref(&group_id)).await.unwrap();

    let state = read_live_state(&client, &ReadScope::everything()).await.unwrap();
    assert_eq!(state.complete, Kind::ALL.into_iter().collect());
    assert_eq!(state.provisioning_client_id.as_deref(), Some(sp_id.as_str()));
    assert_eq!(state.devices.len(), 20);
    let owned = state.object_by_id(&group_id).unwrap();
    assert_eq!(owned.owners.as_deref(), Some(&[sp_id.clone()][..]));
    let esps: Vec<_> = state.objects_of(Kind::EnrollmentStatusPage).collect();
    assert!(esps.iter().any(|e| e.builtin && e.assignments.is_none()), "the default ESP is built in");
    let kiosk = esps.iter().find(|e| e.display_name == "Kiosk ESP").unwrap();
    assert!(!kiosk.builtin);
    assert_eq!(kiosk.property("priority"), Some(&json!(1)));
    assert_eq!(kiosk.assignments.as_ref().unwrap().len(), 1);
    assert!(state.objects_of(Kind::EnrollmentRestriction).any(|r| r.builtin));
    assert_eq!(state.objects_of(Kind::DomainJoinProfile).count(), 1);
    let policy = state.objects_of(Kind::DevicePreparationPolicy).next().unwrap();
    assert_eq!(policy.device_membership_targets.as_deref(), Some(&[group_id.clone()][..]));
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
    let state = read_live_state(&client, &ReadScope::named([Kind::DeploymentProfile], [])).await.unwrap();
    assert!(state.is_complete(Kind::DeploymentProfile));
    assert!(graph_requests(&sim).is_empty());
}

#[tokio::test]
async fn a_failed_read_is_an_error_not_an_empty_kind() {
    let sim = start(SimConfig::default()).await;
    sim.inject(FaultRule::status(500, 1.0).path("/deviceManagement/windowsAutopilotDeploymentProfiles"));
    let client = client(&sim, Cloud::Commercial);
    let err = read_live_state(&client, &ReadScope::everything()).await.unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
}
