//! Importing devices: check the CSV rows, adopt what an earlier run staged, stage in batches,
//! poll every staged record at once, delete each staging record whatever its outcome, and
//! confirm the registrations (graph-api-notes §4: POST, poll until `complete` or `error`, wait
//! for the registered device, DELETE the staging record in all cases). A device whose row names
//! a display name gets it with `updateDeviceProperties` once registered: an import cannot carry
//! one.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use hangar_config::devices::HashReader;
use hangar_graph::resources::devices::{
    IMPORT_OVERHEAD_BYTES, ImportState, ImportedDevice, MAX_IMPORT_BYTES, MAX_IMPORT_DEVICES,
};
use hangar_model::{LiveDevice, LiveState};
use hangar_plan::{DeviceImport, Op};
use tokio::time::Instant;

use super::{DeviceTenant, Slot};
use crate::tenant::StagedImport;
use crate::unknown::maybe_committed;
use crate::{Error, Event, Options, Progress};

/// Most of this run's records staged at once (four full batches): the staging area is a
/// work queue, not a store, and every poll lists all of it.
const MAX_STAGED: usize = 2_000;

/// Staging records deleted at once (writes: the rate limiter paces them).
const DELETES_IN_FLIGHT: usize = 16;

/// Up to this many registrations are confirmed by looking each serial up (twenty to a
/// `$batch`); more, by listing every registered device once (1,000 per page).
const LOOKUPS_MAX: usize = 200;

/// What to do with each known error code of an import (`deviceErrorCode`).
const HINTS: &[(i64, &str)] = &[
    (
        802,
        "Intune says the hardware hash is invalid (InvalidZtdHardwareHash): collect it again with Get-WindowsAutopilotInfo and replace the row",
    ),
    (
        806,
        "the hardware hash is already registered (ZtdDeviceAlreadyAssigned): in this tenant under another serial or spelling of it, or still being removed; delete that registration, then run `hangar apply` again",
    ),
    (
        808,
        "the device is registered to another tenant (ZtdDeviceAssignedToOtherTenant): its current owner, or the reseller, must deregister it first",
    ),
];

/// What to do about an import error code, when hangar knows.
pub(super) fn hint(code: i64) -> Option<&'static str> {
    HINTS.iter().find(|(c, _)| *c == code).map(|(_, hint)| *hint)
}

/// A staging record this run waits for.
struct Tracked {
    slot: usize,
    since: Instant,
}

