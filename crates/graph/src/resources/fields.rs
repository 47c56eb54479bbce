//! Which fields each resource accepts on create and on update: data, not scattered `if`s.
//!
//! Sources: graph-api-notes §1 (profiles), §2 (ESP, `priority` only via `setPriority`), §3
//! (groups), §5 (Device Preparation), §6 (domain join), §7 (restrictions), §11 (PATCH hygiene).
//! Every `*@odata.*` annotation except `@odata.type` is dropped from every write.

use serde_json::{Map, Value};

use crate::Error;

/// How a resource treats `@odata.type` on writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ODataType {
    /// Not sent (directory objects).
    None,
    /// Always this type; added when the body lacks it.
    Fixed(&'static str),
    /// One of several types; added on create when absent (`default`), required to be one of
    /// `allowed` when present.
    OneOf {
        /// Used when the body has none (`None`: the body must say).
        default: Option<&'static str>,
        /// Accepted values.
        allowed: &'static [&'static str],
    },
}

/// The write rules of one resource.
#[derive(Debug, Clone, Copy)]
pub struct FieldRules {
    /// Name for messages (the collection).
    pub resource: &'static str,
    /// Never written: server-set, deprecated, navigation properties. Dotted names reach into
    /// nested objects (`templateReference.templateDisplayName`).
    pub read_only: &'static [&'static str],
    /// Written on create only (stripped from PATCH/PUT).
    pub create_only: &'static [&'static str],
    /// Set only through an action (`priority` → `setPriority`): stripped from every write.
    pub action_only: &'static [&'static str],
    /// `@odata.type` handling.
    pub odata_type: ODataType,
}

const COMMON_READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
    "supportsScopeTags",
    "isAssigned",
];

/// Entra groups.
pub const GROUP: FieldRules = FieldRules {
    resource: "groups",
    read_only: &[
        "createdByAppId",
        "deletedDateTime",
        "renewedDateTime",
        "expirationDateTime",
        "mail",
        "proxyAddresses",
        "securityIdentifier",
        "membershipRuleProcessingStatus",
        "onPremisesSyncEnabled",
        "onPremisesLastSyncDateTime",
        "onPremisesSecurityIdentifier",
        "onPremisesDomainName",
        "onPremisesNetBiosName",
        "onPremisesSamAccountName",
        "onPremisesProvisioningErrors",
        "serviceProvisioningErrors",
        "organizationId",
        "owners",
        "members",
    ],
    create_only: &[
        "isAssignableToRole",
        "mailEnabled",
        "mailNickname",
        "owners@odata.bind",
        "members@odata.bind",
        // The alternate key: immutable once set.
        "uniqueName",
    ],
    action_only: &[],
    odata_type: ODataType::None,
};

/// Windows Autopilot deployment profiles (beta).
pub const DEPLOYMENT_PROFILE: FieldRules = FieldRules {
    resource: "windowsAutopilotDeploymentProfiles",
    read_only: &[
        "language",
        "outOfBoxExperienceSettings",
        "extractHardwareHash",
        "enableWhiteGlove",
        "assignments",
        "assignedDevices",
        "intendedDeploymentProfile",
    ],
    create_only: &[
        "deviceType",
        "hybridAzureADJoinSkipConnectivityCheck",
        "managementServiceAppId",
    ],
    action_only: &[],
    odata_type: ODataType::OneOf {
        default: None,
        allowed: &[
            hangar_model::well_known::odata::ENTRA_PROFILE,
            hangar_model::well_known::odata::HYBRID_PROFILE,
        ],
    },
};

/// Enrollment Status Pages (beta `deviceEnrollmentConfigurations`).
pub const ENROLLMENT_STATUS_PAGE: FieldRules = FieldRules {
    resource: "deviceEnrollmentConfigurations",
    read_only: &["deviceEnrollmentConfigurationType", "assignments"],
    create_only: &[],
    action_only: &["priority"],
    odata_type: ODataType::Fixed(hangar_model::well_known::odata::ESP),
};

