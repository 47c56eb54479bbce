//! The YAML as written: one struct per kind, deserialized with spans, and the source of the JSON
//! Schemas.
//!
//! These types are strict (`deny_unknown_fields`) and dumb: every field optional where the YAML
//! may omit it, no defaults applied, names unresolved. `lower` turns them into the model. No
//! untagged enums and no `flatten`: both lose spans and degrade serde's messages.
//!
//! Fields carry no doc comments: what a field means, its default and its Graph property are
//! its row in [`crate::fields`], which the JSON Schemas take their descriptions from. Type and
//! variant docs here become the schema's descriptions of objects and enum values, so they are
//! written for the person editing YAML.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

/// A value with its YAML location (serde-saphyr's span, schema of the inner value).
#[derive(Debug, Clone)]
pub(crate) struct Sp<T>(pub serde_saphyr::Spanned<T>);

impl<T> Sp<T> {
    pub(crate) fn value(&self) -> &T {
        &self.0.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_saphyr::Spanned::<T>::deserialize(deserializer).map(Sp)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// The first pass over a document: only `kind`, everything else ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct Probe {
    pub kind: Option<Sp<String>>,
}

/// `assign:`: who gets this object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Assign {
    #[serde(default)]
    pub include: Vec<Sp<Included>>,
    #[serde(default)]
    pub exclude: Vec<Sp<String>>,
}

/// One `assign.include` entry: a target (`DeviceGroup` name, `all-devices`, `all-users`), or
/// `{target, filter, filterMode}` to narrow it with an Intune assignment filter.
///
/// Deserialized by hand (a string or a mapping) because an untagged enum would lose spans and
/// serde's messages.
#[derive(Debug, Clone)]
pub(crate) struct Included {
    pub target: String,
    pub filter: Option<Sp<String>>,
    pub filter_mode: Option<Sp<FilterMode>>,
}

/// How an assignment filter narrows its target.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum FilterMode {
    /// Only devices the filter matches get the object.
    Include,
    /// Every device but those the filter matches gets the object.
    Exclude,
}

impl<'de> Deserialize<'de> for Included {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Included;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a group name, `all-devices`, `all-users`, or {target, filter, filterMode}")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Included, E> {
                Ok(Included {
                    target: text.to_owned(),
                    filter: None,
                    filter_mode: None,
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Included, A::Error> {
                const FIELDS: &[&str] = &["target", "filter", "filterMode"];
                let (mut target, mut filter, mut filter_mode) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "target" if target.is_none() => target = Some(map.next_value::<String>()?),
                        "filter" if filter.is_none() => filter = Some(map.next_value::<Sp<String>>()?),
                        "filterMode" if filter_mode.is_none() => {
                            filter_mode = Some(map.next_value::<Sp<FilterMode>>()?);
                        }
                        "target" | "filter" | "filterMode" => {
                            return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
                        }
                        other => return Err(serde::de::Error::unknown_field(other, FIELDS)),
                    }
                }
                if filter.is_none() && filter_mode.is_some() {
                    return Err(serde::de::Error::custom(
                        "`filterMode` needs `filter` (the assignment filter's name)",
                    ));
                }
                Ok(Included {
                    target: target.ok_or_else(|| serde::de::Error::missing_field("target"))?,
                    filter,
                    filter_mode,
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for Included {
    fn schema_name() -> Cow<'static, str> {
        "Included".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mode = generator.subschema_for::<FilterMode>();
        schemars::json_schema!({
            "description": "A `DeviceGroup` name, `all-devices` or `all-users`; or a mapping that adds an assignment filter.",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["target", "filter"],
                    "properties": {
                        "target": {"type": "string"},
                        "filter": {"type": "string"},
                        "filterMode": mode
                    }
                }
            ]
        })
    }
}

/// `kind: Tenant`: the tenant this directory describes. Exactly one per directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Tenant {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub cloud: Sp<hangar_model::Cloud>,
    pub tenant_id: Sp<String>,
    pub prune: Option<Sp<Prune>>,
    /// Shared directories (bases) whose documents are part of this configuration, e.g.
    /// `[../../base]`: paths relative to this file, inside the repository. Names in a base
    /// resolve in each tenant that includes it. A base holds no `Tenant` and no
    /// `AutopilotDevices`; it may name itself and include other bases with a `Base` document.
    #[serde(default)]
    pub include: Vec<Sp<String>>,
}

