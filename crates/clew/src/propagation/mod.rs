//! Context propagation: carrying a trace (and baggage, and a request id) across process
//! boundaries in headers.
//!
//! A [`Propagator`] reads a [`PropagationContext`] from an incoming request's headers
//! through an [`Extractor`], and writes one into an outgoing request's headers through an
//! [`Injector`]. The formats:
//!
//! | propagator | headers | `OTEL_PROPAGATORS` name |
//! |---|---|---|
//! | [`TraceContextPropagator`] | `traceparent`, `tracestate` (W3C, level 2) | `tracecontext` |
//! | [`BaggagePropagator`] | `baggage` (W3C) | `baggage` |
//! | [`B3Propagator`] | `b3` or `X-B3-*` (Zipkin) | `b3`, `b3multi` |
//! | [`JaegerPropagator`] | `uber-trace-id`, `uberctx-*` | `jaeger` |
//! | [`HeaderPairPropagator`] | `X-Trace-ID`, `X-Span-ID` | `x-trace-id` |
//! | [`RequestIdPropagator`] | `x-request-id` | `x-request-id` |
//! | [`CompositePropagator`] | all of its parts | a comma-separated list |
//!
//! [`from_env`] builds the propagator `OTEL_PROPAGATORS` names (default
//! `tracecontext,baggage`); [`global`] is the process-wide one, which [`crate::init`]
//! sets from the environment.
//!
//! Extracting never fails and never panics: anything invalid — a malformed or repeated
//! trace header, an all-zero id — gives a context with no span context, so the span that
//! handles the request starts a new trace.
//!
//! A server handling a request, and calling another service:
//!
//! ```
//! use std::collections::HashMap;
//! use clew::SpanKind;
//! use clew::propagation::{self, Propagator};
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! let propagator = propagation::from_choices(clew::config::DEFAULT_PROPAGATORS);
//!
//! let incoming = HashMap::from([
//!     ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
//!     ("baggage".to_owned(), "tenant=acme".to_owned()),
//! ]);
//! let context = propagator.extract(&incoming);
//! let server = tracer.span("GET /checkout").kind(SpanKind::Server).remote_parent(&context).start();
//! let client = tracer.span("POST /charge").kind(SpanKind::Client).parent(&server).start();
//! let mut outgoing: HashMap<String, String> = HashMap::new();
//! propagator.inject(&context.for_span(&client), &mut outgoing);
//!
//! assert_eq!(outgoing["traceparent"], format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", client.span_id()));
//! assert_eq!(outgoing["baggage"], "tenant=acme");
//! ```
//!
//! Baggage lives in the [`PropagationContext`] the extractor returns, not in the
//! thread's current-span stack: keep that value (or what you derive from it) where the
//! request is handled and build outgoing contexts from it with
//! [`PropagationContext::for_span`].

use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::config;

mod b3;
mod baggage;
mod carrier;
pub(crate) mod choice;
mod composite;
mod context;
mod header_pair;
mod jaeger;
mod request_id;
mod text;
mod trace_context;

pub use b3::{B3Encoding, B3Propagator};
pub use baggage::{Baggage, BaggageEntry, BaggagePropagator, BaggageProperty};
pub use carrier::{Extractor, Injector};
pub use choice::PropagatorChoice;
pub use composite::CompositePropagator;
pub use context::PropagationContext;
pub use header_pair::HeaderPairPropagator;
pub use jaeger::JaegerPropagator;
pub use request_id::RequestIdPropagator;
pub use trace_context::TraceContextPropagator;

/// Header names and limits of each format.
pub mod fields {
    pub use super::b3::{B3_HEADER, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID};
    pub use super::baggage::{BAGGAGE_HEADER, MAX_BYTES as MAX_BAGGAGE_BYTES, MAX_MEMBERS as MAX_BAGGAGE_MEMBERS};
    pub use super::header_pair::{X_SPAN_ID_HEADER, X_TRACE_ID_HEADER};
    pub use super::jaeger::{UBER_TRACE_ID_HEADER, UBERCTX_PREFIX};
    pub use super::request_id::{MAX_REQUEST_ID_LENGTH, X_REQUEST_ID_HEADER};
    pub use super::trace_context::{MAX_TRACE_STATE_MEMBERS, TRACEPARENT_HEADER, TRACESTATE_HEADER};
}

/// Reads a [`PropagationContext`] from a carrier and writes one into a carrier.
///
/// Implement it for a format clew does not know; combine formats with
/// [`CompositePropagator`].
pub trait Propagator: Send + Sync + fmt::Debug {
    /// Writes `context` into `injector`. Writes no trace header when the context has no
    /// span context.
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector);

    /// Reads a context from `extractor`. Never fails: what is missing or invalid is left
    /// out of the returned context.
    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext;

    /// The names of the fields this propagator writes (for carriers that must declare
    /// them in advance, such as CORS `Access-Control-Allow-Headers`). Jaeger's
    /// `uberctx-*` baggage headers are named per entry and not listed.
    fn fields(&self) -> Vec<&str>;

    /// Writes the context of this thread's current span (see
    /// [`PropagationContext::current`]).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use clew::propagation::{Propagator, TraceContextPropagator};
    ///
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let mut span = tracer.start("outgoing");
    /// let _entered = span.enter();
    /// let mut headers: HashMap<String, String> = HashMap::new();
    /// TraceContextPropagator::new().inject_current(&mut headers);
    /// assert!(headers.contains_key("traceparent"));
    /// ```
    fn inject_current(&self, injector: &mut dyn Injector) {
        self.inject(&PropagationContext::current(), injector);
    }
}

