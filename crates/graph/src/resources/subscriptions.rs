//! The tenant's subscriptions (v1.0 `subscribedSkus`): which products, with which service plans
//! (Intune is a service plan, `INTUNE_A` and kin), and their status. Permission
//! `Organization.Read.All`.

use super::{Body, req_get, send_list};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::GraphRequest;

/// `GET /v1.0/subscribedSkus` (a few dozen items at most; Graph supports no `$filter` here).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(ep, ApiVersion::V1, "/subscribedSkus".into())
}

/// Subscribed SKUs, on a client.
#[derive(Debug, Clone, Copy)]
pub struct SubscribedSkus<'c> {
    pub(crate) client: &'c GraphClient,
}

impl SubscribedSkus<'_> {
    /// Every subscribed SKU.
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list(self.client.endpoint())).await
    }
}
