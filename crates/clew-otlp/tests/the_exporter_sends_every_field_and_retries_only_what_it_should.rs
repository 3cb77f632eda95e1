//! The OTLP exporter against a fake endpoint that records every request and fails on
//! purpose: every field arrives (protobuf, JSON, gzip, headers), trace-level events go as
//! log records, retries follow the answers and the deadline, and a dead collector never
//! holds the application up.

#![allow(clippy::unwrap_used)]

mod common;
mod fake;

use std::io::Read as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clew::{Batch, ExportError, Level, SpanExporter, TraceEvent, TraceId};
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use clew_otlp::prost::Message;
use clew_otlp::{Compression, OtlpExporter, Protocol, RetryPolicy};
use fake::{Answer, FakeEndpoint, Step};

fn batch() -> Batch {
    let event = TraceEvent {
        trace_id: TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        time_unix_nano: 1_700_000_000_500_000_000,
        level: Level::Warn,
        name: "agent.fallback".into(),
        attributes: common::every_value_type(),
    };
    Batch::new(common::resource(), common::spans(), vec![event])
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

/// The spans a traces request carries, mapped back to clew.
fn spans_of(request: &ExportTraceServiceRequest) -> Vec<clew::SpanData> {
    let decoded = clew_otlp::spans_from_request(request);
    assert_eq!(decoded.rejected, Vec::new());
    assert_eq!(decoded.groups.len(), 1);
    assert_eq!(&decoded.groups[0].resource, common::resource().as_ref());
    assert_eq!(decoded.groups[0].scope_name, "checkout-service");
    decoded.groups[0].spans.clone()
}

fn check_logs(request: &ExportLogsServiceRequest) {
    let records = &request.resource_logs[0].scope_logs[0].log_records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].trace_id, 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes());
    assert!(records[0].span_id.is_empty(), "a trace-level event has no span");
    assert_eq!(records[0].severity_text, "WARN");
    assert_eq!(records[0].time_unix_nano, 1_700_000_000_500_000_000);
}

/// Reports collected for one test.
type Reports = Arc<Mutex<Vec<String>>>;

/// Collects the SDK's reports that mention `needle`.
fn reports_about(needle: String) -> Reports {
    static REPORTS: Mutex<Vec<(String, Reports)>> = Mutex::new(Vec::new());
    let found = Arc::new(Mutex::new(Vec::new()));
    REPORTS.lock().unwrap().push((needle, Arc::clone(&found)));
    clew::diagnostics::set_handler(|message| {
        for (needle, found) in REPORTS.lock().unwrap().iter() {
            if message.contains(needle.as_str()) {
                found.lock().unwrap().push(message.to_owned());
            }
        }
    });
    found
}

