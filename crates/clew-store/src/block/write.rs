//! Writing a block: sorting, Arrow batches, Parquet files, `meta.json`, and the rename.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use clew::SpanKind;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::encode::{record_batch, record_weight, span_batch, span_weight};
use super::schema;
use super::summaries::{SpanFacts, TraceTableBuilder};
use super::{
    Block, BlockMeta, BlockOperation, BlockOptions, FORMAT_VERSION, Lineage, META_FILE, RECORDS_FILE, SPANS_FILE,
    TEMPORARY_PREFIX, block_error,
};
use crate::model::{StoredRecord, StoredSpan};
use crate::{StoreError, io_error};

/// Rows per Arrow batch handed to the Parquet writer (row groups are cut independently).
const BATCH_ROWS: usize = 1024;
/// A batch is also cut when its rows' estimated text reaches this, keeping every string
/// column far below the 2 GiB an Arrow `Utf8` array can address.
const BATCH_BYTES: usize = 256 << 20;

impl Block {
    /// Writes spans and records (in any order) as block `id` under `blocks_dir`, atomically.
    pub(crate) fn write(
        blocks_dir: &Path,
        id: &str,
        mut spans: Vec<StoredSpan>,
        mut records: Vec<StoredRecord>,
        lineage: Lineage,
        options: &BlockOptions,
    ) -> Result<Block, StoreError> {
        spans.sort_by_key(|stored| (stored.span.trace_id, stored.span.start_time_unix_nano, stored.span.span_id));
        records.sort_by_key(|stored| (stored.trace_id(), stored.time_unix_nano()));
        let final_dir = blocks_dir.join(id);
        if final_dir.exists() {
            return Err(block_error(&final_dir, "a block with this id already exists"));
        }
        let temporary = blocks_dir.join(format!("{TEMPORARY_PREFIX}{id}"));
        if let Err(error) = write_files(&temporary, id, &spans, &records, lineage, options) {
            let _ = fs::remove_dir_all(&temporary);
            return Err(error);
        }
        if let Err(error) = fs::rename(&temporary, &final_dir) {
            let _ = fs::remove_dir_all(&temporary);
            return Err(StoreError::Io { path: final_dir, source: error });
        }
        sync_dir(blocks_dir)?;
        let mut traces = TraceTableBuilder::default();
        for stored in &spans {
            let span = &stored.span;
            traces.push(SpanFacts {
                trace_id: span.trace_id,
                service: stored.service(),
                name: &span.name,
                start_unix_nano: span.start_time_unix_nano,
                end_unix_nano: span.end_time_unix_nano,
                error: span.status.is_error(),
                parentless: span.parent_span_id.is_none(),
            });
        }
        Block::open_with(&final_dir, Some(traces.finish()))
    }
}

fn write_files(
    dir: &Path,
    id: &str,
    spans: &[StoredSpan],
    records: &[StoredRecord],
    lineage: Lineage,
    options: &BlockOptions,
) -> Result<(), StoreError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(io_error(dir))?;
    }
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let properties = writer_properties(options).map_err(|message| block_error(dir, message))?;
    let span_bytes = write_parquet(dir, SPANS_FILE, schema::spans(), &properties, spans, span_weight, span_batch)?;
    let record_bytes =
        write_parquet(dir, RECORDS_FILE, schema::records(), &properties, records, record_weight, record_batch)?;
    let meta = describe(id, spans, records, lineage, span_bytes + record_bytes);
    let json = serde_json::to_vec_pretty(&meta).map_err(|error| block_error(dir, format!("{META_FILE}: {error}")))?;
    let meta_path = dir.join(META_FILE);
    let mut file = File::create(&meta_path).map_err(io_error(&meta_path))?;
    file.write_all(&json).and_then(|()| file.sync_all()).map_err(io_error(&meta_path))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|directory| directory.sync_all()).map_err(io_error(dir))
}

