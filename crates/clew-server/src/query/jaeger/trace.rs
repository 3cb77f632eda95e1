//! The JSON of whole traces in Jaeger's classic API (`/api/traces/{trace_id}` and the
//! `/api/traces` search), written straight from what the store returned.
//!
//! Each type here borrows a part of a [`TraceData`] and implements [`Serialize`], so
//! `serde_json::to_writer` turns traces into their bytes without building a
//! `serde_json::Value` tree first: for a trace of 100,000 spans the tree's allocations,
//! frees and map inserts cost more than the writing itself.
//!
//! The fields of every object are written in alphabetical order, the order in which this API
//! has always written them (its answers used to be `serde_json::Value`s, whose maps are
//! sorted), and so are the keys of `processes` (`p1`, `p10`, `p2`, …): the answers are the
//! same bytes as before. The mapping itself is described in the parent module.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt::Display;

use clew::{Event, KeyValue, Resource, SpanId, SpanKind, Status, TraceEvent, Value};
use clew_store::TraceRecord;
use clew_store::{StoredSpan, TraceData};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

/// About how many bytes of JSON a span takes when it has a few tags: enough to reserve the
/// answer's buffer once for most traces.
const BYTES_PER_SPAN: usize = 512;

/// `{"data": [trace, …], "errors": null, "limit": 0, "offset": 0, "total": N}`: the answer
/// of `/api/traces/{trace_id}` (one trace) and of the `/api/traces` search, as bytes of JSON.
///
/// The `Result` is `serde_json`'s: nothing here fails, since writing into a `Vec` cannot and
/// none of these types returns an error.
pub(crate) fn traces_envelope_bytes(traces: &[TraceData]) -> serde_json::Result<Vec<u8>> {
    let span_count: usize = traces.iter().map(|trace| trace.spans.len()).sum();
    let mut bytes = Vec::with_capacity(1024 + span_count * BYTES_PER_SPAN);
    serde_json::to_writer(&mut bytes, &EnvelopeJson(traces))?;
    Ok(bytes)
}

/// jaeger-query's `structuredResponse` around traces, without errors.
struct EnvelopeJson<'a>(&'a [TraceData]);

impl Serialize for EnvelopeJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Envelope", 5)?;
        object.serialize_field("data", &TracesJson(self.0))?;
        object.serialize_field("errors", &())?;
        object.serialize_field("limit", &0)?;
        object.serialize_field("offset", &0)?;
        object.serialize_field("total", &self.0.len())?;
        object.end()
    }
}

struct TracesJson<'a>(&'a [TraceData]);

impl Serialize for TracesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items = serializer.serialize_seq(Some(self.0.len()))?;
        for trace in self.0 {
            items.serialize_element(&TraceJson::new(trace))?;
        }
        items.end()
    }
}

/// One trace: `processes`, `spans`, `traceID`, `warnings` (`null`).
struct TraceJson<'a> {
    trace: &'a TraceData,
    /// One process per distinct resource, in order of first use: its resource and the
    /// service of the span that first used it. `p1` is the first.
    processes: Vec<(&'a Resource, &'a str)>,
    /// The index in `processes` of each span's process.
    span_processes: Vec<usize>,
    /// The span that takes the trace-level events as logs: the first without a parent, else
    /// the first.
    root: Option<usize>,
    /// The log lines of each span, by time: gathered once instead of a pass over all the
    /// records for each span.
    span_logs: HashMap<SpanId, Vec<&'a Event>>,
}

