//! Behaviour tests of the public API: operators, precedence, case rules, errors.

use super::*;

#[test]
fn parses_the_group_tag_rule() {
    let rule = parse(&group_tag_rule("Sales")).expect("valid");
    assert_eq!(rule.exact_group_tag(), Some("Sales"));
}
