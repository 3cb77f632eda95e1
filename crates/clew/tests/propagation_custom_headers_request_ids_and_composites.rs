//! The seed formats (the `X-Trace-ID`/`X-Span-ID` pair, `x-request-id`), composites of
//! several propagators, `OTEL_PROPAGATORS`, and the process-wide propagator.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use clew::propagation::PropagatorChoice;
use clew::propagation::{
    self, B3Propagator, Baggage, BaggagePropagator, CompositePropagator, HeaderPairPropagator, JaegerPropagator,
    PropagationContext, Propagator, RequestIdPropagator, TraceContextPropagator,
};
use clew::{SpanContext, SpanId, SpanKind, TraceFlags, TraceId, Value};

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

fn context_of(trace_id: u128, span_id: u64, flags: TraceFlags) -> PropagationContext {
    PropagationContext::new().with_span_context(SpanContext::new(
        TraceId::from_u128(trace_id),
        SpanId::from_u64(span_id),
        flags,
    ))
}

#[test]
fn the_header_pair_is_read_in_either_case_and_counts_as_sampled() {
    let pair = HeaderPairPropagator::new();
    let context =
        pair.extract(&map(&[("X-Trace-ID", "4BF92F3577B34DA6A3CE929D0E0E4736"), ("x-span-id", " 00f067aa0ba902b7 ")]));
    let remote = context.span_context().unwrap();
    assert_eq!(remote.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(remote.span_id().to_string(), "00f067aa0ba902b7");
    assert!(remote.is_sampled() && remote.is_remote());
    let short = pair.extract(&map(&[("x-trace-id", "a3ce929d0e0e4736"), ("x-span-id", "00f067aa0ba902b7")]));
    assert_eq!(short.span_context().unwrap().trace_id().to_u128(), 0xa3ce_929d_0e0e_4736);
}

#[test]
fn a_missing_or_malformed_half_of_the_pair_gives_no_span_context() {
    let pair = HeaderPairPropagator::new();
    for pairs in [
        vec![("X-Trace-ID", "4bf92f3577b34da6a3ce929d0e0e4736")],
        vec![("X-Span-ID", "00f067aa0ba902b7")],
        vec![("X-Trace-ID", "4bf92f3577b34da6a3ce929d0e0e473"), ("X-Span-ID", "00f067aa0ba902b7")],
        vec![("X-Trace-ID", "00000000000000000000000000000000"), ("X-Span-ID", "00f067aa0ba902b7")],
        vec![("X-Trace-ID", "4bf92f3577b34da6a3ce929d0e0e4736"), ("X-Span-ID", "0000000000000000")],
        vec![("X-Trace-ID", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736"), ("X-Span-ID", "00f067aa0ba902b7")],
        vec![
            ("X-Trace-ID", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("X-Span-ID", "00f067aa0ba902b7"),
            ("x-span-id", "00f067aa0ba902b8"),
        ],
    ] {
        assert!(pair.extract(&map(&pairs)).span_context().is_none(), "{pairs:?}");
    }
}

#[test]
fn the_header_pair_writes_lowercase_hex_under_configurable_names() {
    let mut outgoing: HashMap<String, String> = HashMap::new();
    HeaderPairPropagator::new().inject(&context_of(0xabc, 0xdef, TraceFlags::NONE), &mut outgoing);
    assert_eq!(outgoing, map(&[("X-Trace-ID", "00000000000000000000000000000abc"), ("X-Span-ID", "0000000000000def")]));
    let renamed = HeaderPairPropagator::new().with_header_names("trace-id", "span-id");
    let mut renamed_out: HashMap<String, String> = HashMap::new();
    renamed.inject(&context_of(0xabc, 0xdef, TraceFlags::NONE), &mut renamed_out);
    assert_eq!(renamed_out.keys().count(), 2);
    assert!(renamed_out.contains_key("trace-id") && renamed_out.contains_key("span-id"));
    assert_eq!(renamed.extract(&renamed_out).span_context().unwrap().span_id(), SpanId::from_u64(0xdef));
    assert_eq!(renamed.fields(), ["trace-id", "span-id"]);
}

#[test]
fn the_request_id_is_carried_recorded_and_passed_on() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
    let context = RequestIdPropagator::new().extract(&map(&[("X-Request-Id", " req-7f3a ")]));
    assert_eq!(context.request_id(), Some("req-7f3a"));
    assert!(context.span_context().is_none());
    tracer
        .span("handle")
        .kind(SpanKind::Server)
        .remote_parent(&context)
        .attributes(context.span_attributes())
        .start()
        .end();
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.attributes[0].key, "http.request.header.x-request-id");
    assert_eq!(recorded.attributes[0].value, Value::StringArray(vec!["req-7f3a".into()]));

    let mut outgoing: HashMap<String, String> = HashMap::new();
    RequestIdPropagator::new().inject(&context, &mut outgoing);
    assert_eq!(outgoing, map(&[("x-request-id", "req-7f3a")]));
}

#[test]
fn a_bad_or_repeated_request_id_is_not_carried() {
    let propagator = RequestIdPropagator::new();
    assert_eq!(propagator.extract(&map(&[("x-request-id", "")])).request_id(), None);
    assert_eq!(propagator.extract(&map(&[("x-request-id", "a\u{7f}b")])).request_id(), None);
    assert_eq!(propagator.extract(&map(&[("x-request-id", "é")])).request_id(), None);
    assert_eq!(propagator.extract(&map(&[("x-request-id", &"r".repeat(257))])).request_id(), None);
    assert_eq!(propagator.extract(&map(&[("x-request-id", &"r".repeat(256))])).request_id().map(str::len), Some(256));
    assert_eq!(propagator.extract(&map(&[("x-request-id", "a"), ("X-Request-ID", "b")])).request_id(), None);
    let mut outgoing: HashMap<String, String> = HashMap::new();
    propagator.inject(&PropagationContext::new().with_request_id("line\r\nbreak"), &mut outgoing);
    assert!(outgoing.is_empty(), "a value set in code that HTTP cannot carry is not written");
    let correlation = RequestIdPropagator::new().with_header_name("x-correlation-id");
    assert_eq!(correlation.extract(&map(&[("X-Correlation-ID", "c-1")])).request_id(), Some("c-1"));
}

#[test]
fn a_composite_takes_the_first_valid_span_context_in_order() {
    let incoming = map(&[
        ("traceparent", "00-00000000000000000000000000000000-000000000000000b-01"), // invalid
        ("b3", "0000000000000000000000000000000c-000000000000000d-1"),
        ("uber-trace-id", "e:f:0:1"),
    ]);
    let w3c_first = CompositePropagator::new()
        .with(TraceContextPropagator::new())
        .with(B3Propagator::default())
        .with(JaegerPropagator::new());
    assert_eq!(w3c_first.extract(&incoming).span_context().unwrap().trace_id().to_u128(), 0xc);
    let jaeger_first = CompositePropagator::new().with(JaegerPropagator::new()).with(B3Propagator::default());
    assert_eq!(jaeger_first.extract(&incoming).span_context().unwrap().trace_id().to_u128(), 0xe);
}

#[test]
fn a_composite_merges_baggage_with_the_first_value_of_a_key_winning() {
    let incoming = map(&[
        ("baggage", "shared=from-baggage,only-w3c=1"),
        ("uberctx-shared", "from-jaeger"),
        ("uberctx-only-jaeger", "2"),
        ("x-request-id", "r-1"),
    ]);
    let composite = CompositePropagator::new()
        .with(BaggagePropagator)
        .with(JaegerPropagator::new())
        .with(RequestIdPropagator::new());
    let context = composite.extract(&incoming);
    assert_eq!(context.baggage().get("shared"), Some("from-baggage"));
    assert_eq!(context.baggage().get("only-w3c"), Some("1"));
    assert_eq!(context.baggage().get("only-jaeger"), Some("2"));
    assert_eq!(context.request_id(), Some("r-1"));
}

#[test]
fn a_composite_injects_every_format() {
    let composite = propagation::from_choices(&PropagatorChoice::ALL);
    let mut baggage = Baggage::new();
    baggage.insert("tenant", "acme");
    let context = context_of(0xa, 0xb, TraceFlags::SAMPLED).with_baggage(baggage).with_request_id("r-9");
    let mut outgoing: HashMap<String, String> = HashMap::new();
    composite.inject(&context, &mut outgoing);
    let mut names: Vec<&str> = outgoing.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "X-Span-ID",
            "X-Trace-ID",
            "b3",
            "baggage",
            "traceparent",
            "uber-trace-id",
            "uberctx-tenant",
            "x-b3-sampled",
            "x-b3-spanid",
            "x-b3-traceid",
            "x-request-id"
        ]
    );
    let back = composite.extract(&outgoing);
    assert_eq!(back.span_context().unwrap().span_id(), SpanId::from_u64(0xb));
    assert_eq!(back.baggage().get("tenant"), Some("acme"));
    assert_eq!(back.request_id(), Some("r-9"));
}

