//! Jaeger's answers other than whole classic traces: jaeger-query's envelope, the lists of
//! services, operations and dependency links, and the OTLP JSON of `/api/v3/*`, as serde
//! derives. The tests here also check a classic trace's shape field by field, on the sample
//! the OTLP JSON test shares.

use clew::Resource;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_store::{Dependency, Operation, TraceData};
use serde::Serialize;
use serde_json::Value as Json;

/// An error in a Jaeger envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct JaegerError {
    pub(crate) code: u16,
    pub(crate) msg: String,
}

/// `{"data": …, "errors": null, "limit": 0, "offset": 0, "total": N}`, as jaeger-query's
/// `structuredResponse` is written (`errors` is `null` when there are none).
#[derive(Debug, Serialize)]
pub(crate) struct Envelope<T> {
    data: T,
    errors: Option<Vec<JaegerError>>,
    limit: u64,
    offset: u64,
    total: usize,
}

impl<T> Envelope<T> {
    /// `data`, counted as `total`.
    pub(crate) fn new(data: T, total: usize) -> Envelope<T> {
        Envelope { data, errors: None, limit: 0, offset: 0, total }
    }
}

impl Envelope<()> {
    /// No data (`null`) and one error.
    pub(crate) fn error(error: JaegerError) -> Envelope<()> {
        Envelope { data: (), errors: Some(vec![error]), limit: 0, offset: 0, total: 0 }
    }
}

/// An operation in `/api/operations` and `/api/v3/operations`: `{name, spanKind}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationJson {
    name: String,
    span_kind: &'static str,
}

/// The operations, as Jaeger lists them.
pub(crate) fn operations_json(operations: Vec<Operation>) -> Vec<OperationJson> {
    let operation = |operation: Operation| OperationJson { span_kind: operation.kind.as_str(), name: operation.name };
    operations.into_iter().map(operation).collect()
}

/// `/api/dependencies` data: Jaeger's `DependencyLink`s.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DependencyLinkJson {
    call_count: u64,
    child: String,
    parent: String,
}

/// The dependency links, as Jaeger lists them.
pub(crate) fn dependencies_json(dependencies: Vec<Dependency>) -> Vec<DependencyLinkJson> {
    let link = |dependency: Dependency| DependencyLinkJson {
        call_count: dependency.call_count,
        child: dependency.child,
        parent: dependency.parent,
    };
    dependencies.into_iter().map(link).collect()
}

/// `/api/v3/traces` and `/api/v3/traces/{id}`: `{"result": TracesData}` in OTLP JSON.
///
/// The OTLP JSON goes through a `serde_json::Value` so that its fields come out sorted, as
/// they always have; the message types of `opentelemetry-proto` write them in proto order.
pub(crate) fn v3_traces_json(traces: &[TraceData]) -> V3TracesJson {
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
    let request: ExportTraceServiceRequest = clew_otlp::traces_request_of_groups(
        groups.iter().map(|(resource, scope, spans)| (*resource, *scope, spans.as_slice())),
    );
    V3TracesJson { result: serde_json::to_value(&request).unwrap_or(Json::Null) }
}

/// `{"result": TracesData}`.
#[derive(Debug, Serialize)]
pub(crate) struct V3TracesJson {
    result: Json,
}

/// `/api/v3/services`: `{"services": [name, …]}`.
#[derive(Debug, Serialize)]
pub(crate) struct V3ServicesJson {
    pub(crate) services: Vec<String>,
}

/// `/api/v3/operations`: `{"operations": [{name, spanKind}, …]}`.
#[derive(Debug, Serialize)]
pub(crate) struct V3OperationsJson {
    pub(crate) operations: Vec<OperationJson>,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clew::{
        Event, KeyValue, Level, Link, SpanContext, SpanData, SpanId, SpanKind, Status, TraceEvent, TraceFlags, TraceId,
    };
    use clew_store::{Origin, StoredRecord, StoredSpan, TraceRecord};

    use serde_json::json;

    use super::super::trace::traces_envelope_bytes;
    use super::*;

    /// The one trace of the envelope `/api/traces/{trace_id}` answers with.
    fn trace_json(trace: &TraceData) -> Json {
        let bytes = traces_envelope_bytes(std::slice::from_ref(trace)).unwrap();
        let mut envelope: Json = serde_json::from_slice(&bytes).unwrap();
        envelope["data"][0].take()
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
            serde_json::to_string(&Envelope::new([1], 1)).unwrap(),
            r#"{"data":[1],"errors":null,"limit":0,"offset":0,"total":1}"#
        );
        let with_error = Envelope::error(JaegerError { code: 404, msg: "trace not found".into() });
        assert_eq!(
            serde_json::to_string(&with_error).unwrap(),
            r#"{"data":null,"errors":[{"code":404,"msg":"trace not found"}],"limit":0,"offset":0,"total":0}"#
        );
    }

    #[test]
    fn v3_traces_are_otlp_json_with_hex_ids() {
        let json = serde_json::to_value(v3_traces_json(&[sample()])).unwrap();
        let resource_spans = json["result"]["resourceSpans"].as_array().unwrap();
        assert_eq!(resource_spans.len(), 2);
        let span = &resource_spans[0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], "00000000000000000000000000000abc");
        assert_eq!(span["spanId"], "0000000000000001");
        assert_eq!(span["name"], "GET /checkout");
    }
}
