//! Property tests: extraction never panics on any header text, and what each propagator
//! injects it extracts back unchanged.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use clew::propagation::PropagatorChoice;
use clew::propagation::{
    self, B3Propagator, Baggage, BaggageEntry, BaggagePropagator, BaggageProperty, HeaderPairPropagator,
    JaegerPropagator, PropagationContext, Propagator, RequestIdPropagator, TraceContextPropagator,
};
use clew::{SpanContext, SpanId, TraceFlags, TraceId};
use proptest::prelude::*;

/// Every header name some propagator reads, plus a baggage-carrying Jaeger name.
const NAMES: &[&str] = &[
    "traceparent",
    "tracestate",
    "baggage",
    "b3",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "uber-trace-id",
    "uberctx-user",
    "X-Trace-ID",
    "X-Span-ID",
    "x-request-id",
];

/// Text shaped like the formats (hex, separators, whitespace) or anything at all.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-fA-F\\-:;,= \t%.@_*/]{0,80}",
        "(00|cc|ff)-[0-9a-f]{30,34}-[0-9a-f]{14,18}-[0-9a-f]{1,3}(-.{0,5})?",
        "[0-9a-f]{16,32}-[0-9a-f]{16}(-[01d])?(-[0-9a-f]{16})?",
        ".{0,120}",
        "\\PC{0,40}",
    ]
}

fn all_propagators() -> propagation::CompositePropagator {
    propagation::from_choices(&PropagatorChoice::ALL)
}

