//! The storage contract of clew: what every storage engine is asked and what it answers.
//!
//! An engine (the embedded one in `clew-store-embedded`, or one over a database) implements
//! [`Store`]; the server, the CLI and the tools speak only to this trait. The crate holds:
//!
//! - the trait and its [`StoreError`], which says what a caller can act on (busy, closed,
//!   an invalid query) and carries an engine's own failure as its source;
//! - the model ([`model`]): what is written ([`WriteBatch`] of [`StoredSpan`]s and
//!   [`StoredRecord`]s) and what is answered ([`TraceData`], [`TraceSummary`],
//!   [`Dependency`], …), with one time-range type ([`TimeRange`], start included, end not);
//! - the builders that sum up spans ([`aggregate`]): operation stats, error groups,
//!   dependencies, trace summaries and the histogram behind every percentile, so that every
//!   engine answers the same sums the same way;
//! - with the `conformance` feature, the cases every engine must pass ([`conformance`]).
//!
//! The crate depends on the SDK's data model alone: no runtime, no network client, no file
//! format.

pub mod aggregate;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
pub mod model;
mod time;

use std::fmt;

use clew::TraceId;

pub use aggregate::{
    ERROR_GROUP_TRACE_IDS, ErrorGroup, ErrorQuery, MAX_STATS_BUCKETS, OperationSeries, OperationStats,
    OperationStatsQuery, PERCENTILE_RELATIVE_ERROR, Percentiles, StatsBucket,
};
pub use error::StoreError;
pub use model::{
    Dependency, Operation, Origin, SearchQuery, StoredRecord, StoredSpan, TraceData, TraceRecord, TraceSummary,
    WriteBatch,
};
pub use time::TimeRange;

/// The attribute key that search uses for a span's free label (`MASTER`, `STEP`, …); the
/// OTLP mapping carries the label under the same key.
pub const LABEL_KEY: &str = "clew.span.label";

/// A place spans are written to and read from.
///
/// Every method may block: on disk, on the CPU, or on a database over the network. Callers
/// in async code run them on a blocking thread (the server does so for every call), so an
/// engine never needs a runtime of its own to be called, and one that talks to a network
/// service may wait for it in place. Decision record 0005 says why the trait is not async.
///
/// Every time range is a [`TimeRange`]: its start is included, its end is not.
///
/// # Spans written more than once
///
/// Exporters retry, so a span (a trace id and span id) may be written again after the store
/// took it. [`trace`](Store::trace) answers it once, wherever its copies are kept. The sums
/// (the summaries of [`search`](Store::search), [`dependencies`](Store::dependencies),
/// [`operation_stats`](Store::operation_stats), [`error_groups`](Store::error_groups)) count
/// it once when its copies reached the store between the same two
/// [`flush`](Store::flush)es, before and after that flush. A copy written after an earlier
/// one was flushed may be counted again, until the engine merges the places that hold them
/// (in the embedded engine, once compaction has merged their blocks into one): finding
/// repeats across everything kept would cost every sum a look at every span.
pub trait Store: Send + Sync + fmt::Debug {
    /// Stores a batch. When this returns `Ok`, the batch is durable and visible to queries.
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// Everything stored for one trace, or `None` if nothing is. A span written more than
    /// once is answered once, however far apart its copies arrived.
    fn trace(&self, trace_id: TraceId) -> Result<Option<TraceData>, StoreError>;

    /// The traces with a span that meets the query's conditions and started in its range,
    /// newest first by their earliest span (wherever the engine keeps it, and whether or not
    /// it is the span that met the conditions), summed up whole.
    fn search(&self, query: &SearchQuery) -> Result<Vec<TraceSummary>, StoreError>;

    /// The names of every service with stored spans, sorted.
    fn services(&self) -> Result<Vec<String>, StoreError>;

    /// The span names and kinds of one service, sorted.
    fn operations(&self, service: &str) -> Result<Vec<Operation>, StoreError>;

    /// Calls between services in traces whose earliest span started in `range`, with the
    /// durations of the called spans. A call is counted however far apart its two spans
    /// were written.
    fn dependencies(&self, range: TimeRange) -> Result<Vec<Dependency>, StoreError>;

    /// Span counts, error counts and duration percentiles of each operation (a service's
    /// spans of one name and kind) that started in the query's range, in total and per
    /// bucket of the query's step. A query that [`OperationStatsQuery::bucket_count`]
    /// refuses is answered [`StoreError::InvalidQuery`].
    fn operation_stats(&self, query: &OperationStatsQuery) -> Result<OperationStats, StoreError>;

    /// The error spans that started in the query's range, grouped by service, span name and
    /// status message: the largest groups first, then the most recent.
    fn error_groups(&self, query: &ErrorQuery) -> Result<Vec<ErrorGroup>, StoreError>;

    /// Makes what is buffered durable in the engine's long-term form (the embedded engine
    /// writes its head out as a block), and waits until it is done.
    fn flush(&self) -> Result<(), StoreError>;

    /// Stops the engine's background work and makes everything it holds durable, as
    /// [`flush`](Store::flush) does; the server calls it once, when it stops. Later calls
    /// may answer [`StoreError::Closed`].
    fn close(&self) -> Result<(), StoreError>;

    /// Counts for `/metrics`.
    fn stats(&self) -> StoreStats;

    /// Why writes are refused now and will be until something outside changes (a full
    /// disk, a failing device), if they are; the server's `/readyz` reports it. Queries go
    /// on being answered. An engine retries on its own and says `None` again once writes
    /// would succeed.
    fn unavailable(&self) -> Option<String> {
        None
    }

    /// What the engine is still doing before it answers (replaying its log), if anything;
    /// calls made meanwhile wait. The server's `/readyz` reports it.
    fn opening(&self) -> Option<String> {
        None
    }
}

/// Counts about a store. An engine leaves at zero what it does not have (a database engine
/// has no blocks of its own).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Spans written since the store was opened.
    pub spans_written: u64,
    /// Trace records (events and span logs) written since the store was opened.
    pub records_written: u64,
    /// Spans in memory (the head and any head being written out).
    pub head_spans: u64,
    /// Bytes the spans and records in memory take, as the engine counts them.
    pub head_bytes: u64,
    /// Blocks on disk.
    pub blocks: u64,
    /// Bytes of blocks on disk.
    pub block_bytes: u64,
    /// Bytes of write-ahead log on disk.
    pub wal_bytes: u64,
    /// Log syncs since the store was opened.
    pub wal_syncs: u64,
    /// Total time of those syncs, in seconds.
    pub wal_sync_seconds: f64,
    /// Blocks written from the head.
    pub flushes: u64,
    /// Compactions done.
    pub compactions: u64,
    /// Blocks deleted by retention.
    pub blocks_expired: u64,
    /// Writes refused because the store could not keep up.
    pub writes_refused: u64,
    /// Failures of background work (flush, compaction, retention).
    pub maintenance_errors: u64,
    /// The last such failure.
    pub last_maintenance_error: Option<String>,
}
