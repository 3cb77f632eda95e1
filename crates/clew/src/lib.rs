//! clew: distributed tracing for Rust services — the SDK.
//!
//! A service links this crate to create traces, spans and events, sample them, keep
//! context across threads and `.await`, and export them in batches from a background
//! thread. Nothing here needs an async runtime.
//!
//! ```
//! use clew::{KeyValue, Level, SpanKind, Status};
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder()
//!     .service_name("checkout")
//!     .exporter(exporter.clone())
//!     .build();
//!
//! tracer.in_span("handle-request", |request| {
//!     request.set_attribute("http.request.method", "POST");
//!     let mut charge = tracer.span("charge-card").kind(SpanKind::Client).start();
//!     charge.event(Level::Info, "card.authorized", [KeyValue::new("amount", 99.99)]);
//!     charge.end_with(Status::Ok);
//! });
//!
//! tracer.flush(std::time::Duration::from_secs(5)).unwrap();
//! assert_eq!(exporter.tree(), "\
//! handle-request {http.request.method=\"POST\"}
//!   charge-card [client] ok
//!     · card.authorized INFO {amount=99.99}
//! ");
//! ```
//!
//! The map of the crate:
//! - [`Tracer`] (configuration, built in code or from the environment) starts spans
//!   ([`SpanBuilder`] → [`Span`]) and seed-style traces ([`Trace`]);
//! - [`Sampler`] decides what is recorded; [`SpanLimits`] and [`Redaction`] bound and
//!   clean what is kept;
//! - the current span of each thread lives in a stack ([`current_context`]), carried
//!   across `.await` by [`FutureExt`];
//! - finished spans go through the batch processor to a [`SpanExporter`]:
//!   [`StdoutExporter`], [`InMemoryExporter`], [`NoneExporter`] or your own;
//! - [`semconv`] names attributes as the OpenTelemetry semantic conventions do and builds
//!   the usual attribute sets (HTTP, databases, RPC, messaging, generative AI, and realtime
//!   media pipelines);
//! - [`propagation`] carries a trace across processes in headers: W3C trace context and
//!   baggage, B3, Jaeger, a trace/span id header pair and `x-request-id`.

mod clock;
pub mod config;
mod context;
mod data;
pub mod diagnostics;
mod export;
mod future;
mod id;
mod json;
mod limits;
mod processor;
pub mod propagation;
mod recycle;
mod redact;
pub mod resource;
mod sampler;
pub mod semconv;
mod span;
pub mod testing;
mod trace;
mod tracer;
mod value;

pub use config::{BatchConfig, ConfigWarning, EnvConfig, ExporterChoice};
pub use context::{
    ContextGuard, SpanContext, current_context, current_span_id, current_trace_id, enter_context, log_with_trace,
};
pub use data::{Event, Level, Link, SpanData, SpanKind, Status, TraceEvent};
pub use export::{Batch, ExportError, InMemoryExporter, NoneExporter, SpanExporter, StdoutExporter};
pub use future::{FutureExt, Instrumented, WithContext};
pub use id::{IdParseError, SpanId, TraceFlags, TraceId};
pub use limits::SpanLimits;
pub use processor::PipelineStats;
pub use redact::{DEFAULT_SECRET_WORDS, REDACTED, Redaction};
pub use resource::Resource;
pub use sampler::{
    CounterRatio, ParentBased, RateLimited, Sampler, SamplingDecision, SamplingParams, ShouldSample, TraceIdRatio,
};
pub use span::{Entered, Span, SpanBuilder, keys};
pub use trace::{Trace, TraceBuilder};
pub use tracer::{Tracer, TracerBuilder, global, set_global};
pub use value::{KeyValue, Str, Value};

#[cfg(feature = "macros")]
pub use clew_macros::trace;

/// Starts building a span on the process-wide tracer.
///
/// ```
/// let span = clew::span("work").start();
/// assert!(!span.is_recording()); // no tracer installed: nothing is recorded
/// ```
#[inline]
pub fn span(name: impl Into<Str>) -> SpanBuilder {
    global().span(name)
}

/// Builds a tracer from the environment and makes it the process-wide one; makes the
/// propagators `OTEL_PROPAGATORS` names the process-wide propagator
/// ([`propagation::global`]).
///
/// ```no_run
/// let tracer = clew::init();
/// clew::span("startup").start().end();
/// tracer.shutdown(std::time::Duration::from_secs(5)).unwrap();
/// ```
pub fn init() -> Tracer {
    let tracer = Tracer::from_env();
    set_global(tracer);
    propagation::set_global(propagation::from_env());
    tracer
}

/// A list of attributes from `key => value` pairs of any value types.
///
/// ```
/// let attributes = clew::attrs!["platform" => "instagram", "attempt" => 2, "ok" => true];
/// assert_eq!(attributes.len(), 3);
/// ```
#[macro_export]
macro_rules! attrs {
    ($($key:expr => $value:expr),* $(,)?) => {
        ::std::vec![$($crate::KeyValue::new($key, $value)),*]
    };
}

#[doc(hidden)]
#[path = "macro_support.rs"]
pub mod __private;
