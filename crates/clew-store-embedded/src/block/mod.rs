//! Immutable blocks: the spans and trace records of a time range, as Parquet files.
//!
//! A block is the directory `<blocks_dir>/<id>/` with three files:
//!
//! - `spans.parquet`: one row per [`StoredSpan`], sorted by (`trace_id`,
//!   `start_time_unix_nano`, `span_id`), each of those triples once: of copies of a span
//!   (an exporter's retry), one is written.
//! - `records.parquet`: one row per [`StoredRecord`], sorted by (`trace_id`, `time_unix_nano`).
//! - `meta.json`: the [`BlockMeta`], read when the block is opened.
//!
//! An open block keeps its trace table in memory ([`summaries`]).
//!
//! Both Parquet files are plain Parquet (written from Arrow arrays, with the Arrow schema
//! embedded) that DuckDB or pyarrow read as they are: zstd compression (level from
//! [`BlockOptions`]), dictionary encoding, row groups of [`BlockOptions::row_group_rows`]
//! rows, page statistics and a bloom filter on `trace_id`, bloom filters on the values of
//! span and resource attributes (`attributes.list.item.value`, `resource.list.item.value`),
//! and the sort order declared as the row groups' sorting columns. A reader looking for one
//! trace skips the row groups whose `trace_id` min/max leave it out or whose bloom filter
//! rules it out; a search for attribute values skips those whose filters hold neither.
//!
//! # Columns of `spans.parquet`
//!
//! | column | type | |
//! |---|---|---|
//! | `trace_id` | FixedSizeBinary(16) | big-endian, as OTLP carries it |
//! | `start_time_unix_nano` | UInt64 | |
//! | `end_time_unix_nano` | UInt64 | stored as given, even before the start |
//! | `duration_nanos` | UInt64 | end − start, 0 when the end is earlier; for queries only |
//! | `span_id` | FixedSizeBinary(8) | |
//! | `parent_span_id` | FixedSizeBinary(8), nullable | null for a root |
//! | `parent_is_remote` | Boolean | |
//! | `trace_flags` | UInt8 | W3C flags |
//! | `trace_state` | Utf8, nullable | |
//! | `service` | Utf8 | the resource's service name; for queries only |
//! | `name` | Utf8 | |
//! | `kind` | UInt8 | 0 internal, 1 server, 2 client, 3 producer, 4 consumer |
//! | `label` | Utf8, nullable | |
//! | `status_code` | UInt8 | 0 unset, 1 ok, 2 error |
//! | `status_message` | Utf8, nullable | set for an error (possibly empty), null otherwise |
//! | `http_request_method`, `http_route`, `url_full`, `db_system`, `rpc_method`, `error_type` | Utf8, nullable | dedicated attribute columns, see below |
//! | `http_response_status_code` | Int64, nullable | dedicated attribute column |
//! | `dedicated_positions` | List\<UInt32\> | where the dedicated attributes were, see below |
//! | `attributes` | List\<Struct\<key Utf8, type UInt8, value Utf8\>\> | the other span attributes, in order |
//! | `dropped_attributes_count` | UInt32 | |
//! | `events` | List\<Struct\<time_unix_nano UInt64, name Utf8, level UInt8 nullable, attributes List\<…\>, dropped_attributes_count UInt32\>\> | |
//! | `dropped_events_count` | UInt32 | |
//! | `links` | List\<Struct\<trace_id FixedSizeBinary(16), span_id FixedSizeBinary(8), trace_flags UInt8, trace_state Utf8 nullable, is_remote Boolean, attributes List\<…\>, dropped_attributes_count UInt32\>\> | |
//! | `dropped_links_count` | UInt32 | |
//! | `scope` | Utf8 | instrumentation scope name |
//! | `resource` | List\<Struct\<key, type, value\>\> | the resource's attributes, in order |
//!
//! # Columns of `records.parquet`
//!
//! `trace_id` FixedSizeBinary(16), `time_unix_nano` UInt64, `span_id` FixedSizeBinary(8)
//! nullable (null for an event of the trace itself, set for a log line of a span), `level`
//! UInt8 nullable, `name` Utf8, `attributes` List\<Struct\<key, type, value\>\>,
//! `dropped_attributes_count` UInt32 (always 0 for a trace event), `service` Utf8, `scope`
//! Utf8, `resource` List\<Struct\<key, type, value\>\>.
//!
//! A level is stored as its OpenTelemetry severity number: 1 trace, 5 debug, 9 info,
//! 13 warn, 17 error. Attribute values are a type tag and a text, described in
//! [`values`].
//!
//! # Dedicated attribute columns
//!
//! The first span attribute with key `http.request.method`, `http.route`, `url.full`,
//! `db.system`, `rpc.method` or `error.type` whose value is a string, and the first with
//! key `http.response.status_code` whose value is an integer, is moved out of `attributes`
//! into its own column, so that queries filter on it without opening the attribute lists.
//! `dedicated_positions` holds the index each moved attribute had in the span's attribute
//! list, for the non-null dedicated columns in column order. Reading puts them back at those
//! indexes, so a span reads back equal to the one written, attribute order included.
//! Values of another type, and later repeats of a key, stay in `attributes`.
//!
//! # Writing
//!
//! A block is written into `<blocks_dir>/.tmp-<id>/`, each file is synced, the directory is
//! renamed to `<blocks_dir>/<id>` and `blocks_dir` is synced. A directory whose name starts
//! with `.tmp-` is unfinished (or being deleted) and is removed by [`remove_temporaries`].

