//! clew's embedded storage engine: everything under one data directory, behind the
//! [`Store`](clew_store::Store) trait of `clew-store`.
//!
//! ```text
//! <data_dir>/wal/wal-00000000000000000007.log   segments of the write-ahead log (wal)
//! <data_dir>/blocks/<id>/                         immutable blocks: spans.parquet, records.parquet, meta.json
//! ```
//!
//! - Spans arrive in a [`WriteBatch`](clew_store::WriteBatch); a batch is acknowledged only
//!   after it is durable in the write-ahead log ([`wal`], each record a batch as OTLP
//!   protobuf, `codec.rs`).
//! - Recent spans live in a head block in memory, which is written as an immutable Parquet
//!   block at a size or age threshold, after which its log segments are dropped (the block
//!   format is described in `block/mod.rs`).
//! - Small blocks are compacted into larger ones, and blocks older than the retention are
//!   deleted.
//!
//! Queries merge the head and the blocks. The sums over many spans (operation stats, error
//! groups, dependencies) skip the blocks outside their time range and read only a few narrow
//! columns of the others, feeding the builders of `clew_store::aggregate`. Dependencies count
//! each trace once with all its spans, wherever they are: the few traces that several places
//! hold are found from the in-memory trace indexes and gathered (`dependencies.rs`), and a
//! block outside the range is read only for those.
//!
//! A span written again (an exporter's retry) is dropped by the head when the head already
//! holds it, and compaction keeps one of the copies its source blocks hold; copies on both
//! sides of a flush are counted twice by the sums until then, as the `Store` contract allows.
//!
//! Failures of the engine reach callers as [`StoreError::Backend`](clew_store::StoreError)
//! whose source is the engine's error: [`std::io::Error`] for a file, [`wal::WalError`] for
//! the log, [`BlockError`] for a block.

mod block;
mod codec;
mod dependencies;
mod head;
mod store;
pub mod wal;

use std::path::PathBuf;

use clew_store::StoreError;

pub use block::BlockError;
pub use store::{EmbeddedStore, OpenReport, StoreConfig};

impl From<wal::WalError> for StoreError {
    fn from(error: wal::WalError) -> StoreError {
        StoreError::backend("write-ahead log", error)
    }
}

/// The error of a file operation on `path`.
pub(crate) fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::backend(path.display().to_string(), source)
}
