//! The cost of one span in clew, fastrace, the OpenTelemetry SDK and `tracing` (alone, and
//! recorded through `tracing-opentelemetry` or through clew's layer), side by side.
//!
//! The cases and each library's setup are described in the crate docs (`src/lib.rs`). Run
//! with `cargo bench -p clew-bench --bench compare`; `-- root_2_attrs` runs one group.
//!
//! Before a library's function of a case is timed, one untimed run of it is flushed
//! through the library's pipeline and the sink is checked: a sampled case must deliver its
//! spans and attributes, an unsampled one nothing. Sampled benchmarks also count the spans
//! their timed loops start, and the run ends with a table of how many reached the sink.
//!
//! `tracing` spans go to a dispatcher made current on the measuring thread with
//! `dispatcher::with_default`, so each `tracing` call also reads that thread-local (a few
//! nanoseconds an application with one global subscriber does not pay). Each case makes its
//! `tracing` dispatchers just before it times them and drops them after, so that the
//! callsites' cached interest and the global level filter reflect one live subscriber, as
//! in an application.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use clew_bench::{Delivery, Tally, clew_tracer, expect_delivered, fastrace_reporter, otel_provider};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use fastrace::collector::SpanContext as FastraceContext;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::{Sampler as OtelSampler, SdkTracer};
use tracing::Dispatch;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

// One function per library and case: what a single timed iteration does.

fn clew_root_2_attrs(tracer: clew::Tracer) {
    let mut span = tracer.span("root").start();
    span.set_attribute("http.request.method", "GET");
    span.set_attribute("http.response.status_code", 200_i64);
    span.end();
}

/// The root is current while its children start, so each child is a child of the root.
fn clew_root_10_children(tracer: clew::Tracer) {
    tracer.in_span("root", |_root| {
        for _ in 0..10 {
            tracer.span("child").start().end();
        }
    });
}

/// fastrace decides sampling at the root from the parent context's `sampled` flag; a
/// context with `sampled(false)` takes its not-sampled path (the span is built but never
/// collected). Properties are strings in fastrace, so the integer is formatted.
fn fastrace_root_2_attrs(sampled: bool) {
    let root = fastrace::Span::root("root", FastraceContext::random().sampled(sampled));
    root.add_property(|| ("http.request.method", "GET"));
    root.add_property(|| ("http.response.status_code", 200_i64.to_string()));
    drop(root);
}

/// fastrace's idiomatic form: `LocalSpan` children under a root `Span` set as local parent.
fn fastrace_root_10_children() {
    let root = fastrace::Span::root("root", FastraceContext::random());
    let current = root.set_local_parent();
    for _ in 0..10 {
        let child = fastrace::local::LocalSpan::enter_with_local_parent("child");
        drop(child);
    }
    drop(current);
    drop(root);
}

fn otel_root_2_attrs(tracer: &SdkTracer) {
    let mut span = tracer.start("root");
    span.set_attribute(KeyValue::new("http.request.method", "GET"));
    span.set_attribute(KeyValue::new("http.response.status_code", 200_i64));
    span.end();
}

/// `in_span` makes the root the current context while its children start.
fn otel_root_10_children(tracer: &SdkTracer) {
    tracer.in_span("root", |_root| {
        for _ in 0..10 {
            tracer.start("child").end();
        }
    });
}

fn tracing_root_2_attrs() {
    let span = tracing::info_span!(
        "root",
        http.request.method = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty
    );
    span.record("http.request.method", "GET");
    span.record("http.response.status_code", 200_i64);
    drop(span);
}

/// As [`tracing_root_2_attrs`] at DEBUG, the level the unsampled case's filter turns off.
fn tracing_debug_root_2_attrs() {
    let span = tracing::debug_span!(
        "root",
        http.request.method = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty
    );
    span.record("http.request.method", "GET");
    span.record("http.response.status_code", 200_i64);
    drop(span);
}

/// The root is entered while its children are made, so each child is a child of the root.
fn tracing_root_10_children() {
    let root = tracing::info_span!("root");
    root.in_scope(|| {
        for _ in 0..10 {
            drop(tracing::info_span!("child"));
        }
    });
}

/// A span with two fields, entered, and one event with a field inside it: what a `tracing`
/// instrumented handler typically does.
fn tracing_span_with_event() {
    let span = tracing::info_span!("request", http.request.method = "GET", http.response.status_code = 200_i64);
    let _entered = span.enter();
    tracing::info!(rows = 3_i64, "loaded");
}

