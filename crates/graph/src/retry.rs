//! The retry policy: which failures are transient, and how long to wait. It returns a decision
//! ("retry after N") and never sleeps, so it is tested without time passing.

use std::time::Duration;

/// A transient failure the policy may retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transient {
    /// A status [`retries_status`] retries, with the `Retry-After` the server sent, if any.
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
    /// A single wait at least this long is announced ([`LongWait`]).
    pub announce_wait: Duration,
    /// Once the waits for one request add up to this much, the wait that crosses it is
    /// announced too.
    pub announce_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 12,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_total: Duration::from_secs(300),
            announce_wait: Duration::from_secs(10),
            announce_total: Duration::from_secs(30),
        }
    }
}

/// What repeating a request risks, which decides the statuses it is retried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A read (GET, a `$batch` of GETs, a `retrieve…` action): repeating it changes nothing.
    Read,
    /// A write whose repetition gives the same end state (PATCH, PUT, DELETE, replace-all
    /// actions such as `assign` and `setPriority`).
    SafeWrite,
    /// A create or an append (POST to a collection, `owners/$ref`, `import`, `sync`): repeating
    /// it after the server may have acted could do it twice.
    UnsafeWrite,
}

/// Which answers are retried, per kind of request. `Retry` for 429 and 503 everywhere: the
/// service says it did not do the work. 504 is retried where repeating is harmless (on a
/// create it is an unknown outcome, resolved by looking up). 500 and 502 say nothing about
/// whether a write happened, so only reads are retried on them: a read is idempotent.
const STATUS_RETRIES: &[(u16, &[RequestKind])] = &[
    (
        429,
        &[
            RequestKind::Read,
            RequestKind::SafeWrite,
            RequestKind::UnsafeWrite,
        ],
    ),
    (
        503,
        &[
            RequestKind::Read,
            RequestKind::SafeWrite,
            RequestKind::UnsafeWrite,
        ],
    ),
    (504, &[RequestKind::Read, RequestKind::SafeWrite]),
    (500, &[RequestKind::Read]),
    (502, &[RequestKind::Read]),
];

/// Whether an answer with `status` to a request of `kind` is retried (see `STATUS_RETRIES`'s
/// table in the source).
pub fn retries_status(status: u16, kind: RequestKind) -> bool {
    STATUS_RETRIES
        .iter()
        .any(|(s, kinds)| *s == status && kinds.contains(&kind))
}

/// A wait before a retry long enough that a person watching should be told
/// ([`RetryPolicy::announces`]; the client calls [`crate::ClientOptions::on_long_wait`], and
/// printing it is the caller's business).
#[derive(Debug, Clone, PartialEq)]
pub struct LongWait {
    /// HTTP method of the request that waits.
    pub method: String,
    /// Its URL (no secrets).
    pub url: String,
    /// Why: `throttled (HTTP 429)`, `HTTP 503`, `connection failed`, …
    pub reason: String,
    /// This wait.
    pub wait: Duration,
    /// Whether the server asked for it (`Retry-After`).
    pub server_asked: bool,
    /// Retries already made for this request.
    pub retries: u32,
    /// Time spent waiting for this request before this wait.
    pub waited: Duration,
}

impl std::fmt::Display for LongWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "waiting {:.0} s before retrying {} {} ({}",
            self.wait.as_secs_f64().ceil(),
            self.method,
            self.url,
            self.reason
        )?;
        if self.server_asked {
            f.write_str(", as the server asked with Retry-After")?;
        }
        if self.retries > 0 {
            write!(
                f,
                "; retry {} after {:.0} s of waiting",
                self.retries + 1,
                self.waited.as_secs_f64()
            )?;
        }
        f.write_str(")")
    }
}

impl RetryPolicy {
    /// Whether a wait of `wait`, after `waited` already spent waiting for the same request, is
    /// worth telling a person about: a long one, or the one that makes the total long (later
    /// short ones are not announced one by one).
    pub fn announces(&self, wait: Duration, waited: Duration) -> bool {
        wait >= self.announce_wait || (waited < self.announce_total && waited + wait >= self.announce_total)
    }

    /// A policy that retries but never waits long: for tests against a simulator.
    pub fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 20,
            base: Duration::from_millis(1),
            max_backoff: Duration::from_millis(20),
            max_total: Duration::from_secs(60),
            announce_wait: Duration::from_millis(200),
            announce_total: Duration::from_millis(600),
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
    fn reads_retry_server_errors_and_writes_do_not() {
        use RequestKind::{Read, SafeWrite, UnsafeWrite};
        for status in [429, 500, 502, 503, 504] {
            assert!(retries_status(status, Read), "{status}");
        }
        for status in [429, 503, 504] {
            assert!(retries_status(status, SafeWrite), "{status}");
        }
        for status in [500, 502] {
            assert!(!retries_status(status, SafeWrite), "{status}");
            assert!(!retries_status(status, UnsafeWrite), "{status}");
        }
        // A lost answer to a create is an unknown outcome, resolved by looking up.
        assert!(!retries_status(504, UnsafeWrite));
        for status in [400, 401, 403, 404, 409, 412] {
            for kind in [Read, SafeWrite, UnsafeWrite] {
                assert!(!retries_status(status, kind), "{status}");
            }
        }
    }

    #[test]
    fn long_waits_are_announced_once_the_total_crosses() {
        let policy = RetryPolicy::default();
        assert!(policy.announces(Duration::from_secs(10), Duration::ZERO));
        assert!(!policy.announces(Duration::from_secs(2), Duration::ZERO));
        assert!(policy.announces(Duration::from_secs(2), Duration::from_secs(29)));
        // Past the total, short waits are no longer announced one by one.
        assert!(!policy.announces(Duration::from_secs(2), Duration::from_secs(31)));
        let text = LongWait {
            method: "GET".into(),
            url: "https://graph.microsoft.com/v1.0/groups".into(),
            reason: "throttled (HTTP 429)".into(),
            wait: Duration::from_millis(44_200),
            server_asked: true,
            retries: 1,
            waited: Duration::from_secs(3),
        }
        .to_string();
        assert_eq!(
            text,
            "waiting 45 s before retrying GET https://graph.microsoft.com/v1.0/groups (throttled (HTTP 429), as the server asked with Retry-After; retry 2 after 3 s of waiting)"
        );
    }
}
