//! Search and the lists of names: every condition, the order, the limit, the summaries.

use clew::{KeyValue, SpanData, SpanKind, Status, Value};

use super::Harness;
use super::data::{
    MILLI, SECOND, answered, base_time, flush, found, origin, origin_with, span, spans, trace_id, write,
};
use crate::{LABEL_KEY, Operation, Origin, SearchQuery, Store, TimeRange, TraceSummary};

/// Every condition of a [`SearchQuery`], alone and together: service, operation, kind,
/// attributes as text (a string, an integer matched by its text `200`, a resource attribute,
/// `error` = `true`, the span label under [`LABEL_KEY`]), errors only, the least and most
/// duration (both included), the range (its start included, its end not, and
/// [`TimeRange::through`] including its last); every condition met by one span, not spread
/// over the trace; results newest first, `limit` keeping the newest; and every
/// [`TraceSummary`] field exact. From memory, then after [`Store::flush`].
pub fn search_applies_every_condition_and_answers_newest_first(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    write(&store, search_traces(base));
    assert_search_answers(&store, base, "from memory");
    flush(&store);
    assert_search_answers(&store, base, "after flush");
}

/// Five traces, a second apart from `base + 1 s`:
///
/// 1. frontend `GET /home` (server, 10 ms, `http.response.status_code` = 200 as an integer);
/// 2. frontend `GET /checkout` (server, 300 ms) → checkout `POST /orders` (client, 250 ms,
///    `tenant` = `acme`, label `STEP`) → payments `charge` (200 ms, error `card declined`);
/// 3. checkout `POST /orders` (server, 50 ms, status ok, `retries` = 3, label `MASTER`);
/// 4. payments `refund` (consumer, 5 ms, `tenant` = `globex`, `http.response.status_code` =
///    "200" as a string);
/// 5. checkout `consume` (consumer, 20 ms, its parent not stored) → `process` (30 ms).
///
/// Frontend and checkout run in `deployment.environment` `prod`, payments in `staging`.
fn search_traces(base: u64) -> crate::WriteBatch {
    let frontend = origin_with("frontend", [KeyValue::new("deployment.environment", "prod")]);
    let checkout = origin_with("checkout", [KeyValue::new("deployment.environment", "prod")]);
    let payments = origin_with("payments", [KeyValue::new("deployment.environment", "staging")]);
    let at = |seconds: u64| base + seconds * SECOND;
    let home = SpanData {
        kind: SpanKind::Server,
        attributes: vec![KeyValue::new("http.response.status_code", 200_i64), KeyValue::new("http.route", "/home")],
        ..span(1, 1, None, "GET /home", at(1), 10 * MILLI)
    };
    let checkout_page = SpanData { kind: SpanKind::Server, ..span(2, 1, None, "GET /checkout", at(2), 300 * MILLI) };
    let order = SpanData {
        kind: SpanKind::Client,
        label: Some("STEP".into()),
        attributes: vec![KeyValue::new("tenant", "acme")],
        ..span(2, 2, Some(1), "POST /orders", at(2) + 10 * MILLI, 250 * MILLI)
    };
    let charge = SpanData {
        status: Status::error("card declined"),
        ..span(2, 3, Some(2), "charge", at(2) + 20 * MILLI, 200 * MILLI)
    };
    let direct_order = SpanData {
        kind: SpanKind::Server,
        status: Status::Ok,
        label: Some("MASTER".into()),
        attributes: vec![KeyValue::new("retries", 3_i64)],
        ..span(3, 1, None, "POST /orders", at(3), 50 * MILLI)
    };
    let refund = SpanData {
        kind: SpanKind::Consumer,
        attributes: vec![
            KeyValue::new("tenant", "globex"),
            KeyValue { key: "http.response.status_code".into(), value: Value::String("200".into()) },
        ],
        ..span(4, 1, None, "refund", at(4), 5 * MILLI)
    };
    let consume = SpanData { kind: SpanKind::Consumer, ..span(5, 1, Some(0x99), "consume", at(5), 20 * MILLI) };
    let process = span(5, 2, Some(1), "process", at(5) + MILLI, 30 * MILLI);
    spans(vec![
        (frontend, vec![home, checkout_page]),
        (checkout, vec![order, direct_order, consume, process]),
        (payments, vec![charge, refund]),
    ])
}

