//! One device action at a time, for [`crate::executor::apply`] called on its own (the
//! executor's `actions::run` hooks): the same rules as the device phase in [`super`], without
//! batching. [`crate::apply`] never sends device actions here.
//!
//! - **import**: the hash is read back from its CSV row; the device is staged with
//!   `importedWindowsAutopilotDeviceIdentities/import` (never sent twice: an answer that may
//!   hide a commit is resolved by looking for a staging record or a registration with the
//!   serial); the staging record is polled until `complete` or `error`, deleted in every case,
//!   and the registration confirmed in `windowsAutopilotDeviceIdentities`.
//!   A row's display name is then set with `updateDeviceProperties` (an import cannot carry one).
//! - **update**: `updateDeviceProperties` (group tag, user, display name). Safe to repeat.
//! - **delete**: `DELETE`; a device already gone counts as deleted.

use hangar_graph::resources::devices::{DeviceProperties, ImportedDevice};
use hangar_plan::{Action, DeviceImport, DeviceUpdate};
use tokio::time::Instant;

use crate::Error;
use crate::actions::is_gone;
use crate::executor::Step;
use crate::tenant::{StagedImport, Tenant};
use crate::unknown::maybe_committed;

/// Imports one device and sets its display name, if the row names one; returns the id of its
/// registration.
pub(crate) async fn import<T: Tenant>(step: &Step<'_, T>, import: &DeviceImport) -> Result<String, Error> {
    let id = register(step, import).await?;
    if let Some(name) = &import.display_name {
        let properties = DeviceProperties {
            display_name: Some(name.clone()),
            ..DeviceProperties::default()
        };
        step.tenant.update_device(&id, &properties).await?;
    }
    Ok(id)
}

/// Imports one device; returns the id of its registration.
async fn register<T: Tenant>(step: &Step<'_, T>, import: &DeviceImport) -> Result<String, Error> {
    let serial = import.serial_number.trim();
    if step.attempt > 0
        && let Some(device) = step.tenant.devices_by_serial(serial).await?.into_iter().next()
    {
        step.note("already registered (an earlier attempt imported it)".into());
        return Ok(device.id);
    }
    let reusable = |s: &StagedImport| s.state.status != "error";
    let mut staged = if step.attempt > 0 {
        step.tenant
            .staged_by_serial(serial)
            .await?
            .into_iter()
            .find(reusable)
    } else {
        None
    };
    if staged.is_none() {
        let device = ImportedDevice {
            serial_number: serial.to_owned(),
            hardware_identifier: read_hash(import)?,
            product_key: import.product_key.clone().unwrap_or_default(),
            group_tag: import.group_tag.clone().unwrap_or_default(),
            assigned_user_principal_name: import.assigned_user.clone().unwrap_or_default(),
        };
        let mut tries = 0;
        while staged.is_none() {
            tries += 1;
            match step.tenant.import_device(&device).await {
                Ok(record) => staged = Some(record),
                Err(error) if maybe_committed(&error) && tries < step.options.attempts.max(1) => {
                    step.waiting(&format!(
                        "the answer to the import of `{serial}` was lost ({error}); looking for it before trying again"
                    ));
                    staged = step
                        .tenant
                        .staged_by_serial(serial)
                        .await?
                        .into_iter()
                        .find(reusable);
                    if staged.is_none()
                        && let Some(device) = step.tenant.devices_by_serial(serial).await?.into_iter().next()
                    {
                        return Ok(device.id);
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    let Some(staged) = staged else {
        return Err(Error::UnresolvedObject {
            address: hangar_plan::Address::new(hangar_model::Kind::AutopilotDevice, serial),
        });
    };
    let state = poll(step, serial, staged).await;
    let state = match state {
        Ok(state) => state,
        Err(error) => return Err(error),
    };
    if state.status == "error" {
        return Err(Error::DeviceImport {
            serial: serial.to_owned(),
            code: state.error_code,
            hint: super::import::hint(state.error_code),
            name: state.error_name,
        });
    }
    // The registration follows the staging record; wait for it within the same budget.
    let wait = step.options.import_poll;
    let started = Instant::now();
    let mut pause = 0;
    loop {
        if let Some(device) = step.tenant.devices_by_serial(serial).await?.into_iter().next() {
            return Ok(device.id);
        }
        let next = wait.step(pause);
        if started.elapsed() + next > wait.total {
            return Err(Error::DeviceImportPending {
                serial: serial.to_owned(),
                status: "complete, not yet registered".into(),
                waited_secs: started.elapsed().as_secs_f64(),
            });
        }
        tokio::time::sleep(next).await;
        pause += 1;
    }
}

/// Polls a staging record until it is final, then deletes it (in every case).
async fn poll<T: Tenant>(
    step: &Step<'_, T>,
    serial: &str,
    staged: StagedImport,
) -> Result<hangar_graph::resources::devices::ImportState, Error> {
    let wait = step.options.import_poll;
    let started = Instant::now();
    let mut state = staged.state.clone();
    let mut pause = 0;
    while !state.is_final() {
        let next = wait.step(pause);
        if started.elapsed() + next > wait.total {
            return Err(Error::DeviceImportPending {
                serial: serial.to_owned(),
                status: state.status,
                waited_secs: started.elapsed().as_secs_f64(),
            });
        }
        step.waiting(&format!("import of `{serial}` is `{}`", state.status));
        tokio::time::sleep(next).await;
        pause += 1;
        match step.tenant.staged(&staged.id).await? {
            Some(record) => state = record.state,
            None => break,
        }
    }
    match step.tenant.delete_staged(&staged.id).await {
        Err(e) if !is_gone(&e) => {
            step.note(format!(
                "the staging record `{}` could not be deleted: {e}",
                staged.id
            ));
        }
        _ => {}
    }
    Ok(state)
}

/// Reads the device's hash back from its CSV row, checking the row is still the one planned.
fn read_hash(import: &DeviceImport) -> Result<String, Error> {
    let source = &import.source;
    hangar_config::devices::HashReader::new()
        .read(
            std::path::Path::new(&source.csv),
            &import.serial_number,
            source.row,
            source.record_offset,
            source.column,
        )
        .map_err(|e| Error::Hash(Box::new(e)))
}

/// Sets a registered device's group tag (and user and display name, when the CSV names them).
pub(crate) async fn update<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    update: &DeviceUpdate,
) -> Result<(), Error> {
    let id = device_id(step, action, &update.serial_number).await?;
    let properties = DeviceProperties {
        group_tag: Some(update.group_tag.clone()),
        user_principal_name: update.user_principal_name.clone(),
        display_name: update.display_name.clone(),
        ..DeviceProperties::default()
    };
    step.tenant.update_device(&id, &properties).await?;
    Ok(())
}

/// Deletes a registered device; gone is fine.
pub(crate) async fn delete<T: Tenant>(
    step: &Step<'_, T>,
    action: &Action,
    serial: &str,
) -> Result<(), Error> {
    let id = device_id(step, action, serial).await?;
    match step.tenant.delete_device(&id).await {
        Ok(()) => Ok(()),
        Err(e) if is_gone(&e) => {
            step.note("already deleted".into());
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

async fn device_id<T: Tenant>(step: &Step<'_, T>, action: &Action, serial: &str) -> Result<String, Error> {
    if let Some(id) = &action.live_id {
        return Ok(id.clone());
    }
    step.tenant
        .devices_by_serial(serial)
        .await?
        .into_iter()
        .next()
        .map(|d| d.id)
        .ok_or_else(|| Error::UnresolvedObject {
            address: action.address.clone(),
        })
}
