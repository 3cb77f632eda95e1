//! A trace whose spans were written out at four different times (three blocks and the head)
//! makes its calls all the same, and the range rule holds over every place: a trace counts
//! when its earliest span anywhere started in the range, with its later spans even in a
//! block after the range, and not when its earliest span is in a block before the range.
//! A property test checks the same against one count over the whole traces (the model),
//! for traces split at random between blocks and the head, some spans written twice.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::aggregate::{CallSpan, DependencyCounter};
use clew_store::{Origin, Store, TimeRange, WriteBatch};
use clew_store_embedded::{EmbeddedStore, StoreConfig};
use proptest::prelude::*;

const MILLI: u64 = 1_000_000;
const SECOND: u64 = 1_000 * MILLI;
const HOUR: u64 = 3_600 * SECOND;

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

fn span(trace: u128, id: u64, parent: Option<u64>, start: u64) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: parent.map(SpanId::from_u64),
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: format!("step {id}").into(),
        kind: SpanKind::Server,
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 10 * MILLI,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// One batch of one service's spans.
fn batch(service: &str, spans: Vec<SpanData>) -> WriteBatch {
    WriteBatch { spans: vec![(origin(service), spans)], records: Vec::new() }
}

/// No background compaction: the test decides when blocks are merged.
fn config(dir: &Path, compaction_blocks: usize) -> StoreConfig {
    let mut config = StoreConfig::new(dir);
    config.maintenance_interval = Duration::from_secs(3600);
    config.compaction_blocks = compaction_blocks;
    config
}

/// The range asked: `[base, base + 1 h)`.
fn hour(base: u64) -> TimeRange {
    TimeRange::new(base, base + HOUR)
}

/// Writes, flushing between the groups so that each group is a block of its own:
///
/// - block 1, before the range: trace 2's root (frontend, 2 h before `base`);
/// - block 2: trace 1's root (frontend, `base + 1 s`), trace 3's root (frontend, `base + 3 s`);
/// - block 3: trace 1's checkout span, child of its root;
/// - block 4: trace 1's payments span, child of checkout;
/// - block 5, after the range: trace 3's archive span (`base + 2 h`), child of its root, and
///   trace 4, a frontend root and its archive child, both at `base + 2 h`;
/// - the head: trace 1's ledger span (failing), child of payments, and trace 2's checkout
///   and payments spans (in the range, but trace 2 started before it).
fn write_split_traces(store: &EmbeddedStore, base: u64) {
    let start = base + SECOND;
    let groups = [
        vec![batch("frontend", vec![span(2, 1, None, base - 2 * HOUR)])],
        vec![batch("frontend", vec![span(1, 1, None, start), span(3, 1, None, base + 3 * SECOND)])],
        vec![batch("checkout", vec![span(1, 2, Some(1), start + MILLI)])],
        vec![batch("payments", vec![span(1, 3, Some(2), start + 2 * MILLI)])],
        vec![
            batch("archive", vec![span(3, 2, Some(1), base + 2 * HOUR), span(4, 2, Some(1), base + 2 * HOUR + MILLI)]),
            batch("frontend", vec![span(4, 1, None, base + 2 * HOUR)]),
        ],
    ];
    for group in groups {
        for written in group {
            store.write(written).unwrap();
        }
        store.flush().unwrap();
    }
    let ledger = SpanData { status: Status::error("ledger closed"), ..span(1, 4, Some(3), start + 3 * MILLI) };
    store.write(batch("ledger", vec![ledger])).unwrap();
    store.write(batch("checkout", vec![span(2, 2, Some(1), base + 2 * SECOND)])).unwrap();
    store.write(batch("payments", vec![span(2, 3, Some(2), base + 2 * SECOND + MILLI)])).unwrap();
}

/// Parent, child, calls and errors of each edge, sorted.
fn edges(store: &EmbeddedStore, range: TimeRange) -> Vec<(String, String, u64, u64)> {
    let mut edges: Vec<(String, String, u64, u64)> = store
        .dependencies(range)
        .unwrap()
        .into_iter()
        .map(|edge| (edge.parent, edge.child, edge.call_count, edge.error_count))
        .collect();
    edges.sort();
    edges
}

fn edge(parent: &str, child: &str, calls: u64, errors: u64) -> (String, String, u64, u64) {
    (parent.to_owned(), child.to_owned(), calls, errors)
}

fn assert_edges(store: &EmbeddedStore, base: u64, when: &str) {
    assert_eq!(
        edges(store, hour(base)),
        [
            edge("checkout", "payments", 1, 0),
            edge("frontend", "archive", 1, 0),
            edge("frontend", "checkout", 1, 0),
            edge("payments", "ledger", 1, 1),
        ],
        "{when}: in the hour, trace 1's three calls across four places, trace 3's call into the block after \
         the hour, and nothing of trace 2, whose root is in the block before it"
    );
    assert_eq!(
        edges(store, TimeRange::ALL),
        [
            edge("checkout", "payments", 2, 0),
            edge("frontend", "archive", 2, 0),
            edge("frontend", "checkout", 2, 0),
            edge("payments", "ledger", 1, 1),
        ],
        "{when}: over all time, traces 1 to 4"
    );
    assert_eq!(
        edges(store, TimeRange::new(base + 2 * HOUR, base + 3 * HOUR)),
        [edge("frontend", "archive", 1, 0)],
        "{when}: two hours later, trace 4 alone: trace 3's archive span started then, but its root earlier"
    );
    assert!(edges(store, TimeRange::new(base + 4 * HOUR, base + 5 * HOUR)).is_empty(), "{when}: an empty hour");
}

