//! What the store keeps and what it answers with.
//!
//! A span is stored as the SDK's [`SpanData`] beside the [`Resource`] and instrumentation
//! scope it came with ([`StoredSpan`]); log records that belong to a trace (trace-level
//! events and span logs) as [`StoredRecord`]s. Queries answer with whole traces
//! ([`TraceData`]), trace summaries ([`TraceSummary`]), names and [`Dependency`] edges.

use std::collections::HashMap;
use std::sync::Arc;

use clew::{Event, Resource, SpanData, SpanId, SpanKind, Str, TraceEvent, TraceId, Value};

use crate::TimeRange;
use crate::aggregate::{Percentiles, summarize};

/// The service of a resource without `service.name`, as the OpenTelemetry SDKs name it.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// The `service.name` of a resource, or [`UNKNOWN_SERVICE`].
pub fn service_name(resource: &Resource) -> &str {
    resource.service_name()
}

/// Where a span or record came from: its resource and instrumentation scope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// The resource (service name, host, …).
    pub resource: Arc<Resource>,
    /// The instrumentation scope's name, empty if none was given.
    pub scope: Str,
}

impl Origin {
    /// The resource's service name.
    pub fn service(&self) -> &str {
        service_name(&self.resource)
    }
}

/// A span as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSpan {
    /// Where it came from.
    pub origin: Origin,
    /// The span.
    pub span: SpanData,
}

impl StoredSpan {
    /// The service that produced the span.
    pub fn service(&self) -> &str {
        self.origin.service()
    }
}

/// A log record that belongs to a trace, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// Where it came from.
    pub origin: Origin,
    /// The record: an event of the trace itself, or a log line of one span.
    pub record: TraceRecord,
}

impl StoredRecord {
    /// The trace the record belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.record.trace_id()
    }

    /// The span the record was written in, if any.
    pub fn span_id(&self) -> Option<SpanId> {
        match &self.record {
            TraceRecord::TraceEvent(_) => None,
            TraceRecord::SpanLog { span_id, .. } => Some(*span_id),
        }
    }

    /// The record's time.
    pub fn time_unix_nano(&self) -> u64 {
        match &self.record {
            TraceRecord::TraceEvent(event) => event.time_unix_nano,
            TraceRecord::SpanLog { event, .. } => event.time_unix_nano,
        }
    }
}

/// A log record that belongs to a trace.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceRecord {
    /// A record with a trace id and no span id: an event of the trace itself.
    TraceEvent(TraceEvent),
    /// A record with both ids: a log line written inside a span.
    SpanLog {
        /// The trace.
        trace_id: TraceId,
        /// The span.
        span_id: SpanId,
        /// The record, as an event of the span (its `level` is always set).
        event: Event,
    },
}

impl TraceRecord {
    /// The trace the record belongs to.
    pub fn trace_id(&self) -> TraceId {
        match self {
            TraceRecord::TraceEvent(event) => event.trace_id,
            TraceRecord::SpanLog { trace_id, .. } => *trace_id,
        }
    }
}

/// What one write holds: spans and trace records, grouped by where they came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    /// Spans, one group per resource and scope.
    pub spans: Vec<(Origin, Vec<SpanData>)>,
    /// Trace events and span logs, one group per resource and scope.
    pub records: Vec<(Origin, Vec<TraceRecord>)>,
}

impl WriteBatch {
    /// The number of spans.
    pub fn span_count(&self) -> usize {
        self.spans.iter().map(|(_, spans)| spans.len()).sum()
    }

    /// The number of records.
    pub fn record_count(&self) -> usize {
        self.records.iter().map(|(_, records)| records.len()).sum()
    }

    /// Whether the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.span_count() == 0 && self.record_count() == 0
    }
}

/// Everything stored for one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceData {
    /// The trace.
    pub trace_id: TraceId,
    /// Its spans, by start time (then span id), each once.
    pub spans: Vec<StoredSpan>,
    /// Its trace-level events and span logs, by time.
    pub records: Vec<StoredRecord>,
}

impl TraceData {
    /// The trace-level events (records without a span).
    pub fn trace_events(&self) -> impl Iterator<Item = (&Origin, &TraceEvent)> {
        self.records.iter().filter_map(|stored| match &stored.record {
            TraceRecord::TraceEvent(event) => Some((&stored.origin, event)),
            TraceRecord::SpanLog { .. } => None,
        })
    }

    /// The log lines of each span, by time, gathered in one pass over the records.
    pub fn span_logs_by_span(&self) -> HashMap<SpanId, Vec<&Event>> {
        let mut span_logs: HashMap<SpanId, Vec<&Event>> = HashMap::new();
        for stored in &self.records {
            if let TraceRecord::SpanLog { span_id, event, .. } = &stored.record {
                span_logs.entry(*span_id).or_default().push(event);
            }
        }
        span_logs
    }

    /// The position in [`TraceData::spans`] of the trace's root as the read APIs show it:
    /// the first span without a parent, else the first span; `None` without spans.
    pub fn root_position(&self) -> Option<usize> {
        self.spans
            .iter()
            .position(|stored| stored.span.parent_span_id.is_none())
            .or_else(|| (!self.spans.is_empty()).then_some(0))
    }

