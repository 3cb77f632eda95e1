//! Parents come from the current span of the thread, from an explicit handle, context or
//! id, or nowhere; the in-memory exporter draws the result as a tree.

mod common;

use clew::{KeyValue, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId};
use insta::assert_snapshot;

#[test]
fn nested_in_span_calls_build_a_tree() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    tracer.in_span("handle-request", |request| {
        request.set_attribute("http.route", "/orders");
        tracer.in_span("validate-input", |_| {});
        tracer.in_span("process-data", |process| {
            process.set_attribute("items", 3);
            tracer.span("query").kind(SpanKind::Client).start().end_with(Status::Ok);
        });
        tracer.in_span("save-result", |_| {});
    });
    assert_snapshot!(exporter.tree(), @r#"
    handle-request {http.route="/orders"}
      validate-input
      process-data {items=3}
        query [client] ok
      save-result
    "#);
    let spans = exporter.spans();
    let trace_id = spans[0].trace_id;
    assert!(spans.iter().all(|span| span.trace_id == trace_id), "one trace");
    assert_eq!(spans.iter().filter(|span| span.parent_span_id.is_none()).count(), 1, "one root");
}

#[test]
fn entering_a_span_makes_it_the_parent_until_the_guard_drops() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut outer = tracer.span("outer").start();
    let outer_id = outer.span_id();
    {
        let entered = outer.enter();
        assert_eq!(clew::current_span_id(), Some(outer_id));
        assert_eq!(clew::current_trace_id(), Some(entered.trace_id()));
        tracer.span("inside").start().end();
    }
    assert_eq!(clew::current_span_id(), None);
    tracer.span("after").start().end();
    outer.end();
    let spans = exporter.spans();
    let inside = spans.iter().find(|span| span.name == "inside").unwrap();
    let after = spans.iter().find(|span| span.name == "after").unwrap();
    assert_eq!(inside.parent_span_id, Some(outer_id));
    assert_eq!(after.parent_span_id, None);
    assert_ne!(after.trace_id, inside.trace_id);
}

#[test]
fn explicit_parents_win_over_the_current_span() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let service = tracer.span("OrderService.createOrder").start();
    let mut unrelated = tracer.span("unrelated").start();
    let _entered = unrelated.enter();
    let repository = tracer.span("OrderRepository.create").parent(&service).start();
    let by_id = tracer.span("by-id").parent_id(service.span_id()).start();
    let root = tracer.span("fresh-root").root().start();
    assert_eq!(repository.trace_id(), service.trace_id());
    assert_ne!(root.trace_id(), service.trace_id());
    drop((repository, by_id, root));
    drop(_entered);
    drop(unrelated);
    drop(service);
    let spans = exporter.spans();
    let parent_of = |name: &str| spans.iter().find(|span| span.name == name).unwrap().parent_span_id;
    let service_id = spans.iter().find(|span| span.name == "OrderService.createOrder").unwrap().span_id;
    assert_eq!(parent_of("OrderRepository.create"), Some(service_id));
    // parent_id takes the trace of the current span, but the id given.
    assert_eq!(parent_of("by-id"), Some(service_id));
    assert_eq!(parent_of("fresh-root"), None);
}

#[test]
fn a_remote_parent_context_continues_its_trace() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let parent_id = SpanId::from_hex("00f067aa0ba902b7").unwrap();
    let remote = SpanContext::remote(trace_id, parent_id, TraceFlags::SAMPLED)
        .with_trace_state(Some(clew::Str::from("vendor=value")));
    tracer.span("server").kind(SpanKind::Server).parent_context(remote.clone()).start().end();
    {
        let _guard = clew::enter_context(remote);
        tracer.span("via-guard").start().end();
    }
    for span in exporter.spans() {
        assert_eq!(span.trace_id, trace_id);
        assert_eq!(span.parent_span_id, Some(parent_id));
        assert!(span.parent_is_remote);
        assert_eq!(span.trace_state.as_deref(), Some("vendor=value"));
        assert!(span.trace_flags.is_sampled());
        // The random flag is not invented for a parent that did not claim it.
        assert!(!span.trace_flags.is_random());
    }
}

#[test]
fn kinds_and_labels_are_kept() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let kinds = [SpanKind::Server, SpanKind::Client, SpanKind::Producer, SpanKind::Consumer, SpanKind::Internal];
    for kind in kinds {
        tracer.span(kind.as_str()).kind(kind).start().end();
    }
    tracer.span("master").label("MASTER").start().end();
    tracer.span("upload").kind(SpanKind::Client).label("STEP").attributes([KeyValue::new("bytes", 10)]).start().end();
    assert_snapshot!(exporter.tree(), @r"
    server [server]
    client [client]
    producer [producer]
    consumer [consumer]
    internal
    master [MASTER]
    upload [client STEP] {bytes=10}
    ");
}

#[test]
fn spans_end_on_drop_children_first() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    {
        let mut parent = tracer.span("parent").start();
        let _entered = parent.enter();
        let _child = tracer.span("child").start();
    }
    let names: Vec<String> = exporter.spans().iter().map(|span| span.name.to_string()).collect();
    assert_eq!(names, ["child", "parent"]);
}

#[test]
fn log_lines_carry_the_current_ids() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    assert_eq!(clew::log_with_trace("idle"), "idle");
    tracer.in_span("work", |span| {
        let expected = format!("[trace_id={} span_id={}] Processing data", span.trace_id(), span.span_id());
        assert_eq!(clew::log_with_trace("Processing data"), expected);
        assert_eq!(expected.len(), "[trace_id= span_id=] Processing data".len() + 32 + 16);
    });
}

#[test]
fn a_tracer_exporting_nothing_records_nothing_but_still_propagates() {
    let tracer = clew::Tracer::builder().ignore_env().exporter(clew::NoneExporter).build();
    assert!(!tracer.is_recording());
    let mut parent = tracer.span("parent").start();
    assert!(!parent.is_recording());
    assert!(parent.context().is_valid() && parent.context().is_sampled());
    let parent_context = parent.context();
    let entered = parent.enter();
    let child = tracer.span("child").start();
    assert_eq!(child.trace_id(), parent_context.trace_id());
    drop((child, entered));
    assert_eq!(tracer.stats(), clew::PipelineStats::default());
}
