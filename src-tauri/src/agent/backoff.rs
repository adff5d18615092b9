//! Reconnection delays: exponential, capped, with jitter so that many agents
//! dropped together (a relay restart) do not all come back in the same instant.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The next delay: half of `base · 2^attempt` (capped) for sure, the other half
    /// scaled by `jitter` (0..1).
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(self.attempt))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// A connection succeeded: start again from `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// A uniform random number in 0..1 for the jitter.
pub fn random_jitter() -> f64 {
    getrandom::u64().map_or(0.5, |r| (r >> 11) as f64 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_doubles_caps_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        let max: Vec<u128> = (0..10).map(|_| b.next_delay(1.0).as_millis()).collect();
        assert_eq!(
            max,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
        b.reset();
        assert_eq!(
            b.next_delay(0.0),
            Duration::from_millis(50),
            "at least half"
        );
        assert_eq!(b.next_delay(0.5), Duration::from_millis(150));
        for _ in 0..100 {
            let j = random_jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
