//! Seeded fault injection and latency.
//!
//! Every random decision comes from one SplitMix64 stream seeded by `SimConfig::seed`: the same
//! seed and the same sequence of requests give the same faults, so a failing test replays.
//! Rules are checked in order for each request (each `$batch` item counts as a request); the
//! first rule that matches the method class and path and wins its draw fires. A rule with
//! `rate: 1` never draws, so "the next two writes to /groups fail" stays deterministic even
//! when other rules are random.

use crate::config::{FaultKind, FaultRule, Latency, MethodClass, SimConfig};
use crate::odata::Method;
use crate::state::splitmix64;

/// What a fault rule does to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Injected {
    /// Answer this status without executing.
    Status(u16),
    /// Answer 429 with `Retry-After` (simulated seconds) without executing.
    Throttle(f64),
    /// Execute, then close the connection without a response.
    Drop,
}

#[derive(Debug)]
pub(crate) struct Faults {
    rng: u64,
    rules: Vec<(FaultRule, u32)>,
    latency: Latency,
}

impl Faults {
    pub fn new(config: &SimConfig) -> Faults {
        Faults {
            rng: config.seed ^ 0xFA17_5EED,
            rules: config.faults.iter().cloned().map(|rule| (rule, 0)).collect(),
            latency: config.latency,
        }
    }

    /// Adds a rule at run time (checked after the configured ones).
    pub fn push(&mut self, rule: FaultRule) {
        self.rules.push((rule, 0));
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    fn uniform(&mut self) -> f64 {
        (splitmix64(&mut self.rng) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The fault for a request, if any. `can_drop` is false inside `$batch`, where one item's
    /// response cannot be dropped on its own.
    pub fn decide(&mut self, method: &Method, path: &str, can_drop: bool) -> Option<Injected> {
        for index in 0..self.rules.len() {
            let (rule, used) = &self.rules[index];
            let class_ok = match rule.methods {
                MethodClass::All => true,
                MethodClass::Reads => !method.is_write(),
                MethodClass::Writes => method.is_write(),
            };
            let path_ok = rule.path.as_deref().is_none_or(|p| path.contains(p));
            let spent = rule.times.is_some_and(|times| *used >= times);
            if !class_ok || !path_ok || spent || (rule.kind == FaultKind::Drop && !can_drop) {
                continue;
            }
            let rate = rule.rate;
            let hit = rate >= 1.0 || (rate > 0.0 && self.uniform() < rate);
            if !hit {
                continue;
            }
            let (rule, used) = &mut self.rules[index];
            *used += 1;
            return Some(match rule.kind {
                FaultKind::Status => Injected::Status(rule.status),
                FaultKind::Throttle => Injected::Throttle(rule.retry_after_secs),
                FaultKind::Drop => Injected::Drop,
            });
        }
        None
    }

    /// Real milliseconds to wait before answering.
    pub fn latency_ms(&mut self) -> u64 {
        let jitter = if self.latency.jitter_ms > 0 {
            (self.uniform() * (self.latency.jitter_ms as f64 + 1.0)).floor() as u64
        } else {
            0
        };
        self.latency.fixed_ms + jitter.min(self.latency.jitter_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let config = SimConfig::default().seed(9).fault(FaultRule::status(503, 0.3));
        let run = || {
            let mut faults = Faults::new(&config);
            (0..200)
                .map(|_| faults.decide(&Method::Get, "/groups", true).is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let hits = first.iter().filter(|h| **h).count();
        assert!((30..=90).contains(&hits), "{hits} hits for rate 0.3");
    }

    #[test]
    fn scripted_rules_fire_exactly_n_times_and_respect_filters() {
        let config = SimConfig::default().fault(
            FaultRule::throttle(1.5, 1.0)
                .methods(MethodClass::Writes)
                .path("/groups")
                .times(2),
        );
        let mut faults = Faults::new(&config);
        assert_eq!(faults.decide(&Method::Get, "/groups", true), None);
        assert_eq!(faults.decide(&Method::Post, "/deviceManagement/x", true), None);
        assert_eq!(
            faults.decide(&Method::Post, "/groups", true),
            Some(Injected::Throttle(1.5))
        );
        assert_eq!(
            faults.decide(&Method::Post, "/groups", true),
            Some(Injected::Throttle(1.5))
        );
        assert_eq!(faults.decide(&Method::Post, "/groups", true), None);
        let mut drops = Faults::new(&SimConfig::default().fault(FaultRule::drop_response(1.0)));
        assert_eq!(drops.decide(&Method::Post, "/groups", false), None);
        assert_eq!(drops.decide(&Method::Get, "/groups", true), None);
        assert_eq!(drops.decide(&Method::Post, "/groups", true), Some(Injected::Drop));
    }

    #[test]
    fn latency_stays_in_range() {
        let mut faults = Faults::new(&SimConfig::default().latency(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(5),
        ));
        for _ in 0..100 {
            let ms = faults.latency_ms();
            assert!((10..=15).contains(&ms));
        }
    }
}