/// [`tracing_span_with_event`] in clew's own API.
fn clew_span_with_event(tracer: clew::Tracer) {
    let mut span = tracer
        .span("request")
        .attribute("http.request.method", "GET")
        .attribute("http.response.status_code", 200_i64)
        .start();
    let mut entered = span.enter();
    entered.event(clew::Level::Info, "loaded", [clew::KeyValue::new("rows", 3_i64)]);
}

/// Times `iterations` calls of `one_iteration`, as `Bencher::iter` would.
fn timed(iterations: u64, one_iteration: impl Fn()) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        one_iteration();
    }
    start.elapsed()
}

/// Runs `one_span` `iterations` times on each of two threads at once and returns the
/// longer of the two threads' times, so criterion reports the time per span per thread
/// (with perfect scaling it equals the one-thread figure).
///
/// Each thread first runs inside `enter` (which makes a `tracing` dispatcher current, or
/// just calls on), ends one untimed span so that one-off per-thread setup (clew's queue
/// registration, fastrace's command channel) is not timed, and waits for the other at a
/// barrier; only the loop after the barrier is timed, not spawning or joining.
fn on_two_threads<E, F>(iterations: u64, enter: &E, one_span: &F) -> Duration
where
    E: Fn(&mut dyn FnMut()) + Sync,
    F: Fn() + Sync,
{
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut elapsed = Duration::ZERO;
                    enter(&mut || {
                        one_span();
                        barrier.wait();
                        let start = Instant::now();
                        for _ in 0..iterations {
                            one_span();
                        }
                        elapsed = start.elapsed();
                    });
                    elapsed
                })
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().expect("a benchmark thread panicked")).max().unwrap_or_default()
    })
}

/// `enter` for libraries that need no per-thread setup.
fn call(body: &mut dyn FnMut()) {
    body();
}

/// What a run of `n` iterations of a sampled case starts, and must deliver.
#[derive(Clone, Copy)]
struct Shape {
    spans: fn(u64) -> u64,
    attributes_per_span: u64,
}

const ROOT_2_ATTRS: Shape = Shape { spans: |iterations| iterations, attributes_per_span: 2 };
const ROOT_10_CHILDREN: Shape = Shape { spans: |iterations| 11 * iterations, attributes_per_span: 0 };
const SPAN_WITH_EVENT: Shape = Shape { spans: |iterations| iterations, attributes_per_span: 2 };
/// Two threads, each with one untimed warm-up span.
const TWO_THREADS_2_ATTRS: Shape = Shape { spans: |iterations| 2 * (iterations + 1), attributes_per_span: 2 };

/// One criterion group, and the delivery of each sampled benchmark in it.
struct Case<'c, 'd> {
    name: &'static str,
    group: BenchmarkGroup<'c, WallTime>,
    deliveries: &'d mut Vec<(String, Delivery)>,
}

impl<'c, 'd> Case<'c, 'd> {
    fn new(c: &'c mut Criterion, name: &'static str, deliveries: &'d mut Vec<(String, Delivery)>) -> Case<'c, 'd> {
        Case { name, group: c.benchmark_group(name), deliveries }
    }

    /// Checks that `run(1)` delivers what `shape` says, then times `run` as `library` and
    /// logs how many of the spans it started reached the sink.
    fn sampled(&mut self, library: &str, tally: &Tally, shape: Shape, run: impl Fn(u64) -> Duration) {
        let id = format!("{}/{library}", self.name);
        let spans = (shape.spans)(1);
        let delivered = tally.delivered_by(|| {
            run(1);
        });
        expect_delivered(&id, delivered, spans, spans * shape.attributes_per_span);
        let delivery = tally.delivery_of(|| {
            self.group.bench_function(library, |b| {
                b.iter_custom(|iterations| {
                    tally.count_started((shape.spans)(iterations));
                    run(iterations)
                })
            });
        });
        self.deliveries.push((id, delivery));
    }

    /// Checks that `run(1)` delivers nothing, then times `run` as `library`.
    fn unsampled(&mut self, library: &str, tally: &Tally, run: impl Fn(u64) -> Duration) {
        let id = format!("{}/{library}", self.name);
        let delivered = tally.delivered_by(|| {
            run(1);
        });
        expect_delivered(&id, delivered, 0, 0);
        self.untallied(library, run);
    }

    /// Times `run` as `library`, for a setup with no sink to check.
    fn untallied(&mut self, library: &str, run: impl Fn(u64) -> Duration) {
        self.group.bench_function(library, |b| b.iter_custom(&run));
    }
}

