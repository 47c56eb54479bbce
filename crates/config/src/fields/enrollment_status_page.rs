//! `EnrollmentStatusPage` (graph-api-notes §2).

use hangar_model::well_known::DEFAULT_ESP_ERROR_MESSAGE;

use super::{Codec, Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::EnrollmentStatusPage;

/// Intune's documentation of the ESP settings.
const MEMDOCS: &str = "Intune docs, *Set up the Enrollment Status Page* (memdocs `intune/enrollment/windows-enrollment-status.md`)";

/// Graph's value for a property a create does not send: what a new ESP holds when neither the
/// admin center nor the documentation says otherwise.
const GRAPH_FALSE: &str = "Graph: `false` when not sent (no admin center default is documented)";

/// Every ESP setting the service ignores with the page off.
const PROGRESS_HIDDEN: &str = "esp.progress-hidden";

const fn property(path: &'static str) -> Graph {
    Graph::Property {
        path,
        codec: Codec::Same,
    }
}

/// `kind: EnrollmentStatusPage`.
pub static ENROLLMENT_STATUS_PAGE: Table<EnrollmentStatusPage> = Table {
    kind: "EnrollmentStatusPage",
    graph_type: "`windows10EnrollmentCompletionPageConfiguration` under `deviceManagement/deviceEnrollmentConfigurations` (beta)",
    meta: &["kind", "name", "id", "renamedFrom", "description", "scopeTags"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "priority",
                ty: Type::Int { min: 1, max: 10_000 },
                graph: Graph::Request("`priority` via `POST …/setPriority`, never in a POST/PATCH body"),
                default: Default::Required,
                label: Some("Priority"),
                doc: "1 = highest; unique among ESPs; not for `default` (the built-in is fixed at 0). hangar renumbers the tenant's ESPs 1..n in this order.",
                normalisation: &[],
            },
            get: Some(|esp, _| get::optional(&esp.priority, esp.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "showProgress",
                ty: Type::Bool,
                graph: property("showInstallationProgress"),
                default: Default::Value {
                    yaml: "false",
                    source: GRAPH_FALSE,
                },
                label: Some("Show app and profile configuration progress"),
                doc: "`false` turns the page off; the service then ignores every other setting. Write `true` to show it.",
                normalisation: &[],
            },
            get: Some(|esp, _| get::value(&esp.show_progress)),
        },
        Field {
            info: FieldInfo {
                yaml: "blockDeviceUse",
                ty: Type::Bool,
                graph: Graph::Property {
                    path: "blockDeviceSetupRetryByUser",
                    codec: Codec::Not,
                },
                default: Default::Value {
                    yaml: "true",
                    source: "Graph: `blockDeviceSetupRetryByUser` is `false` when not sent",
                },
                label: Some("Block device use until all apps and profiles are installed"),
                doc: "Graph's flag has the opposite sense (see *Polarity of `blockDeviceUse`*).",
                normalisation: &[PROGRESS_HIDDEN],
            },
            get: Some(|esp, _| get::value(&esp.block_device_use)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowReset",
                ty: Type::Bool,
                graph: property("allowDeviceResetOnInstallFailure"),
                default: Default::Value {
                    yaml: "false",
                    source: MEMDOCS,
                },
                label: Some("Allow users to reset device if installation error occurs"),
                doc: "Only with `blockDeviceUse: true`.",
                normalisation: &[PROGRESS_HIDDEN, "esp.retry-blocked"],
            },
            get: Some(|esp, _| get::value(&esp.allow_reset)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowUseOnError",
                ty: Type::Bool,
                graph: property("allowDeviceUseOnInstallFailure"),
                default: Default::Value {
                    yaml: "false",
                    source: MEMDOCS,
                },
                label: Some("Allow users to use device if installation error occurs"),
                doc: "Only with `blockDeviceUse: true`.",
                normalisation: &[PROGRESS_HIDDEN, "esp.retry-blocked"],
            },
            get: Some(|esp, _| get::value(&esp.allow_use_on_error)),
        },
        Field {
            info: FieldInfo {
                yaml: "timeoutMinutes",
                ty: Type::Int { min: 1, max: 1440 },
                graph: property("installProgressTimeoutInMinutes"),
                default: Default::Value {
                    yaml: "60",
                    source: MEMDOCS,
                },
                label: Some("Show an error when installation takes longer than specified number of minutes"),
                doc: "Minutes before the page shows an error.",
                normalisation: &[PROGRESS_HIDDEN, "esp.timeout-default"],
            },
            get: Some(|esp, _| get::value(&esp.timeout_minutes)),
        },
        Field {
            info: FieldInfo {
                yaml: "collectLogs",
                ty: Type::Bool,
                graph: property("allowLogCollectionOnInstallFailure"),
                default: Default::Value {
                    yaml: "false",
                    source: "Graph: `false` when not sent (the Intune docs recommend `true`)",
                },
                label: Some("Turn on log collection and diagnostics page for end users"),
                doc: "Shows a collect-logs button on error, and the Autopilot diagnostics page on Windows 11.",
                normalisation: &[PROGRESS_HIDDEN],
            },
            get: Some(|esp, _| get::value(&esp.collect_logs)),
        },
        Field {
            info: FieldInfo {
                yaml: "onlyAutopilot",
                ty: Type::Bool,
                graph: property("trackInstallProgressForAutopilotOnly"),
                default: Default::Value {
                    yaml: "false",
                    source: GRAPH_FALSE,
                },
                label: Some("Only show page to devices provisioned by out-of-box experience (OOBE)"),
                doc: "Shows the page only to the first user who signs in.",
                normalisation: &[PROGRESS_HIDDEN],
            },
            get: Some(|esp, _| get::value(&esp.only_autopilot)),
        },
        Field {
            info: FieldInfo {
                yaml: "errorMessage",
                ty: Type::Text,
                graph: property("customErrorMessage"),
                default: Default::Value {
                    yaml: DEFAULT_ESP_ERROR_MESSAGE,
                    source: MEMDOCS,
                },
                label: Some("Show custom message when time limit or error occurs"),
                doc: "What the page says when it times out or fails; Intune's own message unless set (an empty message is the same).",
                normalisation: &[PROGRESS_HIDDEN, "esp.error-message-empty"],
            },
            get: Some(|esp, _| get::value(&esp.error_message)),
        },
        Field {
            info: FieldInfo {
                yaml: "blockingApps",
                ty: Type::List("list of app names or ids"),
                graph: property("selectedMobileAppIds"),
                default: Default::Value {
                    yaml: "[]",
                    source: MEMDOCS,
                },
                label: Some(
                    "Block device use until these required apps are installed if they are assigned to the user/device",
                ),
                doc: "Empty means all required apps block (admin center \"All\"); at most 100. Each app by its name in the tenant's `deviceAppManagement/mobileApps` or by its id (a GUID, which also pins one of two apps of one name); both are checked against the tenant when planning.",
                normalisation: &[
                    PROGRESS_HIDDEN,
                    "esp.retry-blocked",
                    "esp.app-ids-case",
                    "esp.app-ids-set",
                    "esp.app-ids-empty",
                ],
            },
            get: Some(|esp, _| get::list(&esp.blocking_apps, esp.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "allowNonBlockingApps",
                ty: Type::Bool,
                graph: property("allowNonBlockingAppInstallation"),
                default: Default::Value {
                    yaml: "false",
                    source: GRAPH_FALSE,
                },
                label: None,
                doc: "Install non-blocking apps while the page shows.",
                normalisation: &[PROGRESS_HIDDEN, "esp.booleans-default-false"],
            },
            get: Some(|esp, _| get::value(&esp.allow_non_blocking_apps)),
        },
        Field {
            info: FieldInfo {
                yaml: "skipUserStatusAfterFirstUser",
                ty: Type::Bool,
                graph: property("disableUserStatusTrackingAfterFirstUser"),
                default: Default::Value {
                    yaml: "false",
                    source: GRAPH_FALSE,
                },
                label: Some("Turn off user status tracking after the first user"),
                doc: "Later users do not see the account setup phase.",
                normalisation: &[PROGRESS_HIDDEN, "esp.booleans-default-false"],
            },
            get: Some(|esp, _| get::value(&esp.skip_user_status_after_first_user)),
        },
        Field {
            info: FieldInfo {
                yaml: "installQualityUpdates",
                ty: Type::Bool,
                graph: property("installQualityUpdates"),
                default: Default::Value {
                    yaml: "true",
                    source: "Intune docs, *Set up the Enrollment Status Page*: \"On new ESP profiles, the setting default is Yes\" (existing ones, and the built-in, hold `false`)",
                },
                label: Some("Install Windows quality updates (might restart the device)"),
                doc: "Windows 11 installs the monthly security update at the end of OOBE (20–40 minutes, may restart).",
                normalisation: &[PROGRESS_HIDDEN, "esp.booleans-default-false"],
            },
            get: Some(|esp, _| get::value(&esp.install_quality_updates)),
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
                doc: "Groups, `all-devices` or `all-users`; not for `default`.",
                normalisation: &[],
            },
            get: None,
        },
    ],
    aliases: &[],
};
