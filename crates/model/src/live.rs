//! [`LiveState`]: what hangar read from a tenant.
//!
//! `hangar-graph` fills it; `hangar-plan` compares it with the desired state; `hangar-apply`
//! re-reads objects and compares [`LiveObject::fingerprint`]s to refuse a stale plan.
//!
//! Objects keep every property exactly as Graph returned it (`properties`), including ones hangar
//! does not model, so a read-modify-write never drops data and the normalisation catalog in
//! `hangar-plan` decides what is noise. Devices are compact typed rows instead, because a tenant
//! can hold 100,000 of them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{Kind, LiveAssignment};

/// A snapshot of the tenant objects hangar manages, as read from Graph.
///
/// **Invariant:** a kind that is not in [`LiveState::complete`] was not read (or not read to the
/// last page). Its objects are unknown, never absent; the planner must not plan creates for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveState {
    /// Kinds whose every object was read (every page of every collection).
    pub complete: BTreeSet<Kind>,
    /// Objects of every kind except [`Kind::AutopilotDevice`].
    pub objects: Vec<LiveObject>,
    /// Registered Autopilot devices.
    pub devices: Vec<LiveDevice>,
    /// Object id of the Intune Provisioning Client service principal, when the tenant has one
    /// (and it was looked up).
    pub provisioning_client_id: Option<String>,
    /// The tenant's Device Preparation policy templates with their setting definitions
    /// ([`crate::device_preparation::Catalog`] reads values from them); `None` when not read
    /// (they are read only for a configuration with a Device Preparation policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_preparation_templates: Option<Vec<crate::device_preparation::PolicyTemplate>>,
    /// The tenant's assignment filters (`deviceManagement/assignmentFilters`), by which
    /// `filter:` names resolve and live filters are named; `None` when they were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_filters: Option<Vec<AssignmentFilter>>,
    /// The tenant's scope tags (`deviceManagement/roleScopeTags`), by which `scopeTags:` names
    /// resolve and live tag ids are named; `None` when they were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_tags: Option<Vec<Referenced>>,
    /// The tenant's apps (`deviceAppManagement/mobileApps`, with their `@odata.type`), by which
    /// ESP blocking apps and Device Preparation apps resolve; `None` when they were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_apps: Option<Vec<Referenced>>,
    /// The tenant's platform scripts (`deviceManagement/deviceManagementScripts`), by which
    /// Device Preparation scripts resolve; `None` when they were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scripts: Option<Vec<Referenced>>,
}

/// A tenant object a configuration refers to by name but hangar never writes (a scope tag, an
/// app, a platform script), reduced to what names resolve with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Referenced {
    /// Graph id.
    pub id: String,
    /// `displayName`: how YAML names it.
    pub display_name: String,
    /// `@odata.type` (apps: `#microsoft.graph.win32LobApp`, …), when Graph returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
}

/// How YAML refers to a scope tag, an app or a script: by id (a scope tag id is a number, `0` the
/// built-in `Default`; an app or script id a GUID) or by name (anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReferenceKind {
    /// `scopeTags:` entries: `deviceManagement/roleScopeTags`.
    ScopeTag,
    /// `blockingApps:`, `allowedApps:` entries: `deviceAppManagement/mobileApps`.
    App,
    /// `allowedScripts:` entries: `deviceManagement/deviceManagementScripts`.
    Script,
}

impl ReferenceKind {
    /// Whether `text` is written as an id of this kind rather than a name.
    pub fn is_id(self, text: &str) -> bool {
        match self {
            ReferenceKind::ScopeTag => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
            ReferenceKind::App | ReferenceKind::Script => {
                text.len() == 36
                    && text.char_indices().all(|(i, c)| match i {
                        8 | 13 | 18 | 23 => c == '-',
                        _ => c.is_ascii_hexdigit(),
                    })
            }
        }
    }

    /// How messages name one.
    pub fn noun(self) -> &'static str {
        match self {
            ReferenceKind::ScopeTag => "scope tag",
            ReferenceKind::App => "app",
            ReferenceKind::Script => "script",
        }
    }

    /// The tenant's objects of this kind, when they were read.
    pub fn list(self, live: &LiveState) -> Option<&[Referenced]> {
        match self {
            ReferenceKind::ScopeTag => live.scope_tags.as_deref(),
            ReferenceKind::App => live.mobile_apps.as_deref(),
            ReferenceKind::Script => live.scripts.as_deref(),
        }
    }
}

impl Referenced {
    /// The entries of `list` named `name` (exact match, as the admin center shows names).
    pub fn named<'a>(list: &'a [Referenced], name: &'a str) -> impl Iterator<Item = &'a Referenced> {
        list.iter().filter(move |entry| entry.display_name == name)
    }

    /// The entry of `list` with this id (ids compare case-insensitively, as Graph GUIDs do).
    pub fn by_id<'a>(list: &'a [Referenced], id: &str) -> Option<&'a Referenced> {
        list.iter().find(|entry| entry.id.eq_ignore_ascii_case(id))
    }
}

