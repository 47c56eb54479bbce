//! The simulated clock.
//!
//! Every time-dependent behaviour (token lifetimes, throttling windows, asynchronous device
//! imports, the Autopilot sync cool-down, group replication) runs on this clock, never on the
//! wall clock directly. The clock runs `scale` times faster than real time and can be moved
//! forward by tests (`advance`), so a 20 s throttling window or a 10 minute sync cool-down does
//! not make a test slow. Times are milliseconds since the Unix epoch on the simulated timeline.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// A clock that runs `scale` times faster than real time, plus manual jumps.
#[derive(Debug)]
pub struct SimClock {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    real_start: Instant,
    sim_start_ms: i64,
    scale: f64,
    advanced_ms: i64,
}

impl SimClock {
    /// A clock starting at `sim_start_ms` (or the wall clock when `None`) running `scale` times
    /// faster than real time.
    pub fn new(sim_start_ms: Option<i64>, scale: f64) -> SimClock {
        let wall = wall_clock_ms();
        SimClock {
            inner: Mutex::new(Inner {
                real_start: Instant::now(),
                sim_start_ms: sim_start_ms.map_or(wall, |start| start.max(wall)),
                scale,
                advanced_ms: 0,
            }),
        }
    }

    /// Now, in simulated milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        let inner = self.inner.lock();
        let real = inner.real_start.elapsed().as_secs_f64();
        inner.sim_start_ms + (real * inner.scale * 1000.0) as i64 + inner.advanced_ms
    }

    /// Moves simulated time forward without waiting.
    pub fn advance(&self, by: Duration) {
        let mut inner = self.inner.lock();
        inner.advanced_ms += i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
    }

    /// How many simulated seconds pass per real second.
    pub fn scale(&self) -> f64 {
        self.inner.lock().scale
    }

    /// Converts a simulated duration (seconds) to the real seconds a client must wait for it.
    pub fn to_real_secs(&self, sim_secs: f64) -> f64 {
        sim_secs / self.scale()
    }
}

/// The wall clock in milliseconds since the epoch.
pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Year, month, day from days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: rem / 3_600_000,
        minute: rem / 60_000 % 60,
        second: rem / 1000 % 60,
        millis: rem % 1000,
    }
}

/// Intune's timestamp form: `2025-02-13T10:17:05.1230000Z` (seven fractional digits).
pub fn intune_timestamp(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}0000Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis
    )
}

/// The directory's timestamp form: `2025-02-13T10:17:05Z`.
pub fn directory_timestamp(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// `innerError.date`: `2025-02-13T10:17:05` (no zone, as Graph sends it).
pub fn error_date(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// Entra's error timestamp: `2025-02-13 10:17:05Z`.
pub fn entra_timestamp(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// Parses `2025-02-13T10:17:05Z`, with optional fractional seconds, to ms since the epoch
/// (UTC only: `Z`, as every Graph timestamp in a `$filter` is written).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z').or_else(|| text.strip_suffix('z'))?;
    let (date, time) = text.split_once(['T', 't'])?;
    let mut date = date.split('-');
    let year: i64 = date.next()?.parse().ok()?;
    let month: i64 = date.next()?.parse().ok()?;
    let day: i64 = date.next()?.parse().ok()?;
    let (time, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut time = time.split(':');
    let hour: i64 = time.next()?.parse().ok()?;
    let minute: i64 = time.next()?.parse().ok()?;
    let second: i64 = time.next()?.parse().ok()?;
    if date.next().is_some()
        || time.next().is_some()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
    {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    // Howard Hinnant's `days_from_civil`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + millis)
}

/// The "never" value Intune uses for unset timestamps.
pub const INTUNE_MIN_DATE: &str = "0001-01-01T00:00:00Z";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_back() {
        let ms = 1_739_441_825_123;
        assert_eq!(parse_timestamp(&intune_timestamp(ms)), Some(ms));
        assert_eq!(parse_timestamp(&directory_timestamp(ms)), Some(ms - 123));
        assert_eq!(parse_timestamp("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(parse_timestamp("2000-02-29T00:00:00"), None);
        assert_eq!(parse_timestamp("2000-13-01T00:00:00Z"), None);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(directory_timestamp(0), "1970-01-01T00:00:00Z");
        // 2025-02-13T10:17:05.123Z
        let ms = 1_739_441_825_123;
        assert_eq!(intune_timestamp(ms), "2025-02-13T10:17:05.1230000Z");
        assert_eq!(error_date(ms), "2025-02-13T10:17:05");
        assert_eq!(entra_timestamp(ms), "2025-02-13 10:17:05Z");
        // Leap day.
        assert_eq!(directory_timestamp(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn scaled_clock_runs_fast_and_advances() {
        let clock = SimClock::new(Some(0), 1000.0);
        let start = clock.now_ms();
        clock.advance(Duration::from_secs(600));
        assert!(clock.now_ms() - start >= 600_000);
        assert!((clock.to_real_secs(20.0) - 0.02).abs() < 1e-9);
    }
}
