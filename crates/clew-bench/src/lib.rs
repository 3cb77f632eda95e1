//! What one span costs in clew beside fastrace, the OpenTelemetry SDK and tokio's `tracing`.
//!
//! The benchmark is `benches/compare.rs`; run it with
//! `cargo bench -p clew-bench --bench compare`. Each case is a criterion group with one
//! function per library, so a run prints `root_2_attrs/clew`, `root_2_attrs/fastrace`, …
//! side by side:
//!
//! | group | what one iteration does |
//! |---|---|
//! | `root_2_attrs` | start a root span, set a string and an integer attribute, end it |
//! | `root_10_children` | start a root span, make it current, start and end 10 children of it (siblings, not a chain), end the root |
//! | `unsampled` | as `root_2_attrs`, but the sampler (or the level filter) says no |
//! | `two_threads_root_2_attrs` | `root_2_attrs` on two threads at once; the time is per span per thread |
//! | `span_with_event` | start a span with two attributes, enter it, add one event with a field, end it (clew, and `tracing` alone or through each bridge) |
//!
//! Every library runs as an application would run it, with its background machinery on:
//! - clew: a tracer with the default batch processor (per-thread queues, a drain thread
//!   and an export thread) and [`ClewDiscard`], an exporter that counts and drops each batch.
//!   Not [`clew::NoneExporter`]: with it clew records nothing at all.
//! - fastrace: the global collector thread with [`FastraceDiscard`] as its reporter.
//! - OpenTelemetry: an `SdkTracerProvider` whose `BatchSpanProcessor` (its own thread)
//!   hands batches to [`OtelDiscard`].
//! - `tracing`: a `tracing_subscriber` registry with no layers (nothing is exported); the
//!   registry with the `tracing-opentelemetry` layer over the OpenTelemetry setup above
//!   (`tracing_otel`); and the registry with `clew-tracing`'s layer over the clew setup
//!   above (`tracing_clew`).
//!
//! The discarding sinks count what reaches them ([`Received`]). Before a library's function
//! of a case is timed, one untimed run of it is flushed to the sink and checked: a sampled
//! case must deliver its spans and attributes, an unsampled one nothing
//! ([`expect_delivered`]). Around each timed sampled benchmark a [`Tally`] also counts the
//! spans the timed loops started and how many reached the sink, and the run ends with that
//! table: a library whose queue was full dropped spans, and was timed partly on its
//! dropping path.

mod setup;
mod sinks;
mod tally;

pub use setup::{clew_tracer, expect_delivered, fastrace_reporter, otel_provider};
pub use sinks::{ClewDiscard, Counts, FastraceDiscard, OtelDiscard, Received};
pub use tally::{Delivery, Tally};
