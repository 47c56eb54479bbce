//! [`LiveAssignment`]: one assignment of a live Intune object, parsed once where it is read.
//!
//! Graph returns assignments as `{id, source, sourceId, target: {@odata.type, groupId,
//! deviceAndAppManagementAssignmentFilterId, deviceAndAppManagementAssignmentFilterType}}`
//! (plus `intent` on device configurations). Every reader of assignments (the planner's
//! comparison and pruning, the device impact, apply's checks before a write) needs the same
//! three answers: is it the object's own (`source: direct`), what does it target, and which
//! filter narrows it. They are decided here, once, from the JSON Graph returned, which is kept
//! beside the parse ([`LiveAssignment::raw`]) for fingerprints and for what hangar does not model.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::well_known::odata;

/// The id Intune returns for "no filter".
pub const NO_FILTER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// One live assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveAssignment {
    /// Assignment id (needed to delete a profile's assignment).
    pub id: Option<String>,
    /// Where the assignment comes from.
    pub source: AssignmentSource,
    /// What it targets.
    pub target: LiveTarget,
    /// The assignment filter that narrows it, if any.
    pub filter: Option<LiveFilter>,
    /// The assignment as Graph returned it.
    pub raw: Value,
}

/// `source` of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentSource {
    /// The object's own assignment (`direct`, or no `source` at all: older pages and
    /// collections without the property).
    Direct,
    /// Inherited from a policy set (`policySets`).
    PolicySets,
    /// Any other value Graph may add.
    Other(String),
}

impl AssignmentSource {
    /// Parses Graph's `source`.
    pub fn parse(source: Option<&Value>) -> AssignmentSource {
        match source {
            None | Some(Value::Null) => AssignmentSource::Direct,
            Some(Value::String(text)) if text.eq_ignore_ascii_case("direct") => AssignmentSource::Direct,
            Some(Value::String(text)) if text.eq_ignore_ascii_case("policySets") => {
                AssignmentSource::PolicySets
            }
            Some(other) => AssignmentSource::Other(other.as_str().unwrap_or_default().to_owned()),
        }
    }

    /// Whether the assignment is the object's own.
    pub fn is_direct(&self) -> bool {
        *self == AssignmentSource::Direct
    }
}

/// What an assignment targets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum LiveTarget {
    /// `#microsoft.graph.groupAssignmentTarget`.
    Group {
        /// `groupId`.
        group_id: String,
    },
    /// `#microsoft.graph.exclusionGroupAssignmentTarget`.
    ExcludeGroup {
        /// `groupId`.
        group_id: String,
    },
    /// `#microsoft.graph.allDevicesAssignmentTarget`.
    AllDevices,
    /// `#microsoft.graph.allLicensedUsersAssignmentTarget`.
    AllUsers,
    /// A target type hangar does not manage (a Configuration Manager collection, …): kept as
    /// Graph returned it.
    Other {
        /// Its `@odata.type`.
        odata_type: String,
        /// Its `groupId`, if any.
        group_id: Option<String>,
    },
}

impl LiveTarget {
    /// Parses a Graph `target`.
    pub fn parse(target: &Value) -> LiveTarget {
        let odata_type = target
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let group_id = target.get("groupId").and_then(Value::as_str).map(str::to_owned);
        let bare = |t: &str| t.trim_start_matches('#').to_ascii_lowercase();
        let is = |t: &str| bare(odata_type) == bare(t);
        match group_id {
            Some(group_id) if is(odata::GROUP_TARGET) => LiveTarget::Group { group_id },
            Some(group_id) if is(odata::EXCLUSION_GROUP_TARGET) => LiveTarget::ExcludeGroup { group_id },
            _ if is(odata::ALL_DEVICES_TARGET) => LiveTarget::AllDevices,
            _ if is(odata::ALL_USERS_TARGET) => LiveTarget::AllUsers,
            group_id => LiveTarget::Other {
                odata_type: odata_type.to_owned(),
                group_id,
            },
        }
    }

    /// The group targeted or excluded, if any.
    pub fn group_id(&self) -> Option<&str> {
        match self {
            LiveTarget::Group { group_id } | LiveTarget::ExcludeGroup { group_id } => Some(group_id),
            LiveTarget::Other { group_id, .. } => group_id.as_deref(),
            LiveTarget::AllDevices | LiveTarget::AllUsers => None,
        }
    }

    /// A key that is equal for the same target (group ids compare case-insensitively).
    pub fn key(&self) -> String {
        match self {
            LiveTarget::Group { group_id } => format!("g:{}", group_id.to_ascii_lowercase()),
            LiveTarget::ExcludeGroup { group_id } => format!("x:{}", group_id.to_ascii_lowercase()),
            LiveTarget::AllDevices => "all-devices".to_owned(),
            LiveTarget::AllUsers => "all-users".to_owned(),
            LiveTarget::Other { odata_type, group_id } => format!(
                "o:{}:{}",
                odata_type.trim_start_matches('#').to_ascii_lowercase(),
                group_id.as_deref().unwrap_or_default().to_ascii_lowercase()
            ),
        }
    }
}

/// `deviceAndAppManagementAssignmentFilterType`: whether the filter's devices are the ones
/// that get the object or the ones that do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FilterMode {
    /// Only devices the filter matches (`include`).
    Include,
    /// Every device but those the filter matches (`exclude`).
    Exclude,
}

