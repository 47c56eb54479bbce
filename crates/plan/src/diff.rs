//! Field-level comparison of two normalised comparable objects.
//!
//! Objects are compared key by key (recursively); anything else (strings, numbers, lists) as a
//! whole. The result lists each differing leaf with its dotted path, live value before and
//! desired value after. What counts as "the same" is decided earlier, by the catalog
//! ([`crate::normalize`]); this module only reports what is left.

use serde_json::{Map, Value};

use crate::plan::Change;

/// Every difference between `desired` and `live`, sorted by path.
pub fn compare(desired: &Map<String, Value>, live: &Map<String, Value>) -> Vec<Change> {
    let mut changes = Vec::new();
    compare_maps("", desired, live, &mut changes);
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

fn compare_maps(
    prefix: &str,
    desired: &Map<String, Value>,
    live: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    let mut keys: Vec<&String> = desired.keys().collect();
    keys.extend(live.keys().filter(|key| !desired.contains_key(*key)));
    for key in keys {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (desired.get(key), live.get(key)) {
            (Some(Value::Object(want)), Some(Value::Object(have))) => compare_maps(&path, want, have, out),
            (want, have) if want == have => {}
            (want, have) => out.push(Change {
                path,
                before: have.cloned(),
                after: want.cloned(),
                create_only: false,
                field: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn nested_leaves_are_reported_with_dotted_paths() {
        let desired = map(json!({"a": 1, "o": {"x": true, "y": "s"}, "l": [1, 2]}));
        let live = map(json!({"a": 1, "o": {"x": false, "y": "s"}, "l": [2, 1], "extra": null}));
        let changes = compare(&desired, &live);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["extra", "l", "o.x"]);
        assert_eq!(changes[2].before, Some(json!(false)));
        assert_eq!(changes[2].after, Some(json!(true)));
        assert_eq!(changes[0].after, None);
    }

    #[test]
    fn equal_objects_have_no_changes() {
        let value = map(json!({"a": {"b": [1, {"c": 2}]}}));
        assert!(compare(&value, &value.clone()).is_empty());
    }
}
