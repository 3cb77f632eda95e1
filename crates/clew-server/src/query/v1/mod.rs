//! clew's own query API, `/api/v1/…`, described in `openapi.yaml` at the crate's root.
//!
//! Times are unix nanoseconds as decimal strings (they do not fit a JSON number exactly);
//! durations are nanoseconds as decimal strings too. `traces.rs` writes traces and their
//! summaries straight from the stored spans; `stats.rs` holds the sums over many spans:
//! operation stats and error groups.

mod json;
mod stats;
pub(crate) mod traces;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use clew::SpanKind;
use clew_store::{SearchQuery, TimeRange};

use super::{
    ApiError, Query, json_bytes_response, json_response, json_view_response, now_unix_nano, pairs, parse_trace_id,
};

/// The OpenAPI description of this API.
pub(crate) const OPENAPI: &str = include_str!("../../../openapi.yaml");

pub(crate) fn router() -> Router<Query> {
    Router::new()
        .route("/api/v1/traces/{trace_id}", get(trace))
        .route("/api/v1/search", get(search))
        .route("/api/v1/services", get(services))
        .route("/api/v1/services/{service}/operations", get(operations))
        .route("/api/v1/dependencies", get(dependencies))
        .route("/api/v1/operations/stats", get(stats::operation_stats))
        .route("/api/v1/errors", get(stats::errors))
        .route("/api/v1/openapi.yaml", get(openapi))
}

async fn openapi() -> Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/yaml")], OPENAPI).into_response()
}

async fn trace(State(query): State<Query>, Path(trace_id): Path<String>) -> Response {
    let result = async {
        let trace_id = parse_trace_id(&trace_id, "trace_id")?;
        // Written on the store's blocking thread: a trace of 100,000 spans is about 64 MB of JSON.
        let written = query
            .run_then("v1", move |store| store.trace(trace_id), |found| found.as_ref().map(traces::trace_json_bytes))
            .await?;
        match written {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(error)) => Err(ApiError::internal(format!("the trace could not be written as JSON: {error}"))),
            None => Err(ApiError::not_found(trace_id)),
        }
    };
    json_bytes_response(result.await)
}

async fn search(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let search = parse_search(&pairs(raw.as_deref()), now_unix_nano())?;
        query.run("v1", move |store| store.search(&search)).await
    };
    json_response(result.await.map(traces::SearchJson))
}

async fn services(State(query): State<Query>) -> Response {
    let result = async {
        let services = query.run("v1", |store| store.services()).await?;
        Ok(json::ServicesJson { services })
    };
    json_response(result.await)
}

async fn operations(State(query): State<Query>, Path(service): Path<String>) -> Response {
    let result = async {
        let operations = query.run("v1", move |store| store.operations(&service)).await?;
        Ok(operations)
    };
    json_view_response(result.await, |operations| serde_json::to_vec(&json::OperationsJson::new(operations)))
}

async fn dependencies(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let end = optional_nanos(&params, "end")?.unwrap_or_else(now_unix_nano);
        let start = optional_nanos(&params, "start")?.unwrap_or(end.saturating_sub(24 * 3600 * 1_000_000_000));
        if start > end {
            return Err(ApiError::bad_parameter("start", "is after end".into()));
        }
        let dependencies = query.run("v1", move |store| store.dependencies(TimeRange::through(start, end))).await?;
        Ok(dependencies)
    };
    json_view_response(result.await, |found| serde_json::to_vec(&json::DependenciesJson::new(found)))
}

fn optional_nanos(params: &[(String, String)], name: &str) -> Result<Option<u64>, ApiError> {
    match last(params, name) {
        None => Ok(None),
        Some(text) => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::bad_parameter(name, format!("{text:?} is not a time in unix nanoseconds"))),
    }
}

fn last<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().rev().find(|(key, value)| key == name && !value.is_empty()).map(|(_, value)| value.as_str())
}

/// A duration: nanoseconds, or clew's duration grammar (`250ms`, `1.5s`, `1h30m`).
fn parse_duration_nanos(text: &str) -> Option<u64> {
    crate::duration::parse_nanos(text).ok()
}

/// The search of `/api/v1/search`: `service`, `operation`, `kind`, `attr` (repeated,
/// `key=value`), `errors` (`true`), `minDuration`, `maxDuration`, `start`, `end`
/// (unix nanoseconds; default the last hour), `limit` (default 20, at most 1000).
pub(crate) fn parse_search(params: &[(String, String)], now: u64) -> Result<SearchQuery, ApiError> {
    let mut query = SearchQuery {
        service: last(params, "service").map(str::to_owned),
        operation: last(params, "operation").map(str::to_owned),
        ..SearchQuery::default()
    };
    if let Some(kind) = last(params, "kind") {
        query.kind = Some(SpanKind::parse(kind).ok_or_else(|| {
            ApiError::bad_parameter("kind", format!("{kind:?} is not server, client, producer, consumer or internal"))
        })?);
    }
    for (_, value) in params.iter().filter(|(key, _)| key == "attr") {
        let (name, wanted) = value
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| ApiError::bad_parameter("attr", format!("{value:?} is not key=value")))?;
        query.attributes.push((name.to_owned(), wanted.to_owned()));
    }
    if let Some(errors) = last(params, "errors") {
        query.errors_only = match errors {
            "true" | "1" => true,
            "false" | "0" => false,
            other => return Err(ApiError::bad_parameter("errors", format!("{other:?} is not true or false"))),
        };
    }
    for (name, slot) in [("minDuration", &mut query.min_duration_nanos), ("maxDuration", &mut query.max_duration_nanos)]
    {
        if let Some(text) = last(params, name) {
            *slot = Some(parse_duration_nanos(text).ok_or_else(|| {
                ApiError::bad_parameter(name, format!("{text:?} is not a duration like 250ms, 1.5s or 1000000 (ns)"))
            })?);
        }
    }
    let end = optional_nanos(params, "end")?.unwrap_or(now);
    let start = optional_nanos(params, "start")?.unwrap_or(end.saturating_sub(3600 * 1_000_000_000));
    if start > end {
        return Err(ApiError::bad_parameter("start", "is after end".into()));
    }
    query.range = TimeRange::through(start, end);
    if let Some(text) = last(params, "limit") {
        query.limit = text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=1000).contains(limit))
            .ok_or_else(|| ApiError::bad_parameter("limit", format!("{text:?} is not a number from 1 to 1000")))?;
    }
    Ok(query)
}
