//! The Autopilot service sync (`windowsAutopilotSettings`): a failed sync leaves newly
//! registered devices and profile assignments stale.

use super::{SYNC, age, expect_read};
use crate::facts::TenantFacts;
use crate::finding::{CheckResult, Finding};

pub(super) fn check(facts: &TenantFacts, now_ms: i64) -> CheckResult {
    let settings = match expect_read(
        &facts.sync,
        &SYNC,
        "the Autopilot settings",
        "DeviceManagementServiceConfig.Read.All",
    ) {
        Ok(settings) => settings,
        Err(result) => return result,
    };
    let last = match &settings.last_sync {
        Some(at) => {
            let ago = hangar_graph::resources::devices::parse_time_ms(at)
                .map(|ms| format!(" ({} ago)", age(ms, now_ms)))
                .unwrap_or_default();
            format!("last sync {at}{ago}")
        }
        None => "never synced".to_owned(),
    };
    let findings = match settings.sync_status.as_str() {
        "failed" => vec![Finding::error(
            "the last Autopilot sync failed: devices registered since may not show up or get their profile",
            "sync again (Intune admin center, Devices > Windows > Enrollment > Devices > Sync; at most once every 10 minutes); if it keeps failing, open a support case with Microsoft",
        )],
        _ => Vec::new(),
    };
    CheckResult::looked(
        &SYNC,
        format!("status {}, {last}", settings.sync_status),
        findings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{NOW, healthy};
    use crate::facts::Read;
    use crate::finding::Status;

    #[test]
    fn a_failed_sync_is_an_error() {
        let ok = check(&healthy(), NOW);
        assert_eq!(ok.status, Status::Passed);
        assert_eq!(
            ok.summary,
            "status completed, last sync 2026-03-01T10:00:00Z (2 hours ago)"
        );
        let mut facts = healthy();
        if let Read::Got(settings) = &mut facts.sync {
            settings.sync_status = "failed".into();
            settings.last_sync = None;
        }
        let failed = check(&facts, NOW);
        assert_eq!(failed.status, Status::Findings);
        assert_eq!(failed.summary, "status failed, never synced");
    }
}
