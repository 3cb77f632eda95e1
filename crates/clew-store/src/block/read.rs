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

use super::decode::{Decoder, RecordColumns, SpanColumns};
use super::schema::{kind_code, status_code};
use super::{Block, RECORDS_FILE, SPANS_FILE, block_error, guarded};
use crate::StoreError;
use crate::model::{SearchQuery, StoredRecord, StoredSpan};

/// The spans of one trace.
pub(super) fn trace_spans(block: &Block, trace_id: TraceId) -> Result<Vec<StoredSpan>, StoreError> {
    let wanted = trace_id.to_bytes();
    let mut decoder = Decoder::default();
    let mut spans = Vec::new();
    let file = ParquetFile::spans(block);
    file.read(Some(trace_id), None, |batch| {
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
    file.read(Some(trace_id), None, |batch| {
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
    file.read(None, None, |batch| {
        let columns = RecordColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            records.push(columns.record(row, &mut decoder)?);
        }
        Ok(())
    })?;
    Ok(records)
}

/// Calls `f` with the spans of each trace in turn; rows of a trace are consecutive.
pub(super) fn for_each_trace(
    block: &Block,
    f: &mut dyn FnMut(TraceId, Vec<StoredSpan>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut decoder = Decoder::default();
    let mut current: Option<(TraceId, Vec<StoredSpan>)> = None;
    let file = ParquetFile::spans(block);
    let mut failure = None;
    let read = file.read(None, None, |batch| {
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
                        return Err(String::new());
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

/// The columns a search without attribute conditions needs.
const SEARCH_COLUMNS: [&str; 7] =
    ["trace_id", "start_time_unix_nano", "end_time_unix_nano", "service", "name", "kind", "status_code"];

/// Adds to `found` the traces with a span that meets `query`'s conditions, with the
/// earliest span start of each in this block, reading only [`SEARCH_COLUMNS`]. The query
/// must have no attribute conditions (those need the attribute lists).
pub(super) fn matching_traces(
    block: &Block,
    query: &SearchQuery,
    found: &mut HashMap<TraceId, u64>,
) -> Result<(), StoreError> {
    debug_assert!(query.attributes.is_empty());
    // The trace being read: its id, earliest start, and whether a span matched.
    let mut current: Option<([u8; 16], u64, bool)> = None;
    let finish = |trace: Option<([u8; 16], u64, bool)>, found: &mut HashMap<TraceId, u64>| {
        if let Some((id, start, true)) = trace {
            let known = found.entry(TraceId::from_bytes(id)).or_insert(start);
            *known = (*known).min(start);
        }
    };
    let file = ParquetFile::spans(block);
    file.read(None, Some(&SEARCH_COLUMNS), |batch| {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| format!("no column {name}"));
        let trace_ids = column("trace_id")?.as_fixed_size_binary_opt().ok_or("trace_id is not fixed-size binary")?;
        let starts = column("start_time_unix_nano")?.as_primitive_opt::<UInt64Type>().ok_or("bad start column")?;
        let ends = column("end_time_unix_nano")?.as_primitive_opt::<UInt64Type>().ok_or("bad end column")?;
        let services = column("service")?.as_string_opt::<i32>().ok_or("service is not text")?;
        let names = column("name")?.as_string_opt::<i32>().ok_or("name is not text")?;
        let kinds = column("kind")?.as_primitive_opt::<UInt8Type>().ok_or("bad kind column")?;
        let statuses = column("status_code")?.as_primitive_opt::<UInt8Type>().ok_or("bad status column")?;
        let kind_code = query.kind.map(kind_code);
        let error_code = status_code(&Status::error(""));
        for row in 0..batch.num_rows() {
            let id: [u8; 16] = trace_ids.value(row).try_into().map_err(|_| "a trace id is not 16 bytes")?;
            let start = starts.value(row);
            let duration = ends.value(row).saturating_sub(start);
            let matches = query.service.as_deref().is_none_or(|wanted| wanted == services.value(row))
                && query.operation.as_deref().is_none_or(|wanted| wanted == names.value(row))
                && kind_code.is_none_or(|wanted| wanted == kinds.value(row))
                && (!query.errors_only || statuses.value(row) == error_code)
                && query.min_duration_nanos.is_none_or(|min| duration >= min)
                && query.max_duration_nanos.is_none_or(|max| duration <= max)
                && (query.start_unix_nano..=query.end_unix_nano).contains(&start);
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

/// The row groups of `spans.parquet` that a lookup of `trace_id` reads.
#[cfg(test)]
pub(super) fn span_row_groups(block: &Block, trace_id: TraceId) -> Result<Vec<usize>, StoreError> {
    let file = ParquetFile::spans(block);
    let reader = File::open(file.dir.join(file.name)).map_err(|error| file.error(error))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, file.metadata.clone());
    file.row_groups_with(&builder, trace_id)
}

/// One of a block's Parquet files.
#[derive(Debug)]
struct ParquetFile<'a> {
    dir: &'a Path,
    name: &'static str,
    metadata: &'a ArrowReaderMetadata,
}

impl<'a> ParquetFile<'a> {
    fn spans(block: &'a Block) -> ParquetFile<'a> {
        ParquetFile { dir: block.dir(), name: SPANS_FILE, metadata: &block.spans }
    }

    fn records(block: &'a Block) -> ParquetFile<'a> {
        ParquetFile { dir: block.dir(), name: RECORDS_FILE, metadata: &block.records }
    }

    fn error(&self, message: impl std::fmt::Display) -> StoreError {
        block_error(self.dir, format!("{}: {message}", self.name))
    }

    /// Calls `each` with every batch of the file, or only of the row groups that may hold
    /// `trace_id`; with `columns`, the batches hold only those (top-level) columns.
    fn read(
        &self,
        trace_id: Option<TraceId>,
        columns: Option<&[&str]>,
        mut each: impl FnMut(&RecordBatch) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let file = File::open(self.dir.join(self.name)).map_err(|error| self.error(error))?;
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone());
        if let Some(columns) = columns {
            let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
            builder = builder.with_projection(mask);
        }
        if let Some(trace_id) = trace_id {
            let row_groups = self.row_groups_with(&builder, trace_id)?;
            if row_groups.is_empty() {
                return Ok(());
            }
            builder = builder.with_row_groups(row_groups);
        }
        let mut reader = guarded(|| builder.build()).map_err(|message| self.error(message))?;
        while let Some(batch) = guarded(|| reader.next().transpose()).map_err(|message| self.error(message))? {
            each(&batch).map_err(|message| self.error(message))?;
        }
        Ok(())
    }

    /// The row groups that may hold a trace: its id is within the `trace_id` min/max of the
    /// row group and its bloom filter does not rule it out.
    fn row_groups_with(
        &self,
        builder: &ParquetRecordBatchReaderBuilder<File>,
        trace_id: TraceId,
    ) -> Result<Vec<usize>, StoreError> {
        let wanted = trace_id.to_bytes();
        let wanted = wanted.as_slice();
        let mut row_groups = Vec::new();
        for (index, row_group) in builder.metadata().row_groups().iter().enumerate() {
            // trace_id is the first leaf column.
            let statistics = row_group.column(0).statistics();
            let below = statistics.and_then(|statistics| statistics.min_bytes_opt()).is_some_and(|min| wanted < min);
            let above = statistics.and_then(|statistics| statistics.max_bytes_opt()).is_some_and(|max| wanted > max);
            if below || above {
                continue;
            }
            let filter = guarded(|| builder.get_row_group_column_bloom_filter(index, 0))
                .map_err(|message| self.error(message))?;
            if filter.is_some_and(|filter| !filter.check(wanted)) {
                continue;
            }
            row_groups.push(index);
        }
        Ok(row_groups)
    }
}