/// Platform restrictions: the default (plural type, update only) and custom single-platform
/// ones (singular type). `windowsMobileRestriction` is deprecated and cannot be written.
pub const PLATFORM_RESTRICTION: FieldRules = FieldRules {
    resource: "deviceEnrollmentConfigurations",
    read_only: &[
        "deviceEnrollmentConfigurationType",
        "assignments",
        "windowsMobileRestriction",
    ],
    create_only: &["platformType"],
    action_only: &["priority"],
    odata_type: ODataType::OneOf {
        default: Some(hangar_model::well_known::odata::PLATFORM_RESTRICTION),
        allowed: &[
            hangar_model::well_known::odata::PLATFORM_RESTRICTION,
            hangar_model::well_known::odata::DEFAULT_PLATFORM_RESTRICTIONS,
        ],
    },
};

/// Hybrid-join domain join configurations (beta `deviceConfigurations`).
pub const DOMAIN_JOIN: FieldRules = FieldRules {
    resource: "deviceConfigurations",
    read_only: &[
        "assignments",
        "groupAssignments",
        "deviceStatuses",
        "userStatuses",
        "deviceStatusOverview",
        "userStatusOverview",
        "deviceSettingStateSummaries",
        "networkAccessConfigurations",
    ],
    create_only: &[],
    action_only: &[],
    odata_type: ODataType::Fixed(hangar_model::well_known::odata::DOMAIN_JOIN),
};

/// Device Preparation policies (beta `configurationPolicies`; updated with PUT).
pub const DEVICE_PREPARATION: FieldRules = FieldRules {
    resource: "configurationPolicies",
    read_only: &[
        "settingCount",
        "creationSource",
        "assignments",
        "templateReference.templateDisplayName",
        "templateReference.templateDisplayVersion",
        "isAssigned",
        "disableEntraGroupPolicyAssignment",
    ],
    create_only: &[],
    action_only: &["priorityMetaData"],
    odata_type: ODataType::None,
};

/// Imported (staging) Autopilot device identities.
pub const IMPORTED_DEVICE: FieldRules = FieldRules {
    resource: "importedWindowsAutopilotDeviceIdentities",
    read_only: &[],
    create_only: &[],
    action_only: &[],
    odata_type: ODataType::Fixed(hangar_model::well_known::odata::IMPORTED_DEVICE),
};

impl FieldRules {
    /// The body to POST: read-only and action-only fields and annotations removed,
    /// `@odata.type` checked or added.
    pub fn for_create(&self, body: &Map<String, Value>) -> Result<Map<String, Value>, Error> {
        let mut out = body.clone();
        self.strip(&mut out, &[self.read_only, self.action_only]);
        self.apply_odata_type(&mut out, true)?;
        Ok(out)
    }

    /// The body to PATCH (or PUT): create-only fields removed as well.
    pub fn for_update(&self, body: &Map<String, Value>) -> Result<Map<String, Value>, Error> {
        let mut out = body.clone();
        self.strip(&mut out, &[self.read_only, self.action_only, self.create_only]);
        self.apply_odata_type(&mut out, false)?;
        Ok(out)
    }

    fn strip(&self, body: &mut Map<String, Value>, lists: &[&[&str]]) {
        for name in COMMON_READ_ONLY.iter().chain(lists.iter().flat_map(|l| l.iter())) {
            match name.split_once('.').filter(|_| !name.contains('@')) {
                Some((outer, inner)) => {
                    if let Some(Value::Object(nested)) = body.get_mut(outer) {
                        nested.remove(inner);
                    }
                }
                None => {
                    body.remove(*name);
                }
            }
        }
        body.retain(|key, _| {
            key == "@odata.type" || !key.contains("@odata.") || key.ends_with("@odata.bind")
        });
    }

