//! The embedded store gives the same answers whether spans are in the head, in a block,
//! split between them, compacted, or replayed after a restart; it refuses writes when it
//! cannot keep up and deletes blocks past the retention.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{Event, KeyValue, Level, Resource, SpanData, SpanId, SpanKind, Status, TraceEvent, TraceFlags, TraceId};
use clew_store::{
    Dependency, Operation, Origin, PERCENTILE_RELATIVE_ERROR, SearchQuery, Store, StoreError, TimeRange, TraceRecord,
    WriteBatch,
};
use clew_store_embedded::{EmbeddedStore, StoreConfig};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

fn origin(service: &str) -> Origin {
    Origin {
        resource: Arc::new(Resource::new([KeyValue::new("service.name", service.to_owned())])),
        scope: "test".into(),
    }
}

fn span(trace: u128, id: u64, parent: Option<u64>, name: &str, start: u64, millis: u64) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: parent.map(SpanId::from_u64),
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.to_owned().into(),
        kind: if parent.is_none() { SpanKind::Server } else { SpanKind::Client },
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + millis * 1_000_000,
        attributes: vec![KeyValue::new("http.response.status_code", 200_i64), KeyValue::new("tenant", "acme")],
        events: vec![Event {
            name: "retry".into(),
            time_unix_nano: start + 1,
            level: Some(Level::Warn),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        }],
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// Trace `n`: a frontend root at `start` and a checkout child; trace 3's child fails.
fn order(n: u128, start: u64) -> WriteBatch {
    let root = span(n, 1, None, "GET /checkout", start, 50);
    let mut child = span(n, 2, Some(1), "POST /orders", start + 1_000, 40);
    if n == 3 {
        child.status = Status::error("declined");
    }
    let event = TraceRecord::TraceEvent(TraceEvent {
        trace_id: TraceId::from_u128(n),
        time_unix_nano: start + 5,
        level: Level::Info,
        name: "order.received".into(),
        attributes: Vec::new(),
    });
    WriteBatch {
        spans: vec![(origin("frontend"), vec![root]), (origin("checkout"), vec![child])],
        records: vec![(origin("frontend"), vec![event])],
    }
}

fn config(dir: &std::path::Path) -> StoreConfig {
    let mut config = StoreConfig::new(dir);
    config.maintenance_interval = Duration::from_secs(3600);
    config.compaction_blocks = 3;
    config
}

/// Trace ids of a search of everything, of errors at checkout, of errors by attribute;
/// services; checkout's operations; dependencies; records of trace 2.
type Answers = (Vec<u128>, Vec<u128>, Vec<u128>, Vec<String>, Vec<Operation>, Vec<Dependency>, usize);

fn answers(store: &dyn Store, base: u64) -> Answers {
    let all = store.search(&SearchQuery { limit: 100, ..SearchQuery::default() }).unwrap();
    for summary in &all {
        assert_eq!(Some(summary), store.trace(summary.trace_id).unwrap().unwrap().summary().as_ref());
    }
    let errors = store
        .search(&SearchQuery { errors_only: true, service: Some("checkout".into()), ..SearchQuery::default() })
        .unwrap();
    let by_attribute = store
        .search(&SearchQuery {
            errors_only: true,
            attributes: vec![("tenant".into(), "acme".into()), ("http.response.status_code".into(), "200".into())],
            ..SearchQuery::default()
        })
        .unwrap();
    let trace = store.trace(TraceId::from_u128(2)).unwrap().unwrap();
    assert_eq!(trace.spans.len(), 2);
    assert_eq!(trace.trace_events().count(), 1);
    assert_eq!(trace.spans[0].span.events[0].name.as_ref(), "retry");
    (
        all.iter().map(|summary| summary.trace_id.to_u128()).collect(),
        errors.iter().map(|summary| summary.trace_id.to_u128()).collect(),
        by_attribute.iter().map(|summary| summary.trace_id.to_u128()).collect(),
        store.services().unwrap(),
        store.operations("checkout").unwrap(),
        store.dependencies(TimeRange::through(base - 1, now())).unwrap(),
        trace.records.len(),
    )
}

