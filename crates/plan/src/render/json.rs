//! The JSON plan: [`crate::Plan`] serialised with every object's keys sorted, so the bytes
//! depend only on the plan (not on how serde_json was built). Documented in
//! `docs/plan-format.md`.

use serde_json::{Map, Value};

use crate::Plan;

/// The plan as pretty-printed JSON, with a trailing newline.
pub fn render(plan: &Plan) -> String {
    // Serialising plain data into a `Value` cannot fail (no maps with non-string keys).
    let value = serde_json::to_value(plan).unwrap_or(Value::Null);
    let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (key, value) in entries {
                out.insert(key, sorted(value));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
