//! `DeploymentProfile` → `windowsAutopilotDeploymentProfile` (graph-api-notes §1).

use hangar_config::{DeploymentMode, DeploymentProfile, JoinType, UserType};
use hangar_model::well_known::odata;
use serde_json::{Map, json};

use crate::plan::Body;

/// The create body. Hybrid profiles get the hybrid type, no name template and the
/// connectivity-check flag; shared (self-deploying) profiles get no `userType`.
pub(super) fn body(profile: &DeploymentProfile) -> Body {
    let hybrid = profile.join.value == JoinType::Hybrid;
    let mut body = Map::new();
    body.insert(
        "@odata.type".into(),
        json!(if hybrid {
            odata::HYBRID_PROFILE
        } else {
            odata::ENTRA_PROFILE
        }),
    );
    super::intune_common(&mut body, &profile.meta, false);
    body.insert(
        "deviceType".into(),
        json!(profile.device_type.value.graph_value()),
    );
    let template = match (&profile.device_name, hybrid) {
        (Some(template), false) => template.value.clone(),
        _ => String::new(),
    };
    body.insert("deviceNameTemplate".into(), json!(template));
    // `os-default` is refused as a BCP 47 tag; "" means the same (graph-api-notes §1).
    let locale = if profile.locale.value.eq_ignore_ascii_case("os-default") {
        ""
    } else {
        &profile.locale.value
    };
    body.insert("locale".into(), json!(locale));
    body.insert(
        "preprovisioningAllowed".into(),
        json!(profile.pre_provisioning.value),
    );
    body.insert(
        "hardwareHashExtractionEnabled".into(),
        json!(profile.convert_targeted_devices.value),
    );
    let shared = profile.mode.value == DeploymentMode::SelfDeploying;
    let oobe = &profile.oobe;
    let mut setting = Map::new();
    setting.insert(
        "deviceUsageType".into(),
        json!(if shared { "shared" } else { "singleUser" }),
    );
    if !shared {
        let user_type = match oobe.user_type.as_ref().map(|u| u.value) {
            Some(UserType::Administrator) => "administrator",
            Some(UserType::Standard) | None => "standard",
        };
        setting.insert("userType".into(), json!(user_type));
    }
    setting.insert(
        "privacySettingsHidden".into(),
        json!(oobe.hide_privacy_settings.value),
    );
    setting.insert("eulaHidden".into(), json!(oobe.hide_license_terms.value));
    setting.insert(
        "keyboardSelectionPageSkipped".into(),
        json!(oobe.skip_keyboard_selection.value),
    );
    setting.insert(
        "escapeLinkHidden".into(),
        json!(oobe.hide_change_account_options.value),
    );
    body.insert("outOfBoxExperienceSetting".into(), setting.into());
    if hybrid {
        body.insert(
            "hybridAzureADJoinSkipConnectivityCheck".into(),
            json!(profile.skip_domain_connectivity_check.value),
        );
    }
    Body::new(body)
}
