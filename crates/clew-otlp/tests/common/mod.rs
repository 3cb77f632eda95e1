//! Builders of clew data shared by the integration tests.

// Each test file uses some of these builders.
#![allow(dead_code)]

use std::sync::Arc;

use clew::{
    Event, KeyValue, Level, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, Str, TraceFlags, TraceId,
    Value,
};

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

/// One attribute of every value type.
pub(crate) fn every_value_type() -> Vec<KeyValue> {
    vec![
        KeyValue::new("bool", true),
        KeyValue::new("int", -42_i64),
        KeyValue::new("double", 2.5_f64),
        KeyValue::new("string", "héllo \"world\""),
        KeyValue::new("owned", String::from("shared")),
        KeyValue::new("bools", vec![true, false]),
        KeyValue::new("ints", vec![1_i64, i64::MIN, i64::MAX]),
        KeyValue::new("doubles", vec![0.5_f64, -1.25]),
        KeyValue::new("strings", vec!["a", "b"]),
        KeyValue::new("no strings", Value::StringArray(Vec::new())),
        KeyValue::new(clew::keys::PROJECT_ID, "project-7"),
    ]
}

/// A root with every field set (attributes of every type, events, links, remote parent,
/// tracestate, label, dropped counts) and four children of every kind and status.
pub(crate) fn spans() -> Vec<clew::SpanData> {
    let trace_id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
    let mut root = span(trace_id, 1, "checkout");
    root.kind = SpanKind::Server;
    root.label = Some(Str::from("MASTER"));
    root.parent_span_id = Some(SpanId::from_u64(0x00f0_67aa_0ba9_02b7));
    root.parent_is_remote = true;
    root.trace_flags = TraceFlags::SAMPLED | TraceFlags::RANDOM;
    root.trace_state = Some(Str::from("vendor=value,other=1"));
    root.attributes = every_value_type();
    root.status = Status::Ok;
    root.dropped_attributes_count = 3;
    root.dropped_events_count = 4;
    root.dropped_links_count = 5;
    root.events = vec![
        Event {
            name: "cache.miss".into(),
            time_unix_nano: 1_700_000_000_200_000_001,
            level: Some(Level::Warn),
            attributes: every_value_type(),
            dropped_attributes_count: 1,
        },
        Event {
            name: "no level".into(),
            time_unix_nano: 1_700_000_000_300_000_002,
            level: None,
            attributes: vec![KeyValue::new("level", "not a level")],
            dropped_attributes_count: 0,
        },
    ];
    root.links = vec![
        Link {
            context: SpanContext::remote(TraceId::from_u128(99), SpanId::from_u64(98), TraceFlags::SAMPLED)
                .with_trace_state(Some(Str::from("linked=yes"))),
            attributes: vec![KeyValue::new("link.reason", "retry")],
            dropped_attributes_count: 2,
        },
        Link {
            context: SpanContext::new(TraceId::from_u128(97), SpanId::from_u64(96), TraceFlags::NONE),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        },
    ];

    let mut spans = vec![root];
    let kinds = [SpanKind::Internal, SpanKind::Client, SpanKind::Producer, SpanKind::Consumer];
    let statuses = [Status::Unset, Status::error("card declined"), Status::error(""), Status::Ok];
    for (index, (kind, status)) in kinds.into_iter().zip(statuses).enumerate() {
        let mut child = span(trace_id, 10 + index as u64, "step");
        child.parent_span_id = Some(SpanId::from_u64(1));
        child.kind = kind;
        child.status = status;
        child.label = (index % 2 == 0).then(|| Str::from("STEP"));
        child.trace_flags = TraceFlags::NONE;
        spans.push(child);
    }
    spans
}
