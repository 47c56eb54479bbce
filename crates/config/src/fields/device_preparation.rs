//! `DevicePreparationPolicy` (graph-api-notes §5). Setting ids are in
//! [`hangar_model::well_known::device_preparation`].

use serde_json::{Value, json};

use super::{Codec, Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::DevicePreparationPolicy;
use crate::span::Spanned;

/// Intune's documentation of the policy settings.
const MEMDOCS: &str = "Intune docs, *Create a Windows Autopilot device preparation policy* (memdocs `autopilot/device-preparation/tutorial/user-driven/entra-join-autopilot-policy.md`)";

/// `kind: DevicePreparationPolicy`.
pub static DEVICE_PREPARATION: Table<DevicePreparationPolicy> = Table {
    kind: "DevicePreparationPolicy",
    graph_type: "Settings Catalog `configurationPolicy` (beta) with `platforms: windows10`, `technologies: enrollment`, `templateReference.templateFamily: enrollmentConfiguration`; updated with PUT",
    meta: &["kind", "name", "id", "renamedFrom", "description", "scopeTags"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "mode",
                ty: Type::Enum(&["user-driven", "automatic"]),
                graph: Graph::Property {
                    path: "templateReference/templateId",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "user-driven",
                    source: MEMDOCS,
                },
                label: Some("Deployment mode"),
                doc: "The tenant's template of the mode (published: `80d33118-…_1` user-driven, `a6157a7f-…_1` automatic for Windows 365) and setting `enrollment_autopilot_dpp_deploymentmode`; GCC High and DoD: user-driven only. Create only: a change replaces the policy.",
                normalisation: &[],
            },
            get: Some(|d, _| get::name(d.mode.value.yaml(), d.mode.span)),
        },
        Field {
            info: FieldInfo {
                yaml: "join",
                ty: Type::Enum(&["entra"]),
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_jointype",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "entra",
                    source: MEMDOCS,
                },
                label: Some("Join type"),
                doc: "Microsoft Entra joined, the only supported value (`hybrid` is refused with an explanation).",
                normalisation: &[],
            },
            get: None,
        },
        Field {
            info: FieldInfo {
                yaml: "deviceGroup",
                ty: Type::Text,
                graph: Graph::Request(
                    "`setEnrollmentTimeDeviceMembershipTarget` `{targetType: staticSecurityGroup, targetId}`; setting `enrollment_autopilot_dpp_devicesecuritygroupids` (what the admin center displays)",
                ),
                default: Default::Empty {
                    meaning: "no device group",
                    graph: "null",
                    source: MEMDOCS,
                },
                label: Some("Device group"),
                doc: "A `membership: assigned` group owned by `intune-provisioning-client`, which devices join during setup.",
                normalisation: &["dpp.ids-case", "dpp.id-lists-set"],
            },
            get: Some(|d, state| {
                Some(match &d.device_group {
                    Some(group) => Spanned::new(json!(state.group(group.value).meta.name.value), group.span),
                    None => Spanned::new(Value::Null, d.meta.kind_span),
                })
            }),
        },
        Field {
            info: FieldInfo {
                yaml: "userGroups",
                ty: Type::List("list of group names"),
                graph: Graph::Request("assignments via `POST …/assign` (`groupAssignmentTarget`)"),
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar",
                },
                label: Some("Assignments"),
                doc: "`membership: assigned` groups of users whose sign-in runs the policy; none for `automatic`.",
                normalisation: &[],
            },
            get: Some(|d, state| {
                let span = d.user_groups.first().map(|g| g.span)?;
                Some(Spanned::new(
                    Value::Array(
                        d.user_groups
                            .iter()
                            .map(|g| json!(state.group(g.value).meta.name.value))
                            .collect(),
                    ),
                    span,
                ))
            }),
        },
        Field {
            info: FieldInfo {
                yaml: "accountType",
                ty: Type::Enum(&["standard", "administrator"]),
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_accountype",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "standard",
                    source: "hangar (a user who is a local administrator is the riskier choice; the admin center makes the admin pick)",
                },
                label: Some("User account type"),
                doc: "Local account type of the user (`administrator` leaves the user in the Administrators group). Written as the tenant's option \"Standard User\" / \"Administrator\", read from its setting definitions.",
                normalisation: &[],
            },
            get: Some(|d, _| get::name(d.account_type.value.yaml(), d.account_type.span)),
        },
        Field {
            info: FieldInfo {
                yaml: "timeoutMinutes",
                ty: Type::Int { min: 15, max: 720 },
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_timeout",
                    codec: Codec::Same,
                },
                default: Default::Value {
                    yaml: "60",
                    source: "hangar (the admin center's initial value; the documented range is 15–720, memdocs)",
                },
                label: Some("Minutes allowed before showing installation error"),
                doc: "For the whole deployment, not per app or script.",
                normalisation: &[],
            },
            get: Some(|d, _| get::value(&d.timeout_minutes)),
        },
        Field {
            info: FieldInfo {
                yaml: "errorMessage",
                ty: Type::Text,
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_customerrormessage",
                    codec: Codec::Same,
                },
                default: Default::Empty {
                    meaning: "Intune's own message",
                    graph: "null",
                    source: MEMDOCS,
                },
                label: Some("Custom error message"),
                doc: "What users see when the deployment fails.",
                normalisation: &["dpp.error-message-empty"],
            },
            get: Some(|d, _| get::optional(&d.error_message, d.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowSkip",
                ty: Type::Bool,
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_allowskip",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "false",
                    source: MEMDOCS,
                },
                label: Some("Allow users to skip setup after multiple attempts"),
                doc: "Adds a *Continue anyway* button after a failure. Written as the tenant's option \"Yes\" / \"No\".",
                normalisation: &[],
            },
            get: Some(|d, _| get::value(&d.allow_skip)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowDiagnostics",
                ty: Type::Bool,
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_allowdiagnostics",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "false",
                    source: MEMDOCS,
                },
                label: Some("Show link to diagnostics"),
                doc: "Lets users collect diagnostic logs after a failure. Written as the tenant's option \"Yes\" / \"No\".",
                normalisation: &[],
            },
            get: Some(|d, _| get::value(&d.allow_diagnostics)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowedApps",
                ty: Type::List("at most 10 app names or ids"),
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_allowedappids",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "[]",
                    source: MEMDOCS,
                },
                label: Some("Allowed Applications"),
                doc: "Apps installed during setup, by name or id (a GUID) in the tenant's `deviceAppManagement/mobileApps`. Each value is `{\"id\":\"<app id>\",\"type\":\"#microsoft.graph.<app type>\"}`, the id and the type (`win32LobApp`, `windowsMobileMSI`, `winGetApp`, `officeSuiteApp`, …) both the tenant's own, never assumed.",
                normalisation: &[
                    "dpp.app-ids",
                    "dpp.id-lists-empty",
                    "dpp.ids-case",
                    "dpp.id-lists-set",
                ],
            },
            get: Some(|d, _| get::list(&d.allowed_apps, d.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowedScripts",
                ty: Type::List("at most 10 script names or ids"),
                graph: Graph::Setting {
                    definition: "enrollment_autopilot_dpp_allowedscriptids",
                    codec: Codec::Same,
                },
                default: Default::Value {
                    yaml: "[]",
                    source: MEMDOCS,
                },
                label: Some("Allowed Scripts"),
                doc: "PowerShell (platform) scripts run during setup, by name or id (a GUID) in the tenant's `deviceManagement/deviceManagementScripts`.",
                normalisation: &["dpp.id-lists-empty", "dpp.ids-case", "dpp.id-lists-set"],
            },
            get: Some(|d, _| get::list(&d.allowed_scripts, d.meta.kind_span)),
        },
    ],
    aliases: &[],
};
