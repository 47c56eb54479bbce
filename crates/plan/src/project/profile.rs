//! `DeploymentProfile` → `windowsAutopilotDeploymentProfile` (graph-api-notes §1).
//!
//! Plain properties come from `hangar_config::fields::DEPLOYMENT_PROFILE`; this module writes the
//! three that depend on the join type or have an alias.

use hangar_config::fields::DEPLOYMENT_PROFILE;
use hangar_config::{DeploymentProfile, DesiredState, JoinType};
use serde_json::{Map, json};

use crate::plan::Body;

/// The create body. Hybrid profiles get the hybrid type, no name template and the
/// connectivity-check flag; shared (self-deploying) profiles get no `userType` (the field's
/// value is absent for them).
pub(super) fn body(state: &DesiredState, profile: &DeploymentProfile) -> Body {
    let hybrid = profile.join.value == JoinType::Hybrid;
    let mut body = Map::new();
    super::intune_common(&mut body, &profile.meta, false);
    super::write_fields(DEPLOYMENT_PROFILE.fields, profile, state, &mut body);
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
    if hybrid {
        body.insert(
            "hybridAzureADJoinSkipConnectivityCheck".into(),
            json!(profile.skip_domain_connectivity_check.value),
        );
    }
    Body::new(body)
}
