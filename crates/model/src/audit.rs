//! Who changed an object: change events from the tenant's audit logs (Intune `auditEvents`,
//! Entra `directoryAudits`), as `hangar drift` shows them next to a drifted object.
//!
//! Both logs name the actor, the time, the activity and, when the service records them, the
//! properties that changed. hangar keeps the property names, not their values: a value can be
//! anything the portal accepted, and the drift itself already shows before and after.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Which log an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditLog {
    /// Intune's `deviceManagement/auditEvents` (Autopilot profiles, ESPs, restrictions,
    /// Device Preparation policies, device identities).
    Intune,
    /// Entra's `auditLogs/directoryAudits` (groups).
    Entra,
}

/// Whether the actor is a person or an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A signed-in user (Intune: `auditActorType` `ItPro`; Entra: `initiatedBy.user`).
    User,
    /// An application (hangar itself, a script, another tool).
    Application,
    /// The log did not say.
    Unknown,
}

/// One change to an object, from an audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// The log.
    pub log: AuditLog,
    /// `activityDateTime`, as the log wrote it (UTC).
    pub at: String,
    /// Who: a user's UPN, else an application's display name, else its id.
    pub actor: String,
    /// A user or an application.
    pub actor_kind: ActorKind,
    /// What, as the log names it (`Patch DeviceEnrollmentConfiguration`, `Update group`).
    pub activity: String,
    /// Names of the properties the event changed, when the log records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
}

/// `time` as `2026-11-26T09:10:35Z` (UTC, whole seconds): how an audit-log `$filter` takes a
/// date.
pub fn rfc3339_seconds(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX / 2));
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
    use std::time::Duration;

    use super::*;

    #[test]
    fn dates_for_filters() {
        assert_eq!(rfc3339_seconds(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-02-29, a leap day in a century leap year.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(rfc3339_seconds(leap), "2000-02-29T01:02:03Z");
    }
}
