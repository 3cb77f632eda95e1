//! One trace in jaeger-query's UI JSON, as `uiconv.FromDomain` writes it
//! (`internal/uimodel/converter/v1/json/from_domain.go`, `internal/uimodel/model.go`).
//!
//! - `processes` holds one process per distinct resource, keyed `p1`, `p2`, … in order of
//!   first use (`processHashtable`): `serviceName` and the other resource attributes as tags.
//! - A span's parent is its first reference, `CHILD_OF`; its links follow as `FOLLOWS_FROM`
//!   (the collector's `makeJaegerProtoReferences`). `parentSpanID` is not written: the UI
//!   model only fills it for the embedded-process form.
//! - `flags` is `1` for a sampled span and left out otherwise (`omitempty`). Only the
//!   sampled bit is kept: Jaeger reads bit 2 as *debug*, where W3C puts *random*.
//! - `startTime` and `duration` are whole microseconds, rounded down.
//! - `references`, `tags`, `logs` and a process's `tags` are `[]` when empty; `warnings`
//!   (trace and span) is `null`.
//! - Tags are typed `string`, `bool`, `int64` or `float64`. An integer beyond JavaScript's
//!   safe range (±(2^53 − 1)) keeps type `int64` with its value as a string, as jaeger-query
//!   writes it; a non-finite float and an array become `string` (arrays as JSON text).
//! - The tags beyond the span's attributes are the ones the collector's OTLP-to-Jaeger
//!   translator adds, in its order: `otel.scope.name` first, then the attributes, then
//!   `clew.span.label` (where OTLP export puts it), `span.kind` (left out for internal
//!   spans), `otel.status_code` (`OK`/`ERROR`), `error` (`true`, for error status),
//!   `otel.status_description` and `w3c.tracestate`.
//! - A log is `{timestamp, fields}`: `event` (the name), the attributes, then `level` when
//!   the event has one. A span's events and its span logs are its logs, by time. The
//!   trace-level events (no span) are logs of the root — the earliest span without a
//!   parent, or the earliest span — with the extra field `clew.trace_event = true`.

use std::sync::Arc;

use clew::{Event, KeyValue, Resource, SpanKind, Status, TraceEvent, Value};
use clew_store::{StoredSpan, TraceData};
use serde_json::{Map, Value as Json, json};

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const JS_MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// The flags of a sampled span.
const SAMPLED_FLAG: u8 = 1;

/// One trace: `{"traceID", "spans", "processes", "warnings"}`.
pub(crate) fn trace_json(trace: &TraceData) -> Json {
    let root = root_index(trace);
    let mut processes = Processes::default();
    let mut spans = Vec::with_capacity(trace.spans.len());
    for (index, stored) in trace.spans.iter().enumerate() {
        let process_id = processes.id_of(&stored.origin.resource, stored.service());
        spans.push(span_json(trace, stored, &process_id, Some(index) == root));
    }
    json!({
        "traceID": trace.trace_id.to_string(),
        "spans": spans,
        "processes": processes.into_json(),
        "warnings": null,
    })
}

/// The span that carries the trace-level events: the earliest without a parent, else the
/// earliest (spans are kept by start time).
fn root_index(trace: &TraceData) -> Option<usize> {
    let parentless = trace.spans.iter().position(|stored| stored.span.parent_span_id.is_none());
    parentless.or_else(|| (!trace.spans.is_empty()).then_some(0))
}

/// The processes met so far, numbered `p1`, `p2`, … in order of first use.
#[derive(Debug, Default)]
struct Processes<'a> {
    known: Vec<(&'a Arc<Resource>, String)>,
    json: Map<String, Json>,
}

impl<'a> Processes<'a> {
    fn id_of(&mut self, resource: &'a Arc<Resource>, service: &str) -> String {
        let found = self.known.iter().find(|(known, _)| Arc::ptr_eq(known, resource) || **known == *resource);
        if let Some((_, id)) = found {
            return id.clone();
        }
        let id = format!("p{}", self.known.len() + 1);
        let tags: Vec<Json> = resource
            .attributes()
            .iter()
            .filter(|attribute| attribute.key.as_str() != "service.name")
            .map(|attribute| tag(&attribute.key, &attribute.value))
            .collect();
        self.json.insert(id.clone(), json!({ "serviceName": service, "tags": tags }));
        self.known.push((resource, id.clone()));
        id
    }

    fn into_json(self) -> Json {
        Json::Object(self.json)
    }
}

