//! Per-operation counts, error counts and duration percentiles over time.

use std::collections::{BTreeMap, HashMap};

use clew::SpanKind;

use super::{Histogram, Percentiles, SpanKey};
use crate::model::StoredSpan;
use crate::{StoreError, TimeRange};

/// The most buckets an [`OperationStatsQuery`] may cut its time range into.
pub const MAX_STATS_BUCKETS: u64 = 1000;

/// What [`Store::operation_stats`](crate::Store::operation_stats) sums up: the spans that
/// started in `range`, of one service or of all, in buckets of `step_nanos` from the start
/// (the last one may reach past the end).
///
/// ```
/// use clew_store::{OperationStatsQuery, TimeRange};
///
/// let hour = OperationStatsQuery::new(TimeRange::new(0, 3_600_000_000_000), 60_000_000_000);
/// assert_eq!(hour.bucket_count(), Some(60));
/// let uneven = OperationStatsQuery { step_nanos: 7_000_000_000_000, ..hour.clone() };
/// assert_eq!(uneven.bucket_count(), Some(1));
/// let too_fine = OperationStatsQuery { step_nanos: 1_000_000_000, ..hour };
/// assert_eq!(too_fine.bucket_count(), None, "3600 buckets");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationStatsQuery {
    /// Only this service's spans; all services when `None`.
    pub service: Option<String>,
    /// The start times counted.
    pub range: TimeRange,
    /// The width of a bucket.
    pub step_nanos: u64,
}

impl OperationStatsQuery {
    /// Every service over `range` in buckets of `step_nanos`.
    pub fn new(range: TimeRange, step_nanos: u64) -> OperationStatsQuery {
        OperationStatsQuery { service: None, range, step_nanos }
    }

    /// How many buckets: ⌈(end − start) / step⌉. `None` for a query the store refuses: an
    /// end before the start, a step of 0, or more than [`MAX_STATS_BUCKETS`] buckets.
    pub fn bucket_count(&self) -> Option<usize> {
        let range = self.range.end_unix_nano.checked_sub(self.range.start_unix_nano)?;
        let count = range.checked_div(self.step_nanos)? + u64::from(range % self.step_nanos != 0);
        if count > MAX_STATS_BUCKETS {
            return None;
        }
        usize::try_from(count).ok()
    }
}

/// The answer of [`Store::operation_stats`](crate::Store::operation_stats).
#[derive(Debug, Clone, PartialEq)]
pub struct OperationStats {
    /// The query's start.
    pub start_unix_nano: u64,
    /// The query's end.
    pub end_unix_nano: u64,
    /// The query's step.
    pub step_nanos: u64,
    /// Each operation with spans in the range, by service, span name, then kind as text.
    pub operations: Vec<OperationSeries>,
}

/// One operation (a service's spans of one name and kind) over the range.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationSeries {
    /// The service.
    pub service: String,
    /// The span name.
    pub operation: String,
    /// The span kind.
    pub kind: SpanKind,
    /// Spans that started in the range.
    pub count: u64,
    /// Those with error status.
    pub error_count: u64,
    /// Percentiles of their durations; `None` only when there are no spans.
    pub durations: Option<Percentiles>,
    /// One entry per bucket, from the start, empty ones included.
    pub buckets: Vec<StatsBucket>,
}

/// The spans of one operation that started in one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsBucket {
    /// The bucket's start.
    pub start_unix_nano: u64,
    /// Spans that started in it.
    pub count: u64,
    /// Those with error status.
    pub error_count: u64,
    /// Percentiles of their durations; `None` when there are none.
    pub durations: Option<Percentiles>,
}

/// Sums up spans given one by one into [`OperationStats`].
#[derive(Debug)]
pub struct OperationStatsBuilder {
    query: OperationStatsQuery,
    bucket_count: usize,
    index: HashMap<Vec<u8>, usize>,
    operations: Vec<OperationSums>,
    key: SpanKey,
}

#[derive(Debug)]
struct OperationSums {
    service: String,
    operation: String,
    kind: SpanKind,
    /// Only the buckets with spans, by number.
    buckets: BTreeMap<usize, BucketSums>,
}

#[derive(Debug, Default)]
struct BucketSums {
    count: u64,
    error_count: u64,
    durations: Histogram,
}

