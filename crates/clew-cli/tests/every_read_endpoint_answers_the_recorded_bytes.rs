//! Every read endpoint (clew's `/api/v1`, Jaeger's classic `/api` and `/api/v3`, Zipkin's
//! `/api/v2`) answers a store filled with the demo workload and a fixed `clew load` stream
//! with the bytes recorded in `tests/snapshots/`, from the head and again from blocks after
//! a restart.
//!
//! The demo's requests are recorded in `tests/fixtures/demo-requests.bin` (the demo's ids
//! are random and its times follow the clock, so a fresh run would answer other bytes);
//! `clew load` with `--seed` and `--start` sends the same requests on every run. Each frame
//! of the fixture is a kind byte (`T` for `/v1/traces`, `L` for `/v1/logs`), a big-endian
//! `u32` length and a gzip-compressed OTLP protobuf body, in the order the demo sent them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod common;

use std::process::Command;

use common::{Serve, serve_with};
use serde_json::Value;

/// The demo's requests were sent between 22:04 and 22:35 UTC on 2026-12-01.
const WINDOW_START_SECONDS: u64 = 1_796_158_800; // 2026-12-01T21:00:00Z
const WINDOW_END_SECONDS: u64 = 1_796_166_000; // 2026-12-01T23:00:00Z
const LOAD_START_NANOS: &str = "1796160600000000000"; // 2026-12-01T21:30:00Z

/// Settings that keep the recorded data: it is older than the default retention by the
/// time this test runs, and the head is written to blocks only when the test says so.
const FLAGS: [&str; 4] = ["--retention", "36500d", "--head-max-age", "1h"];

fn send_demo(server: &Serve) {
    let fixture = include_bytes!("fixtures/demo-requests.bin");
    let client = reqwest::blocking::Client::new();
    let mut rest = &fixture[..];
    while !rest.is_empty() {
        let path = match rest[0] {
            b'T' => "/v1/traces",
            b'L' => "/v1/logs",
            other => panic!("fixture: unknown kind {other}"),
        };
        let length = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        let body = rest[5..5 + length].to_vec();
        rest = &rest[5 + length..];
        let response = client
            .post(format!("{}{path}", server.otlp_http))
            .header("content-type", "application/x-protobuf")
            .header("content-encoding", "gzip")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{path}: {}", response.text().unwrap());
    }
}

