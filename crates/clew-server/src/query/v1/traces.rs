//! The JSON of traces and trace summaries in `/api/v1` (`traces/{trace_id}` and `search`),
//! written straight from what the store returned.
//!
//! Each type here borrows a part of a [`TraceData`] or [`TraceSummary`] and implements
//! [`Serialize`], so `serde_json::to_writer` turns a trace into its bytes without building a
//! `serde_json::Value` tree first: a trace of 100,000 spans is about 64 MB of JSON, and the
//! tree's allocations, frees and map inserts cost more than the writing itself.
//!
//! The fields of every object are written in alphabetical order, the order in which this API
//! has always written them (its answers used to be `serde_json::Value`s, whose maps are
//! sorted), so the answers are the same bytes as before. The shapes are in `openapi.yaml`:
//! times and durations are decimal strings of nanoseconds, ids are hex, an int attribute
//! outside ±2^53 is a decimal string, and a double that is NaN or infinite is `"NaN"`, `"inf"`
//! or `"-inf"`.

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::fmt::Display;

use clew::{Event, KeyValue, Link, SpanId, Status, TraceEvent, Value};
use clew_store::TraceRecord;
use clew_store::{Origin, StoredRecord, StoredSpan, TraceData, TraceSummary};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// About how many bytes of JSON a span takes when it has a few attributes: enough to
/// reserve the answer's buffer once for most traces.
const BYTES_PER_SPAN: usize = 640;

/// The answer of `/api/v1/traces/{trace_id}`, as bytes of JSON.
///
/// The `Result` is `serde_json`'s: nothing here fails, since writing into a `Vec` cannot and
/// none of these types returns an error.
pub(crate) fn trace_json_bytes(trace: &TraceData) -> serde_json::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(1024 + trace.spans.len() * BYTES_PER_SPAN);
    serde_json::to_writer(&mut bytes, &TraceJson::new(trace))?;
    Ok(bytes)
}

/// A whole trace: `traceId`, its `summary` (`null` without spans), its `spans` and its
/// trace-level `events`.
struct TraceJson<'a> {
    trace: &'a TraceData,
    summary: Option<TraceSummary>,
    /// The log lines of each span, by time: gathered once instead of a pass over all the
    /// records for each span.
    span_logs: HashMap<SpanId, Vec<&'a Event>>,
}

impl<'a> TraceJson<'a> {
    fn new(trace: &'a TraceData) -> TraceJson<'a> {
        let mut span_logs: HashMap<SpanId, Vec<&'a Event>> = HashMap::new();
        for stored in &trace.records {
            if let TraceRecord::SpanLog { span_id, event, .. } = &stored.record {
                span_logs.entry(*span_id).or_default().push(event);
            }
        }
        TraceJson { trace, summary: trace.summary(), span_logs }
    }
}

impl Serialize for TraceJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Trace", 4)?;
        object.serialize_field("events", &TraceEventsJson(&self.trace.records))?;
        object.serialize_field("spans", &SpansJson { spans: &self.trace.spans, span_logs: &self.span_logs })?;
        object.serialize_field("summary", &self.summary.as_ref().map(SummaryJson))?;
        object.serialize_field("traceId", &AsString(self.trace.trace_id))?;
        object.end()
    }
}

/// The trace-level events among a trace's records, by time.
struct TraceEventsJson<'a>(&'a [StoredRecord]);

impl Serialize for TraceEventsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().filter_map(|stored| match &stored.record {
            TraceRecord::TraceEvent(event) => Some(TraceEventJson { origin: &stored.origin, event }),
            TraceRecord::SpanLog { .. } => None,
        }))
    }
}

struct TraceEventJson<'a> {
    origin: &'a Origin,
    event: &'a TraceEvent,
}

impl Serialize for TraceEventJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.event;
        let mut object = serializer.serialize_struct("TraceEvent", 5)?;
        object.serialize_field("attributes", &AttributesJson(&event.attributes))?;
        object.serialize_field("level", event.level.as_str())?;
        object.serialize_field("name", event.name.as_str())?;
        object.serialize_field("service", self.origin.service())?;
        object.serialize_field("timeUnixNano", &AsString(event.time_unix_nano))?;
        object.end()
    }
}

struct SpansJson<'a> {
    spans: &'a [StoredSpan],
    span_logs: &'a HashMap<SpanId, Vec<&'a Event>>,
}

impl Serialize for SpansJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.spans.iter().map(|stored| SpanJson {
            stored,
            logs: self.span_logs.get(&stored.span.span_id).map_or(&[], Vec::as_slice),
        }))
    }
}

/// A span with its service, scope and resource, and the log lines written in it.
struct SpanJson<'a> {
    stored: &'a StoredSpan,
    logs: &'a [&'a Event],
}

