//! Jaeger's query APIs: the classic `/api/*` that Jaeger UI and Grafana's Jaeger data source
//! speak, and `/api/v3/*` (OTLP JSON). The handlers are here; their parameters in
//! [`params`], their answers in [`json`] and, for whole traces, [`trace`].
//!
//! Classic traces follow jaeger-query's UI model: one `processes` entry per distinct
//! resource (`p1`, `p2`, …), a parent as a `CHILD_OF` reference (no `parentSpanID`), links
//! as `FOLLOWS_FROM`, times and durations in microseconds, typed tags (`string`, `bool`,
//! `int64`, `float64`; arrays as JSON text), events, span logs and — on the root — the
//! trace-level events as logs. Status, kind, scope, label and trace state become the tags
//! the OpenTelemetry-to-Jaeger mapping names (`error`, `otel.status_code`,
//! `otel.status_description`, `span.kind`, `otel.scope.name`, `clew.span.label`,
//! `w3c.tracestate`). Whole traces are written straight from the stored spans into bytes, on
//! the blocking thread that ran the store's lookup.

mod json;
mod params;
mod trace;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clew::SpanKind;
use clew_store::{Store, TimeRange, TraceData};
use serde::Serialize;

use super::{ApiError, Query, json_bytes_response, json_response, now_unix_nano, pairs, parse_trace_id};

pub(crate) fn router() -> Router<Query> {
    Router::new()
        .route("/api/services", get(services))
        .route("/api/services/{service}/operations", get(service_operations))
        .route("/api/operations", get(operations))
        .route("/api/traces", get(traces))
        .route("/api/traces/{trace_id}", get(trace))
        .route("/api/dependencies", get(dependencies))
        .route("/api/v3/services", get(v3_services))
        .route("/api/v3/operations", get(v3_operations))
        .route("/api/v3/traces", get(v3_traces))
        .route("/api/v3/traces/{trace_id}", get(v3_trace))
}

/// A Jaeger envelope answer of `data` and its count; errors go in its `errors` list with the
/// matching status.
fn envelope_response<T: Serialize>(result: Result<(T, usize), ApiError>) -> Response {
    match result {
        Ok((data, total)) => axum::Json(json::Envelope::new(data, total)).into_response(),
        Err(error) => {
            let code = error.status.as_u16();
            let body = json::Envelope::error(json::JaegerError { code, msg: error.message });
            (error.status, axum::Json(body)).into_response()
        }
    }
}

fn required(params: &[(String, String)], name: &str) -> Result<String, ApiError> {
    params
        .iter()
        .rev()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.clone())
        .ok_or_else(|| ApiError::bad_parameter(name, "is required".into()))
}

async fn services(State(query): State<Query>) -> Response {
    let result = async {
        let names = query.run("jaeger", |store| store.services()).await?;
        let total = names.len();
        Ok((names, total))
    };
    envelope_response(result.await)
}

async fn service_operations(State(query): State<Query>, Path(service): Path<String>) -> Response {
    let result = async {
        let operations = query.run("jaeger", move |store| store.operations(&service)).await?;
        let mut names: Vec<String> = operations.into_iter().map(|operation| operation.name).collect();
        names.dedup();
        let total = names.len();
        Ok((names, total))
    };
    envelope_response(result.await)
}

async fn operations(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let service = required(&params, "service")?;
        let kind = match params.iter().find(|(key, _)| key == "spanKind").map(|(_, value)| value.as_str()) {
            None | Some("") => None,
            Some(kind) => Some(SpanKind::parse(kind).ok_or_else(|| {
                ApiError::bad_parameter(
                    "spanKind",
                    format!("{kind:?} is not server, client, producer, consumer or internal"),
                )
            })?),
        };
        let mut operations = query.run("jaeger", move |store| store.operations(&service)).await?;
        operations.retain(|operation| kind.is_none_or(|kind| operation.kind == kind));
        let total = operations.len();
        Ok((json::operations_json(operations), total))
    };
    envelope_response(result.await)
}

