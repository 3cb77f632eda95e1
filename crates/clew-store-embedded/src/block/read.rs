//! Reading a block: choosing row groups, and turning Arrow rows back into spans and records.

use std::fs::File;
use std::path::Path;

use std::collections::HashMap;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{UInt8Type, UInt64Type};
use clew::{Status, TraceId};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};

use super::decode::{Decoder, RecordColumns, SearchColumns, SpanColumns};
use super::scan::{RowGroupFilter, row_groups_matching};
use super::schema::{self, DEDICATED, status_code};
use super::summaries::{SpanFacts, TraceTable, TraceTableBuilder};
use super::values;
use super::{Block, BlockError, RECORDS_FILE, SPANS_FILE, block_error, guarded};
use clew_store::StoreError;
use clew_store::model::{SearchQuery, StoredRecord, StoredSpan};

/// The spans of one trace.
pub(super) fn trace_spans(block: &Block, trace_id: TraceId) -> Result<Vec<StoredSpan>, StoreError> {
    let wanted = trace_id.to_bytes();
    let mut decoder = Decoder::default();
    let mut spans = Vec::new();
    let file = ParquetFile::spans(block);
    file.read(RowGroups::WithTrace(trace_id), None, |batch| {
        let columns = SpanColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            if columns.is_of_trace(row, &wanted) {
                spans.push(columns.span(row, &mut decoder)?);
            }
        }
        Ok(())
    })?;
    Ok(spans)
}

/// The records of one trace.
pub(super) fn trace_records(block: &Block, trace_id: TraceId) -> Result<Vec<StoredRecord>, StoreError> {
    let wanted = trace_id.to_bytes();
    let mut decoder = Decoder::default();
    let mut records = Vec::new();
    let file = ParquetFile::records(block);
    file.read(RowGroups::WithTrace(trace_id), None, |batch| {
        let columns = RecordColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            if columns.is_of_trace(row, &wanted) {
                records.push(columns.record(row, &mut decoder)?);
            }
        }
        Ok(())
    })?;
    Ok(records)
}

/// Every record.
pub(super) fn all_records(block: &Block) -> Result<Vec<StoredRecord>, StoreError> {
    let mut decoder = Decoder::default();
    let mut records = Vec::new();
    let file = ParquetFile::records(block);
    file.read(RowGroups::All, None, |batch| {
        let columns = RecordColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            records.push(columns.record(row, &mut decoder)?);
        }
        Ok(())
    })?;
    Ok(records)
}

/// Calls `f` with the spans of each trace in turn; rows of a trace are consecutive.
#[cfg(test)]
pub(super) fn for_each_trace(
    block: &Block,
    f: &mut dyn FnMut(TraceId, Vec<StoredSpan>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut decoder = Decoder::default();
    let mut current: Option<(TraceId, Vec<StoredSpan>)> = None;
    let file = ParquetFile::spans(block);
    let mut failure = None;
    let read = file.read(RowGroups::All, None, |batch| {
        let columns = SpanColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            let span = columns.span(row, &mut decoder)?;
            let trace_id = span.span.trace_id;
            match &mut current {
                Some((id, spans)) if *id == trace_id => spans.push(span),
                _ => {
                    let Some((id, spans)) = current.replace((trace_id, vec![span])) else { continue };
                    if let Err(error) = f(id, spans) {
                        failure = Some(error);
                        return Err(BlockError::Malformed(String::new()));
                    }
                }
            }
        }
        Ok(())
    });
    if let Some(error) = failure {
        return Err(error);
    }
    read?;
    match current {
        Some((id, spans)) => f(id, spans),
        None => Ok(()),
    }
}

