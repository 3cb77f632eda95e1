//! The `clew serve` process is killed with SIGKILL in the middle of a stream of
//! acknowledged requests; after a restart every acknowledged span is found, also when the
//! log's last write was torn.

// Each child is killed and waited for once the test is done with it (and on panic, by Drop).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::io::Write as _;
use std::sync::mpsc;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use clew_otlp::prost::Message;

mod common;

use common::serve;

fn request(index: u64) -> Vec<u8> {
    let spans = (0..10)
        .map(|span| Span {
            trace_id: (u128::from(index) + 1).to_be_bytes().to_vec(),
            span_id: (span + 1_u64).to_be_bytes().to_vec(),
            parent_span_id: if span == 0 { Vec::new() } else { 1_u64.to_be_bytes().to_vec() },
            name: format!("step {span}"),
            start_time_unix_nano: 1_700_000_000_000_000_000 + index * 1_000_000 + span,
            end_time_unix_nano: 1_700_000_000_000_000_000 + index * 1_000_000 + 500_000,
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

fn span_count(http: &str, index: u64) -> usize {
    let url = format!("{http}/api/v1/traces/{:032x}", u128::from(index) + 1);
    let response = reqwest::blocking::get(&url).unwrap();
    if response.status() == 404 {
        return 0;
    }
    let trace: serde_json::Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    trace["spans"].as_array().unwrap().len()
}

#[test]
fn every_acknowledged_span_is_found_after_sigkill_and_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path());

    // Four writers stream requests; the process is killed once 200 were acknowledged.
    let (acks, acknowledged) = mpsc::channel();
    let writers: Vec<_> = (0..4_u64)
        .map(|writer| {
            let url = format!("{}/v1/traces", server.otlp_http);
            let acks = acks.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for index in (writer..).step_by(4) {
                    let sent =
                        client.post(&url).header("content-type", "application/x-protobuf").body(request(index)).send();
                    match sent {
                        Ok(response) if response.status() == 200 => {
                            if acks.send(index).is_err() {
                                return;
                            }
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    drop(acks);
    let mut acked = Vec::new();
    while acked.len() < 200 {
        acked.push(acknowledged.recv().unwrap());
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    acked.extend(acknowledged.iter());
    for writer in writers {
        writer.join().unwrap();
    }

    // Tear the last write: half a record header at the end of the newest segment.
    let wal = dir.path().join("wal");
    let mut segments: Vec<_> = std::fs::read_dir(&wal).unwrap().map(|entry| entry.unwrap().path()).collect();
    segments.sort();
    let newest = segments.iter().rev().find(|path| std::fs::metadata(path).unwrap().len() > 16).unwrap();
    std::fs::OpenOptions::new().append(true).open(newest).unwrap().write_all(&[0x40, 0x00]).unwrap();

    let mut server = serve(dir.path());
    // The ports open before the log is replayed, which reports the torn tail.
    server.wait_for_log("cut 2 damaged bytes", 1, std::time::Duration::from_secs(60));
    for index in &acked {
        assert_eq!(span_count(&server.http, *index), 10, "trace of request {index}");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
