//! Renderers: text for terminals and logs, JSON for machines, Markdown for pull requests.
//!
//! Names and values come from the tenant as well as from Git, and the tenant's were typed into
//! a portal by anyone with rights there: the text and Markdown renderers show every control
//! character as a visible escape (`\u{1b}`), never as itself (`displayable`). JSON escapes
//! them by its own rules.

use std::borrow::Cow;

use serde_json::Value;

use crate::plan::Plan;

pub mod json;
pub mod markdown;
pub mod metrics;
pub mod sorted_json;
pub mod text;

/// Whether a plan is shown as a plan (what apply would do) or as drift (how the tenant differs
/// from Git).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// `hangar plan`.
    Plan,
    /// `hangar drift`.
    Drift,
}

/// One audit event as a sentence: `changed by admin@contoso.com (user) at 2026-11-30T08:00:00Z:
/// Patch DeviceEnrollmentConfiguration (priority)`.
pub(crate) fn describe_event(event: &hangar_model::audit::ChangeEvent) -> String {
    use hangar_model::audit::{ActorKind, AuditLog};
    let who = match (event.actor.trim().is_empty(), event.actor_kind) {
        (true, _) => "someone the log does not name".to_owned(),
        (false, ActorKind::User) => format!("{} (user)", event.actor),
        (false, ActorKind::Application) => format!("{} (app)", event.actor),
        (false, ActorKind::Unknown) => event.actor.clone(),
    };
    let log = match event.log {
        AuditLog::Intune => "Intune audit log",
        AuditLog::Entra => "Entra audit log",
    };
    let properties = if event.properties.is_empty() {
        String::new()
    } else {
        format!(" ({})", event.properties.join(", "))
    };
    format!(
        "changed by {who} at {}: {}{properties} [{log}]",
        event.at, event.activity
    )
}

/// `plan` with every string (names, values, warnings, keys) escaped with
/// [`hangar_model::text::escape`]; borrowed when no string needs it.
pub(crate) fn displayable(plan: &Plan) -> Cow<'_, Plan> {
    // The common case (nothing to escape) is decided from the serialised bytes, streamed and
    // never kept: a plan with 100,000 moved devices is about 230 MB as a `Value` tree, which
    // the text and Markdown renderers used to build every time (issue 15's memory target).
    if !needs_escape(plan) {
        return Cow::Borrowed(plan);
    }
    let Ok(mut value) = serde_json::to_value(plan) else {
        return Cow::Borrowed(plan);
    };
    if !escape_strings(&mut value) {
        return Cow::Borrowed(plan);
    }
    // Escaping keeps every string a string, so the plan reads back; should it not, the
    // unescaped plan is still better than no output.
    serde_json::from_value(value).map_or(Cow::Borrowed(plan), Cow::Owned)
}

/// Whether any string or key of `plan` (any serialisable value) holds a character [`hangar_model::text::escape`] would
/// rewrite, found by scanning its compact JSON as it is written.
fn needs_escape(plan: &impl serde::Serialize) -> bool {
    let mut scan = EscapeScan::default();
    // The scan stops the serialiser with an error at the first such character; any other
    // error (a serialiser failure) is answered "yes", which only costs the slow path.
    serde_json::to_writer(&mut scan, plan).is_err() || scan.found
}

/// A sink for compact JSON that notices the characters the renderers escape. serde_json writes
/// every character below U+0020 as an escape (`\n`, `\u001b`, …) and everything else raw, so
/// an escape other than `\\` and `\"` means a control or layout character, and the raw
/// characters left to check are DEL, C1 controls, line separators and bidirectional marks.
#[derive(Default)]
struct EscapeScan {
    /// After a backslash inside a string.
    in_escape: bool,
    /// The bytes of a multi-byte UTF-8 character read so far.
    pending: Vec<u8>,
    found: bool,
}

