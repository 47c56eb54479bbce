//! Intune Connectors for Active Directory (beta `deviceManagement/domainJoinConnectors`,
//! type `deviceManagementDomainJoinConnector`): the on-premises service that creates computer
//! objects for hybrid-joined Autopilot devices, its state (`active`, `error`, `inactive`) and
//! when it last contacted Intune. Not `ndesConnectors`, which are certificate connectors.
//! Permission `DeviceManagementConfiguration.Read.All`.

use super::{Body, req_get, send_list};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::GraphRequest;

/// `GET /beta/deviceManagement/domainJoinConnectors`.
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        "/deviceManagement/domainJoinConnectors".into(),
    )
}

/// Domain join connectors, on a client.
#[derive(Debug, Clone, Copy)]
pub struct DomainJoinConnectors<'c> {
    pub(crate) client: &'c GraphClient,
}

impl DomainJoinConnectors<'_> {
    /// Every connector the tenant has enrolled.
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list(self.client.endpoint())).await
    }
}