#[test]
fn answers_are_the_same_from_the_head_from_blocks_after_compaction_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let base = now() - 60_000_000_000;
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    for n in 1..=4 {
        store.write(order(n, base + n as u64 * 1_000_000_000)).unwrap();
    }
    let expected = answers(&store, base);
    assert_eq!(expected.0, [4, 3, 2, 1], "newest first");
    assert_eq!(expected.1, [3]);
    assert_eq!(expected.2, [3]);
    assert_eq!(expected.3, ["checkout", "frontend"]);
    assert_eq!(expected.4, [Operation { name: "POST /orders".into(), kind: SpanKind::Client }]);
    // Every checkout span lasts 40 ms.
    let durations = expected.5[0].durations.unwrap();
    for percentile in [durations.p50_nanos, durations.p95_nanos, durations.p99_nanos] {
        assert!(percentile.abs_diff(40_000_000) as f64 <= 40e6 * PERCENTILE_RELATIVE_ERROR, "{durations:?}");
    }
    assert_eq!(
        expected.5,
        [Dependency {
            parent: "frontend".into(),
            child: "checkout".into(),
            call_count: 4,
            error_count: 1,
            durations: Some(durations)
        }]
    );

    // In blocks: one per flush, then compacted into one.
    store.flush().unwrap();
    assert_eq!(answers(&store, base), expected);
    // Trace 2 split between a block and the head.
    store
        .write(WriteBatch {
            spans: vec![(origin("checkout"), vec![span(2, 9, Some(2), "SELECT", base + 3_000_000_000, 1)])],
            records: Vec::new(),
        })
        .unwrap();
    assert_eq!(store.trace(TraceId::from_u128(2)).unwrap().unwrap().spans.len(), 3);
    store.flush().unwrap();
    assert_eq!(store.trace(TraceId::from_u128(2)).unwrap().unwrap().spans.len(), 3);
    store.write(order(5, base + 5_000_000_000)).unwrap();
    store.flush().unwrap();
    assert_eq!(store.stats().blocks, 3);
    store.maintain().unwrap();
    assert_eq!((store.stats().blocks, store.stats().compactions), (1, 1));
    assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 1, "the sources are deleted");
    drop(store);

    // A restart: blocks are opened, nothing is replayed twice.
    let (store, report) = EmbeddedStore::open(config(dir.path())).unwrap();
    assert_eq!((report.blocks, report.replayed_spans), (1, 0));
    let trace = store.trace(TraceId::from_u128(2)).unwrap().unwrap();
    assert_eq!(trace.spans.len(), 3);
    let all = store.search(&SearchQuery { limit: 100, ..SearchQuery::default() }).unwrap();
    assert_eq!(all.len(), 5);
    let two = all.iter().find(|summary| summary.trace_id.to_u128() == 2).unwrap();
    assert_eq!(
        (two.span_count, two.root_operation.as_str(), two.root_service.as_str()),
        (3, "GET /checkout", "frontend")
    );
    drop(store);
}

