//! Jaeger's query formats: the classic JSON of `/api/*` (what Jaeger UI and Grafana's
//! Jaeger data source read) and the OTLP JSON of `/api/v3/*`, with their parameters.
//!
//! Classic traces follow jaeger-query's UI model: one `processes` entry per distinct
//! resource (`p1`, `p2`, …), a parent as a `CHILD_OF` reference (no `parentSpanID`), links
//! as `FOLLOWS_FROM`, times and durations in microseconds, typed tags (`string`, `bool`,
//! `int64`, `float64`; arrays as JSON text), events, span logs and — on the root — the
//! trace-level events as logs. Status, kind, scope, label and trace state become the tags
//! the OpenTelemetry-to-Jaeger mapping names (`error`, `otel.status_code`,
//! `otel.status_description`, `span.kind`, `otel.scope.name`, `clew.span.label`,
//! `w3c.tracestate`).
//!
//! Whole traces are written by [`trace`] straight from the stored spans into bytes, on the
//! blocking thread that ran the store's lookup; the rest are `serde_json::Value`s.

mod trace;

use std::collections::HashMap;

use clew::{Resource, SpanKind, TraceId};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_store::{Dependency, Operation, SearchQuery, TraceData};
use serde_json::{Value as Json, json};

pub(crate) use trace::traces_envelope_bytes;

/// How far back a search looks when it gives no start, as jaeger-query: 48 hours.
const DEFAULT_LOOKBACK_NANOS: u64 = 48 * 3_600_000_000_000;

/// An error in a Jaeger envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JaegerError {
    pub(crate) code: u16,
    pub(crate) msg: String,
}

/// A bad query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamError {
    pub(crate) parameter: String,
    pub(crate) message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parameter {}: {}", self.parameter, self.message)
    }
}

fn bad(parameter: &str, message: String) -> ParamError {
    ParamError { parameter: parameter.to_owned(), message }
}

/// `{"data": …, "total": N, "limit": 0, "offset": 0, "errors": null}`, as jaeger-query's
/// `structuredResponse` is written (errors `null` when there are none).
pub(crate) fn envelope(data: Json, total: usize, errors: Vec<JaegerError>) -> Json {
    let errors = if errors.is_empty() {
        Json::Null
    } else {
        Json::Array(errors.into_iter().map(|error| json!({ "code": error.code, "msg": error.msg })).collect())
    };
    json!({ "data": data, "total": total, "limit": 0, "offset": 0, "errors": errors })
}

/// `/api/services` data: the names.
pub(crate) fn services_json(names: &[String]) -> Json {
    json!(names)
}

/// `/api/operations` data: `[{name, spanKind}]`.
pub(crate) fn operations_json(operations: &[Operation]) -> Json {
    Json::Array(
        operations
            .iter()
            .map(|operation| json!({ "name": operation.name, "spanKind": operation.kind.as_str() }))
            .collect(),
    )
}

/// `/api/dependencies` data: Jaeger's `DependencyLink`s.
pub(crate) fn dependencies_json(dependencies: &[Dependency]) -> Json {
    Json::Array(
        dependencies
            .iter()
            .map(|dependency| {
                json!({ "parent": dependency.parent, "child": dependency.child, "callCount": dependency.call_count })
            })
            .collect(),
    )
}

/// A Go duration (`time.ParseDuration`): a sequence of decimal numbers with units `ns`,
/// `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`, such as `1h2m3.5s`; in nanoseconds. Negative
/// durations are refused.
pub(crate) fn parse_go_duration(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not a duration like 1.5s, 300ms or 1h2m");
    if text == "0" {
        return Ok(0);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    if !total.is_finite() || total >= u64::MAX as f64 {
        return Err(format!("{text:?} is too long"));
    }
    Ok(total as u64)
}

fn last<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().rev().find(|(key, value)| key == name && !value.is_empty()).map(|(_, value)| value.as_str())
}

