//! Sums over a block's spans that read a few narrow columns of `spans.parquet` and never
//! decode whole spans: operation stats (six columns), error groups (six), and the spans of
//! each trace as the count of calls between services needs them (seven).
//!
//! The first two also skip row groups by the min/max statistics Parquet keeps for every
//! column chunk: a row group whose `start_time_unix_nano` range misses the query's range,
//! whose `service` range leaves out the wanted service, or (for error groups) whose largest
//! `status_code` is below error, is not read.

use std::collections::HashMap;

use arrow_array::types::{UInt8Type, UInt64Type};
use arrow_array::{Array, FixedSizeBinaryArray, PrimitiveArray, RecordBatch, StringArray};
use clew::{SpanId, Status, TraceId};
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use parquet::file::statistics::Statistics;

use super::decode::{column, fixed, optional, primitive, span_id_at, strings, trace_id_at};
use super::read::{ParquetFile, RowGroups};
use super::schema::{self, kind_of_code};
use super::{Block, BlockError};
use clew_store::aggregate::CallSpan;
use clew_store::aggregate::{ErrorGroupsBuilder, OperationStatsBuilder};
use clew_store::{StoreError, TimeRange};

/// What a row group's statistics must allow for it to be read.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowGroupFilter<'a> {
    /// Spans that started in this range.
    pub(super) range: TimeRange,
    /// Spans of this service, if given.
    pub(super) service: Option<&'a str>,
    /// Only spans with error status.
    pub(super) errors_only: bool,
}

/// The row groups whose statistics do not rule out every row for `filter`. A row group
/// without statistics is read.
pub(super) fn row_groups_matching(metadata: &ParquetMetaData, filter: &RowGroupFilter<'_>) -> Vec<usize> {
    let columns = metadata.file_metadata().schema_descr().columns();
    let leaf = |name: &str| columns.iter().position(|column| column.path().string() == name);
    let (start_leaf, service_leaf, status_leaf) = (leaf("start_time_unix_nano"), leaf("service"), leaf("status_code"));
    let error_code = i32::from(schema::status_code(&Status::error("")));
    let mut chosen = Vec::new();
    for (index, row_group) in metadata.row_groups().iter().enumerate() {
        let outside_range = match statistics(row_group, start_leaf) {
            Some(Statistics::Int64(starts)) => {
                // Stored as INT64 with unsigned order.
                starts.max_opt().is_some_and(|&max| (max as u64) < filter.range.start_unix_nano)
                    || starts.min_opt().is_some_and(|&min| (min as u64) >= filter.range.end_unix_nano)
            }
            _ => false,
        };
        let other_service = match (filter.service, statistics(row_group, service_leaf)) {
            (Some(wanted), Some(Statistics::ByteArray(services))) => {
                let wanted = wanted.as_bytes();
                services.min_opt().is_some_and(|min| wanted < min.data())
                    || services.max_opt().is_some_and(|max| wanted > max.data())
            }
            _ => false,
        };
        let no_errors = filter.errors_only
            && match statistics(row_group, status_leaf) {
                Some(Statistics::Int32(statuses)) => statuses.max_opt().is_some_and(|&max| max < error_code),
                _ => false,
            };
        if !(outside_range || other_service || no_errors) {
            chosen.push(index);
        }
    }
    chosen
}

fn statistics(row_group: &RowGroupMetaData, leaf: Option<usize>) -> Option<&Statistics> {
    row_group.columns().get(leaf?)?.statistics()
}

