//! Invalid spans are counted per reason, and the valid spans of the same request accepted.

mod common;

use clew_otlp::{RejectReason, Rejected};

#[test]
fn invalid_spans_are_rejected_while_valid_ones_are_accepted() {
    let spans = vec![common::span(1, 1, "valid"), common::span(1, 2, "zero trace id"), common::span(1, 3, "short id")];
    let batch = clew::Batch::new(common::resource(), spans, Vec::new());
    let mut request = clew_otlp::traces_request(&batch, "shop");
    let otlp_spans = &mut request.resource_spans[0].scope_spans[0].spans;
    otlp_spans[1].trace_id = vec![0; 16];
    otlp_spans[2].span_id = vec![1, 2, 3];
    let mut more = otlp_spans.clone();
    more[0].name = String::new();
    more[1].trace_id = vec![7; 16];
    more[1].parent_span_id = vec![1; 5];
    more[2].span_id = vec![0; 8];
    otlp_spans.extend(more);

    let decoded = clew_otlp::spans_from_request(&request);

    let accepted: Vec<&str> = decoded.groups.iter().flat_map(|group| &group.spans).map(|span| &*span.name).collect();
    assert_eq!(accepted, ["valid"]);
    assert_eq!(
        decoded.rejected,
        [
            Rejected { reason: RejectReason::InvalidTraceId, count: 1 },
            Rejected { reason: RejectReason::InvalidSpanId, count: 2 },
            Rejected { reason: RejectReason::EmptyName, count: 1 },
            Rejected { reason: RejectReason::InvalidParentSpanId, count: 1 },
        ]
    );
    let partial_success = decoded.partial_success().expect("some spans were rejected");
    assert_eq!(partial_success.rejected_spans, 5);
    assert_eq!(
        partial_success.error_message,
        "rejected: 1 invalid trace id, 2 invalid span id, 1 empty span name, 1 invalid parent span id"
    );
}

#[test]
fn links_with_invalid_ids_are_dropped_and_counted() {
    let mut span = common::span(1, 1, "linked");
    span.links.push(clew::Link {
        context: clew::SpanContext::new(clew::TraceId::from_u128(5), clew::SpanId::from_u64(6), clew::TraceFlags::NONE),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    });
    let batch = clew::Batch::new(common::resource(), vec![span], Vec::new());
    let mut request = clew_otlp::traces_request(&batch, "shop");
    request.resource_spans[0].scope_spans[0].spans[0].links[0].span_id = vec![9; 4];

    let decoded = clew_otlp::spans_from_request(&request);
    let back = &decoded.groups[0].spans[0];
    assert!(back.links.is_empty());
    assert_eq!(back.dropped_links_count, 1);
}
