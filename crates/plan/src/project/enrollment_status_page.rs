//! `EnrollmentStatusPage` → `windows10EnrollmentCompletionPageConfiguration` (graph-api-notes §2).
//!
//! Every setting is a plain property (`hangar_config::fields::ENROLLMENT_STATUS_PAGE`), including
//! the inverted `blockDeviceUse`.

use hangar_config::fields::ENROLLMENT_STATUS_PAGE;
use hangar_config::{DesiredState, EnrollmentStatusPage};
use hangar_model::well_known::odata;
use serde_json::{Map, json};

use crate::plan::Body;

/// The create (or, for the built-in, update) body. `priority` is never in it (`setPriority`);
/// the built-in keeps its own display name.
pub(super) fn body(state: &DesiredState, esp: &EnrollmentStatusPage) -> Body {
    let mut body = Map::new();
    body.insert("@odata.type".into(), json!(odata::ESP));
    super::intune_common(&mut body, &esp.meta, esp.builtin);
    super::write_fields(ENROLLMENT_STATUS_PAGE.fields, esp, state, &mut body);
    Body::new(body)
}
