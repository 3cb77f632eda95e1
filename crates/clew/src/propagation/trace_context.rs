//! W3C Trace Context, level 2 (<https://www.w3.org/TR/trace-context-2/>): the
//! `traceparent` and `tracestate` headers.
//!
//! ```text
//! traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03
//!              version-trace id-parent (span) id-flags (01 sampled, 02 random)
//! tracestate:  rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
//! ```
//!
//! Reading `traceparent`: optional whitespace around the value is ignored; the version,
//! ids and flags must be lowercase hex; version `ff` and all-zero ids are invalid;
//! version `00` must be exactly 55 characters, while a higher version may be longer if a
//! `-` follows the flags (its extra fields are ignored, and only the sampled and random
//! flags are kept). A header that appears more than once is invalid. Any invalid
//! `traceparent` means no span context (the receiver starts a new trace) and
//! `tracestate` is not read.
//!
//! Reading `tracestate`: repeated headers are joined with commas; empty members are
//! ignored; a key that repeats keeps its first value; a member whose key or value breaks
//! the grammar, or more than [`MAX_TRACE_STATE_MEMBERS`] members, drops the whole
//! `tracestate`.

use super::Propagator;
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;
use super::text::{HexCase, span_id, trace_id, trim_ows};
use crate::context::SpanContext;
use crate::id::TraceFlags;
use crate::value::Str;

/// The `traceparent` header name.
pub const TRACEPARENT_HEADER: &str = "traceparent";
/// The `tracestate` header name.
pub const TRACESTATE_HEADER: &str = "tracestate";
/// The most list members a `tracestate` may have.
pub const MAX_TRACE_STATE_MEMBERS: usize = 32;

/// The flags this version of the specification defines: sampled and random.
const KNOWN_FLAGS: u8 = 0x03;
/// The length of a version-00 `traceparent`.
const TRACEPARENT_LENGTH: usize = 55;

/// Reads and writes W3C `traceparent` and `tracestate`.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{Propagator, TraceContextPropagator};
///
/// let incoming = HashMap::from([
///     ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned()),
///     ("tracestate".to_owned(), "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE".to_owned()),
/// ]);
/// let context = TraceContextPropagator::new().extract(&incoming);
/// let remote = context.span_context().unwrap();
/// assert!(remote.is_sampled() && remote.trace_flags().is_random() && remote.is_remote());
/// assert_eq!(remote.trace_state().unwrap().as_str(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceContextPropagator;

impl TraceContextPropagator {
    /// The propagator.
    pub fn new() -> TraceContextPropagator {
        TraceContextPropagator
    }
}

impl Propagator for TraceContextPropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        let Some(span_context) = context.span_context() else {
            return;
        };
        injector.set(TRACEPARENT_HEADER, format_traceparent(span_context));
        if let Some(trace_state) = span_context.trace_state().filter(|state| !state.is_empty()) {
            injector.set(TRACESTATE_HEADER, trace_state.to_string());
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let traceparents = extractor.get_all(TRACEPARENT_HEADER);
        let [traceparent] = traceparents.as_slice() else {
            return PropagationContext::new();
        };
        let Some(span_context) = parse_traceparent(traceparent) else {
            return PropagationContext::new();
        };
        let trace_state = parse_trace_state(&extractor.get_all(TRACESTATE_HEADER)).map(Str::from);
        PropagationContext::new().with_span_context(span_context.with_trace_state(trace_state))
    }

    fn fields(&self) -> Vec<&str> {
        vec![TRACEPARENT_HEADER, TRACESTATE_HEADER]
    }
}

/// `00-{trace id}-{span id}-{flags}`, with only the flags this version defines.
pub(crate) fn format_traceparent(span_context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags().to_u8() & KNOWN_FLAGS
    )
}

