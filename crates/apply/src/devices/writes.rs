//! Group tag and user changes (`updateDeviceProperties`) and pruning deletes, many at a time.
//!
//! The client's rate limiter paces every request to Intune's write budget (100 per 20 s per
//! app), so the concurrency here only has to cover the latency: enough requests in flight that
//! the budget never idles, never so many that the limiter's queue is all there is. Both writes
//! are safe to repeat; each is retried on transient failures like an object action.

use futures_util::stream::{self, StreamExt};
use hangar_graph::resources::devices::DeviceProperties;
use hangar_plan::{DeviceUpdate, Op};

use super::{DeviceTenant, Slot, retrying};
use crate::{Error, Options, Progress};

/// Requests in flight per configured unit of concurrency.
const IN_FLIGHT_PER_UNIT: usize = 4;

/// Runs every update and delete in `slots`.
pub(super) async fn run<T: DeviceTenant>(
    tenant: &T,
    slots: &mut [&mut Slot<'_>],
    options: &Options,
    progress: &dyn Progress,
) {
    let limit = options.concurrency.max(1) * IN_FLIGHT_PER_UNIT;
    stream::iter(slots.iter_mut())
        .for_each_concurrent(limit, |slot| async move {
            if options.stopping() {
                return;
            }
            slot.start(progress);
            let action = slot.action;
            let mut attempts = 0;
            let result = retrying(options, &mut attempts, |_| async move {
                match &action.op {
                    Op::UpdateDevice(update) => self::update(tenant, action, update).await,
                    Op::DeleteDevice { serial_number } => delete(tenant, action, serial_number).await,
                    _ => Ok(None),
                }
            })
            .await;
            slot.attempts = attempts;
            let result = match result {
                Ok(Some(note)) => {
                    slot.note(note);
                    Ok(None)
                }
                Ok(None) => Ok(None),
                Err(error) => Err(error),
            };
            slot.finish(progress, result);
        })
        .await;
}

/// The registration's id: the plan's, or looked up by serial.
async fn device_id<T: DeviceTenant>(
    tenant: &T,
    action: &hangar_plan::Action,
    serial: &str,
) -> Result<Option<String>, Error> {
    if let Some(id) = &action.live_id {
        return Ok(Some(id.clone()));
    }
    Ok(tenant
        .devices_by_serial(serial)
        .await?
        .into_iter()
        .next()
        .map(|device| device.id))
}

/// Sets the group tag (and the user and display name, when the CSV names them).
async fn update<T: DeviceTenant>(
    tenant: &T,
    action: &hangar_plan::Action,
    update: &DeviceUpdate,
) -> Result<Option<String>, Error> {
    let gone = || {
        Error::Unsupported {
        address: action.address.clone(),
        reason: "the device is no longer registered (it was deleted after the plan was made); run `hangar plan` again, which imports it".into(),
    }
    };
    let id = device_id(tenant, action, &update.serial_number)
        .await?
        .ok_or_else(gone)?;
    let properties = DeviceProperties {
        group_tag: Some(update.group_tag.clone()),
        user_principal_name: update.user_principal_name.clone(),
        display_name: update.display_name.clone(),
        ..DeviceProperties::default()
    };
    match tenant.update_device(&id, &properties).await {
        Ok(()) => Ok(None),
        Err(error) if error.is_not_found() => Err(gone()),
        Err(error) => Err(error.into()),
    }
}

/// Deletes a registration; already gone is done.
async fn delete<T: DeviceTenant>(
    tenant: &T,
    action: &hangar_plan::Action,
    serial: &str,
) -> Result<Option<String>, Error> {
    let Some(id) = device_id(tenant, action, serial).await? else {
        return Ok(Some("already deleted".into()));
    };
    match tenant.delete_device(&id).await {
        Ok(()) => Ok(None),
        Err(error) if error.is_not_found() => Ok(Some("already deleted".into())),
        Err(error) => Err(error.into()),
    }
}
