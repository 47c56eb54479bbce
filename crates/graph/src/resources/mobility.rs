//! Entra mobility (MDM) policies, beta only: who is in the MDM user scope of automatic
//! enrollment and which MDM URLs devices are given (`GET /policies/mobileDeviceManagementPolicies`,
//! the portal's Entra > Settings > Mobility). Microsoft documents this read for **delegated**
//! tokens only (`Policy.Read.All`); an application token gets 403.

use super::{Body, req_get, send_list};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::GraphRequest;

/// `GET /beta/policies/mobileDeviceManagementPolicies?$expand=includedGroups` (the groups of a
/// `selected` scope come with each policy).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        "/policies/mobileDeviceManagementPolicies?$expand=includedGroups".into(),
    )
}

/// Mobility (MDM) policies, on a client.
#[derive(Debug, Clone, Copy)]
pub struct MobilityPolicies<'c> {
    pub(crate) client: &'c GraphClient,
}

impl MobilityPolicies<'_> {
    /// Every MDM policy with its included groups.
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list(self.client.endpoint())).await
    }
}
