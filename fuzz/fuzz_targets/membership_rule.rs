//! The membership-rule parser: arbitrary text, and the rule a group tag generates.
#![no_main]

use hangar_membership::{KnownDevice, MAX_RULE_CHARS, group_tag_rule, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rule) = parse(text) {
        // The canonical text parses back to the same rule.
        let canonical = rule.canonical();
        let again = parse(&canonical).expect("the canonical text parses");
        assert_eq!(again, rule, "{canonical}");
        let device = KnownDevice::new("5CG1").with_group_tag(text);
        let _ = rule.matches(&device);
        let _ = rule.warnings();
    }
    // Generation and parsing agree on escapes: any tag reads back from its rule.
    let generated = group_tag_rule(text);
    if generated.chars().count() <= MAX_RULE_CHARS {
        let rule = parse(&generated).expect("a generated rule parses");
        assert_eq!(rule.exact_group_tag(), Some(text));
    }
});
