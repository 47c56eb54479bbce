//! Helpers shared by the Intune routes (rendering, types, create and PATCH, assignments and
//! their targets, `$filter` refusals, group visibility), and the `deviceConfigurations` routes
//! (domain join profiles).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Ctx, no_route, with_id};
use crate::clock::intune_timestamp;
use crate::odata::{Clause, Method, matches};
use crate::paging::{Family, collection, select, take_page};
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::schema::{
    ApiVersion, Style, Write, derives_from, normalise_complex, render, short_type, type_def, type_exists,
    validate_write,
};
use crate::state::{ALL_DEVICES_VIRTUAL_GROUP, ALL_USERS_VIRTUAL_GROUP, Assignment, IntuneObject, SimState};

const SERVICE: IntuneService = IntuneService::DeviceConfiguration;

/// A business-rule failure in Intune's JSON-inside-message shape.
pub(crate) fn intune_bad(service: IntuneService, message: impl Into<String>) -> GraphError {
    GraphError::intune(400, "BadRequest", service, message)
}

/// Renders an Intune object: `@odata.type`, `id`, then every property of its type.
pub(crate) fn render_object(object: &IntuneObject, version: ApiVersion) -> Map<String, Value> {
    let mut out = with_id(&object.id, Some(&object.odata_type));
    render(&object.odata_type, &object.properties, version, &mut out);
    out
}

/// Renders one assignment of an Intune object.
pub(crate) fn render_assignment(
    assignment: &Assignment,
    type_name: &str,
    version: ApiVersion,
) -> Map<String, Value> {
    let mut out = with_id(&assignment.id, Some(type_name));
    let mut stored = Map::new();
    stored.insert("target".into(), assignment.target.clone());
    render(type_name, &stored, version, &mut out);
    out
}

/// The `@odata.type` of a create body: it must name `base` or a type derived from it that
/// exists in this version, and must not be abstract.
pub(crate) fn resolve_type(
    body: &Map<String, Value>,
    base: &str,
    default: Option<&str>,
    version: ApiVersion,
) -> Result<String, GraphError> {
    let name = match body.get("@odata.type") {
        Some(Value::String(t)) => short_type(t).to_owned(),
        Some(_) => {
            return Err(GraphError::model_validation("'@odata.type' must be a string."));
        }
        None => match default {
            Some(default) => default.to_owned(),
            None => {
                return Err(GraphError::model_validation(format!(
                    "Cannot create an abstract class. Send '@odata.type' with a type derived from 'microsoft.graph.{base}'."
                )));
            }
        },
    };
    if !type_exists(&name, version) || !derives_from(&name, base) {
        return Err(GraphError::model_validation(format!(
            "A type named 'microsoft.graph.{name}' could not be resolved by the model, or it does not derive from 'microsoft.graph.{base}'."
        )));
    }
    if type_def(&name).is_some_and(|def| def.is_abstract) {
        return Err(GraphError::model_validation("Cannot create an abstract class."));
    }
    Ok(name)
}

/// Checks a PATCH/PUT body's `@odata.type` against the stored object's.
pub(crate) fn check_same_type(body: &Map<String, Value>, stored: &str) -> Result<(), GraphError> {
    match body.get("@odata.type").and_then(Value::as_str) {
        Some(t) if short_type(t) != stored => Err(GraphError::model_validation(format!(
            "The '@odata.type' '{t}' does not match the object's type 'microsoft.graph.{stored}'."
        ))),
        _ => Ok(()),
    }
}

/// Whether Intune can see a group (it exists and has replicated).
pub(crate) fn group_visible(ctx: &Ctx<'_>, id: &str) -> bool {
    ctx.state
        .groups
        .get(id)
        .is_some_and(|g| g.intune_visible_at_ms <= ctx.now)
}

