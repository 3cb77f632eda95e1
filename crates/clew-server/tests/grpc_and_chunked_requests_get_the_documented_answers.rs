//! Requests that arrive in pieces (chunked HTTP bodies) are read whole, and a gRPC
//! message over the size limit is refused without harm to the next one; a full store answers
//! UNAVAILABLE.

#![allow(clippy::unwrap_used)]

mod common;

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use clew_otlp::prost::Message;
use common::TestServer;

fn request(trace_id: u128, name_len: usize) -> ExportTraceServiceRequest {
    let span = Span {
        trace_id: trace_id.to_be_bytes().to_vec(),
        span_id: 1_u64.to_be_bytes().to_vec(),
        name: "n".repeat(name_len),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_000_000_500,
        ..Span::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans: vec![span], ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    }
}

#[test]
fn a_chunked_body_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let bytes = request(31, 10).encode_to_vec();
    // A body of unknown length goes out with Transfer-Encoding: chunked.
    let body = reqwest::blocking::Body::new(std::io::Cursor::new(bytes));
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/v1/traces", server.otlp_http))
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.get(&format!("/api/v1/traces/{:032x}", 31)).0, 200);
}

#[test]
fn a_grpc_message_over_the_limit_is_refused_and_the_next_one_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.limits.max_request_bytes = 4096);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (too_large, accepted) = runtime.block_on(async {
        let mut client = TraceServiceClient::connect(server.otlp_grpc.clone()).await.unwrap();
        let too_large = client.export(request(32, 10_000)).await.unwrap_err();
        let accepted = client.export(request(33, 10)).await.unwrap().into_inner();
        (too_large, accepted)
    });
    // Not OUT_OF_RANGE, which OTLP clients retry; the message names the limit.
    assert_eq!(too_large.code(), tonic::Code::ResourceExhausted, "{too_large:?}");
    assert!(too_large.message().contains("the limit is: 4096 bytes"), "{too_large:?}");
    assert_eq!(accepted.partial_success, None);
    assert_eq!(server.get(&format!("/api/v1/traces/{:032x}", 32)).0, 404);
    assert_eq!(server.get(&format!("/api/v1/traces/{:032x}", 33)).0, 200);
}

#[test]
fn a_store_that_cannot_keep_up_answers_unavailable_over_grpc_and_loses_nothing_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), |_| {}, |store| store.head_max_spans = 1);
    // Blocks cannot be written while a file stands where their directory should be.
    let blocks = dir.path().join("blocks");
    std::fs::remove_dir_all(&blocks).unwrap();
    std::fs::write(&blocks, b"in the way").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (accepted, refusal) = runtime.block_on(async {
        let mut client = TraceServiceClient::connect(server.otlp_grpc.clone()).await.unwrap();
        let mut accepted = Vec::new();
        for trace in 100..200 {
            match client.export(request(trace, 10)).await {
                Ok(_) => accepted.push(trace),
                Err(status) => return (accepted, status),
            }
        }
        panic!("the server never refused");
    });
    // UNAVAILABLE is the code OTLP clients retry.
    assert_eq!(refusal.code(), tonic::Code::Unavailable, "{refusal:?}");
    assert!(refusal.message().contains("waiting to be written"), "{refusal:?}");
    assert!(!accepted.is_empty());
    std::fs::remove_file(&blocks).unwrap();
    std::fs::create_dir(&blocks).unwrap();
    for trace in accepted {
        assert_eq!(server.get(&format!("/api/v1/traces/{trace:032x}")).0, 200, "trace {trace}");
    }
    let (_, metrics) = server.get("/metrics");
    assert!(metrics.as_str().unwrap().contains("clew_requests_total{protocol=\"otlp_grpc\",code=\"Unavailable\"} 1"));
}

/// A gRPC unary request of `message` to the trace service, framed by hand; the status and
/// message of a trailers-only answer (what an error before or in the handler gives), empty
/// when the answer has a body (its status then comes in the trailers).
fn grpc_status_of(server: &TestServer, message: &[u8]) -> (String, String) {
    let mut frame = vec![0_u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(message);
    let client = reqwest::blocking::Client::builder().http2_prior_knowledge().build().unwrap();
    let response = client
        .post(format!("{}/opentelemetry.proto.collector.trace.v1.TraceService/Export", server.otlp_grpc))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(frame)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers().get(name).map(|value| value.to_str().unwrap().to_owned());
    (header("grpc-status").unwrap_or_default(), header("grpc-message").unwrap_or_default())
}

#[test]
fn a_grpc_message_that_is_not_protobuf_is_invalid_argument() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    // Field 1 (resource_spans) as a varint: not what the message has there.
    let (status, message) = grpc_status_of(&server, &[0x08, 0x01]);
    assert_eq!(status, i32::from(tonic::Code::InvalidArgument).to_string(), "{message}");
    assert!(message.contains("decode"), "{message}");
    let (status, message) = grpc_status_of(&server, &request(41, 3).encode_to_vec());
    assert_eq!(status, "", "a good message after it is answered with a body: {message}");
    assert_eq!(server.get(&format!("/api/v1/traces/{:032x}", 41)).0, 200);
}
