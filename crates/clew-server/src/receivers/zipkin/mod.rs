//! The Zipkin port: `POST /api/v2/spans` (JSON, or protobuf with `application/x-protobuf`;
//! plain or gzip), answered 202 as Zipkin does (400 naming the reasons when no span of the
//! body is valid; the invalid spans of an accepted body are counted and logged), and the
//! Zipkin read API
//! (`crate::query::zipkin`) beside it. [`span`] maps Zipkin's span model to the store's,
//! [`json`] and [`proto`] read the two encodings.

pub(crate) mod json;
pub(crate) mod proto;
mod span;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::budget::OverBudget;
use crate::events::{SpansRefused, describe_rejected};
use crate::ingest::{BodyError, DeclaredOversize, Ingest, IngestError, decode_body, refuse_declared_oversize};
use crate::query::Query;

/// The Zipkin routes.
pub(crate) fn router(ingest: Arc<Ingest>, query: Query) -> Router {
    let limit = ingest.limits.max_request_bytes;
    let receive = Router::new()
        .route("/api/v2/spans", post(receive))
        .route_layer(axum::middleware::from_fn_with_state(
            DeclaredOversize { ingest: Arc::clone(&ingest), protocol: "zipkin", answer: oversize_answer },
            refuse_declared_oversize,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(ingest);
    crate::query::zipkin::router().with_state(query).merge(receive)
}

/// 413 as text, as Zipkin answers.
fn oversize_answer(limit: usize, _: &HeaderMap) -> Response {
    text(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {limit} bytes"))
}

fn text(status: StatusCode, message: String) -> Response {
    let mut response = (status, message).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

async fn receive(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Bytes) -> Response {
    let response = receive_response(&ingest, &headers, &body).await;
    ingest.metrics.add("clew_requests_total", &[("protocol", "zipkin"), ("code", response.status().as_str())], 1);
    response
}

async fn receive_response(ingest: &Arc<Ingest>, headers: &HeaderMap, body: &[u8]) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let content_encoding = headers.get(header::CONTENT_ENCODING).and_then(|value| value.to_str().ok());
    let body = match decode_body(body, content_encoding, ingest.limits.max_request_bytes) {
        Ok(body) => body,
        Err(BodyError::TooLarge(limit)) => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {limit} bytes"));
        }
        Err(BodyError::BadEncoding(message)) => return text(StatusCode::BAD_REQUEST, message),
    };
    let protobuf = match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => true,
        "application/json" | "" => false,
        other => {
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported Content-Type {other:?}: use application/json or application/x-protobuf"),
            );
        }
    };
    let estimate = if protobuf { proto::estimate(&body) } else { json::estimate(&body) };
    let _reserved = match ingest.reserve("zipkin", body.len(), estimate).await {
        Ok(reserved) => reserved,
        Err(refused @ OverBudget::Malformed { .. }) => return text(StatusCode::BAD_REQUEST, refused.to_string()),
        Err(refused @ OverBudget::TooLarge { .. }) => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, refused.to_string());
        }
        Err(refused @ OverBudget::Busy { .. }) => return text(StatusCode::SERVICE_UNAVAILABLE, refused.to_string()),
    };
    let decoded = if protobuf { proto::decode_proto(&body) } else { json::decode_json(&body) };
    let (batch, rejected) = match decoded {
        Ok(decoded) => decoded,
        Err(message) => return text(StatusCode::BAD_REQUEST, message),
    };
    for item in &rejected {
        ingest.metrics.add("clew_spans_refused_total", &[("reason", &item.reason.to_string())], item.count);
    }
    // Zipkin has no partial-success answer: a body of nothing but invalid spans is refused
    // with the reasons, and the invalid spans of an accepted one are logged.
    if batch.is_empty() && !rejected.is_empty() {
        return text(StatusCode::BAD_REQUEST, format!("no valid span: {}", describe_rejected(&rejected)));
    }
    SpansRefused { receiver: "zipkin", rejected: &rejected }.emit(&ingest.logged);
    match ingest.write("zipkin", batch).await {
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(IngestError::Busy(reason)) => text(StatusCode::SERVICE_UNAVAILABLE, reason),
        Err(IngestError::Failed(reason)) => text(StatusCode::INTERNAL_SERVER_ERROR, reason),
    }
}