impl Serialize for SpanJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stored = self.stored;
        let span = &stored.span;
        let mut object = serializer.serialize_struct("Span", 23)?;
        object.serialize_field("attributes", &AttributesJson(&span.attributes))?;
        object.serialize_field("droppedAttributesCount", &span.dropped_attributes_count)?;
        object.serialize_field("droppedEventsCount", &span.dropped_events_count)?;
        object.serialize_field("droppedLinksCount", &span.dropped_links_count)?;
        object.serialize_field("durationNanos", &AsString(span.duration_nanos()))?;
        object.serialize_field("endTimeUnixNano", &AsString(span.end_time_unix_nano))?;
        object.serialize_field("events", &ArrayJson(&span.events, EventJson))?;
        object.serialize_field("kind", span.kind.as_str())?;
        object.serialize_field("label", &span.label.as_deref())?;
        object.serialize_field("links", &ArrayJson(&span.links, LinkJson))?;
        object.serialize_field("logs", &ArrayJson(self.logs, |event: &&Event| EventJson(event)))?;
        object.serialize_field("name", span.name.as_str())?;
        object.serialize_field("parentIsRemote", &span.parent_is_remote)?;
        object.serialize_field("parentSpanId", &span.parent_span_id.map(AsString))?;
        object.serialize_field("resource", &AttributesJson(stored.origin.resource.attributes()))?;
        object.serialize_field("scope", stored.origin.scope.as_str())?;
        object.serialize_field("service", stored.service())?;
        object.serialize_field("spanId", &AsString(span.span_id))?;
        object.serialize_field("startTimeUnixNano", &AsString(span.start_time_unix_nano))?;
        object.serialize_field("status", &StatusJson(&span.status))?;
        object.serialize_field("traceFlags", &span.trace_flags.to_u8())?;
        object.serialize_field("traceId", &AsString(span.trace_id))?;
        object.serialize_field("traceState", &span.trace_state.as_deref())?;
        object.end()
    }
}

/// An event of a span, or a log line written in it: `level` is `null` when it has none.
struct EventJson<'a>(&'a Event);

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let mut object = serializer.serialize_struct("Event", 5)?;
        object.serialize_field("attributes", &AttributesJson(&event.attributes))?;
        object.serialize_field("droppedAttributesCount", &event.dropped_attributes_count)?;
        object.serialize_field("level", &event.level.map(|level| level.as_str()))?;
        object.serialize_field("name", event.name.as_str())?;
        object.serialize_field("timeUnixNano", &AsString(event.time_unix_nano))?;
        object.end()
    }
}

struct LinkJson<'a>(&'a Link);

impl Serialize for LinkJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let link = self.0;
        let mut object = serializer.serialize_struct("Link", 6)?;
        object.serialize_field("attributes", &AttributesJson(&link.attributes))?;
        object.serialize_field("droppedAttributesCount", &link.dropped_attributes_count)?;
        object.serialize_field("remote", &link.context.is_remote())?;
        object.serialize_field("spanId", &AsString(link.context.span_id()))?;
        object.serialize_field("traceId", &AsString(link.context.trace_id()))?;
        object.serialize_field("traceState", &link.context.trace_state().map(|state| state.as_str()))?;
        object.end()
    }
}

/// `{"code": "unset"}`, `{"code": "ok"}` or `{"code": "error", "message": …}`.
struct StatusJson<'a>(&'a Status);

impl Serialize for StatusJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (code, message) = match self.0 {
            Status::Unset => ("unset", None),
            Status::Ok => ("ok", None),
            Status::Error { message } => ("error", Some(message.as_str())),
        };
        let mut object = serializer.serialize_struct("Status", 1 + usize::from(message.is_some()))?;
        object.serialize_field("code", code)?;
        if let Some(message) = message {
            object.serialize_field("message", message)?;
        }
        object.end()
    }
}

/// The answer of `/api/v1/search`: `{"traces": [summary, …]}`.
pub(crate) struct SearchJson(pub(crate) Vec<TraceSummary>);

impl Serialize for SearchJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Search", 1)?;
        object.serialize_field("traces", &ArrayJson(&self.0, SummaryJson))?;
        object.end()
    }
}

/// A trace in `/api/v1/search` and in a trace's answer.
struct SummaryJson<'a>(&'a TraceSummary);

impl Serialize for SummaryJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let summary = self.0;
        let mut object = serializer.serialize_struct("Summary", 9)?;
        object.serialize_field("durationNanos", &AsString(summary.duration_nanos))?;
        object.serialize_field("errorCount", &summary.error_count)?;
        object.serialize_field("rootFound", &summary.root_found)?;
        object.serialize_field("rootOperation", &summary.root_operation)?;
        object.serialize_field("rootService", &summary.root_service)?;
        object.serialize_field("services", &ArrayJson(&summary.services, ServiceCountJson))?;
        object.serialize_field("spanCount", &summary.span_count)?;
        object.serialize_field("startTimeUnixNano", &AsString(summary.start_unix_nano))?;
        object.serialize_field("traceId", &AsString(summary.trace_id))?;
        object.end()
    }
}

/// `{"name": …, "spanCount": …}`: a service of a trace and how many of its spans it made.
struct ServiceCountJson<'a>(&'a (String, u64));

impl Serialize for ServiceCountJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (name, span_count) = self.0;
        let mut object = serializer.serialize_struct("ServiceCount", 2)?;
        object.serialize_field("name", name)?;
        object.serialize_field("spanCount", span_count)?;
        object.end()
    }
}

/// Attributes as `[{"key": …, "type": …, "value": …}, …]`, in their order.
struct AttributesJson<'a>(&'a [KeyValue]);

impl Serialize for AttributesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(AttributeJson))
    }
}

struct AttributeJson<'a>(&'a KeyValue);

impl Serialize for AttributeJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let attribute = self.0;
        let mut object = serializer.serialize_struct("Attribute", 3)?;
        object.serialize_field("key", attribute.key.as_str())?;
        object.serialize_field("type", value_type(&attribute.value))?;
        object.serialize_field("value", &ValueJson(&attribute.value))?;
        object.end()
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

/// A JSON string of what `Display` writes: decimal times and durations, hex ids.
struct AsString<T>(T);

impl<T: Display> Serialize for AsString<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// An array of `items`, each written as `write(item)`.
struct ArrayJson<'a, T, W>(&'a [T], fn(&'a T) -> W);

impl<'a, T, W: Serialize> Serialize for ArrayJson<'a, T, W> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(self.1))
    }
}
