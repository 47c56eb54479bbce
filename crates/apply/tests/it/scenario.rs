//! The example configurations, applied to an empty tenant in each cloud mode: everything is
//! created in a valid order, the next plan is empty, and a second apply writes nothing.

use hangar_model::Kind;

use crate::support::{Env, load, policies, show, show_report, sim_config};

async fn converges(name: &str) {
    let desired = load(&policies(name));
    let env = Env::start(sim_config(&desired)).await;
    let (plan, report) = env.apply(&desired).await;
    assert!(plan.has_changes(), "an empty tenant needs everything");
    assert!(report.succeeded(), "{}", show_report(&report));
    assert_eq!(report.summary.done, plan.actions.len());

    let (_, again) = env.plan(&desired).await;
    assert!(
        !again.has_changes(),
        "the next plan is not empty:\n{}",
        show(&again)
    );

    env.sim.clear_request_log();
    let (plan, report) = env.apply(&desired).await;
    assert!(!plan.has_changes());
    assert!(report.succeeded());
    assert!(
        env.writes().is_empty(),
        "a second apply wrote: {:#?}",
        env.writes()
    );

    // No name twice.
    let live = env.read().await;
    for kind in Kind::ALL {
        let mut names: Vec<&str> = live.objects_of(kind).map(|o| o.display_name.as_str()).collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "duplicate {kind} names");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commercial_policies_converge_and_a_second_apply_writes_nothing() {
    converges("commercial").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcc_high_policies_converge_and_a_second_apply_writes_nothing() {
    converges("gcc-high").await;
}
