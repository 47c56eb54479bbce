//! Behaviour tests of the public API: operators, precedence, case rules, errors, equality.

use super::*;

/// A device built from literal pairs, to keep tests short.
struct Device {
    props: Vec<(&'static str, &'static str)>,
    ids: Vec<String>,
}

fn device(props: &[(&'static str, &'static str)], ids: &[&str]) -> Device {
    Device {
        props: props.to_vec(),
        ids: ids.iter().map(|s| s.to_string()).collect(),
    }
}

impl DeviceAttributes for Device {
    fn property(&self, name: &str) -> Option<&str> {
        self.props.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
    fn physical_ids(&self) -> &[String] {
        &self.ids
    }
}

fn rule(text: &str) -> Rule {
    match parse(text) {
        Ok(rule) => rule,
        Err(e) => panic!("{text:?} should parse, got {e:?}"),
    }
}

fn err(text: &str) -> RuleError {
    match parse(text) {
        Ok(rule) => panic!("{text:?} should fail, parsed as {rule}"),
        Err(e) => e,
    }
}

/// The offending text an error points at.
fn spanned<'a>(text: &'a str, e: &RuleError) -> &'a str {
    &text[e.offset..e.offset + e.len]
}

fn named(name: &'static str) -> Device {
    device(&[("displayName", name)], &[])
}

// ---------------------------------------------------------------- operators

