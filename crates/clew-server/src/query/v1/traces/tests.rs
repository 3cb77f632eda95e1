//! The writers against the `serde_json::Value` builders they replaced, kept here as the
//! reference: the same bytes for a trace with every kind of field, and for any attribute
//! value.
//!
//! The sample trace and the attribute values here are also the samples of the Jaeger and
//! Zipkin writers' tests (`formats/*/trace/tests.rs`).

use std::sync::Arc;

use clew::{
    Event, KeyValue, Level, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, TraceEvent, TraceFlags,
    TraceId, Value,
};
use clew_store::TraceRecord;
use clew_store::{Origin, StoredRecord, StoredSpan, TraceData, TraceSummary};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::{AttributesJson, SummaryJson, trace_json_bytes};

/// The `serde_json::Value` builders `/api/v1` answered with before, unchanged.
mod value_tree {
    use super::*;

    pub(super) fn value_json(value: &Value) -> (&'static str, Json) {
        const SAFE: i64 = 1 << 53;
        let int =
            |number: i64| if (-SAFE..=SAFE).contains(&number) { json!(number) } else { json!(number.to_string()) };
        let double = |number: f64| if number.is_finite() { json!(number) } else { json!(number.to_string()) };
        match value {
            Value::String(text) => ("string", json!(text.as_ref())),
            Value::Bool(flag) => ("bool", json!(flag)),
            Value::I64(number) => ("int", int(*number)),
            Value::F64(number) => ("double", double(*number)),
            Value::StringArray(items) => {
                ("string[]", json!(items.iter().map(|item| item.as_ref()).collect::<Vec<_>>()))
            }
            Value::BoolArray(items) => ("bool[]", json!(items)),
            Value::I64Array(items) => ("int[]", Json::Array(items.iter().map(|item| int(*item)).collect())),
            Value::F64Array(items) => ("double[]", Json::Array(items.iter().map(|item| double(*item)).collect())),
        }
    }

