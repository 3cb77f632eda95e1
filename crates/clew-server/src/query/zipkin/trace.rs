//! The JSON of whole traces in Zipkin's v2 read API (`/api/v2/trace/{trace_id}` and the
//! `/api/v2/traces` search), written straight from what the store returned.
//!
//! Each object of these answers is a view that borrows a part of a [`TraceData`] and derives
//! [`Serialize`]; each array of traces or spans is an adapter that makes the view of one
//! stored item at a time, as it is written. So `serde_json::to_writer` turns traces into
//! their bytes without building a `serde_json::Value` tree or a copy of their spans first:
//! for a trace of 100,000 spans the tree's allocations, frees and map inserts cost more than
//! the writing itself.
//!
//! The fields of every object are written in alphabetical order, the order in which this API
//! has always written them (its answers used to be `serde_json::Value`s, whose maps are
//! sorted): the fields of each view are declared in that order, and `tags` is a sorted map,
//! so the answers are the same bytes as before. The mapping itself is the table of the
//! parent module.

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use clew::{Event, SpanId, SpanKind, Status, TraceId, Value};
use clew_store::{StoredSpan, TraceData};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::query::AsString;

/// About how many bytes of JSON a span takes when it has a few tags: enough to reserve the
/// answer's buffer once for most traces.
const BYTES_PER_SPAN: usize = 384;

/// A trace as `/api/v2/trace/{trace_id}` answers it, a JSON array of spans, as bytes.
///
/// The `Result` is `serde_json`'s: nothing here fails, since writing into a `Vec` cannot and
/// none of these types returns an error.
pub(crate) fn trace_bytes(trace: &TraceData) -> serde_json::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(64 + trace.spans.len() * BYTES_PER_SPAN);
    serde_json::to_writer(&mut bytes, &TraceJson::new(trace))?;
    Ok(bytes)
}

/// Traces as `/api/v2/traces` answers them, a JSON array of traces, as bytes.
pub(crate) fn traces_bytes(traces: &[TraceData]) -> serde_json::Result<Vec<u8>> {
    let span_count: usize = traces.iter().map(|trace| trace.spans.len()).sum();
    let mut bytes = Vec::with_capacity(64 + span_count * BYTES_PER_SPAN);
    serde_json::to_writer(&mut bytes, &TracesJson(traces))?;
    Ok(bytes)
}

struct TracesJson<'a>(&'a [TraceData]);

impl Serialize for TracesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items = serializer.serialize_seq(Some(self.0.len()))?;
        for trace in self.0 {
            items.serialize_element(&TraceJson::new(trace))?;
        }
        items.end()
    }
}

/// A trace: its spans.
struct TraceJson<'a> {
    trace: &'a TraceData,
    /// The span that takes the trace-level events as annotations: the first without a
    /// parent, else the first.
    root: Option<usize>,
    /// The log lines of each span: gathered once instead of a pass over all the records for
    /// each span.
    span_logs: HashMap<SpanId, Vec<&'a Event>>,
}

impl<'a> TraceJson<'a> {
    fn new(trace: &'a TraceData) -> TraceJson<'a> {
        let root = trace.root_position();
        let span_logs = trace.span_logs_by_span();
        TraceJson { trace, root, span_logs }
    }
}

impl Serialize for TraceJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items = serializer.serialize_seq(Some(self.trace.spans.len()))?;
        for (index, stored) in self.trace.spans.iter().enumerate() {
            items.serialize_element(&SpanJson::new(self, index, stored))?;
        }
        items.end()
    }
}

/// A Zipkin v2 span. `peer.service`, `network.peer.address` and `network.peer.port` make
/// the `remoteEndpoint`; the other attributes, the status and the scope are `tags` (a later
/// one of the same key wins); the events, log lines and, on the root, the trace-level events
/// are `annotations`, by time then text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanJson<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<AnnotationJson<'a>>,
    /// µs, at least 1; absent when the span took no time.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
    id: AsString<SpanId>,
    /// Absent for an internal span.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    local_endpoint: LocalEndpointJson<'a>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<AsString<SpanId>>,
    #[serde(skip_serializing_if = "RemoteJson::is_empty")]
    remote_endpoint: RemoteJson<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<&'a str, TagJson<'a>>,
    /// µs.
    timestamp: u64,
    trace_id: TraceIdJson,
}

