//! The simulator's own table of Graph types: property names, kinds, who may write them, which
//! exist only in beta, and the value Graph returns when one was never set.
//!
//! Writes are validated against it (unknown, read-only, beta-only-under-v1.0, wrongly typed
//! and out-of-enum values are 400s) and responses are rendered from it, so every object comes
//! back with Graph's full property set. The table is written by hand from
//! `shared/graph-metadata/autopilot-surface.json`; a fidelity test checks every response
//! against that file, so the table cannot silently invent a property.

use serde_json::{Map, Value, json};

use crate::reply::GraphError;

/// API version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// Value kinds the simulator checks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum K {
    Str,
    Bool,
    Int,
    Strs,
    Time,
    Bin,
    Enum(&'static [&'static str]),
    /// A complex type (validated against its own definition).
    Obj(&'static str),
    /// Anything (properties the simulator stores but does not interpret).
    Any,
}

/// Who may write a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum A {
    Write,
    Read,
    CreateOnly,
}

/// Value returned when a property was never set.
#[derive(Debug, Clone, Copy)]
pub(crate) enum D {
    Null,
    False,
    True,
    Zero,
    Int(i64),
    Str(&'static str),
    Empty,
    DefaultScopeTag,
}

impl D {
    fn value(self) -> Value {
        match self {
            D::Null => Value::Null,
            D::False => json!(false),
            D::True => json!(true),
            D::Zero => json!(0),
            D::Int(n) => json!(n),
            D::Str(s) => json!(s),
            D::Empty => json!([]),
            D::DefaultScopeTag => json!(["0"]),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Prop {
    pub name: &'static str,
    pub kind: K,
    pub access: A,
    pub beta_only: bool,
    pub default: D,
}

const fn p(name: &'static str, kind: K, access: A) -> Prop {
    Prop {
        name,
        kind,
        access,
        beta_only: false,
        default: D::Null,
    }
}
const fn w(name: &'static str, kind: K) -> Prop {
    p(name, kind, A::Write)
}
const fn r(name: &'static str, kind: K) -> Prop {
    p(name, kind, A::Read)
}
const fn c(name: &'static str, kind: K) -> Prop {
    p(name, kind, A::CreateOnly)
}

impl Prop {
    const fn d(mut self, default: D) -> Prop {
        self.default = default;
        self
    }
    const fn beta(mut self) -> Prop {
        self.beta_only = true;
        self
    }
}

/// One Graph type.
#[derive(Debug)]
pub(crate) struct TypeDef {
    pub name: &'static str,
    pub base: Option<&'static str>,
    /// Cannot be created without a derived `@odata.type`.
    pub is_abstract: bool,
    /// The type does not exist in v1.0.
    pub beta_only: bool,
    pub props: &'static [Prop],
}

const fn t(name: &'static str, base: Option<&'static str>, props: &'static [Prop]) -> TypeDef {
    TypeDef {
        name,
        base,
        is_abstract: false,
        beta_only: false,
        props,
    }
}

impl TypeDef {
    const fn abstract_(mut self) -> TypeDef {
        self.is_abstract = true;
        self
    }
    const fn beta(mut self) -> TypeDef {
        self.beta_only = true;
        self
    }
}

const ENROLLMENT_CONFIGURATION_TYPES: &[&str] = &[
    "unknown",
    "limit",
    "platformRestrictions",
    "windowsHelloForBusiness",
    "defaultLimit",
    "defaultPlatformRestrictions",
    "defaultWindowsHelloForBusiness",
    "defaultWindows10EnrollmentCompletionPageConfiguration",
    "windows10EnrollmentCompletionPageConfiguration",
    "deviceComanagementAuthorityConfiguration",
    "singlePlatformRestriction",
    "unknownFutureValue",
    "enrollmentNotificationsConfiguration",
    "windowsRestore",
];
const DEVICE_TYPES: &[&str] = &[
    "windowsPc",
    "holoLens",
    "surfaceHub2",
    "surfaceHub2S",
    "virtualMachine",
    "unknownFutureValue",
];
const USER_TYPES: &[&str] = &["administrator", "standard", "unknownFutureValue"];
const USAGE_TYPES: &[&str] = &["singleUser", "shared", "unknownFutureValue"];
const PLATFORM_TYPES: &[&str] = &[
    "allPlatforms",
    "ios",
    "windows",
    "windowsPhone",
    "android",
    "androidForWork",
    "mac",
    "linux",
    "unknownFutureValue",
];
const IMPORT_STATUSES: &[&str] = &["unknown", "pending", "partial", "complete", "error"];
pub(crate) const CONFIGURATION_PLATFORMS: &[&str] = &[
    "none",
    "android",
    "iOS",
    "macOS",
    "windows10X",
    "windows10",
    "linux",
    "unknownFutureValue",
    "androidEnterprise",
    "aosp",
    "visionOS",
    "tvOS",
];
pub(crate) const CONFIGURATION_TECHNOLOGIES: &[&str] = &[
    "none",
    "mdm",
    "windows10XManagement",
    "configManager",
    "intuneManagementExtension",
    "thirdParty",
    "documentGateway",
    "appleRemoteManagement",
    "microsoftSense",
    "exchangeOnline",
    "mobileApplicationManagement",
    "linuxMdm",
    "enrollment",
    "endpointPrivilegeManagement",
    "unknownFutureValue",
    "windowsOsRecovery",
    "android",
];
const TEMPLATE_FAMILIES: &[&str] = &[
    "none",
    "endpointSecurityAntivirus",
    "endpointSecurityDiskEncryption",
    "endpointSecurityFirewall",
    "endpointSecurityEndpointDetectionAndResponse",
    "endpointSecurityAttackSurfaceReduction",
    "endpointSecurityAccountProtection",
    "endpointSecurityApplicationControl",
    "endpointSecurityEndpointPrivilegeManagement",
    "enrollmentConfiguration",
    "appQuietTime",
    "baseline",
    "unknownFutureValue",
    "deviceConfigurationScripts",
    "deviceConfigurationPolicies",
    "windowsOsRecoveryPolicies",
    "companyPortal",
    "windowsRecoveryAndRemediationConfiguration",
];

const TIME_R: Prop = r("createdDateTime", K::Time);
const MODIFIED_R: Prop = r("lastModifiedDateTime", K::Time);
const TAGS: Prop = w("roleScopeTagIds", K::Strs).d(D::DefaultScopeTag);
const TARGET: Prop = w("target", K::Obj("deviceAndAppManagementAssignmentTarget"));
const SOURCE: Prop = r("source", K::Str).d(D::Str("direct"));
const SOURCE_ID: Prop = r("sourceId", K::Str);
const RESTRICTION: K = K::Obj("deviceEnrollmentPlatformRestriction");

/// Every type the simulator knows.
static TYPES: &[TypeDef] = &[
    t("entity", None, &[r("id", K::Str)]),
    t(
        "directoryObject",
        Some("entity"),
        &[r("deletedDateTime", K::Time)],
    ),
    t(
        "group",
        Some("directoryObject"),
        &[
            w("classification", K::Str),
            TIME_R,
            w("description", K::Str),
            w("displayName", K::Str),
            r("expirationDateTime", K::Time),
            w("groupTypes", K::Strs).d(D::Empty),
            c("isAssignableToRole", K::Bool),
            r("mail", K::Str),
            w("mailEnabled", K::Bool),
            w("mailNickname", K::Str),
            w("membershipRule", K::Str),
            w("membershipRuleProcessingState", K::Enum(&["On", "Paused"])),
            r("onPremisesDomainName", K::Str),
            r("onPremisesLastSyncDateTime", K::Time),
            r("onPremisesNetBiosName", K::Str),
            r("onPremisesProvisioningErrors", K::Any).d(D::Empty),
            r("onPremisesSamAccountName", K::Str),
            r("onPremisesSecurityIdentifier", K::Str),
            r("onPremisesSyncEnabled", K::Bool),
            w("preferredDataLocation", K::Str),
            w("preferredLanguage", K::Str),
            r("proxyAddresses", K::Strs).d(D::Empty),
            r("renewedDateTime", K::Time),
            c("resourceBehaviorOptions", K::Strs).d(D::Empty),
            c("resourceProvisioningOptions", K::Strs).d(D::Empty),
            w("securityEnabled", K::Bool),
            r("securityIdentifier", K::Str),
            r("serviceProvisioningErrors", K::Any).d(D::Empty),
            w("theme", K::Str),
            // The alternate key; immutable once set, unique (routes/groups.rs enforces both).
            w("uniqueName", K::Str),
            w("visibility", K::Str),
        ],
    ),
    t(
        "servicePrincipal",
        Some("directoryObject"),
        &[
            w("accountEnabled", K::Bool).d(D::True),
            r("addIns", K::Any).d(D::Empty),
            r("alternativeNames", K::Strs).d(D::Empty),
            w("appDescription", K::Str),
            r("appDisplayName", K::Str),
            c("appId", K::Str),
            r("applicationTemplateId", K::Str),
            r("appOwnerOrganizationId", K::Str),
            w("appRoleAssignmentRequired", K::Bool).d(D::False),
            r("appRoles", K::Any).d(D::Empty),
            w("description", K::Str),
            r("disabledByMicrosoftStatus", K::Str),
            w("displayName", K::Str),
            w("homepage", K::Str),
            r("keyCredentials", K::Any).d(D::Empty),
            w("loginUrl", K::Str),
            w("logoutUrl", K::Str),
            w("notes", K::Str),
            w("notificationEmailAddresses", K::Strs).d(D::Empty),
            r("passwordCredentials", K::Any).d(D::Empty),
            w("preferredSingleSignOnMode", K::Str),
            r("preferredTokenSigningKeyThumbprint", K::Str),
            w("replyUrls", K::Strs).d(D::Empty),
            r("servicePrincipalNames", K::Strs).d(D::Empty),
            r("servicePrincipalType", K::Str),
            r("signInAudience", K::Str).d(D::Str("AzureADMultipleOrgs")),
            w("tags", K::Strs).d(D::Empty),
            r("tokenEncryptionKeyId", K::Str),
        ],
    ),
    t(
        "windowsAutopilotDeploymentProfile",
        Some("entity"),
        &[
            TIME_R,
            w("description", K::Str),
            w("deviceNameTemplate", K::Str).d(D::Str("")),
            c("deviceType", K::Enum(DEVICE_TYPES)).d(D::Str("windowsPc")),
            w("displayName", K::Str),
            r("enableWhiteGlove", K::Bool).d(D::False),
            w(
                "enrollmentStatusScreenSettings",
                K::Obj("windowsEnrollmentStatusScreenSettings"),
            ),
            r("extractHardwareHash", K::Bool).d(D::False),
            w("hardwareHashExtractionEnabled", K::Bool).d(D::False),
            r("language", K::Str).d(D::Str("os-default")),
            MODIFIED_R,
            w("locale", K::Str).d(D::Str("os-default")),
            w("managementServiceAppId", K::Str),
            w("outOfBoxExperienceSetting", K::Obj("outOfBoxExperienceSetting")),
            r("outOfBoxExperienceSettings", K::Obj("outOfBoxExperienceSettings")),
            w("preprovisioningAllowed", K::Bool).d(D::False),
            TAGS,
        ],
    )
    .beta(),
    t(
        "azureADWindowsAutopilotDeploymentProfile",
        Some("windowsAutopilotDeploymentProfile"),
        &[],
    )
    .beta(),
    t(
        "activeDirectoryWindowsAutopilotDeploymentProfile",
        Some("windowsAutopilotDeploymentProfile"),
        &[c("hybridAzureADJoinSkipConnectivityCheck", K::Bool).d(D::False)],
    )
    .beta(),
    t(
        "windowsAutopilotDeploymentProfileAssignment",
        Some("entity"),
        &[SOURCE, SOURCE_ID, TARGET],
    )
    .beta(),
    t(
        "deviceEnrollmentConfiguration",
        Some("entity"),
        &[
            TIME_R,
            w("description", K::Str),
            r(
                "deviceEnrollmentConfigurationType",
                K::Enum(ENROLLMENT_CONFIGURATION_TYPES),
            )
            .beta(),
            w("displayName", K::Str),
            MODIFIED_R,
            r("priority", K::Int).d(D::Zero),
            TAGS.beta(),
            r("version", K::Int).d(D::Zero),
        ],
    )
    .abstract_(),
    t(
        "windows10EnrollmentCompletionPageConfiguration",
        Some("deviceEnrollmentConfiguration"),
        &[
            w("allowDeviceResetOnInstallFailure", K::Bool).d(D::False).beta(),
            w("allowDeviceUseOnInstallFailure", K::Bool).d(D::False).beta(),
            w("allowLogCollectionOnInstallFailure", K::Bool)
                .d(D::False)
                .beta(),
            w("allowNonBlockingAppInstallation", K::Bool).d(D::False),
            w("blockDeviceSetupRetryByUser", K::Bool).d(D::False).beta(),
            w("customErrorMessage", K::Str).beta(),
            w("disableUserStatusTrackingAfterFirstUser", K::Bool)
                .d(D::False)
                .beta(),
            w("installProgressTimeoutInMinutes", K::Int).d(D::Int(60)).beta(),
            w("installQualityUpdates", K::Bool).d(D::False).beta(),
            w("selectedMobileAppIds", K::Strs).d(D::Empty).beta(),
            w("showInstallationProgress", K::Bool).d(D::False).beta(),
            w("trackInstallProgressForAutopilotOnly", K::Bool)
                .d(D::False)
                .beta(),
        ],
    ),
    t(
        "deviceEnrollmentPlatformRestrictionsConfiguration",
        Some("deviceEnrollmentConfiguration"),
        &[
            w("androidForWorkRestriction", RESTRICTION).beta(),
            w("androidRestriction", RESTRICTION),
            w("iosRestriction", RESTRICTION),
            w("macOSRestriction", RESTRICTION),
            w("macRestriction", RESTRICTION).beta(),
            w("tvosRestriction", RESTRICTION).beta(),
            w("visionOSRestriction", RESTRICTION).beta(),
            w("windowsHomeSkuRestriction", RESTRICTION).beta(),
            w("windowsMobileRestriction", RESTRICTION),
            w("windowsRestriction", RESTRICTION),
        ],
    ),
    t(
        "deviceEnrollmentPlatformRestrictionConfiguration",
        Some("deviceEnrollmentConfiguration"),
        &[
            w("platformRestriction", RESTRICTION),
            c("platformType", K::Enum(PLATFORM_TYPES)),
        ],
    )
    .beta(),
    t(
        "deviceEnrollmentLimitConfiguration",
        Some("deviceEnrollmentConfiguration"),
        &[w("limit", K::Int).d(D::Int(15))],
    ),
    t(
        "deviceEnrollmentWindowsHelloForBusinessConfiguration",
        Some("deviceEnrollmentConfiguration"),
        &[
            w("enhancedBiometricsState", K::Any),
            w("enhancedSignInSecurity", K::Any).beta(),
            w("pinExpirationInDays", K::Any),
            w("pinLowercaseCharactersUsage", K::Any),
            w("pinMaximumLength", K::Any),
            w("pinMinimumLength", K::Any),
            w("pinPreviousBlockCount", K::Any),
            w("pinSpecialCharactersUsage", K::Any),
            w("pinUppercaseCharactersUsage", K::Any),
            w("remotePassportEnabled", K::Any),
            w("securityDeviceRequired", K::Any),
            w("securityKeyForSignIn", K::Any).beta(),
            w("state", K::Any),
            w("unlockWithBiometricsEnabled", K::Any),
        ],
    ),
    t(
        "enrollmentConfigurationAssignment",
        Some("entity"),
        &[SOURCE.beta(), SOURCE_ID.beta(), TARGET],
    ),
    t(
        "deviceConfiguration",
        Some("entity"),
        &[
            TIME_R,
            w("description", K::Str),
            w("deviceManagementApplicabilityRuleDeviceMode", K::Any).beta(),
            w("deviceManagementApplicabilityRuleOsEdition", K::Any).beta(),
            w("deviceManagementApplicabilityRuleOsVersion", K::Any).beta(),
            w("displayName", K::Str),
            MODIFIED_R,
            TAGS.beta(),
            r("supportsScopeTags", K::Bool).d(D::True).beta(),
            r("version", K::Int).d(D::Int(1)),
        ],
    )
    .abstract_(),
    t(
        "windowsDomainJoinConfiguration",
        Some("deviceConfiguration"),
        &[
            w("activeDirectoryDomainName", K::Str),
            w("computerNameStaticPrefix", K::Str),
            w("computerNameSuffixRandomCharCount", K::Int),
            w("organizationalUnit", K::Str),
        ],
    )
    .beta(),
    t(
        "deviceConfigurationAssignment",
        Some("entity"),
        &[
            w("intent", K::Enum(&["apply", "remove"]))
                .d(D::Str("apply"))
                .beta(),
            SOURCE.beta(),
            SOURCE_ID.beta(),
            TARGET,
        ],
    ),
    t(
        "deviceManagementConfigurationPolicy",
        Some("entity"),
        &[
            TIME_R,
            r("creationSource", K::Str),
            w("description", K::Str).d(D::Str("")),
            r("disableEntraGroupPolicyAssignment", K::Bool).d(D::False),
            r("isAssigned", K::Bool).d(D::False),
            MODIFIED_R,
            w("name", K::Str),
            w("platforms", K::Enum(CONFIGURATION_PLATFORMS)).d(D::Str("none")),
            r("priorityMetaData", K::Any),
            TAGS,
            r("settingCount", K::Int).d(D::Zero),
            w("technologies", K::Str).d(D::Str("none")),
            w(
                "templateReference",
                K::Obj("deviceManagementConfigurationPolicyTemplateReference"),
            ),
        ],
    )
    .beta(),
    t(
        "deviceManagementConfigurationPolicyAssignment",
        Some("entity"),
        &[SOURCE, SOURCE_ID, TARGET],
    )
    .beta(),
    t(
        "importedWindowsAutopilotDeviceIdentity",
        Some("entity"),
        &[
            w("assignedUserPrincipalName", K::Str),
            w("groupTag", K::Str),
            w("hardwareIdentifier", K::Bin),
            r("importId", K::Str),
            w("productKey", K::Str),
            w("serialNumber", K::Str),
            w("state", K::Obj("importedWindowsAutopilotDeviceIdentityState")),
        ],
    ),
    t(
        "windowsAutopilotDeviceIdentity",
        Some("entity"),
        &[
            r("addressableUserName", K::Str),
            r("azureActiveDirectoryDeviceId", K::Str),
            r("azureAdDeviceId", K::Str).beta(),
            r("deploymentProfileAssignedDateTime", K::Time).beta(),
            r("deploymentProfileAssignmentDetailedStatus", K::Str).beta(),
            r("deploymentProfileAssignmentStatus", K::Str).beta(),
            r("deviceAccountPassword", K::Str).beta(),
            r("deviceAccountUpn", K::Str).beta(),
            r("deviceFriendlyName", K::Str).beta(),
            r("displayName", K::Str),
            r("enrollmentState", K::Str),
            r("groupTag", K::Str),
            r("lastContactedDateTime", K::Time),
            r("managedDeviceId", K::Str),
            r("manufacturer", K::Str),
            r("model", K::Str),
            r("productKey", K::Str),
            r("purchaseOrderIdentifier", K::Str),
            r("remediationState", K::Str).beta(),
            r("remediationStateLastModifiedDateTime", K::Time).beta(),
            r("resourceName", K::Str),
            r("serialNumber", K::Str),
            r("skuNumber", K::Str),
            r("systemFamily", K::Str),
            r("userlessEnrollmentStatus", K::Str).beta(),
            r("userPrincipalName", K::Str),
        ],
    ),
    t(
        "windowsAutopilotSettings",
        Some("entity"),
        &[
            r("lastManualSyncTriggerDateTime", K::Time),
            r("lastSyncDateTime", K::Time),
            r("syncStatus", K::Str),
        ],
    )
    .beta(),
    // What `hangar doctor` reads. Property names from msgraph-metadata's type mappings
    // (f54f11b, 2026-08-20); `mobilityManagementPolicy` and `deviceRegistrationPolicy`,
    // `subscribedSku` are not in autopilot-surface.json, so tests/it/doctor.rs pins them.
    t(
        "mobilityManagementPolicy",
        Some("entity"),
        &[
            r(
                "appliesTo",
                K::Enum(&["none", "all", "selected", "unknownFutureValue"]),
            ),
            r("complianceUrl", K::Str),
            r("description", K::Str),
            r("discoveryUrl", K::Str),
            r("displayName", K::Str),
            r("isValid", K::Bool).d(D::True),
            r("termsOfUseUrl", K::Str),
        ],
    )
    .beta(),
    t(
        "mobileDeviceManagementPolicy",
        Some("mobilityManagementPolicy"),
        &[r("isMdmEnrollmentDuringRegistrationDisabled", K::Bool).d(D::False)],
    )
    .beta(),
    t(
        "deviceRegistrationPolicy",
        Some("entity"),
        &[
            r("azureADJoin", K::Any),
            r("azureADRegistration", K::Any),
            r("description", K::Str),
            r("displayName", K::Str),
            r("localAdminPassword", K::Any),
            r("multiFactorAuthConfiguration", K::Str),
            r("userDeviceQuota", K::Int),
        ],
    ),
    t(
        "subscribedSku",
        Some("entity"),
        &[
            r("accountId", K::Str),
            r("accountName", K::Str),
            r("appliesTo", K::Str),
            r("capabilityStatus", K::Str),
            r("consumedUnits", K::Int).d(D::Zero),
            r("prepaidUnits", K::Any),
            r("servicePlans", K::Any).d(D::Empty),
            r("skuId", K::Str),
            r("skuPartNumber", K::Str),
            r("subscriptionIds", K::Strs).d(D::Empty),
        ],
    ),
    t(
        "deviceManagementDomainJoinConnector",
        Some("entity"),
        &[
            r("displayName", K::Str),
            r("lastConnectionDateTime", K::Time),
            r("state", K::Enum(&["active", "error", "inactive"])),
            r("version", K::Str),
        ],
    )
    .beta(),
    // Complex types.
    t(
        "outOfBoxExperienceSetting",
        None,
        &[
            w("deviceUsageType", K::Enum(USAGE_TYPES)).d(D::Str("singleUser")),
            w("escapeLinkHidden", K::Bool).d(D::True),
            w("eulaHidden", K::Bool).d(D::False),
            w("keyboardSelectionPageSkipped", K::Bool).d(D::False),
            w("privacySettingsHidden", K::Bool).d(D::False),
            w("userType", K::Enum(USER_TYPES)).d(D::Str("standard")),
        ],
    ),
    t(
        "outOfBoxExperienceSettings",
        None,
        &[
            r("deviceUsageType", K::Enum(USAGE_TYPES)),
            r("hideEscapeLink", K::Bool),
            r("hideEULA", K::Bool),
            r("hidePrivacySettings", K::Bool),
            r("skipKeyboardSelectionPage", K::Bool),
            r("userType", K::Enum(USER_TYPES)),
        ],
    ),
    t(
        "windowsEnrollmentStatusScreenSettings",
        None,
        &[
            w("allowDeviceUseBeforeProfileAndAppInstallComplete", K::Bool).d(D::False),
            w("allowDeviceUseOnInstallFailure", K::Bool).d(D::False),
            w("allowLogCollectionOnInstallFailure", K::Bool).d(D::False),
            w("blockDeviceSetupRetryByUser", K::Bool).d(D::False),
            w("customErrorMessage", K::Str),
            w("hideInstallationProgress", K::Bool).d(D::False),
            w("installProgressTimeoutInMinutes", K::Int).d(D::Int(60)),
        ],
    ),
    t(
        "deviceEnrollmentPlatformRestriction",
        None,
        &[
            w("blockedManufacturers", K::Strs).d(D::Empty).beta(),
            w("blockedSkus", K::Strs).d(D::Empty).beta(),
            w("osMaximumVersion", K::Str),
            w("osMinimumVersion", K::Str),
            w("personalDeviceEnrollmentBlocked", K::Bool).d(D::False),
            w("platformBlocked", K::Bool).d(D::False),
        ],
    ),
    t(
        "importedWindowsAutopilotDeviceIdentityState",
        None,
        &[
            w("deviceErrorCode", K::Int).d(D::Zero),
            w("deviceErrorName", K::Str),
            w("deviceImportStatus", K::Enum(IMPORT_STATUSES)).d(D::Str("unknown")),
            w("deviceRegistrationId", K::Str),
        ],
    ),
    t(
        "deviceManagementConfigurationPolicyTemplateReference",
        None,
        &[
            r("templateDisplayName", K::Str),
            r("templateDisplayVersion", K::Str),
            w("templateFamily", K::Enum(TEMPLATE_FAMILIES)).d(D::Str("none")),
            w("templateId", K::Str).d(D::Str("")),
        ],
    ),
    t(
        "deviceAndAppManagementAssignmentTarget",
        None,
        &[
            w("deviceAndAppManagementAssignmentFilterId", K::Str).beta(),
            w(
                "deviceAndAppManagementAssignmentFilterType",
                K::Enum(&["none", "include", "exclude"]),
            )
            .d(D::Str("none"))
            .beta(),
        ],
    )
    .abstract_(),
    t(
        "groupAssignmentTarget",
        Some("deviceAndAppManagementAssignmentTarget"),
        &[w("groupId", K::Str)],
    ),
    t(
        "exclusionGroupAssignmentTarget",
        Some("groupAssignmentTarget"),
        &[],
    ),
    t(
        "allDevicesAssignmentTarget",
        Some("deviceAndAppManagementAssignmentTarget"),
        &[],
    ),
    t(
        "allLicensedUsersAssignmentTarget",
        Some("deviceAndAppManagementAssignmentTarget"),
        &[],
    ),
];

/// Looks a type up by name (without namespace).
pub(crate) fn type_def(name: &str) -> Option<&'static TypeDef> {
    TYPES.iter().find(|def| def.name == name)
}

/// A type and its bases, base first.
pub(crate) fn chain(name: &str) -> Vec<&'static TypeDef> {
    let mut out = Vec::new();
    let mut next = type_def(name);
    while let Some(def) = next {
        out.push(def);
        next = def.base.and_then(type_def);
    }
    out.reverse();
    out
}

/// Whether `name` is `base` or derives from it.
pub(crate) fn derives_from(name: &str, base: &str) -> bool {
    chain(name).iter().any(|def| def.name == base)
}

/// Whether `name` exists in `version`.
pub(crate) fn type_exists(name: &str, version: ApiVersion) -> bool {
    type_def(name).is_some_and(|def| version == ApiVersion::Beta || !def.beta_only)
}

/// The property `name` of `type_name` (with inheritance) as seen from `version`.
pub(crate) fn find_prop(type_name: &str, name: &str, version: ApiVersion) -> Option<&'static Prop> {
    chain(type_name)
        .into_iter()
        .flat_map(|def| def.props.iter())
        .find(|prop| prop.name == name && (version == ApiVersion::Beta || !prop.beta_only))
}

/// Strips `#microsoft.graph.` from an `@odata.type` value.
pub(crate) fn short_type(odata_type: &str) -> &str {
    odata_type
        .trim_start_matches('#')
        .trim_start_matches("microsoft.graph.")
}

/// Renders a stored object: every property of the type visible in `version`, stored value or
/// Graph's default. `id` and `@odata.type` are the caller's.
pub(crate) fn render(
    type_name: &str,
    stored: &Map<String, Value>,
    version: ApiVersion,
    out: &mut Map<String, Value>,
) {
    for def in chain(type_name) {
        for prop in def.props {
            if prop.name == "id" || (version == ApiVersion::V1 && prop.beta_only) {
                continue;
            }
            let value = match stored.get(prop.name) {
                Some(value) => project(prop.kind, value, version),
                None => prop.default.value(),
            };
            out.insert(prop.name.to_owned(), value);
        }
    }
}

/// Drops beta-only properties of complex values when rendering for v1.0.
fn project(kind: K, value: &Value, version: ApiVersion) -> Value {
    match (kind, value, version) {
        (K::Obj(complex), Value::Object(map), ApiVersion::V1) => {
            let name = map
                .get("@odata.type")
                .and_then(Value::as_str)
                .map(short_type)
                .unwrap_or(complex);
            let mut out = Map::new();
            for (key, value) in map {
                if key == "@odata.type" || find_prop(name, key, ApiVersion::V1).is_some() {
                    out.insert(key.clone(), value.clone());
                }
            }
            Value::Object(out)
        }
        _ => value.clone(),
    }
}

/// How validation errors are worded: the directory's codes or Intune's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Directory,
    Intune,
}

