//! Answers over the life of a store: the same from memory and from disk, the same after a
//! restart, and gone past the retention.

use std::time::Duration;

use clew::{Event, KeyValue, Level, SpanData, SpanId, SpanKind, Status, TraceEvent};

use super::Harness;
use super::data::{
    DAY, HOUR, MILLI, MINUTE, SECOND, answered, base_time, flush, found, now_unix_nano, numbers, origin, origin_with,
    span, trace_id, whole_trace, write,
};
use super::dependencies::{counts, sorted_dependencies};
use crate::{
    Dependency, ErrorGroup, ErrorQuery, Operation, OperationStats, OperationStatsQuery, SearchQuery, Store, TimeRange,
    TraceData, TraceRecord, TraceSummary, WriteBatch,
};

/// A data set is written (half of it written out with [`Store::flush`], half in memory),
/// every answer is taken, the store is restarted ([`Harness::reopen`]), and every answer is
/// the same: traces, searches, services, operations, dependencies, operation stats and
/// error groups.
pub fn answers_survive_a_restart(harness: &mut impl Harness) {
    let base = base_time();
    let mut store = harness.open();
    write(&store, shop(base, 1..=3));
    flush(&store);
    write(&store, shop(base, 4..=6));
    let before = Answers::of(&store, base);
    before.assert_expected("before the restart");
    store = harness.reopen(store);
    Answers::of(&store, base).assert_same_as(&before, "after a restart");
}

/// A data set is written to memory, every answer is taken, the store writes it out with
/// [`Store::flush`], and every answer is the same.
pub fn answers_are_the_same_from_memory_and_from_disk(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    write(&store, shop(base, 1..=6));
    let from_memory = Answers::of(&store, base);
    from_memory.assert_expected("from memory");
    flush(&store);
    Answers::of(&store, base).assert_same_as(&from_memory, "from disk, after flush");
}

/// A trace that ended two days ago and a recent one; [`Harness::apply_retention`] with a
/// day: the old trace is gone from [`Store::trace`] and [`Store::search`], the recent one
/// stays whole. The old trace is written out before the recent one arrives, as it would
/// have been two days ago.
pub fn retention_deletes_what_ended_before_it(harness: &mut impl Harness) {
    let base = base_time();
    let now = now_unix_nano();
    let old_end = (now - now % HOUR) - 2 * DAY;
    let old_start = old_end - 10 * MINUTE;
    let mut store = harness.open();
    let old = WriteBatch {
        spans: vec![(
            origin("archive"),
            vec![
                SpanData { kind: SpanKind::Server, ..span(1, 1, None, "GET /old", old_start, 10 * MINUTE) },
                span(1, 2, Some(1), "read", old_start + SECOND, SECOND),
            ],
        )],
        records: vec![(origin("archive"), vec![event(1, old_start + 5, "old.event")])],
    };
    write(&store, old);
    flush(&store);
    let recent = WriteBatch {
        spans: vec![(
            origin("archive"),
            vec![
                SpanData { kind: SpanKind::Server, ..span(2, 1, None, "GET /new", base, SECOND) },
                span(2, 2, Some(1), "read", base + MILLI, MILLI),
            ],
        )],
        records: vec![(origin("archive"), vec![event(2, base + 5, "new.event")])],
    };
    write(&store, recent);
    let recent_trace = whole_trace(&store, 2, "before retention");
    assert_eq!(found(&store, &SearchQuery::default()), [2, 1], "before retention, both traces are found");

    store = harness.apply_retention(store, Duration::from_secs(24 * 3600));
    assert_eq!(
        answered(store.trace(trace_id(1)), "trace").map(|trace| trace.spans.len()),
        None,
        "the trace that ended two days ago, after a retention of one day (the number of its spans still answered)"
    );
    let old_range = TimeRange::new(old_start - HOUR, old_end + HOUR);
    let old_query = SearchQuery { range: old_range, ..SearchQuery::default() };
    assert_eq!(found(&store, &old_query), Vec::<u128>::new(), "a search of the day two days ago, after retention");
    assert_eq!(found(&store, &SearchQuery::default()), [2], "a search of everything, after retention");
    assert_eq!(whole_trace(&store, 2, "after retention"), recent_trace, "the recent trace, after retention");
}

