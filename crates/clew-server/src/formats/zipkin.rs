//! Zipkin v2 spans, JSON and protobuf, to clew's model and back.
//!
//! The mapping is the reverse of the OpenTelemetry specification's Zipkin exporter
//! mapping:
//!
//! | Zipkin                              | clew                                                   |
//! |-------------------------------------|--------------------------------------------------------|
//! | `traceId` (16 or 32 hex, 8/16 bytes)| trace id (a 64-bit id fills the low half)              |
//! | `id`, `parentId`                    | span id, parent span id                                |
//! | `name` (absent or empty)            | name (`unknown`: clew refuses empty names)             |
//! | `kind`                              | kind (absent = internal)                               |
//! | `timestamp`, `duration` (µs)        | start and end (ns)                                     |
//! | `localEndpoint.serviceName`         | resource `service.name`; spans are grouped by it       |
//! | `remoteEndpoint`                    | `peer.service`, `network.peer.address`, `network.peer.port` |
//! | `annotations`                       | events (`value` is the name)                           |
//! | `tags`                              | string attributes, except the status tags below        |
//! | `otel.status_code`, `error`         | status: `error` (its value the message) or `ERROR` is error, `OK` is ok |
//! | `otel.scope.name`                   | the instrumentation scope                              |
//! | `debug`                             | the sampled flag (always set)                          |
//!
//! Reading back, the same table applies the other way; a span's logs and, on the root,
//! the trace-level events become annotations. Whole traces are written by [`trace`]
//! straight from the stored spans into bytes, on the blocking thread that ran the store's
//! lookup.

mod trace;

use std::collections::BTreeMap;
use std::sync::Arc;

use clew::{Event, KeyValue, Resource, SpanData, SpanId, SpanKind, Status, Str, TraceFlags, TraceId};
use clew_otlp::{RejectReason, Rejected};
use clew_store::{Dependency, Origin, WriteBatch};
use serde_json::{Value as Json, json};

pub(crate) use trace::{trace_bytes, traces_bytes};

/// One Zipkin span, as either encoding gives it.
#[derive(Debug, Default)]
struct ZipkinSpan {
    trace_id: Vec<u8>,
    id: Vec<u8>,
    parent_id: Vec<u8>,
    name: String,
    kind: Option<SpanKind>,
    timestamp: u64,
    duration: u64,
    local: Endpoint,
    remote: Option<Endpoint>,
    annotations: Vec<(u64, String)>,
    tags: Vec<(String, String)>,
}

#[derive(Debug, Default, Clone)]
struct Endpoint {
    service_name: String,
    address: Option<String>,
    port: Option<u16>,
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|index| u8::from_str_radix(&text[index..index + 2], 16).ok()).collect()
}

fn endpoint_from_json(json: &Json) -> Endpoint {
    let address = json
        .get("ipv4")
        .or_else(|| json.get("ipv6"))
        .and_then(Json::as_str)
        .filter(|address| !address.is_empty())
        .map(str::to_owned);
    Endpoint {
        service_name: json.get("serviceName").and_then(Json::as_str).unwrap_or("").to_owned(),
        address,
        port: json
            .get("port")
            .and_then(Json::as_u64)
            .and_then(|port| u16::try_from(port).ok())
            .filter(|port| *port > 0),
    }
}