/// An OpenTelemetry SDK setup: a tracer and the tally of its exporter.
struct Otel {
    tracer: SdkTracer,
    tally: Tally,
}

impl Otel {
    fn new(sampler: OtelSampler) -> Otel {
        let (provider, tally) = otel_provider(sampler);
        Otel { tracer: provider.tracer("clew-bench"), tally }
    }

    /// `tracing`'s registry with the `tracing-opentelemetry` layer (default settings) over
    /// this setup.
    fn tracing_dispatch(&self) -> Dispatch {
        let layer = tracing_opentelemetry::layer().with_tracer(self.tracer.clone());
        Dispatch::new(tracing_subscriber::registry().with(layer))
    }
}

/// Every library's setup, built once: sampled ones use each SDK's default sampler
/// (parent-based, always on), unsampled ones a sampler that always says no.
struct Setups {
    clew: clew::Tracer,
    clew_tally: Tally,
    clew_unsampled: clew::Tracer,
    clew_unsampled_tally: Tally,
    fastrace: Tally,
    otel: Otel,
    otel_unsampled: Otel,
    /// Separate providers of the same setup under `tracing`, so that counts stay apart.
    tracing_otel: Otel,
    tracing_otel_unsampled: Otel,
    /// Separate clew tracers of the same setup under `tracing` with the clew layer.
    tracing_clew: Clew,
    tracing_clew_unsampled: Clew,
}

/// A clew tracer and the tally of its exporter, for `tracing` with the clew layer.
struct Clew {
    tracer: clew::Tracer,
    tally: Tally,
}

impl Clew {
    fn new(sampler: clew::Sampler) -> Clew {
        let (tracer, tally) = clew_tracer(sampler);
        Clew { tracer, tally }
    }

    /// `tracing`'s registry with the clew layer (default settings) over this tracer.
    fn tracing_dispatch(&self) -> Dispatch {
        Dispatch::new(tracing_subscriber::registry().with(clew_tracing::layer().with_tracer(self.tracer)))
    }
}

impl Setups {
    fn new() -> Setups {
        let (clew, clew_tally) = clew_tracer(clew::Sampler::default());
        let (clew_unsampled, clew_unsampled_tally) = clew_tracer(clew::Sampler::AlwaysOff);
        let parent_based_always_on = || OtelSampler::ParentBased(Box::new(OtelSampler::AlwaysOn));
        Setups {
            clew,
            clew_tally,
            clew_unsampled,
            clew_unsampled_tally,
            fastrace: fastrace_reporter(),
            otel: Otel::new(parent_based_always_on()),
            otel_unsampled: Otel::new(OtelSampler::AlwaysOff),
            tracing_otel: Otel::new(parent_based_always_on()),
            tracing_otel_unsampled: Otel::new(OtelSampler::AlwaysOff),
            tracing_clew: Clew::new(clew::Sampler::default()),
            tracing_clew_unsampled: Clew::new(clew::Sampler::AlwaysOff),
        }
    }
}

fn tracing_registry() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry())
}

/// Asserts that `tracing` spans at `level` are (or are not) recorded under `dispatch`: a
/// registry with no layers exports nothing, so this is the check that remains.
fn expect_tracing_enabled(case: &str, dispatch: &Dispatch, level: tracing::Level, enabled: bool) {
    let disabled = tracing::dispatcher::with_default(dispatch, || match level {
        tracing::Level::DEBUG => tracing::debug_span!("check").is_disabled(),
        _ => tracing::info_span!("check").is_disabled(),
    });
    assert_eq!(!disabled, enabled, "{case}: tracing spans at {level} enabled");
}

/// What one iteration of a sampled single-thread case does, per library.
struct SampledCase {
    name: &'static str,
    shape: Shape,
    clew: fn(clew::Tracer),
    fastrace: fn(),
    otel: fn(&SdkTracer),
    tracing: fn(),
}

