//! The convergence property: a random valid configuration, applied with faults on (30 % 429,
//! 5 % 503, 3 % 500 on writes, 5 % of writes committed with their answer dropped, groups
//! replicating to Intune after 10 simulated seconds) to a random starting tenant, leaves
//!
//! - an empty next plan;
//! - no kind with two objects of one name;
//! - every object outside the configuration and outside the pruning scope as it was;
//! - nothing to write on a second apply.
//!
//! A starting tenant is what applying another random configuration over the same names made
//! (so objects get updated, re-assigned, re-prioritised, replaced and pruned), plus objects an
//! admin made by hand. Cases come from a fixed seed, and every simulator fault from the case's
//! seed: a failure replays exactly.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use hangar_model::Kind;
use hangar_sim::{FaultRule, GroupMembership, MethodClass, SimState};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::support::{Env, is_write, load, show, show_report, sim_config};

const TENANT_ID: &str = "7c1b9e52-3f4d-4a6e-9b2c-0d8e1f5a7c30";
const GROUPS: usize = 5;
const PROFILES: usize = 4;
const ESPS: usize = 3;

#[derive(Debug, Clone)]
struct GroupSpec {
    tagged: bool,
    description: u8,
}

#[derive(Debug, Clone)]
struct ProfileSpec {
    self_deploying: bool,
    virtual_machine: bool,
    locale: u8,
    description: u8,
}

#[derive(Debug, Clone)]
struct EspSpec {
    timeout: u32,
    group: usize,
}

/// One configuration over the fixed universe of names.
#[derive(Debug, Clone)]
struct Spec {
    groups: Vec<Option<GroupSpec>>,
    profiles: Vec<Option<ProfileSpec>>,
    esps: Vec<Option<EspSpec>>,
    prune: bool,
    rotate: usize,
}

#[derive(Debug, Clone)]
struct Case {
    start: Spec,
    target: Spec,
    manual: usize,
    seed: u64,
}

fn group_spec() -> impl Strategy<Value = Option<GroupSpec>> {
    proptest::option::weighted(
        0.75,
        (any::<bool>(), 0..2u8).prop_map(|(tagged, description)| GroupSpec { tagged, description }),
    )
}

fn profile_spec() -> impl Strategy<Value = Option<ProfileSpec>> {
    proptest::option::weighted(
        0.7,
        (any::<bool>(), proptest::bool::weighted(0.25), 0..2u8, 0..2u8).prop_map(
            |(self_deploying, virtual_machine, locale, description)| ProfileSpec {
                self_deploying,
                virtual_machine,
                locale,
                description,
            },
        ),
    )
}

fn esp_spec() -> impl Strategy<Value = Option<EspSpec>> {
    proptest::option::weighted(
        0.6,
        (30..180u32, 0..GROUPS).prop_map(|(timeout, group)| EspSpec { timeout, group }),
    )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(group_spec(), GROUPS),
        proptest::collection::vec(profile_spec(), PROFILES),
        proptest::collection::vec(esp_spec(), ESPS),
        any::<bool>(),
        0..GROUPS,
    )
        .prop_map(|(groups, profiles, esps, prune, rotate)| Spec {
            groups,
            profiles,
            esps,
            prune,
            rotate,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (spec(), spec(), 0..3usize, any::<u64>()).prop_map(|(start, target, manual, seed)| Case {
        start,
        target,
        manual,
        seed,
    })
}

fn group_name(i: usize) -> String {
    format!("AP-Group-{i}")
}

/// Writes `spec` as a configuration directory.
fn write(spec: &Spec, dir: &Path) {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "kind: Tenant\nname: property\ncloud: commercial\ntenantId: {TENANT_ID}\nprune:\n  enabled: {}\n  only:\n    - DeviceGroup/AP-*\n    - DeploymentProfile/AP *\n    - EnrollmentStatusPage/AP *\n  maxDeletes: 50",
        spec.prune
    );
    let included: Vec<usize> = (0..GROUPS).filter(|&i| spec.groups[i].is_some()).collect();
    for &i in &included {
        let group = spec.groups[i].as_ref().expect("included");
        let membership = if group.tagged {
            format!("\n  groupTag: Tag{i}")
        } else {
            " assigned".to_owned()
        };
        let _ = writeln!(
            text,
            "---\nkind: DeviceGroup\nname: {}\ndescription: Group {i} version {}\nmembership:{membership}",
            group_name(i),
            group.description
        );
    }
    // Each profile gets a group of its own (two profiles on one group would route one device
    // two ways), rotated so that configurations differ in their assignments.
    for (j, profile) in spec.profiles.iter().enumerate() {
        let Some(profile) = profile else { continue };
        // A virtual machine cannot do the TPM attestation self-deploying needs
        // (`profile/virtual-machine-attestation`): those stay user-driven.
        let mode = if profile.self_deploying && !profile.virtual_machine {
            "self-deploying"
        } else {
            "user-driven"
        };
        let device_type = if profile.virtual_machine {
            "virtual-machine"
        } else {
            "windows-pc"
        };
        let locale = ["en-US", "fr-FR"][usize::from(profile.locale)];
        let _ = write!(
            text,
            "---\nkind: DeploymentProfile\nname: AP Profile {j}\ndescription: Profile {j} version {}\njoin: entra\nmode: {mode}\ndeviceType: {device_type}\ndeviceName: P{j}-%RAND:5%\nlocale: {locale}\n",
            profile.description
        );
        if j < included.len() {
            let group = included[(j + spec.rotate) % included.len()];
            let _ = writeln!(text, "assign:\n  include: [{}]", group_name(group));
        }
    }
    let mut priority = 0;
    for (k, esp) in spec.esps.iter().enumerate() {
        let Some(esp) = esp else { continue };
        priority += 1;
        let _ = write!(
            text,
            "---\nkind: EnrollmentStatusPage\nname: AP ESP {k}\npriority: {priority}\ntimeoutMinutes: {}\n",
            esp.timeout
        );
        if let Some(&group) = included.get(esp.group % included.len().max(1)) {
            let _ = writeln!(text, "assign:\n  include: [{}]", group_name(group));
        }
    }
    std::fs::write(dir.join("tenant.yaml"), text).expect("written");
}

