//! Desired → Graph: the exact body hangar sends for each desired object, following
//! `graph-api-notes.md` to the letter, one module per kind.
//!
//! Every field that is a plain Graph property is written by `write_fields` from its row in
//! `hangar_config::fields` (path, codec, what an empty value is sent as); a kind's module writes
//! only what its rows mark [`Codec::Special`] (a profile's hybrid-only fields, the locale
//! alias, Device Preparation settings, group membership).
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

use hangar_config::fields::{Codec, Default as FieldDefault, Field};
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
    /// The tenant's assignment filters, by which `filter:` names resolve (checked before
    /// projection: [`crate::filters::check`]).
    pub live: &'a hangar_model::LiveState,
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
    let mut body = match object {
        DesiredRef::Group(id) => group::body(state.group(id)),
        DesiredRef::Profile(id) => profile::body(state, state.profile(id)),
        DesiredRef::Esp(id) => enrollment_status_page::body(state, state.esp(id)),
        DesiredRef::DomainJoin(id) => domain_join::body(state, state.domain_join(id)),
        DesiredRef::Restriction(id) => restriction::body(state, state.restriction(id)),
        DesiredRef::Dpp(id) => device_preparation::body(ctx, state.dpp(id), live)?,
    };
    // Names become the tenant's ids here, once, for every kind (checked before projection:
    // `crate::references::check`).
    if body.value.contains_key("roleScopeTagIds")
        && let Some(tags) = object_meta(state, object).and_then(|meta| meta.scope_tags.as_ref())
    {
        let ids = crate::references::scope_tag_ids(ctx.live, tags);
        body.value.insert("roleScopeTagIds".into(), ids);
    }
    if let DesiredRef::Esp(id) = object
        && body.value.contains_key("selectedMobileAppIds")
    {
        let apps: Vec<Value> = state
            .esp(id)
            .blocking_apps
            .iter()
            .map(|app| {
                json!(crate::references::id(
                    ctx.live,
                    hangar_model::ReferenceKind::App,
                    &app.value
                ))
            })
            .collect();
        body.value
            .insert("selectedMobileAppIds".into(), Value::Array(apps));
    }
    Ok(body)
}

/// The common fields of a desired object.
fn object_meta(state: &DesiredState, object: DesiredRef) -> Option<&hangar_config::Meta> {
    Some(match object {
        DesiredRef::Group(id) => &state.group(id).meta,
        DesiredRef::Profile(id) => &state.profile(id).meta,
        DesiredRef::Esp(id) => &state.esp(id).meta,
        DesiredRef::DomainJoin(id) => &state.domain_join(id).meta,
        DesiredRef::Restriction(id) => &state.restriction(id).meta,
        DesiredRef::Dpp(id) => &state.dpp(id).meta,
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
        // Never compared (normalisation `group.mail-nickname`); never PATCHed either, so a
        // nickname set in the portal stays.
        Kind::DeviceGroup => &["mailNickname"],
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
        .map(|target| {
            let filter = assign
                .filter_of(target.value)
                .map(|filter| crate::filters::resolve(ctx.live, filter));
            match target.value {
                Target::Group(group) => AssignmentTarget::Group {
                    group: ctx.groups[group.index()].clone(),
                    filter,
                },
                Target::AllDevices => AssignmentTarget::AllDevices { filter },
                Target::AllUsers => AssignmentTarget::AllUsers { filter },
            }
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
                    filter: None,
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

/// Writes every field of `fields` that is a Graph property with a generic codec: the YAML
/// value through the codec; an absent optional value as the row's empty Graph value; a field
/// that is not managed, not at all.
pub(crate) fn write_fields<T>(
    fields: &[Field<T>],
    object: &T,
    state: &DesiredState,
    body: &mut Map<String, Value>,
) {
    for field in fields {
        let (Some((path, codec)), Some(get)) = (field.info.property(), field.get) else {
            continue;
        };
        if codec == Codec::Special {
            continue;
        }
        let Some(value) = get(object, state) else {
            continue;
        };
        let graph = if value.value.is_null() {
            match field.info.default {
                FieldDefault::Empty { graph, .. } => serde_json::from_str(graph).unwrap_or(Value::Null),
                _ => continue,
            }
        } else {
            match codec.to_graph(&value.value) {
                Some(graph) => graph,
                None => continue,
            }
        };
        set_path(body, path, graph);
    }
}

/// Sets `value` at a `/`-separated path, creating the objects on the way.
pub(crate) fn set_path(body: &mut Map<String, Value>, path: &str, value: Value) {
    let mut segments = path.split('/').peekable();
    let mut map = body;
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            map.insert(segment.to_owned(), value);
            return;
        }
        let entry = map
            .entry(segment.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(inner) = entry else { return };
        map = inner;
    }
}

/// Common fields of Intune objects: `displayName` (not for a built-in, which keeps its own),
/// and `description` and `roleScopeTagIds` only when Git gives them: omitted, they are not
/// managed, and a description or scope tags set in the admin center stay.
fn intune_common(body: &mut Map<String, Value>, meta: &hangar_config::Meta, builtin: bool) {
    if !builtin {
        body.insert("displayName".into(), json!(meta.name.value));
    }
    if let Some(description) = &meta.description {
        body.insert("description".into(), json!(description.value));
    }
    if let Some(tags) = scope_tags(meta) {
        body.insert("roleScopeTagIds".into(), tags);
    }
}

/// `roleScopeTagIds` as written; `None` when Git does not manage them.
fn scope_tags(meta: &hangar_config::Meta) -> Option<Value> {
    let tags = meta.scope_tags.as_ref()?;
    Some(Value::Array(tags.iter().map(|tag| json!(tag.value)).collect()))
}

#[cfg(test)]
mod tests;
