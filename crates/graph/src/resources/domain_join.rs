//! Hybrid-join domain join configurations (beta `deviceConfigurations` of type
//! `windowsDomainJoinConfiguration`), assigned with the replace-all `assign` action (§6).

use serde_json::{Value, json};

use super::fields::DOMAIN_JOIN;
use super::{Body, req_delete, req_get, req_patch, req_post, send_list, send_object, send_unit};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, segment};

const V: ApiVersion = ApiVersion::Beta;
const PATH: &str = "/deviceManagement/deviceConfigurations";

/// `GET …/deviceConfigurations` (every configuration; the reader keeps domain join ones by
/// `@odata.type`, because `isof` filters are not reliable across clouds).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(ep, V, PATH.into())
}

/// `GET …/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(ep, V, format!("{PATH}/{}", segment(id)))
}

/// `POST …`.
pub fn create(ep: &Endpoint, body: &Body) -> Result<GraphRequest, Error> {
    req_post(
        ep,
        V,
        PATH.into(),
        Some(Value::Object(DOMAIN_JOIN.for_create(body)?)),
        Repeat::Unsafe,
    )
}

/// `PATCH …/{id}`.
pub fn update(ep: &Endpoint, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    req_patch(
        ep,
        V,
        format!("{PATH}/{}", segment(id)),
        DOMAIN_JOIN.for_update(body)?,
    )
}

/// `DELETE …/{id}`.
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_delete(ep, V, format!("{PATH}/{}", segment(id)))
}

/// `GET …/{id}/assignments`.
pub fn list_assignments(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(ep, V, format!("{PATH}/{}/assignments", segment(id)))
}

/// `POST …/{id}/assign {"assignments": [{"target": …}]}`: the complete list.
pub fn assign(ep: &Endpoint, id: &str, targets: Vec<Value>) -> Result<GraphRequest, Error> {
    let assignments: Vec<Value> = targets
        .into_iter()
        .map(|target| json!({"target": target}))
        .collect();
    req_post(
        ep,
        V,
        format!("{PATH}/{}/assign", segment(id)),
        Some(json!({"assignments": assignments})),
        Repeat::Safe,
    )
}

/// Domain join configurations, on a client.
#[derive(Debug, Clone, Copy)]
pub struct DomainJoin<'c> {
    pub(crate) client: &'c GraphClient,
}

impl DomainJoin<'_> {
    /// Every domain join configuration (other device configurations are skipped).
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        let all = send_list(self.client, list(self.client.endpoint())).await?;
        Ok(all.into_iter().filter(is_domain_join).collect())
    }

    /// One configuration; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Body>, Error> {
        match send_object(self.client, get(self.client.endpoint(), id)).await {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates one and returns it.
    pub async fn create(&self, body: &Body) -> Result<Body, Error> {
        send_object(self.client, create(self.client.endpoint(), body)).await
    }

    /// Updates one.
    pub async fn update(&self, id: &str, body: &Body) -> Result<(), Error> {
        send_unit(self.client, update(self.client.endpoint(), id, body)).await
    }

    /// Deletes one.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete(self.client.endpoint(), id)).await
    }

    /// Its assignments.
    pub async fn assignments(&self, id: &str) -> Result<Vec<Body>, Error> {
        send_list(self.client, list_assignments(self.client.endpoint(), id)).await
    }

    /// Replaces its assignments with `targets`.
    pub async fn assign(&self, id: &str, targets: Vec<Value>) -> Result<(), Error> {
        send_unit(self.client, assign(self.client.endpoint(), id, targets)).await
    }
}

/// Whether a device configuration is a domain join configuration.
pub fn is_domain_join(body: &Body) -> bool {
    body.get("@odata.type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(hangar_model::well_known::odata::DOMAIN_JOIN))
}
