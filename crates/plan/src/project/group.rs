//! `DeviceGroup` → Entra `group` (graph-api-notes §3).

use hangar_config::{DeviceGroup, Membership};
use serde_json::{Map, Value, json};

use crate::plan::Body;

/// The create body: a security group, dynamic (`DynamicMembership` with its rule, processing
/// on) or assigned (`groupTypes: []`). Owners are added by their own action.
pub(super) fn body(group: &DeviceGroup) -> Body {
    let mut body = Map::new();
    body.insert("displayName".into(), json!(group.meta.name.value));
    // Omitted, the description is not managed. Entra refuses an empty description on groups;
    // `null` clears it.
    if let Some(description) = &group.meta.description {
        let value = Some(description.value.clone()).filter(|d| !d.is_empty());
        body.insert("description".into(), value.map_or(Value::Null, Value::String));
    }
    body.insert("mailEnabled".into(), json!(false));
    body.insert("securityEnabled".into(), json!(true));
    body.insert(
        "mailNickname".into(),
        json!(mail_nickname(&group.meta.name.value)),
    );
    match group.membership.value.rule() {
        Some(rule) => {
            body.insert("groupTypes".into(), json!(["DynamicMembership"]));
            body.insert("membershipRule".into(), json!(rule));
            body.insert("membershipRuleProcessingState".into(), json!("On"));
        }
        None => {
            debug_assert!(matches!(group.membership.value, Membership::Assigned));
            body.insert("groupTypes".into(), json!([]));
        }
    }
    Body::new(body)
}

/// A `mailNickname` from a group name: ASCII letters, digits, `-` and `_` (Graph refuses
/// `@ ( ) \ [ ] " ; : . < > ,` and spaces), at most 64 characters, never empty.
pub fn mail_nickname(name: &str) -> String {
    let nickname: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect();
    if nickname.is_empty() {
        "hangar-group".to_owned()
    } else {
        nickname
    }
}
