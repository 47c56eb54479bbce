//! Directory routes: `/groups` (CRUD, owners), `/servicePrincipals`, `/directoryObjects`.
//!
//! Directory errors use the directory's codes (`Request_BadRequest`,
//! `Request_ResourceNotFound`, `Request_UnsupportedQuery`, `Request_MultipleObjectsWithSameKeyValue`).
//!
//! Uniqueness is enforced exactly where Entra enforces it for security groups, and nowhere
//! else: `uniqueName`, the client-provided alternate key (`GET /groups(uniqueName='…')`), is
//! unique in the tenant and immutable once set (settable while null). Display names and
//! `mailNickname`s of security groups may repeat (`mailNickname` is unique only for
//! Microsoft 365 groups, which the simulator does not model). `$filter` supports `eq` on
//! `displayName`, `mailNickname`, `id`, `securityEnabled`, `mailEnabled` and
//! `startswith(displayName,…)` on groups; `eq` on `appId`, `displayName`, `id` and
//! `startswith(displayName,…)` on service principals. `$count=true` needs
//! `ConsistencyLevel: eventual`.

use serde_json::{Map, Value, json};

use super::{Ctx, no_route, with_id};
use crate::clock::directory_timestamp;
use crate::odata::{Clause, Method, matches};
use crate::paging::{Family, collection, select, take_page};
use crate::reply::{GraphError, Outcome, Reply};
use crate::schema::{Style, Write, render, validate_write};
use crate::state::{DirectoryObject, Group};

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "Request_BadRequest", message)
}

fn unsupported_query() -> GraphError {
    GraphError::new(400, "Request_UnsupportedQuery", "Unsupported Query.")
}

pub(crate) fn render_group(group: &Group, ctx: &Ctx<'_>) -> Map<String, Value> {
    let mut out = with_id(&group.id, None);
    render("group", &group.properties, ctx.version(), &mut out);
    out
}

pub(crate) fn render_service_principal(sp: &DirectoryObject, ctx: &Ctx<'_>) -> Map<String, Value> {
    let mut out = with_id(&sp.id, None);
    render("servicePrincipal", &sp.properties, ctx.version(), &mut out);
    out
}

/// A property `$filter` compares: `id` is not among the stored properties.
fn filter_property(id: &str, properties: &Map<String, Value>, name: &str) -> Option<Value> {
    if name == "id" {
        Some(json!(id))
    } else {
        properties.get(name).cloned()
    }
}

fn check_filter(ctx: &Ctx<'_>, supported: &[&str], startswith: &[&str]) -> Result<(), GraphError> {
    for clause in ctx.query.filter.iter().flatten() {
        let ok = match clause {
            Clause::Eq(p, _) => supported.contains(&p.as_str()),
            // Graph's groups take `in` on the properties they take `eq` on (the group
            // resource's property table); the simulator keeps it to strings.
            Clause::In(p, _) => supported.contains(&p.as_str()),
            Clause::StartsWith(p, _) => startswith.contains(&p.as_str()),
            _ => false,
        };
        if !ok {
            return Err(unsupported_query());
        }
    }
    Ok(())
}

fn check_count(ctx: &Ctx<'_>) -> Result<(), GraphError> {
    if ctx.query.count && !ctx.call.consistency_eventual {
        return Err(GraphError::new(
            400,
            "Request_BadRequest",
            "Count is not currently supported. Send the header 'ConsistencyLevel: eventual' with '$count=true'.",
        ));
    }
    if ctx.query.search.is_some() || ctx.query.orderby.is_some() {
        return Err(unsupported_query());
    }
    Ok(())
}

fn expand_owners(ctx: &Ctx<'_>) -> Result<bool, GraphError> {
    match ctx.query.expand.as_slice() {
        [] => Ok(false),
        [one] if one == "owners" => Ok(true),
        _ => Err(bad("Only '$expand=owners' is supported on groups.")),
    }
}

