//! The saved-plan loader (`apply PLAN.json`), and the renderers on whatever it accepts.
#![no_main]

use hangar_plan::Plan;
use hangar_plan::render::{Wording, json, markdown, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(plan) = Plan::from_json(source) else {
        return;
    };
    let options = text::TextOptions {
        color: true,
        wording: Wording::Plan,
        device_limit: 20,
    };
    let shown = text::render(&plan, &options);
    let _ = markdown::render(&plan, Wording::Drift);
    // hangar's own colours aside, nothing from the file reaches the terminal as a control.
    let stripped = shown
        .replace("\u{1b}[32m", "")
        .replace("\u{1b}[33m", "")
        .replace("\u{1b}[31m", "")
        .replace("\u{1b}[1m", "")
        .replace("\u{1b}[2m", "")
        .replace("\u{1b}[0m", "");
    assert!(!stripped.contains('\u{1b}'), "{shown}");
    let again = Plan::from_json(&json::render(&plan)).expect("a rendered plan loads");
    assert_eq!(again, plan);
});