impl FilterMode {
    /// Graph's (and the YAML's) value.
    pub fn name(self) -> &'static str {
        match self {
            FilterMode::Include => "include",
            FilterMode::Exclude => "exclude",
        }
    }
}

impl fmt::Display for FilterMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The assignment filter of a live assignment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveFilter {
    /// `deviceAndAppManagementAssignmentFilterId`.
    pub id: String,
    /// `deviceAndAppManagementAssignmentFilterType`.
    pub mode: FilterMode,
}

impl LiveFilter {
    /// The filter of a Graph `target`: `None` when the id is absent, empty or the zero GUID,
    /// or the type is `none` (graph-api-notes §2).
    pub fn parse(target: &Value) -> Option<LiveFilter> {
        let id = target
            .get("deviceAndAppManagementAssignmentFilterId")
            .and_then(Value::as_str)
            .filter(|id| !is_no_filter(id))?;
        let mode = match target
            .get("deviceAndAppManagementAssignmentFilterType")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("exclude") => FilterMode::Exclude,
            Some("none") => return None,
            // A filter id with no type is an include filter, as the admin center shows it.
            _ => FilterMode::Include,
        };
        Some(LiveFilter {
            id: id.to_owned(),
            mode,
        })
    }
}

/// Whether a filter id means "no filter" (empty or the zero GUID).
pub fn is_no_filter(id: &str) -> bool {
    id.trim().is_empty() || id.eq_ignore_ascii_case(NO_FILTER_ID)
}

impl LiveAssignment {
    /// Parses an assignment as Graph returns it.
    pub fn parse(raw: Value) -> LiveAssignment {
        let target = raw.get("target").cloned().unwrap_or(Value::Null);
        LiveAssignment {
            id: raw.get("id").and_then(Value::as_str).map(str::to_owned),
            source: AssignmentSource::parse(raw.get("source")),
            target: LiveTarget::parse(&target),
            filter: LiveFilter::parse(&target),
            raw,
        }
    }

    /// Whether the assignment is the object's own (not inherited from a policy set).
    pub fn is_direct(&self) -> bool {
        self.source.is_direct()
    }

    /// The Graph `target` with only what hangar compares: type, group, filter.
    pub fn comparable_target(&self) -> Value {
        let mut target = serde_json::Map::new();
        let odata_type = match &self.target {
            LiveTarget::Group { .. } => odata::GROUP_TARGET.to_owned(),
            LiveTarget::ExcludeGroup { .. } => odata::EXCLUSION_GROUP_TARGET.to_owned(),
            LiveTarget::AllDevices => odata::ALL_DEVICES_TARGET.to_owned(),
            LiveTarget::AllUsers => odata::ALL_USERS_TARGET.to_owned(),
            LiveTarget::Other { odata_type, .. } => odata_type.clone(),
        };
        target.insert("@odata.type".into(), Value::String(odata_type));
        if let Some(group) = self.target.group_id() {
            target.insert("groupId".into(), Value::String(group.to_owned()));
        }
        if let Some(filter) = &self.filter {
            target.insert(
                "deviceAndAppManagementAssignmentFilterId".into(),
                Value::String(filter.id.clone()),
            );
            target.insert(
                "deviceAndAppManagementAssignmentFilterType".into(),
                Value::String(filter.mode.name().to_owned()),
            );
        }
        Value::Object(target)
    }
}

impl From<Value> for LiveAssignment {
    fn from(raw: Value) -> LiveAssignment {
        LiveAssignment::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sources_targets_and_filters_parse_once() {
        let a = LiveAssignment::parse(json!({
            "id": "p_g", "source": "direct",
            "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "G1",
                "deviceAndAppManagementAssignmentFilterId": "f1", "deviceAndAppManagementAssignmentFilterType": "exclude"}
        }));
        assert!(a.is_direct());
        assert_eq!(
            a.target,
            LiveTarget::Group {
                group_id: "G1".into()
            }
        );
        assert_eq!(
            a.filter,
            Some(LiveFilter {
                id: "f1".into(),
                mode: FilterMode::Exclude
            })
        );
        let inherited = LiveAssignment::parse(
            json!({"source": "policySets", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
        );
        assert!(!inherited.is_direct());
        assert_eq!(inherited.target, LiveTarget::AllDevices);
        let no_source = LiveAssignment::parse(
            json!({"target": {"@odata.type": "microsoft.graph.allLicensedUsersAssignmentTarget"}}),
        );
        assert!(no_source.is_direct());
        assert_eq!(no_source.target, LiveTarget::AllUsers);
        for no_filter in [
            json!({"deviceAndAppManagementAssignmentFilterId": NO_FILTER_ID}),
            json!({"deviceAndAppManagementAssignmentFilterId": "", "deviceAndAppManagementAssignmentFilterType": "include"}),
            json!({"deviceAndAppManagementAssignmentFilterId": "f", "deviceAndAppManagementAssignmentFilterType": "none"}),
            json!({"deviceAndAppManagementAssignmentFilterId": null}),
        ] {
            assert_eq!(LiveFilter::parse(&no_filter), None, "{no_filter}");
        }
        let other = LiveTarget::parse(
            &json!({"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "c"}),
        );
        assert!(matches!(other, LiveTarget::Other { .. }));
        assert_eq!(
            LiveTarget::Group {
                group_id: "ABC".into()
            }
            .key(),
            LiveTarget::Group {
                group_id: "abc".into()
            }
            .key()
        );
    }
}
