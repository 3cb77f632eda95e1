//! A span that arrives more than once (an exporter retried a batch the store had already
//! taken) is one span in [`Store::trace`] wherever its copies are kept, and one span in
//! every sum when its copies reached the store before the same [`Store::flush`]: the
//! contract of [`Store`] on repeated spans.

use clew::{SpanData, SpanKind, Status};

use super::Harness;
use super::data::{HOUR, MILLI, MINUTE, SECOND, answered, base_time, flush, origin, span, spans, trace_id, write};
use super::dependencies::{counts, sorted_dependencies};
use crate::{ErrorQuery, OperationStatsQuery, SearchQuery, Store, TimeRange, TraceSummary};

/// A trace's failing child span is written three times before [`Store::flush`]: twice in
/// one batch, once more in a retry. [`Store::trace`] answers it once, and so does every sum:
/// the search summary's span and error counts and services, the operation stats, the error
/// group and the call between the services; from memory, then after the flush. The case
/// lists every answer that counted it more than once.
///
/// A fourth copy then arrives after the flush. The contract lets the sums count a copy
/// written after an earlier one was flushed, until the engine merges where it keeps them, so
/// the case asks only [`Store::trace`] from then on: one copy with the fourth in memory,
/// after another flush, and after a restart.
pub fn a_span_written_twice_is_counted_once(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let root = SpanData { kind: SpanKind::Server, ..span(1, 1, None, "GET /", base + SECOND, 100 * MILLI) };
    let order = SpanData {
        kind: SpanKind::Server,
        status: Status::error("declined"),
        ..span(1, 2, Some(1), "POST /orders", base + SECOND + MILLI, 50 * MILLI)
    };
    write(
        &store,
        spans(vec![(origin("frontend"), vec![root]), (origin("checkout"), vec![order.clone(), order.clone()])]),
    );
    write(&store, spans(vec![(origin("checkout"), vec![order.clone()])]));
    let mut problems = counted_more_than_once(&store, base, "from memory");
    flush(&store);
    problems.extend(counted_more_than_once(&store, base, "after flush"));
    assert!(problems.is_empty(), "a span written three times was counted more than once:\n{}", problems.join("\n"));

    write(&store, spans(vec![(origin("checkout"), vec![order])]));
    assert_one_copy(&store, "with a copy on disk and one in memory");
    flush(&store);
    assert_one_copy(&store, "with copies written out by two flushes");
    let store = harness.reopen(store);
    assert_one_copy(&store, "after a restart");
}

/// Checks that [`Store::trace`] answers trace 1's two spans, each once.
fn assert_one_copy(store: &impl Store, when: &str) {
    let spans = answered(store.trace(trace_id(1)), "trace").map(|trace| trace.spans.len());
    assert_eq!(spans, Some(2), "{when}: trace 1 has 2 spans, its repeated child answered once");
}

/// What counted the repeated span more than once.
fn counted_more_than_once(store: &impl Store, base: u64, when: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |what: &str, same: bool, answer: String| {
        if !same {
            problems.push(format!("{when}: {what}: {answer}"));
        }
    };
    let span_count = answered(store.trace(trace_id(1)), "trace").map(|trace| trace.spans.len());
    check("trace 1 has 2 spans", span_count == Some(2), format!("{span_count:?} spans"));

    let summary = TraceSummary {
        trace_id: trace_id(1),
        root_service: "frontend".into(),
        root_operation: "GET /".into(),
        root_found: true,
        start_unix_nano: base + SECOND,
        duration_nanos: 100 * MILLI,
        span_count: 2,
        error_count: 1,
        services: vec![("checkout".into(), 1), ("frontend".into(), 1)],
    };
    let found = answered(store.search(&SearchQuery::default()), "search");
    check("search answers one summary of 2 spans, 1 error", found == [summary], format!("{found:?}"));

    let hour = TimeRange::new(base, base + HOUR);
    let stats = answered(store.operation_stats(&OperationStatsQuery::new(hour, MINUTE)), "operation stats");
    let series: Vec<(&str, u64, u64)> =
        stats.operations.iter().map(|series| (series.operation.as_str(), series.count, series.error_count)).collect();
    let wanted = [("POST /orders", 1, 1), ("GET /", 1, 0)];
    check("operation stats count POST /orders once", series == wanted, format!("{series:?}"));

    let groups = answered(store.error_groups(&ErrorQuery { range: hour, ..ErrorQuery::default() }), "error groups");
    let sizes: Vec<(&str, u64, usize)> =
        groups.iter().map(|group| (group.operation.as_str(), group.count, group.trace_ids.len())).collect();
    check(
        "the error group of POST /orders has 1 span of 1 trace",
        sizes == [("POST /orders", 1, 1)],
        format!("{sizes:?}"),
    );

    let edges = sorted_dependencies(store, hour);
    let calls = counts(&edges);
    check(
        "frontend called checkout once, and it failed",
        calls == [("frontend", "checkout", 1, 1)],
        format!("{calls:?}"),
    );
    problems
}
