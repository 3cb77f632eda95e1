//! The answers of `/api/v1` for sample traces, pinned as snapshots (`snapshots/`), and what
//! they must do besides: be their JSON written compactly, fields in alphabetical order, and
//! put each log line on its span and a null summary on a trace without spans.
//!
//! The sample trace and the attribute values here are also the samples of the Jaeger and
//! Zipkin writers' tests (`query/*/trace/tests.rs`), and so is [`read_answer`].

use std::sync::Arc;

use clew::{
    Event, KeyValue, Level, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, TraceEvent, TraceFlags,
    TraceId,
};
use clew_store::TraceRecord;
use clew_store::{Origin, StoredRecord, StoredSpan, TraceData};
use serde_json::Value as Json;

use super::{SearchJson, trace_json_bytes};

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

/// An answer's JSON, checked to be its bytes exactly: written compactly again, it gives the
/// same bytes, so its fields come in alphabetical order (the order of `serde_json`'s maps)
/// and none is written twice.
pub(crate) fn read_answer(bytes: &[u8]) -> Json {
    let answer: Json = serde_json::from_slice(bytes).unwrap();
    assert_eq!(
        String::from_utf8_lossy(bytes),
        serde_json::to_string(&answer).unwrap(),
        "the bytes are their JSON written compactly, fields in alphabetical order"
    );
    answer
}

/// An answer's JSON as its snapshot keeps it.
pub(crate) fn pretty(answer: &Json) -> String {
    serde_json::to_string_pretty(answer).unwrap()
}

#[test]
fn a_trace_with_every_kind_of_field_is_answered_as_its_snapshot() {
    let trace = trace_with_every_kind_of_field();
    let answer = read_answer(&trace_json_bytes(&trace).unwrap());
    insta::assert_snapshot!("a_trace_with_every_kind_of_field", pretty(&answer));
    assert_eq!(answer["spans"].as_array().unwrap().len(), 4);
    assert_eq!(answer["events"].as_array().unwrap().len(), 2, "the trace-level events, not the log lines");
    assert_eq!(answer["spans"][1]["logs"].as_array().unwrap().len(), 2, "each log line on its span, by time");
    assert_eq!(answer["spans"][1]["logs"][0]["name"], "retrying");
    assert_eq!(answer["spans"][0]["logs"].as_array().unwrap().len(), 1);
    assert_eq!(answer["spans"][3]["durationNanos"], "0", "an end before the start is no time");
    assert_eq!(answer["summary"]["services"].as_array().unwrap().len(), 2);
}

#[test]
fn a_trace_without_spans_has_a_null_summary() {
    let mut trace = trace_with_every_kind_of_field();
    trace.spans.clear();
    let answer = read_answer(&trace_json_bytes(&trace).unwrap());
    insta::assert_snapshot!("a_trace_without_spans", pretty(&answer));
    assert_eq!(answer["summary"], Json::Null);
    assert_eq!(answer["events"].as_array().unwrap().len(), 2);

    let empty = TraceData { trace_id: TRACE, spans: Vec::new(), records: Vec::new() };
    let answer = read_answer(&trace_json_bytes(&empty).unwrap());
    insta::assert_snapshot!("an_empty_trace", pretty(&answer));
    assert_eq!(answer["summary"], Json::Null);
}

#[test]
fn a_search_is_answered_as_its_snapshot() {
    let summary = trace_with_every_kind_of_field().summary().unwrap();
    let answer = read_answer(&serde_json::to_vec(&SearchJson(vec![summary])).unwrap());
    insta::assert_snapshot!("a_search", pretty(&answer));
    assert_eq!(read_answer(&serde_json::to_vec(&SearchJson(Vec::new())).unwrap()), serde_json::json!({ "traces": [] }));
}
