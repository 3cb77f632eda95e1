//! clew batches to OTLP export requests, and requests to protobuf bytes.

use clew::{Batch, Event, Level, Link, SpanData, SpanKind, Status, TraceEvent};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span, status};
use prost::Message;

use crate::value::{key_value, key_values};
use crate::{FLAGS_HAS_IS_REMOTE, FLAGS_IS_REMOTE, LABEL_ATTRIBUTE, LEVEL_ATTRIBUTE};
#[cfg(feature = "store")]
use clew_store::TraceRecord;

/// The OTLP trace export request of a batch's spans: one `ResourceSpans` with the batch's
/// resource, holding one `ScopeSpans` named `scope` (its version is clew's).
///
/// The batch's trace-level events are not in it; see [`logs_request`]. A span's `label`
/// becomes the attribute [`LABEL_ATTRIBUTE`], and an event's `level` the attribute
/// [`LEVEL_ATTRIBUTE`], each added after the other attributes.
///
/// ```
/// use std::sync::Arc;
/// let batch = clew::Batch::new(Arc::new(clew::Resource::default()), Vec::new(), Vec::new());
/// let request = clew_otlp::traces_request(&batch, "checkout");
/// let scope = request.resource_spans[0].scope_spans[0].scope.as_ref().unwrap();
/// assert_eq!(scope.name, "checkout");
/// ```
pub fn traces_request(batch: &Batch, scope: &str) -> ExportTraceServiceRequest {
    traces_request_of_groups([(&*batch.resource, scope, batch.spans.as_slice())])
}

