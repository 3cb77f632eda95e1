//! `clew serve` restarted over a log of 100,000 spans opens its ports before it replays
//! the log: `/healthz` answers at once, `/readyz` says it is replaying, a query made
//! meanwhile is answered once the spans are back (with all of them), and ingest works.

// Each child is killed and waited for by `Serve`'s Drop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::time::Duration;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use clew_otlp::prost::Message;

mod common;

use common::serve;

const REQUESTS: u64 = 500;
const SPANS: u64 = 200;

fn request(index: u64) -> Vec<u8> {
    let start =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 - 600_000_000_000;
    let spans = (1..=SPANS)
        .map(|span| Span {
            trace_id: (u128::from(index) + 1).to_be_bytes().to_vec(),
            span_id: span.to_be_bytes().to_vec(),
            parent_span_id: if span == 1 { Vec::new() } else { 1_u64.to_be_bytes().to_vec() },
            name: format!("step {span}"),
            start_time_unix_nano: start + span,
            end_time_unix_nano: start + 1_000_000,
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

fn get(url: &str) -> (u16, String) {
    let response = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
        .get(url)
        .send()
        .unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn the_ports_answer_while_the_log_replays() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path());
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let url = format!("{}/v1/traces", server.otlp_http);
            scope.spawn(move || {
                let client = reqwest::blocking::Client::new();
                for index in (writer..REQUESTS).step_by(4) {
                    let response = client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(request(index))
                        .send()
                        .unwrap();
                    assert_eq!(response.status(), 200);
                }
            });
        }
    });
    // Killed, so that every span is in the log and none in a block.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let server = serve(dir.path());
    assert!(
        !server.startup.iter().any(|line| line.contains("replayed from the log")),
        "the ports open before the log is replayed: {:?}",
        server.startup
    );
    assert_eq!(get(&format!("{}/healthz", server.http)).0, 200);
    let (status, text) = get(&format!("{}/readyz", server.http));
    if status == 200 {
        assert_eq!(server.log_lines("replayed from the log").len(), 1, "ready only once replayed");
    } else {
        assert_eq!((status, text.trim()), (503, "starting: replaying the write-ahead log"));
    }

    // A query made now waits for the replay and sees every span.
    let (status, text) = get(&format!("{}/api/v1/traces/{:032x}", server.http, REQUESTS));
    assert_eq!(status, 200, "{text}");
    let trace: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(trace["spans"].as_array().unwrap().len() as u64, SPANS);
    server.wait_for_log(&format!("{} spans replayed from the log", REQUESTS * SPANS), 1, Duration::from_secs(120));
    assert_eq!(get(&format!("{}/readyz", server.http)).0, 200);

    let response = reqwest::blocking::Client::new()
        .post(format!("{}/v1/traces", server.otlp_http))
        .header("content-type", "application/x-protobuf")
        .body(request(REQUESTS))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
}
