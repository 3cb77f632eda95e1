//! A batch mapped to OTLP, encoded, decoded and mapped back gives the same spans.

#![allow(clippy::unwrap_used)]

mod common;

use clew::{Event, KeyValue, Level, Link, SpanContext, SpanId, SpanKind, Status, Str, TraceFlags, TraceId, Value};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::prost::Message;

fn every_value_type() -> Vec<KeyValue> {
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

fn spans() -> Vec<clew::SpanData> {
    let trace_id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
    let mut root = common::span(trace_id, 1, "checkout");
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
        let mut child = common::span(trace_id, 10 + index as u64, "step");
        child.parent_span_id = Some(SpanId::from_u64(1));
        child.kind = kind;
        child.status = status;
        child.label = (index % 2 == 0).then(|| Str::from("STEP"));
        child.trace_flags = TraceFlags::NONE;
        spans.push(child);
    }
    spans
}

#[test]
fn spans_come_back_equal_after_a_round_trip_through_otlp_protobuf() {
    let original = spans();
    let batch = clew::Batch::new(common::resource(), original.clone(), Vec::new());

    let bytes = clew_otlp::encode_traces(&clew_otlp::traces_request(&batch, "shop"));
    let request = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    let decoded = clew_otlp::spans_from_request(&request);

    assert_eq!(decoded.rejected, Vec::new());
    assert_eq!(decoded.partial_success(), None);
    assert_eq!(decoded.groups.len(), 1);
    let group = &decoded.groups[0];
    assert_eq!(group.scope_name, "shop");
    assert_eq!(&group.resource, batch.resource.as_ref());
    assert_eq!(group.spans.len(), original.len());
    for (back, sent) in group.spans.iter().zip(&original) {
        assert_eq!(back.trace_id, sent.trace_id);
        assert_eq!(back.span_id, sent.span_id);
        assert_eq!(back.parent_span_id, sent.parent_span_id);
        assert_eq!(back.parent_is_remote, sent.parent_is_remote);
        assert_eq!(back.trace_flags, sent.trace_flags);
        assert_eq!(back.trace_state, sent.trace_state);
        assert_eq!(back.name, sent.name);
        assert_eq!(back.kind, sent.kind);
        assert_eq!(back.label, sent.label);
        assert_eq!(back.start_time_unix_nano, sent.start_time_unix_nano);
        assert_eq!(back.end_time_unix_nano, sent.end_time_unix_nano);
        assert_eq!(back.attributes, sent.attributes);
        assert_eq!(back.events, sent.events);
        assert_eq!(back.links, sent.links);
        assert_eq!(back.status, sent.status);
        assert_eq!(back.dropped_attributes_count, sent.dropped_attributes_count);
        assert_eq!(back.dropped_events_count, sent.dropped_events_count);
        assert_eq!(back.dropped_links_count, sent.dropped_links_count);
        assert_eq!(back, sent);
    }
}

#[test]
fn the_otlp_span_carries_remote_parent_flags_and_the_label_attribute() {
    let batch = clew::Batch::new(common::resource(), spans(), Vec::new());
    let request = clew_otlp::traces_request(&batch, "shop");
    let scope_spans = &request.resource_spans[0].scope_spans[0];
    assert_eq!(scope_spans.scope.as_ref().unwrap().version, env!("CARGO_PKG_VERSION"));

    let root = &scope_spans.spans[0];
    assert_eq!(root.flags, 0x03 | clew_otlp::FLAGS_HAS_IS_REMOTE | clew_otlp::FLAGS_IS_REMOTE);
    assert_eq!(root.parent_span_id, vec![0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
    let label = root.attributes.last().unwrap();
    assert_eq!(label.key, clew_otlp::LABEL_ATTRIBUTE);

    let unlabelled = &scope_spans.spans[2];
    assert_eq!(unlabelled.flags, clew_otlp::FLAGS_HAS_IS_REMOTE);
    assert!(unlabelled.attributes.iter().all(|attribute| attribute.key != clew_otlp::LABEL_ATTRIBUTE));
}
