//! Throttling with Graph's documented budgets, on the simulated clock.
//!
//! Algorithm (the client's rate limiter mirrors it): a **sliding window log** per bucket. Each
//! admitted request appends `(time, cost)`; entries older than the bucket's window are dropped.
//! A request is admitted when, for every bucket it counts against, the sum of costs in the
//! window plus its own cost is within the budget; then it is recorded in all of them. A refused
//! request is recorded nowhere. Its `Retry-After` is the earliest time at which enough of the
//! oldest entries have left the window for it to fit, across all refusing buckets, converted
//! to real seconds (divided by `clock_scale`) and sent with millisecond precision, e.g. `0.183`.
//!
//! Buckets, per tenant (the simulator is one tenant):
//!
//! | family | bucket | counts | budget (default) | window |
//! |---|---|---|---|---|
//! | Intune (`/deviceManagement/…`) | per app, writes | POST/PATCH/PUT/DELETE, cost 1 | 100 | 20 s |
//! | Intune | per app, all | every request, cost 1 | 1,000 | 20 s |
//! | Intune | tenant, writes | writes of every app | 200 | 20 s |
//! | Intune | tenant, all | requests of every app | 2,000 | 20 s |
//! | directory (`/groups`, `/servicePrincipals`, `/directoryObjects`) | per app, resource units | cost 1; `$select` −1, `$expand` +1, `$top` < 20 −1; at least 1 | 3,500 | 10 s |
//! | directory | per app, writes | writes, cost 1 | 3,000 | 150 s |
//! | directory | tenant, writes | writes of every app | 18,000 | 300 s |

use std::collections::{HashMap, VecDeque};

use crate::config::Throttling;

/// Which budget family a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Intune,
    Directory,
    None,
}

#[derive(Debug, Default)]
struct Window {
    entries: VecDeque<(i64, u32)>,
    sum: u64,
}

impl Window {
    fn expire(&mut self, now_ms: i64, window_ms: i64) {
        while let Some(&(at, cost)) = self.entries.front() {
            if at + window_ms > now_ms {
                break;
            }
            self.entries.pop_front();
            self.sum -= u64::from(cost);
        }
    }

