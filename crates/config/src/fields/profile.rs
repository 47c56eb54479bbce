//! `DeploymentProfile` (graph-api-notes §1).

use super::{Codec, Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::DeploymentProfile;

/// Intune's documentation of the profile settings.
const MEMDOCS: &str = "Intune docs, *Configure Autopilot profiles* (memdocs `autopilot/profiles.md`)";

const fn property(path: &'static str) -> Graph {
    Graph::Property {
        path,
        codec: Codec::Same,
    }
}

/// `mode:` and `outOfBoxExperienceSetting.deviceUsageType`.
pub const MODES: &[(&str, &str)] = &[("user-driven", "singleUser"), ("self-deploying", "shared")];
/// `deviceType:` and Graph's `deviceType`.
pub const DEVICE_TYPES: &[(&str, &str)] = &[
    ("windows-pc", "windowsPc"),
    ("hololens", "holoLens"),
    ("surface-hub-2", "surfaceHub2"),
    ("surface-hub-2s", "surfaceHub2S"),
    ("virtual-machine", "virtualMachine"),
];
/// `oobe.userType:` and `outOfBoxExperienceSetting.userType`.
pub const USER_TYPES: &[(&str, &str)] = &[("standard", "standard"), ("administrator", "administrator")];
/// `join:` and the profile's `@odata.type`.
pub const JOINS: &[(&str, &str)] = &[
    ("entra", hangar_model::well_known::odata::ENTRA_PROFILE),
    ("hybrid", hangar_model::well_known::odata::HYBRID_PROFILE),
];

/// `kind: DeploymentProfile`.
pub static DEPLOYMENT_PROFILE: Table<DeploymentProfile> = Table {
    kind: "DeploymentProfile",
    graph_type: "`windowsAutopilotDeploymentProfile` (beta; `azureAD…` or `activeDirectory…` by `join`); not in GCC High or DoD",
    meta: &["kind", "name", "id", "renamedFrom", "description", "scopeTags"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "join",
                ty: Type::Enum(&["entra", "hybrid"]),
                graph: Graph::Property {
                    path: "@odata.type",
                    codec: Codec::Enum(JOINS),
                },
                default: Default::Required,
                label: Some("Join to Microsoft Entra ID as"),
                doc: "Create only: a change replaces the profile. Hybrid needs a `DomainJoinProfile` on the same devices.",
                normalisation: &["common.odata-type-omitted"],
            },
            get: Some(|p, _| get::name(p.join.value.yaml(), p.join.span)),
        },
        Field {
            info: FieldInfo {
                yaml: "mode",
                ty: Type::Enum(&["user-driven", "self-deploying"]),
                graph: Graph::Property {
                    path: "outOfBoxExperienceSetting/deviceUsageType",
                    codec: Codec::Enum(MODES),
                },
                default: Default::Required,
                label: Some("Deployment mode"),
                doc: "Self-deploying is Entra join only and takes no user type.",
                normalisation: &[],
            },
            get: Some(|p, _| get::name(p.mode.value.yaml(), p.mode.span)),
        },
        Field {
            info: FieldInfo {
                yaml: "preProvisioning",
                ty: Type::Bool,
                graph: property("preprovisioningAllowed"),
                default: Default::Value {
                    yaml: "false",
                    source: MEMDOCS,
                },
                label: Some("Allow pre-provisioned deployment"),
                doc: "Technician (white glove) flow before the user.",
                normalisation: &["profile.booleans-default-false"],
            },
            get: Some(|p, _| get::value(&p.pre_provisioning)),
        },
        Field {
            info: FieldInfo {
                yaml: "deviceType",
                ty: Type::Enum(&[
                    "windows-pc",
                    "hololens",
                    "surface-hub-2",
                    "surface-hub-2s",
                    "virtual-machine",
                ]),
                graph: Graph::Property {
                    path: "deviceType",
                    codec: Codec::Enum(DEVICE_TYPES),
                },
                default: Default::Value {
                    yaml: "windows-pc",
                    source: "Graph: `windowsPc` when not sent (graph-api-notes §1)",
                },
                label: None,
                doc: "Create only: a change replaces the profile.",
                normalisation: &["profile.device-type-default"],
            },
            get: Some(|p, _| get::name(p.device_type.value.yaml(), p.device_type.span)),
        },
        Field {
            info: FieldInfo {
                yaml: "deviceName",
                ty: Type::Text,
                graph: Graph::Property {
                    path: "deviceNameTemplate",
                    codec: Codec::Special,
                },
                default: Default::Empty {
                    meaning: "no template",
                    graph: "\"\"",
                    source: MEMDOCS,
                },
                label: Some("Apply device name template"),
                doc: "`%SERIAL%`, `%RAND:N%`; at most 15 characters expanded; letters, digits, hyphens. Entra join only (hybrid always sends `\"\"`).",
                normalisation: &["profile.name-template-empty"],
            },
            get: Some(|p, _| get::optional(&p.device_name, p.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "locale",
                ty: Type::Text,
                graph: Graph::Property {
                    path: "locale",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "os-default",
                    source: MEMDOCS,
                },
                label: Some("Language (Region)"),
                doc: "A language tag (`en-US`) or `os-default`, which is sent as `\"\"` (graph-api-notes §1).",
                normalisation: &[
                    "profile.locale-os-default",
                    "profile.locale-empty",
                    "profile.locale-case",
                ],
            },
            get: Some(|p, _| get::value(&p.locale)),
        },
        Field {
            info: FieldInfo {
                yaml: "convertTargetedDevices",
                ty: Type::Bool,
                graph: property("hardwareHashExtractionEnabled"),
                default: Default::Value {
                    yaml: "false",
                    source: "graph-api-notes §1 (`hardwareHashExtractionEnabled` default false)",
                },
                label: Some("Convert all targeted devices to Autopilot"),
                doc: "Registers the targeted devices that are not yet Autopilot devices.",
                normalisation: &["profile.booleans-default-false"],
            },
            get: Some(|p, _| get::value(&p.convert_targeted_devices)),
        },
        Field {
            info: FieldInfo {
                yaml: "skipDomainConnectivityCheck",
                ty: Type::Bool,
                graph: Graph::Property {
                    path: "hybridAzureADJoinSkipConnectivityCheck",
                    codec: Codec::Special,
                },
                default: Default::Value {
                    yaml: "false",
                    source: "Graph: `false` when not sent",
                },
                label: Some("Skip AD connectivity check"),
                doc: "Hybrid only; create only.",
                normalisation: &["profile.skip-connectivity-check"],
            },
            get: Some(|p, _| get::value(&p.skip_domain_connectivity_check)),
        },
        Field {
            info: FieldInfo {
                yaml: "oobe.hideLicenseTerms",
                ty: Type::Bool,
                graph: property("outOfBoxExperienceSetting/eulaHidden"),
                default: Default::Value {
                    yaml: "true",
                    source: MEMDOCS,
                },
                label: Some("Microsoft Software License Terms: Hide"),
                doc: "Hide the license terms during OOBE.",
                normalisation: &[],
            },
            get: Some(|p, _| get::value(&p.oobe.hide_license_terms)),
        },
        Field {
            info: FieldInfo {
                yaml: "oobe.hidePrivacySettings",
                ty: Type::Bool,
                graph: property("outOfBoxExperienceSetting/privacySettingsHidden"),
                default: Default::Value {
                    yaml: "true",
                    source: MEMDOCS,
                },
                label: Some("Privacy settings: Hide"),
                doc: "Hide the privacy settings page.",
                normalisation: &[],
            },
            get: Some(|p, _| get::value(&p.oobe.hide_privacy_settings)),
        },
        Field {
            info: FieldInfo {
                yaml: "oobe.hideChangeAccountOptions",
                ty: Type::Bool,
                graph: property("outOfBoxExperienceSetting/escapeLinkHidden"),
                default: Default::Value {
                    yaml: "true",
                    source: MEMDOCS,
                },
                label: Some("Hide change account options"),
                doc: "Hide the options to change account on the sign-in page.",
                normalisation: &["profile.escape-link-hidden"],
            },
            get: Some(|p, _| get::value(&p.oobe.hide_change_account_options)),
        },
        Field {
            info: FieldInfo {
                yaml: "oobe.userType",
                ty: Type::Enum(&["standard", "administrator"]),
                graph: Graph::Property {
                    path: "outOfBoxExperienceSetting/userType",
                    codec: Codec::Enum(USER_TYPES),
                },
                default: Default::Value {
                    yaml: "standard",
                    source: MEMDOCS,
                },
                label: Some("User account type"),
                doc: "Local account type of the user; not for self-deploying profiles (Graph refuses it there, so hangar omits it).",
                normalisation: &["profile.user-type-shared"],
            },
            get: Some(|p, _| match &p.oobe.user_type {
                Some(user) => get::name(user.value.yaml(), user.span),
                None => Some(crate::span::Spanned::new(
                    serde_json::Value::Null,
                    p.meta.kind_span,
                )),
            }),
        },
        Field {
            info: FieldInfo {
                yaml: "oobe.skipKeyboardSelection",
                ty: Type::Bool,
                graph: property("outOfBoxExperienceSetting/keyboardSelectionPageSkipped"),
                default: Default::Value {
                    yaml: "true",
                    source: MEMDOCS,
                },
                label: Some("Automatically configure keyboard"),
                doc: "Skip the keyboard selection page.",
                normalisation: &[],
            },
            get: Some(|p, _| get::value(&p.oobe.skip_keyboard_selection)),
        },
        Field {
            info: FieldInfo {
                yaml: "assign",
                ty: Type::Other("see `assign`"),
                graph: Graph::Request("`POST …/assignments` one at a time, `DELETE …/assignments/{id}`"),
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar",
                },
                label: Some("Assignments"),
                doc: "Groups, exclusions, `all-devices` (at most one profile in the tenant).",
                normalisation: &[],
            },
            get: None,
        },
    ],
    aliases: &[],
};
