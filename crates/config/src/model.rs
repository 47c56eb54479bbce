//! [`DesiredState`]: the validated, typed configuration that `plan`, `apply` and the CLI use.
//!
//! Every value is [`Spanned`], references are resolved to typed indexes ([`GroupId`], …),
//! absent optional fields carry their default (with the span of the document's `kind:`), and
//! the [`SourceMap`] renders any span as `file:line:col` with a snippet.
//!
//! What each field means, its default (and where that default comes from) and the Graph
//! property it maps to are its row in [`crate::fields`]; field docs here only say what the
//! Rust value holds.

use std::path::PathBuf;
use std::sync::Arc;

use hangar_model::{Cloud, Kind};

use crate::span::{SourceMap, Span, Spanned};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into the state's vector of this kind.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// Index into [`DesiredState::groups`].
    GroupId
);
index_type!(
    /// Index into [`DesiredState::profiles`].
    ProfileId
);
index_type!(
    /// Index into [`DesiredState::esps`].
    EspId
);
index_type!(
    /// Index into [`DesiredState::device_preparation`].
    DppId
);
index_type!(
    /// Index into [`DesiredState::domain_joins`].
    DomainJoinId
);
index_type!(
    /// Index into [`DesiredState::restrictions`].
    RestrictionId
);
index_type!(
    /// Index into [`DesiredState::device_lists`].
    DeviceListId
);

/// The whole desired state of one tenant, as validated.
///
/// Only built when loading found no errors (warnings allowed), so every reference resolves and
/// every rule with severity error holds.
#[derive(Debug, Clone)]
pub struct DesiredState {
    /// The `Tenant` document.
    pub tenant: Tenant,
    /// `DeviceGroup` documents, in load order (files sorted by path, then document order).
    pub groups: Vec<DeviceGroup>,
    /// `DeploymentProfile` documents.
    pub profiles: Vec<DeploymentProfile>,
    /// `EnrollmentStatusPage` documents (the built-in one, if present, has `builtin: true`).
    pub esps: Vec<EnrollmentStatusPage>,
    /// `DevicePreparationPolicy` documents.
    pub device_preparation: Vec<DevicePreparationPolicy>,
    /// `DomainJoinProfile` documents.
    pub domain_joins: Vec<DomainJoinProfile>,
    /// `EnrollmentRestriction` documents.
    pub restrictions: Vec<EnrollmentRestriction>,
    /// `AutopilotDevices` documents.
    pub device_lists: Vec<AutopilotDevices>,
    /// Every device row of every devices CSV, in file and row order. Serials are unique.
    pub devices: Vec<Device>,
    /// Every file read, for rendering spans.
    pub sources: Arc<SourceMap>,
}

impl DesiredState {
    /// A group by id.
    pub fn group(&self, id: GroupId) -> &DeviceGroup {
        &self.groups[id.index()]
    }

    /// A group by exact name.
    pub fn group_by_name(&self, name: &str) -> Option<GroupId> {
        self.groups
            .iter()
            .position(|group| group.meta.name.value == name)
            .map(|i| GroupId(i as u32))
    }

    /// A profile by id.
    pub fn profile(&self, id: ProfileId) -> &DeploymentProfile {
        &self.profiles[id.index()]
    }

    /// An ESP by id.
    pub fn esp(&self, id: EspId) -> &EnrollmentStatusPage {
        &self.esps[id.index()]
    }

    /// A Device Preparation policy by id.
    pub fn dpp(&self, id: DppId) -> &DevicePreparationPolicy {
        &self.device_preparation[id.index()]
    }

    /// A domain join profile by id.
    pub fn domain_join(&self, id: DomainJoinId) -> &DomainJoinProfile {
        &self.domain_joins[id.index()]
    }

    /// A restriction by id.
    pub fn restriction(&self, id: RestrictionId) -> &EnrollmentRestriction {
        &self.restrictions[id.index()]
    }

    /// A device by serial (exact match).
    pub fn device_by_serial(&self, serial: &str) -> Option<&Device> {
        self.devices.iter().find(|device| device.serial == serial)
    }

