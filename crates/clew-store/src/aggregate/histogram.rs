//! A log-bucketed histogram of durations, for percentiles without keeping every value.
//!
//! A value below 128 has a bucket of its own. Above that, each power of two is cut into 64
//! buckets of equal width: a value whose highest set bit is bit `e` (`e` ≥ 7) falls in the
//! bucket of its top seven bits, `[m·2^s, (m+1)·2^s)` with `s = e − 6` and `64 ≤ m < 128`,
//! numbered `s·64 + m`. That makes 3,776 possible buckets for all of `u64`; a histogram
//! keeps only those that hold values, as a sorted list of (bucket, count).
//!
//! A bucket is answered by its midpoint `m·2^s + 2^(s−1)`, which is within
//! `2^(s−1) / (m·2^s) ≤ 1/128` of every value in the bucket. A percentile is the
//! nearest-rank one: the smallest value with at least p % of the values at or below it.
//! The exact nearest-rank value lies in the bucket the histogram finds, so the answer is
//! within [`PERCENTILE_RELATIVE_ERROR`] (1/128, about 0.8 %) of the exact percentile of the
//! same values, and exact below 128 ns.

/// How far a percentile given by the store may be from the exact one, relative to it:
/// 1/128 (about 0.8 %).
///
/// ```
/// let exact: u64 = 1_234_567;
/// let bound = (exact as f64 * clew_store::PERCENTILE_RELATIVE_ERROR).ceil() as u64;
/// assert_eq!(bound, 9_646);
/// ```
pub const PERCENTILE_RELATIVE_ERROR: f64 = 1.0 / 128.0;

/// Bits of a value kept below its highest set bit.
const SUB_BUCKET_BITS: u32 = 6;
/// Buckets per power of two.
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
/// Values below this have a bucket each.
const EXACT_BELOW: u64 = 2 * SUB_BUCKETS;

/// The 50th, 95th and 99th percentiles of some durations, in nanoseconds, within
/// [`PERCENTILE_RELATIVE_ERROR`] of the exact nearest-rank percentiles.
///
/// ```
/// use clew_store::Percentiles;
///
/// let fast = Percentiles { p50_nanos: 1_000, p95_nanos: 4_000, p99_nanos: 9_000 };
/// assert!(fast.p50_nanos <= fast.p95_nanos && fast.p95_nanos <= fast.p99_nanos);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Percentiles {
    /// The median.
    pub p50_nanos: u64,
    /// The 95th percentile.
    pub p95_nanos: u64,
    /// The 99th percentile.
    pub p99_nanos: u64,
}

/// Counts of durations by log bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// (bucket, count), by bucket; no count is 0.
    buckets: Vec<(u16, u64)>,
    total: u64,
}

impl Histogram {
    /// Counts one value.
    pub fn record(&mut self, value: u64) {
        let bucket = bucket_of(value);
        match self.buckets.binary_search_by_key(&bucket, |&(known, _)| known) {
            Ok(found) => self.buckets[found].1 = self.buckets[found].1.saturating_add(1),
            Err(place) => self.buckets.insert(place, (bucket, 1)),
        }
        self.total = self.total.saturating_add(1);
    }

    /// Adds the counts of another histogram.
    pub fn merge(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        if self.total == 0 {
            self.clone_from(other);
            return;
        }
        let mut merged = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut mine, mut theirs) = (0, 0);
        while mine < self.buckets.len() && theirs < other.buckets.len() {
            let (a, count_a) = self.buckets[mine];
            let (b, count_b) = other.buckets[theirs];
            if a == b {
                merged.push((a, count_a.saturating_add(count_b)));
                mine += 1;
                theirs += 1;
            } else if a < b {
                merged.push((a, count_a));
                mine += 1;
            } else {
                merged.push((b, count_b));
                theirs += 1;
            }
        }
        merged.extend_from_slice(&self.buckets[mine..]);
        merged.extend_from_slice(&other.buckets[theirs..]);
        self.buckets = merged;
        self.total = self.total.saturating_add(other.total);
    }

    /// How many values were counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The nearest-rank percentile `percent` (1 to 100) of the values, within
    /// [`PERCENTILE_RELATIVE_ERROR`]; `None` when there are none.
    pub fn percentile(&self, percent: u8) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let percent = u128::from(percent.clamp(1, 100));
        // The smallest rank r (from 1) with r ≥ n · p / 100.
        let rank = (u128::from(self.total) * percent).div_ceil(100).max(1);
        let mut seen: u128 = 0;
        for &(bucket, count) in &self.buckets {
            seen += u128::from(count);
            if seen >= rank {
                return Some(representative(bucket));
            }
        }
        self.buckets.last().map(|&(bucket, _)| representative(bucket))
    }

    /// The 50th, 95th and 99th percentiles; `None` when there are no values.
    pub fn percentiles(&self) -> Option<Percentiles> {
        Some(Percentiles {
            p50_nanos: self.percentile(50)?,
            p95_nanos: self.percentile(95)?,
            p99_nanos: self.percentile(99)?,
        })
    }
}

