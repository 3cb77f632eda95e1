//! Each library set up as an application would set it up, sending to a discarding sink,
//! and the check that a case delivered what it should.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::sinks::{ClewDiscard, Counts, FastraceDiscard, OtelDiscard, Received};
use crate::tally::Tally;

/// How long a flush may take before the check gives up on it.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// A clew tracer with `sampler` and the default batch processor, exporting to a
/// [`ClewDiscard`]; the environment is ignored. Returns the tracer and the tally of its
/// exporter.
///
/// ```
/// let (tracer, tally) = clew_bench::clew_tracer(clew::Sampler::AlwaysOff);
/// let delivered = tally.delivered_by(|| tracer.span("dropped").start().end());
/// assert_eq!(delivered.spans, 0);
/// ```
pub fn clew_tracer(sampler: clew::Sampler) -> (clew::Tracer, Tally) {
    let exporter = ClewDiscard::default();
    let received = exporter.received();
    let tracer = clew::Tracer::builder().ignore_env().sampler(sampler).exporter(exporter).build();
    let tally = Tally::new(received, move || {
        let _ = tracer.flush(FLUSH_TIMEOUT);
    });
    (tracer, tally)
}

/// An OpenTelemetry SDK provider with `sampler` and a `BatchSpanProcessor` (default
/// settings, its own thread) exporting to an [`OtelDiscard`]. Returns the provider and the
/// tally of its exporter.
pub fn otel_provider(sampler: opentelemetry_sdk::trace::Sampler) -> (SdkTracerProvider, Tally) {
    let exporter = OtelDiscard::default();
    let received = exporter.received();
    let provider = SdkTracerProvider::builder().with_sampler(sampler).with_batch_exporter(exporter).build();
    let flushed = provider.clone();
    let tally = Tally::new(received, move || {
        let _ = flushed.force_flush();
    });
    (provider, tally)
}

/// Installs a [`FastraceDiscard`] as fastrace's reporter, with the default collector
/// configuration, the first time it is called; returns a tally of it. fastrace has one
/// collector per process, so every tally counts the same reporter.
pub fn fastrace_reporter() -> Tally {
    static RECEIVED: OnceLock<Arc<Received>> = OnceLock::new();
    let received = RECEIVED
        .get_or_init(|| {
            let reporter = FastraceDiscard::default();
            let received = reporter.received();
            fastrace::set_reporter(reporter, fastrace::collector::Config::default());
            received
        })
        .clone();
    let counted = received.clone();
    Tally::new(received, move || fastrace_drain(&counted))
}

/// Delivers everything the calling thread has handed to fastrace. A thread's commands to
/// the collector go through a ring of 10,240; when the collector falls behind, the rest
/// wait in an unbounded overflow queue that only the same thread's next command moves on,
/// so `fastrace::flush` alone can leave spans behind. Each round sends the commands of a
/// cancelled root span (never reported) and flushes, until a round delivers nothing.
fn fastrace_drain(received: &Received) {
    loop {
        let before = received.counts();
        let nudge = fastrace::Span::root("drain", fastrace::collector::SpanContext::random());
        nudge.cancel();
        drop(nudge);
        fastrace::flush();
        if received.counts() == before {
            return;
        }
    }
}

/// Checks that one run of a case delivered `spans` spans carrying at least
/// `min_attributes` attributes in all, so that a benchmark never times a setup that
/// records nothing.
///
/// # Panics
///
/// When the sink received anything else; the message names `case`.
///
/// ```
/// use clew_bench::{Counts, expect_delivered};
/// expect_delivered("root_2_attrs/clew", Counts { spans: 1, attributes: 2 }, 1, 2);
/// ```
pub fn expect_delivered(case: &str, delivered: Counts, spans: u64, min_attributes: u64) {
    assert!(
        delivered.spans == spans && delivered.attributes >= min_attributes,
        "{case}: expected {spans} spans with at least {min_attributes} attributes to reach the sink, got {delivered:?}"
    );
}
