#![allow(clippy::unwrap_used)]

mod common;

use clew::{SpanContext, SpanId, TraceFlags, TraceId};
use common::{Counted, bare_layer, recording, with_layer};

#[test]
fn an_unsampled_span_records_nothing_and_formats_no_field() {
    let (tracer, exporter) = recording(clew::Sampler::AlwaysOff);
    let counted = Counted::default();
    let (inside, child) = with_layer(clew_tracing::layer().with_tracer(tracer), || {
        let span = tracing::info_span!(
            "dropped",
            otel.name = "renamed",
            value = ?counted,
            later = tracing::field::Empty
        );
        span.record("later", tracing::field::debug(&counted));
        let _entered = span.enter();
        tracing::error!(value = ?counted, "not recorded either");
        let child = tracer.start("clew-child");
        (clew::current_context(), child)
    });
    assert_eq!(counted.count(), 0, "a field of an unsampled span was formatted");
    assert!(exporter.is_empty());
    // The unsampled span still has a context, which its children inherit.
    let inside = inside.unwrap();
    assert!(inside.is_valid() && !inside.is_sampled());
    assert_eq!(child.trace_id(), inside.trace_id());
    assert!(!child.is_recording());
}

#[test]
fn the_sampler_sees_the_parent_that_the_span_will_have() {
    let (tracer, exporter) = recording(clew::Sampler::parent_based(clew::Sampler::AlwaysOff));
    let remote = SpanContext::remote(TraceId::from_u128(0xabc), SpanId::from_u64(0xdef), TraceFlags::SAMPLED);
    with_layer(bare_layer(tracer), || {
        drop(tracing::info_span!("new-root-dropped"));
        let _remote = clew::enter_context(remote);
        let parent = tracing::info_span!("under-sampled-remote");
        let _parent = parent.enter();
        drop(tracing::info_span!("its-child"));
    });
    assert_eq!(exporter.tree(), "under-sampled-remote\n  its-child\n");
    let spans = exporter.spans();
    assert!(spans.iter().all(|span| span.trace_id == TraceId::from_u128(0xabc)));
    let top = spans.iter().find(|span| span.name == "under-sampled-remote").unwrap();
    assert_eq!(top.parent_span_id, Some(SpanId::from_u64(0xdef)));
    assert!(top.parent_is_remote);
}

#[test]
fn a_sampled_span_formats_each_field_once() {
    let (tracer, exporter) = recording(clew::Sampler::AlwaysOn);
    let counted = Counted::default();
    with_layer(bare_layer(tracer), || {
        let _span = tracing::info_span!("kept", otel.kind = "client", value = ?counted).entered();
        tracing::info!(value = ?counted, "event");
    });
    assert_eq!(counted.count(), 2);
    assert_eq!(exporter.len(), 1);
}
