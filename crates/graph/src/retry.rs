//! The retry policy: which failures are transient, and how long to wait. It returns a decision
//! ("retry after N") and never sleeps, so it is tested without time passing.

use std::time::Duration;

/// A transient failure the policy may retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transient {
    /// HTTP 429, 503 or 504, with the `Retry-After` the server sent, if any.
    Status {
        /// The status.
        status: u16,
        /// Parsed `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The connection failed or reset on a request that is safe to repeat.
    Connection,
}

/// What to do after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RetryDecision {
    /// Wait this long, then send again.
    RetryAfter(Duration),
    /// Stop: the attempts or the total time allowed are used up.
    GiveUp,
}

/// Retry limits. `Retry-After` is honoured exactly; without it, exponential backoff with full
/// jitter between half and all of `base × 2^attempt` (capped at `max_backoff`). The total time
/// spent waiting for one request never exceeds `max_total`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff step when the server gave no `Retry-After`.
    pub base: Duration,
    /// Largest backoff step.
    pub max_backoff: Duration,
    /// Upper bound of the time spent in one request, waits included.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 12,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_total: Duration::from_secs(300),
        }
    }
}

/// The statuses retried: throttled, unavailable, gateway timeout. (A 504 on a create is not
/// retried: the client turns it into an unknown outcome.)
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

impl RetryPolicy {
    /// A policy that retries but never waits long: for tests against a simulator.
    pub fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 20,
            base: Duration::from_millis(1),
            max_backoff: Duration::from_millis(20),
            max_total: Duration::from_secs(60),
        }
    }

    /// Decides what to do after `failure`, the `retries_so_far`-th retry having been made,
    /// `elapsed` after the first attempt began. `jitter` is a sample in `[0, 1)`.
    pub fn decide(
        &self,
        failure: Transient,
        retries_so_far: u32,
        elapsed: Duration,
        jitter: f64,
    ) -> RetryDecision {
        if retries_so_far >= self.max_retries {
            return RetryDecision::GiveUp;
        }
        let wait = match failure {
            Transient::Status {
                retry_after: Some(after),
                ..
            } => after,
            _ => {
                let factor = 2u32.saturating_pow(retries_so_far.min(16));
                let step = self.base.saturating_mul(factor).min(self.max_backoff);
                step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
            }
        };
        if elapsed.saturating_add(wait) > self.max_total {
            return RetryDecision::GiveUp;
        }
        RetryDecision::RetryAfter(wait)
    }
}

/// Parses `Retry-After` as (possibly fractional) seconds, e.g. `2.128`. HTTP dates and
/// nonsense give `None` (backoff applies). Values are capped at one hour.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_exactly() {
        let policy = RetryPolicy::default();
        let failure = Transient::Status {
            status: 429,
            retry_after: Some(Duration::from_millis(2128)),
        };
        assert_eq!(
            policy.decide(failure, 0, Duration::ZERO, 0.3),
            RetryDecision::RetryAfter(Duration::from_millis(2128))
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let policy = RetryPolicy::default();
        let failure = Transient::Status {
            status: 503,
            retry_after: None,
        };
        let wait = |n, jitter| match policy.decide(failure, n, Duration::ZERO, jitter) {
            RetryDecision::RetryAfter(d) => d,
            RetryDecision::GiveUp => panic!("gave up"),
        };
        assert_eq!(wait(0, 0.0), Duration::from_millis(250));
        assert_eq!(wait(0, 1.0), Duration::from_millis(500));
        assert_eq!(wait(3, 1.0), Duration::from_secs(4));
        assert_eq!(wait(10, 1.0), Duration::from_secs(30));
        assert!(wait(2, 0.5) > wait(1, 0.5));
    }

    #[test]
    fn bounded_by_attempts_and_total_time() {
        let policy = RetryPolicy::default();
        let failure = Transient::Connection;
        assert_eq!(
            policy.decide(failure, 12, Duration::ZERO, 0.0),
            RetryDecision::GiveUp
        );
        let late = Transient::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(10)),
        };
        assert_eq!(
            policy.decide(late, 1, Duration::from_secs(295), 0.0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("2.128"), Some(Duration::from_millis(2128)));
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("1e9"), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn transient_statuses() {
        for status in [429, 503, 504] {
            assert!(is_transient_status(status));
        }
        for status in [400, 401, 404, 409, 500, 502] {
            assert!(!is_transient_status(status));
        }
    }
}
