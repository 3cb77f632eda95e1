//! The one time-range type of the contract.

/// A span of time in Unix nanoseconds: `start_unix_nano` included, `end_unix_nano` not.
///
/// Every query of [`Store`](crate::Store) takes its range as a `TimeRange`. An API whose
/// own convention includes both ends (Jaeger's and clew's searches) builds it with
/// [`TimeRange::through`].
///
/// ```
/// use clew_store::TimeRange;
///
/// let minute = TimeRange::new(60, 120);
/// assert!(minute.contains(60) && minute.contains(119) && !minute.contains(120));
/// assert!(TimeRange::through(60, 120).contains(120));
/// assert!(minute.overlaps(100, 200) && !minute.overlaps(120, 200) && minute.overlaps(0, 60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRange {
    /// The first time in the range.
    pub start_unix_nano: u64,
    /// The first time after the range.
    pub end_unix_nano: u64,
}

impl TimeRange {
    /// Every time from the start of 1970 on.
    pub const ALL: TimeRange = TimeRange { start_unix_nano: 0, end_unix_nano: u64::MAX };

    /// `[start, end)`.
    pub const fn new(start_unix_nano: u64, end_unix_nano: u64) -> TimeRange {
        TimeRange { start_unix_nano, end_unix_nano }
    }

    /// `[start, last]`: both ends included (`last` = `u64::MAX` stays open-ended).
    pub const fn through(start_unix_nano: u64, last_unix_nano: u64) -> TimeRange {
        TimeRange { start_unix_nano, end_unix_nano: last_unix_nano.saturating_add(1) }
    }

    /// Whether `time` is in the range.
    pub const fn contains(&self, time_unix_nano: u64) -> bool {
        self.start_unix_nano <= time_unix_nano && time_unix_nano < self.end_unix_nano
    }

    /// Whether something from `first` to `last` (both included) has a time in the range.
    pub const fn overlaps(&self, first_unix_nano: u64, last_unix_nano: u64) -> bool {
        first_unix_nano < self.end_unix_nano && last_unix_nano >= self.start_unix_nano
    }

    /// `end - start`, or 0 when the end is not after the start.
    pub const fn nanos(&self) -> u64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano)
    }
}

impl Default for TimeRange {
    fn default() -> TimeRange {
        TimeRange::ALL
    }
}
