//! Sums over many spans: operation stats per bucket, and error groups.

use clew::{SpanData, SpanKind, Status};

use super::Harness;
use super::data::{
    HOUR, MILLI, SECOND, answered, assert_percentiles_near, base_time, flush, origin, span, spans, write,
};
use crate::{
    ERROR_GROUP_TRACE_IDS, ErrorGroup, ErrorQuery, MAX_STATS_BUCKETS, OperationStats, OperationStatsQuery, Store,
    StoreError, TimeRange,
};

/// [`Store::operation_stats`] counts the spans and error spans of each operation (service,
/// span name, kind) that started in the range, in total and per bucket of the step, empty
/// buckets included, the last bucket reaching past the range's end when the step does not
/// divide it; a span starting at the range's end, or before its start, is not counted; the
/// service filter keeps one service; durations are within
/// [`PERCENTILE_RELATIVE_ERROR`](crate::PERCENTILE_RELATIVE_ERROR) of the exact
/// percentiles. A step of 0, an end before the start, or more than [`MAX_STATS_BUCKETS`]
/// buckets is answered [`StoreError::InvalidQuery`]; exactly that many is answered. From
/// memory, then after [`Store::flush`].
pub fn operation_stats_count_spans_per_bucket(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let at = |seconds: u64| base + seconds * SECOND;
    let items = |id: u64, start: u64, millis: u64| SpanData {
        kind: SpanKind::Server,
        ..span(1, id, None, "GET /items", start, millis * MILLI)
    };
    let api = vec![
        items(1, at(1), 10),
        SpanData { status: Status::error("boom"), ..items(2, at(2), 20) },
        items(3, at(25), 30),
        items(4, at(60) - 1, 40),
        items(5, at(60), 50),
        items(6, base - 1, 60),
        SpanData { kind: SpanKind::Client, ..span(1, 7, None, "GET /items", at(5), 5 * MILLI) },
    ];
    let job = |id: u64, start: u64, millis: u64| SpanData {
        kind: SpanKind::Consumer,
        ..span(2, id, None, "job", start, millis * MILLI)
    };
    let worker = vec![SpanData { status: Status::error("lost"), ..job(1, at(35), 100) }, job(2, at(45), 200)];
    write(&store, spans(vec![(origin("worker"), worker), (origin("api"), api)]));
    assert_operation_stats(&store, base, "from memory");
    flush(&store);
    assert_operation_stats(&store, base, "after flush");
}

/// What the case checks of an [`OperationSeries`](crate::OperationSeries): the operation,
/// its span and error counts, and each bucket's start, span count and error count.
#[derive(Debug, Clone, PartialEq)]
struct Shape<'a> {
    operation: (&'a str, &'a str, SpanKind),
    counts: (u64, u64),
    buckets: Vec<(u64, u64, u64)>,
}

