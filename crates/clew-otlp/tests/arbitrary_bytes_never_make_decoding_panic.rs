//! Whatever bytes arrive, protobuf decoding plus the mapping to clew never panics.

use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::prost::Message;
use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_bytes_never_make_trace_decoding_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(request) = ExportTraceServiceRequest::decode(bytes.as_slice()) {
            let decoded = clew_otlp::spans_from_request(&request);
            let _ = decoded.partial_success();
        }
    }

    #[test]
    fn arbitrary_bytes_never_make_log_decoding_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(request) = ExportLogsServiceRequest::decode(bytes.as_slice()) {
            let decoded = clew_otlp::log_records_from_request(&request);
            let _ = decoded.partial_success();
        }
    }

    #[test]
    fn mutated_valid_requests_never_make_trace_decoding_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16),
    ) {
        let mut span = clew::SpanData {
            attributes: vec![clew::KeyValue::new("ints", vec![1_i64, 2]), clew::KeyValue::new("s", "x")],
            label: Some("MASTER".into()),
            ..template_span()
        };
        span.events.push(clew::Event {
            name: "e".into(),
            time_unix_nano: 3,
            level: Some(clew::Level::Info),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        });
        let batch = clew::Batch::new(std::sync::Arc::new(clew::Resource::default()), vec![span], Vec::new());
        let mut bytes = clew_otlp::encode_traces(&clew_otlp::traces_request(&batch, "fuzz"));
        for (position, byte) in flips {
            let index = position % bytes.len();
            bytes[index] = byte;
        }
        if let Ok(request) = ExportTraceServiceRequest::decode(bytes.as_slice()) {
            let _ = clew_otlp::spans_from_request(&request);
        }
    }
}

fn template_span() -> clew::SpanData {
    clew::SpanData {
        trace_id: clew::TraceId::from_u128(1),
        span_id: clew::SpanId::from_u64(2),
        parent_span_id: Some(clew::SpanId::from_u64(3)),
        parent_is_remote: true,
        trace_flags: clew::TraceFlags::SAMPLED,
        trace_state: Some("k=v".into()),
        name: "fuzzed".into(),
        kind: clew::SpanKind::Client,
        label: None,
        start_time_unix_nano: 1,
        end_time_unix_nano: 2,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: clew::Status::error("boom"),
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}
