//! Jaeger's native headers: `uber-trace-id` and `uberctx-*` baggage.
//!
//! ```text
//! uber-trace-id: 4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1
//!                {trace id}:{span id}:{parent span id}:{flags}
//! uberctx-user-id: alice
//! ```
//!
//! Ids are hex of either case and may be shorter than their full width (trace ids up to
//! 32 characters, span ids up to 16), left-padded with zeros; zero ids are invalid. The
//! parent span id is deprecated: it must be hex but is otherwise ignored, and clew writes
//! `0`. Flags are one or two hex digits: `1` sampled, `2` debug (read as sampled). The
//! whole value may be percent-encoded (`%3A` for `:`). A malformed or repeated
//! `uber-trace-id` gives no span context.
//!
//! Each `uberctx-{key}` header is a baggage entry (value percent-decoded); on the way out
//! every baggage entry whose key can be a header name becomes one, value percent-encoded.

use super::Propagator;
use super::baggage::{Baggage, BaggageEntry};
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;
use super::text::{HexCase, hex_u64, percent_decode, percent_encode, span_id, trace_id_up_to_32, trim_ows};
use crate::context::SpanContext;
use crate::id::TraceFlags;

/// The trace header.
pub const UBER_TRACE_ID_HEADER: &str = "uber-trace-id";
/// The prefix of baggage headers.
pub const UBERCTX_PREFIX: &str = "uberctx-";

/// Jaeger's sampled flag.
const JAEGER_SAMPLED: u64 = 0x01;
/// Jaeger's debug flag (implies sampled).
const JAEGER_DEBUG: u64 = 0x02;

/// Reads and writes `uber-trace-id` and `uberctx-*` headers.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{JaegerPropagator, Propagator};
///
/// let incoming = HashMap::from([
///     ("uber-trace-id".to_owned(), "a3ce929d0e0e4736%3A1f%3A0%3A1".to_owned()),
///     ("uberctx-user-id".to_owned(), "alice".to_owned()),
/// ]);
/// let context = JaegerPropagator::new().extract(&incoming);
/// let remote = context.span_context().unwrap();
/// assert_eq!(remote.span_id().to_string(), "000000000000001f");
/// assert!(remote.is_sampled());
/// assert_eq!(context.baggage().get("user-id"), Some("alice"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct JaegerPropagator;

impl JaegerPropagator {
    /// The propagator.
    pub fn new() -> JaegerPropagator {
        JaegerPropagator
    }
}

impl Propagator for JaegerPropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        if let Some(span_context) = context.span_context() {
            let flags = if span_context.is_sampled() { JAEGER_SAMPLED } else { 0 };
            injector.set(
                UBER_TRACE_ID_HEADER,
                format!("{}:{}:0:{flags:x}", span_context.trace_id(), span_context.span_id()),
            );
        }
        for entry in context.baggage() {
            let mut value = String::new();
            percent_encode(entry.value(), &mut value);
            injector.set(&format!("{UBERCTX_PREFIX}{}", entry.key()), value);
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let span_context = match extractor.get_all(UBER_TRACE_ID_HEADER).as_slice() {
            [value] => parse_uber_trace_id(value),
            _ => None,
        };
        let mut baggage = Baggage::new();
        for name in extractor.keys() {
            let Some(key) = strip_prefix_ignore_case(name, UBERCTX_PREFIX) else {
                continue;
            };
            let Some(value) = extractor.get(name) else {
                continue;
            };
            if let Some(entry) = BaggageEntry::new(key, percent_decode(trim_ows(value))) {
                baggage.insert_entry(entry);
            }
        }
        PropagationContext::new().with_span_context_option(span_context).with_baggage(baggage)
    }

    fn fields(&self) -> Vec<&str> {
        vec![UBER_TRACE_ID_HEADER]
    }
}

/// `name` without `prefix`, if it starts with it in any case and something follows.
fn strip_prefix_ignore_case<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    let rest = name.get(prefix.len()..)?;
    (head.eq_ignore_ascii_case(prefix) && !rest.is_empty()).then_some(rest)
}

/// A remote span context from an `uber-trace-id` value, or `None` if it is invalid.
pub(crate) fn parse_uber_trace_id(value: &str) -> Option<SpanContext> {
    let decoded = percent_decode(trim_ows(value));
    let mut fields = decoded.split(':');
    let trace_id = trace_id_up_to_32(fields.next()?, HexCase::Any)?;
    let span_id = span_id(fields.next()?, true, HexCase::Any)?;
    hex_u64(fields.next()?)?;
    let flags_text = fields.next()?;
    if flags_text.len() > 2 || fields.next().is_some() {
        return None;
    }
    let flags = hex_u64(flags_text)?;
    let sampled = flags & (JAEGER_SAMPLED | JAEGER_DEBUG) != 0;
    Some(SpanContext::remote(trace_id, span_id, TraceFlags::NONE.with_sampled(sampled)))
}
