//! The JSON of whole traces in Jaeger's classic API (`/api/traces/{trace_id}` and the
//! `/api/traces` search), written straight from what the store returned.
//!
//! Each object of these answers is a view that borrows a part of a [`TraceData`] and derives
//! [`Serialize`]; each array is an adapter that makes the view of one stored item at a time,
//! as it is written. So `serde_json::to_writer` turns traces into their bytes without
//! building a `serde_json::Value` tree or a copy of their spans first: for a trace of 100,000
//! spans the tree's allocations, frees and map inserts cost more than the writing itself.
//!
//! The fields of every object are written in alphabetical order, the order in which this API
//! has always written them (its answers used to be `serde_json::Value`s, whose maps are
//! sorted): the fields of each view are declared in that order, and `processes` is a sorted
//! map (`p1`, `p10`, `p2`, …), so the answers are the same bytes as before. The mapping
//! itself is described in the parent module.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use clew::{Event, KeyValue, Resource, SpanId, SpanKind, Status, TraceEvent, TraceId, Value};
use clew_store::{StoredSpan, TraceData};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::query::AsString;

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
    let envelope = EnvelopeJson { data: TracesJson(traces), errors: (), limit: 0, offset: 0, total: traces.len() };
    let mut bytes = Vec::with_capacity(1024 + span_count * BYTES_PER_SPAN);
    serde_json::to_writer(&mut bytes, &envelope)?;
    Ok(bytes)
}

/// jaeger-query's `structuredResponse` around traces, without errors.
#[derive(Serialize)]
struct EnvelopeJson<'a> {
    data: TracesJson<'a>,
    /// `null`.
    errors: (),
    limit: u64,
    offset: u64,
    total: usize,
}

struct TracesJson<'a>(&'a [TraceData]);

impl Serialize for TracesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items = serializer.serialize_seq(Some(self.0.len()))?;
        for trace in self.0 {
            let index = TraceIndex::new(trace);
            items.serialize_element(&TraceJson::new(&index))?;
        }
        items.end()
    }
}

/// What the spans of one trace are written with besides themselves, gathered once per
/// trace.
struct TraceIndex<'a> {
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

impl<'a> TraceIndex<'a> {
    fn new(trace: &'a TraceData) -> TraceIndex<'a> {
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
        let root = trace.root_position();
        let span_logs = trace.span_logs_by_span();
        TraceIndex { trace, processes, span_processes, root, span_logs }
    }
}

/// One trace: `processes`, `spans`, `traceID`, `warnings` (`null`).
#[derive(Serialize)]
struct TraceJson<'a> {
    /// By id, in the order of a sorted map's keys (`p10` before `p2`).
    processes: BTreeMap<String, ProcessJson<'a>>,
    spans: SpansJson<'a>,
    #[serde(rename = "traceID")]
    trace_id: AsString<TraceId>,
    /// `null`.
    warnings: (),
}

impl<'a> TraceJson<'a> {
    fn new(index: &'a TraceIndex<'a>) -> TraceJson<'a> {
        let processes = index
            .processes
            .iter()
            .enumerate()
            .map(|(number, (resource, service))| (process_id(number).to_string(), ProcessJson::new(resource, service)))
            .collect();
        TraceJson { processes, spans: SpansJson(index), trace_id: AsString(index.trace.trace_id), warnings: () }
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
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProcessJson<'a> {
    service_name: &'a str,
    tags: ProcessTagsJson<'a>,
}

impl<'a> ProcessJson<'a> {
    fn new(resource: &'a Resource, service: &'a str) -> ProcessJson<'a> {
        ProcessJson { service_name: service, tags: ProcessTagsJson(resource.attributes()) }
    }
}

struct ProcessTagsJson<'a>(&'a [KeyValue]);

impl Serialize for ProcessTagsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer
            .collect_seq(self.0.iter().filter(|attribute| attribute.key.as_ref() != "service.name").map(TagJson::of))
    }
}

struct SpansJson<'a>(&'a TraceIndex<'a>);

impl Serialize for SpansJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let trace = self.0;
        serializer.collect_seq(
            trace.trace.spans.iter().enumerate().map(|(index, stored)| SpanJson::new(trace, index, stored)),
        )
    }
}

/// A span: its parent and links as `references`, its kind, status, scope, label and trace
/// state as tags after its attributes, its events and log lines (and on the root the
/// trace-level events) as `logs` by time.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanJson<'a> {
    /// µs.
    duration: u64,
    flags: u8,
    logs: LogsJson<'a>,
    operation_name: &'a str,
    #[serde(rename = "processID")]
    process_id: AsString<ProcessId>,
    references: ReferencesJson<'a>,
    #[serde(rename = "spanID")]
    span_id: AsString<SpanId>,
    /// µs.
    start_time: u64,
    tags: SpanTagsJson<'a>,
    #[serde(rename = "traceID")]
    trace_id: AsString<TraceId>,
    /// `null`.
    warnings: (),
}

