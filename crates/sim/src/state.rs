//! [`SimState`]: everything the tenant holds, as typed data, and its JSON state file.
//!
//! Intune and directory objects keep their Graph properties in a JSON map exactly as the
//! simulator validated them (so a property the client sent is stored under the name Graph uses,
//! never a Rust field name); relationships (owners, assignments, settings, device membership
//! targets) are typed fields beside it. Autopilot devices are compact typed rows, because a
//! tenant can hold 100,000 of them.
//!
//! The state file is this struct as JSON, written atomically: a temporary file in the same
//! folder, `fsync`, then `rename` over the old file, then `fsync` of the folder. A killed
//! process leaves either the old file or the new one, never a torn one.

use crate::routes::templates::PolicyTemplate;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::clock::{INTUNE_MIN_DATE, intune_timestamp};
use crate::config::SimCloud;
use crate::error::SimError;
use crate::tenant_settings::TenantSettings;

/// App id of the Intune Provisioning Client (owner of every Device Preparation device group).
pub const INTUNE_PROVISIONING_CLIENT_APP_ID: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";
/// App id of Microsoft Graph.
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Intune's virtual group id for "All devices" assignment ids.
pub const ALL_DEVICES_VIRTUAL_GROUP: &str = "adadadad-808e-44e2-905a-0b7873a8a531";
/// Intune's virtual group id for "All licensed users" assignment ids.
pub const ALL_USERS_VIRTUAL_GROUP: &str = "acacacac-9df4-4c7d-9d50-4ef0226f57a9";

const FORMAT_VERSION: u32 = 1;

/// The whole simulated tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimState {
    /// State file format version.
    pub format_version: u32,
    /// Tenant id (a GUID).
    pub tenant_id: String,
    /// The cloud the tenant lives in.
    pub cloud: SimCloud,
    /// Last simulated time seen (ms since the epoch), so the clock never runs backwards across
    /// restarts.
    pub clock_ms: i64,
    /// Counter behind new object ids.
    pub next_id: u64,
    /// Entra groups by id.
    pub groups: BTreeMap<String, Group>,
    /// Service principals by id.
    pub service_principals: BTreeMap<String, DirectoryObject>,
    /// Autopilot deployment profiles by id.
    pub deployment_profiles: BTreeMap<String, IntuneObject>,
    /// `deviceEnrollmentConfigurations` (ESPs, restrictions, limits, …) by id.
    pub enrollment_configurations: BTreeMap<String, IntuneObject>,
    /// `deviceConfigurations` (domain join profiles) by id.
    pub device_configurations: BTreeMap<String, IntuneObject>,
    /// Settings Catalog `configurationPolicies` (Device Preparation) by id.
    pub configuration_policies: BTreeMap<String, ConfigurationPolicy>,
    /// Settings Catalog `configurationPolicyTemplates` by id: the Device Preparation templates
    /// with their settings and option values (a state file without them gets the default ones).
    #[serde(default = "crate::routes::templates::default_templates")]
    pub policy_templates: BTreeMap<String, PolicyTemplate>,
    /// `importedWindowsAutopilotDeviceIdentities` by id.
    pub imported_devices: BTreeMap<String, ImportedDevice>,
    /// Imports still processing, by the simulated time they finish and id, so that the tick
    /// before every request looks only at the imports that are due, never at every staging
    /// record under the state lock. Derived from `imported_devices`: not saved, rebuilt on load
    /// and after [`crate::Sim::with_state`] ([`SimState::index_imports`]).
    #[serde(skip)]
    pub(crate) pending_imports: BTreeSet<(i64, String)>,
    /// What the profiles reached when statuses were last computed (derived, not saved).
    #[serde(skip)]
    pub(crate) profile_reach: crate::profile_status::ReachCache,
    /// Registered `windowsAutopilotDeviceIdentities` by id.
    pub devices: BTreeMap<String, AutopilotDevice>,
    /// `windowsAutopilotSettings`.
    pub autopilot_settings: AutopilotSettings,
    /// Settings outside hangar's configuration that `hangar doctor` reads (MDM scope and URLs,
    /// device join, licences, connectors). Missing in older state files: a ready tenant.
    #[serde(default)]
    pub tenant_settings: TenantSettings,
    /// Audit events of the writes the simulator answered (Intune `auditEvents` and Entra
    /// `directoryAudits`), oldest first, at most 10,000 (the oldest dropped first).
    #[serde(default)]
    pub audit_events: Vec<AuditRecord>,
    /// `deviceManagement/assignmentFilters` by id, stored as Graph returns them (without
    /// `id`). Missing in older state files: none.
    #[serde(default)]
    pub assignment_filters: BTreeMap<String, Map<String, Value>>,
    /// `deviceManagement/roleScopeTags` by id (`0` is the built-in `Default`), stored without
    /// `id`. Missing in older state files: `Default` only.
    #[serde(default = "crate::routes::references::default_scope_tags")]
    pub scope_tags: BTreeMap<String, Map<String, Value>>,
    /// `deviceAppManagement/mobileApps` by id, stored with their `@odata.type`, without `id`.
    /// Missing in older state files: none.
    #[serde(default)]
    pub mobile_apps: BTreeMap<String, Map<String, Value>>,
    /// `deviceManagement/deviceManagementScripts` by id, stored without `id`. Missing in older
    /// state files: none.
    #[serde(default)]
    pub scripts: BTreeMap<String, Map<String, Value>>,
}