impl<'a> TraceJson<'a> {
    fn new(trace: &'a TraceData) -> TraceJson<'a> {
        let mut processes: Vec<(&'a Resource, &'a str)> = Vec::new();
        let mut span_processes = Vec::with_capacity(trace.spans.len());
        for stored in &trace.spans {
            let resource = &*stored.origin.resource;
            // Resources are told apart by value, as they always were.
            let index = match processes.iter().position(|(known, _)| *known == resource) {
                Some(index) => index,
                None => {
                    processes.push((resource, stored.service()));
                    processes.len() - 1
                }
            };
            span_processes.push(index);
        }
        let root = trace
            .spans
            .iter()
            .position(|stored| stored.span.parent_span_id.is_none())
            .or_else(|| (!trace.spans.is_empty()).then_some(0));
        let mut span_logs: HashMap<SpanId, Vec<&'a Event>> = HashMap::new();
        for stored in &trace.records {
            if let TraceRecord::SpanLog { span_id, event, .. } = &stored.record {
                span_logs.entry(*span_id).or_default().push(event);
            }
        }
        TraceJson { trace, processes, span_processes, root, span_logs }
    }
}

impl Serialize for TraceJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Trace", 4)?;
        object.serialize_field("processes", &ProcessesJson(&self.processes))?;
        object.serialize_field("spans", &SpansJson(self))?;
        object.serialize_field("traceID", &AsString(self.trace.trace_id))?;
        object.serialize_field("warnings", &())?;
        object.end()
    }
}

/// `{"p1": process, "p2": …}`, its keys in the order of a sorted map's (`p10` before `p2`).
struct ProcessesJson<'a>(&'a [(&'a Resource, &'a str)]);

impl Serialize for ProcessesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut ids: Vec<(String, usize)> =
            (0..self.0.len()).map(|index| (process_id(index).to_string(), index)).collect();
        ids.sort();
        let mut map = serializer.serialize_map(Some(ids.len()))?;
        for (id, index) in &ids {
            let (resource, service) = self.0[*index];
            map.serialize_entry(id, &ProcessJson { resource, service })?;
        }
        map.end()
    }
}

/// `p1`, `p2`, …: the id of the process at `index`.
fn process_id(index: usize) -> ProcessId {
    ProcessId(index)
}

struct ProcessId(usize);

impl Display for ProcessId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "p{}", self.0 + 1)
    }
}

/// `{"serviceName": …, "tags": [the resource's attributes but service.name]}`.
struct ProcessJson<'a> {
    resource: &'a Resource,
    service: &'a str,
}

impl Serialize for ProcessJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Process", 2)?;
        object.serialize_field("serviceName", self.service)?;
        object.serialize_field("tags", &ProcessTagsJson(self.resource.attributes()))?;
        object.end()
    }
}

struct ProcessTagsJson<'a>(&'a [KeyValue]);

impl Serialize for ProcessTagsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer
            .collect_seq(self.0.iter().filter(|attribute| attribute.key.as_ref() != "service.name").map(TagJson::of))
    }
}

struct SpansJson<'a>(&'a TraceJson<'a>);

impl Serialize for SpansJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let trace = self.0;
        let mut items = serializer.serialize_seq(Some(trace.trace.spans.len()))?;
        for (index, stored) in trace.trace.spans.iter().enumerate() {
            items.serialize_element(&SpanJson { trace, index, stored })?;
        }
        items.end()
    }
}

/// A span: its parent and links as `references`, its kind, status, scope, label and trace
/// state as tags after its attributes, its events and log lines (and on the root the
/// trace-level events) as `logs` by time.
struct SpanJson<'a> {
    trace: &'a TraceJson<'a>,
    index: usize,
    stored: &'a StoredSpan,
}

impl Serialize for SpanJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let span = &self.stored.span;
        let mut object = serializer.serialize_struct("Span", 11)?;
        object.serialize_field("duration", &micros(span.duration_nanos()))?;
        object.serialize_field("flags", &span.trace_flags.to_u8())?;
        object.serialize_field("logs", &LogsJson(self.logs()))?;
        object.serialize_field("operationName", span.name.as_ref())?;
        object.serialize_field("processID", &AsString(process_id(self.trace.span_processes[self.index])))?;
        object.serialize_field("references", &ReferencesJson(self.stored))?;
        object.serialize_field("spanID", &AsString(span.span_id))?;
        object.serialize_field("startTime", &micros(span.start_time_unix_nano))?;
        object.serialize_field("tags", &SpanTagsJson(self.stored))?;
        object.serialize_field("traceID", &AsString(span.trace_id))?;
        object.serialize_field("warnings", &())?;
        object.end()
    }
}