mod decode;
mod encode;
mod read;
mod scan;
mod schema;
mod summaries;
mod values;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use summaries::TraceTable;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use clew::SpanKind;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use serde::{Deserialize, Serialize};

use crate::io_error;
use clew_store::model::{Operation, StoredRecord, StoredSpan};
use clew_store::{StoreError, TimeRange};

/// The version of the block format this code writes and reads, kept in `meta.json`.
pub(crate) const FORMAT_VERSION: u32 = 1;

const SPANS_FILE: &str = "spans.parquet";
const RECORDS_FILE: &str = "records.parquet";
const META_FILE: &str = "meta.json";
const TEMPORARY_PREFIX: &str = ".tmp-";

/// How blocks are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockOptions {
    /// The zstd compression level.
    pub(crate) zstd_level: i32,
    /// Rows per row group at most.
    pub(crate) row_group_rows: usize,
}

impl Default for BlockOptions {
    fn default() -> BlockOptions {
        BlockOptions { zstd_level: 3, row_group_rows: 8_192 }
    }
}

/// Where a block's contents came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Lineage {
    /// 0 for a block written from the head, n + 1 for one compacted from blocks of level n.
    pub(crate) level: u32,
    /// The write-ahead log segment before which everything in the block is durable here.
    pub(crate) wal_through: u64,
    /// The ids of the blocks this one replaces (empty for a block written from the head).
    pub(crate) sources: Vec<String>,
}

/// What `meta.json` says about a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockMeta {
    /// The block format ([`FORMAT_VERSION`]).
    pub(crate) format_version: u32,
    /// The block's id, which is also its directory name.
    pub(crate) id: String,
    /// 0 for a block written from the head, n + 1 for one compacted from blocks of level n.
    pub(crate) level: u32,
    /// The write-ahead log segment before which everything in the block is durable here.
    pub(crate) wal_through: u64,
    /// The ids of the blocks this one replaces.
    pub(crate) sources: Vec<String>,
    /// The earliest span start or record time (0 for an empty block).
    pub(crate) min_start_unix_nano: u64,
    /// The latest span end, span start or record time (0 for an empty block).
    pub(crate) max_end_unix_nano: u64,
    /// Rows of `spans.parquet`.
    pub(crate) span_count: u64,
    /// Rows of `records.parquet`.
    pub(crate) record_count: u64,
    /// Distinct trace ids among the spans.
    pub(crate) trace_count: u64,
    /// Bytes of the two Parquet files.
    pub(crate) bytes: u64,
    /// The services of the spans, sorted.
    pub(crate) services: Vec<String>,
    /// The operations of the spans, sorted by service, name and kind.
    pub(crate) operations: Vec<BlockOperation>,
    /// When the block was written.
    pub(crate) created_unix_nano: u64,
}

/// A service and the name and kind of spans it produced, in `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct BlockOperation {
    /// The service.
    pub(crate) service: String,
    /// The span name.
    pub(crate) name: String,
    /// The span kind, lowercase (`server`, `client`, …).
    pub(crate) kind: String,
}

impl BlockMeta {
    /// The operations of one service.
    pub(crate) fn operations_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = Operation> + 'a {
        self.operations.iter().filter(move |operation| operation.service == service).filter_map(|operation| {
            SpanKind::parse(&operation.kind).map(|kind| Operation { name: operation.name.clone(), kind })
        })
    }

    fn check(&self) -> Result<(), BlockError> {
        if self.format_version != FORMAT_VERSION {
            return Err(BlockError::Malformed(format!("unknown block format version {}", self.format_version)));
        }
        if let Some(operation) = self.operations.iter().find(|operation| SpanKind::parse(&operation.kind).is_none()) {
            return Err(BlockError::Malformed(format!("unknown span kind {:?}", operation.kind)));
        }
        Ok(())
    }
}

/// A finished block on disk, with its metadata and its files' Parquet footers in memory.
pub(crate) struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    spans: ArrowReaderMetadata,
    records: ArrowReaderMetadata,
    traces: summaries::TraceTable,
}

