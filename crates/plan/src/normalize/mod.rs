//! The normalisation catalog: every way a live value may differ from hangar's body without
//! being a change, as data.
//!
//! Both sides of a comparison are *comparable objects*: the Graph body hangar would send (or
//! the properties Graph returned), plus the parts of an object that are written with their own
//! requests under reserved keys: `assignments` (Graph assignment objects), `owners` (object
//! ids), `deviceGroup` (enrollment-time device membership target ids) and, for Device
//! Preparation, `settings`. [`normalize`] runs the kind's [`Entry`]s, in table order, over both
//! sides; the diff then compares what is left.
//!
//! Each entry is one row of `docs/normalization.md` (a test checks the file matches
//! [`markdown_table`]) and carries an [`Example`]: raw values that differ and must normalise
//! equal, checked by a table-driven test.
//!
//! Paths are `/`-separated keys (so `@odata.type` stays one key); `name[]` steps into every
//! element of the array `name`; `*` is the whole object.

mod common;
mod device_preparation;
mod domain_join;
mod enrollment_status_page;
mod group;
mod profile;
mod restriction;

use std::cmp::Ordering;

use hangar_model::{AssignmentSource, Kind, LiveTarget};
use serde_json::{Map, Value};

/// What an entry does to the value at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Read-only or volatile: removed from both sides.
    Ignore,
    /// Sent on create only and never compared.
    SentOnCreateOnly,
    /// Absent, `null`, `""` and `[]` all mean this value (a JSON literal), on both sides.
    EmptyMeans(&'static str),
    /// These values (JSON literals) mean "absent": the key is removed on both sides.
    AbsentWhen(&'static [&'static str]),
    /// A list whose order and duplicates carry no meaning.
    Set,
    /// Strings (or a list of strings) compared case-insensitively (GUIDs, domain names).
    CaseInsensitive,
    /// These spellings (matched case-insensitively) are one value, written as `to`.
    Alias {
        /// Equivalent spellings.
        from: &'static [&'static str],
        /// The canonical spelling.
        to: &'static str,
    },
    /// Graph does not always return the property: compared only when the live side has it.
    OmittedByServer,
    /// Not compared while the desired object is in a state in which the service ignores it.
    IgnoreWhen(Condition),
    /// An Entra dynamic membership rule: compared structurally (`hangar-membership`), so
    /// whitespace, redundant parentheses and keyword case do not matter.
    MembershipRule,
    /// Assignments inherited from elsewhere (policy sets) are not this object's own.
    DirectOnly,
    /// Assignments whose target type hangar does not write are not compared.
    UnmanagedTargets,
    /// Device Preparation `settings[]`: keyed by `settingDefinitionId`, each reduced to its
    /// value (choice option id, simple value, or list of values).
    SettingsByDefinition,
    /// Device Preparation allowed apps: each value is a JSON string `{"id":…,"type":…}`;
    /// only the app id is compared (the type follows from the app).
    AppIds,
    /// The live list may hold more than Git lists; only missing elements are a change.
    Superset,
    /// `@odata.*` annotations other than `@odata.type` (context, etag, navigation links).
    Annotations,
    /// Properties hangar does not send are not compared (the body decides what is managed).
    Unmanaged,
}

/// A state of the desired object: the value at `path` equals `equals` (a JSON literal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// Path in the desired object.
    pub path: &'static str,
    /// JSON literal.
    pub equals: &'static str,
}

/// Raw values that differ and normalise equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// Desired comparable object (JSON).
    pub desired: &'static str,
    /// Live comparable object (JSON).
    pub live: &'static str,
}

/// One row of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Stable identifier, e.g. `profile.locale-os-default`.
    pub id: &'static str,
    /// Paths the rule applies to.
    pub paths: &'static [&'static str],
    /// What it does.
    pub rule: Rule,
    /// Why, in a sentence.
    pub reason: &'static str,
    /// Where the fact comes from.
    pub source: &'static str,
    /// A case that proves it.
    pub example: Example,
}

