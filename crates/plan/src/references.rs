//! Scope tags, apps and scripts by name: YAML writes `scopeTags: [Default, Sales EU]`,
//! `blockingApps: [Company Portal]`, `allowedScripts: [Set time zone]`; the tenant's
//! `roleScopeTags`, `mobileApps` and `deviceManagementScripts` give the ids (an app also its
//! `@odata.type`, which a Device Preparation policy records beside the id). Ids are still
//! accepted (a number for a scope tag, a GUID for an app or script) and pin one object when
//! several share a name; an app or script id must exist in the tenant too.
//!
//! Checked before anything is projected, like assignment filters, so a name that does not
//! resolve stops the plan with an error at its line instead of a request Graph would refuse or,
//! worse, accept with a dangling id. Plans show each id with its name (`"1 (Sales EU)"`), both
//! sides labelled alike, so comparing is unchanged.

use hangar_config::{DesiredState, Spanned};
use hangar_model::{LiveState, ReferenceKind, Referenced};
use serde_json::{Map, Value};

use crate::Error;

/// How a reference resolves in a list the tenant gave.
enum Lookup<'a> {
    Found(&'a Referenced),
    Missing,
    Ambiguous(Vec<String>),
}

fn lookup<'a>(kind: ReferenceKind, list: &'a [Referenced], text: &str) -> Lookup<'a> {
    if kind.is_id(text) {
        return Referenced::by_id(list, text).map_or(Lookup::Missing, Lookup::Found);
    }
    let found: Vec<&Referenced> = list.iter().filter(|entry| entry.display_name == text).collect();
    match found.as_slice() {
        [one] => Lookup::Found(one),
        [] => Lookup::Missing,
        many => Lookup::Ambiguous(many.iter().map(|entry| entry.id.clone()).collect()),
    }
}

/// Every scope tag, app and script reference of `desired`, with its kind.
fn references(desired: &DesiredState) -> impl Iterator<Item = (ReferenceKind, &Spanned<String>)> {
    let tags = desired
        .objects()
        .flat_map(|(_, meta)| meta.scope_tags.iter().flatten())
        .map(|tag| (ReferenceKind::ScopeTag, tag));
    let blocking = desired
        .esps
        .iter()
        .flat_map(|esp| &esp.blocking_apps)
        .map(|app| (ReferenceKind::App, app));
    let allowed = desired
        .device_preparation
        .iter()
        .flat_map(|dpp| &dpp.allowed_apps)
        .map(|app| (ReferenceKind::App, app));
    let scripts = desired
        .device_preparation
        .iter()
        .flat_map(|dpp| &dpp.allowed_scripts)
        .map(|script| (ReferenceKind::Script, script));
    tags.chain(blocking).chain(allowed).chain(scripts)
}

/// Where an admin makes the missing object, for the error's advice.
pub(crate) fn where_to_create(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::ScopeTag => {
            "create it in the admin center (Tenant administration > Roles > Scope tags) or fix the name"
        }
        ReferenceKind::App => "add the app in the admin center (Apps > Windows) or fix the name or id",
        ReferenceKind::Script => {
            "add the script in the admin center (Devices > Scripts and remediations > Platform scripts) or fix the name or id"
        }
    }
}

