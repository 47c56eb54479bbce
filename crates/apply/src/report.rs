//! [`ApplyReport`]: what happened to every action of a run, as a value and as versioned JSON.
//!
//! The JSON form (`hangar apply --report FILE`) is documented in `docs/apply.md`;
//! [`FORMAT_VERSION`] changes when it changes incompatibly. Each action is `done`, `failed`
//! (with Graph's status, code, `request-id` and `client-request-id`), `skipped` (naming the
//! failed actions it depended on) or `not_started` (the run was interrupted).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hangar_model::{Cloud, Kind};
use hangar_plan::{ActionId, Address, Plan};
use serde::{Deserialize, Serialize};

use crate::executor::Cleanup;
use crate::{Error, Evidence};

/// Version of the JSON apply report.
pub const FORMAT_VERSION: u32 = 1;

/// How an action (or clean-up) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Carried out (or found already done).
    Done,
    /// Attempted and failed; see `error`.
    Failed,
    /// Not attempted because an action it depends on failed; see `skipped_because`.
    Skipped,
    /// Not attempted because the run stopped first.
    NotStarted,
}

impl Status {
    /// The status in words.
    pub fn name(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::NotStarted => "not started",
        }
    }
}

/// A failure, with Graph's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// What went wrong and what to do.
    pub message: String,
    /// Status, code and request ids, when Graph answered.
    #[serde(flatten)]
    pub evidence: Evidence,
}

impl From<&Error> for ErrorReport {
    fn from(error: &Error) -> ErrorReport {
        ErrorReport {
            message: error.to_string(),
            evidence: error.evidence(),
        }
    }
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct ActionReport {
    /// The plan's action id.
    pub id: ActionId,
    /// Kind and name of the resource.
    pub address: Address,
    /// The plan's `action` (`create`, `assign`, …).
    pub action: String,
    /// How it ended.
    pub status: Status,
    /// Id of the object created (or found after an unknown outcome) by a create or replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// What apply had to do beyond the obvious (an adopted object, a wait, a retry).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    /// For skipped actions: the failed actions it depended on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_because: Vec<ActionId>,
    /// Attempts made (0 when not attempted).
    pub attempts: u32,
    /// Time spent, waits included.
    pub duration_ms: u64,
}

/// What happened to an object a replace set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct CleanupReport {
    /// Kind.
    pub kind: Kind,
    /// The old object's id.
    pub id: String,
    /// Its name while set aside.
    pub name: String,
    /// Name of the object that replaces it.
    pub replaced_by: String,
    /// Whether an interrupted earlier run set it aside.
    pub left_by_earlier_run: bool,
    /// `done`: unassigned and deleted; otherwise it is still in the tenant under `name`.
    pub status: Status,
    /// What apply noted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    /// The failed actions that kept it in place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_because: Vec<ActionId>,
}

impl CleanupReport {
    pub(crate) fn new(cleanup: &Cleanup) -> CleanupReport {
        CleanupReport {
            kind: cleanup.kind,
            id: cleanup.id.clone(),
            name: cleanup.name.clone(),
            replaced_by: cleanup.base.name.clone(),
            left_by_earlier_run: cleanup.replaced_by.is_none(),
            status: Status::Done,
            notes: Vec::new(),
            error: None,
            skipped_because: Vec::new(),
        }
    }

    /// Folds in one of its steps: the worst status wins.
    pub(crate) fn merge(
        &mut self,
        status: Status,
        error: Option<ErrorReport>,
        skipped_because: Vec<ActionId>,
        notes: Vec<String>,
    ) {
        let weight = |s: Status| match s {
            Status::Done => 0,
            Status::NotStarted => 1,
            Status::Skipped => 2,
            Status::Failed => 3,
        };
        if weight(status) > weight(self.status) {
            self.status = status;
        }
        if self.error.is_none() {
            self.error = error;
        }
        for id in skipped_because {
            if !self.skipped_because.contains(&id) {
                self.skipped_because.push(id);
            }
        }
        self.notes.extend(notes);
    }
}