/// The kinds with a catalog, in documentation order.
pub const KINDS: [Kind; 6] = [
    Kind::DeviceGroup,
    Kind::DeploymentProfile,
    Kind::EnrollmentStatusPage,
    Kind::DomainJoinProfile,
    Kind::EnrollmentRestriction,
    Kind::DevicePreparationPolicy,
];

/// The kind-specific entries.
pub fn kind_entries(kind: Kind) -> &'static [Entry] {
    match kind {
        Kind::DeviceGroup => group::ENTRIES,
        Kind::DeploymentProfile => profile::ENTRIES,
        Kind::EnrollmentStatusPage => enrollment_status_page::ENTRIES,
        Kind::DomainJoinProfile => domain_join::ENTRIES,
        Kind::EnrollmentRestriction => restriction::ENTRIES,
        Kind::DevicePreparationPolicy => device_preparation::ENTRIES,
        Kind::AutopilotDevice => &[],
    }
}

/// Shared entries for `kind` that run before its own: annotations, read-only identity fields,
/// scope tags and assignments where the kind has them.
fn shared_before(kind: Kind) -> impl Iterator<Item = &'static Entry> {
    let intune = kind != Kind::DeviceGroup && kind != Kind::AutopilotDevice;
    common::FIRST
        .iter()
        .chain(if intune { common::INTUNE } else { &[] })
        .chain(if has_assignments(kind) {
            common::ASSIGNMENTS
        } else {
            &[]
        })
}

/// Whether the kind has assignments hangar manages.
pub fn has_assignments(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::DeploymentProfile
            | Kind::EnrollmentStatusPage
            | Kind::DomainJoinProfile
            | Kind::EnrollmentRestriction
            | Kind::DevicePreparationPolicy
    )
}

/// Every entry that applies to `kind`, in the order [`normalize`] runs them.
pub fn entries(kind: Kind) -> impl Iterator<Item = &'static Entry> {
    shared_before(kind).chain(kind_entries(kind)).chain(common::LAST)
}

/// Every entry of the catalog once, shared ones first.
pub fn catalog() -> Vec<&'static Entry> {
    let mut all: Vec<&'static Entry> = common::FIRST
        .iter()
        .chain(common::INTUNE)
        .chain(common::ASSIGNMENTS)
        .collect();
    for kind in KINDS {
        all.extend(kind_entries(kind));
    }
    all.extend(common::LAST);
    all
}

/// Normalises both sides of a comparison of one object of `kind`.
pub fn normalize(kind: Kind, desired: &mut Map<String, Value>, live: &mut Map<String, Value>) {
    for entry in entries(kind) {
        apply(entry, desired, live);
    }
}

/// Runs one entry over both sides.
pub fn apply(entry: &Entry, desired: &mut Map<String, Value>, live: &mut Map<String, Value>) {
    for path in entry.paths {
        let segments: Vec<&str> = path.split('/').collect();
        match entry.rule {
            Rule::OmittedByServer => {
                if get(live, &segments).is_none_or(Value::is_null) {
                    remove(desired, &segments);
                }
            }
            Rule::IgnoreWhen(condition) => {
                let cond_path: Vec<&str> = condition.path.split('/').collect();
                let expected = literal(condition.equals);
                if get(desired, &cond_path) == Some(&expected) {
                    remove(desired, &segments);
                    remove(live, &segments);
                }
            }
            Rule::Superset => {
                let wanted = get(desired, &segments).cloned();
                visit(live, &segments, &mut |parent, key| {
                    let Some(Value::Array(items)) = parent.get_mut(key) else {
                        return;
                    };
                    let wanted: &[Value] = match &wanted {
                        Some(Value::Array(wanted)) => wanted,
                        _ => &[],
                    };
                    items.retain(|item| wanted.contains(item));
                });
            }
            Rule::Unmanaged => unmanaged(desired, live),
            // A top-level property the body does not send is not managed (`common.unmanaged`
            // drops it from the live side): "absent means empty" must not invent it, or the
            // plan shows a change that apply never makes (the built-in ESP's description).
            // Nested values (Device Preparation settings, sent whole with PUT) are filled in.
            Rule::EmptyMeans(_) if segments.len() == 1 && !desired.contains_key(segments[0]) => {}
            _ => {
                for side in [&mut *desired, &mut *live] {
                    visit(side, &segments, &mut |parent, key| {
                        apply_one(entry.rule, parent, key)
                    });
                }
            }
        }
    }
}