    /// Every `assign:` block, with its object's kind and common fields.
    pub fn assignments(&self) -> impl Iterator<Item = (Kind, &Meta, &Assignments)> {
        let profiles = self
            .profiles
            .iter()
            .map(|o| (Kind::DeploymentProfile, &o.meta, &o.assign));
        let esps = self
            .esps
            .iter()
            .map(|o| (Kind::EnrollmentStatusPage, &o.meta, &o.assign));
        let joins = self
            .domain_joins
            .iter()
            .map(|o| (Kind::DomainJoinProfile, &o.meta, &o.assign));
        let restrictions = self
            .restrictions
            .iter()
            .map(|o| (Kind::EnrollmentRestriction, &o.meta, &o.assign));
        profiles.chain(esps).chain(joins).chain(restrictions)
    }

    /// Whether any assignment names an assignment filter.
    pub fn names_filters(&self) -> bool {
        self.assignments()
            .any(|(_, _, assign)| !assign.filters.is_empty())
    }

    /// Whether any `scopeTags:` entry is a name (not a numeric id): only then are the tenant's
    /// scope tags read, which needs `DeviceManagementRBAC.Read.All`.
    pub fn names_scope_tags(&self) -> bool {
        self.objects()
            .flat_map(|(_, meta)| meta.scope_tags.iter().flatten())
            .any(|tag| !hangar_model::ReferenceKind::ScopeTag.is_id(&tag.value))
    }

    /// Whether any ESP blocks on apps or any Device Preparation policy allows apps: the
    /// tenant's apps are then read (names resolve, ids are checked, types are taken from them).
    pub fn references_apps(&self) -> bool {
        self.esps.iter().any(|esp| !esp.blocking_apps.is_empty())
            || self
                .device_preparation
                .iter()
                .any(|dpp| !dpp.allowed_apps.is_empty())
    }

    /// Whether a group has owners or a Device Preparation policy exists: group owners and the
    /// Intune Provisioning Client service principal are then read (`hangar plan`), which needs
    /// `Application.Read.All` (`hangar doctor` checks it on the same test).
    pub fn reads_owners(&self) -> bool {
        !self.device_preparation.is_empty() || self.groups.iter().any(|group| !group.owners.is_empty())
    }

    /// Whether any Device Preparation policy allows scripts.
    pub fn references_scripts(&self) -> bool {
        self.device_preparation
            .iter()
            .any(|dpp| !dpp.allowed_scripts.is_empty())
    }

    /// Every object hangar manages, as (kind, common fields), in dependency order. Device rows
    /// are not included (see [`DesiredState::devices`]).
    pub fn objects(&self) -> impl Iterator<Item = (Kind, &Meta)> {
        let groups = self.groups.iter().map(|o| (Kind::DeviceGroup, &o.meta));
        let profiles = self.profiles.iter().map(|o| (Kind::DeploymentProfile, &o.meta));
        let esps = self.esps.iter().map(|o| (Kind::EnrollmentStatusPage, &o.meta));
        let joins = self
            .domain_joins
            .iter()
            .map(|o| (Kind::DomainJoinProfile, &o.meta));
        let restrictions = self
            .restrictions
            .iter()
            .map(|o| (Kind::EnrollmentRestriction, &o.meta));
        let dpps = self
            .device_preparation
            .iter()
            .map(|o| (Kind::DevicePreparationPolicy, &o.meta));
        groups
            .chain(profiles)
            .chain(esps)
            .chain(joins)
            .chain(restrictions)
            .chain(dpps)
    }
}

/// Fields every object document has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `name:`. The identity key: hangar matches tenant objects by kind and this name, exactly.
    /// Graph: `displayName` (`name` for Device Preparation policies).
    pub name: Spanned<String>,
    /// `id:`: pins a live object when several share the name. Graph: `id`.
    pub id: Option<Spanned<String>>,
    /// `renamedFrom:`: the object's previous name. When no live object has `name` but one has
    /// this name, the plan renames it in place (one PATCH of `displayName`, `name` for Device
    /// Preparation), like Terraform's `moved`.
    pub renamed_from: Option<Spanned<String>>,
    /// `description:`; `None` when omitted, which leaves the tenant's description alone
    /// ([`crate::fields::META`]).
    pub description: Option<Spanned<String>>,
    /// `scopeTags:` (Intune kinds only); `None` when omitted, which leaves the tenant's scope
    /// tags alone.
    pub scope_tags: Option<Vec<Spanned<String>>>,
    /// The whole document (from its first key).
    pub document: Span,
    /// The `kind:` value; also the span of defaulted fields.
    pub kind_span: Span,
}

