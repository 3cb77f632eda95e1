//! Every kind of bad request gets the answer the OTLP specification documents, and the
//! server goes on accepting good ones.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use clew_otlp::opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use clew_otlp::opentelemetry_proto::tonic::resource::v1::Resource;
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use clew_otlp::prost::Message;
use common::{TestServer, post};

const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
const JSON: (&str, &str) = ("content-type", "application/json");

fn span(trace_id: u128, span_id: u64, name: &str) -> Span {
    Span {
        trace_id: trace_id.to_be_bytes().to_vec(),
        span_id: span_id.to_be_bytes().to_vec(),
        name: name.to_owned(),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_000_001_000,
        ..Span::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    let service = KeyValue {
        key: "service.name".into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue("bodies".into())) }),
        ..KeyValue::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![service], ..Resource::default() }),
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn rpc_message(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    value["message"].as_str().unwrap().to_owned()
}

fn assert_still_serving(server: &TestServer, trace_id: u128) {
    let body = request(vec![span(trace_id, 1, "still serving")]).encode_to_vec();
    let (status, _, _) = post(&format!("{}/v1/traces", server.otlp_http), &[PROTOBUF], body);
    assert_eq!(status, 200);
    let (status, trace) = server.get(&format!("/api/v1/traces/{trace_id:032x}"));
    assert_eq!(status, 200);
    assert_eq!(trace["spans"][0]["name"], "still serving");
}

#[test]
fn undecodable_protobuf_and_json_get_400_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let url = format!("{}/v1/traces", server.otlp_http);

    let (status, _, body) = post(&url, &[PROTOBUF], vec![0xff, 0xff, 0xff, 0x0f]);
    assert_eq!(status, 400);
    let answer = clew_server_status(&body);
    assert!(answer.contains("invalid OTLP protobuf"), "{answer}");

    let (status, _, body) = post(&url, &[JSON], b"{\"resourceSpans\": 7}".to_vec());
    assert_eq!(status, 400);
    assert!(rpc_message(&body).contains("invalid OTLP JSON"));

    let (status, _, body) = post(&url, &[("content-type", "text/plain")], b"hello".to_vec());
    assert_eq!(status, 415);
    assert!(rpc_message(&body).contains("unsupported Content-Type"));

    let (status, _, body) = post(&url, &[PROTOBUF, ("content-encoding", "gzip")], b"not gzip at all".to_vec());
    assert_eq!(status, 400);
    assert!(clew_server_status(&body).contains("gzip"));

    let (status, _, _) = post(&url, &[PROTOBUF, ("content-encoding", "br")], b"x".to_vec());
    assert_eq!(status, 400);

    assert_still_serving(&server, 77);
}

/// The `message` of a protobuf `google.rpc.Status` body (field 2).
fn clew_server_status(body: &[u8]) -> String {
    #[derive(Clone, PartialEq, Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    Status::decode(body).unwrap().message
}

#[test]
fn invalid_spans_are_refused_with_partial_success_while_the_rest_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let spans = vec![span(5, 1, "good"), span(0, 2, "zero trace id"), span(5, 0, "zero span id"), span(5, 3, "")];
    let (status, _, body) =
        post(&format!("{}/v1/traces", server.otlp_http), &[PROTOBUF], request(spans).encode_to_vec());
    assert_eq!(status, 200);
    let partial = ExportTraceServiceResponse::decode(body.as_slice()).unwrap().partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 3);
    for reason in ["invalid trace id", "invalid span id", "empty span name"] {
        assert!(partial.error_message.contains(reason), "{reason} in {}", partial.error_message);
    }
    let (_, trace) = server.get(&format!("/api/v1/traces/{:032x}", 5));
    assert_eq!(trace["spans"].as_array().unwrap().len(), 1);
    assert_eq!(trace["spans"][0]["name"], "good");
    let (_, metrics) = server.get("/metrics");
    assert!(metrics.as_str().unwrap().contains("clew_spans_refused_total{reason=\"invalid trace id\"} 1"));
}

#[test]
fn bodies_over_the_limit_get_413_even_when_a_small_gzip_body_expands() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.limits.max_request_bytes = 1 << 20);
    let url = format!("{}/v1/traces", server.otlp_http);

    let (status, _, _) = post(&url, &[PROTOBUF], vec![0; 2 << 20]);
    assert_eq!(status, 413);

    // 64 MiB of zeros compress to about 64 KiB, well under the limit; the server stops
    // decompressing at the limit.
    let bomb = gzip(&vec![0_u8; 64 << 20]);
    assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
    let (status, _, body) = post(&url, &[PROTOBUF, ("content-encoding", "gzip")], bomb);
    assert_eq!(status, 413);
    assert!(clew_server_status(&body).contains("larger than"));

    // A gzip body under the limit is accepted.
    let body = gzip(&request(vec![span(9, 1, "zipped")]).encode_to_vec());
    let (status, _, _) = post(&url, &[PROTOBUF, ("content-encoding", "gzip")], body);
    assert_eq!(status, 200);
    assert_still_serving(&server, 78);
}

