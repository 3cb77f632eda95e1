//! The query side on the HTTP port: clew's own API, Jaeger's and Zipkin's read APIs, the
//! health checks, `/metrics` and the web UI (`/` and `/ui/…`).

pub(crate) mod jaeger;
mod ui;
pub(crate) mod v1;
pub(crate) mod zipkin;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clew::TraceId;
use clew_store::{SearchQuery, Store, StoreError, TraceData};
use serde::Serialize;

use crate::metrics::Metrics;

/// What every query handler shares.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) ready: Arc<AtomicBool>,
}

impl Query {
    /// Runs a store query on a blocking thread and times it under `api`.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        api: &'static str,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.run_then(api, f, |found| found).await
    }

    /// Runs a store query on a blocking thread and times it under `api`, then turns what it
    /// found into the answer on the same thread (untimed), so that writing a big answer and
    /// freeing what it was written from keep off the runtime's threads.
    pub(crate) async fn run_then<T, A: Send + 'static>(
        &self,
        api: &'static str,
        query: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
        answer: impl FnOnce(T) -> A + Send + 'static,
    ) -> Result<A, ApiError> {
        let store = Arc::clone(&self.store);
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let found = query(&*store);
            let queried = started.elapsed();
            (found.map(answer), queried)
        })
        .await;
        match result {
            Ok((found, queried)) => {
                self.metrics.observe_query(api, queried);
                found.map_err(|error| ApiError::internal(error.to_string()))
            }
            Err(error) => {
                self.metrics.observe_query(api, started.elapsed());
                Err(ApiError::internal(format!("the query was cancelled: {error}")))
            }
        }
    }
}

impl Query {
    /// The whole traces of a search, newest first, turned into the answer on the blocking
    /// thread that found them, as [`Query::run_then`] does.
    pub(crate) async fn search_traces_then<A: Send + 'static>(
        &self,
        api: &'static str,
        search: SearchQuery,
        answer: impl FnOnce(Vec<TraceData>) -> A + Send + 'static,
    ) -> Result<A, ApiError> {
        let query = move |store: &dyn Store| {
            let summaries = store.search(&search)?;
            let mut traces = Vec::with_capacity(summaries.len());
            for summary in summaries {
                traces.extend(store.trace(summary.trace_id)?);
            }
            Ok(traces)
        };
        self.run_then(api, query, answer).await
    }
}

/// A query that could not be answered.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) parameter: Option<String>,
}

impl ApiError {
    pub(crate) fn bad_parameter(parameter: &str, message: String) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!("parameter {parameter}: {message}"),
            parameter: Some(parameter.to_owned()),
        }
    }

    pub(crate) fn not_found(trace_id: TraceId) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, message: format!("trace {trace_id} not found"), parameter: None }
    }

    pub(crate) fn internal(message: String) -> ApiError {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, message, parameter: None }
    }
}

/// A JSON string of what `Display` writes: decimal times and durations, hex ids. The
/// writers of every API use it for the values JSON numbers cannot carry exactly.
pub(crate) struct AsString<T>(pub(crate) T);

impl<T: std::fmt::Display> Serialize for AsString<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A JSON answer, or the error as `{"error": …, "parameter": …}`.
pub(crate) fn json_response(result: Result<impl Serialize, ApiError>) -> Response {
    match result {
        Ok(body) => axum::Json(body).into_response(),
        Err(error) => error_response(error),
    }
}

/// A JSON answer that `write` writes from what `result` holds (through a view that borrows
/// it), or the error as [`json_response`] writes it.
pub(crate) fn json_view_response<T>(
    result: Result<T, ApiError>,
    write: impl FnOnce(&T) -> serde_json::Result<Vec<u8>>,
) -> Response {
    let written = result.and_then(|found| {
        write(&found).map_err(|error| ApiError::internal(format!("the answer could not be written as JSON: {error}")))
    });
    json_bytes_response(written)
}

/// An answer already written as JSON (by [`Query::run_then`], off the runtime), or the error
/// as [`json_response`] writes it.
pub(crate) fn json_bytes_response(result: Result<Vec<u8>, ApiError>) -> Response {
    match result {
        Ok(body) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
        Err(error) => error_response(error),
    }
}

/// `{"error": …, "parameter": …}`: what went wrong, and the parameter at fault (or `null`).
#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
    parameter: Option<&'a str>,
}

fn error_response(error: ApiError) -> Response {
    let body = ErrorJson { error: &error.message, parameter: error.parameter.as_deref() };
    (error.status, axum::Json(body)).into_response()
}

/// The pairs of a query string, percent-decoded, in order.
pub(crate) fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// A trace id of 32 (or 16, for a 64-bit id) hex digits.
pub(crate) fn parse_trace_id(text: &str, parameter: &str) -> Result<TraceId, ApiError> {
    let text = text.trim();
    let padded;
    let full = if text.len() < 32 && !text.is_empty() && text.len() % 2 == 0 {
        padded = format!("{text:0>32}");
        padded.as_str()
    } else {
        text
    };
    TraceId::from_hex(full)
        .ok()
        .filter(|id| id.is_valid())
        .ok_or_else(|| ApiError::bad_parameter(parameter, format!("{text:?} is not a trace id (32 hex digits)")))
}

pub(crate) fn now_unix_nano() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(0))
}

/// The HTTP port's routes.
pub(crate) fn router(query: Query) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(v1::router())
        .merge(jaeger::router())
        .merge(zipkin::router())
        .merge(ui::router())
        .with_state(query)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 when the server takes writes; 503 with the reason while it starts (the store
/// replays its log) or while the store refuses writes (a full disk). Queries are answered
/// either way (while the store opens, once it is open).
async fn readyz(State(query): State<Query>) -> Response {
    if !query.ready.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting\n").into_response();
    }
    let store = Arc::clone(&query.store);
    let answer = tokio::task::spawn_blocking(move || match store.opening() {
        Some(doing) => Some(format!("starting: {doing}")),
        None => store.unavailable().map(|reason| format!("not ready: {reason}")),
    });
    match answer.await.unwrap_or(None) {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response(),
    }
}

async fn metrics(State(query): State<Query>) -> Response {
    let store = Arc::clone(&query.store);
    let stats = tokio::task::spawn_blocking(move || store.stats()).await.unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], query.metrics.render(&stats)).into_response()
}