/// `kind: Tenant`: settings of the tenant as a whole, not a Graph object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// `name:`: a label for people (e.g. `contoso-prod`); not sent anywhere.
    pub name: Spanned<String>,
    /// `cloud:`: which Microsoft cloud (hosts, capabilities) the tenant lives in.
    pub cloud: Spanned<Cloud>,
    /// `tenantId:`: GUID or verified domain; used for sign-in.
    pub tenant_id: Spanned<String>,
    /// `prune:`: whether and what `apply` may delete.
    pub prune: Prune,
    /// `include:`: the directories (bases) whose documents are part of this configuration,
    /// bases of bases included, resolved, in the order they were first included.
    pub include: Vec<crate::include::IncludedDir>,
    /// The whole document.
    pub document: Span,
}

/// `Tenant.prune`. Deletes happen only with `enabled`, only for objects matching `only`, never
/// more than `max_deletes` in one apply, never for built-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prune {
    /// `enabled:`.
    pub enabled: Spanned<bool>,
    /// `only:` patterns `Kind/glob`, e.g. `DeviceGroup/Autopilot-*`. Empty means nothing may
    /// be deleted even when enabled (an explicit list is required).
    pub only: Vec<PrunePattern>,
    /// `maxDeletes:` .
    pub max_deletes: Spanned<u32>,
}

/// One `prune.only` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePattern {
    /// The kind the pattern applies to.
    pub kind: Kind,
    /// The glob over display names (`*`, `?`, `[…]`), matched case-sensitively.
    pub glob: String,
    /// The entry as written.
    pub span: Span,
}

impl PrunePattern {
    /// Whether an object of `kind` named `name` may be pruned by this pattern.
    pub fn matches(&self, kind: Kind, name: &str) -> bool {
        kind == self.kind
            && globset::Glob::new(&self.glob).is_ok_and(|glob| glob.compile_matcher().is_match(name))
    }
}

/// `kind: DeviceGroup`: an Entra security group (Graph `group`, v1.0).
///
/// Fixed on create: `securityEnabled: true`, `mailEnabled: false`, and a `mailNickname` the
/// planner derives from the name (ASCII letters and digits, at most 64 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGroup {
    /// Common fields. Graph: `displayName`, `description`.
    pub meta: Meta,
    /// `membership:`. Graph: `groupTypes` (`["DynamicMembership"]` for dynamic, `[]` for
    /// assigned), `membershipRule` (see [`Membership::rule`]), and
    /// `membershipRuleProcessingState: "On"` for dynamic groups.
    pub membership: Spanned<Membership>,
    /// `owners:`. Graph: `owners` (`POST /groups/{id}/owners/$ref`).
    pub owners: Vec<Spanned<Owner>>,
    /// `external: true` (its span): a group hangar matches by name for references but never
    /// creates, changes or prunes; its `membership` is a placeholder (`Assigned`) that is never
    /// written, and routing takes the live group's rule.
    pub external: Option<Span>,
}

impl DeviceGroup {
    /// Whether the group is dynamic.
    pub fn is_dynamic(&self) -> bool {
        !matches!(self.membership.value, Membership::Assigned)
    }

    /// Whether the group is `external: true`.
    pub fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// Whether the Intune Provisioning Client is among the owners.
    pub fn owned_by_provisioning_client(&self) -> bool {
        self.owners
            .iter()
            .any(|owner| owner.value == Owner::IntuneProvisioningClient)
    }
}

/// How a group gets its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// `{groupTag: X}`: dynamic, devices whose Autopilot group tag is X.
    GroupTag(Spanned<String>),
    /// `{rule: "…"}`: dynamic, any device rule (checked by `hangar-membership`).
    Rule(Spanned<String>),
    /// `assigned`: static; hangar does not manage its members (Device Preparation device
    /// groups, which the service fills, and user groups).
    Assigned,
}

impl Membership {
    /// The `membershipRule` Graph gets: the rule as written, or for a group tag
    /// [`hangar_membership::group_tag_rule`], i.e.
    /// `(device.devicePhysicalIds -any (_ -eq "[OrderID]:X"))`. `None` for assigned groups.
    pub fn rule(&self) -> Option<String> {
        match self {
            Membership::GroupTag(tag) => Some(hangar_membership::group_tag_rule(&tag.value)),
            Membership::Rule(rule) => Some(rule.value.clone()),
            Membership::Assigned => None,
        }
    }
}

/// A group owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// `intune-provisioning-client`: the service principal of app id
    /// [`hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID`] (resolved to its object id
    /// in the tenant).
    IntuneProvisioningClient,
    /// An Entra object id (user or service principal), lowercase.
    ObjectId(String),
}

