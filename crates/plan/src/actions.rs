//! From matched pairs to actions: create, update, replace, assignments, owners, device group,
//! and pruning's unassign-then-delete.
//!
//! Actions are drafted here with symbolic dependencies ([`Key`]s); [`crate::order`] turns
//! them into a numbered, topologically ordered list.

use std::collections::{BTreeSet, HashMap};

use hangar_config::{DesiredState, Owner};
use hangar_model::{Kind, LiveObject, LiveState, LiveTarget};
use serde_json::{Value, json};

use crate::FilterRef;
use crate::error::Error;
use crate::matching::{DesiredRef, Matching};
use crate::normalize;
use crate::plan::{
    Address, Assignment, AssignmentChange, AssignmentTarget, Body, Change, GroupRef, MembershipChange, Op,
    OwnerRef, Reason,
};
use crate::preserve;
use crate::project::{self, Context};
use crate::prune::Pruning;

/// Which step of a resource an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Step {
    /// Create, update or replace.
    Object,
    /// Owners.
    Owners,
    /// Device Preparation device group.
    DeviceGroup,
    /// Assignments.
    Assign,
    /// Priority.
    Priority,
    /// Assignments removed before a delete.
    Unassign,
    /// Delete.
    Delete,
    /// A device registration.
    Device,
}

/// Identifies a drafted action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    pub address: Address,
    pub step: Step,
}

impl Key {
    pub fn new(address: &Address, step: Step) -> Key {
        Key {
            address: address.clone(),
            step,
        }
    }
}

/// An action before ordering.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub key: Key,
    pub live_id: Option<String>,
    pub destructive: bool,
    pub reason: Reason,
    pub op: Op,
    /// Keys that must run first (ignored when no such action exists).
    pub after: Vec<Key>,
    /// Live group ids this action stops referencing (a group delete waits for it).
    pub releases: Vec<String>,
}

impl Draft {
    fn new(address: &Address, step: Step, live_id: Option<&str>, reason: Reason, op: Op) -> Draft {
        Draft {
            key: Key::new(address, step),
            live_id: live_id.map(str::to_owned),
            destructive: matches!(op, Op::Replace { .. } | Op::Delete | Op::DeleteDevice { .. }),
            reason,
            op,
            after: Vec::new(),
            releases: Vec::new(),
        }
    }
}

/// Names of live groups (and assignment filters) by lower-case id, for showing live
/// assignment targets.
pub(crate) struct GroupNames<'a>(HashMap<String, &'a str>, &'a LiveState);