fn send_load(server: &Serve) {
    let output = Command::new(env!("CARGO_BIN_EXE_clew"))
        .args(["load", "--endpoint", &server.otlp_http, "--spans", "2000", "--connections", "1"])
        .args(["--seed", "7", "--start", LOAD_START_NANOS, "--error-rate", "0.1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "clew load: {}", String::from_utf8_lossy(&output.stderr));
}

fn get(server: &Serve, path: &str) -> String {
    let response = reqwest::blocking::get(format!("{}{path}", server.http)).unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = response.text().unwrap();
    format!("{status} {content_type}\n{body}")
}

/// The ids of the traces to read one by one: a failed and a good order of the demo, an
/// agent session with trace-level events, and a trace of the load.
fn chosen_traces(server: &Serve) -> Vec<(&'static str, String)> {
    let nanos = |seconds: u64| seconds * 1_000_000_000;
    let answer = get(
        server,
        &format!("/api/v1/search?start={}&end={}&limit=1000", nanos(WINDOW_START_SECONDS), nanos(WINDOW_END_SECONDS)),
    );
    let (_, body) = answer.split_once('\n').unwrap();
    let found: Value = serde_json::from_str(body).unwrap();
    let traces = found["traces"].as_array().unwrap();
    let pick = |label: &'static str, wanted: &dyn Fn(&Value) -> bool| {
        let trace = traces.iter().find(|trace| wanted(trace)).unwrap_or_else(|| panic!("no {label} trace"));
        (label, trace["traceId"].as_str().unwrap().to_owned())
    };
    let root = |trace: &Value| trace["rootService"].as_str().unwrap().to_owned();
    let errors = |trace: &Value| trace["errorCount"].as_u64().unwrap();
    vec![
        pick("failed-order", &|trace| root(trace) == "web-frontend" && errors(trace) > 0),
        pick("good-order", &|trace| root(trace) == "web-frontend" && errors(trace) == 0),
        pick("agent-session", &|trace| root(trace) == "support-agent"),
        pick("load", &|trace| root(trace).starts_with("load-service")),
    ]
}

/// Every request, named for its snapshot.
fn requests(traces: &[(&'static str, String)]) -> Vec<(String, String)> {
    let (start_s, end_s) = (WINDOW_START_SECONDS, WINDOW_END_SECONDS);
    let (start_ms, end_ms) = (start_s * 1_000, end_s * 1_000);
    let (start_us, end_us) = (start_ms * 1_000, end_ms * 1_000);
    let (start_ns, end_ns) = (start_us * 1_000, end_us * 1_000);
    let range = format!("start={start_ns}&end={end_ns}");
    let lookback_ms = end_ms - start_ms;
    let fixed: Vec<(&str, String)> = vec![
        ("v1-services", "/api/v1/services".into()),
        ("v1-operations-checkout", "/api/v1/services/checkout/operations".into()),
        ("v1-operations-load", "/api/v1/services/load-service-1/operations".into()),
        ("v1-search-all", format!("/api/v1/search?{range}&limit=1000")),
        ("v1-search-service", format!("/api/v1/search?{range}&service=checkout")),
        ("v1-search-operation", format!("/api/v1/search?{range}&service=checkout&operation=POST%20%2Forders")),
        ("v1-search-kind", format!("/api/v1/search?{range}&service=inventory&kind=client&limit=5")),
        ("v1-search-errors", format!("/api/v1/search?{range}&errors=true&limit=50")),
        ("v1-search-attribute", format!("/api/v1/search?{range}&attr=order.sku=sku-1042")),
        ("v1-search-duration", format!("/api/v1/search?{range}&minDuration=300ms&maxDuration=2s")),
        ("v1-search-integer-attribute", format!("/api/v1/search?{range}&attr=http.response.status_code=502")),
        ("v1-dependencies", format!("/api/v1/dependencies?{range}")),
        ("v1-stats", format!("/api/v1/operations/stats?{range}&step=1h")),
        ("v1-stats-service", format!("/api/v1/operations/stats?{range}&service=payments&step=30m")),
        ("v1-errors", format!("/api/v1/errors?{range}")),
        ("v1-errors-service", format!("/api/v1/errors?{range}&service=load-service-2&limit=3")),
        ("jaeger-services", "/api/services".into()),
        ("jaeger-service-operations", "/api/services/payments/operations".into()),
        ("jaeger-operations", "/api/operations?service=checkout".into()),
        ("jaeger-operations-kind", "/api/operations?service=checkout&spanKind=client".into()),
        ("jaeger-search", format!("/api/traces?service=checkout&start={start_us}&end={end_us}&limit=4")),
        (
            "jaeger-search-tags",
            format!(
                "/api/traces?service=payments&start={start_us}&end={end_us}&tags=%7B%22error%22%3A%22true%22%7D&limit=3"
            ),
        ),
        (
            "jaeger-search-duration",
            format!("/api/traces?service=inventory&start={start_us}&end={end_us}&minDuration=300ms&limit=5"),
        ),
        ("jaeger-dependencies", format!("/api/dependencies?endTs={end_ms}&lookback={lookback_ms}")),
        ("jaeger-v3-services", "/api/v3/services".into()),
        ("jaeger-v3-operations", "/api/v3/operations?service=checkout".into()),
        (
            "jaeger-v3-search",
            "/api/v3/traces?query.service_name=fraud-check&query.start_time_min=2026-12-01T21:00:00Z\
             &query.start_time_max=2026-12-01T23:00:00Z&query.search_depth=3"
                .into(),
        ),
        ("zipkin-services", "/api/v2/services".into()),
        ("zipkin-spans", "/api/v2/spans?serviceName=checkout".into()),
        (
            "zipkin-search",
            format!("/api/v2/traces?serviceName=notifications&endTs={end_ms}&lookback={lookback_ms}&limit=3"),
        ),
        (
            "zipkin-search-annotation",
            format!(
                "/api/v2/traces?annotationQuery=error&serviceName=payments&endTs={end_ms}&lookback={lookback_ms}&limit=3"
            ),
        ),
        ("zipkin-dependencies", format!("/api/v2/dependencies?endTs={end_ms}&lookback={lookback_ms}")),
    ];
    let mut requests: Vec<(String, String)> = fixed.into_iter().map(|(name, path)| (name.to_owned(), path)).collect();
    for (label, trace_id) in traces {
        let paths = [
            ("v1-trace", format!("/api/v1/traces/{trace_id}")),
            ("jaeger-trace", format!("/api/traces/{trace_id}")),
            ("jaeger-v3-trace", format!("/api/v3/traces/{trace_id}")),
            ("zipkin-trace", format!("/api/v2/trace/{trace_id}")),
        ];
        for (api, path) in paths {
            requests.push((format!("{api}-{label}"), path));
        }
    }
    let ids: Vec<&str> = traces.iter().map(|(_, id)| id.as_str()).collect();
    requests.push(("jaeger-traces-by-id".into(), format!("/api/traces?traceID={}&traceID={}", ids[0], ids[3])));
    requests
}

fn stop_gracefully(mut server: Serve) {
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "clew serve exited with {exit}");
}

#[test]
fn every_read_endpoint_answers_the_recorded_bytes_from_the_head_and_from_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(dir.path(), &FLAGS);
    send_demo(&server);
    send_load(&server);
    let traces = chosen_traces(&server);
    let requests = requests(&traces);

    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let from_head: Vec<String> = requests.iter().map(|(_, path)| get(&server, path)).collect();
    for ((name, path), answer) in requests.iter().zip(&from_head) {
        settings.set_description(path.as_str());
        settings.bind(|| insta::assert_snapshot!(name.as_str(), answer));
    }

    // A graceful stop writes the head out as a block; the restarted server answers from it.
    stop_gracefully(server);
    let server = serve_with(dir.path(), &FLAGS);
    assert_eq!(chosen_traces(&server), traces);
    for ((name, path), head_answer) in requests.iter().zip(&from_head) {
        let block_answer = get(&server, path);
        assert!(block_answer == *head_answer, "{name} ({path}) answers differently from blocks than from the head");
    }
}
