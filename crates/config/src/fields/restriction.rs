//! `EnrollmentRestriction` (graph-api-notes §7).

use super::{Codec, Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::EnrollmentRestriction;

const fn property(path: &'static str) -> Graph {
    Graph::Property {
        path,
        codec: Codec::Same,
    }
}

/// The built-in restriction keeps the Windows settings under `windowsRestriction` instead of
/// `platformRestriction`: the table names the custom restriction's paths.
pub const BUILTIN_WINDOWS: &str = "windowsRestriction";

/// `kind: EnrollmentRestriction`.
pub static ENROLLMENT_RESTRICTION: Table<EnrollmentRestriction> = Table {
    kind: "EnrollmentRestriction",
    graph_type: "`deviceEnrollmentPlatformRestrictionConfiguration` with `platformType: windows` (beta); `name: default` edits the built-in `deviceEnrollmentPlatformRestrictionsConfiguration`'s `windowsRestriction`",
    meta: &["kind", "name", "id", "renamedFrom", "description", "scopeTags"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "priority",
                ty: Type::Int { min: 1, max: 10_000 },
                graph: Graph::Request("`priority` via `POST …/setPriority`"),
                default: Default::Empty {
                    meaning: "the tenant's order is kept",
                    graph: "null",
                    source: "hangar",
                },
                label: Some("Priority"),
                doc: "1 = highest; unique; not for `default`.",
                normalisation: &[],
            },
            get: Some(|r, _| get::optional(&r.priority, r.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "windows.personalDevicesBlocked",
                ty: Type::Bool,
                graph: property("platformRestriction/personalDeviceEnrollmentBlocked"),
                default: Default::Value {
                    yaml: "false",
                    source: "graph-api-notes §7",
                },
                label: Some("Personally owned devices: Block"),
                doc: "Autopilot-registered devices count as corporate and are not blocked.",
                normalisation: &["restriction.booleans-default-false"],
            },
            get: Some(|r, _| get::value(&r.windows.personal_devices_blocked)),
        },
        Field {
            info: FieldInfo {
                yaml: "windows.platformBlocked",
                ty: Type::Bool,
                graph: property("platformRestriction/platformBlocked"),
                default: Default::Value {
                    yaml: "false",
                    source: "graph-api-notes §7",
                },
                label: Some("Platform: Block"),
                doc: "Block Windows enrollment altogether.",
                normalisation: &["restriction.booleans-default-false"],
            },
            get: Some(|r, _| get::value(&r.windows.platform_blocked)),
        },
        Field {
            info: FieldInfo {
                yaml: "windows.osMinimum",
                ty: Type::Text,
                graph: property("platformRestriction/osMinimumVersion"),
                default: Default::Empty {
                    meaning: "no minimum",
                    graph: "null",
                    source: "graph-api-notes §7",
                },
                label: Some("Minimum version"),
                doc: "`major.minor.build[.rev]`, e.g. `10.0.19045`.",
                normalisation: &["restriction.os-versions-empty"],
            },
            get: Some(|r, _| get::optional(&r.windows.os_minimum, r.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "windows.osMaximum",
                ty: Type::Text,
                graph: property("platformRestriction/osMaximumVersion"),
                default: Default::Empty {
                    meaning: "no maximum",
                    graph: "null",
                    source: "graph-api-notes §7",
                },
                label: Some("Maximum version"),
                doc: "Same format as `osMinimum`.",
                normalisation: &["restriction.os-versions-empty"],
            },
            get: Some(|r, _| get::optional(&r.windows.os_maximum, r.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "windows.blockedManufacturers",
                ty: Type::List("list of strings"),
                graph: property("platformRestriction/blockedManufacturers"),
                default: Default::Value {
                    yaml: "[]",
                    source: "graph-api-notes §7 (beta only)",
                },
                label: None,
                doc: "Manufacturers that may not enroll.",
                normalisation: &["restriction.lists-empty", "restriction.lists-set"],
            },
            get: Some(|r, _| get::list(&r.windows.blocked_manufacturers, r.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "windows.blockedSkus",
                ty: Type::List("list of strings"),
                graph: property("platformRestriction/blockedSkus"),
                default: Default::Value {
                    yaml: "[]",
                    source: "graph-api-notes §7 (beta only)",
                },
                label: None,
                doc: "SKUs that may not enroll.",
                normalisation: &["restriction.lists-empty", "restriction.lists-set"],
            },
            get: Some(|r, _| get::list(&r.windows.blocked_skus, r.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "assign",
                ty: Type::Other("see `assign`"),
                graph: Graph::Request(
                    "`POST …/assign` with `enrollmentConfigurationAssignments` (the whole list)",
                ),
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar",
                },
                label: Some("Assignments"),
                doc: "User groups (restrictions apply to users); not for `default`.",
                normalisation: &[],
            },
            get: None,
        },
    ],
    aliases: &[("windowsRestriction", "platformRestriction")],
};
