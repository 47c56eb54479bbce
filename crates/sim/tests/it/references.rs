//! Scope tags, apps and platform scripts: what configurations name and hangar never writes.

use hangar_sim::{DEFAULT_APP_ROLES, SimConfig};
use serde_json::json;

use crate::support::*;

const APPS: &str = "/beta/deviceAppManagement/mobileApps";
const TAGS: &str = "/beta/deviceManagement/roleScopeTags";
const SCRIPTS: &str = "/beta/deviceManagement/deviceManagementScripts";

async fn admin() -> T {
    let roles = DEFAULT_APP_ROLES.into_iter().chain([
        "DeviceManagementApps.ReadWrite.All",
        "DeviceManagementRBAC.ReadWrite.All",
    ]);
    T::new(SimConfig::default().app_roles(roles).sample_catalog(false)).await
}

#[tokio::test]
async fn apps_keep_their_type_and_a_missing_app_is_404() {
    let t = admin().await;
    let created = t
        .post(
            APPS,
            json!({"@odata.type": "#microsoft.graph.winGetApp", "displayName": "Company Portal"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let listed = t.get(&format!("{APPS}?$select=id,displayName")).await;
    assert_eq!(listed.status, 200);
    let app = &listed.body["value"][0];
    assert_eq!(
        app["@odata.type"], "#microsoft.graph.winGetApp",
        "the type comes with $select"
    );
    assert_eq!(app["displayName"], "Company Portal");
    assert!(app.get("publisher").is_none());
    assert_eq!(t.get(&format!("{APPS}/{}", id.to_uppercase())).await.status, 200);

    // Graph answers 404 for an app that is not there, not 400.
    let missing = t
        .get(&format!("{APPS}/00000000-0000-4000-8000-000000000001"))
        .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(missing.code(), "ResourceNotFound");
    assert_eq!(t.delete(&format!("{APPS}/{id}")).await.status, 204);
    assert_eq!(t.get(&format!("{APPS}/{id}")).await.status, 404);

    // `mobileApp` is abstract: a create names a concrete type.
    for body in [
        json!({"displayName": "x"}),
        json!({"@odata.type": "#microsoft.graph.mobileApp", "displayName": "x"}),
    ] {
        assert_eq!(t.post(APPS, body).await.status, 400);
    }
}

#[tokio::test]
async fn the_default_scope_tag_is_built_in_and_new_tags_get_numbers() {
    let t = admin().await;
    let listed = t.get(TAGS).await;
    assert_eq!(
        listed.body["value"],
        json!([{"@odata.type": "#microsoft.graph.roleScopeTag", "id": "0",
        "displayName": "Default", "description": "Default scope tag", "isBuiltIn": true}])
    );
    let created = t.post(TAGS, json!({"displayName": "Sales EU"})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["id"], "1");
    assert_eq!(created.body["isBuiltIn"], false);
    assert_eq!(t.delete(&format!("{TAGS}/0")).await.status, 400);
    assert_eq!(t.get(&format!("{TAGS}/9")).await.status, 404);
}

#[tokio::test]
async fn scripts_are_beta_only_and_reads_need_a_permission() {
    let t = admin().await;
    let created = t
        .post(SCRIPTS, json!({"displayName": "Set time zone", "fileName": "tz.ps1", "runAsAccount": "system", "scriptContent": ""}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["@odata.type"],
        "#microsoft.graph.deviceManagementScript"
    );
    assert_eq!(
        t.get("/v1.0/deviceManagement/deviceManagementScripts")
            .await
            .status,
        400
    );

    let narrow = T::new(SimConfig::default().app_roles(["DeviceManagementServiceConfig.Read.All"])).await;
    for path in [APPS, TAGS, SCRIPTS] {
        let refused = narrow.get(path).await;
        assert_eq!(refused.status, 403, "{path}");
    }
    // The default roles read all three but write none of apps and tags.
    let plain = T::default().await;
    assert_eq!(plain.get(APPS).await.status, 200);
    assert_eq!(plain.get(TAGS).await.status, 200);
    let write = plain
        .post(
            APPS,
            json!({"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "x"}),
        )
        .await;
    assert_eq!(write.status, 403);
}

#[tokio::test]
async fn the_sample_catalog_holds_what_the_examples_name() {
    let t = T::default().await;
    let apps = t.get(APPS).await.body["value"].as_array().unwrap().clone();
    let names: Vec<&str> = apps.iter().map(|a| a["displayName"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"Company Portal") && names.contains(&"Microsoft 365 Apps"),
        "{names:?}"
    );
    assert!(apps.iter().all(|a| {
        a["@odata.type"]
            .as_str()
            .unwrap()
            .starts_with("#microsoft.graph.")
    }));
    assert_eq!(
        t.get(SCRIPTS).await.body["value"][0]["displayName"],
        "Set time zone"
    );
    assert_eq!(t.get(TAGS).await.body["value"][1]["displayName"], "Sales EU");
    // Off: a fresh tenant has Microsoft's built-ins only.
    let fresh = T::new(SimConfig::default().sample_catalog(false)).await;
    assert_eq!(fresh.get(APPS).await.body["value"], json!([]));
}
