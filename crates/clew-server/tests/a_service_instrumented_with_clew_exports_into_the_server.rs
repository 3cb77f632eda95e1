//! A service instrumented with clew exports into `clew serve` through clew-otlp's exporter
//! over HTTP protobuf, HTTP JSON and gRPC, and the server gives back what it recorded:
//! spans with typed attributes, label, kind, events with levels, status, and the trace's
//! own events.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use clew::{KeyValue, Level, SpanKind, Status};
use clew_otlp::{Compression, OtlpExporter, Protocol};
use common::{TestServer, attribute};

fn record(exporter: OtlpExporter, service: &str) -> String {
    let tracer = clew::Tracer::builder().ignore_env().service_name(service.to_owned()).exporter(exporter).build();
    let trace =
        tracer.trace("project-7", "request-42").input([KeyValue::new("question", "where is my order?")]).start();
    trace.with_span("answer", |span| {
        span.set_attribute("attempt", 2_i64);
        span.set_attribute("score", 0.75);
        span.set_attribute("cached", false);
        span.set_attribute("tags", vec!["a", "b"]);
        span.event(Level::Warn, "retrying", [KeyValue::new("after.ms", 150_i64)]);
        let lookup = tracer.span("lookup").kind(SpanKind::Client).label("STEP").start();
        lookup.end_with(Status::error("timeout"));
    });
    trace.event(Level::Info, "agent.answered", [KeyValue::new("tokens", 512_i64)]);
    trace.end(Status::Ok);
    tracer.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(tracer.stats().failed, 0);
    tracer.shutdown(Duration::from_secs(5)).unwrap();
    format!("{}", trace.trace_id())
}

#[test]
fn spans_and_trace_events_arrive_over_every_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let exporters = [
        ("http-protobuf", OtlpExporter::builder().endpoint(server.otlp_http.clone())),
        (
            "http-json",
            OtlpExporter::builder()
                .protocol(Protocol::HttpJson)
                .endpoint(server.otlp_http.clone())
                .compression(Compression::Gzip),
        ),
        ("grpc", OtlpExporter::builder().protocol(Protocol::Grpc).endpoint(server.otlp_grpc.clone())),
    ];
    for (protocol, builder) in exporters {
        let service = format!("agent-{protocol}");
        let trace_id = record(builder.build().unwrap(), &service);
        let (status, trace) = server.get(&format!("/api/v1/traces/{trace_id}"));
        assert_eq!(status, 200, "{protocol}: {trace}");
        let spans = trace["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 2, "{protocol}: {trace}");
        let answer = spans.iter().find(|span| span["name"] == "answer").unwrap();
        let lookup = spans.iter().find(|span| span["name"] == "lookup").unwrap();
        assert_eq!(answer["service"], service.as_str());
        assert_eq!(attribute(&answer["attributes"], "attempt").unwrap()["value"], 2, "{protocol}");
        assert_eq!(attribute(&answer["attributes"], "score").unwrap()["value"], 0.75);
        assert_eq!(attribute(&answer["attributes"], "cached").unwrap()["value"], false);
        assert_eq!(attribute(&answer["attributes"], "tags").unwrap()["value"], serde_json::json!(["a", "b"]));
        assert_eq!(answer["events"][0]["name"], "retrying");
        assert_eq!(answer["events"][0]["level"], "WARN");
        assert_eq!(lookup["parentSpanId"], answer["spanId"]);
        assert_eq!(lookup["kind"], "client");
        assert_eq!(lookup["label"], "STEP");
        assert_eq!(lookup["status"]["code"], "error");
        assert_eq!(lookup["status"]["message"], "timeout");
        let events = trace["events"].as_array().unwrap();
        let answered = events.iter().find(|event| event["name"] == "agent.answered").unwrap();
        assert_eq!(answered["level"], "INFO", "{protocol}");
        assert_eq!(attribute(&answered["attributes"], "tokens").unwrap()["value"], 512);
    }
}
