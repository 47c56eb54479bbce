//! Autopilot device identities: registered devices (listed as compact [`LiveDevice`] rows, up to
//! 100,000 of them, or looked up by serial twenty to a `$batch`), the bulk `import` into staging,
//! its polling (the whole staging collection at once, without hashes) and clean-up,
//! `updateDeviceProperties`, and the Autopilot sync as hangar asks for it (graph-api-notes §4).

use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use hangar_model::LiveDevice;

use super::{
    Body, req_delete, req_get, req_post, send_list, send_object, send_optional, send_unit, value_array,
};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, Service, odata_string, segment};

const REGISTERED: &str = "/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTED: &str = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/// Properties read per registered device: exactly the [`LiveDevice`] fields.
pub const SELECT: &str = "id,serialNumber,groupTag,userPrincipalName,displayName,purchaseOrderIdentifier,deploymentProfileAssignmentStatus";

/// Properties read per registered device for `hangar doctor`'s profile-assignment status.
pub const STATUS_SELECT: &str = "id,serialNumber,groupTag,displayName,enrollmentState,deploymentProfileAssignmentStatus,deploymentProfileAssignmentDetailedStatus,deploymentProfileAssignedDateTime";

/// Properties read per staging record when polling: not `hardwareIdentifier`, which is 4 KB of
/// base64 per device.
pub const IMPORTED_SELECT: &str = "id,serialNumber,groupTag,state";

/// Most devices the Intune portal takes in one CSV upload, which is one `import` call: 500
/// (MicrosoftDocs/memdocs#3518, windows-itpro-docs#3829). hangar never sends more per call.
pub const MAX_IMPORT_DEVICES: usize = 500;

/// Most bytes of JSON hangar puts in one `import` call: Graph refuses request bodies over
/// 4 MB; 500 real hashes (about 4 KB each) come to about 2.2 MB.
pub const MAX_IMPORT_BYTES: usize = 3 * 1024 * 1024;

/// JSON bytes one device adds to an `import` body besides its hash, serial, tag and user (the
/// property names, `@odata.type` and `state`): an upper bound, for splitting batches by size.
pub const IMPORT_OVERHEAD_BYTES: usize = 400;

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

/// `GET /beta/…/windowsAutopilotDeviceIdentities?$select=…` with the profile-assignment status
/// fields ([`STATUS_SELECT`], beta only), no `$top`.
pub fn list_profile_status(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!("{REGISTERED}?$select={STATUS_SELECT}"),
    )
}

/// One registered device's deployment profile assignment, as `hangar doctor` reports it.
/// Lenient: every field but `id` may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileStatus {
    /// Graph id.
    pub id: String,
    /// Serial number (may carry padding).
    #[serde(default)]
    pub serial_number: Option<String>,
    /// Group tag.
    #[serde(default)]
    pub group_tag: Option<String>,
    /// Display name, when set.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `enrollmentState` (`notContacted`, `enrolled`, `failed`, …).
    #[serde(default)]
    pub enrollment_state: Option<String>,
    /// `deploymentProfileAssignmentStatus` (`notAssigned`, `pending`, `failed`, `assignedInSync`, …).
    #[serde(default)]
    pub deployment_profile_assignment_status: Option<String>,
    /// `deploymentProfileAssignmentDetailedStatus` (`none`, `hardwareRequirementsNotMet`, …).
    #[serde(default)]
    pub deployment_profile_assignment_detailed_status: Option<String>,
    /// `deploymentProfileAssignedDateTime`, as Graph wrote it.
    #[serde(default)]
    pub deployment_profile_assigned_date_time: Option<String>,
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

/// `GET …/importedWindowsAutopilotDeviceIdentities?$select=id,serialNumber,groupTag,state`:
/// every staging record's state without its hash, for polling many imports with one request per
/// 1,000 records.
pub fn list_imported_states(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::V1,
        format!("{IMPORTED}?$select={IMPORTED_SELECT}"),
    )
}

/// `POST /beta/$batch` holding the one request `POST /deviceManagement/windowsAutopilotSettings/sync`.
///
/// Why a batch of one: a sync within ten minutes of the last one is refused with 429, which is
/// a rule, not throttling, and waiting it out is pointless; sent on its own, the client's retry
/// policy would keep repeating it for minutes. Inside a batch the 429 comes back as the inner
/// status of a 200 answer, and the caller decides (graph-api-notes §4, §8).
pub fn sync_in_batch(ep: &Endpoint) -> Result<GraphRequest, Error> {
    let url = ep.graph_url(ApiVersion::Beta, "/$batch")?;
    Ok(GraphRequest {
        method: Method::POST,
        version: ApiVersion::Beta,
        relative: "/$batch".into(),
        url,
        headers: Vec::new(),
        body: Some(json!({"requests": [{
            "id": "1",
            "method": "POST",
            "url": "/deviceManagement/windowsAutopilotSettings/sync",
        }]})),
        repeat: Repeat::Unsafe,
        service: Service::Intune,
    })
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

/// A staging record as polling sees it (no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedRecord {
    /// Id of the `importedWindowsAutopilotDeviceIdentity`.
    pub id: String,
    /// `serialNumber`, trimmed.
    pub serial: String,
    /// `groupTag` as staged.
    pub group_tag: String,
    /// `state`.
    pub state: ImportState,
}

