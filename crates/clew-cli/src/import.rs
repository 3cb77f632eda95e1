//! `clew import FILE…`: loads files into a running server over OTLP/HTTP.
//!
//! Two kinds of file are read, line by line or as one document:
//! - the SDK's stdout JSON lines (`{"type":"span",…}` and `{"type":"event",…}`), turned
//!   into OTLP protobuf requests;
//! - OTLP JSON (`{"resourceSpans":[…]}` or `{"resourceLogs":[…]}`), one request per line
//!   (as the OpenTelemetry Collector's file exporter writes them) or one per file, sent as
//!   they are.

use std::collections::BTreeMap;
use std::sync::Arc;

use clew::{
    Batch, Event, KeyValue, Level, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, Str, TraceEvent,
    TraceFlags, TraceId, Value,
};
use serde_json::Value as Json;

use crate::client::{DEFAULT_ENDPOINT, post};

/// What one resource sent: its spans and trace events.
type FromResource = (Arc<Resource>, Vec<SpanData>, Vec<TraceEvent>);

/// Spans per request.
const CHUNK: usize = 1000;

#[derive(Debug, Default)]
struct Totals {
    spans: usize,
    events: usize,
    otlp_requests: usize,
}

/// `clew import`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// Files of SDK JSON lines (stdout exporter) or OTLP JSON requests
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
    /// OTLP/HTTP endpoint of the server
    #[arg(long, value_name = "URL", default_value = DEFAULT_ENDPOINT)]
    endpoint: String,
}

/// `clew import FILE…`: sends each file's spans and trace events.
pub(crate) fn run(args: ImportArgs) -> Result<(), String> {
    let endpoint = args.endpoint.trim_end_matches('/');
    let files = args.files;
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|error| format!("{file}: {error}"))?;
        let totals = import_text(endpoint, &text).map_err(|error| format!("{file}: {error}"))?;
        crate::log(&format!(
            "clew import: {file}: {} spans and {} trace events from JSON lines, {} OTLP JSON requests",
            totals.spans, totals.events, totals.otlp_requests
        ));
    }
    Ok(())
}

fn import_text(endpoint: &str, text: &str) -> Result<Totals, String> {
    let documents: Vec<(usize, Json)> = match serde_json::from_str::<Json>(text) {
        Ok(document) => vec![(1, document)],
        Err(_) => text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line)
                    .map(|json| (index + 1, json))
                    .map_err(|error| format!("line {}: not JSON: {error}", index + 1))
            })
            .collect::<Result<_, _>>()?,
    };
    let mut totals = Totals::default();
    let mut resources: BTreeMap<String, FromResource> = BTreeMap::new();
    for (line, document) in documents {
        if document.get("resourceSpans").is_some() || document.get("resourceLogs").is_some() {
            let path = if document.get("resourceSpans").is_some() { "/v1/traces" } else { "/v1/logs" };
            send(endpoint, path, "application/json", document.to_string().as_bytes())?;
            totals.otlp_requests += 1;
            continue;
        }
        let resource_key = document.get("resource").map(Json::to_string).unwrap_or_default();
        let entry = resources
            .entry(resource_key)
            .or_insert_with(|| (Arc::new(Resource::new(attributes(document.get("resource")))), Vec::new(), Vec::new()));
        match document.get("type").and_then(Json::as_str) {
            Some("span") => {
                entry.1.push(span(&document).map_err(|error| format!("line {line}: {error}"))?);
                totals.spans += 1;
            }
            Some("event") => {
                entry.2.push(trace_event(&document).map_err(|error| format!("line {line}: {error}"))?);
                totals.events += 1;
            }
            _ => return Err(format!("line {line}: neither an SDK span or event line nor OTLP JSON")),
        }
    }
    for (resource, spans, events) in resources.into_values() {
        for chunk in spans.chunks(CHUNK) {
            let batch = Batch::new(Arc::clone(&resource), chunk.to_vec(), Vec::new());
            send(
                endpoint,
                "/v1/traces",
                "application/x-protobuf",
                &clew_otlp::encode_traces(&clew_otlp::traces_request(&batch, "clew-import")),
            )?;
        }
        for chunk in events.chunks(CHUNK) {
            let batch = Batch::new(Arc::clone(&resource), Vec::new(), chunk.to_vec());
            send(
                endpoint,
                "/v1/logs",
                "application/x-protobuf",
                &clew_otlp::encode_logs(&clew_otlp::logs_request(&batch, "clew-import")),
            )?;
        }
    }
    Ok(totals)
}

fn send(endpoint: &str, path: &str, content_type: &str, body: &[u8]) -> Result<(), String> {
    match post(&format!("{endpoint}{path}"), content_type, body)? {
        (200, answer) if answer.contains("rejected") => Err(format!("the server refused part of it: {answer}")),
        (200, _) => Ok(()),
        (status, answer) => Err(format!("the server answered HTTP {status}: {answer}")),
    }
}

