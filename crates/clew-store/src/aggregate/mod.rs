//! Sums over many spans, the same in every engine: per-operation counts, error counts and
//! duration percentiles over time ([`OperationStats`]), error spans grouped by message
//! ([`ErrorGroup`]), calls between services ([`DependencyCounter`]), trace summaries for
//! search results ([`PartialSummary`]), and the log-bucketed histogram behind every
//! percentile a store answers ([`Histogram`], [`Percentiles`]).
//!
//! Each answer has a builder that an engine feeds one span at a time, with only the fields
//! it needs: the embedded engine's heads give their spans, a block the values of a few
//! narrow columns, so a scan of a block never decodes whole spans.

mod dependencies;
mod errors;
mod histogram;
mod operations;
mod summaries;

pub use dependencies::{CallSpan, DependencyCounter, OwnedCallSpan};
pub use errors::{ERROR_GROUP_TRACE_IDS, ErrorGroup, ErrorGroupsBuilder, ErrorQuery};
pub use histogram::{Histogram, PERCENTILE_RELATIVE_ERROR, Percentiles};
pub use operations::{
    MAX_STATS_BUCKETS, OperationSeries, OperationStats, OperationStatsBuilder, OperationStatsQuery, StatsBucket,
};
pub use summaries::{PartialSummary, RootCandidate, summarize};

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
