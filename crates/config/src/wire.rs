//! The YAML as written: one struct per kind, deserialized with spans, and the source of the JSON
//! Schemas.
//!
//! These types are strict (`deny_unknown_fields`) and dumb: every field optional where the YAML
//! may omit it, no defaults applied, names unresolved. `lower` turns them into the model. No
//! untagged enums and no `flatten`: both lose spans and degrade serde's messages.
//!
//! Doc comments here become the descriptions editors show (through the JSON Schema), so they
//! are written for the person editing YAML.

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
    /// Group names (`DeviceGroup` documents), or `all-devices`, or `all-users`.
    #[serde(default)]
    pub include: Vec<Sp<String>>,
    /// Group names to exclude.
    #[serde(default)]
    pub exclude: Vec<Sp<String>>,
}

/// `kind: Tenant`: the tenant this directory describes. Exactly one per directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Tenant {
    /// `Tenant`.
    pub kind: Sp<String>,
    /// A label for people, e.g. `contoso-prod`.
    pub name: Sp<String>,
    /// The Microsoft cloud: `commercial`, `gcc`, `gcc-high` or `dod`.
    pub cloud: Sp<hangar_model::Cloud>,
    /// Directory (tenant) id: a GUID, or a verified domain like `contoso.onmicrosoft.com`.
    pub tenant_id: Sp<String>,
    /// What `apply` may delete. Off unless enabled, and only inside `only`.
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
    /// Let `apply` delete tenant objects that no document describes (default `false`).
    pub enabled: Option<Sp<bool>>,
    /// Only objects matching one of these `Kind/glob` patterns may be deleted, e.g.
    /// `DeviceGroup/Autopilot-*`.
    #[serde(default)]
    pub only: Vec<Sp<String>>,
    /// Refuse an apply that would delete more than this many objects (default 10).
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
    /// `DeviceGroup`.
    pub kind: Sp<String>,
    /// Group display name (Graph `displayName`), unique among groups.
    pub name: Sp<String>,
    /// Pin a live group by object id when several share the name.
    pub id: Option<Sp<String>>,
    /// Graph `description`.
    pub description: Option<Sp<String>>,
    /// `{groupTag: X}`, `{rule: "…"}` or `assigned`.
    pub membership: Sp<Membership>,
    /// Owners: `intune-provisioning-client` (required for Device Preparation device groups) or
    /// object ids.
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
    /// Hide the Microsoft Software License Terms (default `true`). Graph `eulaHidden`.
    pub hide_license_terms: Option<Sp<bool>>,
    /// Hide privacy settings (default `true`). Graph `privacySettingsHidden`.
    pub hide_privacy_settings: Option<Sp<bool>>,
    /// Hide change account options (default `true`). Graph `escapeLinkHidden`.
    pub hide_change_account_options: Option<Sp<bool>>,
    /// User account type (default `standard`; not allowed for self-deploying). Graph `userType`.
    pub user_type: Option<Sp<UserType>>,
    /// Automatically configure the keyboard (default `true`). Graph
    /// `keyboardSelectionPageSkipped`.
    pub skip_keyboard_selection: Option<Sp<bool>>,
}

/// `kind: DeploymentProfile`: a classic Windows Autopilot deployment profile (not available in
/// GCC High and DoD).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DeploymentProfile {
    /// `DeploymentProfile`.
    pub kind: Sp<String>,
    /// Profile name (Graph `displayName`).
    pub name: Sp<String>,
    /// Pin a live profile by id.
    pub id: Option<Sp<String>>,
    /// Graph `description`.
    pub description: Option<Sp<String>>,
    /// Scope tag ids (default `["0"]`). Graph `roleScopeTagIds`.
    pub scope_tags: Option<Vec<Sp<String>>>,
    /// `entra` or `hybrid`. Changing it replaces the profile.
    pub join: Sp<Join>,
    /// `user-driven` or `self-deploying`.
    pub mode: Sp<Mode>,
    /// Allow pre-provisioned deployment (default `false`). Graph `preprovisioningAllowed`.
    pub pre_provisioning: Option<Sp<bool>>,
    /// Device type (default `windows-pc`). Changing it replaces the profile.
    pub device_type: Option<Sp<DeviceType>>,
    /// Device name template, e.g. `ENG-%SERIAL%` or `KSK-%RAND:5%`: at most 15 characters
    /// after expansion; letters, digits, hyphens. Entra join only. Graph `deviceNameTemplate`.
    pub device_name: Option<Sp<String>>,
    /// Language (region), e.g. `en-US`, or `os-default` (default). Graph `locale`.
    pub locale: Option<Sp<String>>,
    /// Convert all targeted devices to Autopilot (default `false`). Graph
    /// `hardwareHashExtractionEnabled`.
    pub convert_targeted_devices: Option<Sp<bool>>,
    /// Hybrid only: skip the domain connectivity check (default `false`). Graph
    /// `hybridAzureADJoinSkipConnectivityCheck`.
    pub skip_domain_connectivity_check: Option<Sp<bool>>,
    /// Out-of-box experience.
    pub oobe: Option<Sp<Oobe>>,
    /// Groups (or `all-devices`) that get this profile.
    pub assign: Option<Sp<Assign>>,
}

