//! B3 (<https://github.com/openzipkin/b3-propagation>): Zipkin's headers, single or
//! multiple.
//!
//! ```text
//! b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90
//!     {trace id}-{span id}-{sampling state}-{parent span id}   (last two optional)
//!
//! X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7
//! X-B3-SpanId: e457b5a2e4d86bd1
//! X-B3-ParentSpanId: 05e3ac9a4f6e3b90
//! X-B3-Sampled: 1
//! X-B3-Flags: 1            (debug)
//! ```
//!
//! Reading accepts both encodings whatever the propagator writes; a valid `b3` header
//! wins over the multiple headers. Trace ids are 32 or 16 lowercase hex characters (16
//! are left-padded with zeros), span ids 16. The sampling state is `1` or `0` (`true` and
//! `false` are also accepted in `X-B3-Sampled`), `d` or `X-B3-Flags: 1` is debug, read as
//! sampled; no sampling state ("defer") is read as not sampled. A header with only a
//! sampling state (`b3: 0`) carries no ids, so it gives no span context. A malformed or
//! repeated header gives no span context.

use super::Propagator;
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;
use super::text::{HexCase, span_id, trace_id, trim_ows};
use crate::context::SpanContext;
use crate::id::{SpanId, TraceFlags, TraceId};

/// The single header.
pub const B3_HEADER: &str = "b3";
/// The trace id of the multiple-header encoding.
pub const X_B3_TRACE_ID: &str = "x-b3-traceid";
/// The span id of the multiple-header encoding.
pub const X_B3_SPAN_ID: &str = "x-b3-spanid";
/// The parent span id of the multiple-header encoding.
pub const X_B3_PARENT_SPAN_ID: &str = "x-b3-parentspanid";
/// The sampling decision of the multiple-header encoding.
pub const X_B3_SAMPLED: &str = "x-b3-sampled";
/// The debug flag of the multiple-header encoding.
pub const X_B3_FLAGS: &str = "x-b3-flags";

/// Which B3 headers [`B3Propagator`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum B3Encoding {
    /// The `b3` header (`OTEL_PROPAGATORS=b3`).
    #[default]
    SingleHeader,
    /// The `X-B3-*` headers (`OTEL_PROPAGATORS=b3multi`).
    MultipleHeaders,
    /// Both, for receivers that read only one of them.
    SingleAndMultipleHeaders,
}

/// Reads both B3 encodings and writes the one chosen.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{B3Propagator, Propagator};
///
/// let incoming = HashMap::from([("b3".to_owned(), "a3ce929d0e0e4736-00f067aa0ba902b7-1".to_owned())]);
/// let context = B3Propagator::multiple_headers().extract(&incoming);
/// let remote = context.span_context().unwrap();
/// assert_eq!(remote.trace_id().to_string(), "0000000000000000a3ce929d0e0e4736");
///
/// let mut outgoing: HashMap<String, String> = HashMap::new();
/// B3Propagator::multiple_headers().inject(&context, &mut outgoing);
/// assert_eq!(outgoing["x-b3-sampled"], "1");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct B3Propagator {
    encoding: B3Encoding,
}

impl B3Propagator {
    /// A propagator writing `encoding`.
    pub fn new(encoding: B3Encoding) -> B3Propagator {
        B3Propagator { encoding }
    }

    /// A propagator writing the `b3` header.
    pub fn single_header() -> B3Propagator {
        B3Propagator::new(B3Encoding::SingleHeader)
    }

    /// A propagator writing the `X-B3-*` headers.
    pub fn multiple_headers() -> B3Propagator {
        B3Propagator::new(B3Encoding::MultipleHeaders)
    }

    /// What this propagator writes.
    pub fn encoding(&self) -> B3Encoding {
        self.encoding
    }
}

impl Propagator for B3Propagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        let Some(span_context) = context.span_context() else {
            return;
        };
        let sampled = if span_context.is_sampled() { "1" } else { "0" };
        if matches!(self.encoding, B3Encoding::SingleHeader | B3Encoding::SingleAndMultipleHeaders) {
            injector.set(B3_HEADER, format!("{}-{}-{sampled}", span_context.trace_id(), span_context.span_id()));
        }
        if matches!(self.encoding, B3Encoding::MultipleHeaders | B3Encoding::SingleAndMultipleHeaders) {
            injector.set(X_B3_TRACE_ID, span_context.trace_id().to_string());
            injector.set(X_B3_SPAN_ID, span_context.span_id().to_string());
            injector.set(X_B3_SAMPLED, sampled.to_owned());
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let span_context = extract_single(extractor).or_else(|| extract_multiple(extractor));
        PropagationContext::new().with_span_context_option(span_context)
    }

    fn fields(&self) -> Vec<&str> {
        match self.encoding {
            B3Encoding::SingleHeader => vec![B3_HEADER],
            B3Encoding::MultipleHeaders => vec![X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_SAMPLED],
            B3Encoding::SingleAndMultipleHeaders => vec![B3_HEADER, X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_SAMPLED],
        }
    }
}

/// The one value of `name`: `Ok(None)` if absent, `Err` if repeated.
fn single_value<'a>(extractor: &'a dyn Extractor, name: &str) -> Result<Option<&'a str>, ()> {
    match extractor.get_all(name).as_slice() {
        [] => Ok(None),
        [value] => Ok(Some(trim_ows(value))),
        _ => Err(()),
    }
}

fn b3_trace_id(text: &str) -> Option<TraceId> {
    trace_id(text, &[16, 32], HexCase::Lower)
}

fn b3_span_id(text: &str) -> Option<SpanId> {
    span_id(text, false, HexCase::Lower)
}

fn extract_single(extractor: &dyn Extractor) -> Option<SpanContext> {
    let value = single_value(extractor, B3_HEADER).ok()??;
    let mut fields = value.split('-');
    let trace_id = b3_trace_id(fields.next()?)?;
    let span_id = b3_span_id(fields.next()?)?;
    let sampled = match fields.next() {
        None => false,
        Some("1" | "d") => true,
        Some("0") => false,
        Some(_) => return None,
    };
    if let Some(parent) = fields.next() {
        b3_span_id(parent)?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(SpanContext::remote(trace_id, span_id, TraceFlags::NONE.with_sampled(sampled)))
}

fn extract_multiple(extractor: &dyn Extractor) -> Option<SpanContext> {
    let trace_id = b3_trace_id(single_value(extractor, X_B3_TRACE_ID).ok()??)?;
    let span_id = b3_span_id(single_value(extractor, X_B3_SPAN_ID).ok()??)?;
    if let Some(parent) = single_value(extractor, X_B3_PARENT_SPAN_ID).ok()? {
        b3_span_id(parent)?;
    }
    let debug = single_value(extractor, X_B3_FLAGS).ok()? == Some("1");
    let sampled = match single_value(extractor, X_B3_SAMPLED).ok()? {
        None => false,
        Some(value) if value == "1" || value.eq_ignore_ascii_case("true") => true,
        Some(value) if value == "0" || value.eq_ignore_ascii_case("false") => false,
        Some(_) => return None,
    };
    Some(SpanContext::remote(trace_id, span_id, TraceFlags::NONE.with_sampled(sampled || debug)))
}
