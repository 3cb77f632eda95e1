//! Spans sent by the opentelemetry-otlp crate come back summed up through
//! `/api/v1/operations/stats`, `/api/v1/errors` and `/api/v1/dependencies` (with latency
//! percentiles), before and after a restart; Jaeger's and Zipkin's dependency endpoints
//! answer as they did; bad parameters are 400s that name them.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::TestServer;
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::{Value as Json, json};

const SECOND: u64 = 1_000_000_000;
const MILLISECOND: u64 = 1_000_000;

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn provider(server: &TestServer, service: &'static str) -> SdkTracerProvider {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", server.otlp_http))
        .build()
        .unwrap();
    SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .with_resource(Resource::builder_empty().with_service_name(service).build())
        .build()
}

/// Twenty checkouts, one every 3 s from `base`: frontend → checkout → payments, where
/// payments declines the card of checkouts 0, 5, 10 and 15 and fails without a message on
/// checkout 7. Returns the trace ids, by checkout.
fn send_checkouts(server: &TestServer, base: u64) -> Vec<String> {
    let providers = [provider(server, "frontend"), provider(server, "checkout"), provider(server, "payments")];
    let [frontend, checkout, payments] = [0, 1, 2].map(|index| providers[index].tracer("shop"));
    let mut trace_ids = Vec::new();
    for index in 0..20_u64 {
        let start = base + index * 3 * SECOND;
        let page = frontend
            .span_builder("GET /checkout")
            .with_kind(SpanKind::Server)
            .with_start_time(at(start))
            .start(&frontend);
        trace_ids.push(page.span_context().trace_id().to_string());
        let page = opentelemetry::Context::current_with_span(page);
        let order = checkout
            .span_builder("POST /orders")
            .with_kind(SpanKind::Server)
            .with_start_time(at(start + MILLISECOND))
            .start_with_context(&checkout, &page);
        let order = opentelemetry::Context::current_with_span(order);
        let mut charge = payments
            .span_builder("charge card")
            .with_kind(SpanKind::Server)
            .with_start_time(at(start + 2 * MILLISECOND))
            .start_with_context(&payments, &order);
        match index {
            0 | 5 | 10 | 15 => charge.set_status(Status::error("card declined")),
            7 => charge.set_status(Status::error("")),
            _ => {}
        }
        charge.end_with_timestamp(at(start + 2 * MILLISECOND + (index + 1) * MILLISECOND));
        order.span().end_with_timestamp(at(start + MILLISECOND + (50 + index) * MILLISECOND));
        page.span().end_with_timestamp(at(start + (100 + index) * MILLISECOND));
    }
    for provider in providers {
        provider.shutdown().unwrap();
    }
    trace_ids
}

/// Whether a percentile (a decimal string) is within the store's documented error of `exact`.
fn close_to(found: &Json, exact: u64) -> bool {
    let found: u64 = found.as_str().unwrap().parse().unwrap();
    found.abs_diff(exact) as f64 <= exact as f64 * clew_store::PERCENTILE_RELATIVE_ERROR
}

fn assert_percentiles(object: &Json, [p50, p95, p99]: [u64; 3]) {
    assert!(close_to(&object["p50Nanos"], p50), "p50 of {object}");
    assert!(close_to(&object["p95Nanos"], p95), "p95 of {object}");
    assert!(close_to(&object["p99Nanos"], p99), "p99 of {object}");
}

