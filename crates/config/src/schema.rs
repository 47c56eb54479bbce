//! JSON Schemas of the YAML kinds, for editors (`# yaml-language-server: $schema=…`).
//!
//! One schema per kind plus `hangar.json`, which accepts any kind (dispatching on `kind`).
//! `hangar schema` writes them to `schemas/`; a test fails when the committed files are stale.

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::wire;

/// Every schema file: (file name, schema).
pub fn schemas() -> Vec<(String, Value)> {
    let mut out = vec![
        kind_schema::<wire::Tenant>("Tenant"),
        kind_schema::<wire::Base>("Base"),
        kind_schema::<wire::DeviceGroup>("DeviceGroup"),
        kind_schema::<wire::DeploymentProfile>("DeploymentProfile"),
        kind_schema::<wire::EnrollmentStatusPage>("EnrollmentStatusPage"),
        kind_schema::<wire::DevicePreparationPolicy>("DevicePreparationPolicy"),
        kind_schema::<wire::DomainJoinProfile>("DomainJoinProfile"),
        kind_schema::<wire::EnrollmentRestriction>("EnrollmentRestriction"),
        kind_schema::<wire::AutopilotDevices>("AutopilotDevices"),
    ];
    let kinds: Vec<Value> = out
        .iter()
        .map(|(file, _)| Value::String(file.trim_end_matches(".json").to_owned()))
        .collect();
    // One self-contained document: every kind's `$defs` moves to the root, where their
    // `#/$defs/...` references resolve (same-named definitions are the same Rust type).
    let mut defs = serde_json::Map::new();
    let mut one_of = Vec::new();
    for (_, schema) in &out {
        let mut schema = schema.clone();
        if let Some(object) = schema.as_object_mut() {
            object.remove("$schema");
            if let Some(Value::Object(kind_defs)) = object.remove("$defs") {
                defs.extend(kind_defs);
            }
        }
        one_of.push(schema);
    }
    out.push((
        "hangar.json".to_owned(),
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "hangar document",
            "description": "Any hangar YAML document; `kind` selects the schema.",
            "type": "object",
            "required": ["kind", "name"],
            "properties": { "kind": { "enum": kinds } },
            "oneOf": one_of,
            "$defs": defs,
        }),
    ));
    out
}

fn kind_schema<T: JsonSchema>(kind: &str) -> (String, Value) {
    let mut generator = SchemaGenerator::default();
    let schema = generator.root_schema_for::<T>();
    let mut value = schema.to_value();
    value["properties"]["kind"] = json!({ "const": kind, "description": format!("`{kind}`.") });
    (format!("{kind}.json"), value)
}
