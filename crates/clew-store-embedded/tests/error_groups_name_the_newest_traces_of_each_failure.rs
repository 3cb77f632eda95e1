//! Error spans grouped by service, operation and status message: the largest groups first,
//! each with its first and last time and the newest distinct traces, from the head and the
//! blocks alike.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::{ErrorGroup, ErrorQuery, Origin, Store, TimeRange, WriteBatch};
use clew_store_embedded::{EmbeddedStore, StoreConfig};

const SECOND: u64 = 1_000_000_000;

fn base() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 - 3600 * SECOND
}

fn store(dir: &std::path::Path) -> EmbeddedStore {
    let mut config = StoreConfig::new(dir);
    config.maintenance_interval = Duration::from_secs(3600);
    EmbeddedStore::open(config).unwrap().0
}

/// A span of trace `trace` (ids are unique per call through `id`).
fn span(service: &str, trace: u128, id: u64, name: &str, start: u64, status: Status) -> WriteBatch {
    let origin = Origin {
        resource: Arc::new(Resource::new([KeyValue::new("service.name", service.to_owned())])),
        scope: "test".into(),
    };
    let span = SpanData {
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
        end_time_unix_nano: start + 1_000,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    };
    WriteBatch { spans: vec![(origin, vec![span])], records: Vec::new() }
}

fn summary(groups: &[ErrorGroup]) -> Vec<(&str, &str, &str, u64)> {
    groups
        .iter()
        .map(|group| (group.service.as_str(), group.operation.as_str(), group.message.as_str(), group.count))
        .collect()
}

#[test]
fn error_spans_are_grouped_by_service_operation_and_message_largest_first() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mut id = 0;
    let mut write = |service, name, seconds: u64, status: Status| {
        id += 1;
        store.write(span(service, u128::from(id), id, name, base + seconds * SECOND, status)).unwrap();
    };
    // Declined three times up to 30 s, timed out three times up to 40 s: the same size,
    // timeouts more recent.
    for seconds in [10, 20, 30] {
        write("payments", "charge card", seconds, Status::error("card declined"));
    }
    for seconds in [5, 6, 40] {
        write("payments", "charge card", seconds, Status::error("timeout"));
    }
    write("payments", "charge card", 7, Status::error(""));
    write("checkout", "POST /orders", 8, Status::error("card declined"));
    write("checkout", "POST /orders", 9, Status::error("card declined"));
    // Not errors, and errors outside the range.
    write("payments", "charge card", 11, Status::Ok);
    write("payments", "charge card", 12, Status::Unset);
    store.write(span("payments", 99, 99, "charge card", base - 1, Status::error("timeout"))).unwrap();
    store.write(span("payments", 98, 98, "charge card", base + 60 * SECOND, Status::error("timeout"))).unwrap();

    let minute = ErrorQuery { range: TimeRange::new(base, base + 60 * SECOND), ..ErrorQuery::default() };
    let groups = store.error_groups(&minute).unwrap();
    assert_eq!(
        summary(&groups),
        [
            ("payments", "charge card", "timeout", 3),
            ("payments", "charge card", "card declined", 3),
            ("checkout", "POST /orders", "card declined", 2),
            ("payments", "charge card", "", 1),
        ]
    );
    let timeouts = &groups[0];
    assert_eq!((timeouts.first_unix_nano, timeouts.last_unix_nano), (base + 5 * SECOND, base + 40 * SECOND));
    let trace_ids: Vec<u128> = timeouts.trace_ids.iter().map(|id| id.to_u128()).collect();
    assert_eq!(trace_ids, [6, 5, 4], "newest first");

    store.flush().unwrap();
    assert_eq!(store.error_groups(&minute).unwrap(), groups, "from a block");

    let checkout = ErrorQuery { service: Some("checkout".into()), ..minute };
    assert_eq!(summary(&store.error_groups(&checkout).unwrap()), [("checkout", "POST /orders", "card declined", 2)]);
}

#[test]
fn a_group_names_five_distinct_traces_of_its_newest_spans_newest_first() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let declined = |trace: u128, id: u64, seconds: u64| {
        span("payments", trace, id, "charge card", base + seconds * SECOND, Status::error("card declined"))
    };
    // Trace 1 fails first and last; traces 2 to 7 in between. Written out of order, part of
    // them in a block.
    store.write(declined(4, 4, 40)).unwrap();
    store.write(declined(1, 1, 1)).unwrap();
    store.write(declined(7, 7, 70)).unwrap();
    store.write(declined(2, 2, 20)).unwrap();
    store.flush().unwrap();
    store.write(declined(6, 6, 60)).unwrap();
    store.write(declined(1, 8, 100)).unwrap();
    store.write(declined(3, 3, 30)).unwrap();
    store.write(declined(5, 5, 50)).unwrap();
    store.write(declined(7, 9, 65)).unwrap();

    let groups = store.error_groups(&ErrorQuery::default()).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, 9);
    let trace_ids: Vec<u128> = groups[0].trace_ids.iter().map(|id| id.to_u128()).collect();
    assert_eq!(trace_ids, [1, 7, 6, 5, 4]);
    assert_eq!((groups[0].first_unix_nano, groups[0].last_unix_nano), (base + SECOND, base + 100 * SECOND));
}

#[test]
fn the_limit_keeps_the_largest_groups() {
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mut id = 0;
    for (message, count) in [("a", 1), ("b", 5), ("c", 3), ("d", 4), ("e", 2)] {
        for _ in 0..count {
            id += 1;
            store
                .write(span("payments", u128::from(id), id, "charge card", base + id, Status::error(message)))
                .unwrap();
        }
    }
    let largest = |limit| {
        let groups = store.error_groups(&ErrorQuery { limit, ..ErrorQuery::default() }).unwrap();
        groups.into_iter().map(|group| group.message).collect::<Vec<_>>()
    };
    assert_eq!(largest(2), ["b", "d"]);
    assert_eq!(largest(100), ["b", "d", "c", "e", "a"]);
    assert!(largest(0).is_empty());
}