/// `/groups…`
pub(crate) fn groups(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => list_groups(ctx),
        (Method::Post, []) => create_group(ctx),
        (Method::Get, [id]) => get_group(ctx, id),
        (Method::Patch, [id]) => update_group(ctx, id),
        (Method::Delete, [id]) => {
            ctx.no_query_options(&[])?;
            if ctx.state.groups.remove(*id).is_none() {
                return Err(GraphError::directory_not_found(id));
            }
            Ok(Reply::no_content())
        }
        (Method::Get, [id, "owners"]) => list_owners(ctx, id),
        (Method::Get, [id, "members", "$count"]) => count_members(ctx, id),
        (Method::Post, [id, "owners", "$ref"]) => add_owner(ctx, id),
        (Method::Delete, [id, "owners", owner, "$ref"]) => remove_owner(ctx, id, owner),
        (_, [] | [_] | [_, "owners"] | [_, "owners", "$ref"] | [_, "owners", _, "$ref"]) => {
            Err(no_route(ctx, None))
        }
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

fn list_groups(ctx: &Ctx<'_>) -> Outcome {
    check_count(ctx)?;
    check_filter(
        ctx,
        &[
            "displayName",
            "mailNickname",
            "id",
            "securityEnabled",
            "mailEnabled",
        ],
        &["displayName", "mailNickname"],
    )?;
    ctx.check_select("group")?;
    let owners = expand_owners(ctx)?;
    let spec = ctx.page_spec(Family::Directory)?;
    let clauses = ctx.query.filter.clone().unwrap_or_default();
    let keep = |g: &Group| matches(&clauses, |p| filter_property(&g.id, &g.properties, p));
    let (page, next) = take_page(&ctx.state.groups, &spec, keep);
    let items: Vec<Value> = page
        .into_iter()
        .map(|g| {
            let mut item = select(render_group(g, ctx), ctx.query.select.as_deref());
            if owners {
                item.insert("owners".into(), Value::Array(owner_objects(ctx, g)));
            }
            Value::Object(item)
        })
        .collect();
    let count = (ctx.query.count && spec.after.is_none())
        .then(|| ctx.state.groups.values().filter(|g| keep(g)).count());
    Ok(Reply::ok(collection(ctx.call, "groups", items, next, count)))
}

fn get_group(ctx: &Ctx<'_>, id: &str) -> Outcome {
    ctx.check_select("group")?;
    let owners = expand_owners(ctx)?;
    let group = match alternate_key(id)? {
        Some(unique) => ctx
            .state
            .groups
            .values()
            .find(|g| unique_name(g).is_some_and(|u| u.eq_ignore_ascii_case(&unique)))
            .ok_or_else(|| GraphError::directory_not_found(&unique))?,
        None => ctx
            .state
            .groups
            .get(id)
            .ok_or_else(|| GraphError::directory_not_found(id))?,
    };
    let mut item = select(render_group(group, ctx), ctx.query.select.as_deref());
    if owners {
        item.insert("owners".into(), Value::Array(owner_objects(ctx, group)));
    }
    Ok(Reply::ok(ctx.entity("groups", item)))
}

fn owner_objects(ctx: &Ctx<'_>, group: &Group) -> Vec<Value> {
    group
        .owners
        .iter()
        .filter_map(|id| directory_object(ctx, id))
        .map(Value::Object)
        .collect()
}

/// A directory object by id, with `@odata.type`.
fn directory_object(ctx: &Ctx<'_>, id: &str) -> Option<Map<String, Value>> {
    if let Some(sp) = ctx.state.service_principals.get(id) {
        let mut out = with_id(&sp.id, Some("servicePrincipal"));
        render("servicePrincipal", &sp.properties, ctx.version(), &mut out);
        return Some(out);
    }
    ctx.state.groups.get(id).map(|g| {
        let mut out = with_id(&g.id, Some("group"));
        render("group", &g.properties, ctx.version(), &mut out);
        out
    })
}

/// `(uniqueName='…')`, the group's alternate key, as the path segment after `/groups`; `None`
/// for a plain id.
fn alternate_key(segment: &str) -> Result<Option<String>, GraphError> {
    let Some(inner) = segment.strip_prefix('(') else {
        return Ok(None);
    };
    let inner = inner.strip_suffix(')').unwrap_or(inner);
    let Some(value) = inner.strip_prefix("uniqueName=") else {
        return Err(bad(format!(
            "'{inner}' is not an alternate key of group; use uniqueName='…'."
        )));
    };
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .ok_or_else(|| bad("The uniqueName key must be a quoted string."))?;
    Ok(Some(value.replace("''", "'")))
}

fn unique_name(group: &Group) -> Option<&str> {
    group
        .properties
        .get("uniqueName")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
}

/// Entra's answer to a second object with the same alternate key.
fn unique_name_taken() -> GraphError {
    GraphError::new(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "Another object with the same value for property uniqueName already exists.",
    )
}

fn mail_nickname_ok(nickname: &str) -> bool {
    !nickname.is_empty()
        && nickname.len() <= 64
        && nickname
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && !"@()\\[]\";:.<>, ".contains(c))
}