impl std::io::Write for EscapeScan {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for &byte in bytes {
            if self.in_escape {
                self.in_escape = false;
                if !matches!(byte, b'\\' | b'"' | b'/') {
                    self.found = true;
                }
            } else if !self.pending.is_empty() || byte >= 0x80 {
                self.pending.push(byte);
                let expected = match self.pending[0] {
                    0xF0..=0xFF => 4,
                    0xE0..=0xEF => 3,
                    _ => 2,
                };
                if self.pending.len() == expected {
                    self.found |= std::str::from_utf8(&self.pending).map_or(true, |c| {
                        matches!(hangar_model::text::escape(c, false), Cow::Owned(_))
                    });
                    self.pending.clear();
                }
            } else if byte == b'\\' {
                self.in_escape = true;
            } else if byte == 0x7f {
                self.found = true;
            }
            if self.found {
                return Err(std::io::Error::other("a character to escape"));
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Escapes every string in `value` in place; returns whether anything changed.
fn escape_strings(value: &mut Value) -> bool {
    let escape = |text: &str| match hangar_model::text::escape(text, false) {
        Cow::Borrowed(_) => None,
        Cow::Owned(escaped) => Some(escaped),
    };
    match value {
        Value::String(text) => match escape(text) {
            Some(escaped) => {
                *text = escaped;
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| escape_strings(item) | changed),
        Value::Object(map) => {
            let mut changed = false;
            let keys: Vec<String> = map.keys().filter(|k| escape(k).is_some()).cloned().collect();
            for key in keys {
                if let Some(inner) = map.remove(&key) {
                    map.insert(escape(&key).unwrap_or(key), inner);
                    changed = true;
                }
            }
            map.values_mut()
                .fold(changed, |changed, item| escape_strings(item) | changed)
        }
        _ => false,
    }
}

/// A change as the reviewer reads it: the YAML field and its file:line when a table row maps
/// the Graph property (values in YAML form, the property as a hint), else the Graph path and
/// values.
pub(crate) struct Words {
    /// `collectLogs` or, unmapped, `allowLogCollectionOnInstallFailure`.
    pub name: String,
    /// `policies/esp.yaml:9`, when mapped.
    pub at: Option<String>,
    /// The Graph property, when the name is the YAML field's.
    pub graph: Option<String>,
    /// The live value, `None` when absent.
    pub before: Option<String>,
    /// The desired value, `None` when absent.
    pub after: Option<String>,
}

pub(crate) fn words(change: &crate::plan::Change) -> Words {
    let graph_value = |value: &Option<Value>| value.as_ref().map(Value::to_string);
    // Values of a mapped field read as YAML even when only Graph's form is known.
    let graph_yaml = |value: &Option<Value>| value.as_ref().map(yaml_value);
    match &change.field {
        Some(field) => {
            // A value hangar cannot say in YAML terms is shown as Graph holds it.
            let before = field
                .before
                .as_ref()
                .map(yaml_value)
                .or_else(|| graph_yaml(&change.before));
            let after = field
                .after
                .as_ref()
                .map(yaml_value)
                .or_else(|| graph_yaml(&change.after))
                .map(|after| {
                    if field.default {
                        format!("{after} (default)")
                    } else {
                        after
                    }
                });
            Words {
                name: field.name.clone(),
                at: Some(field.at()),
                graph: (field.name != change.path).then(|| change.path.clone()),
                before,
                after,
            }
        }
        None => Words {
            name: change.path.clone(),
            at: None,
            graph: None,
            before: graph_value(&change.before),
            after: graph_value(&change.after),
        },
    }
}

/// An assignment target of an object of `kind` as the configuration writes it:
/// `assign.include: Autopilot-Sales`,
/// `assign.include: {target: all-devices, filter: Kiosks, filterMode: exclude}`,
/// `userGroups: Autopilot Users`, after the `file:line` of its list when `fields` has it; a
/// target hangar does not model in Graph terms.
pub(crate) fn assignment_target(
    kind: hangar_model::Kind,
    fields: &[crate::plan::FieldRef],
    target: &crate::plan::AssignmentTarget,
) -> String {
    match assignment_words(kind, fields, target) {
        (words, Some(at)) => format!("{at} {words}"),
        (words, None) => words,
    }
}

/// [`assignment_target`] in parts: the entry and, when known, the `file:line` of its list
/// (Markdown puts it in a trailing comment).
pub(crate) fn assignment_words(
    kind: hangar_model::Kind,
    fields: &[crate::plan::FieldRef],
    target: &crate::plan::AssignmentTarget,
) -> (String, Option<String>) {
    match target.yaml(kind) {
        Some((list, entry)) => (
            format!("{list}: {}", yaml_value(&entry)),
            fields
                .iter()
                .find(|field| field.name == list)
                .map(crate::plan::FieldRef::at),
        ),
        None => (target.to_string(), None),
    }
}

/// A value as YAML writes it: plain scalars unquoted (`user-driven`, `true`, `60`), a string
/// that would read as something else quoted, lists in flow style (`[a, b]`).
pub(crate) fn yaml_value(value: &Value) -> String {
    match value {
        Value::String(text) => {
            let plain = !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_alphanumeric() || " -_.%/@()".contains(c))
                && !text.starts_with([' ', '-', '@', '%'])
                && !text.ends_with(' ')
                && !["true", "false", "null", "yes", "no", "on", "off", "~"]
                    .contains(&text.to_ascii_lowercase().as_str())
                && text.parse::<f64>().is_err();
            if plain { text.clone() } else { value.to_string() }
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(yaml_value).collect::<Vec<_>>().join(", ")
        ),
        // Keys in map (sorted) order, but an assignment entry's `target` first, as the
        // configuration writes `{target, filter, filterMode}`.
        Value::Object(map) => format!(
            "{{{}}}",
            map.get_key_value("target")
                .into_iter()
                .chain(map.iter().filter(|(key, _)| *key != "target"))
                .map(|(key, value)| format!("{key}: {}", yaml_value(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::{needs_escape, yaml_value};

    #[test]
    fn values_read_as_yaml() {
        assert_eq!(yaml_value(&json!("user-driven")), "user-driven");
        assert_eq!(
            yaml_value(&json!("Autopilot Devices (HR)")),
            "Autopilot Devices (HR)"
        );
        assert_eq!(yaml_value(&json!("true")), "\"true\"");
        assert_eq!(yaml_value(&json!("60")), "\"60\"");
        assert_eq!(yaml_value(&json!("")), "\"\"");
        assert_eq!(yaml_value(&json!("a: b")), "\"a: b\"");
        assert_eq!(yaml_value(&json!(true)), "true");
        assert_eq!(yaml_value(&json!(["A", "b c"])), "[A, b c]");
        assert_eq!(yaml_value(&json!({"groupTag": "Sales"})), "{groupTag: Sales}");
    }

    /// Assignment targets read as the `assign:` entries that produce them, a filter as the
    /// `{target, filter, filterMode}` form; a target hangar does not model stays in Graph terms.
    #[test]
    fn assignment_targets_read_as_assign_entries() {
        use super::assignment_target;
        use crate::plan::{AssignmentTarget, FilterRef, GroupRef};
        use hangar_model::{FilterMode, Kind};
        let group = GroupRef {
            name: "Autopilot-Sales".into(),
            id: Some("g1".into()),
        };
        let filter = FilterRef {
            name: "Surface devices".into(),
            id: "f1".into(),
            mode: FilterMode::Exclude,
        };
        let cases = [
            (
                AssignmentTarget::Group {
                    group: group.clone(),
                    filter: None,
                },
                "assign.include: Autopilot-Sales",
            ),
            (
                AssignmentTarget::Group {
                    group: group.clone(),
                    filter: Some(filter.clone()),
                },
                "assign.include: {target: Autopilot-Sales, filter: Surface devices, filterMode: exclude}",
            ),
            (
                AssignmentTarget::ExcludeGroup { group },
                "assign.exclude: Autopilot-Sales",
            ),
            (
                AssignmentTarget::AllDevices { filter: None },
                "assign.include: all-devices",
            ),
            (
                AssignmentTarget::AllUsers {
                    filter: Some(FilterRef {
                        mode: FilterMode::Include,
                        ..filter
                    }),
                },
                "assign.include: {target: all-users, filter: Surface devices, filterMode: include}",
            ),
            (
                AssignmentTarget::Other {
                    odata_type: "#microsoft.graph.configurationManagerCollectionAssignmentTarget".into(),
                    group_id: None,
                    target: None,
                },
                "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
            ),
        ];
        for (target, shown) in cases {
            assert_eq!(assignment_target(Kind::EnrollmentStatusPage, &[], &target), shown);
        }
        let user_group = AssignmentTarget::Group {
            group: GroupRef {
                name: "Autopilot Users".into(),
                id: None,
            },
            filter: None,
        };
        assert_eq!(
            assignment_target(Kind::DevicePreparationPolicy, &[], &user_group),
            "userGroups: Autopilot Users"
        );
    }

    fn escaped(text: &str) -> bool {
        matches!(
            hangar_model::text::escape(text, false),
            std::borrow::Cow::Owned(_)
        )
    }

    #[test]
    fn the_scan_finds_what_escape_rewrites_in_values_and_keys() {
        for text in [
            "a\u{1b}[2J",
            "line\nbreak",
            "tab\t",
            "nul\u{0}",
            "del\u{7f}",
            "c1\u{85}",
            "rtl\u{202e}",
            "sep\u{2028}",
            "mark\u{200f}",
        ] {
            assert!(needs_escape(&json!({"name": text})), "{text:?}");
            assert!(needs_escape(&json!({text: 1})), "key {text:?}");
        }
        for text in [
            "Sales-EU é",
            "back\\slash\\n",
            "quote \"x\"",
            "emoji 🛫",
            "a/b",
            "日本",
        ] {
            assert!(
                !needs_escape(&json!({"name": text, "list": [text, 1, null]})),
                "{text:?}"
            );
        }
    }

    /// Strings rich in what matters here: controls, separators, bidirectional marks, backslashes
    /// and quotes (JSON escapes), multi-byte characters, and any other character.
    fn text() -> impl Strategy<Value = String> {
        let special = proptest::sample::select(vec![
            '\u{0}', '\u{1b}', '\n', '\t', '\r', '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}', '\u{61c}',
            '\u{200e}', '\u{2028}', '\u{202e}', '\u{2066}', '\\', '"', '/', 'é', '🛫', 'n', 'u',
        ]);
        proptest::collection::vec(prop_oneof![special, any::<char>()], 0..12)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(15), ..ProptestConfig::default() })]
        /// The streamed scan agrees with escaping string by string.
        #[test]
        fn the_scan_agrees_with_escape(texts in proptest::collection::vec(text(), 0..4)) {
            let expected = texts.iter().any(|t| escaped(t));
            prop_assert_eq!(needs_escape(&texts), expected);
        }
    }
}
