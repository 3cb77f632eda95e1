//! W3C Trace Context level 2: `traceparent` and `tracestate` read and written as the
//! specification and its test suite (w3c/trace-context `test/test.py`) require.
#![cfg(feature = "http")]
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use clew::propagation::{Extractor, PropagationContext, Propagator, TraceContextPropagator};
use clew::{Sampler, SpanContext, SpanId, SpanKind, TraceFlags, TraceId};
use http::{HeaderMap, HeaderName, HeaderValue};

const TRACE_ID: &str = "12345678901234567890123456789012";
const VALID: &str = "00-12345678901234567890123456789012-1234567890123456-01";
const UNSAMPLED: &str = "00-12345678901234567890123456789012-1234567890123456-00";

/// Headers in the order given, repeats kept, as an HTTP server receives them.
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

fn extract(pairs: &[(&str, &str)]) -> PropagationContext {
    TraceContextPropagator::new().extract(&headers(pairs))
}

/// The trace id continued from a single `traceparent`, if any.
fn continued_trace(traceparent: &str) -> Option<String> {
    extract(&[("traceparent", traceparent)]).span_context().map(|remote| remote.trace_id().to_string())
}

/// The `tracestate` kept with a valid `traceparent` and these `tracestate` headers.
fn trace_state(values: &[&str]) -> Option<String> {
    let mut pairs = vec![("traceparent", UNSAMPLED)];
    pairs.extend(values.iter().map(|value| ("tracestate", *value)));
    let context = extract(&pairs);
    assert!(context.span_context().is_some(), "the traceparent is valid");
    context.span_context().unwrap().trace_state().map(|state| state.to_string())
}

