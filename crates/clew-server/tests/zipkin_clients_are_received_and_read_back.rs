//! Zipkin v2 JSON sent to `POST /api/v2/spans` is stored and read back through Zipkin's
//! read API, clew's API and Jaeger's API; so is the protobuf that py_zipkin sends.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestServer, attribute, post};
use serde_json::json;

/// Two services: a frontend SERVER span and its CLIENT call into a backend that failed.
fn spans(now_micros: u64) -> serde_json::Value {
    json!([
        {
            "traceId": "5af7183fb1d4cf5f1e0b6b2cc5d5e3a1",
            "id": "6b221d5bc9e6496c",
            "kind": "SERVER",
            "name": "get /api",
            "timestamp": now_micros,
            "duration": 207000,
            "localEndpoint": { "serviceName": "frontend", "ipv4": "192.168.99.1", "port": 3306 },
            "tags": { "http.method": "GET", "http.path": "/api" },
            "annotations": [{ "timestamp": now_micros + 10, "value": "wr" }]
        },
        {
            "traceId": "5af7183fb1d4cf5f1e0b6b2cc5d5e3a1",
            "parentId": "6b221d5bc9e6496c",
            "id": "5b4185666d50f68b",
            "kind": "CLIENT",
            "name": "get",
            "timestamp": now_micros + 1000,
            "duration": 100500,
            "localEndpoint": { "serviceName": "frontend" },
            "remoteEndpoint": { "serviceName": "backend", "ipv4": "10.0.0.7", "port": 9000 },
            "tags": { "error": "connection refused", "http.status_code": "503" }
        },
        {
            "traceId": "000000000000000000000000000000",
            "id": "0000000000000001",
            "name": "bad trace id"
        }
    ])
}

fn now_micros() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as u64
}

#[test]
fn zipkin_json_is_stored_and_every_read_api_returns_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let start = now_micros() - 5_000_000;
    let body = serde_json::to_vec(&spans(start)).unwrap();
    let (status, _, _) =
        post(&format!("{}/api/v2/spans", server.zipkin), &[("content-type", "application/json")], body);
    assert_eq!(status, 202);

    // clew's API, field by field.
    let (status, trace) = server.get("/api/v1/traces/5af7183fb1d4cf5f1e0b6b2cc5d5e3a1");
    assert_eq!(status, 200, "{trace}");
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2, "the span with a bad trace id is refused, the others kept");
    let (root, call) = (&spans[0], &spans[1]);
    assert_eq!(root["spanId"], "6b221d5bc9e6496c");
    assert_eq!(root["kind"], "server");
    assert_eq!(root["service"], "frontend");
    assert_eq!(root["startTimeUnixNano"], (start * 1000).to_string());
    assert_eq!(root["durationNanos"], "207000000");
    assert_eq!(attribute(&root["attributes"], "http.method").unwrap()["value"], "GET");
    assert_eq!(root["events"][0]["name"], "wr");
    assert_eq!(root["events"][0]["timeUnixNano"], ((start + 10) * 1000).to_string());
    assert_eq!(call["parentSpanId"], "6b221d5bc9e6496c");
    assert_eq!(call["kind"], "client");
    assert_eq!(call["status"]["code"], "error");
    assert_eq!(call["status"]["message"], "connection refused");

    // Zipkin's read API on both ports.
    for base in [&server.http, &server.zipkin] {
        let (status, zipkin) = common::get(&format!("{base}/api/v2/trace/5af7183fb1d4cf5f1e0b6b2cc5d5e3a1"));
        assert_eq!(status, 200);
        let spans = zipkin.as_array().unwrap();
        assert_eq!(spans.len(), 2);
        let root = spans.iter().find(|span| span["id"] == "6b221d5bc9e6496c").unwrap();
        assert_eq!(root["traceId"], "5af7183fb1d4cf5f1e0b6b2cc5d5e3a1");
        assert_eq!(root["timestamp"], start);
        assert_eq!(root["duration"], 207000);
        assert_eq!(root["kind"], "SERVER");
        assert_eq!(root["localEndpoint"]["serviceName"], "frontend");
        assert_eq!(root["tags"]["http.path"], "/api");
        let call = spans.iter().find(|span| span["id"] == "5b4185666d50f68b").unwrap();
        assert_eq!(call["parentId"], "6b221d5bc9e6496c");
        assert_eq!(call["tags"]["error"], "connection refused");
    }
    let (_, services) = server.get("/api/v2/services");
    assert_eq!(services, json!(["frontend"]));
    let (_, names) = server.get("/api/v2/spans?serviceName=frontend");
    assert_eq!(names, json!(["get", "get /api"]));
    let (status, found) = server.get("/api/v2/traces?serviceName=frontend&annotationQuery=error&limit=5");
    assert_eq!(status, 200);
    assert_eq!(found.as_array().unwrap().len(), 1);
    let (status, missing) = server.get("/api/v2/trace/00000000000000000000000000000abc");
    assert_eq!(status, 404, "{missing}");
    let (status, bad) = server.get("/api/v2/traces?limit=many");
    assert_eq!((status, bad["parameter"].as_str()), (400, Some("limit")));
    let (status, _) = server.get("/api/v2/spans");
    assert_eq!(status, 400);

    // Undecodable bodies get 400 and the server goes on.
    let (status, _, _) = post(
        &format!("{}/api/v2/spans", server.zipkin),
        &[("content-type", "application/json")],
        b"{\"not\": \"a list\"}".to_vec(),
    );
    assert_eq!(status, 400);
    let (status, _, _) =
        post(&format!("{}/api/v2/spans", server.zipkin), &[("content-type", "application/x-protobuf")], vec![0xff; 9]);
    assert_eq!(status, 400);
}

