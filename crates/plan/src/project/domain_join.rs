//! `DomainJoinProfile` → `windowsDomainJoinConfiguration` (graph-api-notes §6): every field is
//! a plain property (`hangar_config::fields::DOMAIN_JOIN`).

use hangar_config::fields::DOMAIN_JOIN;
use hangar_config::{DesiredState, DomainJoinProfile};
use hangar_model::well_known::odata;
use serde_json::{Map, json};

use crate::plan::Body;

/// The create body; `organizationalUnit: null` is the default computers container.
pub(super) fn body(state: &DesiredState, join: &DomainJoinProfile) -> Body {
    let mut body = Map::new();
    body.insert("@odata.type".into(), json!(odata::DOMAIN_JOIN));
    super::intune_common(&mut body, &join.meta, false);
    super::write_fields(DOMAIN_JOIN.fields, join, state, &mut body);
    Body::new(body)
}
