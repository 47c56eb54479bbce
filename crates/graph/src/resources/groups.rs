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

/// Most names one [`find_by_names`] request asks for: Graph allows 15 expressions in a filter
/// by default ("filter query parameter" on Microsoft Learn, the note on the `in` operator).
pub const NAMES_PER_REQUEST: usize = 15;

/// Most bytes of encoded names in one [`find_by_names`] request, well inside the 2,048
/// characters Graph documents for a request URL with advanced queries.
const NAME_BYTES_PER_REQUEST: usize = 1_500;

/// `GET /groups?$filter=displayName in ('…', …)`: every group with one of these names (at most
/// [`NAMES_PER_REQUEST`]; [`name_chunks`] splits a longer list). Graph compares names without
/// regard to case; callers keep only exact matches.
pub fn find_by_names(ep: &Endpoint, names: &[&str], select: &[&str]) -> Result<GraphRequest, Error> {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{}'", odata_string(n))).collect();
    req_get(
        ep,
        GROUPS.version,
        format!(
            "{}?$filter=displayName%20in%20({})&$select={}",
            GROUPS.path,
            quoted.join(","),
            select.join(",")
        ),
    )
}

/// `names` in the chunks [`find_by_names`] takes: at most [`NAMES_PER_REQUEST`] names and
/// about 1,500 bytes of encoded names each (a single longer name goes alone). Order is kept.
pub fn name_chunks<'a>(names: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut chunks: Vec<Vec<&str>> = Vec::new();
    let mut bytes = 0;
    for &name in names {
        let cost = odata_string(name).len() + 3;
        let full = chunks
            .last()
            .is_none_or(|last| last.len() == NAMES_PER_REQUEST || bytes + cost > NAME_BYTES_PER_REQUEST);
        if full {
            chunks.push(Vec::new());
            bytes = 0;
        }
        if let Some(last) = chunks.last_mut() {
            last.push(name);
        }
        bytes += cost;
    }
    chunks
}

/// `GET /groups/{id}/members/$count` with `ConsistencyLevel: eventual` (an advanced query:
/// without the header Graph refuses `$count`); the answer is a plain-text number.
pub fn count_members(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    let mut request = req_get(ep, GROUPS.version, format!("{}/members/$count", GROUPS.item(id)))?;
    request
        .headers
        .push(("ConsistencyLevel".to_owned(), "eventual".to_owned()));
    Ok(request)
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

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;

    #[test]
    fn names_go_fifteen_to_a_request_quoted_and_encoded() {
        let ep = Endpoint::new(Cloud::Commercial);
        let request = find_by_names(&ep, &["O'Brien & co", "Sales"], &["id", "displayName"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            request.url.query(),
            Some(
                "$filter=displayName%20in%20(%27O%27%27Brien%20%26%20co%27,%27Sales%27)&$select=id,displayName"
            )
        );
        let names: Vec<String> = (0..40).map(|i| format!("Autopilot-T{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let chunks = name_chunks(&names);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [15, 15, 10]);
        assert_eq!(chunks.concat(), names, "every name once, in order");
        assert!(name_chunks(&[]).is_empty());
    }

    #[test]
    fn long_names_make_smaller_requests_and_a_huge_one_goes_alone() {
        let long = "é".repeat(250); // 500 bytes, 1,500 once percent-encoded
        let names = [long.as_str(), "a", long.as_str(), "b"];
        let chunks = name_chunks(&names);
        assert!(chunks.iter().all(|c| !c.is_empty()));
        assert_eq!(chunks.concat(), names);
        assert_eq!(chunks[0], [long.as_str()], "a name over the budget goes alone");
        for chunk in &chunks {
            let bytes: usize = chunk.iter().map(|n| odata_string(n).len() + 3).sum();
            assert!(chunk.len() == 1 || bytes <= NAME_BYTES_PER_REQUEST, "{bytes}");
        }
    }
}