impl<'a> SpanJson<'a> {
    fn new(trace: &'a TraceJson<'a>, index: usize, stored: &'a StoredSpan) -> SpanJson<'a> {
        let span = &stored.span;
        let mut remote = RemoteJson::default();
        let mut tags: BTreeMap<&str, TagJson<'_>> = BTreeMap::new();
        for attribute in &span.attributes {
            match attribute.key.as_ref() {
                "peer.service" => remote.service_name = Some(tag_text(&attribute.value)),
                "network.peer.address" => {
                    let address = tag_text(&attribute.value);
                    if address.contains(':') {
                        remote.ipv6 = Some(address);
                    } else {
                        remote.ipv4 = Some(address);
                    }
                }
                "network.peer.port" => {
                    if let Value::I64(port) = attribute.value {
                        remote.port = Some(port);
                    }
                }
                key => {
                    tags.insert(key, TagJson::Attribute(&attribute.value));
                }
            }
        }
        match &span.status {
            Status::Error { message } => {
                tags.insert("otel.status_code", TagJson::Text("ERROR"));
                tags.insert("error", TagJson::Text(message.as_ref()));
            }
            Status::Ok => {
                tags.insert("otel.status_code", TagJson::Text("OK"));
            }
            Status::Unset => {}
        }
        if !stored.origin.scope.is_empty() {
            tags.insert("otel.scope.name", TagJson::Text(stored.origin.scope.as_ref()));
        }
        let duration = span.duration_nanos();
        SpanJson {
            annotations: annotations(trace, index, stored),
            duration: (duration > 0).then(|| micros(duration).max(1)),
            id: AsString(span.span_id),
            kind: kind(span.kind),
            local_endpoint: LocalEndpointJson { service_name: stored.service() },
            name: span.name.as_ref(),
            parent_id: span.parent_span_id.map(AsString),
            remote_endpoint: remote,
            tags,
            timestamp: micros(span.start_time_unix_nano),
            trace_id: TraceIdJson(span.trace_id),
        }
    }
}

/// The span's events and log lines and, on the root, the trace-level events, sorted by
/// time then text.
fn annotations<'a>(trace: &'a TraceJson<'a>, index: usize, stored: &'a StoredSpan) -> Vec<AnnotationJson<'a>> {
    let span = &stored.span;
    let span_logs = trace.span_logs.get(&span.span_id).map_or(&[][..], Vec::as_slice);
    let mut annotations: Vec<AnnotationJson<'a>> = span
        .events
        .iter()
        .chain(span_logs.iter().copied())
        .map(|event| AnnotationJson { timestamp: micros(event.time_unix_nano), value: event.name.as_ref() })
        .collect();
    if Some(index) == trace.root {
        for (_, event) in trace.trace.trace_events() {
            annotations.push(AnnotationJson { timestamp: micros(event.time_unix_nano), value: event.name.as_ref() });
        }
    }
    annotations.sort_unstable();
    annotations
}

/// Zipkin's kind: absent for an internal span.
fn kind(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Client => Some("CLIENT"),
        SpanKind::Server => Some("SERVER"),
        SpanKind::Producer => Some("PRODUCER"),
        SpanKind::Consumer => Some("CONSUMER"),
        SpanKind::Internal => None,
    }
}

/// `{"timestamp": µs, "value": text}`, ordered by time then text.
#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct AnnotationJson<'a> {
    timestamp: u64,
    value: &'a str,
}

/// `{"serviceName": …}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocalEndpointJson<'a> {
    service_name: &'a str,
}

/// The fields of `remoteEndpoint` that the span's attributes give, each the last given.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct RemoteJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ipv4: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ipv6: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_name: Option<Cow<'a, str>>,
}

impl RemoteJson<'_> {
    fn is_empty(&self) -> bool {
        self.ipv4.is_none() && self.ipv6.is_none() && self.port.is_none() && self.service_name.is_none()
    }
}

/// The text of a value: a string as it is, anything else as `Display` writes it.
fn tag_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(text) => Cow::Borrowed(text.as_ref()),
        other => Cow::Owned(other.to_string()),
    }
}

/// A tag's value, always a string: an attribute's text, or the text of a status or scope.
enum TagJson<'a> {
    Attribute(&'a Value),
    Text(&'a str),
}

impl Serialize for TagJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            TagJson::Attribute(Value::String(text)) => serializer.serialize_str(text.as_ref()),
            TagJson::Attribute(other) => serializer.collect_str(other),
            TagJson::Text(text) => serializer.serialize_str(text),
        }
    }
}

/// 16 hex digits for a trace id that fits in 64 bits, else 32.
struct TraceIdJson(TraceId);

impl Serialize for TraceIdJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.0.to_u128();
        if value >> 64 == 0 {
            serializer.collect_str(&format_args!("{value:016x}"))
        } else {
            serializer.collect_str(&format_args!("{value:032x}"))
        }
    }
}

fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}