/// A Jaeger envelope of traces already written as JSON (by [`Query::run_then`], off the
/// runtime), or the error as [`envelope_response`] writes it.
fn envelope_bytes_response(result: Result<serde_json::Result<Vec<u8>>, ApiError>) -> Response {
    match result.and_then(|written| written.map_err(written_error)) {
        Ok(body) => json_bytes_response(Ok(body)),
        Err(error) => envelope_response::<()>(Err(error)),
    }
}

async fn traces(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let ids = params::parse_trace_ids(&params)?;
        let write = |traces: Vec<TraceData>| trace::traces_envelope_bytes(&traces);
        if ids.is_empty() {
            let search = params::parse_search(&params, now_unix_nano())?;
            return query.search_traces_then("jaeger", search, write).await;
        }
        let find = move |store: &dyn Store| {
            let mut traces = Vec::new();
            for id in ids {
                traces.extend(store.trace(id)?);
            }
            Ok(traces)
        };
        query.run_then("jaeger", find, write).await
    };
    envelope_bytes_response(result.await)
}

async fn trace(State(query): State<Query>, Path(trace_id): Path<String>) -> Response {
    let result = async {
        let trace_id = parse_trace_id(&trace_id, "traceID")?;
        let write = |found: Option<TraceData>| found.map(|trace| trace::traces_envelope_bytes(&[trace]));
        query
            .run_then("jaeger", move |store| store.trace(trace_id), write)
            .await?
            .ok_or_else(|| ApiError::not_found(trace_id))
    };
    envelope_bytes_response(result.await)
}

async fn dependencies(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let (start, end) = params::parse_dependencies(&pairs(raw.as_deref()), now_unix_nano())?;
        let dependencies = query.run("jaeger", move |store| store.dependencies(TimeRange::through(start, end))).await?;
        let total = dependencies.len();
        Ok((json::dependencies_json(dependencies), total))
    };
    envelope_response(result.await)
}

async fn v3_services(State(query): State<Query>) -> Response {
    let result = async {
        let names = query.run("jaeger_v3", |store| store.services()).await?;
        Ok(json::V3ServicesJson { services: names })
    };
    json_response(result.await)
}

async fn v3_operations(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let service = required(&params, "service")?;
        let kind = params.iter().find(|(key, _)| key == "span_kind").map(|(_, value)| value.clone());
        let mut operations = query.run("jaeger_v3", move |store| store.operations(&service)).await?;
        if let Some(kind) = kind.filter(|kind| !kind.is_empty()) {
            let kind = SpanKind::parse(&kind)
                .ok_or_else(|| ApiError::bad_parameter("span_kind", format!("{kind:?} is not a span kind")))?;
            operations.retain(|operation| operation.kind == kind);
        }
        Ok(json::V3OperationsJson { operations: json::operations_json(operations) })
    };
    json_response(result.await)
}

async fn v3_traces(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let search = params::parse_v3_query(&pairs(raw.as_deref()), now_unix_nano())?;
        let write = |traces: Vec<TraceData>| serde_json::to_vec(&json::v3_traces_json(&traces));
        query.search_traces_then("jaeger_v3", search, write).await?.map_err(written_error)
    };
    json_bytes_response(result.await)
}

async fn v3_trace(State(query): State<Query>, Path(trace_id): Path<String>) -> Response {
    let result = async {
        let trace_id = parse_trace_id(&trace_id, "trace_id")?;
        let write = |found: Option<TraceData>| {
            found.map(|trace| serde_json::to_vec(&json::v3_traces_json(std::slice::from_ref(&trace))))
        };
        match query.run_then("jaeger_v3", move |store| store.trace(trace_id), write).await? {
            Some(written) => written.map_err(written_error),
            None => Err(ApiError::not_found(trace_id)),
        }
    };
    json_bytes_response(result.await)
}

fn written_error(error: serde_json::Error) -> ApiError {
    ApiError::internal(error.to_string())
}
