//! Groups, owners, service principals, paging.

use hangar_sim::{GroupMembership, INTUNE_PROVISIONING_CLIENT_APP_ID, SimConfig};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn group_crud_round_trip() {
    let t = T::default().await;
    let id = t
        .create_group(
            "Autopilot Sales",
            Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"),
        )
        .await;
    let got = t.get(&format!("/v1.0/groups/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["displayName"], "Autopilot Sales");
    assert_eq!(got.body["groupTypes"], json!(["DynamicMembership"]));
    assert_eq!(got.body["membershipRuleProcessingState"], "On");
    assert!(
        got.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#groups/$entity")
    );
    assert!(got.header("request-id").is_some());

    let patched = t
        .patch(&format!("/v1.0/groups/{id}"), json!({"description": "tagged"}))
        .await;
    assert_eq!(patched.status, 204);
    assert_eq!(
        t.get(&format!("/v1.0/groups/{id}")).await.body["description"],
        "tagged"
    );

    let filtered = t
        .get("/v1.0/groups?$filter=displayName%20eq%20'autopilot%20sales'&$select=id,displayName")
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.body);
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(filtered.body["value"][0].as_object().unwrap().len(), 2);

    assert_eq!(t.delete(&format!("/v1.0/groups/{id}")).await.status, 204);
    let gone = t.get(&format!("/v1.0/groups/{id}")).await;
    assert_eq!((gone.status, gone.code()), (404, "Request_ResourceNotFound"));
}

#[tokio::test]
async fn duplicate_names_are_allowed() {
    let t = T::default().await;
    let a = t.create_group("Same", None).await;
    let b = t.create_group("Same", None).await;
    assert_ne!(a, b);
    let both = t.get("/v1.0/groups?$filter=displayName eq 'Same'").await;
    assert_eq!(both.body["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn create_validation() {
    let t = T::default().await;
    let missing = t
        .post(
            "/v1.0/groups",
            json!({"displayName": "x", "mailEnabled": false, "securityEnabled": true}),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (400, "Request_BadRequest"));
    assert!(missing.message().contains("mailNickname"));
    let unknown = t.post("/v1.0/groups", json!({"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": true, "colour": "red"})).await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.message().contains("'colour'"));
    let read_only = t.post("/v1.0/groups", json!({"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": true, "createdDateTime": "2020-01-01T00:00:00Z"})).await;
    assert!(read_only.message().contains("read-only"), "{}", read_only.body);
    let wrong_type = t
        .post(
            "/v1.0/groups",
            json!({"displayName": "x", "mailEnabled": "no", "mailNickname": "x", "securityEnabled": true}),
        )
        .await;
    assert_eq!(wrong_type.status, 400);
    let bad_nick = t.post("/v1.0/groups", json!({"displayName": "x", "mailEnabled": false, "mailNickname": "has space", "securityEnabled": true})).await;
    assert_eq!(bad_nick.status, 400);
    let malformed = t
        .http
        .post(t.url("/v1.0/groups"))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let empty = t
        .http
        .post(t.url("/v1.0/groups"))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
}

#[tokio::test]
async fn owners_ref_add_list_remove() {
    let t = T::default().await;
    let group = t.create_group("DPP devices", None).await;
    let sp = t
        .get(&format!(
            "/v1.0/servicePrincipals(appId='{INTUNE_PROVISIONING_CLIENT_APP_ID}')"
        ))
        .await;
    assert_eq!(sp.status, 200, "{}", sp.body);
    let sp_id = sp.body["id"].as_str().unwrap().to_owned();
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{sp_id}")});
    assert_eq!(
        t.post(&format!("/v1.0/groups/{group}/owners/$ref"), reference.clone())
            .await
            .status,
        204
    );
    let again = t
        .post(&format!("/v1.0/groups/{group}/owners/$ref"), reference)
        .await;
    assert_eq!(again.status, 400);
    assert!(again.message().contains("already exist"));
    let owners = t.get(&format!("/v1.0/groups/{group}/owners")).await;
    assert_eq!(
        owners.body["value"][0]["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
    assert_eq!(
        owners.body["value"][0]["appId"],
        INTUNE_PROVISIONING_CLIENT_APP_ID
    );
    let missing = t.post(&format!("/v1.0/groups/{group}/owners/$ref"), json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-0000-0000-000000000001"})).await;
    assert_eq!(missing.status, 404);
    let other_cloud = t
        .post(
            &format!("/v1.0/groups/{group}/owners/$ref"),
            json!({"@odata.id": format!("https://graph.microsoft.us/v1.0/directoryObjects/{sp_id}")}),
        )
        .await;
    assert_eq!(other_cloud.status, 400);
    assert_eq!(
        t.delete(&format!("/v1.0/groups/{group}/owners/{sp_id}/$ref"))
            .await
            .status,
        204
    );
    assert_eq!(
        t.get(&format!("/v1.0/groups/{group}/owners")).await.body["value"],
        json!([])
    );
}

#[tokio::test]
async fn service_principal_filter_by_app_id() {
    let t = T::default().await;
    let found = t.get(&format!("/v1.0/servicePrincipals?$filter=appId eq '{INTUNE_PROVISIONING_CLIENT_APP_ID}'&$select=id,appId,displayName")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["value"].as_array().unwrap().len(), 1);
    let unsupported = t.get("/v1.0/servicePrincipals?$filter=notes eq 'x'").await;
    assert_eq!(
        (unsupported.status, unsupported.code()),
        (400, "Request_UnsupportedQuery")
    );
}

#[tokio::test]
async fn group_paging_follows_next_links_verbatim() {
    let t = T::default().await;
    t.sim.with_state(|state| {
        for i in 0..250 {
            state.add_group(&format!("G{i:03}"), GroupMembership::Assigned);
        }
    });
    let first = t.get("/v1.0/groups").await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 100);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&t.sim.url()), "{next}");
    let (all, pages) = t.get_all("/v1.0/groups?$top=999").await;
    assert_eq!((all.len(), pages), (250, 1));
    let (all, pages) = t.get_all("/v1.0/groups?$top=60&$select=displayName").await;
    assert_eq!((all.len(), pages), (250, 5));
    let mut names: Vec<_> = all
        .iter()
        .map(|g| g["displayName"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 250);
    let too_big = t.get("/v1.0/groups?$top=1000").await;
    assert_eq!(
        (too_big.status, too_big.code()),
        (400, "Request_UnsupportedQuery")
    );
    let count = t.get("/v1.0/groups?$count=true").await;
    assert_eq!(count.status, 400);
}

#[tokio::test]
async fn small_directory_pages_from_config() {
    let t = T::new(SimConfig::default().page_sizes(2, 3)).await;
    for i in 0..5 {
        t.create_group(&format!("g{i}"), None).await;
    }
    let (all, pages) = t.get_all("/v1.0/groups").await;
    assert_eq!((all.len(), pages), (5, 3));
}