fn event(trace: u128, time: u64, name: &str) -> TraceRecord {
    TraceRecord::TraceEvent(TraceEvent {
        trace_id: trace_id(trace),
        time_unix_nano: time,
        level: Level::Info,
        name: name.to_owned().into(),
        attributes: vec![KeyValue::new("note", "kept")],
    })
}

/// Orders `numbers`, each a second apart from `base + 1 s`: frontend `GET /checkout` →
/// checkout `POST /orders` (failing in orders 3 and 6, `tenant` alternating) → in even orders
/// payments `charge` (failing in order 6); with a trace event and a span log each.
fn shop(base: u64, numbers: std::ops::RangeInclusive<u64>) -> WriteBatch {
    let frontend = origin_with("frontend", [KeyValue::new("deployment.environment", "prod")]);
    let (checkout, payments) = (origin("checkout"), origin("payments"));
    let mut batch = WriteBatch::default();
    for n in numbers {
        let trace = u128::from(n);
        let start = base + n * SECOND;
        let status_code = if n % 3 == 0 { 502_i64 } else { 200 };
        let page = SpanData {
            kind: SpanKind::Server,
            attributes: vec![KeyValue::new("http.response.status_code", status_code)],
            ..span(trace, 1, None, "GET /checkout", start, (100 + n) * MILLI)
        };
        let order = SpanData {
            kind: SpanKind::Server,
            status: if n % 3 == 0 { Status::error("declined") } else { Status::Ok },
            attributes: vec![KeyValue::new("tenant", if n % 2 == 0 { "acme" } else { "globex" })],
            ..span(trace, 2, Some(1), "POST /orders", start + MILLI, (50 + n) * MILLI)
        };
        batch.spans.push((frontend.clone(), vec![page]));
        batch.spans.push((checkout.clone(), vec![order]));
        if n % 2 == 0 {
            let status = if n == 6 { Status::error("timeout") } else { Status::Unset };
            let charge = span(trace, 3, Some(2), "charge", start + 2 * MILLI, 20 * MILLI);
            batch.spans.push((payments.clone(), vec![SpanData { kind: SpanKind::Client, status, ..charge }]));
        }
        let log = TraceRecord::SpanLog {
            trace_id: trace_id(trace),
            span_id: SpanId::from_u64(2),
            event: Event {
                name: "order stored".into(),
                time_unix_nano: start + 7,
                level: Some(Level::Info),
                attributes: Vec::new(),
                dropped_attributes_count: 0,
            },
        };
        batch.records.push((frontend.clone(), vec![event(trace, start + 5, "order.received")]));
        batch.records.push((checkout.clone(), vec![log]));
    }
    batch
}

