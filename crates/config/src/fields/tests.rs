use std::collections::BTreeMap;

use super::*;

#[test]
fn every_yaml_field_has_exactly_one_row() {
    let schemas: BTreeMap<String, Value> = crate::schema::schemas().into_iter().collect();
    for rows in kinds() {
        let schema = &schemas[&format!("{}.json", rows.kind)];
        let leaves = crate::schema::leaf_paths(schema);
        let names: Vec<&str> = rows.rows().iter().map(|row| row.yaml).collect();
        for leaf in &leaves {
            let count = names.iter().filter(|name| **name == leaf.as_str()).count();
            assert_eq!(count, 1, "{}: `{leaf}` has {count} rows", rows.kind);
        }
        for name in &names {
            assert!(
                leaves.iter().any(|leaf| leaf == name),
                "{}: row `{name}` is no field of the YAML",
                rows.kind
            );
        }
    }
    // The shared `assign:` block.
    let schema = &schemas["DeploymentProfile.json"];
    let mut assign: Vec<String> = schema["$defs"]["Assign"]["properties"]
        .as_object()
        .expect("Assign has properties")
        .keys()
        .map(|key| format!("assign.{key}"))
        .collect();
    let mut rows: Vec<&str> = ASSIGN.iter().map(|f| f.info.yaml).collect();
    assign.sort();
    rows.sort_unstable();
    assert_eq!(assign, rows);
}

#[test]
fn defaults_fit_their_types_and_codecs_their_enums() {
    let mut all: Vec<&FieldInfo> = kinds().iter().flat_map(|k| k.rows()).collect();
    all.extend(ASSIGN.iter().map(|f| &f.info));
    for row in all {
        if let Default::Value { yaml, .. } = row.default {
            match row.ty {
                Type::Bool => assert!(yaml == "true" || yaml == "false", "{}: {yaml}", row.yaml),
                Type::Int { min, max } => {
                    let value: u32 = yaml.parse().unwrap_or_else(|_| panic!("{}: {yaml}", row.yaml));
                    assert!((min..=max).contains(&value), "{}: {yaml}", row.yaml);
                    assert_eq!(row.u32_default(), value);
                }
                Type::Enum(values) => assert!(values.contains(&yaml), "{}: {yaml}", row.yaml),
                Type::List(_) => assert!(yaml.starts_with('['), "{}: {yaml}", row.yaml),
                Type::Text | Type::Other(_) => {}
            }
        }
        if let Graph::Property {
            codec: Codec::Enum(pairs),
            ..
        } = row.graph
        {
            let Type::Enum(values) = row.ty else {
                panic!("{}: an enum codec on a non-enum field", row.yaml)
            };
            let yaml: Vec<&str> = pairs.iter().map(|(y, _)| *y).collect();
            assert_eq!(yaml, values, "{}", row.yaml);
        }
        if let Default::Empty { graph, .. } = row.default {
            assert!(
                serde_json::from_str::<Value>(graph).is_ok(),
                "{}: `{graph}` is not JSON",
                row.yaml
            );
        }
    }
}

#[test]
fn codecs_go_both_ways() {
    let enums = [
        profile::MODES,
        profile::DEVICE_TYPES,
        profile::USER_TYPES,
        profile::JOINS,
    ];
    for pairs in enums {
        let codec = Codec::Enum(pairs);
        for (yaml, graph) in pairs {
            assert_eq!(
                codec.to_graph(&serde_json::json!(yaml)),
                Some(serde_json::json!(graph))
            );
            assert_eq!(
                codec.to_yaml(&serde_json::json!(graph)),
                Some(serde_json::json!(yaml))
            );
        }
        assert_eq!(codec.to_graph(&serde_json::json!("nonsense")), None);
    }
    assert_eq!(
        Codec::Not.to_graph(&serde_json::json!(true)),
        Some(serde_json::json!(false))
    );
    assert_eq!(
        Codec::Not.to_yaml(&serde_json::json!(false)),
        Some(serde_json::json!(true))
    );
}

#[test]
fn graph_paths_lead_back_to_yaml_fields() {
    let yaml = |kind: &str, path: &str| graph_field(kind, path).map(|row| row.yaml);
    assert_eq!(
        yaml("DeploymentProfile", "outOfBoxExperienceSetting.userType"),
        Some("oobe.userType")
    );
    assert_eq!(yaml("DeploymentProfile", "@odata.type"), Some("join"));
    assert_eq!(
        yaml("EnrollmentStatusPage", "allowLogCollectionOnInstallFailure"),
        Some("collectLogs")
    );
    assert_eq!(
        yaml("EnrollmentRestriction", "windowsRestriction.platformBlocked"),
        Some("windows.platformBlocked")
    );
    assert_eq!(
        yaml("EnrollmentRestriction", "platformRestriction/osMinimumVersion"),
        Some("windows.osMinimum")
    );
    assert_eq!(
        yaml(
            "DevicePreparationPolicy",
            "settings.enrollment_autopilot_dpp_timeout"
        ),
        Some("timeoutMinutes")
    );
    assert_eq!(yaml("DeploymentProfile", "description"), Some("description"));
    assert_eq!(yaml("DeploymentProfile", "managementServiceAppId"), None);
}

/// The tables of `docs/configuration.md`, each between `<!-- fields:KIND -->` and
/// `<!-- /fields -->`. `HANGAR_BLESS=1 cargo test -p hangar-config fields` rewrites them.
#[test]
fn docs_configuration_tables_are_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let mut docs = std::fs::read_to_string(path).expect("docs/configuration.md is readable");
    let bless = std::env::var_os("HANGAR_BLESS").is_some();
    for (kind, table) in markdown_tables() {
        let start = format!("<!-- fields:{kind} -->\n");
        let at = docs
            .find(&start)
            .map(|i| i + start.len())
            .unwrap_or_else(|| panic!("docs/configuration.md has no `{}` marker", start.trim()));
        let end = at
            + docs[at..]
                .find("<!-- /fields -->")
                .expect("every marker is closed");
        if docs[at..end] != table {
            assert!(
                bless,
                "docs/configuration.md is stale (run `HANGAR_BLESS=1 cargo test -p hangar-config fields`): the table of `{kind}` must be\n{start}{table}<!-- /fields -->"
            );
            docs.replace_range(at..end, &table);
        }
    }
    if bless {
        std::fs::write(path, docs).expect("docs/configuration.md is writable");
    }
}