fn sampled_case(c: &mut Criterion, setups: &Setups, deliveries: &mut Vec<(String, Delivery)>, what: SampledCase) {
    let mut case = Case::new(c, what.name, deliveries);
    let clew = setups.clew;
    case.sampled("clew", &setups.clew_tally, what.shape, |n| timed(n, || (what.clew)(clew)));
    case.sampled("fastrace", &setups.fastrace, what.shape, |n| timed(n, what.fastrace));
    let otel = &setups.otel;
    case.sampled("otel", &otel.tally, what.shape, |n| timed(n, || (what.otel)(&otel.tracer)));

    let registry = tracing_registry();
    let label = format!("{}/tracing", what.name);
    expect_tracing_enabled(&label, &registry, tracing::Level::INFO, true);
    tracing::dispatcher::with_default(&registry, || case.untallied("tracing", |n| timed(n, what.tracing)));
    drop(registry);

    // The layer adds attributes of its own (code location, thread, target, timings).
    let otel = &setups.tracing_otel;
    let layered = otel.tracing_dispatch();
    tracing::dispatcher::with_default(&layered, || {
        case.sampled("tracing_otel", &otel.tally, what.shape, |n| timed(n, what.tracing));
    });
    drop(layered);

    // The layer adds attributes of its own too (level, target, code location).
    let clew = &setups.tracing_clew;
    let layered = clew.tracing_dispatch();
    tracing::dispatcher::with_default(&layered, || {
        case.sampled("tracing_clew", &clew.tally, what.shape, |n| timed(n, what.tracing));
    });
    drop(layered);
    case.group.finish();
}

fn root_2_attrs(c: &mut Criterion, setups: &Setups, deliveries: &mut Vec<(String, Delivery)>) {
    let what = SampledCase {
        name: "root_2_attrs",
        shape: ROOT_2_ATTRS,
        clew: clew_root_2_attrs,
        fastrace: || fastrace_root_2_attrs(true),
        otel: otel_root_2_attrs,
        tracing: tracing_root_2_attrs,
    };
    sampled_case(c, setups, deliveries, what);
}

fn root_10_children(c: &mut Criterion, setups: &Setups, deliveries: &mut Vec<(String, Delivery)>) {
    let what = SampledCase {
        name: "root_10_children",
        shape: ROOT_10_CHILDREN,
        clew: clew_root_10_children,
        fastrace: fastrace_root_10_children,
        otel: otel_root_10_children,
        tracing: tracing_root_10_children,
    };
    sampled_case(c, setups, deliveries, what);
}

/// `root_2_attrs` where the answer is no: clew and OpenTelemetry with an always-off
/// sampler, fastrace with a not-sampled root context, `tracing` with a DEBUG span under a
/// registry filtered to INFO, and `tracing_otel` with an INFO span under the layer over an
/// always-off OpenTelemetry setup (the layer still builds the span; the sampler drops it
/// when it is started at close).
fn unsampled(c: &mut Criterion, setups: &Setups, deliveries: &mut Vec<(String, Delivery)>) {
    let mut case = Case::new(c, "unsampled", deliveries);
    let clew = setups.clew_unsampled;
    case.unsampled("clew", &setups.clew_unsampled_tally, |n| timed(n, || clew_root_2_attrs(clew)));
    case.unsampled("fastrace", &setups.fastrace, |n| timed(n, || fastrace_root_2_attrs(false)));
    let otel = &setups.otel_unsampled;
    case.unsampled("otel", &otel.tally, |n| timed(n, || otel_root_2_attrs(&otel.tracer)));

    let filtered = Dispatch::new(tracing_subscriber::registry().with(LevelFilter::INFO));
    expect_tracing_enabled("unsampled/tracing", &filtered, tracing::Level::INFO, true);
    expect_tracing_enabled("unsampled/tracing", &filtered, tracing::Level::DEBUG, false);
    tracing::dispatcher::with_default(&filtered, || {
        case.untallied("tracing", |n| timed(n, tracing_debug_root_2_attrs))
    });
    drop(filtered);

    let otel = &setups.tracing_otel_unsampled;
    let layered = otel.tracing_dispatch();
    tracing::dispatcher::with_default(&layered, || {
        case.unsampled("tracing_otel", &otel.tally, |n| timed(n, tracing_root_2_attrs));
    });
    drop(layered);

    // The clew layer asks clew's sampler when the span is created; nothing else is built.
    let clew = &setups.tracing_clew_unsampled;
    let layered = clew.tracing_dispatch();
    tracing::dispatcher::with_default(&layered, || {
        case.unsampled("tracing_clew", &clew.tally, |n| timed(n, tracing_root_2_attrs));
    });
    drop(layered);
    case.group.finish();
}

