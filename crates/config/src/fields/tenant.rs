//! `Tenant`: settings, not a Graph object.

use serde_json::Value;

use super::{Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::Tenant;
use crate::span::Spanned;

/// `kind: Tenant`.
pub static TENANT: Table<Tenant> = Table {
    kind: "Tenant",
    graph_type: "none: the tenant this directory describes (exactly one per directory)",
    meta: &["kind"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "name",
                ty: Type::Text,
                graph: Graph::None,
                default: Default::Required,
                label: None,
                doc: "A label for people, e.g. `contoso-prod`; not sent anywhere.",
                normalisation: &[],
            },
            get: Some(|t, _| get::value(&t.name)),
        },
        Field {
            info: FieldInfo {
                yaml: "cloud",
                ty: Type::Enum(&["commercial", "gcc", "gcc-high", "dod"]),
                graph: Graph::None,
                default: Default::Required,
                label: None,
                doc: "Which Microsoft cloud: hosts and capabilities (`gcc-high` and `dod` have no classic profiles).",
                normalisation: &[],
            },
            get: Some(|t, _| {
                Some(Spanned::new(
                    Value::String(t.cloud.value.name().to_owned()),
                    t.cloud.span,
                ))
            }),
        },
        Field {
            info: FieldInfo {
                yaml: "tenantId",
                ty: Type::Text,
                graph: Graph::None,
                default: Default::Required,
                label: None,
                doc: "Directory (tenant) id, a GUID or a verified domain; used to sign in.",
                normalisation: &[],
            },
            get: Some(|t, _| get::value(&t.tenant_id)),
        },
        Field {
            info: FieldInfo {
                yaml: "prune.enabled",
                ty: Type::Bool,
                graph: Graph::None,
                default: Default::Value {
                    yaml: "false",
                    source: "hangar: nothing is deleted unless asked",
                },
                label: None,
                doc: "Let `apply` delete tenant objects no document describes, inside `only`.",
                normalisation: &[],
            },
            get: Some(|t, _| get::value(&t.prune.enabled)),
        },
        Field {
            info: FieldInfo {
                yaml: "prune.only",
                ty: Type::List("list of `Kind/glob`"),
                graph: Graph::None,
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar: empty means nothing may be deleted",
                },
                label: None,
                doc: "Only objects matching one of these patterns may be deleted, e.g. `DeviceGroup/Autopilot-*`; registered devices with `AutopilotDevice/<serial glob>`.",
                normalisation: &[],
            },
            get: Some(|t, _| {
                let span = t.prune.only.first().map(|p| p.span)?;
                Some(Spanned::new(
                    Value::Array(
                        t.prune
                            .only
                            .iter()
                            .map(|p| Value::String(format!("{}/{}", p.kind, p.glob)))
                            .collect(),
                    ),
                    span,
                ))
            }),
        },
        Field {
            info: FieldInfo {
                yaml: "prune.maxDeletes",
                ty: Type::Int {
                    min: 0,
                    max: u32::MAX,
                },
                graph: Graph::None,
                default: Default::Value {
                    yaml: "10",
                    source: "hangar",
                },
                label: None,
                doc: "Refuse a plan that would delete more objects than this.",
                normalisation: &[],
            },
            get: Some(|t, _| get::value(&t.prune.max_deletes)),
        },
        Field {
            info: FieldInfo {
                yaml: "include",
                ty: Type::List("list of directory paths"),
                graph: Graph::None,
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar: no shared bases",
                },
                label: None,
                doc: "Shared bases (directories of documents, relative to this file, inside the repository) that are part of this configuration; see docs/many-tenants.md.",
                normalisation: &[],
            },
            // Bases are resolved while loading; no plan change ever points at this field.
            get: None,
        },
    ],
    aliases: &[],
};
