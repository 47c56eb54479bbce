//! Entra groups (v1.0) and their owners.

use serde_json::{Value, json};

use super::fields::GROUP;
use super::{Body, req_delete, req_get, req_patch, req_post, send_list, send_object, send_unit};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, odata_string, segment};

const V: ApiVersion = ApiVersion::V1;

/// Properties read for groups: identity plus what the planner compares.
pub const SELECT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "isAssignableToRole",
];

/// `GET /groups` (every group), with `$select` and the largest page (999).
pub fn list(ep: &Endpoint, select: &[&str]) -> Result<GraphRequest, Error> {
    req_get(ep, V, format!("/groups?$select={}&$top=999", select.join(",")))
}

/// `GET /groups?$filter=displayName eq '…'`: every group with exactly this name.
pub fn find_by_name(ep: &Endpoint, name: &str, select: &[&str]) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        V,
        format!(
            "/groups?$filter=displayName%20eq%20'{}'&$select={}",
            odata_string(name),
            select.join(",")
        ),
    )
}

/// `GET /groups/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        V,
        format!("/groups/{}?$select={}", segment(id), SELECT.join(",")),
    )
}

/// `POST /groups`.
pub fn create(ep: &Endpoint, body: &Body) -> Result<GraphRequest, Error> {
    req_post(
        ep,
        V,
        "/groups".into(),
        Some(Value::Object(GROUP.for_create(body)?)),
        Repeat::Unsafe,
    )
}

/// `PATCH /groups/{id}`.
pub fn update(ep: &Endpoint, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    req_patch(ep, V, format!("/groups/{}", segment(id)), GROUP.for_update(body)?)
}

/// `DELETE /groups/{id}`.
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_delete(ep, V, format!("/groups/{}", segment(id)))
}

/// `GET /groups/{id}/owners?$select=id`.
pub fn list_owners(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(ep, V, format!("/groups/{}/owners?$select=id", segment(id)))
}

/// `POST /groups/{id}/owners/$ref` with the owner's `@odata.id` on this endpoint's Graph.
pub fn add_owner(ep: &Endpoint, group_id: &str, object_id: &str) -> Result<GraphRequest, Error> {
    let body = json!({"@odata.id": ep.directory_object_ref(object_id)});
    req_post(
        ep,
        V,
        format!("/groups/{}/owners/$ref", segment(group_id)),
        Some(body),
        Repeat::Unsafe,
    )
}

/// `DELETE /groups/{id}/owners/{ownerId}/$ref`.
pub fn remove_owner(ep: &Endpoint, group_id: &str, object_id: &str) -> Result<GraphRequest, Error> {
    req_delete(
        ep,
        V,
        format!("/groups/{}/owners/{}/$ref", segment(group_id), segment(object_id)),
    )
}

/// Groups, on a client.
#[derive(Debug, Clone, Copy)]
pub struct Groups<'c> {
    pub(crate) client: &'c GraphClient,
}

impl Groups<'_> {
    /// Every group (selected properties).
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list(self.client.endpoint(), SELECT)).await
    }

    /// Every group named exactly `name` (several means a duplicate the caller must report).
    pub async fn find_by_name(&self, name: &str) -> Result<Vec<Body>, Error> {
        let found = send_list(self.client, find_by_name(self.client.endpoint(), name, SELECT)).await?;
        Ok(found
            .into_iter()
            .filter(|g| g.get("displayName").and_then(Value::as_str) == Some(name))
            .collect())
    }

    /// One group; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Body>, Error> {
        match send_object(self.client, get(self.client.endpoint(), id)).await {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a group and returns it (with its `id`).
    pub async fn create(&self, body: &Body) -> Result<Body, Error> {
        send_object(self.client, create(self.client.endpoint(), body)).await
    }

    /// Updates a group.
    pub async fn update(&self, id: &str, body: &Body) -> Result<(), Error> {
        send_unit(self.client, update(self.client.endpoint(), id, body)).await
    }

    /// Deletes a group.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete(self.client.endpoint(), id)).await
    }

    /// Object ids of the group's owners.
    pub async fn owners(&self, id: &str) -> Result<Vec<String>, Error> {
        let owners = send_list(self.client, list_owners(self.client.endpoint(), id)).await?;
        Ok(owners
            .iter()
            .filter_map(|o| super::id_of(o).map(str::to_owned))
            .collect())
    }

    /// Adds an owner. An object that already is an owner counts as success (Graph answers 400
    /// "already exist"), so the call can be repeated.
    pub async fn add_owner(&self, group_id: &str, object_id: &str) -> Result<(), Error> {
        match send_unit(
            self.client,
            add_owner(self.client.endpoint(), group_id, object_id),
        )
        .await
        {
            Err(Error::Api(api))
                if api.status == 400 && api.message.to_ascii_lowercase().contains("already exist") =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Removes an owner.
    pub async fn remove_owner(&self, group_id: &str, object_id: &str) -> Result<(), Error> {
        send_unit(
            self.client,
            remove_owner(self.client.endpoint(), group_id, object_id),
        )
        .await
    }
}
