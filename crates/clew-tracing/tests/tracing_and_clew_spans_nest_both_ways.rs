#![allow(clippy::unwrap_used)]

mod common;

use common::{bare_layer, recording, with_layer};

#[test]
fn a_clew_span_inside_a_tracing_span_is_its_child_and_the_other_way_round() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let outer = tracing::info_span!("tracing-outer");
        let _outer = outer.enter();
        tracer.in_span("clew-middle", |_| {
            let inner = tracing::info_span!("tracing-inner");
            let _inner = inner.enter();
            tracer.span("clew-leaf").start().end();
        });
    });
    assert_eq!(exporter.tree(), "tracing-outer\n  clew-middle\n    tracing-inner\n      clew-leaf\n");
}

#[test]
fn a_tracing_span_started_under_an_entered_clew_span_is_its_child() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let mut root = tracer.span("clew-root").start();
        let entered = root.enter();
        tracing::info_span!("tracing-child").in_scope(|| tracer.start("clew-grandchild").end());
        drop(entered);
        root.end();
    });
    assert_eq!(exporter.tree(), "clew-root\n  tracing-child\n    clew-grandchild\n");
}

#[test]
fn the_current_trace_id_is_the_tracing_spans_while_it_is_entered() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    let (inside, after) = with_layer(bare_layer(tracer), || {
        let inside = tracing::info_span!("request").in_scope(|| (clew::current_trace_id(), clew::current_span_id()));
        (inside, clew::current_trace_id())
    });
    let span = &exporter.spans()[0];
    assert_eq!(inside, (Some(span.trace_id), Some(span.span_id)));
    assert_eq!(after, None);
}

#[test]
fn an_explicit_parent_wins_over_the_current_span_and_parent_none_starts_a_trace() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let chosen = tracing::info_span!("chosen");
        let current = tracing::info_span!("current");
        let _current = current.enter();
        drop(tracing::info_span!(parent: &chosen, "under-chosen"));
        drop(tracing::info_span!(parent: None, "new-root"));
    });
    assert_eq!(exporter.tree(), "chosen\n  under-chosen\ncurrent\nnew-root\n");
    let spans = exporter.spans();
    let new_root = spans.iter().find(|span| span.name == "new-root").unwrap();
    let current = spans.iter().find(|span| span.name == "current").unwrap();
    assert_ne!(new_root.trace_id, current.trace_id);
}

#[test]
fn spans_exited_out_of_order_leave_the_context_matching_what_is_entered() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let first = tracing::info_span!("first");
        let second = tracing::info_span!("second");
        let first_entered = first.enter();
        let second_entered = second.enter();
        drop(first_entered);
        tracer.start("while-second-only").end();
        drop(second_entered);
        tracer.start("after-both").end();
    });
    // `second` was made while nothing was entered, so both are roots.
    assert_eq!(exporter.tree(), "first\nsecond\n  while-second-only\nafter-both\n");
}

#[test]
fn a_layer_over_a_disabled_tracer_leaves_clew_spans_as_they_would_be_without_it() {
    let disabled = clew::Tracer::builder().ignore_env().disabled(true).exporter(clew::NoneExporter).build();
    let (tracer, exporter) = recording(clew::Sampler::default());
    let current = with_layer(bare_layer(disabled), || {
        let _request = tracing::info_span!("not-recorded").entered();
        tracer.start("clew-span").end();
        clew::current_context()
    });
    assert_eq!(current, None);
    let span = &exporter.spans()[0];
    assert_eq!((span.name.as_str(), span.parent_span_id), ("clew-span", None));
}