impl<'a> GroupNames<'a> {
    pub fn new(live: &'a LiveState) -> GroupNames<'a> {
        GroupNames(
            live.objects_of(Kind::DeviceGroup)
                .map(|g| (g.id.to_lowercase(), g.display_name.as_str()))
                .collect(),
            live,
        )
    }

    /// A live filter as the plan shows it: named when the tenant's filters were read and hold
    /// its id, otherwise by id.
    pub fn filter(&self, filter: &hangar_model::LiveFilter) -> FilterRef {
        FilterRef {
            name: self
                .1
                .filter_by_id(&filter.id)
                .map_or_else(|| filter.id.clone(), |f| f.display_name.clone()),
            id: filter.id.clone(),
            mode: filter.mode,
        }
    }

    fn group(&self, id: &str) -> GroupRef {
        let name = self
            .0
            .get(&id.to_lowercase())
            .map_or_else(|| id.to_owned(), |name| (*name).to_owned());
        GroupRef {
            name,
            id: Some(id.to_owned()),
        }
    }
}

/// Drafts the actions of every matched pair.
pub(crate) fn plan_objects(
    ctx: &Context<'_>,
    live: &LiveState,
    matching: &Matching<'_>,
    names: &GroupNames<'_>,
    drafts: &mut Vec<Draft>,
    errors: &mut Vec<Error>,
) {
    for &(object, found) in &matching.pairs {
        // An external group is only a name to resolve: never created, changed or owned.
        if let DesiredRef::Group(id) = object
            && ctx.state.group(id).is_external()
        {
            continue;
        }
        let result = match found {
            None => plan_create(ctx, live, object, drafts),
            Some(found) => plan_existing(ctx, live, object, found, names, drafts),
        };
        if let Err(error) = result {
            errors.push(error);
        }
    }
}

fn address(ctx: &Context<'_>, object: DesiredRef) -> Address {
    Address::new(object.kind(), object.meta(ctx.state).name.value.clone())
}

fn plan_create(
    ctx: &Context<'_>,
    live: &LiveState,
    object: DesiredRef,
    drafts: &mut Vec<Draft>,
) -> Result<(), Error> {
    let address = address(ctx, object);
    let body = project::body(ctx, object, None)?;
    let mut create = Draft::new(
        &address,
        Step::Object,
        None,
        Reason::NotInTenant,
        Op::Create {
            body,
            fields: crate::terms::create_fields(ctx.state, object),
        },
    );
    add_group_dependencies(&mut create);
    drafts.push(create);
    follow_new_object(ctx, live, object, &address, drafts);
    Ok(())
}

/// Assignments, owners and device group of an object that does not exist yet (created or
/// replaced): everything desired is added, after the object.
fn follow_new_object(
    ctx: &Context<'_>,
    live: &LiveState,
    object: DesiredRef,
    address: &Address,
    drafts: &mut Vec<Draft>,
) {
    let object_key = Key::new(address, Step::Object);
    if let (Some(targets), Some(api)) = (
        project::object_targets(ctx, object),
        project::assignment_api(object.kind()),
    ) && !targets.is_empty()
        && !object.builtin(ctx.state)
    {
        let change = AssignmentChange {
            api,
            before: Vec::new(),
            after: targets.clone(),
            add: targets,
            remove: Vec::new(),
            fields: crate::terms::assign_fields(ctx.state, object),
        };
        let mut draft = Draft::new(address, Step::Assign, None, Reason::NewObject, Op::Assign(change));
        draft.after.push(object_key.clone());
        add_group_dependencies(&mut draft);
        drafts.push(draft);
    }
    if let DesiredRef::Group(id) = object {
        let owners = desired_owners(ctx.state, id, live);
        if !owners.is_empty() {
            let mut draft = Draft::new(
                address,
                Step::Owners,
                None,
                Reason::NewObject,
                Op::AddOwners { add: owners },
            );
            draft.after.push(object_key.clone());
            drafts.push(draft);
        }
    }
    if let DesiredRef::Dpp(id) = object
        && let Some(group) = &ctx.state.dpp(id).device_group
    {
        let group = ctx.groups[group.value.index()].clone();
        let op = Op::SetDeviceGroup {
            before: Vec::new(),
            after: Some(group),
        };
        let mut draft = Draft::new(address, Step::DeviceGroup, None, Reason::NewObject, op);
        draft.after.push(object_key);
        add_group_dependencies(&mut draft);
        drafts.push(draft);
    }
}

fn desired_owners(state: &DesiredState, group: hangar_config::GroupId, live: &LiveState) -> Vec<OwnerRef> {
    state
        .group(group)
        .owners
        .iter()
        .map(|owner| match &owner.value {
            Owner::IntuneProvisioningClient => OwnerRef::IntuneProvisioningClient {
                object_id: live.provisioning_client_id.clone(),
            },
            Owner::ObjectId(id) => OwnerRef::Object {
                object_id: id.clone(),
            },
        })
        .collect()
}

fn owner_id(owner: &OwnerRef) -> String {
    match owner {
        OwnerRef::IntuneProvisioningClient { object_id: Some(id) } | OwnerRef::Object { object_id: id } => {
            id.to_lowercase()
        }
        OwnerRef::IntuneProvisioningClient { object_id: None } => {
            "(missing) intune provisioning client".to_owned()
        }
    }
}

/// The reserved keys of comparable objects (see [`crate::normalize`]).
const ASSIGNMENTS: &str = "assignments";
const OWNERS: &str = "owners";
const DEVICE_GROUP: &str = "deviceGroup";

fn plan_existing(
    ctx: &Context<'_>,
    live: &LiveState,
    object: DesiredRef,
    found: &LiveObject,
    names: &GroupNames<'_>,
    drafts: &mut Vec<Draft>,
) -> Result<(), Error> {
    let kind = object.kind();
    let address = address(ctx, object);
    let builtin = object.builtin(ctx.state);
    let not_read = |what| Error::PartNotRead {
        kind,
        name: address.name.clone(),
        what,
    };
    let body = project::body(ctx, object, Some(found))?;

    let mut desired = body.value.clone();
    let mut current = found.properties.clone();
    if let Some(odata_type) = &found.odata_type {
        current.entry("@odata.type").or_insert_with(|| json!(odata_type));
    }
    if kind == Kind::DevicePreparationPolicy {
        let settings = found.settings.as_ref().ok_or_else(|| not_read("settings"))?;
        current.insert("settings".into(), Value::Array(settings.clone()));
        current.entry("name").or_insert_with(|| json!(found.display_name));
    }
    let targets = if builtin {
        None
    } else {
        project::object_targets(ctx, object)
    };
    if let Some(targets) = &targets {
        let assignments = found
            .assignments
            .as_ref()
            .ok_or_else(|| not_read("assignments"))?;
        desired.insert(ASSIGNMENTS.into(), project::comparable_assignments(targets));
        current.insert(
            ASSIGNMENTS.into(),
            Value::Array(assignments.iter().map(|a| a.raw.clone()).collect()),
        );
    }
    let owners = match object {
        DesiredRef::Group(id) => desired_owners(ctx.state, id, live),
        _ => Vec::new(),
    };
    if !owners.is_empty() {
        let live_owners = found.owners.as_ref().ok_or_else(|| not_read("owners"))?;
        desired.insert(
            OWNERS.into(),
            json!(owners.iter().map(owner_id).collect::<Vec<_>>()),
        );
        current.insert(OWNERS.into(), json!(live_owners));
    }
    let device_group = match object {
        DesiredRef::Dpp(id) => Some(
            ctx.state
                .dpp(id)
                .device_group
                .as_ref()
                .map(|g| ctx.groups[g.value.index()].clone()),
        ),
        _ => None,
    };
    if let Some(device_group) = &device_group {
        let targets = found
            .device_membership_targets
            .as_ref()
            .ok_or_else(|| not_read("device group"))?;
        let wanted: Vec<String> = device_group.iter().map(project::comparable_group_id).collect();
        desired.insert(DEVICE_GROUP.into(), json!(wanted));
        current.insert(DEVICE_GROUP.into(), json!(targets));
    }

    normalize::normalize(kind, &mut desired, &mut current);
    // Scope tag, app and script ids are compared as ids and shown with the tenant's names.
    crate::references::label(ctx.live, &mut desired);
    crate::references::label(ctx.live, &mut current);
    let template = match object {
        DesiredRef::Dpp(id) => {
            // Choice values are compared as item ids and shown with the tenant's option names.
            let template = project::device_preparation::template(ctx, ctx.state.dpp(id), Some(found))?;
            project::device_preparation::label_choices(&template, &mut desired);
            project::device_preparation::label_choices(&template, &mut current);
            Some(template)
        }
        _ => None,
    };
    let mut changes = crate::diff::compare(&desired, &current);
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let top = |change: &Change| change.path.split('.').next().unwrap_or_default().to_owned();
    let (special, mut fields): (Vec<Change>, Vec<Change>) = changes
        .into_iter()
        .partition(|change| [ASSIGNMENTS, OWNERS, DEVICE_GROUP].contains(&top(change).as_str()));
    let create_only = project::create_only(kind);
    for change in &mut fields {
        change.create_only = create_only.iter().any(|field| change.path == *field);
    }
    let catalog = match object {
        DesiredRef::Dpp(_) => ctx.device_preparation().ok(),
        _ => None,
    };
    let group_name = |id: &str| names.group(id).name;
    let dpp = crate::terms::Dpp {
        template: template.as_ref(),
        catalog: catalog.as_ref(),
        group_name: &group_name,
    };
    crate::terms::annotate(ctx.state, object, dpp, &found.properties, &mut fields);
    let live_assignments = live_direct_assignments(found, names);
    let replaced = fields.iter().any(|change| change.create_only);

    if replaced {
        if builtin {
            let field = fields
                .iter()
                .find(|c| c.create_only)
                .map(|c| c.path.clone())
                .unwrap_or_default();
            return Err(Error::BuiltinReplace {
                kind,
                name: address.name.clone(),
                field,
            });
        }
        let op = Op::Replace {
            changes: fields,
            lost: preserve::lost(kind, &body, found),
            body: body.clone(),
            live_assignments: live_assignments.iter().map(|a| a.assignment.clone()).collect(),
        };
        let mut draft = Draft::new(
            &address,
            Step::Object,
            Some(&found.id),
            Reason::CreateOnlyField,
            op,
        );
        draft.releases = referenced_live_groups(found);
        add_group_dependencies(&mut draft);
        drafts.push(draft);
        follow_new_object(ctx, live, object, &address, drafts);
        return Ok(());
    }
    if !fields.is_empty() {
        let membership = match object {
            DesiredRef::Group(id) if ctx.state.group(id).is_dynamic() != found.is_dynamic_group() => {
                Some(MembershipChange {
                    to_dynamic: ctx.state.group(id).is_dynamic(),
                    members: found.member_count,
                })
            }
            _ => None,
        };
        let destructive = membership.is_some();
        let op = Op::Update {
            changes: fields,
            body: preserve::update_body(kind, &body, found),
            membership,
        };
        let renamed = object
            .meta(ctx.state)
            .renamed_from
            .as_ref()
            .is_some_and(|old| old.value == found.display_name);
        let reason = if renamed { Reason::Renamed } else { Reason::Drift };
        let mut draft = Draft::new(&address, Step::Object, Some(&found.id), reason, op);
        draft.destructive |= destructive;
        draft.releases = released_by_settings(found, &body);
        add_group_dependencies(&mut draft);
        drafts.push(draft);
    }
    let differs = |key: &str| special.iter().any(|change| top(change) == key);
    if differs(ASSIGNMENTS)
        && let (Some(targets), Some(api)) = (targets, project::assignment_api(kind))
    {
        let mut change = assignment_change(api, live_assignments, targets);
        change.fields = crate::terms::assign_fields(ctx.state, object);
        let mut draft = Draft::new(
            &address,
            Step::Assign,
            Some(&found.id),
            Reason::Drift,
            Op::Assign(change),
        );
        draft.releases = release_ids(&draft.op);
        add_group_dependencies(&mut draft);
        drafts.push(draft);
    }
    if differs(OWNERS) {
        let have: BTreeSet<String> = found
            .owners
            .iter()
            .flatten()
            .map(|id| id.to_lowercase())
            .collect();
        let add: Vec<OwnerRef> = owners
            .into_iter()
            .filter(|owner| !have.contains(&owner_id(owner)))
            .collect();
        if !add.is_empty() {
            drafts.push(Draft::new(
                &address,
                Step::Owners,
                Some(&found.id),
                Reason::Drift,
                Op::AddOwners { add },
            ));
        }
    }
    if differs(DEVICE_GROUP)
        && let Some(after) = device_group
    {
        let before = found.device_membership_targets.clone().unwrap_or_default();
        let mut draft = Draft::new(
            &address,
            Step::DeviceGroup,
            Some(&found.id),
            Reason::Drift,
            Op::SetDeviceGroup {
                before: before.clone(),
                after,
            },
        );
        draft.releases = before;
        add_group_dependencies(&mut draft);
        drafts.push(draft);
    }
    Ok(())
}

/// Adds, removes and the full list, comparing targets by type, group id and filter.
fn assignment_change(
    api: crate::plan::AssignmentApi,
    before: Vec<LiveAssignmentRef>,
    after: Vec<AssignmentTarget>,
) -> AssignmentChange {
    // Same target and same filter (id and mode) is the same assignment; a changed filter is a
    // remove and an add, which the plan shows with both filters named.
    let key = |target: &AssignmentTarget| -> String {
        let base = match target {
            AssignmentTarget::Group { group, .. } => {
                format!("g:{}", project::comparable_group_id(group).to_lowercase())
            }
            AssignmentTarget::ExcludeGroup { group } => {
                format!("x:{}", project::comparable_group_id(group).to_lowercase())
            }
            AssignmentTarget::AllDevices { .. } => "all-devices".to_owned(),
            AssignmentTarget::AllUsers { .. } => "all-users".to_owned(),
            AssignmentTarget::Other {
                odata_type, group_id, ..
            } => {
                format!(
                    "o:{odata_type}:{}",
                    group_id.as_deref().unwrap_or_default().to_lowercase()
                )
            }
        };
        match target.filter() {
            Some(filter) => format!("{base}|{}:{}", filter.id.to_lowercase(), filter.mode),
            None => base,
        }
    };
    let have: BTreeSet<String> = before.iter().map(|a| key(&a.assignment.target)).collect();
    let want: BTreeSet<String> = after.iter().map(key).collect();
    let add = after
        .iter()
        .filter(|target| !have.contains(&key(target)))
        .cloned()
        .collect();
    // Targets hangar does not write are the portal's: never removed, and kept in the list a
    // replace-all `assign` sends.
    let unmanaged = |a: &LiveAssignmentRef| matches!(a.assignment.target, AssignmentTarget::Other { .. });
    let remove: Vec<Assignment> = before
        .iter()
        .filter(|a| !unmanaged(a) && !want.contains(&key(&a.assignment.target)))
        .map(|a| a.assignment.clone())
        .collect();
    let mut after = after;
    after.extend(
        before
            .iter()
            .filter(|a| unmanaged(a))
            .map(|a| a.assignment.target.clone()),
    );
    AssignmentChange {
        api,
        before: before.into_iter().map(|a| a.assignment).collect(),
        after,
        add,
        remove,
        fields: Vec::new(),
    }
}

/// A live assignment as the plan shows it (its filter, if any, is part of the target).
#[derive(Debug, Clone)]
pub(crate) struct LiveAssignmentRef {
    pub assignment: Assignment,
}

/// The plan's view of a live target, with group and filter names from the tenant.
pub(crate) fn plan_target(
    target: &LiveTarget,
    filter: Option<&hangar_model::LiveFilter>,
    names: &GroupNames<'_>,
) -> AssignmentTarget {
    let filter = filter.map(|filter| names.filter(filter));
    match target {
        LiveTarget::Group { group_id } => AssignmentTarget::Group {
            group: names.group(group_id),
            filter,
        },
        LiveTarget::ExcludeGroup { group_id } => AssignmentTarget::ExcludeGroup {
            group: names.group(group_id),
        },
        LiveTarget::AllDevices => AssignmentTarget::AllDevices { filter },
        LiveTarget::AllUsers => AssignmentTarget::AllUsers { filter },
        LiveTarget::Other { odata_type, group_id } => AssignmentTarget::Other {
            odata_type: odata_type.clone(),
            group_id: group_id.clone(),
            target: None,
        },
    }
}

fn live_direct_assignments(found: &LiveObject, names: &GroupNames<'_>) -> Vec<LiveAssignmentRef> {
    found
        .direct_assignments()
        .map(|a| {
            let mut target = plan_target(&a.target, a.filter.as_ref(), names);
            if let AssignmentTarget::Other { target: raw, .. } = &mut target {
                *raw = a.raw.get("target").map(Value::to_string);
            }
            LiveAssignmentRef {
                assignment: Assignment {
                    id: a.id.clone(),
                    target,
                },
            }
        })
        .collect()
}

fn release_ids(op: &Op) -> Vec<String> {
    match op {
        Op::Assign(change) => change
            .remove
            .iter()
            .filter_map(|a| a.target.group().and_then(|g| g.id.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every live group id an object references (assignments, device group, settings).
pub(crate) fn referenced_live_groups(found: &LiveObject) -> Vec<String> {
    let mut ids: Vec<String> = found
        .assignments
        .iter()
        .flatten()
        .filter_map(|a| a.target.group_id().map(str::to_owned))
        .collect();
    ids.extend(found.device_membership_targets.iter().flatten().cloned());
    ids.extend(settings_group_ids(found));
    ids
}

fn settings_group_ids(found: &LiveObject) -> Vec<String> {
    let definition = hangar_model::well_known::device_preparation::DEVICE_SECURITY_GROUP.definition_id;
    found
        .settings
        .iter()
        .flatten()
        .filter(|s| {
            s.pointer("/settingInstance/settingDefinitionId")
                .and_then(Value::as_str)
                == Some(definition)
        })
        .filter_map(|s| {
            s.pointer("/settingInstance/simpleSettingValue/value")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// Group ids in the live settings that the new body no longer names.
fn released_by_settings(found: &LiveObject, body: &Body) -> Vec<String> {
    settings_group_ids(found)
        .into_iter()
        .filter(|id| {
            !body.group_slots.iter().any(|slot| {
                slot.group
                    .id
                    .as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(id))
            })
        })
        .collect()
}

/// A draft depends on the creation of every group it references.
fn add_group_dependencies(draft: &mut Draft) {
    let groups: Vec<String> = match &draft.op {
        Op::Create { body, .. } | Op::Update { body, .. } | Op::Replace { body, .. } => body
            .group_slots
            .iter()
            .map(|slot| slot.group.name.clone())
            .collect(),
        Op::Assign(change) => change
            .add
            .iter()
            .filter_map(AssignmentTarget::group)
            .map(|g| g.name.clone())
            .collect(),
        Op::SetDeviceGroup {
            after: Some(group), ..
        } => vec![group.name.clone()],
        _ => Vec::new(),
    };
    for name in groups {
        let group = Address::new(Kind::DeviceGroup, name);
        draft.after.push(Key::new(&group, Step::Object));
        if draft.key.step == Step::DeviceGroup {
            // The Intune Provisioning Client must own the group before the binding validates.
            draft.after.push(Key::new(&group, Step::Owners));
        }
    }
}

/// Drafts unassign-then-delete for every live object pruning removes; returns how many.
pub(crate) fn plan_prune(
    matching: &Matching<'_>,
    pruning: &Pruning,
    names: &GroupNames<'_>,
    drafts: &mut Vec<Draft>,
) -> Vec<Address> {
    let mut deleted = Vec::new();
    for object in &matching.unmatched {
        if !pruning.allows(object.kind, &object.display_name) {
            continue;
        }
        let address = Address::new(object.kind, object.display_name.clone());
        // Two live objects can share a name; their keys must not collide.
        let address = if deleted.contains(&address) {
            Address::new(object.kind, format!("{} ({})", object.display_name, object.id))
        } else {
            address
        };
        let assignments = live_direct_assignments(object, names);
        let mut delete = Draft::new(
            &address,
            Step::Delete,
            Some(&object.id),
            Reason::Pruned,
            Op::Delete,
        );
        if let Some(api) = project::assignment_api(object.kind)
            && !assignments.is_empty()
        {
            let change = AssignmentChange {
                api,
                before: assignments.iter().map(|a| a.assignment.clone()).collect(),
                after: Vec::new(),
                add: Vec::new(),
                remove: assignments.iter().map(|a| a.assignment.clone()).collect(),
                fields: Vec::new(),
            };
            let mut unassign = Draft::new(
                &address,
                Step::Unassign,
                Some(&object.id),
                Reason::UnassignBeforeDelete,
                Op::Assign(change),
            );
            unassign.releases = release_ids(&unassign.op);
            drafts.push(unassign);
            delete.after.push(Key::new(&address, Step::Unassign));
        }
        delete.releases = referenced_live_groups(object);
        drafts.push(delete);
        deleted.push(address);
    }
    deleted
}