/// The summaries of the five traces of [`search_traces`], newest first.
fn search_summaries(base: u64) -> Vec<TraceSummary> {
    let summary =
        |number: u128, root: (&str, &str, bool), duration: u64, counts: (u64, u64), services: &[(&str, u64)]| {
            TraceSummary {
                trace_id: trace_id(number),
                root_service: root.0.to_owned(),
                root_operation: root.1.to_owned(),
                root_found: root.2,
                start_unix_nano: base + number as u64 * SECOND,
                duration_nanos: duration,
                span_count: counts.0,
                error_count: counts.1,
                services: services.iter().map(|&(service, count)| (service.to_owned(), count)).collect(),
            }
        };
    vec![
        summary(5, ("checkout", "consume", false), 31 * MILLI, (2, 0), &[("checkout", 2)]),
        summary(4, ("payments", "refund", true), 5 * MILLI, (1, 0), &[("payments", 1)]),
        summary(3, ("checkout", "POST /orders", true), 50 * MILLI, (1, 0), &[("checkout", 1)]),
        summary(
            2,
            ("frontend", "GET /checkout", true),
            300 * MILLI,
            (3, 1),
            &[("checkout", 1), ("frontend", 1), ("payments", 1)],
        ),
        summary(1, ("frontend", "GET /home", true), 10 * MILLI, (1, 0), &[("frontend", 1)]),
    ]
}