/// Adds to `found` the traces with a span that meets `query`'s conditions, with the
/// earliest span start of each in this block. Reads only the columns the conditions need
/// ([`SearchColumns::names`]) and, for attribute conditions, only the row groups whose
/// bloom filters on attribute values do not rule them out.
pub(super) fn matching_traces(
    block: &Block,
    query: &SearchQuery,
    found: &mut HashMap<TraceId, u64>,
) -> Result<(), StoreError> {
    // The trace being read: its id, earliest start, and whether a span matched.
    let mut current: Option<([u8; 16], u64, bool)> = None;
    let finish = |trace: Option<([u8; 16], u64, bool)>, found: &mut HashMap<TraceId, u64>| {
        if let Some((id, start, true)) = trace {
            let known = found.entry(TraceId::from_bytes(id)).or_insert(start);
            *known = (*known).min(start);
        }
    };
    let values: Vec<Vec<String>> = query
        .attributes
        .iter()
        .filter(|(key, _)| !unprunable_key(key))
        .filter_map(|(_, wanted)| values::texts_matching(wanted))
        .collect();
    let row_groups = if values.is_empty() { RowGroups::All } else { RowGroups::WithValues(&values) };
    let file = ParquetFile::spans(block);
    file.read(row_groups, Some(&SearchColumns::names(query)), |batch| {
        let columns = SearchColumns::new(batch, query)?;
        for row in 0..batch.num_rows() {
            let id: [u8; 16] = columns.trace_id.value(row).try_into().map_err(|_| "a trace id is not 16 bytes")?;
            let start = columns.start.value(row);
            let matches = columns.matches(row, query)?;
            match &mut current {
                Some((current_id, earliest, matched)) if *current_id == id => {
                    *earliest = (*earliest).min(start);
                    *matched |= matches;
                }
                _ => finish(current.replace((id, start, matches)), found),
            }
        }
        Ok(())
    })?;
    finish(current, found);
    Ok(())
}

/// Whether a condition on `key` can match where no attribute value has its text: the
/// keys with a column of their own, and those that name a span field.
fn unprunable_key(key: &str) -> bool {
    matches!(key, "error" | "span.kind" | "otel.status_code" | clew_store::LABEL_KEY)
        || DEDICATED.iter().any(|dedicated| dedicated.key == key)
}

/// Builds the block's trace table from seven narrow columns of `spans.parquet`.
pub(super) fn trace_table(block: &Block) -> Result<TraceTable, StoreError> {
    const COLUMNS: [&str; 7] =
        ["trace_id", "start_time_unix_nano", "end_time_unix_nano", "parent_span_id", "service", "name", "status_code"];
    let mut builder = TraceTableBuilder::default();
    let error_code = status_code(&Status::error(""));
    ParquetFile::spans(block).read(RowGroups::All, Some(&COLUMNS), |batch| {
        let column =
            |name: &str| batch.column_by_name(name).ok_or_else(|| BlockError::Malformed(format!("no column {name}")));
        let trace_ids = column("trace_id")?.as_fixed_size_binary_opt().ok_or("trace_id is not fixed-size binary")?;
        let starts = column("start_time_unix_nano")?.as_primitive_opt::<UInt64Type>().ok_or("bad start column")?;
        let ends = column("end_time_unix_nano")?.as_primitive_opt::<UInt64Type>().ok_or("bad end column")?;
        let parents = column("parent_span_id")?;
        let services = column("service")?.as_string_opt::<i32>().ok_or("service is not text")?;
        let names = column("name")?.as_string_opt::<i32>().ok_or("name is not text")?;
        let statuses = column("status_code")?.as_primitive_opt::<UInt8Type>().ok_or("bad status column")?;
        for row in 0..batch.num_rows() {
            let id: [u8; 16] = trace_ids.value(row).try_into().map_err(|_| "a trace id is not 16 bytes")?;
            builder.push(SpanFacts {
                trace_id: TraceId::from_bytes(id),
                service: services.value(row),
                name: names.value(row),
                start_unix_nano: starts.value(row),
                end_unix_nano: ends.value(row),
                error: statuses.value(row) == error_code,
                parentless: parents.is_null(row),
            });
        }
        Ok(())
    })?;
    Ok(builder.finish())
}

