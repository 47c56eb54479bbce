//! Entra groups (v1.0) and their owners.

use reqwest::Method;
use serde_json::{Value, json};

use super::fields::GROUP;
use super::{
    Body, Collection, req_delete, req_get, req_post, send_list, send_object, send_optional, send_unit,
};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, odata_string, segment};

const GROUPS: Collection = Collection {
    path: "/groups",
    version: ApiVersion::V1,
    update: Method::PATCH,
};

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
    req_get(
        ep,
        GROUPS.version,
        format!("{}?$select={}&$top=999", GROUPS.path, select.join(",")),
    )
}

/// `GET /groups?$filter=displayName eq '…'`: every group with exactly this name.
pub fn find_by_name(ep: &Endpoint, name: &str, select: &[&str]) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        GROUPS.version,
        format!(
            "{}?$filter=displayName%20eq%20'{}'&$select={}",
            GROUPS.path,
            odata_string(name),
            select.join(",")
        ),
    )
}

/// `GET /groups/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        GROUPS.version,
        format!("{}?$select={}", GROUPS.item(id), SELECT.join(",")),
    )
}

/// `GET /groups(uniqueName='…')`: the group with this alternate key (404 when none), with
/// what the apply lock needs.
pub fn get_by_unique_name(ep: &Endpoint, unique_name: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        GROUPS.version,
        format!(
            "{}(uniqueName='{}')?$select=id,displayName,description,uniqueName,createdDateTime",
            GROUPS.path,
            odata_string(unique_name)
        ),
    )
}

/// `POST /groups`.
pub fn create(ep: &Endpoint, body: &Body) -> Result<GraphRequest, Error> {
    GROUPS.create(ep, &GROUP, body)
}

/// `PATCH /groups/{id}`.
pub fn update(ep: &Endpoint, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    GROUPS.update(ep, &GROUP, id, body)
}

/// `DELETE /groups/{id}`.
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    GROUPS.delete(ep, id)
}

/// `GET /groups/{id}/owners?$select=id`.
pub fn list_owners(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        GROUPS.version,
        format!("{}/owners?$select=id", GROUPS.item(id)),
    )
}

/// `POST /groups/{id}/owners/$ref` with the owner's `@odata.id` on this endpoint's Graph.
pub fn add_owner(ep: &Endpoint, group_id: &str, object_id: &str) -> Result<GraphRequest, Error> {
    let body = json!({"@odata.id": ep.directory_object_ref(object_id)});
    req_post(
        ep,
        GROUPS.version,
        format!("{}/owners/$ref", GROUPS.item(group_id)),
        Some(body),
        Repeat::Unsafe,
    )
}

/// `DELETE /groups/{id}/owners/{ownerId}/$ref`.
pub fn remove_owner(ep: &Endpoint, group_id: &str, object_id: &str) -> Result<GraphRequest, Error> {
    req_delete(
        ep,
        GROUPS.version,
        format!("{}/owners/{}/$ref", GROUPS.item(group_id), segment(object_id)),
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

    /// The group with alternate key `uniqueName`; `None` if there is none.
    pub async fn get_by_unique_name(&self, unique_name: &str) -> Result<Option<Body>, Error> {
        send_optional(
            self.client,
            get_by_unique_name(self.client.endpoint(), unique_name),
        )
        .await
    }

    /// One group; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Body>, Error> {
        send_optional(self.client, get(self.client.endpoint(), id)).await
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