/// A rule that looks at one side only.
fn apply_one(rule: Rule, parent: &mut Map<String, Value>, key: &str) {
    match rule {
        Rule::Ignore | Rule::SentOnCreateOnly => {
            parent.remove(key);
        }
        Rule::EmptyMeans(value) => {
            let empty = match parent.get(key) {
                None | Some(Value::Null) => true,
                Some(Value::String(text)) => text.is_empty(),
                Some(Value::Array(items)) => items.is_empty(),
                Some(_) => false,
            };
            if empty {
                parent.insert(key.to_owned(), literal(value));
            }
        }
        Rule::AbsentWhen(values) => {
            if parent
                .get(key)
                .is_some_and(|value| values.iter().any(|v| literal(v) == *value))
            {
                parent.remove(key);
            }
        }
        Rule::Set => {
            if let Some(Value::Array(items)) = parent.get_mut(key) {
                items.sort_by(compare_values);
                items.dedup();
            }
        }
        Rule::CaseInsensitive => match parent.get_mut(key) {
            Some(Value::String(text)) => *text = text.to_lowercase(),
            Some(Value::Array(items)) => {
                for item in items {
                    if let Value::String(text) = item {
                        *text = text.to_lowercase();
                    }
                }
            }
            _ => {}
        },
        Rule::Alias { from, to } => {
            if let Some(Value::String(text)) = parent.get_mut(key)
                && from.iter().any(|alias| alias.eq_ignore_ascii_case(text))
            {
                *text = to.to_owned();
            }
        }
        Rule::MembershipRule => {
            if let Some(Value::String(text)) = parent.get_mut(key)
                && let Ok(rule) = hangar_membership::parse(text)
            {
                *text = rule.canonical();
            }
        }
        Rule::DirectOnly => {
            if let Some(Value::Array(items)) = parent.get_mut(key) {
                items.retain(|item| AssignmentSource::parse(item.get("source")).is_direct());
            }
        }
        Rule::UnmanagedTargets => {
            if let Some(Value::Array(items)) = parent.get_mut(key) {
                items.retain(|item| {
                    !matches!(
                        LiveTarget::parse(item.get("target").unwrap_or(&Value::Null)),
                        LiveTarget::Other { .. }
                    )
                });
            }
        }
        Rule::SettingsByDefinition => {
            if let Some(Value::Array(items)) = parent.get(key) {
                let settings = hangar_model::device_preparation::settings_by_definition(items);
                parent.insert(key.to_owned(), Value::Object(settings));
            }
        }
        Rule::AppIds => {
            if let Some(Value::Array(items)) = parent.get_mut(key) {
                for item in items {
                    if let Value::String(text) = item
                        && let Ok(Value::Object(app)) = serde_json::from_str::<Value>(text)
                        && let Some(Value::String(id)) = app.get("id")
                    {
                        *text = id.clone();
                    }
                }
            }
        }
        Rule::Annotations => strip_annotations(parent),
        Rule::OmittedByServer | Rule::IgnoreWhen(_) | Rule::Superset | Rule::Unmanaged => {}
    }
}

/// Parses a JSON literal from the catalog. The catalog is static and tested, so a bad literal
/// is a bug caught by the tests, never user input; it reads as `null`.
fn literal(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A total order on JSON values, for sets: by type, then by value.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(value: &Value) -> u8 {
        match value {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Number(a), Value::Number(b)) => {
            a.as_f64().partial_cmp(&b.as_f64()).unwrap_or(Ordering::Equal)
        }
        _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Calls `f(parent, key)` for every place `segments` reaches.
fn visit(map: &mut Map<String, Value>, segments: &[&str], f: &mut dyn FnMut(&mut Map<String, Value>, &str)) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if rest.is_empty() {
        if *first == "*" {
            f(map, "*");
        } else {
            f(map, first.trim_end_matches("[]"));
        }
        return;
    }
    if let Some(key) = first.strip_suffix("[]") {
        if let Some(Value::Array(items)) = map.get_mut(key) {
            for item in items {
                if let Value::Object(inner) = item {
                    visit(inner, rest, f);
                }
            }
        }
    } else if let Some(Value::Object(inner)) = map.get_mut(*first) {
        visit(inner, rest, f);
    }
}

/// The value at a path without `[]` steps.
fn get<'a>(map: &'a Map<String, Value>, segments: &[&str]) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    let value = map.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    match value {
        Value::Object(inner) => get(inner, rest),
        _ => None,
    }
}

