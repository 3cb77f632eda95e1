//! Spans sent over OTLP read back through Jaeger's classic API (what Grafana's Jaeger data
//! source calls) and Jaeger's `/api/v3`.

#![allow(clippy::unwrap_used)]

mod common;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use clew_otlp::opentelemetry_proto::tonic::resource::v1::Resource;
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span, status};
use clew_otlp::prost::Message;
use common::{TestServer, post};
use serde_json::json;

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..KeyValue::default()
    }
}

fn group(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource { attributes: vec![string("service.name", service)], ..Resource::default() }),
        scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
        ..ResourceSpans::default()
    }
}

#[test]
fn jaegers_apis_return_the_trace_with_processes_references_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let start = now - 60_000_000_000;
    let trace_id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes().to_vec();
    let root = Span {
        trace_id: trace_id.clone(),
        span_id: 1_u64.to_be_bytes().to_vec(),
        name: "GET /checkout".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 250_000_000,
        attributes: vec![string("http.route", "/checkout")],
        ..Span::default()
    };
    let child = Span {
        trace_id,
        span_id: 2_u64.to_be_bytes().to_vec(),
        parent_span_id: 1_u64.to_be_bytes().to_vec(),
        name: "charge".into(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: start + 1_000_000,
        end_time_unix_nano: start + 201_000_000,
        status: Some(clew_otlp::opentelemetry_proto::tonic::trace::v1::Status {
            code: status::StatusCode::Error as i32,
            message: "declined".into(),
        }),
        ..Span::default()
    };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![group("frontend", vec![root]), group("payments", vec![child])],
    };
    let (status, _, _) = post(
        &format!("{}/v1/traces", server.otlp_http),
        &[("content-type", "application/x-protobuf")],
        request.encode_to_vec(),
    );
    assert_eq!(status, 200);
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";

    let (status, services) = server.get("/api/services");
    assert_eq!(status, 200);
    assert_eq!(
        services,
        json!({ "data": ["frontend", "payments"], "total": 2, "limit": 0, "offset": 0, "errors": null })
    );
    let (_, operations) = server.get("/api/services/payments/operations");
    assert_eq!(operations["data"], json!(["charge"]));
    let (_, operations) = server.get("/api/operations?service=frontend&spanKind=server");
    assert_eq!(operations["data"], json!([{ "name": "GET /checkout", "spanKind": "server" }]));

    let (status, found) = server.get(&format!(
        "/api/traces?service=payments&tags=%7B%22error%22%3A%22true%22%7D&minDuration=100ms&start={}&end={}&limit=20",
        (start - 1_000_000_000) / 1_000,
        now / 1_000
    ));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1);
    let trace = &found["data"][0];
    assert_eq!(trace["traceID"], id);
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    let charge = spans.iter().find(|span| span["operationName"] == "charge").unwrap();
    assert_eq!(charge["references"], json!([{ "refType": "CHILD_OF", "traceID": id, "spanID": "0000000000000001" }]));
    assert_eq!(charge["startTime"], (start + 1_000_000) / 1_000);
    assert_eq!(charge["duration"], 200_000);
    assert!(charge["tags"].as_array().unwrap().contains(&json!({ "key": "error", "type": "bool", "value": true })));
    let process = charge["processID"].as_str().unwrap();
    assert_eq!(trace["processes"][process]["serviceName"], "payments");

    let (_, none) = server.get("/api/traces?service=payments&minDuration=1s&lookback=1h");
    assert_eq!(none["data"], json!([]));
    let (status, by_id) = server.get(&format!("/api/traces/{id}"));
    assert_eq!(status, 200);
    assert_eq!(by_id["data"][0]["spans"].as_array().unwrap().len(), 2);
    let (status, missing) = server.get("/api/traces/0000000000000000000000000000abcd");
    assert_eq!(status, 404);
    assert_eq!(missing["errors"][0]["code"], 404);
    let (status, bad) = server.get("/api/traces?service=payments&minDuration=soon");
    assert_eq!(status, 400);
    assert!(bad["errors"][0]["msg"].as_str().unwrap().contains("minDuration"));
    let (_, dependencies) = server.get(&format!("/api/dependencies?endTs={}&lookback=3600000", now / 1_000_000));
    assert_eq!(dependencies["data"], json!([{ "parent": "frontend", "child": "payments", "callCount": 1 }]));

    let (status, v3) = server.get(&format!("/api/v3/traces/{id}"));
    assert_eq!(status, 200);
    let resource_spans = v3["result"]["resourceSpans"].as_array().unwrap();
    assert_eq!(resource_spans.len(), 2);
    assert_eq!(resource_spans[0]["scopeSpans"][0]["spans"][0]["traceId"], id);
    let (_, v3_services) = server.get("/api/v3/services");
    assert_eq!(v3_services, json!({ "services": ["frontend", "payments"] }));
    let (_, v3_operations) = server.get("/api/v3/operations?service=payments");
    assert_eq!(v3_operations, json!({ "operations": [{ "name": "charge", "spanKind": "client" }] }));
    let (status, v3_found) = server.get("/api/v3/traces?query.service_name=payments&query.duration_min=100ms");
    assert_eq!(status, 200);
    assert_eq!(v3_found["result"]["resourceSpans"].as_array().unwrap().len(), 2);
    let (status, _) = server.get("/api/v3/traces?query.start_time_min=yesterday");
    assert_eq!(status, 400);
}