/// Every reference of `desired` resolves to exactly one object of the tenant. A scope tag
/// written as an id passes unchecked when the tenant's tags were not read (the configuration
/// names none, so hangar did not ask for `DeviceManagementRBAC.Read.All`).
pub(crate) fn check(desired: &DesiredState, live: &LiveState) -> Result<(), Vec<Error>> {
    let mut errors = Vec::new();
    for (kind, reference) in references(desired) {
        let text = &reference.value;
        let Some(list) = kind.list(live) else {
            if !(kind == ReferenceKind::ScopeTag && kind.is_id(text)) {
                errors.push(Error::ReferencesNotRead {
                    what: kind,
                    reference: text.clone(),
                    span: reference.span,
                });
            }
            continue;
        };
        match lookup(kind, list, text) {
            Lookup::Found(_) => {}
            Lookup::Missing => {
                let mut known: Vec<String> = list.iter().map(|entry| entry.display_name.clone()).collect();
                known.sort();
                known.dedup();
                known.truncate(10);
                errors.push(Error::ReferenceNotFound {
                    what: kind,
                    reference: text.clone(),
                    known,
                    span: reference.span,
                });
            }
            Lookup::Ambiguous(ids) => errors.push(Error::ReferenceAmbiguous {
                what: kind,
                name: text.clone(),
                ids,
                span: reference.span,
            }),
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The tenant's object a checked reference names (`None` only for a scope tag id that was not
/// read: it is sent as written).
pub(crate) fn resolve<'a>(live: &'a LiveState, kind: ReferenceKind, text: &str) -> Option<&'a Referenced> {
    match lookup(kind, kind.list(live)?, text) {
        Lookup::Found(found) => Some(found),
        _ => None,
    }
}

/// The id a checked reference names.
pub(crate) fn id(live: &LiveState, kind: ReferenceKind, text: &str) -> String {
    resolve(live, kind, text).map_or_else(|| text.to_owned(), |found| found.id.clone())
}

/// `roleScopeTagIds` written by name, resolved to ids.
pub(crate) fn scope_tag_ids(live: &LiveState, tags: &[Spanned<String>]) -> Value {
    Value::Array(
        tags.iter()
            .map(|tag| Value::String(id(live, ReferenceKind::ScopeTag, &tag.value)))
            .collect(),
    )
}

/// Where each kind's ids sit in a normalised comparable object.
const LABELLED: &[(&[&str], ReferenceKind)] = &[
    (&["roleScopeTagIds"], ReferenceKind::ScopeTag),
    (&["selectedMobileAppIds"], ReferenceKind::App),
    (
        &["settings", "enrollment_autopilot_dpp_allowedappids"],
        ReferenceKind::App,
    ),
    (
        &["settings", "enrollment_autopilot_dpp_allowedscriptids"],
        ReferenceKind::Script,
    ),
];

/// Rewrites each scope tag, app and script id of a normalised comparable object as
/// `"<id> (<name>)"`, the name from the tenant, so that a plan reads as the YAML was written. An
/// id the tenant does not have is marked so; kinds that were not read stay as ids.
pub(crate) fn label(live: &LiveState, comparable: &mut Map<String, Value>) {
    for (path, kind) in LABELLED {
        let Some(list) = kind.list(live) else { continue };
        let Some(Value::Array(ids)) = at(comparable, path) else {
            continue;
        };
        for value in ids.iter_mut() {
            let Value::String(id) = value else { continue };
            let name = Referenced::by_id(list, id).map_or_else(
                || format!("not a {} of the tenant", kind.noun()),
                |found| found.display_name.clone(),
            );
            *id = format!("{id} ({name})");
        }
    }
}

fn at<'a>(map: &'a mut Map<String, Value>, path: &[&str]) -> Option<&'a mut Value> {
    let (last, parents) = path.split_last()?;
    let mut map = map;
    for segment in parents {
        map = map.get_mut(*segment)?.as_object_mut()?;
    }
    map.get_mut(*last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn referenced(id: &str, name: &str, odata_type: Option<&str>) -> Referenced {
        Referenced {
            id: id.into(),
            display_name: name.into(),
            odata_type: odata_type.map(str::to_owned),
        }
    }

    fn tenant() -> LiveState {
        LiveState {
            scope_tags: Some(vec![
                referenced("0", "Default", None),
                referenced("7", "Sales EU", None),
            ]),
            mobile_apps: Some(vec![
                referenced(
                    "9c1f7a4e-1111-4222-8333-444455556666",
                    "Company Portal",
                    Some("#microsoft.graph.winGetApp"),
                ),
                referenced(
                    "0b8e5d2c-6a4f-4c1b-9e3d-7f2a1c5b8d64",
                    "Agent",
                    Some("#microsoft.graph.win32LobApp"),
                ),
                referenced(
                    "1b8e5d2c-6a4f-4c1b-9e3d-7f2a1c5b8d64",
                    "Agent",
                    Some("#microsoft.graph.windowsMobileMSI"),
                ),
            ]),
            scripts: Some(vec![referenced(
                "5e9b1c3d-7f2a-4e68-9d40-1b8c6a2e5f97",
                "Set time zone",
                None,
            )]),
            ..LiveState::default()
        }
    }

    #[test]
    fn names_and_ids_resolve_in_the_tenant_they_are_planned_against() {
        let live = tenant();
        assert_eq!(id(&live, ReferenceKind::ScopeTag, "Sales EU"), "7");
        assert_eq!(id(&live, ReferenceKind::ScopeTag, "Default"), "0");
        assert_eq!(id(&live, ReferenceKind::ScopeTag, "0"), "0");
        let portal = resolve(&live, ReferenceKind::App, "Company Portal").unwrap();
        assert_eq!(portal.odata_type.as_deref(), Some("#microsoft.graph.winGetApp"));
        // An id pins one of two apps of one name, in any case.
        let pinned = resolve(&live, ReferenceKind::App, "1B8E5D2C-6A4F-4C1B-9E3D-7F2A1C5B8D64").unwrap();
        assert_eq!(
            pinned.odata_type.as_deref(),
            Some("#microsoft.graph.windowsMobileMSI")
        );
        assert!(resolve(&live, ReferenceKind::App, "Agent").is_none());
        assert_eq!(
            id(&live, ReferenceKind::Script, "Set time zone"),
            "5e9b1c3d-7f2a-4e68-9d40-1b8c6a2e5f97"
        );
        // The same names in another tenant give that tenant's ids.
        let mut other = tenant();
        other.scope_tags = Some(vec![
            referenced("0", "Default", None),
            referenced("12", "Sales EU", None),
        ]);
        assert_eq!(id(&other, ReferenceKind::ScopeTag, "Sales EU"), "12");
    }

    #[test]
    fn lookups_tell_missing_from_ambiguous() {
        let live = tenant();
        let apps = live.mobile_apps.as_deref().unwrap();
        assert!(
            matches!(lookup(ReferenceKind::App, apps, "Agent"), Lookup::Ambiguous(ids) if ids.len() == 2)
        );
        assert!(matches!(
            lookup(ReferenceKind::App, apps, "Nope"),
            Lookup::Missing
        ));
        // A GUID is an id, never a name: one the tenant lacks is missing (Graph would 404).
        assert!(matches!(
            lookup(ReferenceKind::App, apps, "00000000-0000-4000-8000-000000000000"),
            Lookup::Missing
        ));
        let tags = live.scope_tags.as_deref().unwrap();
        assert!(matches!(
            lookup(ReferenceKind::ScopeTag, tags, "3"),
            Lookup::Missing
        ));
    }

    #[test]
    fn labels_show_names_beside_ids_and_mark_unknown_ones() {
        let live = tenant();
        let mut comparable = json!({
            "roleScopeTagIds": ["0", "7", "9"],
            "selectedMobileAppIds": ["9c1f7a4e-1111-4222-8333-444455556666"],
            "settings": {"enrollment_autopilot_dpp_allowedscriptids": ["5e9b1c3d-7f2a-4e68-9d40-1b8c6a2e5f97"]}
        })
        .as_object()
        .cloned()
        .unwrap();
        label(&live, &mut comparable);
        assert_eq!(
            comparable["roleScopeTagIds"],
            json!(["0 (Default)", "7 (Sales EU)", "9 (not a scope tag of the tenant)"])
        );
        assert_eq!(
            comparable["selectedMobileAppIds"],
            json!(["9c1f7a4e-1111-4222-8333-444455556666 (Company Portal)"])
        );
        assert_eq!(
            comparable["settings"]["enrollment_autopilot_dpp_allowedscriptids"],
            json!(["5e9b1c3d-7f2a-4e68-9d40-1b8c6a2e5f97 (Set time zone)"])
        );
        // Unread kinds stay ids.
        let mut bare = json!({"roleScopeTagIds": ["7"]}).as_object().cloned().unwrap();
        label(&LiveState::default(), &mut bare);
        assert_eq!(bare["roleScopeTagIds"], json!(["7"]));
    }
}
