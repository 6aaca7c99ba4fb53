//! What to do after an answer from GitHub: use it, retry it after a wait, or give up. Pure:
//! the headers and the clock come in, a decision goes out.
//!
//! GitHub's rules (docs.github.com, "Rate limits for the REST API"): when
//! `x-ratelimit-remaining` is 0, wait until `x-ratelimit-reset` (epoch seconds); a 403 or 429
//! with `retry-after` is a secondary limit, wait that many seconds; 5xx and timeouts are
//! retried with exponential backoff.

use std::time::Duration;

/// The parts of an answer that decide what happens next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `x-ratelimit-remaining`
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`, epoch seconds
    pub reset: Option<u64>,
    /// `retry-after`, seconds
    pub retry_after: Option<u64>,
}

/// The decision about one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The answer is final (success, 304, or an error not worth retrying).
    Done,
    /// Retry after this wait.
    Retry { wait: Duration, reason: String },
}

/// Decides about an answer received at `now` (epoch seconds), on retry number `attempt`
/// (0 for the first try). `backoff` computes the wait after a server error.
pub fn decide(answer: &Answer, now: u64, attempt: u32, backoff: &Backoff) -> Next {
    let status = answer.status;
    let limited = matches!(status, 403 | 429);
    if limited && let Some(secs) = answer.retry_after {
        return Next::Retry {
            wait: Duration::from_secs(secs),
            reason: format!("secondary rate limit ({status}, retry-after {secs}s)"),
        };
    }
    if limited && answer.remaining == Some(0) {
        let wait = answer.reset.map_or(60, |r| r.saturating_sub(now).max(1));
        return Next::Retry {
            wait: Duration::from_secs(wait),
            reason: format!("primary rate limit exhausted ({status}, resets in {wait}s)"),
        };
    }
    if status == 429 {
        return Next::Retry {
            wait: backoff.wait(attempt),
            reason: "rate limited (429)".into(),
        };
    }
    if (500..600).contains(&status) {
        return Next::Retry {
            wait: backoff.wait(attempt),
            reason: format!("server error {status}"),
        };
    }
    Next::Done
}

/// How long to pause every request after a successful answer that used up the limit.
pub fn pause_after(answer: &Answer, now: u64) -> Option<Duration> {
    match (answer.remaining, answer.reset) {
        (Some(0), Some(reset)) if reset > now => Some(Duration::from_secs(reset - now)),
        _ => None,
    }
}

/// Exponential backoff with jitter: `base × 2^attempt`, scaled by a factor in [0.5, 1.5).
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    /// The longest single wait.
    pub cap: Duration,
}

impl Backoff {
    pub fn wait(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.min(16));
        let jittered = exp.mul_f64(0.5 + jitter());
        jittered.min(self.cap)
    }
}

/// A number in [0, 1), different on every call (no need for cryptographic quality: it only
/// spreads retries of many clients apart).
fn jitter() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ seed;
    // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (r >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(10),
        }
    }

    #[test]
    fn secondary_limit_waits_retry_after() {
        let a = Answer {
            status: 429,
            retry_after: Some(7),
            ..Answer::default()
        };
        match decide(&a, 0, 0, &backoff()) {
            Next::Retry { wait, reason } => {
                assert_eq!(wait, Duration::from_secs(7));
                assert!(reason.contains("secondary"));
            }
            Next::Done => panic!("a 429 is retried"),
        }
    }

    #[test]
    fn exhausted_primary_limit_waits_until_reset() {
        let a = Answer {
            status: 403,
            remaining: Some(0),
            reset: Some(1_000_030),
            retry_after: None,
        };
        assert!(matches!(
            decide(&a, 1_000_000, 0, &backoff()),
            Next::Retry { wait, .. } if wait == Duration::from_secs(30)
        ));
        // A 403 with quota left is a real refusal.
        let forbidden = Answer {
            remaining: Some(4000),
            ..a
        };
        assert_eq!(decide(&forbidden, 1_000_000, 0, &backoff()), Next::Done);
        assert_eq!(
            pause_after(&Answer { status: 200, ..a }, 1_000_000),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn server_errors_back_off_exponentially_within_jitter() {
        let a = Answer {
            status: 502,
            ..Answer::default()
        };
        for attempt in 0..4 {
            let Next::Retry { wait, .. } = decide(&a, 0, attempt, &backoff()) else {
                panic!("a 502 is retried");
            };
            let nominal = 100.0 * f64::from(1u32 << attempt);
            let ms = wait.as_millis() as f64;
            assert!(
                ms >= nominal * 0.5 && ms < nominal * 1.5,
                "{ms} vs {nominal}"
            );
        }
        assert_eq!(backoff().wait(30), Duration::from_secs(10));
        assert_eq!(
            decide(&Answer { status: 404, ..a }, 0, 0, &backoff()),
            Next::Done
        );
    }
}
