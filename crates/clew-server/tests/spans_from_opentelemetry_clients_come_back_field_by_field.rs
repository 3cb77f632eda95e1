//! Spans sent by the opentelemetry-otlp crate over HTTP protobuf, HTTP JSON and gRPC are
//! read back through clew's API with every field intact.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{TestServer, attribute};
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanKind, Status, TraceContextExt, TraceFlags, TraceState, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

const START: u64 = 1_700_000_000_123_456_789;

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// Sends one parent and one child span with every kind of field; returns the trace id.
fn send(provider: &SdkTracerProvider) -> String {
    let tracer = provider.tracer("roundtrip-scope");
    let linked = SpanContext::new(
        opentelemetry::trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        opentelemetry::trace::SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("vendor", "x1")]).unwrap(),
    );
    let mut parent = tracer
        .span_builder("checkout")
        .with_kind(SpanKind::Server)
        .with_start_time(at(START))
        .with_attributes([
            KeyValue::new("text", "héllo"),
            KeyValue::new("flag", true),
            KeyValue::new("count", -42_i64),
            KeyValue::new("big", i64::MAX),
            KeyValue::new("ratio", 0.25),
            KeyValue::new("names", Value::Array(Array::String(vec!["a".into(), "b".into()]))),
            KeyValue::new("flags", Value::Array(Array::Bool(vec![true, false]))),
            KeyValue::new("numbers", Value::Array(Array::I64(vec![1, -2, 3]))),
            KeyValue::new("reals", Value::Array(Array::F64(vec![0.5, -1.5]))),
        ])
        .with_links(vec![Link::new(linked, vec![KeyValue::new("link.kind", "follows")], 0)])
        .start(&tracer);
    parent.add_event_with_timestamp("cache miss", at(START + 1_000), vec![KeyValue::new("key", "user:7")]);
    let trace_id = parent.span_context().trace_id().to_string();
    let context = opentelemetry::Context::current_with_span(parent);
    let mut child = tracer
        .span_builder("SELECT")
        .with_kind(SpanKind::Client)
        .with_start_time(at(START + 2_000))
        .start_with_context(&tracer, &context);
    child.set_status(Status::error("timeout after 3s"));
    child.end_with_timestamp(at(START + 5_000_001));
    let parent = context.span();
    parent.set_status(Status::Ok);
    parent.end_with_timestamp(at(START + 9_000_999));
    trace_id
}

fn provider(exporter: opentelemetry_otlp::SpanExporter) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_service_name("shop")
                .with_attributes([KeyValue::new("host.name", "web-1"), KeyValue::new("service.instance", 3_i64)])
                .build(),
        )
        .build()
}

fn http_exporter(server: &TestServer, protocol: Protocol) -> opentelemetry_otlp::SpanExporter {
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(format!("{}/v1/traces", server.otlp_http))
        .build()
        .unwrap()
}

