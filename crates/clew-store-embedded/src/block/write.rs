//! Writing a block: sorting, Arrow batches, Parquet files, `meta.json`, and the rename.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
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
use super::read::SpanCursor;
use super::schema;
use super::summaries::{SpanFacts, TraceTable, TraceTableBuilder};
use super::{
    Block, BlockError, BlockMeta, BlockOperation, BlockOptions, FORMAT_VERSION, Lineage, META_FILE, RECORDS_FILE,
    SPANS_FILE, TEMPORARY_PREFIX, block_error,
};
use crate::io_error;
use clew_store::StoreError;
use clew_store::model::{StoredRecord, StoredSpan};

/// Rows per Arrow batch handed to the Parquet writer (row groups are cut independently).
const BATCH_ROWS: usize = 1024;
/// A batch is also cut when its rows' estimated text reaches this, keeping every string
/// column far below the 2 GiB an Arrow `Utf8` array can address.
const BATCH_BYTES: usize = 256 << 20;

impl Block {
    /// Writes spans and records (in any order) as block `id` under `blocks_dir`, atomically.
    pub(crate) fn write<S: Borrow<StoredSpan>>(
        blocks_dir: &Path,
        id: &str,
        mut spans: Vec<S>,
        mut records: Vec<StoredRecord>,
        lineage: Lineage,
        options: &BlockOptions,
    ) -> Result<Block, StoreError> {
        spans.sort_by_key(|stored| span_order(stored.borrow()));
        records.sort_by_key(|stored| (stored.trace_id(), stored.time_unix_nano()));
        Block::write_sorted(blocks_dir, id, &mut spans.into_iter().map(Ok), records, lineage, options)
    }

    /// Writes the spans and records of `sources` merged into block `id`, atomically. The
    /// spans stream through: one decoded batch of each source at a time, never all of them.
    /// Copies of a span in several sources (an exporter's retry that reached the store on
    /// both sides of a flush) come out of the merge one after the other, and one is kept.
    pub(crate) fn write_merged(
        blocks_dir: &Path,
        id: &str,
        sources: &[Arc<Block>],
        lineage: Lineage,
        options: &BlockOptions,
    ) -> Result<Block, StoreError> {
        let mut records = Vec::new();
        for source in sources {
            records.extend(source.read_records()?);
        }
        records.sort_by_key(|stored| (stored.trace_id(), stored.time_unix_nano()));
        let mut cursors = sources.iter().map(|source| SpanCursor::open(source)).collect::<Result<Vec<_>, _>>()?;
        let mut merged = std::iter::from_fn(|| next_in_order(&mut cursors).transpose());
        Block::write_sorted(blocks_dir, id, &mut merged, records, lineage, options)
    }

    /// Writes spans given in [`span_order`] and sorted records; of consecutive spans with
    /// the same place in that order (the same trace id, start and span id), only the first.
    fn write_sorted<S: Borrow<StoredSpan>>(
        blocks_dir: &Path,
        id: &str,
        spans: &mut dyn Iterator<Item = Result<S, StoreError>>,
        records: Vec<StoredRecord>,
        lineage: Lineage,
        options: &BlockOptions,
    ) -> Result<Block, StoreError> {
        let final_dir = blocks_dir.join(id);
        if final_dir.exists() {
            return Err(block_error(&final_dir, META_FILE, "a block with this id already exists"));
        }
        let temporary = blocks_dir.join(format!("{TEMPORARY_PREFIX}{id}"));
        let traces = match write_files(&temporary, id, spans, &records, lineage, options) {
            Ok(traces) => traces,
            Err(error) => {
                let _ = fs::remove_dir_all(&temporary);
                return Err(error);
            }
        };
        if let Err(error) = fs::rename(&temporary, &final_dir) {
            let _ = fs::remove_dir_all(&temporary);
            return Err(io_error(final_dir)(error));
        }
        sync_dir(blocks_dir)?;
        Block::open_with(&final_dir, Some(traces))
    }
}

/// The order of rows in `spans.parquet`.
fn span_order(stored: &StoredSpan) -> (clew::TraceId, u64, clew::SpanId) {
    (stored.span.trace_id, stored.span.start_time_unix_nano, stored.span.span_id)
}