/// An Entra group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Graph properties (`displayName`, `groupTypes`, `membershipRule`, …), without `id`.
    pub properties: Map<String, Value>,
    /// Object ids of the owners (users or service principals).
    #[serde(default)]
    pub owners: Vec<String>,
    /// Object ids of the direct members of an assigned group (groups or service principals
    /// added with `members@odata.bind`; the simulator has no users or Entra devices).
    #[serde(default)]
    pub members: Vec<String>,
    /// Simulated time from which Intune endpoints can see the group.
    #[serde(default)]
    pub intune_visible_at_ms: i64,
}

impl Group {
    /// `displayName`.
    pub fn display_name(&self) -> &str {
        self.properties
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Whether `groupTypes` contains `DynamicMembership`.
    pub fn is_dynamic(&self) -> bool {
        self.properties
            .get("groupTypes")
            .and_then(Value::as_array)
            .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("DynamicMembership")))
    }

    /// Whether `securityEnabled` is true.
    pub fn is_security(&self) -> bool {
        self.properties
            .get("securityEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// A directory object other than a group (service principals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryObject {
    /// Object id.
    pub id: String,
    /// Graph properties, without `id`.
    pub properties: Map<String, Value>,
}

/// An Intune object with assignments: an Autopilot profile, an enrollment configuration or a
/// device configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntuneObject {
    /// Graph id.
    pub id: String,
    /// Type name without namespace, e.g. `azureADWindowsAutopilotDeploymentProfile`.
    pub odata_type: String,
    /// Graph properties, without `id` and `@odata.type`.
    pub properties: Map<String, Value>,
    /// Assignments.
    #[serde(default)]
    pub assignments: Vec<Assignment>,
}

impl IntuneObject {
    /// `displayName`.
    pub fn display_name(&self) -> &str {
        self.properties
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Which audit log an [`AuditRecord`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuditLog {
    /// Intune's `deviceManagement/auditEvents`.
    Intune,
    /// Entra's `auditLogs/directoryAudits`.
    Entra,
}

/// A write the simulator answered, as the audit logs record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Event id.
    pub id: String,
    /// Simulated time of the write (ms).
    pub at_ms: i64,
    /// The log.
    pub log: AuditLog,
    /// `Create`, `Patch`, `Delete` or `Action` (Intune's `activityOperationType`); Entra's
    /// `operationType` is derived from it.
    pub operation: String,
    /// `Patch DeviceEnrollmentConfiguration`, `Update group`, …
    pub activity: String,
    /// `DeviceEnrollmentConfiguration`, `Group`, …
    pub resource_type: String,
    /// The object's id.
    pub resource_id: String,
    /// Its display name when the write happened.
    pub resource_name: String,
    /// The application that wrote.
    pub client_id: String,
    /// The signed-in user, for a delegated token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The properties a create or a PATCH set: name, value before, value after (JSON text).
    #[serde(default)]
    pub properties: Vec<(String, String, String)>,
}

/// One assignment of an Intune object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// Assignment id (Intune's `<objectId>_<groupId>` form).
    pub id: String,
    /// The target as JSON (`@odata.type`, `groupId`, filter fields).
    pub target: Value,
}

impl Assignment {
    /// The target's `@odata.type` without the `#microsoft.graph.` prefix.
    pub fn target_type(&self) -> &str {
        self.target
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(|t| t.trim_start_matches('#').trim_start_matches("microsoft.graph."))
            .unwrap_or("")
    }

