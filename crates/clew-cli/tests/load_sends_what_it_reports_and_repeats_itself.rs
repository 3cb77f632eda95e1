//! `clew load` against a real `clew serve` over every protocol it speaks, and against a
//! plain recording endpoint: what it reports as accepted is stored, what is refused is
//! counted by answer, and two runs with the same seed and start send the same bytes.

// Each child is killed and waited for once the test is done with it (and on panic, by Drop).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

mod common;

use common::serve;

fn load(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_clew")).arg("load").args(args).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn get(url: &str) -> serde_json::Value {
    serde_json::from_str(&reqwest::blocking::get(url).unwrap().text().unwrap()).unwrap()
}

#[test]
fn every_protocol_delivers_what_it_reports_as_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let query = server.addr("query ");
    let cases = [
        ("otlp-http-protobuf", server.addr("OTLP/HTTP on ")),
        ("otlp-http-json", server.addr("OTLP/HTTP on ")),
        ("otlp-grpc", format!("http://{}", server.addr("OTLP/gRPC on "))),
        ("zipkin-json", server.addr("Zipkin on ")),
    ];
    for (seed, (protocol, endpoint)) in cases.into_iter().enumerate() {
        let seed = (seed + 100).to_string();
        let summary = load(&[
            "--protocol",
            protocol,
            "--endpoint",
            &endpoint,
            "--spans",
            "600",
            "--traces-per-request",
            "5",
            "--connections",
            "2",
            "--seed",
            &seed,
            "--services",
            "3",
        ]);
        assert_eq!(summary["spans_sent"], 600, "{protocol}: {summary}");
        assert_eq!(summary["spans_accepted"], 600, "{protocol}: {summary}");
        assert_eq!(summary["requests"], 12, "{protocol}: {summary}");
        assert_eq!(summary["spans_refused"], serde_json::json!({}));
        assert!(summary["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    }
    // 4 runs of 60 traces of 10 spans, each trace stored whole.
    let found = get(&format!("{query}/api/v1/search?limit=1000&start=0"));
    let traces = found["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 240);
    assert!(traces.iter().all(|trace| trace["spanCount"] == 10), "{found}");
    let services = get(&format!("{query}/api/v1/services"));
    assert_eq!(services["services"], serde_json::json!(["load-service-0", "load-service-1", "load-service-2"]));
}

/// An endpoint that records each request body and answers every one with `status`.
fn recorder(status: u16) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let (stream, bodies) = (stream.unwrap(), Arc::clone(&recorded));
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    bodies.lock().unwrap().push(body);
                    let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
                    reader.get_mut().write_all(answer.as_bytes()).unwrap();
                }
            });
        }
    });
    (url, bodies)
}

#[test]
fn the_same_seed_and_start_send_the_same_bytes_and_refusals_are_counted_by_answer() {
    let run = |seed: &str| {
        let (url, bodies) = recorder(200);
        let args = ["--endpoint", &url, "--spans", "250", "--connections", "1", "--seed", seed];
        let summary = load(&[&args[..], &["--start", "1700000000000000000", "--traces-per-request", "5"]].concat());
        assert_eq!(summary["spans_accepted"], 250);
        let bodies = bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 5);
        bodies
    };
    let first = run("42");
    assert_eq!(first, run("42"), "byte-identical");
    assert_ne!(first, run("43"));

    let (url, _) = recorder(503);
    let summary = load(&["--endpoint", &url, "--spans", "100", "--traces-per-request", "5"]);
    assert_eq!(summary["spans_accepted"], 0);
    assert_eq!(summary["spans_refused"], serde_json::json!({ "HTTP 503": 100 }));
}

#[test]
fn limits_measure_the_requests_a_run_would_send_without_sending() {
    let limits = load(&["--limits", "--spans", "5000", "--endpoint", "http://127.0.0.1:9"]);
    assert_eq!(limits["spans"], 5000);
    assert_eq!(limits["requests"], 10);
    let protobuf = limits["protobuf_bytes_per_span"].as_f64().unwrap();
    let zstd = limits["zstd19_bytes_per_span"].as_f64().unwrap();
    assert!(zstd > 0.0 && zstd < protobuf / 2.0, "{limits}");
    assert!(limits["decode_only_spans_per_second"].as_f64().unwrap() > 0.0);
}
