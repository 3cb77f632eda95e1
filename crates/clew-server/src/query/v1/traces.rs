//! The JSON of traces and trace summaries in `/api/v1` (`traces/{trace_id}` and `search`),
//! written straight from what the store returned.
//!
//! Each object of these answers is a view that borrows a part of a [`TraceData`] or
//! [`TraceSummary`] and derives [`Serialize`]; each array is an adapter that makes the view
//! of one stored item at a time, as it is written. So `serde_json::to_writer` turns a trace
//! into its bytes without building a `serde_json::Value` tree or a copy of its spans first: a
//! trace of 100,000 spans is about 64 MB of JSON, and the tree's allocations, frees and map
//! inserts cost more than the writing itself. A value written in more than one form (an int,
//! a double, an attribute's value) has a `Serialize` of its own.
//!
//! The fields of every object are written in alphabetical order, the order in which this API
//! has always written them (its answers used to be `serde_json::Value`s, whose maps are
//! sorted): the fields of each view are declared in that order, so the answers are the same
//! bytes as before. The shapes are in `openapi.yaml`: times and durations are decimal
//! strings of nanoseconds, ids are hex, an int attribute outside ±2^53 is a decimal string,
//! and a double that is NaN or infinite is `"NaN"`, `"inf"` or `"-inf"`.

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;

use clew::{Event, KeyValue, Link, SpanId, Status, TraceEvent, TraceId, Value};
use clew_store::TraceRecord;
use clew_store::{Origin, StoredRecord, StoredSpan, TraceData, TraceSummary};
use serde::{Serialize, Serializer};

use crate::query::AsString;

/// About how many bytes of JSON a span takes when it has a few attributes: enough to
/// reserve the answer's buffer once for most traces.
const BYTES_PER_SPAN: usize = 640;

/// The answer of `/api/v1/traces/{trace_id}`, as bytes of JSON.
///
/// The `Result` is `serde_json`'s: nothing here fails, since writing into a `Vec` cannot and
/// none of these types returns an error.
pub(crate) fn trace_json_bytes(trace: &TraceData) -> serde_json::Result<Vec<u8>> {
    let summary = trace.summary();
    let span_logs = trace.span_logs_by_span();
    let answer = TraceJson {
        events: TraceEventsJson(&trace.records),
        spans: SpansJson { spans: &trace.spans, span_logs: &span_logs },
        summary: summary.as_ref().map(SummaryJson::new),
        trace_id: AsString(trace.trace_id),
    };
    let mut bytes = Vec::with_capacity(1024 + trace.spans.len() * BYTES_PER_SPAN);
    serde_json::to_writer(&mut bytes, &answer)?;
    Ok(bytes)
}

/// A whole trace: its trace-level `events`, its `spans`, its `summary` (`null` without
/// spans) and `traceId`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceJson<'a> {
    events: TraceEventsJson<'a>,
    spans: SpansJson<'a>,
    summary: Option<SummaryJson<'a>>,
    trace_id: AsString<TraceId>,
}

/// The trace-level events among a trace's records, by time.
struct TraceEventsJson<'a>(&'a [StoredRecord]);

impl Serialize for TraceEventsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().filter_map(|stored| match &stored.record {
            TraceRecord::TraceEvent(event) => Some(TraceEventJson::new(&stored.origin, event)),
            TraceRecord::SpanLog { .. } => None,
        }))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceEventJson<'a> {
    attributes: AttributesJson<'a>,
    level: &'static str,
    name: &'a str,
    service: &'a str,
    time_unix_nano: AsString<u64>,
}

impl<'a> TraceEventJson<'a> {
    fn new(origin: &'a Origin, event: &'a TraceEvent) -> TraceEventJson<'a> {
        TraceEventJson {
            attributes: AttributesJson(&event.attributes),
            level: event.level.as_str(),
            name: event.name.as_str(),
            service: origin.service(),
            time_unix_nano: AsString(event.time_unix_nano),
        }
    }
}

/// The spans, each with the log lines written in it.
struct SpansJson<'a> {
    spans: &'a [StoredSpan],
    span_logs: &'a HashMap<SpanId, Vec<&'a Event>>,
}

impl Serialize for SpansJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.spans.iter().map(|stored| {
            let logs = self.span_logs.get(&stored.span.span_id).map_or(&[][..], Vec::as_slice);
            SpanJson::new(stored, logs)
        }))
    }
}

