//! Autopilot device identities: registered devices (listed as compact [`LiveDevice`] rows, up to
//! 100,000 of them), the bulk `import` into staging, its polling and clean-up, and
//! `updateDeviceProperties` (graph-api-notes §4).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use hangar_model::LiveDevice;

use super::{Body, req_delete, req_get, req_post, send_list, send_object, send_unit, value_array};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, odata_string, segment};

const REGISTERED: &str = "/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTED: &str = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/// Properties read per registered device: exactly the [`LiveDevice`] fields.
pub const SELECT: &str = "id,serialNumber,groupTag,userPrincipalName,displayName,purchaseOrderIdentifier,deploymentProfileAssignmentStatus";

/// One device to import (a row of the Get-WindowsAutopilotInfo CSV).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedDevice {
    /// Serial number.
    pub serial_number: String,
    /// The 4K hardware hash, base64 as in the CSV.
    pub hardware_identifier: String,
    /// Windows product id, often empty.
    pub product_key: String,
    /// Group tag (`OrderID`).
    pub group_tag: String,
    /// Assigned user, often empty.
    pub assigned_user_principal_name: String,
}

/// Fields `updateDeviceProperties` sets; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceProperties {
    /// Group tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_tag: Option<String>,
    /// Assigned user's UPN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Assigned user's greeting name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addressable_user_name: Option<String>,
    /// Device display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// The wire row of a registered device: lenient, unknown fields ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeviceRow {
    id: String,
    #[serde(default)]
    serial_number: Option<String>,
    #[serde(default)]
    group_tag: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    purchase_order_identifier: Option<String>,
    #[serde(default)]
    deployment_profile_assignment_status: Option<String>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl From<DeviceRow> for LiveDevice {
    fn from(row: DeviceRow) -> LiveDevice {
        LiveDevice {
            id: row.id,
            serial_number: row.serial_number.unwrap_or_default(),
            group_tag: non_empty(row.group_tag),
            user_principal_name: non_empty(row.user_principal_name),
            display_name: non_empty(row.display_name),
            purchase_order_identifier: non_empty(row.purchase_order_identifier),
            deployment_profile_assignment_status: non_empty(row.deployment_profile_assignment_status),
        }
    }
}

/// `GET /beta/…/windowsAutopilotDeviceIdentities?$select=…` (beta for
/// `deploymentProfileAssignmentStatus`; no `$top`, which loops on this collection).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(ep, ApiVersion::Beta, format!("{REGISTERED}?$select={SELECT}"))
}

/// `GET …?$filter=contains(serialNumber,'…')`; match exactly client-side (serials can be padded).
pub fn find_by_serial(ep: &Endpoint, serial: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!(
            "{REGISTERED}?$filter=contains(serialNumber,'{}')&$select={SELECT}",
            odata_string(serial.trim())
        ),
    )
}

/// `GET …/windowsAutopilotDeviceIdentities/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!("{REGISTERED}/{}?$select={SELECT}", segment(id)),
    )
}

/// `DELETE …/windowsAutopilotDeviceIdentities/{id}`.
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_delete(ep, ApiVersion::V1, format!("{REGISTERED}/{}", segment(id)))
}

/// `POST …/{id}/updateDeviceProperties`.
pub fn update_properties(
    ep: &Endpoint,
    id: &str,
    properties: &DeviceProperties,
) -> Result<GraphRequest, Error> {
    let body = serde_json::to_value(properties).map_err(|e| Error::InvalidBody {
        resource: "updateDeviceProperties",
        reason: e.to_string(),
    })?;
    req_post(
        ep,
        ApiVersion::V1,
        format!("{REGISTERED}/{}/updateDeviceProperties", segment(id)),
        Some(body),
        Repeat::Safe,
    )
}

/// `POST …/importedWindowsAutopilotDeviceIdentities/import` with every device.
pub fn import(ep: &Endpoint, devices: &[ImportedDevice]) -> Result<GraphRequest, Error> {
    let items: Vec<Value> = devices
        .iter()
        .map(|d| {
            json!({
                "@odata.type": hangar_model::well_known::odata::IMPORTED_DEVICE,
                "serialNumber": d.serial_number,
                "hardwareIdentifier": d.hardware_identifier,
                "productKey": d.product_key,
                "groupTag": d.group_tag,
                "assignedUserPrincipalName": d.assigned_user_principal_name,
                "state": {"deviceImportStatus": "pending", "deviceRegistrationId": "", "deviceErrorCode": 0, "deviceErrorName": ""},
            })
        })
        .collect();
    let body = json!({"importedWindowsAutopilotDeviceIdentities": items});
    req_post(
        ep,
        ApiVersion::V1,
        format!("{IMPORTED}/import"),
        Some(body),
        Repeat::Unsafe,
    )
}

/// `GET …/importedWindowsAutopilotDeviceIdentities`.
pub fn list_imported(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(ep, ApiVersion::V1, IMPORTED.into())
}

/// `GET …/importedWindowsAutopilotDeviceIdentities/{id}` (poll `state.deviceImportStatus`).
pub fn get_imported(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_get(ep, ApiVersion::V1, format!("{IMPORTED}/{}", segment(id)))
}

