//! The writer against the `serde_json::Value` builder it replaced, kept here as the
//! reference: the same bytes for traces with every kind of field, for the remote endpoint
//! and tags in each of their forms, and for any attribute value.

use std::sync::Arc;

use clew::{KeyValue, Resource, SpanKind, Status, TraceId};
use clew_store::{Origin, StoredSpan, TraceData};
use proptest::prelude::*;
use serde_json::Value as Json;

use super::{trace_bytes, traces_bytes};
use crate::query::v1::traces::tests::{TRACE, any_value, every_kind_of_value, span, trace_with_every_kind_of_field};

/// The `serde_json::Value` builder `/api/v2/trace` answered with before, unchanged but for
/// its visibility.
mod value_tree {
    use clew::{SpanKind, Status, TraceId, Value};
    use clew_store::TraceData;
    use serde_json::{Map, Value as Json, json};

    fn trace_id_hex(trace_id: TraceId) -> String {
        let value = trace_id.to_u128();
        if value >> 64 == 0 { format!("{value:016x}") } else { format!("{value:032x}") }
    }

    fn tag_text(value: &Value) -> String {
        match value {
            Value::String(text) => text.to_string(),
            other => other.to_string(),
        }
    }

    fn micros(nanos: u64) -> u64 {
        nanos / 1_000
    }

    /// A stored trace as a Zipkin v2 trace: a JSON array of spans.
    pub(super) fn trace_json(trace: &TraceData) -> Json {
        // The root takes the trace-level events: the span without a parent, else the earliest.
        let root = trace
            .spans
            .iter()
            .position(|stored| stored.span.parent_span_id.is_none())
            .or_else(|| (!trace.spans.is_empty()).then_some(0));
        let spans = trace.spans.iter().enumerate().map(|(index, stored)| {
            let span = &stored.span;
            let mut object = Map::new();
            object.insert("traceId".into(), json!(trace_id_hex(span.trace_id)));
            if let Some(parent) = span.parent_span_id {
                object.insert("parentId".into(), json!(parent.to_string()));
            }
            object.insert("id".into(), json!(span.span_id.to_string()));
            let kind = match span.kind {
                SpanKind::Client => Some("CLIENT"),
                SpanKind::Server => Some("SERVER"),
                SpanKind::Producer => Some("PRODUCER"),
                SpanKind::Consumer => Some("CONSUMER"),
                SpanKind::Internal => None,
            };
            if let Some(kind) = kind {
                object.insert("kind".into(), json!(kind));
            }
            object.insert("name".into(), json!(span.name.as_ref()));
            object.insert("timestamp".into(), json!(micros(span.start_time_unix_nano)));
            let duration = span.duration_nanos();
            if duration > 0 {
                object.insert("duration".into(), json!(micros(duration).max(1)));
            }
            object.insert("localEndpoint".into(), json!({ "serviceName": stored.service() }));
            let mut remote = Map::new();
            let mut tags = Map::new();
            for attribute in &span.attributes {
                match attribute.key.as_ref() {
                    "peer.service" => {
                        remote.insert("serviceName".into(), json!(tag_text(&attribute.value)));
                    }
                    "network.peer.address" => {
                        let address = tag_text(&attribute.value);
                        let field = if address.contains(':') { "ipv6" } else { "ipv4" };
                        remote.insert(field.into(), json!(address));
                    }
                    "network.peer.port" => {
                        if let Value::I64(port) = attribute.value {
                            remote.insert("port".into(), json!(port));
                        }
                    }
                    key => {
                        tags.insert(key.to_owned(), json!(tag_text(&attribute.value)));
                    }
                }
            }
            if !remote.is_empty() {
                object.insert("remoteEndpoint".into(), Json::Object(remote));
            }
            match &span.status {
                Status::Error { message } => {
                    tags.insert("otel.status_code".into(), json!("ERROR"));
                    tags.insert("error".into(), json!(message.as_ref()));
                }
                Status::Ok => {
                    tags.insert("otel.status_code".into(), json!("OK"));
                }
                Status::Unset => {}
            }
            if !stored.origin.scope.is_empty() {
                tags.insert("otel.scope.name".into(), json!(stored.origin.scope.as_ref()));
            }
            let mut annotations: Vec<(u64, String)> = span
                .events
                .iter()
                .chain(trace.span_logs(span.span_id))
                .map(|event| (micros(event.time_unix_nano), event.name.to_string()))
                .collect();
            if Some(index) == root {
                annotations.extend(
                    trace.trace_events().map(|(_, event)| (micros(event.time_unix_nano), event.name.to_string())),
                );
            }
            annotations.sort();
            if !annotations.is_empty() {
                let annotations: Vec<Json> = annotations
                    .into_iter()
                    .map(|(timestamp, value)| json!({ "timestamp": timestamp, "value": value }))
                    .collect();
                object.insert("annotations".into(), Json::Array(annotations));
            }
            if !tags.is_empty() {
                object.insert("tags".into(), Json::Object(tags));
            }
            Json::Object(object)
        });
        Json::Array(spans.collect())
    }
}