/// A span with its service, scope and resource, and the log lines written in it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanJson<'a> {
    attributes: AttributesJson<'a>,
    dropped_attributes_count: u32,
    dropped_events_count: u32,
    dropped_links_count: u32,
    duration_nanos: AsString<u64>,
    end_time_unix_nano: AsString<u64>,
    events: ArrayJson<'a, Event, EventJson<'a>>,
    kind: &'static str,
    label: Option<&'a str>,
    links: ArrayJson<'a, Link, LinkJson<'a>>,
    logs: ArrayJson<'a, &'a Event, EventJson<'a>>,
    name: &'a str,
    parent_is_remote: bool,
    parent_span_id: Option<AsString<SpanId>>,
    resource: AttributesJson<'a>,
    scope: &'a str,
    service: &'a str,
    span_id: AsString<SpanId>,
    start_time_unix_nano: AsString<u64>,
    status: StatusJson<'a>,
    trace_flags: u8,
    trace_id: AsString<TraceId>,
    trace_state: Option<&'a str>,
}

impl<'a> SpanJson<'a> {
    fn new(stored: &'a StoredSpan, logs: &'a [&'a Event]) -> SpanJson<'a> {
        let span = &stored.span;
        SpanJson {
            attributes: AttributesJson(&span.attributes),
            dropped_attributes_count: span.dropped_attributes_count,
            dropped_events_count: span.dropped_events_count,
            dropped_links_count: span.dropped_links_count,
            duration_nanos: AsString(span.duration_nanos()),
            end_time_unix_nano: AsString(span.end_time_unix_nano),
            events: ArrayJson(&span.events, EventJson::new),
            kind: span.kind.as_str(),
            label: span.label.as_deref(),
            links: ArrayJson(&span.links, LinkJson::new),
            logs: ArrayJson(logs, |event| EventJson::new(event)),
            name: span.name.as_str(),
            parent_is_remote: span.parent_is_remote,
            parent_span_id: span.parent_span_id.map(AsString),
            resource: AttributesJson(stored.origin.resource.attributes()),
            scope: stored.origin.scope.as_str(),
            service: stored.service(),
            span_id: AsString(span.span_id),
            start_time_unix_nano: AsString(span.start_time_unix_nano),
            status: StatusJson::new(&span.status),
            trace_flags: span.trace_flags.to_u8(),
            trace_id: AsString(span.trace_id),
            trace_state: span.trace_state.as_deref(),
        }
    }
}

/// An event of a span, or a log line written in it: `level` is `null` when it has none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventJson<'a> {
    attributes: AttributesJson<'a>,
    dropped_attributes_count: u32,
    level: Option<&'static str>,
    name: &'a str,
    time_unix_nano: AsString<u64>,
}

impl<'a> EventJson<'a> {
    fn new(event: &'a Event) -> EventJson<'a> {
        EventJson {
            attributes: AttributesJson(&event.attributes),
            dropped_attributes_count: event.dropped_attributes_count,
            level: event.level.map(|level| level.as_str()),
            name: event.name.as_str(),
            time_unix_nano: AsString(event.time_unix_nano),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkJson<'a> {
    attributes: AttributesJson<'a>,
    dropped_attributes_count: u32,
    remote: bool,
    span_id: AsString<SpanId>,
    trace_id: AsString<TraceId>,
    trace_state: Option<&'a str>,
}

impl<'a> LinkJson<'a> {
    fn new(link: &'a Link) -> LinkJson<'a> {
        LinkJson {
            attributes: AttributesJson(&link.attributes),
            dropped_attributes_count: link.dropped_attributes_count,
            remote: link.context.is_remote(),
            span_id: AsString(link.context.span_id()),
            trace_id: AsString(link.context.trace_id()),
            trace_state: link.context.trace_state().map(|state| state.as_str()),
        }
    }
}

/// `{"code": "unset"}`, `{"code": "ok"}` or `{"code": "error", "message": …}`.
#[derive(Serialize)]
struct StatusJson<'a> {
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

impl<'a> StatusJson<'a> {
    fn new(status: &'a Status) -> StatusJson<'a> {
        match status {
            Status::Unset => StatusJson { code: "unset", message: None },
            Status::Ok => StatusJson { code: "ok", message: None },
            Status::Error { message } => StatusJson { code: "error", message: Some(message.as_str()) },
        }
    }
}

/// The answer of `/api/v1/search`: `{"traces": [summary, …]}`.
pub(crate) struct SearchJson(pub(crate) Vec<TraceSummary>);

impl Serialize for SearchJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SearchView { traces: ArrayJson(&self.0, SummaryJson::new) }.serialize(serializer)
    }
}

/// What [`SearchJson`] writes.
#[derive(Serialize)]
struct SearchView<'a> {
    traces: ArrayJson<'a, TraceSummary, SummaryJson<'a>>,
}

/// A trace in `/api/v1/search` and in a trace's answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJson<'a> {
    duration_nanos: AsString<u64>,
    error_count: u64,
    root_found: bool,
    root_operation: &'a str,
    root_service: &'a str,
    services: ArrayJson<'a, (String, u64), ServiceCountJson<'a>>,
    span_count: u64,
    start_time_unix_nano: AsString<u64>,
    trace_id: AsString<TraceId>,
}

impl<'a> SummaryJson<'a> {
    fn new(summary: &'a TraceSummary) -> SummaryJson<'a> {
        SummaryJson {
            duration_nanos: AsString(summary.duration_nanos),
            error_count: summary.error_count,
            root_found: summary.root_found,
            root_operation: &summary.root_operation,
            root_service: &summary.root_service,
            services: ArrayJson(&summary.services, ServiceCountJson::new),
            span_count: summary.span_count,
            start_time_unix_nano: AsString(summary.start_unix_nano),
            trace_id: AsString(summary.trace_id),
        }
    }
}

/// `{"name": …, "spanCount": …}`: a service of a trace and how many of its spans it made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceCountJson<'a> {
    name: &'a str,
    span_count: u64,
}

impl<'a> ServiceCountJson<'a> {
    fn new((name, span_count): &'a (String, u64)) -> ServiceCountJson<'a> {
        ServiceCountJson { name, span_count: *span_count }
    }
}

/// Attributes as `[{"key": …, "type": …, "value": …}, …]`, in their order.
struct AttributesJson<'a>(&'a [KeyValue]);

impl Serialize for AttributesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(AttributeJson::new))
    }
}