fn text<'a>(json: &'a Json, field: &str) -> Result<&'a str, String> {
    json.get(field).and_then(Json::as_str).ok_or_else(|| format!("field {field} is missing or not a string"))
}

fn number(json: &Json, field: &str) -> Result<u64, String> {
    json.get(field).and_then(Json::as_u64).ok_or_else(|| format!("field {field} is missing or not a number"))
}

fn value(json: &Json) -> Value {
    match json {
        Json::Bool(flag) => Value::Bool(*flag),
        Json::Number(number) => number.as_i64().map_or_else(|| Value::F64(number.as_f64().unwrap_or(0.0)), Value::I64),
        Json::String(text) => Value::String(Str::from(text.clone())),
        Json::Array(items) if items.iter().all(Json::is_boolean) => {
            Value::BoolArray(items.iter().filter_map(Json::as_bool).collect())
        }
        Json::Array(items) if items.iter().all(Json::is_i64) => {
            Value::I64Array(items.iter().filter_map(Json::as_i64).collect())
        }
        Json::Array(items) if items.iter().all(Json::is_number) => {
            Value::F64Array(items.iter().filter_map(Json::as_f64).collect())
        }
        Json::Array(items) => Value::StringArray(
            items.iter().map(|item| Str::from(item.as_str().map_or_else(|| item.to_string(), str::to_owned))).collect(),
        ),
        other => Value::String(Str::from(other.to_string())),
    }
}

fn attributes(json: Option<&Json>) -> Vec<KeyValue> {
    json.and_then(Json::as_object)
        .map(|object| object.iter().map(|(key, item)| KeyValue::new(key.clone(), value(item))).collect())
        .unwrap_or_default()
}

fn count(json: &Json, field: &str) -> u32 {
    json.get(field).and_then(Json::as_u64).map_or(0, |count| u32::try_from(count).unwrap_or(u32::MAX))
}

fn span(json: &Json) -> Result<SpanData, String> {
    let trace_id = TraceId::from_hex(text(json, "trace_id")?).map_err(|error| format!("trace_id: {error}"))?;
    let parent_span_id = match json.get("parent_span_id").and_then(Json::as_str) {
        Some(parent) => Some(SpanId::from_hex(parent).map_err(|error| format!("parent_span_id: {error}"))?),
        None => None,
    };
    let status = match json.pointer("/status/code").and_then(Json::as_str) {
        Some("error") => Status::error(json.pointer("/status/message").and_then(Json::as_str).unwrap_or("").to_owned()),
        Some("ok") => Status::Ok,
        _ => Status::Unset,
    };
    let events = json
        .get("events")
        .and_then(Json::as_array)
        .map(|events| {
            events
                .iter()
                .map(|event| Event {
                    name: Str::from(event.get("name").and_then(Json::as_str).unwrap_or("").to_owned()),
                    time_unix_nano: event.get("time_unix_nano").and_then(Json::as_u64).unwrap_or(0),
                    level: event.get("level").and_then(Json::as_str).and_then(Level::parse),
                    attributes: attributes(event.get("attributes")),
                    dropped_attributes_count: 0,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut links = Vec::new();
    for link in json.get("links").and_then(Json::as_array).into_iter().flatten() {
        let trace = TraceId::from_hex(text(link, "trace_id")?).map_err(|error| format!("link trace_id: {error}"))?;
        let span = SpanId::from_hex(text(link, "span_id")?).map_err(|error| format!("link span_id: {error}"))?;
        links.push(Link {
            context: SpanContext::new(trace, span, TraceFlags::SAMPLED),
            attributes: attributes(link.get("attributes")),
            dropped_attributes_count: 0,
        });
    }
    Ok(SpanData {
        trace_id,
        span_id: SpanId::from_hex(text(json, "span_id")?).map_err(|error| format!("span_id: {error}"))?,
        parent_span_id,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: Str::from(text(json, "name")?.to_owned()),
        kind: json.get("kind").and_then(Json::as_str).and_then(SpanKind::parse).unwrap_or_default(),
        label: json.get("label").and_then(Json::as_str).map(|label| Str::from(label.to_owned())),
        start_time_unix_nano: number(json, "start_time_unix_nano")?,
        end_time_unix_nano: number(json, "end_time_unix_nano")?,
        attributes: attributes(json.get("attributes")),
        events,
        links,
        status,
        dropped_attributes_count: count(json, "dropped_attributes_count"),
        dropped_events_count: count(json, "dropped_events_count"),
        dropped_links_count: count(json, "dropped_links_count"),
    })
}

fn trace_event(json: &Json) -> Result<TraceEvent, String> {
    Ok(TraceEvent {
        trace_id: TraceId::from_hex(text(json, "trace_id")?).map_err(|error| format!("trace_id: {error}"))?,
        time_unix_nano: number(json, "time_unix_nano")?,
        level: json.get("level").and_then(Json::as_str).and_then(Level::parse).unwrap_or(Level::Info),
        name: Str::from(text(json, "name")?.to_owned()),
        attributes: attributes(json.get("attributes")),
    })
}
