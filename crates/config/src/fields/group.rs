//! `DeviceGroup` (graph-api-notes §3).

use serde_json::{Value, json};

use super::{Default, Field, FieldInfo, Graph, Table, Type};
use crate::model::{DeviceGroup, Membership, Owner};
use crate::span::Spanned;

/// `kind: DeviceGroup`.
pub static DEVICE_GROUP: Table<DeviceGroup> = Table {
    kind: "DeviceGroup",
    graph_type: "Entra security `group` (v1.0)",
    meta: &["kind", "name", "id", "renamedFrom", "description"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "external",
                ty: Type::Bool,
                graph: Graph::None,
                default: Default::Value {
                    yaml: "false",
                    source: "hangar",
                },
                label: None,
                doc: "`true`: a group hangar matches by name for references (`assign`, `deviceGroup`, `userGroups`) but never creates, changes or prunes: user groups, another team's groups. It takes no `membership` or `owners`; a missing external group is a plan error. `hangar import` writes groups no Autopilot object owns this way.",
                normalisation: &[],
            },
            get: Some(|group, _| group.external.map(|span| Spanned::new(json!(true), span))),
        },
        Field {
            info: FieldInfo {
                yaml: "membership",
                ty: Type::Other("`{groupTag: X}` \\| `{rule: \"…\"}` \\| `assigned`"),
                graph: Graph::Request(
                    "`groupTypes: [\"DynamicMembership\"]`, `membershipRule` (for a group tag `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:X\"))`), `membershipRuleProcessingState: \"On\"`; `assigned` is `groupTypes: []`",
                ),
                default: Default::Required,
                label: Some("Membership type"),
                doc: "How the group gets members: devices with an Autopilot group tag, any Entra device rule (parsed and evaluated by `hangar-membership`), or a static group whose members hangar does not manage. Required unless `external: true`. Changing it between assigned and dynamic is destructive: Entra removes a static group's members when it becomes dynamic; the plan says how many.",
                normalisation: &[
                    "group.types-set",
                    "group.types-empty",
                    "group.rule-structure",
                    "group.processing-state-case",
                ],
            },
            get: Some(|group, _| {
                let value = match &group.membership.value {
                    Membership::GroupTag(tag) => json!({"groupTag": tag.value}),
                    Membership::Rule(rule) => json!({"rule": rule.value}),
                    Membership::Assigned => json!("assigned"),
                };
                Some(Spanned::new(value, group.membership.span))
            }),
        },
        Field {
            info: FieldInfo {
                yaml: "owners",
                ty: Type::List("`intune-provisioning-client` or object ids"),
                graph: Graph::Request("`POST /groups/{id}/owners/$ref`; owners not listed are left alone"),
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar",
                },
                label: Some("Owners"),
                doc: "`intune-provisioning-client` (app id `f1346770-5b25-470b-88bd-d5744ab7952c`, resolved to its object id; required for Device Preparation device groups) or Entra object ids.",
                normalisation: &["group.owners-case", "group.owners-superset", "group.owners-set"],
            },
            get: Some(|group, _| {
                let span = group.owners.first().map(|o| o.span)?;
                Some(Spanned::new(
                    Value::Array(
                        group
                            .owners
                            .iter()
                            .map(|owner| match &owner.value {
                                Owner::IntuneProvisioningClient => json!("intune-provisioning-client"),
                                Owner::ObjectId(id) => json!(id),
                            })
                            .collect(),
                    ),
                    span,
                ))
            }),
        },
    ],
    aliases: &[],
};
