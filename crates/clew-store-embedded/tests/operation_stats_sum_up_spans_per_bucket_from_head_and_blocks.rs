//! Operation stats count spans, errors and duration percentiles per operation and per time
//! bucket, the same whether the spans are in the head, in blocks or split between them, and
//! without reading blocks that cannot hold what the query wants.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::{
    OperationSeries, OperationStats, OperationStatsQuery, Origin, PERCENTILE_RELATIVE_ERROR, Store, StoreError,
    TimeRange, WriteBatch,
};
use clew_store_embedded::{BlockError, EmbeddedStore, StoreConfig};

/// Whether a query failed because a block could not be read.
fn failed_on_a_block<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(&result, Err(error) if error.backend_source::<BlockError>().is_some())
}

const SECOND: u64 = 1_000_000_000;

/// An hour ago, on a whole second.
fn base() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    (now - 3600 * SECOND) / SECOND * SECOND
}

fn config(dir: &std::path::Path) -> StoreConfig {
    let mut config = StoreConfig::new(dir);
    config.maintenance_interval = Duration::from_secs(3600);
    config.row_group_rows = 64;
    config
}

/// A span of `service`; its trace and id are unique per `id`.
struct Sketch {
    service: &'static str,
    id: u64,
    name: &'static str,
    kind: SpanKind,
    start: u64,
    duration: u64,
    error: bool,
}

fn batch(sketches: impl IntoIterator<Item = Sketch>) -> WriteBatch {
    let mut batch = WriteBatch::default();
    for sketch in sketches {
        let origin = Origin {
            resource: Arc::new(Resource::new([KeyValue::new("service.name", sketch.service)])),
            scope: "test".into(),
        };
        let span = SpanData {
            trace_id: TraceId::from_u128(u128::from(sketch.id) << 32 | 1),
            span_id: SpanId::from_u64(sketch.id),
            parent_span_id: None,
            parent_is_remote: false,
            trace_flags: TraceFlags::SAMPLED,
            trace_state: None,
            name: sketch.name.into(),
            kind: sketch.kind,
            label: None,
            start_time_unix_nano: sketch.start,
            end_time_unix_nano: sketch.start + sketch.duration,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: if sketch.error { Status::error("failed") } else { Status::Unset },
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
        };
        batch.spans.push((origin, vec![span]));
    }
    batch
}

fn counts(series: &OperationSeries) -> Vec<(u64, u64)> {
    series.buckets.iter().map(|bucket| (bucket.count, bucket.error_count)).collect()
}

fn names(stats: &OperationStats) -> Vec<(&str, &str, &str)> {
    stats
        .operations
        .iter()
        .map(|series| (series.service.as_str(), series.operation.as_str(), series.kind.as_str()))
        .collect()
}

/// Checkout's orders and frontend's pages over a minute in buckets of 10 s, and spans just
/// outside that minute.
fn shop(base: u64) -> Vec<Sketch> {
    let order = |id, kind, seconds: u64, error| Sketch {
        service: "checkout",
        id,
        name: "POST /orders",
        kind,
        start: base + seconds * SECOND,
        duration: 20_000_000 + id,
        error,
    };
    let page = |id, seconds: u64| Sketch {
        service: "frontend",
        id,
        name: "GET /",
        kind: SpanKind::Server,
        start: base + seconds * SECOND,
        duration: 5_000_000,
        error: false,
    };
    vec![
        order(1, SpanKind::Server, 0, false),
        order(2, SpanKind::Server, 3, false),
        order(3, SpanKind::Server, 9, true),
        order(4, SpanKind::Server, 25, true),
        order(5, SpanKind::Server, 50, false),
        order(6, SpanKind::Server, 59, false),
        order(7, SpanKind::Client, 1, false),
        page(8, 12),
        page(9, 18),
        // Outside the minute: before it, and at its end.
        page(10, 60),
        Sketch { start: base - 1, ..page(11, 0) },
    ]
}

fn minute(base: u64) -> OperationStatsQuery {
    OperationStatsQuery::new(TimeRange::new(base, base + 60 * SECOND), 10 * SECOND)
}