fn assert_search_answers(store: &impl Store, base: u64, when: &str) {
    let all = answered(store.search(&SearchQuery::default()), "search");
    let expected = search_summaries(base);
    assert_eq!(super::data::numbers(&all), [5, 4, 3, 2, 1], "{when}: a search without conditions, newest first");
    for (got, wanted) in all.iter().zip(&expected) {
        assert_eq!(got, wanted, "{when}: the summary of trace {}", wanted.trace_id.to_u128());
    }
    let payments = answered(store.search(&query(|q| q.service = Some("payments".into()))), "search");
    assert_eq!(
        payments,
        [expected[1].clone(), expected[3].clone()],
        "{when}: a search by service answers the summaries of whole traces, not of the matching spans"
    );

    let text = |key: &str, value: &str| (key.to_owned(), value.to_owned());
    let at = |seconds: u64| base + seconds * SECOND;
    let cases: Vec<(&str, SearchQuery, Vec<u128>)> = vec![
        ("service frontend", query(|q| q.service = Some("frontend".into())), vec![2, 1]),
        ("a service of which nothing was written", query(|q| q.service = Some("nobody".into())), vec![]),
        ("operation POST /orders", query(|q| q.operation = Some("POST /orders".into())), vec![3, 2]),
        ("kind client", query(|q| q.kind = Some(SpanKind::Client)), vec![2]),
        ("kind consumer", query(|q| q.kind = Some(SpanKind::Consumer)), vec![5, 4]),
        (
            "service frontend and operation POST /orders, which no one span has",
            query(|q| {
                q.service = Some("frontend".into());
                q.operation = Some("POST /orders".into());
            }),
            vec![],
        ),
        ("attribute tenant = acme", query(|q| q.attributes = vec![text("tenant", "acme")]), vec![2]),
        ("attribute tenant = initech", query(|q| q.attributes = vec![text("tenant", "initech")]), vec![]),
        (
            "attribute http.response.status_code = 200, an integer in trace 1 and a string in trace 4",
            query(|q| q.attributes = vec![text("http.response.status_code", "200")]),
            vec![4, 1],
        ),
        ("attribute retries = 3, an integer", query(|q| q.attributes = vec![text("retries", "3")]), vec![3]),
        (
            "resource attribute deployment.environment = staging",
            query(|q| q.attributes = vec![text("deployment.environment", "staging")]),
            vec![4, 2],
        ),
        ("attribute error = true", query(|q| q.attributes = vec![text("error", "true")]), vec![2]),
        (
            "tenant = acme and a resource in prod, on one span",
            query(|q| q.attributes = vec![text("tenant", "acme"), text("deployment.environment", "prod")]),
            vec![2],
        ),
        (
            "tenant = acme and a resource in staging, which no one span has",
            query(|q| q.attributes = vec![text("tenant", "acme"), text("deployment.environment", "staging")]),
            vec![],
        ),
        ("label STEP", query(|q| q.attributes = vec![text(LABEL_KEY, "STEP")]), vec![2]),
        ("label MASTER", query(|q| q.attributes = vec![text(LABEL_KEY, "MASTER")]), vec![3]),
        ("errors only", query(|q| q.errors_only = true), vec![2]),
        (
            "errors only of frontend, whose spans did not fail",
            query(|q| {
                q.errors_only = true;
                q.service = Some("frontend".into());
            }),
            vec![],
        ),
        ("at least 250 ms", query(|q| q.min_duration_nanos = Some(250 * MILLI)), vec![2]),
        (
            "checkout spans of at least 250 ms (one lasted exactly that)",
            query(|q| {
                q.service = Some("checkout".into());
                q.min_duration_nanos = Some(250 * MILLI);
            }),
            vec![2],
        ),
        (
            "checkout spans of at least 250 ms and 1 ns",
            query(|q| {
                q.service = Some("checkout".into());
                q.min_duration_nanos = Some(250 * MILLI + 1);
            }),
            vec![],
        ),
        ("at most 5 ms (one lasted exactly that)", query(|q| q.max_duration_nanos = Some(5 * MILLI)), vec![4]),
        (
            "exactly 10 ms",
            query(|q| {
                q.min_duration_nanos = Some(10 * MILLI);
                q.max_duration_nanos = Some(10 * MILLI);
            }),
            vec![1],
        ),
        (
            "the range [3 s, 4 s): trace 3 starts at its start, trace 4 at its end",
            query(|q| q.range = TimeRange::new(at(3), at(4))),
            vec![3],
        ),
        (
            "TimeRange::through(3 s, 4 s), which includes 4 s",
            query(|q| q.range = TimeRange::through(at(3), at(4))),
            vec![4, 3],
        ),
        (
            "payments in [2 s, 3 s)",
            query(|q| {
                q.service = Some("payments".into());
                q.range = TimeRange::new(at(2), at(3));
            }),
            vec![2],
        ),
        ("a range before everything", query(|q| q.range = TimeRange::new(base, at(1))), vec![]),
        ("a limit of 2 keeps the newest", query(|q| q.limit = 2), vec![5, 4]),
        (
            "checkout with a limit of 2",
            query(|q| {
                q.service = Some("checkout".into());
                q.limit = 2;
            }),
            vec![5, 3],
        ),
    ];
    for (what, search, wanted) in cases {
        assert_eq!(found(store, &search), wanted, "{when}: search by {what}");
    }
}

/// The default query (every trace, 20 at most) with some conditions set.
fn query(set: impl FnOnce(&mut SearchQuery)) -> SearchQuery {
    let mut query = SearchQuery::default();
    set(&mut query);
    query
}

