//! Sums over many spans, for the pages that show a service's health rather than one trace:
//! per-operation counts, error counts and duration percentiles over time
//! ([`OperationStats`]), error spans grouped by message ([`ErrorGroup`]), and the
//! log-bucketed histogram behind every percentile the store answers ([`Percentiles`]).
//!
//! Each answer has a builder that the sources feed one span at a time, with only the fields
//! it needs: the heads give their spans, a block the values of a few narrow columns, so a
//! scan of a block never decodes whole spans.

mod errors;
mod histogram;
mod operations;

pub(crate) use errors::ErrorGroupsBuilder;
pub use errors::{ERROR_GROUP_TRACE_IDS, ErrorGroup, ErrorQuery};
pub(crate) use histogram::Histogram;
pub use histogram::{PERCENTILE_RELATIVE_ERROR, Percentiles};
pub(crate) use operations::OperationStatsBuilder;
pub use operations::{MAX_STATS_BUCKETS, OperationSeries, OperationStats, OperationStatsQuery, StatsBucket};

/// A reused buffer for map keys made of several texts, each preceded by its length so that
/// no two lists of texts make the same key.
#[derive(Debug, Default)]
pub(crate) struct SpanKey {
    buffer: Vec<u8>,
}

impl SpanKey {
    /// The key of `parts`.
    pub(crate) fn of(&mut self, parts: &[&str]) -> &[u8] {
        self.buffer.clear();
        for part in parts {
            self.buffer.extend_from_slice(&(part.len() as u64).to_le_bytes());
            self.buffer.extend_from_slice(part.as_bytes());
        }
        &self.buffer
    }
}