#[test]
fn counts_and_error_counts_are_the_same_from_the_head_from_blocks_and_from_both() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    store.write(batch(shop(base))).unwrap();
    let from_head = store.operation_stats(&minute(base)).unwrap();

    assert_eq!(
        names(&from_head),
        [
            ("checkout", "POST /orders", "client"),
            ("checkout", "POST /orders", "server"),
            ("frontend", "GET /", "server")
        ]
    );
    let [client, server, page] = &from_head.operations[..] else { panic!("{from_head:?}") };
    assert_eq!(counts(client), [(1, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]);
    assert_eq!(counts(server), [(3, 1), (0, 0), (1, 1), (0, 0), (0, 0), (2, 0)]);
    assert_eq!(counts(page), [(0, 0), (2, 0), (0, 0), (0, 0), (0, 0), (0, 0)]);
    assert_eq!((server.count, server.error_count), (6, 2));
    let starts: Vec<u64> = server.buckets.iter().map(|bucket| bucket.start_unix_nano).collect();
    assert_eq!(starts, (0..6).map(|bucket| base + bucket * 10 * SECOND).collect::<Vec<_>>());
    assert!(server.buckets[1].durations.is_none(), "an empty bucket has no percentiles");
    let page_median = page.durations.unwrap().p50_nanos;
    assert!(page_median.abs_diff(5_000_000) as f64 <= 5e6 * PERCENTILE_RELATIVE_ERROR, "{page_median}");
    assert_eq!(
        (from_head.start_unix_nano, from_head.end_unix_nano, from_head.step_nanos),
        (base, base + 60 * SECOND, 10 * SECOND)
    );

    store.flush().unwrap();
    assert_eq!(store.operation_stats(&minute(base)).unwrap(), from_head, "from a block");

    // Half in a block, half in the head.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    let mut spans = shop(base);
    let later = spans.split_off(5);
    store.write(batch(spans)).unwrap();
    store.flush().unwrap();
    store.write(batch(later)).unwrap();
    assert_eq!(store.operation_stats(&minute(base)).unwrap(), from_head, "from both");

    let frontend = OperationStatsQuery { service: Some("frontend".into()), ..minute(base) };
    let only_frontend = store.operation_stats(&frontend).unwrap();
    assert_eq!(names(&only_frontend), [("frontend", "GET /", "server")]);
    assert_eq!(only_frontend.operations[0], from_head.operations[2]);
}

#[test]
fn a_span_belongs_to_the_bucket_of_its_start_and_the_end_of_the_range_is_left_out() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    let at = |id, start| Sketch {
        service: "checkout",
        id,
        name: "work",
        kind: SpanKind::Internal,
        start,
        duration: 1_000,
        error: false,
    };
    let step = 10 * SECOND;
    let end = base + 25 * SECOND;
    store
        .write(batch([
            at(1, base - 1),
            at(2, base),
            at(3, base + step - 1),
            at(4, base + step),
            at(5, end - 1),
            at(6, end),
        ]))
        .unwrap();
    // 25 s in steps of 10 s: three buckets, the last reaching past the end.
    let query = OperationStatsQuery::new(TimeRange::new(base, end), step);
    for place in ["head", "block"] {
        let stats = store.operation_stats(&query).unwrap();
        let series = &stats.operations[0];
        assert_eq!(counts(series), [(2, 0), (1, 0), (1, 0)], "in the {place}");
        assert_eq!(series.buckets[2].start_unix_nano, base + 2 * step);
        store.flush().unwrap();
    }
}

/// A xorshift generator, so the durations repeat from run to run.
fn durations(count: usize) -> Vec<u64> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // From 1 µs to about 17 s, spread over the powers of two.
            let magnitude = 10 + state % 25;
            (1 << magnitude) + (state >> 20) % (1 << magnitude)
        })
        .collect()
}

/// The nearest-rank percentile: the smallest value with at least `percent` % at or below it.
fn exact(values: &[u64], percent: u64) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[((sorted.len() as u64 * percent).div_ceil(100).max(1) - 1) as usize]
}

fn assert_close(found: u64, values: &[u64], percent: u64) {
    let wanted = exact(values, percent);
    assert!(
        found.abs_diff(wanted) as f64 <= wanted as f64 * PERCENTILE_RELATIVE_ERROR,
        "p{percent}: {found} where the exact value is {wanted}"
    );
}