/// Validates an assignment target (`@odata.type` among `allowed`, group visible to Intune) and
/// returns it normalised plus the assignment id suffix (group id or virtual group).
pub(crate) fn check_target(
    ctx: &Ctx<'_>,
    target: Option<&Value>,
    allowed: &[&str],
    service: IntuneService,
) -> Result<(Value, String), GraphError> {
    let target = target
        .and_then(Value::as_object)
        .ok_or_else(|| GraphError::model_validation("An assignment needs a 'target' object."))?;
    let normalised = normalise_complex(
        "deviceAndAppManagementAssignmentTarget",
        target,
        ctx.version(),
        Style::Intune,
    )?;
    let type_name = normalised
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(short_type)
        .unwrap_or("")
        .to_owned();
    if !allowed.contains(&type_name.as_str()) {
        return Err(intune_bad(
            service,
            format!(
                "Assignment target type '{type_name}' is not supported here; use one of: {}.",
                allowed.join(", ")
            ),
        ));
    }
    // Intune refuses a filter id that names no filter of the tenant.
    if let Some(filter) = normalised
        .get("deviceAndAppManagementAssignmentFilterId")
        .and_then(Value::as_str)
        && !super::assignment_filters::filter_exists(ctx, filter)
    {
        return Err(intune_bad(
            service,
            format!("Assignment filter '{filter}' was not found."),
        ));
    }
    let suffix = match type_name.as_str() {
        "allDevicesAssignmentTarget" => ALL_DEVICES_VIRTUAL_GROUP.to_owned(),
        "allLicensedUsersAssignmentTarget" => ALL_USERS_VIRTUAL_GROUP.to_owned(),
        _ => {
            let group = normalised
                .get("groupId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if !group_visible(ctx, &group) {
                return Err(intune_bad(
                    service,
                    format!(
                        "Group '{group}' was not found. A group created moments ago may not have replicated to Intune yet; retry later."
                    ),
                ));
            }
            group
        }
    };
    Ok((Value::Object(normalised), suffix))
}

/// Checks `$expand` against what the collection supports.
pub(crate) fn expansions(ctx: &Ctx<'_>, supported: &[&str]) -> Result<Vec<String>, GraphError> {
    for name in &ctx.query.expand {
        if !supported.contains(&name.as_str()) {
            return Err(GraphError::bad_request(format!(
                "Could not find a property named '{name}' to expand."
            )));
        }
    }
    Ok(ctx.query.expand.clone())
}

/// Stamps created/modified times and the initial version.
pub(crate) fn stamp_create(props: &mut Map<String, Value>, now: i64) {
    let stamp = intune_timestamp(now);
    props.insert("createdDateTime".into(), json!(stamp));
    props.insert("lastModifiedDateTime".into(), json!(stamp));
}

/// Stamps the modified time and bumps `version` when the type has one.
pub(crate) fn stamp_update(props: &mut Map<String, Value>, now: i64) {
    props.insert("lastModifiedDateTime".into(), json!(intune_timestamp(now)));
    if let Some(version) = props.get("version").and_then(Value::as_i64) {
        props.insert("version".into(), json!(version + 1));
    }
}

/// Refuses the `$filter` clauses a collection does not support, naming the property, as
/// Intune does; `collection` ends the message ("… is not supported on {collection}.").
pub(crate) fn refuse_filters(
    ctx: &Ctx<'_>,
    service: IntuneService,
    collection: &str,
    supported: impl Fn(&Clause) -> bool,
) -> Result<(), GraphError> {
    match ctx.query.filter.iter().flatten().find(|c| !supported(c)) {
        Some(bad) => Err(intune_bad(
            service,
            format!(
                "Filtering by '{}' is not supported on {collection}.",
                bad.property()
            ),
        )),
        None => Ok(()),
    }
}

/// Lists an Intune collection of [`IntuneObject`]s with paging, `$select`, `$filter` (only the
/// clauses `filter_ok` accepts) and `$expand=assignments`.
pub(crate) fn list_objects(
    ctx: &Ctx<'_>,
    objects: &BTreeMap<String, IntuneObject>,
    fragment: &str,
    base: &str,
    assignment_type: &str,
    filter_ok: impl Fn(&Clause) -> bool,
    service: IntuneService,
) -> Outcome {
    if ctx.query.search.is_some() || ctx.query.orderby.is_some() && !fragment.ends_with("Profiles") {
        return Err(intune_bad(
            service,
            "'$search' and '$orderby' are not supported on this collection.",
        ));
    }
    refuse_filters(ctx, service, "this collection", filter_ok)?;
    ctx.check_select(base)?;
    let expand = expansions(ctx, &["assignments"])?;
    let spec = ctx.page_spec(Family::Intune)?;
    let clauses = ctx.query.filter.clone().unwrap_or_default();
    let version = ctx.version();
    let keep = |o: &IntuneObject| {
        type_exists(&o.odata_type, version)
            && matches(&clauses, |p| match p {
                "@odata.type" => Some(json!(format!("#microsoft.graph.{}", o.odata_type))),
                "id" => Some(json!(o.id)),
                other => o.properties.get(other).cloned(),
            })
    };
    let (page, next) = take_page(objects, &spec, keep);
    let items = page
        .into_iter()
        .map(|o| {
            let mut item = select(render_object(o, version), ctx.query.select.as_deref());
            if !expand.is_empty() {
                item.insert(
                    "assignments".into(),
                    Value::Array(render_assignments(&o.assignments, assignment_type, version)),
                );
            }
            Value::Object(item)
        })
        .collect();
    Ok(Reply::ok(collection(ctx.call, fragment, items, next, None)))
}

