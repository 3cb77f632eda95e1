//! B3 (single and multiple headers) and Jaeger (`uber-trace-id`, `uberctx-*`), with the
//! examples of the B3 specification and Jaeger's client documentation.
#![cfg(feature = "http")]
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use clew::propagation::{
    B3Encoding, B3Propagator, Baggage, Extractor, JaegerPropagator, PropagationContext, Propagator,
};
use clew::{SpanContext, SpanId, TraceFlags, TraceId};
use http::{HeaderMap, HeaderName, HeaderValue};

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    map
}

/// `(trace id, span id, sampled)` of what `propagator` extracts, if anything.
fn extracted(propagator: &dyn Propagator, pairs: &[(&str, &str)]) -> Option<(String, String, bool)> {
    let context = propagator.extract(&headers(pairs));
    context.span_context().map(|remote| {
        assert!(remote.is_remote());
        (remote.trace_id().to_string(), remote.span_id().to_string(), remote.is_sampled())
    })
}

fn ids(trace_id: &str, span_id: &str, sampled: bool) -> Option<(String, String, bool)> {
    Some((trace_id.to_owned(), span_id.to_owned(), sampled))
}

fn sample_context(sampled: bool) -> PropagationContext {
    let flags = TraceFlags::RANDOM.with_sampled(sampled);
    PropagationContext::new().with_span_context(SpanContext::new(
        TraceId::from_u128(0x80f1_98ee_5634_3ba8_64fe_8b2a_57d3_eff7),
        SpanId::from_u64(0xe457_b5a2_e4d8_6bd1),
        flags,
    ))
}

const B3_TRACE: &str = "80f198ee56343ba864fe8b2a57d3eff7";
const B3_SPAN: &str = "e457b5a2e4d86bd1";