#[test]
fn protobuf_requests_carry_every_field_the_headers_and_the_trace_events() {
    let endpoint = FakeEndpoint::start(Vec::new());
    let exporter = OtlpExporter::builder()
        .endpoint(endpoint.url())
        .header("x-api-key", "s3cret")
        .scope("checkout-service")
        .build()
        .unwrap();
    exporter.export(batch(), deadline()).unwrap();

    let received = endpoint.received();
    assert_eq!(received.len(), 2);
    let (traces, logs) = (&received[0], &received[1]);
    assert_eq!((traces.path.as_str(), logs.path.as_str()), ("/v1/traces", "/v1/logs"));
    for request in &received {
        assert_eq!(request.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(request.header("x-api-key"), Some("s3cret"));
        assert!(request.header("user-agent").unwrap().starts_with("clew-otlp/"));
        assert_eq!(request.header("content-encoding"), None);
    }
    let request = ExportTraceServiceRequest::decode(traces.body.as_slice()).unwrap();
    assert_eq!(spans_of(&request), common::spans());
    check_logs(&ExportLogsServiceRequest::decode(logs.body.as_slice()).unwrap());
    assert!(!format!("{exporter:?}").contains("s3cret"), "header values stay out of Debug");
}

#[test]
fn json_requests_follow_the_otlp_json_rules_and_gzip_bodies_decompress() {
    let endpoint = FakeEndpoint::start(Vec::new());
    let exporter = OtlpExporter::builder()
        .protocol(Protocol::HttpJson)
        .endpoint(format!("{}/", endpoint.url()))
        .compression(Compression::Gzip)
        .scope("checkout-service")
        .build()
        .unwrap();
    exporter.export(batch(), deadline()).unwrap();

    let received = endpoint.received();
    assert_eq!(received.len(), 2);
    let traces = &received[0];
    assert_eq!(traces.path, "/v1/traces", "one slash, whatever the base ends with");
    assert_eq!(traces.header("content-type"), Some("application/json"));
    assert_eq!(traces.header("content-encoding"), Some("gzip"));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(traces.body.as_slice()).read_to_end(&mut json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let span = &value["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736", "ids are hex in OTLP JSON");
    assert_eq!(span["spanId"], "0000000000000001");
    assert_eq!(span["parentSpanId"], "00f067aa0ba902b7");
    assert_eq!(span["kind"], 2, "enums are numbers");
    let request: ExportTraceServiceRequest = serde_json::from_slice(&json).unwrap();
    assert_eq!(spans_of(&request), common::spans());
    let mut logs = Vec::new();
    flate2::read::GzDecoder::new(received[1].body.as_slice()).read_to_end(&mut logs).unwrap();
    check_logs(&serde_json::from_slice(&logs).unwrap());
}

#[test]
fn retryable_answers_are_retried_after_retry_after_or_a_backoff() {
    let mut busy = Answer::status(429);
    busy.headers.push(("Retry-After", "1".into()));
    let endpoint = FakeEndpoint::start(vec![
        Step::Answer(Answer::status(503)),
        Step::Answer(busy),
        Step::Answer(Answer::status(502)),
        Step::Answer(Answer::status(504)),
    ]);
    let exporter = OtlpExporter::builder()
        .endpoint(endpoint.url())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(20)))
        .build()
        .unwrap();
    let mut spans_only = batch();
    spans_only.events.clear();
    exporter.export(spans_only, deadline()).unwrap();

    let received = endpoint.received();
    assert_eq!(received.len(), 5, "four failures, then success");
    assert!(received.iter().all(|request| request.body == received[0].body), "the same request each time");
    let after_429 = received[2].at - received[1].at;
    assert!(after_429 >= Duration::from_millis(950), "Retry-After: 1 was honoured: {after_429:?}");
}

#[test]
fn a_refusal_is_reported_once_with_the_server_s_reason_and_not_retried() {
    let endpoint = FakeEndpoint::start(vec![
        Step::Answer(Answer {
            status: 400,
            headers: vec![("Content-Type", "application/x-protobuf".into())],
            body: rpc_status(3, "span 7 has no name"),
        }),
        Step::Answer(Answer::status(401)),
    ]);
    let reports = reports_about(endpoint.addr.to_string());
    let exporter = OtlpExporter::builder().endpoint(endpoint.url()).build().unwrap();
    let mut spans_only = batch();
    spans_only.events.clear();

    let error = exporter.export(spans_only.clone(), deadline()).unwrap_err();
    assert!(error.to_string().contains("HTTP 400: span 7 has no name"), "{error}");
    assert_eq!(endpoint.received().len(), 1, "not retried");
    let error = exporter.export(spans_only.clone(), deadline()).unwrap_err();
    assert!(error.to_string().contains("HTTP 401"), "{error}");
    assert_eq!(endpoint.received().len(), 2);
    let reports = reports.lock().unwrap().clone();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(reports[0].contains("span 7 has no name"));
}

#[test]
fn a_partial_success_is_reported_once_and_counts_as_sent() {
    let partial = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess { rejected_spans: 2, error_message: "names too long".into() }),
    };
    let answer = || Answer { status: 200, headers: Vec::new(), body: partial.encode_to_vec() };
    let endpoint = FakeEndpoint::start(vec![Step::Answer(answer()), Step::Answer(answer())]);
    let reports = reports_about(endpoint.addr.to_string());
    let exporter = OtlpExporter::builder().endpoint(endpoint.url()).build().unwrap();
    let mut spans_only = batch();
    spans_only.events.clear();
    exporter.export(spans_only.clone(), deadline()).unwrap();
    exporter.export(spans_only, deadline()).unwrap();
    assert_eq!(endpoint.received().len(), 2, "not retried");
    let reports = reports.lock().unwrap().clone();
    assert_eq!(reports.len(), 1, "once: {reports:?}");
    assert!(reports[0].contains("refused 2 spans: names too long"), "{reports:?}");
}

