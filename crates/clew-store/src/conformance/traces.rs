//! Whole traces: found across memory and disk, each span once, every field as written.

use clew::{
    Event, KeyValue, Level, Link, SpanContext, SpanData, SpanId, SpanKind, Status, TraceEvent, TraceFlags, TraceId,
};

use super::Harness;
use super::data::{MILLI, answered, base_time, flush, origin, origin_with, span, trace_id, whole_trace, write};
use crate::{Origin, Store, StoredRecord, StoredSpan, TraceData, TraceRecord, WriteBatch};

/// Spans of one trace written, then written out ([`Store::flush`]), then more spans of the
/// same trace written: [`Store::trace`] answers every span once (one was written twice before
/// and after the flush, another twice in memory), sorted by start then span id, with the
/// trace's events and span logs sorted by time. Nothing of another trace is mixed in, and
/// an unknown trace answers `None`.
pub fn a_trace_is_found_whole_across_memory_and_disk(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let (frontend, cart, pricing) = (origin("frontend"), origin("cart"), origin("pricing"));
    let root = SpanData { kind: SpanKind::Server, ..span(1, 0x10, None, "GET /cart", base, 40 * MILLI) };
    let load = span(1, 0x30, Some(0x10), "load cart", base + 2 * MILLI, 5 * MILLI);
    let price = span(1, 0x20, Some(0x10), "price cart", base + 2 * MILLI, 3 * MILLI);
    let items = SpanData { kind: SpanKind::Client, ..span(1, 0x40, Some(0x10), "GET /items", base + MILLI, MILLI) };
    // Another trace with a span id of trace 1, and a record of its own.
    let other = span(2, 0x10, None, "GET /other", base + MILLI, MILLI);
    let viewed = trace_event(1, base + 5 * MILLI, Level::Info, "cart.viewed");
    let priced = trace_event(1, base + 4 * MILLI, Level::Warn, "cart.priced");
    let miss = span_log(1, 0x30, base + 3 * MILLI, "cache miss");
    let received = span_log(1, 0x10, base + MILLI, "request received");
    let elsewhere = trace_event(2, base + 2 * MILLI, Level::Info, "other.viewed");

    write(
        &store,
        WriteBatch {
            spans: vec![(frontend.clone(), vec![root.clone(), other]), (cart.clone(), vec![load.clone()])],
            records: vec![(frontend.clone(), vec![viewed.clone(), elsewhere]), (cart.clone(), vec![miss.clone()])],
        },
    );
    flush(&store);
    write(
        &store,
        WriteBatch {
            spans: vec![(pricing.clone(), vec![price.clone()]), (cart.clone(), vec![items.clone(), load.clone()])],
            records: vec![(frontend.clone(), vec![received.clone(), priced.clone()])],
        },
    );
    write(&store, WriteBatch { spans: vec![(cart.clone(), vec![items.clone()])], records: Vec::new() });

    let expected = TraceData {
        trace_id: trace_id(1),
        spans: vec![
            StoredSpan { origin: frontend.clone(), span: root },
            StoredSpan { origin: cart.clone(), span: items },
            StoredSpan { origin: pricing, span: price },
            StoredSpan { origin: cart.clone(), span: load },
        ],
        records: vec![
            StoredRecord { origin: frontend.clone(), record: received },
            StoredRecord { origin: cart, record: miss },
            StoredRecord { origin: frontend.clone(), record: priced },
            StoredRecord { origin: frontend, record: viewed },
        ],
    };
    assert_trace(&store, &expected, "with part of the trace on disk and part in memory");
    flush(&store);
    assert_trace(&store, &expected, "with the whole trace on disk, written out in two parts");
    assert_eq!(
        answered(store.trace(trace_id(0xdead)), "trace"),
        None,
        "a trace of which nothing was written answered something"
    );
}