fn span_json(trace: &TraceData, stored: &StoredSpan, process_id: &str, is_root: bool) -> Json {
    let span = &stored.span;
    let mut references = Vec::with_capacity(span.links.len() + 1);
    if let Some(parent) = span.parent_span_id {
        references.push(reference("CHILD_OF", &span.trace_id.to_string(), &parent.to_string()));
    }
    for link in &span.links {
        let context = &link.context;
        references.push(reference("FOLLOWS_FROM", &context.trace_id().to_string(), &context.span_id().to_string()));
    }

    let mut logs: Vec<(u64, Json)> = span
        .events
        .iter()
        .chain(trace.span_logs(span.span_id))
        .map(|event| (event.time_unix_nano, event_log(event)))
        .collect();
    if is_root {
        logs.extend(trace.trace_events().map(|(_, event)| (event.time_unix_nano, trace_event_log(event))));
    }
    // Stable: at the same time, events come before span logs and trace events.
    logs.sort_by_key(|(time, _)| *time);
    let logs: Vec<Json> = logs.into_iter().map(|(_, log)| log).collect();

    let mut object = json!({
        "traceID": span.trace_id.to_string(),
        "spanID": span.span_id.to_string(),
        "operationName": span.name.as_str(),
        "references": references,
        "startTime": micros(span.start_time_unix_nano),
        "duration": micros(span.duration_nanos()),
        "tags": span_tags(stored),
        "logs": logs,
        "processID": process_id,
        "warnings": null,
    });
    if span.trace_flags.is_sampled() {
        if let Json::Object(fields) = &mut object {
            fields.insert("flags".to_owned(), Json::from(SAMPLED_FLAG));
        }
    }
    object
}

fn reference(ref_type: &str, trace_id: &str, span_id: &str) -> Json {
    json!({ "refType": ref_type, "traceID": trace_id, "spanID": span_id })
}

fn span_tags(stored: &StoredSpan) -> Vec<Json> {
    let span = &stored.span;
    let mut tags = Vec::with_capacity(span.attributes.len() + 6);
    if !stored.origin.scope.is_empty() {
        tags.push(string_tag("otel.scope.name", &stored.origin.scope));
    }
    tags.extend(attribute_tags(&span.attributes));
    if let Some(label) = &span.label {
        tags.push(string_tag(clew_otlp::LABEL_ATTRIBUTE, label));
    }
    if span.kind != SpanKind::Internal {
        tags.push(string_tag("span.kind", span.kind.as_str()));
    }
    match &span.status {
        Status::Unset => {}
        Status::Ok => tags.push(string_tag("otel.status_code", "OK")),
        Status::Error { message } => {
            tags.push(string_tag("otel.status_code", "ERROR"));
            tags.push(tag("error", &Value::Bool(true)));
            if !message.is_empty() {
                tags.push(string_tag("otel.status_description", message));
            }
        }
    }
    if let Some(trace_state) = span.trace_state.as_deref().filter(|state| !state.is_empty()) {
        tags.push(string_tag("w3c.tracestate", trace_state));
    }
    tags
}

/// A span event or span log: `event`, the attributes, then `level`.
fn event_log(event: &Event) -> Json {
    let mut fields = Vec::with_capacity(event.attributes.len() + 2);
    if !event.name.is_empty() {
        fields.push(string_tag("event", &event.name));
    }
    fields.extend(attribute_tags(&event.attributes));
    if let Some(level) = event.level {
        fields.push(string_tag(clew_otlp::LEVEL_ATTRIBUTE, level.as_str()));
    }
    json!({ "timestamp": micros(event.time_unix_nano), "fields": fields })
}

/// A trace-level event, as a log of the root span: as [`event_log`], then
/// `clew.trace_event = true`.
fn trace_event_log(event: &TraceEvent) -> Json {
    let mut fields = Vec::with_capacity(event.attributes.len() + 3);
    if !event.name.is_empty() {
        fields.push(string_tag("event", &event.name));
    }
    fields.extend(attribute_tags(&event.attributes));
    fields.push(string_tag(clew_otlp::LEVEL_ATTRIBUTE, event.level.as_str()));
    fields.push(tag("clew.trace_event", &Value::Bool(true)));
    json!({ "timestamp": micros(event.time_unix_nano), "fields": fields })
}

fn attribute_tags(attributes: &[KeyValue]) -> impl Iterator<Item = Json> + '_ {
    attributes.iter().map(|attribute| tag(&attribute.key, &attribute.value))
}

fn string_tag(key: &str, value: &str) -> Json {
    typed(key, "string", Json::from(value))
}

/// A typed Jaeger `KeyValue`.
fn tag(key: &str, value: &Value) -> Json {
    match value {
        Value::String(text) => string_tag(key, text),
        Value::Bool(flag) => typed(key, "bool", Json::Bool(*flag)),
        Value::I64(number) if (-JS_MAX_SAFE_INTEGER..=JS_MAX_SAFE_INTEGER).contains(number) => {
            typed(key, "int64", Json::from(*number))
        }
        Value::I64(number) => typed(key, "int64", Json::from(number.to_string())),
        Value::F64(number) => match serde_json::Number::from_f64(*number) {
            Some(finite) => typed(key, "float64", Json::Number(finite)),
            None => string_tag(key, &number.to_string()),
        },
        Value::BoolArray(_) | Value::I64Array(_) | Value::F64Array(_) | Value::StringArray(_) => {
            string_tag(key, &value.to_string())
        }
    }
}

fn typed(key: &str, value_type: &str, value: Json) -> Json {
    json!({ "key": key, "type": value_type, "value": value })
}

/// Nanoseconds to whole microseconds, rounded down.
fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}