/// Imports every device in `slots`; with `sweep`, also deletes finished staging records of
/// devices already registered (an interrupted run's). Returns how many devices this run
/// registered (the sync is worth asking for only then).
pub(super) async fn run<T: DeviceTenant>(
    tenant: &T,
    slots: &mut [&mut Slot<'_>],
    live: Option<&LiveState>,
    options: &Options,
    progress: &dyn Progress,
    sweep: bool,
) -> usize {
    if slots.is_empty() && !sweep {
        return 0;
    }
    check_rows(slots, progress).await;
    let mut run = Run {
        tenant,
        options,
        progress,
        tracked: HashMap::new(),
        forced: VecDeque::new(),
        queue: VecDeque::new(),
        complete: Vec::new(),
        reader: HashReader::new(),
        look_now: false,
    };
    if !run.survey(slots, live, sweep).await {
        return 0;
    }
    run.queue = (0..slots.len()).filter(|&i| slots[i].is_open()).collect();
    run.stage_and_poll(slots).await;
    let complete = std::mem::take(&mut run.complete);
    run.confirm(slots, complete, live).await
}

/// Reads every row to import back from its CSV before anything is sent: a CSV changed since
/// it was validated imports nothing at all.
async fn check_rows(slots: &mut [&mut Slot<'_>], progress: &dyn Progress) {
    let rows: Vec<(usize, PathBuf, String, u32, u64, u32)> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| {
            let Op::ImportDevice(import) = &slot.action.op else {
                return None;
            };
            Some((
                i,
                PathBuf::from(&import.source.csv),
                import.serial_number.clone(),
                import.source.row,
                import.source.record_offset,
                import.source.column,
            ))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    // Up to 400 MB of CSV for 100,000 devices: off the async threads.
    let checked = tokio::task::spawn_blocking(move || {
        let mut reader = HashReader::new();
        let mut failed: Vec<(usize, PathBuf, u32, hangar_config::Error)> = Vec::new();
        let mut paths: Vec<(usize, PathBuf)> = Vec::with_capacity(rows.len());
        for (i, path, serial, row, offset, column) in rows {
            if let Err(error) = reader.read(&path, &serial, row, offset, column) {
                failed.push((i, path.clone(), row, error));
            }
            paths.push((i, path));
        }
        (failed, paths)
    })
    .await;
    let (failed, paths) = match checked {
        Ok(checked) => checked,
        Err(panic) => std::panic::resume_unwind(panic.into_panic()),
    };
    let mut bad_files: HashMap<PathBuf, u32> = HashMap::new();
    let mut errors: HashMap<usize, hangar_config::Error> = HashMap::new();
    for (i, path, row, error) in failed {
        let first = bad_files.entry(path).or_insert(row);
        *first = (*first).min(row);
        errors.insert(i, error);
    }
    if bad_files.is_empty() {
        return;
    }
    for (i, path) in paths {
        let Some(&row) = bad_files.get(&path) else {
            continue;
        };
        let slot = &mut slots[i];
        slot.start(progress);
        let error = match errors.remove(&i) {
            Some(error) => Error::Hash(Box::new(error)),
            None => Error::Unsupported {
                address: slot.action.address.clone(),
                reason: format!(
                    "not imported: row {row} of `{}` failed its check, and nothing is imported from a CSV that fails validation; fix the CSV, then run `hangar plan` again",
                    path.display()
                ),
            },
        };
        slot.finish(progress, Err(error));
    }
}

struct Run<'a, T> {
    tenant: &'a T,
    options: &'a Options,
    progress: &'a dyn Progress,
    /// Staging records of this run not yet final, by id.
    tracked: HashMap<String, Tracked>,
    /// Groups that must be sent as one batch (halves of a refused batch, a batch to repeat).
    forced: VecDeque<Vec<usize>>,
    /// Devices still to stage, in plan order.
    queue: VecDeque<usize>,
    /// Devices whose import completed, to confirm in the registered list.
    complete: Vec<usize>,
    reader: HashReader,
    /// Look at the staging area without waiting first (records were just adopted).
    look_now: bool,
}

impl<T: DeviceTenant> Run<'_, T> {
    /// Reads the staging area once: adopts records of serials this run imports, deletes failed
    /// ones (they are imported afresh) and, with `sweep`, finished leftovers of registered
    /// devices. `false` when the staging area cannot be read: then nothing is imported, since an
    /// earlier run's import could be repeated.
    async fn survey(&mut self, slots: &mut [&mut Slot<'_>], live: Option<&LiveState>, sweep: bool) -> bool {
        let staged = match self.tenant.staged_imports().await {
            Ok(staged) => staged,
            Err(error) => {
                let error = Error::from(error);
                tracing::warn!(error = %error, "the staging area cannot be read");
                for slot in slots.iter_mut().filter(|s| s.is_open()) {
                    slot.start(self.progress);
                    slot.note("the staging area (`importedWindowsAutopilotDeviceIdentities`) could not be read, so nothing was imported: an earlier run's import could have been repeated".into());
                    let copy = copy_error(&error, &slot.action.address);
                    slot.finish(self.progress, Err(copy));
                }
                return false;
            }
        };
        if staged.is_empty() {
            return true;
        }
        let wanted: HashMap<String, usize> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_open())
            .map(|(i, s)| (key(s.serial()), i))
            .collect();
        let registered: HashSet<&str> = if sweep {
            live.map(|l| l.devices.iter().map(LiveDevice::serial).collect())
                .unwrap_or_default()
        } else {
            HashSet::new()
        };
        let mut adopted: HashSet<usize> = HashSet::new();
        let mut deletes: Vec<(String, Option<usize>)> = Vec::new();
        let mut leftovers = 0usize;
        for record in staged {
            match wanted.get(&key(&record.serial)) {
                Some(&i) if record.state.status == "error" => {
                    slots[i].note(format!(
                        "deleted the staging record `{}` of an earlier failed import ({}, {}) and imported the device again",
                        record.id, record.state.error_code, record.state.error_name
                    ));
                    deletes.push((record.id, Some(i)));
                }
                Some(&i) if adopted.contains(&i) => {
                    slots[i].note(format!(
                        "deleted the staging record `{}`, a second one for this serial",
                        record.id
                    ));
                    deletes.push((record.id, Some(i)));
                }
                Some(&i) => {
                    adopted.insert(i);
                    self.look_now = true;
                    let slot = &mut slots[i];
                    slot.start(self.progress);
                    slot.note(format!(
                        "adopted the staging record `{}` (`{}`) an earlier, interrupted run left, instead of importing again",
                        record.id, record.state.status
                    ));
                    self.tracked.insert(
                        record.id,
                        Tracked {
                            slot: i,
                            since: Instant::now(),
                        },
                    );
                }
                None if record.state.is_final() && registered.contains(record.serial.as_str()) => {
                    leftovers += 1;
                    deletes.push((record.id, None));
                }
                None => {}
            }
        }
        if leftovers > 0 {
            let detail = format!(
                "deleting {leftovers} finished staging records of devices already registered (left by an interrupted run)"
            );
            self.progress.event(Event::Waiting {
                label: "AutopilotDevice staging",
                detail: &detail,
            });
        }
        self.delete_staged(slots, deletes).await;
        true
    }

    /// Stages devices batch by batch while polling what is staged, until nothing is left.
    async fn stage_and_poll(&mut self, slots: &mut [&mut Slot<'_>]) {
        let mut quiet = 0u32;
        let mut poll_failures = 0u32;
        loop {
            let mut posted = false;
            while !self.options.stopping()
                && self.tracked.len() + MAX_IMPORT_DEVICES <= MAX_STAGED
                && let Some(batch) = self.next_batch(slots)
            {
                self.post(slots, batch).await;
                posted = true;
            }
            if self.tracked.is_empty() {
                if self.options.stopping() || (self.queue.is_empty() && self.forced.is_empty()) {
                    break;
                }
                continue;
            }
            if !posted && !std::mem::take(&mut self.look_now) {
                let pause = poll_pause(self.options, quiet);
                quiet = quiet.saturating_add(1);
                let detail = format!(
                    "{} staged; next look in {:.1} s",
                    hangar_model::plural::count(self.tracked.len(), "import", "imports"),
                    pause.as_secs_f64()
                );
                self.progress.event(Event::Waiting {
                    label: "AutopilotDevice imports",
                    detail: &detail,
                });
                tokio::time::sleep(pause).await;
            }
            let records = match self.tenant.staged_imports().await {
                Ok(records) => {
                    poll_failures = 0;
                    records
                }
                Err(error) => {
                    poll_failures += 1;
                    tracing::warn!(error = %error, "polling the staging area failed");
                    if poll_failures >= self.options.attempts.max(1) {
                        self.give_up(slots, &Error::from(error)).await;
                    }
                    continue;
                }
            };
            if self.settle(slots, records).await {
                quiet = 0;
            }
        }
    }

    /// The next batch to send: a forced group, or up to 500 queued devices within 3 MiB, with
    /// their hashes read back. Devices whose hash cannot be read fail here.
    fn next_batch(&mut self, slots: &mut [&mut Slot<'_>]) -> Option<Vec<(usize, ImportedDevice)>> {
        if let Some(group) = self.forced.pop_front() {
            let batch: Vec<(usize, ImportedDevice)> = group
                .into_iter()
                .filter_map(|i| self.device(slots, i).map(|d| (i, d)))
                .collect();
            return (!batch.is_empty()).then_some(batch);
        }
        let mut batch = Vec::new();
        let mut bytes = 0usize;
        while batch.len() < MAX_IMPORT_DEVICES
            && let Some(&i) = self.queue.front()
        {
            let Some(device) = self.device(slots, i) else {
                self.queue.pop_front();
                continue;
            };
            let size = IMPORT_OVERHEAD_BYTES
                + device.hardware_identifier.len()
                + device.serial_number.len()
                + device.group_tag.len()
                + device.assigned_user_principal_name.len()
                + device.product_key.len();
            if !batch.is_empty() && bytes + size > MAX_IMPORT_BYTES {
                break;
            }
            self.queue.pop_front();
            bytes += size;
            batch.push((i, device));
        }
        (!batch.is_empty()).then_some(batch)
    }

    /// The import body of slot `i`, its hash read back; `None` (and the slot failed) when the
    /// hash cannot be read.
    fn device(&mut self, slots: &mut [&mut Slot<'_>], i: usize) -> Option<ImportedDevice> {
        let slot = &mut slots[i];
        let Op::ImportDevice(import) = &slot.action.op else {
            return None;
        };
        let import: &DeviceImport = import;
        let source = &import.source;
        match self.reader.read(
            std::path::Path::new(&source.csv),
            &import.serial_number,
            source.row,
            source.record_offset,
            source.column,
        ) {
            Ok(hash) => Some(ImportedDevice {
                serial_number: import.serial_number.trim().to_owned(),
                hardware_identifier: hash,
                product_key: import.product_key.clone().unwrap_or_default(),
                group_tag: import.group_tag.clone().unwrap_or_default(),
                assigned_user_principal_name: import.assigned_user.clone().unwrap_or_default(),
            }),
            Err(error) => {
                slot.start(self.progress);
                slot.finish(self.progress, Err(Error::Hash(Box::new(error))));
                None
            }
        }
    }

    /// Sends one `import` call and tracks the records it staged.
    async fn post(&mut self, slots: &mut [&mut Slot<'_>], batch: Vec<(usize, ImportedDevice)>) {
        let (indices, devices): (Vec<usize>, Vec<ImportedDevice>) = batch.into_iter().unzip();
        for &i in &indices {
            slots[i].start(self.progress);
            slots[i].attempts += 1;
        }
        let detail = format!(
            "staging {}",
            hangar_model::plural::count(devices.len(), "device", "devices")
        );
        self.progress.event(Event::Waiting {
            label: "AutopilotDevice imports",
            detail: &detail,
        });
        match self.tenant.import_devices(&devices).await {
            Ok(records) => {
                let missing = self.track(slots, &indices, records);
                if !missing.is_empty() {
                    // Graph answered without a record for some devices: look before sending
                    // them again.
                    self.resolve_lost(slots, missing, "the answer listed no staging record")
                        .await;
                }
            }
            Err(error) if maybe_committed(&error) => {
                self.resolve_lost(slots, indices, &error.to_string()).await;
            }
            Err(error) if matches!(error.status(), Some(400 | 413)) && indices.len() > 1 => {
                // One device can make Graph refuse the whole call: halve until it is alone.
                let reason = error.to_string();
                for &i in &indices {
                    slots[i].note(format!(
                        "the batch with this device was refused ({reason}); sent again in smaller batches to find the device Graph refuses"
                    ));
                }
                let (first, second) = indices.split_at(indices.len() / 2);
                self.forced.push_front(second.to_vec());
                self.forced.push_front(first.to_vec());
            }
            Err(error) => {
                let error = Error::from(error);
                let attempts = indices.first().map_or(0, |&i| slots[i].attempts);
                if error.is_transient() && attempts < self.options.attempts.max(1) && !self.options.stopping()
                {
                    let pause = self.options.retry.step(attempts.saturating_sub(1));
                    let detail = format!(
                        "staging {} failed ({error}); trying again in {:.1} s",
                        hangar_model::plural::count(indices.len(), "device", "devices"),
                        pause.as_secs_f64()
                    );
                    self.progress.event(Event::Waiting {
                        label: "AutopilotDevice imports",
                        detail: &detail,
                    });
                    tokio::time::sleep(pause).await;
                    self.forced.push_front(indices);
                } else {
                    for &i in &indices {
                        let copy = copy_error(&error, &slots[i].action.address);
                        slots[i].finish(self.progress, Err(copy));
                    }
                }
            }
        }
    }

    /// Tracks the records an `import` answered with; returns the devices it has no record for.
    fn track(
        &mut self,
        slots: &[&mut Slot<'_>],
        indices: &[usize],
        records: Vec<StagedImport>,
    ) -> Vec<usize> {
        let mut by_serial: HashMap<String, usize> =
            indices.iter().map(|&i| (key(slots[i].serial()), i)).collect();
        for record in records {
            if let Some(i) = by_serial.remove(&key(&record.serial)) {
                self.tracked.insert(
                    record.id,
                    Tracked {
                        slot: i,
                        since: Instant::now(),
                    },
                );
            }
        }
        let mut missing: Vec<usize> = by_serial.into_values().collect();
        missing.sort_unstable();
        missing
    }

    /// The answer to an import was lost (or incomplete): the records are looked for first; only
    /// devices confirmed absent (several looks apart, as reads can lag a write) are sent again.
    async fn resolve_lost(&mut self, slots: &mut [&mut Slot<'_>], indices: Vec<usize>, why: &str) {
        let (looks, pause) = self.options.confirm_absent;
        let mut left = indices;
        for look in 0..=looks {
            if look > 0 {
                tokio::time::sleep(pause).await;
            }
            let detail = format!(
                "the answer to staging {} was lost ({why}); looking for {} staging {}",
                hangar_model::plural::count(left.len(), "device", "devices"),
                hangar_model::plural::noun(left.len(), "its", "their"),
                hangar_model::plural::noun(left.len(), "record", "records")
            );
            self.progress.event(Event::Waiting {
                label: "AutopilotDevice imports",
                detail: &detail,
            });
            let records = match self.tenant.staged_imports().await {
                Ok(records) => records,
                Err(error) => {
                    let error = Error::from(error);
                    for &i in &left {
                        slots[i].finish(
                            self.progress,
                            Err(Error::UnknownOutcome {
                                address: slots[i].action.address.clone(),
                                attempts: slots[i].attempts,
                                last: Box::new(graph_of(&error)),
                            }),
                        );
                    }
                    return;
                }
            };
            let known: HashSet<&str> = self.tracked.keys().map(String::as_str).collect();
            let fresh: Vec<StagedImport> = records
                .into_iter()
                .filter(|r| !known.contains(r.id.as_str()))
                .collect();
            left = self.track(slots, &left, fresh);
            if left.is_empty() {
                return;
            }
        }
        let allowed = self.options.attempts.max(1);
        let (again, exhausted): (Vec<usize>, Vec<usize>) =
            left.into_iter().partition(|&i| slots[i].attempts < allowed);
        for i in exhausted {
            let error = Error::UnknownOutcome {
                address: slots[i].action.address.clone(),
                attempts: slots[i].attempts,
                last: Box::new(hangar_graph::Error::InvalidBody {
                    resource: "importedWindowsAutopilotDeviceIdentities",
                    reason: why.to_owned(),
                }),
            };
            slots[i].finish(self.progress, Err(error));
        }
        if !again.is_empty() {
            for &i in &again {
                slots[i].note(format!(
                    "the answer to its import was lost ({why}) and no staging record appeared: imported again"
                ));
            }
            self.forced.push_front(again);
        }
    }

    /// Applies one poll: final records are reported and deleted, records waited on too long
    /// are given up (and deleted), vanished ones are checked in the registered list. Returns
    /// whether anything became final.
    async fn settle(&mut self, slots: &mut [&mut Slot<'_>], records: Vec<StagedImport>) -> bool {
        let by_id: HashMap<String, ImportState> = records.into_iter().map(|r| (r.id, r.state)).collect();
        let total = self.options.import_poll.total;
        let mut done: Vec<(String, usize, Option<ImportState>)> = Vec::new();
        let mut timed_out: Vec<(String, usize, String)> = Vec::new();
        for (id, tracked) in &self.tracked {
            match by_id.get(id) {
                Some(state) if state.is_final() => done.push((id.clone(), tracked.slot, Some(state.clone()))),
                Some(state) if tracked.since.elapsed() > total => {
                    timed_out.push((id.clone(), tracked.slot, state.status.clone()));
                }
                Some(_) => {}
                None => done.push((id.clone(), tracked.slot, None)),
            }
        }
        if done.is_empty() && timed_out.is_empty() {
            return false;
        }
        let mut deletes = Vec::new();
        for (id, i, state) in done {
            self.tracked.remove(&id);
            match state {
                Some(state) if state.status == "complete" => {
                    self.complete.push(i);
                    deletes.push((id, Some(i)));
                }
                Some(state) => {
                    let serial = slots[i].serial().to_owned();
                    let error = Error::DeviceImport {
                        serial,
                        code: state.error_code,
                        hint: hint(state.error_code),
                        name: if state.error_name.is_empty() {
                            "unnamed error".into()
                        } else {
                            state.error_name
                        },
                    };
                    slots[i].finish(self.progress, Err(error));
                    deletes.push((id, Some(i)));
                }
                None => {
                    // Someone else deleted it: the registered list says how it ended.
                    slots[i].note(format!(
                        "its staging record `{id}` disappeared before it was seen final"
                    ));
                    self.complete.push(i);
                }
            }
        }
        for (id, i, status) in timed_out {
            self.tracked.remove(&id);
            slots[i].note(format!(
                "its staging record `{id}` was deleted after the wait, so the next `hangar apply` imports it afresh"
            ));
            let error = Error::DeviceImportPending {
                serial: slots[i].serial().to_owned(),
                status,
                waited_secs: total.as_secs_f64(),
            };
            slots[i].finish(self.progress, Err(error));
            deletes.push((id, Some(i)));
        }
        self.delete_staged(slots, deletes).await;
        true
    }

    /// Polling kept failing: every tracked import is reported failed and its staging record
    /// deleted (a record that cannot be deleted either is adopted by the next run).
    async fn give_up(&mut self, slots: &mut [&mut Slot<'_>], error: &Error) {
        let mut deletes = Vec::new();
        for (id, tracked) in self.tracked.drain() {
            let slot = &mut slots[tracked.slot];
            slot.note(format!(
                "its import could not be followed; its staging record `{id}` was deleted, so the next `hangar apply` imports it afresh"
            ));
            let copy = copy_error(error, &slot.action.address);
            slot.finish(self.progress, Err(copy));
            deletes.push((id, Some(tracked.slot)));
        }
        self.delete_staged(slots, deletes).await;
    }

    /// Deletes staging records (in every case: success, failure, timeout); a failed delete is a
    /// note on the device, never its failure.
    async fn delete_staged(&self, slots: &mut [&mut Slot<'_>], records: Vec<(String, Option<usize>)>) {
        if records.is_empty() {
            return;
        }
        let tenant = self.tenant;
        let results: Vec<(String, Option<usize>, Result<(), hangar_graph::Error>)> = stream::iter(records)
            .map(|(id, slot)| async move {
                let result = match tenant.delete_staged(&id).await {
                    Err(error) if error.is_not_found() => Ok(()),
                    other => other,
                };
                (id, slot, result)
            })
            .buffer_unordered(DELETES_IN_FLIGHT)
            .collect()
            .await;
        for (id, slot, result) in results {
            if let Err(error) = result {
                let note = format!(
                    "the staging record `{id}` could not be deleted ({error}); the next `hangar apply` deletes it"
                );
                match slot {
                    Some(i) => slots[i].note(note),
                    None => tracing::warn!(note = note.as_str(), "staging clean-up"),
                }
            }
        }
    }

    /// Sets the display names of newly registered devices (`slots[i]`, registration `id`) and
    /// finishes their slots. A failure fails the action (the device stays registered; the next
    /// plan shows the name as an update).
    async fn name_registered(&self, slots: &mut [&mut Slot<'_>], named: Vec<(usize, String)>) {
        let tenant = self.tenant;
        let updates: Vec<(usize, String, Option<String>)> = named
            .into_iter()
            .map(|(i, id)| (i, id, display_name(slots[i])))
            .collect();
        let results: Vec<(usize, String, Result<(), hangar_graph::Error>)> = stream::iter(updates)
            .map(|(i, id, name)| async move {
                let properties = hangar_graph::resources::devices::DeviceProperties {
                    display_name: name,
                    ..Default::default()
                };
                let result = tenant.update_device(&id, &properties).await;
                (i, id, result)
            })
            .buffer_unordered(DELETES_IN_FLIGHT)
            .collect()
            .await;
        for (i, id, result) in results {
            let result = match result {
                Ok(()) => Ok(Some(id)),
                Err(error) => {
                    slots[i].note(format!("registered as `{id}`, but its display name was not set"));
                    Err(error.into())
                }
            };
            slots[i].finish(self.progress, result);
        }
    }

    /// Confirms that each completed import is in the registered list; returns how many are.
    async fn confirm(
        &mut self,
        slots: &mut [&mut Slot<'_>],
        complete: Vec<usize>,
        live: Option<&LiveState>,
    ) -> usize {
        let wait = self.options.import_poll;
        let started = Instant::now();
        let mut left = complete;
        left.sort_unstable();
        let mut registered = 0;
        let mut round = 0u32;
        let mut last_error: Option<Error> = None;
        while !left.is_empty() {
            let serials: Vec<String> = left.iter().map(|&i| slots[i].serial().to_owned()).collect();
            let found = if left.len() <= LOOKUPS_MAX {
                self.tenant.registered_by_serials(&serials).await
            } else {
                self.tenant.registered_devices().await
            };
            match found {
                Ok(devices) => {
                    let wanted: HashSet<String> = serials.iter().map(|s| key(s)).collect();
                    let mut ids: HashMap<String, String> = HashMap::new();
                    for device in devices {
                        let serial = key(device.serial());
                        if wanted.contains(&serial) {
                            ids.entry(serial).or_insert(device.id);
                        }
                    }
                    let mut still = Vec::new();
                    let mut named = Vec::new();
                    for i in left {
                        match ids.remove(&key(slots[i].serial())) {
                            Some(id) => {
                                registered += 1;
                                match display_name(slots[i]) {
                                    Some(_) => named.push((i, id)),
                                    None => slots[i].finish(self.progress, Ok(Some(id))),
                                }
                            }
                            None => still.push(i),
                        }
                    }
                    self.name_registered(slots, named).await;
                    left = still;
                }
                Err(error) => last_error = Some(Error::from(error)),
            }
            if left.is_empty() {
                break;
            }
            let pause = poll_pause(self.options, round);
            round += 1;
            if started.elapsed() + pause > wait.total {
                for i in left {
                    let error = match &last_error {
                        Some(error) => copy_error(error, &slots[i].action.address),
                        None => Error::Unsupported {
                            address: slots[i].action.address.clone(),
                            reason: format!(
                                "the import completed, but the device was not in the registered list after {:.0} s; run `hangar apply` again later (it never imports a registered serial twice)",
                                started.elapsed().as_secs_f64()
                            ),
                        },
                    };
                    slots[i].finish(self.progress, Err(error));
                }
                break;
            }
            let detail = format!(
                "{} imported devices not yet in the registered list; next look in {:.1} s",
                left.len(),
                pause.as_secs_f64()
            );
            self.progress.event(Event::Waiting {
                label: "AutopilotDevice imports",
                detail: &detail,
            });
            tokio::time::sleep(pause).await;
        }
        for slot in slots.iter_mut() {
            case_hint(slot, live);
        }
        registered
    }
}

/// The display name an import's row names, if any.
fn display_name(slot: &Slot<'_>) -> Option<String> {
    match &slot.action.op {
        Op::ImportDevice(import) => import.display_name.clone(),
        _ => None,
    }
}

/// How staging records and registrations are matched to this run's devices: trimmed and without
/// case. The plan matches registrations exactly; here the looser match is the safe one, since a
/// record missed would be imported again (serials are unique without case across the CSVs).
fn key(serial: &str) -> String {
    serial.trim().to_ascii_uppercase()
}

/// The pause before the next look at the staging area: a quarter of `import_poll.first`, then
/// doubling up to `import_poll.max_step` (3.75 s, 7.5 s, 15 s, 30 s, 30 s… for Microsoft's
/// service). Small imports often finish within seconds, and each look is one request for all
/// staged devices, so the first looks come sooner than the 15 to 30 s the community scripts use.
fn poll_pause(options: &Options, quiet: u32) -> std::time::Duration {
    let wait = options.import_poll;
    (wait.first / 4)
        .saturating_mul(2u32.saturating_pow(quiet.min(16)))
        .min(wait.max_step)
}

/// A device refused with 806 while the tenant has its serial in another letter case: say so
/// (hangar matches serials exactly, as Graph stores them).
fn case_hint(slot: &mut Slot<'_>, live: Option<&LiveState>) {
    let Some(Error::DeviceImport { code: 806, .. }) = &slot.error else {
        return;
    };
    let Some(live) = live else { return };
    let serial = slot.serial().to_owned();
    if let Some(other) = live
        .devices
        .iter()
        .find(|d| d.serial() != serial && d.serial().eq_ignore_ascii_case(&serial))
    {
        slot.note(format!(
            "the tenant has `{}` registered (id `{}`), which differs from `{serial}` only in letter case: fix the serial in the CSV to match, or delete that registration",
            other.serial(),
            other.id
        ));
    }
}

/// The same failure for another device (errors are not `Clone`: Graph's are rebuilt from their
/// evidence).
fn copy_error(error: &Error, address: &hangar_plan::Address) -> Error {
    match error.graph() {
        Some(graph) => Error::from(copy_graph(graph)),
        None => Error::Unsupported {
            address: address.clone(),
            reason: error.to_string(),
        },
    }
}

fn graph_of(error: &Error) -> hangar_graph::Error {
    match error.graph() {
        Some(graph) => copy_graph(graph),
        None => hangar_graph::Error::InvalidBody {
            resource: "hangar-apply",
            reason: error.to_string(),
        },
    }
}

fn copy_graph(error: &hangar_graph::Error) -> hangar_graph::Error {
    match error.api() {
        Some(api) => hangar_graph::Error::Api(Box::new(api.clone())),
        None => match error {
            hangar_graph::Error::OutcomeUnknown {
                method,
                url,
                retries,
                client_request_id,
                message,
            } => hangar_graph::Error::OutcomeUnknown {
                method: method.clone(),
                url: url.clone(),
                retries: *retries,
                client_request_id: client_request_id.clone(),
                message: message.clone(),
            },
            hangar_graph::Error::Transport {
                method,
                url,
                retries,
                client_request_id,
                message,
            } => hangar_graph::Error::Transport {
                method: method.clone(),
                url: url.clone(),
                retries: *retries,
                client_request_id: client_request_id.clone(),
                message: message.clone(),
            },
            other => hangar_graph::Error::InvalidBody {
                resource: "hangar-apply",
                reason: other.to_string(),
            },
        },
    }
}
