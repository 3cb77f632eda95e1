//! OTLP over HTTP: `POST /v1/traces` and `POST /v1/logs`, protobuf or JSON, plain or gzip.
//!
//! Answers follow the OTLP/HTTP specification: 200 with an export response (carrying
//! `partial_success` when some items were refused) in the request's encoding; 400 with a
//! `google.rpc.Status` for a body that cannot be decoded; 413 over the size limit (or the
//! decoding budget); 415 for another content type; 503 with `Retry-After` when the store
//! cannot keep up or the decoding budget stays full.

// The decoding helpers return the finished error answer; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{estimate, logs_batch, trace_partial_success, traces_batch};
use crate::budget::{OverBudget, Reserved};
use crate::ingest::{BodyError, DeclaredOversize, Ingest, IngestError, decode_body, refuse_declared_oversize};

/// The two encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// `google.rpc.Status`, the body of OTLP/HTTP error answers.
#[derive(Clone, PartialEq, Message, Serialize)]
pub(crate) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub(crate) code: i32,
    #[prost(string, tag = "2")]
    pub(crate) message: String,
}

/// The OTLP/HTTP routes.
pub(crate) fn router(ingest: Arc<Ingest>) -> Router {
    // The raw body may be as large as the decompressed limit; decompression checks again.
    let limit = ingest.limits.max_request_bytes;
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/logs", post(logs))
        .route_layer(axum::middleware::from_fn_with_state(
            DeclaredOversize { ingest: Arc::clone(&ingest), protocol: "otlp_http", answer: oversize_answer },
            refuse_declared_oversize,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(ingest)
}

/// 413 with a `google.rpc.Status` in the request's encoding.
fn oversize_answer(limit: usize, headers: &HeaderMap) -> Response {
    let encoding = encoding_of(headers).unwrap_or(Encoding::Json);
    error_response(encoding, StatusCode::PAYLOAD_TOO_LARGE, too_large(limit))
}

fn too_large(limit: usize) -> String {
    format!("the request body is larger than {limit} bytes (max_request_bytes)")
}

/// The encoding the `Content-Type` names, or the 415 answer.
pub(crate) fn encoding_of(headers: &HeaderMap) -> Result<Encoding, Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(error_response(
            Encoding::Json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Type {content_type:?}: use application/x-protobuf or application/json"),
        )),
    }
}

/// An error answer with a `google.rpc.Status` body in `encoding`.
pub(crate) fn error_response(encoding: Encoding, status: StatusCode, message: String) -> Response {
    // gRPC codes: 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE, 13 INTERNAL.
    let code = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => 3,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => 14,
        _ => 13,
    };
    let body = RpcStatus { code, message };
    let mut response = encode_response(encoding, &body, status);
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn encode_response<T: Message + Serialize>(encoding: Encoding, body: &T, status: StatusCode) -> Response {
    let bytes = match encoding {
        Encoding::Protobuf => body.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(body).unwrap_or_default(),
    };
    (status, [(header::CONTENT_TYPE, encoding.content_type())], bytes).into_response()
}

/// The request body decoded from its encoding and compression under the decoding budget,
/// or the error answer; the reservation is held until the spans are written.
pub(crate) async fn decode_request<T: Message + Default + DeserializeOwned>(
    ingest: &Ingest,
    headers: &HeaderMap,
    body: &[u8],
    estimate_protobuf: fn(&[u8]) -> usize,
) -> Result<(Encoding, T, Reserved), Response> {
    let encoding = encoding_of(headers)?;
    let content_encoding = headers.get(header::CONTENT_ENCODING).and_then(|value| value.to_str().ok());
    let limit = ingest.limits.max_request_bytes;
    let body = decode_body(body, content_encoding, limit).map_err(|error| match error {
        BodyError::TooLarge(limit) => error_response(encoding, StatusCode::PAYLOAD_TOO_LARGE, too_large(limit)),
        BodyError::BadEncoding(message) => error_response(encoding, StatusCode::BAD_REQUEST, message),
    })?;
    let estimate = match encoding {
        Encoding::Protobuf => estimate_protobuf(&body),
        Encoding::Json => estimate::json(&body),
    };
    let reserved = ingest.reserve("otlp_http", body.len(), estimate).await.map_err(|refused| {
        let status = match refused {
            OverBudget::Malformed { .. } => StatusCode::BAD_REQUEST,
            OverBudget::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            OverBudget::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        error_response(encoding, status, refused.to_string())
    })?;
    let request = match encoding {
        Encoding::Protobuf => T::decode(&*body).map_err(|error| format!("invalid OTLP protobuf: {error}")),
        Encoding::Json => serde_json::from_slice(&body).map_err(|error| format!("invalid OTLP JSON: {error}")),
    };
    let request = request.map_err(|message| error_response(encoding, StatusCode::BAD_REQUEST, message))?;
    Ok((encoding, request, reserved))
}

/// The answer to a failed store write.
pub(crate) fn ingest_error_response(encoding: Encoding, error: IngestError) -> Response {
    match error {
        IngestError::Busy(reason) => error_response(encoding, StatusCode::SERVICE_UNAVAILABLE, reason),
        IngestError::Failed(reason) => error_response(encoding, StatusCode::INTERNAL_SERVER_ERROR, reason),
    }
}

fn count_request(ingest: &Ingest, response: &Response) {
    ingest.metrics.add("clew_requests_total", &[("protocol", "otlp_http"), ("code", response.status().as_str())], 1);
}

async fn traces(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Bytes) -> Response {
    let response = traces_response(&ingest, &headers, &body).await;
    count_request(&ingest, &response);
    response
}

async fn traces_response(ingest: &Arc<Ingest>, headers: &HeaderMap, body: &[u8]) -> Response {
    let (encoding, request, _reserved) =
        match decode_request::<ExportTraceServiceRequest>(ingest, headers, body, estimate::traces_protobuf).await {
            Ok(decoded) => decoded,
            Err(response) => return response,
        };
    // The decoded request is freed after the write, not before: freeing its many small
    // allocations while the store allocates the batch's made glibc's allocator consolidate
    // its free lists on every request, a quarter of ingest's speed (BENCHMARKS.md).
    let (batch, rejected, message) = traces_batch(ingest, &request);
    match ingest.write("otlp_http", batch).await {
        Ok(over_limit) => {
            let partial_success = trace_partial_success(rejected, message, over_limit);
            encode_response(encoding, &ExportTraceServiceResponse { partial_success }, StatusCode::OK)
        }
        Err(error) => ingest_error_response(encoding, error),
    }
}

async fn logs(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Bytes) -> Response {
    let response = logs_response(&ingest, &headers, &body).await;
    count_request(&ingest, &response);
    response
}

async fn logs_response(ingest: &Arc<Ingest>, headers: &HeaderMap, body: &[u8]) -> Response {
    let (encoding, request, _reserved) =
        match decode_request::<ExportLogsServiceRequest>(ingest, headers, body, estimate::logs_protobuf).await {
            Ok(decoded) => decoded,
            Err(response) => return response,
        };
    let (batch, partial_success) = logs_batch(ingest, &request);
    match ingest.write("otlp_http", batch).await {
        Ok(_) => encode_response(encoding, &ExportLogsServiceResponse { partial_success }, StatusCode::OK),
        Err(error) => ingest_error_response(encoding, error),
    }
}
