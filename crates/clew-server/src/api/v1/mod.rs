//! clew's own query API, `/api/v1/…`, described in `openapi.yaml` at the crate's root.
//!
//! Times are unix nanoseconds as decimal strings (they do not fit a JSON number exactly);
//! durations are nanoseconds as decimal strings too. `stats.rs` holds the sums over many
//! spans: operation stats and error groups.

mod stats;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use clew::{Event, KeyValue, Link, SpanKind, Status, Value};
use clew_otlp::TraceRecord;
use clew_store::{Dependency, Operation, Percentiles, SearchQuery, StoredSpan, TraceData, TraceSummary};
use serde_json::{Value as Json, json};

use super::{ApiError, Query, json_response, now_unix_nano, pairs, parse_trace_id};

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
        match query.run("v1", move |store| store.trace(trace_id)).await? {
            Some(trace) => Ok(trace_json(&trace)),
            None => Err(ApiError::not_found(trace_id)),
        }
    };
    json_response(result.await)
}

async fn search(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let search = parse_search(&pairs(raw.as_deref()), now_unix_nano())?;
        let summaries = query.run("v1", move |store| store.search(&search)).await?;
        Ok(json!({ "traces": summaries.iter().map(summary_json).collect::<Vec<_>>() }))
    };
    json_response(result.await)
}

async fn services(State(query): State<Query>) -> Response {
    let result = async {
        let services = query.run("v1", |store| store.services()).await?;
        Ok(json!({ "services": services }))
    };
    json_response(result.await)
}

async fn operations(State(query): State<Query>, Path(service): Path<String>) -> Response {
    let result = async {
        let operations = query.run("v1", move |store| store.operations(&service)).await?;
        Ok(json!({ "operations": operations.iter().map(operation_json).collect::<Vec<_>>() }))
    };
    json_response(result.await)
}

async fn dependencies(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let params = pairs(raw.as_deref());
        let end = optional_nanos(&params, "end")?.unwrap_or_else(now_unix_nano);
        let start = optional_nanos(&params, "start")?.unwrap_or(end.saturating_sub(24 * 3600 * 1_000_000_000));
        let dependencies = query.run("v1", move |store| store.dependencies(start, end)).await?;
        Ok(json!({ "dependencies": dependencies.iter().map(dependency_json).collect::<Vec<_>>() }))
    };
    json_response(result.await)
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

/// A duration: nanoseconds, or a number with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`).
fn parse_duration_nanos(text: &str) -> Option<u64> {
    if let Ok(nanos) = text.parse::<u64>() {
        return Some(nanos);
    }
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let nanos = number * scale;
    (nanos.is_finite() && nanos >= 0.0 && nanos < u64::MAX as f64).then_some(nanos as u64)
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
    query.end_unix_nano = optional_nanos(params, "end")?.unwrap_or(now);
    query.start_unix_nano =
        optional_nanos(params, "start")?.unwrap_or(query.end_unix_nano.saturating_sub(3600 * 1_000_000_000));
    if query.start_unix_nano > query.end_unix_nano {
        return Err(ApiError::bad_parameter("start", "is after end".into()));
    }
    if let Some(text) = last(params, "limit") {
        query.limit = text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=1000).contains(limit))
            .ok_or_else(|| ApiError::bad_parameter("limit", format!("{text:?} is not a number from 1 to 1000")))?;
    }
    Ok(query)
}

pub(crate) fn value_json(value: &Value) -> (&'static str, Json) {
    const SAFE: i64 = 1 << 53;
    let int = |number: i64| if (-SAFE..=SAFE).contains(&number) { json!(number) } else { json!(number.to_string()) };
    let double = |number: f64| if number.is_finite() { json!(number) } else { json!(number.to_string()) };
    match value {
        Value::String(text) => ("string", json!(text.as_ref())),
        Value::Bool(flag) => ("bool", json!(flag)),
        Value::I64(number) => ("int", int(*number)),
        Value::F64(number) => ("double", double(*number)),
        Value::StringArray(items) => ("string[]", json!(items.iter().map(|item| item.as_ref()).collect::<Vec<_>>())),
        Value::BoolArray(items) => ("bool[]", json!(items)),
        Value::I64Array(items) => ("int[]", Json::Array(items.iter().map(|item| int(*item)).collect())),
        Value::F64Array(items) => ("double[]", Json::Array(items.iter().map(|item| double(*item)).collect())),
    }
}

pub(crate) fn attributes_json(attributes: &[KeyValue]) -> Json {
    Json::Array(
        attributes
            .iter()
            .map(|attribute| {
                let (kind, value) = value_json(&attribute.value);
                json!({ "key": attribute.key.as_ref(), "type": kind, "value": value })
            })
            .collect(),
    )
}

