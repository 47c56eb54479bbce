//! `EnrollmentRestriction` → platform restriction (graph-api-notes §7): the Windows settings
//! are plain properties (`hangar_config::fields::ENROLLMENT_RESTRICTION`) under
//! `platformRestriction`, or `windowsRestriction` for the built-in.

use hangar_config::fields::{BUILTIN_WINDOWS, ENROLLMENT_RESTRICTION};
use hangar_config::{DesiredState, EnrollmentRestriction};
use hangar_model::well_known::odata;
use serde_json::{Map, json};

use crate::plan::Body;

/// A custom restriction is the singular, Windows-only type with `platformRestriction`; the
/// built-in is the plural type, of which only `windowsRestriction` is managed.
pub(super) fn body(state: &DesiredState, restriction: &EnrollmentRestriction) -> Body {
    let mut body = Map::new();
    super::write_fields(ENROLLMENT_RESTRICTION.fields, restriction, state, &mut body);
    if restriction.builtin {
        body.insert("@odata.type".into(), json!(odata::DEFAULT_PLATFORM_RESTRICTIONS));
        super::intune_common(&mut body, &restriction.meta, true);
        if let Some(windows) = body.remove("platformRestriction") {
            body.insert(BUILTIN_WINDOWS.into(), windows);
        }
    } else {
        body.insert("@odata.type".into(), json!(odata::PLATFORM_RESTRICTION));
        super::intune_common(&mut body, &restriction.meta, false);
        body.insert("platformType".into(), json!("windows"));
    }
    Body::new(body)
}