fn micros_param(params: &[(String, String)], name: &str) -> Result<Option<u64>, ParamError> {
    last(params, name)
        .map(|text| {
            text.parse::<u64>()
                .map(|micros| micros.saturating_mul(1_000))
                .map_err(|_| bad(name, format!("{text:?} is not a time in unix microseconds")))
        })
        .transpose()
}

/// The search of jaeger-query's `/api/traces`: `service`, `operation`, `tags` (a JSON
/// object, repeatable) and `tag` (`key:value`, repeatable), `start`/`end` (µs; end
/// defaults to now, start to end minus `lookback`, itself 48 hours by default),
/// `minDuration`/`maxDuration` (Go durations), `limit` (default 100, as jaeger-query's),
/// `spanKind`.
pub(crate) fn parse_search(params: &[(String, String)], now_unix_nano: u64) -> Result<SearchQuery, ParamError> {
    let mut query = SearchQuery {
        service: last(params, "service").map(str::to_owned),
        operation: last(params, "operation").map(str::to_owned),
        limit: 100,
        ..SearchQuery::default()
    };
    for (_, text) in params.iter().filter(|(key, value)| key == "tags" && !value.is_empty()) {
        let object: serde_json::Map<String, Json> = serde_json::from_str(text)
            .map_err(|error| bad("tags", format!("{text:?} is not a JSON object of strings: {error}")))?;
        for (key, value) in object {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            query.attributes.push((key, value));
        }
    }
    for (_, text) in params.iter().filter(|(key, value)| key == "tag" && !value.is_empty()) {
        let (key, value) = text.split_once(':').ok_or_else(|| bad("tag", format!("{text:?} is not key:value")))?;
        query.attributes.push((key.to_owned(), value.to_owned()));
    }
    // `error=true` in Jaeger means an error span.
    if let Some(position) = query.attributes.iter().position(|(key, value)| key == "error" && value == "true") {
        query.attributes.remove(position);
        query.errors_only = true;
    }
    query.end_unix_nano = micros_param(params, "end")?.unwrap_or(now_unix_nano);
    let lookback = match last(params, "lookback") {
        // jaeger-query's default lookback when `start` is missing: two days.
        None | Some("custom") => DEFAULT_LOOKBACK_NANOS,
        Some(text) => parse_go_duration(text)
            .or_else(|_| crate::config::parse_lookback(text))
            .map_err(|message| bad("lookback", message))?,
    };
    query.start_unix_nano = micros_param(params, "start")?.unwrap_or(query.end_unix_nano.saturating_sub(lookback));
    if query.start_unix_nano > query.end_unix_nano {
        return Err(bad("start", "is after end".into()));
    }
    for (name, slot) in [("minDuration", &mut query.min_duration_nanos), ("maxDuration", &mut query.max_duration_nanos)]
    {
        if let Some(text) = last(params, name) {
            *slot = Some(parse_go_duration(text).map_err(|message| bad(name, message))?);
        }
    }
    if let (Some(min), Some(max)) = (query.min_duration_nanos, query.max_duration_nanos) {
        if min > max {
            return Err(bad("minDuration", "is greater than maxDuration".into()));
        }
    }
    if let Some(text) = last(params, "limit") {
        let limit: usize = text.parse().map_err(|_| bad("limit", format!("{text:?} is not a whole number")))?;
        query.limit = if limit == 0 { 100 } else { limit.min(10_000) };
    }
    if let Some(kind) = last(params, "spanKind") {
        query.kind =
            Some(SpanKind::parse(kind).ok_or_else(|| bad("spanKind", format!("{kind:?} is not a span kind")))?);
    }
    Ok(query)
}

/// The repeated `traceID` parameters (16 or 32 hex digits).
pub(crate) fn parse_trace_ids(params: &[(String, String)]) -> Result<Vec<TraceId>, ParamError> {
    params
        .iter()
        .filter(|(key, value)| key == "traceID" && !value.is_empty())
        .map(|(_, text)| parse_trace_id(text).ok_or_else(|| bad("traceID", format!("{text:?} is not a trace id"))))
        .collect()
}

