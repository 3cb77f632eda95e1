//! Calls between services: edges, their counts and durations, and which traces count.

use clew::{SpanData, SpanKind, Status};

use super::Harness;
use super::data::{
    HOUR, MILLI, SECOND, answered, assert_percentiles_near, base_time, flush, origin, span, spans, write,
};
use crate::{Dependency, Store, TimeRange};

/// [`Store::dependencies`] answers one edge per parent and child service, with the number
/// of calls, of calls whose callee span failed, and percentiles of the callee spans'
/// durations within [`PERCENTILE_RELATIVE_ERROR`](crate::PERCENTILE_RELATIVE_ERROR) of the
/// exact ones. A span whose parent is of its own service, or is not stored, is no call. Only
/// traces whose earliest span started in the range count, all of their calls (even one
/// that started after the range). The trait promises no order: the case sorts the edges by
/// parent, then child. From memory, then after [`Store::flush`].
pub fn dependencies_count_the_calls_between_services(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    write(&store, calls(base));
    assert_calls(&store, base, "from memory");
    flush(&store);
    assert_calls(&store, base, "after flush");
}

/// How long checkout's span of trace `n` lasts.
fn checkout_nanos(n: u64) -> u64 {
    n * 10 * MILLI + n * 12_345
}

/// How long payments' span of trace `n` (an even one) lasts.
fn payments_nanos(n: u64) -> u64 {
    n * MILLI + 777
}

/// Traces 1 to 10, a second apart from `base + 1 s`: frontend `GET /` → checkout
/// `POST /orders` (failing in trace 7) → checkout `validate`, and in even traces → payments
/// `charge` (failing in traces 4 and 8). Trace 11 starts just before `base` and calls
/// `legacy`; trace 12 starts at `base + 1 h` and calls `archive`; trace 13 starts 1 ms
/// before that and calls `search` 2 ms later; trace 14 is one `ledger` span whose parent is
/// not stored.
fn calls(base: u64) -> crate::WriteBatch {
    let (mut frontend, mut checkout, mut payments) = (Vec::new(), Vec::new(), Vec::new());
    for n in 1..=10_u64 {
        let trace = u128::from(n);
        let start = base + n * SECOND;
        frontend.push(SpanData { kind: SpanKind::Server, ..span(trace, 1, None, "GET /", start, 500 * MILLI) });
        let order = span(trace, 2, Some(1), "POST /orders", start + MILLI, checkout_nanos(n));
        let order_status = if n == 7 { Status::error("declined") } else { Status::Unset };
        checkout.push(SpanData { kind: SpanKind::Server, status: order_status, ..order });
        checkout.push(span(trace, 3, Some(2), "validate", start + 2 * MILLI, MILLI));
        if n % 2 == 0 {
            let charge_status = if n == 4 || n == 8 { Status::error("timeout") } else { Status::Unset };
            let charge = span(trace, 4, Some(2), "charge", start + 3 * MILLI, payments_nanos(n));
            payments.push(SpanData { kind: SpanKind::Client, status: charge_status, ..charge });
        }
    }
    let mut groups =
        vec![(origin("frontend"), frontend), (origin("checkout"), checkout), (origin("payments"), payments)];
    let edge_traces = [
        (11, base - MILLI, base + MILLI, "legacy"),
        (12, base + HOUR, base + HOUR + MILLI, "archive"),
        (13, base + HOUR - MILLI, base + HOUR + MILLI, "search"),
    ];
    for (trace, root_start, child_start, service) in edge_traces {
        groups.push((origin("frontend"), vec![span(trace, 1, None, "GET /", root_start, 10 * MILLI)]));
        groups.push((origin(service), vec![span(trace, 2, Some(1), "lookup", child_start, 2 * MILLI)]));
    }
    groups.push((origin("ledger"), vec![span(14, 2, Some(0x99), "post", base + 30 * SECOND, MILLI)]));
    spans(groups)
}

fn assert_calls(store: &impl Store, base: u64, when: &str) {
    let hour = TimeRange::new(base, base + HOUR);
    let edges = sorted_dependencies(store, hour);
    assert_eq!(
        counts(&edges),
        [("checkout", "payments", 5, 2), ("frontend", "checkout", 10, 1), ("frontend", "search", 1, 0)],
        "{when}: the edges (parent, child, calls, errors) of the traces that started in [base, base + 1 h)"
    );
    let payments: Vec<u64> = (2..=10).step_by(2).map(payments_nanos).collect();
    let checkout: Vec<u64> = (1..=10).map(checkout_nanos).collect();
    let durations = [payments, checkout, vec![2 * MILLI]];
    for (edge, wanted) in edges.iter().zip(&durations) {
        let what = format!("{when}: the durations of {} → {}", edge.parent, edge.child);
        assert_percentiles_near(edge.durations, wanted, &what);
    }

    let fifth = sorted_dependencies(store, TimeRange::new(base + 5 * SECOND, base + 6 * SECOND));
    assert_eq!(
        counts(&fifth),
        [("frontend", "checkout", 1, 0)],
        "{when}: the edges of [base + 5 s, base + 6 s), where trace 5 alone started"
    );
    if let Some(edge) = fifth.first() {
        assert_percentiles_near(edge.durations, &[checkout_nanos(5)], &format!("{when}: the durations of trace 5"));
    }
    let before = sorted_dependencies(store, TimeRange::new(base - HOUR, base - MILLI));
    assert!(before.is_empty(), "{when}: the edges of an hour before any trace started: {before:?}");
}

/// A call whose two spans were written out at different times (the caller's span on disk,
/// the callee's arriving later) is counted as a call all the same: an edge is a property of
/// the trace, wherever its spans are kept. A trace whose earliest span started before the
/// range does not count, even when its later spans arrived apart from it.
pub fn a_call_is_counted_when_its_two_spans_were_written_out_apart(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let server = |data: SpanData| SpanData { kind: SpanKind::Server, ..data };
    write(
        &store,
        spans(vec![(
            origin("frontend"),
            vec![
                server(span(1, 1, None, "GET /", base + SECOND, 50 * MILLI)),
                server(span(2, 1, None, "GET /", base - SECOND, 50 * MILLI)),
            ],
        )]),
    );
    flush(&store);
    write(
        &store,
        spans(vec![(
            origin("checkout"),
            vec![
                server(span(1, 2, Some(1), "POST /orders", base + SECOND + MILLI, 30 * MILLI)),
                server(span(2, 2, Some(1), "POST /orders", base + MILLI, 30 * MILLI)),
            ],
        )]),
    );
    let hour = TimeRange::new(base, base + HOUR);
    let wanted = [("frontend", "checkout", 1, 0)];
    let why = "trace 1's call, its caller on disk and its callee in memory; not trace 2's, which started before";
    assert_eq!(counts(&sorted_dependencies(&store, hour)), wanted, "with the caller written out first: {why}");
    flush(&store);
    assert_eq!(counts(&sorted_dependencies(&store, hour)), wanted, "with both written out apart: {why}");
}

/// The edges of `range`, by parent then child.
pub(super) fn sorted_dependencies(store: &impl Store, range: TimeRange) -> Vec<Dependency> {
    let mut edges = answered(store.dependencies(range), "dependencies");
    edges.sort_by(|a, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
    edges
}

/// Parent, child, calls and errors of each edge.
pub(super) fn counts(edges: &[Dependency]) -> Vec<(&str, &str, u64, u64)> {
    edges.iter().map(|edge| (edge.parent.as_str(), edge.child.as_str(), edge.call_count, edge.error_count)).collect()
}