fn writer_properties(options: &BlockOptions) -> Result<WriterProperties, String> {
    let level = ZstdLevel::try_new(options.zstd_level)
        .map_err(|error| format!("zstd level {}: {error}", options.zstd_level))?;
    let sorted_by = |column_idx| SortingColumn { column_idx, descending: false, nulls_first: false };
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_dictionary_enabled(true)
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
        .set_column_statistics_enabled(ColumnPath::from(schema::TRACE_ID), EnabledStatistics::Page)
        .set_column_bloom_filter_enabled(ColumnPath::from(schema::TRACE_ID), true)
        .set_column_bloom_filter_enabled(nested(schema::ATTRIBUTE_VALUE_PATHS[0]), true)
        .set_column_bloom_filter_enabled(nested(schema::ATTRIBUTE_VALUE_PATHS[1]), true)
        // trace_id and the time are the first two leaf columns of both files.
        .set_sorting_columns(Some(vec![sorted_by(0), sorted_by(1)]))
        .build())
}

/// The path of a nested column, written with dots.
fn nested(path: &str) -> ColumnPath {
    ColumnPath::new(path.split('.').map(str::to_owned).collect())
}

/// Writes `rows` as the Parquet file `name` in `dir`, synced; returns its size.
fn write_parquet<T>(
    dir: &Path,
    name: &str,
    schema: SchemaRef,
    properties: &WriterProperties,
    rows: &[T],
    weight: fn(&T) -> usize,
    batch: fn(&SchemaRef, &[T]) -> Result<RecordBatch, String>,
) -> Result<u64, StoreError> {
    let failed = |message: String| block_error(dir, format!("{name}: {message}"));
    let path = dir.join(name);
    let file = File::create(&path).map_err(io_error(&path))?;
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties.clone()))
        .map_err(|error| failed(error.to_string()))?;
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < rows.len() && end - start < BATCH_ROWS && (end == start || bytes < BATCH_BYTES) {
            bytes += weight(&rows[end]);
            end += 1;
        }
        let record_batch = batch(&schema, &rows[start..end]).map_err(failed)?;
        writer.write(&record_batch).map_err(|error| failed(error.to_string()))?;
        start = end;
    }
    let file = writer.into_inner().map_err(|error| failed(error.to_string()))?;
    file.sync_all().map_err(io_error(&path))?;
    Ok(file.metadata().map_err(io_error(&path))?.len())
}

/// What `meta.json` says about sorted spans and records.
fn describe(id: &str, spans: &[StoredSpan], records: &[StoredRecord], lineage: Lineage, bytes: u64) -> BlockMeta {
    let mut min_start = u64::MAX;
    let mut max_end = 0;
    let mut trace_count = 0;
    let mut services = BTreeSet::new();
    let mut operations = BTreeSet::new();
    for (index, stored) in spans.iter().enumerate() {
        let span = &stored.span;
        min_start = min_start.min(span.start_time_unix_nano);
        max_end = max_end.max(span.end_time_unix_nano).max(span.start_time_unix_nano);
        if index == 0 || spans[index - 1].span.trace_id != span.trace_id {
            trace_count += 1;
        }
        services.insert(stored.service());
        operations.insert((stored.service(), span.name.as_ref(), span.kind));
    }
    for stored in records {
        min_start = min_start.min(stored.time_unix_nano());
        max_end = max_end.max(stored.time_unix_nano());
    }
    if spans.is_empty() && records.is_empty() {
        min_start = 0;
    }
    let created_unix_nano = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    BlockMeta {
        format_version: FORMAT_VERSION,
        id: id.to_owned(),
        level: lineage.level,
        wal_through: lineage.wal_through,
        sources: lineage.sources,
        min_start_unix_nano: min_start,
        max_end_unix_nano: max_end,
        span_count: spans.len() as u64,
        record_count: records.len() as u64,
        trace_count,
        bytes,
        services: services.into_iter().map(str::to_owned).collect(),
        operations: operations
            .into_iter()
            .map(|(service, name, kind): (&str, &str, SpanKind)| BlockOperation {
                service: service.to_owned(),
                name: name.to_owned(),
                kind: kind.as_str().to_owned(),
            })
            .collect(),
        created_unix_nano,
    }
}