fn parse_trace_id(text: &str) -> Option<TraceId> {
    if text.is_empty() || text.len() > 32 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let id = TraceId::from_u128(u128::from_str_radix(text, 16).ok()?);
    id.is_valid().then_some(id)
}

/// `/api/dependencies`: `endTs` (ms, default now) and `lookback` (ms, default a day).
pub(crate) fn parse_dependencies(params: &[(String, String)], now_unix_nano: u64) -> Result<(u64, u64), ParamError> {
    let millis = |name: &str| {
        last(params, name)
            .map(|text| text.parse::<u64>().map_err(|_| bad(name, format!("{text:?} is not a number of milliseconds"))))
            .transpose()
    };
    let end = millis("endTs")?.map_or(now_unix_nano, |ms| ms.saturating_mul(1_000_000));
    let lookback = millis("lookback")?.unwrap_or(86_400_000).saturating_mul(1_000_000);
    Ok((end.saturating_sub(lookback), end))
}

/// `/api/v3/traces` and `/api/v3/traces/{id}`: `{"result": TracesData}` in OTLP JSON.
pub(crate) fn v3_traces_json(traces: &[TraceData]) -> Json {
    let groups: Vec<(&Resource, &str, Vec<clew::SpanData>)> = {
        let mut groups: Vec<(&Resource, &str, Vec<clew::SpanData>)> = Vec::new();
        for trace in traces {
            for stored in &trace.spans {
                let resource = &*stored.origin.resource;
                let scope = stored.origin.scope.as_ref();
                match groups.iter_mut().find(|(known, known_scope, _)| *known == resource && *known_scope == scope) {
                    Some((_, _, spans)) => spans.push(stored.span.clone()),
                    None => groups.push((resource, scope, vec![stored.span.clone()])),
                }
            }
        }
        groups
    };
    let request: ExportTraceServiceRequest = clew_otlp::traces_request_of_groups(
        groups.iter().map(|(resource, scope, spans)| (*resource, *scope, spans.as_slice())),
    );
    let data = serde_json::to_value(&request).unwrap_or(Json::Null);
    json!({ "result": data })
}

/// `/api/v3/services`.
pub(crate) fn v3_services_json(names: &[String]) -> Json {
    json!({ "services": names })
}

/// `/api/v3/operations`.
pub(crate) fn v3_operations_json(operations: &[Operation]) -> Json {
    json!({ "operations": operations_json(operations) })
}

/// RFC 3339 time (`2024-05-01T12:00:00.5Z`, `…+02:00`) in unix nanoseconds.
pub(crate) fn parse_rfc3339(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not an RFC 3339 time like 2024-05-01T12:00:00Z");
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !text.is_ascii() {
        return Err(bad());
    }
    let number =
        |range: std::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<i64>().ok()).ok_or_else(bad);
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return Err(bad());
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(bad());
    }
    let mut rest = &text[19..];
    let mut nanos: i64 = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if digits == 0 {
            return Err(bad());
        }
        let kept = &fraction[..digits.min(9)];
        nanos = kept.parse::<i64>().map_err(|_| bad())? * 10_i64.pow(9 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return Err(bad());
            }
            let hours: i64 = rest[1..3].parse().map_err(|_| bad())?;
            let minutes: i64 = rest[4..6].parse().map_err(|_| bad())?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    if seconds < 0 {
        return Err(format!("{text:?} is before 1970"));
    }
    u64::try_from(seconds)
        .ok()
        .and_then(|seconds| seconds.checked_mul(1_000_000_000))
        .and_then(|total| total.checked_add(nanos as u64))
        .ok_or_else(bad)
}