#[test]
fn long_values_are_cut_with_a_marker_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| {
        config.limits.max_value_bytes = 10;
        config.limits.max_attributes_per_span = 2;
    });
    let mut long = span(11, 1, "limited");
    long.attributes = ["a", "b", "c"]
        .iter()
        .map(|key| KeyValue {
            key: (*key).into(),
            value: Some(AnyValue { value: Some(any_value::Value::StringValue("ééééééééééé".into())) }),
            ..KeyValue::default()
        })
        .collect();
    let (status, _, _) =
        post(&format!("{}/v1/traces", server.otlp_http), &[PROTOBUF], request(vec![long]).encode_to_vec());
    assert_eq!(status, 200);
    let (_, trace) = server.get(&format!("/api/v1/traces/{:032x}", 11));
    let span = &trace["spans"][0];
    assert_eq!(span["attributes"].as_array().unwrap().len(), 2);
    // 10 bytes is five two-byte characters.
    assert_eq!(span["attributes"][0]["value"], format!("ééééé{}", clew_server::TRUNCATED_MARKER));
    assert_eq!(span["droppedAttributesCount"], 1);
    let (_, metrics) = server.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    assert!(metrics.contains("clew_values_truncated_total{protocol=\"otlp_http\"} 2"), "{metrics}");
    assert!(metrics.contains("clew_attributes_dropped_total{protocol=\"otlp_http\"} 1"), "{metrics}");
}

#[test]
fn unknown_trace_ids_get_404_and_bad_parameters_400_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let (status, body) = server.get(&format!("/api/v1/traces/{:032x}", 12345));
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("not found"));
    let (status, body) = server.get("/api/v1/traces/not-hex");
    assert_eq!(status, 400);
    assert_eq!(body["parameter"], "trace_id");
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("minDuration=fast", "minDuration"),
        ("kind=sideways", "kind"),
        ("attr=novalue", "attr"),
        ("start=yesterday", "start"),
    ] {
        let (status, body) = server.get(&format!("/api/v1/search?{query}"));
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["parameter"], parameter, "{query}: {body}");
    }
}

#[test]
fn spans_past_the_per_trace_limit_are_refused_with_partial_success() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.limits.max_spans_per_trace = 2);
    let spans = vec![span(21, 1, "one"), span(21, 2, "two"), span(21, 3, "three")];
    let (status, _, body) =
        post(&format!("{}/v1/traces", server.otlp_http), &[PROTOBUF], request(spans).encode_to_vec());
    assert_eq!(status, 200);
    let partial = ExportTraceServiceResponse::decode(body.as_slice()).unwrap().partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 1);
    assert!(partial.error_message.contains("per-trace span limit"), "{}", partial.error_message);
    let (_, trace) = server.get(&format!("/api/v1/traces/{:032x}", 21));
    assert_eq!(trace["spans"].as_array().unwrap().len(), 2);
}

#[test]
fn a_store_that_cannot_keep_up_answers_503_with_retry_after_and_loses_nothing_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), |_| {}, |store| store.head_max_spans = 1);
    // Blocks cannot be written while a file stands where their directory should be.
    let blocks = dir.path().join("blocks");
    std::fs::remove_dir_all(&blocks).unwrap();
    std::fs::write(&blocks, b"in the way").unwrap();
    let url = format!("{}/v1/traces", server.otlp_http);
    let mut accepted = Vec::new();
    let mut refusal = None;
    for trace in 100..200 {
        let (status, headers, body) =
            post(&url, &[JSON], serde_json::to_vec(&request(vec![span(trace, 1, "x")])).unwrap());
        match status {
            200 => accepted.push(trace),
            503 => {
                refusal = Some((headers, body));
                break;
            }
            other => panic!("HTTP {other}"),
        }
    }
    let (headers, body) = refusal.expect("the server refuses once the store is full");
    assert_eq!(headers["retry-after"], "1");
    assert!(rpc_message(&body).contains("waiting to be written"));
    std::fs::remove_file(&blocks).unwrap();
    std::fs::create_dir(&blocks).unwrap();
    for trace in accepted {
        assert_eq!(server.get(&format!("/api/v1/traces/{trace:032x}")).0, 200, "trace {trace}");
    }
    let (_, metrics) = server.get("/metrics");
    assert!(metrics.as_str().unwrap().contains("clew_requests_total{protocol=\"otlp_http\",code=\"503\"} 1"));
}

/// The status line and headers the server answers to `head` (a request without its body),
/// read until the blank line that ends them.
fn answer_to_head(address: &str, head: &str) -> String {
    use std::io::{BufRead, BufReader};
    let address = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    // A guard against hanging the suite, not a measured time.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        answer.push_str(&line);
    }
    answer
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_the_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    for (address, path) in [(&server.otlp_http, "/v1/traces"), (&server.zipkin, "/api/v2/spans")] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: clew\r\nContent-Type: application/json\r\n\
             Content-Length: 9223372036854775808\r\nExpect: 100-continue\r\n\r\n"
        );
        let answer = answer_to_head(address, &head);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(!answer.contains("100 Continue"), "{path}: {answer}");
        // Without `Expect`, a client sends its body at once: the 413 comes while it is still
        // sending, long before the declared length (or the limit) has arrived.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: clew\r\nContent-Type: application/json\r\n\
             Content-Length: 9223372036854775808\r\n\r\n{}",
            "x".repeat(4096)
        );
        let answer = answer_to_head(address, &head);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{path}: {answer}");
    }
    assert_still_serving(&server, 79);
}
