//! What a configuration refers to by name and hangar never writes, served as the admin center
//! and Graph serve them: scope tags (`deviceManagement/roleScopeTags`, type `roleScopeTag`:
//! `displayName`, `description`, `isBuiltIn`; `0` is the built-in `Default`), apps
//! (`deviceAppManagement/mobileApps`, every item of a type derived from the abstract `mobileApp`
//! and carrying its `@odata.type`) and platform scripts
//! (`deviceManagement/deviceManagementScripts`, beta only). List (with `$select`), get, create
//! and delete, so tests seed a tenant the portal way. A missing id answers Intune's 404, as Graph
//! does for a missing app (never 400).
//!
//! None of the three types is in the Autopilot metadata extract the simulator validates
//! against, so bodies are checked here: a `displayName` is required, an app needs the
//! `@odata.type` of a concrete app type, and the built-in scope tag cannot be deleted.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::intune::{intune_bad, stamp_create};
use super::{Ctx, no_route, with_id};
use crate::odata::Method;
use crate::reply::{GraphError, IntuneService, Outcome, Reply};
use crate::state::SimState;

/// One collection: where it is, what its items are, what a create keeps.
pub(crate) struct Collection {
    /// `@odata.context` fragment.
    fragment: &'static str,
    /// The item type, for a collection of one type (`None`: the item's own `@odata.type`).
    item_type: Option<&'static str>,
    /// The entity an Intune 404 names.
    entity: &'static str,
    /// Properties a create keeps besides `displayName` (Learn's resource page).
    properties: &'static [&'static str],
    /// The state map.
    items: fn(&mut SimState) -> &mut BTreeMap<String, Map<String, Value>>,
}

/// `deviceManagement/roleScopeTags`.
pub(crate) const SCOPE_TAGS: Collection = Collection {
    fragment: "deviceManagement/roleScopeTags",
    item_type: Some("roleScopeTag"),
    entity: "RoleScopeTag",
    properties: &["description"],
    items: |state| &mut state.scope_tags,
};

/// `deviceAppManagement/mobileApps`.
pub(crate) const MOBILE_APPS: Collection = Collection {
    fragment: "deviceAppManagement/mobileApps",
    item_type: None,
    entity: "MobileApp",
    properties: &[
        "description",
        "publisher",
        "roleScopeTagIds",
        "fileName",
        "isAssigned",
    ],
    items: |state| &mut state.mobile_apps,
};

/// `deviceManagement/deviceManagementScripts`.
pub(crate) const SCRIPTS: Collection = Collection {
    fragment: "deviceManagement/deviceManagementScripts",
    item_type: Some("deviceManagementScript"),
    entity: "DeviceManagementScript",
    properties: &[
        "description",
        "scriptContent",
        "runAsAccount",
        "enforceSignatureCheck",
        "fileName",
        "roleScopeTagIds",
        "runAs32Bit",
    ],
    items: |state| &mut state.scripts,
};

/// Concrete app types (derived from `mobileApp` in the beta metadata) a Windows tenant holds.
/// A create with another type, or the abstract `mobileApp`, is refused as Graph refuses it.
pub const APP_TYPES: &[&str] = &[
    "win32LobApp",
    "win32CatalogApp",
    "windowsMobileMSI",
    "winGetApp",
    "officeSuiteApp",
    "windowsUniversalAppX",
    "windowsStoreApp",
    "microsoftStoreForBusinessApp",
    "windowsMicrosoftEdgeApp",
    "windowsWebApp",
    "webApp",
];

const SERVICE: IntuneService = IntuneService::DeviceConfiguration;

/// The scope tags of a new tenant: the built-in `Default` (id `0`).
pub(crate) fn default_scope_tags() -> BTreeMap<String, Map<String, Value>> {
    let mut tags = BTreeMap::new();
    let mut default = Map::new();
    default.insert("displayName".into(), json!("Default"));
    default.insert("description".into(), json!("Default scope tag"));
    default.insert("isBuiltIn".into(), json!(true));
    tags.insert("0".to_owned(), default);
    tags
}

fn render(
    collection: &Collection,
    id: &str,
    stored: &Map<String, Value>,
    select: Option<&[String]>,
) -> Value {
    let mut out = with_id(id, collection.item_type);
    for (name, value) in stored {
        out.insert(name.clone(), value.clone());
    }
    Value::Object(crate::paging::select(out, select))
}

/// Every route of one collection.
pub(crate) fn serve(ctx: &mut Ctx<'_>, collection: &Collection, rest: &[&str]) -> Outcome {
    match (ctx.method().clone(), rest) {
        (Method::Get, []) => {
            ctx.no_query_options(&["$select"])?;
            let select = ctx.query.select.clone();
            let items = (collection.items)(ctx.state)
                .iter()
                .map(|(id, stored)| render(collection, id, stored, select.as_deref()))
                .collect();
            Ok(Reply::ok(crate::paging::collection(
                ctx.call,
                collection.fragment,
                items,
                None,
                None,
            )))
        }
        (Method::Get, [id]) => {
            ctx.no_query_options(&["$select"])?;
            let select = ctx.query.select.clone();
            let (key, stored) = find(ctx, collection, id)?;
            Ok(Reply::ok(render(collection, &key, &stored, select.as_deref())))
        }
        (Method::Post, []) => {
            let body = ctx.call.json_body()?;
            let stored = create_body(collection, &body, ctx.now)?;
            let id = if collection.item_type == Some("roleScopeTag") {
                // Scope tag ids are small numbers, as the admin center shows them.
                let next = ctx
                    .state
                    .scope_tags
                    .keys()
                    .filter_map(|key| key.parse::<u64>().ok())
                    .max()
                    .unwrap_or(0)
                    + 1;
                next.to_string()
            } else {
                ctx.state.new_guid()
            };
            (collection.items)(ctx.state).insert(id.clone(), stored.clone());
            Ok(Reply::created(render(collection, &id, &stored, None)))
        }
        (Method::Delete, [id]) => {
            let (key, stored) = find(ctx, collection, id)?;
            if stored.get("isBuiltIn") == Some(&Value::Bool(true)) {
                return Err(intune_bad(SERVICE, "A built-in scope tag cannot be deleted."));
            }
            (collection.items)(ctx.state).remove(&key);
            Ok(Reply::no_content())
        }
        _ => Err(no_route(ctx, Some(SERVICE))),
    }
}

