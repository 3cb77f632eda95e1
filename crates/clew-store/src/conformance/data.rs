//! What the cases build their data from, and the checks they share.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};

use crate::{
    Origin, PERCENTILE_RELATIVE_ERROR, Percentiles, SearchQuery, Store, StoreError, TraceData, TraceSummary, WriteBatch,
};

pub(super) const MILLI: u64 = 1_000_000;
pub(super) const SECOND: u64 = 1_000 * MILLI;
pub(super) const MINUTE: u64 = 60 * SECOND;
pub(super) const HOUR: u64 = 60 * MINUTE;
pub(super) const DAY: u64 = 24 * HOUR;

/// The instrumentation scope of every span the cases write.
pub(super) const SCOPE: &str = "clew.conformance";

/// Now, in Unix nanoseconds.
pub(super) fn now_unix_nano() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
}

/// The time a case's data starts at: three hours before the last whole hour. A retention
/// of a day keeps everything a case writes after it, and nothing of it is in the future.
pub(super) fn base_time() -> u64 {
    let now = now_unix_nano();
    (now - now % HOUR).saturating_sub(3 * HOUR)
}

/// The origin of a service's spans: a resource with `service.name` and `attributes`.
pub(super) fn origin_with(service: &str, attributes: impl IntoIterator<Item = KeyValue>) -> Origin {
    let mut resource = Resource::new([KeyValue::new("service.name", service.to_owned())]);
    for attribute in attributes {
        resource.set(attribute);
    }
    Origin { resource: Arc::new(resource), scope: SCOPE.into() }
}

/// The origin of a service's spans, with no other resource attribute.
pub(super) fn origin(service: &str) -> Origin {
    origin_with(service, [])
}

/// The trace with number `number`.
pub(super) fn trace_id(number: u128) -> TraceId {
    TraceId::from_u128(number)
}

/// A span with its ids, name and times set, and nothing else: internal, status unset, no
/// attributes. Cases set the fields they need with `SpanData { …, ..span(…) }`.
pub(super) fn span(trace: u128, id: u64, parent: Option<u64>, name: &str, start: u64, duration: u64) -> SpanData {
    SpanData {
        trace_id: trace_id(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: parent.map(SpanId::from_u64),
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.to_owned().into(),
        kind: SpanKind::Internal,
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + duration,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// A batch of spans only.
pub(super) fn spans(groups: Vec<(Origin, Vec<SpanData>)>) -> WriteBatch {
    WriteBatch { spans: groups, records: Vec::new() }
}

/// The answer of a store call, or a panic that names the call and the store's error.
pub(super) fn answered<T>(result: Result<T, StoreError>, what: &str) -> T {
    match result {
        Ok(answer) => answer,
        Err(error) => panic!("{what}: the store failed: {error}"),
    }
}

/// Writes a batch.
pub(super) fn write(store: &impl Store, batch: WriteBatch) {
    answered(store.write(batch), "write");
}

/// Makes what the store buffers durable in its long-term form.
pub(super) fn flush(store: &impl Store) {
    answered(store.flush(), "flush");
}

/// The stored trace, or a panic when the store has nothing of it.
pub(super) fn whole_trace(store: &impl Store, number: u128, when: &str) -> TraceData {
    match answered(store.trace(trace_id(number)), "trace") {
        Some(trace) => trace,
        None => panic!("{when}: trace {number} answered None, though its spans were written"),
    }
}

/// The trace numbers of search results, in their order.
pub(super) fn numbers(summaries: &[TraceSummary]) -> Vec<u128> {
    summaries.iter().map(|summary| summary.trace_id.to_u128()).collect()
}

/// The trace numbers a search answers, in their order.
pub(super) fn found(store: &impl Store, query: &SearchQuery) -> Vec<u128> {
    numbers(&answered(store.search(query), "search"))
}

/// The exact nearest-rank 50th, 95th and 99th percentiles of some durations.
pub(super) fn exact_percentiles(durations: &[u64]) -> Option<Percentiles> {
    let mut sorted = durations.to_vec();
    sorted.sort_unstable();
    let nearest_rank = |percent: usize| -> Option<u64> {
        let rank = (sorted.len() * percent).div_ceil(100).max(1);
        sorted.get(rank - 1).copied()
    };
    Some(Percentiles { p50_nanos: nearest_rank(50)?, p95_nanos: nearest_rank(95)?, p99_nanos: nearest_rank(99)? })
}

/// Checks that `answer` is within [`PERCENTILE_RELATIVE_ERROR`] of the exact percentiles of
/// `durations`, and `None` when there are none.
pub(super) fn assert_percentiles_near(answer: Option<Percentiles>, durations: &[u64], what: &str) {
    let Some(exact) = exact_percentiles(durations) else {
        assert_eq!(answer, None, "{what}: no durations, yet percentiles were answered");
        return;
    };
    let Some(answer) = answer else {
        panic!("{what}: no percentiles answered, the exact ones are {exact:?}");
    };
    let pairs = [
        ("p50", answer.p50_nanos, exact.p50_nanos),
        ("p95", answer.p95_nanos, exact.p95_nanos),
        ("p99", answer.p99_nanos, exact.p99_nanos),
    ];
    for (name, given, wanted) in pairs {
        let bound = wanted as f64 * PERCENTILE_RELATIVE_ERROR;
        assert!(
            given.abs_diff(wanted) as f64 <= bound,
            "{what}: {name} is {given} ns, the exact one is {wanted} ns, more than {PERCENTILE_RELATIVE_ERROR} of it apart"
        );
    }
}
