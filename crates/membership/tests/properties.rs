//! Property tests: the parser never panics, valid rules round-trip through their canonical text,
//! evaluation agrees with a naive reference, and group-tag rules are recognised.

use hangar_membership::{DeviceAttributes, KnownDevice, group_tag_rule, parse};
use proptest::prelude::*;

// ------------------------------------------------------------------ a test-side rule model

const STRING_PROPS: &[&str] = &[
    "displayName",
    "deviceOSType",
    "enrollmentProfileName",
    "deviceOwnership",
    "extensionAttribute7",
];
const BOOL_PROPS: &[&str] = &["accountEnabled", "isRooted"];
const TEXT_OPS: &[&str] = &[
    "eq",
    "ne",
    "startsWith",
    "notStartsWith",
    "endsWith",
    "notEndsWith",
    "contains",
    "notContains",
    "match",
    "notMatch",
];
/// Values come from a small pool so that generated rules and devices actually meet.
const POOL: &[&str] = &[
    "",
    "a",
    "A",
    "ab",
    "Sales",
    "sAles-EU",
    "é",
    "É",
    "O'Brien",
    "q\"t",
    "b`t",
    "[OrderID]:Sales",
    "[ZTDID]:x",
];

#[derive(Clone, Debug)]
enum Value {
    Str(String),
    List(Vec<String>),
    Null,
    Bool(bool),
}

#[derive(Clone, Debug)]
enum Model {
    And(Vec<Model>),
    Or(Vec<Model>),
    Not(Box<Model>),
    /// `subject op value`; subject `None` is `_`.
    Cmp(Option<&'static str>, &'static str, Value),
    Collection(bool, Box<Model>),
}

fn pool_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(POOL).prop_map(String::from),
        "[a-zA-Z0-9 :é'\"`-]{0,8}"
    ]
}

fn text_cmp(subject: Option<&'static str>) -> impl Strategy<Value = Model> {
    prop_oneof![
        // -match only gets alphanumeric patterns, so the reference can treat it as -contains.
        (prop::sample::select(TEXT_OPS), pool_string(), "[a-zA-Z0-9]{0,4}").prop_map(
            move |(op, s, pattern)| {
                let value = if op.ends_with("atch") { pattern } else { s };
                Model::Cmp(subject, op, Value::Str(value))
            }
        ),
        (
            prop::sample::select(&["in", "notIn"][..]),
            prop::collection::vec(pool_string(), 1..4)
        )
            .prop_map(move |(op, items)| Model::Cmp(subject, op, Value::List(items))),
    ]
}

fn device_atom() -> impl Strategy<Value = Model> {
    prop_oneof![
        prop::sample::select(STRING_PROPS).prop_flat_map(|p| text_cmp(Some(p))),
        (
            prop::sample::select(STRING_PROPS),
            prop::sample::select(&["eq", "ne"][..])
        )
            .prop_map(|(p, op)| Model::Cmp(Some(p), op, Value::Null)),
        (
            prop::sample::select(BOOL_PROPS),
            prop::sample::select(&["eq", "ne"][..]),
            any::<bool>()
        )
            .prop_map(|(p, op, b)| Model::Cmp(Some(p), op, Value::Bool(b))),
        (any::<bool>(), element_tree()).prop_map(|(all, pred)| Model::Collection(all, Box::new(pred))),
    ]
}

fn element_tree() -> impl Strategy<Value = Model> {
    text_cmp(None).prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Model::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Model::Or),
            inner.prop_map(|m| Model::Not(Box::new(m))),
        ]
    })
}

fn device_tree() -> impl Strategy<Value = Model> {
    device_atom().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Model::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Model::Or),
            inner.prop_map(|m| Model::Not(Box::new(m))),
        ]
    })
}

/// Rendering choices, consumed in turn, so one model can be written many ways.
struct Style {
    choices: Vec<u8>,
    next: usize,
}

impl Style {
    fn pick(&mut self, n: u8) -> u8 {
        let c = self
            .choices
            .get(self.next % self.choices.len().max(1))
            .copied()
            .unwrap_or(0);
        self.next += 1;
        c % n
    }

    fn space(&mut self) -> &'static str {
        [" ", "  ", "\n", "\t ", " \r\n "][usize::from(self.pick(5))]
    }

    /// A keyword or operator in a random case, with or without its hyphen when allowed.
    fn keyword(&mut self, word: &str, hyphen_optional: bool) -> String {
        let cased = match self.pick(3) {
            0 => word.to_string(),
            1 => word.to_uppercase(),
            _ => word.to_lowercase(),
        };
        if hyphen_optional && self.pick(4) == 0 {
            cased
        } else {
            format!("-{cased}")
        }
    }

    /// Extra parentheses that change nothing.
    fn wrap(&mut self, text: String) -> String {
        if self.pick(4) == 0 {
            format!("({}{text}{})", self.space(), self.space())
        } else {
            text
        }
    }
}

