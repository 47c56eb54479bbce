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