/// A span with every field of [`SpanData`] set (attributes of every value type, events with
/// and without a level, links with attributes and trace state, an error status with its
/// message, trace state, label, a remote parent, dropped counts), beside spans with each
/// other kind and status and with unset fields, reads back equal to what was written, with
/// its resource attributes and scope: from memory, after [`Store::flush`], and after a
/// restart.
pub fn a_span_reads_back_field_by_field(harness: &mut impl Harness) {
    let base = base_time();
    let mut store = harness.open();
    let resource_attributes = [
        KeyValue::new("host.name", "pay-7f9c"),
        KeyValue::new("process.pid", 4242_i64),
        KeyValue::new("deployment.canary", true),
        KeyValue::new("sample.rate", 0.125),
        KeyValue::new("host.ips", vec!["10.0.0.7", "fe80::1"]),
    ];
    let payments = Origin { scope: "io.clew.payments/v2".into(), ..origin_with("payments", resource_attributes) };
    let trace = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
    let ok = SpanData {
        kind: SpanKind::Server,
        status: Status::Ok,
        trace_flags: TraceFlags::NONE,
        ..span(trace, 0x01, None, "GET /pay", base, 900 * MILLI)
    };
    let full = full_span(trace, base + 123 * MILLI);
    let failed_without_message = SpanData {
        kind: SpanKind::Client,
        status: Status::error(""),
        ..span(trace, 0x03, Some(0x01), "POST /bank", base + 200 * MILLI, 50 * MILLI)
    };
    let instant =
        SpanData { kind: SpanKind::Producer, ..span(trace, 0x04, Some(0x01), "enqueue", base + 300 * MILLI, 0) };
    // A clock went backwards: the end is before the start, and is kept as given.
    let backwards = SpanData {
        end_time_unix_nano: base + 399 * MILLI,
        ..span(trace, 0x05, Some(0x01), "skewed", base + 400 * MILLI, 0)
    };
    // A resource without `service.name` and a scope without a name.
    let anonymous = Origin::default();
    write(
        &store,
        WriteBatch {
            spans: vec![
                (payments.clone(), vec![full.clone(), ok.clone(), failed_without_message.clone()]),
                (anonymous.clone(), vec![backwards.clone(), instant.clone()]),
            ],
            records: Vec::new(),
        },
    );
    let expected = TraceData {
        trace_id: TraceId::from_u128(trace),
        spans: vec![
            StoredSpan { origin: payments.clone(), span: ok },
            StoredSpan { origin: payments.clone(), span: full },
            StoredSpan { origin: payments, span: failed_without_message },
            StoredSpan { origin: anonymous.clone(), span: instant },
            StoredSpan { origin: anonymous, span: backwards },
        ],
        records: Vec::new(),
    };
    assert_spans_read_back(&store, &expected, "from memory");
    flush(&store);
    assert_spans_read_back(&store, &expected, "after flush");
    store = harness.reopen(store);
    assert_spans_read_back(&store, &expected, "after a restart");
}

/// A span with every field set to something other than its default.
fn full_span(trace: u128, start: u64) -> SpanData {
    let linked = SpanContext::remote(
        TraceId::from_u128(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
        SpanId::from_u64(0xb7ad_6b71_6920_3331),
        TraceFlags::SAMPLED,
    )
    .with_trace_state(Some("vendor=opaque-value".into()));
    let follows = SpanContext::new(TraceId::from_u128(trace), SpanId::from_u64(0x01), TraceFlags::NONE);
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(0x00f0_67aa_0ba9_02b7),
        parent_span_id: Some(SpanId::from_u64(0x53ce_929d_0e0e_4736)),
        parent_is_remote: true,
        trace_flags: TraceFlags::SAMPLED | TraceFlags::RANDOM,
        trace_state: Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7".into()),
        name: "POST /orders/{id}".into(),
        kind: SpanKind::Consumer,
        label: Some("STEP".into()),
        start_time_unix_nano: start,
        end_time_unix_nano: start + 987_654_321,
        attributes: vec![
            KeyValue::new("messaging.system", "kafka"),
            KeyValue::new("http.request.method", "POST"),
            KeyValue::new("retry", true),
            KeyValue::new("http.response.status_code", 201_i64),
            KeyValue::new("order.total", 1234.5),
            KeyValue::new("order.discount", -0.25),
            KeyValue::new("order.lines", -7_i64),
            KeyValue::new("order.id", i64::MAX),
            KeyValue::new("note", "ünïcödé, \"quoted\" [not an array]"),
            KeyValue::new("empty", ""),
            KeyValue::new("db.system", 5_i64),
            KeyValue::new("tags", vec!["a", "b,c", "\"d\""]),
            KeyValue::new("flags", vec![true, false, true]),
            KeyValue::new("sizes", vec![i64::MIN, 0, i64::MAX]),
            KeyValue::new("ratios", vec![0.5, -1e-9, 1e300]),
            KeyValue::new("nothing", Vec::<i64>::new()),
        ],
        events: vec![
            Event {
                name: "exception".into(),
                time_unix_nano: start + MILLI,
                level: Some(Level::Error),
                attributes: vec![
                    KeyValue::new("exception.type", "CardDeclined"),
                    KeyValue::new("exception.code", 51_i64),
                    KeyValue::new("exception.retryable", false),
                    KeyValue::new("exception.lines", vec!["a.rs:1", "b.rs:2"]),
                ],
                dropped_attributes_count: 2,
            },
            Event {
                name: "checkpoint".into(),
                time_unix_nano: start + 2 * MILLI,
                level: None,
                attributes: Vec::new(),
                dropped_attributes_count: 0,
            },
        ],
        links: vec![
            Link {
                context: linked,
                attributes: vec![KeyValue::new("link.reason", "batch"), KeyValue::new("link.weight", 0.75)],
                dropped_attributes_count: 1,
            },
            Link { context: follows, attributes: Vec::new(), dropped_attributes_count: 0 },
        ],
        status: Status::error("card declined"),
        dropped_attributes_count: 3,
        dropped_events_count: 4,
        dropped_links_count: 5,
    }
}

