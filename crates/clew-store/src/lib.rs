//! clew's storage engine, behind the [`Store`] trait.
//!
//! The embedded store ([`EmbeddedStore`]) keeps everything under one data directory:
//!
//! - Spans arrive in a [`WriteBatch`]; a batch is acknowledged only after it is durable in
//!   the write-ahead log ([`wal`]).
//! - Recent spans live in a head block in memory, which is written as an immutable Parquet
//!   block at a size or age threshold, after which its log segments are dropped.
//! - Small blocks are compacted into larger ones, and blocks older than the retention are
//!   deleted.
//!
//! Queries ([`Store::trace`], [`Store::search`], …) merge the head and the blocks. The
//! sums over many spans ([`Store::operation_stats`], [`Store::error_groups`],
//! [`Store::dependencies`]) skip the blocks outside their time range and read only a few
//! narrow columns of the others.

mod aggregate;
mod block;
mod codec;
mod embedded;
mod head;
pub mod model;
pub mod wal;

use std::fmt;
use std::path::PathBuf;

use clew::TraceId;

pub use aggregate::{
    ERROR_GROUP_TRACE_IDS, ErrorGroup, ErrorQuery, MAX_STATS_BUCKETS, OperationSeries, OperationStats,
    OperationStatsQuery, PERCENTILE_RELATIVE_ERROR, Percentiles, StatsBucket,
};
pub use embedded::{EmbeddedStore, OpenReport, StoreConfig};
pub use model::{
    Dependency, Operation, Origin, SearchQuery, StoredRecord, StoredSpan, TraceData, TraceSummary, WriteBatch,
};

/// The attribute key that search uses for a span's free label (`MASTER`, `STEP`, …).
pub const LABEL_KEY: &str = clew_otlp::LABEL_ATTRIBUTE;

/// A place spans are written to and read from.
///
/// Every method blocks; async callers run them on a blocking thread.
pub trait Store: Send + Sync + fmt::Debug {
    /// Stores a batch. When this returns `Ok`, the batch is durable and visible to queries.
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// Everything stored for one trace, or `None` if nothing is.
    fn trace(&self, trace_id: TraceId) -> Result<Option<TraceData>, StoreError>;

    /// The traces that match, newest first.
    fn search(&self, query: &SearchQuery) -> Result<Vec<TraceSummary>, StoreError>;

    /// The names of every service with stored spans, sorted.
    fn services(&self) -> Result<Vec<String>, StoreError>;

    /// The span names and kinds of one service, sorted.
    fn operations(&self, service: &str) -> Result<Vec<Operation>, StoreError>;

    /// Calls between services in traces that started in the time range (both ends
    /// included), with the durations of the called spans.
    fn dependencies(&self, start_unix_nano: u64, end_unix_nano: u64) -> Result<Vec<Dependency>, StoreError>;

    /// Span counts, error counts and duration percentiles of each operation (a service's
    /// spans of one name and kind) that started in the query's range, in total and per
    /// bucket of the query's step. A query that [`OperationStatsQuery::bucket_count`]
    /// refuses is answered [`StoreError::InvalidQuery`].
    fn operation_stats(&self, query: &OperationStatsQuery) -> Result<OperationStats, StoreError>;

    /// The error spans that started in the query's range, grouped by service, span name and
    /// status message: the largest groups first, then the most recent.
    fn error_groups(&self, query: &ErrorQuery) -> Result<Vec<ErrorGroup>, StoreError>;

    /// Writes what is in memory to durable blocks (the head), and waits until it is done.
    fn flush(&self) -> Result<(), StoreError>;

    /// Counts for `/metrics`.
    fn stats(&self) -> StoreStats;
}

/// Counts about a store.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Spans written since the store was opened.
    pub spans_written: u64,
    /// Trace records (events and span logs) written since the store was opened.
    pub records_written: u64,
    /// Spans in memory (the head and any head being written out).
    pub head_spans: u64,
    /// Blocks on disk.
    pub blocks: u64,
    /// Bytes of blocks on disk.
    pub block_bytes: u64,
    /// Bytes of write-ahead log on disk.
    pub wal_bytes: u64,
    /// Log syncs since the store was opened, and their total time.
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

/// Why the store could not do what was asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Too much is waiting to be written out; try again after a while.
    Busy {
        /// What is full.
        reason: String,
    },
    /// The file system refused.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The write-ahead log refused.
    Wal(wal::WalError),
    /// A block on disk could not be read or written.
    Block {
        /// The block's directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The store is closed.
    Closed,
    /// The query asks for something the store does not answer.
    InvalidQuery {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Busy { reason } => write!(f, "the store is busy: {reason}"),
            StoreError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            StoreError::Wal(error) => write!(f, "write-ahead log: {error}"),
            StoreError::Block { path, message } => write!(f, "block {}: {message}", path.display()),
            StoreError::Closed => f.write_str("the store is closed"),
            StoreError::InvalidQuery { reason } => write!(f, "invalid query: {reason}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Wal(error) => Some(error),
            _ => None,
        }
    }
}

impl From<wal::WalError> for StoreError {
    fn from(error: wal::WalError) -> StoreError {
        StoreError::Wal(error)
    }
}

pub(crate) fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io { path, source }
}