impl Style {
    fn error(self, message: String) -> GraphError {
        match self {
            Style::Directory => GraphError::new(400, "Request_BadRequest", message),
            Style::Intune => GraphError::model_validation(message),
        }
    }
}

/// Whether a write creates the object or updates it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Write<'a> {
    Create,
    Update(&'a Map<String, Value>),
}

/// Validates a write body against `type_name` and returns the properties to store, complex
/// values normalised (every property present). Annotations (`@odata.type`, `x@odata.bind`, …)
/// are skipped; the caller handles the ones it understands.
pub(crate) fn validate_write(
    type_name: &str,
    body: &Map<String, Value>,
    write: Write<'_>,
    version: ApiVersion,
    style: Style,
) -> Result<Map<String, Value>, GraphError> {
    let mut out = Map::new();
    for (key, value) in body {
        if key.contains('@') {
            continue;
        }
        let Some(prop) = find_prop(type_name, key, version) else {
            return Err(style.error(format!(
                "The property '{key}' does not exist on type 'microsoft.graph.{type_name}'. Make sure to only use property names that are defined by the type."
            )));
        };
        match (prop.access, write) {
            (A::Read, _) => {
                return Err(style.error(format!(
                    "The property '{key}' of type 'microsoft.graph.{type_name}' is read-only and cannot be set."
                )));
            }
            (A::CreateOnly, Write::Update(existing)) => {
                let current = existing.get(key).cloned().unwrap_or_else(|| prop.default.value());
                if &current != value {
                    return Err(style.error(format!(
                        "The property '{key}' of type 'microsoft.graph.{type_name}' can only be set when the object is created."
                    )));
                }
                continue;
            }
            _ => {}
        }
        let normalised = check_value(type_name, prop, value, version, style)?;
        out.insert(key.clone(), normalised);
    }
    Ok(out)
}

