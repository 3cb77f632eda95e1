//! Several propagators as one.

use super::Propagator;
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;

/// Runs several propagators in order.
///
/// Injecting runs each one. Extracting takes the span context of the first propagator
/// that finds a valid one (so the order says which format wins when a request carries
/// several), the first request id, and the baggage of all of them (for a key found by
/// more than one, the first propagator's value).
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{
///     B3Propagator, BaggagePropagator, CompositePropagator, Propagator, TraceContextPropagator,
/// };
///
/// let propagator = CompositePropagator::new()
///     .with(TraceContextPropagator::new())
///     .with(BaggagePropagator)
///     .with(B3Propagator::single_header());
/// let incoming = HashMap::from([
///     ("traceparent".to_owned(), "00-0000000000000000000000000000000a-000000000000000b-01".to_owned()),
///     ("b3".to_owned(), "0000000000000000000000000000000c-000000000000000d-1".to_owned()),
///     ("baggage".to_owned(), "tenant=acme".to_owned()),
/// ]);
/// let context = propagator.extract(&incoming);
/// assert_eq!(context.span_context().unwrap().trace_id().to_u128(), 0xa);
/// assert_eq!(context.baggage().get("tenant"), Some("acme"));
/// assert_eq!(propagator.fields(), ["traceparent", "tracestate", "baggage", "b3"]);
/// ```
#[derive(Debug, Default)]
pub struct CompositePropagator {
    propagators: Vec<Box<dyn Propagator>>,
}

impl CompositePropagator {
    /// No propagators: injects and extracts nothing.
    pub fn new() -> CompositePropagator {
        CompositePropagator::default()
    }

    /// From a list of propagators, in order.
    pub fn from_propagators(propagators: Vec<Box<dyn Propagator>>) -> CompositePropagator {
        CompositePropagator { propagators }
    }

    /// The same with `propagator` added last.
    #[must_use]
    pub fn with(mut self, propagator: impl Propagator + 'static) -> CompositePropagator {
        self.propagators.push(Box::new(propagator));
        self
    }

    /// The propagators, in order.
    pub fn propagators(&self) -> &[Box<dyn Propagator>] {
        &self.propagators
    }

    /// Whether there are no propagators.
    pub fn is_empty(&self) -> bool {
        self.propagators.is_empty()
    }
}

impl Propagator for CompositePropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        for propagator in &self.propagators {
            propagator.inject(context, injector);
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let mut context = PropagationContext::new();
        for propagator in &self.propagators {
            context.merge(propagator.extract(extractor));
        }
        context
    }

    fn fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = Vec::new();
        for propagator in &self.propagators {
            for field in propagator.fields() {
                if !fields.iter().any(|known| known.eq_ignore_ascii_case(field)) {
                    fields.push(field);
                }
            }
        }
        fields
    }
}