fn check_group_values(props: &Map<String, Value>) -> Result<(), GraphError> {
    if let Some(name) = props.get("displayName")
        && name
            .as_str()
            .is_none_or(|n| n.trim().is_empty() || n.chars().count() > 256)
    {
        return Err(bad(
            "Invalid value specified for property 'displayName' of resource 'Group'.",
        ));
    }
    if let Some(nickname) = props.get("mailNickname")
        && !nickname.as_str().is_some_and(mail_nickname_ok)
    {
        return Err(bad(
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        ));
    }
    if let Some(types) = props.get("groupTypes").and_then(Value::as_array)
        && let Some(bad_type) = types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| !matches!(*t, "Unified" | "DynamicMembership"))
    {
        return Err(bad(format!(
            "Invalid value specified for property 'groupTypes' of resource 'Group': '{bad_type}'."
        )));
    }
    if let Some(rule) = props.get("membershipRule").and_then(Value::as_str) {
        check_rule(rule)?;
    }
    Ok(())
}

/// Light checks of a dynamic membership rule: length, balanced quotes and parentheses, and no
/// mixing of user and device properties. The full language is `hangar-membership`'s job.
fn check_rule(rule: &str) -> Result<(), GraphError> {
    if rule.chars().count() > 3072 {
        return Err(bad("The membership rule is longer than 3072 characters."));
    }
    let mut depth: i32 = 0;
    let mut in_string = false;
    let mut chars = rule.chars();
    while let Some(ch) = chars.next() {
        match ch {
            // Entra's escape inside a string: a backtick makes the next character (`"` or
            // another backtick) literal ("Supported values", groups-dynamic-membership).
            '`' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    if depth != 0 || in_string {
        return Err(bad("Invalid membership rule: unbalanced parentheses or quotes."));
    }
    let lower = rule.to_ascii_lowercase();
    if lower.contains("device.") && lower.contains("user.") {
        return Err(bad(
            "Invalid membership rule: a rule cannot mix user and device properties.",
        ));
    }
    if !lower.contains("device.") && !lower.contains("user.") {
        return Err(bad(
            "Invalid membership rule: the rule names no user or device property.",
        ));
    }
    Ok(())
}

/// The object id in an `@odata.id` / `@odata.bind` URL, checked against this cloud.
fn referenced_id(ctx: &Ctx<'_>, url: &str) -> Result<String, GraphError> {
    let trimmed = url.trim();
    if let Some(rest) = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
    {
        let host = rest.split('/').next().unwrap_or("");
        let own = ctx.call.base_url.trim_start_matches("http://");
        let graph_hosts = [
            "graph.microsoft.com",
            "graph.microsoft.us",
            "dod-graph.microsoft.us",
        ];
        if host != own && host != ctx.config.cloud.graph_host() {
            let hint = if graph_hosts.contains(&host) {
                " (a Graph host of another cloud)"
            } else {
                ""
            };
            return Err(bad(format!(
                "Invalid URL format specified in @odata.id: host '{host}'{hint} is not this cloud's Graph host '{}'.",
                ctx.config.cloud.graph_host()
            )));
        }
    }
    let last = trimmed.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let id = crate::odata::Call::split_path(last)
        .last()
        .cloned()
        .unwrap_or_default();
    let segments: Vec<&str> = trimmed.split('/').collect();
    let collection_ok = segments.iter().rev().nth(1).is_some_and(|c| {
        matches!(
            c.split('(').next(),
            Some("directoryObjects" | "servicePrincipals" | "groups" | "users")
        )
    }) || last.contains('(');
    if id.is_empty() || !collection_ok {
        return Err(bad(format!(
            "Invalid URL format specified in @odata.id: '{url}'."
        )));
    }
    Ok(id)
}

fn create_group(ctx: &mut Ctx<'_>) -> Outcome {
    ctx.no_query_options(&[])?;
    let body = ctx.call.json_body()?;
    let mut props = validate_write("group", &body, Write::Create, ctx.version(), Style::Directory)?;
    for required in ["displayName", "mailEnabled", "mailNickname", "securityEnabled"] {
        if props.get(required).is_none_or(Value::is_null) {
            return Err(bad(format!(
                "Invalid value specified for property '{required}' of resource 'Group'."
            )));
        }
    }
    check_group_values(&props)?;
    let types: Vec<String> = props
        .get("groupTypes")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let dynamic = types.iter().any(|t| t == "DynamicMembership");
    let unified = types.iter().any(|t| t == "Unified");
    if props.get("mailEnabled") == Some(&json!(true)) && !unified {
        return Err(bad(
            "Creating mail-enabled security groups is not supported: 'mailEnabled' must be false unless 'groupTypes' contains 'Unified'.",
        ));
    }
    match (dynamic, props.get("membershipRule").is_some_and(|r| !r.is_null())) {
        (true, false) => {
            return Err(bad(
                "A dynamic group ('DynamicMembership' in 'groupTypes') needs a 'membershipRule'.",
            ));
        }
        (false, true) => {
            return Err(bad(
                "'membershipRule' is only allowed on dynamic groups ('DynamicMembership' in 'groupTypes').",
            ));
        }
        (true, true) => {
            props
                .entry("membershipRuleProcessingState")
                .or_insert(json!("On"));
        }
        (false, false) => {}
    }
    if props.get("isAssignableToRole") == Some(&json!(true)) && dynamic {
        return Err(bad("Role-assignable groups cannot have dynamic membership."));
    }
    if let Some(unique) = props.get("uniqueName").and_then(Value::as_str)
        && ctx
            .state
            .groups
            .values()
            .any(|g| unique_name(g).is_some_and(|u| u.eq_ignore_ascii_case(unique)))
    {
        return Err(unique_name_taken());
    }
    let mut owners = Vec::new();
    let mut members = Vec::new();
    for (annotation, limit) in [("owners@odata.bind", 20), ("members@odata.bind", 20)] {
        if let Some(value) = body.get(annotation) {
            let urls = value
                .as_array()
                .ok_or_else(|| bad(format!("'{annotation}' must be an array of URLs.")))?;
            if urls.len() > limit {
                return Err(bad(format!(
                    "At most {limit} objects can be added with '{annotation}' when creating a group."
                )));
            }
            for url in urls {
                let url = url
                    .as_str()
                    .ok_or_else(|| bad(format!("'{annotation}' must be an array of URLs.")))?;
                let id = referenced_id(ctx, url)?;
                if !ctx.state.service_principals.contains_key(&id) && !ctx.state.groups.contains_key(&id) {
                    return Err(GraphError::directory_not_found(&id));
                }
                if annotation.starts_with("owners") && !owners.contains(&id) {
                    owners.push(id);
                } else if annotation.starts_with("members") && !members.contains(&id) {
                    members.push(id);
                }
            }
        }
    }
    let id = ctx.state.new_guid();
    let now = directory_timestamp(ctx.now);
    props.insert("createdDateTime".into(), json!(now));
    props.insert("renewedDateTime".into(), json!(now));
    props.insert("securityIdentifier".into(), json!(security_identifier(&id)));
    let visible_at = ctx.now + (ctx.config.replication_delay_secs * 1000.0) as i64;
    let group = Group {
        id: id.clone(),
        properties: props,
        owners,
        members,
        intune_visible_at_ms: visible_at,
    };
    let body = ctx.entity("groups", render_group(&group, ctx));
    ctx.state.groups.insert(id, group);
    Ok(Reply::created(body))
}

/// `S-1-12-1-…`: the SID form Entra derives from an object id.
fn security_identifier(id: &str) -> String {
    let hex: String = id.chars().filter(char::is_ascii_hexdigit).collect();
    let parts: Vec<u32> = (0..4)
        .map(|i| {
            hex.get(i * 8..i * 8 + 8)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .unwrap_or(0)
        })
        .collect();
    format!("S-1-12-1-{}-{}-{}-{}", parts[0], parts[1], parts[2], parts[3])
}

fn update_group(ctx: &mut Ctx<'_>, id: &str) -> Outcome {
    ctx.no_query_options(&[])?;
    let body = ctx.call.json_body()?;
    let group = ctx
        .state
        .groups
        .get(id)
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let props = validate_write(
        "group",
        &body,
        Write::Update(&group.properties),
        ctx.version(),
        Style::Directory,
    )?;
    check_group_values(&props)?;
    if let Some(new) = props.get("uniqueName") {
        match unique_name(group) {
            Some(old) if Some(old) != new.as_str() => {
                return Err(bad(
                    "Property 'uniqueName' is immutable once set and cannot be changed.",
                ));
            }
            Some(_) => {}
            None => {
                if let Some(unique) = new.as_str()
                    && ctx
                        .state
                        .groups
                        .values()
                        .any(|g| unique_name(g).is_some_and(|u| u.eq_ignore_ascii_case(unique)))
                {
                    return Err(unique_name_taken());
                }
            }
        }
    }
    let dynamic_after = props
        .get("groupTypes")
        .map(|t| {
            t.as_array()
                .is_some_and(|t| t.iter().any(|x| x.as_str() == Some("DynamicMembership")))
        })
        .unwrap_or_else(|| group.is_dynamic());
    let rule_after = props
        .get("membershipRule")
        .or_else(|| group.properties.get("membershipRule"))
        .is_some_and(|r| !r.is_null());
    if dynamic_after && !rule_after {
        return Err(bad(
            "A dynamic group ('DynamicMembership' in 'groupTypes') needs a 'membershipRule'.",
        ));
    }
    if let Some(group) = ctx.state.groups.get_mut(id) {
        group.properties.extend(props);
        if dynamic_after {
            group
                .properties
                .entry("membershipRuleProcessingState")
                .or_insert(json!("On"));
        }
    }
    Ok(Reply::no_content())
}

/// `GET /groups/{id}/members/$count`: a plain-text number, and only as an advanced query
/// (`ConsistencyLevel: eventual`), as Graph answers (group-list-members, "Get only a count of
/// members"). A dynamic group's members are its rule's devices, which the simulator does not
/// keep as directory objects: it counts the registered devices whose group tag the rule names.
fn count_members(ctx: &Ctx<'_>, id: &str) -> Outcome {
    ctx.no_query_options(&[])?;
    if !ctx.call.consistency_eventual {
        return Err(bad(
            "Count is not currently supported. Send the header 'ConsistencyLevel: eventual'.",
        ));
    }
    let group = ctx
        .state
        .groups
        .get(id)
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let count = match group.properties.get("membershipRule").and_then(Value::as_str) {
        Some(rule)
            if group
                .properties
                .get("groupTypes")
                .and_then(Value::as_array)
                .is_some_and(|types| types.iter().any(|t| t == "DynamicMembership")) =>
        {
            ctx.state
                .devices
                .values()
                .filter(|device| {
                    !device.group_tag.is_empty()
                        && rule.contains(&format!("[OrderID]:{}\"", device.group_tag))
                })
                .count()
        }
        _ => group.members.len(),
    };
    Ok(Reply::raw(200, count.to_string().into_bytes()).with_header("content-type", "text/plain"))
}

fn list_owners(ctx: &Ctx<'_>, id: &str) -> Outcome {
    ctx.no_query_options(&["$top", "$skiptoken", "$select"])?;
    let group = ctx
        .state
        .groups
        .get(id)
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let spec = ctx.page_spec(Family::Directory)?;
    let ordered: std::collections::BTreeMap<String, String> =
        group.owners.iter().map(|o| (o.clone(), o.clone())).collect();
    let (page, next) = take_page(&ordered, &spec, |_| true);
    let items = page
        .into_iter()
        .filter_map(|owner| directory_object(ctx, owner))
        .map(|o| Value::Object(select(o, ctx.query.select.as_deref())))
        .collect();
    Ok(Reply::ok(collection(
        ctx.call,
        "directoryObjects",
        items,
        next,
        None,
    )))
}

fn add_owner(ctx: &mut Ctx<'_>, id: &str) -> Outcome {
    let body = ctx.call.json_body()?;
    let url = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("The request body must contain '@odata.id'."))?;
    let owner = referenced_id(ctx, url)?;
    if !ctx.state.groups.contains_key(id) {
        return Err(GraphError::directory_not_found(id));
    }
    if !ctx.state.service_principals.contains_key(&owner) && !ctx.state.groups.contains_key(&owner) {
        return Err(GraphError::directory_not_found(&owner));
    }
    let Some(group) = ctx.state.groups.get_mut(id) else {
        return Err(GraphError::directory_not_found(id));
    };
    if group.owners.iter().any(|o| o.eq_ignore_ascii_case(&owner)) {
        return Err(bad(
            "One or more added object references already exist for the following modified properties: 'owners'.",
        ));
    }
    group.owners.push(owner);
    Ok(Reply::no_content())
}

fn remove_owner(ctx: &mut Ctx<'_>, id: &str, owner: &str) -> Outcome {
    let group = ctx
        .state
        .groups
        .get_mut(id)
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let before = group.owners.len();
    group.owners.retain(|o| !o.eq_ignore_ascii_case(owner));
    if group.owners.len() == before {
        return Err(GraphError::directory_not_found(owner));
    }
    Ok(Reply::no_content())
}

/// `/servicePrincipals…`
pub(crate) fn service_principals(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            check_count(ctx)?;
            check_filter(
                ctx,
                &["appId", "displayName", "id", "servicePrincipalType"],
                &["displayName"],
            )?;
            ctx.check_select("servicePrincipal")?;
            if !ctx.query.expand.is_empty() {
                return Err(bad(
                    "'$expand' is not supported on service principals by the simulator.",
                ));
            }
            let spec = ctx.page_spec(Family::Directory)?;
            let clauses = ctx.query.filter.clone().unwrap_or_default();
            let keep =
                |sp: &DirectoryObject| matches(&clauses, |p| filter_property(&sp.id, &sp.properties, p));
            let (page, next) = take_page(&ctx.state.service_principals, &spec, keep);
            let items = page
                .into_iter()
                .map(|sp| {
                    Value::Object(select(
                        render_service_principal(sp, ctx),
                        ctx.query.select.as_deref(),
                    ))
                })
                .collect();
            let count = (ctx.query.count && spec.after.is_none()).then(|| {
                ctx.state
                    .service_principals
                    .values()
                    .filter(|sp| keep(sp))
                    .count()
            });
            Ok(Reply::ok(collection(
                ctx.call,
                "servicePrincipals",
                items,
                next,
                count,
            )))
        }
        (Method::Get, [key]) => {
            ctx.check_select("servicePrincipal")?;
            let sp = if let Some(app_key) = key.strip_prefix('(') {
                let inner = app_key.trim_end_matches(')');
                let Some(app_id) = inner.strip_prefix("appId=") else {
                    return Err(bad(format!(
                        "'{inner}' is not an alternate key of servicePrincipal; use appId='…'."
                    )));
                };
                let app_id = app_id.trim_matches('\'');
                ctx.state
                    .service_principal_by_app_id(app_id)
                    .ok_or_else(|| GraphError::directory_not_found(app_id))?
            } else {
                ctx.state
                    .service_principals
                    .get(*key)
                    .ok_or_else(|| GraphError::directory_not_found(key))?
            };
            Ok(Reply::ok(ctx.entity(
                "servicePrincipals",
                select(render_service_principal(sp, ctx), ctx.query.select.as_deref()),
            )))
        }
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let props = validate_write(
                "servicePrincipal",
                &body,
                Write::Create,
                ctx.version(),
                Style::Directory,
            )?;
            let app_id = props
                .get("appId")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    bad("Invalid value specified for property 'appId' of resource 'ServicePrincipal'.")
                })?
                .to_owned();
            if ctx.state.service_principal_by_app_id(&app_id).is_some() {
                return Err(GraphError::new(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property appId already exists.",
                ));
            }
            let name = if app_id.eq_ignore_ascii_case(crate::state::INTUNE_PROVISIONING_CLIENT_APP_ID) {
                "Intune Provisioning Client".to_owned()
            } else {
                format!("App {app_id}")
            };
            let id = ctx.state.add_service_principal(&app_id, &name);
            let sp = ctx
                .state
                .service_principals
                .get(&id)
                .ok_or_else(|| GraphError::directory_not_found(&id))?;
            Ok(Reply::created(
                ctx.entity("servicePrincipals", render_service_principal(sp, ctx)),
            ))
        }
        (_, [] | [_]) => Err(no_route(ctx, None)),
        (_, [_, other, ..]) => Err(GraphError::segment_not_found(other)),
    }
}