impl<'a> SpanJson<'a> {
    /// The span's events, then its log lines, then on the root the trace-level events, in a
    /// stable sort by time.
    fn logs(&self) -> Vec<(u64, LogJson<'a>)> {
        let span = &self.stored.span;
        let span_logs = self.trace.span_logs.get(&span.span_id).map_or(&[][..], Vec::as_slice);
        let mut logs: Vec<(u64, LogJson<'a>)> = Vec::with_capacity(span.events.len() + span_logs.len());
        for event in span.events.iter().chain(span_logs.iter().copied()) {
            logs.push((event.time_unix_nano, LogJson::Event(event)));
        }
        if Some(self.index) == self.trace.root {
            for (_, event) in self.trace.trace.trace_events() {
                logs.push((event.time_unix_nano, LogJson::TraceEvent(event)));
            }
        }
        logs.sort_by_key(|(time, _)| *time);
        logs
    }
}

struct LogsJson<'a>(Vec<(u64, LogJson<'a>)>);

impl Serialize for LogsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(_, log)| log))
    }
}

/// `{"fields": […], "timestamp": µs}`: an event or log line of the span (`event`, `level`
/// when it has one, then its attributes), or a trace-level event (`event`, `level`,
/// `clew.trace_event`, then its attributes).
enum LogJson<'a> {
    Event(&'a Event),
    TraceEvent(&'a TraceEvent),
}

impl Serialize for LogJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Log", 2)?;
        object.serialize_field("fields", &LogFieldsJson(self))?;
        let time = match self {
            LogJson::Event(event) => event.time_unix_nano,
            LogJson::TraceEvent(event) => event.time_unix_nano,
        };
        object.serialize_field("timestamp", &micros(time))?;
        object.end()
    }
}

struct LogFieldsJson<'a>(&'a LogJson<'a>);

impl Serialize for LogFieldsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_seq(None)?;
        let attributes = match self.0 {
            LogJson::Event(event) => {
                fields.serialize_element(&TagJson::text("event", event.name.as_ref()))?;
                if let Some(level) = event.level {
                    fields.serialize_element(&TagJson::text("level", level.as_str()))?;
                }
                &event.attributes
            }
            LogJson::TraceEvent(event) => {
                fields.serialize_element(&TagJson::text("event", event.name.as_ref()))?;
                fields.serialize_element(&TagJson::text("level", event.level.as_str()))?;
                fields.serialize_element(&TagJson::flag("clew.trace_event", true))?;
                &event.attributes
            }
        };
        for attribute in attributes {
            fields.serialize_element(&TagJson::of(attribute))?;
        }
        fields.end()
    }
}

/// `CHILD_OF` the parent, then `FOLLOWS_FROM` each link.
struct ReferencesJson<'a>(&'a StoredSpan);

impl Serialize for ReferencesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let span = &self.0.span;
        let mut references =
            serializer.serialize_seq(Some(usize::from(span.parent_span_id.is_some()) + span.links.len()))?;
        if let Some(parent) = span.parent_span_id {
            references.serialize_element(&ReferenceJson {
                kind: "CHILD_OF",
                trace_id: span.trace_id,
                span_id: parent,
            })?;
        }
        for link in &span.links {
            references.serialize_element(&ReferenceJson {
                kind: "FOLLOWS_FROM",
                trace_id: link.context.trace_id(),
                span_id: link.context.span_id(),
            })?;
        }
        references.end()
    }
}

struct ReferenceJson {
    kind: &'static str,
    trace_id: clew::TraceId,
    span_id: SpanId,
}

impl Serialize for ReferenceJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Reference", 3)?;
        object.serialize_field("refType", self.kind)?;
        object.serialize_field("spanID", &AsString(self.span_id))?;
        object.serialize_field("traceID", &AsString(self.trace_id))?;
        object.end()
    }
}