#[test]
fn every_string_operator_on_a_property() {
    let d = named("ENG-5CG1234");
    let cases = [
        (r#"device.displayName -eq "eng-5cg1234""#, true),
        (r#"device.displayName -eq "ENG""#, false),
        (r#"device.displayName -ne "ENG""#, true),
        (r#"device.displayName -ne "ENG-5CG1234""#, false),
        (r#"device.displayName -startsWith "eng-""#, true),
        (r#"device.displayName -startsWith "5CG""#, false),
        (r#"device.displayName -notStartsWith "5CG""#, true),
        (r#"device.displayName -notStartsWith "ENG""#, false),
        (r#"device.displayName -endsWith "1234""#, true),
        (r#"device.displayName -endsWith "ENG""#, false),
        (r#"device.displayName -notEndsWith "ENG""#, true),
        (r#"device.displayName -notEndsWith "234""#, false),
        (r#"device.displayName -contains "5cg""#, true),
        (r#"device.displayName -contains "XYZ""#, false),
        (r#"device.displayName -notContains "XYZ""#, true),
        (r#"device.displayName -notContains "G-5""#, false),
        (r#"device.displayName -match "^eng-\d+""#, true),
        (r#"device.displayName -match "^eng-[a-z]""#, false),
        (r#"device.displayName -match "^eng-\d?[a-z]+\d+$""#, true),
        (r#"device.displayName -notMatch "^HR-""#, true),
        (r#"device.displayName -notMatch "5cg""#, false),
        (r#"device.displayName -in ["HR-1", "eng-5cg1234"]"#, true),
        (r#"device.displayName -in ["HR-1", "ENG"]"#, false),
        (r#"device.displayName -notIn ["HR-1", "ENG"]"#, true),
        (r#"device.displayName -notIn ["ENG-5CG1234"]"#, false),
    ];
    for (text, expected) in cases {
        assert_eq!(rule(text).matches(&d), expected, "{text}");
    }
}

#[test]
fn every_string_operator_on_physical_ids() {
    let d = device(
        &[],
        &["[ZTDID]:abc", "[OrderId]:Sales-EU", "[PurchaseOrderId]:77"],
    );
    let cases = [
        (
            r#"device.devicePhysicalIds -any (_ -eq "[OrderID]:sales-eu")"#,
            true,
        ),
        (
            r#"device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")"#,
            false,
        ),
        (
            r#"device.devicePhysicalIds -any (_ -ne "[OrderID]:Sales-EU")"#,
            true,
        ),
        (
            r#"device.devicePhysicalIds -all (_ -ne "[OrderID]:Sales-EU")"#,
            false,
        ),
        (r#"device.devicePhysicalIds -any (_ -startsWith "[ZTDId]")"#, true),
        (
            r#"device.devicePhysicalIds -all (_ -notStartsWith "[HWID]")"#,
            true,
        ),
        (r#"device.devicePhysicalIds -any (_ -endsWith ":77")"#, true),
        (r#"device.devicePhysicalIds -all (_ -notEndsWith ":77")"#, false),
        (r#"device.devicePhysicalIds -any (_ -contains "[ZTDID]")"#, true),
        (
            r#"device.devicePhysicalIds -all (_ -notContains "[ZTDID]")"#,
            false,
        ),
        (
            r#"device.devicePhysicalIds -any (_ -match "^\[orderid\]:sales")"#,
            true,
        ),
        (r#"device.devicePhysicalIds -all (_ -notMatch "^\[HWID\]")"#, true),
        (
            r#"device.devicePhysicalIds -any (_ -in ["[OrderID]:HR", "[OrderID]:Sales-EU"])"#,
            true,
        ),
        (
            r#"device.devicePhysicalIds -all (_ -notIn ["[OrderID]:HR"])"#,
            true,
        ),
        (r#"device.devicePhysicalIds -all (_ -startsWith "[")"#, true),
    ];
    for (text, expected) in cases {
        assert_eq!(rule(text).matches(&d), expected, "{text}");
    }
}

#[test]
fn null_and_missing_properties() {
    let none = device(&[], &[]);
    let some = named("PC");
    assert!(rule("device.displayName -eq null").matches(&none));
    assert!(!rule("device.displayName -eq null").matches(&some));
    assert!(rule("device.displayName -ne null").matches(&some));
    assert!(!rule("device.displayName -ne null").matches(&none));
    assert!(rule("device.objectId -ne NULL").matches(&device(&[("objectId", "x")], &[])));
    // Negated operators are the negation of their positive form, also on null.
    assert!(rule(r#"device.displayName -ne "PC""#).matches(&none));
    assert!(rule(r#"device.displayName -notContains "P""#).matches(&none));
    assert!(rule(r#"device.displayName -notIn ["PC"]"#).matches(&none));
    assert!(!rule(r#"device.displayName -startsWith """#).matches(&none));
    // "null" in quotes is the four-letter string.
    assert!(rule(r#"device.displayName -eq "null""#).matches(&named("NULL")));
}

#[test]
fn booleans() {
    let enabled = device(&[("accountEnabled", "True"), ("isRooted", "false")], &[]);
    assert!(rule("device.accountEnabled -eq true").matches(&enabled));
    assert!(!rule("device.accountEnabled -eq false").matches(&enabled));
    assert!(rule("device.accountEnabled -ne false").matches(&enabled));
    assert!(rule("device.isRooted -eq FALSE").matches(&enabled));
    assert!(rule("device.isRooted -ne null").matches(&enabled));
    assert!(!rule("device.accountEnabled -eq true").matches(&device(&[], &[])));
}

#[test]
fn any_and_all_on_an_empty_collection() {
    let none = device(&[], &[]);
    assert!(!rule(r#"device.devicePhysicalIds -any (_ -startsWith "[ZTDID]")"#).matches(&none));
    assert!(rule(r#"device.devicePhysicalIds -all (_ -startsWith "[ZTDID]")"#).matches(&none));
}

#[test]
fn compound_predicates_inside_any() {
    let r = rule(
        r#"device.devicePhysicalIds -any (_ -startsWith "[OrderID]:" -and -not (_ -eq "[OrderID]:Lab"))"#,
    );
    assert!(r.matches(&device(&[], &["[OrderId]:Sales"])));
    assert!(!r.matches(&device(&[], &["[OrderId]:Lab"])));
    assert!(!r.matches(&device(&[], &["[ZTDID]:x"])));
}

// ---------------------------------------------------------------- precedence

#[test]
fn and_binds_tighter_than_or() {
    // a -or b -and c  ==  a -or (b -and c)
    let r =
        rule(r#"device.displayName -eq "A" -or device.deviceModel -eq "B" -and device.deviceOSType -eq "C""#);
    assert!(r.matches(&device(&[("displayName", "A")], &[])));
    assert!(!r.matches(&device(&[("deviceModel", "B")], &[])));
    assert!(r.matches(&device(&[("deviceModel", "B"), ("deviceOSType", "C")], &[])));
    assert_eq!(
        r,
        rule(
            r#"(device.displayName -eq "A") -or ((device.deviceModel -eq "B") -and (device.deviceOSType -eq "C"))"#
        )
    );
    assert_ne!(
        r,
        rule(
            r#"((device.displayName -eq "A") -or (device.deviceModel -eq "B")) -and (device.deviceOSType -eq "C")"#
        )
    );
}

#[test]
fn not_binds_tighter_than_and() {
    // -not a -and b  ==  (-not a) -and b
    let r = rule(r#"-not device.displayName -eq "A" -and device.deviceModel -eq "B""#);
    assert!(r.matches(&device(&[("displayName", "X"), ("deviceModel", "B")], &[])));
    assert!(!r.matches(&device(&[("displayName", "X")], &[])));
    assert!(!r.matches(&device(&[("displayName", "A"), ("deviceModel", "B")], &[])));
    assert_eq!(
        r.canonical(),
        r#"-not (device.displayName -eq "A") -and (device.deviceModel -eq "B")"#
    );
}

#[test]
fn parentheses_override_precedence() {
    let r = rule(r#"-not (device.displayName -eq "A" -and device.deviceModel -eq "B")"#);
    assert!(r.matches(&device(&[("displayName", "A")], &[])));
    assert!(!r.matches(&device(&[("displayName", "A"), ("deviceModel", "B")], &[])));
}

#[test]
fn documented_examples_parse() {
    for text in [
        r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#,
        r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#,
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881"))"#,
        r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342"))"#,
        r#"device.devicePhysicalIDs -any _ -startsWith "[ZTDId]""#,
        r#"(device.devicePhysicalIds -any _ -eq "[OrderID]:179887111881")"#,
        r#"(device.deviceOSType -eq "iPad") -or (device.deviceOSType -eq "iOS")"#,
        r#"device.deviceOSVersion -startsWith "10.0.1""#,
        r#"device.deviceOwnership -eq "Company""#,
        r#"device.enrollmentProfileName -eq "DEP iPhones""#,
        r#"device.objectId -ne null"#,
        r#"device.systemLabels -startsWith "M365Managed""#,
        r#"device.extensionAttribute15 -eq "some string value""#,
        r#"device.deviceTrustType -eq "AzureAD""#,
        r#"device.managementType -eq "MDM""#,
        r#"device.profileType -eq "RegisteredDevice""#,
        r#"device.isRooted -eq true"#,
        r#"device.deviceManagementAppId -eq "0000000a-0000-0000-c000-000000000000""#,
    ] {
        rule(text);
    }
}

// ---------------------------------------------------------------- case rules

#[test]
fn operators_and_keywords_are_case_insensitive() {
    let a = rule(
        r#"device.displayName -EQ "PC" -AND -Not device.accountEnabled -eQ TRUE -Or device.deviceModel -StartsWith "x""#,
    );
    let b = rule(
        r#"device.displayName -eq "PC" -and -not device.accountEnabled -eq true -or device.deviceModel -startsWith "x""#,
    );
    assert_eq!(a, b);
    assert_eq!(a.canonical(), b.canonical());
    assert_eq!(
        rule(r#"device.devicePhysicalIds -ANY (_ -EQ "x")"#),
        rule(r#"device.devicePhysicalIds -any (_ -eq "x")"#)
    );
}

#[test]
fn operators_may_omit_the_hyphen() {
    assert_eq!(
        rule(r#"device.displayName eq "PC""#),
        rule(r#"device.displayName -eq "PC""#)
    );
    assert_eq!(
        rule(r#"device.devicePhysicalIds any (_ startsWith "[ZTDID]")"#),
        rule(r#"device.devicePhysicalIds -any (_ -startsWith "[ZTDID]")"#)
    );
}

#[test]
fn string_comparisons_ignore_case_but_equality_of_rules_does_not() {
    assert!(
        rule(r#"device.deviceOSType -eq "WINDOWS""#).matches(&device(&[("deviceOSType", "Windows")], &[]))
    );
    assert!(
        rule(r#"device.deviceOSType -match "^win""#).matches(&device(&[("deviceOSType", "Windows")], &[]))
    );
    assert_ne!(
        group_tag_rule("Sales").parse::<Rule>().ok(),
        group_tag_rule("sales").parse::<Rule>().ok()
    );
}

#[test]
fn both_documented_spellings_of_device_physical_ids_are_one_property() {
    assert_eq!(
        rule(r#"device.devicePhysicalIDs -any (_ -eq "[OrderID]:A")"#),
        rule(r#"device.devicePhysicalIds -any (_ -eq "[OrderID]:A")"#)
    );
}

#[test]
fn property_names_are_case_sensitive() {
    let text = r#"device.deviceOsType -eq "Windows""#;
    let e = err(text);
    assert_eq!(spanned(text, &e), "deviceOsType");
    assert!(e.message.contains("case-sensitive"), "{}", e.message);
    assert_eq!(e.help.as_deref(), Some("device.deviceOSType"));

    let text = r#"device.devicephysicalids -any (_ -eq "x")"#;
    assert_eq!(spanned(text, &err(text)), "devicephysicalids");

    let text = r#"Device.displayName -eq "x""#;
    let e = err(text);
    assert_eq!(spanned(text, &e), "Device");
}

// ---------------------------------------------------------------- -any forms

#[test]
fn both_any_forms_are_the_same_rule() {
    let bare = rule(r#"device.devicePhysicalIds -any _ -eq "[OrderID]:Sales""#);
    let wrapped = rule(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#);
    assert_eq!(bare, wrapped);
    assert_eq!(bare.canonical(), group_tag_rule("Sales"));
    let d = device(&[], &["[OrderId]:Sales"]);
    assert!(bare.matches(&d) && wrapped.matches(&d));
}

#[test]
fn bare_any_form_inside_parentheses_combines() {
    let r = rule(
        r#"(device.devicePhysicalIds -any _ -eq "[OrderID]:A") -and (device.deviceOSType -eq "Windows")"#,
    );
    assert!(r.matches(&device(&[("deviceOSType", "Windows")], &["[OrderId]:A"])));
    assert!(!r.matches(&device(&[], &["[OrderId]:A"])));
}

#[test]
fn parenthesised_any_predicate_ends_at_its_parenthesis() {
    let r = rule(r#"device.devicePhysicalIds -any (_ -eq "[OrderID]:A") -or device.displayName -eq "X""#);
    assert!(r.matches(&named("X")));
    assert!(r.matches(&device(&[], &["[OrderId]:a"])));
}

#[test]
fn bare_any_form_followed_by_and_is_ambiguous() {
    let text = r#"device.devicePhysicalIds -any _ -eq "[OrderID]:A" -and device.displayName -eq "X""#;
    let e = err(text);
    assert_eq!(spanned(text, &e), "-and");
    assert!(e.help.is_some());
    let text = r#"device.devicePhysicalIds -all _ -ne "a" -OR device.displayName -eq "X""#;
    assert_eq!(spanned(text, &err(text)), "-OR");
}

// ---------------------------------------------------------------- errors and their positions

#[test]
fn unknown_property_points_at_the_name_and_suggests() {
    let text = r#"(device.enrolmentProfileName -eq "Kiosk")"#;
    let e = err(text);
    assert_eq!((e.offset, e.len), (8, 20));
    assert_eq!(e.help.as_deref(), Some("did you mean `enrollmentProfileName`?"));
    assert_eq!(e.line_column(text), (1, 9));
}

#[test]
fn unknown_operator_suggests() {
    let text = r#"device.displayName -startswit "A""#;
    let e = err(text);
    assert_eq!(spanned(text, &e), "-startswit");
    assert_eq!(e.help.as_deref(), Some("did you mean `-startsWith`?"));
}

#[test]
fn errors_point_at_the_right_column_on_later_lines() {
    let text = "(device.displayName -eq \"A\")\n  -and (device.deviceModel -eq B)";
    let e = err(text);
    assert_eq!(spanned(text, &e), "B");
    assert_eq!(e.line_column(text), (2, 32));
    assert_eq!(e.help.as_deref(), Some("\"B\""));
}

#[test]
fn structural_errors() {
    let cases: &[(&str, &str)] = &[
        // (rule, the text the error must point at)
        (r#"(device.displayName -eq "A""#, ""),
        (r#"device.displayName -eq "A")"#, ")"),
        (
            r#"device.displayName -eq "A" device.deviceModel -eq "B""#,
            "device.deviceModel",
        ),
        (r#"device.displayName -eq"#, ""),
        (r#"device.displayName"#, ""),
        (r#"device.displayName -eq "A" -and"#, ""),
        (r#"() "#, ")"),
        (r#"-and device.displayName -eq "A""#, "-and"),
        (
            r#"device.displayName -eq "A" and device.deviceModel -eq "B""#,
            "and",
        ),
        (r#"_ -eq "A""#, "_"),
        (
            r#"device.devicePhysicalIds -any (device.displayName -eq "A")"#,
            "device.displayName",
        ),
        (
            r#"device.devicePhysicalIds -any (_ -eq "A" -or device.displayName -eq "B")"#,
            "device.displayName",
        ),
        (r#"device.devicePhysicalIds -eq "A""#, "-eq"),
        (r#"device.devicePhysicalIds -any "A""#, "\"A\""),
        (r#"device.devicePhysicalIds"#, ""),
        (r#"device.displayName -any (_ -eq "A")"#, "-any"),
        (r#"device.displayName -le "A""#, "-le"),
        (r#"device.displayName -not null"#, "-not"),
        (r#"device.displayName -eq ["A"]"#, "[\"A\"]"),
        (r#"device.displayName -in "A""#, "\"A\""),
        (r#"device.displayName -in []"#, "[]"),
        (r#"device.displayName -in ["A" "B"]"#, "\"B\""),
        (r#"device.displayName -in ["A", B]"#, "B"),
        (r#"device.displayName -in ["A""#, "["),
        (r#"device.displayName -contains null"#, "null"),
        (r#"device.displayName -eq true"#, "true"),
        (r#"device.accountEnabled -eq "true""#, "\"true\""),
        (r#"device.accountEnabled -startsWith true"#, "-startsWith"),
        (r#"device.accountEnabled -in ["true"]"#, "[\"true\"]"),
        (r#"device.devicePhysicalIds -any (_ -eq null)"#, "null"),
        (r#"user.department -eq "Sales""#, "user"),
        (r#"device.memberOf -any (group.objectId -in ["x"])"#, "memberOf"),
        (r#"device.organizationalUnit -eq "x""#, "organizationalUnit"),
        (r#"device.displayName.x -eq "x""#, "displayName.x"),
        (r#"displayName -eq "x""#, "displayName"),
        (r#"Direct Reports for "x""#, "Direct"),
        (r#"device.displayName -match "(?<=a)b""#, "\"(?<=a)b\""),
        (
            r#"device.displayName -match "a{1000}{1000}""#,
            "\"a{1000}{1000}\"",
        ),
        (r#"device.displayName -eq "a\" b"#, "b"),
        (r#"device.displayName -eq "say \"hi\"""#, "\\"),
        ("   ", "   "),
        ("", ""),
    ];
    for (text, at) in cases {
        let e = err(text);
        assert_eq!(spanned(text, &e), *at, "{text}: {e:?}");
        assert!(!e.message.is_empty());
        let first = e.message.chars().next().expect("non-empty");
        assert!(
            !first.is_uppercase(),
            "message should start lowercase: {}",
            e.message
        );
        assert!(!e.message.ends_with('.'), "no trailing period: {}", e.message);
    }
}

#[test]
fn hints_for_common_mistakes() {
    let e = err(r#"device.displayName -eq "A" and device.deviceModel -eq "B""#);
    assert_eq!(
        e.help.as_deref(),
        Some("logical operators need a hyphen: write `-and`")
    );
    for text in [
        r#"device.displayName -eq "a\" b"#,
        r#"device.displayName -eq "say \"hi\"""#,
    ] {
        let e = err(text);
        assert!(e.help.as_deref().is_some_and(|h| h.contains("backtick")), "{e:?}");
    }
    let e = err(r#"device.displayName -match "a{1000}{1000}""#);
    assert!(e.message.contains("simplify"), "{}", e.message);
}

#[test]
fn rule_length_is_capped_at_3072_characters() {
    let prefix = r#"device.displayName -eq ""#;
    let fill = 3072 - prefix.len() - 1;
    let at_limit = format!("{prefix}{}\"", "a".repeat(fill));
    assert_eq!(at_limit.chars().count(), 3072);
    rule(&at_limit);
    // Characters, not bytes: 3,072 two-byte characters are fine too.
    let wide = format!("{prefix}{}\"", "é".repeat(fill));
    rule(&wide);
    let over = format!("{prefix}{}\"", "a".repeat(fill + 1));
    let e = err(&over);
    assert_eq!(e.offset, 3072);
    assert!(e.message.contains("3072"), "{}", e.message);
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let text = format!(
        "{}device.displayName -eq \"a\"{}",
        "(".repeat(1000),
        ")".repeat(1000)
    );
    let e = err(&text);
    assert!(e.message.contains("nests deeper"), "{}", e.message);
    let text = format!("{}device.displayName -eq \"a\"", "-not ".repeat(500));
    assert!(err(&text).message.contains("nests deeper"));
    let ok = format!("{}device.displayName -eq \"a\"{}", "(".repeat(30), ")".repeat(30));
    rule(&ok);
}

#[test]
fn error_display_is_the_message() {
    let e = err(r#"device.displayName -eq"#);
    assert_eq!(e.to_string(), e.message);
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(!boxed.to_string().is_empty());
}

// ---------------------------------------------------------------- equality and canonical text

#[test]
fn equality_ignores_layout() {
    let a = rule(
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:A")) -and (device.deviceOSType -eq "Windows")"#,
    );
    let b = rule(
        "(device.devicePhysicalIDs   -ANY _ eq \"[OrderID]:A\")\n-and\n((device.deviceOSType -eq \"Windows\"))",
    );
    assert_eq!(a, b);
    // -and / -or are associative: grouping does not matter.
    let x = r#"device.displayName -eq "x""#;
    let y = r#"device.deviceModel -eq "y""#;
    let z = r#"device.deviceOSType -eq "z""#;
    assert_eq!(
        rule(&format!("({x} -and {y}) -and {z}")),
        rule(&format!("{x} -and ({y} -and {z})"))
    );
    assert_eq!(
        rule(&format!("({x} -or {y}) -or {z}")),
        rule(&format!("{x} -or {y} -or {z}"))
    );
    // But operand order and literals matter.
    assert_ne!(rule(&format!("{x} -and {y}")), rule(&format!("{y} -and {x}")));
    assert_ne!(
        rule(r#"device.displayName -eq "x""#),
        rule(r#"device.displayName -eq "X""#)
    );
    assert_ne!(
        rule(r#"device.displayName -eq "x""#),
        rule(r#"device.displayName -in ["x"]"#)
    );
}

#[test]
fn canonical_text() {
    let cases = [
        (
            r#"device.devicePhysicalIDs -any _ -eq "[OrderID]:Sales""#,
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#,
        ),
        (
            r#"device.displayName eq "a" -AND device.accountEnabled -EQ TRUE"#,
            r#"(device.displayName -eq "a") -and (device.accountEnabled -eq true)"#,
        ),
        (
            r#"device.displayName -eq "a" -or device.deviceModel -eq "b" -and device.deviceOSType -ne null"#,
            r#"(device.displayName -eq "a") -or ((device.deviceModel -eq "b") -and (device.deviceOSType -ne null))"#,
        ),
        (
            r#"-not -not device.displayName -in ["a","b"]"#,
            r#"-not -not (device.displayName -in ["a", "b"])"#,
        ),
        (
            r#"device.devicePhysicalIds -all (_ -startsWith "[" -and -not _ -eq "x" -and (_ -ne "y" -or _ -ne "z"))"#,
            r#"(device.devicePhysicalIds -all (_ -startsWith "[" -and -not (_ -eq "x") -and (_ -ne "y" -or _ -ne "z")))"#,
        ),
        (
            r#"device.displayName -eq "O''Brien `"PC`"""#,
            r#"(device.displayName -eq "O''Brien `"PC`"")"#,
        ),
    ];
    for (text, canonical) in cases {
        let r = rule(text);
        assert_eq!(r.canonical(), canonical);
        assert_eq!(r.to_string(), canonical);
        assert_eq!(rule(canonical), r);
    }
}

// ---------------------------------------------------------------- group tags

#[test]
fn group_tag_rule_is_the_documented_rule() {
    assert_eq!(
        group_tag_rule("Sales"),
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#
    );
    assert_eq!(
        group_tag_rule(r#"a"b'c`d"#),
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:a`"b''c``d"))"#
    );
    for tag in [
        "Sales",
        "",
        "Sales EU",
        r#"a"b'c`d"#,
        "ÉCOLE-1",
        "x)y(z",
        "a -or b",
    ] {
        let r = rule(&group_tag_rule(tag));
        assert_eq!(r.exact_group_tag(), Some(tag));
        assert_eq!(r.canonical(), group_tag_rule(tag));
        assert!(r.matches(&KnownDevice::new("S").with_group_tag(tag.to_uppercase())) || tag.is_empty());
    }
    assert!(group_tag_needs_escaping("O'Brien"));
    assert!(!group_tag_needs_escaping("Sales-EU"));
}

#[test]
fn exact_group_tag_accepts_any_spelling() {
    for text in [
        r#"device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")"#,
        r#"((device.devicePhysicalIDs -ANY ((_ EQ "[orderid]:Sales"))))"#,
        r#"device.devicePhysicalIds -any _ -eq "[OrderId]:Sales""#,
    ] {
        assert_eq!(rule(text).exact_group_tag(), Some("Sales"), "{text}");
    }
}

#[test]
fn exact_group_tag_refuses_anything_else() {
    for text in [
        r#"device.devicePhysicalIds -all (_ -eq "[OrderID]:Sales")"#,
        r#"device.devicePhysicalIds -any (_ -ne "[OrderID]:Sales")"#,
        r#"device.devicePhysicalIds -any (_ -contains "[OrderID]:Sales")"#,
        r#"device.devicePhysicalIds -any (_ -in ["[OrderID]:Sales"])"#,
        r#"device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:Sales")"#,
        r#"device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales" -or _ -eq "[OrderID]:HR")"#,
        r#"-not device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")"#,
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")) -and (device.deviceOSType -eq "Windows")"#,
        r#"device.displayName -eq "[OrderID]:Sales""#,
    ] {
        assert_eq!(rule(text).exact_group_tag(), None, "{text}");
    }
}

#[test]
fn group_tags_lists_every_equality_test() {
    let r = rule(
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:A" -or _ -in ["[OrderID]:B", "[PurchaseOrderId]:C", "[orderid]:A"]))
           -and -not (device.devicePhysicalIds -any _ -eq "[OrderID]:D")
           -and (device.devicePhysicalIds -any _ -startsWith "[OrderID]:E")
           -and (device.displayName -eq "[OrderID]:F")"#,
    );
    assert_eq!(r.group_tags(), ["A", "B", "D"]);
    assert!(
        rule(r#"device.deviceOSType -eq "Windows""#)
            .group_tags()
            .is_empty()
    );
}

// ---------------------------------------------------------------- warnings

#[test]
fn warns_about_ztdid_casing_and_partial_tag_matches() {
    let text = r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDId]")) -or (device.devicePhysicalIds -any (_ -contains "[OrderID]:Sales"))"#;
    let warnings = rule(text).warnings();
    let codes: Vec<_> = warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["ztdid-casing", "group-tag-partial-match"]);
    assert_eq!(
        &text[warnings[0].offset..warnings[0].offset + warnings[0].len],
        r#""[ZTDId]""#
    );
    assert_eq!(
        &text[warnings[1].offset..warnings[1].offset + warnings[1].len],
        r#""[OrderID]:Sales""#
    );

    assert!(
        rule(r#"device.devicePhysicalIds -any (_ -startsWith "[ZTDID]")"#)
            .warnings()
            .is_empty()
    );
    assert!(
        rule(r#"device.devicePhysicalIds -any (_ -startsWith "[OrderID]:")"#)
            .warnings()
            .is_empty()
    );
    assert!(rule(&group_tag_rule("Sales")).warnings().is_empty());
    // Only physical-id tests are concerned.
    assert!(
        rule(r#"device.displayName -startsWith "[ZTDId]""#)
            .warnings()
            .is_empty()
    );
    // List items get their own spans.
    let text = r#"device.devicePhysicalIds -any (_ -in ["[ZTDID]:a", "[ztdid]:b"])"#;
    let w = rule(text).warnings();
    assert_eq!(w.len(), 1);
    assert_eq!(&text[w[0].offset..w[0].offset + w[0].len], r#""[ztdid]:b""#);
}

// ---------------------------------------------------------------- KnownDevice

#[test]
fn known_devices_route_like_registered_autopilot_devices() {
    let sales = KnownDevice::new("5CG1")
        .with_group_tag("Sales")
        .with_purchase_order("PO-9");
    let untagged = KnownDevice::new("5CG2");
    let all_autopilot = rule(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#);
    assert!(all_autopilot.matches(&sales) && all_autopilot.matches(&untagged));
    assert!(rule(&group_tag_rule("Sales")).matches(&sales));
    assert!(!rule(&group_tag_rule("Sales")).matches(&untagged));
    assert!(rule(r#"device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:po-9")"#).matches(&sales));
    let kiosk = KnownDevice::new("5CG3").with_property("enrollmentProfileName", "Kiosk");
    assert!(rule(r#"device.enrollmentProfileName -eq "kiosk""#).matches(&kiosk));
}

// ---------------------------------------------------------------- API shape

#[test]
fn rules_are_shareable_and_work_with_trait_objects() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Rule>();
    let d: &dyn DeviceAttributes = &KnownDevice::new("S").with_group_tag("A");
    assert!(rule(&group_tag_rule("A")).matches(d));
}

#[test]
fn canonical_text_is_equal_exactly_when_rules_are() {
    let a = rule(r#"device.devicePhysicalIDs -any _ -eq "[OrderID]:A""#);
    let b = rule(&group_tag_rule("A"));
    let c = rule(&group_tag_rule("a"));
    assert_eq!(a, b);
    assert_eq!(a.canonical(), b.canonical());
    assert_ne!(a, c);
    assert_ne!(a.canonical(), c.canonical());
}