/// What an assignment targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A `DeviceGroup` by name. Graph: `#microsoft.graph.groupAssignmentTarget` with `groupId`.
    Group(GroupId),
    /// `all-devices`. Graph: `#microsoft.graph.allDevicesAssignmentTarget`.
    AllDevices,
    /// `all-users`. Graph: `#microsoft.graph.allLicensedUsersAssignmentTarget`.
    AllUsers,
}

/// `assign:` of a kind.
///
/// Graph: the kind's assignments (`target` of each). Excludes map to
/// `#microsoft.graph.exclusionGroupAssignmentTarget`. How they are written differs per kind
/// (profiles: one `POST …/assignments` each; ESPs and restrictions: `/assign` with
/// `enrollmentConfigurationAssignments`; domain join: `/assign` with `assignments`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignments {
    /// `include:`.
    pub include: Vec<Spanned<Target>>,
    /// `exclude:` (groups only).
    pub exclude: Vec<Spanned<GroupId>>,
    /// The assignment filters of `include:` entries written `{target, filter, filterMode}`,
    /// one per filtered target. Graph: the target's `deviceAndAppManagementAssignmentFilterId`
    /// (resolved by name in the tenant's `assignmentFilters` when planning) and
    /// `deviceAndAppManagementAssignmentFilterType`.
    pub filters: Vec<IncludeFilter>,
}

/// An assignment filter on one included target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeFilter {
    /// The target it narrows.
    pub target: Target,
    /// `filter:`: the filter's display name, with its location.
    pub name: Spanned<String>,
    /// `filterMode:` (default `include`).
    pub mode: Spanned<hangar_model::FilterMode>,
}

impl Assignments {
    /// Whether `all-devices` is included.
    pub fn includes_all_devices(&self) -> bool {
        self.include
            .iter()
            .any(|target| target.value == Target::AllDevices)
    }

    /// Included groups.
    pub fn included_groups(&self) -> impl Iterator<Item = GroupId> + '_ {
        self.include.iter().filter_map(|target| match target.value {
            Target::Group(group) => Some(group),
            _ => None,
        })
    }

    /// The assignment filter on an included target, if any.
    pub fn filter_of(&self, target: Target) -> Option<&IncludeFilter> {
        self.filters.iter().find(|filter| filter.target == target)
    }

    /// Whether the group is excluded.
    pub fn excludes(&self, group: GroupId) -> bool {
        self.exclude.iter().any(|excluded| excluded.value == group)
    }
}

/// `join:` of a deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinType {
    /// `entra`. Graph: `@odata.type` `#microsoft.graph.azureADWindowsAutopilotDeploymentProfile`.
    Entra,
    /// `hybrid`. Graph: `@odata.type`
    /// `#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile`.
    Hybrid,
}

impl JoinType {
    /// The YAML value (`join:`).
    pub fn yaml(self) -> &'static str {
        match self {
            JoinType::Entra => "entra",
            JoinType::Hybrid => "hybrid",
        }
    }
}

/// `mode:` of a deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentMode {
    /// `user-driven`. Graph: `outOfBoxExperienceSetting.deviceUsageType = "singleUser"`.
    UserDriven,
    /// `self-deploying`. Graph: `outOfBoxExperienceSetting.deviceUsageType = "shared"`, and
    /// `userType` omitted from the body.
    SelfDeploying,
}

impl DeploymentMode {
    /// The YAML value (`mode:`).
    pub fn yaml(self) -> &'static str {
        match self {
            DeploymentMode::UserDriven => "user-driven",
            DeploymentMode::SelfDeploying => "self-deploying",
        }
    }
}

/// `deviceType:` of a deployment profile. Graph: `deviceType` (create only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceType {
    /// `windows-pc` → `windowsPc` (default).
    WindowsPc,
    /// `hololens` → `holoLens`.
    HoloLens,
    /// `surface-hub-2` → `surfaceHub2`.
    SurfaceHub2,
    /// `surface-hub-2s` → `surfaceHub2S`.
    SurfaceHub2S,
    /// `virtual-machine` → `virtualMachine`.
    VirtualMachine,
}

