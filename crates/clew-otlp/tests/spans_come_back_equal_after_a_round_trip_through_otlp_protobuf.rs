//! A batch mapped to OTLP, encoded, decoded and mapped back gives the same spans.

#![allow(clippy::unwrap_used)]

mod common;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::prost::Message;

#[test]
fn spans_come_back_equal_after_a_round_trip_through_otlp_protobuf() {
    let original = common::spans();
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
    let batch = clew::Batch::new(common::resource(), common::spans(), Vec::new());
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