/// One Intune object with `@odata.context`, `$select` and `$expand=assignments`.
pub(crate) fn get_object(
    ctx: &Ctx<'_>,
    object: &IntuneObject,
    fragment: &str,
    assignment_type: &str,
) -> Outcome {
    ctx.check_select(&object.odata_type)?;
    let expand = expansions(ctx, &["assignments"])?;
    let mut item = select(render_object(object, ctx.version()), ctx.query.select.as_deref());
    if !expand.is_empty() {
        item.insert(
            "assignments".into(),
            Value::Array(render_assignments(
                &object.assignments,
                assignment_type,
                ctx.version(),
            )),
        );
    }
    Ok(Reply::ok(ctx.entity(fragment, item)))
}

/// Stores a new object in `objects` of the state and answers 201 with it, as Intune answers
/// every create.
pub(crate) fn create_object(
    ctx: &mut Ctx<'_>,
    objects: fn(&mut SimState) -> &mut BTreeMap<String, IntuneObject>,
    fragment: &str,
    id: String,
    odata_type: String,
    properties: Map<String, Value>,
) -> Outcome {
    let object = IntuneObject {
        id: id.clone(),
        odata_type,
        properties,
        assignments: Vec::new(),
    };
    let body = ctx.entity(fragment, render_object(&object, ctx.version()));
    objects(ctx.state).insert(id, object);
    Ok(Reply::created(body))
}

/// An object's properties after a PATCH: the body keeps the object's type and passes the type
/// table, and is merged over what is stored, so the resource's own rules see the result.
pub(crate) fn patched_properties(
    ctx: &Ctx<'_>,
    object: &IntuneObject,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, GraphError> {
    check_same_type(body, &object.odata_type)?;
    let changes = validate_write(
        &object.odata_type,
        body,
        Write::Update(&object.properties),
        ctx.version(),
        Style::Intune,
    )?;
    let mut merged = object.properties.clone();
    merged.extend(changes);
    Ok(merged)
}

/// Assignments rendered as items of a collection or an expansion.
pub(crate) fn render_assignments(
    assignments: &[Assignment],
    type_name: &str,
    version: ApiVersion,
) -> Vec<Value> {
    assignments
        .iter()
        .map(|a| Value::Object(render_assignment(a, type_name, version)))
        .collect()
}

/// The assignments collection of an object.
pub(crate) fn list_assignments(
    ctx: &Ctx<'_>,
    assignments: &[Assignment],
    fragment: &str,
    assignment_type: &str,
) -> Outcome {
    let items = render_assignments(assignments, assignment_type, ctx.version());
    Ok(Reply::ok(collection(ctx.call, fragment, items, None, None)))
}

/// The array parameter `name` of an action's body.
pub(crate) fn array_parameter<'b>(
    body: &'b Map<String, Value>,
    name: &str,
) -> Result<&'b Vec<Value>, GraphError> {
    body.get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::model_validation(format!("The '{name}' parameter must be an array.")))
}

/// The assignments an `assign` action puts in place of all of an object's: every target
/// checked, one per target; a repeated target is refused, `repeated` naming it in the message
/// ("Group" or "Target", as each service words it).
pub(crate) fn replacing_assignments(
    ctx: &Ctx<'_>,
    object_id: &str,
    requested: &[Value],
    allowed: &[&str],
    service: IntuneService,
    repeated: &str,
) -> Result<Vec<Assignment>, GraphError> {
    let mut assignments: Vec<Assignment> = Vec::new();
    for item in requested {
        let (target, suffix) = check_target(ctx, item.get("target"), allowed, service)?;
        let assignment = Assignment {
            id: format!("{object_id}_{suffix}"),
            target,
        };
        if assignments.iter().any(|a| a.id == assignment.id) {
            return Err(intune_bad(
                service,
                format!("{repeated} '{suffix}' appears twice in the assignments."),
            ));
        }
        assignments.push(assignment);
    }
    Ok(assignments)
}

/// The 200 `value[]` with which `deviceConfigurations` and `configurationPolicies` answer
/// `assign`: the assignments now in place.
pub(crate) fn assigned(ctx: &Ctx<'_>, assignments: &[Assignment], assignment_type: &str) -> Reply {
    Reply::ok(collection(
        ctx.call,
        &format!("Collection(microsoft.graph.{assignment_type})"),
        render_assignments(assignments, assignment_type, ctx.version()),
        None,
        None,
    ))
}

