//! What crosses a process boundary: the remote span context, baggage and a request id.

use crate::context::{self, SpanContext};
use crate::span::{Span, keys};
use crate::value::{KeyValue, Str, Value};

use super::baggage::Baggage;

/// What a propagator reads from an incoming request or writes into an outgoing one.
///
/// - the span context (ids, flags, `tracestate`) of the caller's span, if a valid one
///   was found: the parent of the span that handles the request;
/// - W3C baggage, application key/values passed along the whole request path;
/// - a request id (`x-request-id`), recorded on the server span and passed on.
///
/// Continue a trace from incoming headers, then pass it on:
///
/// ```
/// use std::collections::HashMap;
/// use clew::SpanKind;
/// use clew::propagation::{Propagator, TraceContextPropagator};
///
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// let incoming = HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let propagator = TraceContextPropagator::new();
/// let context = propagator.extract(&incoming);
/// let server = tracer.span("GET /orders").kind(SpanKind::Server).remote_parent(&context).start();
/// assert_eq!(server.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
///
/// let mut outgoing: HashMap<String, String> = HashMap::new();
/// propagator.inject(&context.for_span(&server), &mut outgoing);
/// assert!(outgoing["traceparent"].starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PropagationContext {
    span_context: Option<SpanContext>,
    baggage: Baggage,
    request_id: Option<Str>,
}

impl PropagationContext {
    /// Nothing to propagate.
    pub fn new() -> PropagationContext {
        PropagationContext::default()
    }

    /// The context of this thread's current span (see [`crate::current_context`]), with
    /// no baggage or request id.
    pub fn current() -> PropagationContext {
        PropagationContext::new().with_span_context_option(context::current_context())
    }

    /// The context of `span`, with no baggage or request id.
    pub fn from_span(span: &Span) -> PropagationContext {
        PropagationContext::new().with_span_context(span.context())
    }

    /// This context's baggage and request id with `span`'s context: what to inject into
    /// a request that `span` makes.
    #[must_use]
    pub fn for_span(&self, span: &Span) -> PropagationContext {
        self.clone().with_span_context(span.context())
    }

    /// The same with `span_context` (kept only if valid).
    #[must_use]
    pub fn with_span_context(self, span_context: SpanContext) -> PropagationContext {
        self.with_span_context_option(Some(span_context))
    }

    pub(crate) fn with_span_context_option(mut self, span_context: Option<SpanContext>) -> PropagationContext {
        self.span_context = span_context.filter(SpanContext::is_valid);
        self
    }

    /// The same with `baggage`.
    #[must_use]
    pub fn with_baggage(mut self, baggage: Baggage) -> PropagationContext {
        self.baggage = baggage;
        self
    }

    /// The same with a request id.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<Str>) -> PropagationContext {
        self.request_id = Some(request_id.into());
        self
    }

    /// The remote span context, if a valid one was extracted: the parent for the span
    /// that handles the request (see [`SpanBuilder::remote_parent`]).
    ///
    /// [`SpanBuilder::remote_parent`]: crate::SpanBuilder::remote_parent
    pub fn span_context(&self) -> Option<&SpanContext> {
        self.span_context.as_ref()
    }

    /// The baggage.
    pub fn baggage(&self) -> &Baggage {
        &self.baggage
    }

    /// The baggage, to change before passing it on.
    pub fn baggage_mut(&mut self) -> &mut Baggage {
        &mut self.baggage
    }

    /// The request id, if one was extracted or set.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Whether there is nothing to propagate.
    pub fn is_empty(&self) -> bool {
        self.span_context.is_none() && self.baggage.is_empty() && self.request_id.is_none()
    }

    /// The attributes the span handling the request should record: the request id as
    /// `http.request.header.x-request-id` (a string array, per OpenTelemetry's HTTP
    /// conventions), whichever header carried it.
    ///
    /// ```
    /// let context = clew::propagation::PropagationContext::new().with_request_id("req-42");
    /// let attributes = context.span_attributes();
    /// assert_eq!(attributes[0].key, "http.request.header.x-request-id");
    /// ```
    pub fn span_attributes(&self) -> Vec<KeyValue> {
        match &self.request_id {
            Some(request_id) => {
                vec![KeyValue::new(
                    keys::HTTP_REQUEST_HEADER_X_REQUEST_ID,
                    Value::StringArray(vec![request_id.clone()]),
                )]
            }
            None => Vec::new(),
        }
    }

    /// Fills what this context lacks from `other`: the span context and request id if
    /// this one has none, and baggage entries whose keys are not here yet.
    pub(crate) fn merge(&mut self, other: PropagationContext) {
        if self.span_context.is_none() {
            self.span_context = other.span_context;
        }
        if self.request_id.is_none() {
            self.request_id = other.request_id;
        }
        self.baggage.merge(other.baggage);
    }
}
