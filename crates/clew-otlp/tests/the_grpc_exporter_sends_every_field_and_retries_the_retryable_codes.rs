//! The OTLP/gRPC exporter against a gRPC server of the test's own that records every
//! message and answers from a script: every field arrives with the metadata and gzip, the
//! retryable codes are retried and the others not, and it works from inside an
//! application's tokio runtime as well as from a plain thread.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clew::{Batch, Level, SpanExporter, TraceEvent, TraceId};
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use clew_otlp::{Compression, OtlpExporter, Protocol, RetryPolicy};
use tonic::codec::CompressionEncoding;
use tonic::{Code, Request, Response, Status};

#[derive(Debug, Default)]
struct Recorded {
    traces: Vec<(ExportTraceServiceRequest, Option<String>, Option<String>)>,
    logs: Vec<ExportLogsServiceRequest>,
}

#[derive(Debug, Clone, Default)]
struct Collector {
    recorded: Arc<Mutex<Recorded>>,
    script: Arc<Mutex<VecDeque<Code>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let header = |name: &str| request.metadata().get(name).map(|value| value.to_str().unwrap().to_owned());
        let (key, encoding) = (header("x-api-key"), header("grpc-encoding"));
        self.recorded.lock().unwrap().traces.push((request.into_inner(), key, encoding));
        match self.script.lock().unwrap().pop_front() {
            Some(code) => Err(Status::new(code, "scripted failure")),
            None => Ok(Response::new(ExportTraceServiceResponse { partial_success: None })),
        }
    }
}

#[tonic::async_trait]
impl LogsService for Collector {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.recorded.lock().unwrap().logs.push(request.into_inner());
        Ok(Response::new(ExportLogsServiceResponse { partial_success: None }))
    }
}

/// Serves the collector on a runtime of its own; returns its address.
fn serve(collector: Collector) -> (SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    runtime.spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()).accept_compressed(CompressionEncoding::Gzip))
            .add_service(LogsServiceServer::new(collector).accept_compressed(CompressionEncoding::Gzip))
            .serve_with_incoming(incoming),
    );
    (addr, runtime)
}

fn batch() -> Batch {
    let event = TraceEvent {
        trace_id: TraceId::from_u128(77),
        time_unix_nano: 1_700_000_000_500_000_000,
        level: Level::Error,
        name: "agent.gave_up".into(),
        attributes: Vec::new(),
    };
    Batch::new(common::resource(), common::spans(), vec![event])
}

fn exporter(addr: SocketAddr) -> OtlpExporter {
    OtlpExporter::builder()
        .protocol(Protocol::Grpc)
        .endpoint(format!("http://{addr}"))
        .header("X-Api-Key", "s3cret")
        .compression(Compression::Gzip)
        .scope("checkout-service")
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(20)))
        .build()
        .unwrap()
}

#[test]
fn every_field_arrives_with_the_metadata_gzipped_and_trace_events_as_log_records() {
    let collector = Collector::default();
    let (addr, _runtime) = serve(collector.clone());
    exporter(addr).export(batch(), Instant::now() + Duration::from_secs(10)).unwrap();

    let recorded = collector.recorded.lock().unwrap();
    assert_eq!(recorded.traces.len(), 1);
    let (request, key, encoding) = &recorded.traces[0];
    assert_eq!(key.as_deref(), Some("s3cret"));
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let decoded = clew_otlp::spans_from_request(request);
    assert_eq!(decoded.groups[0].scope_name, "checkout-service");
    assert_eq!(&decoded.groups[0].resource, common::resource().as_ref());
    assert_eq!(decoded.groups[0].spans, common::spans());
    let record = &recorded.logs[0].resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(record.trace_id, 77_u128.to_be_bytes());
    assert!(record.span_id.is_empty());
    assert_eq!(record.severity_text, "ERROR");
}

#[test]
fn retryable_codes_are_retried_and_the_others_are_not() {
    let collector = Collector::default();
    collector.script.lock().unwrap().extend([Code::Unavailable, Code::Aborted]);
    let (addr, _runtime) = serve(collector.clone());
    let exporter = exporter(addr);
    let mut spans_only = batch();
    spans_only.events.clear();
    exporter.export(spans_only.clone(), Instant::now() + Duration::from_secs(10)).unwrap();
    assert_eq!(collector.recorded.lock().unwrap().traces.len(), 3, "two failures, then success");

    for code in [Code::InvalidArgument, Code::ResourceExhausted, Code::PermissionDenied] {
        collector.script.lock().unwrap().push_back(code);
        let before = collector.recorded.lock().unwrap().traces.len();
        let error = exporter.export(spans_only.clone(), Instant::now() + Duration::from_secs(10)).unwrap_err();
        assert!(error.to_string().contains("scripted failure"), "{error}");
        assert_eq!(collector.recorded.lock().unwrap().traces.len(), before + 1, "{code:?} is not retried");
    }
}

#[test]
fn it_works_from_inside_an_application_s_tokio_runtime() {
    let collector = Collector::default();
    let (addr, _runtime) = serve(collector.clone());
    let exporter = exporter(addr);
    let application = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    application.block_on(async {
        exporter.export(batch(), Instant::now() + Duration::from_secs(10)).unwrap();
    });
    assert_eq!(collector.recorded.lock().unwrap().traces.len(), 1);
}

#[test]
fn a_dead_collector_ends_the_export_in_time() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let exporter = OtlpExporter::builder()
        .protocol(Protocol::Grpc)
        .endpoint(format!("http://{dead}"))
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(20)))
        .build()
        .unwrap();
    let error = exporter.export(batch(), Instant::now() + Duration::from_secs(60)).unwrap_err();
    assert!(error.to_string().contains("gave up") || matches!(error, clew::ExportError::Timeout), "{error}");
}
