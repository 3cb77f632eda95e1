//! Zipkin bodies decoded by the receiver and read back through the read API's writer.

use clew::{SpanData, SpanId, SpanKind, Status, TraceId, Value};
use clew_otlp::RejectReason;
use clew_store::{Origin, TraceData, WriteBatch};
use prost::Message;
use serde_json::{Value as Json, json};

use super::json::decode_json;
use super::proto::{decode_proto, messages};
use crate::query::zipkin::trace_bytes;

/// The trace as `/api/v2/trace/{trace_id}` answers it.
fn trace_json(trace: &TraceData) -> Json {
    serde_json::from_slice(&trace_bytes(trace).unwrap()).unwrap()
}

const EXAMPLE: &str = r#"[{
    "traceId": "5af7183fb1d4cf5f",
    "parentId": "6b221d5bc9e6496c",
    "id": "352bff9a74ca9ad2",
    "kind": "CLIENT",
    "name": "get /api",
    "timestamp": 1556604172355737,
    "duration": 1431,
    "debug": true,
    "localEndpoint": { "serviceName": "backend", "ipv4": "192.168.99.1", "port": 3306 },
    "remoteEndpoint": { "serviceName": "db", "ipv4": "172.19.0.2", "port": 58648 },
    "annotations": [{ "timestamp": 1556604172355800, "value": "wire send" }],
    "tags": { "http.method": "GET", "http.path": "/api", "otel.scope.name": "okhttp", "error": "timeout" }
}]"#;

fn only_span(batch: &WriteBatch) -> (&Origin, &SpanData) {
    assert_eq!(batch.spans.len(), 1);
    let (origin, spans) = &batch.spans[0];
    assert_eq!(spans.len(), 1);
    (origin, &spans[0])
}

#[test]
fn the_api_example_maps_field_by_field() {
    let (batch, rejected) = decode_json(EXAMPLE.as_bytes()).unwrap();
    assert!(rejected.is_empty());
    let (origin, span) = only_span(&batch);
    assert_eq!(origin.service(), "backend");
    assert_eq!(origin.scope.as_ref(), "okhttp");
    assert_eq!(span.trace_id, TraceId::from_u128(0x5af7_183f_b1d4_cf5f));
    assert_eq!(span.span_id, SpanId::from_u64(0x352b_ff9a_74ca_9ad2));
    assert_eq!(span.parent_span_id, Some(SpanId::from_u64(0x6b22_1d5b_c9e6_496c)));
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(span.name.as_ref(), "get /api");
    assert_eq!(span.start_time_unix_nano, 1_556_604_172_355_737_000);
    assert_eq!(span.end_time_unix_nano, 1_556_604_172_355_737_000 + 1_431_000);
    assert_eq!(span.status, Status::error("timeout"));
    assert_eq!(span.events[0].name.as_ref(), "wire send");
    assert_eq!(span.events[0].time_unix_nano, 1_556_604_172_355_800_000);
    let attribute = |key: &str| span.attribute(key).cloned();
    assert_eq!(attribute("http.method"), Some(Value::from("GET")));
    assert_eq!(attribute("peer.service"), Some(Value::from("db")));
    assert_eq!(attribute("network.peer.address"), Some(Value::from("172.19.0.2")));
    assert_eq!(attribute("network.peer.port"), Some(Value::I64(58648)));
    assert_eq!(attribute("error"), None);
}

#[test]
fn invalid_spans_are_counted_and_the_rest_kept() {
    let body = r#"[
        {"traceId": "00000000000000000000000000000000", "id": "0000000000000001", "name": "zero trace"},
        {"traceId": "abcx", "id": "0000000000000001", "name": "not hex"},
        {"traceId": "123456789012345678901234567890123", "id": "0000000000000001", "name": "33 digits"},
        {"traceId": "0000000000000001", "id": "0000000000000000", "name": "zero id"},
        {"traceId": "0000000000000001", "id": "0000000000000002", "parentId": "00000000000000012", "name": "17-digit parent"},
        7,
        {"traceId": "0000000000000001", "id": "0000000000000003"}
    ]"#;
    let (batch, rejected) = decode_json(body.as_bytes()).unwrap();
    let (origin, span) = only_span(&batch);
    assert_eq!((origin.service(), span.name.as_ref()), ("unknown_service", "unknown"));
    let count = |reason| rejected.iter().find(|item| item.reason == reason).map_or(0, |item| item.count);
    assert_eq!(count(RejectReason::InvalidTraceId), 3);
    // The zero id, and the item that is not an object.
    assert_eq!(count(RejectReason::InvalidSpanId), 2);
    assert_eq!(count(RejectReason::InvalidParentSpanId), 1);
}