fn span_from_json(json: &Json) -> Option<ZipkinSpan> {
    let object = json.as_object()?;
    let id_of = |field: &str| object.get(field).and_then(Json::as_str).and_then(hex_bytes);
    let kind = match object.get("kind").and_then(Json::as_str) {
        Some("CLIENT") => Some(SpanKind::Client),
        Some("SERVER") => Some(SpanKind::Server),
        Some("PRODUCER") => Some(SpanKind::Producer),
        Some("CONSUMER") => Some(SpanKind::Consumer),
        _ => None,
    };
    let annotations = object
        .get("annotations")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| Some((item.get("timestamp")?.as_u64()?, item.get("value")?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let tags = object
        .get("tags")
        .and_then(Json::as_object)
        .map(|tags| {
            tags.iter()
                .map(|(key, value)| (key.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    Some(ZipkinSpan {
        trace_id: id_of("traceId").unwrap_or_default(),
        id: id_of("id").unwrap_or_default(),
        parent_id: match object.get("parentId") {
            None | Some(Json::Null) => Vec::new(),
            Some(_) => id_of("parentId").unwrap_or_else(|| vec![0; 1]),
        },
        name: object.get("name").and_then(Json::as_str).unwrap_or("").to_owned(),
        kind,
        timestamp: object.get("timestamp").and_then(Json::as_u64).unwrap_or(0),
        duration: object.get("duration").and_then(Json::as_u64).unwrap_or(0),
        local: object.get("localEndpoint").map(endpoint_from_json).unwrap_or_default(),
        remote: object.get("remoteEndpoint").map(endpoint_from_json),
        annotations,
        tags,
    })
}

/// Spans of a Zipkin v2 JSON body (an array of spans), and counts of the invalid ones.
pub(crate) fn decode_json(body: &[u8]) -> Result<(WriteBatch, Vec<Rejected>), String> {
    let json: Json = serde_json::from_slice(body).map_err(|error| format!("invalid Zipkin JSON: {error}"))?;
    let items = json.as_array().ok_or("invalid Zipkin JSON: the body must be an array of spans")?;
    let mut rejected = Vec::new();
    let mut spans = Vec::with_capacity(items.len());
    for item in items {
        match span_from_json(item) {
            Some(span) => spans.push(span),
            None => count(&mut rejected, RejectReason::InvalidSpanId),
        }
    }
    Ok(to_batch(spans, rejected))
}

/// The messages of zipkin.proto.
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct ListOfSpans {
        #[prost(message, repeated, tag = "1")]
        pub(super) spans: Vec<Span>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Span {
        #[prost(bytes = "vec", tag = "1")]
        pub(super) trace_id: Vec<u8>,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) parent_id: Vec<u8>,
        #[prost(bytes = "vec", tag = "3")]
        pub(super) id: Vec<u8>,
        #[prost(int32, tag = "4")]
        pub(super) kind: i32,
        #[prost(string, tag = "5")]
        pub(super) name: String,
        #[prost(fixed64, tag = "6")]
        pub(super) timestamp: u64,
        #[prost(uint64, tag = "7")]
        pub(super) duration: u64,
        #[prost(message, optional, tag = "8")]
        pub(super) local_endpoint: Option<Endpoint>,
        #[prost(message, optional, tag = "9")]
        pub(super) remote_endpoint: Option<Endpoint>,
        #[prost(message, repeated, tag = "10")]
        pub(super) annotations: Vec<Annotation>,
        #[prost(map = "string, string", tag = "11")]
        pub(super) tags: std::collections::HashMap<String, String>,
        #[prost(bool, tag = "12")]
        pub(super) debug: bool,
        #[prost(bool, tag = "13")]
        pub(super) shared: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Endpoint {
        #[prost(string, tag = "1")]
        pub(super) service_name: String,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) ipv4: Vec<u8>,
        #[prost(bytes = "vec", tag = "3")]
        pub(super) ipv6: Vec<u8>,
        #[prost(int32, tag = "4")]
        pub(super) port: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Annotation {
        #[prost(fixed64, tag = "1")]
        pub(super) timestamp: u64,
        #[prost(string, tag = "2")]
        pub(super) value: String,
    }
}

fn endpoint_from_proto(endpoint: &proto::Endpoint) -> Endpoint {
    let address = match (endpoint.ipv4.as_slice(), endpoint.ipv6.as_slice()) {
        (&[a, b, c, d], _) => Some(std::net::Ipv4Addr::new(a, b, c, d).to_string()),
        (_, ipv6) if ipv6.len() == 16 => {
            let mut octets = [0; 16];
            octets.copy_from_slice(ipv6);
            Some(std::net::Ipv6Addr::from(octets).to_string())
        }
        _ => None,
    };
    Endpoint {
        service_name: endpoint.service_name.clone(),
        address,
        port: u16::try_from(endpoint.port).ok().filter(|port| *port > 0),
    }
}

/// Spans of a zipkin.proto `ListOfSpans` body, and counts of the invalid ones.
pub(crate) fn decode_proto(body: &[u8]) -> Result<(WriteBatch, Vec<Rejected>), String> {
    use prost::Message;
    let list = proto::ListOfSpans::decode(body).map_err(|error| format!("invalid Zipkin protobuf: {error}"))?;
    let spans = list
        .spans
        .into_iter()
        .map(|span| ZipkinSpan {
            trace_id: span.trace_id,
            id: span.id,
            parent_id: span.parent_id,
            name: span.name,
            kind: match span.kind {
                1 => Some(SpanKind::Client),
                2 => Some(SpanKind::Server),
                3 => Some(SpanKind::Producer),
                4 => Some(SpanKind::Consumer),
                _ => None,
            },
            timestamp: span.timestamp,
            duration: span.duration,
            local: span.local_endpoint.as_ref().map(endpoint_from_proto).unwrap_or_default(),
            remote: span.remote_endpoint.as_ref().map(endpoint_from_proto),
            annotations: span
                .annotations
                .into_iter()
                .map(|annotation| (annotation.timestamp, annotation.value))
                .collect(),
            tags: span.tags.into_iter().collect::<BTreeMap<_, _>>().into_iter().collect(),
        })
        .collect();
    Ok(to_batch(spans, Vec::new()))
}

fn count(rejected: &mut Vec<Rejected>, reason: RejectReason) {
    match rejected.iter_mut().find(|item| item.reason == reason) {
        Some(item) => item.count += 1,
        None => rejected.push(Rejected { reason, count: 1 }),
    }
}

fn trace_id_of(bytes: &[u8]) -> Option<TraceId> {
    let id = match bytes.len() {
        8 => TraceId::from_u128(u128::from(u64::from_be_bytes(bytes.try_into().ok()?))),
        16 => TraceId::from_bytes(bytes.try_into().ok()?),
        _ => return None,
    };
    id.is_valid().then_some(id)
}

fn span_id_of(bytes: &[u8]) -> Option<SpanId> {
    let id = SpanId::from_bytes(bytes.try_into().ok()?);
    id.is_valid().then_some(id)
}

/// Groups valid spans by their local service, counting the invalid ones.
fn to_batch(spans: Vec<ZipkinSpan>, mut rejected: Vec<Rejected>) -> (WriteBatch, Vec<Rejected>) {
    let mut groups: BTreeMap<(String, String), Vec<SpanData>> = BTreeMap::new();
    for span in spans {
        let Some(trace_id) = trace_id_of(&span.trace_id) else {
            count(&mut rejected, RejectReason::InvalidTraceId);
            continue;
        };
        let Some(span_id) = span_id_of(&span.id) else {
            count(&mut rejected, RejectReason::InvalidSpanId);
            continue;
        };
        let parent_span_id = match span.parent_id.len() {
            0 => None,
            8 => span_id_of(&span.parent_id),
            _ => {
                count(&mut rejected, RejectReason::InvalidParentSpanId);
                continue;
            }
        };
        let (data, scope) = span_data(span, trace_id, span_id, parent_span_id);
        groups.entry(scope).or_default().push(data);
    }
    let spans = groups
        .into_iter()
        .map(|((service, scope), spans)| {
            let resource = Resource::new([KeyValue::new("service.name", service)]);
            (Origin { resource: Arc::new(resource), scope: scope.into() }, spans)
        })
        .collect();
    (WriteBatch { spans, records: Vec::new() }, rejected)
}

/// The span, and the (service, scope) it belongs to.
fn span_data(
    span: ZipkinSpan,
    trace_id: TraceId,
    span_id: SpanId,
    parent_span_id: Option<SpanId>,
) -> (SpanData, (String, String)) {
    let mut attributes = Vec::with_capacity(span.tags.len() + 3);
    let mut scope = String::new();
    let mut status_code = None;
    let mut description = None;
    let mut error = None;
    for (key, value) in span.tags {
        match key.as_str() {
            "otel.status_code" => status_code = Some(value),
            "otel.status_description" => description = Some(value),
            "error" => error = Some(value),
            "otel.scope.name" | "otel.library.name" => scope = value,
            _ => attributes.push(KeyValue::new(key, value)),
        }
    }
    if let Some(remote) = span.remote {
        if !remote.service_name.is_empty() {
            attributes.push(KeyValue::new("peer.service", remote.service_name));
        }
        if let Some(address) = remote.address {
            attributes.push(KeyValue::new("network.peer.address", address));
        }
        if let Some(port) = remote.port {
            attributes.push(KeyValue::new("network.peer.port", i64::from(port)));
        }
    }
    let status = match (status_code.as_deref(), error) {
        (_, Some(message)) => Status::error(description.unwrap_or(message)),
        (Some("ERROR"), None) => Status::error(description.unwrap_or_default()),
        (Some("OK"), None) => Status::Ok,
        _ => Status::Unset,
    };
    let start = span.timestamp.saturating_mul(1_000);
    let events = span
        .annotations
        .into_iter()
        .map(|(timestamp, value)| Event {
            name: Str::from(value),
            time_unix_nano: timestamp.saturating_mul(1_000),
            level: None,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        })
        .collect();
    let service =
        if span.local.service_name.is_empty() { "unknown_service".to_owned() } else { span.local.service_name };
    let data = SpanData {
        trace_id,
        span_id,
        parent_span_id,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: Str::from(if span.name.is_empty() { "unknown".to_owned() } else { span.name }),
        kind: span.kind.unwrap_or(SpanKind::Internal),
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start.saturating_add(span.duration.saturating_mul(1_000)),
        attributes,
        events,
        links: Vec::new(),
        status,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    };
    (data, (service, scope))
}

/// Dependency links as Zipkin's `/api/v2/dependencies` gives them.
pub(crate) fn dependencies_json(dependencies: &[Dependency]) -> Json {
    Json::Array(
        dependencies
            .iter()
            .map(|dependency| {
                json!({
                    "parent": dependency.parent,
                    "child": dependency.child,
                    "callCount": dependency.call_count,
                    "errorCount": dependency.error_count,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use clew::Value;
    use clew_store::TraceData;
    use prost::Message;

    use super::*;

    /// The trace as `/api/v2/trace/{trace_id}` answers it.
    fn trace_json(trace: &TraceData) -> Json {
        serde_json::from_slice(&trace_bytes(trace).unwrap()).unwrap()
    }

    const EXAMPLE: &str = r#"[{
        "traceId": "5af7183fb1d4cf5f",
        "parentId": "6b221d5bc9e6496c",
        "id": "352bff9a74ca9ad2",
        "kind": "CLIENT",
        "name": "get /api",
        "timestamp": 1556604172355737,
        "duration": 1431,
        "debug": true,
        "localEndpoint": { "serviceName": "backend", "ipv4": "192.168.99.1", "port": 3306 },
        "remoteEndpoint": { "serviceName": "db", "ipv4": "172.19.0.2", "port": 58648 },
        "annotations": [{ "timestamp": 1556604172355800, "value": "wire send" }],
        "tags": { "http.method": "GET", "http.path": "/api", "otel.scope.name": "okhttp", "error": "timeout" }
    }]"#;

    fn only_span(batch: &WriteBatch) -> (&Origin, &SpanData) {
        assert_eq!(batch.spans.len(), 1);
        let (origin, spans) = &batch.spans[0];
        assert_eq!(spans.len(), 1);
        (origin, &spans[0])
    }

    #[test]
    fn the_api_example_maps_field_by_field() {
        let (batch, rejected) = decode_json(EXAMPLE.as_bytes()).unwrap();
        assert!(rejected.is_empty());
        let (origin, span) = only_span(&batch);
        assert_eq!(origin.service(), "backend");
        assert_eq!(origin.scope.as_ref(), "okhttp");
        assert_eq!(span.trace_id, TraceId::from_u128(0x5af7_183f_b1d4_cf5f));
        assert_eq!(span.span_id, SpanId::from_u64(0x352b_ff9a_74ca_9ad2));
        assert_eq!(span.parent_span_id, Some(SpanId::from_u64(0x6b22_1d5b_c9e6_496c)));
        assert_eq!(span.kind, SpanKind::Client);
        assert_eq!(span.name.as_ref(), "get /api");
        assert_eq!(span.start_time_unix_nano, 1_556_604_172_355_737_000);
        assert_eq!(span.end_time_unix_nano, 1_556_604_172_355_737_000 + 1_431_000);
        assert_eq!(span.status, Status::error("timeout"));
        assert_eq!(span.events[0].name.as_ref(), "wire send");
        assert_eq!(span.events[0].time_unix_nano, 1_556_604_172_355_800_000);
        let attribute = |key: &str| span.attribute(key).cloned();
        assert_eq!(attribute("http.method"), Some(Value::from("GET")));
        assert_eq!(attribute("peer.service"), Some(Value::from("db")));
        assert_eq!(attribute("network.peer.address"), Some(Value::from("172.19.0.2")));
        assert_eq!(attribute("network.peer.port"), Some(Value::I64(58648)));
        assert_eq!(attribute("error"), None);
    }

    #[test]
    fn invalid_spans_are_counted_and_the_rest_kept() {
        let body = r#"[
            {"traceId": "00000000000000000000000000000000", "id": "0000000000000001", "name": "zero trace"},
            {"traceId": "abc", "id": "0000000000000001", "name": "odd hex"},
            {"traceId": "0000000000000001", "id": "0000000000000000", "name": "zero id"},
            {"traceId": "0000000000000001", "id": "0000000000000002", "parentId": "12", "name": "short parent"},
            7,
            {"traceId": "0000000000000001", "id": "0000000000000003"}
        ]"#;
        let (batch, rejected) = decode_json(body.as_bytes()).unwrap();
        let (origin, span) = only_span(&batch);
        assert_eq!((origin.service(), span.name.as_ref()), ("unknown_service", "unknown"));
        let count = |reason| rejected.iter().find(|item| item.reason == reason).map_or(0, |item| item.count);
        assert_eq!(count(RejectReason::InvalidTraceId), 2);
        // The zero id, and the item that is not an object.
        assert_eq!(count(RejectReason::InvalidSpanId), 2);
        assert_eq!(count(RejectReason::InvalidParentSpanId), 1);
    }

    #[test]
    fn bodies_that_are_not_arrays_of_spans_are_errors() {
        for body in [&b"{}"[..], b"", b"[", b"\xff\xfe", b"\"spans\""] {
            assert!(decode_json(body).is_err(), "{body:?}");
        }
        assert!(decode_proto(&[0xff; 5]).is_err());
    }

    #[test]
    fn protobuf_gives_what_json_gives() {
        let list = proto::ListOfSpans {
            spans: vec![proto::Span {
                trace_id: 0x5af7_183f_b1d4_cf5f_u64.to_be_bytes().to_vec(),
                parent_id: 0x6b22_1d5b_c9e6_496c_u64.to_be_bytes().to_vec(),
                id: 0x352b_ff9a_74ca_9ad2_u64.to_be_bytes().to_vec(),
                kind: 1,
                name: "get /api".into(),
                timestamp: 1_556_604_172_355_737,
                duration: 1431,
                local_endpoint: Some(proto::Endpoint {
                    service_name: "backend".into(),
                    ipv4: vec![192, 168, 99, 1],
                    ipv6: Vec::new(),
                    port: 3306,
                }),
                remote_endpoint: Some(proto::Endpoint {
                    service_name: "db".into(),
                    ipv4: vec![172, 19, 0, 2],
                    ipv6: Vec::new(),
                    port: 58648,
                }),
                annotations: vec![proto::Annotation { timestamp: 1_556_604_172_355_800, value: "wire send".into() }],
                tags: [
                    ("http.method", "GET"),
                    ("http.path", "/api"),
                    ("otel.scope.name", "okhttp"),
                    ("error", "timeout"),
                ]
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
                debug: true,
                shared: false,
            }],
        };
        let (from_proto, _) = decode_proto(&list.encode_to_vec()).unwrap();
        let (from_json, _) = decode_json(EXAMPLE.as_bytes()).unwrap();
        let sorted = |batch: &WriteBatch| {
            let (origin, span) = only_span(batch);
            let mut span = span.clone();
            span.attributes.sort_by(|a, b| a.key.cmp(&b.key));
            (origin.clone(), span)
        };
        assert_eq!(sorted(&from_proto), sorted(&from_json));
    }

    #[test]
    fn a_decoded_trace_reads_back_with_its_ids_times_and_tags() {
        let (batch, _) = decode_json(EXAMPLE.as_bytes()).unwrap();
        let (origin, span) = only_span(&batch);
        let trace = TraceData {
            trace_id: span.trace_id,
            spans: vec![clew_store::StoredSpan { origin: origin.clone(), span: span.clone() }],
            records: Vec::new(),
        };
        let json = trace_json(&trace);
        let back = &json[0];
        assert_eq!(back["traceId"], "5af7183fb1d4cf5f");
        assert_eq!(back["id"], "352bff9a74ca9ad2");
        assert_eq!(back["parentId"], "6b221d5bc9e6496c");
        assert_eq!(back["kind"], "CLIENT");
        assert_eq!(back["timestamp"], 1_556_604_172_355_737_u64);
        assert_eq!(back["duration"], 1431);
        assert_eq!(back["localEndpoint"], json!({ "serviceName": "backend" }));
        assert_eq!(back["remoteEndpoint"], json!({ "serviceName": "db", "ipv4": "172.19.0.2", "port": 58648 }));
        assert_eq!(back["annotations"], json!([{ "timestamp": 1_556_604_172_355_800_u64, "value": "wire send" }]));
        assert_eq!(back["tags"]["http.path"], "/api");
        assert_eq!(back["tags"]["error"], "timeout");
        assert_eq!(back["tags"]["otel.scope.name"], "okhttp");
        // And decoding the read-back form gives the same span.
        let (again, _) = decode_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(only_span(&again).1.span_id, span.span_id);
        assert_eq!(only_span(&again).1.status, span.status);
    }
}