fn choices_from(value: &str) -> (Option<Vec<PropagatorChoice>>, Vec<String>) {
    let value = value.to_owned();
    let config = clew::EnvConfig::from_lookup(&move |name| (name == "OTEL_PROPAGATORS").then(|| value.clone()));
    let warnings = config.warnings.iter().map(|warning| warning.to_string()).collect();
    (config.propagators, warnings)
}

#[test]
fn otel_propagators_names_the_propagators_in_order() {
    let (choices, warnings) = choices_from("b3multi, TraceContext,jaeger,b3multi,x-trace-id,x-request-id,baggage,b3");
    assert_eq!(
        choices.unwrap(),
        [
            PropagatorChoice::B3Multi,
            PropagatorChoice::TraceContext,
            PropagatorChoice::Jaeger,
            PropagatorChoice::TraceIdHeaders,
            PropagatorChoice::RequestId,
            PropagatorChoice::Baggage,
            PropagatorChoice::B3,
        ]
    );
    assert!(warnings.is_empty());
    let unset = clew::EnvConfig::from_lookup(&|_| None);
    assert_eq!(unset.propagators, None);
    assert_eq!(clew::config::DEFAULT_PROPAGATORS, [PropagatorChoice::TraceContext, PropagatorChoice::Baggage]);
}

