//! Service principals (v1.0): finding, or creating, the Intune Provisioning Client.

use serde_json::json;

use super::{Body, req_get, req_post, send_list, send_object};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, odata_string};

/// `GET /servicePrincipals?$filter=appId eq '…'&$select=id,appId,displayName`.
pub fn find_by_app_id(ep: &Endpoint, app_id: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::V1,
        format!(
            "/servicePrincipals?$filter=appId%20eq%20'{}'&$select=id,appId,displayName",
            odata_string(app_id)
        ),
    )
}

/// `POST /servicePrincipals {"appId": …}` (needs `Application.ReadWrite.All`).
pub fn create_for_app(ep: &Endpoint, app_id: &str) -> Result<GraphRequest, Error> {
    req_post(
        ep,
        ApiVersion::V1,
        "/servicePrincipals".into(),
        Some(json!({"appId": app_id})),
        Repeat::Unsafe,
    )
}

/// Service principals, on a client.
#[derive(Debug, Clone, Copy)]
pub struct ServicePrincipals<'c> {
    pub(crate) client: &'c GraphClient,
}

impl ServicePrincipals<'_> {
    /// The service principal of `app_id` in this tenant, if any.
    pub async fn find_by_app_id(&self, app_id: &str) -> Result<Option<Body>, Error> {
        let found = send_list(self.client, find_by_app_id(self.client.endpoint(), app_id)).await?;
        Ok(found.into_iter().next())
    }

    /// Creates the service principal of a Microsoft app (e.g. the Intune Provisioning Client).
    pub async fn create_for_app(&self, app_id: &str) -> Result<Body, Error> {
        send_object(self.client, create_for_app(self.client.endpoint(), app_id)).await
    }
}
