//! Entry points for the fuzz targets in fuzz/: each decoder of the receivers (and its
//! estimate of the decoded size), on raw bytes. Not a stable interface.

use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::receivers::otlp::estimate;
use crate::receivers::zipkin::{json, proto};

/// An OTLP/HTTP protobuf trace body, decoded and mapped to clew spans.
pub fn otlp_traces_protobuf(bytes: &[u8]) {
    let _ = estimate::traces_protobuf(bytes);
    if let Ok(request) = ExportTraceServiceRequest::decode(bytes) {
        traces(&request);
    }
}

/// An OTLP/HTTP JSON trace body, decoded and mapped to clew spans.
pub fn otlp_traces_json(bytes: &[u8]) {
    let _ = estimate::json(bytes);
    if let Ok(request) = serde_json::from_slice::<ExportTraceServiceRequest>(bytes) {
        traces(&request);
    }
}

/// An OTLP/HTTP protobuf logs body, decoded and mapped to clew records.
pub fn otlp_logs_protobuf(bytes: &[u8]) {
    let _ = estimate::logs_protobuf(bytes);
    if let Ok(request) = ExportLogsServiceRequest::decode(bytes) {
        logs(&request);
    }
}

/// An OTLP/HTTP JSON logs body, decoded and mapped to clew records.
pub fn otlp_logs_json(bytes: &[u8]) {
    let _ = estimate::json(bytes);
    if let Ok(request) = serde_json::from_slice::<ExportLogsServiceRequest>(bytes) {
        logs(&request);
    }
}

/// A Zipkin v2 JSON body (`POST /api/v2/spans`, `application/json`).
pub fn zipkin_json(bytes: &[u8]) {
    let _ = json::estimate(bytes);
    let _ = json::decode_json(bytes);
}

/// A Zipkin v2 protobuf body (`POST /api/v2/spans`, `application/x-protobuf`).
pub fn zipkin_proto(bytes: &[u8]) {
    let _ = proto::estimate(bytes);
    let _ = proto::decode_proto(bytes);
}

/// A `Content-Encoding: gzip` body, inflated up to the default `max_request_bytes`.
pub fn gzip_body(bytes: &[u8]) {
    let _ = crate::ingest::decode_body(bytes, Some("gzip"), crate::Limits::default().max_request_bytes);
}

fn traces(request: &ExportTraceServiceRequest) {
    let decoded = clew_otlp::spans_from_request(request);
    let _ = (decoded.span_count(), decoded.rejected_count(), decoded.partial_success());
}

fn logs(request: &ExportLogsServiceRequest) {
    let decoded = clew_otlp::log_records_from_request(request);
    let _ = decoded.partial_success();
}