/// Adds the block's spans to operation stats.
pub(super) fn operation_stats(block: &Block, builder: &mut OperationStatsBuilder) -> Result<(), StoreError> {
    const COLUMNS: [&str; 6] = ["start_time_unix_nano", "duration_nanos", "service", "name", "kind", "status_code"];
    let query = builder.query().clone();
    let filter = RowGroupFilter { range: query.range, service: query.service.as_deref(), errors_only: false };
    let error_code = schema::status_code(&Status::error(""));
    ParquetFile::spans(block).read(RowGroups::Matching(filter), Some(&COLUMNS), |batch| {
        let starts = u64s(batch, "start_time_unix_nano")?;
        let durations = u64s(batch, "duration_nanos")?;
        let services = strings(column(batch, "service")?, "service")?;
        let names = strings(column(batch, "name")?, "name")?;
        let kinds = u8s(batch, "kind")?;
        let statuses = u8s(batch, "status_code")?;
        for row in 0..batch.num_rows() {
            let (start, service) = (starts.value(row), services.value(row));
            if !builder.wants(service, start) {
                continue;
            }
            let code = kinds.value(row);
            let kind = kind_of_code(code).ok_or_else(|| BlockError::Malformed(format!("unknown span kind {code}")))?;
            let error = statuses.value(row) == error_code;
            builder.add(service, names.value(row), kind, start, durations.value(row), error);
        }
        Ok(())
    })
}

/// Adds the block's error spans to error groups.
pub(super) fn error_groups(block: &Block, builder: &mut ErrorGroupsBuilder) -> Result<(), StoreError> {
    const COLUMNS: [&str; 6] =
        [schema::TRACE_ID, "start_time_unix_nano", "service", "name", "status_code", "status_message"];
    let query = builder.query().clone();
    let filter = RowGroupFilter { range: query.range, service: query.service.as_deref(), errors_only: true };
    let error_code = schema::status_code(&Status::error(""));
    ParquetFile::spans(block).read(RowGroups::Matching(filter), Some(&COLUMNS), |batch| {
        let trace_ids = fixed(column(batch, schema::TRACE_ID)?, schema::TRACE_ID)?;
        let starts = u64s(batch, "start_time_unix_nano")?;
        let services = strings(column(batch, "service")?, "service")?;
        let names = strings(column(batch, "name")?, "name")?;
        let statuses = u8s(batch, "status_code")?;
        let messages = strings(column(batch, "status_message")?, "status_message")?;
        for row in 0..batch.num_rows() {
            if statuses.value(row) != error_code {
                continue;
            }
            let (start, service) = (starts.value(row), services.value(row));
            if !builder.wants(service, start) {
                continue;
            }
            let message = optional(messages, row).unwrap_or("");
            builder.add(service, names.value(row), message, start, trace_id_at(trace_ids, row)?);
        }
        Ok(())
    })
}

/// Calls `f` with the spans of each of the block's traces (its spans here), as
/// [`CallSpan`]s: of every trace, or of those in `traces` (sorted), reading then only the
/// row groups that may hold them.
pub(super) fn trace_calls(
    block: &Block,
    traces: Option<&[TraceId]>,
    f: &mut dyn FnMut(TraceId, &[CallSpan<'_>]),
) -> Result<(), StoreError> {
    const COLUMNS: [&str; 7] = [
        schema::TRACE_ID,
        "start_time_unix_nano",
        "duration_nanos",
        "span_id",
        "parent_span_id",
        "service",
        "status_code",
    ];
    let row_groups = match traces {
        Some([]) => return Ok(()),
        Some(traces) => RowGroups::WithTraces(traces),
        None => RowGroups::All,
    };
    let error_code = schema::status_code(&Status::error(""));
    let mut trace = TraceCalls::default();
    ParquetFile::spans(block).read(row_groups, Some(&COLUMNS), |batch| {
        let columns = CallColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            let trace_id = trace_id_at(columns.trace_ids, row)?;
            if trace.id != Some(trace_id) {
                trace.give(f);
                trace.id = Some(trace_id);
                trace.wanted = traces.is_none_or(|traces| traces.binary_search(&trace_id).is_ok());
            }
            if !trace.wanted {
                continue;
            }
            let service = trace.service(columns.services.value(row));
            trace.calls.push(Call {
                service,
                span_id: span_id_at(columns.span_ids, row)?,
                parent_span_id: if columns.parent_span_ids.is_null(row) {
                    None
                } else {
                    Some(span_id_at(columns.parent_span_ids, row)?)
                },
                start_unix_nano: columns.starts.value(row),
                duration_nanos: columns.durations.value(row),
                error: columns.statuses.value(row) == error_code,
            });
        }
        Ok(())
    })?;
    trace.give(f);
    Ok(())
}

struct CallColumns<'a> {
    trace_ids: &'a FixedSizeBinaryArray,
    starts: &'a PrimitiveArray<UInt64Type>,
    durations: &'a PrimitiveArray<UInt64Type>,
    span_ids: &'a FixedSizeBinaryArray,
    parent_span_ids: &'a FixedSizeBinaryArray,
    services: &'a StringArray,
    statuses: &'a PrimitiveArray<UInt8Type>,
}