fn span_context(trace_id: u128, span_id: u64, flags: u8) -> SpanContext {
    SpanContext::new(TraceId::from_u128(trace_id), SpanId::from_u64(span_id), TraceFlags::from_u8(flags))
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

fn trace_state_member() -> impl Strategy<Value = String> {
    ("[a-z0-9][a-z0-9_*/@-]{0,20}", "[ -+\\--<>-~]{0,20}[!-+\\--<>-~]")
        .prop_map(|(key, value)| format!("{key}={value}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extraction_never_panics(headers in proptest::collection::vec((proptest::sample::select(NAMES), header_text()), 0..6)) {
        let carrier: HashMap<String, String> = headers.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        let context = all_propagators().extract(&carrier);
        if let Some(remote) = context.span_context() {
            prop_assert!(remote.is_valid() && remote.is_remote());
        }
        let _ = context.baggage().to_string();
    }

    #[test]
    fn every_header_parser_survives_every_value(value in header_text()) {
        for name in NAMES {
            let carrier = HashMap::from([((*name).to_owned(), value.clone())]);
            let _ = all_propagators().extract(&carrier);
        }
        let _ = Baggage::parse(&value);
    }

    #[test]
    fn trace_context_round_trips(
        trace_id in 1u128..,
        span_id in 1u64..,
        flags in 0u8..4,
        members in proptest::collection::vec(trace_state_member(), 0..5),
    ) {
        let mut unique: Vec<String> = Vec::new();
        for member in members {
            let key = member.split('=').next().unwrap().to_owned();
            if !unique.iter().any(|existing| existing.split('=').next() == Some(key.as_str())) {
                unique.push(member);
            }
        }
        let trace_state = (!unique.is_empty()).then(|| unique.join(","));
        let sent = span_context(trace_id, span_id, flags).with_trace_state(trace_state.clone().map(Into::into));
        let received = round_trip(&TraceContextPropagator::new(), PropagationContext::new().with_span_context(sent));
        let remote = received.span_context().unwrap();
        prop_assert_eq!(remote.trace_id().to_u128(), trace_id);
        prop_assert_eq!(remote.span_id().to_u64(), span_id);
        prop_assert_eq!(remote.trace_flags().to_u8(), flags);
        prop_assert_eq!(remote.trace_state().map(|state| state.to_string()), trace_state);
    }

    #[test]
    fn b3_round_trips_in_both_encodings(trace_id in 1u128.., span_id in 1u64.., sampled: bool, multiple: bool) {
        let propagator = if multiple { B3Propagator::multiple_headers() } else { B3Propagator::single_header() };
        let flags = TraceFlags::NONE.with_sampled(sampled).to_u8();
        let received = round_trip(&propagator, PropagationContext::new().with_span_context(span_context(trace_id, span_id, flags)));
        let remote = received.span_context().unwrap();
        prop_assert_eq!((remote.trace_id().to_u128(), remote.span_id().to_u64(), remote.is_sampled()), (trace_id, span_id, sampled));
    }

    #[test]
    fn jaeger_round_trips_with_baggage(
        trace_id in 1u128..,
        span_id in 1u64..,
        sampled: bool,
        // Header names are case-insensitive, so keys differing only in case would collide.
        entries in proptest::collection::vec(("[a-z0-9_.-]{1,12}", "\\PC{0,20}"), 0..5),
    ) {
        let mut baggage = Baggage::new();
        for (key, value) in entries {
            baggage.insert(key, value);
        }
        let flags = TraceFlags::NONE.with_sampled(sampled).to_u8();
        let sent = PropagationContext::new().with_span_context(span_context(trace_id, span_id, flags)).with_baggage(baggage.clone());
        let received = round_trip(&JaegerPropagator::new(), sent);
        let remote = received.span_context().unwrap();
        prop_assert_eq!((remote.trace_id().to_u128(), remote.span_id().to_u64(), remote.is_sampled()), (trace_id, span_id, sampled));
        let mut received_entries: Vec<(String, String)> = received.baggage().iter().map(|entry| (entry.key().to_owned(), entry.value().to_owned())).collect();
        let mut sent_entries: Vec<(String, String)> = baggage.iter().map(|entry| (entry.key().to_owned(), entry.value().to_owned())).collect();
        received_entries.sort();
        sent_entries.sort();
        prop_assert_eq!(received_entries, sent_entries);
    }

    #[test]
    fn the_header_pair_round_trips(trace_id in 1u128.., span_id in 1u64..) {
        let received = round_trip(&HeaderPairPropagator::new(), PropagationContext::new().with_span_context(span_context(trace_id, span_id, 0)));
        let remote = received.span_context().unwrap();
        prop_assert_eq!((remote.trace_id().to_u128(), remote.span_id().to_u64()), (trace_id, span_id));
    }

    #[test]
    fn baggage_round_trips(
        entries in proptest::collection::vec(
            (token(), "\\PC{0,30}", proptest::collection::vec((token(), proptest::option::of("\\PC{0,10}")), 0..3)),
            0..8,
        ),
    ) {
        let mut baggage = Baggage::new();
        for (key, value, properties) in entries {
            let mut entry = BaggageEntry::new(key, value).unwrap();
            for (property_key, property_value) in properties {
                entry = entry.with_property(BaggageProperty::new(property_key, property_value).unwrap());
            }
            baggage.insert_entry(entry);
        }
        let received = round_trip(&BaggagePropagator, PropagationContext::new().with_baggage(baggage.clone()));
        prop_assert_eq!(received.baggage(), &baggage);
    }

    #[test]
    fn the_request_id_round_trips(request_id in "[!-~][ -~]{0,100}[!-~]") {
        let received = round_trip(&RequestIdPropagator::new(), PropagationContext::new().with_request_id(request_id.clone()));
        prop_assert_eq!(received.request_id(), Some(request_id.as_str()));
    }

    #[test]
    fn everything_round_trips_through_every_propagator_at_once(trace_id in 1u128.., span_id in 1u64.., flags in 0u8..4) {
        let mut baggage = Baggage::new();
        baggage.insert("tenant", "acme corp");
        let sent = PropagationContext::new()
            .with_span_context(span_context(trace_id, span_id, flags))
            .with_baggage(baggage)
            .with_request_id("r-1");
        let received = round_trip(&all_propagators(), sent.clone());
        let remote = received.span_context().unwrap();
        prop_assert_eq!(remote.trace_flags().to_u8(), flags, "the W3C context comes first");
        prop_assert_eq!(received.baggage(), sent.baggage());
        prop_assert_eq!(received.request_id(), Some("r-1"));
    }
}

/// Injects into a map, then extracts from it.
fn round_trip(propagator: &dyn Propagator, context: PropagationContext) -> PropagationContext {
    let mut carrier: HashMap<String, String> = HashMap::new();
    propagator.inject(&context, &mut carrier);
    propagator.extract(&carrier)
}
