//! JSON Schemas of the YAML kinds, for editors (`# yaml-language-server: $schema=…`).
//!
//! One schema per kind plus `hangar.json`, which accepts any kind (dispatching on `kind`).
//! `hangar schema` writes them to `schemas/`; a test fails when the committed files are stale.
//!
//! The shapes come from the wire types; every property's description comes from its row in
//! [`crate::fields`] (doc, admin center label, default, Graph property), so editors show the
//! same text as `docs/configuration.md`.

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::fields::{self, ASSIGN};
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
    if let Some(rows) = fields::kind(kind) {
        for row in rows.rows() {
            if let Some(pointer) = property_pointer(&value, row.yaml)
                && let Some(node) = value.pointer_mut(&pointer)
            {
                node["description"] = json!(fields::schema_description(row));
            }
        }
    }
    for field in ASSIGN {
        if let Some(pointer) = property_pointer(&value, field.info.yaml)
            && let Some(node) = value.pointer_mut(&pointer)
        {
            node["description"] = json!(fields::schema_description(&field.info));
        }
    }
    value["properties"]["kind"] = json!({ "const": kind, "description": format!("`{kind}`.") });
    (format!("{kind}.json"), value)
}

/// The JSON pointer of the schema of a dotted YAML path (`oobe.userType`), following `$ref`s
/// into `$defs`.
fn property_pointer(root: &Value, path: &str) -> Option<String> {
    let mut pointer = String::new();
    for (index, segment) in path.split('.').enumerate() {
        if index > 0 {
            pointer = object_pointer(root, &pointer)?;
        }
        pointer = format!("{pointer}/properties/{segment}");
        root.pointer(&pointer)?;
    }
    Some(pointer)
}

/// Where the object schema of the node at `pointer` is: itself, or the definition a `$ref`
/// (directly or in an `anyOf` with `null`) names.
fn object_pointer(root: &Value, pointer: &str) -> Option<String> {
    let node = root.pointer(pointer)?;
    if node.get("properties").is_some() {
        return Some(pointer.to_owned());
    }
    let reference = node.get("$ref").and_then(Value::as_str).or_else(|| {
        node.get("anyOf")?
            .as_array()?
            .iter()
            .find_map(|alt| alt.get("$ref").and_then(Value::as_str))
    })?;
    let target = reference.strip_prefix('#')?.to_owned();
    root.pointer(&target)?.get("properties")?;
    Some(target)
}

#[cfg(test)]
/// Every leaf property of a kind's schema, as a dotted YAML path: nested objects (`oobe`,
/// `windows`, `prune`) are walked, `assign` is one leaf (its fields are [`ASSIGN`]).
pub(crate) fn leaf_paths(root: &Value) -> Vec<String> {
    fn walk(root: &Value, pointer: &str, prefix: &str, out: &mut Vec<String>) {
        let Some(Value::Object(properties)) = root.pointer(&format!("{pointer}/properties")) else {
            return;
        };
        for name in properties.keys() {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let child = format!("{pointer}/properties/{name}");
            match object_pointer(root, &child).filter(|_| name != "assign") {
                Some(object) => walk(root, &object, &path, out),
                None => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    walk(root, "", "", &mut out);
    out
}
