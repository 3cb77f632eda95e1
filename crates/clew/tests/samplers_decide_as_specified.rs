//! Each sampler's decisions, and what an unsampled span costs: nothing recorded.

mod common;

use clew::{
    ParentBased, Sampler, SamplingDecision, SamplingParams, ShouldSample, SpanContext, SpanId, SpanKind, TraceFlags,
    TraceId,
};
use proptest::prelude::*;

fn decide(sampler: &Sampler, trace_id: TraceId, parent: Option<&SpanContext>) -> SamplingDecision {
    sampler.should_sample(&SamplingParams::new(parent, trace_id, "operation", SpanKind::Internal))
}

fn sampled(sampler: &Sampler, trace_id: TraceId) -> bool {
    decide(sampler, trace_id, None) == SamplingDecision::RecordAndSample
}

#[test]
fn always_on_and_always_off() {
    let id = TraceId::random();
    assert!(sampled(&Sampler::AlwaysOn, id));
    assert!(!sampled(&Sampler::AlwaysOff, id));
}

#[test]
fn trace_id_ratio_uses_the_low_56_bits_against_a_threshold() {
    // Ratio 0.25 rejects randomness below 0.75 * 2^56.
    let sampler = Sampler::trace_id_ratio(0.25);
    let threshold: u128 = (3 << 56) / 4;
    assert!(!sampled(&sampler, TraceId::from_u128(threshold - 1)));
    assert!(sampled(&sampler, TraceId::from_u128(threshold)));
    // The high bits do not matter.
    assert!(sampled(&sampler, TraceId::from_u128((0xffff_u128 << 100) | threshold)));
    assert!(!sampled(&Sampler::trace_id_ratio(0.0), TraceId::from_u128((1 << 56) - 1)));
    assert!(sampled(&Sampler::trace_id_ratio(1.0), TraceId::from_u128(1)));
    assert!(!sampled(&Sampler::trace_id_ratio(f64::NAN), TraceId::random()), "NaN samples nothing");
}

#[test]
fn trace_id_ratio_keeps_about_its_share_of_random_traces() {
    let sampler = Sampler::trace_id_ratio(0.1);
    let kept = (0..20_000).filter(|_| sampled(&sampler, TraceId::random())).count();
    // Binomial(20000, 0.1): mean 2000, standard deviation 42; 6 sigma either side.
    assert!((1750..=2250).contains(&kept), "kept {kept}");
}

proptest! {
    #[test]
    fn trace_id_ratio_is_deterministic_and_nested(raw in any::<u128>(), low in 0.0f64..=1.0, high in 0.0f64..=1.0) {
        let (low, high) = if low <= high { (low, high) } else { (high, low) };
        let trace_id = TraceId::from_u128(raw);
        let low_sampler = Sampler::trace_id_ratio(low);
        let high_sampler = Sampler::trace_id_ratio(high);
        prop_assert_eq!(sampled(&low_sampler, trace_id), sampled(&low_sampler, trace_id));
        if sampled(&low_sampler, trace_id) {
            prop_assert!(sampled(&high_sampler, trace_id), "a higher ratio samples a superset");
        }
    }
}

#[test]
fn counter_ratio_samples_exactly_one_in_n() {
    let sampler = Sampler::counter_ratio(0.1);
    let decisions: Vec<bool> = (0..100).map(|_| sampled(&sampler, TraceId::random())).collect();
    assert_eq!(decisions.iter().filter(|kept| **kept).count(), 10);
    for window in decisions.chunks(10) {
        assert_eq!(window.iter().filter(|kept| **kept).count(), 1, "evenly spread");
    }
    let third = Sampler::counter_ratio(1.0 / 3.0);
    assert_eq!((0..300).filter(|_| sampled(&third, TraceId::random())).count(), 100);
}

