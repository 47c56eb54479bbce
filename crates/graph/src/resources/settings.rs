//! Autopilot service settings and `sync` (beta only). Sync answers 409 while a sync runs and
//! 429 within ten minutes of the last one (graph-api-notes §4).

use super::{Body, req_get, req_post, send_object, send_unit};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat};

/// `GET /deviceManagement/windowsAutopilotSettings`.
pub fn get(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        "/deviceManagement/windowsAutopilotSettings".into(),
    )
}

/// `POST /deviceManagement/windowsAutopilotSettings/sync`.
pub fn sync(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_post(
        ep,
        ApiVersion::Beta,
        "/deviceManagement/windowsAutopilotSettings/sync".into(),
        None,
        Repeat::Unsafe,
    )
}

/// Autopilot settings, on a client.
#[derive(Debug, Clone, Copy)]
pub struct AutopilotSettings<'c> {
    pub(crate) client: &'c GraphClient,
}

impl AutopilotSettings<'_> {
    /// `lastSyncDateTime`, `lastManualSyncTriggerDateTime`, `syncStatus`.
    pub async fn get(&self) -> Result<Body, Error> {
        send_object(self.client, get(self.client.endpoint())).await
    }

    /// Triggers a sync with the Autopilot service.
    pub async fn sync(&self) -> Result<(), Error> {
        send_unit(self.client, sync(self.client.endpoint())).await
    }
}