#[test]
fn a_valid_traceparent_gives_a_remote_span_context() {
    let context = extract(&[("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]);
    let remote = context.span_context().unwrap();
    assert_eq!(remote.trace_id(), TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736));
    assert_eq!(remote.span_id(), SpanId::from_u64(0x00f0_67aa_0ba9_02b7));
    assert_eq!(remote.trace_flags(), TraceFlags::SAMPLED);
    assert!(remote.is_remote());
    assert_eq!(remote.trace_state(), None);
    let unsampled = extract(&[("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")]);
    assert!(!unsampled.span_context().unwrap().is_sampled());
}

#[test]
fn header_names_are_case_insensitive_and_exact() {
    for name in ["TraceParent", "TrAcEpArEnT", "TRACEPARENT", "traceparent"] {
        let carrier = HashMap::from([(name.to_owned(), VALID.to_owned())]);
        let context = TraceContextPropagator::new().extract(&carrier);
        assert_eq!(context.span_context().unwrap().trace_id().to_string(), TRACE_ID, "{name}");
    }
    for name in ["trace-parent", "trace.parent"] {
        assert!(extract(&[(name, VALID)]).span_context().is_none(), "{name}");
    }
}

#[test]
fn a_repeated_traceparent_starts_a_new_trace() {
    let context = extract(&[
        ("traceparent", "00-12345678901234567890123456789011-1234567890123456-01"),
        ("traceparent", VALID),
        ("tracestate", "foo=1"),
    ]);
    assert_eq!(context, PropagationContext::new());
    // Two names that differ only in case are the same header, in a map too.
    let carrier =
        HashMap::from([("traceparent".to_owned(), VALID.to_owned()), ("TraceParent".to_owned(), VALID.to_owned())]);
    assert!(TraceContextPropagator::new().extract(&carrier).span_context().is_none());
}

#[test]
fn version_00_allows_nothing_after_the_flags() {
    assert_eq!(continued_trace(VALID).as_deref(), Some(TRACE_ID));
    assert_eq!(continued_trace("00-12345678901234567890123456789012-1234567890123456-01."), None);
    assert_eq!(
        continued_trace("00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like"),
        None
    );
}

#[test]
fn higher_versions_are_read_leniently_but_ff_is_invalid() {
    assert_eq!(continued_trace("cc-12345678901234567890123456789012-1234567890123456-01").as_deref(), Some(TRACE_ID));
    assert_eq!(
        continued_trace("cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like")
            .as_deref(),
        Some(TRACE_ID)
    );
    assert_eq!(
        continued_trace("cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like"),
        None
    );
    assert_eq!(continued_trace("ff-12345678901234567890123456789012-1234567890123456-01"), None);
    // Of a higher version's flags, only those this version defines are kept.
    let context = extract(&[("traceparent", "01-12345678901234567890123456789012-1234567890123456-ff-extra")]);
    assert_eq!(context.span_context().unwrap().trace_flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
}

#[test]
fn malformed_versions_start_a_new_trace() {
    for version in [".0", "0.", "000", "0000", "0", "0A", ""] {
        let traceparent = format!("{version}-12345678901234567890123456789012-1234567890123456-01");
        assert_eq!(continued_trace(&traceparent), None, "{traceparent}");
    }
}

#[test]
fn malformed_trace_ids_start_a_new_trace() {
    for trace_id in [
        "00000000000000000000000000000000",
        ".2345678901234567890123456789012",
        "1234567890123456789012345678901.",
        "123456789012345678901234567890123",
        "1234567890123456789012345678901",
        "1234567890123456789012345678901A",
    ] {
        let traceparent = format!("00-{trace_id}-1234567890123456-01");
        assert_eq!(continued_trace(&traceparent), None, "{traceparent}");
    }
}

#[test]
fn malformed_parent_ids_start_a_new_trace() {
    for parent_id in [
        "0000000000000000",
        ".234567890123456",
        "123456789012345.",
        "12345678901234567",
        "123456789012345",
        "123456789012345A",
    ] {
        let traceparent = format!("00-12345678901234567890123456789012-{parent_id}-01");
        assert_eq!(continued_trace(&traceparent), None, "{traceparent}");
    }
}

#[test]
fn malformed_flags_start_a_new_trace() {
    for flags in [".0", "0.", "001", "1", "0A", ""] {
        let traceparent = format!("00-12345678901234567890123456789012-1234567890123456-{flags}");
        assert_eq!(continued_trace(&traceparent), None, "{traceparent}");
    }
}

#[test]
fn whitespace_around_the_traceparent_is_ignored() {
    for traceparent in [
        " 00-12345678901234567890123456789012-1234567890123456-01",
        "\t00-12345678901234567890123456789012-1234567890123456-01",
        "00-12345678901234567890123456789012-1234567890123456-01 ",
        "00-12345678901234567890123456789012-1234567890123456-01\t",
        "\t 00-12345678901234567890123456789012-1234567890123456-01 \t",
    ] {
        assert_eq!(continued_trace(traceparent).as_deref(), Some(TRACE_ID), "{traceparent:?}");
    }
    assert_eq!(continued_trace("00-12345678901234567890123456789012 -1234567890123456-01"), None);
}

#[test]
fn tracestate_is_read_only_with_a_valid_traceparent() {
    let context = extract(&[("traceparent", UNSAMPLED), ("tracestate", "foo=1,bar=2")]);
    assert_eq!(context.span_context().unwrap().trace_state().unwrap().as_str(), "foo=1,bar=2");
    assert_eq!(extract(&[("tracestate", "foo=1")]), PropagationContext::new());
    let invalid_parent =
        extract(&[("traceparent", "00-00000000000000000000000000000000-1234567890123456-01"), ("tracestate", "foo=1")]);
    assert_eq!(invalid_parent, PropagationContext::new());
    assert_eq!(trace_state(&[]), None);
}

#[test]
fn tracestate_header_names_are_case_insensitive_and_exact() {
    for name in ["TraceState", "TrAcEsTaTe", "TRACESTATE"] {
        let carrier =
            HashMap::from([("traceparent".to_owned(), UNSAMPLED.to_owned()), (name.to_owned(), "foo=1".to_owned())]);
        let context = TraceContextPropagator::new().extract(&carrier);
        assert_eq!(context.span_context().unwrap().trace_state().unwrap().as_str(), "foo=1", "{name}");
    }
    for name in ["trace-state", "trace.state"] {
        let context = extract(&[("traceparent", UNSAMPLED), (name, "foo=1")]);
        assert_eq!(context.span_context().unwrap().trace_state(), None, "{name}");
    }
}

#[test]
fn empty_tracestate_headers_and_members_are_ignored() {
    assert_eq!(trace_state(&[""]), None);
    assert_eq!(trace_state(&["foo=1", ""]).as_deref(), Some("foo=1"));
    assert_eq!(trace_state(&["", "foo=1"]).as_deref(), Some("foo=1"));
    assert_eq!(trace_state(&[",foo=1, ,\t,bar=2,"]).as_deref(), Some("foo=1,bar=2"));
}

#[test]
fn repeated_tracestate_headers_are_combined_in_order() {
    assert_eq!(
        trace_state(&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"]).as_deref(),
        Some("foo=1,bar=2,rojo=1,congo=2,baz=3")
    );
}

#[test]
fn a_repeated_tracestate_key_keeps_its_first_value() {
    assert_eq!(trace_state(&["foo=1,foo=1"]).as_deref(), Some("foo=1"));
    assert_eq!(trace_state(&["foo=1,foo=2"]).as_deref(), Some("foo=1"));
    assert_eq!(trace_state(&["foo=1", "foo=2"]).as_deref(), Some("foo=1"));
}

#[test]
fn every_allowed_character_is_kept() {
    let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    let value: String = (0x20u8..=0x7e).filter(|byte| *byte != b',' && *byte != b'=').map(char::from).collect();
    assert_eq!(trace_state(&[&format!("{key}={value}")]), Some(format!("{key}={value}")));
    let vendor_key = format!("{key}@a-z0-9_-*/");
    assert_eq!(trace_state(&[&format!("{vendor_key}={value}")]), Some(format!("{vendor_key}={value}")));
}

#[test]
fn whitespace_around_tracestate_members_is_ignored() {
    assert_eq!(trace_state(&["foo=1 \t , \t bar=2, \t baz=3"]).as_deref(), Some("foo=1,bar=2,baz=3"));
    assert_eq!(trace_state(&["foo=1\t \t,\t \tbar=2,\t \tbaz=3"]).as_deref(), Some("foo=1,bar=2,baz=3"));
    for value in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
        assert_eq!(trace_state(&[value]).as_deref(), Some("foo=1"), "{value:?}");
    }
    // Leading spaces belong to the value.
    assert_eq!(trace_state(&["foo=  1"]).as_deref(), Some("foo=  1"));
}

#[test]
fn an_illegal_key_drops_the_whole_tracestate() {
    for header in ["foo =1", "FOO=1", "foo.bar=1", "@foo=1,bar=2", "bar=2,-foo=1"] {
        assert_eq!(trace_state(&[header]), None, "{header}");
    }
    assert_eq!(trace_state(&["ok=1", "Upper=2"]), None);
}

#[test]
fn keys_with_at_signs_follow_the_level_2_grammar() {
    assert_eq!(trace_state(&["foo@=1,bar=2"]).as_deref(), Some("foo@=1,bar=2"));
    assert_eq!(trace_state(&["foo@@bar=1,bar=2"]).as_deref(), Some("foo@@bar=1,bar=2"));
    assert_eq!(trace_state(&["foo@bar@baz=1,bar=2"]).as_deref(), Some("foo@bar@baz=1,bar=2"));
    assert_eq!(trace_state(&["fw529a3039@dt=FW4;0;0;0;0;0;0;de"]).as_deref(), Some("fw529a3039@dt=FW4;0;0;0;0;0;0;de"));
}

#[test]
fn keys_may_be_256_characters_long() {
    for key in [
        "z".repeat(256),
        format!("{}@{}", "t".repeat(241), "v".repeat(14)),
        format!("{}@v", "t".repeat(242)),
        format!("t@{}", "v".repeat(15)),
    ] {
        assert_eq!(trace_state(&["foo=1", &format!("{key}=1")]), Some(format!("foo=1,{key}=1")), "{key}");
    }
    assert_eq!(trace_state(&["foo=1", &format!("{}=1", "z".repeat(257))]), None);
}

#[test]
fn values_may_be_256_characters_long() {
    let longest = "v".repeat(256);
    assert_eq!(trace_state(&[&format!("foo={longest}")]), Some(format!("foo={longest}")));
    assert_eq!(trace_state(&[&format!("foo={longest}v")]), None);
}

#[test]
fn an_illegal_value_drops_the_whole_tracestate() {
    for header in ["foo=bar=baz", "foo=,bar=3", "foo", "foo=\u{e9}", "foo=a\tb"] {
        assert_eq!(trace_state(&[header]), None, "{header:?}");
    }
}

#[test]
fn thirty_two_members_are_kept_and_thirty_three_drop_the_tracestate() {
    let members: Vec<String> = (1..=33).map(|index| format!("bar{index:02}={index:02}")).collect();
    let headers_of =
        |count: usize| -> Vec<String> { members[..count].chunks(10).map(|chunk| chunk.join(",")).collect() };
    let thirty_two = headers_of(32);
    let kept = trace_state(&thirty_two.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
    assert_eq!(kept.split(',').count(), 32);
    assert!(kept.starts_with("bar01=01,"));
    let thirty_three = headers_of(33);
    assert_eq!(trace_state(&thirty_three.iter().map(String::as_str).collect::<Vec<_>>()), None);
}

#[test]
fn injection_writes_version_00_with_the_defined_flags_and_the_tracestate() {
    let remote = SpanContext::remote(TraceId::from_u128(0xabc), SpanId::from_u64(0xdef), TraceFlags::from_u8(0xff))
        .with_trace_state(Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".into()));
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject(&PropagationContext::new().with_span_context(remote), &mut carrier);
    assert_eq!(carrier["traceparent"], "00-00000000000000000000000000000abc-0000000000000def-03");
    assert_eq!(carrier["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assert_eq!(carrier.len(), 2);
}

#[test]
fn nothing_is_written_without_a_valid_span_context() {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject(&PropagationContext::new(), &mut carrier);
    let invalid = SpanContext::new(TraceId::INVALID, SpanId::from_u64(1), TraceFlags::SAMPLED);
    TraceContextPropagator::new().inject(&PropagationContext::new().with_span_context(invalid), &mut carrier);
    assert!(carrier.is_empty());
}

#[test]
fn a_server_span_continues_the_trace_and_passes_on_a_new_parent_id() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
    let incoming = headers(&[("traceparent", VALID), ("tracestate", "congo=t61rcWkgMzE")]);
    let context = TraceContextPropagator::new().extract(&incoming);
    let server = tracer.span("handle").kind(SpanKind::Server).remote_parent(&context).start();
    let mut outgoing = HeaderMap::new();
    TraceContextPropagator::new().inject(&context.for_span(&server), &mut outgoing);
    let server_id = server.span_id();
    server.end();

    assert_eq!(Extractor::get(&outgoing, "traceparent").unwrap(), format!("00-{TRACE_ID}-{server_id}-01"));
    assert_eq!(Extractor::get(&outgoing, "tracestate"), Some("congo=t61rcWkgMzE"));
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.trace_id.to_string(), TRACE_ID);
    assert_eq!(recorded.parent_span_id, Some(SpanId::from_u64(0x1234_5678_9012_3456)));
    assert!(recorded.parent_is_remote);
    assert_ne!(server_id, SpanId::from_u64(0x1234_5678_9012_3456));
}

#[test]
fn the_random_flag_is_passed_on_and_set_on_new_traces() {
    let tracer = clew::Tracer::builder().ignore_env().exporter(clew::NoneExporter).build();
    let propagator = TraceContextPropagator::new();
    let outgoing_flags = |incoming: &[(&str, &str)]| -> String {
        let context = propagator.extract(&headers(incoming));
        let span = tracer.span("handle").remote_parent(&context).start();
        let mut outgoing: HashMap<String, String> = HashMap::new();
        propagator.inject(&context.for_span(&span), &mut outgoing);
        outgoing["traceparent"][53..].to_owned()
    };
    assert_eq!(outgoing_flags(&[("traceparent", "00-12345678901234567890123456789012-1234567890123456-02")]), "02");
    assert_eq!(outgoing_flags(&[("traceparent", "00-12345678901234567890123456789012-1234567890123456-03")]), "03");
    assert_eq!(outgoing_flags(&[("traceparent", VALID)]), "01", "no random flag in, none out");
    assert_eq!(outgoing_flags(&[]), "03", "a new trace has a random id, sampled by the default sampler");
}

#[test]
fn an_unsampled_caller_is_not_recorded_by_a_parent_based_sampler() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder()
        .ignore_env()
        .sampler(Sampler::parent_based(Sampler::AlwaysOn))
        .exporter(exporter.clone())
        .simple_export()
        .build();
    let context = extract(&[("traceparent", UNSAMPLED)]);
    let span = tracer.span("handle").remote_parent(&context).start();
    assert!(!span.is_recording());
    assert_eq!(span.trace_id().to_string(), TRACE_ID);
    span.end();
    assert!(exporter.spans().is_empty());
}
