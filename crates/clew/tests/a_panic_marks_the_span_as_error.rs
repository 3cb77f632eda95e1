//! A panic that unwinds through a span ends it with an error status.

mod common;

use clew::{FutureExt, Status};

#[test]
fn a_panic_in_a_closure_span_marks_it_and_its_parents() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let outcome = std::panic::catch_unwind(|| {
        tracer.in_span("outer", |_| {
            tracer.in_span("inner", |_| {
                panic!("boom");
            })
        })
    });
    assert!(outcome.is_err());
    let spans = exporter.spans();
    assert_eq!(spans.len(), 2);
    for span in &spans {
        assert_eq!(span.status, Status::error("panicked"), "{} is marked", span.name);
    }
    assert_eq!(clew::current_context(), None, "the context stack unwound too");
}

#[test]
fn a_recorded_error_is_not_overwritten_by_the_panic() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let outcome = std::panic::catch_unwind(|| {
        let mut span = tracer.span("with-error").start();
        span.set_status(Status::error("the real cause"));
        panic!("then a panic");
    });
    assert!(outcome.is_err());
    assert_eq!(exporter.spans()[0].status, Status::error("the real cause"));
}

#[test]
fn a_panic_inside_an_instrumented_future_marks_its_span() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(
            async {
                tokio::task::yield_now().await;
                panic!("async boom");
            }
            .in_span(tracer.span("async-work").start()),
        )
    }));
    assert!(outcome.is_err());
    assert_eq!(exporter.spans()[0].status, Status::error("panicked"));
}

#[test]
fn spans_ended_normally_are_not_marked() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    tracer.in_span("fine", |_| {});
    assert_eq!(exporter.spans()[0].status, Status::Unset);
}