impl<'a> CallColumns<'a> {
    fn new(batch: &'a RecordBatch) -> Result<CallColumns<'a>, BlockError> {
        Ok(CallColumns {
            trace_ids: fixed(column(batch, schema::TRACE_ID)?, schema::TRACE_ID)?,
            starts: u64s(batch, "start_time_unix_nano")?,
            durations: u64s(batch, "duration_nanos")?,
            span_ids: fixed(column(batch, "span_id")?, "span_id")?,
            parent_span_ids: fixed(column(batch, "parent_span_id")?, "parent_span_id")?,
            services: strings(column(batch, "service")?, "service")?,
            statuses: u8s(batch, "status_code")?,
        })
    }
}

/// The spans of the trace being read, with service names kept once for the whole block.
#[derive(Debug, Default)]
struct TraceCalls {
    id: Option<TraceId>,
    /// Whether the trace being read is one of those asked for.
    wanted: bool,
    calls: Vec<Call>,
    services: Vec<String>,
    service_numbers: HashMap<String, u32>,
}

#[derive(Debug)]
struct Call {
    service: u32,
    span_id: SpanId,
    parent_span_id: Option<SpanId>,
    start_unix_nano: u64,
    duration_nanos: u64,
    error: bool,
}

impl TraceCalls {
    fn service(&mut self, name: &str) -> u32 {
        if let Some(&number) = self.service_numbers.get(name) {
            return number;
        }
        let number = u32::try_from(self.services.len()).unwrap_or(u32::MAX);
        self.services.push(name.to_owned());
        self.service_numbers.insert(name.to_owned(), number);
        number
    }

