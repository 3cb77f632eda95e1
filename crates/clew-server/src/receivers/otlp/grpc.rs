//! OTLP over gRPC: the trace and logs services.
//!
//! The services are written out here rather than generated, so that a message reaches
//! them undecoded ([`Undecoded`]) and is decoded only once the decoding budget has room for
//! it ([`crate::budget`]).
//!
//! Status codes follow the OTLP specification: OK with `partial_success` when some items
//! were refused; INVALID_ARGUMENT for undecodable messages; RESOURCE_EXHAUSTED over the size
//! limit (tonic answers that itself, [`status_by_the_specification`] gives it its code), and
//! with a `RetryInfo` when the decoding budget stays full; UNAVAILABLE when the store cannot
//! keep up (the client retries); INTERNAL when the store fails.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::{BufferSettings, Codec, CompressionEncoding, DecodeBuf, Decoder};
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError, http};
use tonic::server::UnaryService;
use tonic::{Request, Response, Status};

use super::{estimate, logs_batch, trace_partial_success, traces_batch};
use crate::budget::{OverBudget, Reserved};
use crate::ingest::{Ingest, IngestError};

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

/// `google.rpc.RetryInfo` in a status's details: OTLP clients retry RESOURCE_EXHAUSTED only
/// when it is there.
mod retry_info {
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Status {
        #[prost(int32, tag = "1")]
        pub(super) code: i32,
        #[prost(string, tag = "2")]
        pub(super) message: String,
        #[prost(message, repeated, tag = "3")]
        pub(super) details: Vec<Any>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Any {
        #[prost(string, tag = "1")]
        pub(super) type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) value: Vec<u8>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct RetryInfo {
        #[prost(message, optional, tag = "1")]
        pub(super) retry_delay: Option<Duration>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Duration {
        #[prost(int64, tag = "1")]
        pub(super) seconds: i64,
        #[prost(int32, tag = "2")]
        pub(super) nanos: i32,
    }
}

/// RESOURCE_EXHAUSTED that asks the client to retry in a second.
fn retry_later(message: String) -> Status {
    use prost::Message;
    let retry = retry_info::RetryInfo { retry_delay: Some(retry_info::Duration { seconds: 1, nanos: 0 }) };
    let details = retry_info::Status {
        code: tonic::Code::ResourceExhausted as i32,
        message: message.clone(),
        details: vec![retry_info::Any {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
            value: retry.encode_to_vec(),
        }],
    };
    Status::with_details(tonic::Code::ResourceExhausted, message, details.encode_to_vec().into())
}

/// Room in the decoding budget for a message, or the status that refuses it.
async fn reserve(ingest: &Ingest, message: &[u8], estimate: fn(&[u8]) -> usize) -> Result<Reserved, Status> {
    ingest.reserve("otlp_grpc", message.len(), estimate(message)).await.map_err(|refused| match refused {
        OverBudget::Malformed { .. } => Status::invalid_argument(refused.to_string()),
        OverBudget::TooLarge { .. } => Status::resource_exhausted(refused.to_string()),
        OverBudget::Busy { .. } => retry_later(refused.to_string()),
    })
}

fn decode<T: prost::Message + Default>(message: &[u8]) -> Result<T, Status> {
    T::decode(message).map_err(|error| Status::invalid_argument(format!("invalid OTLP protobuf: {error}")))
}

/// One OTLP service over gRPC: its path, and its answer to a message's undecoded bytes.
pub(crate) trait Signal: Send + Sync + 'static {
    const SERVICE: &'static str;
    const METHOD: &'static str;
    type Response: prost::Message + Default + Send + 'static;

    fn export(ingest: Arc<Ingest>, message: Bytes) -> impl Future<Output = Result<Self::Response, Status>> + Send;
}

/// The trace service.
#[derive(Debug)]
pub(crate) struct Traces;

impl Signal for Traces {
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const METHOD: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    type Response = ExportTraceServiceResponse;

