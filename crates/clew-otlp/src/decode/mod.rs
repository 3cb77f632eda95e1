//! OTLP export requests to clew spans and trace events, for the server.
//!
//! A bad span or log record never fails its whole request: it is left out and counted under
//! its [`RejectReason`], so that the server can accept the rest and answer with an OTLP
//! `partial_success`.

#[cfg(feature = "store")]
mod logs;

use std::fmt;

use clew::{
    Event, Level, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, Str, TraceFlags, TraceId, Value,
};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceRequest};
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::trace::v1::{Span, span, status};

use crate::value::attributes;
use crate::{FLAGS_IS_REMOTE, LABEL_ATTRIBUTE, LEVEL_ATTRIBUTE};

#[cfg(feature = "store")]
pub use logs::{DecodedLogs, DecodedRecords, log_records_from_request};

/// The spans of one resource and instrumentation scope of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedSpans {
    /// What produced the spans.
    pub resource: Resource,
    /// The instrumentation scope's name (empty if the request gave none).
    pub scope_name: String,
    /// The accepted spans, in request order.
    pub spans: Vec<SpanData>,
}

/// Everything [`spans_from_request`] got out of a request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedTraces {
    /// Accepted spans, one group per resource and scope that had any.
    pub groups: Vec<DecodedSpans>,
    /// Counts of the spans left out, per reason, in order of first occurrence.
    pub rejected: Vec<Rejected>,
}

/// Why a span or log record was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// The trace id is not 16 bytes, or is all zeros.
    InvalidTraceId,
    /// The span id is not 8 bytes, or is all zeros (for a log record: neither empty nor 8 bytes).
    InvalidSpanId,
    /// The parent span id is neither empty nor 8 bytes.
    InvalidParentSpanId,
    /// The span's name is empty.
    EmptyName,
    /// A start time or duration is not a whole number (Zipkin's `timestamp` and `duration`).
    InvalidTime,
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectReason::InvalidTraceId => "invalid trace id",
            RejectReason::InvalidSpanId => "invalid span id",
            RejectReason::InvalidParentSpanId => "invalid parent span id",
            RejectReason::EmptyName => "empty span name",
            RejectReason::InvalidTime => "invalid timestamp or duration",
        })
    }
}

/// How many items were left out for one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// The reason.
    pub reason: RejectReason,
    /// How many.
    pub count: u64,
}

impl DecodedTraces {
    /// The number of accepted spans.
    pub fn span_count(&self) -> usize {
        self.groups.iter().map(|group| group.spans.len()).sum()
    }

    /// The number of rejected spans.
    pub fn rejected_count(&self) -> u64 {
        total(&self.rejected)
    }

    /// The OTLP `partial_success` to answer with, or `None` if every span was accepted.
    pub fn partial_success(&self) -> Option<ExportTracePartialSuccess> {
        let count = self.rejected_count();
        (count > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: i64::try_from(count).unwrap_or(i64::MAX),
            error_message: describe(&self.rejected),
        })
    }
}

/// The clew spans of an OTLP trace export request, and counts of the invalid ones.
///
/// A span is accepted when its trace id is 16 bytes and not zero, its span id 8 bytes and not
/// zero, its parent span id empty or 8 bytes (8 zero bytes count as no parent), and its name
/// not empty. The attribute [`LABEL_ATTRIBUTE`] becomes the span's `label`, and an event's last
/// attribute [`LEVEL_ATTRIBUTE`], when its value is an uppercase level name, the event's
/// `level`. A link with invalid ids is left out and counted in `dropped_links_count`.
///
/// ```
/// use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
/// let decoded = clew_otlp::spans_from_request(&ExportTraceServiceRequest::default());
/// assert_eq!((decoded.span_count(), decoded.partial_success()), (0, None));
/// ```
pub fn spans_from_request(request: &ExportTraceServiceRequest) -> DecodedTraces {
    let mut decoded = DecodedTraces::default();
    for resource_spans in &request.resource_spans {
        let resource = proto_resource(resource_spans.resource.as_ref());
        for scope_spans in &resource_spans.scope_spans {
            let mut spans = Vec::with_capacity(scope_spans.spans.len());
            for proto_span in &scope_spans.spans {
                match span_data(proto_span) {
                    Ok(data) => spans.push(data),
                    Err(reason) => count(&mut decoded.rejected, reason),
                }
            }
            if !spans.is_empty() {
                let scope_name = scope_name(scope_spans.scope.as_ref());
                decoded.groups.push(DecodedSpans { resource: resource.clone(), scope_name, spans });
            }
        }
    }
    decoded
}

fn proto_resource(resource: Option<&opentelemetry_proto::tonic::resource::v1::Resource>) -> Resource {
    resource.map(|resource| Resource::new(attributes(&resource.attributes))).unwrap_or_default()
}

fn scope_name(scope: Option<&InstrumentationScope>) -> String {
    scope.map(|scope| scope.name.clone()).unwrap_or_default()
}

fn count(rejected: &mut Vec<Rejected>, reason: RejectReason) {
    match rejected.iter_mut().find(|entry| entry.reason == reason) {
        Some(entry) => entry.count += 1,
        None => rejected.push(Rejected { reason, count: 1 }),
    }
}

fn total(rejected: &[Rejected]) -> u64 {
    rejected.iter().map(|entry| entry.count).sum()
}

fn describe(rejected: &[Rejected]) -> String {
    let parts: Vec<String> = rejected.iter().map(|entry| format!("{} {}", entry.count, entry.reason)).collect();
    format!("rejected: {}", parts.join(", "))
}