/// Removes the value at a path without `[]` steps.
fn remove(map: &mut Map<String, Value>, segments: &[&str]) {
    visit(map, segments, &mut |parent, key| {
        parent.remove(key);
    });
}

/// Removes from `live` every key (recursively through objects) that `desired` does not have.
fn unmanaged(desired: &Map<String, Value>, live: &mut Map<String, Value>) {
    live.retain(|key, _| desired.contains_key(key));
    for (key, value) in live.iter_mut() {
        if let (Value::Object(inner), Some(Value::Object(wanted))) = (value, desired.get(key)) {
            unmanaged(wanted, inner);
        }
    }
}

fn strip_annotations(map: &mut Map<String, Value>) {
    map.retain(|key, _| !key.contains("@odata.") || key == "@odata.type");
    for value in map.values_mut() {
        match value {
            Value::Object(inner) => strip_annotations(inner),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        strip_annotations(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The catalog as the Markdown table of `docs/normalization.md`.
pub fn markdown_table() -> String {
    let mut out = String::new();
    out.push_str("| id | applies to | path | rule | why | source |\n|---|---|---|---|---|---|\n");
    for entry in catalog() {
        let kinds: Vec<&str> = applies_to(entry).iter().map(|kind| kind.name()).collect();
        let kinds = if kinds.len() == KINDS.len() {
            "every kind".to_owned()
        } else {
            kinds.join(", ")
        };
        let paths: Vec<String> = entry.paths.iter().map(|path| format!("`{path}`")).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            entry.id,
            kinds,
            paths.join(", "),
            describe_rule(entry.rule),
            entry.reason.replace('|', "\\|"),
            entry.source.replace('|', "\\|"),
        ));
    }
    out
}

/// The kinds an entry applies to.
pub fn applies_to(entry: &Entry) -> Vec<Kind> {
    KINDS
        .into_iter()
        .filter(|&kind| entries(kind).any(|e| std::ptr::eq(e, entry) || e.id == entry.id))
        .collect()
}

fn describe_rule(rule: Rule) -> String {
    match rule {
        Rule::Ignore => "ignored (read-only or volatile)".to_owned(),
        Rule::SentOnCreateOnly => "sent on create, never compared".to_owned(),
        Rule::EmptyMeans(value) => format!("absent, `null`, `\"\"` or `[]` means `{value}`"),
        Rule::AbsentWhen(values) => {
            let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
            format!("{} mean absent", values.join(", "))
        }
        Rule::Set => "set: order and duplicates ignored".to_owned(),
        Rule::CaseInsensitive => "case-insensitive".to_owned(),
        Rule::Alias { from, to } => {
            let from: Vec<String> = from.iter().map(|v| format!("`{v}`")).collect();
            format!("{} are all `{to}` (any case)", from.join(", "))
        }
        Rule::OmittedByServer => "compared only when Graph returns it".to_owned(),
        Rule::IgnoreWhen(condition) => {
            format!("not compared when `{}` is `{}`", condition.path, condition.equals)
        }
        Rule::MembershipRule => "compared as parsed rules (structure, not text)".to_owned(),
        Rule::DirectOnly => "only `source: direct` assignments compared".to_owned(),
        Rule::UnmanagedTargets => "only target types hangar writes compared".to_owned(),
        Rule::SettingsByDefinition => "compared per `settingDefinitionId`, by value".to_owned(),
        Rule::AppIds => "compared by app id".to_owned(),
        Rule::Superset => "extra live elements are not a change".to_owned(),
        Rule::Annotations => "removed".to_owned(),
        Rule::Unmanaged => "not compared".to_owned(),
    }
}

#[cfg(test)]
mod tests;
