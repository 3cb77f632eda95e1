//! When to send again: the OTLP specification's retryable answers, exponential backoff
//! with jitter, and the server's own `Retry-After` or `RetryInfo`, all within the export's
//! deadline.

use std::time::{Duration, Instant, SystemTime};

/// How failed sends are retried.
///
/// ```
/// use std::time::Duration;
/// let retry = clew_otlp::RetryPolicy::default().max_attempts(3).initial_backoff(Duration::from_millis(50));
/// assert_eq!(retry.attempts(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Up to 5 attempts, waiting about 250 ms, then 500 ms, 1 s, 2 s (at most 5 s), each
    /// wait between half and all of that; never past the export's deadline.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// At most this many attempts in all (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; it doubles for each one after.
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> RetryPolicy {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between attempts.
    #[must_use]
    pub fn max_backoff(mut self, backoff: Duration) -> RetryPolicy {
        self.max_backoff = backoff;
        self
    }

    /// The number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait after failed attempt `attempt` (1 for the first): the doubled backoff,
    /// capped, with "equal jitter" (between half and all of it) from `random`.
    pub(crate) fn backoff(&self, attempt: u32, random: u64) -> Duration {
        let doubled = self.initial_backoff.saturating_mul(1 << attempt.saturating_sub(1).min(20));
        let base = doubled.min(self.max_backoff);
        let half = base / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if nanos == 0 { 0 } else { random % (nanos + 1) })
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Accepted; with the count and message of a `partial_success`, if any.
    Accepted { rejected: i64, message: String },
    /// Worth another attempt, after the server's wait if it gave one.
    Retry { reason: String, after: Option<Duration> },
    /// Refused for good (400, 401, 413, …): sending it again cannot help.
    Refused { reason: String },
}

/// Whether an HTTP status is one the OTLP specification says to retry.
pub(crate) fn http_status_is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// A `Retry-After` header: delay-seconds, or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = parse_http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP servers send.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(str::parse::<u64>);
    let (hour, minute, second) = (clock.next()?.ok()?, clock.next()?.ok()?, clock.next()?.ok()?);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3_600 + minute * 60 + second;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u64, day: u64) -> Option<i64> {
    let month = i64::try_from(month).ok()?;
    let day = i64::try_from(day).ok()?;
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The time left before `deadline`, if any.
pub(crate) fn remaining(deadline: Instant) -> Option<Duration> {
    deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all() {
        let policy =
            RetryPolicy::default().initial_backoff(Duration::from_millis(100)).max_backoff(Duration::from_millis(350));
        assert_eq!(policy.backoff(1, 0), Duration::from_millis(50));
        assert_eq!(
            policy.backoff(1, u64::MAX - 1),
            Duration::from_millis(50) + Duration::from_nanos((u64::MAX - 1) % 50_000_001)
        );
        assert_eq!(policy.backoff(2, 0), Duration::from_millis(100));
        assert_eq!(policy.backoff(3, 0), Duration::from_millis(175), "capped at 350 ms");
        assert_eq!(policy.backoff(40, 0), Duration::from_millis(175));
        for random in [1, 12_345, 999_999_999] {
            let wait = policy.backoff(2, random);
            assert!(wait >= Duration::from_millis(100) && wait <= Duration::from_millis(200), "{wait:?}");
        }
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO), "in the past");
        assert_eq!(
            parse_retry_after("Tue, 29 Feb 2028 00:00:00 GMT", SystemTime::UNIX_EPOCH),
            Some(Duration::from_secs(1_835_395_200))
        );
        for bad in ["", "soon", "-1", "Sun, 06 Nov 1994 08:49:47 CET", "Sun, 32 Nov 1994 08:49:47 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn only_the_specification_s_statuses_are_retried() {
        let retried: Vec<u16> = (100..600).filter(|status| http_status_is_retryable(*status)).collect();
        assert_eq!(retried, [429, 502, 503, 504]);
    }
}
