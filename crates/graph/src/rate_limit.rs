//! A client-side rate limiter that knows Graph's documented budgets (graph-api-notes §8), so a
//! long run of writes goes at the ceiling instead of bouncing off 429s.
//!
//! Each budget is a sliding window: at most `limit` requests in any `window`. Sliding windows
//! never exceed a fixed-window counter on the server either. Windows are divided by
//! [`RateLimitConfig::clock_scale`] (to match a simulator whose clock runs faster) and widened by
//! [`RateLimitConfig::safety_margin`], because arrival times at the server shift with latency.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::request::Service;

/// At most `limit` requests in any `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length on the real clock.
    pub window: Duration,
}

/// The budgets the limiter enforces, per app per tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Whether to limit at all.
    pub enabled: bool,
    /// Simulated seconds per real second, as the simulator counts them: `1.0` for Microsoft;
    /// `100.0` makes a 20 s window last 200 ms.
    pub clock_scale: f64,
    /// Fraction added to every window (default 5 %).
    pub safety_margin: f64,
    /// Intune writes: 100 per 20 s.
    pub intune_writes: Budget,
    /// Intune requests of any kind: 1,000 per 20 s.
    pub intune_all: Budget,
    /// Directory requests: 3,500 resource units per 10 s (the smallest tenant size), counted
    /// as one unit per request.
    pub directory_all: Budget,
    /// Directory writes: 3,000 per 2 min 30 s.
    pub directory_writes: Budget,
}

impl Default for RateLimitConfig {
    fn default() -> RateLimitConfig {
        RateLimitConfig {
            enabled: true,
            clock_scale: 1.0,
            safety_margin: 0.05,
            intune_writes: Budget {
                limit: 100,
                window: Duration::from_secs(20),
            },
            intune_all: Budget {
                limit: 1000,
                window: Duration::from_secs(20),
            },
            directory_all: Budget {
                limit: 3500,
                window: Duration::from_secs(10),
            },
            directory_writes: Budget {
                limit: 3000,
                window: Duration::from_secs(150),
            },
        }
    }
}

impl RateLimitConfig {
    /// No limiting at all.
    pub fn disabled() -> RateLimitConfig {
        RateLimitConfig {
            enabled: false,
            ..RateLimitConfig::default()
        }
    }

    /// The documented budgets on a clock running `scale` times faster than real time.
    pub fn scaled(scale: f64) -> RateLimitConfig {
        RateLimitConfig {
            clock_scale: scale,
            ..RateLimitConfig::default()
        }
    }
}

#[derive(Debug)]
struct Window {
    limit: usize,
    length: Duration,
    sent: VecDeque<Instant>,
}

impl Window {
    fn new(budget: Budget, config: &RateLimitConfig) -> Window {
        let scale = if config.clock_scale.is_finite() && config.clock_scale > 0.0 {
            config.clock_scale
        } else {
            1.0
        };
        let margin = 1.0 + config.safety_margin.clamp(0.0, 1.0);
        Window {
            limit: budget.limit.max(1) as usize,
            length: budget.window.mul_f64(margin / scale),
            sent: VecDeque::new(),
        }
    }

    /// How long until one more request fits (zero if it fits now).
    fn wait(&mut self, now: Instant) -> Duration {
        while self
            .sent
            .front()
            .is_some_and(|&t| now.duration_since(t) >= self.length)
        {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            return Duration::ZERO;
        }
        self.sent.front().map_or(Duration::ZERO, |&oldest| {
            (oldest + self.length).saturating_duration_since(now)
        })
    }
}

#[derive(Debug)]
struct Windows {
    intune_writes: Window,
    intune_all: Window,
    directory_all: Window,
    directory_writes: Window,
}

impl Windows {
    fn for_request(&mut self, service: Service, write: bool) -> Vec<&mut Window> {
        match (service, write) {
            (Service::Intune, true) => vec![&mut self.intune_writes, &mut self.intune_all],
            (Service::Intune, false) => vec![&mut self.intune_all],
            (Service::Directory, true) => vec![&mut self.directory_writes, &mut self.directory_all],
            (Service::Directory, false) => vec![&mut self.directory_all],
        }
    }
}