fn assert_operation_stats(store: &impl Store, base: u64, when: &str) {
    let minute = OperationStatsQuery::new(TimeRange::new(base, base + 60 * SECOND), 10 * SECOND);
    let bucket = |number: u64, count: u64, errors: u64| (base + number * 10 * SECOND, count, errors);
    let empty = |number: u64| bucket(number, 0, 0);
    let client = Shape {
        operation: ("api", "GET /items", SpanKind::Client),
        counts: (1, 0),
        buckets: vec![bucket(0, 1, 0), empty(1), empty(2), empty(3), empty(4), empty(5)],
    };
    let server = Shape {
        operation: ("api", "GET /items", SpanKind::Server),
        counts: (4, 1),
        buckets: vec![bucket(0, 2, 1), empty(1), bucket(2, 1, 0), empty(3), empty(4), bucket(5, 1, 0)],
    };
    let job = Shape {
        operation: ("worker", "job", SpanKind::Consumer),
        counts: (2, 1),
        buckets: vec![empty(0), empty(1), empty(2), bucket(3, 1, 1), bucket(4, 1, 0), empty(5)],
    };
    let stats = answered(store.operation_stats(&minute), "operation stats");
    assert_eq!(
        (stats.start_unix_nano, stats.end_unix_nano, stats.step_nanos),
        (base, base + 60 * SECOND, 10 * SECOND),
        "{when}: the range and step of the answer are the query's"
    );
    assert_eq!(
        shape(&stats),
        [client.clone(), server.clone(), job.clone()],
        "{when}: the series of [base, base + 60 s) in steps of 10 s, by service, name, then kind as text"
    );
    let durations: [(&str, Vec<Vec<u64>>); 3] = [
        ("api client", vec![vec![5], vec![], vec![], vec![], vec![], vec![]]),
        ("api server", vec![vec![10, 20], vec![], vec![30], vec![], vec![], vec![40]]),
        ("worker", vec![vec![], vec![], vec![], vec![100], vec![200], vec![]]),
    ];
    for (series, (name, buckets)) in stats.operations.iter().zip(&durations) {
        let millis = |values: &[u64]| values.iter().map(|value| value * MILLI).collect::<Vec<_>>();
        let all: Vec<u64> = buckets.iter().flat_map(|values| millis(values)).collect();
        assert_percentiles_near(series.durations, &all, &format!("{when}: the durations of {name}"));
        for (number, (got, values)) in series.buckets.iter().zip(buckets).enumerate() {
            let what = format!("{when}: the durations of {name} in bucket {number}");
            assert_percentiles_near(got.durations, &millis(values), &what);
        }
    }

    let worker = OperationStatsQuery { service: Some("worker".into()), ..minute.clone() };
    assert_eq!(shape(&answered(store.operation_stats(&worker), "operation stats")), [job], "{when}: worker only");
    let nobody = OperationStatsQuery { service: Some("nobody".into()), ..minute.clone() };
    let none = answered(store.operation_stats(&nobody), "operation stats");
    assert!(none.operations.is_empty(), "{when}: a service of which nothing was written: {:?}", none.operations);
    let uneven = OperationStatsQuery::new(TimeRange::new(base, base + 25 * SECOND), 10 * SECOND);
    assert_eq!(
        shape(&answered(store.operation_stats(&uneven), "operation stats")),
        [
            Shape { buckets: vec![bucket(0, 1, 0), empty(1), empty(2)], ..client.clone() },
            Shape { counts: (2, 1), buckets: vec![bucket(0, 2, 1), empty(1), empty(2)], ..server.clone() },
        ],
        "{when}: [base, base + 25 s) in steps of 10 s: three buckets, the span at 25 s left out"
    );
    let finest_query = OperationStatsQuery::new(TimeRange::new(base, base + MAX_STATS_BUCKETS * SECOND), SECOND);
    let finest = answered(store.operation_stats(&finest_query), "operation stats of the most buckets allowed");
    let bucket_counts: Vec<usize> = finest.operations.iter().map(|series| series.buckets.len()).collect();
    assert_eq!(bucket_counts, [MAX_STATS_BUCKETS as usize; 3], "{when}: {MAX_STATS_BUCKETS} buckets of each series");

    let invalid = [
        ("a step of 0", OperationStatsQuery::new(minute.range, 0)),
        ("an end before the start", OperationStatsQuery::new(TimeRange::new(base + SECOND, base), SECOND)),
        (
            "one bucket more than MAX_STATS_BUCKETS",
            OperationStatsQuery::new(TimeRange::new(base, base + (MAX_STATS_BUCKETS + 1) * SECOND), SECOND),
        ),
    ];
    for (what, query) in invalid {
        match store.operation_stats(&query) {
            Err(StoreError::InvalidQuery { .. }) => {}
            other => panic!("{when}: operation stats with {what} answered {other:?}, not StoreError::InvalidQuery"),
        }
    }
}

fn shape(stats: &OperationStats) -> Vec<Shape<'_>> {
    let mut shapes = Vec::new();
    for series in &stats.operations {
        shapes.push(Shape {
            operation: (series.service.as_str(), series.operation.as_str(), series.kind),
            counts: (series.count, series.error_count),
            buckets: series
                .buckets
                .iter()
                .map(|bucket| (bucket.start_unix_nano, bucket.count, bucket.error_count))
                .collect(),
        });
    }
    shapes
}