fn type_error(style: Style, type_name: &str, key: &str, expected: &str, value: &Value) -> GraphError {
    style.error(format!(
        "Cannot convert the value {value} of property '{key}' of type 'microsoft.graph.{type_name}' to the expected type '{expected}'."
    ))
}

fn check_value(
    type_name: &str,
    prop: &Prop,
    value: &Value,
    version: ApiVersion,
    style: Style,
) -> Result<Value, GraphError> {
    let key = prop.name;
    if value.is_null() {
        return Ok(Value::Null);
    }
    let ok = match prop.kind {
        K::Str | K::Time => value.is_string(),
        K::Bool => value.is_boolean(),
        K::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        K::Strs => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        K::Bin => value.as_str().is_some_and(is_base64),
        K::Any => true,
        K::Enum(members) => match value.as_str() {
            Some(text) if members.contains(&text) => true,
            Some(text) => {
                return Err(style.error(format!(
                    "Requested value '{text}' was not found. Property '{key}' takes one of: {}.",
                    members.join(", ")
                )));
            }
            None => false,
        },
        K::Obj(complex) => {
            let Some(map) = value.as_object() else {
                return Err(type_error(
                    style,
                    type_name,
                    key,
                    &format!("microsoft.graph.{complex}"),
                    value,
                ));
            };
            return normalise_complex(complex, map, version, style).map(Value::Object);
        }
    };
    if ok {
        Ok(value.clone())
    } else {
        let expected = match prop.kind {
            K::Str => "Edm.String",
            K::Time => "Edm.DateTimeOffset",
            K::Bool => "Edm.Boolean",
            K::Int => "Edm.Int32",
            K::Strs => "Collection(Edm.String)",
            K::Bin => "Edm.Binary",
            _ => "Edm.String",
        };
        Err(type_error(style, type_name, key, expected, value))
    }
}