#[test]
fn calls_are_counted_across_three_blocks_and_the_head_and_the_range_rule_holds_over_all() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_time();
    let (store, _) = EmbeddedStore::open(config(dir.path(), 100)).unwrap();
    write_split_traces(&store, base);
    assert_eq!(store.stats().blocks, 5, "five blocks were written out");
    assert_edges(&store, base, "with five blocks and the head");

    store.flush().unwrap();
    assert_edges(&store, base, "with six blocks");
    store.close().unwrap();
    drop(store);

    let (store, _) = EmbeddedStore::open(config(dir.path(), 4)).unwrap();
    assert_edges(&store, base, "after a restart, trace tables read back from the blocks");
    store.maintain().unwrap();
    assert!(store.stats().blocks < 6, "compaction merged some blocks: {:?}", store.stats());
    assert_edges(&store, base, "after compaction");
}

/// A span of a generated trace: its parent (an earlier span of the trace), service, start
/// and status, and the write it goes out with; a repeated span goes out a second time with
/// a later write.
#[derive(Debug, Clone)]
struct Sketch {
    parent: Option<prop::sample::Index>,
    service: usize,
    start: usize,
    error: bool,
    write: usize,
    again: Option<usize>,
}

const SERVICES: [&str; 4] = ["frontend", "checkout", "payments", "ledger"];
/// Starts around the edges of the ranges asked, in nanoseconds from `base` (signed).
const OFFSETS: [i64; 8] =
    [-7_200_000_000_000, -1, 0, 1_000_000, 1_799_999_999_999, 3_599_999_999_999, 3_600_000_000_000, 7_200_000_000_000];
/// How many writes; the store is flushed after each but the last.
const WRITES: usize = 5;

fn sketch() -> impl Strategy<Value = Sketch> {
    (
        proptest::option::weighted(0.85, any::<prop::sample::Index>()),
        0..SERVICES.len(),
        0..OFFSETS.len(),
        proptest::bool::weighted(0.2),
        0..WRITES,
        proptest::option::weighted(0.15, 0..WRITES),
    )
        .prop_map(|(parent, service, start, error, write, again)| Sketch {
            parent,
            service,
            start,
            error,
            write,
            again,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// However the spans of some traces were split between writes (and so between blocks
    /// and the head), with some spans written twice, the store answers the edges that one
    /// count over the whole traces answers, for ranges whose edges cut through the data.
    #[test]
    fn the_edges_are_those_of_the_whole_traces_however_their_spans_were_written_out(
        traces in proptest::collection::vec(proptest::collection::vec(sketch(), 1..7), 1..7),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let base = base_time();
        let at = |offset: usize| base.checked_add_signed(OFFSETS[offset]).unwrap();
        let mut writes: Vec<Vec<(usize, SpanData)>> = vec![Vec::new(); WRITES];
        let mut whole: Vec<Vec<(usize, SpanData)>> = Vec::new();
        for (number, sketches) in traces.iter().enumerate() {
            let trace = number as u128 + 1;
            let mut spans = Vec::new();
            for (index, sketch) in sketches.iter().enumerate() {
                let id = index as u64 + 1;
                let parent = if index == 0 { None } else { sketch.parent.map(|parent| parent.index(index) as u64 + 1) };
                let status = if sketch.error { Status::error("failed") } else { Status::Unset };
                let data = SpanData { status, ..span(trace, id, parent, at(sketch.start)) };
                writes[sketch.write].push((sketch.service, data.clone()));
                if let Some(again) = sketch.again {
                    writes[again.max(sketch.write)].push((sketch.service, data.clone()));
                }
                spans.push((sketch.service, data));
            }
            whole.push(spans);
        }

        let (store, _) = EmbeddedStore::open(config(dir.path(), 100)).unwrap();
        for (index, spans) in writes.into_iter().enumerate() {
            for (service, data) in spans {
                store.write(batch(SERVICES[service], vec![data])).unwrap();
            }
            if index + 1 < WRITES {
                store.flush().unwrap();
            }
        }
        let ranges = [
            TimeRange::ALL,
            TimeRange::new(base, base + HOUR),
            TimeRange::new(base + HOUR / 2, base + HOUR),
            TimeRange::new(base + HOUR, base + 3 * HOUR),
            TimeRange::new(base - 3 * HOUR, base),
        ];
        for range in ranges {
            let mut model = DependencyCounter::new(range);
            for spans in &whole {
                let calls: Vec<CallSpan<'_>> = spans
                    .iter()
                    .map(|(service, data)| CallSpan {
                        service: SERVICES[*service],
                        span_id: data.span_id,
                        parent_span_id: data.parent_span_id,
                        start_unix_nano: data.start_time_unix_nano,
                        duration_nanos: data.duration_nanos(),
                        error: data.status.is_error(),
                    })
                    .collect();
                model.add_trace(&calls);
            }
            prop_assert_eq!(store.dependencies(range).unwrap(), model.finish(), "range {:?}", range);
        }
    }
}