fn check(server: &TestServer, trace_id: &str) {
    let (status, trace) = server.get(&format!("/api/v1/traces/{trace_id}"));
    assert_eq!(status, 200, "{trace}");
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    let (parent, child) = (&spans[0], &spans[1]);

    assert_eq!(parent["traceId"], trace_id);
    assert_eq!(parent["name"], "checkout");
    assert_eq!(parent["kind"], "server");
    assert_eq!(parent["service"], "shop");
    assert_eq!(parent["scope"], "roundtrip-scope");
    assert_eq!(parent["parentSpanId"], serde_json::Value::Null);
    assert_eq!(parent["startTimeUnixNano"], START.to_string());
    assert_eq!(parent["endTimeUnixNano"], (START + 9_000_999).to_string());
    assert_eq!(parent["durationNanos"], "9000999");
    assert_eq!(parent["status"]["code"], "ok");
    let attributes = &parent["attributes"];
    let typed = |key: &str| {
        let found = attribute(attributes, key).unwrap_or_else(|| panic!("no attribute {key} in {attributes}"));
        (found["type"].as_str().unwrap().to_owned(), found["value"].clone())
    };
    assert_eq!(typed("text"), ("string".into(), serde_json::json!("héllo")));
    assert_eq!(typed("flag"), ("bool".into(), serde_json::json!(true)));
    assert_eq!(typed("count"), ("int".into(), serde_json::json!(-42)));
    assert_eq!(typed("big"), ("int".into(), serde_json::json!(i64::MAX.to_string())));
    assert_eq!(typed("ratio"), ("double".into(), serde_json::json!(0.25)));
    assert_eq!(typed("names"), ("string[]".into(), serde_json::json!(["a", "b"])));
    assert_eq!(typed("flags"), ("bool[]".into(), serde_json::json!([true, false])));
    assert_eq!(typed("numbers"), ("int[]".into(), serde_json::json!([1, -2, 3])));
    assert_eq!(typed("reals"), ("double[]".into(), serde_json::json!([0.5, -1.5])));
    assert_eq!(attribute(&parent["resource"], "host.name").unwrap()["value"], "web-1");
    assert_eq!(attribute(&parent["resource"], "service.instance").unwrap()["value"], 3);

    let event = &parent["events"][0];
    assert_eq!(event["name"], "cache miss");
    assert_eq!(event["timeUnixNano"], (START + 1_000).to_string());
    assert_eq!(attribute(&event["attributes"], "key").unwrap()["value"], "user:7");

    let link = &parent["links"][0];
    assert_eq!(link["traceId"], "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(link["spanId"], "b7ad6b7169203331");
    assert_eq!(link["traceState"], "vendor=x1");
    assert_eq!(link["remote"], true);
    assert_eq!(attribute(&link["attributes"], "link.kind").unwrap()["value"], "follows");

    assert_eq!(child["parentSpanId"], parent["spanId"]);
    assert_eq!(child["name"], "SELECT");
    assert_eq!(child["kind"], "client");
    assert_eq!(child["startTimeUnixNano"], (START + 2_000).to_string());
    assert_eq!(child["endTimeUnixNano"], (START + 5_000_001).to_string());
    assert_eq!(child["status"], serde_json::json!({ "code": "error", "message": "timeout after 3s" }));

    let summary = &trace["summary"];
    assert_eq!(summary["rootService"], "shop");
    assert_eq!(summary["rootOperation"], "checkout");
    assert_eq!(summary["spanCount"], 2);
    assert_eq!(summary["errorCount"], 1);
    assert_eq!(summary["durationNanos"], "9000999");
}

#[test]
fn spans_over_http_protobuf_come_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let provider = provider(http_exporter(&server, Protocol::HttpBinary));
    let trace_id = send(&provider);
    provider.shutdown().unwrap();
    check(&server, &trace_id);
}

#[test]
fn spans_over_http_json_come_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let provider = provider(http_exporter(&server, Protocol::HttpJson));
    let trace_id = send(&provider);
    provider.shutdown().unwrap();
    check(&server, &trace_id);
}

#[test]
fn spans_over_grpc_come_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let trace_id = runtime.block_on(async {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(server.otlp_grpc.clone())
            .build()
            .unwrap();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder_empty()
                    .with_service_name("shop")
                    .with_attributes([KeyValue::new("host.name", "web-1"), KeyValue::new("service.instance", 3_i64)])
                    .build(),
            )
            .build();
        let trace_id = send(&provider);
        tokio::task::spawn_blocking(move || provider.shutdown().unwrap()).await.unwrap();
        trace_id
    });
    check(&server, &trace_id);
}

#[test]
fn spans_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let provider = provider(http_exporter(&server, Protocol::HttpBinary));
    let trace_id = send(&provider);
    provider.shutdown().unwrap();
    server.stop();
    // The graceful stop wrote a block; the log holds nothing more.
    let blocks = std::fs::read_dir(dir.path().join("blocks")).unwrap().count();
    assert_eq!(blocks, 1);
    let server = TestServer::start_in(dir.path(), |_| {});
    assert_eq!(server.open_report.replayed_spans, 0);
    check(&server, &trace_id);
}