    /// The target's `groupId`, for group targets.
    pub fn group_id(&self) -> Option<&str> {
        self.target.get("groupId").and_then(Value::as_str)
    }
}

/// A Settings Catalog policy (Device Preparation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationPolicy {
    /// Graph id.
    pub id: String,
    /// Graph properties (`name`, `templateReference`, …), without `id` and `settings`.
    pub properties: Map<String, Value>,
    /// `settings` as sent (each a `deviceManagementConfigurationSetting`, ids assigned).
    #[serde(default)]
    pub settings: Vec<Value>,
    /// Assignments.
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    /// Enrollment-time device membership targets (`{targetType, targetId}`).
    #[serde(default)]
    pub device_membership_targets: Vec<Value>,
}

impl ConfigurationPolicy {
    /// `name`.
    pub fn name(&self) -> &str {
        self.properties.get("name").and_then(Value::as_str).unwrap_or("")
    }
}

/// An imported (staging) Autopilot device identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedDevice {
    /// Graph id.
    pub id: String,
    /// Graph properties (`serialNumber`, `groupTag`, `hardwareIdentifier`, …) without `state`.
    pub properties: Map<String, Value>,
    /// `state.deviceImportStatus`: `unknown`, `complete` or `error`.
    pub import_status: String,
    /// `state.deviceRegistrationId`: the registered device's id once complete.
    #[serde(default)]
    pub registration_id: String,
    /// `state.deviceErrorCode` (806 = already registered).
    #[serde(default)]
    pub error_code: i32,
    /// `state.deviceErrorName`.
    #[serde(default)]
    pub error_name: String,
    /// Simulated time at which processing finishes.
    pub completes_at_ms: i64,
}

impl ImportedDevice {
    /// `serialNumber`.
    pub fn serial_number(&self) -> &str {
        self.properties
            .get("serialNumber")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// A registered Windows Autopilot device (`windowsAutopilotDeviceIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutopilotDevice {
    /// Graph id.
    pub id: String,
    /// Serial number.
    pub serial_number: String,
    /// Group tag (`[OrderID]` in dynamic rules).
    pub group_tag: String,
    /// Purchase order id.
    pub purchase_order_identifier: String,
    /// Product key.
    pub product_key: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// SKU number.
    pub sku_number: String,
    /// System family.
    pub system_family: String,
    /// Assigned user.
    pub user_principal_name: String,
    /// Assigned user's greeting name.
    pub addressable_user_name: String,
    /// Display name set by `updateDeviceProperties`.
    pub display_name: String,
    /// Entra device id.
    pub azure_ad_device_id: String,
    /// Intune managed device id (all zeros until enrolled).
    pub managed_device_id: String,
    /// `enrollmentState`.
    pub enrollment_state: String,
    /// `deploymentProfileAssignmentStatus` (beta).
    pub deployment_profile_assignment_status: String,
    /// `deploymentProfileAssignedDateTime` (ms), when assigned.
    pub deployment_profile_assigned_ms: Option<i64>,
    /// Simulated time of `lastContactedDateTime`.
    pub last_contacted_ms: Option<i64>,
    /// Surface Hub: device account UPN (beta).
    pub device_account_upn: String,
    /// Surface Hub: friendly name (beta).
    pub device_friendly_name: String,
}

/// `windowsAutopilotSettings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotSettings {
    /// Graph id.
    pub id: String,
    /// `syncStatus`: `unknown`, `inProgress`, `completed`, `failed`.
    pub sync_status: String,
    /// `lastSyncDateTime`, when a sync has completed.
    pub last_sync_ms: Option<i64>,
    /// `lastManualSyncTriggerDateTime`, when a sync was requested.
    pub last_manual_trigger_ms: Option<i64>,
    /// When the running sync completes.
    pub sync_ends_at_ms: Option<i64>,
}

