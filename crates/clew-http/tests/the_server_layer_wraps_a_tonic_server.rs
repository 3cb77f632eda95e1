//! The server layer on a tonic gRPC server: one span per call, ended with the stream's
//! trailers, over HTTP/2.

#![allow(clippy::unwrap_used)]

mod common;

use clew_http::TraceLayer;
use common::{integer, recording_tracer, span_named, text};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

/// A trace collector that accepts everything.
struct Collector;

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        _request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tokio::test]
async fn a_grpc_call_is_a_server_span_over_http2() {
    let (tracer, exporter) = recording_tracer("collector");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = Server::builder()
        .layer(TraceLayer::new().with_tracer(tracer))
        .add_service(TraceServiceServer::new(Collector))
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(server);

    let mut client = TraceServiceClient::connect(format!("http://{address}")).await.unwrap();
    client.export(ExportTraceServiceRequest::default()).await.unwrap();

    let span = span_named(&exporter, "POST");
    assert_eq!(text(&span, "url.path"), Some("/opentelemetry.proto.collector.trace.v1.TraceService/Export"));
    assert_eq!(text(&span, "network.protocol.version"), Some("2"));
    assert_eq!(text(&span, "server.address"), Some("127.0.0.1"));
    assert_eq!(integer(&span, "http.response.status_code"), Some(200));
    assert!(span.end_time_unix_nano > 0);
}
