//! The tenant's device registration policy (v1.0): whether users may join devices to Entra
//! (`azureADJoin.allowedToJoin`), their device quota and the MFA requirement
//! (`GET /policies/deviceRegistrationPolicy`, permission `Policy.Read.DeviceConfiguration`).

use super::{Body, req_get, send_object};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::GraphRequest;

/// `GET /v1.0/policies/deviceRegistrationPolicy`.
pub fn get(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(ep, ApiVersion::V1, "/policies/deviceRegistrationPolicy".into())
}

/// The device registration policy, on a client.
#[derive(Debug, Clone, Copy)]
pub struct DeviceRegistrationPolicy<'c> {
    pub(crate) client: &'c GraphClient,
}

impl DeviceRegistrationPolicy<'_> {
    /// The policy (a singleton).
    pub async fn get(&self) -> Result<Body, Error> {
        send_object(self.client, get(self.client.endpoint())).await
    }
}