#[test]
fn a_silent_endpoint_ends_the_export_at_its_timeout() {
    let endpoint = FakeEndpoint::start(vec![Step::Hang, Step::Hang, Step::Hang]);
    let exporter = OtlpExporter::builder()
        .endpoint(endpoint.url())
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(50)))
        .build()
        .unwrap();
    let mut spans_only = batch();
    spans_only.events.clear();
    let error = exporter.export(spans_only, Instant::now() + Duration::from_secs(60)).unwrap_err();
    assert!(matches!(error, ExportError::Timeout | ExportError::Failed { .. }), "{error}");
    assert!(!endpoint.received().is_empty());
}

#[test]
fn a_dead_collector_never_holds_the_application_up_and_drops_are_counted() {
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let exporter = OtlpExporter::builder()
        .endpoint(format!("http://{dead}"))
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    let tracer = clew::Tracer::builder()
        .ignore_env()
        .service_name("checkout")
        .max_queue_size(64)
        .max_export_batch_size(16)
        .exporter(exporter)
        .build();
    for index in 0..5_000 {
        let mut span = tracer.span("work").start();
        span.set_attribute("index", index);
        span.end();
    }
    // The flush gives up at its deadline; the spans are failed or dropped, never piled up.
    let _ = tracer.flush(Duration::from_secs(2));
    let stats = tracer.stats();
    assert_eq!(stats.exported, 0);
    assert!(stats.dropped > 0, "{stats:?}");
    assert!(stats.failed > 0, "{stats:?}");
    assert_eq!(stats.queued + stats.dropped, 5_000, "{stats:?}");
    tracer.shutdown(Duration::from_secs(2)).ok();
}

fn rpc_status(code: i32, message: &str) -> Vec<u8> {
    #[derive(Clone, PartialEq, clew_otlp::prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    Status { code, message: message.to_owned() }.encode_to_vec()
}

#[test]
fn trace_ingest_url_gets_the_batches_unless_the_exporter_variable_says_otherwise() {
    let endpoint = FakeEndpoint::start(Vec::new());
    let url = endpoint.url();
    let tracer = clew_otlp::tracer_builder_from(move |name| match name {
        "TRACE_INGEST_URL" => Some(url.clone()),
        "TRACE_BATCH_MAX" => Some("2".into()),
        _ => None,
    })
    .service_name("seed-service")
    .build();
    for _ in 0..5 {
        tracer.span("step").start().end();
    }
    tracer.flush(Duration::from_secs(10)).unwrap();
    let received = endpoint.received();
    let batches: Vec<usize> = received
        .iter()
        .map(|request| {
            assert_eq!(request.path, "/v1/traces");
            let request = ExportTraceServiceRequest::decode(request.body.as_slice()).unwrap();
            clew_otlp::spans_from_request(&request).groups.iter().map(|group| group.spans.len()).sum()
        })
        .collect();
    assert_eq!(batches.iter().sum::<usize>(), 5);
    assert!(batches.iter().all(|&size| size <= 2), "TRACE_BATCH_MAX=2: {batches:?}");
    tracer.shutdown(Duration::from_secs(2)).unwrap();

    let silent = FakeEndpoint::start(Vec::new());
    let url = silent.url();
    let tracer = clew_otlp::tracer_builder_from(move |name| match name {
        "TRACE_INGEST_URL" => Some(url.clone()),
        "OTEL_TRACES_EXPORTER" => Some("none".into()),
        _ => None,
    })
    .build();
    tracer.span("step").start().end();
    tracer.flush(Duration::from_secs(10)).unwrap();
    assert!(silent.received().is_empty(), "OTEL_TRACES_EXPORTER=none wins");
    tracer.shutdown(Duration::from_secs(2)).unwrap();
}
