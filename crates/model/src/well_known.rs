//! Identifiers that Microsoft fixes: application ids, built-in object ids, `@odata.type` names,
//! Device Preparation template and setting ids. Sources are in
//! `shared/domain/graph-api-notes.md` (section numbers in each comment).

/// App id of the Intune Provisioning Client service principal (§3). It must own the static
/// device group of every Device Preparation policy. In some tenants its display name is
/// "Intune Autopilot ConfidentialClient"; the app id is what counts.
pub const INTUNE_PROVISIONING_CLIENT_APP_ID: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";

/// App id of Microsoft Graph itself.
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The message an Enrollment Status Page shows when no custom message is set: the admin
/// center's "Show custom message when time limit or error occurs: No" (Intune docs, *Set up the
/// Enrollment Status Page*), and what the built-in ESP holds.
pub const DEFAULT_ESP_ERROR_MESSAGE: &str =
    "Setup could not be completed. Please try again or contact your support person for help.";

/// Id suffix of the built-in (default) Enrollment Status Page (§2).
pub const DEFAULT_ESP_ID_SUFFIX: &str = "_DefaultWindows10EnrollmentCompletionPageConfiguration";

/// Id suffix of the built-in (default, "All users") platform restriction (§7).
pub const DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX: &str = "_DefaultPlatformRestrictions";

/// `uniqueName` (the client-provided alternate key Entra keeps unique per tenant) of the group
/// that is `hangar apply`'s lock (`docs/adr/0004-apply-lock.md`). Reads leave it out of the
/// live state: it is no device group, and no plan may match, change or prune it.
pub const APPLY_LOCK_UNIQUE_NAME: &str = "hangar-apply-lock";

/// `@odata.type` values of the objects hangar writes.
pub mod odata {
    /// Entra-joined Autopilot deployment profile (user-driven, self-deploying, pre-provisioned).
    pub const ENTRA_PROFILE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
    /// Hybrid-joined Autopilot deployment profile.
    pub const HYBRID_PROFILE: &str = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
    /// Autopilot profile assignment.
    pub const PROFILE_ASSIGNMENT: &str = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";
    /// Enrollment Status Page.
    pub const ESP: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
    /// The default "All users" platform restrictions object (plural).
    pub const DEFAULT_PLATFORM_RESTRICTIONS: &str =
        "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration";
    /// A custom single-platform restriction (singular).
    pub const PLATFORM_RESTRICTION: &str =
        "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";
    /// Hybrid join domain join profile.
    pub const DOMAIN_JOIN: &str = "#microsoft.graph.windowsDomainJoinConfiguration";
    /// Imported (staging) Autopilot device identity.
    pub const IMPORTED_DEVICE: &str = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";
    /// Registered Autopilot device identity.
    pub const AUTOPILOT_DEVICE: &str = "#microsoft.graph.windowsAutopilotDeviceIdentity";
    /// Assignment target: a group.
    pub const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";
    /// Assignment target: a group to exclude.
    pub const EXCLUSION_GROUP_TARGET: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
    /// Assignment target: all devices.
    pub const ALL_DEVICES_TARGET: &str = "#microsoft.graph.allDevicesAssignmentTarget";
    /// Assignment target: all licensed users.
    pub const ALL_USERS_TARGET: &str = "#microsoft.graph.allLicensedUsersAssignmentTarget";
    /// Settings Catalog setting.
    pub const CONFIGURATION_SETTING: &str = "#microsoft.graph.deviceManagementConfigurationSetting";
    /// Settings Catalog choice setting instance.
    pub const CHOICE_SETTING_INSTANCE: &str =
        "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance";
    /// Settings Catalog choice setting value.
    pub const CHOICE_SETTING_VALUE: &str = "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue";
    /// Settings Catalog simple setting instance.
    pub const SIMPLE_SETTING_INSTANCE: &str =
        "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance";
    /// Settings Catalog simple setting collection instance.
    pub const SIMPLE_SETTING_COLLECTION_INSTANCE: &str =
        "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance";
    /// Settings Catalog string value.
    pub const STRING_SETTING_VALUE: &str = "#microsoft.graph.deviceManagementConfigurationStringSettingValue";
    /// Settings Catalog integer value.
    pub const INTEGER_SETTING_VALUE: &str =
        "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue";
}

