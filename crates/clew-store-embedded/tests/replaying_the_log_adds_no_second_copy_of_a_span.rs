//! Opening the store replays the log into the head without doubling a span: the spans a
//! block already holds are not replayed (the block's `wal_through` mark), and a span the log
//! holds twice (an exporter's retry) is replayed once. The store is dropped without being
//! closed, as a crash leaves it: its head is only in the log.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::{OperationStatsQuery, Origin, Store, TimeRange, WriteBatch};
use clew_store_embedded::{EmbeddedStore, StoreConfig};

const SECOND: u64 = 1_000_000_000;
const HOUR: u64 = 3_600 * SECOND;

/// Three hours before the last whole hour, so that a day's retention keeps everything.
fn base_time() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    now - now % HOUR - 3 * HOUR
}

fn config(dir: &Path) -> StoreConfig {
    let mut config = StoreConfig::new(dir);
    config.maintenance_interval = Duration::from_secs(3600);
    config
}

/// A batch of one checkout span of its own trace.
fn one_span(trace: u128, name: &str, start: u64) -> WriteBatch {
    spans_of(trace, name, start, 1..=1)
}

/// A batch of checkout spans of one trace, with the span ids `ids`, all at `start`.
fn spans_of(trace: u128, name: &str, start: u64, ids: std::ops::RangeInclusive<u64>) -> WriteBatch {
    let spans = ids.map(|id| span(trace, id, name, start)).collect();
    let origin =
        Origin { resource: Arc::new(Resource::new([KeyValue::new("service.name", "checkout")])), scope: "test".into() };
    WriteBatch { spans: vec![(origin, spans)], records: Vec::new() }
}

fn span(trace: u128, id: u64, name: &str, start: u64) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: None,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.to_owned().into(),
        kind: SpanKind::Server,
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + SECOND,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// Each operation's span count in the hour from `base`, by name.
fn counts(store: &EmbeddedStore, base: u64) -> Vec<(String, u64)> {
    let query = OperationStatsQuery::new(TimeRange::new(base, base + HOUR), HOUR);
    let mut counts: Vec<(String, u64)> = store
        .operation_stats(&query)
        .unwrap()
        .operations
        .into_iter()
        .map(|series| (series.operation, series.count))
        .collect();
    counts.sort();
    counts
}

#[test]
fn spans_a_block_holds_are_not_replayed_and_a_repeated_span_is_replayed_once() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_time();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    store.write(one_span(1, "written out", base + SECOND)).unwrap();
    store.flush().unwrap();
    store.write(one_span(2, "retried", base + 2 * SECOND)).unwrap();
    store.write(one_span(2, "retried", base + 2 * SECOND)).unwrap();
    // A large trace (more spans than the head compares one by one) sent twice, the second
    // time with one more span.
    store.write(spans_of(3, "large", base + 3 * SECOND, 1..=40)).unwrap();
    store.write(spans_of(3, "large", base + 3 * SECOND, 1..=41)).unwrap();
    assert_eq!(store.stats().head_spans, 42, "the head took each retried span once");
    drop(store);

    let (store, report) = EmbeddedStore::open(config(dir.path())).unwrap();
    assert_eq!(
        (report.replayed_records, report.replayed_spans),
        (4, 83),
        "the log holds the four writes after the flush, and nothing of the block's"
    );
    assert_eq!(store.stats().head_spans, 42, "the replay put each retried span into the head once");
    assert_eq!(
        counts(&store, base),
        [("large".to_owned(), 41), ("retried".to_owned(), 1), ("written out".to_owned(), 1)],
        "each span once: the block's, and the head's replayed ones"
    );
    assert_eq!(store.trace(TraceId::from_u128(2)).unwrap().unwrap().spans.len(), 1);
    assert_eq!(store.trace(TraceId::from_u128(3)).unwrap().unwrap().spans.len(), 41);
}