/// The row groups of `spans.parquet` that a lookup of `trace_id` reads.
#[cfg(test)]
pub(super) fn span_row_groups(block: &Block, trace_id: TraceId) -> Result<Vec<usize>, StoreError> {
    let file = ParquetFile::spans(block);
    let reader = File::open(file.dir.join(file.name)).map_err(|error| file.error(error))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, file.metadata.clone());
    file.row_groups_with(&builder, &[trace_id])
}

/// The row groups of `spans.parquet` that a search for attribute values reads.
#[cfg(test)]
pub(super) fn row_groups_with_values(block: &Block, values: &[Vec<String>]) -> Result<Vec<usize>, StoreError> {
    let file = ParquetFile::spans(block);
    let reader = File::open(file.dir.join(file.name)).map_err(|error| file.error(error))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, file.metadata.clone());
    file.row_groups_with_values(&builder, values)
}

/// One of a block's Parquet files.
#[derive(Debug)]
pub(super) struct ParquetFile<'a> {
    dir: &'a Path,
    name: &'static str,
    metadata: &'a ArrowReaderMetadata,
}

impl<'a> ParquetFile<'a> {
    pub(super) fn spans(block: &'a Block) -> ParquetFile<'a> {
        ParquetFile { dir: block.dir(), name: SPANS_FILE, metadata: &block.spans }
    }

    fn records(block: &'a Block) -> ParquetFile<'a> {
        ParquetFile { dir: block.dir(), name: RECORDS_FILE, metadata: &block.records }
    }

    fn error(&self, error: impl Into<BlockError>) -> StoreError {
        block_error(self.dir, self.name, error)
    }

    /// Calls `each` with every batch of the chosen row groups; with `columns`, the batches
    /// hold only those (top-level) columns.
    pub(super) fn read(
        &self,
        row_groups: RowGroups<'_>,
        columns: Option<&[&str]>,
        mut each: impl FnMut(&RecordBatch) -> Result<(), BlockError>,
    ) -> Result<(), StoreError> {
        let file = File::open(self.dir.join(self.name)).map_err(|error| self.error(error))?;
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone());
        if let Some(columns) = columns {
            let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
            builder = builder.with_projection(mask);
        }
        let chosen = match row_groups {
            RowGroups::All => None,
            RowGroups::WithTrace(trace_id) => Some(self.row_groups_with(&builder, &[trace_id])?),
            RowGroups::WithTraces(trace_ids) => Some(self.row_groups_with(&builder, trace_ids)?),
            RowGroups::WithValues(values) => Some(self.row_groups_with_values(&builder, values)?),
            RowGroups::Matching(filter) => Some(row_groups_matching(builder.metadata(), &filter)),
        };
        if let Some(chosen) = chosen {
            if chosen.is_empty() {
                return Ok(());
            }
            builder = builder.with_row_groups(chosen);
        }
        let mut reader = guarded(|| builder.build()).map_err(|message| self.error(message))?;
        while let Some(batch) = guarded(|| reader.next().transpose()).map_err(|message| self.error(message))? {
            each(&batch).map_err(|message| self.error(message))?;
        }
        Ok(())
    }

    /// The row groups that may hold one of the traces `wanted` (sorted): its id is within
    /// the `trace_id` min/max of the row group and its bloom filter does not rule it out.
    fn row_groups_with(
        &self,
        builder: &ParquetRecordBatchReaderBuilder<File>,
        wanted: &[TraceId],
    ) -> Result<Vec<usize>, StoreError> {
        let wanted: Vec<[u8; 16]> = wanted.iter().map(|trace_id| trace_id.to_bytes()).collect();
        let mut row_groups = Vec::new();
        for (index, row_group) in builder.metadata().row_groups().iter().enumerate() {
            // trace_id is the first leaf column. Big-endian bytes sort as the ids do.
            let statistics = row_group.column(0).statistics();
            let min = statistics.and_then(|statistics| statistics.min_bytes_opt());
            let max = statistics.and_then(|statistics| statistics.max_bytes_opt());
            let from = min.map_or(0, |min| wanted.partition_point(|id| id.as_slice() < min));
            let to = max.map_or(wanted.len(), |max| wanted.partition_point(|id| id.as_slice() <= max));
            if from >= to {
                continue;
            }
            let filter = guarded(|| builder.get_row_group_column_bloom_filter(index, 0))
                .map_err(|message| self.error(message))?;
            if filter.is_some_and(|filter| wanted[from..to].iter().all(|id| !filter.check(id.as_slice()))) {
                continue;
            }
            row_groups.push(index);
        }
        Ok(row_groups)
    }

    /// The row groups where, for each list of texts in `values`, the bloom filters on the
    /// values of span or resource attributes do not rule out all of them.
    fn row_groups_with_values(
        &self,
        builder: &ParquetRecordBatchReaderBuilder<File>,
        values: &[Vec<String>],
    ) -> Result<Vec<usize>, StoreError> {
        let leaves: Vec<usize> = schema::ATTRIBUTE_VALUE_PATHS
            .iter()
            .filter_map(|path| {
                builder.parquet_schema().columns().iter().position(|column| column.path().string() == *path)
            })
            .collect();
        let mut row_groups = Vec::new();
        'row_groups: for index in 0..builder.metadata().num_row_groups() {
            let mut filters = Vec::with_capacity(leaves.len());
            for &leaf in &leaves {
                match guarded(|| builder.get_row_group_column_bloom_filter(index, leaf))
                    .map_err(|message| self.error(message))?
                {
                    Some(filter) => filters.push(filter),
                    // Without a filter nothing can be ruled out.
                    None => {
                        row_groups.push(index);
                        continue 'row_groups;
                    }
                }
            }
            let possible = values
                .iter()
                .all(|texts| texts.iter().any(|text| filters.iter().any(|filter| filter.check(&text.as_str()))));
            if possible || leaves.len() < schema::ATTRIBUTE_VALUE_PATHS.len() {
                row_groups.push(index);
            }
        }
        Ok(row_groups)
    }
}