/// `DELETE …/importedWindowsAutopilotDeviceIdentities/{id}` (clean staging in every case).
pub fn delete_imported(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    req_delete(ep, ApiVersion::V1, format!("{IMPORTED}/{}", segment(id)))
}

/// The import state of a staged device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportState {
    /// `unknown`, `pending`, `partial`, `complete` or `error`.
    pub status: String,
    /// `deviceErrorCode` (e.g. 806).
    pub error_code: i64,
    /// `deviceErrorName` (e.g. `ZtdDeviceAlreadyAssigned`).
    pub error_name: String,
}

impl ImportState {
    /// Reads `state` of an imported device.
    pub fn of(body: &Body) -> ImportState {
        let state = body.get("state");
        let text = |key: &str| {
            state
                .and_then(|s| s.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        ImportState {
            status: text("deviceImportStatus"),
            error_code: state
                .and_then(|s| s.get("deviceErrorCode"))
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            error_name: text("deviceErrorName"),
        }
    }

    /// Whether the import is finished (`complete` or `error`).
    pub fn is_final(&self) -> bool {
        matches!(self.status.as_str(), "complete" | "error")
    }
}

/// Autopilot devices, on a client.
#[derive(Debug, Clone, Copy)]
pub struct AutopilotDevices<'c> {
    pub(crate) client: &'c GraphClient,
}

impl AutopilotDevices<'_> {
    /// Every registered device, as compact rows.
    pub async fn list(&self) -> Result<Vec<LiveDevice>, Error> {
        let rows: Vec<DeviceRow> = crate::paging::collect(self.client, list(self.client.endpoint())?).await?;
        Ok(rows.into_iter().map(LiveDevice::from).collect())
    }

    /// Registered devices whose trimmed serial equals `serial`'s.
    pub async fn find_by_serial(&self, serial: &str) -> Result<Vec<LiveDevice>, Error> {
        let rows: Vec<DeviceRow> =
            crate::paging::collect(self.client, find_by_serial(self.client.endpoint(), serial)?).await?;
        Ok(rows
            .into_iter()
            .map(LiveDevice::from)
            .filter(|d| d.serial() == serial.trim())
            .collect())
    }

    /// One registered device; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<LiveDevice>, Error> {
        let request = get(self.client.endpoint(), id)?;
        match self.client.send(&request).await {
            Ok(response) => Ok(Some(LiveDevice::from(response.json::<DeviceRow>()?))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a registered device.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete(self.client.endpoint(), id)).await
    }

    /// Sets group tag, user or display name.
    pub async fn update_properties(&self, id: &str, properties: &DeviceProperties) -> Result<(), Error> {
        send_unit(
            self.client,
            update_properties(self.client.endpoint(), id, properties),
        )
        .await
    }

    /// Stages devices for import; returns the staged records (poll them with
    /// [`AutopilotDevices::get_imported`], then delete them).
    pub async fn import(&self, devices: &[ImportedDevice]) -> Result<Vec<Body>, Error> {
        let answer = send_object(self.client, import(self.client.endpoint(), devices)).await?;
        Ok(value_array(answer)
            .into_iter()
            .filter_map(|v| v.as_object().cloned())
            .collect())
    }

    /// Every staged import record.
    pub async fn list_imported(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list_imported(self.client.endpoint())).await
    }

    /// One staged import record; `None` if it is gone.
    pub async fn get_imported(&self, id: &str) -> Result<Option<Body>, Error> {
        match send_object(self.client, get_imported(self.client.endpoint(), id)).await {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a staged import record.
    pub async fn delete_imported(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete_imported(self.client.endpoint(), id)).await
    }

    /// Polls a staged import every `interval` until it is `complete` or `error`, or until
    /// `max_wait` has passed (then the last state seen is returned, still not final). A record
    /// that vanished is an [`Error::Api`] 404: the caller decides what that means.
    pub async fn wait_for_import(
        &self,
        id: &str,
        interval: Duration,
        max_wait: Duration,
    ) -> Result<ImportState, Error> {
        let started = tokio::time::Instant::now();
        loop {
            let body = send_object(self.client, get_imported(self.client.endpoint(), id)).await?;
            let state = ImportState::of(&body);
            if state.is_final() || started.elapsed() + interval > max_wait {
                return Ok(state);
            }
            tokio::time::sleep(interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_lenient_and_compact() {
        let row: DeviceRow = serde_json::from_value(json!({
            "id": "d1", "serialNumber": " 5CG1 ", "groupTag": "", "userPrincipalName": null,
            "newField": {"x": 1}, "deploymentProfileAssignmentStatus": "assignedInSync"
        }))
        .unwrap();
        let device = LiveDevice::from(row);
        assert_eq!(device.serial(), "5CG1");
        assert_eq!(device.group_tag, None);
        assert_eq!(
            device.deployment_profile_assignment_status.as_deref(),
            Some("assignedInSync")
        );
    }

    #[test]
    fn import_state() {
        let body = json!({"state": {"deviceImportStatus": "error", "deviceErrorCode": 806, "deviceErrorName": "ZtdDeviceAlreadyAssigned"}});
        let state = ImportState::of(body.as_object().unwrap());
        assert!(state.is_final());
        assert_eq!(state.error_code, 806);
    }
}