/// Quotes a string with the documented escapes (independent of the crate's own writer).
fn quote(s: &str) -> String {
    let escaped = s.replace('`', "``").replace('"', "`\"").replace('\'', "''");
    format!("\"{escaped}\"")
}

fn render_value(value: &Value, style: &mut Style) -> String {
    match value {
        Value::Str(s) => quote(s),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(|s| quote(s)).collect();
            let sep = format!(",{}", style.space());
            format!("[{}]", parts.join(&sep))
        }
        Value::Null => ["null", "NULL", "Null"][usize::from(style.pick(3))].to_string(),
        Value::Bool(b) => {
            let w = if *b { "true" } else { "false" };
            if style.pick(2) == 0 {
                w.to_string()
            } else {
                w.to_uppercase()
            }
        }
    }
}

fn render(model: &Model, style: &mut Style) -> String {
    let text = match model {
        Model::And(items) | Model::Or(items) => {
            let word = if matches!(model, Model::And(_)) {
                "and"
            } else {
                "or"
            };
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let kw = style.keyword(word, false);
                    out.push_str(&format!("{}{kw}{}", style.space(), style.space()));
                }
                // Lower-precedence or same-kind groups need parentheses.
                let inner = render(item, style);
                match item {
                    Model::And(_) | Model::Or(_) => out.push_str(&format!("({inner})")),
                    _ => out.push_str(&inner),
                }
            }
            out
        }
        Model::Not(inner) => {
            let body = render(inner, style);
            let body = match **inner {
                Model::And(_) | Model::Or(_) => format!("({body})"),
                _ => body,
            };
            format!("{}{}{body}", style.keyword("not", false), style.space())
        }
        Model::Cmp(subject, op, value) => {
            let subject = match subject {
                Some(p) => format!("device.{p}"),
                None => "_".to_string(),
            };
            let op = style.keyword(op, true);
            let value = render_value(value, style);
            format!("{subject}{}{op}{}{value}", style.space(), style.space())
        }
        Model::Collection(all, pred) => {
            let property = if style.pick(2) == 0 {
                "devicePhysicalIds"
            } else {
                "devicePhysicalIDs"
            };
            let quantifier = style.keyword(if *all { "all" } else { "any" }, false);
            let body = render(pred, style);
            if matches!(**pred, Model::Cmp(..)) && style.pick(2) == 0 {
                // The parenthesis-free form, made unambiguous by wrapping the whole test.
                format!(
                    "(device.{property}{}{quantifier}{}{body})",
                    style.space(),
                    style.space()
                )
            } else {
                format!(
                    "device.{property}{}{quantifier}{}({body})",
                    style.space(),
                    style.space()
                )
            }
        }
    };
    style.wrap(text)
}

// ------------------------------------------------------------------ a naive reference evaluator