impl<'a> SpanJson<'a> {
    fn new(trace: &'a TraceIndex<'a>, index: usize, stored: &'a StoredSpan) -> SpanJson<'a> {
        let span = &stored.span;
        SpanJson {
            duration: micros(span.duration_nanos()),
            flags: span.trace_flags.to_u8(),
            logs: LogsJson(logs(trace, index, stored)),
            operation_name: span.name.as_ref(),
            process_id: AsString(process_id(trace.span_processes[index])),
            references: ReferencesJson(stored),
            span_id: AsString(span.span_id),
            start_time: micros(span.start_time_unix_nano),
            tags: SpanTagsJson(stored),
            trace_id: AsString(span.trace_id),
            warnings: (),
        }
    }
}

/// The span's events, then its log lines, then on the root the trace-level events, in a
/// stable sort by time.
fn logs<'a>(trace: &'a TraceIndex<'a>, index: usize, stored: &'a StoredSpan) -> Vec<Log<'a>> {
    let span = &stored.span;
    let span_logs = trace.span_logs.get(&span.span_id).map_or(&[][..], Vec::as_slice);
    let mut logs: Vec<Log<'a>> = Vec::with_capacity(span.events.len() + span_logs.len());
    for event in span.events.iter().chain(span_logs.iter().copied()) {
        logs.push(Log::Event(event));
    }
    if Some(index) == trace.root {
        for (_, event) in trace.trace.trace_events() {
            logs.push(Log::TraceEvent(event));
        }
    }
    logs.sort_by_key(Log::time_unix_nano);
    logs
}

/// What a log of a span is made of: an event or log line of the span, or a trace-level
/// event.
#[derive(Clone, Copy)]
enum Log<'a> {
    Event(&'a Event),
    TraceEvent(&'a TraceEvent),
}

impl Log<'_> {
    fn time_unix_nano(&self) -> u64 {
        match self {
            Log::Event(event) => event.time_unix_nano,
            Log::TraceEvent(event) => event.time_unix_nano,
        }
    }
}

struct LogsJson<'a>(Vec<Log<'a>>);

impl Serialize for LogsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.0.iter().map(|log| LogJson { fields: LogFieldsJson(*log), timestamp: micros(log.time_unix_nano()) }),
        )
    }
}

/// `{"fields": […], "timestamp": µs}`.
#[derive(Serialize)]
struct LogJson<'a> {
    fields: LogFieldsJson<'a>,
    timestamp: u64,
}

/// The fields of an event or log line of the span: `event`, `level` when it has one, then
/// its attributes; of a trace-level event: `event`, `level`, `clew.trace_event`, then its
/// attributes.
struct LogFieldsJson<'a>(Log<'a>);

impl Serialize for LogFieldsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_seq(None)?;
        let attributes = match self.0 {
            Log::Event(event) => {
                fields.serialize_element(&TagJson::text("event", event.name.as_ref()))?;
                if let Some(level) = event.level {
                    fields.serialize_element(&TagJson::text("level", level.as_str()))?;
                }
                &event.attributes
            }
            Log::TraceEvent(event) => {
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
            references.serialize_element(&ReferenceJson::new("CHILD_OF", span.trace_id, parent))?;
        }
        for link in &span.links {
            references.serialize_element(&ReferenceJson::new(
                "FOLLOWS_FROM",
                link.context.trace_id(),
                link.context.span_id(),
            ))?;
        }
        references.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReferenceJson {
    ref_type: &'static str,
    #[serde(rename = "spanID")]
    span_id: AsString<SpanId>,
    #[serde(rename = "traceID")]
    trace_id: AsString<TraceId>,
}

impl ReferenceJson {
    fn new(ref_type: &'static str, trace_id: TraceId, span_id: SpanId) -> ReferenceJson {
        ReferenceJson { ref_type, span_id: AsString(span_id), trace_id: AsString(trace_id) }
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

/// `{"key": …, "type": …, "value": …}`: a typed tag.
#[derive(Serialize)]
struct TagJson<'a> {
    key: &'a str,
    #[serde(flatten)]
    value: TagValue<'a>,
}

/// A tag's `type` and `value`. Strings, bools, ints and finite doubles keep their type
/// (`string`, `bool`, `int64`, `float64`); arrays and doubles that are not finite are
/// strings of their text.
#[derive(Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
enum TagValue<'a> {
    String(&'a str),
    Bool(bool),
    Int64(i64),
    Float64(f64),
    #[serde(rename = "string")]
    Text(AsString<&'a Value>),
}

impl<'a> TagJson<'a> {
    fn of(attribute: &'a KeyValue) -> TagJson<'a> {
        let value = match &attribute.value {
            Value::String(text) => TagValue::String(text.as_ref()),
            Value::Bool(flag) => TagValue::Bool(*flag),
            Value::I64(number) => TagValue::Int64(*number),
            Value::F64(number) if number.is_finite() => TagValue::Float64(*number),
            other => TagValue::Text(AsString(other)),
        };
        TagJson { key: attribute.key.as_ref(), value }
    }

    fn text(key: &'a str, text: &'a str) -> TagJson<'a> {
        TagJson { key, value: TagValue::String(text) }
    }

    fn flag(key: &'a str, flag: bool) -> TagJson<'a> {
        TagJson { key, value: TagValue::Bool(flag) }
    }
}

fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}