fn trace_id(bytes: &[u8]) -> Option<TraceId> {
    let bytes = <[u8; 16]>::try_from(bytes).ok()?;
    Some(TraceId::from_bytes(bytes)).filter(|id| id.is_valid())
}

fn span_id(bytes: &[u8]) -> Option<SpanId> {
    let bytes = <[u8; 8]>::try_from(bytes).ok()?;
    Some(SpanId::from_bytes(bytes)).filter(|id| id.is_valid())
}

/// `Ok(None)` for no id (empty or all zeros), `Err` for a malformed one.
fn optional_span_id(bytes: &[u8]) -> Result<Option<SpanId>, ()> {
    match <[u8; 8]>::try_from(bytes) {
        Ok(array) => Ok(Some(SpanId::from_bytes(array)).filter(|id| id.is_valid())),
        Err(_) if bytes.is_empty() => Ok(None),
        Err(_) => Err(()),
    }
}

fn span_data(proto_span: &Span) -> Result<SpanData, RejectReason> {
    let trace_id = trace_id(&proto_span.trace_id).ok_or(RejectReason::InvalidTraceId)?;
    let span_id = span_id(&proto_span.span_id).ok_or(RejectReason::InvalidSpanId)?;
    let parent_span_id =
        optional_span_id(&proto_span.parent_span_id).map_err(|()| RejectReason::InvalidParentSpanId)?;
    if proto_span.name.is_empty() {
        return Err(RejectReason::EmptyName);
    }
    let mut span_attributes = attributes(&proto_span.attributes);
    let label_index = span_attributes
        .iter()
        .rposition(|attribute| attribute.key == LABEL_ATTRIBUTE && matches!(attribute.value, Value::String(_)));
    let label = label_index.and_then(|index| match span_attributes.remove(index).value {
        Value::String(label) => Some(label),
        _ => None,
    });
    let mut dropped_links_count = proto_span.dropped_links_count;
    let mut links = Vec::with_capacity(proto_span.links.len());
    for proto_link in &proto_span.links {
        match link(proto_link) {
            Some(decoded) => links.push(decoded),
            None => dropped_links_count = dropped_links_count.saturating_add(1),
        }
    }
    Ok(SpanData {
        trace_id,
        span_id,
        parent_span_id,
        parent_is_remote: proto_span.flags & FLAGS_IS_REMOTE != 0,
        trace_flags: trace_flags(proto_span.flags),
        trace_state: non_empty(&proto_span.trace_state),
        name: Str::from(proto_span.name.clone()),
        kind: kind(proto_span.kind),
        label,
        start_time_unix_nano: proto_span.start_time_unix_nano,
        end_time_unix_nano: proto_span.end_time_unix_nano,
        attributes: span_attributes,
        events: proto_span.events.iter().map(event).collect(),
        links,
        status: span_status(proto_span.status.as_ref()),
        dropped_attributes_count: proto_span.dropped_attributes_count,
        dropped_events_count: proto_span.dropped_events_count,
        dropped_links_count,
    })
}

fn trace_flags(flags: u32) -> TraceFlags {
    TraceFlags::from_u8((flags & 0xff) as u8)
}

fn non_empty(text: &str) -> Option<Str> {
    (!text.is_empty()).then(|| Str::from(text.to_owned()))
}

fn kind(kind: i32) -> SpanKind {
    match span::SpanKind::try_from(kind) {
        Ok(span::SpanKind::Server) => SpanKind::Server,
        Ok(span::SpanKind::Client) => SpanKind::Client,
        Ok(span::SpanKind::Producer) => SpanKind::Producer,
        Ok(span::SpanKind::Consumer) => SpanKind::Consumer,
        _ => SpanKind::Internal,
    }
}

fn span_status(proto_status: Option<&opentelemetry_proto::tonic::trace::v1::Status>) -> Status {
    let Some(proto_status) = proto_status else {
        return Status::Unset;
    };
    match status::StatusCode::try_from(proto_status.code) {
        Ok(status::StatusCode::Ok) => Status::Ok,
        Ok(status::StatusCode::Error) => Status::error(proto_status.message.clone()),
        _ => Status::Unset,
    }
}

fn event(proto_event: &span::Event) -> Event {
    let mut event_attributes = attributes(&proto_event.attributes);
    let level = match event_attributes.last() {
        Some(last) if last.key == LEVEL_ATTRIBUTE => last.value.as_str().and_then(exact_level),
        _ => None,
    };
    if level.is_some() {
        event_attributes.pop();
    }
    Event {
        name: Str::from(proto_event.name.clone()),
        time_unix_nano: proto_event.time_unix_nano,
        level,
        attributes: event_attributes,
        dropped_attributes_count: proto_event.dropped_attributes_count,
    }
}

/// The level whose uppercase name this is exactly.
fn exact_level(text: &str) -> Option<Level> {
    Level::parse(text).filter(|level| level.as_str() == text)
}

fn link(proto_link: &span::Link) -> Option<Link> {
    let trace_id = trace_id(&proto_link.trace_id)?;
    let span_id = span_id(&proto_link.span_id)?;
    let flags = trace_flags(proto_link.flags);
    let context = if proto_link.flags & FLAGS_IS_REMOTE != 0 {
        SpanContext::remote(trace_id, span_id, flags)
    } else {
        SpanContext::new(trace_id, span_id, flags)
    };
    Some(Link {
        context: context.with_trace_state(non_empty(&proto_link.trace_state)),
        attributes: attributes(&proto_link.attributes),
        dropped_attributes_count: proto_link.dropped_attributes_count,
    })
}
