//! Zipkin v2 spans, as either encoding gives them ([`super::json`], [`super::proto`]), to
//! the store's model.
//!
//! The mapping is the reverse of the OpenTelemetry specification's Zipkin exporter
//! mapping:
//!
//! | Zipkin                              | clew                                                   |
//! |-------------------------------------|--------------------------------------------------------|
//! | `traceId` (1 to 32 hex digits)      | trace id (up to 16 digits a 64-bit id, filling the low half) |
//! | `id`, `parentId` (1 to 16 hex)      | span id, parent span id                                |
//! | `name` (absent or empty)            | name (`unknown`: clew refuses empty names)             |
//! | `kind`                              | kind (absent = internal)                               |
//! | `timestamp`, `duration` (µs)        | start and end (ns); absent is 0, not a whole number refuses the span |
//! | `localEndpoint.serviceName`         | resource `service.name`; spans are grouped by it       |
//! | `remoteEndpoint`                    | `peer.service`, `network.peer.address`, `network.peer.port` |
//! | `annotations`                       | events (`value` is the name)                           |
//! | `tags`                              | string attributes, except the status tags below        |
//! | `otel.status_code`, `error`         | status: `error` (its value the message) or `ERROR` is error, `OK` is ok |
//! | `otel.scope.name`                   | the instrumentation scope                              |
//! | `debug`                             | the sampled flag (always set)                          |
//!
//! The read API (`crate::query::zipkin`) applies the same table the other way.

use std::collections::BTreeMap;
use std::sync::Arc;

use clew::{Event, KeyValue, Resource, SpanData, SpanId, SpanKind, Status, Str, TraceFlags, TraceId};
use clew_otlp::{RejectReason, Rejected};
use clew_store::{Origin, WriteBatch};

/// One Zipkin span, as either encoding gives it.
#[derive(Debug, Default)]
pub(super) struct ZipkinSpan {
    pub(super) trace_id: Vec<u8>,
    pub(super) id: Vec<u8>,
    pub(super) parent_id: Vec<u8>,
    pub(super) name: String,
    pub(super) kind: Option<SpanKind>,
    pub(super) timestamp: u64,
    pub(super) duration: u64,
    /// The timestamp or duration was given but is not a whole number of microseconds.
    pub(super) bad_time: bool,
    pub(super) local: Endpoint,
    pub(super) remote: Option<Endpoint>,
    pub(super) annotations: Vec<(u64, String)>,
    pub(super) tags: Vec<(String, String)>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Endpoint {
    pub(super) service_name: String,
    pub(super) address: Option<String>,
    pub(super) port: Option<u16>,
}

/// The bytes of a hex id, left-padded with zeros as Zipkin pads it: up to 16 digits make
/// 8 bytes, up to 32 (when `max_bytes` is 16) make 16. `None` for anything else.
pub(super) fn hex_id(text: &str, max_bytes: usize) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() > max_bytes * 2 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let width = if text.len() <= 16 { 16 } else { 32 };
    let padded = format!("{text:0>width$}");
    (0..width).step_by(2).map(|index| u8::from_str_radix(&padded[index..index + 2], 16).ok()).collect()
}

pub(super) fn count(rejected: &mut Vec<Rejected>, reason: RejectReason) {
    match rejected.iter_mut().find(|item| item.reason == reason) {
        Some(item) => item.count += 1,
        None => rejected.push(Rejected { reason, count: 1 }),
    }
}

fn trace_id_of(bytes: &[u8]) -> Option<TraceId> {
    let id = match bytes.len() {
        8 => TraceId::from_u128(u128::from(u64::from_be_bytes(bytes.try_into().ok()?))),
        16 => TraceId::from_bytes(bytes.try_into().ok()?),
        _ => return None,
    };
    id.is_valid().then_some(id)
}

fn span_id_of(bytes: &[u8]) -> Option<SpanId> {
    let id = SpanId::from_bytes(bytes.try_into().ok()?);
    id.is_valid().then_some(id)
}

/// Groups valid spans by their local service, counting the invalid ones.
pub(super) fn to_batch(spans: Vec<ZipkinSpan>, mut rejected: Vec<Rejected>) -> (WriteBatch, Vec<Rejected>) {
    let mut groups: BTreeMap<(String, String), Vec<SpanData>> = BTreeMap::new();
    for span in spans {
        if span.bad_time {
            count(&mut rejected, RejectReason::InvalidTime);
            continue;
        }
        let Some(trace_id) = trace_id_of(&span.trace_id) else {
            count(&mut rejected, RejectReason::InvalidTraceId);
            continue;
        };
        let Some(span_id) = span_id_of(&span.id) else {
            count(&mut rejected, RejectReason::InvalidSpanId);
            continue;
        };
        let parent_span_id = match span.parent_id.len() {
            0 => None,
            8 => span_id_of(&span.parent_id),
            _ => {
                count(&mut rejected, RejectReason::InvalidParentSpanId);
                continue;
            }
        };
        let (data, scope) = span_data(span, trace_id, span_id, parent_span_id);
        groups.entry(scope).or_default().push(data);
    }
    let spans = groups
        .into_iter()
        .map(|((service, scope), spans)| {
            let resource = Resource::new([KeyValue::new("service.name", service)]);
            (Origin { resource: Arc::new(resource), scope: scope.into() }, spans)
        })
        .collect();
    (WriteBatch { spans, records: Vec::new() }, rejected)
}

/// The span, and the (service, scope) it belongs to.
fn span_data(
    span: ZipkinSpan,
    trace_id: TraceId,
    span_id: SpanId,
    parent_span_id: Option<SpanId>,
) -> (SpanData, (String, String)) {
    let mut attributes = Vec::with_capacity(span.tags.len() + 3);
    let mut scope = String::new();
    let mut status_code = None;
    let mut description = None;
    let mut error = None;
    for (key, value) in span.tags {
        match key.as_str() {
            "otel.status_code" => status_code = Some(value),
            "otel.status_description" => description = Some(value),
            "error" => error = Some(value),
            "otel.scope.name" | "otel.library.name" => scope = value,
            _ => attributes.push(KeyValue::new(key, value)),
        }
    }
    if let Some(remote) = span.remote {
        if !remote.service_name.is_empty() {
            attributes.push(KeyValue::new("peer.service", remote.service_name));
        }
        if let Some(address) = remote.address {
            attributes.push(KeyValue::new("network.peer.address", address));
        }
        if let Some(port) = remote.port {
            attributes.push(KeyValue::new("network.peer.port", i64::from(port)));
        }
    }
    let status = match (status_code.as_deref(), error) {
        (_, Some(message)) => Status::error(description.unwrap_or(message)),
        (Some("ERROR"), None) => Status::error(description.unwrap_or_default()),
        (Some("OK"), None) => Status::Ok,
        _ => Status::Unset,
    };
    let start = span.timestamp.saturating_mul(1_000);
    let events = span
        .annotations
        .into_iter()
        .map(|(timestamp, value)| Event {
            name: Str::from(value),
            time_unix_nano: timestamp.saturating_mul(1_000),
            level: None,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        })
        .collect();
    let service =
        if span.local.service_name.is_empty() { "unknown_service".to_owned() } else { span.local.service_name };
    let data = SpanData {
        trace_id,
        span_id,
        parent_span_id,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: Str::from(if span.name.is_empty() { "unknown".to_owned() } else { span.name }),
        kind: span.kind.unwrap_or(SpanKind::Internal),
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start.saturating_add(span.duration.saturating_mul(1_000)),
        attributes,
        events,
        links: Vec::new(),
        status,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    };
    (data, (service, scope))
}