/// Validates a complex value and fills in every property Graph would return.
pub(crate) fn normalise_complex(
    declared: &str,
    map: &Map<String, Value>,
    version: ApiVersion,
    style: Style,
) -> Result<Map<String, Value>, GraphError> {
    let odata_type = map.get("@odata.type").and_then(Value::as_str);
    let actual = match odata_type {
        Some(t) => {
            let name = short_type(t);
            if !type_exists(name, version) || !derives_from(name, declared) {
                return Err(style.error(format!(
                    "A type named '{t}' could not be resolved by the model, or it does not derive from 'microsoft.graph.{declared}'."
                )));
            }
            name
        }
        None => declared,
    };
    if type_def(actual).is_some_and(|def| def.is_abstract) {
        return Err(style.error(format!(
            "Cannot create an abstract class: '@odata.type' is required for values of type 'microsoft.graph.{declared}'."
        )));
    }
    let mut out = Map::new();
    if let Some(t) = odata_type {
        out.insert(
            "@odata.type".to_owned(),
            json!(format!("#microsoft.graph.{}", short_type(t))),
        );
    }
    let given = validate_write(actual, map, Write::Create, version, style)?;
    for def in chain(actual) {
        for prop in def.props {
            if version == ApiVersion::V1 && prop.beta_only {
                continue;
            }
            let value = given
                .get(prop.name)
                .cloned()
                .unwrap_or_else(|| prop.default.value());
            out.insert(prop.name.to_owned(), value);
        }
    }
    Ok(out)
}

