//! Bodies of a few bytes per item decode to a hundred times their size: such bodies, sent at
//! once on every receiver, are refused before they are decoded, and the server's peak
//! memory (read from /proc) stays far below what decoding them would take. A request
//! larger than the decoding budget is refused with its limit named; the server keeps
//! serving.

// The child is killed and waited for by `Serve`'s Drop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::thread;

mod common;

use common::serve_with;

/// The largest body the server takes (its default `max_request_bytes`).
const BODY_BYTES: usize = 16 << 20;

/// A protobuf length-delimited field.
fn field(number: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![(number << 3) | 2];
    let mut length = value.len();
    while length >= 0x80 {
        out.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    out.push(length as u8);
    out.extend_from_slice(value);
    out
}

/// `ExportTraceServiceRequest { ResourceSpans { ScopeSpans { N × empty Span } } }`, just
/// under `BODY_BYTES`.
fn empty_spans_protobuf() -> Vec<u8> {
    let spans: Vec<u8> = std::iter::repeat_n([0x12, 0x00], (BODY_BYTES - 64) / 2).flatten().collect();
    field(1, &field(2, &spans))
}

fn empty_spans_json() -> Vec<u8> {
    let spans = "{},".repeat((BODY_BYTES - 100) / 3);
    format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#, spans.trim_end_matches(',')).into_bytes()
}

fn empty_zipkin_spans() -> Vec<u8> {
    let spans = "{},".repeat((BODY_BYTES - 10) / 3);
    format!("[{}]", spans.trim_end_matches(',')).into_bytes()
}

/// The peak resident memory of a process, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// POSTs `body` and returns the status and the body of the answer.
fn post(url: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(120)).build().unwrap();
    let response = client.post(url).header("content-type", content_type).body(body).send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

/// An OTLP/gRPC export of `message`, over HTTP/2; returns `grpc-status` and `grpc-message`.
fn grpc_export(addr: &str, message: &[u8]) -> (String, String) {
    let mut body = vec![0];
    body.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    body.extend_from_slice(message);
    let client = reqwest::blocking::Client::builder()
        .http2_prior_knowledge()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap();
    let response = client
        .post(format!("http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(body)
        .send()
        .unwrap();
    let header =
        |name: &str| response.headers().get(name).map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    (header("grpc-status"), header("grpc-message"))
}

#[test]
fn bodies_of_empty_items_are_refused_before_they_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(dir.path(), &[]);
    let pid = server.child.id();
    let before = peak_rss(pid);
    let zipkin = server.addr("Zipkin on ");
    let grpc = server.addr("OTLP/gRPC on ");

    // Two of each at once, on every receiver: 128 MiB of bodies that would decode to tens
    // of gigabytes.
    let answers: Vec<(String, u16, String)> = thread::scope(|scope| {
        let mut sends = Vec::new();
        for _ in 0..2 {
            let traces = format!("{}/v1/traces", server.otlp_http);
            sends.push(scope.spawn(move || {
                let (status, body) = post(&traces, "application/x-protobuf", empty_spans_protobuf());
                ("otlp protobuf".to_owned(), status, body)
            }));
            let traces = format!("{}/v1/traces", server.otlp_http);
            sends.push(scope.spawn(move || {
                let (status, body) = post(&traces, "application/json", empty_spans_json());
                ("otlp json".to_owned(), status, body)
            }));
            let spans = format!("{zipkin}/api/v2/spans");
            sends.push(scope.spawn(move || {
                let (status, body) = post(&spans, "application/json", empty_zipkin_spans());
                ("zipkin json".to_owned(), status, body)
            }));
            let grpc = grpc.clone();
            sends.push(scope.spawn(move || {
                let (status, message) = grpc_export(&grpc, &empty_spans_protobuf());
                // INVALID_ARGUMENT is 3.
                ("otlp grpc".to_owned(), if status == "3" { 400 } else { 0 }, message.replace("%20", " "))
            }));
        }
        sends.into_iter().map(|send| send.join().unwrap()).collect()
    });
    for (receiver, status, body) in &answers {
        assert_eq!(*status, 400, "{receiver}: {body}");
        assert!(body.contains("too many empty items"), "{receiver}: {body}");
    }

    // Decoding one of these bodies took over 2 GB; the bodies themselves are 128 MiB.
    let peak = peak_rss(pid);
    assert!(peak < before + (768 << 20), "peak RSS grew from {before} to {peak} bytes");

    let ready = reqwest::blocking::get(format!("{}/readyz", server.http)).unwrap();
    assert_eq!(ready.status(), 200);
}

/// An export request of `count` spans with ids, times and a name.
fn real_spans(count: u64) -> Vec<u8> {
    let spans: Vec<u8> = (0..count)
        .flat_map(|index| {
            let mut span = field(1, &(u128::from(index) + 1).to_be_bytes());
            span.extend(field(2, &1_u64.to_be_bytes()));
            span.extend(field(5, b"GET /api/orders/{id}"));
            field(2, &span)
        })
        .collect();
    field(1, &field(2, &spans))
}

#[test]
fn a_request_larger_than_the_decoding_budget_is_refused_with_the_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(dir.path(), &["--max-decoding-bytes", "64KiB"]);
    // 2,000 real spans: far more than 64 KiB decoded, well within the ratio.
    let body = real_spans(2000);
    let (status, answer) = post(&format!("{}/v1/traces", server.otlp_http), "application/json", Vec::new());
    assert_eq!(status, 400, "an empty JSON body is invalid: {answer}");
    let (status, answer) = post(&format!("{}/v1/traces", server.otlp_http), "application/x-protobuf", body.clone());
    assert_eq!(status, 413, "{answer}");
    assert!(String::from_utf8_lossy(answer.as_bytes()).contains("max_decoding_bytes"), "{answer}");
    let (status, message) = grpc_export(&server.addr("OTLP/gRPC on "), &body);
    // RESOURCE_EXHAUSTED is 8; without RetryInfo, so that clients do not send it again.
    assert_eq!(status, "8", "{message}");

    // A small request still goes in.
    let small = real_spans(10);
    let (status, answer) = post(&format!("{}/v1/traces", server.otlp_http), "application/x-protobuf", small);
    assert_eq!(status, 200, "{answer}");
}