fn trace_event(trace: u128, time: u64, level: Level, name: &str) -> TraceRecord {
    TraceRecord::TraceEvent(TraceEvent {
        trace_id: trace_id(trace),
        time_unix_nano: time,
        level,
        name: name.to_owned().into(),
        attributes: vec![KeyValue::new("items", 3_i64), KeyValue::new("cart", "c-42")],
    })
}

fn span_log(trace: u128, span_id: u64, time: u64, name: &str) -> TraceRecord {
    TraceRecord::SpanLog {
        trace_id: trace_id(trace),
        span_id: SpanId::from_u64(span_id),
        event: Event {
            name: name.to_owned().into(),
            time_unix_nano: time,
            level: Some(Level::Debug),
            attributes: vec![KeyValue::new("key", "cart:42")],
            dropped_attributes_count: 1,
        },
    }
}

/// Checks the span ids, then each span and record, then the whole trace.
fn assert_trace(store: &impl Store, expected: &TraceData, when: &str) {
    let number = expected.trace_id.to_u128();
    let trace = whole_trace(store, number, when);
    let ids = |data: &TraceData| data.spans.iter().map(|stored| stored.span.span_id).collect::<Vec<_>>();
    assert_eq!(ids(&trace), ids(expected), "{when}: the span ids of trace {number}, by start then span id, each once");
    for (got, wanted) in trace.spans.iter().zip(&expected.spans) {
        assert_eq!(got, wanted, "{when}: span {:?} of trace {number}", wanted.span.span_id);
    }
    let times = |data: &TraceData| data.records.iter().map(StoredRecord::time_unix_nano).collect::<Vec<_>>();
    assert_eq!(times(&trace), times(expected), "{when}: the times of trace {number}'s records, in order");
    assert_eq!(trace.records, expected.records, "{when}: the records of trace {number}");
    assert_eq!(&trace, expected, "{when}: trace {number}");
}

/// Checks every span of the trace field by field, then as a whole.
fn assert_spans_read_back(store: &impl Store, expected: &TraceData, when: &str) {
    let number = expected.trace_id.to_u128();
    let trace = whole_trace(store, number, when);
    let ids = |data: &TraceData| data.spans.iter().map(|stored| stored.span.span_id).collect::<Vec<_>>();
    assert_eq!(ids(&trace), ids(expected), "{when}: the span ids, by start then span id");
    for (stored, wanted) in trace.spans.iter().zip(&expected.spans) {
        let (got, want) = (&stored.span, &wanted.span);
        let at = format!("{when}: span {:?}", want.span_id);
        assert_eq!(got.trace_id, want.trace_id, "{at}: trace_id");
        assert_eq!(got.parent_span_id, want.parent_span_id, "{at}: parent_span_id");
        assert_eq!(got.parent_is_remote, want.parent_is_remote, "{at}: parent_is_remote");
        assert_eq!(got.trace_flags, want.trace_flags, "{at}: trace_flags");
        assert_eq!(got.trace_state, want.trace_state, "{at}: trace_state");
        assert_eq!(got.name, want.name, "{at}: name");
        assert_eq!(got.kind, want.kind, "{at}: kind");
        assert_eq!(got.label, want.label, "{at}: label");
        assert_eq!(got.start_time_unix_nano, want.start_time_unix_nano, "{at}: start_time_unix_nano");
        assert_eq!(got.end_time_unix_nano, want.end_time_unix_nano, "{at}: end_time_unix_nano");
        assert_eq!(got.attributes, want.attributes, "{at}: attributes, in order");
        assert_eq!(got.events, want.events, "{at}: events");
        assert_eq!(got.links, want.links, "{at}: links");
        assert_eq!(got.status, want.status, "{at}: status");
        assert_eq!(got.dropped_attributes_count, want.dropped_attributes_count, "{at}: dropped_attributes_count");
        assert_eq!(got.dropped_events_count, want.dropped_events_count, "{at}: dropped_events_count");
        assert_eq!(got.dropped_links_count, want.dropped_links_count, "{at}: dropped_links_count");
        assert_eq!(
            stored.origin.resource.attributes(),
            wanted.origin.resource.attributes(),
            "{at}: resource attributes, in order"
        );
        assert_eq!(stored.origin.scope, wanted.origin.scope, "{at}: instrumentation scope");
        assert_eq!(stored, wanted, "{at}");
    }
    assert_eq!(&trace, expected, "{when}: trace {number}");
}
