use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::*;
use crate::diff::compare;

fn object(text: &str, id: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("example of `{id}` is not a JSON object: {other:?}"),
    }
}

fn normalized_without(
    kind: Kind,
    skip: Option<&str>,
    desired: &str,
    live: &str,
    id: &str,
) -> Vec<crate::Change> {
    let mut desired = object(desired, id);
    let mut live = object(live, id);
    for entry in entries(kind).filter(|entry| Some(entry.id) != skip) {
        apply(entry, &mut desired, &mut live);
    }
    compare(&desired, &live)
}

/// Every entry: the raw example differs, the normalised one does not, and without the entry it
/// still would (so the entry is what makes the difference).
#[test]
fn every_entry_example_differs_raw_and_normalises_equal() {
    let mut failures = Vec::new();
    for entry in catalog() {
        let result = std::panic::catch_unwind(|| check_example(entry));
        if let Err(panic) = result {
            failures.push(panic.downcast_ref::<String>().cloned().unwrap_or_default());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_example(entry: &Entry) {
    {
        let kinds = applies_to(entry);
        assert!(!kinds.is_empty(), "`{}` applies to no kind", entry.id);
        let raw = compare(
            &object(entry.example.desired, entry.id),
            &object(entry.example.live, entry.id),
        );
        assert!(
            !raw.is_empty(),
            "`{}`: the example's raw values are equal",
            entry.id
        );
        for kind in kinds {
            let normalised =
                normalized_without(kind, None, entry.example.desired, entry.example.live, entry.id);
            assert!(
                normalised.is_empty(),
                "`{}` ({kind}): still differs after normalisation: {normalised:?}",
                entry.id
            );
            let without = normalized_without(
                kind,
                Some(entry.id),
                entry.example.desired,
                entry.example.live,
                entry.id,
            );
            assert!(
                !without.is_empty(),
                "`{}` ({kind}): the example is equal even without the entry",
                entry.id
            );
        }
    }
}

#[test]
fn entry_ids_are_unique_and_literals_parse() {
    let mut ids = BTreeSet::new();
    for entry in catalog() {
        assert!(ids.insert(entry.id), "duplicate id `{}`", entry.id);
        assert!(
            !entry.paths.is_empty() && !entry.reason.is_empty() && !entry.source.is_empty(),
            "`{}`",
            entry.id
        );
        let literals: Vec<&str> = match entry.rule {
            Rule::EmptyMeans(value) => vec![value],
            Rule::AbsentWhen(values) => values.to_vec(),
            Rule::IgnoreWhen(condition) => vec![condition.equals],
            _ => vec![],
        };
        for literal in literals {
            assert!(
                serde_json::from_str::<Value>(literal).is_ok(),
                "`{}`: bad literal {literal}",
                entry.id
            );
        }
    }
}

#[test]
fn docs_table_matches_the_catalog() {
    let docs = include_str!("../../../../docs/normalization.md");
    let table = markdown_table();
    assert!(
        docs.contains(&table),
        "docs/normalization.md is stale: replace its table with the output of `hangar_plan::normalize::markdown_table()`:\n{table}"
    );
}

#[test]
fn real_differences_survive_normalisation() {
    let mut desired = object(
        r#"{"locale":"en-US","roleScopeTagIds":["0"],"description":""}"#,
        "t",
    );
    let mut live = object(
        r#"{"locale":"fr-FR","roleScopeTagIds":["0","7"],"description":"edited"}"#,
        "t",
    );
    normalize(Kind::DeploymentProfile, &mut desired, &mut live);
    let paths: Vec<String> = compare(&desired, &live).into_iter().map(|c| c.path).collect();
    assert_eq!(paths, ["description", "locale", "roleScopeTagIds"]);
}

#[test]
fn a_property_the_body_does_not_send_is_not_invented() {
    // The built-in ESP without `description:` in Git: hangar does not send one.
    let mut desired = object(r#"{"showInstallationProgress":true}"#, "t");
    let mut live = object(
        r#"{"showInstallationProgress":true,"description":"This is the default enrollment status screen configuration"}"#,
        "t",
    );
    normalize(Kind::EnrollmentStatusPage, &mut desired, &mut live);
    assert!(compare(&desired, &live).is_empty());
}

#[test]
fn membership_rule_value_changes_are_kept() {
    let mut desired = object(
        r#"{"membershipRule":"(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"}"#,
        "t",
    );
    let mut live = object(
        r#"{"membershipRule":"(device.devicePhysicalIds -any (_ -eq \"[OrderID]:sales\"))"}"#,
        "t",
    );
    normalize(Kind::DeviceGroup, &mut desired, &mut live);
    assert_eq!(compare(&desired, &live).len(), 1);
}

/// The mapping tables in `hangar_config::fields` name, for every field that is a Graph property
/// or setting, the catalog rows that apply to it: both must agree, so a field's row tells the
/// whole story of how it is compared.
#[test]
fn field_rows_name_their_normalisation() {
    use hangar_config::fields::{self, Graph};
    for kind in KINDS {
        let rows = fields::kind(kind.name()).expect("every catalog kind has a table");
        for row in rows.rows() {
            let path = match row.graph {
                Graph::Property { path, .. } => path.to_owned(),
                Graph::Setting { definition, .. } => format!("settings/{definition}"),
                Graph::Request(_) | Graph::None => {
                    for id in row.normalisation {
                        assert!(
                            entries(kind).any(|entry| entry.id == *id),
                            "{kind} `{}` names `{id}`, which does not apply to {kind}",
                            row.yaml
                        );
                    }
                    continue;
                }
            };
            let applying: BTreeSet<&str> = entries(kind)
                .filter(|entry| {
                    entry.paths.iter().any(|p| {
                        *p == path || p.replace("windowsRestriction/", "platformRestriction/") == path
                    })
                })
                .map(|entry| entry.id)
                .collect();
            let named: BTreeSet<&str> = row.normalisation.iter().copied().collect();
            assert_eq!(
                named, applying,
                "{kind} `{}` (Graph `{path}`): the row's `normalisation` must list exactly the catalog rows for its path",
                row.yaml
            );
        }
    }
}

#[test]
fn the_default_esp_message_is_one_text() {
    assert_eq!(
        serde_json::from_str::<Value>(enrollment_status_page::DEFAULT_MESSAGE).ok(),
        Some(Value::String(
            hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE.to_owned()
        ))
    );
}