const DEVICE_CONFIG_TARGETS: &[&str] = &[
    "groupAssignmentTarget",
    "exclusionGroupAssignmentTarget",
    "allDevicesAssignmentTarget",
    "allLicensedUsersAssignmentTarget",
];

/// `/deviceManagement/deviceConfigurations…`
pub(crate) fn device_configurations(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    const FRAGMENT: &str = "deviceManagement/deviceConfigurations";
    const ASSIGNMENT: &str = "deviceConfigurationAssignment";
    let not_found = |id: &str| GraphError::intune_not_found(SERVICE, "DeviceConfiguration", id);
    let visible = |ctx: &Ctx<'_>, id: &str| {
        ctx.state
            .device_configurations
            .get(id)
            .filter(|o| type_exists(&o.odata_type, ctx.version()))
            .cloned()
    };
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => list_objects(
            ctx,
            &ctx.state.device_configurations,
            FRAGMENT,
            "deviceConfiguration",
            ASSIGNMENT,
            |c| matches!(c, Clause::IsOf(_)) || matches!(c, Clause::Eq(p, _) if p == "displayName"),
            SERVICE,
        ),
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let type_name = resolve_type(&body, "deviceConfiguration", None, ctx.version())?;
            if type_name != "windowsDomainJoinConfiguration" {
                return Err(intune_bad(
                    SERVICE,
                    format!(
                        "The simulator models only windowsDomainJoinConfiguration device configurations, not '{type_name}'."
                    ),
                ));
            }
            let mut props = validate_write(&type_name, &body, Write::Create, ctx.version(), Style::Intune)?;
            check_domain_join(&props, true)?;
            stamp_create(&mut props, ctx.now);
            props.insert("version".into(), json!(1));
            let id = ctx.state.new_guid();
            create_object(
                ctx,
                |state| &mut state.device_configurations,
                FRAGMENT,
                id,
                type_name,
                props,
            )
        }
        (Method::Get, [id]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            get_object(ctx, &object, FRAGMENT, ASSIGNMENT)
        }
        (Method::Patch, [id]) => {
            let body = ctx.call.json_body()?;
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            let mut merged = patched_properties(ctx, &object, &body)?;
            check_domain_join(&merged, false)?;
            stamp_update(&mut merged, ctx.now);
            if let Some(stored) = ctx.state.device_configurations.get_mut(*id) {
                stored.properties = merged;
            }
            Ok(Reply::no_content())
        }
        (Method::Delete, [id]) => {
            visible(ctx, id).ok_or_else(|| not_found(id))?;
            ctx.state.device_configurations.remove(*id);
            Ok(Reply::no_content())
        }
        (Method::Get, [id, "assignments"]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            list_assignments(
                ctx,
                &object.assignments,
                &format!("{FRAGMENT}('{id}')/assignments"),
                ASSIGNMENT,
            )
        }
        (Method::Post, [id, "assign"]) => {
            let object = visible(ctx, id).ok_or_else(|| not_found(id))?;
            let body = ctx.call.json_body()?;
            let requested = array_parameter(&body, "assignments")?;
            let assignments = replacing_assignments(
                ctx,
                &object.id,
                requested,
                DEVICE_CONFIG_TARGETS,
                SERVICE,
                "Group",
            )?;
            let reply = assigned(ctx, &assignments, ASSIGNMENT);
            if let Some(stored) = ctx.state.device_configurations.get_mut(*id) {
                stored.assignments = assignments;
            }
            Ok(reply)
        }
        (_, [] | [_] | [_, "assignments" | "assign"]) => Err(no_route(ctx, Some(SERVICE))),
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

/// The domain join profile's rules, on the properties it will have (`creating`: the required
/// ones must be there).
fn check_domain_join(props: &Map<String, Value>, creating: bool) -> Result<(), GraphError> {
    if creating {
        for required in ["displayName", "activeDirectoryDomainName"] {
            if props
                .get(required)
                .is_none_or(|v| v.as_str().is_none_or(str::is_empty))
            {
                return Err(GraphError::model_validation(format!("'{required}' is required.")));
            }
        }
    }
    let count = props
        .get("computerNameSuffixRandomCharCount")
        .and_then(Value::as_i64);
    if let Some(count) = count
        && !(3..=14).contains(&count)
    {
        return Err(intune_bad(
            SERVICE,
            format!("computerNameSuffixRandomCharCount must be between 3 and 14, got {count}."),
        ));
    }
    let prefix = props
        .get("computerNameStaticPrefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    if prefix.chars().count() as i64 + count.unwrap_or(0) > 15 {
        return Err(intune_bad(
            SERVICE,
            "The computer name prefix plus the random characters must be at most 15 characters.",
        ));
    }
    Ok(())
}
