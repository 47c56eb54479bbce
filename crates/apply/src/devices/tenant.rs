//! [`DeviceTenant`]: the fleet-scale device operations the device phase needs on top of
//! [`Tenant`]'s per-object ones, and their implementation over `hangar-graph`.

use std::future::Future;

use hangar_graph::Error as GraphError;
use hangar_graph::resources::devices::{ImportedDevice, StagedRecord, SyncAnswer, SyncSettings};
use hangar_model::LiveDevice;

use crate::tenant::{GraphTenant, StagedImport, Tenant};

/// Bulk device operations: one `import` call for up to 500 devices, the whole staging
/// collection in one read, registrations looked up twenty serials to a request, and the
/// Autopilot sync. Errors are Graph's, unchanged; a failed read is never "nothing there".
pub trait DeviceTenant: Tenant {
    /// Stages `devices` with one `importedWindowsAutopilotDeviceIdentities/import` call (a POST:
    /// never sent twice by the client); returns the staging records it created.
    fn import_devices(
        &self,
        devices: &[ImportedDevice],
    ) -> impl Future<Output = Result<Vec<StagedImport>, GraphError>> + Send;

    /// Every staging record in the tenant (hangar's and anyone else's), without hashes.
    fn staged_imports(&self) -> impl Future<Output = Result<Vec<StagedImport>, GraphError>> + Send;

    /// Registered devices whose trimmed serial is one of `serials`, compared without case.
    fn registered_by_serials(
        &self,
        serials: &[String],
    ) -> impl Future<Output = Result<Vec<LiveDevice>, GraphError>> + Send;

    /// Every registered device.
    fn registered_devices(&self) -> impl Future<Output = Result<Vec<LiveDevice>, GraphError>> + Send;

    /// `windowsAutopilotSettings`: the last manual sync and whether one is running.
    fn sync_settings(&self) -> impl Future<Output = Result<SyncSettings, GraphError>> + Send;

    /// Asks for one Autopilot sync; a refusal is an answer, never retried.
    fn request_sync(&self) -> impl Future<Output = Result<SyncAnswer, GraphError>> + Send;
}

fn staged(record: StagedRecord) -> StagedImport {
    StagedImport {
        id: record.id,
        serial: record.serial,
        state: record.state,
    }
}

impl DeviceTenant for GraphTenant {
    async fn import_devices(&self, devices: &[ImportedDevice]) -> Result<Vec<StagedImport>, GraphError> {
        let records = self.client().autopilot_devices().import_records(devices).await?;
        Ok(records.into_iter().map(staged).collect())
    }

    async fn staged_imports(&self) -> Result<Vec<StagedImport>, GraphError> {
        let records = self.client().autopilot_devices().list_staged().await?;
        Ok(records.into_iter().map(staged).collect())
    }

    async fn registered_by_serials(&self, serials: &[String]) -> Result<Vec<LiveDevice>, GraphError> {
        self.client().autopilot_devices().find_by_serials(serials).await
    }

    async fn registered_devices(&self) -> Result<Vec<LiveDevice>, GraphError> {
        self.client().autopilot_devices().list().await
    }

    async fn sync_settings(&self) -> Result<SyncSettings, GraphError> {
        self.client().autopilot_devices().sync_settings().await
    }

    async fn request_sync(&self) -> Result<SyncAnswer, GraphError> {
        self.client().autopilot_devices().request_sync().await
    }
}

/// The executor's in-memory tenant has no devices; its unit tests plan none.
#[cfg(test)]
impl DeviceTenant for crate::fake::FakeTenant {
    async fn import_devices(&self, devices: &[ImportedDevice]) -> Result<Vec<StagedImport>, GraphError> {
        let mut out = Vec::new();
        for device in devices {
            out.push(self.import_device(device).await?);
        }
        Ok(out)
    }

    async fn staged_imports(&self) -> Result<Vec<StagedImport>, GraphError> {
        Ok(Vec::new())
    }

    async fn registered_by_serials(&self, _serials: &[String]) -> Result<Vec<LiveDevice>, GraphError> {
        Ok(Vec::new())
    }

    async fn registered_devices(&self) -> Result<Vec<LiveDevice>, GraphError> {
        Ok(Vec::new())
    }

    async fn sync_settings(&self) -> Result<SyncSettings, GraphError> {
        Ok(SyncSettings::default())
    }

    async fn request_sync(&self) -> Result<SyncAnswer, GraphError> {
        Ok(SyncAnswer::Started)
    }
}