/// `kind: EnrollmentStatusPage`. `name: default` edits the built-in ESP.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EnrollmentStatusPage {
    /// `EnrollmentStatusPage`.
    pub kind: Sp<String>,
    /// ESP name (Graph `displayName`); `default` is the built-in one.
    pub name: Sp<String>,
    /// Pin a live ESP by id.
    pub id: Option<Sp<String>>,
    /// Graph `description`.
    pub description: Option<Sp<String>>,
    /// Scope tag ids (default `["0"]`). Graph `roleScopeTagIds`.
    pub scope_tags: Option<Vec<Sp<String>>>,
    /// Priority, 1 = highest; unique; required except for `default`.
    pub priority: Option<Sp<u32>>,
    /// Show app and profile configuration progress (default `true`). Graph
    /// `showInstallationProgress`.
    pub show_progress: Option<Sp<bool>>,
    /// Block device use until all apps and profiles are installed (default `true`). Graph
    /// `blockDeviceSetupRetryByUser` with the opposite value.
    pub block_device_use: Option<Sp<bool>>,
    /// Allow users to reset the device if an installation error occurs (default `false`).
    /// Graph `allowDeviceResetOnInstallFailure`.
    pub allow_reset: Option<Sp<bool>>,
    /// Allow users to use the device if an installation error occurs (default `false`). Graph
    /// `allowDeviceUseOnInstallFailure`.
    pub allow_use_on_error: Option<Sp<bool>>,
    /// Minutes before an error is shown, 1–1440 (default 60). Graph
    /// `installProgressTimeoutInMinutes`.
    pub timeout_minutes: Option<Sp<u32>>,
    /// Turn on log collection and the diagnostics page (default `true`). Graph
    /// `allowLogCollectionOnInstallFailure`.
    pub collect_logs: Option<Sp<bool>>,
    /// Only show the page to devices provisioned by OOBE (default `true`). Graph
    /// `trackInstallProgressForAutopilotOnly`.
    pub only_autopilot: Option<Sp<bool>>,
    /// Custom message when the time limit or an error occurs. Graph `customErrorMessage`.
    pub error_message: Option<Sp<String>>,
    /// App ids that block device use (empty = all required apps). Graph `selectedMobileAppIds`.
    #[serde(default)]
    pub blocking_apps: Vec<Sp<String>>,
    /// Install non-blocking apps during the ESP (default `false`). Graph
    /// `allowNonBlockingAppInstallation`.
    pub allow_non_blocking_apps: Option<Sp<bool>>,
    /// Turn off user status tracking after the first user (default `false`). Graph
    /// `disableUserStatusTrackingAfterFirstUser`.
    pub skip_user_status_after_first_user: Option<Sp<bool>>,
    /// Install Windows quality updates, may restart (default `false`). Graph
    /// `installQualityUpdates`.
    pub install_quality_updates: Option<Sp<bool>>,
    /// Groups, `all-devices` or `all-users` (not for `default`).
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
    /// `DevicePreparationPolicy`.
    pub kind: Sp<String>,
    /// Policy name (Graph `name`).
    pub name: Sp<String>,
    /// Pin a live policy by id.
    pub id: Option<Sp<String>>,
    /// Graph `description`.
    pub description: Option<Sp<String>>,
    /// Scope tag ids (default `["0"]`). Graph `roleScopeTagIds`.
    pub scope_tags: Option<Vec<Sp<String>>>,
    /// `user-driven` (default) or `automatic`.
    pub mode: Option<Sp<DppMode>>,
    /// `entra` (default; hybrid is not supported).
    pub join: Option<Sp<DppJoin>>,
    /// The assigned group, owned by `intune-provisioning-client`, that devices join during
    /// setup.
    pub device_group: Option<Sp<String>>,
    /// Assigned groups of users whose sign-in triggers the policy.
    #[serde(default)]
    pub user_groups: Vec<Sp<String>>,
    /// `standard` (default) or `administrator`.
    pub account_type: Option<Sp<UserType>>,
    /// Minutes before an installation error is shown, 15–720 (default 60).
    pub timeout_minutes: Option<Sp<u32>>,
    /// Custom error message.
    pub error_message: Option<Sp<String>>,
    /// Allow users to skip setup after multiple attempts (default `false`).
    pub allow_skip: Option<Sp<bool>>,
    /// Show a link to diagnostics (default `false`).
    pub allow_diagnostics: Option<Sp<bool>>,
    /// App ids installed during setup (at most 10).
    #[serde(default)]
    pub allowed_apps: Vec<Sp<String>>,
    /// Script ids run during setup (at most 10).
    #[serde(default)]
    pub allowed_scripts: Vec<Sp<String>>,
}