    pub(super) fn attributes_json(attributes: &[KeyValue]) -> Json {
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

    pub(super) fn trace_json(trace: &TraceData) -> Json {
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

    pub(super) fn summary_json(summary: &TraceSummary) -> Json {
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
}

pub(crate) const TRACE: TraceId = TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736);

pub(crate) fn origin(service: &str, host: &str, scope: &str) -> Origin {
    Origin {
        resource: Arc::new(Resource::new([
            KeyValue::new("service.name", service.to_owned()),
            KeyValue::new("host.name", host.to_owned()),
            KeyValue::new("process.pid", 4242_i64),
        ])),
        scope: scope.to_owned().into(),
    }
}

pub(crate) fn span(id: u64, parent: Option<u64>, name: &str) -> SpanData {
    SpanData {
        trace_id: TRACE,
        span_id: SpanId::from_u64(id),
        parent_span_id: parent.map(SpanId::from_u64),
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.to_owned().into(),
        kind: SpanKind::Internal,
        label: None,
        start_time_unix_nano: 1_700_000_000_000_000_000 + id * 1_000,
        end_time_unix_nano: 1_700_000_000_250_000_000 + id * 1_000,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// Every attribute type, with the edges of each: ints past ±2^53, doubles that are not
/// finite, strings that need escaping, empty arrays.
pub(crate) fn every_kind_of_value() -> Vec<KeyValue> {
    let safe = 1_i64 << 53;
    vec![
        KeyValue::new("string", "plain"),
        KeyValue::new("string.escaped", "quote \" backslash \\ newline \n tab \t nul \u{0} é 🦀 \u{2028}"),
        KeyValue::new("string.empty", ""),
        KeyValue::new("bool.true", true),
        KeyValue::new("bool.false", false),
        KeyValue::new("int.zero", 0_i64),
        KeyValue::new("int.negative", -17_i64),
        KeyValue::new("int.safe.max", safe),
        KeyValue::new("int.safe.min", -safe),
        KeyValue::new("int.past.max", safe + 1),
        KeyValue::new("int.past.min", -safe - 1),
        KeyValue::new("int.max", i64::MAX),
        KeyValue::new("int.min", i64::MIN),
        KeyValue::new("double", 0.1),
        KeyValue::new("double.whole", 3.0),
        KeyValue::new("double.negative.zero", -0.0),
        KeyValue::new("double.tiny", 5e-324),
        KeyValue::new("double.huge", f64::MAX),
        KeyValue::new("double.nan", f64::NAN),
        KeyValue::new("double.inf", f64::INFINITY),
        KeyValue::new("double.minus.inf", f64::NEG_INFINITY),
        KeyValue::new("string[]", vec!["a", "", "c\"d"]),
        KeyValue::new("string[].empty", Vec::<&'static str>::new()),
        KeyValue::new("bool[]", vec![true, false]),
        KeyValue::new("int[]", vec![1_i64, -(safe + 1), safe, i64::MAX]),
        KeyValue::new("int[].empty", Vec::<i64>::new()),
        KeyValue::new("double[]", vec![1.5, f64::NAN, f64::NEG_INFINITY, -2.25e300]),
    ]
}

/// A trace with every field of the answer in each of its forms: a root and children of
/// two services on three resources, a remote parent, labels, trace states, every status,
/// events with and without a level, span logs, links (local and remote, with and without
/// trace state), dropped counts, and trace-level events of two services.
pub(crate) fn trace_with_every_kind_of_field() -> TraceData {
    let frontend = origin("frontend", "web-1", "shop");
    let payments = origin("payments", "pay-1", "");
    let payments_elsewhere = origin("payments", "pay-2", "payments-sdk");

    let mut root = span(1, None, "GET /checkout");
    root.kind = SpanKind::Server;
    root.label = Some("MASTER".into());
    root.attributes = every_kind_of_value();
    root.status = Status::Ok;
    root.trace_flags = TraceFlags::from_u8(0x03);
    root.events = vec![
        Event {
            name: "cache miss".into(),
            time_unix_nano: 1_700_000_000_000_002_000,
            level: Some(Level::Warn),
            attributes: vec![KeyValue::new("key", "k"), KeyValue::new("tries", 3_i64)],
            dropped_attributes_count: 2,
        },
        Event {
            name: "no level".into(),
            time_unix_nano: 1_700_000_000_000_003_000,
            level: None,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        },
    ];
    root.dropped_attributes_count = 5;
    root.dropped_events_count = 6;
    root.dropped_links_count = 7;

    let mut charge = span(2, Some(1), "charge");
    charge.kind = SpanKind::Client;
    charge.label = Some("STEP".into());
    charge.status = Status::error("card declined: \"insufficient funds\"");
    charge.trace_state = Some("vendor=x,other=y".into());
    charge.links = vec![
        Link {
            context: SpanContext::new(TraceId::from_u128(0xdef), SpanId::from_u64(9), TraceFlags::SAMPLED),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        },
        Link {
            context: SpanContext::remote(TraceId::from_u128(u128::MAX), SpanId::from_u64(u64::MAX), TraceFlags::NONE)
                .with_trace_state(Some("congo=t61rcWkgMzE".into())),
            attributes: vec![KeyValue::new("link.reason", "retry of"), KeyValue::new("attempt", 2_i64)],
            dropped_attributes_count: 1,
        },
    ];

    let mut remote_child = span(3, Some(0xffff_0000_0000_0001), "consume");
    remote_child.kind = SpanKind::Consumer;
    remote_child.parent_is_remote = true;
    remote_child.trace_flags = TraceFlags::NONE;
    remote_child.status = Status::error("");
    remote_child.attributes = vec![KeyValue::new("messaging.system", "kafka")];

    let mut producer = span(4, Some(2), "publish");
    producer.kind = SpanKind::Producer;
    // An end before the start: the duration is zero.
    producer.end_time_unix_nano = producer.start_time_unix_nano - 1;

    let span_log = |span_id: u64, name: &str, time: u64, level: Option<Level>| StoredRecord {
        origin: payments.clone(),
        record: TraceRecord::SpanLog {
            trace_id: TRACE,
            span_id: SpanId::from_u64(span_id),
            event: Event {
                name: name.to_owned().into(),
                time_unix_nano: time,
                level,
                attributes: vec![KeyValue::new("attempt", 1_i64)],
                dropped_attributes_count: 1,
            },
        },
    };
    let trace_event = |origin: &Origin, name: &str, time: u64, level: Level, attributes: Vec<KeyValue>| StoredRecord {
        origin: origin.clone(),
        record: TraceRecord::TraceEvent(TraceEvent {
            trace_id: TRACE,
            time_unix_nano: time,
            level,
            name: name.to_owned().into(),
            attributes,
        }),
    };
    TraceData {
        trace_id: TRACE,
        spans: vec![
            StoredSpan { origin: frontend.clone(), span: root },
            StoredSpan { origin: payments.clone(), span: charge },
            StoredSpan { origin: payments_elsewhere, span: remote_child },
            StoredSpan { origin: payments.clone(), span: producer },
        ],
        records: vec![
            trace_event(&frontend, "request.received", 1_700_000_000_000_000_500, Level::Info, every_kind_of_value()),
            span_log(2, "retrying", 1_700_000_000_000_003_000, Some(Level::Info)),
            trace_event(&payments, "queue.full", 1_700_000_000_000_003_500, Level::Error, Vec::new()),
            span_log(2, "gave up", 1_700_000_000_000_004_000, None),
            span_log(1, "done", 1_700_000_000_000_005_000, Some(Level::Debug)),
        ],
    }
}

/// The bytes the writers give, checked to read back as the reference's value too (the
/// first check, and the one that matters to clients: equal JSON whatever the key order).
fn assert_written_as_the_value_tree(written: &[u8], reference: &Json) {
    let read_back: Json = serde_json::from_slice(written).unwrap();
    assert_eq!(&read_back, reference);
    assert_eq!(
        String::from_utf8_lossy(written),
        serde_json::to_string(reference).unwrap(),
        "fields come in the reference's (alphabetical) order"
    );
}

#[test]
fn a_trace_with_every_kind_of_field_is_written_as_the_value_tree_wrote_it() {
    let trace = trace_with_every_kind_of_field();
    let reference = value_tree::trace_json(&trace);
    // The reference has what the sample means it to have.
    assert_eq!(reference["spans"].as_array().unwrap().len(), 4);
    assert_eq!(reference["events"].as_array().unwrap().len(), 2);
    assert_eq!(reference["spans"][1]["logs"].as_array().unwrap().len(), 2);
    assert_eq!(reference["spans"][0]["logs"].as_array().unwrap().len(), 1);
    assert_eq!(reference["spans"][3]["durationNanos"], "0");
    assert_eq!(reference["summary"]["services"].as_array().unwrap().len(), 2);

    assert_written_as_the_value_tree(&trace_json_bytes(&trace).unwrap(), &reference);
}

#[test]
fn a_trace_without_spans_has_a_null_summary() {
    let mut trace = trace_with_every_kind_of_field();
    trace.spans.clear();
    let reference = value_tree::trace_json(&trace);
    assert_eq!(reference["summary"], Json::Null);
    assert_written_as_the_value_tree(&trace_json_bytes(&trace).unwrap(), &reference);

    let empty = TraceData { trace_id: TRACE, spans: Vec::new(), records: Vec::new() };
    assert_written_as_the_value_tree(&trace_json_bytes(&empty).unwrap(), &value_tree::trace_json(&empty));
}

#[test]
fn a_search_summary_is_written_as_the_value_tree_wrote_it() {
    let summary = trace_with_every_kind_of_field().summary().unwrap();
    let written = serde_json::to_vec(&SummaryJson(&summary)).unwrap();
    assert_written_as_the_value_tree(&written, &value_tree::summary_json(&summary));
}

pub(crate) fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-(1_i64 << 53) - 2..=-(1_i64 << 53) + 2).prop_map(Value::from),
        ((1_i64 << 53) - 2..=(1_i64 << 53) + 2).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::collection::vec(any::<String>(), 0..4).prop_map(Value::from),
        prop::collection::vec(any::<bool>(), 0..4).prop_map(Value::from),
        prop::collection::vec(any::<i64>(), 0..4).prop_map(Value::from),
        prop::collection::vec(any::<f64>(), 0..4).prop_map(Value::from),
    ]
}

proptest! {
    #[test]
    fn any_attribute_is_written_as_the_value_tree_wrote_it(
        attributes in prop::collection::vec((any::<String>(), any_value()), 0..8),
    ) {
        let attributes: Vec<KeyValue> = attributes.into_iter().map(|(key, value)| KeyValue::new(key, value)).collect();
        let written = serde_json::to_string(&AttributesJson(&attributes)).unwrap();
        prop_assert_eq!(written, serde_json::to_string(&value_tree::attributes_json(&attributes)).unwrap());
    }
}
