//! The span clock: wall-clock nanoseconds, read through the CPU's time-stamp counter
//! where it is reliable (the `minstant` crate) so a timestamp costs a few nanoseconds
//! instead of a system call.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

static ANCHOR: OnceLock<minstant::Anchor> = OnceLock::new();

/// Nanoseconds since the Unix epoch, now.
#[inline]
pub(crate) fn now_unix_nanos() -> u64 {
    let anchor = ANCHOR.get_or_init(minstant::Anchor::new);
    minstant::Instant::now().as_unix_nanos(anchor)
}

/// Nanoseconds since the Unix epoch of `time` (zero before the epoch, saturating far after).
pub(crate) fn unix_nanos(time: SystemTime) -> u64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => u64::try_from(since.as_nanos()).unwrap_or(u64::MAX),
        Err(_) => 0,
    }
}
