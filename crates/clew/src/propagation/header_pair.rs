//! A trace id and a span id in two headers of their own: `X-Trace-ID` and `X-Span-ID` by
//! default, as the seed Go tracer's `HeaderPropagator` sends them.
//!
//! ```text
//! X-Trace-ID: 4bf92f3577b34da6a3ce929d0e0e4736
//! X-Span-ID: 00f067aa0ba902b7
//! ```
//!
//! The trace id is 32 or 16 hex characters (16 are left-padded with zeros), the span id
//! 16, in either case; both headers must be present, valid and not repeated. The pair
//! carries no sampling decision: an extracted context counts as sampled, so that a
//! parent-based sampler keeps tracing what the caller traced. clew writes lowercase
//! hex, 32 and 16 characters.

use super::Propagator;
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;
use super::text::{HexCase, span_id, trace_id, trim_ows};
use crate::context::SpanContext;
use crate::id::TraceFlags;

/// The default trace id header.
pub const X_TRACE_ID_HEADER: &str = "X-Trace-ID";
/// The default span id header.
pub const X_SPAN_ID_HEADER: &str = "X-Span-ID";

/// Reads and writes a trace id and a span id in two headers.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{HeaderPairPropagator, Propagator};
///
/// let propagator = HeaderPairPropagator::new().with_header_names("X-Request-Trace", "X-Request-Span");
/// let incoming = HashMap::from([
///     ("x-request-trace".to_owned(), "4BF92F3577B34DA6A3CE929D0E0E4736".to_owned()),
///     ("x-request-span".to_owned(), "00f067aa0ba902b7".to_owned()),
/// ]);
/// let context = propagator.extract(&incoming);
/// assert_eq!(context.span_context().unwrap().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// ```
#[derive(Clone, Debug)]
pub struct HeaderPairPropagator {
    trace_id_header: String,
    span_id_header: String,
}

impl Default for HeaderPairPropagator {
    fn default() -> HeaderPairPropagator {
        HeaderPairPropagator::new()
    }
}

impl HeaderPairPropagator {
    /// The propagator with `X-Trace-ID` and `X-Span-ID`.
    pub fn new() -> HeaderPairPropagator {
        HeaderPairPropagator {
            trace_id_header: X_TRACE_ID_HEADER.to_owned(),
            span_id_header: X_SPAN_ID_HEADER.to_owned(),
        }
    }

    /// The same with other header names.
    #[must_use]
    pub fn with_header_names(
        mut self,
        trace_id_header: impl Into<String>,
        span_id_header: impl Into<String>,
    ) -> HeaderPairPropagator {
        self.trace_id_header = trace_id_header.into();
        self.span_id_header = span_id_header.into();
        self
    }

    /// The trace id header's name.
    pub fn trace_id_header(&self) -> &str {
        &self.trace_id_header
    }

    /// The span id header's name.
    pub fn span_id_header(&self) -> &str {
        &self.span_id_header
    }
}

impl HeaderPairPropagator {
    fn extract_span_context(&self, extractor: &dyn Extractor) -> Option<SpanContext> {
        let trace_id = trace_id(only_value(extractor, &self.trace_id_header)?, &[16, 32], HexCase::Any)?;
        let span_id = span_id(only_value(extractor, &self.span_id_header)?, false, HexCase::Any)?;
        Some(SpanContext::remote(trace_id, span_id, TraceFlags::SAMPLED))
    }
}

/// The one value of `name`, trimmed; `None` if absent or repeated.
fn only_value<'a>(extractor: &'a dyn Extractor, name: &str) -> Option<&'a str> {
    match extractor.get_all(name).as_slice() {
        [value] => Some(trim_ows(value)),
        _ => None,
    }
}

impl Propagator for HeaderPairPropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        let Some(span_context) = context.span_context() else {
            return;
        };
        injector.set(&self.trace_id_header, span_context.trace_id().to_string());
        injector.set(&self.span_id_header, span_context.span_id().to_string());
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        PropagationContext::new().with_span_context_option(self.extract_span_context(extractor))
    }

    fn fields(&self) -> Vec<&str> {
        vec![&self.trace_id_header, &self.span_id_header]
    }
}
