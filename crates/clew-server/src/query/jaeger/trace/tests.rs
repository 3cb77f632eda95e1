//! The writer against the `serde_json::Value` builder it replaced, kept here as the
//! reference: the same bytes for traces with every kind of field, for a trace of a dozen
//! processes (`p10` sorts before `p2`), and for any attribute value.

use std::sync::Arc;

use clew::{KeyValue, Resource, SpanId, SpanKind, Status, Value};
use clew_store::{Origin, StoredSpan, TraceData};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::{TagJson, traces_envelope_bytes};
use crate::query::v1::traces::tests::{TRACE, any_value, every_kind_of_value, span, trace_with_every_kind_of_field};

/// The `serde_json::Value` builder `/api/traces` answered with before, unchanged but for
/// its visibility.
mod value_tree {
    use clew::{Event, KeyValue, Resource, SpanKind, Status, TraceId, Value};
    use clew_store::TraceData;
    use serde_json::{Value as Json, json};

    pub(super) fn tag(key: &str, value: &Value) -> Json {
        match value {
            Value::String(text) => json!({ "key": key, "type": "string", "value": text.as_ref() }),
            Value::Bool(flag) => json!({ "key": key, "type": "bool", "value": flag }),
            Value::I64(number) => json!({ "key": key, "type": "int64", "value": number }),
            Value::F64(number) if number.is_finite() => json!({ "key": key, "type": "float64", "value": number }),
            other => json!({ "key": key, "type": "string", "value": other.to_string() }),
        }
    }

    fn tags(attributes: &[KeyValue]) -> Vec<Json> {
        attributes.iter().map(|attribute| tag(&attribute.key, &attribute.value)).collect()
    }

    fn micros(nanos: u64) -> u64 {
        nanos / 1_000
    }

    fn id_hex(trace_id: TraceId) -> String {
        trace_id.to_string()
    }

    fn log(event: &Event) -> Json {
        let mut fields = vec![json!({ "key": "event", "type": "string", "value": event.name.as_ref() })];
        if let Some(level) = event.level {
            fields.push(json!({ "key": "level", "type": "string", "value": level.as_str() }));
        }
        fields.extend(tags(&event.attributes));
        json!({ "timestamp": micros(event.time_unix_nano), "fields": fields })
    }

    /// One trace in Jaeger's classic JSON.
    pub(super) fn trace_json(trace: &TraceData) -> Json {
        // One process per distinct resource, numbered in order of first use.
        let mut process_ids: Vec<(&Resource, String)> = Vec::new();
        let mut processes = serde_json::Map::new();
        let root = trace
            .spans
            .iter()
            .position(|stored| stored.span.parent_span_id.is_none())
            .or_else(|| (!trace.spans.is_empty()).then_some(0));
        let mut spans = Vec::with_capacity(trace.spans.len());
        for (index, stored) in trace.spans.iter().enumerate() {
            let resource = &*stored.origin.resource;
            let process_id = match process_ids.iter().find(|(known, _)| *known == resource) {
                Some((_, id)) => id.clone(),
                None => {
                    let id = format!("p{}", process_ids.len() + 1);
                    let process_tags: Vec<Json> = resource
                        .attributes()
                        .iter()
                        .filter(|attribute| attribute.key.as_ref() != "service.name")
                        .map(|attribute| tag(&attribute.key, &attribute.value))
                        .collect();
                    processes.insert(id.clone(), json!({ "serviceName": stored.service(), "tags": process_tags }));
                    process_ids.push((resource, id.clone()));
                    id
                }
            };
            let span = &stored.span;
            let mut references = Vec::new();
            if let Some(parent) = span.parent_span_id {
                references.push(
                    json!({ "refType": "CHILD_OF", "traceID": id_hex(span.trace_id), "spanID": parent.to_string() }),
                );
            }
            for link in &span.links {
                references.push(json!({
                    "refType": "FOLLOWS_FROM",
                    "traceID": id_hex(link.context.trace_id()),
                    "spanID": link.context.span_id().to_string(),
                }));
            }
            let mut span_tags = tags(&span.attributes);
            if span.kind != SpanKind::Internal {
                span_tags.push(tag("span.kind", &Value::from(span.kind.as_str())));
            }
            match &span.status {
                Status::Error { message } => {
                    span_tags.push(tag("error", &Value::Bool(true)));
                    span_tags.push(tag("otel.status_code", &Value::from("ERROR")));
                    if !message.is_empty() {
                        span_tags.push(tag("otel.status_description", &Value::from(message.to_string())));
                    }
                }
                Status::Ok => span_tags.push(tag("otel.status_code", &Value::from("OK"))),
                Status::Unset => {}
            }
            if !stored.origin.scope.is_empty() {
                span_tags.push(tag("otel.scope.name", &Value::from(stored.origin.scope.to_string())));
            }
            if let Some(label) = &span.label {
                span_tags.push(tag(clew_otlp::LABEL_ATTRIBUTE, &Value::from(label.to_string())));
            }
            if let Some(state) = &span.trace_state {
                span_tags.push(tag("w3c.tracestate", &Value::from(state.to_string())));
            }
            let mut logs: Vec<(u64, Json)> = span
                .events
                .iter()
                .chain(trace.span_logs(span.span_id))
                .map(|event| (event.time_unix_nano, log(event)))
                .collect();
            if Some(index) == root {
                for (_, event) in trace.trace_events() {
                    let mut fields = vec![
                        json!({ "key": "event", "type": "string", "value": event.name.as_ref() }),
                        json!({ "key": "level", "type": "string", "value": event.level.as_str() }),
                        json!({ "key": "clew.trace_event", "type": "bool", "value": true }),
                    ];
                    fields.extend(tags(&event.attributes));
                    logs.push((
                        event.time_unix_nano,
                        json!({ "timestamp": micros(event.time_unix_nano), "fields": fields }),
                    ));
                }
            }
            logs.sort_by_key(|(time, _)| *time);
            spans.push(json!({
                "traceID": id_hex(span.trace_id),
                "spanID": span.span_id.to_string(),
                "flags": span.trace_flags.to_u8(),
                "operationName": span.name.as_ref(),
                "references": references,
                "startTime": micros(span.start_time_unix_nano),
                "duration": micros(span.duration_nanos()),
                "tags": span_tags,
                "logs": logs.into_iter().map(|(_, log)| log).collect::<Vec<_>>(),
                "processID": process_id,
                "warnings": null,
            }));
        }
        json!({ "traceID": id_hex(trace.trace_id), "spans": spans, "processes": processes, "warnings": null })
    }
}