/// Membership of a group to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupMembership {
    /// An assigned (static) security group.
    Assigned,
    /// A dynamic device group with this rule.
    Dynamic(String),
}

/// A device to seed with [`SimState::add_devices`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceSeed {
    /// Serial number.
    pub serial_number: String,
    /// Group tag.
    pub group_tag: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Assigned user.
    pub user_principal_name: String,
}

impl DeviceSeed {
    /// A device with a serial and a group tag.
    pub fn new(serial_number: impl Into<String>, group_tag: impl Into<String>) -> DeviceSeed {
        DeviceSeed {
            serial_number: serial_number.into(),
            group_tag: group_tag.into(),
            manufacturer: "Microsoft Corporation".to_owned(),
            model: "Surface Laptop 5".to_owned(),
            user_principal_name: String::new(),
        }
    }
}

/// SplitMix64: a tiny, fully specified generator, so ids and fault draws stay identical across
/// dependency upgrades.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A GUID-shaped (version 4 layout) id from two random words.
pub(crate) fn guid_from(a: u64, b: u64) -> String {
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

impl SimState {
    /// A fresh tenant: the Intune Provisioning Client and Microsoft Graph service principals,
    /// the default Enrollment Status Page, platform restriction, device limit and Windows Hello
    /// for Business configurations, and Autopilot settings that never synced.
    pub fn fresh(cloud: SimCloud, tenant_id: Option<&str>, seed: u64, now_ms: i64) -> SimState {
        let mut seed_state = seed ^ 0x7E4A_4E57;
        let tenant_id = tenant_id
            .map(str::to_owned)
            .unwrap_or_else(|| guid_from(splitmix64(&mut seed_state), splitmix64(&mut seed_state)));
        let mut state = SimState {
            format_version: FORMAT_VERSION,
            tenant_id: tenant_id.clone(),
            cloud,
            clock_ms: now_ms,
            next_id: seed.wrapping_mul(1_000_003),
            groups: BTreeMap::new(),
            service_principals: BTreeMap::new(),
            deployment_profiles: BTreeMap::new(),
            enrollment_configurations: BTreeMap::new(),
            device_configurations: BTreeMap::new(),
            configuration_policies: BTreeMap::new(),
            policy_templates: crate::routes::templates::default_templates(),
            imported_devices: BTreeMap::new(),
            pending_imports: BTreeSet::new(),
            profile_reach: crate::profile_status::ReachCache::default(),
            devices: BTreeMap::new(),
            autopilot_settings: AutopilotSettings {
                id: guid_from(splitmix64(&mut seed_state), splitmix64(&mut seed_state)),
                sync_status: "unknown".to_owned(),
                last_sync_ms: None,
                last_manual_trigger_ms: None,
                sync_ends_at_ms: None,
            },
            tenant_settings: TenantSettings::ready(),
            audit_events: Vec::new(),
            assignment_filters: BTreeMap::new(),
            scope_tags: crate::routes::references::default_scope_tags(),
            mobile_apps: BTreeMap::new(),
            scripts: BTreeMap::new(),
        };
        state.add_service_principal(INTUNE_PROVISIONING_CLIENT_APP_ID, "Intune Provisioning Client");
        state.add_service_principal(MICROSOFT_GRAPH_APP_ID, "Microsoft Graph");
        let created = intune_timestamp(now_ms);
        let defaults = [
            (
                format!("{tenant_id}_DefaultWindows10EnrollmentCompletionPageConfiguration"),
                "windows10EnrollmentCompletionPageConfiguration",
                "All users and all devices",
                "This is the default enrollment status screen configuration applied with the lowest priority to all users and all devices regardless of group membership.",
                "defaultWindows10EnrollmentCompletionPageConfiguration",
                json!({
                    "showInstallationProgress": false, "blockDeviceSetupRetryByUser": false,
                    "allowDeviceResetOnInstallFailure": false, "allowLogCollectionOnInstallFailure": false,
                    "customErrorMessage": "Setup could not be completed. Please try again or contact your support person for help.",
                    "installProgressTimeoutInMinutes": 60, "allowDeviceUseOnInstallFailure": false,
                    "selectedMobileAppIds": [], "trackInstallProgressForAutopilotOnly": false,
                    "disableUserStatusTrackingAfterFirstUser": false, "allowNonBlockingAppInstallation": false,
                    "installQualityUpdates": false
                }),
            ),
            (
                format!("{tenant_id}_DefaultPlatformRestrictions"),
                "deviceEnrollmentPlatformRestrictionsConfiguration",
                "All users",
                "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
                "defaultPlatformRestrictions",
                {
                    let open = json!({"platformBlocked": false, "personalDeviceEnrollmentBlocked": false,
                        "osMinimumVersion": null, "osMaximumVersion": null, "blockedManufacturers": [], "blockedSkus": []});
                    json!({
                        "iosRestriction": open, "windowsRestriction": open, "windowsHomeSkuRestriction": open,
                        "windowsMobileRestriction": {"platformBlocked": true, "personalDeviceEnrollmentBlocked": false,
                            "osMinimumVersion": null, "osMaximumVersion": null, "blockedManufacturers": [], "blockedSkus": []},
                        "androidRestriction": open, "androidForWorkRestriction": open, "macRestriction": open,
                        "macOSRestriction": open, "tvosRestriction": open, "visionOSRestriction": open
                    })
                },
            ),
            (
                format!("{tenant_id}_DefaultLimit"),
                "deviceEnrollmentLimitConfiguration",
                "All users and all devices",
                "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
                "defaultLimit",
                json!({"limit": 15}),
            ),
            (
                format!("{tenant_id}_DefaultWindowsHelloForBusiness"),
                "deviceEnrollmentWindowsHelloForBusinessConfiguration",
                "All users and all devices",
                "This is the default Windows Hello for Business configuration applied with the lowest priority to all users regardless of group membership.",
                "defaultWindowsHelloForBusiness",
                json!({
                    "pinMinimumLength": 6, "pinMaximumLength": 127, "pinUppercaseCharactersUsage": "disallowed",
                    "pinLowercaseCharactersUsage": "disallowed", "pinSpecialCharactersUsage": "disallowed",
                    "state": "notConfigured", "securityDeviceRequired": false, "unlockWithBiometricsEnabled": true,
                    "remotePassportEnabled": true, "pinPreviousBlockCount": 0, "pinExpirationInDays": 0,
                    "enhancedBiometricsState": "notConfigured", "securityKeyForSignIn": "notConfigured",
                    "enhancedSignInSecurity": 0
                }),
            ),
        ];
        for (id, odata_type, name, description, config_type, extra) in defaults {
            let mut properties = Map::new();
            properties.insert("displayName".into(), json!(name));
            properties.insert("description".into(), json!(description));
            properties.insert("priority".into(), json!(0));
            properties.insert("createdDateTime".into(), json!(created));
            properties.insert("lastModifiedDateTime".into(), json!(created));
            properties.insert("version".into(), json!(0));
            properties.insert("roleScopeTagIds".into(), json!(["0"]));
            properties.insert("deviceEnrollmentConfigurationType".into(), json!(config_type));
            if let Value::Object(extra) = extra {
                properties.extend(extra);
            }
            state.enrollment_configurations.insert(
                id.clone(),
                IntuneObject {
                    id,
                    odata_type: odata_type.to_owned(),
                    properties,
                    assignments: Vec::new(),
                },
            );
        }
        state
    }

    /// A new GUID. Deterministic for a given seed and sequence of creations.
    pub fn new_guid(&mut self) -> String {
        let mut s = self.next_id;
        let a = splitmix64(&mut s);
        let b = splitmix64(&mut s);
        self.next_id = s;
        guid_from(a, b)
    }

    /// Adds a service principal; returns its object id.
    pub fn add_service_principal(&mut self, app_id: &str, display_name: &str) -> String {
        let id = self.new_guid();
        let mut properties = Map::new();
        properties.insert("appId".into(), json!(app_id));
        properties.insert("displayName".into(), json!(display_name));
        properties.insert("appDisplayName".into(), json!(display_name));
        properties.insert("accountEnabled".into(), json!(true));
        properties.insert("servicePrincipalType".into(), json!("Application"));
        properties.insert("servicePrincipalNames".into(), json!([app_id]));
        properties.insert(
            "appOwnerOrganizationId".into(),
            json!("f8cdef31-a31e-4b4a-93e4-5f571e91255a"),
        );
        self.service_principals.insert(
            id.clone(),
            DirectoryObject {
                id: id.clone(),
                properties,
            },
        );
        id
    }

    /// Adds a security group (as an admin would in the portal); returns its id. Seeded groups
    /// are visible to Intune at once.
    pub fn add_group(&mut self, display_name: &str, membership: GroupMembership) -> String {
        let id = self.new_guid();
        let nickname: String = display_name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(56)
            .collect();
        let mut properties = Map::new();
        properties.insert("displayName".into(), json!(display_name));
        properties.insert("description".into(), Value::Null);
        properties.insert("mailEnabled".into(), json!(false));
        properties.insert("mailNickname".into(), json!(format!("{nickname}{}", &id[..8])));
        properties.insert("securityEnabled".into(), json!(true));
        properties.insert(
            "createdDateTime".into(),
            json!(crate::clock::directory_timestamp(self.clock_ms)),
        );
        match membership {
            GroupMembership::Assigned => {
                properties.insert("groupTypes".into(), json!([]));
            }
            GroupMembership::Dynamic(rule) => {
                properties.insert("groupTypes".into(), json!(["DynamicMembership"]));
                properties.insert("membershipRule".into(), json!(rule));
                properties.insert("membershipRuleProcessingState".into(), json!("On"));
            }
        }
        self.groups.insert(
            id.clone(),
            Group {
                id: id.clone(),
                properties,
                owners: Vec::new(),
                members: Vec::new(),
                intune_visible_at_ms: 0,
            },
        );
        id
    }

    /// Adds an Autopilot profile with these Graph properties (`@odata.type` may be given in
    /// `properties`; default: Entra join). Returns its id. No validation: this is the portal.
    pub fn add_profile(&mut self, display_name: &str, properties: Value) -> String {
        let id = self.new_guid();
        let mut props = match properties {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let odata_type = props
            .remove("@odata.type")
            .and_then(|t| {
                t.as_str()
                    .map(|t| t.trim_start_matches("#microsoft.graph.").to_owned())
            })
            .unwrap_or_else(|| "azureADWindowsAutopilotDeploymentProfile".to_owned());
        props.insert("displayName".into(), json!(display_name));
        let now = intune_timestamp(self.clock_ms);
        props.entry("createdDateTime").or_insert_with(|| json!(now));
        props.entry("lastModifiedDateTime").or_insert_with(|| json!(now));
        self.deployment_profiles.insert(
            id.clone(),
            IntuneObject {
                id: id.clone(),
                odata_type,
                properties: props,
                assignments: Vec::new(),
            },
        );
        id
    }

    /// Registers devices directly (as an OEM would); returns how many were added. Fast enough
    /// for 100,000 devices.
    pub fn add_devices(&mut self, devices: impl IntoIterator<Item = DeviceSeed>) -> usize {
        let mut added = 0;
        for seed in devices {
            let id = self.new_guid();
            let device = AutopilotDevice {
                id: id.clone(),
                serial_number: seed.serial_number,
                group_tag: seed.group_tag,
                manufacturer: seed.manufacturer,
                model: seed.model,
                user_principal_name: seed.user_principal_name,
                managed_device_id: "00000000-0000-0000-0000-000000000000".to_owned(),
                enrollment_state: "notContacted".to_owned(),
                deployment_profile_assignment_status: "notAssigned".to_owned(),
                ..AutopilotDevice::default()
            };
            self.devices.insert(id, device);
            added += 1;
        }
        added
    }

    /// The group with this display name (first one, if names repeat).
    pub fn group_by_name(&self, display_name: &str) -> Option<&Group> {
        self.groups.values().find(|g| g.display_name() == display_name)
    }

    /// The profile with this display name (first one, if names repeat).
    pub fn profile_by_name(&self, display_name: &str) -> Option<&IntuneObject> {
        self.deployment_profiles
            .values()
            .find(|p| p.display_name() == display_name)
    }

    /// The service principal with this app id.
    pub fn service_principal_by_app_id(&self, app_id: &str) -> Option<&DirectoryObject> {
        self.service_principals.values().find(|sp| {
            sp.properties
                .get("appId")
                .and_then(Value::as_str)
                .is_some_and(|a| a.eq_ignore_ascii_case(app_id))
        })
    }

    /// The registered device with this serial number.
    pub fn device_by_serial(&self, serial: &str) -> Option<&AutopilotDevice> {
        self.devices.values().find(|d| d.serial_number == serial)
    }

    /// Whether an enrollment configuration id is one of the built-in defaults.
    pub fn is_default_enrollment_configuration(&self, id: &str) -> bool {
        [
            "_DefaultWindows10EnrollmentCompletionPageConfiguration",
            "_DefaultPlatformRestrictions",
            "_DefaultLimit",
            "_DefaultWindowsHelloForBusiness",
        ]
        .iter()
        .any(|suffix| id.ends_with(suffix))
    }

    /// Reads a state file.
    pub fn load(path: &Path) -> Result<SimState, SimError> {
        let bytes = std::fs::read(path).map_err(|source| SimError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        let mut state: SimState = serde_json::from_slice(&bytes).map_err(|e| SimError::StateFile {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        if state.format_version != FORMAT_VERSION {
            return Err(SimError::StateFile {
                path: path.to_owned(),
                message: format!(
                    "format version {} is not supported (expected {FORMAT_VERSION})",
                    state.format_version
                ),
            });
        }
        state.index_imports();
        Ok(state)
    }

    /// Puts a new staging record in place, processing until its `completes_at_ms`.
    pub(crate) fn stage_import(&mut self, device: ImportedDevice) {
        if device.import_status == "unknown" {
            self.pending_imports
                .insert((device.completes_at_ms, device.id.clone()));
        }
        self.imported_devices.insert(device.id.clone(), device);
    }

    /// Rebuilds the index of processing imports from the staging records (after a load, or
    /// after the records were changed directly).
    pub(crate) fn index_imports(&mut self) {
        self.pending_imports = self
            .imported_devices
            .values()
            .filter(|device| device.import_status == "unknown")
            .map(|device| (device.completes_at_ms, device.id.clone()))
            .collect();
    }

    /// Takes the imports due by `now` off the index, oldest first. An entry whose record was
    /// deleted or changed since is dropped.
    pub(crate) fn take_due_imports(&mut self, now: i64) -> Vec<String> {
        let mut due = Vec::new();
        while let Some(first) = self.pending_imports.first()
            && first.0 <= now
        {
            let Some((at, id)) = self.pending_imports.pop_first() else {
                break;
            };
            if self
                .imported_devices
                .get(&id)
                .is_some_and(|device| device.import_status == "unknown" && device.completes_at_ms == at)
            {
                due.push(id);
            }
        }
        due
    }

    /// Writes the state file durably ([`hangar_durable::write`]: temporary file, fsync, rename,
    /// fsync of the folder).
    pub fn save(&self, path: &Path) -> Result<(), SimError> {
        let bytes = serde_json::to_vec(self).map_err(|e| SimError::Io {
            action: "serialize",
            path: path.to_owned(),
            source: std::io::Error::other(e),
        })?;
        hangar_durable::write(path, &bytes).map_err(|error| SimError::Io {
            action: error.action,
            path: error.path,
            source: error.source,
        })
    }
}

/// Formats an optional timestamp the way Intune does for unset values.
pub(crate) fn intune_time_or_min(ms: Option<i64>) -> Value {
    match ms {
        Some(ms) => json!(intune_timestamp(ms)),
        None => json!(INTUNE_MIN_DATE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_tenant_has_defaults_and_round_trips() {
        let mut state = SimState::fresh(SimCloud::Commercial, None, 42, 1_700_000_000_000);
        assert!(
            state
                .service_principal_by_app_id(INTUNE_PROVISIONING_CLIENT_APP_ID)
                .is_some()
        );
        let esp = format!(
            "{}_DefaultWindows10EnrollmentCompletionPageConfiguration",
            state.tenant_id
        );
        assert!(state.enrollment_configurations.contains_key(&esp));
        assert!(state.is_default_enrollment_configuration(&esp));
        let g = state.add_group("Autopilot devices", GroupMembership::Assigned);
        assert_eq!(
            state.group_by_name("Autopilot devices").map(|g| g.id.clone()),
            Some(g)
        );
        state.add_devices((0..10).map(|i| DeviceSeed::new(format!("SN{i}"), "tag")));
        assert_eq!(state.devices.len(), 10);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        state.save(&path).unwrap();
        assert_eq!(SimState::load(&path).unwrap(), state);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn ids_are_deterministic_and_guid_shaped() {
        let mut a = SimState::fresh(SimCloud::Commercial, None, 7, 0);
        let mut b = SimState::fresh(SimCloud::Commercial, None, 7, 0);
        let id = a.new_guid();
        assert_eq!(id, b.new_guid());
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, a.new_guid());
    }

    #[test]
    fn garbage_state_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(SimState::load(&path), Err(SimError::StateFile { .. })));
    }

    fn staged(id: &str, completes_at_ms: i64) -> ImportedDevice {
        ImportedDevice {
            id: id.to_owned(),
            properties: serde_json::Map::new(),
            import_status: "unknown".to_owned(),
            registration_id: String::new(),
            error_code: 0,
            error_name: String::new(),
            completes_at_ms,
        }
    }

    #[test]
    fn due_imports_come_from_the_index_in_completion_order() {
        let mut state = SimState::fresh(SimCloud::Commercial, None, 1, 0);
        for (id, at) in [("c", 30), ("a", 10), ("b", 20), ("gone", 5), ("edited", 15)] {
            state.stage_import(staged(id, at));
        }
        state.imported_devices.remove("gone");
        if let Some(edited) = state.imported_devices.get_mut("edited") {
            edited.import_status = "error".to_owned();
        }
        assert!(
            state.take_due_imports(9).is_empty(),
            "nothing due yet (the deleted one is dropped)"
        );
        assert_eq!(
            state.take_due_imports(20),
            ["a", "b"],
            "the edited one is dropped"
        );
        assert_eq!(state.pending_imports.len(), 1, "only `c` is still waiting");
        assert_eq!(state.take_due_imports(i64::MAX), ["c"]);
        assert!(state.pending_imports.is_empty());
    }

    #[test]
    fn the_index_is_rebuilt_from_the_records_on_load() {
        let mut state = SimState::fresh(SimCloud::Commercial, None, 1, 0);
        state.stage_import(staged("waiting", 50));
        let mut done = staged("done", 10);
        done.import_status = "complete".to_owned();
        state.stage_import(done);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        state.save(&path).unwrap();
        let mut loaded = SimState::load(&path).unwrap();
        assert_eq!(
            loaded.pending_imports,
            BTreeSet::from([(50, "waiting".to_owned())])
        );
        assert_eq!(loaded.take_due_imports(60), ["waiting"]);
    }
}