    /// Puts spans and records in their documented order and drops repeated spans: what an
    /// engine does before it answers [`Store::trace`](crate::Store::trace).
    pub fn normalize(&mut self) {
        self.spans.sort_by(|a, b| {
            (a.span.start_time_unix_nano, a.span.span_id.to_bytes())
                .cmp(&(b.span.start_time_unix_nano, b.span.span_id.to_bytes()))
        });
        self.spans.dedup_by(|a, b| a.span.span_id == b.span.span_id);
        self.records.sort_by_key(StoredRecord::time_unix_nano);
        self.records.dedup();
    }

    /// The trace's summary, or `None` if it has no spans.
    pub fn summary(&self) -> Option<TraceSummary> {
        summarize(self.trace_id, self.spans.iter().map(|stored| (stored.service(), &stored.span)))
    }
}

/// A trace in a list of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSummary {
    /// The trace.
    pub trace_id: TraceId,
    /// The service of the root span (the earliest span without a parent in the trace, or the
    /// earliest span when none is known).
    pub root_service: String,
    /// The name of the root span.
    pub root_operation: String,
    /// Whether a span without a parent was found; if not, the root is a stand-in.
    pub root_found: bool,
    /// The earliest span start.
    pub start_unix_nano: u64,
    /// From the earliest start to the latest end.
    pub duration_nanos: u64,
    /// How many spans.
    pub span_count: u64,
    /// How many spans have error status.
    pub error_count: u64,
    /// Every service in the trace with its span count, by name.
    pub services: Vec<(String, u64)>,
}

/// What to search for. A trace matches when one of its spans meets every span condition
/// and the trace overlaps the time range.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The span's service.
    pub service: Option<String>,
    /// The span's name.
    pub operation: Option<String>,
    /// The span's kind.
    pub kind: Option<SpanKind>,
    /// Attributes the span (or its resource) has, compared as text: `200` matches the
    /// integer 200 and the string "200". The key `error` with `true` matches error spans.
    pub attributes: Vec<(String, String)>,
    /// Only spans with error status.
    pub errors_only: bool,
    /// The span lasted at least this long.
    pub min_duration_nanos: Option<u64>,
    /// The span lasted at most this long.
    pub max_duration_nanos: Option<u64>,
    /// The span started in this range.
    pub range: TimeRange,
    /// At most this many traces, newest first.
    pub limit: usize,
}

impl Default for SearchQuery {
    fn default() -> SearchQuery {
        SearchQuery {
            service: None,
            operation: None,
            kind: None,
            attributes: Vec::new(),
            errors_only: false,
            min_duration_nanos: None,
            max_duration_nanos: None,
            range: TimeRange::ALL,
            limit: 20,
        }
    }
}

impl SearchQuery {
    /// Whether one span meets every span condition.
    pub fn matches(&self, service: &str, resource: &Resource, span: &SpanData) -> bool {
        let duration = span.duration_nanos();
        self.service.as_deref().is_none_or(|wanted| wanted == service)
            && self.operation.as_deref().is_none_or(|wanted| wanted == span.name.as_ref())
            && self.kind.is_none_or(|wanted| wanted == span.kind)
            && (!self.errors_only || span.status.is_error())
            && self.min_duration_nanos.is_none_or(|min| duration >= min)
            && self.max_duration_nanos.is_none_or(|max| duration <= max)
            && self.range.contains(span.start_time_unix_nano)
            && self.attributes.iter().all(|(key, value)| has_attribute(resource, span, key, value))
    }
}

fn has_attribute(resource: &Resource, span: &SpanData, key: &str, wanted: &str) -> bool {
    if key == "error" && span.status.is_error() {
        return wanted == "true";
    }
    let found = |attributes: &[clew::KeyValue]| {
        attributes.iter().any(|attribute| attribute.key.as_ref() == key && value_text_is(&attribute.value, wanted))
    };
    found(&span.attributes)
        || found(resource.attributes())
        || (key == "span.kind" && span.kind.as_str() == wanted)
        || (key == "otel.status_code" && span.status.code() == wanted)
        || (key == crate::LABEL_KEY && span.label.as_deref() == Some(wanted))
}

/// Whether a value's text form is `wanted`: how search compares attribute values.
pub fn value_text_is(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(text) => text.as_ref() == wanted,
        Value::Bool(flag) => wanted == if *flag { "true" } else { "false" },
        Value::I64(number) => wanted.parse::<i64>() == Ok(*number),
        Value::F64(number) => wanted.parse::<f64>() == Ok(*number),
        other => other.to_string() == wanted,
    }
}

/// A service and the name and kind of spans it produced.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Operation {
    /// The span name.
    pub name: String,
    /// The span kind.
    pub kind: SpanKind,
}

/// Calls from one service to another, seen as a span of `child` whose parent is a span of
/// `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// How many calls.
    pub call_count: u64,
    /// How many of them ended with error status (on the callee's span).
    pub error_count: u64,
    /// Percentiles of the durations of the callee's spans; `None` only when there are no
    /// calls.
    pub durations: Option<Percentiles>,
}