    /// Simulated milliseconds until `cost` fits, or `None` when it fits now.
    fn wait_for(&self, cost: u32, budget: u32, now_ms: i64, window_ms: i64) -> Option<i64> {
        let budget = u64::from(budget);
        if self.sum + u64::from(cost) <= budget {
            return None;
        }
        let mut sum = self.sum;
        for &(at, entry_cost) in &self.entries {
            sum -= u64::from(entry_cost);
            if sum + u64::from(cost) <= budget {
                return Some((at + window_ms - now_ms).max(1));
            }
        }
        // The request alone is larger than the budget: it waits for a full window.
        Some(window_ms)
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    /// Simulated seconds until the request would fit.
    pub retry_after_secs: f64,
    /// `x-ms-throttle-scope`-like description of the bucket that refused.
    pub scope: &'static str,
}

#[derive(Debug)]
pub(crate) struct Throttle {
    config: Throttling,
    windows: HashMap<(&'static str, String), Window>,
}

impl Throttle {
    pub fn new(config: &Throttling) -> Throttle {
        Throttle {
            config: config.clone(),
            windows: HashMap::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// Admits or refuses a request. `cost` is the directory resource-unit cost (ignored for
    /// Intune).
    pub fn admit(
        &mut self,
        family: Family,
        client_id: &str,
        is_write: bool,
        cost: u32,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        if !self.config.enabled || family == Family::None {
            return Ok(());
        }
        let c = &self.config;
        let ms = |secs: f64| (secs * 1000.0) as i64;
        let client = client_id.to_ascii_lowercase();
        let mut buckets: Vec<(&'static str, String, u32, u32, i64)> = Vec::new();
        match family {
            Family::Intune => {
                if is_write {
                    buckets.push((
                        "intune/app/writes",
                        client.clone(),
                        1,
                        c.intune_app_writes,
                        ms(c.intune_window_secs),
                    ));
                    buckets.push((
                        "intune/tenant/writes",
                        String::new(),
                        1,
                        c.intune_tenant_writes,
                        ms(c.intune_window_secs),
                    ));
                }
                buckets.push((
                    "intune/app/requests",
                    client,
                    1,
                    c.intune_app_requests,
                    ms(c.intune_window_secs),
                ));
                buckets.push((
                    "intune/tenant/requests",
                    String::new(),
                    1,
                    c.intune_tenant_requests,
                    ms(c.intune_window_secs),
                ));
            }
            Family::Directory => {
                buckets.push((
                    "directory/app/resource-units",
                    client.clone(),
                    cost.max(1),
                    c.directory_resource_units,
                    ms(c.directory_window_secs),
                ));
                if is_write {
                    buckets.push((
                        "directory/app/writes",
                        client,
                        1,
                        c.directory_app_writes,
                        ms(c.directory_write_window_secs),
                    ));
                    buckets.push((
                        "directory/tenant/writes",
                        String::new(),
                        1,
                        c.directory_tenant_writes,
                        ms(c.directory_tenant_write_window_secs),
                    ));
                }
            }
            Family::None => {}
        }
        let mut refusal: Option<(i64, &'static str)> = None;
        for (name, key, cost, budget, window_ms) in &buckets {
            let window = self.windows.entry((name, key.clone())).or_default();
            window.expire(now_ms, *window_ms);
            if let Some(wait) = window.wait_for(*cost, *budget, now_ms, *window_ms)
                && refusal.is_none_or(|(longest, _)| wait > longest)
            {
                refusal = Some((wait, name));
            }
        }
        if let Some((wait_ms, scope)) = refusal {
            return Err(Refusal {
                retry_after_secs: wait_ms as f64 / 1000.0,
                scope,
            });
        }
        for (name, key, cost, _, _) in buckets {
            let window = self.windows.entry((name, key)).or_default();
            window.entries.push_back((now_ms, cost));
            window.sum += u64::from(cost);
        }
        Ok(())
    }
}

/// Formats real seconds for `Retry-After`: millisecond precision, no trailing zeros, at least
/// one millisecond.
pub(crate) fn retry_after_header(real_secs: f64) -> String {
    let secs = real_secs.max(0.001);
    let text = format!("{secs:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(&Throttling {
            enabled: true,
            ..Throttling::default()
        })
    }

    #[test]
    fn intune_writes_budget_is_a_sliding_window() {
        let mut t = throttle();
        for i in 0..100 {
            assert!(
                t.admit(Family::Intune, "app", true, 1, i * 100).is_ok(),
                "write {i}"
            );
        }
        // The 101st write within 20 s is refused until the first one (t=0) leaves the window.
        let refusal = t.admit(Family::Intune, "app", true, 1, 10_000).unwrap_err();
        assert_eq!(refusal.scope, "intune/app/writes");
        assert!((refusal.retry_after_secs - 10.0).abs() < 1e-9);
        // Reads still pass (1,000 budget), and another app has its own write budget.
        assert!(t.admit(Family::Intune, "app", false, 1, 10_000).is_ok());
        assert!(t.admit(Family::Intune, "other", true, 1, 10_000).is_ok());
        // At t=20 s the first write has left the window.
        assert!(t.admit(Family::Intune, "app", true, 1, 20_000).is_ok());
        assert!(t.admit(Family::Intune, "app", true, 1, 20_000).is_err());
    }

    #[test]
    fn directory_costs_resource_units() {
        let mut t = Throttle::new(&Throttling {
            enabled: true,
            directory_resource_units: 10,
            ..Throttling::default()
        });
        assert!(t.admit(Family::Directory, "app", false, 6, 0).is_ok());
        assert!(t.admit(Family::Directory, "app", false, 5, 1).is_err());
        assert!(t.admit(Family::Directory, "app", false, 4, 1).is_ok());
        assert!(t.admit(Family::Directory, "app", false, 1, 10_000).is_ok());
    }

    #[test]
    fn disabled_admits_everything_and_header_format() {
        let mut t = Throttle::new(&Throttling::default());
        for i in 0..5000 {
            assert!(t.admit(Family::Intune, "app", true, 1, i).is_ok());
        }
        assert_eq!(retry_after_header(2.128), "2.128");
        assert_eq!(retry_after_header(20.0), "20");
        assert_eq!(retry_after_header(0.2), "0.2");
        assert_eq!(retry_after_header(0.0), "0.001");
    }
}