/// The OTLP trace export request of several groups of spans, each with its resource and
/// instrumentation scope name: one `ResourceSpans` per group, mapped as [`traces_request`]
/// maps a batch.
///
/// ```
/// let resource = clew::Resource::new([clew::KeyValue::new("service.name", "shop")]);
/// let request = clew_otlp::traces_request_of_groups([(&resource, "a", &[][..]), (&resource, "b", &[][..])]);
/// assert_eq!(request.resource_spans.len(), 2);
/// ```
pub fn traces_request_of_groups<'a>(
    groups: impl IntoIterator<Item = (&'a clew::Resource, &'a str, &'a [SpanData])>,
) -> ExportTraceServiceRequest {
    let resource_spans = groups
        .into_iter()
        .map(|(group_resource, scope, spans)| {
            let spans = spans.iter().map(span).collect();
            let scope_spans =
                ScopeSpans { scope: Some(instrumentation_scope(scope)), spans, schema_url: String::new() };
            ResourceSpans {
                resource: Some(resource(group_resource)),
                scope_spans: vec![scope_spans],
                schema_url: String::new(),
            }
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// The OTLP logs export request of a batch's trace-level events: each event is a log record
/// with the trace id, an empty span id, the level as severity number and text, and the
/// event's name as both `event_name` and a string body.
///
/// ```
/// use std::sync::Arc;
/// let event = clew::TraceEvent {
///     trace_id: clew::TraceId::from_u128(7),
///     time_unix_nano: 1,
///     level: clew::Level::Warn,
///     name: "queue.full".into(),
///     attributes: Vec::new(),
/// };
/// let batch = clew::Batch::new(Arc::new(clew::Resource::default()), Vec::new(), vec![event]);
/// let request = clew_otlp::logs_request(&batch, "checkout");
/// let record = &request.resource_logs[0].scope_logs[0].log_records[0];
/// assert!(record.span_id.is_empty());
/// assert_eq!((record.severity_number, record.severity_text.as_str()), (13, "WARN"));
/// ```
pub fn logs_request(batch: &Batch, scope: &str) -> ExportLogsServiceRequest {
    let log_records = batch.events.iter().map(log_record).collect();
    logs_request_of(vec![(resource(&batch.resource), scope, log_records)])
}

/// The OTLP logs export request of groups of trace records (trace-level events and span
/// logs), each with its resource and instrumentation scope name. A trace event becomes a
/// record as in [`logs_request`]; a span log a record with both ids, its level as severity
/// and its name as `event_name` and body.
///
/// ```
/// let log = clew_store::TraceRecord::SpanLog {
///     trace_id: clew::TraceId::from_u128(7),
///     span_id: clew::SpanId::from_u64(8),
///     event: clew::Event {
///         name: "retry".into(),
///         time_unix_nano: 1,
///         level: Some(clew::Level::Warn),
///         attributes: Vec::new(),
///         dropped_attributes_count: 0,
///     },
/// };
/// let resource = clew::Resource::default();
/// let request = clew_otlp::records_request([(&resource, "shop", std::slice::from_ref(&log))]);
/// assert_eq!(request.resource_logs[0].scope_logs[0].log_records[0].span_id, 8u64.to_be_bytes());
/// ```
#[cfg(feature = "store")]
pub fn records_request<'a>(
    groups: impl IntoIterator<Item = (&'a clew::Resource, &'a str, &'a [TraceRecord])>,
) -> ExportLogsServiceRequest {
    let groups = groups
        .into_iter()
        .map(|(group_resource, scope, records)| {
            let log_records = records
                .iter()
                .map(|record| match record {
                    TraceRecord::TraceEvent(event) => log_record(event),
                    TraceRecord::SpanLog { trace_id, span_id, event } => span_log_record(*trace_id, *span_id, event),
                })
                .collect();
            (resource(group_resource), scope, log_records)
        })
        .collect();
    logs_request_of(groups)
}

fn logs_request_of(groups: Vec<(Resource, &str, Vec<LogRecord>)>) -> ExportLogsServiceRequest {
    let resource_logs = groups
        .into_iter()
        .map(|(resource, scope, log_records)| {
            let scope_logs =
                ScopeLogs { scope: Some(instrumentation_scope(scope)), log_records, schema_url: String::new() };
            ResourceLogs { resource: Some(resource), scope_logs: vec![scope_logs], schema_url: String::new() }
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

/// The protobuf bytes of a trace export request (decode them with `prost::Message::decode`).
///
/// ```
/// use prost::Message;
/// use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
/// let request = ExportTraceServiceRequest::default();
/// let bytes = clew_otlp::encode_traces(&request);
/// assert_eq!(ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap(), request);
/// ```
pub fn encode_traces(request: &ExportTraceServiceRequest) -> Vec<u8> {
    request.encode_to_vec()
}

/// The protobuf bytes of a logs export request (decode them with `prost::Message::decode`).
///
/// ```
/// use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
/// assert!(clew_otlp::encode_logs(&ExportLogsServiceRequest::default()).is_empty());
/// ```
pub fn encode_logs(request: &ExportLogsServiceRequest) -> Vec<u8> {
    request.encode_to_vec()
}

fn resource(resource: &clew::Resource) -> Resource {
    Resource { attributes: key_values(resource.attributes()), ..Default::default() }
}

fn instrumentation_scope(name: &str) -> InstrumentationScope {
    InstrumentationScope {
        name: name.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    }
}

fn span(data: &SpanData) -> Span {
    let mut attributes = key_values(&data.attributes);
    if let Some(label) = &data.label {
        attributes.push(KeyValue {
            key: LABEL_ATTRIBUTE.to_owned(),
            value: Some(string_value(label)),
            ..Default::default()
        });
    }
    Span {
        trace_id: data.trace_id.to_bytes().to_vec(),
        span_id: data.span_id.to_bytes().to_vec(),
        trace_state: data.trace_state.as_deref().unwrap_or_default().to_owned(),
        parent_span_id: data.parent_span_id.map(|parent| parent.to_bytes().to_vec()).unwrap_or_default(),
        flags: flags(data.trace_flags, data.parent_is_remote),
        name: data.name.to_string(),
        kind: kind(data.kind) as i32,
        start_time_unix_nano: data.start_time_unix_nano,
        end_time_unix_nano: data.end_time_unix_nano,
        attributes,
        dropped_attributes_count: data.dropped_attributes_count,
        events: data.events.iter().map(event).collect(),
        dropped_events_count: data.dropped_events_count,
        links: data.links.iter().map(link).collect(),
        dropped_links_count: data.dropped_links_count,
        status: Some(span_status(&data.status)),
    }
}

/// The W3C flags in bits 0-7, and "is remote is known" (always) plus "is remote" above them.
fn flags(trace_flags: clew::TraceFlags, is_remote: bool) -> u32 {
    let remote = if is_remote { FLAGS_IS_REMOTE } else { 0 };
    u32::from(trace_flags.to_u8()) | FLAGS_HAS_IS_REMOTE | remote
}

fn kind(kind: SpanKind) -> span::SpanKind {
    match kind {
        SpanKind::Internal => span::SpanKind::Internal,
        SpanKind::Server => span::SpanKind::Server,
        SpanKind::Client => span::SpanKind::Client,
        SpanKind::Producer => span::SpanKind::Producer,
        SpanKind::Consumer => span::SpanKind::Consumer,
    }
}

fn span_status(status: &Status) -> opentelemetry_proto::tonic::trace::v1::Status {
    let (code, message) = match status {
        Status::Unset => (status::StatusCode::Unset, String::new()),
        Status::Ok => (status::StatusCode::Ok, String::new()),
        Status::Error { message } => (status::StatusCode::Error, message.to_string()),
    };
    opentelemetry_proto::tonic::trace::v1::Status { message, code: code as i32 }
}

fn event(data: &Event) -> span::Event {
    let mut attributes = key_values(&data.attributes);
    if let Some(level) = data.level {
        attributes.push(level_attribute(level));
    }
    span::Event {
        time_unix_nano: data.time_unix_nano,
        name: data.name.to_string(),
        attributes,
        dropped_attributes_count: data.dropped_attributes_count,
    }
}

fn level_attribute(level: Level) -> KeyValue {
    KeyValue { key: LEVEL_ATTRIBUTE.to_owned(), value: Some(string_value(level.as_str())), ..Default::default() }
}

fn link(data: &Link) -> span::Link {
    let context = &data.context;
    span::Link {
        trace_id: context.trace_id().to_bytes().to_vec(),
        span_id: context.span_id().to_bytes().to_vec(),
        trace_state: context.trace_state().map(|state| state.to_string()).unwrap_or_default(),
        attributes: data.attributes.iter().map(key_value).collect(),
        dropped_attributes_count: data.dropped_attributes_count,
        flags: flags(context.trace_flags(), context.is_remote()),
    }
}

fn log_record(data: &TraceEvent) -> LogRecord {
    LogRecord {
        time_unix_nano: data.time_unix_nano,
        observed_time_unix_nano: data.time_unix_nano,
        severity_number: data.level.severity_number(),
        severity_text: data.level.as_str().to_owned(),
        body: Some(string_value(&data.name)),
        attributes: key_values(&data.attributes),
        dropped_attributes_count: 0,
        flags: 0,
        trace_id: data.trace_id.to_bytes().to_vec(),
        span_id: Vec::new(),
        event_name: data.name.to_string(),
    }
}

#[cfg(feature = "store")]
fn span_log_record(trace_id: clew::TraceId, span_id: clew::SpanId, event: &Event) -> LogRecord {
    let level = event.level.unwrap_or(Level::Info);
    LogRecord {
        time_unix_nano: event.time_unix_nano,
        observed_time_unix_nano: event.time_unix_nano,
        severity_number: level.severity_number(),
        severity_text: level.as_str().to_owned(),
        body: Some(string_value(&event.name)),
        attributes: key_values(&event.attributes),
        dropped_attributes_count: event.dropped_attributes_count,
        flags: 0,
        trace_id: trace_id.to_bytes().to_vec(),
        span_id: span_id.to_bytes().to_vec(),
        event_name: event.name.to_string(),
    }
}

fn string_value(text: &str) -> AnyValue {
    AnyValue { value: Some(any_value::Value::StringValue(text.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_parent_sets_both_remote_bits() {
        assert_eq!(flags(clew::TraceFlags::SAMPLED, true), 0x301);
        assert_eq!(flags(clew::TraceFlags::NONE, false), 0x100);
    }

    #[test]
    fn values_keep_their_type() {
        let array = crate::value::any_value(&clew::Value::from(vec![1_i64, 2]));
        assert!(matches!(array.value, Some(any_value::Value::ArrayValue(ref items)) if items.values.len() == 2));
    }
}
