//! `EnrollmentStatusPage` → `windows10EnrollmentCompletionPageConfiguration` (graph-api-notes §2).

use hangar_config::EnrollmentStatusPage;
use hangar_model::well_known::odata;
use serde_json::{Map, Value, json};

use crate::plan::Body;

/// The create (or, for the built-in, update) body. `priority` is never in it (`setPriority`);
/// the built-in keeps its own display name.
pub(super) fn body(esp: &EnrollmentStatusPage) -> Body {
    let mut body = Map::new();
    body.insert("@odata.type".into(), json!(odata::ESP));
    super::intune_common(&mut body, &esp.meta, esp.builtin);
    body.insert("showInstallationProgress".into(), json!(esp.show_progress.value));
    // Inverted: admin center "Block device use … = Yes" is `blockDeviceSetupRetryByUser: false`
    // (the mapping config documents on `block_device_use`).
    body.insert(
        "blockDeviceSetupRetryByUser".into(),
        json!(!esp.block_device_use.value),
    );
    body.insert(
        "allowDeviceResetOnInstallFailure".into(),
        json!(esp.allow_reset.value),
    );
    body.insert(
        "allowDeviceUseOnInstallFailure".into(),
        json!(esp.allow_use_on_error.value),
    );
    body.insert(
        "installProgressTimeoutInMinutes".into(),
        json!(esp.timeout_minutes.value),
    );
    body.insert(
        "allowLogCollectionOnInstallFailure".into(),
        json!(esp.collect_logs.value),
    );
    body.insert(
        "trackInstallProgressForAutopilotOnly".into(),
        json!(esp.only_autopilot.value),
    );
    body.insert(
        "customErrorMessage".into(),
        json!(esp.error_message.as_ref().map_or("", |m| m.value.as_str())),
    );
    body.insert(
        "selectedMobileAppIds".into(),
        Value::Array(esp.blocking_apps.iter().map(|app| json!(app.value)).collect()),
    );
    body.insert(
        "allowNonBlockingAppInstallation".into(),
        json!(esp.allow_non_blocking_apps.value),
    );
    body.insert(
        "disableUserStatusTrackingAfterFirstUser".into(),
        json!(esp.skip_user_status_after_first_user.value),
    );
    body.insert(
        "installQualityUpdates".into(),
        json!(esp.install_quality_updates.value),
    );
    Body::new(body)
}