/// With `limit`, search keeps the traces that started last, by their earliest span: a trace
/// whose earliest span was written out to disk before a later span of it arrived is as old
/// as that earliest span, even when only the later span meets the conditions.
pub fn search_ranks_a_trace_by_its_earliest_span_wherever_that_is_kept(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let (frontend, worker) = (origin("frontend"), origin("worker"));
    // Trace 1 starts at 1 s; its worker span at 10 s arrives after the rest was written out.
    // Trace 2, all of it a worker span, starts at 5 s: it is the newer one.
    let slow = SpanData { kind: SpanKind::Server, ..span(1, 1, None, "GET /slow", base + SECOND, 20 * SECOND) };
    let job = span(2, 1, None, "job", base + 5 * SECOND, MILLI);
    write(&store, spans(vec![(frontend, vec![slow]), (worker.clone(), vec![job])]));
    flush(&store);
    let late = span(1, 2, Some(1), "late job", base + 10 * SECOND, MILLI);
    write(&store, spans(vec![(worker, vec![late])]));

    let by_worker = |limit: usize| {
        query(|q| {
            q.service = Some("worker".into());
            q.limit = limit;
        })
    };
    let both = answered(store.search(&by_worker(2)), "search");
    assert_eq!(super::data::numbers(&both), [2, 1], "the worker's traces, newest first by their earliest span");
    assert_eq!(
        both.get(1).map(|summary| (summary.start_unix_nano, summary.span_count, summary.root_operation.as_str())),
        Some((base + SECOND, 2, "GET /slow")),
        "trace 1 is summed up whole: its start, span count and root"
    );
    assert_eq!(
        found(&store, &by_worker(1)),
        [2],
        "a limit of 1 keeps trace 2, which started at 5 s, not trace 1, which started at 1 s (its span that \
         matched started at 10 s)"
    );
}

/// [`Store::services`] lists every service, sorted, the one of a resource without
/// `service.name` as `unknown_service`; [`Store::operations`] lists a service's span names
/// with their kinds, sorted, each once, a name with two kinds twice; a service of which
/// nothing was written has none. From memory, with part on disk, and all on disk.
pub fn services_and_operations_are_listed_sorted(harness: &mut impl Harness) {
    let base = base_time();
    let store = harness.open();
    let with_kind = |kind: SpanKind, data: SpanData| SpanData { kind, ..data };
    write(
        &store,
        spans(vec![
            (origin("web"), vec![with_kind(SpanKind::Server, span(1, 1, None, "GET /", base, MILLI))]),
            (origin("api"), vec![with_kind(SpanKind::Server, span(1, 2, Some(1), "GET /users", base + 1, MILLI))]),
        ]),
    );
    let server = |name: &str| Operation { name: name.to_owned(), kind: SpanKind::Server };
    assert_names(&store, &["api", "web"], &[("api", vec![server("GET /users")])], "from memory");
    flush(&store);
    write(
        &store,
        spans(vec![
            (origin("db"), vec![with_kind(SpanKind::Client, span(2, 1, None, "SELECT users", base + 2, MILLI))]),
            (
                origin("api"),
                vec![
                    with_kind(SpanKind::Client, span(2, 2, None, "GET /users", base + 3, MILLI)),
                    span(2, 3, None, "auth", base + 4, MILLI),
                    with_kind(SpanKind::Server, span(2, 4, None, "GET /users", base + 5, MILLI)),
                    span(2, 5, None, "auth", base + 6, MILLI),
                ],
            ),
            (Origin::default(), vec![span(2, 6, None, "orphan", base + 7, MILLI)]),
        ]),
    );
    let api = vec![
        server("GET /users"),
        Operation { name: "GET /users".into(), kind: SpanKind::Client },
        Operation { name: "auth".into(), kind: SpanKind::Internal },
    ];
    let operations = [
        ("api", api),
        ("web", vec![server("GET /")]),
        ("db", vec![Operation { name: "SELECT users".into(), kind: SpanKind::Client }]),
        ("unknown_service", vec![Operation { name: "orphan".into(), kind: SpanKind::Internal }]),
        ("nobody", vec![]),
        ("API", vec![]),
    ];
    let services = ["api", "db", "unknown_service", "web"];
    assert_names(&store, &services, &operations, "with part on disk and part in memory");
    flush(&store);
    assert_names(&store, &services, &operations, "after flush");
}

fn assert_names(store: &impl Store, services: &[&str], operations: &[(&str, Vec<Operation>)], when: &str) {
    assert_eq!(answered(store.services(), "services"), services, "{when}: the services, sorted");
    for (service, wanted) in operations {
        assert_eq!(
            &answered(store.operations(service), "operations"),
            wanted,
            "{when}: the operations of {service:?}, sorted by name then kind, each once"
        );
    }
}