#[test]
fn percentiles_are_within_the_documented_error_of_exactly_computed_ones() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    let durations = durations(3_000);
    let sketches: Vec<Sketch> = durations
        .iter()
        .enumerate()
        .map(|(index, &duration)| Sketch {
            service: "search",
            id: index as u64 + 1,
            name: "query",
            kind: SpanKind::Server,
            // Three buckets of a second, a span every millisecond.
            start: base + index as u64 * 1_000_000,
            duration,
            error: false,
        })
        .collect();
    let mut sketches = sketches;
    let in_head = sketches.split_off(1_700);
    store.write(batch(sketches)).unwrap();
    store.flush().unwrap();
    store.write(batch(in_head)).unwrap();

    let stats =
        store.operation_stats(&OperationStatsQuery::new(TimeRange::new(base, base + 3 * SECOND), SECOND)).unwrap();
    let series = &stats.operations[0];
    assert_eq!(series.count, 3_000);
    let total = series.durations.unwrap();
    for (found, percent) in [(total.p50_nanos, 50), (total.p95_nanos, 95), (total.p99_nanos, 99)] {
        assert_close(found, &durations, percent);
    }
    for (bucket, values) in series.buckets.iter().zip(durations.chunks(1_000)) {
        assert_eq!(bucket.count, 1_000);
        let found = bucket.durations.unwrap();
        for (found, percent) in [(found.p50_nanos, 50), (found.p95_nanos, 95), (found.p99_nanos, 99)] {
            assert_close(found, values, percent);
        }
    }
}

#[test]
fn blocks_outside_the_time_range_or_without_the_service_are_not_read() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    let old = |id| Sketch {
        service: "legacy",
        id,
        name: "batch job",
        kind: SpanKind::Internal,
        start: base - 600 * SECOND + id,
        duration: 1_000,
        error: true,
    };
    store.write(batch([old(1), old(2)])).unwrap();
    store.flush().unwrap();
    let old_block = std::fs::read_dir(dir.path().join("blocks")).unwrap().next().unwrap().unwrap().path();
    store.write(batch(shop(base))).unwrap();
    store.flush().unwrap();
    // The old block's spans can no longer be read (its footer was read when it was opened).
    std::fs::write(old_block.join("spans.parquet"), b"").unwrap();

    let stats = store.operation_stats(&minute(base)).unwrap();
    assert_eq!(stats.operations.iter().map(|series| series.count).sum::<u64>(), 9);
    let checkout = OperationStatsQuery { service: Some("checkout".into()), ..minute(base) };
    let all_time = OperationStatsQuery {
        range: TimeRange::new(0, checkout.range.end_unix_nano),
        step_nanos: u64::MAX,
        ..checkout
    };
    assert_eq!(store.operation_stats(&all_time).unwrap().operations.len(), 2);
    let errors = clew_store::ErrorQuery { range: TimeRange::new(base, u64::MAX), ..clew_store::ErrorQuery::default() };
    assert_eq!(store.error_groups(&errors).unwrap()[0].count, 2);

    // A query that reaches the old block does read it.
    let everything = OperationStatsQuery { service: None, ..all_time };
    assert!(failed_on_a_block(store.operation_stats(&everything)));
    assert!(failed_on_a_block(store.error_groups(&clew_store::ErrorQuery::default())));
}

#[test]
fn queries_the_store_cannot_answer_are_refused_and_an_empty_range_is_empty() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(config(dir.path())).unwrap();
    store.write(batch(shop(base))).unwrap();
    for query in [
        OperationStatsQuery::new(TimeRange::new(base, base + SECOND), 0),
        OperationStatsQuery::new(TimeRange::new(base, base + 1_001), 1),
        OperationStatsQuery::new(TimeRange::new(base + 1, base), SECOND),
    ] {
        assert!(matches!(store.operation_stats(&query), Err(StoreError::InvalidQuery { .. })), "{query:?}");
    }
    assert_eq!(
        store
            .operation_stats(&OperationStatsQuery::new(TimeRange::new(base, base + 1_000), 1))
            .unwrap()
            .operations
            .len(),
        1
    );
    let empty = store.operation_stats(&OperationStatsQuery::new(TimeRange::new(base, base), SECOND)).unwrap();
    assert!(empty.operations.is_empty());
}
