//! Builders of clew data shared by the integration tests.

use std::sync::Arc;

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};

/// A plain finished span with the given ids and no events or links.
pub(crate) fn span(trace_id: u128, span_id: u64, name: &'static str) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace_id),
        span_id: SpanId::from_u64(span_id),
        parent_span_id: None,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.into(),
        kind: SpanKind::Internal,
        label: None,
        start_time_unix_nano: 1_700_000_000_123_456_789,
        end_time_unix_nano: 1_700_000_000_987_654_321,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// The resource of a `checkout` service.
pub(crate) fn resource() -> Arc<Resource> {
    Arc::new(Resource::new([
        KeyValue::new("service.name", "checkout"),
        KeyValue::new("service.version", "1.4.2"),
        KeyValue::new("host.cores", 8),
    ]))
}