impl DeviceType {
    /// The YAML value (`deviceType:`).
    pub fn yaml(self) -> &'static str {
        match self {
            DeviceType::WindowsPc => "windows-pc",
            DeviceType::HoloLens => "hololens",
            DeviceType::SurfaceHub2 => "surface-hub-2",
            DeviceType::SurfaceHub2S => "surface-hub-2s",
            DeviceType::VirtualMachine => "virtual-machine",
        }
    }

    /// The Graph enum value.
    pub fn graph_value(self) -> &'static str {
        match self {
            DeviceType::WindowsPc => "windowsPc",
            DeviceType::HoloLens => "holoLens",
            DeviceType::SurfaceHub2 => "surfaceHub2",
            DeviceType::SurfaceHub2S => "surfaceHub2S",
            DeviceType::VirtualMachine => "virtualMachine",
        }
    }
}

/// `oobe.userType:`. Graph: `outOfBoxExperienceSetting.userType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    /// `standard` → `standard`.
    Standard,
    /// `administrator` → `administrator`.
    Administrator,
}

impl UserType {
    /// The YAML value (`oobe.userType:`).
    pub fn yaml(self) -> &'static str {
        match self {
            UserType::Standard => "standard",
            UserType::Administrator => "administrator",
        }
    }
}

/// `oobe:` of a deployment profile. Graph: `outOfBoxExperienceSetting` (the writable shape;
/// never the deprecated `outOfBoxExperienceSettings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oobe {
    /// `hideLicenseTerms:` (admin center "Microsoft Software License Terms: Hide")
    ///. Graph: `outOfBoxExperienceSetting.eulaHidden`.
    pub hide_license_terms: Spanned<bool>,
    /// `hidePrivacySettings:`. Graph:
    /// `outOfBoxExperienceSetting.privacySettingsHidden`.
    pub hide_privacy_settings: Spanned<bool>,
    /// `hideChangeAccountOptions:`. Graph:
    /// `outOfBoxExperienceSetting.escapeLinkHidden`.
    pub hide_change_account_options: Spanned<bool>,
    /// `userType:`; `None` for self-deploying profiles (Graph rejects it there), else default
    /// `standard`. Graph: `outOfBoxExperienceSetting.userType`.
    pub user_type: Option<Spanned<UserType>>,
    /// `skipKeyboardSelection:` (admin center "Automatically configure keyboard")
    ///. Graph: `outOfBoxExperienceSetting.keyboardSelectionPageSkipped`.
    pub skip_keyboard_selection: Spanned<bool>,
}

/// `kind: DeploymentProfile`: a classic Windows Autopilot deployment profile (Graph beta
/// `windowsAutopilotDeploymentProfile`, derived type by [`JoinType`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentProfile {
    /// Common fields. Graph: `displayName`, `description`, `roleScopeTagIds`.
    pub meta: Meta,
    /// `join:`. Graph: `@odata.type` (create only: a change is a replace).
    pub join: Spanned<JoinType>,
    /// `mode:`. Graph: `outOfBoxExperienceSetting.deviceUsageType`.
    pub mode: Spanned<DeploymentMode>,
    /// `preProvisioning:` (admin center "Allow pre-provisioned deployment").
    /// Graph: `preprovisioningAllowed`.
    pub pre_provisioning: Spanned<bool>,
    /// `deviceType:`. Graph: `deviceType` (create only).
    pub device_type: Spanned<DeviceType>,
    /// `deviceName:`, the name template (admin center "Apply device name template"); `None`
    /// means no template (Graph gets `""`; always `""` for hybrid). Graph: `deviceNameTemplate`.
    pub device_name: Option<Spanned<String>>,
    /// `locale:` (admin center "Language (Region)"). Graph: `locale`.
    /// The planner normalises `os-default` ↔ `""` (see graph-api-notes §1).
    pub locale: Spanned<String>,
    /// `convertTargetedDevices:` (admin center "Convert all targeted devices to Autopilot")
    ///. Graph: `hardwareHashExtractionEnabled`.
    pub convert_targeted_devices: Spanned<bool>,
    /// `skipDomainConnectivityCheck:` (hybrid only). Graph:
    /// `hybridAzureADJoinSkipConnectivityCheck` (create only, hybrid type only).
    pub skip_domain_connectivity_check: Spanned<bool>,
    /// `oobe:`. Graph: `outOfBoxExperienceSetting`.
    pub oobe: Oobe,
    /// `assign:`. Graph: `assignments` (groups, exclusions, all devices).
    pub assign: Assignments,
}

