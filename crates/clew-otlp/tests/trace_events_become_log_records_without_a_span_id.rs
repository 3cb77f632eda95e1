//! A batch's trace-level events travel as OTLP log records with the trace id and no span id.

#![allow(clippy::unwrap_used)]

mod common;

use clew::{KeyValue, Level, TraceEvent, TraceId};
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::common::v1::any_value;
use clew_otlp::prost::Message;

fn events() -> Vec<TraceEvent> {
    let levels = [Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error];
    levels
        .into_iter()
        .enumerate()
        .map(|(index, level)| TraceEvent {
            trace_id: TraceId::from_u128(0xabc),
            time_unix_nano: 1_700_000_000_000_000_000 + index as u64,
            level,
            name: "clew.trace.started".into(),
            attributes: vec![KeyValue::new("clew.tags", vec!["a", "b"]), KeyValue::new("attempt", index)],
        })
        .collect()
}

#[test]
fn trace_events_become_log_records_without_a_span_id() {
    let batch = clew::Batch::new(common::resource(), vec![common::span(1, 2, "ignored")], events());
    let request = clew_otlp::logs_request(&batch, "shop");

    let records = &request.resource_logs[0].scope_logs[0].log_records;
    assert_eq!(records.len(), 5);
    for (record, event) in records.iter().zip(&batch.events) {
        assert!(record.span_id.is_empty());
        assert_eq!(record.trace_id, event.trace_id.to_bytes().to_vec());
        assert_eq!(record.time_unix_nano, event.time_unix_nano);
        assert_eq!(record.severity_number, event.level.severity_number());
        assert_eq!(record.severity_text, event.level.as_str());
        assert_eq!(record.event_name, "clew.trace.started");
        let body = record.body.as_ref().unwrap().value.as_ref().unwrap();
        assert_eq!(body, &any_value::Value::StringValue("clew.trace.started".into()));
    }
    let severities: Vec<i32> = records.iter().map(|record| record.severity_number).collect();
    assert_eq!(severities, [1, 5, 9, 13, 17]);
}

#[test]
fn trace_events_come_back_from_the_encoded_log_records() {
    let batch = clew::Batch::new(common::resource(), Vec::new(), events());
    let bytes = clew_otlp::encode_logs(&clew_otlp::logs_request(&batch, "shop"));
    let request = ExportLogsServiceRequest::decode(bytes.as_slice()).unwrap();

    let decoded = clew_otlp::log_records_from_request(&request);
    assert_eq!(decoded.partial_success(), None);
    let back: Vec<TraceEvent> = decoded.groups[0]
        .records
        .iter()
        .map(|record| match record {
            clew_store::TraceRecord::TraceEvent(event) => event.clone(),
            other => panic!("expected a trace event, got {other:?}"),
        })
        .collect();
    assert_eq!(back, batch.events);
}

#[test]
fn log_records_with_a_span_id_come_back_as_span_logs_and_those_without_a_trace_id_are_rejected() {
    let batch = clew::Batch::new(common::resource(), Vec::new(), events());
    let mut request = clew_otlp::logs_request(&batch, "shop");
    let records = &mut request.resource_logs[0].scope_logs[0].log_records;
    records[0].span_id = vec![0, 0, 0, 0, 0, 0, 0, 9];
    records[1].trace_id = Vec::new();
    records[2].span_id = vec![1, 2, 3];

    let decoded = clew_otlp::log_records_from_request(&request);
    assert_eq!(decoded.record_count(), 3);
    assert_eq!(decoded.rejected_count(), 2);
    match &decoded.groups[0].records[0] {
        clew_store::TraceRecord::SpanLog { span_id, event, .. } => {
            assert_eq!(span_id.to_u64(), 9);
            assert_eq!(event.level, Some(Level::Trace));
        }
        other => panic!("expected a span log, got {other:?}"),
    }
    assert_eq!(decoded.partial_success().unwrap().rejected_log_records, 2);
}