/// The search of `/api/v3/traces`: `query.service_name`, `query.operation_name`,
/// `query.attributes` (a JSON object, or repeated `key:value`), `query.start_time_min` and
/// `query.start_time_max` (RFC 3339; by default the 48 hours before now), `query.duration_min`/`query.duration_max` (`1.5s`),
/// `query.search_depth` (the limit, default 20).
pub(crate) fn parse_v3_query(params: &[(String, String)], now_unix_nano: u64) -> Result<SearchQuery, ParamError> {
    let mut query = SearchQuery {
        service: last(params, "query.service_name").map(str::to_owned),
        operation: last(params, "query.operation_name").map(str::to_owned),
        ..SearchQuery::default()
    };
    for (_, text) in params.iter().filter(|(key, value)| key == "query.attributes" && !value.is_empty()) {
        match serde_json::from_str::<HashMap<String, Json>>(text) {
            Ok(object) => {
                for (key, value) in object {
                    query.attributes.push((key, value.as_str().map_or_else(|| value.to_string(), str::to_owned)));
                }
            }
            Err(_) => {
                let (key, value) = text.split_once(':').ok_or_else(|| {
                    bad("query.attributes", format!("{text:?} is neither a JSON object nor key:value"))
                })?;
                query.attributes.push((key.to_owned(), value.to_owned()));
            }
        }
    }
    query.end_unix_nano = match last(params, "query.start_time_max") {
        Some(text) => parse_rfc3339(text).map_err(|message| bad("query.start_time_max", message))?,
        None => now_unix_nano,
    };
    query.start_unix_nano = match last(params, "query.start_time_min") {
        Some(text) => parse_rfc3339(text).map_err(|message| bad("query.start_time_min", message))?,
        None => query.end_unix_nano.saturating_sub(DEFAULT_LOOKBACK_NANOS),
    };
    for (name, slot) in
        [("query.duration_min", &mut query.min_duration_nanos), ("query.duration_max", &mut query.max_duration_nanos)]
    {
        if let Some(text) = last(params, name) {
            *slot = Some(parse_go_duration(text).map_err(|message| bad(name, message))?);
        }
    }
    if let Some(text) = last(params, "query.search_depth") {
        query.limit = text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=10_000).contains(limit))
            .ok_or_else(|| bad("query.search_depth", format!("{text:?} is not a number from 1 to 10000")))?;
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clew::{Event, KeyValue, Level, Link, SpanContext, SpanData, SpanId, Status, TraceEvent, TraceFlags};
    use clew_otlp::TraceRecord;
    use clew_store::{Origin, StoredRecord, StoredSpan};
    use proptest::prelude::*;

    use super::*;

    /// The one trace of the envelope `/api/traces/{trace_id}` answers with.
    fn trace_json(trace: &TraceData) -> Json {
        let bytes = traces_envelope_bytes(std::slice::from_ref(trace)).unwrap();
        let mut envelope: Json = serde_json::from_slice(&bytes).unwrap();
        envelope["data"][0].take()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
    }

    fn origin(service: &str) -> Origin {
        Origin {
            resource: Arc::new(Resource::new([
                KeyValue::new("service.name", service.to_owned()),
                KeyValue::new("host.name", "h1"),
            ])),
            scope: "shop".into(),
        }
    }

    fn span(id: u64, parent: Option<u64>, name: &str) -> SpanData {
        SpanData {
            trace_id: TraceId::from_u128(0xabc),
            span_id: SpanId::from_u64(id),
            parent_span_id: parent.map(SpanId::from_u64),
            parent_is_remote: false,
            trace_flags: TraceFlags::SAMPLED,
            trace_state: None,
            name: name.to_owned().into(),
            kind: SpanKind::Server,
            label: None,
            start_time_unix_nano: 1_000_000_000 + id * 1_000,
            end_time_unix_nano: 1_002_500_999 + id * 1_000,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status::Unset,
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
        }
    }

    fn sample() -> TraceData {
        let mut root = span(1, None, "GET /checkout");
        root.attributes = vec![
            KeyValue::new("text", "x"),
            KeyValue::new("flag", true),
            KeyValue::new("count", 7_i64),
            KeyValue::new("ratio", 0.5),
            KeyValue::new("names", vec!["a", "b"]),
        ];
        root.status = Status::Ok;
        root.events = vec![Event {
            name: "cache miss".into(),
            time_unix_nano: 1_000_002_000,
            level: Some(Level::Warn),
            attributes: vec![KeyValue::new("key", "k")],
            dropped_attributes_count: 0,
        }];
        let mut child = span(2, Some(1), "charge");
        child.kind = SpanKind::Client;
        child.label = Some("STEP".into());
        child.status = Status::error("declined");
        child.trace_state = Some("vendor=x".into());
        child.links = vec![Link {
            context: SpanContext::new(TraceId::from_u128(0xdef), SpanId::from_u64(9), TraceFlags::SAMPLED),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        }];
        TraceData {
            trace_id: TraceId::from_u128(0xabc),
            spans: vec![
                StoredSpan { origin: origin("frontend"), span: root },
                StoredSpan { origin: origin("payments"), span: child },
            ],
            records: vec![
                StoredRecord {
                    origin: origin("frontend"),
                    record: TraceRecord::TraceEvent(TraceEvent {
                        trace_id: TraceId::from_u128(0xabc),
                        time_unix_nano: 1_000_001_000,
                        level: Level::Info,
                        name: "request.received".into(),
                        attributes: Vec::new(),
                    }),
                },
                StoredRecord {
                    origin: origin("payments"),
                    record: TraceRecord::SpanLog {
                        trace_id: TraceId::from_u128(0xabc),
                        span_id: SpanId::from_u64(2),
                        event: Event {
                            name: "retrying".into(),
                            time_unix_nano: 1_000_003_000,
                            level: Some(Level::Info),
                            attributes: Vec::new(),
                            dropped_attributes_count: 0,
                        },
                    },
                },
            ],
        }
    }

    #[test]
    fn a_trace_has_jaegers_shape_field_by_field() {
        let trace = trace_json(&sample());
        assert_eq!(trace["traceID"], "00000000000000000000000000000abc");
        assert_eq!(
            trace["processes"]["p1"],
            json!({ "serviceName": "frontend", "tags": [{ "key": "host.name", "type": "string", "value": "h1" }] })
        );
        assert_eq!(trace["processes"]["p2"]["serviceName"], "payments");
        let root = &trace["spans"][0];
        assert_eq!(root["spanID"], "0000000000000001");
        assert_eq!(root["operationName"], "GET /checkout");
        assert_eq!(root["references"], json!([]));
        assert_eq!(root["startTime"], 1_000_001);
        assert_eq!(root["duration"], 2_500);
        assert_eq!(root["flags"], 1);
        assert_eq!(root["processID"], "p1");
        assert_eq!(
            root["tags"],
            json!([
                { "key": "text", "type": "string", "value": "x" },
                { "key": "flag", "type": "bool", "value": true },
                { "key": "count", "type": "int64", "value": 7 },
                { "key": "ratio", "type": "float64", "value": 0.5 },
                { "key": "names", "type": "string", "value": "[\"a\",\"b\"]" },
                { "key": "span.kind", "type": "string", "value": "server" },
                { "key": "otel.status_code", "type": "string", "value": "OK" },
                { "key": "otel.scope.name", "type": "string", "value": "shop" },
            ])
        );
        // The trace-level event, then the span's event, by time, on the root.
        assert_eq!(root["logs"][0]["timestamp"], 1_000_001);
        assert_eq!(
            root["logs"][0]["fields"][0],
            json!({ "key": "event", "type": "string", "value": "request.received" })
        );
        assert_eq!(root["logs"][0]["fields"][2], json!({ "key": "clew.trace_event", "type": "bool", "value": true }));
        assert_eq!(root["logs"][1]["fields"][1], json!({ "key": "level", "type": "string", "value": "WARN" }));
        assert_eq!(root["logs"][1]["fields"][2], json!({ "key": "key", "type": "string", "value": "k" }));

        let child = &trace["spans"][1];
        assert_eq!(
            child["references"],
            json!([
                { "refType": "CHILD_OF", "traceID": "00000000000000000000000000000abc", "spanID": "0000000000000001" },
                { "refType": "FOLLOWS_FROM", "traceID": "00000000000000000000000000000def", "spanID": "0000000000000009" },
            ])
        );
        assert!(child.get("parentSpanID").is_none());
        let child_tags = child["tags"].as_array().unwrap();
        for expected in [
            json!({ "key": "span.kind", "type": "string", "value": "client" }),
            json!({ "key": "error", "type": "bool", "value": true }),
            json!({ "key": "otel.status_description", "type": "string", "value": "declined" }),
            json!({ "key": "clew.span.label", "type": "string", "value": "STEP" }),
            json!({ "key": "w3c.tracestate", "type": "string", "value": "vendor=x" }),
        ] {
            assert!(child_tags.contains(&expected), "{expected} in {child_tags:?}");
        }
        assert_eq!(child["logs"][0]["fields"][0]["value"], "retrying");
        assert_eq!(child["processID"], "p2");
    }

    #[test]
    fn the_envelope_has_null_errors_unless_there_are_some() {
        assert_eq!(
            envelope(json!([1]), 1, Vec::new()),
            json!({ "data": [1], "total": 1, "limit": 0, "offset": 0, "errors": null })
        );
        let with_error = envelope(Json::Null, 0, vec![JaegerError { code: 404, msg: "trace not found".into() }]);
        assert_eq!(with_error["errors"], json!([{ "code": 404, "msg": "trace not found" }]));
    }

    #[test]
    fn go_durations_parse_like_time_parse_duration() {
        assert_eq!(parse_go_duration("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(parse_go_duration("300ms"), Ok(300_000_000));
        assert_eq!(parse_go_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_go_duration("500us"), Ok(500_000));
        assert_eq!(parse_go_duration("500µs"), Ok(500_000));
        assert_eq!(parse_go_duration("7ns"), Ok(7));
        assert_eq!(parse_go_duration("0"), Ok(0));
        for bad in ["", "-1s", "1", "s", "1x", "1.2.3s", ".s", "99999999999999999999h"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_parameters_follow_jaeger_query() {
        let query = parse_search(
            &params(&[
                ("service", "checkout"),
                ("operation", "POST /orders"),
                ("tags", r#"{"http.status_code":"500","error":"true"}"#),
                ("tag", "tenant:acme"),
                ("start", "1000"),
                ("end", "2000"),
                ("minDuration", "1.5ms"),
                ("maxDuration", "1s"),
                ("limit", "7"),
                ("spanKind", "server"),
            ]),
            9_000_000,
        )
        .unwrap();
        assert_eq!(query.service.as_deref(), Some("checkout"));
        assert_eq!(query.operation.as_deref(), Some("POST /orders"));
        assert_eq!(query.attributes, [("http.status_code".into(), "500".into()), ("tenant".into(), "acme".into())]);
        assert!(query.errors_only);
        assert_eq!((query.start_unix_nano, query.end_unix_nano), (1_000_000, 2_000_000));
        assert_eq!((query.min_duration_nanos, query.max_duration_nanos), (Some(1_500_000), Some(1_000_000_000)));
        assert_eq!((query.limit, query.kind), (7, Some(SpanKind::Server)));

        let bare = parse_search(&params(&[]), 100 * 3_600_000_000_000).unwrap();
        assert_eq!(bare.start_unix_nano, 52 * 3_600_000_000_000, "two days back, as jaeger-query");
        let defaults = parse_search(&params(&[("lookback", "2h")]), 10 * 3_600_000_000_000).unwrap();
        assert_eq!(
            (defaults.start_unix_nano, defaults.end_unix_nano, defaults.limit),
            (8 * 3_600_000_000_000, 10 * 3_600_000_000_000, 100)
        );

        for (pairs, parameter) in [
            (vec![("tags", "[1]")], "tags"),
            (vec![("tag", "novalue")], "tag"),
            (vec![("start", "yesterday")], "start"),
            (vec![("end", "-5")], "end"),
            (vec![("minDuration", "fast")], "minDuration"),
            (vec![("maxDuration", "1y")], "maxDuration"),
            (vec![("minDuration", "2s"), ("maxDuration", "1s")], "minDuration"),
            (vec![("limit", "ten")], "limit"),
            (vec![("spanKind", "sideways")], "spanKind"),
            (vec![("lookback", "a while")], "lookback"),
            (vec![("start", "5"), ("end", "4")], "start"),
        ] {
            let error = parse_search(&params(&pairs), 1_000).unwrap_err();
            assert_eq!(error.parameter, parameter, "{pairs:?}: {error}");
        }
        let ids =
            parse_trace_ids(&params(&[("traceID", "abc"), ("traceID", "0af7651916cd43dd8448eb211c80319c")])).unwrap();
        assert_eq!(ids, [TraceId::from_u128(0xabc), TraceId::from_u128(0x0af7651916cd43dd8448eb211c80319c)]);
        assert_eq!(parse_trace_ids(&params(&[("traceID", "xyz")])).unwrap_err().parameter, "traceID");
        assert_eq!(
            parse_dependencies(&params(&[("endTs", "5000"), ("lookback", "1000")]), 0),
            Ok((4_000_000_000, 5_000_000_000))
        );
    }

    #[test]
    fn rfc3339_times_parse_with_fractions_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00Z"), Ok(1_714_564_800_000_000_000));
        assert_eq!(parse_rfc3339("2024-05-01T14:00:00.5+02:00"), Ok(1_714_564_800_500_000_000));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00.123456789Z"), Ok(1_709_164_800_123_456_789));
        for bad in [
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-05-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2024-05-01T00:00:00.Z",
            "2024-05-01T00:00:00+2",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn v3_traces_are_otlp_json_with_hex_ids() {
        let json = v3_traces_json(&[sample()]);
        let resource_spans = json["result"]["resourceSpans"].as_array().unwrap();
        assert_eq!(resource_spans.len(), 2);
        let span = &resource_spans[0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], "00000000000000000000000000000abc");
        assert_eq!(span["spanId"], "0000000000000001");
        assert_eq!(span["name"], "GET /checkout");
        let query = parse_v3_query(
            &params(&[
                ("query.service_name", "checkout"),
                ("query.start_time_min", "2024-05-01T12:00:00Z"),
                ("query.start_time_max", "2024-05-01T13:00:00Z"),
                ("query.duration_min", "2s"),
                ("query.attributes", r#"{"tenant":"acme"}"#),
                ("query.search_depth", "5"),
            ]),
            0,
        )
        .unwrap();
        assert_eq!(query.start_unix_nano, 1_714_564_800_000_000_000);
        assert_eq!(query.end_unix_nano, 1_714_568_400_000_000_000);
        assert_eq!((query.min_duration_nanos, query.limit), (Some(2_000_000_000), 5));
        assert_eq!(query.attributes, [("tenant".into(), "acme".into())]);
        assert_eq!(
            parse_v3_query(&params(&[("query.start_time_min", "noon")]), 0).unwrap_err().parameter,
            "query.start_time_min"
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in ".{0,40}") {
            let _ = parse_go_duration(&text);
            let _ = parse_rfc3339(&text);
            let _ = parse_search(&params(&[("tags", &text), ("tag", &text), ("minDuration", &text), ("lookback", &text)]), 0);
        }
    }
}