/// Autopilot Device Preparation (v2) identifiers (§5).
///
/// The template ids and the instance and value template ids below are the published ones
/// (Terraform provider, Microsoft365DSC, CIPP). hangar does not write them from here: the
/// template, the settings' template ids and every choice value come from the tenant's own
/// definitions ([`crate::device_preparation`]). The template ids only help recognise existing
/// Device Preparation policies, whatever their template version.
pub mod device_preparation {
    /// Template of user-driven Device Preparation policies (version 1), as published.
    pub const USER_DRIVEN_TEMPLATE_ID: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
    /// Template of automatic (Windows 365) Device Preparation policies (version 1), as
    /// published.
    pub const AUTOMATIC_TEMPLATE_ID: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";
    /// Base ids (the template id without its `_<version>`) of the published Device Preparation
    /// templates.
    pub const TEMPLATE_BASE_IDS: [&str; 2] = [
        "80d33118-b7b4-40d8-b15f-81be745e053f",
        "a6157a7f-aa00-42d9-ac82-7d2479f545db",
    ];

    /// Whether `template_id` is a published Device Preparation template, of any version.
    pub fn is_published_template(template_id: &str) -> bool {
        let base = template_id.rsplit_once('_').map_or(template_id, |(base, _)| base);
        TEMPLATE_BASE_IDS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(base))
    }
    /// `templateReference.templateFamily` of Device Preparation policies.
    pub const TEMPLATE_FAMILY: &str = "enrollmentConfiguration";
    /// `platforms` of Device Preparation policies.
    pub const PLATFORMS: &str = "windows10";
    /// `technologies` of Device Preparation policies.
    pub const TECHNOLOGIES: &str = "enrollment";

    /// How a Device Preparation setting is encoded in a Settings Catalog policy.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SettingShape {
        /// A choice setting; values are `<definitionId>_<n>`.
        Choice,
        /// A simple integer setting.
        Integer,
        /// A simple string setting.
        String,
        /// A collection of string values.
        StringCollection,
    }

    /// One Device Preparation setting: a row of the table in §5.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Setting {
        /// `settingDefinitionId`.
        pub definition_id: &'static str,
        /// How the value is encoded.
        pub shape: SettingShape,
        /// `settingInstanceTemplateId` in user-driven policies.
        pub instance_template_id: &'static str,
        /// `settingInstanceTemplateId` in automatic policies, where it differs.
        pub automatic_instance_template_id: Option<&'static str>,
        /// `settingValueTemplateId`, for single-valued settings.
        pub value_template_id: Option<&'static str>,
    }

    macro_rules! setting {
        ($name:ident, $doc:literal, $def:literal, $shape:ident, $inst:literal, $auto:expr, $val:expr) => {
            #[doc = $doc]
            pub const $name: Setting = Setting {
                definition_id: $def,
                shape: SettingShape::$shape,
                instance_template_id: $inst,
                automatic_instance_template_id: $auto,
                value_template_id: $val,
            };
        };
    }

    setting!(
        DEPLOYMENT_MODE,
        "Deployment mode.",
        "enrollment_autopilot_dpp_deploymentmode",
        Choice,
        "5180aeab-886e-4589-97d4-40855c646315",
        None,
        Some("5874c2f6-bcf1-463b-a9eb-bee64e2f2d82")
    );
    setting!(
        DEPLOYMENT_TYPE,
        "Deployment type.",
        "enrollment_autopilot_dpp_deploymenttype",
        Choice,
        "f4184296-fa9f-4b67-8b12-1723b3f8456b",
        None,
        Some("e0af022f-37f3-4a40-916d-1ab7281c88d9")
    );
    setting!(
        JOIN_TYPE,
        "Join type (`_0` = Microsoft Entra joined; hybrid is not supported).",
        "enrollment_autopilot_dpp_jointype",
        Choice,
        "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
        None,
        Some("1fa84eb3-fcfa-4ed6-9687-0f3d486402c4")
    );
    setting!(
        ACCOUNT_TYPE,
        "User account type (definition id spelled `accountype` by Microsoft).",
        "enrollment_autopilot_dpp_accountype",
        Choice,
        "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
        None,
        Some("bf13bb47-69ef-4e06-97c1-50c2859a49c2")
    );
    setting!(
        TIMEOUT,
        "Minutes before an installation error is shown (15–720).",
        "enrollment_autopilot_dpp_timeout",
        Integer,
        "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
        None,
        Some("0bbcce5b-a55a-4e05-821a-94bf576d6cc8")
    );
    setting!(
        CUSTOM_ERROR_MESSAGE,
        "Custom error message.",
        "enrollment_autopilot_dpp_customerrormessage",
        String,
        "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
        None,
        Some("fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97")
    );
    setting!(
        ALLOW_SKIP,
        "Allow users to skip setup after multiple attempts.",
        "enrollment_autopilot_dpp_allowskip",
        Choice,
        "2a71dc89-0f17-4ba9-bb27-af2521d34710",
        None,
        Some("a2323e5e-ac56-4517-8847-b0a6fdb467e7")
    );
    setting!(
        ALLOW_DIAGNOSTICS,
        "Show a link to diagnostics.",
        "enrollment_autopilot_dpp_allowdiagnostics",
        Choice,
        "e2b7a81b-f243-4abd-bce3-c1856345f405",
        None,
        Some("c59d26fd-3460-4b26-b47a-f7e202e7d5a3")
    );
    setting!(
        DEVICE_SECURITY_GROUP,
        "Device group as displayed by the portal (the binding itself is \
        `setEnrollmentTimeDeviceMembershipTarget`).",
        "enrollment_autopilot_dpp_devicesecuritygroupids",
        String,
        "a46a50ab-3076-4968-9366-75a40dde950e",
        None,
        Some("5f7d09e1-1a90-44ad-9c9f-ad90ba509e60")
    );
    setting!(
        ALLOWED_APPS,
        "Apps installed during setup (at most 10).",
        "enrollment_autopilot_dpp_allowedappids",
        StringCollection,
        "70d22a8a-a03c-4f62-b8df-dded3e327639",
        Some("a9dedfd6-c3b2-46d9-ae39-91fd0dcb7a20"),
        None
    );
    setting!(
        ALLOWED_SCRIPTS,
        "Scripts run during setup (at most 10).",
        "enrollment_autopilot_dpp_allowedscriptids",
        StringCollection,
        "1bc67702-800c-4271-8fd9-609351cc19cf",
        Some("ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31"),
        None
    );

    /// Every Device Preparation setting hangar manages.
    pub const SETTINGS: [Setting; 11] = [
        DEPLOYMENT_MODE,
        DEPLOYMENT_TYPE,
        JOIN_TYPE,
        ACCOUNT_TYPE,
        TIMEOUT,
        CUSTOM_ERROR_MESSAGE,
        ALLOW_SKIP,
        ALLOW_DIAGNOSTICS,
        DEVICE_SECURITY_GROUP,
        ALLOWED_APPS,
        ALLOWED_SCRIPTS,
    ];

    /// Looks a setting up by its definition id.
    pub fn setting(definition_id: &str) -> Option<&'static Setting> {
        SETTINGS
            .iter()
            .find(|setting| setting.definition_id == definition_id)
    }
}

#[cfg(test)]
mod tests {
    use super::device_preparation::*;

    #[test]
    fn device_preparation_settings_are_unique() {
        for (i, a) in SETTINGS.iter().enumerate() {
            for b in &SETTINGS[i + 1..] {
                assert_ne!(a.definition_id, b.definition_id);
                assert_ne!(a.instance_template_id, b.instance_template_id);
            }
            assert_eq!(setting(a.definition_id), Some(a));
        }
        assert!(is_published_template(USER_DRIVEN_TEMPLATE_ID));
        assert!(is_published_template("A6157A7F-AA00-42D9-AC82-7D2479F545DB_2"));
        assert!(!is_published_template("80d33118-b7b4-40d8-b15f-81be745e053e_1"));
    }
}