/// The limiter. One per client; shared by every request it sends.
#[derive(Debug)]
pub struct RateLimiter {
    enabled: bool,
    windows: Mutex<Windows>,
}

impl RateLimiter {
    /// A limiter enforcing `config`.
    pub fn new(config: &RateLimitConfig) -> RateLimiter {
        RateLimiter {
            enabled: config.enabled,
            windows: Mutex::new(Windows {
                intune_writes: Window::new(config.intune_writes, config),
                intune_all: Window::new(config.intune_all, config),
                directory_all: Window::new(config.directory_all, config),
                directory_writes: Window::new(config.directory_writes, config),
            }),
        }
    }

    /// How long a request would wait now, without taking a slot.
    pub async fn peek(&self, service: Service, write: bool) -> Duration {
        if !self.enabled {
            return Duration::ZERO;
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().await;
        windows
            .for_request(service, write)
            .into_iter()
            .map(|w| w.wait(now))
            .max()
            .unwrap_or_default()
    }

    /// Waits until one request on `service` fits every budget it draws on, takes its slot, and
    /// returns how long it waited.
    pub async fn acquire(&self, service: Service, write: bool) -> Duration {
        if !self.enabled {
            return Duration::ZERO;
        }
        let start = Instant::now();
        loop {
            let wait = {
                let now = Instant::now();
                let mut windows = self.windows.lock().await;
                let mut relevant = windows.for_request(service, write);
                let wait = relevant.iter_mut().map(|w| w.wait(now)).max().unwrap_or_default();
                if wait.is_zero() {
                    for window in relevant {
                        window.sent.push_back(now);
                    }
                    return start.elapsed();
                }
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> RateLimitConfig {
        RateLimitConfig {
            safety_margin: 0.0,
            intune_writes: Budget {
                limit: 2,
                window: Duration::from_secs(20),
            },
            intune_all: Budget {
                limit: 3,
                window: Duration::from_secs(20),
            },
            ..RateLimitConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn writes_wait_for_the_window_to_slide() {
        let limiter = RateLimiter::new(&tiny());
        assert_eq!(limiter.acquire(Service::Intune, true).await, Duration::ZERO);
        assert_eq!(limiter.acquire(Service::Intune, true).await, Duration::ZERO);
        assert_eq!(limiter.peek(Service::Intune, true).await, Duration::from_secs(20));
        // A read still fits the "any request" budget.
        assert_eq!(limiter.acquire(Service::Intune, false).await, Duration::ZERO);
        // Now the "any" budget is full as well; the directory is a separate budget.
        assert_eq!(
            limiter.peek(Service::Intune, false).await,
            Duration::from_secs(20)
        );
        assert_eq!(limiter.acquire(Service::Directory, true).await, Duration::ZERO);
        let waited = limiter.acquire(Service::Intune, true).await;
        assert_eq!(waited, Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn clock_scale_and_margin_shape_the_window() {
        let config = RateLimitConfig {
            clock_scale: 100.0,
            safety_margin: 0.5,
            ..tiny()
        };
        let limiter = RateLimiter::new(&config);
        limiter.acquire(Service::Intune, true).await;
        limiter.acquire(Service::Intune, true).await;
        assert_eq!(
            limiter.peek(Service::Intune, true).await,
            Duration::from_millis(300)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window() {
        let config = RateLimitConfig {
            safety_margin: 0.0,
            ..RateLimitConfig::default()
        };
        let limiter = RateLimiter::new(&config);
        let mut times = Vec::new();
        for _ in 0..250 {
            limiter.acquire(Service::Intune, true).await;
            times.push(Instant::now());
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < Duration::from_secs(20))
                .count();
            assert!(in_window <= 100, "{in_window} writes within 20 s");
        }
        let total = times.last().unwrap().duration_since(times[0]);
        assert_eq!(
            total,
            Duration::from_secs(40),
            "250 writes take two full windows, no more"
        );
    }

    #[tokio::test]
    async fn disabled_never_waits() {
        let limiter = RateLimiter::new(&RateLimitConfig::disabled());
        for _ in 0..2000 {
            assert_eq!(limiter.acquire(Service::Intune, true).await, Duration::ZERO);
        }
    }
}
