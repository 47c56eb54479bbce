//! Evaluation cost: every rule against 100,000 devices, the shape of offline routing.
//!
//! `cargo bench -p hangar-membership --bench evaluate`. A plain timing loop (no harness
//! dependency); it prints the best of three runs.

use std::time::{Duration, Instant};

use hangar_membership::{KnownDevice, group_tag_rule, parse};

fn main() {
    let tags: Vec<String> = (0..20).map(|i| format!("Dept{i}")).collect();
    let mut texts: Vec<String> = tags.iter().map(|t| group_tag_rule(t)).collect();
    texts.push(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#.into());
    texts.push(
        r#"(device.devicePhysicalIds -any (_ -startsWith "[OrderID]:Dept1")) -and (device.displayName -match "^ENG-\d+$")"#
            .into(),
    );
    texts.push(r#"device.enrollmentProfileName -in ["Kiosk", "Shared", "Lab"] -or device.displayName -notStartsWith "X""#.into());
    let rules: Vec<_> = texts
        .iter()
        .map(|t| parse(t).unwrap_or_else(|e| panic!("benchmark rule refused: {e}")))
        .collect();
    let devices: Vec<KnownDevice> = (0..100_000)
        .map(|i| {
            KnownDevice::new(format!("5CG{i:07}"))
                .with_group_tag(tags[i % tags.len()].clone())
                .with_display_name(format!("ENG-{i}"))
        })
        .collect();

    let mut best = Duration::MAX;
    let mut hits = 0usize;
    for _ in 0..3 {
        let start = Instant::now();
        hits = 0;
        for device in &devices {
            hits += rules.iter().filter(|r| r.matches(device)).count();
        }
        best = best.min(start.elapsed());
    }
    let evaluations = rules.len() * devices.len();
    #[allow(clippy::print_stdout)]
    {
        println!(
            "{} rules x {} devices = {evaluations} evaluations in {best:?} ({:.1} ns each, {hits} matches)",
            rules.len(),
            devices.len(),
            best.as_nanos() as f64 / evaluations as f64
        );
    }
}