#[test]
fn unknown_propagator_names_are_skipped_with_a_warning() {
    let (choices, warnings) = choices_from("tracecontext,xray,zipkin,baggage");
    assert_eq!(choices.unwrap(), [PropagatorChoice::TraceContext, PropagatorChoice::Baggage]);
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0].starts_with("ignoring OTEL_PROPAGATORS=\"xray\": "), "{}", warnings[0]);
    assert!(warnings[1].starts_with("ignoring OTEL_PROPAGATORS=\"zipkin\": unknown propagator"), "{}", warnings[1]);
}

#[test]
fn none_turns_propagation_off() {
    let (choices, warnings) = choices_from("none");
    assert_eq!(choices.unwrap(), []);
    assert!(warnings.is_empty());
    let (choices, warnings) = choices_from("tracecontext,none");
    assert_eq!(choices.unwrap(), []);
    assert_eq!(warnings.len(), 1);
    let propagator = propagation::from_lookup(&|name| (name == "OTEL_PROPAGATORS").then(|| "none".to_owned()));
    assert!(propagator.is_empty());
    let mut outgoing: HashMap<String, String> = HashMap::new();
    propagator.inject(&context_of(1, 1, TraceFlags::SAMPLED), &mut outgoing);
    assert!(outgoing.is_empty());
}

#[test]
fn from_lookup_builds_the_named_propagators_and_defaults_to_w3c() {
    let default = propagation::from_lookup(&|_| None);
    assert_eq!(default.fields(), ["traceparent", "tracestate", "baggage"]);
    let chosen =
        propagation::from_lookup(&|name| (name == "OTEL_PROPAGATORS").then(|| "x-trace-id,x-request-id".to_owned()));
    assert_eq!(chosen.fields(), ["X-Trace-ID", "X-Span-ID", "x-request-id"]);
}

#[test]
fn the_process_wide_propagator_can_be_replaced() {
    let previous = propagation::set_global(HeaderPairPropagator::new());
    let extracted = propagation::global()
        .extract(&map(&[("x-trace-id", "0000000000000000000000000000000a"), ("x-span-id", "000000000000000b")]));
    assert_eq!(extracted.span_context().unwrap().trace_id().to_u128(), 0xa);
    let replaced = propagation::set_global(previous);
    assert_eq!(replaced.fields(), ["X-Trace-ID", "X-Span-ID"]);
}

#[test]
fn the_current_span_is_injected() {
    let tracer = clew::Tracer::builder().ignore_env().exporter(clew::NoneExporter).build();
    let mut outgoing: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_current(&mut outgoing);
    assert!(outgoing.is_empty(), "no current span, nothing to write");
    let mut span = tracer.start("client");
    let expected = format!("00-{}-{}-03", span.trace_id(), span.span_id());
    let _entered = span.enter();
    TraceContextPropagator::new().inject_current(&mut outgoing);
    assert_eq!(outgoing["traceparent"], expected);
    assert_eq!(
        PropagationContext::current(),
        PropagationContext::new().with_span_context(clew::current_context().unwrap())
    );
}