/// The bytes the writer gives, checked to read back as the reference's value too (the
/// first check, and the one that matters to clients: equal JSON whatever the key order).
fn assert_written_as_the_value_tree(written: &[u8], reference: &Json) {
    let read_back: Json = serde_json::from_slice(written).unwrap();
    assert_eq!(&read_back, reference);
    assert_eq!(
        String::from_utf8_lossy(written),
        serde_json::to_string(reference).unwrap(),
        "fields come in the reference's (alphabetical) order"
    );
}

fn assert_trace_written_as_the_value_tree(trace: &TraceData) {
    assert_written_as_the_value_tree(&trace_bytes(trace).unwrap(), &value_tree::trace_json(trace));
}

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

#[test]
fn a_trace_with_every_kind_of_field_is_written_as_the_value_tree_wrote_it() {
    let trace = zipkin_trace();
    let reference = value_tree::trace_json(&trace);
    // The reference has what the sample means it to have.
    let spans = reference.as_array().unwrap();
    assert_eq!(spans.len(), 9);
    assert_eq!(spans[0]["annotations"].as_array().unwrap().len(), 5, "2 events, 1 log, 2 trace events");
    assert_eq!(spans[4]["remoteEndpoint"].as_object().unwrap().len(), 3);
    assert_eq!(spans[5]["remoteEndpoint"].as_object().unwrap().len(), 4);
    assert_eq!(spans[8]["duration"], 1);
    assert!(spans[3].get("duration").is_none());

    assert_trace_written_as_the_value_tree(&trace);
}

#[test]
fn traces_without_a_root_or_spans_and_of_64_bit_ids_are_written_as_the_value_tree_wrote_them() {
    let mut rootless = zipkin_trace();
    rootless.spans.remove(0);
    assert_trace_written_as_the_value_tree(&rootless);

    let mut short_id = zipkin_trace();
    let short = TraceId::from_u128(0x5af7_183f_b1d4_cf5f);
    short_id.trace_id = short;
    for stored in &mut short_id.spans {
        stored.span.trace_id = short;
    }
    assert_eq!(value_tree::trace_json(&short_id)[0]["traceId"], "5af7183fb1d4cf5f");
    assert_trace_written_as_the_value_tree(&short_id);

    let empty = TraceData { trace_id: TRACE, spans: Vec::new(), records: Vec::new() };
    assert_trace_written_as_the_value_tree(&empty);

    // A search answers with an array of traces.
    let traces = [zipkin_trace(), rootless, short_id, empty];
    let reference = Json::Array(traces.iter().map(value_tree::trace_json).collect());
    assert_written_as_the_value_tree(&traces_bytes(&traces).unwrap(), &reference);
    assert_written_as_the_value_tree(&traces_bytes(&[]).unwrap(), &Json::Array(Vec::new()));
}

proptest! {
    #[test]
    fn any_attribute_is_written_as_the_value_tree_wrote_it(
        attributes in prop::collection::vec(
            (prop_oneof![Just("peer.service".to_owned()), Just("network.peer.address".to_owned()),
                Just("network.peer.port".to_owned()), Just("error".to_owned()), any::<String>()],
            any_value()),
            0..8,
        ),
    ) {
        let mut one = span(1, None, "any");
        one.attributes = attributes.into_iter().map(|(key, value)| KeyValue::new(key, value)).collect();
        let origin = Origin { resource: Arc::new(Resource::new([KeyValue::new("service.name", "s")])), scope: "".into() };
        let trace = TraceData { trace_id: TRACE, spans: vec![StoredSpan { origin, span: one }], records: Vec::new() };
        let written = String::from_utf8(trace_bytes(&trace).unwrap()).unwrap();
        prop_assert_eq!(written, serde_json::to_string(&value_tree::trace_json(&trace)).unwrap());
    }
}