/// The first span in [`span_order`] among the cursors' next ones.
fn next_in_order(cursors: &mut [SpanCursor<'_>]) -> Result<Option<StoredSpan>, StoreError> {
    let mut best: Option<(usize, (clew::TraceId, u64, clew::SpanId))> = None;
    for (index, cursor) in cursors.iter_mut().enumerate() {
        if let Some(stored) = cursor.peek()? {
            let key = span_order(stored);
            if best.as_ref().is_none_or(|(_, known)| key < *known) {
                best = Some((index, key));
            }
        }
    }
    match best {
        Some((index, _)) => cursors[index].take(),
        None => Ok(None),
    }
}

/// Writes the block's files into `dir`; returns its trace table.
fn write_files<S: Borrow<StoredSpan>>(
    dir: &Path,
    id: &str,
    spans: &mut dyn Iterator<Item = Result<S, StoreError>>,
    records: &[StoredRecord],
    lineage: Lineage,
    options: &BlockOptions,
) -> Result<TraceTable, StoreError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(io_error(dir))?;
    }
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let properties = writer_properties(options).map_err(|error| block_error(dir, SPANS_FILE, error))?;
    let mut meta = MetaBuilder::default();
    let mut traces = TraceTableBuilder::default();
    let span_bytes = write_spans(dir, &properties, spans, |stored| {
        meta.add_span(stored);
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
    })?;
    let record_bytes =
        write_parquet(dir, RECORDS_FILE, schema::records(), &properties, records, record_weight, record_batch)?;
    for stored in records {
        meta.add_record(stored);
    }
    let meta = meta.finish(id, lineage, span_bytes + record_bytes);
    let json = serde_json::to_vec_pretty(&meta).map_err(|error| block_error(dir, META_FILE, error))?;
    let meta_path = dir.join(META_FILE);
    let mut file = File::create(&meta_path).map_err(io_error(&meta_path))?;
    file.write_all(&json).and_then(|()| file.sync_all()).map_err(io_error(&meta_path))?;
    sync_dir(dir)?;
    Ok(traces.finish())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|directory| directory.sync_all()).map_err(io_error(dir))
}

fn writer_properties(options: &BlockOptions) -> Result<WriterProperties, BlockError> {
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

/// Writes `spans.parquet` in `dir` from spans in [`span_order`], leaving out a span whose
/// place in that order is the previous one's (a copy of it), calling `each` with every span
/// written as it passes, a batch at a time; synced; returns its size.
fn write_spans<S: Borrow<StoredSpan>>(
    dir: &Path,
    properties: &WriterProperties,
    spans: &mut dyn Iterator<Item = Result<S, StoreError>>,
    mut each: impl FnMut(&StoredSpan),
) -> Result<u64, StoreError> {
    let failed = |error: BlockError| block_error(dir, SPANS_FILE, error);
    let path = dir.join(SPANS_FILE);
    let file = File::create(&path).map_err(io_error(&path))?;
    let schema = schema::spans();
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties.clone()))
        .map_err(|error| failed(error.into()))?;
    let mut buffer = Vec::with_capacity(BATCH_ROWS);
    let mut bytes = 0;
    let flush = |buffer: &mut Vec<S>, writer: &mut ArrowWriter<File>| -> Result<(), StoreError> {
        if !buffer.is_empty() {
            let batch = span_batch(&schema, buffer).map_err(failed)?;
            writer.write(&batch).map_err(|error| failed(error.into()))?;
            buffer.clear();
        }
        Ok(())
    };
    let mut previous = None;
    for item in spans {
        let item = item?;
        let stored = item.borrow();
        let place = span_order(stored);
        if previous == Some(place) {
            continue;
        }
        previous = Some(place);
        each(stored);
        bytes += span_weight(stored);
        buffer.push(item);
        if buffer.len() >= BATCH_ROWS || bytes >= BATCH_BYTES {
            flush(&mut buffer, &mut writer)?;
            bytes = 0;
        }
    }
    flush(&mut buffer, &mut writer)?;
    let file = writer.into_inner().map_err(|error| failed(error.into()))?;
    file.sync_all().map_err(io_error(&path))?;
    Ok(file.metadata().map_err(io_error(&path))?.len())
}