/// An Intune assignment filter (`deviceAndAppManagementAssignmentFilter`), reduced to what
/// hangar resolves names with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentFilter {
    /// Graph id.
    pub id: String,
    /// `displayName`: how YAML names it.
    pub display_name: String,
    /// `platform` (`windows10AndLater`, …), when Graph returned it.
    pub platform: Option<String>,
}

impl LiveState {
    /// Objects of one kind, in the order they were read.
    pub fn objects_of(&self, kind: Kind) -> impl Iterator<Item = &LiveObject> {
        self.objects.iter().filter(move |object| object.kind == kind)
    }

    /// Whether `kind` was read completely.
    pub fn is_complete(&self, kind: Kind) -> bool {
        self.complete.contains(&kind)
    }

    /// Assignment filters named `name` (exact match, as the admin center shows names).
    pub fn filters_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a AssignmentFilter> {
        self.assignment_filters
            .iter()
            .flatten()
            .filter(move |filter| filter.display_name == name)
    }

    /// The assignment filter with this id.
    pub fn filter_by_id(&self, id: &str) -> Option<&AssignmentFilter> {
        self.assignment_filters
            .iter()
            .flatten()
            .find(|filter| filter.id.eq_ignore_ascii_case(id))
    }

    /// The object with this id, of any kind (ids compare case-insensitively, as Graph GUIDs do).
    pub fn object_by_id(&self, id: &str) -> Option<&LiveObject> {
        self.objects
            .iter()
            .find(|object| object.id.eq_ignore_ascii_case(id))
    }
}

/// One tenant object as read from Graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveObject {
    /// What kind of object this is.
    pub kind: Kind,
    /// Graph id.
    pub id: String,
    /// `displayName` (`name` for Settings Catalog policies): hangar's identity key.
    pub display_name: String,
    /// `@odata.type`, when Graph returned it.
    pub odata_type: Option<String>,
    /// A built-in object (the default ESP, the default platform restriction): update-only,
    /// never created, deleted or assigned.
    pub builtin: bool,
    /// Every property as Graph returned it, unknown ones included.
    pub properties: Map<String, Value>,
    /// Assignments, parsed ([`LiveAssignment::raw`] keeps what Graph returned); `None` when the
    /// kind has none or they were not read.
    pub assignments: Option<Vec<LiveAssignment>>,
    /// Groups only: object ids of the owners; `None` when not read.
    pub owners: Option<Vec<String>>,
    /// Device Preparation only: group ids of the enrollment-time device membership target;
    /// `None` when not read.
    pub device_membership_targets: Option<Vec<String>>,
    /// Device Preparation only: the policy's `settings` as Graph returned them; `None` when not
    /// read.
    pub settings: Option<Vec<Value>>,
    /// Groups only: how many direct members the group has (`GET /groups/{id}/members/$count`);
    /// read only when the configuration changes the group's membership type, else `None`.
    pub member_count: Option<u64>,
}

impl LiveObject {
    /// A new object with only the identity fields set.
    pub fn new(kind: Kind, id: impl Into<String>, display_name: impl Into<String>) -> LiveObject {
        LiveObject {
            kind,
            id: id.into(),
            display_name: display_name.into(),
            odata_type: None,
            builtin: false,
            properties: Map::new(),
            assignments: None,
            owners: None,
            device_membership_targets: None,
            settings: None,
            member_count: None,
        }
    }

    /// Groups: whether the membership is dynamic (`groupTypes` holds `DynamicMembership`).
    pub fn is_dynamic_group(&self) -> bool {
        self.property("groupTypes")
            .and_then(Value::as_array)
            .is_some_and(|types| {
                types.iter().any(|t| {
                    t.as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
                })
            })
    }

    /// A property by name.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties.get(name)
    }

    /// The object's own assignments (not those inherited from policy sets); empty when none
    /// were read.
    pub fn direct_assignments(&self) -> impl Iterator<Item = &LiveAssignment> {
        self.assignments.iter().flatten().filter(|a| a.is_direct())
    }

    /// A stable digest of everything read for this object. Two reads of an unchanged object
    /// give the same fingerprint whatever order Graph sent keys in; a saved plan records it so
    /// that `apply` can refuse a stale plan.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.kind.name().as_bytes());
        hasher.update([0]);
        hasher.update(self.id.to_ascii_lowercase().as_bytes());
        hasher.update([0]);
        let parts = [
            Some(Value::Object(self.properties.clone())),
            self.assignments
                .as_ref()
                .map(|assignments| Value::Array(assignments.iter().map(|a| a.raw.clone()).collect())),
            self.owners
                .clone()
                .map(|ids| Value::Array(ids.into_iter().map(Value::String).collect())),
            self.device_membership_targets
                .clone()
                .map(|ids| Value::Array(ids.into_iter().map(Value::String).collect())),
            self.settings.clone().map(Value::Array),
        ];
        for part in parts {
            match part {
                Some(value) => write_canonical(&value, &mut hasher),
                None => hasher.update(b"~"),
            }
            hasher.update([0]);
        }
        hex(&hasher.finalize())
    }
}

