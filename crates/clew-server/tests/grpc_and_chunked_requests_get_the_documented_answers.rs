//! Requests that arrive in pieces (chunked HTTP bodies) are read whole, and a gRPC
//! message over the size limit is refused without harm to the next one.

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
    // tonic's own answer, naming the limit.
    assert_eq!(too_large.code(), tonic::Code::OutOfRange, "{too_large:?}");
    assert!(too_large.message().contains("the limit is: 4096 bytes"), "{too_large:?}");
    assert_eq!(accepted.partial_success, None);
    assert_eq!(server.get(&format!("/api/v1/traces/{:032x}", 32)).0, 404);
    assert_eq!(server.get(&format!("/api/v1/traces/{:032x}", 33)).0, 200);
}
