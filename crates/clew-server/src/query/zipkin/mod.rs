//! Zipkin's v2 read API: `/api/v2/services`, `/spans`, `/traces`, `/trace/{id}`,
//! `/dependencies`, with their parameters. Served on the query port and on the Zipkin port
//! (`crate::receivers::zipkin`). Spans go back to Zipkin's model by the table of
//! `crate::receivers::zipkin::span`, the other way; a span's logs and, on the root, the
//! trace-level events become annotations. Whole traces are written by [`trace`] straight
//! from the stored spans into bytes, on the blocking thread that ran the store's lookup.

mod trace;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use clew_store::{Dependency, SearchQuery, TimeRange, TraceData};
use serde::Serialize;

use super::{
    ApiError, Query, json_bytes_response, json_response, json_view_response, now_unix_nano, pairs, parse_trace_id,
};

pub(crate) use trace::{trace_bytes, traces_bytes};

pub(crate) fn router() -> Router<Query> {
    Router::new()
        .route("/api/v2/services", get(services))
        .route("/api/v2/spans", get(spans))
        .route("/api/v2/traces", get(traces))
        .route("/api/v2/trace/{trace_id}", get(trace))
        .route("/api/v2/dependencies", get(dependencies))
}

fn last<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().rev().find(|(key, value)| key == name && !value.is_empty()).map(|(_, value)| value.as_str())
}

fn number(params: &[(String, String)], name: &str) -> Result<Option<u64>, ApiError> {
    last(params, name)
        .map(|text| {
            text.parse::<u64>().map_err(|_| ApiError::bad_parameter(name, format!("{text:?} is not a whole number")))
        })
        .transpose()
}

async fn services(State(query): State<Query>) -> Response {
    json_response(query.run("zipkin", |store| store.services()).await)
}

async fn spans(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let service = last(&params, "serviceName")
            .map(str::to_owned)
            .ok_or_else(|| ApiError::bad_parameter("serviceName", "is required".into()))?;
        let operations = query.run("zipkin", move |store| store.operations(&service)).await?;
        let mut names: Vec<String> = operations.into_iter().map(|operation| operation.name).collect();
        names.dedup();
        Ok(names)
    };
    json_response(result.await)
}

/// Zipkin's search: `serviceName`, `spanName`, `annotationQuery` (`key=value and key`),
/// `minDuration`/`maxDuration` (µs), `endTs` (ms, default now), `lookback` (ms, default a
/// day), `limit` (default 10).
fn parse_search(params: &[(String, String)], now: u64) -> Result<SearchQuery, ApiError> {
    let mut search = SearchQuery {
        service: last(params, "serviceName").map(str::to_owned),
        operation: last(params, "spanName").filter(|name| *name != "all").map(str::to_owned),
        ..SearchQuery::default()
    };
    if let Some(annotations) = last(params, "annotationQuery") {
        for term in annotations.split(" and ").map(str::trim).filter(|term| !term.is_empty()) {
            match term.split_once('=') {
                Some((key, value)) => search.attributes.push((key.to_owned(), value.to_owned())),
                None if term == "error" => search.errors_only = true,
                None => {
                    return Err(ApiError::bad_parameter(
                        "annotationQuery",
                        format!("{term:?}: only key=value terms and error are supported"),
                    ));
                }
            }
        }
    }
    search.min_duration_nanos = number(params, "minDuration")?.map(|micros| micros.saturating_mul(1_000));
    search.max_duration_nanos = number(params, "maxDuration")?.map(|micros| micros.saturating_mul(1_000));
    let end = number(params, "endTs")?.map_or(now, |millis| millis.saturating_mul(1_000_000));
    let lookback = number(params, "lookback")?.unwrap_or(86_400_000).saturating_mul(1_000_000);
    search.range = TimeRange::through(end.saturating_sub(lookback), end);
    search.limit = match number(params, "limit")? {
        None => 10,
        Some(limit @ 1..=1000) => limit as usize,
        Some(other) => return Err(ApiError::bad_parameter("limit", format!("{other} is not from 1 to 1000"))),
    };
    Ok(search)
}

async fn traces(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let search = parse_search(&pairs(raw.as_deref()), now_unix_nano())?;
        let write = |traces: Vec<TraceData>| traces_bytes(&traces);
        query.search_traces_then("zipkin", search, write).await?.map_err(written_error)
    };
    json_bytes_response(result.await)
}

async fn trace(State(query): State<Query>, Path(trace_id): Path<String>) -> Response {
    let result = async {
        let trace_id = parse_trace_id(&trace_id, "traceId")?;
        let write = |found: Option<TraceData>| found.map(|trace| trace_bytes(&trace));
        match query.run_then("zipkin", move |store| store.trace(trace_id), write).await? {
            Some(written) => written.map_err(written_error),
            None => Err(ApiError::not_found(trace_id)),
        }
    };
    json_bytes_response(result.await)
}

fn written_error(error: serde_json::Error) -> ApiError {
    ApiError::internal(error.to_string())
}

async fn dependencies(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let end = number(&params, "endTs")?
            .ok_or_else(|| ApiError::bad_parameter("endTs", "is required".into()))?
            .saturating_mul(1_000_000);
        let lookback = number(&params, "lookback")?.unwrap_or(86_400_000).saturating_mul(1_000_000);
        let start = end.saturating_sub(lookback);
        let dependencies = query.run("zipkin", move |store| store.dependencies(TimeRange::through(start, end))).await?;
        Ok(dependencies)
    };
    json_view_response(result.await, |found| serde_json::to_vec(&dependency_links(found)))
}

/// A dependency link as Zipkin's `/api/v2/dependencies` gives it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DependencyLinkJson<'a> {
    call_count: u64,
    child: &'a str,
    error_count: u64,
    parent: &'a str,
}

fn dependency_links(dependencies: &[Dependency]) -> Vec<DependencyLinkJson<'_>> {
    dependencies
        .iter()
        .map(|dependency| DependencyLinkJson {
            call_count: dependency.call_count,
            child: &dependency.child,
            error_count: dependency.error_count,
            parent: &dependency.parent,
        })
        .collect()
}