/// A registered Windows Autopilot device (`windowsAutopilotDeviceIdentity`), reduced to what
/// hangar plans with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveDevice {
    /// Graph id of the device identity.
    pub id: String,
    /// `serialNumber` exactly as Graph returned it (it may carry padding; match on
    /// [`LiveDevice::serial`]).
    pub serial_number: String,
    /// `groupTag`; `None` when empty or absent.
    pub group_tag: Option<String>,
    /// `userPrincipalName` of the assigned user; `None` when empty or absent.
    pub user_principal_name: Option<String>,
    /// `displayName`; `None` when empty or absent.
    pub display_name: Option<String>,
    /// `purchaseOrderIdentifier`; `None` when empty or absent.
    pub purchase_order_identifier: Option<String>,
    /// `deploymentProfileAssignmentStatus` (beta), when returned.
    pub deployment_profile_assignment_status: Option<String>,
}

impl LiveDevice {
    /// The serial number trimmed of the whitespace padding Graph may add: the match key.
    pub fn serial(&self) -> &str {
        self.serial_number.trim()
    }

    /// A stable digest of the fields hangar reads (see [`LiveObject::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        let fields = [
            Some(self.id.as_str()),
            Some(self.serial_number.as_str()),
            self.group_tag.as_deref(),
            self.user_principal_name.as_deref(),
            self.display_name.as_deref(),
            self.purchase_order_identifier.as_deref(),
            self.deployment_profile_assignment_status.as_deref(),
        ];
        for field in fields {
            match field {
                Some(text) => {
                    hasher.update(b"+");
                    hasher.update(text.as_bytes());
                }
                None => hasher.update(b"~"),
            }
            hasher.update([0]);
        }
        hex(&hasher.finalize())
    }
}

/// Writes `value` as JSON with object keys sorted, whatever map type serde_json was built with.
fn write_canonical(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            hasher.update(b"{");
            for key in keys {
                write_canonical(&Value::String(key.clone()), hasher);
                hasher.update(b":");
                if let Some(inner) = map.get(key) {
                    write_canonical(inner, hasher);
                }
                hasher.update(b",");
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for item in items {
                write_canonical(item, hasher);
                hasher.update(b",");
            }
            hasher.update(b"]");
        }
        scalar => hasher.update(scalar.to_string().as_bytes()),
    }
}

fn hex(bytes: &[u8]) -> String {
    // A table, not `write!`: the planner fingerprints every registered device (100,000 and
    // more), and formatting machinery per byte was a measurable part of planning.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(properties: Value) -> LiveObject {
        let mut object = LiveObject::new(Kind::DeploymentProfile, "ID-1", "Engineering");
        object.properties = properties.as_object().cloned().unwrap();
        object
    }

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn fingerprint_ignores_key_order_and_id_case() {
        let a = object(json!({"a": 1, "b": {"x": true, "y": [1, 2]}}));
        let mut b = object(json!({"b": {"y": [1, 2], "x": true}, "a": 1}));
        b.id = "id-1".into();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn fingerprint_sees_every_change() {
        let base = object(json!({"a": 1}));
        let changed = object(json!({"a": 2}));
        assert_ne!(base.fingerprint(), changed.fingerprint());

        let mut assigned = base.clone();
        assigned.assignments = Some(vec![]);
        assert_ne!(
            base.fingerprint(),
            assigned.fingerprint(),
            "read-but-empty differs from unread"
        );

        let mut owned = base.clone();
        owned.owners = Some(vec!["owner".into()]);
        assert_ne!(base.fingerprint(), owned.fingerprint());
    }

    #[test]
    fn device_serial_is_trimmed_and_fingerprint_tracks_tag() {
        let device = LiveDevice {
            id: "d1".into(),
            serial_number: "  5CG1234ABC ".into(),
            group_tag: Some("Engineering".into()),
            user_principal_name: None,
            display_name: None,
            purchase_order_identifier: None,
            deployment_profile_assignment_status: None,
        };
        assert_eq!(device.serial(), "5CG1234ABC");
        let mut retagged = device.clone();
        retagged.group_tag = Some("Sales".into());
        assert_ne!(device.fingerprint(), retagged.fingerprint());
        let mut untagged = device.clone();
        untagged.group_tag = None;
        assert_ne!(device.fingerprint(), untagged.fingerprint());
    }

    #[test]
    fn state_lookups() {
        let mut state = LiveState::default();
        state.objects.push(LiveObject::new(Kind::DeviceGroup, "AAA", "g"));
        state
            .objects
            .push(LiveObject::new(Kind::DeploymentProfile, "bbb", "p"));
        state.complete.insert(Kind::DeviceGroup);
        assert_eq!(state.objects_of(Kind::DeviceGroup).count(), 1);
        assert!(state.is_complete(Kind::DeviceGroup));
        assert!(!state.is_complete(Kind::DeploymentProfile));
        assert_eq!(
            state.object_by_id("aaa").map(|o| o.display_name.as_str()),
            Some("g")
        );
    }
}