/// The bucket of a value.
fn bucket_of(value: u64) -> u16 {
    if value < EXACT_BELOW {
        return value as u16;
    }
    let highest_bit = 63 - value.leading_zeros();
    let shift = highest_bit - SUB_BUCKET_BITS;
    let top_bits = value >> shift;
    // At most 57 · 64 + 127 = 3775.
    (u64::from(shift) * SUB_BUCKETS + top_bits) as u16
}

/// The value a bucket answers with: the value itself below 128, else the midpoint.
fn representative(bucket: u16) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < EXACT_BELOW {
        return bucket;
    }
    let shift = bucket / SUB_BUCKETS - 1;
    let top_bits = SUB_BUCKETS + bucket % SUB_BUCKETS;
    (top_bits << shift) + (1 << (shift - 1))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The nearest-rank percentile of exact values.
    fn exact(values: &[u64], percent: u64) -> u64 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let rank = (sorted.len() as u64 * percent).div_ceil(100).max(1);
        sorted[rank as usize - 1]
    }

    fn within_error(answer: u64, exact: u64) -> bool {
        answer.abs_diff(exact) as f64 <= exact as f64 * PERCENTILE_RELATIVE_ERROR
    }

    #[test]
    fn buckets_cover_every_value_in_order_and_answer_within_the_error() {
        let mut previous = 0;
        for value in (0..5_000).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let bucket = bucket_of(value);
            assert!(bucket >= previous, "buckets grow with values");
            previous = bucket;
            assert!(within_error(representative(bucket), value), "{value} in bucket {bucket}");
        }
        assert_eq!(bucket_of(u64::MAX), 3775);
        assert_eq!(representative(bucket_of(127)), 127);
        assert_eq!(representative(bucket_of(128)), 129);
    }

    #[test]
    fn an_empty_histogram_has_no_percentiles() {
        assert_eq!(Histogram::default().percentiles(), None);
    }

    #[test]
    fn percentiles_of_small_values_are_exact() {
        let mut histogram = Histogram::default();
        for value in 1..=100 {
            histogram.record(value);
        }
        assert_eq!(histogram.percentiles(), Some(Percentiles { p50_nanos: 50, p95_nanos: 95, p99_nanos: 99 }));
        assert_eq!(histogram.count(), 100);
    }

    proptest! {
        #[test]
        fn percentiles_are_within_the_documented_error_of_the_exact_ones(
            values in prop::collection::vec(prop_oneof![0..1_000_u64, 0..10_000_000_000_u64, any::<u64>()], 1..400),
            split in 0..400_usize,
        ) {
            // Recorded in two halves and merged, as buckets of a series are.
            let (first, second) = values.split_at(split.min(values.len()));
            let mut histogram = Histogram::default();
            let mut other = Histogram::default();
            first.iter().for_each(|&value| histogram.record(value));
            second.iter().for_each(|&value| other.record(value));
            histogram.merge(&other);
            prop_assert_eq!(histogram.count(), values.len() as u64);
            for percent in [1, 50, 95, 99, 100] {
                let answer = histogram.percentile(percent as u8).unwrap();
                let wanted = exact(&values, percent);
                prop_assert!(within_error(answer, wanted), "p{} {} vs exact {}", percent, answer, wanted);
            }
        }
    }
}
