//! The answers of Zipkin's v2 trace API for sample traces, pinned as snapshots
//! (`snapshots/`), and what they must do besides: give the trace-level events to the root
//! (or else the first span), write a trace id of 64 bits in 16 digits, and answer a search
//! with each trace as its own answer has it.

use std::sync::Arc;

use clew::{KeyValue, Resource, SpanKind, Status, TraceId};
use clew_store::{Origin, StoredSpan, TraceData};
use serde_json::{Value as Json, json};

use super::{trace_bytes, traces_bytes};
use crate::query::v1::traces::tests::{
    TRACE, every_kind_of_value, pretty, read_answer, span, trace_with_every_kind_of_field,
};

/// The shared sample, with what Zipkin maps besides: remote endpoints from each of their
/// attributes (and repeated ones, and a port that is not an int), attributes named like the
/// status tags, a span of every kind, a zero duration below a microsecond, and a trace id of
/// 64 bits in a second trace.
fn zipkin_trace() -> TraceData {
    let mut trace = trace_with_every_kind_of_field();
    let backend = Origin {
        resource: Arc::new(Resource::new([KeyValue::new("service.name", "backend")])),
        scope: "okhttp".into(),
    };
    let remotes: [Vec<KeyValue>; 5] = [
        vec![
            KeyValue::new("peer.service", "db"),
            KeyValue::new("network.peer.address", "172.19.0.2"),
            KeyValue::new("network.peer.port", 58648_i64),
        ],
        vec![
            KeyValue::new("network.peer.address", "::1"),
            KeyValue::new("network.peer.address", "10.0.0.1"),
            KeyValue::new("peer.service", "first"),
            KeyValue::new("peer.service", "second"),
            KeyValue::new("network.peer.port", 1_i64),
            KeyValue::new("network.peer.port", "not an int"),
        ],
        vec![KeyValue::new("network.peer.port", "8080"), KeyValue::new("peer.service", 7_i64)],
        vec![
            KeyValue::new("network.peer.address", vec!["a:b"]),
            KeyValue::new("error", "an attribute"),
            KeyValue::new("otel.status_code", "an attribute"),
            KeyValue::new("otel.scope.name", "an attribute"),
            KeyValue::new("tag", 1_i64),
            KeyValue::new("tag", "again"),
        ],
        every_kind_of_value(),
    ];
    let kinds = [SpanKind::Client, SpanKind::Server, SpanKind::Producer, SpanKind::Consumer, SpanKind::Internal];
    for (number, (attributes, kind)) in remotes.into_iter().zip(kinds).enumerate() {
        let id = 20 + number as u64;
        let mut extra = span(id, Some(1), "extra");
        extra.kind = kind;
        extra.attributes = attributes;
        extra.status = [Status::Unset, Status::Ok, Status::error("x"), Status::error(""), Status::Ok][number].clone();
        if number == 4 {
            extra.end_time_unix_nano = extra.start_time_unix_nano + 1;
        }
        trace.spans.push(StoredSpan { origin: backend.clone(), span: extra });
    }
    trace
}

/// The answer for `trace`, as its JSON.
fn answer_for(trace: &TraceData) -> Json {
    read_answer(&trace_bytes(trace).unwrap())
}

#[test]
fn a_trace_with_every_kind_of_field_is_answered_as_its_snapshot() {
    let answer = answer_for(&zipkin_trace());
    insta::assert_snapshot!("a_trace_with_every_kind_of_field", pretty(&answer));
    let spans = answer.as_array().unwrap();
    assert_eq!(spans.len(), 9);
    assert_eq!(spans[0]["annotations"].as_array().unwrap().len(), 5, "2 events, 1 log, 2 trace events");
    assert_eq!(spans[4]["remoteEndpoint"].as_object().unwrap().len(), 3);
    assert_eq!(spans[5]["remoteEndpoint"].as_object().unwrap().len(), 4);
    assert_eq!(spans[8]["duration"], 1, "a span shorter than a microsecond lasts one");
    assert!(spans[3].get("duration").is_none(), "a span that took no time has no duration");
}

#[test]
fn a_trace_without_a_span_that_has_no_parent_gives_the_trace_events_to_its_first() {
    let mut rootless = zipkin_trace();
    rootless.spans.remove(0);
    let answer = answer_for(&rootless);
    insta::assert_snapshot!("a_trace_without_a_root", pretty(&answer));
    let annotations: Vec<&Json> =
        answer[0]["annotations"].as_array().unwrap().iter().map(|note| &note["value"]).collect();
    assert_eq!(annotations, ["request.received", "queue.full", "retrying", "gave up"], "by time, then text");
}

#[test]
fn a_trace_id_of_64_bits_is_written_in_16_digits() {
    let mut short_id = zipkin_trace();
    let short = TraceId::from_u128(0x5af7_183f_b1d4_cf5f);
    short_id.trace_id = short;
    for stored in &mut short_id.spans {
        stored.span.trace_id = short;
    }
    let answer = answer_for(&short_id);
    for span in answer.as_array().unwrap() {
        assert_eq!(span["traceId"], "5af7183fb1d4cf5f");
    }
    assert_eq!(answer_for(&zipkin_trace())[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn a_search_answers_each_trace_as_its_own_answer_has_it() {
    let mut rootless = zipkin_trace();
    rootless.spans.remove(0);
    let empty = TraceData { trace_id: TRACE, spans: Vec::new(), records: Vec::new() };
    assert_eq!(answer_for(&empty), json!([]));

    let traces = [zipkin_trace(), rootless, empty];
    let search = read_answer(&traces_bytes(&traces).unwrap());
    assert_eq!(search.as_array().unwrap().len(), 3);
    for (index, trace) in traces.iter().enumerate() {
        assert_eq!(search[index], answer_for(trace), "trace {index}");
    }
    assert_eq!(read_answer(&traces_bytes(&[]).unwrap()), json!([]));
}