#[derive(Clone, Debug)]
struct Device {
    props: Vec<(&'static str, String)>,
    ids: Vec<String>,
}

impl DeviceAttributes for Device {
    fn property(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
    fn physical_ids(&self) -> &[String] {
        &self.ids
    }
}

fn device() -> impl Strategy<Value = Device> {
    let string_props = prop::collection::vec((prop::sample::select(STRING_PROPS), pool_string()), 0..5);
    let bool_props = prop::collection::vec(
        (
            prop::sample::select(BOOL_PROPS),
            prop::sample::select(&["true", "False"][..]),
        ),
        0..2,
    );
    (
        string_props,
        bool_props,
        prop::collection::vec(pool_string(), 0..4),
    )
        .prop_map(|(s, b, ids)| {
            let mut props: Vec<(&'static str, String)> = Vec::new();
            for (name, value) in s
                .into_iter()
                .chain(b.into_iter().map(|(n, v)| (n, v.to_string())))
            {
                if !props.iter().any(|(n, _)| *n == name) {
                    props.push((name, value));
                }
            }
            Device { props, ids }
        })
}

fn reference(model: &Model, device: &Device, element: Option<&str>) -> bool {
    match model {
        Model::And(items) => items.iter().all(|m| reference(m, device, element)),
        Model::Or(items) => items.iter().any(|m| reference(m, device, element)),
        Model::Not(inner) => !reference(inner, device, element),
        Model::Collection(all, pred) => {
            let mut ids = device.ids.iter();
            if *all {
                ids.all(|id| reference(pred, device, Some(id)))
            } else {
                ids.any(|id| reference(pred, device, Some(id)))
            }
        }
        Model::Cmp(subject, op, value) => {
            let actual = match subject {
                Some(p) => device.property(p),
                None => element,
            };
            let negated = op.starts_with("not") || *op == "ne";
            let positive = match (value, actual) {
                (Value::Null, v) => v.is_none(),
                (_, None) => false,
                (Value::Bool(b), Some(v)) => v.to_lowercase() == b.to_string(),
                (Value::List(items), Some(v)) => items.iter().any(|i| i.to_lowercase() == v.to_lowercase()),
                (Value::Str(s), Some(v)) => {
                    let (v, s) = (v.to_lowercase(), s.to_lowercase());
                    match op.to_lowercase().trim_start_matches("not") {
                        "eq" | "ne" => v == s,
                        "startswith" => v.starts_with(&s),
                        "endswith" => v.ends_with(&s),
                        "contains" | "match" => v.contains(&s),
                        other => unreachable!("{other}"),
                    }
                }
            };
            positive != negated
        }
    }
}

// ------------------------------------------------------------------ properties

fn assert_span_is_valid(text: &str, offset: usize, len: usize) {
    assert!(
        offset <= text.len() && offset + len <= text.len(),
        "span {offset}+{len} outside {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(offset) && text.is_char_boundary(offset + len),
        "span not on char boundaries"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Err(e) = parse(&text) {
            assert_span_is_valid(&text, e.offset, e.len);
        }
    }

    #[test]
    fn rule_shaped_noise_never_panics(
        text in r#"[ \n()\[\],"'`_.\-a-zA-Z0-9$\\–“]{0,120}"#,
        words in prop::collection::vec(prop::sample::select(&[
            "device.displayName", "device.devicePhysicalIds", "_", "-any", "-all", "-eq", "-in", "-match", "-not",
            "-and", "-or", "(", ")", "[", "]", ",", "\"a\"", "\"[OrderID]:x\"", "null", "true", "\"(\"", "\"a{99}{99}\"",
        ][..]), 0..30),
    ) {
        for candidate in [text.clone(), words.join(" "), format!("{} {text}", words.join(" "))] {
            if let Err(e) = parse(&candidate) {
                assert_span_is_valid(&candidate, e.offset, e.len);
            }
        }
    }

    #[test]
    fn generated_rules_round_trip_and_agree_with_the_reference(
        model in device_tree(),
        choices in prop::collection::vec(any::<u8>(), 1..64),
        devices in prop::collection::vec(device(), 1..6),
    ) {
        let text = render(&model, &mut Style { choices, next: 0 });
        prop_assume!(text.chars().count() <= hangar_membership::MAX_RULE_CHARS);
        let rule = match parse(&text) {
            Ok(rule) => rule,
            Err(e) => panic!("generated rule refused: {e:?}\n{text}"),
        };
        let canonical = rule.canonical();
        let reparsed = parse(&canonical).unwrap_or_else(|e| panic!("canonical refused: {e:?}\n{canonical}"));
        prop_assert_eq!(&reparsed, &rule);
        prop_assert_eq!(reparsed.canonical(), canonical.clone());
        // A plain rendering of the same model is the same rule.
        let plain = render(&model, &mut Style { choices: vec![0, 0, 0, 2, 1, 2, 1], next: 0 });
        prop_assert_eq!(parse(&plain).expect("plain rendering"), rule.clone());
        for d in &devices {
            prop_assert_eq!(rule.matches(d), reference(&model, d, None), "rule {}\ndevice {:?}", canonical, d);
        }
    }

    #[test]
    fn mutated_rules_never_panic(
        model in device_tree(),
        choices in prop::collection::vec(any::<u8>(), 1..16),
        cut in any::<prop::sample::Index>(),
        insert in prop::sample::select(&["(", ")", "\"", "`", "'", "-", "_", "[", "]", " -and ", "\\"][..]),
    ) {
        let text = render(&model, &mut Style { choices, next: 0 });
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut removed = text.clone();
        removed.replace_range(at..text[at..].chars().next().map_or(at, |c| at + c.len_utf8()), "");
        let inserted = format!("{}{insert}{}", &text[..at], &text[at..]);
        for candidate in [removed, inserted] {
            if let Err(e) = parse(&candidate) {
                assert_span_is_valid(&candidate, e.offset, e.len);
            }
        }
    }

    #[test]
    fn group_tag_rules_are_recognised(tag in any::<String>().prop_filter("fits a rule", |t| t.chars().count() < 1000)) {
        let text = group_tag_rule(&tag);
        let rule = parse(&text).unwrap_or_else(|e| panic!("group tag rule refused: {e:?}\n{text}"));
        prop_assert_eq!(rule.exact_group_tag(), Some(tag.as_str()));
        prop_assert_eq!(rule.group_tags(), vec![tag.as_str()]);
        prop_assert_eq!(rule.canonical(), text);
        let tagged = KnownDevice::new("S").with_group_tag(tag.clone());
        prop_assert_eq!(rule.matches(&tagged), !tag.is_empty());
        let other = KnownDevice::new("S").with_group_tag(tag.clone() + "x");
        prop_assert!(!rule.matches(&other));
    }
}