/// `kind: Base`: optional, in a directory that tenants include (a base): names the base and
/// the bases it includes in turn. At most one per base.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Base {
    /// `Base`.
    pub kind: Sp<String>,
    /// A label for people, e.g. `common` or `gcc-high-common`.
    pub name: Sp<String>,
    /// Further bases, relative to this file, inside the repository.
    #[serde(default)]
    pub include: Vec<Sp<String>>,
}

/// `prune:` settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Prune {
    pub enabled: Option<Sp<bool>>,
    #[serde(default)]
    pub only: Vec<Sp<String>>,
    pub max_deletes: Option<Sp<u32>>,
}

/// How a group gets members.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Membership {
    /// Dynamic: devices registered with this Autopilot group tag. hangar writes the rule
    /// `(device.devicePhysicalIds -any (_ -eq "[OrderID]:<tag>"))`.
    GroupTag(Sp<String>),
    /// Dynamic: any Entra device membership rule. Graph: `membershipRule`.
    Rule(Sp<String>),
    /// Static (assigned) group; hangar does not manage its members. Device Preparation device
    /// groups and user groups are assigned groups.
    Assigned,
}

/// `kind: DeviceGroup`: an Entra security group.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DeviceGroup {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub id: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub external: Option<Sp<bool>>,
    pub membership: Option<Sp<Membership>>,
    #[serde(default)]
    pub owners: Vec<Sp<String>>,
}

/// Join type of a classic profile.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Join {
    /// Microsoft Entra joined.
    Entra,
    /// Microsoft Entra hybrid joined (needs a DomainJoinProfile and the Intune Connector).
    Hybrid,
}

/// Deployment mode of a classic profile.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Mode {
    /// A user signs in during setup.
    UserDriven,
    /// No user: kiosks and shared devices (TPM 2.0 attestation; Entra join only).
    SelfDeploying,
}

/// Device type of a classic profile.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DeviceType {
    /// Windows PC (default).
    WindowsPc,
    /// HoloLens.
    #[serde(rename = "hololens")]
    HoloLens,
    /// Surface Hub 2.
    #[serde(rename = "surface-hub-2")]
    SurfaceHub2,
    /// Surface Hub 2S.
    #[serde(rename = "surface-hub-2s")]
    SurfaceHub2S,
    /// Virtual machine.
    VirtualMachine,
}

/// Account type of the user who signs in.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum UserType {
    /// Standard user (recommended).
    Standard,
    /// Local administrator.
    Administrator,
}

/// Out-of-box experience settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Oobe {
    pub hide_license_terms: Option<Sp<bool>>,
    pub hide_privacy_settings: Option<Sp<bool>>,
    pub hide_change_account_options: Option<Sp<bool>>,
    pub user_type: Option<Sp<UserType>>,
    pub skip_keyboard_selection: Option<Sp<bool>>,
}

/// `kind: DeploymentProfile`: a classic Windows Autopilot deployment profile (not available in
/// GCC High and DoD).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DeploymentProfile {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub id: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub scope_tags: Option<Vec<Sp<String>>>,
    pub join: Sp<Join>,
    pub mode: Sp<Mode>,
    pub pre_provisioning: Option<Sp<bool>>,
    pub device_type: Option<Sp<DeviceType>>,
    pub device_name: Option<Sp<String>>,
    pub locale: Option<Sp<String>>,
    pub convert_targeted_devices: Option<Sp<bool>>,
    pub skip_domain_connectivity_check: Option<Sp<bool>>,
    pub oobe: Option<Sp<Oobe>>,
    pub assign: Option<Sp<Assign>>,
}