/// Writes `rows` as the Parquet file `name` in `dir`, synced; returns its size.
fn write_parquet<T>(
    dir: &Path,
    name: &str,
    schema: SchemaRef,
    properties: &WriterProperties,
    rows: &[T],
    weight: fn(&T) -> usize,
    batch: fn(&SchemaRef, &[T]) -> Result<RecordBatch, BlockError>,
) -> Result<u64, StoreError> {
    let failed = |error: BlockError| block_error(dir, name, error);
    let path = dir.join(name);
    let file = File::create(&path).map_err(io_error(&path))?;
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties.clone()))
        .map_err(|error| failed(error.into()))?;
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < rows.len() && end - start < BATCH_ROWS && (end == start || bytes < BATCH_BYTES) {
            bytes += weight(&rows[end]);
            end += 1;
        }
        let record_batch = batch(&schema, &rows[start..end]).map_err(failed)?;
        writer.write(&record_batch).map_err(|error| failed(error.into()))?;
        start = end;
    }
    let file = writer.into_inner().map_err(|error| failed(error.into()))?;
    file.sync_all().map_err(io_error(&path))?;
    Ok(file.metadata().map_err(io_error(&path))?.len())
}

/// What `meta.json` says, gathered from spans (in [`span_order`]) and records as they pass.
#[derive(Debug, Default)]
struct MetaBuilder {
    min_start: Option<u64>,
    max_end: u64,
    span_count: u64,
    record_count: u64,
    trace_count: u64,
    last_trace: Option<clew::TraceId>,
    /// Span names and their kinds, by service.
    operations: HashMap<String, HashMap<String, BTreeSet<SpanKind>>>,
}

impl MetaBuilder {
    fn add_span(&mut self, stored: &StoredSpan) {
        let span = &stored.span;
        self.add_time(span.start_time_unix_nano, span.end_time_unix_nano.max(span.start_time_unix_nano));
        self.span_count += 1;
        if self.last_trace != Some(span.trace_id) {
            self.trace_count += 1;
            self.last_trace = Some(span.trace_id);
        }
        let service = stored.service();
        let names = match self.operations.get_mut(service) {
            Some(names) => names,
            None => self.operations.entry(service.to_owned()).or_default(),
        };
        match names.get_mut(span.name.as_ref()) {
            Some(kinds) => {
                kinds.insert(span.kind);
            }
            None => {
                names.insert(span.name.to_string(), BTreeSet::from([span.kind]));
            }
        }
    }

    fn add_record(&mut self, stored: &StoredRecord) {
        self.add_time(stored.time_unix_nano(), stored.time_unix_nano());
        self.record_count += 1;
    }

    fn add_time(&mut self, start: u64, end: u64) {
        self.min_start = Some(self.min_start.map_or(start, |known| known.min(start)));
        self.max_end = self.max_end.max(end);
    }

    fn finish(self, id: &str, lineage: Lineage, bytes: u64) -> BlockMeta {
        let created_unix_nano = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        let mut services: Vec<String> = self.operations.keys().cloned().collect();
        services.sort();
        let mut operations: Vec<(String, String, SpanKind)> = self
            .operations
            .into_iter()
            .flat_map(|(service, names)| {
                names.into_iter().flat_map(move |(name, kinds)| {
                    let service = service.clone();
                    kinds.into_iter().map(move |kind| (service.clone(), name.clone(), kind))
                })
            })
            .collect();
        operations.sort();
        BlockMeta {
            format_version: FORMAT_VERSION,
            id: id.to_owned(),
            level: lineage.level,
            wal_through: lineage.wal_through,
            sources: lineage.sources,
            min_start_unix_nano: self.min_start.unwrap_or(0),
            max_end_unix_nano: self.max_end,
            span_count: self.span_count,
            record_count: self.record_count,
            trace_count: self.trace_count,
            bytes,
            services,
            operations: operations
                .into_iter()
                .map(|(service, name, kind)| BlockOperation { service, name, kind: kind.as_str().to_owned() })
                .collect(),
            created_unix_nano,
        }
    }
}
