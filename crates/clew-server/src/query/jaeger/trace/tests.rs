//! The answers of Jaeger's classic trace API for sample traces, pinned as snapshots
//! (`snapshots/`), and what they must do besides: give the trace-level events to the root
//! (or else the first span), key `p10` before `p2`, answer a search with each trace as its
//! own answer has it, and keep an int's type however large.

use std::sync::Arc;

use clew::{KeyValue, Resource, SpanId, SpanKind, Status, Value};
use clew_store::{Origin, StoredSpan, TraceData};
use serde_json::{Value as Json, json};

use super::{TagJson, traces_envelope_bytes};
use crate::query::v1::traces::tests::{TRACE, pretty, read_answer, span, trace_with_every_kind_of_field};

/// The shared sample, with what Jaeger maps besides: every span kind, an error without a
/// message, attributes named like the tags the mapping adds, and a resource with a double
/// that is not a number (never equal to itself, so each of its spans gets a process).
fn jaeger_trace() -> TraceData {
    let mut trace = trace_with_every_kind_of_field();
    let odd = Origin {
        resource: Arc::new(Resource::new([
            KeyValue::new("service.name", "odd"),
            KeyValue::new("weight", f64::NAN),
            KeyValue::new("zones", vec!["a", "b"]),
        ])),
        scope: "".into(),
    };
    for (number, kind) in [SpanKind::Internal, SpanKind::Server, SpanKind::Client].into_iter().enumerate() {
        let id = 10 + number as u64;
        let mut extra = span(id, Some(1), "extra");
        extra.kind = kind;
        extra.status = Status::error("");
        extra.attributes = vec![KeyValue::new("error", "also an attribute"), KeyValue::new("span.kind", 3_i64)];
        trace.spans.push(StoredSpan { origin: odd.clone(), span: extra });
    }
    trace
}

/// The answer for `traces`, as its JSON.
fn answer_for(traces: &[TraceData]) -> Json {
    read_answer(&traces_envelope_bytes(traces).unwrap())
}

#[test]
fn a_trace_with_every_kind_of_field_is_answered_as_its_snapshot() {
    let answer = answer_for(&[jaeger_trace()]);
    insta::assert_snapshot!("a_trace_with_every_kind_of_field", pretty(&answer));
    assert_eq!(answer["total"], 1);
    let trace = &answer["data"][0];
    assert_eq!(trace["spans"].as_array().unwrap().len(), 7);
    assert_eq!(trace["processes"].as_object().unwrap().len(), 6, "a resource with a NaN is a process per span");
    assert_eq!(trace["spans"][0]["logs"].as_array().unwrap().len(), 5, "2 events, 1 log, 2 trace events");
    assert_eq!(trace["spans"][1]["logs"].as_array().unwrap().len(), 2);
    assert_eq!(trace["spans"][1]["references"].as_array().unwrap().len(), 3, "its parent and 2 links");
}

#[test]
fn a_trace_without_a_span_that_has_no_parent_gives_the_trace_events_to_its_first() {
    let mut trace = trace_with_every_kind_of_field();
    trace.spans.remove(0);
    let answer = answer_for(&[trace]);
    insta::assert_snapshot!("a_trace_without_a_root", pretty(&answer));
    assert_eq!(answer["data"][0]["spans"][0]["logs"].as_array().unwrap().len(), 4, "2 logs, 2 trace events");
}

#[test]
fn a_search_answers_each_trace_as_its_own_answer_has_it() {
    let mut without_spans = trace_with_every_kind_of_field();
    without_spans.spans.clear();
    let empty = TraceData { trace_id: TRACE, spans: Vec::new(), records: Vec::new() };
    let search_without_spans = answer_for(&[without_spans.clone(), empty.clone()]);
    insta::assert_snapshot!("a_search_of_a_trace_without_spans_and_an_empty_trace", pretty(&search_without_spans));

    let traces = [jaeger_trace(), without_spans, empty];
    let search = answer_for(&traces);
    assert_eq!(search["total"], 3);
    for (index, trace) in traces.iter().enumerate() {
        assert_eq!(search["data"][index], answer_for(std::slice::from_ref(trace))["data"][0], "trace {index}");
    }
    assert_eq!(answer_for(&[]), json!({ "data": [], "errors": null, "limit": 0, "offset": 0, "total": 0 }));
}

#[test]
fn a_dozen_processes_are_keyed_in_the_order_of_a_sorted_map() {
    let mut trace = trace_with_every_kind_of_field();
    let template = trace.spans[1].span.clone();
    for number in 0..12_u64 {
        let origin = crate::query::v1::traces::tests::origin(&format!("service-{number}"), "host", "scope");
        let mut extra = template.clone();
        extra.span_id = SpanId::from_u64(100 + number);
        trace.spans.push(StoredSpan { origin, span: extra });
    }
    let bytes = traces_envelope_bytes(std::slice::from_ref(&trace)).unwrap();
    let answer = read_answer(&bytes);
    insta::assert_snapshot!("a_dozen_processes", pretty(&answer["data"][0]["processes"]));
    let text = String::from_utf8(bytes).unwrap();
    let position = |id: &str| text.find(&format!("\"{id}\":{{\"serviceName\"")).unwrap();
    assert!(position("p1") < position("p10"));
    assert!(position("p10") < position("p15"));
    assert!(position("p15") < position("p2"));
}

#[test]
fn ints_keep_their_type_however_large_and_other_values_beyond_json_become_text() {
    let tag = |value: Value| {
        let attribute = KeyValue::new("k", value);
        read_answer(&serde_json::to_vec(&TagJson::of(&attribute)).unwrap())
    };
    assert_eq!(tag(Value::I64(i64::MAX)), json!({ "key": "k", "type": "int64", "value": i64::MAX }));
    assert_eq!(tag(Value::I64(i64::MIN)), json!({ "key": "k", "type": "int64", "value": i64::MIN }));
    assert_eq!(tag(Value::F64(-2.5)), json!({ "key": "k", "type": "float64", "value": -2.5 }));
    assert_eq!(tag(Value::F64(f64::NAN)), json!({ "key": "k", "type": "string", "value": "NaN" }));
    assert_eq!(tag(Value::F64(f64::NEG_INFINITY)), json!({ "key": "k", "type": "string", "value": "-inf" }));
    assert_eq!(tag(Value::from(vec![true, false])), json!({ "key": "k", "type": "string", "value": "[true,false]" }));
}