/// Objects an admin made by hand: a group and a profile assigned to it.
fn seed_manual(state: &mut SimState, count: usize) {
    for i in 0..count {
        let group = state.add_group(&format!("Manual Group {i}"), GroupMembership::Assigned);
        let profile = state.add_profile(&format!("Manual Profile {i}"), json!({"locale": "de-DE"}));
        let id = state.new_guid();
        if let Some(profile) = state.deployment_profiles.get_mut(&profile) {
            profile.assignments.push(hangar_sim::Assignment {
                id,
                target: json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}),
            });
        }
    }
}

/// Every object with its properties and assignments, by id (priorities left out: re-ordering
/// the managed objects shifts the others, as in Intune).
fn snapshot(state: &SimState) -> BTreeMap<String, (String, Value)> {
    let mut out = BTreeMap::new();
    for (id, group) in &state.groups {
        out.insert(
            id.clone(),
            (
                group.display_name().to_owned(),
                json!({"p": group.properties, "o": group.owners}),
            ),
        );
    }
    for object in state
        .deployment_profiles
        .values()
        .chain(state.enrollment_configurations.values())
    {
        let mut properties = object.properties.clone();
        properties.remove("priority");
        let assignments: Vec<&Value> = object.assignments.iter().map(|a| &a.target).collect();
        out.insert(
            object.id.clone(),
            (
                object.display_name().to_owned(),
                json!({"p": properties, "a": assignments}),
            ),
        );
    }
    out
}

async fn check(case: Case) -> Result<(), TestCaseError> {
    let start_dir = tempfile::tempdir().expect("temp dir");
    let target_dir = tempfile::tempdir().expect("temp dir");
    write(&case.start, start_dir.path());
    write(&case.target, target_dir.path());
    let start = load(start_dir.path());
    let target = load(target_dir.path());

    // The starting tenant: the first configuration, applied cleanly, and hand-made objects.
    let env = Env::start(sim_config(&start).seed(case.seed)).await;
    let (_, report) = env.apply(&start).await;
    prop_assert!(report.succeeded(), "setup failed: {}", show_report(&report));
    env.sim.with_state(|state| seed_manual(state, case.manual));

    // What must not change: hand-made objects, and hangar's own when the target does not
    // prune.
    let before = env.sim.with_state(|state| snapshot(state));
    let managed = |name: &str| {
        target.groups.iter().any(|g| g.meta.name.value == name)
            || target.profiles.iter().any(|p| p.meta.name.value == name)
            || target.esps.iter().any(|e| e.meta.name.value == name)
    };
    let in_prune_scope = |name: &str| case.target.prune && name.starts_with("AP");
    let untouched: Vec<(String, String, Value)> = before
        .iter()
        .filter(|(_, (name, _))| !managed(name) && !in_prune_scope(name))
        .map(|(id, (name, value))| (id.clone(), name.clone(), value.clone()))
        .collect();

    // Faults on.
    for rule in [
        FaultRule::throttle(2.0, 0.3),
        FaultRule::status(503, 0.05),
        FaultRule::status(500, 0.03)
            .methods(MethodClass::Writes)
            .path("/deviceManagement"),
        FaultRule::status(500, 0.03)
            .methods(MethodClass::Writes)
            .path("/groups"),
        FaultRule::drop_response(0.05).path("/deviceManagement"),
        FaultRule::drop_response(0.05).path("/groups"),
    ] {
        env.sim.inject(rule);
    }
    let (plan, report) = env.apply(&target).await;
    prop_assert!(
        report.succeeded(),
        "apply failed:\n{}\n{}",
        show(&plan),
        show_report(&report)
    );
    env.sim.clear_faults();

    let (live, again) = env.plan(&target).await;
    prop_assert!(
        !again.has_changes(),
        "the next plan is not empty:\n{}",
        show(&again)
    );
    for kind in Kind::ALL {
        let mut names: Vec<&str> = live.objects_of(kind).map(|o| o.display_name.as_str()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        prop_assert_eq!(names.len(), count, "two {} objects share a name", kind);
    }
    let after = env.sim.with_state(|state| snapshot(state));
    for (id, name, value) in &untouched {
        match after.get(id) {
            Some((_, now)) => prop_assert_eq!(now, value, "`{}` outside the config changed", name),
            None => prop_assert!(false, "`{}` outside the config and prune scope was deleted", name),
        }
    }

    env.sim.clear_request_log();
    let (plan, report) = env.apply(&target).await;
    prop_assert!(!plan.has_changes() && report.succeeded());
    let writes: Vec<_> = env.sim.request_log().into_iter().filter(is_write).collect();
    prop_assert!(writes.is_empty(), "a second apply wrote: {:?}", writes);
    Ok(())
}

#[test]
fn random_configurations_converge_on_random_tenants_under_faults() {
    let config = Config {
        cases: 8,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&case(), |case| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(check(case))
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
