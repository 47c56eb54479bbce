//! Desired → Graph: the exact body hangar sends for each desired object, following
//! `graph-api-notes.md` to the letter, one module per kind.
//!
//! Bodies are complete create bodies (with `@odata.type`); `write_body` strips the
//! create-only fields for an update. Group references are symbolic ([`GroupRef`]): a body that
//! names a group holds its live id when the group exists, else `null`, and records a
//! [`crate::plan::GroupSlot`] for apply to fill.

pub(crate) mod device_preparation;
mod domain_join;
mod enrollment_status_page;
mod group;
mod profile;
mod restriction;

use hangar_config::{Assignments, DesiredState, Target};
use hangar_model::device_preparation::{Catalog, CatalogError, PolicyTemplate};
use hangar_model::{Kind, LiveObject};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::matching::DesiredRef;
use crate::plan::{AssignmentApi, AssignmentTarget, Body, GroupRef};

/// What projection needs besides the object itself.
pub(crate) struct Context<'a> {
    /// The desired state.
    pub state: &'a DesiredState,
    /// Every desired group as a reference, indexed by `GroupId`.
    pub groups: &'a [GroupRef],
    /// The tenant's Device Preparation templates (`None`: not read).
    pub device_preparation_templates: Option<&'a [PolicyTemplate]>,
}

impl<'a> Context<'a> {
    /// The tenant's Device Preparation templates, by meaning.
    pub(crate) fn device_preparation(&self) -> Result<Catalog<'a>, CatalogError> {
        self.device_preparation_templates
            .map(Catalog::new)
            .ok_or(CatalogError::NotRead)
    }
}

/// The full create body of a desired object. `live` is the matched live object, if any (Device
/// Preparation keeps its template and the app types it already holds). Fails only for a Device
/// Preparation policy whose values the tenant's definitions cannot give.
pub(crate) fn body(ctx: &Context<'_>, object: DesiredRef, live: Option<&LiveObject>) -> Result<Body, Error> {
    let state = ctx.state;
    Ok(match object {
        DesiredRef::Group(id) => group::body(state.group(id)),
        DesiredRef::Profile(id) => profile::body(state.profile(id)),
        DesiredRef::Esp(id) => enrollment_status_page::body(state.esp(id)),
        DesiredRef::DomainJoin(id) => domain_join::body(state.domain_join(id)),
        DesiredRef::Restriction(id) => restriction::body(state.restriction(id)),
        DesiredRef::Dpp(id) => device_preparation::body(ctx, state.dpp(id), live)?,
    })
}

/// Fields Graph takes only on create: a difference in one of them makes a replace.
pub fn create_only(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::DeploymentProfile => &[
            "@odata.type",
            "deviceType",
            "hybridAzureADJoinSkipConnectivityCheck",
        ],
        Kind::EnrollmentRestriction => &["@odata.type", "platformType"],
        Kind::DevicePreparationPolicy => &["templateReference.templateId"],
        _ => &[],
    }
}

/// The body of an update: the create body without create-only fields.
pub(crate) fn write_body(kind: Kind, body: &Body) -> Body {
    let mut out = body.clone();
    for field in create_only(kind) {
        if *field != "@odata.type" && !field.contains('.') {
            out.value.remove(*field);
        }
    }
    out
}

/// How a kind's assignments are written.
pub fn assignment_api(kind: Kind) -> Option<AssignmentApi> {
    match kind {
        Kind::DeploymentProfile => Some(AssignmentApi::OneByOne),
        Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
            Some(AssignmentApi::EnrollmentConfigurationAssign)
        }
        Kind::DomainJoinProfile | Kind::DevicePreparationPolicy => Some(AssignmentApi::Assign),
        Kind::DeviceGroup | Kind::AutopilotDevice => None,
    }
}

/// The desired assignment targets of an object, includes then excludes.
pub(crate) fn targets(ctx: &Context<'_>, assign: &Assignments) -> Vec<AssignmentTarget> {
    let mut out: Vec<AssignmentTarget> = assign
        .include
        .iter()
        .map(|target| match target.value {
            Target::Group(group) => AssignmentTarget::Group {
                group: ctx.groups[group.index()].clone(),
            },
            Target::AllDevices => AssignmentTarget::AllDevices,
            Target::AllUsers => AssignmentTarget::AllUsers,
        })
        .collect();
    out.extend(assign.exclude.iter().map(|group| AssignmentTarget::ExcludeGroup {
        group: ctx.groups[group.value.index()].clone(),
    }));
    out
}

/// The desired assignments of any object (Device Preparation: its user groups).
pub(crate) fn object_targets(ctx: &Context<'_>, object: DesiredRef) -> Option<Vec<AssignmentTarget>> {
    let state = ctx.state;
    match object {
        DesiredRef::Group(_) => None,
        DesiredRef::Profile(id) => Some(targets(ctx, &state.profile(id).assign)),
        DesiredRef::Esp(id) => Some(targets(ctx, &state.esp(id).assign)),
        DesiredRef::DomainJoin(id) => Some(targets(ctx, &state.domain_join(id).assign)),
        DesiredRef::Restriction(id) => Some(targets(ctx, &state.restriction(id).assign)),
        DesiredRef::Dpp(id) => Some(
            state
                .dpp(id)
                .user_groups
                .iter()
                .map(|group| AssignmentTarget::Group {
                    group: ctx.groups[group.value.index()].clone(),
                })
                .collect(),
        ),
    }
}

/// A marker that never equals a live id: how a group the plan creates appears in comparisons.
pub(crate) fn new_group_marker(group: &GroupRef) -> String {
    format!("(new group) {}", group.name)
}

/// A group's id for comparison: its live id, or the new-group marker.
pub(crate) fn comparable_group_id(group: &GroupRef) -> String {
    group.id.clone().unwrap_or_else(|| new_group_marker(group))
}

/// Assignment targets as Graph assignment objects, for comparison with live assignments.
pub(crate) fn comparable_assignments(targets: &[AssignmentTarget]) -> Value {
    Value::Array(
        targets
            .iter()
            .filter_map(|target| target.to_graph(|group| Some(comparable_group_id(group))))
            .map(|target| json!({ "target": target }))
            .collect(),
    )
}

/// Common fields of Intune objects: `displayName`, `description`, `roleScopeTagIds`.
fn intune_common(body: &mut Map<String, Value>, meta: &hangar_config::Meta, builtin: bool) {
    if !builtin {
        body.insert("displayName".into(), json!(meta.name.value));
    }
    if !builtin || meta.description.is_some() {
        body.insert(
            "description".into(),
            json!(meta.description.as_ref().map_or("", |d| d.value.as_str())),
        );
    }
    body.insert("roleScopeTagIds".into(), scope_tags(meta));
}

/// `roleScopeTagIds`: as written, `["0"]` (Default) when none.
fn scope_tags(meta: &hangar_config::Meta) -> Value {
    if meta.scope_tags.is_empty() {
        json!(["0"])
    } else {
        Value::Array(meta.scope_tags.iter().map(|tag| json!(tag.value)).collect())
    }
}

#[cfg(test)]
mod tests;