/// `/directoryObjects/{id}`
pub(crate) fn directory_objects(ctx: &mut Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, [id]) => {
            let object = directory_object(ctx, id).ok_or_else(|| GraphError::directory_not_found(id))?;
            Ok(Reply::ok(ctx.entity("directoryObjects", object)))
        }
        _ => Err(no_route(ctx, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_and_rules() {
        assert!(mail_nickname_ok("autopilot-devices"));
        assert!(!mail_nickname_ok("has space"));
        assert!(!mail_nickname_ok("a@b"));
        assert!(!mail_nickname_ok(&"x".repeat(65)));
        assert!(check_rule("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:A\"))").is_ok());
        // A group tag with a quote, escaped as Entra documents.
        assert!(check_rule("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:A`\"B\"))").is_ok());
        assert!(check_rule("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:A``\"))").is_ok());
        assert!(check_rule("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:A``\"B\"))").is_err());
        assert!(check_rule("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:A\")").is_err());
        assert!(check_rule("(device.x -eq 1) and (user.y -eq 2)").is_err());
        assert_eq!(
            alternate_key("(uniqueName='hangar-apply-lock')").unwrap(),
            Some("hangar-apply-lock".to_owned())
        );
        assert_eq!(alternate_key("0b5e").unwrap(), None);
        assert!(alternate_key("(displayName='x')").is_err());
        assert_eq!(
            security_identifier("00000001-0000-0000-0000-000000000002"),
            "S-1-12-1-1-0-0-2"
        );
    }
}