    fn apply_odata_type(&self, body: &mut Map<String, Value>, create: bool) -> Result<(), Error> {
        let present = body.get("@odata.type").and_then(Value::as_str).map(str::to_owned);
        let invalid = |reason: String| Error::InvalidBody {
            resource: self.resource,
            reason,
        };
        match self.odata_type {
            ODataType::None => {
                body.remove("@odata.type");
            }
            ODataType::Fixed(required) => match present {
                Some(found) if !found.eq_ignore_ascii_case(required) => {
                    return Err(invalid(format!(
                        "`@odata.type` is `{found}`, expected `{required}`"
                    )));
                }
                _ => {
                    body.insert("@odata.type".into(), Value::String(required.into()));
                }
            },
            ODataType::OneOf { default, allowed } => match present {
                Some(found) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&found)) => {
                    return Err(invalid(format!(
                        "`@odata.type` is `{found}`, expected one of {}",
                        allowed.join(", ")
                    )));
                }
                Some(_) => {}
                None => match default.filter(|_| create) {
                    Some(default) => {
                        body.insert("@odata.type".into(), Value::String(default.into()));
                    }
                    None => {
                        return Err(invalid(format!(
                            "`@odata.type` is required, one of {}",
                            allowed.join(", ")
                        )));
                    }
                },
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn profile_patch_drops_read_only_create_only_and_annotations() {
        let read = map(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#x",
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "id": "p1", "displayName": "Engineering", "createdDateTime": "x", "lastModifiedDateTime": "y",
            "language": "en-US", "locale": "en-US", "deviceType": "windowsPc", "extractHardwareHash": false,
            "hardwareHashExtractionEnabled": true, "managementServiceAppId": "m", "enableWhiteGlove": true,
            "outOfBoxExperienceSettings": {}, "outOfBoxExperienceSetting": {"userType": "standard"},
            "assignments@odata.context": "z", "futureField": 7,
        }));
        let patch = DEPLOYMENT_PROFILE.for_update(&read).unwrap();
        let keys: Vec<&str> = patch.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        for kept in [
            "@odata.type",
            "displayName",
            "locale",
            "hardwareHashExtractionEnabled",
            "outOfBoxExperienceSetting",
            "futureField",
        ] {
            assert!(patch.contains_key(kept), "{kept} missing");
        }
        let create = DEPLOYMENT_PROFILE.for_create(&read).unwrap();
        assert!(create.contains_key("deviceType") && create.contains_key("managementServiceAppId"));
        assert!(!create.contains_key("language"));
    }

    #[test]
    fn profile_without_odata_type_is_refused() {
        let err = DEPLOYMENT_PROFILE
            .for_create(&map(json!({"displayName": "x"})))
            .unwrap_err();
        assert!(err.to_string().contains("@odata.type"));
    }

    #[test]
    fn priority_never_goes_in_a_write() {
        let body = map(json!({"displayName": "ESP", "priority": 3, "showInstallationProgress": true}));
        for out in [
            ENROLLMENT_STATUS_PAGE.for_create(&body).unwrap(),
            ENROLLMENT_STATUS_PAGE.for_update(&body).unwrap(),
        ] {
            assert!(!out.contains_key("priority"));
            assert_eq!(out["@odata.type"], hangar_model::well_known::odata::ESP);
        }
        let wrong = map(json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration"}));
        assert!(ENROLLMENT_STATUS_PAGE.for_update(&wrong).is_err());
    }

    #[test]
    fn device_preparation_strips_nested_read_only() {
        let body = map(json!({
            "id": "x", "name": "DPP", "settingCount": 3, "priorityMetaData": {"priority": 1},
            "templateReference": {"templateId": "t", "templateFamily": "enrollmentConfiguration", "templateDisplayName": "Device Preparation", "templateDisplayVersion": "1"},
            "settings": [],
        }));
        let put = DEVICE_PREPARATION.for_update(&body).unwrap();
        assert_eq!(
            put["templateReference"],
            json!({"templateId": "t", "templateFamily": "enrollmentConfiguration"})
        );
        assert!(
            !put.contains_key("settingCount")
                && !put.contains_key("priorityMetaData")
                && !put.contains_key("id")
        );
        assert!(put.contains_key("settings"));
    }

    #[test]
    fn group_binds_survive_create_only() {
        let body = map(
            json!({"displayName": "g", "owners@odata.bind": ["x"], "mailEnabled": false, "securityEnabled": true}),
        );
        assert!(GROUP.for_create(&body).unwrap().contains_key("owners@odata.bind"));
        let patch = GROUP.for_update(&body).unwrap();
        assert!(!patch.contains_key("owners@odata.bind") && !patch.contains_key("mailEnabled"));
    }
}