/// The envelope of the old answers: `crate::query::jaeger::json::envelope` without errors.
fn reference_envelope(traces: &[TraceData]) -> Json {
    let data = Json::Array(traces.iter().map(value_tree::trace_json).collect());
    crate::query::jaeger::json::envelope(data, traces.len(), Vec::new())
}

/// The bytes the writer gives, checked to read back as the reference's value too (the
/// first check, and the one that matters to clients: equal JSON whatever the key order).
fn assert_written_as_the_value_tree(traces: &[TraceData]) {
    let written = traces_envelope_bytes(traces).unwrap();
    let reference = reference_envelope(traces);
    let read_back: Json = serde_json::from_slice(&written).unwrap();
    assert_eq!(read_back, reference);
    assert_eq!(
        String::from_utf8_lossy(&written),
        serde_json::to_string(&reference).unwrap(),
        "fields come in the reference's (alphabetical) order"
    );
}

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

#[test]
fn a_trace_with_every_kind_of_field_is_written_as_the_value_tree_wrote_it() {
    let trace = jaeger_trace();
    let reference = value_tree::trace_json(&trace);
    // The reference has what the sample means it to have.
    assert_eq!(reference["spans"].as_array().unwrap().len(), 7);
    assert_eq!(reference["processes"].as_object().unwrap().len(), 6);
    assert_eq!(reference["spans"][0]["logs"].as_array().unwrap().len(), 5, "2 events, 1 log, 2 trace events");
    assert_eq!(reference["spans"][1]["logs"].as_array().unwrap().len(), 2);
    assert_eq!(reference["spans"][1]["references"].as_array().unwrap().len(), 3);

    assert_written_as_the_value_tree(std::slice::from_ref(&trace));
    // A search answers with several traces; one of them without spans, with its records.
    let mut without_spans = trace_with_every_kind_of_field();
    without_spans.spans.clear();
    let empty = TraceData { trace_id: TRACE, spans: Vec::new(), records: Vec::new() };
    assert_written_as_the_value_tree(&[trace, without_spans, empty]);
    assert_written_as_the_value_tree(&[]);
}

#[test]
fn a_trace_without_a_span_that_has_no_parent_gives_the_trace_events_to_its_first() {
    let mut trace = trace_with_every_kind_of_field();
    trace.spans.remove(0);
    let reference = value_tree::trace_json(&trace);
    assert_eq!(reference["spans"][0]["logs"].as_array().unwrap().len(), 4, "2 logs, 2 trace events");
    assert_written_as_the_value_tree(std::slice::from_ref(&trace));
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
    let reference = value_tree::trace_json(&trace);
    let keys: Vec<&String> = reference["processes"].as_object().unwrap().keys().collect();
    assert_eq!(keys[..3], ["p1", "p10", "p11"]);
    assert_written_as_the_value_tree(std::slice::from_ref(&trace));
}

#[test]
fn every_kind_of_value_is_tagged_as_the_value_tree_tagged_it() {
    for attribute in every_kind_of_value() {
        let written = serde_json::to_string(&TagJson::of(&attribute)).unwrap();
        assert_eq!(written, value_tree::tag(&attribute.key, &attribute.value).to_string(), "{attribute:?}");
    }
    // What the reference gives for the edges, spelled out.
    let tag = |value: Value| value_tree::tag("k", &value)["value"].clone();
    assert_eq!(tag(Value::I64(i64::MAX)), json!(i64::MAX));
    assert_eq!(tag(Value::F64(f64::NAN)), json!("NaN"));
    assert_eq!(tag(Value::F64(f64::NEG_INFINITY)), json!("-inf"));
}

proptest! {
    #[test]
    fn any_attribute_is_tagged_as_the_value_tree_tagged_it(key in any::<String>(), value in any_value()) {
        let attribute = KeyValue::new(key, value);
        let written = serde_json::to_string(&TagJson::of(&attribute)).unwrap();
        prop_assert_eq!(written, value_tree::tag(&attribute.key, &attribute.value).to_string());
    }
}