/// The span's attributes, then `span.kind` (unless internal), the status (`error`,
/// `otel.status_code`, `otel.status_description`), `otel.scope.name`, `clew.span.label` and
/// `w3c.tracestate` when they are set.
struct SpanTagsJson<'a>(&'a StoredSpan);

impl Serialize for SpanTagsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stored = self.0;
        let span = &stored.span;
        let mut tags = serializer.serialize_seq(None)?;
        for attribute in &span.attributes {
            tags.serialize_element(&TagJson::of(attribute))?;
        }
        if span.kind != SpanKind::Internal {
            tags.serialize_element(&TagJson::text("span.kind", span.kind.as_str()))?;
        }
        match &span.status {
            Status::Error { message } => {
                tags.serialize_element(&TagJson::flag("error", true))?;
                tags.serialize_element(&TagJson::text("otel.status_code", "ERROR"))?;
                if !message.is_empty() {
                    tags.serialize_element(&TagJson::text("otel.status_description", message.as_ref()))?;
                }
            }
            Status::Ok => tags.serialize_element(&TagJson::text("otel.status_code", "OK"))?,
            Status::Unset => {}
        }
        if !stored.origin.scope.is_empty() {
            tags.serialize_element(&TagJson::text("otel.scope.name", stored.origin.scope.as_ref()))?;
        }
        if let Some(label) = &span.label {
            tags.serialize_element(&TagJson::text(clew_otlp::LABEL_ATTRIBUTE, label.as_ref()))?;
        }
        if let Some(state) = &span.trace_state {
            tags.serialize_element(&TagJson::text("w3c.tracestate", state.as_ref()))?;
        }
        tags.end()
    }
}

/// `{"key": …, "type": …, "value": …}`: a typed tag. Strings, bools, ints and finite doubles
/// keep their type (`string`, `bool`, `int64`, `float64`); arrays and doubles that are not
/// finite are strings of their text.
struct TagJson<'a> {
    key: &'a str,
    value: TagValue<'a>,
}

enum TagValue<'a> {
    Attribute(&'a Value),
    Text(&'a str),
    Flag(bool),
}

impl<'a> TagJson<'a> {
    fn of(attribute: &'a KeyValue) -> TagJson<'a> {
        TagJson { key: attribute.key.as_ref(), value: TagValue::Attribute(&attribute.value) }
    }

    fn text(key: &'a str, text: &'a str) -> TagJson<'a> {
        TagJson { key, value: TagValue::Text(text) }
    }

    fn flag(key: &'a str, flag: bool) -> TagJson<'a> {
        TagJson { key, value: TagValue::Flag(flag) }
    }
}

impl Serialize for TagJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Tag", 3)?;
        object.serialize_field("key", self.key)?;
        match self.value {
            TagValue::Text(text) => {
                object.serialize_field("type", "string")?;
                object.serialize_field("value", text)?;
            }
            TagValue::Flag(flag) => {
                object.serialize_field("type", "bool")?;
                object.serialize_field("value", &flag)?;
            }
            TagValue::Attribute(value) => match value {
                Value::String(text) => {
                    object.serialize_field("type", "string")?;
                    object.serialize_field("value", text.as_ref())?;
                }
                Value::Bool(flag) => {
                    object.serialize_field("type", "bool")?;
                    object.serialize_field("value", flag)?;
                }
                Value::I64(number) => {
                    object.serialize_field("type", "int64")?;
                    object.serialize_field("value", number)?;
                }
                Value::F64(number) if number.is_finite() => {
                    object.serialize_field("type", "float64")?;
                    object.serialize_field("value", number)?;
                }
                other => {
                    object.serialize_field("type", "string")?;
                    object.serialize_field("value", &AsString(other))?;
                }
            },
        }
        object.end()
    }
}

fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}

/// A JSON string of what `Display` writes: hex ids, process ids, the text of arrays.
struct AsString<T>(T);

impl<T: Display> Serialize for AsString<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}