/// What a create stores: `displayName` (required), the collection's properties, an app's
/// concrete `@odata.type`, and the create stamps.
fn create_body(
    collection: &Collection,
    body: &Map<String, Value>,
    now: i64,
) -> Result<Map<String, Value>, GraphError> {
    let mut stored = Map::new();
    if collection.item_type.is_none() {
        let odata_type = body
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let short = odata_type
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.");
        if !APP_TYPES.contains(&short) {
            return Err(GraphError::model_validation(format!(
                "An app needs the '@odata.type' of a concrete app type ({}); got '{odata_type}'.",
                APP_TYPES.join(", ")
            )));
        }
        stored.insert("@odata.type".into(), json!(format!("#microsoft.graph.{short}")));
    }
    match body.get("displayName") {
        Some(Value::String(name)) if !name.trim().is_empty() => {
            stored.insert("displayName".into(), json!(name));
        }
        _ => {
            return Err(intune_bad(
                SERVICE,
                "'displayName' is required and cannot be empty.",
            ));
        }
    }
    for name in collection.properties {
        if let Some(value) = body.get(*name) {
            stored.insert((*name).to_owned(), value.clone());
        }
    }
    if collection.item_type == Some("roleScopeTag") {
        stored.insert("isBuiltIn".into(), json!(false));
    } else {
        stored.entry("roleScopeTagIds").or_insert_with(|| json!(["0"]));
        stamp_create(&mut stored, now);
    }
    Ok(stored)
}

fn find(
    ctx: &mut Ctx<'_>,
    collection: &Collection,
    id: &str,
) -> Result<(String, Map<String, Value>), GraphError> {
    (collection.items)(ctx.state)
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(id))
        .map(|(key, stored)| (key.clone(), stored.clone()))
        .ok_or_else(|| GraphError::intune_not_found(SERVICE, collection.entity, id))
}

/// The sample catalog ([`crate::SimConfig::sample_catalog`]): what the bundled examples name.
/// (name, `@odata.type`) of each app; each script; each scope tag besides `Default`.
pub const SAMPLE_APPS: &[(&str, &str)] = &[
    ("Company Portal", "winGetApp"),
    ("Visual Studio Code", "win32LobApp"),
    ("Microsoft 365 Apps", "officeSuiteApp"),
    ("Defender for Endpoint onboarding", "win32LobApp"),
];
/// Platform scripts of the sample catalog.
pub const SAMPLE_SCRIPTS: &[&str] = &["Set time zone"];
/// Scope tags of the sample catalog (besides the built-in `Default`).
pub const SAMPLE_SCOPE_TAGS: &[&str] = &["Sales EU"];

/// A sample object's id: from its name and the tenant, not from the tenant's id sequence, so
/// that the catalog leaves the ids of everything created later as they were without it.
fn sample_id(tenant_id: &str, name: &str) -> String {
    let mut seed = name
        .bytes()
        .chain(tenant_id.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    let a = crate::state::splitmix64(&mut seed);
    let b = crate::state::splitmix64(&mut seed);
    crate::state::guid_from(a, b)
}

/// Adds the sample catalog to a fresh tenant.
pub(crate) fn add_sample_catalog(state: &mut SimState) {
    let now = state.clock_ms;
    for (name, odata_type) in SAMPLE_APPS {
        let body = json!({"@odata.type": format!("#microsoft.graph.{odata_type}"), "displayName": name, "publisher": "Contoso"});
        if let Some(body) = body.as_object()
            && let Ok(stored) = create_body(&MOBILE_APPS, body, now)
        {
            state
                .mobile_apps
                .insert(sample_id(&state.tenant_id, name), stored);
        }
    }
    for name in SAMPLE_SCRIPTS {
        let body = json!({"displayName": name, "fileName": "script.ps1", "runAsAccount": "system", "scriptContent": ""});
        if let Some(body) = body.as_object()
            && let Ok(stored) = create_body(&SCRIPTS, body, now)
        {
            state.scripts.insert(sample_id(&state.tenant_id, name), stored);
        }
    }
    for (index, name) in SAMPLE_SCOPE_TAGS.iter().enumerate() {
        let body = json!({"displayName": name, "description": ""});
        if let Some(body) = body.as_object()
            && let Ok(stored) = create_body(&SCOPE_TAGS, body, now)
        {
            state.scope_tags.insert((index + 1).to_string(), stored);
        }
    }
}