/// `kind: EnrollmentStatusPage`. `name: default` edits the built-in ESP.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EnrollmentStatusPage {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub id: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub scope_tags: Option<Vec<Sp<String>>>,
    pub priority: Option<Sp<u32>>,
    pub show_progress: Option<Sp<bool>>,
    pub block_device_use: Option<Sp<bool>>,
    pub allow_reset: Option<Sp<bool>>,
    pub allow_use_on_error: Option<Sp<bool>>,
    pub timeout_minutes: Option<Sp<u32>>,
    pub collect_logs: Option<Sp<bool>>,
    pub only_autopilot: Option<Sp<bool>>,
    pub error_message: Option<Sp<String>>,
    #[serde(default)]
    pub blocking_apps: Vec<Sp<String>>,
    pub allow_non_blocking_apps: Option<Sp<bool>>,
    pub skip_user_status_after_first_user: Option<Sp<bool>>,
    pub install_quality_updates: Option<Sp<bool>>,
    pub assign: Option<Sp<Assign>>,
}

/// Device Preparation mode.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DppMode {
    /// A user from `userGroups` signs in during OOBE.
    UserDriven,
    /// Windows 365 Cloud PCs.
    Automatic,
}

/// Join type of a Device Preparation policy.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DppJoin {
    /// Microsoft Entra joined (the only supported value).
    Entra,
    /// Not supported by Device Preparation; accepted only to explain why.
    Hybrid,
}

/// `kind: DevicePreparationPolicy`: Autopilot Device Preparation (v2), the only Autopilot in
/// GCC High and DoD.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DevicePreparationPolicy {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub id: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub scope_tags: Option<Vec<Sp<String>>>,
    pub mode: Option<Sp<DppMode>>,
    pub join: Option<Sp<DppJoin>>,
    pub device_group: Option<Sp<String>>,
    #[serde(default)]
    pub user_groups: Vec<Sp<String>>,
    pub account_type: Option<Sp<UserType>>,
    pub timeout_minutes: Option<Sp<u32>>,
    pub error_message: Option<Sp<String>>,
    pub allow_skip: Option<Sp<bool>>,
    pub allow_diagnostics: Option<Sp<bool>>,
    #[serde(default)]
    pub allowed_apps: Vec<Sp<String>>,
    #[serde(default)]
    pub allowed_scripts: Vec<Sp<String>>,
}

/// `kind: DomainJoinProfile`: hybrid join naming and OU.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DomainJoinProfile {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub id: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub scope_tags: Option<Vec<Sp<String>>>,
    pub domain: Sp<String>,
    pub ou: Option<Sp<String>>,
    pub computer_name_prefix: Sp<String>,
    pub random_chars: Sp<u32>,
    pub assign: Option<Sp<Assign>>,
}

/// Windows platform settings of a restriction.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Windows {
    pub personal_devices_blocked: Option<Sp<bool>>,
    pub platform_blocked: Option<Sp<bool>>,
    pub os_minimum: Option<Sp<String>>,
    pub os_maximum: Option<Sp<String>>,
    #[serde(default)]
    pub blocked_manufacturers: Vec<Sp<String>>,
    #[serde(default)]
    pub blocked_skus: Vec<Sp<String>>,
}

/// `kind: EnrollmentRestriction`: Windows platform restriction. `name: default` edits the
/// built-in one.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EnrollmentRestriction {
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub id: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub scope_tags: Option<Vec<Sp<String>>>,
    pub priority: Option<Sp<u32>>,
    pub windows: Sp<Windows>,
    pub assign: Option<Sp<Assign>>,
}

/// `kind: AutopilotDevices`: devices to register, from a Get-WindowsAutopilotInfo CSV.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AutopilotDevices {
    #[allow(dead_code)] // checked by the probe; kept so the schema and unknown-field check see it
    pub kind: Sp<String>,
    pub name: Sp<String>,
    pub source: Sp<String>,
    pub group_tag: Option<Sp<String>>,
}
