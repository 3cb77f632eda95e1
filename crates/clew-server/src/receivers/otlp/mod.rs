//! OTLP: `http` serves `POST /v1/traces` and `/v1/logs` on 4318 (protobuf, JSON, gzip),
//! `grpc` the trace and logs services on 4317; both turn requests into store batches here.

pub(crate) mod estimate;
pub(crate) mod grpc;
pub(crate) mod http;

use std::sync::Arc;

use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceRequest};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest,
};
use clew_otlp::{DecodedLogs, DecodedTraces, Rejected};
use clew_store::{Origin, WriteBatch};

use crate::ingest::Ingest;

fn count_rejected(ingest: &Ingest, rejected: &[Rejected]) {
    for item in rejected {
        ingest.metrics.add("clew_spans_refused_total", &[("reason", &item.reason.to_string())], item.count);
    }
}

/// The accepted spans as a batch, the number refused and the reason text.
pub(crate) fn traces_batch(ingest: &Ingest, request: &ExportTraceServiceRequest) -> (WriteBatch, u64, String) {
    let decoded: DecodedTraces = clew_otlp::spans_from_request(request);
    count_rejected(ingest, &decoded.rejected);
    let partial = decoded.partial_success();
    let spans = decoded
        .groups
        .into_iter()
        .map(|group| (Origin { resource: Arc::new(group.resource), scope: group.scope_name.into() }, group.spans))
        .collect();
    let (rejected, message) = partial.map_or((0, String::new()), |partial| {
        (u64::try_from(partial.rejected_spans).unwrap_or(0), partial.error_message)
    });
    (WriteBatch { spans, records: Vec::new() }, rejected, message)
}

/// The accepted records as a batch, and the partial success to answer with.
pub(crate) fn logs_batch(
    ingest: &Ingest,
    request: &ExportLogsServiceRequest,
) -> (WriteBatch, Option<ExportLogsPartialSuccess>) {
    let decoded: DecodedLogs = clew_otlp::log_records_from_request(request);
    count_rejected(ingest, &decoded.rejected);
    let partial = decoded.partial_success();
    let records = decoded
        .groups
        .into_iter()
        .map(|group| (Origin { resource: Arc::new(group.resource), scope: group.scope_name.into() }, group.records))
        .collect();
    (WriteBatch { spans: Vec::new(), records }, partial)
}

/// The partial success of a trace export: spans refused while decoding, plus those over
/// the per-trace limit, with the reasons.
pub(crate) fn trace_partial_success(
    rejected: u64,
    message: String,
    over_limit: u64,
) -> Option<ExportTracePartialSuccess> {
    let mut message = message;
    if over_limit > 0 {
        let more = format!("{over_limit} over the per-trace span limit");
        message = if message.is_empty() { more } else { format!("{message}; {more}") };
    }
    let rejected = rejected + over_limit;
    (rejected > 0).then(|| ExportTracePartialSuccess {
        rejected_spans: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: message,
    })
}