#[derive(Serialize)]
struct AttributeJson<'a> {
    key: &'a str,
    /// `string`, `bool`, `int`, `double`, or one of them with `[]`.
    #[serde(rename = "type")]
    value_type: &'static str,
    value: ValueJson<'a>,
}

impl<'a> AttributeJson<'a> {
    fn new(attribute: &'a KeyValue) -> AttributeJson<'a> {
        AttributeJson {
            key: attribute.key.as_str(),
            value_type: value_type(&attribute.value),
            value: ValueJson(&attribute.value),
        }
    }
}

/// The `type` of an attribute: `string`, `bool`, `int`, `double`, or one of them with `[]`.
fn value_type(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::I64(_) => "int",
        Value::F64(_) => "double",
        Value::StringArray(_) => "string[]",
        Value::BoolArray(_) => "bool[]",
        Value::I64Array(_) => "int[]",
        Value::F64Array(_) => "double[]",
    }
}

struct ValueJson<'a>(&'a Value);

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(text) => serializer.serialize_str(text),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::I64(number) => IntJson(*number).serialize(serializer),
            Value::F64(number) => DoubleJson(*number).serialize(serializer),
            Value::StringArray(items) => serializer.collect_seq(items.iter().map(|item| item.as_str())),
            Value::BoolArray(items) => serializer.collect_seq(items),
            Value::I64Array(items) => serializer.collect_seq(items.iter().map(|item| IntJson(*item))),
            Value::F64Array(items) => serializer.collect_seq(items.iter().map(|item| DoubleJson(*item))),
        }
    }
}

/// An int: a JSON number within ±2^53, where every reader's doubles hold it exactly, and a
/// decimal string beyond.
struct IntJson(i64);

impl Serialize for IntJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const SAFE: i64 = 1 << 53;
        if (-SAFE..=SAFE).contains(&self.0) {
            serializer.serialize_i64(self.0)
        } else {
            serializer.collect_str(&self.0)
        }
    }
}

/// A double: a JSON number when finite, else `"NaN"`, `"inf"` or `"-inf"`.
struct DoubleJson(f64);

impl Serialize for DoubleJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() { serializer.serialize_f64(self.0) } else { serializer.collect_str(&self.0) }
    }
}

/// An array of `items`, each written as the view `view(item)` makes.
struct ArrayJson<'a, T, W>(&'a [T], fn(&'a T) -> W);

impl<'a, T, W: Serialize> Serialize for ArrayJson<'a, T, W> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(self.1))
    }
}
