//! Hybrid-join domain join configurations (beta `deviceConfigurations` of type
//! `windowsDomainJoinConfiguration`), assigned with the replace-all `assign` action (§6).

use reqwest::Method;
use serde_json::Value;

use super::fields::DOMAIN_JOIN;
use super::{Body, Collection, send_list, send_object, send_optional, send_unit};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::GraphRequest;

const DEVICE_CONFIGURATIONS: Collection = Collection {
    path: "/deviceManagement/deviceConfigurations",
    version: ApiVersion::Beta,
    update: Method::PATCH,
};

/// `GET …/deviceConfigurations` (every configuration; the reader keeps domain join ones by
/// `@odata.type`, because `isof` filters are not reliable across clouds).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.list(ep)
}

/// `GET …/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.get(ep, id)
}

/// `POST …`.
pub fn create(ep: &Endpoint, body: &Body) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.create(ep, &DOMAIN_JOIN, body)
}

/// `PATCH …/{id}`.
pub fn update(ep: &Endpoint, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.update(ep, &DOMAIN_JOIN, id, body)
}

/// `DELETE …/{id}`.
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.delete(ep, id)
}

/// `GET …/{id}/assignments`.
pub fn list_assignments(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.list_related(ep, id, "assignments")
}

/// `POST …/{id}/assign {"assignments": [{"target": …}]}`: the complete list.
pub fn assign(ep: &Endpoint, id: &str, targets: Vec<Value>) -> Result<GraphRequest, Error> {
    DEVICE_CONFIGURATIONS.assign(ep, id, "assignments", targets)
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
        send_optional(self.client, get(self.client.endpoint(), id)).await
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