#[test]
fn the_b3_single_header_is_read_with_every_sampling_state() {
    let b3 = B3Propagator::single_header();
    assert_eq!(
        extracted(&b3, &[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90")]),
        ids(B3_TRACE, B3_SPAN, true)
    );
    assert_eq!(
        extracted(&b3, &[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")]),
        ids(B3_TRACE, B3_SPAN, true)
    );
    assert_eq!(
        extracted(&b3, &[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d")]),
        ids(B3_TRACE, B3_SPAN, true),
        "debug is sampled"
    );
    assert_eq!(
        extracted(&b3, &[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0")]),
        ids(B3_TRACE, B3_SPAN, false)
    );
    assert_eq!(
        extracted(&b3, &[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1")]),
        ids(B3_TRACE, B3_SPAN, false),
        "defer"
    );
    assert_eq!(
        extracted(&b3, &[("B3", " 64fe8b2a57d3eff7-e457b5a2e4d86bd1-1 ")]),
        ids("000000000000000064fe8b2a57d3eff7", B3_SPAN, true),
        "64-bit trace id"
    );
}

#[test]
fn a_sampling_state_alone_or_a_malformed_b3_header_gives_no_span_context() {
    let b3 = B3Propagator::single_header();
    for value in [
        "0",
        "1",
        "d",
        "",
        "80f198ee56343ba864fe8b2a57d3eff7",
        "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-2",
        "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-true",
        "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-",
        "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b9",
        "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-x",
        "80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1",
        "80f198ee56343ba864fe8b2a57d3eff-e457b5a2e4d86bd1-1",
        "00000000000000000000000000000000-e457b5a2e4d86bd1-1",
        "80f198ee56343ba864fe8b2a57d3eff7-0000000000000000-1",
    ] {
        assert_eq!(extracted(&b3, &[("b3", value)]), None, "{value:?}");
    }
    let repeated = [
        ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
        ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
    ];
    assert_eq!(extracted(&b3, &repeated), None);
}

#[test]
fn the_multiple_headers_are_read_with_every_sampling_state() {
    let b3 = B3Propagator::multiple_headers();
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs =
            vec![("X-B3-TraceId", B3_TRACE), ("X-B3-SpanId", B3_SPAN), ("X-B3-ParentSpanId", "05e3ac9a4f6e3b90")];
        pairs.extend_from_slice(extra);
        extracted(&b3, &pairs)
    };
    assert_eq!(with(&[("X-B3-Sampled", "1")]), ids(B3_TRACE, B3_SPAN, true));
    assert_eq!(with(&[("X-B3-Sampled", "0")]), ids(B3_TRACE, B3_SPAN, false));
    assert_eq!(with(&[("X-B3-Sampled", "true")]), ids(B3_TRACE, B3_SPAN, true));
    assert_eq!(with(&[("X-B3-Sampled", "false")]), ids(B3_TRACE, B3_SPAN, false));
    assert_eq!(with(&[]), ids(B3_TRACE, B3_SPAN, false), "defer");
    assert_eq!(with(&[("X-B3-Flags", "1")]), ids(B3_TRACE, B3_SPAN, true), "debug");
    assert_eq!(with(&[("X-B3-Flags", "0"), ("X-B3-Sampled", "0")]), ids(B3_TRACE, B3_SPAN, false));
    assert_eq!(with(&[("X-B3-Sampled", "")]), None, "an empty header is malformed");
    assert_eq!(with(&[("X-B3-Sampled", "yes")]), None);
    assert_eq!(with(&[("X-B3-Sampled", "1"), ("X-B3-Sampled", "1")]), None, "repeated");
    assert_eq!(
        extracted(&b3, &[("X-B3-TraceId", B3_TRACE), ("X-B3-SpanId", B3_SPAN), ("X-B3-ParentSpanId", "-")]),
        None
    );
    assert_eq!(extracted(&b3, &[("X-B3-TraceId", B3_TRACE)]), None, "no span id");
    assert_eq!(extracted(&b3, &[("X-B3-Sampled", "0")]), None, "a decision alone");
    assert_eq!(
        extracted(&b3, &[("x-b3-traceid", "64fe8b2a57d3eff7"), ("x-b3-spanid", B3_SPAN)]),
        ids("000000000000000064fe8b2a57d3eff7", B3_SPAN, false)
    );
}

#[test]
fn a_valid_single_header_wins_and_an_invalid_one_falls_back_to_the_multiple_headers() {
    let b3 = B3Propagator::default();
    let multiple = [
        ("X-B3-TraceId", "0000000000000000000000000000000a"),
        ("X-B3-SpanId", "000000000000000b"),
        ("X-B3-Sampled", "1"),
    ];
    let mut both = vec![("b3", "0000000000000000000000000000000c-000000000000000d-0")];
    both.extend_from_slice(&multiple);
    assert_eq!(extracted(&b3, &both), ids("0000000000000000000000000000000c", "000000000000000d", false));
    let mut broken_single = vec![("b3", "0")];
    broken_single.extend_from_slice(&multiple);
    assert_eq!(extracted(&b3, &broken_single), ids("0000000000000000000000000000000a", "000000000000000b", true));
}

#[test]
fn b3_writes_the_chosen_encoding() {
    let mut single: HashMap<String, String> = HashMap::new();
    B3Propagator::single_header().inject(&sample_context(true), &mut single);
    assert_eq!(single, HashMap::from([("b3".to_owned(), format!("{B3_TRACE}-{B3_SPAN}-1"))]));

    let mut multiple: HashMap<String, String> = HashMap::new();
    B3Propagator::multiple_headers().inject(&sample_context(false), &mut multiple);
    assert_eq!(
        multiple,
        HashMap::from([
            ("x-b3-traceid".to_owned(), B3_TRACE.to_owned()),
            ("x-b3-spanid".to_owned(), B3_SPAN.to_owned()),
            ("x-b3-sampled".to_owned(), "0".to_owned()),
        ])
    );

    let mut both: HashMap<String, String> = HashMap::new();
    B3Propagator::new(B3Encoding::SingleAndMultipleHeaders).inject(&sample_context(true), &mut both);
    assert_eq!(both.len(), 4);
    assert_eq!(both["b3"], format!("{B3_TRACE}-{B3_SPAN}-1"));

    let mut nothing: HashMap<String, String> = HashMap::new();
    B3Propagator::single_header().inject(&PropagationContext::new(), &mut nothing);
    assert!(nothing.is_empty());
}

#[test]
fn uber_trace_id_is_read_with_short_ids_either_case_and_percent_encoding() {
    let jaeger = JaegerPropagator::new();
    let full = "4bf92f3577b34da6a3ce929d0e0e4736";
    assert_eq!(
        extracted(&jaeger, &[("uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")]),
        ids(full, "00f067aa0ba902b7", true)
    );
    assert_eq!(
        extracted(&jaeger, &[("Uber-Trace-Id", "4BF92F3577B34DA6A3CE929D0E0E4736:00F067AA0BA902B7:0:01")]),
        ids(full, "00f067aa0ba902b7", true)
    );
    assert_eq!(
        extracted(&jaeger, &[("uber-trace-id", "abc:1f:0:0")]),
        ids("00000000000000000000000000000abc", "000000000000001f", false)
    );
    assert_eq!(
        extracted(&jaeger, &[("uber-trace-id", "abc%3A1f%3A0%3A1")]),
        ids("00000000000000000000000000000abc", "000000000000001f", true)
    );
    assert_eq!(
        extracted(&jaeger, &[("uber-trace-id", "abc%3a1f%3a18c6c15301b9b3b3%3a3")]),
        ids("00000000000000000000000000000abc", "000000000000001f", true)
    );
    assert_eq!(
        extracted(&jaeger, &[("uber-trace-id", "abc:1f:0:2")]),
        ids("00000000000000000000000000000abc", "000000000000001f", true),
        "debug is sampled"
    );
    assert_eq!(
        extracted(&jaeger, &[("uber-trace-id", "abc:1f:0:8")]),
        ids("00000000000000000000000000000abc", "000000000000001f", false),
        "firehose alone is not sampled"
    );
}

#[test]
fn a_malformed_or_repeated_uber_trace_id_gives_no_span_context() {
    let jaeger = JaegerPropagator::new();
    for value in [
        "",
        "abc:1f:0",
        "abc:1f:0:1:extra",
        ":1f:0:1",
        "abc::0:1",
        "abc:1f::1",
        "abc:1f:0:",
        "abc:1f:0:100",
        "0:1f:0:1",
        "abc:0:0:1",
        "4bf92f3577b34da6a3ce929d0e0e47361:1f:0:1",
        "abc:00f067aa0ba902b71:0:1",
        "xyz:1f:0:1",
        "abc:1f:g:1",
        "abc-1f-0-1",
    ] {
        assert_eq!(extracted(&jaeger, &[("uber-trace-id", value)]), None, "{value:?}");
    }
    assert_eq!(extracted(&jaeger, &[("uber-trace-id", "abc:1f:0:1"), ("uber-trace-id", "abc:1f:0:1")]), None);
}

#[test]
fn uberctx_headers_are_baggage_both_ways() {
    let incoming = headers(&[
        ("uberctx-user-id", "alice"),
        ("UberCtx-Region", "eu%20west"),
        ("uberctx-", "ignored"),
        ("x-other", "1"),
    ]);
    let context = JaegerPropagator::new().extract(&incoming);
    assert!(context.span_context().is_none(), "baggage needs no trace");
    assert_eq!(context.baggage().get("user-id"), Some("alice"));
    assert_eq!(context.baggage().get("region"), Some("eu west"));
    assert_eq!(context.baggage().len(), 2);

    let mut baggage = Baggage::new();
    baggage.insert("user-id", "Amélie");
    let mut outgoing: HashMap<String, String> = HashMap::new();
    JaegerPropagator::new().inject(&sample_context(true).with_baggage(baggage), &mut outgoing);
    assert_eq!(outgoing["uber-trace-id"], format!("{B3_TRACE}:{B3_SPAN}:0:1"));
    assert_eq!(outgoing["uberctx-user-id"], "Am%C3%A9lie");
    let back = JaegerPropagator::new().extract(&outgoing);
    assert_eq!(back.baggage().get("user-id"), Some("Amélie"));
}

#[test]
fn jaeger_writes_an_unsampled_flag_and_nothing_without_a_context() {
    let mut outgoing = HeaderMap::new();
    JaegerPropagator::new().inject(&sample_context(false), &mut outgoing);
    assert_eq!(Extractor::get(&outgoing, "uber-trace-id"), Some(format!("{B3_TRACE}:{B3_SPAN}:0:0").as_str()));
    let mut nothing = HeaderMap::new();
    JaegerPropagator::new().inject(&PropagationContext::new(), &mut nothing);
    assert!(nothing.is_empty());
}