fn get_ok(server: &TestServer, path: &str) -> Json {
    let (status, body) = server.get(path);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[test]
fn stats_errors_and_call_latencies_come_back_from_the_head_and_from_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let base = (now - 1800 * SECOND) / SECOND * SECOND;
    let trace_ids = send_checkouts(&server, base);

    // 70 s in steps of 10 s: the checkouts fill six buckets, the seventh is empty.
    let stats_path = format!("/api/v1/operations/stats?start={base}&end={}&step=10s", base + 70 * SECOND);
    let stats = get_ok(&server, &stats_path);
    assert_eq!(stats["startTimeUnixNano"], base.to_string());
    assert_eq!(stats["endTimeUnixNano"], (base + 70 * SECOND).to_string());
    assert_eq!(stats["stepNanos"], (10 * SECOND).to_string());
    let operations = stats["operations"].as_array().unwrap();
    let names: Vec<(&str, &str, &str)> = operations
        .iter()
        .map(|operation| {
            (
                operation["service"].as_str().unwrap(),
                operation["operation"].as_str().unwrap(),
                operation["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("checkout", "POST /orders", "server"),
            ("frontend", "GET /checkout", "server"),
            ("payments", "charge card", "server")
        ]
    );
    let payments = &operations[2];
    assert_eq!((payments["count"].as_u64(), payments["errorCount"].as_u64()), (Some(20), Some(5)));
    assert!((payments["ratePerSecond"].as_f64().unwrap() - 20.0 / 70.0).abs() < 1e-9);
    // Charges last 1 to 20 ms: nearest-rank p50, p95 and p99 are 10, 19 and 20 ms.
    assert_percentiles(payments, [10 * MILLISECOND, 19 * MILLISECOND, 20 * MILLISECOND]);
    let series = payments["series"].as_array().unwrap();
    let counts: Vec<(u64, u64)> = series
        .iter()
        .map(|bucket| (bucket["count"].as_u64().unwrap(), bucket["errorCount"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [(4, 1), (3, 1), (3, 1), (4, 1), (3, 1), (3, 0), (0, 0)]);
    assert_eq!(series[1]["startTimeUnixNano"], (base + 10 * SECOND).to_string());
    // The first bucket holds charges 0 to 3: 1 to 4 ms.
    assert_percentiles(&series[0], [2 * MILLISECOND, 4 * MILLISECOND, 4 * MILLISECOND]);
    assert_eq!(
        series[6],
        json!({
            "startTimeUnixNano": (base + 60 * SECOND).to_string(),
            "count": 0, "errorCount": 0, "p50Nanos": null, "p95Nanos": null, "p99Nanos": null,
        })
    );
    let only_payments = get_ok(&server, &format!("{stats_path}&service=payments"));
    assert_eq!(only_payments["operations"], json!([payments]));

    let errors_path = format!("/api/v1/errors?start={base}&end={}", base + 60 * SECOND);
    let errors = get_ok(&server, &errors_path);
    let declined = json!({
        "service": "payments",
        "operation": "charge card",
        "message": "card declined",
        "count": 4,
        "firstTimeUnixNano": (base + 2 * MILLISECOND).to_string(),
        "lastTimeUnixNano": (base + 45 * SECOND + 2 * MILLISECOND).to_string(),
        "traceIds": [&trace_ids[15], &trace_ids[10], &trace_ids[5], &trace_ids[0]],
    });
    let unexplained = json!({
        "service": "payments",
        "operation": "charge card",
        "message": "",
        "count": 1,
        "firstTimeUnixNano": (base + 21 * SECOND + 2 * MILLISECOND).to_string(),
        "lastTimeUnixNano": (base + 21 * SECOND + 2 * MILLISECOND).to_string(),
        "traceIds": [&trace_ids[7]],
    });
    assert_eq!(errors, json!({ "groups": [declined, unexplained] }));
    assert_eq!(get_ok(&server, &format!("{errors_path}&limit=1"))["groups"], json!([declined]));
    assert_eq!(get_ok(&server, &format!("{errors_path}&service=checkout"))["groups"], json!([]));

    let dependencies_path = format!("/api/v1/dependencies?start={}&end={}", base - 1, base + 70 * SECOND);
    let dependencies = get_ok(&server, &dependencies_path);
    let edges = dependencies["dependencies"].as_array().unwrap();
    assert_eq!(edges.len(), 2, "{dependencies}");
    let (charges, orders) = (&edges[0], &edges[1]);
    assert_eq!(
        (&orders["parent"], &orders["child"], &orders["callCount"]),
        (&json!("frontend"), &json!("checkout"), &json!(20))
    );
    assert_eq!(
        (&charges["parent"], &charges["child"], &charges["errorCount"]),
        (&json!("checkout"), &json!("payments"), &json!(5))
    );
    // Orders last 50 to 69 ms.
    assert_percentiles(orders, [59 * MILLISECOND, 68 * MILLISECOND, 69 * MILLISECOND]);
    assert_percentiles(charges, [10 * MILLISECOND, 19 * MILLISECOND, 20 * MILLISECOND]);

    // Jaeger's and Zipkin's answers keep their shapes.
    let end_millis = (base + 70 * SECOND) / MILLISECOND;
    let (_, jaeger) = server.get(&format!("/api/dependencies?endTs={end_millis}&lookback=80000"));
    assert_eq!(
        jaeger["data"],
        json!([
            { "parent": "checkout", "child": "payments", "callCount": 20 },
            { "parent": "frontend", "child": "checkout", "callCount": 20 },
        ])
    );
    let (_, zipkin) = common::get(&format!("{}/api/v2/dependencies?endTs={end_millis}&lookback=80000", server.zipkin));
    assert_eq!(
        zipkin,
        json!([
            { "parent": "checkout", "child": "payments", "callCount": 20, "errorCount": 5 },
            { "parent": "frontend", "child": "checkout", "callCount": 20, "errorCount": 0 },
        ])
    );

    // The same answers from blocks, after a restart.
    server.stop();
    let server = TestServer::start_in(dir.path(), |_| {});
    assert_eq!(server.open_report.replayed_spans, 0);
    assert_eq!(get_ok(&server, &stats_path), stats);
    assert_eq!(get_ok(&server, &errors_path), errors);
    assert_eq!(get_ok(&server, &dependencies_path), dependencies);
}

#[test]
fn bad_parameters_are_answered_400_naming_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let cases = [
        ("/api/v1/operations/stats?step=0", "step"),
        ("/api/v1/operations/stats?step=1ms", "step"),
        ("/api/v1/operations/stats?start=0&end=2000&step=1", "step"),
        ("/api/v1/operations/stats?step=fortnightly", "step"),
        ("/api/v1/operations/stats?start=abc", "start"),
        ("/api/v1/operations/stats?end=1.5", "end"),
        ("/api/v1/operations/stats?start=20&end=10", "start"),
        ("/api/v1/errors?limit=0", "limit"),
        ("/api/v1/errors?limit=1001", "limit"),
        ("/api/v1/errors?limit=many", "limit"),
        ("/api/v1/errors?start=-1", "start"),
        ("/api/v1/errors?start=20&end=10", "start"),
        ("/api/v1/dependencies?end=soon", "end"),
        ("/api/v1/dependencies?start=20&end=10", "start"),
        ("/api/v1/search?start=20&end=10", "start"),
    ];
    for (path, parameter) in cases {
        let (status, body) = server.get(path);
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["parameter"], parameter, "{path}: {body}");
        assert!(body["error"].as_str().unwrap().contains(parameter), "{path}: {body}");
    }
    // Limits at their bounds, and an empty range, are fine.
    for path in [
        "/api/v1/operations/stats?start=0&end=1000&step=1",
        "/api/v1/operations/stats?start=10&end=10",
        "/api/v1/errors?limit=1000",
        "/api/v1/errors?limit=1",
    ] {
        assert_eq!(server.get(path).0, 200, "{path}");
    }
}