/// Whether `text` is `length` lowercase hex digits.
fn is_lower_hex(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// A remote span context from a `traceparent` value, or `None` if it is invalid.
pub(crate) fn parse_traceparent(value: &str) -> Option<SpanContext> {
    let value = trim_ows(value);
    // Every check below indexes bytes of an ASCII prefix; `get` keeps a multi-byte
    // character from ever splitting a slice.
    let version = value.get(..2)?;
    if !is_lower_hex(version, 2) || version == "ff" || value.len() < TRACEPARENT_LENGTH {
        return None;
    }
    let bytes = value.as_bytes();
    if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let known_length = value.len() == TRACEPARENT_LENGTH;
    if version == "00" && !known_length {
        return None;
    }
    if !known_length && bytes[TRACEPARENT_LENGTH] != b'-' {
        return None;
    }
    let trace_id = trace_id(value.get(3..35)?, &[32], HexCase::Lower)?;
    let span_id = span_id(value.get(36..52)?, false, HexCase::Lower)?;
    let flags_text = value.get(53..55)?;
    if !is_lower_hex(flags_text, 2) {
        return None;
    }
    let mut flags = u8::from_str_radix(flags_text, 16).ok()?;
    if version != "00" {
        // Later versions are additive: keep the flags this version knows.
        flags &= KNOWN_FLAGS;
    }
    Some(SpanContext::remote(trace_id, span_id, TraceFlags::from_u8(flags)))
}

/// The `tracestate` list from every `tracestate` header, normalized (members joined
/// by commas, no whitespace, first of each key); `None` if there are no members or
/// the list is invalid.
pub(crate) fn parse_trace_state(headers: &[&str]) -> Option<String> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for header in headers {
        for member in header.split(',') {
            let member = trim_ows(member);
            if member.is_empty() {
                continue;
            }
            let (key, value) = member.split_once('=')?;
            if !is_trace_state_key(key) || !is_trace_state_value(value) {
                return None;
            }
            if members.iter().any(|(existing, _)| *existing == key) {
                continue;
            }
            members.push((key, value));
            if members.len() > MAX_TRACE_STATE_MEMBERS {
                return None;
            }
        }
    }
    if members.is_empty() {
        return None;
    }
    let mut normalized = String::new();
    for (index, (key, value)) in members.iter().enumerate() {
        if index > 0 {
            normalized.push(',');
        }
        normalized.push_str(key);
        normalized.push('=');
        normalized.push_str(value);
    }
    Some(normalized)
}

/// `key = ( lcalpha / DIGIT ) 0*255( keychar )`, `keychar = lcalpha / DIGIT / _ - * / @`.
///
/// This level-2 rule contains level 1's `tenant@system` form (`fw529a3039@dt`).
fn is_trace_state_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some(first) = bytes.first() else {
        return false;
    };
    bytes.len() <= 256
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && bytes.iter().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'_' | b'-' | b'*' | b'/' | b'@')
        })
}

/// `value = 0*255(chr) nblk-chr`: up to 256 printable ASCII characters but `,` and `=`,
/// not ending in a space. (The member was trimmed, so a trailing space cannot remain.)
fn is_trace_state_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let Some(last) = bytes.last() else {
        return false;
    };
    bytes.len() <= 256
        && *last != b' '
        && bytes.iter().all(|byte| matches!(byte, 0x20..=0x2B | 0x2D..=0x3C | 0x3E..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_with_a_multibyte_character_at_a_field_boundary_is_invalid() {
        assert_eq!(parse_traceparent("é0-12345678901234567890123456789012-1234567890123456-01"), None);
        assert_eq!(parse_traceparent("00-1234567890123456789012345678901é-234567890123456-01"), None);
        assert_eq!(parse_traceparent("cc-12345678901234567890123456789012-1234567890123456-01é"), None);
    }

    #[test]
    fn keys_follow_the_level_2_grammar() {
        assert!(is_trace_state_key("fw529a3039@dt"));
        assert!(is_trace_state_key("foo@@bar"));
        assert!(is_trace_state_key(&"z".repeat(256)));
        assert!(!is_trace_state_key(&"z".repeat(257)));
        assert!(!is_trace_state_key("@foo"));
        assert!(!is_trace_state_key("Foo"));
        assert!(!is_trace_state_key("foo.bar"));
        assert!(!is_trace_state_key(""));
    }
}
