//! One Autopilot sync per run, after imports registered devices (graph-api-notes §4).
//!
//! Intune allows one manual sync every ten minutes (429 otherwise) and refuses one while a sync
//! runs (409). The settings are read first: while a sync runs nothing is sent. Otherwise one
//! request is sent, and the service — whose clock is the one that counts — decides; a refusal
//! is reported with the time of the last sync and when the next is allowed, never repeated
//! and never fatal: Intune syncs on its own, the request only makes new devices show sooner.

use hangar_graph::resources::devices::{SyncAnswer, SyncSettings};

use super::DeviceTenant;

/// Intune's minimum interval between manual syncs.
const COOL_DOWN_MS: i64 = 10 * 60 * 1000;

/// Asks for the sync; returns what happened, in words, for the report.
pub(super) async fn once<T: DeviceTenant>(tenant: &T) -> String {
    let settings = match tenant.sync_settings().await {
        Ok(settings) => settings,
        Err(error) => {
            tracing::warn!(error = %error, "Autopilot settings unreadable; no sync requested");
            return format!(
                "no Autopilot sync was requested: its settings could not be read ({error}); the new devices reach Intune at its next automatic sync"
            );
        }
    };
    if settings.in_progress() {
        tracing::info!("an Autopilot sync is already running; none requested");
        return format!(
            "no Autopilot sync was requested: one is already running{}; it picks up the new devices",
            since(&settings)
        );
    }
    match tenant.request_sync().await {
        Ok(SyncAnswer::Started) => {
            tracing::info!("Autopilot sync requested");
            "requested an Autopilot sync, so the new devices reach Intune now rather than at its next automatic sync".into()
        }
        Ok(SyncAnswer::Refused { status: 429, .. }) => {
            tracing::warn!("Autopilot sync refused: within ten minutes of the last one");
            format!(
                "Intune refused the Autopilot sync: it allows one every ten minutes{}; the new devices reach Intune at its next automatic sync{}",
                since(&settings),
                next_allowed(&settings)
            )
        }
        Ok(SyncAnswer::Refused { status: 409, .. }) => {
            tracing::info!("Autopilot sync refused: one is running");
            "no Autopilot sync was started: one is already running (409), and it picks up the new devices"
                .into()
        }
        Ok(SyncAnswer::Refused {
            status,
            code,
            message,
            request_id,
        }) => {
            tracing::warn!(status, code = code.as_str(), "Autopilot sync refused");
            format!(
                "Intune refused the Autopilot sync ({status} `{code}`: {message}; request-id `{request_id}`); the new devices reach Intune at its next automatic sync"
            )
        }
        Err(error) => {
            tracing::warn!(error = %error, "Autopilot sync request failed");
            format!(
                "the Autopilot sync request failed ({error}); the new devices reach Intune at its next automatic sync"
            )
        }
    }
}

fn since(settings: &SyncSettings) -> String {
    settings
        .last_manual_trigger
        .as_deref()
        .map(|at| format!(" (the last was requested at {at})"))
        .unwrap_or_default()
}

fn next_allowed(settings: &SyncSettings) -> String {
    settings
        .last_manual_trigger_ms
        .map(|ms| {
            format!(
                ", or run `hangar apply` again after {} to request one",
                utc(ms + COOL_DOWN_MS)
            )
        })
        .unwrap_or_default()
}

/// `2026-11-26T09:10:35Z`.
fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_round_trip() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2026-11-26T09:10:35Z",
        ] {
            let ms = hangar_graph::resources::devices::parse_time_ms(text).unwrap();
            assert_eq!(utc(ms), text);
        }
    }
}