impl StagedRecord {
    /// Reads a staging record; `None` without an `id`.
    pub fn of(body: &Body) -> Option<StagedRecord> {
        let text = |key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        Some(StagedRecord {
            id: super::id_of(body)?.to_owned(),
            serial: text("serialNumber"),
            group_tag: text("groupTag"),
            state: ImportState::of(body),
        })
    }
}

/// `windowsAutopilotSettings` as the sync decision needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSettings {
    /// `syncStatus`: `unknown`, `inProgress`, `completed` or `failed`.
    pub sync_status: String,
    /// `lastManualSyncTriggerDateTime` as Graph wrote it; `None` when never (`0001-01-01…`).
    pub last_manual_trigger: Option<String>,
    /// The same instant in milliseconds since the Unix epoch, when it parses.
    pub last_manual_trigger_ms: Option<i64>,
    /// `lastSyncDateTime`; `None` when never.
    pub last_sync: Option<String>,
}

impl SyncSettings {
    /// Reads the settings object.
    pub fn of(body: &Body) -> SyncSettings {
        let time = |key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .filter(|t| parse_time_ms(t).is_some())
                .map(str::to_owned)
        };
        let last_manual_trigger = time("lastManualSyncTriggerDateTime");
        SyncSettings {
            sync_status: body
                .get("syncStatus")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
            last_manual_trigger_ms: last_manual_trigger.as_deref().and_then(parse_time_ms),
            last_manual_trigger,
            last_sync: time("lastSyncDateTime"),
        }
    }

    /// Whether a sync is running now (another one is refused with 409).
    pub fn in_progress(&self) -> bool {
        self.sync_status.eq_ignore_ascii_case("inProgress")
    }
}