    async fn export(ingest: Arc<Ingest>, message: Bytes) -> Result<ExportTraceServiceResponse, Status> {
        let _reserved = reserve(&ingest, &message, estimate::traces_protobuf).await?;
        let request: ExportTraceServiceRequest = decode(&message)?;
        let (batch, rejected, text) = traces_batch(&ingest, &request);
        let over_limit = ingest.write("otlp_grpc", batch).await.map_err(status_of)?;
        Ok(ExportTraceServiceResponse { partial_success: trace_partial_success(rejected, text, over_limit) })
    }
}

/// The logs service.
#[derive(Debug)]
pub(crate) struct Logs;

impl Signal for Logs {
    const SERVICE: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const METHOD: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    type Response = ExportLogsServiceResponse;

    async fn export(ingest: Arc<Ingest>, message: Bytes) -> Result<ExportLogsServiceResponse, Status> {
        let _reserved = reserve(&ingest, &message, estimate::logs_protobuf).await?;
        let request: ExportLogsServiceRequest = decode(&message)?;
        let (batch, partial_success) = logs_batch(&ingest, &request);
        ingest.write("otlp_grpc", batch).await.map_err(status_of)?;
        Ok(ExportLogsServiceResponse { partial_success })
    }
}

/// A codec that hands the service a message's bytes undecoded (tonic has checked its size
/// and decompressed it), so that it reserves decoding room before decoding; answers are
/// encoded with prost.
#[derive(Debug)]
struct Undecoded<T>(PhantomData<T>);

impl<T: prost::Message + Send + 'static> Codec for Undecoded<T> {
    type Encode = T;
    type Decode = Bytes;
    type Encoder = tonic_prost::ProstEncoder<T>;
    type Decoder = Undecoded<T>;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        Undecoded(PhantomData)
    }
}

impl<T: Send + 'static> Decoder for Undecoded<T> {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(buf.copy_to_bytes(buf.remaining())))
    }
}

/// The service of one signal, as tonic routes it.
#[derive(Debug)]
pub(crate) struct Export<S> {
    ingest: Arc<Ingest>,
    signal: PhantomData<S>,
}

impl<S> Clone for Export<S> {
    fn clone(&self) -> Export<S> {
        Export { ingest: Arc::clone(&self.ingest), signal: PhantomData }
    }
}

impl<S: Signal> tonic::server::NamedService for Export<S> {
    const NAME: &'static str = S::SERVICE;
}

impl<S: Signal> UnaryService<Bytes> for Export<S> {
    type Response = S::Response;
    type Future = BoxFuture<tonic::Response<S::Response>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let ingest = Arc::clone(&self.ingest);
        Box::pin(async move {
            let result = S::export(Arc::clone(&ingest), request.into_inner()).await;
            count(&ingest, &result.as_ref().map(drop));
            result.map(Response::new)
        })
    }
}

impl<S, B> Service<http::Request<B>> for Export<S>
where
    S: Signal,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move {
            if request.uri().path() != S::METHOD {
                let mut response = http::Response::new(tonic::body::Body::default());
                let headers = response.headers_mut();
                headers.insert(Status::GRPC_STATUS, (tonic::Code::Unimplemented as i32).into());
                headers.insert(http::header::CONTENT_TYPE, tonic::metadata::GRPC_CONTENT_TYPE);
                return Ok(response);
            }
            let limit = service.ingest.limits.max_request_bytes;
            let mut grpc = tonic::server::Grpc::new(Undecoded::<S::Response>(PhantomData))
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit);
            Ok(grpc.unary(service, request).await)
        })
    }
}

/// The gRPC routes of both services.
pub(crate) fn routes(ingest: Arc<Ingest>) -> tonic::service::Routes {
    let traces = Export::<Traces> { ingest: Arc::clone(&ingest), signal: PhantomData };
    let logs = Export::<Logs> { ingest, signal: PhantomData };
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