/// Actions per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Done.
    pub done: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Not started.
    pub not_started: usize,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct ApplyReport {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of hangar that applied.
    pub hangar_version: String,
    /// `Tenant.name` of the plan.
    pub tenant: String,
    /// Tenant id.
    pub tenant_id: String,
    /// Cloud.
    pub cloud: Cloud,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When it ended.
    pub finished_at: String,
    /// Wall time.
    pub duration_ms: u64,
    /// Whether the run was stopped (Ctrl-C) before every action started.
    pub interrupted: bool,
    /// Actions per status.
    pub summary: Counts,
    /// Every action of the plan, in plan order.
    pub actions: Vec<ActionReport>,
    /// Objects set aside by replaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleanups: Vec<CleanupReport>,
    /// Why the whole plan was refused before anything was sent (it breaks the configuration's
    /// guardrails, [`crate::guard`]); every action is then `not_started`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

impl ApplyReport {
    pub(crate) fn new(
        plan: &Plan,
        actions: Vec<ActionReport>,
        cleanups: Vec<CleanupReport>,
        interrupted: bool,
        started_at: SystemTime,
        finished_at: SystemTime,
        elapsed: Duration,
    ) -> ApplyReport {
        let mut summary = Counts::default();
        for action in &actions {
            match action.status {
                Status::Done => summary.done += 1,
                Status::Failed => summary.failed += 1,
                Status::Skipped => summary.skipped += 1,
                Status::NotStarted => summary.not_started += 1,
            }
        }
        ApplyReport {
            format_version: FORMAT_VERSION,
            hangar_version: env!("CARGO_PKG_VERSION").to_owned(),
            tenant: plan.tenant.clone(),
            tenant_id: plan.tenant_id.clone(),
            cloud: plan.cloud,
            started_at: rfc3339(started_at),
            finished_at: rfc3339(finished_at),
            duration_ms: elapsed.as_millis() as u64,
            interrupted,
            summary,
            actions,
            cleanups,
            refused: Vec::new(),
        }
    }

    /// The report of a plan refused before anything was sent: every action not started.
    pub(crate) fn refusal(plan: &Plan, reasons: Vec<String>) -> ApplyReport {
        let now = SystemTime::now();
        let actions = plan.actions.iter().map(crate::devices::not_started).collect();
        let mut report = ApplyReport::new(plan, actions, Vec::new(), false, now, now, Duration::ZERO);
        report.refused = reasons;
        report
    }

    /// Whether everything the plan asked for was done (clean-ups included).
    pub fn succeeded(&self) -> bool {
        self.refused.is_empty()
            && self.summary.failed == 0
            && self.summary.skipped == 0
            && self.summary.not_started == 0
            && self.cleanups.iter().all(|c| c.status == Status::Done)
    }

    /// Whether anything failed (the CLI exits 1).
    pub fn failed(&self) -> bool {
        !self.succeeded()
    }

    /// Writes the report as pretty JSON to `path` durably ([`hangar_durable::write`]), so a
    /// reader never sees half a report.
    pub fn write_atomic(&self, path: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_vec_pretty(self)
            .expect("a report serializes: derived types, no maps with non-string keys");
        text.push(b'\n');
        hangar_durable::write(path, &text).map_err(|source| Error::Report {
            path: path.to_owned(),
            source,
        })
    }
}

/// `2026-11-26T09:10:35.123Z`.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_598_435_123);
        assert_eq!(rfc3339(t), "2026-11-25T09:20:35.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let plan = crate::fake::plan(vec![]);
        let now = SystemTime::now();
        let report = ApplyReport::new(&plan, vec![], vec![], false, now, now, Duration::ZERO);
        report.write_atomic(&path).unwrap();
        let back: ApplyReport = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, report);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        assert!(report.succeeded());
    }
}