impl<P: Propagator + ?Sized> Propagator for Arc<P> {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        (**self).inject(context, injector);
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        (**self).extract(extractor)
    }

    fn fields(&self) -> Vec<&str> {
        (**self).fields()
    }
}

impl<P: Propagator + ?Sized> Propagator for Box<P> {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        (**self).inject(context, injector);
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        (**self).extract(extractor)
    }

    fn fields(&self) -> Vec<&str> {
        (**self).fields()
    }
}

/// The propagator for one `OTEL_PROPAGATORS` name.
pub fn for_choice(choice: PropagatorChoice) -> Box<dyn Propagator> {
    match choice {
        PropagatorChoice::TraceContext => Box::new(TraceContextPropagator::new()),
        PropagatorChoice::Baggage => Box::new(BaggagePropagator),
        PropagatorChoice::B3 => Box::new(B3Propagator::single_header()),
        PropagatorChoice::B3Multi => Box::new(B3Propagator::multiple_headers()),
        PropagatorChoice::Jaeger => Box::new(JaegerPropagator::new()),
        PropagatorChoice::TraceIdHeaders => Box::new(HeaderPairPropagator::new()),
        PropagatorChoice::RequestId => Box::new(RequestIdPropagator::new()),
    }
}

/// A composite of the chosen propagators, in order.
///
/// ```
/// use clew::propagation::{self, Propagator, PropagatorChoice};
///
/// let propagator = propagation::from_choices(&[PropagatorChoice::B3Multi, PropagatorChoice::RequestId]);
/// assert_eq!(propagator.fields(), ["x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-request-id"]);
/// ```
pub fn from_choices(choices: &[PropagatorChoice]) -> CompositePropagator {
    CompositePropagator::from_propagators(choices.iter().map(|choice| for_choice(*choice)).collect())
}

/// The propagators `OTEL_PROPAGATORS` names in the process environment (default
/// `tracecontext,baggage`); unknown names are reported once and skipped.
pub fn from_env() -> CompositePropagator {
    from_lookup(&|variable| std::env::var(variable).ok())
}

/// As [`from_env`], reading variables through `lookup`.
///
/// ```
/// use clew::propagation::{self, Propagator};
///
/// let propagator = propagation::from_lookup(&|name| (name == "OTEL_PROPAGATORS").then(|| "b3, jaeger".to_owned()));
/// assert_eq!(propagator.fields(), ["b3", "uber-trace-id"]);
/// ```
pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> CompositePropagator {
    let (choices, warnings) = choice::from_lookup(lookup);
    for warning in &warnings {
        crate::diagnostics::report_once(&warning.to_string(), format_args!("{warning}"));
    }
    from_choices(choices.as_deref().unwrap_or(config::DEFAULT_PROPAGATORS))
}

static GLOBAL: RwLock<Option<Arc<dyn Propagator>>> = RwLock::new(None);

/// The default global propagator: W3C trace context and baggage.
fn default_propagator() -> Arc<dyn Propagator> {
    static DEFAULT: OnceLock<Arc<dyn Propagator>> = OnceLock::new();
    DEFAULT.get_or_init(|| Arc::new(from_choices(config::DEFAULT_PROPAGATORS))).clone()
}

/// The process-wide propagator: what [`set_global`] or [`crate::init`] installed, or W3C
/// trace context and baggage before that.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::Propagator;
///
/// let headers: HashMap<String, String> = HashMap::new();
/// let context = clew::propagation::global().extract(&headers);
/// assert!(context.is_empty());
/// ```
pub fn global() -> Arc<dyn Propagator> {
    let installed = GLOBAL.read().unwrap_or_else(PoisonError::into_inner).clone();
    installed.unwrap_or_else(default_propagator)
}

/// Makes `propagator` the process-wide one; returns the previous one.
///
/// ```
/// use clew::propagation::{self, B3Propagator, Propagator};
///
/// let previous = propagation::set_global(B3Propagator::multiple_headers());
/// assert_eq!(propagation::global().fields()[0], "x-b3-traceid");
/// propagation::set_global(previous);
/// ```
pub fn set_global(propagator: impl Propagator + 'static) -> Arc<dyn Propagator> {
    let previous = GLOBAL.write().unwrap_or_else(PoisonError::into_inner).replace(Arc::new(propagator));
    previous.unwrap_or_else(default_propagator)
}