/// `root_2_attrs` on two threads at once (see [`on_two_threads`]).
fn two_threads_root_2_attrs(c: &mut Criterion, setups: &Setups, deliveries: &mut Vec<(String, Delivery)>) {
    let mut case = Case::new(c, "two_threads_root_2_attrs", deliveries);
    let clew = setups.clew;
    let clew_span = || clew_root_2_attrs(clew);
    case.sampled("clew", &setups.clew_tally, TWO_THREADS_2_ATTRS, |n| on_two_threads(n, &call, &clew_span));
    let fastrace_span = || fastrace_root_2_attrs(true);
    case.sampled("fastrace", &setups.fastrace, TWO_THREADS_2_ATTRS, |n| on_two_threads(n, &call, &fastrace_span));
    let otel = &setups.otel;
    let otel_span = || otel_root_2_attrs(&otel.tracer);
    case.sampled("otel", &otel.tally, TWO_THREADS_2_ATTRS, |n| on_two_threads(n, &call, &otel_span));

    let registry = tracing_registry();
    expect_tracing_enabled("two_threads_root_2_attrs/tracing", &registry, tracing::Level::INFO, true);
    let enter_registry = |body: &mut dyn FnMut()| tracing::dispatcher::with_default(&registry, body);
    case.untallied("tracing", |n| on_two_threads(n, &enter_registry, &tracing_root_2_attrs));
    drop(registry);

    let otel = &setups.tracing_otel;
    let layered = otel.tracing_dispatch();
    let enter_layered = |body: &mut dyn FnMut()| tracing::dispatcher::with_default(&layered, body);
    case.sampled("tracing_otel", &otel.tally, TWO_THREADS_2_ATTRS, |n| {
        on_two_threads(n, &enter_layered, &tracing_root_2_attrs)
    });
    drop(layered);

    let clew = &setups.tracing_clew;
    let layered = clew.tracing_dispatch();
    let enter_layered = |body: &mut dyn FnMut()| tracing::dispatcher::with_default(&layered, body);
    case.sampled("tracing_clew", &clew.tally, TWO_THREADS_2_ATTRS, |n| {
        on_two_threads(n, &enter_layered, &tracing_root_2_attrs)
    });
    drop(layered);
    case.group.finish();
}

/// The bridges side by side: [`tracing_span_with_event`] through `tracing-opentelemetry`
/// and through the clew layer, beside the same work in clew's API and `tracing` with no
/// layer.
fn span_with_event(c: &mut Criterion, setups: &Setups, deliveries: &mut Vec<(String, Delivery)>) {
    let mut case = Case::new(c, "span_with_event", deliveries);
    let clew = setups.clew;
    case.sampled("clew", &setups.clew_tally, SPAN_WITH_EVENT, |n| timed(n, || clew_span_with_event(clew)));

    let registry = tracing_registry();
    expect_tracing_enabled("span_with_event/tracing", &registry, tracing::Level::INFO, true);
    tracing::dispatcher::with_default(&registry, || case.untallied("tracing", |n| timed(n, tracing_span_with_event)));
    drop(registry);

    let otel = &setups.tracing_otel;
    let layered = otel.tracing_dispatch();
    tracing::dispatcher::with_default(&layered, || {
        case.sampled("tracing_otel", &otel.tally, SPAN_WITH_EVENT, |n| timed(n, tracing_span_with_event));
    });
    drop(layered);

    let clew = &setups.tracing_clew;
    let layered = clew.tracing_dispatch();
    tracing::dispatcher::with_default(&layered, || {
        case.sampled("tracing_clew", &clew.tally, SPAN_WITH_EVENT, |n| timed(n, tracing_span_with_event));
    });
    drop(layered);
    case.group.finish();
}

/// For each sampled benchmark, the spans its timed loops started and how many reached the
/// sink, on standard error: one whose library dropped part of its load at a full queue was
/// timed partly on that library's dropping path.
#[allow(clippy::print_stderr, reason = "a benchmark's summary for the person running it")]
fn report_deliveries(setups: &Setups, deliveries: &[(String, Delivery)]) {
    eprintln!("\nspans started by the timed loops, and how many reached the sink:");
    for (id, delivery) in deliveries {
        eprintln!(
            "  {id:<40} started {:>11}  delivered {:>11}  ({:.1}%)",
            delivery.started,
            delivery.delivered,
            delivery.percent()
        );
    }
    eprintln!("  clew pipeline over the run: {:?}", setups.clew.stats());
}

fn compare(c: &mut Criterion) {
    let setups = Setups::new();
    let mut deliveries = Vec::new();
    root_2_attrs(c, &setups, &mut deliveries);
    root_10_children(c, &setups, &mut deliveries);
    unsampled(c, &setups, &mut deliveries);
    two_threads_root_2_attrs(c, &setups, &mut deliveries);
    span_with_event(c, &setups, &mut deliveries);
    report_deliveries(&setups, &deliveries);
}

criterion_group!(benches, compare);
criterion_main!(benches);