impl Block {
    /// Opens a finished block: reads `meta.json` and the footers of both Parquet files, and
    /// checks that they agree.
    pub(crate) fn open(dir: &Path) -> Result<Block, StoreError> {
        Block::open_with(dir, None)
    }

    /// Opens a finished block whose trace table is known, or built here when `None`.
    fn open_with(dir: &Path, traces: Option<summaries::TraceTable>) -> Result<Block, StoreError> {
        let meta_path = dir.join(META_FILE);
        let meta_bytes = fs::read(&meta_path).map_err(|error| block_error(dir, META_FILE, error))?;
        let meta: BlockMeta =
            serde_json::from_slice(&meta_bytes).map_err(|error| block_error(dir, META_FILE, error))?;
        meta.check().map_err(|error| block_error(dir, META_FILE, error))?;
        let spans = open_parquet(dir, SPANS_FILE, &schema::spans(), meta.span_count)?;
        let records = open_parquet(dir, RECORDS_FILE, &schema::records(), meta.record_count)?;
        let mut block = Block { dir: dir.to_path_buf(), meta, spans, records, traces: Default::default() };
        block.traces = match traces {
            Some(traces) => traces,
            None => read::trace_table(&block)?,
        };
        Ok(block)
    }

    /// What `meta.json` says.
    pub(crate) fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The block's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Deletes the block's directory: renames it to a temporary name first, so that a crash
    /// halfway leaves garbage for [`remove_temporaries`] rather than a damaged block.
    pub(crate) fn delete(self) -> Result<(), StoreError> {
        let Some(parent) = self.dir.parent() else {
            return fs::remove_dir_all(&self.dir).map_err(io_error(&self.dir));
        };
        let name = self.dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let doomed = parent.join(format!("{TEMPORARY_PREFIX}{name}"));
        fs::rename(&self.dir, &doomed).map_err(io_error(&self.dir))?;
        fs::remove_dir_all(&doomed).map_err(io_error(&doomed))
    }

    /// Spans and records of one trace, in file order.
    pub(crate) fn read_trace(
        &self,
        trace_id: clew::TraceId,
    ) -> Result<(Vec<StoredSpan>, Vec<StoredRecord>), StoreError> {
        let spans = read::trace_spans(self, trace_id)?;
        let records = read::trace_records(self, trace_id)?;
        Ok((spans, records))
    }