/// Every answer a store gives about the [`shop`] data set.
#[derive(Debug, PartialEq)]
struct Answers {
    /// Orders 1 to 6, and trace 99 of which nothing was written.
    traces: Vec<Option<TraceData>>,
    searches: Vec<(&'static str, Vec<TraceSummary>)>,
    services: Vec<String>,
    operations: Vec<(&'static str, Vec<Operation>)>,
    dependencies: Vec<Dependency>,
    operation_stats: OperationStats,
    error_groups: Vec<ErrorGroup>,
}

impl Answers {
    fn of(store: &impl Store, base: u64) -> Answers {
        let minute = TimeRange::new(base, base + MINUTE);
        let search = |what: &'static str, query: SearchQuery| (what, answered(store.search(&query), "search"));
        let text = |key: &str, value: &str| vec![(key.to_owned(), value.to_owned())];
        Answers {
            traces: [1, 2, 3, 4, 5, 6, 99].iter().map(|&n| answered(store.trace(trace_id(n)), "trace")).collect(),
            searches: vec![
                search("everything", SearchQuery::default()),
                search("errors", SearchQuery { errors_only: true, ..SearchQuery::default() }),
                search("payments", SearchQuery { service: Some("payments".into()), ..SearchQuery::default() }),
                search("tenant acme", SearchQuery { attributes: text("tenant", "acme"), ..SearchQuery::default() }),
                search(
                    "status 502",
                    SearchQuery { attributes: text("http.response.status_code", "502"), ..SearchQuery::default() },
                ),
                search(
                    "[2 s, 5 s)",
                    SearchQuery {
                        range: TimeRange::new(base + 2 * SECOND, base + 5 * SECOND),
                        ..SearchQuery::default()
                    },
                ),
                search("a limit of 2", SearchQuery { limit: 2, ..SearchQuery::default() }),
            ],
            services: answered(store.services(), "services"),
            operations: ["checkout", "frontend", "payments", "nobody"]
                .into_iter()
                .map(|service| (service, answered(store.operations(service), "operations")))
                .collect(),
            dependencies: sorted_dependencies(store, minute),
            operation_stats: answered(
                store.operation_stats(&OperationStatsQuery::new(minute, 2 * SECOND)),
                "operation stats",
            ),
            error_groups: answered(
                store.error_groups(&ErrorQuery { range: minute, ..ErrorQuery::default() }),
                "error groups",
            ),
        }
    }

    /// Checks a few exact facts of the answers, so that two empty answers are not the same
    /// by accident.
    fn assert_expected(&self, when: &str) {
        let span_counts: Vec<Option<usize>> =
            self.traces.iter().map(|trace| trace.as_ref().map(|trace| trace.spans.len())).collect();
        assert_eq!(
            span_counts,
            [Some(2), Some(3), Some(2), Some(3), Some(2), Some(3), None],
            "{when}: the span counts of orders 1 to 6 and of an unknown trace"
        );
        let searches: Vec<(&str, Vec<u128>)> =
            self.searches.iter().map(|(what, summaries)| (*what, numbers(summaries))).collect();
        assert_eq!(
            searches,
            [
                ("everything", vec![6, 5, 4, 3, 2, 1]),
                ("errors", vec![6, 3]),
                ("payments", vec![6, 4, 2]),
                ("tenant acme", vec![6, 4, 2]),
                ("status 502", vec![6, 3]),
                ("[2 s, 5 s)", vec![4, 3, 2]),
                ("a limit of 2", vec![6, 5]),
            ],
            "{when}: the traces searches found"
        );
        assert_eq!(self.services, ["checkout", "frontend", "payments"], "{when}: the services");
        assert_eq!(
            counts(&self.dependencies),
            [("checkout", "payments", 3, 1), ("frontend", "checkout", 6, 2)],
            "{when}: the dependencies"
        );
        let series: Vec<(&str, u64, u64)> = self
            .operation_stats
            .operations
            .iter()
            .map(|series| (series.operation.as_str(), series.count, series.error_count))
            .collect();
        assert_eq!(series, [("POST /orders", 6, 2), ("GET /checkout", 6, 0), ("charge", 3, 1)], "{when}: the stats");
        let groups: Vec<(&str, u64)> =
            self.error_groups.iter().map(|group| (group.message.as_str(), group.count)).collect();
        assert_eq!(groups, [("declined", 2), ("timeout", 1)], "{when}: the error groups");
    }

    /// Checks each answer against the same one taken earlier.
    fn assert_same_as(&self, earlier: &Answers, when: &str) {
        for (number, (now, before)) in [1, 2, 3, 4, 5, 6, 99].iter().zip(self.traces.iter().zip(&earlier.traces)) {
            assert_eq!(now, before, "{when}: trace {number}");
        }
        for ((what, now), (_, before)) in self.searches.iter().zip(&earlier.searches) {
            assert_eq!(now, before, "{when}: the search of {what}");
        }
        assert_eq!(self.services, earlier.services, "{when}: the services");
        assert_eq!(self.operations, earlier.operations, "{when}: the operations");
        assert_eq!(self.dependencies, earlier.dependencies, "{when}: the dependencies");
        assert_eq!(self.operation_stats, earlier.operation_stats, "{when}: the operation stats");
        assert_eq!(self.error_groups, earlier.error_groups, "{when}: the error groups");
        assert_eq!(self, earlier, "{when}: every answer");
    }
}
