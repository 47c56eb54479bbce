//! `AutopilotDevices`: a devices CSV (its columns are in `docs/configuration.md`).

use super::{Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::AutopilotDevices;

/// `kind: AutopilotDevices`.
pub static AUTOPILOT_DEVICES: Table<AutopilotDevices> = Table {
    kind: "AutopilotDevices",
    graph_type: "`importedWindowsAutopilotDeviceIdentities`, then `windowsAutopilotDeviceIdentities`",
    meta: &["kind"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "name",
                ty: Type::Text,
                graph: Graph::None,
                default: Default::Required,
                label: None,
                doc: "A label for the list.",
                normalisation: &[],
            },
            get: Some(|d, _| get::value(&d.name)),
        },
        Field {
            info: FieldInfo {
                yaml: "source",
                ty: Type::Text,
                graph: Graph::None,
                default: Default::Required,
                label: None,
                doc: "The CSV (Get-WindowsAutopilotInfo format), relative to this YAML file.",
                normalisation: &[],
            },
            get: Some(|d, _| get::value(&d.source)),
        },
        Field {
            info: FieldInfo {
                yaml: "groupTag",
                ty: Type::Text,
                graph: Graph::Request("`groupTag` of each row whose `Group Tag` column is empty"),
                default: Default::Empty {
                    meaning: "untagged",
                    graph: "\"\"",
                    source: "hangar",
                },
                label: Some("Group tag"),
                doc: "Group tag for rows whose `Group Tag` column is empty.",
                normalisation: &[],
            },
            get: Some(|d, _| get::optional(&d.group_tag, d.document)),
        },
    ],
    aliases: &[],
};
