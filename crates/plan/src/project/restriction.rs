//! `EnrollmentRestriction` → platform restriction (graph-api-notes §7).

use hangar_config::{EnrollmentRestriction, WindowsRestriction};
use hangar_model::well_known::odata;
use serde_json::{Map, Value, json};

use crate::plan::Body;

/// A custom restriction is the singular, Windows-only type with `platformRestriction`; the
/// built-in is the plural type, of which only `windowsRestriction` is managed.
pub(super) fn body(restriction: &EnrollmentRestriction) -> Body {
    let mut body = Map::new();
    if restriction.builtin {
        body.insert("@odata.type".into(), json!(odata::DEFAULT_PLATFORM_RESTRICTIONS));
        super::intune_common(&mut body, &restriction.meta, true);
        body.insert("windowsRestriction".into(), windows(&restriction.windows));
    } else {
        body.insert("@odata.type".into(), json!(odata::PLATFORM_RESTRICTION));
        super::intune_common(&mut body, &restriction.meta, false);
        body.insert("platformType".into(), json!("windows"));
        body.insert("platformRestriction".into(), windows(&restriction.windows));
    }
    Body::new(body)
}

fn windows(windows: &WindowsRestriction) -> Value {
    let list = |items: &[hangar_config::Spanned<String>]| {
        Value::Array(items.iter().map(|i| json!(i.value)).collect())
    };
    let mut out = Map::new();
    out.insert("platformBlocked".into(), json!(windows.platform_blocked.value));
    out.insert(
        "personalDeviceEnrollmentBlocked".into(),
        json!(windows.personal_devices_blocked.value),
    );
    out.insert(
        "osMinimumVersion".into(),
        windows
            .os_minimum
            .as_ref()
            .map_or(Value::Null, |v| json!(v.value)),
    );
    out.insert(
        "osMaximumVersion".into(),
        windows
            .os_maximum
            .as_ref()
            .map_or(Value::Null, |v| json!(v.value)),
    );
    out.insert(
        "blockedManufacturers".into(),
        list(&windows.blocked_manufacturers),
    );
    out.insert("blockedSkus".into(), list(&windows.blocked_skus));
    Value::Object(out)
}