    /// Gives the spans of the trace read so far to `f` and forgets them.
    fn give(&mut self, f: &mut dyn FnMut(TraceId, &[CallSpan<'_>])) {
        let Some(trace_id) = self.id else { return };
        if self.calls.is_empty() {
            return;
        }
        let spans: Vec<CallSpan<'_>> = self
            .calls
            .iter()
            .map(|call| CallSpan {
                service: self.services.get(call.service as usize).map_or("", String::as_str),
                span_id: call.span_id,
                parent_span_id: call.parent_span_id,
                start_unix_nano: call.start_unix_nano,
                duration_nanos: call.duration_nanos,
                error: call.error,
            })
            .collect();
        f(trace_id, &spans);
        self.calls.clear();
    }
}

fn u64s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a PrimitiveArray<UInt64Type>, BlockError> {
    primitive(column(batch, name)?, name)
}

fn u8s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a PrimitiveArray<UInt8Type>, BlockError> {
    primitive(column(batch, name)?, name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use clew::{KeyValue, Resource, SpanData, SpanKind, Str, TraceFlags};

    use super::*;
    use crate::block::{BlockOptions, Lineage};
    use clew_store::aggregate::{DependencyCounter, ErrorQuery, OperationStatsQuery};
    use clew_store::model::{Origin, StoredSpan};

    struct Sketch {
        service: &'static str,
        trace: u128,
        id: u64,
        parent: Option<u64>,
        name: &'static str,
        kind: SpanKind,
        start: u64,
        duration: u64,
        status: Status,
    }

    fn stored(sketch: Sketch) -> StoredSpan {
        let resource = Resource::new([KeyValue::new("service.name", sketch.service)]);
        StoredSpan {
            origin: Origin { resource: Arc::new(resource), scope: Str::from_static("test") },
            span: SpanData {
                trace_id: TraceId::from_u128(sketch.trace),
                span_id: SpanId::from_u64(sketch.id),
                parent_span_id: sketch.parent.map(SpanId::from_u64),
                parent_is_remote: false,
                trace_flags: TraceFlags::SAMPLED,
                trace_state: None,
                name: Str::from_static(sketch.name),
                kind: sketch.kind,
                label: None,
                start_time_unix_nano: sketch.start,
                end_time_unix_nano: sketch.start + sketch.duration,
                attributes: Vec::new(),
                events: Vec::new(),
                links: Vec::new(),
                status: sketch.status,
                dropped_attributes_count: 0,
                dropped_events_count: 0,
                dropped_links_count: 0,
            },
        }
    }

    /// 60 traces of a frontend call to checkout, which calls payments (failing now and
    /// then, with or without a message) and does some work of its own; times spread so that
    /// trace `n` starts at `n` ms.
    fn shop() -> Vec<StoredSpan> {
        let mut spans = Vec::new();
        for n in 1..=60_u64 {
            let trace = u128::from(n) << 64 | 0xabc;
            let start = n * 1_000_000;
            let wobble = n * 7_919 % 1_000;
            let status = match n % 6 {
                0 => Status::error("card declined"),
                3 => Status::error(""),
                _ => Status::Unset,
            };
            let sketches = [
                ("frontend", 1, None, "GET /checkout", SpanKind::Server, 0, 90_000 + wobble, Status::Unset),
                ("checkout", 2, Some(1), "POST /orders", SpanKind::Server, 10, 60_000 + wobble * 3, Status::Unset),
                ("payments", 3, Some(2), "charge card", SpanKind::Server, 20, 30_000 + wobble * 50, status),
                ("checkout", 4, Some(2), "POST /orders", SpanKind::Internal, 30, wobble, Status::Unset),
            ];
            for (service, id, parent, name, kind, offset, duration, status) in sketches {
                let id = n * 10 + id;
                let parent = parent.map(|parent| n * 10 + parent);
                let start = start + offset;
                spans.push(stored(Sketch { service, trace, id, parent, name, kind, start, duration, status }));
            }
        }
        spans
    }

    fn write(dir: &std::path::Path, spans: &[StoredSpan], row_group_rows: usize) -> Block {
        let options = BlockOptions { row_group_rows, ..BlockOptions::default() };
        Block::write(dir, "block-1", spans.to_vec(), Vec::new(), Lineage::default(), &options).unwrap()
    }

    #[test]
    fn sums_read_from_columns_equal_those_of_the_decoded_spans() {
        let dir = tempfile::tempdir().unwrap();
        let spans = shop();
        let block = write(dir.path(), &spans, 16);
        let stats_queries = [
            OperationStatsQuery::new(TimeRange::new(0, 100_000_000), 10_000_000),
            OperationStatsQuery::new(TimeRange::new(12_000_000, 31_000_010), 3_000_000),
            OperationStatsQuery {
                service: Some("payments".into()),
                ..OperationStatsQuery::new(TimeRange::new(0, 61_000_000), 1)
            },
        ];
        for query in stats_queries.iter().take(2) {
            let mut from_columns = OperationStatsBuilder::new(query).unwrap();
            block.operation_stats(&mut from_columns).unwrap();
            let mut from_spans = OperationStatsBuilder::new(query).unwrap();
            spans.iter().for_each(|stored| from_spans.add_span(stored));
            let (from_columns, from_spans) = (from_columns.finish(), from_spans.finish());
            assert!(!from_spans.operations.is_empty());
            assert_eq!(from_columns, from_spans, "{query:?}");
        }
        assert!(OperationStatsBuilder::new(&stats_queries[2]).is_err(), "61 million buckets");

        let error_queries = [
            ErrorQuery::default(),
            ErrorQuery { range: TimeRange::new(12_000_000, 31_000_000), limit: 1, ..ErrorQuery::default() },
            ErrorQuery { service: Some("payments".into()), ..ErrorQuery::default() },
            ErrorQuery { service: Some("frontend".into()), ..ErrorQuery::default() },
        ];
        for query in &error_queries {
            let mut from_columns = ErrorGroupsBuilder::new(query);
            block.error_groups(&mut from_columns).unwrap();
            let mut from_spans = ErrorGroupsBuilder::new(query);
            spans.iter().for_each(|stored| from_spans.add_span(stored));
            assert_eq!(from_columns.finish(), from_spans.finish(), "{query:?}");
        }

        for (start, end) in [(0, u64::MAX), (12_000_000, 31_000_000)] {
            let mut from_columns = DependencyCounter::new(TimeRange::through(start, end));
            block.trace_calls(None, &mut |_, calls| from_columns.add_trace(calls)).unwrap();
            let mut from_spans = DependencyCounter::new(TimeRange::through(start, end));
            let mut traces: BTreeMap<TraceId, Vec<CallSpan<'_>>> = BTreeMap::new();
            for stored in &spans {
                traces.entry(stored.span.trace_id).or_default().push(CallSpan::of(stored));
            }
            traces.values().for_each(|calls| from_spans.add_trace(calls));
            let (from_columns, from_spans) = (from_columns.finish(), from_spans.finish());
            assert_eq!(from_columns.len(), 2);
            assert_eq!(from_columns, from_spans);
        }
    }

    #[test]
    fn row_groups_outside_the_range_of_other_services_or_without_errors_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        // 64 traces of 4 spans, in row groups of 16 rows: row group g holds traces 4g to 4g + 3.
        let mut spans = Vec::new();
        for n in 0..64_u64 {
            for id in 0..4 {
                spans.push(stored(Sketch {
                    service: if n < 32 { "early" } else { "late" },
                    trace: u128::from(n) << 64 | 1,
                    id: n * 10 + id + 1,
                    parent: None,
                    name: "work",
                    kind: SpanKind::Internal,
                    start: n * 1_000_000 + id,
                    duration: 10,
                    status: if n < 4 { Status::error("early failure") } else { Status::Unset },
                }));
            }
        }
        let block = write(dir.path(), &spans, 16);
        let chosen = |start_unix_nano, end_unix_nano, service, errors_only| {
            let filter = RowGroupFilter { range: TimeRange::new(start_unix_nano, end_unix_nano), service, errors_only };
            row_groups_matching(block.spans.metadata(), &filter)
        };
        assert_eq!(chosen(0, u64::MAX, None, false), (0..16).collect::<Vec<_>>());
        assert_eq!(chosen(10_000_000, 20_000_000, None, false), [2, 3, 4], "traces 10 to 19");
        assert_eq!(chosen(10_000_000, 16_000_000, None, false), [2, 3], "the end is left out");
        assert_eq!(chosen(0, u64::MAX, Some("late"), false), (8..16).collect::<Vec<_>>());
        assert_eq!(chosen(0, u64::MAX, Some("nobody"), false), Vec::<usize>::new());
        assert_eq!(chosen(0, u64::MAX, None, true), [0]);
        assert_eq!(chosen(0, u64::MAX, Some("late"), true), Vec::<usize>::new());

        let mut builder = ErrorGroupsBuilder::new(&ErrorQuery::default());
        block.error_groups(&mut builder).unwrap();
        let groups = builder.finish();
        assert_eq!((groups.len(), groups[0].count), (1, 16));
    }
}