/// Whether `$select` names only properties of the type.
pub(crate) fn check_select(
    type_name: &str,
    select: &[String],
    version: ApiVersion,
) -> Result<(), GraphError> {
    for name in select {
        if name == "id" || name == "*" {
            continue;
        }
        if find_prop(type_name, name, version).is_none()
            && !matches!(name.as_str(), "assignments" | "settings" | "owners")
        {
            return Err(GraphError::bad_request(format!(
                "Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
            )));
        }
    }
    Ok(())
}

fn is_base64(text: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base_and_complex_reference_resolves() {
        for def in TYPES {
            if let Some(base) = def.base {
                assert!(type_def(base).is_some(), "{} has unknown base {base}", def.name);
            }
            for prop in def.props {
                if let K::Obj(complex) = prop.kind {
                    assert!(
                        type_def(complex).is_some(),
                        "{}.{} names unknown {complex}",
                        def.name,
                        prop.name
                    );
                }
            }
        }
    }

    #[test]
    fn validation_rejects_unknown_read_only_and_wrong_types() {
        let body = |v: Value| v.as_object().unwrap().clone();
        let profile = "azureADWindowsAutopilotDeploymentProfile";
        let ok = validate_write(
            profile,
            &body(json!({"displayName": "x", "@odata.type": "y"})),
            Write::Create,
            ApiVersion::Beta,
            Style::Intune,
        );
        assert!(ok.is_ok());
        let unknown = validate_write(
            profile,
            &body(json!({"displayNam": "x"})),
            Write::Create,
            ApiVersion::Beta,
            Style::Intune,
        );
        assert!(
            unknown
                .unwrap_err()
                .message
                .contains("'displayNam' does not exist")
        );
        let read_only = validate_write(
            profile,
            &body(json!({"language": "en-US"})),
            Write::Create,
            ApiVersion::Beta,
            Style::Intune,
        );
        assert!(read_only.unwrap_err().message.contains("read-only"));
        let wrong = validate_write(
            profile,
            &body(json!({"preprovisioningAllowed": "yes"})),
            Write::Create,
            ApiVersion::Beta,
            Style::Intune,
        );
        assert!(wrong.unwrap_err().message.contains("Edm.Boolean"));
        let bad_enum = validate_write(
            profile,
            &body(json!({"deviceType": "toaster"})),
            Write::Create,
            ApiVersion::Beta,
            Style::Intune,
        );
        assert!(bad_enum.unwrap_err().message.contains("'toaster' was not found"));
        let esp = "windows10EnrollmentCompletionPageConfiguration";
        let v1 = validate_write(
            esp,
            &body(json!({"showInstallationProgress": true})),
            Write::Create,
            ApiVersion::V1,
            Style::Intune,
        );
        assert!(v1.is_err(), "beta-only property accepted under v1.0");
    }

    #[test]
    fn complex_values_are_normalised_and_targets_are_polymorphic() {
        let oobe = normalise_complex(
            "outOfBoxExperienceSetting",
            json!({"deviceUsageType": "shared"}).as_object().unwrap(),
            ApiVersion::Beta,
            Style::Intune,
        )
        .unwrap();
        assert_eq!(oobe["escapeLinkHidden"], true);
        assert_eq!(oobe.len(), 6);
        let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g"});
        let target = normalise_complex(
            "deviceAndAppManagementAssignmentTarget",
            target.as_object().unwrap(),
            ApiVersion::Beta,
            Style::Intune,
        )
        .unwrap();
        assert_eq!(target["groupId"], "g");
        assert_eq!(target["deviceAndAppManagementAssignmentFilterType"], "none");
        let abstract_target = normalise_complex(
            "deviceAndAppManagementAssignmentTarget",
            &Map::new(),
            ApiVersion::Beta,
            Style::Intune,
        );
        assert!(abstract_target.is_err());
    }
}
