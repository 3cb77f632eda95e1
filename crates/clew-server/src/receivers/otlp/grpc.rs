//! OTLP over gRPC: the trace and logs services.
//!
//! Status codes follow the OTLP specification: OK with `partial_success` when some items
//! were refused, INVALID_ARGUMENT for undecodable messages and RESOURCE_EXHAUSTED over the
//! size limit (tonic answers those itself, [`status_by_the_specification`] gives them their
//! codes), UNAVAILABLE when the store cannot keep up (the client retries), INTERNAL when the
//! store fails.

use std::sync::Arc;

use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::{logs_batch, trace_partial_success, traces_batch};
use crate::ingest::{Ingest, IngestError};

#[derive(Debug, Clone)]
pub(crate) struct Receiver {
    ingest: Arc<Ingest>,
}

fn status_of(error: IngestError) -> Status {
    match error {
        IngestError::Busy(reason) => Status::unavailable(reason),
        IngestError::Failed(reason) => Status::internal(reason),
    }
}

fn count(ingest: &Ingest, result: &Result<(), &Status>) {
    let code = match result {
        Ok(()) => "OK".to_owned(),
        Err(status) => format!("{:?}", status.code()),
    };
    ingest.metrics.add("clew_requests_total", &[("protocol", "otlp_grpc"), ("code", &code)], 1);
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let (batch, rejected, message) = traces_batch(&self.ingest, request.get_ref());
        let result = match self.ingest.write("otlp_grpc", batch).await {
            Ok(over_limit) => {
                let partial_success = trace_partial_success(rejected, message, over_limit);
                Ok(Response::new(ExportTraceServiceResponse { partial_success }))
            }
            Err(error) => Err(status_of(error)),
        };
        count(&self.ingest, &result.as_ref().map(drop));
        result
    }
}

#[tonic::async_trait]
impl LogsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let (batch, partial_success) = logs_batch(&self.ingest, request.get_ref());
        let result = match self.ingest.write("otlp_grpc", batch).await {
            Ok(_) => Ok(Response::new(ExportLogsServiceResponse { partial_success })),
            Err(error) => Err(status_of(error)),
        };
        count(&self.ingest, &result.as_ref().map(drop));
        result
    }
}

/// The gRPC routes of both services.
pub(crate) fn routes(ingest: Arc<Ingest>) -> tonic::service::Routes {
    let limit = ingest.limits.max_request_bytes;
    let receiver = Receiver { ingest };
    let traces = TraceServiceServer::new(receiver.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let logs =
        LogsServiceServer::new(receiver).accept_compressed(CompressionEncoding::Gzip).max_decoding_message_size(limit);
    tonic::service::Routes::new(traces).add_service(logs)
}

/// What tonic answers on its own, before a handler runs, in the codes the OTLP
/// specification gives (tonic puts such a status in the headers, a trailers-only response,
/// so a look at the headers finds it; the receivers never answer these codes themselves):
///
/// - a message over the decoding limit is OUT_OF_RANGE from tonic, which OTLP clients retry,
///   sending the same message again and again: it becomes RESOURCE_EXHAUSTED, the code gRPC
///   gives a message larger than the receiver accepts;
/// - a message that is not protobuf is INTERNAL from tonic's prost codec, which reads as a
///   server fault: it becomes INVALID_ARGUMENT, which OTLP clients do not retry.
///
/// The message, which names the limit or the decoding error, is kept.
pub(crate) fn status_by_the_specification<B>(mut response: axum::http::Response<B>) -> axum::http::Response<B> {
    let headers = response.headers_mut();
    let code = |code: tonic::Code| i32::from(code).to_string();
    let Some(status) = headers.get("grpc-status").map(|status| status.as_bytes().to_vec()) else { return response };
    let undecodable = headers.get("grpc-message").is_some_and(|message| {
        let message = message.as_bytes();
        message.starts_with(b"failed to decode Protobuf message")
            || message.starts_with(b"failed%20to%20decode%20Protobuf%20message")
    });
    let replacement = if status == code(tonic::Code::OutOfRange).as_bytes() {
        Some(tonic::Code::ResourceExhausted)
    } else if status == code(tonic::Code::Internal).as_bytes() && undecodable {
        Some(tonic::Code::InvalidArgument)
    } else {
        None
    };
    if let Some(value) = replacement.and_then(|replacement| axum::http::HeaderValue::from_str(&code(replacement)).ok())
    {
        headers.insert("grpc-status", value);
    }
    response
}