/// `kind: DomainJoinProfile`: hybrid join naming and OU.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DomainJoinProfile {
    /// `DomainJoinProfile`.
    pub kind: Sp<String>,
    /// Profile name (Graph `displayName`).
    pub name: Sp<String>,
    /// Pin a live profile by id.
    pub id: Option<Sp<String>>,
    /// Graph `description`.
    pub description: Option<Sp<String>>,
    /// Scope tag ids (default `["0"]`). Graph `roleScopeTagIds`.
    pub scope_tags: Option<Vec<Sp<String>>>,
    /// Active Directory domain, e.g. `corp.contoso.com`. Graph `activeDirectoryDomainName`.
    pub domain: Sp<String>,
    /// OU distinguished name (default: the Computers container). Graph `organizationalUnit`.
    pub ou: Option<Sp<String>>,
    /// Computer name prefix. Graph `computerNameStaticPrefix`.
    pub computer_name_prefix: Sp<String>,
    /// Number of random characters after the prefix, 3–14. Graph
    /// `computerNameSuffixRandomCharCount`.
    pub random_chars: Sp<u32>,
    /// The same groups as the hybrid deployment profile.
    pub assign: Option<Sp<Assign>>,
}

/// Windows platform settings of a restriction.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Windows {
    /// Block personally owned devices (default `false`). Graph `personalDeviceEnrollmentBlocked`.
    pub personal_devices_blocked: Option<Sp<bool>>,
    /// Block the Windows platform (default `false`). Graph `platformBlocked`.
    pub platform_blocked: Option<Sp<bool>>,
    /// Minimum OS version, e.g. `10.0.19045`. Graph `osMinimumVersion`.
    pub os_minimum: Option<Sp<String>>,
    /// Maximum OS version. Graph `osMaximumVersion`.
    pub os_maximum: Option<Sp<String>>,
    /// Blocked manufacturers. Graph `blockedManufacturers`.
    #[serde(default)]
    pub blocked_manufacturers: Vec<Sp<String>>,
    /// Blocked SKUs. Graph `blockedSkus`.
    #[serde(default)]
    pub blocked_skus: Vec<Sp<String>>,
}

/// `kind: EnrollmentRestriction`: Windows platform restriction. `name: default` edits the
/// built-in one.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EnrollmentRestriction {
    /// `EnrollmentRestriction`.
    pub kind: Sp<String>,
    /// Restriction name (Graph `displayName`); `default` is the built-in one.
    pub name: Sp<String>,
    /// Pin a live restriction by id.
    pub id: Option<Sp<String>>,
    /// Graph `description`.
    pub description: Option<Sp<String>>,
    /// Scope tag ids (default `["0"]`). Graph `roleScopeTagIds`.
    pub scope_tags: Option<Vec<Sp<String>>>,
    /// Priority, 1 = highest; unique; not for `default`.
    pub priority: Option<Sp<u32>>,
    /// Windows settings.
    pub windows: Sp<Windows>,
    /// User groups (not for `default`).
    pub assign: Option<Sp<Assign>>,
}

/// `kind: AutopilotDevices`: devices to register, from a Get-WindowsAutopilotInfo CSV.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AutopilotDevices {
    /// `AutopilotDevices`.
    #[allow(dead_code)] // checked by the probe; kept so the schema and unknown-field check see it
    pub kind: Sp<String>,
    /// A label for this list.
    pub name: Sp<String>,
    /// CSV path, relative to this YAML file.
    pub source: Sp<String>,
    /// Group tag for rows whose `Group Tag` column is empty.
    pub group_tag: Option<Sp<String>>,
}