impl OperationStatsBuilder {
    /// A builder for `query`, or [`StoreError::InvalidQuery`] when
    /// [`OperationStatsQuery::bucket_count`] refuses it.
    pub fn new(query: &OperationStatsQuery) -> Result<OperationStatsBuilder, StoreError> {
        let bucket_count = query.bucket_count().ok_or_else(|| StoreError::InvalidQuery {
            reason: format!(
                "operation stats from {} to {} in steps of {} ns: the end is before the start, the step is 0, \
                 or there are more than {MAX_STATS_BUCKETS} buckets",
                query.range.start_unix_nano, query.range.end_unix_nano, query.step_nanos
            ),
        })?;
        Ok(OperationStatsBuilder {
            query: query.clone(),
            bucket_count,
            index: HashMap::new(),
            operations: Vec::new(),
            key: SpanKey::default(),
        })
    }

    /// The query.
    pub fn query(&self) -> &OperationStatsQuery {
        &self.query
    }

    /// Whether a span of `service` that started at `start_unix_nano` counts.
    pub fn wants(&self, service: &str, start_unix_nano: u64) -> bool {
        self.query.range.contains(start_unix_nano)
            && self.query.service.as_deref().is_none_or(|wanted| wanted == service)
    }

    /// Counts a stored span if it is wanted.
    pub fn add_span(&mut self, stored: &StoredSpan) {
        let span = &stored.span;
        if self.wants(stored.service(), span.start_time_unix_nano) {
            self.add(
                stored.service(),
                &span.name,
                span.kind,
                span.start_time_unix_nano,
                span.duration_nanos(),
                span.status.is_error(),
            );
        }
    }

    /// Counts a span that [`wants`](Self::wants) said counts.
    pub fn add(
        &mut self,
        service: &str,
        operation: &str,
        kind: SpanKind,
        start_unix_nano: u64,
        duration_nanos: u64,
        error: bool,
    ) {
        if !self.wants(service, start_unix_nano) {
            return;
        }
        let key = self.key.of(&[service, operation, kind.as_str()]);
        let position = match self.index.get(key) {
            Some(&position) => position,
            None => {
                let position = self.operations.len();
                self.index.insert(key.to_vec(), position);
                self.operations.push(OperationSums {
                    service: service.to_owned(),
                    operation: operation.to_owned(),
                    kind,
                    buckets: BTreeMap::new(),
                });
                position
            }
        };
        let offset = start_unix_nano - self.query.range.start_unix_nano;
        let bucket = usize::try_from(offset / self.query.step_nanos).unwrap_or(usize::MAX);
        let sums = self.operations[position].buckets.entry(bucket).or_default();
        sums.count += 1;
        sums.error_count += u64::from(error);
        sums.durations.record(duration_nanos);
    }

    /// The stats, operations sorted.
    pub fn finish(self) -> OperationStats {
        let query = self.query;
        let mut operations: Vec<OperationSeries> = self
            .operations
            .into_iter()
            .map(|sums| {
                let mut all = Histogram::default();
                let mut error_count = 0;
                let mut buckets = Vec::with_capacity(self.bucket_count);
                for number in 0..self.bucket_count {
                    let start_unix_nano =
                        query.range.start_unix_nano.saturating_add((number as u64).saturating_mul(query.step_nanos));
                    let bucket = match sums.buckets.get(&number) {
                        Some(bucket) => {
                            all.merge(&bucket.durations);
                            error_count += bucket.error_count;
                            StatsBucket {
                                start_unix_nano,
                                count: bucket.count,
                                error_count: bucket.error_count,
                                durations: bucket.durations.percentiles(),
                            }
                        }
                        None => StatsBucket { start_unix_nano, count: 0, error_count: 0, durations: None },
                    };
                    buckets.push(bucket);
                }
                OperationSeries {
                    service: sums.service,
                    operation: sums.operation,
                    kind: sums.kind,
                    count: all.count(),
                    error_count,
                    durations: all.percentiles(),
                    buckets,
                }
            })
            .collect();
        operations.sort_by(|a, b| {
            (&a.service, &a.operation, a.kind.as_str()).cmp(&(&b.service, &b.operation, b.kind.as_str()))
        });
        OperationStats {
            start_unix_nano: query.range.start_unix_nano,
            end_unix_nano: query.range.end_unix_nano,
            step_nanos: query.step_nanos,
            operations,
        }
    }
}
