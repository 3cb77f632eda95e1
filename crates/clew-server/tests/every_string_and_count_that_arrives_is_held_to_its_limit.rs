//! Every string that arrives — span and event names, attribute keys and values, status
//! messages, trace states of spans and links, scope names, resource attributes, log records — is cut to
//! `max_value_bytes` (a key never below 64 bytes) with the same marker, and the attribute, event and link lists to their
//! limits, on every receiver, with the cuts counted in `/metrics` by receiver.

#![allow(clippy::unwrap_used)]

mod common;

use clew_server::TRUNCATED_MARKER;
use common::{TestServer, attribute, post};
use serde_json::{Value as Json, json};

const LONG: &str = "abcdefghijklmnopqrstuvwxyz";
/// Longer than the 64 bytes below which no key is cut.
const LONG_KEY: &str = "key-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz";

fn cut_key() -> String {
    format!("{}{TRUNCATED_MARKER}", &LONG_KEY[..64])
}

fn cut() -> String {
    format!("abcdefghijklmnop{TRUNCATED_MARKER}")
}

fn text(value: &str) -> Json {
    json!({ "stringValue": value })
}

fn start() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| {
        config.limits.max_value_bytes = 16;
        config.limits.max_attributes_per_span = 2;
        config.limits.max_events_per_span = 2;
        config.limits.max_links_per_span = 1;
    });
    (dir, server)
}

fn truncated(server: &TestServer, protocol: &str) -> u64 {
    let (_, metrics) = server.get("/metrics");
    let line = format!("clew_values_truncated_total{{protocol=\"{protocol}\"}} ");
    metrics.as_str().unwrap().lines().find_map(|found| found.strip_prefix(&line)).map_or(0, |n| n.parse().unwrap())
}