fn event_json(event: &Event) -> Json {
    json!({
        "name": event.name.as_ref(),
        "timeUnixNano": event.time_unix_nano.to_string(),
        "level": event.level.map(|level| level.as_str()),
        "attributes": attributes_json(&event.attributes),
        "droppedAttributesCount": event.dropped_attributes_count,
    })
}

fn link_json(link: &Link) -> Json {
    json!({
        "traceId": link.context.trace_id().to_string(),
        "spanId": link.context.span_id().to_string(),
        "traceState": link.context.trace_state().map(|state| state.to_string()),
        "remote": link.context.is_remote(),
        "attributes": attributes_json(&link.attributes),
        "droppedAttributesCount": link.dropped_attributes_count,
    })
}

fn status_json(status: &Status) -> Json {
    match status {
        Status::Unset => json!({ "code": "unset" }),
        Status::Ok => json!({ "code": "ok" }),
        Status::Error { message } => json!({ "code": "error", "message": message.as_ref() }),
    }
}

fn span_json(stored: &StoredSpan, trace: &TraceData) -> Json {
    let span = &stored.span;
    json!({
        "traceId": span.trace_id.to_string(),
        "spanId": span.span_id.to_string(),
        "parentSpanId": span.parent_span_id.map(|id| id.to_string()),
        "parentIsRemote": span.parent_is_remote,
        "traceFlags": span.trace_flags.to_u8(),
        "traceState": span.trace_state.as_deref(),
        "name": span.name.as_ref(),
        "kind": span.kind.as_str(),
        "label": span.label.as_deref(),
        "service": stored.service(),
        "scope": stored.origin.scope.as_ref(),
        "resource": attributes_json(stored.origin.resource.attributes()),
        "startTimeUnixNano": span.start_time_unix_nano.to_string(),
        "endTimeUnixNano": span.end_time_unix_nano.to_string(),
        "durationNanos": span.duration_nanos().to_string(),
        "attributes": attributes_json(&span.attributes),
        "events": span.events.iter().map(event_json).collect::<Vec<_>>(),
        "logs": trace.span_logs(span.span_id).map(event_json).collect::<Vec<_>>(),
        "links": span.links.iter().map(link_json).collect::<Vec<_>>(),
        "status": status_json(&span.status),
        "droppedAttributesCount": span.dropped_attributes_count,
        "droppedEventsCount": span.dropped_events_count,
        "droppedLinksCount": span.dropped_links_count,
    })
}

/// A whole trace: summary, spans and trace-level events.
pub(crate) fn trace_json(trace: &TraceData) -> Json {
    let events: Vec<Json> = trace
        .records
        .iter()
        .filter_map(|stored| match &stored.record {
            TraceRecord::TraceEvent(event) => Some(json!({
                "name": event.name.as_ref(),
                "timeUnixNano": event.time_unix_nano.to_string(),
                "level": event.level.as_str(),
                "service": stored.origin.service(),
                "attributes": attributes_json(&event.attributes),
            })),
            TraceRecord::SpanLog { .. } => None,
        })
        .collect();
    json!({
        "traceId": trace.trace_id.to_string(),
        "summary": trace.summary().as_ref().map(summary_json),
        "spans": trace.spans.iter().map(|stored| span_json(stored, trace)).collect::<Vec<_>>(),
        "events": events,
    })
}

pub(crate) fn summary_json(summary: &TraceSummary) -> Json {
    json!({
        "traceId": summary.trace_id.to_string(),
        "rootService": summary.root_service,
        "rootOperation": summary.root_operation,
        "rootFound": summary.root_found,
        "startTimeUnixNano": summary.start_unix_nano.to_string(),
        "durationNanos": summary.duration_nanos.to_string(),
        "spanCount": summary.span_count,
        "errorCount": summary.error_count,
        "services": summary.services.iter().map(|(name, count)| json!({ "name": name, "spanCount": count })).collect::<Vec<_>>(),
    })
}

fn operation_json(operation: &Operation) -> Json {
    json!({ "name": operation.name, "kind": operation.kind.as_str() })
}

fn dependency_json(dependency: &Dependency) -> Json {
    let edge = json!({
        "parent": dependency.parent,
        "child": dependency.child,
        "callCount": dependency.call_count,
        "errorCount": dependency.error_count,
    });
    with_percentiles(edge, dependency.durations)
}

/// `object` with `p50Nanos`, `p95Nanos` and `p99Nanos`: decimal strings, or null when
/// there were no durations.
fn with_percentiles(mut object: Json, durations: Option<Percentiles>) -> Json {
    let Json::Object(fields) = &mut object else { return object };
    let nanos =
        |pick: fn(&Percentiles) -> u64| durations.as_ref().map_or(Json::Null, |found| pick(found).to_string().into());
    fields.insert("p50Nanos".into(), nanos(|found| found.p50_nanos));
    fields.insert("p95Nanos".into(), nanos(|found| found.p95_nanos));
    fields.insert("p99Nanos".into(), nanos(|found| found.p99_nanos));
    object
}
