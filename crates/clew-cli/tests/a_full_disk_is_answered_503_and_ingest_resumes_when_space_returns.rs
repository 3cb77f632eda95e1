//! `clew serve` with its data on a small tmpfs that fills up: ingest is answered 503 with
//! `Retry-After`, `/readyz` turns not ready with the reason, the server logs it once and
//! keeps answering queries; once space is freed, ingest resumes without a restart. Killed
//! with SIGKILL while the disk is full, it starts again on the full disk (queries answered,
//! ingest refused) and takes writes once there is room — and every acknowledged trace is
//! there exactly once, every refused one not at all.
//!
//! Mounting a tmpfs needs root (CAP_SYS_ADMIN), which `scripts/test` has; without it the
//! test fails.

// Each child is killed and waited for by `Serve`'s Drop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use clew_otlp::prost::Message;

mod common;

use common::{Serve, serve_with};

/// A tmpfs, unmounted on drop.
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(bytes: u64) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root (scripts/test runs as root): {status}");
        Tmpfs { _dir: dir, path }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Fills the file system of `dir` to the last byte; returns the file that does it.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = OpenOptions::new().create(true).append(true).open(&path).unwrap();
    for chunk in [1 << 16, 4096, 512, 1] {
        while file.write_all(&vec![7; chunk]).is_ok() {}
    }
    path
}

/// Ten spans of trace `trace`, each with a 2 KB attribute.
fn request(trace: u8) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let spans = (1..=10_u64)
        .map(|span| Span {
            trace_id: vec![trace; 16],
            span_id: span.to_be_bytes().to_vec(),
            parent_span_id: if span == 1 { Vec::new() } else { 1_u64.to_be_bytes().to_vec() },
            name: format!("step {span}"),
            start_time_unix_nano: now - 60_000_000_000 + span,
            end_time_unix_nano: now - 59_000_000_000,
            attributes: vec![KeyValue {
                key: "payload".into(),
                value: Some(AnyValue { value: Some(any_value::Value::StringValue("p".repeat(2000))) }),
                ..KeyValue::default()
            }],
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

/// Sends trace `trace`; returns the status and the `Retry-After` header.
fn send(server: &Serve, trace: u8) -> (u16, Option<String>) {
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/v1/traces", server.otlp_http))
        .header("content-type", "application/x-protobuf")
        .body(request(trace))
        .send()
        .unwrap();
    let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry_after)
}

fn spans_of(server: &Serve, trace: u8) -> usize {
    let url = format!("{}/api/v1/traces/{}", server.http, format!("{trace:02x}").repeat(16));
    let response = reqwest::blocking::get(&url).unwrap();
    if response.status() == 404 {
        return 0;
    }
    assert_eq!(response.status(), 200);
    let trace: serde_json::Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    trace["spans"].as_array().unwrap().len()
}

fn readyz(server: &Serve) -> (u16, String) {
    let response = reqwest::blocking::get(format!("{}/readyz", server.http)).unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn a_full_disk_refuses_ingest_until_space_returns_and_loses_nothing_acknowledged() {
    let tmpfs = Tmpfs::mount(24 << 20);
    let data = tmpfs.path.join("data");
    let flags = ["--min-free-disk-bytes", "0"];
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    let mut server = serve_with(&data, &flags);
    assert_eq!(send(&server, 1), (200, None));
    acknowledged.push(1);

    let filler = fill(&tmpfs.path);
    for trace in 2..=6 {
        match send(&server, trace) {
            (200, _) => acknowledged.push(trace),
            (503, retry_after) => {
                assert_eq!(retry_after.as_deref(), Some("1"), "503 says when to retry");
                refused.push(trace);
            }
            other => panic!("a full disk answers 503, not {other:?}"),
        }
    }
    assert!(refused.len() >= 4, "the full disk refused only {refused:?}");
    let (status, text) = readyz(&server);
    assert_eq!(status, 503);
    assert!(text.contains("No space left on device") && text.contains("wal"), "{text}");
    assert_eq!(spans_of(&server, 1), 10, "queries are answered while the disk is full");

    std::fs::remove_file(&filler).unwrap();
    // The server probes for room on its own, and says so when it finds it.
    server.wait_for_log("writes resumed", 1, Duration::from_secs(20));
    assert_eq!(readyz(&server).0, 200);
    assert_eq!(send(&server, 7), (200, None), "ingest resumes without a restart");
    acknowledged.push(7);
    let refusals = server.log_lines("writes refused");
    assert_eq!(refusals.len(), 1, "logged once: {refusals:?}");
    assert!(refusals[0].contains("No space left on device") && refusals[0].contains("wal"), "{refusals:?}");

    // Full again, and killed while full.
    let filler = fill(&tmpfs.path);
    assert_eq!(send(&server, 8).0, 503);
    refused.push(8);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    // It starts on the full disk: queries answered, ingest refused.
    let server = serve_with(&data, &flags);
    let (status, text) = readyz(&server);
    assert_eq!(status, 503, "{text}");
    assert_eq!(send(&server, 9).0, 503);
    refused.push(9);
    assert_eq!(spans_of(&server, 7), 10);

    std::fs::remove_file(&filler).unwrap();
    server.wait_for_log("writes resumed", 1, Duration::from_secs(20));
    assert_eq!(readyz(&server).0, 200);
    assert_eq!(send(&server, 10), (200, None));
    acknowledged.push(10);
    for trace in &acknowledged {
        assert_eq!(spans_of(&server, *trace), 10, "acknowledged trace {trace}, once and whole");
    }
    for trace in &refused {
        assert_eq!(spans_of(&server, *trace), 0, "refused trace {trace} is not stored");
    }
}