/// py_zipkin, with its protobuf encoding, traces a SERVER span and a CLIENT call with an
/// annotation and tags, sends them to `url`, and prints their ids and times as JSON.
const PY_ZIPKIN: &str = r#"
import json, sys, time, urllib.request
from py_zipkin import Encoding, Kind
from py_zipkin.transport import BaseTransportHandler
from py_zipkin.zipkin import zipkin_span

class Http(BaseTransportHandler):
    def get_max_payload_bytes(self):
        return None

    def send(self, payload):
        request = urllib.request.Request(
            sys.argv[1], data=payload, headers={"Content-Type": "application/x-protobuf"}
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 202, response.status

with zipkin_span(
    service_name="py-shop",
    span_name="POST /orders",
    transport_handler=Http(),
    sample_rate=100.0,
    encoding=Encoding.V2_PROTO3,
    kind=Kind.SERVER,
    use_128bit_trace_id=True,
) as root:
    root.update_binary_annotations({"order.id": "42"})
    with zipkin_span(service_name="py-shop", span_name="charge", kind=Kind.CLIENT) as call:
        call.add_annotation("card.charged")
        call.update_binary_annotations({"error": "declined"})
        time.sleep(0.002)
    ids = {"trace": root.zipkin_attrs.trace_id, "root": root.zipkin_attrs.span_id, "call": call.zipkin_attrs.span_id}
print(json.dumps(ids))
"#;

#[test]
fn zipkin_protobuf_from_py_zipkin_is_stored_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let python = std::env::var("CLEW_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = std::process::Command::new(&python)
        .arg("-c")
        .arg(PY_ZIPKIN)
        .arg(format!("{}/api/v2/spans", server.zipkin))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{python} could not send with py_zipkin (run scripts/test, or `pip install py_zipkin[protobuf]`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ids: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let trace_id = ids["trace"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32);

    let (status, trace) = server.get(&format!("/api/v1/traces/{trace_id}"));
    assert_eq!(status, 200, "{trace}");
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2, "{trace}");
    let root = spans.iter().find(|span| span["spanId"] == ids["root"]).unwrap();
    let call = spans.iter().find(|span| span["spanId"] == ids["call"]).unwrap();
    assert_eq!(root["name"], "POST /orders");
    assert_eq!(root["kind"], "server");
    assert_eq!(root["service"], "py-shop");
    assert!(root.get("parentSpanId").is_none_or(serde_json::Value::is_null), "{root}");
    assert_eq!(attribute(&root["attributes"], "order.id").unwrap()["value"], "42");
    assert_eq!(call["parentSpanId"], ids["root"]);
    assert_eq!(call["kind"], "client");
    assert_eq!(call["events"][0]["name"], "card.charged");
    assert_eq!(call["status"]["code"], "error");
    assert_eq!(call["status"]["message"], "declined");
    let nanos = |span: &serde_json::Value, field: &str| span[field].as_str().unwrap().parse::<u64>().unwrap();
    let root_start = nanos(root, "startTimeUnixNano");
    assert_eq!(root_start % 1000, 0, "Zipkin carries microseconds");
    assert!((root_start..root_start + nanos(root, "durationNanos")).contains(&nanos(call, "startTimeUnixNano")));
    assert!(nanos(call, "durationNanos") >= 2_000_000, "{call}");

    // And through Zipkin's own read API.
    let (status, zipkin) = server.get(&format!("/api/v2/trace/{trace_id}"));
    assert_eq!(status, 200);
    let call = zipkin.as_array().unwrap().iter().find(|span| span["id"] == ids["call"]).unwrap();
    assert_eq!(call["annotations"][0]["value"], "card.charged");
    assert_eq!(call["tags"]["error"], "declined");
    assert_eq!(call["localEndpoint"]["serviceName"], "py-shop");
}