    /// Calls `f` once per trace with all of that trace's spans, in trace id order, reading
    /// one row group at a time.
    #[cfg(test)]
    pub(crate) fn for_each_trace(
        &self,
        f: &mut dyn FnMut(clew::TraceId, Vec<StoredSpan>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        read::for_each_trace(self, f)
    }

    /// Adds to `found` the traces with a span that meets the conditions of `query`, with
    /// their earliest start here, reading only the columns (and, for attribute conditions,
    /// the row groups) those conditions need.
    pub(crate) fn matching_traces(
        &self,
        query: &clew_store::model::SearchQuery,
        found: &mut std::collections::HashMap<clew::TraceId, u64>,
    ) -> Result<(), StoreError> {
        read::matching_traces(self, query, found)
    }

    /// The block's trace table: the traces it holds, sorted, and what their spans here say.
    pub(crate) fn trace_table(&self) -> &TraceTable {
        &self.traces
    }

    /// The earliest start of a trace's spans in this block, or `None` if it has none.
    pub(crate) fn trace_start(&self, trace_id: clew::TraceId) -> Option<u64> {
        self.traces.start_of(trace_id)
    }

    /// What the block's spans say about a trace, or `None` if it has none of them.
    pub(crate) fn trace_summary(&self, trace_id: clew::TraceId) -> Option<clew_store::aggregate::PartialSummary> {
        self.traces.get(trace_id)
    }

    /// Whether the block may hold spans that started in `[start, end)`.
    pub(crate) fn may_hold_starts_in(&self, range: TimeRange) -> bool {
        self.meta.span_count > 0 && range.overlaps(self.meta.min_start_unix_nano, self.meta.max_end_unix_nano)
    }

    /// Adds the spans that `builder` wants to it, reading six narrow columns of the row
    /// groups whose statistics allow them.
    pub(crate) fn operation_stats(
        &self,
        builder: &mut clew_store::aggregate::OperationStatsBuilder,
    ) -> Result<(), StoreError> {
        scan::operation_stats(self, builder)
    }

    /// Adds the error spans that `builder` wants to it, reading six narrow columns of the
    /// row groups whose statistics allow them.
    pub(crate) fn error_groups(
        &self,
        builder: &mut clew_store::aggregate::ErrorGroupsBuilder,
    ) -> Result<(), StoreError> {
        scan::error_groups(self, builder)
    }

    /// Calls `f` with each trace's spans in this block, as the count of calls between
    /// services needs them: of every trace, or of those in `traces` (sorted, reading then
    /// only the row groups that may hold them); seven narrow columns.
    pub(crate) fn trace_calls(
        &self,
        traces: Option<&[clew::TraceId]>,
        f: &mut dyn FnMut(clew::TraceId, &[clew_store::aggregate::CallSpan<'_>]),
    ) -> Result<(), StoreError> {
        scan::trace_calls(self, traces, f)
    }

    /// All records of the block, in file order.
    pub(crate) fn read_records(&self) -> Result<Vec<StoredRecord>, StoreError> {
        read::all_records(self)
    }
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Parquet footers are long and say nothing that meta does not.
        f.debug_struct("Block").field("dir", &self.dir).field("meta", &self.meta).finish_non_exhaustive()
    }
}

/// Removes the unfinished blocks (directories named `.tmp-*`) in `blocks_dir`.
pub(crate) fn remove_temporaries(blocks_dir: &Path) -> Result<(), StoreError> {
    let entries = match fs::read_dir(blocks_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(io_error(blocks_dir)(error)),
    };
    for entry in entries {
        let entry = entry.map_err(io_error(blocks_dir))?;
        if entry.file_name().to_string_lossy().starts_with(TEMPORARY_PREFIX) {
            let path = entry.path();
            let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            removed.map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Why a block, or one of its files, could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum BlockError {
    /// A file of the block could not be opened, read or written.
    Io(std::io::Error),
    /// Parquet refused to read or write a file.
    Parquet(parquet::errors::ParquetError),
    /// Arrow refused to build or read a column.
    Arrow(arrow_schema::ArrowError),
    /// `meta.json` is not the metadata this version writes.
    Meta(serde_json::Error),
    /// The data does not have the shape this version writes (a missing column, an unknown
    /// code, a page the decoder cannot read).
    Malformed(String),
}

impl std::fmt::Display for BlockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockError::Io(error) => error.fmt(f),
            BlockError::Parquet(error) => error.fmt(f),
            BlockError::Arrow(error) => error.fmt(f),
            BlockError::Meta(error) => error.fmt(f),
            BlockError::Malformed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for BlockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BlockError::Io(error) => Some(error),
            BlockError::Parquet(error) => Some(error),
            BlockError::Arrow(error) => Some(error),
            BlockError::Meta(error) => Some(error),
            BlockError::Malformed(_) => None,
        }
    }
}

impl From<std::io::Error> for BlockError {
    fn from(error: std::io::Error) -> BlockError {
        BlockError::Io(error)
    }
}

impl From<parquet::errors::ParquetError> for BlockError {
    fn from(error: parquet::errors::ParquetError) -> BlockError {
        BlockError::Parquet(error)
    }
}

impl From<arrow_schema::ArrowError> for BlockError {
    fn from(error: arrow_schema::ArrowError) -> BlockError {
        BlockError::Arrow(error)
    }
}

impl From<serde_json::Error> for BlockError {
    fn from(error: serde_json::Error) -> BlockError {
        BlockError::Meta(error)
    }
}

impl From<String> for BlockError {
    fn from(message: String) -> BlockError {
        BlockError::Malformed(message)
    }
}

impl From<&str> for BlockError {
    fn from(message: &str) -> BlockError {
        BlockError::Malformed(message.to_owned())
    }
}

/// A failure of the file `name` of the block in `dir`, as the store reports it.
fn block_error(dir: &Path, name: &str, error: impl Into<BlockError>) -> StoreError {
    StoreError::backend(format!("block {}: {name}", dir.display()), error.into())
}

/// Reads the footer of one of a block's Parquet files and checks its schema and row count.
fn open_parquet(
    dir: &Path,
    name: &str,
    expected: &arrow_schema::Schema,
    rows: u64,
) -> Result<ArrowReaderMetadata, StoreError> {
    let path = dir.join(name);
    let file = File::open(&path).map_err(|error| block_error(dir, name, error))?;
    let metadata = guarded(|| ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()))
        .map_err(|error| block_error(dir, name, error))?;
    if metadata.schema().fields() != expected.fields() {
        return Err(block_error(dir, name, "unexpected columns"));
    }
    let found = metadata.metadata().file_metadata().num_rows();
    if u64::try_from(found).ok() != Some(rows) {
        return Err(block_error(dir, name, format!("{found} rows where {META_FILE} says {rows}")));
    }
    Ok(metadata)
}

/// Runs one step of Parquet decoding, turning a panic on malformed input (the decoder
/// asserts on some damaged pages) into an error like the others.
fn guarded<T, E: Into<BlockError>>(step: impl FnOnce() -> Result<T, E>) -> Result<T, BlockError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)) {
        Ok(result) => result.map_err(Into::into),
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(BlockError::Malformed(format!("malformed data: {detail}")))
        }
    }
}