/// Parses a Graph timestamp (`2026-11-26T09:10:35.1234567Z`, an offset instead of `Z`, or no
/// zone, read as UTC) into milliseconds since the Unix epoch. Intune's "never"
/// (`0001-01-01T00:00:00Z`) and anything before 1970 give `None`, as does anything malformed.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', 't', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if year < 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset_minutes) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
        let minutes = hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?;
        (clock, sign * minutes)
    } else {
        (time, 0)
    };
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut clock_parts = whole.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: i64 = clock_parts.next().unwrap_or("0").parse().ok()?;
    if hour > 23 || minute > 59 || second > 60 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60) * 1000) + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What Intune answered to a sync request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncAnswer {
    /// 204: the sync started.
    Started,
    /// Refused: 429 within ten minutes of the last sync, 409 while one runs, or anything else.
    Refused {
        /// Inner HTTP status.
        status: u16,
        /// Graph's `error.code`.
        code: String,
        /// Graph's message.
        message: String,
        /// `request-id` of the inner request, when Graph gave one.
        request_id: String,
    },
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

    /// Every registered device's profile-assignment status (for `hangar doctor`).
    pub async fn list_profile_status(&self) -> Result<Vec<ProfileStatus>, Error> {
        crate::paging::collect(self.client, list_profile_status(self.client.endpoint())?).await
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
        send_optional(self.client, get_imported(self.client.endpoint(), id)).await
    }

    /// Deletes a staged import record.
    pub async fn delete_imported(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete_imported(self.client.endpoint(), id)).await
    }

    /// Stages devices for import and reads the answer as staging records.
    pub async fn import_records(&self, devices: &[ImportedDevice]) -> Result<Vec<StagedRecord>, Error> {
        Ok(self
            .import(devices)
            .await?
            .iter()
            .filter_map(StagedRecord::of)
            .collect())
    }

    /// Every staging record, without hashes, following `@odata.nextLink`.
    pub async fn list_staged(&self) -> Result<Vec<StagedRecord>, Error> {
        let bodies = send_list(self.client, list_imported_states(self.client.endpoint())).await?;
        Ok(bodies.iter().filter_map(StagedRecord::of).collect())
    }

    /// Registered devices whose trimmed serial is one of `serials`, compared without case (the
    /// caller decides how strict to be): one filtered read per serial, twenty to a `$batch`, the
    /// batches in parallel. Any failed lookup fails the whole call (a failed read is never "not
    /// registered").
    pub async fn find_by_serials(&self, serials: &[String]) -> Result<Vec<LiveDevice>, Error> {
        let endpoint = self.client.endpoint();
        let requests = serials
            .iter()
            .map(|serial| find_by_serial(endpoint, serial))
            .collect::<Result<Vec<_>, Error>>()?;
        let answers = crate::batch::send_all(self.client, requests).await?;
        let mut found = Vec::new();
        for (serial, answer) in serials.iter().zip(answers) {
            let page = answer?;
            if page.get("@odata.nextLink").is_some_and(|link| !link.is_null()) {
                // More than a page of partial matches: read this one to the end.
                let rows: Vec<DeviceRow> =
                    crate::paging::collect(self.client, find_by_serial(endpoint, serial)?).await?;
                found.extend(
                    rows.into_iter()
                        .map(LiveDevice::from)
                        .filter(|d| d.serial().eq_ignore_ascii_case(serial.trim())),
                );
                continue;
            }
            let rows: Vec<DeviceRow> = match page.get("value") {
                Some(value) => serde_json::from_value(value.clone()).map_err(|e| Error::InvalidBody {
                    resource: "windowsAutopilotDeviceIdentities",
                    reason: format!("a lookup by serial answered an unreadable page: {e}"),
                })?,
                None => Vec::new(),
            };
            found.extend(
                rows.into_iter()
                    .map(LiveDevice::from)
                    .filter(|d| d.serial().eq_ignore_ascii_case(serial.trim())),
            );
        }
        Ok(found)
    }

    /// `lastManualSyncTriggerDateTime`, `lastSyncDateTime` and `syncStatus`.
    pub async fn sync_settings(&self) -> Result<SyncSettings, Error> {
        let body = send_object(self.client, super::settings::get(self.client.endpoint())).await?;
        Ok(SyncSettings::of(&body))
    }

    /// Asks Intune to sync with the Autopilot service, once: a refusal (429 within ten minutes
    /// of the last sync, 409 while one runs) is an answer, not an error, and is never repeated
    /// (see [`sync_in_batch`]). `Err` is for the request itself failing.
    pub async fn request_sync(&self) -> Result<SyncAnswer, Error> {
        let response = self.client.send(&sync_in_batch(self.client.endpoint())?).await?;
        let envelope = response.object()?;
        let item = envelope
            .get("responses")
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .find(|item| item.get("id").and_then(Value::as_str) == Some("1"))
            })
            .ok_or_else(|| Error::InvalidBody {
                resource: "$batch",
                reason: "the batch answer has no response for the sync request".into(),
            })?;
        let status = item
            .get("status")
            .and_then(Value::as_u64)
            .map_or(0, |s| u16::try_from(s).unwrap_or(0));
        if (200..300).contains(&status) {
            return Ok(SyncAnswer::Started);
        }
        let body = item
            .get("body")
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        let (code, message, inner_request_id) = crate::error::parse_error_body(&body);
        let request_id = item
            .get("headers")
            .and_then(Value::as_object)
            .and_then(|headers| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("request-id"))
                    .and_then(|(_, v)| v.as_str())
            })
            .map(str::to_owned)
            .or(inner_request_id)
            .unwrap_or_default();
        Ok(SyncAnswer::Refused {
            status,
            code,
            message,
            request_id,
        })
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
    fn graph_times_parse() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time_ms("2026-11-26T09:10:35.1234567Z"),
            Some(1_795_684_235_123)
        );
        assert_eq!(
            parse_time_ms("2026-11-26T10:10:35.123+01:00"),
            Some(1_795_684_235_123)
        );
        assert_eq!(parse_time_ms("2000-02-29T00:00:00"), Some(951_782_400_000));
        assert_eq!(parse_time_ms("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_time_ms("yesterday"), None);
        assert_eq!(parse_time_ms("2026-13-01T00:00:00Z"), None);
    }

    #[test]
    fn sync_settings_read_never_as_none() {
        let body = json!({"syncStatus": "completed", "lastManualSyncTriggerDateTime": "0001-01-01T00:00:00Z", "lastSyncDateTime": "2026-01-02T03:04:05Z"});
        let settings = SyncSettings::of(body.as_object().unwrap());
        assert_eq!(settings.last_manual_trigger, None);
        assert_eq!(settings.last_sync.as_deref(), Some("2026-01-02T03:04:05Z"));
        assert!(!settings.in_progress());
    }

    #[test]
    fn staged_records_are_read_without_hashes() {
        let body = json!({"id": "s1", "serialNumber": " 5CG1 ", "groupTag": "Sales", "state": {"deviceImportStatus": "unknown"}});
        let record = StagedRecord::of(body.as_object().unwrap()).unwrap();
        assert_eq!(record.serial, "5CG1");
        assert_eq!(record.state.status, "unknown");
        assert!(StagedRecord::of(json!({"serialNumber": "x"}).as_object().unwrap()).is_none());
    }

    #[test]
    fn import_state() {
        let body = json!({"state": {"deviceImportStatus": "error", "deviceErrorCode": 806, "deviceErrorName": "ZtdDeviceAlreadyAssigned"}});
        let state = ImportState::of(body.as_object().unwrap());
        assert!(state.is_final());
        assert_eq!(state.error_code, 806);
    }
}