/// `kind: EnrollmentStatusPage` (Graph beta `windows10EnrollmentCompletionPageConfiguration`
/// under `deviceEnrollmentConfigurations`).
///
/// `name: default` edits the built-in ESP (id suffix
/// [`hangar_model::well_known::DEFAULT_ESP_ID_SUFFIX`]): update only, no `assign`, no
/// `priority`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentStatusPage {
    /// Common fields. Graph: `displayName`, `description`, `roleScopeTagIds`.
    pub meta: Meta,
    /// Whether this is the built-in default ESP (`name: default`).
    pub builtin: bool,
    /// `priority:` (1 = highest; `None` only for the built-in, which is fixed at 0). Graph:
    /// `priority`, written with `POST …/setPriority`, never in a POST/PATCH body.
    pub priority: Option<Spanned<u32>>,
    /// `showProgress:` (admin center "Show app and profile configuration progress")
    ///. Graph: `showInstallationProgress`.
    pub show_progress: Spanned<bool>,
    /// `blockDeviceUse:` (admin center "Block device use until all apps and profiles are
    /// installed").
    ///
    /// Graph: `blockDeviceSetupRetryByUser`, **inverted**: `blockDeviceUse: true` ⇒
    /// `blockDeviceSetupRetryByUser: false`. Evidence (graph-api-notes §2): the sub-settings that
    /// the admin center shows only when "Block device use" is Yes (allow reset, allow use,
    /// blocking apps) are the ones DSC drops and Terraform documents as unusable when
    /// `blockDeviceSetupRetryByUser` is `true`. Unverified against a live tenant.
    pub block_device_use: Spanned<bool>,
    /// `allowReset:` (admin center "Allow users to reset device if installation error
    /// occurs"). Graph: `allowDeviceResetOnInstallFailure`.
    pub allow_reset: Spanned<bool>,
    /// `allowUseOnError:` (admin center "Allow users to use device if installation error
    /// occurs"). Graph: `allowDeviceUseOnInstallFailure`.
    pub allow_use_on_error: Spanned<bool>,
    /// `timeoutMinutes:` (admin center "Show an error when installation takes longer than
    /// specified number of minutes"). Graph: `installProgressTimeoutInMinutes`.
    pub timeout_minutes: Spanned<u32>,
    /// `collectLogs:` (admin center "Turn on log collection and diagnostics page for end
    /// users"). Graph: `allowLogCollectionOnInstallFailure`.
    pub collect_logs: Spanned<bool>,
    /// `onlyAutopilot:` (admin center "Only show page to devices provisioned by out-of-box
    /// experience (OOBE)"). Graph: `trackInstallProgressForAutopilotOnly`.
    pub only_autopilot: Spanned<bool>,
    /// `errorMessage:` (admin center "Show custom message when time limit or error occurs");
    /// Intune's own message when omitted. Graph: `customErrorMessage`.
    pub error_message: Spanned<String>,
    /// `blockingApps:` app ids (GUIDs of `deviceAppManagement/mobileApps`); empty = all
    /// required apps block (admin center "Block device use until these required apps are
    /// installed: All"). Graph: `selectedMobileAppIds`.
    pub blocking_apps: Vec<Spanned<String>>,
    /// `allowNonBlockingApps:`. Graph: `allowNonBlockingAppInstallation`.
    pub allow_non_blocking_apps: Spanned<bool>,
    /// `skipUserStatusAfterFirstUser:` (admin center "Turn off user status tracking after the
    /// first user"). Graph: `disableUserStatusTrackingAfterFirstUser`.
    pub skip_user_status_after_first_user: Spanned<bool>,
    /// `installQualityUpdates:` (admin center "Install Windows quality updates (might restart
    /// the device)"). Graph: `installQualityUpdates`.
    pub install_quality_updates: Spanned<bool>,
    /// `assign:`. Graph: `assignments` via `/assign`. Empty for the built-in.
    pub assign: Assignments,
}

/// `mode:` of a Device Preparation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DppMode {
    /// `user-driven`. Graph: `templateReference.templateId` = the tenant's user-driven template
    /// (published: [`hangar_model::well_known::device_preparation::USER_DRIVEN_TEMPLATE_ID`]).
    UserDriven,
    /// `automatic` (Windows 365). Graph: `templateReference.templateId` = the tenant's
    /// automatic template (published:
    /// [`hangar_model::well_known::device_preparation::AUTOMATIC_TEMPLATE_ID`]).
    Automatic,
}

impl DppMode {
    /// The YAML value (`mode:`).
    pub fn yaml(self) -> &'static str {
        match self {
            DppMode::UserDriven => "user-driven",
            DppMode::Automatic => "automatic",
        }
    }
}

