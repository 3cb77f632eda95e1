//! A span written again after its first copy was written out (an exporter's retry that
//! crossed a flush) is in two blocks; compaction merges them into a block that holds it
//! once, and from then on every sum counts it once. Spans that only share a span id with it
//! (in another trace) are kept.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::{ErrorQuery, OperationStatsQuery, Origin, SearchQuery, Store, TimeRange, WriteBatch};
use clew_store_embedded::{EmbeddedStore, StoreConfig};

const MILLI: u64 = 1_000_000;
const SECOND: u64 = 1_000 * MILLI;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

/// Three hours before the last whole hour, so that a day's retention keeps everything.
fn base_time() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    now - now % HOUR - 3 * HOUR
}

fn origin(service: &str) -> Origin {
    Origin {
        resource: Arc::new(Resource::new([KeyValue::new("service.name", service.to_owned())])),
        scope: "test".into(),
    }
}

fn span(trace: u128, id: u64, parent: Option<u64>, name: &str, start: u64) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: parent.map(SpanId::from_u64),
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.to_owned().into(),
        kind: SpanKind::Server,
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 20 * MILLI,
        attributes: vec![KeyValue::new("tenant", "acme")],
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

fn config(dir: &Path, compaction_blocks: usize) -> StoreConfig {
    let mut config = StoreConfig::new(dir);
    config.maintenance_interval = Duration::from_secs(3600);
    config.compaction_blocks = compaction_blocks;
    config
}

/// The span rows of each block on disk, as their `meta.json` counts them.
fn block_rows(dir: &Path) -> Vec<u64> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(dir.join("blocks")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(path.join("meta.json")).unwrap()).unwrap();
        rows.push(meta["span_count"].as_u64().unwrap());
    }
    rows.sort_unstable();
    rows
}

/// The failing child of trace 1, the span that is written twice.
fn order(base: u64) -> SpanData {
    SpanData { status: Status::error("declined"), ..span(1, 2, Some(1), "POST /orders", base + SECOND + MILLI) }
}

#[test]
fn compaction_keeps_one_copy_of_a_span_that_two_blocks_hold() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_time();
    let (store, _) = EmbeddedStore::open(config(dir.path(), 100)).unwrap();
    let root = span(1, 1, None, "GET /", base + SECOND);
    // Trace 2 uses trace 1's span ids: the same span id in another trace is another span.
    let other =
        vec![span(2, 1, None, "GET /", base + 2 * SECOND), span(2, 2, Some(1), "POST /orders", base + 3 * SECOND)];
    store.write(WriteBatch { spans: vec![(origin("frontend"), vec![root])], records: Vec::new() }).unwrap();
    store.write(WriteBatch { spans: vec![(origin("checkout"), vec![order(base)])], records: Vec::new() }).unwrap();
    store.flush().unwrap();
    store
        .write(WriteBatch {
            spans: vec![(origin("checkout"), vec![order(base)]), (origin("edge"), other)],
            records: Vec::new(),
        })
        .unwrap();
    store.close().unwrap();
    drop(store);
    assert_eq!(block_rows(dir.path()), [2, 3], "trace 1's two spans, then the retried copy and trace 2");

    let (store, _) = EmbeddedStore::open(config(dir.path(), 2)).unwrap();
    store.maintain().unwrap();
    assert_eq!(store.stats().blocks, 1, "the two blocks were compacted into one");
    assert_eq!(block_rows(dir.path()), [4], "one copy of the retried span, and both spans of trace 2");

    let trace = store.trace(TraceId::from_u128(1)).unwrap().unwrap();
    assert_eq!(trace.spans.len(), 2, "trace 1: its root and one copy of its child");
    let found = store.search(&SearchQuery::default()).unwrap();
    let counts: Vec<(u128, u64, u64)> =
        found.iter().map(|summary| (summary.trace_id.to_u128(), summary.span_count, summary.error_count)).collect();
    assert_eq!(counts, [(2, 2, 0), (1, 2, 1)], "search: trace 2 with its own 2 spans, trace 1 with 2 spans, 1 error");

    let hour = TimeRange::new(base, base + HOUR);
    let stats = store.operation_stats(&OperationStatsQuery::new(hour, MINUTE)).unwrap();
    let mut series: Vec<(&str, &str, u64, u64)> = stats
        .operations
        .iter()
        .map(|series| (series.service.as_str(), series.operation.as_str(), series.count, series.error_count))
        .collect();
    series.sort_unstable();
    assert_eq!(
        series,
        [
            ("checkout", "POST /orders", 1, 1),
            ("edge", "GET /", 1, 0),
            ("edge", "POST /orders", 1, 0),
            ("frontend", "GET /", 1, 0)
        ],
        "operation stats count the retried span once"
    );
    let groups = store.error_groups(&ErrorQuery { range: hour, ..ErrorQuery::default() }).unwrap();
    let sizes: Vec<(&str, u64)> = groups.iter().map(|group| (group.operation.as_str(), group.count)).collect();
    assert_eq!(sizes, [("POST /orders", 1)], "the error group holds the retried span once");
    let edges = store.dependencies(hour).unwrap();
    let calls: Vec<(&str, &str, u64)> =
        edges.iter().map(|edge| (edge.parent.as_str(), edge.child.as_str(), edge.call_count)).collect();
    assert_eq!(calls, [("frontend", "checkout", 1)], "one call of trace 1; trace 2's spans are of one service");
}