/// [`Store::error_groups`] groups the error spans that started in the range by service,
/// span name and status message (an empty message is a group of its own); the largest groups
/// come first, groups of one size the most recent first; each names its first and last
/// start and at most [`ERROR_GROUP_TRACE_IDS`] distinct traces, those of its most recent
/// spans, newest first; `limit`, the range and the service filter are honoured. From memory,
/// then after [`Store::flush`].
pub fn error_groups_gather_failures_by_service_operation_and_message(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let at = |seconds: u64| base + seconds * SECOND;
    let mut id = 0;
    let mut failed = |trace: u128, name: &str, start: u64, status: Status| {
        id += 1;
        SpanData { status, ..span(trace, id, None, name, start, MILLI) }
    };
    let declined = || Status::error("card declined");
    let mut checkout = Vec::new();
    // Eight spans of six traces; traces 2 and 6 failed twice, trace 2 last of all.
    for (trace, seconds) in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (2, 8), (6, 7)] {
        checkout.push(failed(trace, "POST /orders", at(seconds), declined()));
    }
    checkout.push(failed(7, "POST /orders", base - 1, declined()));
    checkout.push(failed(8, "POST /orders", base + HOUR, declined()));
    for (trace, seconds) in [(9, 10), (10, 35), (11, 40)] {
        checkout.push(failed(trace, "GET /orders", at(seconds), declined()));
    }
    for (trace, seconds) in [(12, 20), (13, 25), (14, 30)] {
        checkout.push(failed(trace, "POST /orders", at(seconds), Status::error("timeout")));
    }
    checkout.push(failed(18, "POST /orders", at(9), Status::Ok));
    checkout.push(failed(19, "POST /orders", at(11), Status::Unset));
    let payments = vec![
        failed(15, "charge", at(12), declined()),
        failed(16, "charge", at(50), declined()),
        failed(17, "charge", at(15), Status::error("")),
    ];
    write(&store, spans(vec![(origin("checkout"), checkout), (origin("payments"), payments)]));
    assert_error_groups(&store, base, "from memory");
    flush(&store);
    assert_error_groups(&store, base, "after flush");
}

fn assert_error_groups(store: &impl Store, base: u64, when: &str) {
    let at = |seconds: u64| base + seconds * SECOND;
    let group =
        |service: &str, operation: &str, message: &str, count: u64, times: (u64, u64), traces: &[u128]| ErrorGroup {
            service: service.to_owned(),
            operation: operation.to_owned(),
            message: message.to_owned(),
            count,
            first_unix_nano: at(times.0),
            last_unix_nano: at(times.1),
            trace_ids: traces.iter().map(|&number| super::data::trace_id(number)).collect(),
        };
    let declined = group("checkout", "POST /orders", "card declined", 8, (1, 8), &[2, 6, 5, 4, 3]);
    let get = group("checkout", "GET /orders", "card declined", 3, (10, 40), &[11, 10, 9]);
    let timeout = group("checkout", "POST /orders", "timeout", 3, (20, 30), &[14, 13, 12]);
    let charge = group("payments", "charge", "card declined", 2, (12, 50), &[16, 15]);
    let unnamed = group("payments", "charge", "", 1, (15, 15), &[17]);
    assert_eq!(declined.trace_ids.len(), ERROR_GROUP_TRACE_IDS, "the case lists as many traces as a group holds");

    let hour = ErrorQuery { range: TimeRange::new(base, base + HOUR), ..ErrorQuery::default() };
    let cases = [
        (
            "[base, base + 1 h)",
            hour.clone(),
            vec![declined.clone(), get.clone(), timeout.clone(), charge.clone(), unnamed.clone()],
        ),
        ("[base, base + 1 h) with a limit of 2", ErrorQuery { limit: 2, ..hour.clone() }, vec![declined, get.clone()]),
        ("payments", ErrorQuery { service: Some("payments".into()), ..hour.clone() }, vec![charge, unnamed]),
        (
            "[base + 3 s, base + 7 s)",
            ErrorQuery { range: TimeRange::new(at(3), at(7)), ..hour.clone() },
            vec![group("checkout", "POST /orders", "card declined", 4, (3, 6), &[6, 5, 4, 3])],
        ),
        (
            "[base + 10 s, base + 31 s)",
            ErrorQuery { range: TimeRange::new(at(10), at(31)), ..hour },
            vec![
                timeout,
                group("payments", "charge", "", 1, (15, 15), &[17]),
                group("payments", "charge", "card declined", 1, (12, 12), &[15]),
                group("checkout", "GET /orders", "card declined", 1, (10, 10), &[9]),
            ],
        ),
    ];
    for (what, query, wanted) in cases {
        let groups = answered(store.error_groups(&query), "error groups");
        assert_eq!(
            names(&groups),
            names(&wanted),
            "{when}: the error groups (service, operation, message, count) of {what}, largest then most recent first"
        );
        for (got, group) in groups.iter().zip(&wanted) {
            assert_eq!(got, group, "{when}: in the error groups of {what}, the group of {:?}", group.message);
        }
    }
}

fn names(groups: &[ErrorGroup]) -> Vec<(&str, &str, &str, u64)> {
    groups
        .iter()
        .map(|group| (group.service.as_str(), group.operation.as_str(), group.message.as_str(), group.count))
        .collect()
}