#[test]
fn a_trace_split_between_blocks_and_the_head_is_summed_up_whole() {
    let dir = tempfile::tempdir().unwrap();
    let base = now() - 60_000_000_000;
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    let batch = order(3, base);
    let (frontend, checkout) = (batch.spans[0].clone(), batch.spans[1].clone());
    // The child (with the error) first, in one block; the root in another; a late span in the head.
    store.write(WriteBatch { spans: vec![checkout], records: Vec::new() }).unwrap();
    store.flush().unwrap();
    store.write(WriteBatch { spans: vec![frontend], records: Vec::new() }).unwrap();
    store.flush().unwrap();
    let late = span(3, 9, Some(2), "audit", base + 500_000_000, 700);
    store.write(WriteBatch { spans: vec![(origin("audit"), vec![late])], records: Vec::new() }).unwrap();

    let found = store.search(&SearchQuery::default()).unwrap();
    assert_eq!(found.len(), 1);
    let summary = &found[0];
    assert_eq!(Some(summary), store.trace(TraceId::from_u128(3)).unwrap().unwrap().summary().as_ref());
    assert_eq!((summary.root_service.as_str(), summary.root_operation.as_str()), ("frontend", "GET /checkout"));
    assert_eq!((summary.span_count, summary.error_count), (3, 1));
    assert_eq!(summary.start_unix_nano, base);
    assert_eq!(summary.duration_nanos, 500_000_000 + 700_000_000);
    assert_eq!(summary.services, [("audit".into(), 1), ("checkout".into(), 1), ("frontend".into(), 1)]);
}

#[test]
fn the_log_is_replayed_into_the_head_after_a_drop_without_close() {
    let dir = tempfile::tempdir().unwrap();
    let base = now() - 60_000_000_000;
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    store.write(order(1, base)).unwrap();
    store.flush().unwrap();
    store.write(order(2, base + 1)).unwrap();
    drop(store); // no close: the head is only in the log
    let (store, report) = EmbeddedStore::open(config(dir.path())).unwrap();
    assert_eq!((report.blocks, report.replayed_records, report.replayed_spans), (1, 1, 2));
    assert_eq!(store.search(&SearchQuery::default()).unwrap().len(), 2);
    assert_eq!(store.trace(TraceId::from_u128(2)).unwrap().unwrap().records.len(), 1);
}

#[test]
fn writes_are_refused_while_blocks_cannot_be_written_and_nothing_accepted_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.head_max_spans = 2;
    let (store, _) = EmbeddedStore::open(config).unwrap();
    // A file where the blocks directory should be: every block write fails.
    let blocks = dir.path().join("blocks");
    std::fs::remove_dir_all(&blocks).unwrap();
    std::fs::write(&blocks, b"not a directory").unwrap();

    let mut accepted = Vec::new();
    let mut refused = None;
    for n in 1..=20 {
        match store.write(order(n, now())) {
            Ok(()) => accepted.push(n),
            Err(StoreError::Busy { reason }) => {
                refused = Some(reason);
                break;
            }
            Err(other) => panic!("{other}"),
        }
    }
    let reason = refused.expect("a write is refused once the head is twice its threshold");
    assert!(reason.contains("waiting to be written"), "{reason}");
    // The head being written out holds at most twice the threshold, and the new head is
    // refused at twice the threshold: at most 8 spans in memory.
    assert!(accepted.len() >= 2 && store.stats().head_spans <= 8, "{accepted:?} {:?}", store.stats());
    assert!(store.flush().is_err());

    // Once blocks can be written again, everything accepted is there and writes resume.
    std::fs::remove_file(&blocks).unwrap();
    std::fs::create_dir(&blocks).unwrap();
    store.flush().unwrap();
    assert_eq!(store.stats().head_spans, 0);
    store.write(order(99, now())).unwrap();
    for n in accepted.into_iter().chain([99]) {
        assert_eq!(store.trace(TraceId::from_u128(n)).unwrap().unwrap().spans.len(), 2, "trace {n}");
    }
}

#[test]
fn blocks_past_the_retention_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.retention = Duration::from_secs(3600);
    let (store, _) = EmbeddedStore::open(config).unwrap();
    let old = now() - 2 * 3600 * 1_000_000_000;
    store.write(order(1, old)).unwrap();
    store.flush().unwrap();
    store.write(order(2, now())).unwrap();
    store.flush().unwrap();
    store.maintain().unwrap();
    assert_eq!((store.stats().blocks, store.stats().blocks_expired), (1, 1));
    assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 1);
    assert!(store.trace(TraceId::from_u128(1)).unwrap().is_none());
    assert!(store.trace(TraceId::from_u128(2)).unwrap().is_some());
}
