//! `DomainJoinProfile` → `windowsDomainJoinConfiguration` (graph-api-notes §6).

use hangar_config::DomainJoinProfile;
use hangar_model::well_known::odata;
use serde_json::{Map, Value, json};

use crate::plan::Body;

/// The create body; `organizationalUnit: null` is the default computers container.
pub(super) fn body(join: &DomainJoinProfile) -> Body {
    let mut body = Map::new();
    body.insert("@odata.type".into(), json!(odata::DOMAIN_JOIN));
    super::intune_common(&mut body, &join.meta, false);
    body.insert("activeDirectoryDomainName".into(), json!(join.domain.value));
    body.insert(
        "organizationalUnit".into(),
        join.ou.as_ref().map_or(Value::Null, |ou| json!(ou.value)),
    );
    body.insert(
        "computerNameStaticPrefix".into(),
        json!(join.computer_name_prefix.value),
    );
    body.insert(
        "computerNameSuffixRandomCharCount".into(),
        json!(join.random_chars.value),
    );
    Body::new(body)
}