/// Which row groups a read visits.
#[derive(Debug, Clone, Copy)]
pub(super) enum RowGroups<'a> {
    All,
    /// Those that may hold this trace.
    WithTrace(TraceId),
    /// Those that may hold one of these traces (sorted).
    WithTraces(&'a [TraceId]),
    /// Those that may hold, for each list, one of its texts as an attribute value.
    WithValues(&'a [Vec<String>]),
    /// Those whose statistics allow rows that the filter wants.
    Matching(RowGroupFilter<'a>),
}

/// The spans of a block one after the other, in file order (trace id, start, span id),
/// holding one decoded batch at a time.
pub(super) struct SpanCursor<'a> {
    file: ParquetFile<'a>,
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    decoder: Decoder,
    buffer: std::collections::VecDeque<StoredSpan>,
}

impl<'a> SpanCursor<'a> {
    pub(super) fn open(block: &'a Block) -> Result<SpanCursor<'a>, StoreError> {
        let file = ParquetFile::spans(block);
        let reader = File::open(file.dir.join(file.name)).map_err(|error| file.error(error))?;
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, file.metadata.clone());
        let reader = guarded(|| builder.build()).map_err(|message| file.error(message))?;
        Ok(SpanCursor { file, reader, decoder: Decoder::default(), buffer: std::collections::VecDeque::new() })
    }

    /// The next span, without taking it.
    pub(super) fn peek(&mut self) -> Result<Option<&StoredSpan>, StoreError> {
        while self.buffer.is_empty() {
            let reader = &mut self.reader;
            let Some(batch) = guarded(|| reader.next().transpose()).map_err(|message| self.file.error(message))? else {
                return Ok(None);
            };
            let columns = SpanColumns::new(&batch).map_err(|message| self.file.error(message))?;
            for row in 0..batch.num_rows() {
                let span = columns.span(row, &mut self.decoder).map_err(|message| self.file.error(message))?;
                self.buffer.push_back(span);
            }
        }
        Ok(self.buffer.front())
    }

    /// Takes the next span.
    pub(super) fn take(&mut self) -> Result<Option<StoredSpan>, StoreError> {
        self.peek()?;
        Ok(self.buffer.pop_front())
    }
}
