//! Seed 000's tracer: a trace with project and request ids, trace-level events between
//! spans, explicit parents by id, wrappers, auto-close at the end, and rehydration.

mod common;

use clew::{KeyValue, Level, Status, TraceId};
use insta::assert_snapshot;

#[test]
fn the_publish_flow_records_spans_events_and_trace_metadata() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let trace = tracer
        .trace("project-7", "request-42")
        .input(clew::attrs!["mediaUrl" => "https://cdn.example.com/v.mp4", "title" => "Launch"])
        .context([KeyValue::new("ip", "203.0.113.9")])
        .tags(["publish", "api"])
        .start();
    trace.event(Level::Info, "publish.request.received", [KeyValue::new("mediaUrl", "https://cdn.example.com/v.mp4")]);

    let mut master = trace.start_span("master").label("MASTER").root().start();
    master.event(Level::Info, "platforms.selected", [KeyValue::new("platforms", vec!["instagram", "youtube"])]);
    let ig = trace.start_span("instagram").label("PLATFORM").parent_id(master.span_id()).start();
    let mut prep = trace.start_span("prep").label("STEP").parent_id(ig.span_id()).start();
    prep.event(Level::Info, "prep.started", []);
    prep.end_with(Status::Ok);
    trace.event(Level::Info, "coordinator.waiting_for_upload", []);
    let mut upload = trace.start_span("upload").label("STEP").parent_id(ig.span_id()).start();
    upload.event(Level::Info, "upload.started", []);
    upload.end_with(Status::Ok);
    ig.end_with(Status::Ok);
    master.end_with(Status::Ok);
    trace.end(Status::Ok);

    assert_snapshot!(exporter.tree(), @r#"
    master [MASTER] ok
      · platforms.selected INFO {platforms=["instagram","youtube"]}
      instagram [PLATFORM] ok
        prep [STEP] ok
          · prep.started INFO
        upload [STEP] ok
          · upload.started INFO
    "#);
    let spans = exporter.spans();
    assert!(spans.iter().all(|span| span.trace_id == trace.trace_id()));
    for span in &spans {
        assert_eq!(span.attribute("clew.project_id").and_then(|v| v.as_str()), Some("project-7"));
        assert_eq!(span.attribute("clew.request_id").and_then(|v| v.as_str()), Some("request-42"));
    }
    let events = exporter.trace_events();
    let names: Vec<&str> = events.iter().map(|event| &*event.name).collect();
    assert_eq!(
        names,
        ["clew.trace.started", "publish.request.received", "coordinator.waiting_for_upload", "clew.trace.ended"]
    );
    assert!(events.iter().all(|event| event.trace_id == trace.trace_id()));
    let started = &events[0];
    assert_eq!(started.attribute("clew.input.title").and_then(|v| v.as_str()), Some("Launch"));
    assert_eq!(started.attribute("clew.context.ip").and_then(|v| v.as_str()), Some("203.0.113.9"));
    assert_eq!(started.attribute("clew.tags"), Some(&clew::Value::from(vec!["publish", "api"])));
    assert_eq!(events[3].attribute("clew.trace.status").and_then(|v| v.as_str()), Some("ok"));
}

#[test]
fn ending_the_trace_closes_running_spans_with_a_derived_status() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let trace = tracer.trace("p", "r").start();
    let master = trace.start_span("master").start();
    let _platform = trace.start_span("youtube").parent(&master).start();
    let mut done = trace.start_span("done-step").parent(&master).start();
    done.set_status(Status::Ok);
    done.end();
    trace.end(Status::error("upload rejected"));
    assert_snapshot!(exporter.tree(), @r"
    master error(trace ended with error: upload rejected) {clew.auto_closed=true}
      youtube error(trace ended with error: upload rejected) {clew.auto_closed=true}
      done-step ok
    ");
    let ended = exporter.trace_events().pop().unwrap();
    assert_eq!(ended.level, Level::Error);
    assert_eq!(ended.attribute("clew.trace.status_message").and_then(|v| v.as_str()), Some("upload rejected"));
    // The handles of closed spans are inert now: ending them exports nothing more.
    let before = exporter.len();
    drop(master);
    trace.end(Status::Ok);
    assert_eq!(exporter.len(), before);
    assert_eq!(exporter.trace_events().len(), 2, "started and ended once each");
}

#[test]
fn with_span_wrappers_run_the_work_inside_a_current_span() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let trace = tracer.trace("p", "r").start();
    let answer = trace.with_span("master", |span| {
        span.event(Level::Info, "master.started", []);
        tracer.span("nested").start().end();
        42
    });
    assert_eq!(answer, 42);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let text = runtime.block_on(trace.with_span_async("async-master", |mut span| async move {
        tokio::task::yield_now().await;
        span.set_attribute("after.await", true);
        tracer.span("async-nested").start().end();
        "done"
    }));
    assert_eq!(text, "done");
    trace.event(Level::Info, "publish.request.queued", [KeyValue::new("queue", "master")]);
    trace.end(Status::Ok);
    assert_snapshot!(exporter.tree(), @r"
    master
      · master.started INFO
      nested
    async-master {after.await=true}
      async-nested
    ");
}

#[test]
fn a_worker_rehydrates_the_trace_by_id() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let trace = tracer.trace("project-7", "request-42").start();
    let trace_id = trace.trace_id();
    trace.event(Level::Info, "publish.request.queued", []);
    std::thread::spawn(move || {
        let resumed = clew::Trace::from_existing_on(tracer, "project-7", "request-42", trace_id);
        resumed.event(Level::Info, "worker.resumed", []);
        resumed.with_span("upload", |_| {});
        resumed.end(Status::Ok);
    })
    .join()
    .unwrap();
    let upload = &exporter.spans()[0];
    assert_eq!(upload.trace_id, trace_id);
    assert_eq!(upload.attribute("clew.request_id").and_then(|v| v.as_str()), Some("request-42"));
    let names: Vec<String> = exporter.trace_events().iter().map(|event| event.name.to_string()).collect();
    assert_eq!(names, ["clew.trace.started", "publish.request.queued", "worker.resumed", "clew.trace.ended"]);
}

#[test]
fn an_unsampled_trace_records_nothing_and_a_ratio_decides_alike_in_every_worker() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder()
        .ignore_env()
        .sampler(clew::Sampler::trace_id_ratio(0.5))
        .exporter(exporter.clone())
        .simple_export()
        .build();
    for _ in 0..50 {
        let trace = tracer.trace("p", "r").start();
        let resumed = clew::Trace::from_existing_on(tracer, "p", "r", trace.trace_id());
        assert_eq!(trace.is_sampled(), resumed.is_sampled(), "same id, same decision");
        trace.with_span("work", |span| assert_eq!(span.is_recording(), trace.is_sampled()));
        trace.end(Status::Ok);
    }
    let sampled_traces: std::collections::HashSet<TraceId> =
        exporter.spans().iter().map(|span| span.trace_id).collect();
    assert_eq!(exporter.trace_events().len(), sampled_traces.len() * 2, "events only of sampled traces");
}

#[test]
fn trace_init_uses_the_global_tracer_and_flush_exports() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = clew::Tracer::builder().ignore_env().exporter(exporter.clone()).build();
    let previous = clew::set_global(tracer);
    assert!(!previous.is_recording(), "the default global tracer records nothing");
    let trace = clew::Trace::init("project", "request").start();
    trace.with_span("step", |_| {});
    trace.end(Status::Ok);
    trace.flush(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(exporter.len(), 1);
    assert_eq!(exporter.trace_events().len(), 2);
    clew::set_global(previous);
}