/// `accountType:` of a Device Preparation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// `standard` (default).
    Standard,
    /// `administrator`.
    Administrator,
}

impl AccountType {
    /// The YAML value (`accountType:`).
    pub fn yaml(self) -> &'static str {
        match self {
            AccountType::Standard => "standard",
            AccountType::Administrator => "administrator",
        }
    }
}

/// `kind: DevicePreparationPolicy`: Autopilot Device Preparation (v2), a Settings Catalog
/// `configurationPolicy` (beta) with `platforms: windows10`, `technologies: enrollment`,
/// `templateReference.templateFamily: enrollmentConfiguration`. Setting ids are in
/// [`hangar_model::well_known::device_preparation`].
///
/// Choice values are never positional: the planner takes the template id and every option value
/// from the tenant's own definitions, by the meaning of the option names
/// ([`hangar_model::device_preparation`]). Fixed settings: `enrollment_autopilot_dpp_jointype` =
/// "Microsoft Entra joined", `…_deploymenttype` = "Single user".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePreparationPolicy {
    /// Common fields. Graph: `name` (not `displayName`), `description`, `roleScopeTagIds`.
    pub meta: Meta,
    /// `mode:`. Graph: `templateReference.templateId` and setting
    /// `enrollment_autopilot_dpp_deploymentmode`.
    pub mode: Spanned<DppMode>,
    /// `deviceGroup:`: the static group devices are added to during setup, owned by the Intune
    /// Provisioning Client. Graph: `setEnrollmentTimeDeviceMembershipTarget` with
    /// `targetType: staticSecurityGroup`, and setting
    /// `enrollment_autopilot_dpp_devicesecuritygroupids` (display only).
    pub device_group: Option<Spanned<GroupId>>,
    /// `userGroups:`: `membership: assigned` groups of users whose sign-in triggers the
    /// policy. Graph: `assignments` via `/assign` (`groupAssignmentTarget`).
    pub user_groups: Vec<Spanned<GroupId>>,
    /// `accountType:`. Graph: setting `enrollment_autopilot_dpp_accountype`.
    pub account_type: Spanned<AccountType>,
    /// `timeoutMinutes:` (15–720). Graph: setting `enrollment_autopilot_dpp_timeout`.
    pub timeout_minutes: Spanned<u32>,
    /// `errorMessage:` (`None` = Intune's default text). Graph: setting
    /// `enrollment_autopilot_dpp_customerrormessage`.
    pub error_message: Option<Spanned<String>>,
    /// `allowSkip:` (admin center "Allow users to skip setup after multiple attempts")
    ///. Graph: setting `enrollment_autopilot_dpp_allowskip`.
    pub allow_skip: Spanned<bool>,
    /// `allowDiagnostics:` (admin center "Show link to diagnostics"). Graph:
    /// setting `enrollment_autopilot_dpp_allowdiagnostics`.
    pub allow_diagnostics: Spanned<bool>,
    /// `allowedApps:` app ids (GUIDs; at most 10). Graph: setting
    /// `enrollment_autopilot_dpp_allowedappids`, each value the JSON string
    /// `{"id":"<guid>","type":"#microsoft.graph.<app type>"}` (the planner looks the type up).
    pub allowed_apps: Vec<Spanned<String>>,
    /// `allowedScripts:` script ids (GUIDs; at most 10). Graph: setting
    /// `enrollment_autopilot_dpp_allowedscriptids`.
    pub allowed_scripts: Vec<Spanned<String>>,
}

/// `kind: DomainJoinProfile`: hybrid join naming and OU (Graph beta
/// `windowsDomainJoinConfiguration` under `deviceConfigurations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainJoinProfile {
    /// Common fields. Graph: `displayName`, `description`, `roleScopeTagIds`.
    pub meta: Meta,
    /// `domain:`. Graph: `activeDirectoryDomainName`.
    pub domain: Spanned<String>,
    /// `ou:` distinguished name; `None` = the default computers container. Graph:
    /// `organizationalUnit`.
    pub ou: Option<Spanned<String>>,
    /// `computerNamePrefix:`. Graph: `computerNameStaticPrefix`.
    pub computer_name_prefix: Spanned<String>,
    /// `randomChars:` (3–14). Graph: `computerNameSuffixRandomCharCount`.
    pub random_chars: Spanned<u32>,
    /// `assign:`. Graph: `assignments` via `/assign`.
    pub assign: Assignments,
}