#[test]
fn fields_of_unexpected_types_read_as_absent_and_tags_keep_their_json_text() {
    let body = r#"[{
        "traceId": "0000000000000001", "id": "0000000000000002", "parentId": null,
        "name": 7, "kind": ["SERVER"], "timestamp": null, "shared": true,
        "localEndpoint": { "serviceName": "shop", "ipv4": "", "ipv6": "::1", "port": 70000 },
        "remoteEndpoint": "db",
        "annotations": [{ "timestamp": 10, "value": "kept" }, { "timestamp": 1.5, "value": "float" }, "text", 3],
        "tags": { "count": 3, "ratio": 0.25, "flag": false, "nothing": null, "list": [1, "a"], "map": {"b": 1} }
    }]"#;
    let (batch, rejected) = decode_json(body.as_bytes()).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    let (origin, span) = only_span(&batch);
    assert_eq!(origin.service(), "shop");
    assert_eq!(span.parent_span_id, None, "a null parentId is a root");
    assert_eq!((span.name.as_ref(), span.kind), ("unknown", SpanKind::Internal));
    assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (0, 0));
    let names: Vec<&str> = span.events.iter().map(|event| event.name.as_ref()).collect();
    assert_eq!(names, ["kept"]);
    let attribute = |key: &str| span.attribute(key).cloned();
    assert_eq!(attribute("count"), Some(Value::from("3")));
    assert_eq!(attribute("ratio"), Some(Value::from("0.25")));
    assert_eq!(attribute("flag"), Some(Value::from("false")));
    assert_eq!(attribute("nothing"), Some(Value::from("null")));
    assert_eq!(attribute("list"), Some(Value::from(r#"[1,"a"]"#)));
    assert_eq!(attribute("map"), Some(Value::from(r#"{"b":1}"#)));
    assert_eq!(attribute("peer.service"), None, "a remote endpoint that is not an object says nothing");
    assert_eq!(attribute("network.peer.port"), None, "70000 is no port");
}

#[test]
fn short_ids_are_left_padded_as_zipkin_pads_them() {
    let body = r#"[{"traceId": "5af7183fb1d4cf5f6b221d5bc9e6496", "id": "52bff9a74ca9ad2", "parentId": "1"}]"#;
    let (batch, rejected) = decode_json(body.as_bytes()).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    let (_, span) = only_span(&batch);
    assert_eq!(span.trace_id, TraceId::from_u128(0x05af_7183_fb1d_4cf5_f6b2_21d5_bc9e_6496), "31 digits make 128 bits");
    assert_eq!(span.span_id, SpanId::from_u64(0x052b_ff9a_74ca_9ad2));
    assert_eq!(span.parent_span_id, Some(SpanId::from_u64(1)));
}

#[test]
fn a_timestamp_or_duration_that_is_not_a_whole_number_refuses_the_span() {
    for time in [
        r#""timestamp": true"#,
        r#""timestamp": {}"#,
        r#""timestamp": "1e400""#,
        r#""timestamp": 1.5"#,
        r#""timestamp": -1"#,
        r#""duration": "5""#,
        r#""duration": []"#,
    ] {
        let body = format!(r#"[{{"traceId": "0000000000000001", "id": "0000000000000002", {time}}}]"#);
        let (batch, rejected) = decode_json(body.as_bytes()).unwrap();
        assert!(batch.is_empty(), "{time}");
        assert_eq!(rejected, [clew_otlp::Rejected { reason: RejectReason::InvalidTime, count: 1 }], "{time}");
    }
    let absent = decode_json(br#"[{"traceId": "0000000000000001", "id": "0000000000000002"}]"#).unwrap();
    assert_eq!(only_span(&absent.0).1.start_time_unix_nano, 0, "an absent timestamp is 0, as before");
}

#[test]
fn bodies_that_are_not_arrays_of_spans_are_errors() {
    for body in [&b"{}"[..], b"", b"[", b"\xff\xfe", b"\"spans\""] {
        assert!(decode_json(body).is_err(), "{body:?}");
    }
    assert!(decode_proto(&[0xff; 5]).is_err());
}

#[test]
fn protobuf_gives_what_json_gives() {
    let list = messages::ListOfSpans {
        spans: vec![messages::Span {
            trace_id: 0x5af7_183f_b1d4_cf5f_u64.to_be_bytes().to_vec(),
            parent_id: 0x6b22_1d5b_c9e6_496c_u64.to_be_bytes().to_vec(),
            id: 0x352b_ff9a_74ca_9ad2_u64.to_be_bytes().to_vec(),
            kind: 1,
            name: "get /api".into(),
            timestamp: 1_556_604_172_355_737,
            duration: 1431,
            local_endpoint: Some(messages::Endpoint {
                service_name: "backend".into(),
                ipv4: vec![192, 168, 99, 1],
                ipv6: Vec::new(),
                port: 3306,
            }),
            remote_endpoint: Some(messages::Endpoint {
                service_name: "db".into(),
                ipv4: vec![172, 19, 0, 2],
                ipv6: Vec::new(),
                port: 58648,
            }),
            annotations: vec![messages::Annotation { timestamp: 1_556_604_172_355_800, value: "wire send".into() }],
            tags: [("http.method", "GET"), ("http.path", "/api"), ("otel.scope.name", "okhttp"), ("error", "timeout")]
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
            debug: true,
            shared: false,
        }],
    };
    let (from_proto, _) = decode_proto(&list.encode_to_vec()).unwrap();
    let (from_json, _) = decode_json(EXAMPLE.as_bytes()).unwrap();
    let sorted = |batch: &WriteBatch| {
        let (origin, span) = only_span(batch);
        let mut span = span.clone();
        span.attributes.sort_by(|a, b| a.key.cmp(&b.key));
        (origin.clone(), span)
    };
    assert_eq!(sorted(&from_proto), sorted(&from_json));
}

#[test]
fn a_decoded_trace_reads_back_with_its_ids_times_and_tags() {
    let (batch, _) = decode_json(EXAMPLE.as_bytes()).unwrap();
    let (origin, span) = only_span(&batch);
    let trace = TraceData {
        trace_id: span.trace_id,
        spans: vec![clew_store::StoredSpan { origin: origin.clone(), span: span.clone() }],
        records: Vec::new(),
    };
    let json = trace_json(&trace);
    let back = &json[0];
    assert_eq!(back["traceId"], "5af7183fb1d4cf5f");
    assert_eq!(back["id"], "352bff9a74ca9ad2");
    assert_eq!(back["parentId"], "6b221d5bc9e6496c");
    assert_eq!(back["kind"], "CLIENT");
    assert_eq!(back["timestamp"], 1_556_604_172_355_737_u64);
    assert_eq!(back["duration"], 1431);
    assert_eq!(back["localEndpoint"], json!({ "serviceName": "backend" }));
    assert_eq!(back["remoteEndpoint"], json!({ "serviceName": "db", "ipv4": "172.19.0.2", "port": 58648 }));
    assert_eq!(back["annotations"], json!([{ "timestamp": 1_556_604_172_355_800_u64, "value": "wire send" }]));
    assert_eq!(back["tags"]["http.path"], "/api");
    assert_eq!(back["tags"]["error"], "timeout");
    assert_eq!(back["tags"]["otel.scope.name"], "okhttp");
    // And decoding the read-back form gives the same span.
    let (again, _) = decode_json(json.to_string().as_bytes()).unwrap();
    assert_eq!(only_span(&again).1.span_id, span.span_id);
    assert_eq!(only_span(&again).1.status, span.status);
}

proptest::proptest! {
    #[test]
    fn no_body_makes_decoding_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
        let _ = decode_json(&body);
        let _ = decode_proto(&body);
    }

    #[test]
    fn no_span_object_makes_decoding_panic(
        key in "(traceId|id|parentId|name|kind|timestamp|duration|localEndpoint|remoteEndpoint|annotations|tags)",
        value in r#"(null|true|-1|1\.5|18446744073709551616|"[0-9a-f]{0,40}"|\[\]|\{\}|\[\{"timestamp":1\}\]|\{"port":-1\})"#,
    ) {
        let body = format!(r#"[{{"traceId":"0000000000000001","id":"0000000000000002","{key}":{value}}}]"#);
        let _ = decode_json(body.as_bytes());
    }
}