#[test]
fn every_field_of_an_otlp_span_and_log_record_is_held_to_its_limit() {
    let (_dir, server) = start();
    let trace_id = "0000000000000000000000000000abcd";
    let event = |name: &str| json!({ "timeUnixNano": "1700000000000000100", "name": name, "attributes": [{ "key": LONG_KEY, "value": text("v") }] });
    let link = |span: &str| json!({ "traceId": trace_id, "spanId": span, "traceState": format!("k={LONG}") });
    let traces = json!({ "resourceSpans": [{
        "resource": { "attributes": [{ "key": "service.name", "value": text(LONG) }, { "key": LONG_KEY, "value": text("short") }] },
        "scopeSpans": [{
            "scope": { "name": LONG },
            "spans": [{
                "traceId": trace_id, "spanId": "0000000000000001", "name": LONG, "kind": 2,
                "traceState": "vendor=abcdefghijklmnopqrstuvwxyz",
                "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000000001000",
                "attributes": [
                    { "key": LONG_KEY, "value": text("v") },
                    { "key": "b", "value": { "arrayValue": { "values": [text(LONG)] } } },
                    { "key": "c", "value": text("dropped") }
                ],
                "events": [event(LONG), event("second"), event("third")],
                "links": [link("0000000000000002"), link("0000000000000003")],
                "status": { "code": 2, "message": LONG }
            }]
        }]
    }]});
    let (status, _, body) = post(
        &format!("{}/v1/traces", server.otlp_http),
        &[("content-type", "application/json")],
        serde_json::to_vec(&traces).unwrap(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let logs = json!({ "resourceLogs": [{
        "resource": { "attributes": [{ "key": "service.name", "value": text("logger") }] },
        "scopeLogs": [{ "logRecords": [{
            "timeUnixNano": "1700000000000000500", "traceId": trace_id, "body": text(LONG),
            "attributes": [{ "key": LONG_KEY, "value": text(LONG) }]
        }]}]
    }]});
    let (status, _, body) = post(
        &format!("{}/v1/logs", server.otlp_http),
        &[("content-type", "application/json")],
        serde_json::to_vec(&logs).unwrap(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let (status, trace) = server.get(&format!("/api/v1/traces/{trace_id}"));
    assert_eq!(status, 200, "{trace}");
    let span = &trace["spans"][0];
    assert_eq!(span["name"], cut());
    assert_eq!(span["service"], cut());
    assert_eq!(span["scope"], cut());
    assert_eq!(span["status"]["message"], cut());
    assert_eq!(span["traceState"], format!("vendor=abcdefghi{TRUNCATED_MARKER}"));
    assert!(attribute(&span["resource"], &cut_key()).is_some(), "{}", span["resource"]);
    assert_eq!(span["attributes"].as_array().unwrap().len(), 2);
    assert_eq!(span["attributes"][0]["key"], cut_key());
    assert_eq!(span["attributes"][1]["value"][0], cut());
    assert_eq!(span["droppedAttributesCount"], 1);
    assert_eq!(span["events"].as_array().unwrap().len(), 2);
    assert_eq!(span["droppedEventsCount"], 1);
    assert_eq!(span["events"][0]["name"], cut());
    assert_eq!(span["events"][0]["attributes"][0]["key"], cut_key());
    assert_eq!(span["links"].as_array().unwrap().len(), 1);
    assert_eq!(span["droppedLinksCount"], 1);
    assert_eq!(span["links"][0]["traceState"], format!("k=abcdefghijklmn{TRUNCATED_MARKER}"));
    let event = &trace["events"][0];
    assert_eq!(event["name"], cut());
    assert_eq!(event["attributes"][0]["key"], cut_key());
    assert_eq!(event["attributes"][0]["value"], cut());

    let (_, metrics) = server.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    assert!(metrics.contains("clew_events_dropped_total{protocol=\"otlp_http\"} 1"), "{metrics}");
    assert!(metrics.contains("clew_links_dropped_total{protocol=\"otlp_http\"} 1"), "{metrics}");
    assert!(metrics.contains("clew_attributes_dropped_total{protocol=\"otlp_http\"} 1"), "{metrics}");
    assert!(truncated(&server, "otlp_http") >= 12, "{metrics}");
}

#[test]
fn every_field_of_a_zipkin_span_is_held_to_its_limit() {
    let (_dir, server) = start();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as u64;
    let spans = json!([{
        "traceId": "000000000000beef", "id": "0000000000000001", "name": LONG, "timestamp": now, "duration": 10,
        "localEndpoint": { "serviceName": LONG },
        "remoteEndpoint": { "serviceName": LONG },
        "annotations": [{ "timestamp": now + 1, "value": LONG }, { "timestamp": now + 2, "value": "b" }, { "timestamp": now + 3, "value": "c" }],
        "tags": { LONG_KEY: "v", "b": LONG, "c": "dropped" }
    }]);
    let (status, _, body) = post(
        &format!("{}/api/v2/spans", server.zipkin),
        &[("content-type", "application/json")],
        serde_json::to_vec(&spans).unwrap(),
    );
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let (status, trace) = server.get("/api/v1/traces/0000000000000000000000000000beef");
    assert_eq!(status, 200, "{trace}");
    let span = &trace["spans"][0];
    assert_eq!(span["name"], cut());
    assert_eq!(span["service"], cut());
    assert_eq!(span["events"].as_array().unwrap().len(), 2);
    assert_eq!(span["droppedEventsCount"], 1);
    assert_eq!(span["events"][0]["name"], cut());
    assert_eq!(span["attributes"].as_array().unwrap().len(), 2);
    for item in span["attributes"].as_array().unwrap() {
        assert!(item["key"].as_str().unwrap().len() <= 64 + TRUNCATED_MARKER.len(), "{item}");
        assert!(item["value"].as_str().unwrap().len() <= 16 + TRUNCATED_MARKER.len(), "{item}");
    }
    assert!(truncated(&server, "zipkin") >= 4, "zipkin cuts are counted as zipkin's");
}