#[test]
fn parent_based_follows_the_parent_in_all_four_cases() {
    let id = TraceId::random();
    let parents = [
        SpanContext::remote(id, SpanId::random(), TraceFlags::SAMPLED),
        SpanContext::remote(id, SpanId::random(), TraceFlags::NONE),
        SpanContext::new(id, SpanId::random(), TraceFlags::SAMPLED),
        SpanContext::new(id, SpanId::random(), TraceFlags::NONE),
    ];
    let default = Sampler::parent_based(Sampler::AlwaysOff);
    let expected = [true, false, true, false];
    for (parent, expected) in parents.iter().zip(expected) {
        let decision = decide(&default, id, Some(parent));
        assert_eq!(decision == SamplingDecision::RecordAndSample, expected, "{parent:?}");
    }
    assert!(!sampled(&default, id), "roots ask the root sampler");
    assert!(sampled(&Sampler::parent_based(Sampler::AlwaysOn), id));

    let inverted: Sampler = ParentBased::new(Sampler::AlwaysOn)
        .with_remote_parent_sampled(Sampler::AlwaysOff)
        .with_remote_parent_not_sampled(Sampler::AlwaysOn)
        .with_local_parent_sampled(Sampler::AlwaysOff)
        .with_local_parent_not_sampled(Sampler::AlwaysOn)
        .into();
    for (parent, expected) in parents.iter().zip([false, true, false, true]) {
        assert_eq!(decide(&inverted, id, Some(parent)) == SamplingDecision::RecordAndSample, expected);
    }
}

#[test]
fn rate_limited_keeps_at_most_the_rate() {
    let sampler = Sampler::rate_limited(5.0);
    let kept = (0..1000).filter(|_| sampled(&sampler, TraceId::random())).count();
    // A fresh limiter holds one second's worth of tokens; the loop refills at most a few
    // more however slowly it runs, since a bucket never holds more than a second's worth.
    assert!((5..=10).contains(&kept), "kept {kept}");
    assert!(!sampled(&Sampler::rate_limited(0.0), TraceId::random()));
}

#[derive(Debug)]
struct OnlyCheckout;

impl ShouldSample for OnlyCheckout {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        if params.name.starts_with("checkout") { SamplingDecision::RecordAndSample } else { SamplingDecision::Drop }
    }
}

#[test]
fn a_custom_sampler_decides_by_name() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder()
        .ignore_env()
        .sampler(Sampler::custom(OnlyCheckout))
        .exporter(exporter.clone())
        .simple_export()
        .build();
    tracer.span("checkout.pay").start().end();
    tracer.span("healthcheck").start().end();
    assert_eq!(exporter.len(), 1);
    assert_eq!(exporter.spans()[0].name, "checkout.pay");
}

#[derive(Debug)]
struct RecordOnly;

impl ShouldSample for RecordOnly {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingDecision {
        SamplingDecision::RecordOnly
    }
}

#[test]
fn record_only_spans_record_but_are_not_exported_or_flagged() {
    let exporter = clew::InMemoryExporter::new();
    let tracer =
        clew::Tracer::builder().ignore_env().sampler(Sampler::custom(RecordOnly)).exporter(exporter.clone()).build();
    let span = tracer.span("local").start();
    assert!(span.is_recording());
    assert!(!span.context().is_sampled());
    span.end();
    tracer.flush(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(exporter.len(), 0);
}

#[test]
fn unsampled_spans_propagate_but_record_nothing() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder()
        .ignore_env()
        .sampler(Sampler::parent_based(Sampler::AlwaysOff))
        .exporter(exporter.clone())
        .simple_export()
        .build();
    let mut root = tracer.span("root").start();
    assert!(!root.is_recording());
    assert!(root.context().is_valid(), "ids are still made for propagation");
    assert!(!root.context().is_sampled());
    let root_context = root.context();
    let entered = root.enter();
    let child = tracer.span("child").start();
    assert_eq!(child.trace_id(), root_context.trace_id());
    assert!(!child.is_recording(), "children of unsampled parents are unsampled");
    drop(child);
    drop(entered);
    root.end();
    assert_eq!(exporter.len(), 0);
    assert_eq!(tracer.stats().queued, 0);
}

#[test]
fn new_roots_carry_the_random_flag() {
    let tracer = clew::Tracer::builder().ignore_env().exporter(clew::NoneExporter).build();
    let span = tracer.span("root").start();
    assert!(span.context().trace_flags().is_random());
    assert!(span.context().is_sampled());
    assert_eq!(Sampler::default().description(), "ParentBased{root:AlwaysOnSampler}");
}