/// `windows:` of an enrollment restriction. Graph: `deviceEnrollmentPlatformRestriction`
/// (`platformRestriction` of a custom restriction, `windowsRestriction` of the default one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsRestriction {
    /// `personalDevicesBlocked:`. Graph: `personalDeviceEnrollmentBlocked`.
    pub personal_devices_blocked: Spanned<bool>,
    /// `platformBlocked:`. Graph: `platformBlocked`.
    pub platform_blocked: Spanned<bool>,
    /// `osMinimum:` (e.g. `10.0.19045`). Graph: `osMinimumVersion`.
    pub os_minimum: Option<Spanned<String>>,
    /// `osMaximum:`. Graph: `osMaximumVersion`.
    pub os_maximum: Option<Spanned<String>>,
    /// `blockedManufacturers:`. Graph: `blockedManufacturers` (beta).
    pub blocked_manufacturers: Vec<Spanned<String>>,
    /// `blockedSkus:`. Graph: `blockedSkus` (beta).
    pub blocked_skus: Vec<Spanned<String>>,
}

/// `kind: EnrollmentRestriction`: Windows platform restriction.
///
/// A custom one is Graph beta `deviceEnrollmentPlatformRestrictionConfiguration` (singular) with
/// `platformType: "windows"`; `name: default` edits the built-in
/// `deviceEnrollmentPlatformRestrictionsConfiguration` (plural, id suffix
/// [`hangar_model::well_known::DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX`]), whose
/// `windowsRestriction` only is managed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRestriction {
    /// Common fields. Graph: `displayName`, `description`, `roleScopeTagIds`.
    pub meta: Meta,
    /// Whether this is the built-in default restriction (`name: default`).
    pub builtin: bool,
    /// `priority:` (`None` for the built-in). Graph: `priority` via `/setPriority`.
    pub priority: Option<Spanned<u32>>,
    /// `windows:`. Graph: `platformRestriction` (custom) or `windowsRestriction` (default).
    pub windows: WindowsRestriction,
    /// `assign:` (user groups). Graph: `assignments` via `/assign`.
    pub assign: Assignments,
}

/// `kind: AutopilotDevices`: a devices CSV to register (Graph
/// `importedWindowsAutopilotDeviceIdentities`, then `windowsAutopilotDeviceIdentities`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutopilotDevices {
    /// `name:`: a label for the list.
    pub name: Spanned<String>,
    /// `source:` as written (relative to the YAML file).
    pub source: Spanned<String>,
    /// The CSV path hangar opened.
    pub path: PathBuf,
    /// `groupTag:`: the tag of rows whose `Group Tag` column is empty or absent.
    pub group_tag: Option<Spanned<String>>,
    /// The whole document.
    pub document: Span,
}

/// One device row of a devices CSV.
///
/// The hardware hash is not kept (about 4 KB each): [`Device::hash`] says where to read it
/// back when a device is imported (see [`crate::devices::read_hash`]). A row with an empty
/// `Hardware Hash` cell, or from a CSV without that column, is *hash-less*: it manages an
/// existing registration by serial (group tag, user, display name) and can never be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The list the row is from.
    pub list: DeviceListId,
    /// `Device Serial Number`, trimmed. Graph: `serialNumber`.
    pub serial: String,
    /// `Group Tag`, or the list's `groupTag`; `None` when neither is set. Graph: `groupTag`.
    pub group_tag: Option<String>,
    /// `Assigned User` (a UPN). Graph: `assignedUserPrincipalName`.
    pub assigned_user: Option<String>,
    /// `Windows Product ID`. Graph: `productKey` (sent only with an import).
    pub product_id: Option<String>,
    /// `Display Name`: the name Intune shows for the registration (the portal's "Device
    /// name"); `None` when the cell is empty or the column absent, which leaves the live name
    /// alone. Graph: `displayName` (`updateDeviceProperties`).
    pub display_name: Option<String>,
    /// Where the hash is; `None` for a hash-less row. Graph: `hardwareIdentifier` (base64).
    pub hash: Option<HashLocation>,
    /// 1-based data row (the header is row 0).
    pub row: u32,
    /// The start of the device's row in the CSV.
    pub span: Span,
}

/// Where a device's hardware hash is in its CSV: the record and the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLocation {
    /// The CSV file.
    pub file: crate::span::FileId,
    /// Byte offset where the device's record starts.
    pub record_offset: u64,
    /// 0-based index of the `Hardware Hash` column.
    pub column: u32,
}
