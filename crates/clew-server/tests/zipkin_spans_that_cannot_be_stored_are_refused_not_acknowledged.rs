//! Zipkin has no partial-success answer, so the Zipkin port refuses with 400 a body none of
//! whose spans can be stored, naming why, instead of acknowledging spans it drops; a body
//! with some valid spans is accepted (202) and the others are counted in `/metrics`. Ids
//! shorter than 16 or 32 digits are padded as Zipkin pads them, and a timestamp that is not
//! a whole number refuses its span instead of being stored as 0.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestServer, post};
use serde_json::json;

fn now_micros() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as u64
}

fn send(server: &TestServer, spans: &serde_json::Value) -> (u16, String) {
    let body = serde_json::to_vec(spans).unwrap();
    let (status, _, answer) =
        post(&format!("{}/api/v2/spans", server.zipkin), &[("content-type", "application/json")], body);
    (status, String::from_utf8(answer).unwrap())
}

fn refused(server: &TestServer, reason: &str) -> u64 {
    let (_, metrics) = server.get("/metrics");
    let line = format!("clew_spans_refused_total{{reason=\"{reason}\"}} ");
    metrics
        .as_str()
        .unwrap()
        .lines()
        .find_map(|found| found.strip_prefix(&line))
        .map_or(0, |count| count.parse().unwrap())
}

#[test]
fn a_body_of_spans_that_cannot_be_stored_is_refused_with_the_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let now = now_micros();
    let invalid = json!([
        { "traceId": "5af7183fb1d4cf5fxx", "id": "0000000000000001", "timestamp": now },
        { "traceId": "5af7183fb1d4cf5f", "id": "0000000000000002", "timestamp": true },
        { "traceId": "5af7183fb1d4cf5f", "id": "0000000000000003", "timestamp": "1e400" },
        { "traceId": "5af7183fb1d4cf5f", "id": "0000000000000004", "timestamp": {} },
    ]);
    let (status, answer) = send(&server, &invalid);
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("1 with an invalid trace id"), "{answer}");
    assert!(answer.contains("3 with an invalid timestamp or duration"), "{answer}");
    assert_eq!(refused(&server, "invalid timestamp or duration"), 3);
    let (status, found) = server.get("/api/v2/trace/5af7183fb1d4cf5f");
    assert_eq!(status, 404, "nothing was stored: {found}");
}

#[test]
fn a_body_with_valid_spans_is_accepted_and_the_others_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let now = now_micros() - 1_000_000;
    let mixed = json!([
        // 31 digits: padded to 32, as Zipkin does.
        { "traceId": "af7183fb1d4cf5f1e0b6b2cc5d5e3a1", "id": "6b221d5bc9e6496c", "name": "get /api",
          "timestamp": now, "duration": 1500, "localEndpoint": { "serviceName": "frontend" } },
        { "traceId": "af7183fb1d4cf5f1e0b6b2cc5d5e3a1", "id": "5b4185666d50f68b", "name": "late",
          "timestamp": now, "duration": "soon" },
    ]);
    let (status, answer) = send(&server, &mixed);
    assert_eq!(status, 202, "{answer}");
    assert_eq!(refused(&server, "invalid timestamp or duration"), 1);
    let (status, trace) = server.get("/api/v2/trace/0af7183fb1d4cf5f1e0b6b2cc5d5e3a1");
    assert_eq!(status, 200, "{trace}");
    let spans = trace.as_array().unwrap();
    assert_eq!(spans.len(), 1, "{trace}");
    assert_eq!(spans[0]["name"], "get /api");
    assert_eq!(spans[0]["timestamp"], now);
    assert_eq!(spans[0]["traceId"], "0af7183fb1d4cf5f1e0b6b2cc5d5e3a1");
    let (status, answer) = send(&server, &json!([]));
    assert_eq!(status, 202, "an empty list is nothing to refuse: {answer}");
}
