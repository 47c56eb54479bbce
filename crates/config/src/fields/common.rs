//! Fields every object document has ([`META`]) and the `assign:` block ([`ASSIGN`]).

use serde_json::{Value, json};

use super::{Codec, Default, Field, FieldInfo, Graph, Type, get};
use crate::model::{Assignments, DesiredState, Meta, Target};
use crate::span::Spanned;

/// `kind`, `name`, `id`, `renamedFrom`, `description`, `scopeTags`: the fields of [`Meta`]. A kind's table
/// lists which of them it has.
pub static META: &[Field<Meta>] = &[
    Field {
        info: FieldInfo {
            yaml: "kind",
            ty: Type::Other("string"),
            graph: Graph::None,
            default: Default::Required,
            label: None,
            doc: "The document's kind.",
            normalisation: &[],
        },
        get: None,
    },
    Field {
        info: FieldInfo {
            yaml: "name",
            ty: Type::Text,
            graph: Graph::Request(
                "`displayName` (`name` for `DevicePreparationPolicy`); the identity key: hangar matches tenant objects by kind and exact name",
            ),
            default: Default::Required,
            label: None,
            doc: "Unique per kind.",
            normalisation: &[],
        },
        get: Some(|meta, _| get::value(&meta.name)),
    },
    Field {
        info: FieldInfo {
            yaml: "id",
            ty: Type::Text,
            graph: Graph::Property {
                path: "id",
                codec: Codec::Special,
            },
            default: Default::Empty {
                meaning: "matched by name",
                graph: "null",
                source: "hangar",
            },
            label: None,
            doc: "Pins a live object by id when several share the name.",
            normalisation: &["common.read-only"],
        },
        get: Some(|meta, _| get::optional(&meta.id, meta.kind_span)),
    },
    Field {
        info: FieldInfo {
            yaml: "renamedFrom",
            ty: Type::Text,
            graph: Graph::Request(
                "the live object with this name (when none has `name`) is renamed in place: one PATCH of `displayName` (`name` for `DevicePreparationPolicy`)",
            ),
            default: Default::Empty {
                meaning: "no rename",
                graph: "null",
                source: "hangar",
            },
            label: None,
            doc: "The object's previous name, like Terraform's `moved`: the plan renames it instead of deleting it and creating a new one (no new id, no gap in coverage). Both names live is a plan error; remove the field once the rename is applied.",
            normalisation: &[],
        },
        get: Some(|meta, _| get::optional(&meta.renamed_from, meta.kind_span)),
    },
    Field {
        info: FieldInfo {
            yaml: "description",
            ty: Type::Text,
            graph: Graph::Property {
                path: "description",
                codec: Codec::Same,
            },
            default: Default::Unmanaged {
                new_object: "no description",
                source: "hangar: a description written in the admin center is kept",
            },
            label: None,
            doc: "Free text.",
            normalisation: &["common.description-empty"],
        },
        get: Some(|meta, _| get::optional(&meta.description, meta.kind_span)),
    },
    Field {
        info: FieldInfo {
            yaml: "scopeTags",
            ty: Type::List("list of scope tag names or ids"),
            graph: Graph::Property {
                path: "roleScopeTagIds",
                codec: Codec::Special,
            },
            default: Default::Unmanaged {
                new_object: "the `Default` scope tag (`0`)",
                source: "graph-api-notes §1 (`roleScopeTagIds` default `[\"0\"]`); tags set in the admin center are kept",
            },
            label: Some("Scope tags"),
            doc: "Intune role-based access scope tags, by name as the admin center shows them (`Default` is the built-in tag `0`) or by numeric id; names resolve through the tenant's `deviceManagement/roleScopeTags` when planning (a name the tenant lacks stops the plan at its line), so one configuration works in tenants whose tags have other ids.",
            normalisation: &["intune.scope-tags-default", "intune.scope-tags-set"],
        },
        get: Some(|meta, _| match &meta.scope_tags {
            Some(tags) => get::list(tags, meta.kind_span),
            None => Some(Spanned::new(Value::Null, meta.kind_span)),
        }),
    },
];

/// The YAML form of an assignment target.
fn target_yaml(target: &Target, state: &DesiredState) -> Value {
    match target {
        Target::Group(group) => json!(state.group(*group).meta.name.value),
        Target::AllDevices => json!("all-devices"),
        Target::AllUsers => json!("all-users"),
    }
}

/// The fields of `assign:`.
pub static ASSIGN: &[Field<Assignments>] = &[
    Field {
        info: FieldInfo {
            yaml: "assign.include",
            ty: Type::List(
                "list of group names, `all-devices`, `all-users`, or `{target, filter, filterMode}` (`filterMode`: `include` (default) or `exclude`)",
            ),
            graph: Graph::Request(
                "assignment `target`: `#microsoft.graph.groupAssignmentTarget` with `groupId`; `all-devices` `#microsoft.graph.allDevicesAssignmentTarget`; `all-users` `#microsoft.graph.allLicensedUsersAssignmentTarget`; `filter` the target's `deviceAndAppManagementAssignmentFilterId` (the id of the tenant's `deviceManagement/assignmentFilters` entry of that `displayName`), `filterMode` its `deviceAndAppManagementAssignmentFilterType`",
            ),
            default: Default::Value {
                yaml: "[]",
                source: "hangar: an object without `assign` is assigned to nothing",
            },
            label: Some("Assignments: Included groups"),
            doc: "Who gets the object: `DeviceGroup` names, `all-devices` (profiles, ESPs, domain join profiles) or `all-users` (ESPs, domain join profiles). An entry written `{target: NAME, filter: FILTER, filterMode: include|exclude}` narrows the target with an Intune assignment filter, named as in the admin center (Tenant administration > Filters); a name the tenant does not have stops the plan at its line. Exclusions take no filter (the Graph type inherits the property, but the admin center offers no filter on an excluded group).",
            normalisation: &[
                "assignments.direct-only",
                "assignments.unmanaged-targets",
                "assignments.read-only",
                "assignments.no-filter",
                "assignments.no-filter-type",
                "assignments.group-id-case",
                "assignments.set",
            ],
        },
        get: Some(|assign, state| {
            let span = assign.include.first().map(|t| t.span)?;
            Some(Spanned::new(
                Value::Array(
                    assign
                        .include
                        .iter()
                        .map(|t| match assign.filter_of(t.value) {
                            Some(filter) => json!({
                                "target": target_yaml(&t.value, state),
                                "filter": filter.name.value,
                                "filterMode": filter.mode.value.name(),
                            }),
                            None => target_yaml(&t.value, state),
                        })
                        .collect(),
                ),
                span,
            ))
        }),
    },
    Field {
        info: FieldInfo {
            yaml: "assign.exclude",
            ty: Type::List("list of group names"),
            graph: Graph::Request(
                "assignment `target`: `#microsoft.graph.exclusionGroupAssignmentTarget` with `groupId`",
            ),
            default: Default::Value {
                yaml: "[]",
                source: "hangar",
            },
            label: Some("Assignments: Excluded groups"),
            doc: "Groups whose members do not get the object even when an included group holds them.",
            normalisation: &["assignments.group-id-case", "assignments.set"],
        },
        get: Some(|assign, state| {
            let span = assign.exclude.first().map(|g| g.span)?;
            Some(Spanned::new(
                Value::Array(
                    assign
                        .exclude
                        .iter()
                        .map(|g| json!(state.group(g.value).meta.name.value))
                        .collect(),
                ),
                span,
            ))
        }),
    },
];
