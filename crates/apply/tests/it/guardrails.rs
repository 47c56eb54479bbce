//! The guardrails, end to end: a plan that breaks the configuration's limits is refused whole
//! by `hangar_apply::apply` before any request, whoever made the plan (issue 12 item 2's second
//! layer: a tampered saved plan that somehow passed the comparison with a fresh plan).

use hangar_apply::{Guardrails, Status};
use hangar_model::Kind;
use hangar_plan::{Action, ActionId, Address, Op, Reason};
use hangar_sim::GroupMembership;

use crate::support::{Env, load, show_report, sim_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_breaks_the_guardrails_is_refused_before_any_request() {
    let (_dir, config) = crate::support::commercial_with_pruning();
    let desired = load(&config);
    let env = Env::start(sim_config(&desired)).await;
    let (_, report) = env.apply(&desired).await;
    assert!(report.succeeded(), "{}", show_report(&report));
    let foreign = env
        .sim
        .with_state(|state| state.add_group("Finance Laptops", GroupMembership::Assigned));
    let (live, mut plan) = env.plan(&desired).await;
    let declared = live
        .objects_of(Kind::DeviceGroup)
        .find(|g| g.display_name == "Autopilot-Sales")
        .expect("applied")
        .id
        .clone();
    let next = plan.actions.len() as u32;
    let delete = |id: u32, name: &str, live_id: &str| Action {
        id: ActionId(id),
        address: Address::new(Kind::DeviceGroup, name),
        live_id: Some(live_id.to_owned()),
        destructive: true,
        reason: Reason::Pruned,
        depends_on: vec![],
        op: Op::Delete,
    };
    plan.actions.push(delete(next, "Autopilot-Sales", &declared));
    plan.actions.push(delete(next + 1, "Finance Laptops", &foreign));

    let before = env.writes().len();
    let mut options = env.options.clone();
    options.guardrails = Some(Guardrails::from_config(&desired));
    let report = hangar_apply::apply(&plan, &env.tenant(), Some(&live), &options, &()).await;
    assert!(report.failed());
    let refused = report.refused.join("\n");
    assert!(
        refused.contains("the configuration declares DeviceGroup/Autopilot-Sales"),
        "{refused}"
    );
    assert!(
        refused.contains("DeviceGroup/Finance Laptops (delete): outside `prune.only`"),
        "{refused}"
    );
    assert!(report.actions.iter().all(|a| a.status == Status::NotStarted));
    assert_eq!(env.writes().len(), before, "nothing was sent");
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["refused"].as_array().is_some_and(|r| r.len() == 2), "{json}");
}
