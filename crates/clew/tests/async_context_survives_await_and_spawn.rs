//! A span stays current across `.await`, on whichever thread polls, and across `spawn`
//! when the future is wrapped.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::time::Duration;

use clew::FutureExt;
use insta::assert_snapshot;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap()
}

async fn fetch_user(tracer: clew::Tracer) {
    let mut span = tracer.span("fetch_user").start();
    span.set_attribute("thread.before", format!("{:?}", std::thread::current().id()));
    async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        tokio::task::yield_now().await;
        tracer.span("db.query").start().end();
    }
    .in_span(span)
    .await;
}

#[test]
fn children_started_after_an_await_keep_their_parent() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    runtime().block_on(async {
        let request = tracer.span("request").start();
        async {
            fetch_user(tracer).await;
            tokio::task::yield_now().await;
            fetch_user(tracer).await;
        }
        .in_span(request)
        .await;
    });
    let tree = exporter.tree();
    let without_threads: String =
        tree.lines().map(|line| line.split(" {thread").next().unwrap_or(line)).collect::<Vec<_>>().join("\n");
    assert_snapshot!(without_threads, @r"
    request
      fetch_user
        db.query
      fetch_user
        db.query
    ");
    assert_eq!(clew::current_context(), None, "nothing stays current on the test thread");
}

#[test]
fn spawned_tasks_inherit_the_context_they_were_wrapped_in() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    runtime().block_on(async {
        let mut parent = tracer.span("dispatch").start();
        let parent_id = parent.span_id();
        let handles: Vec<_> = {
            let _entered = parent.enter();
            (0..4)
                .map(|job| {
                    tokio::spawn(
                        async move {
                            tokio::task::yield_now().await;
                            tracer.span("job").attribute("job.id", job).start().end();
                        }
                        .in_current_span(),
                    )
                })
                .collect()
        };
        for handle in handles {
            handle.await.unwrap();
        }
        drop(parent);
        let jobs: Vec<_> = exporter.spans().into_iter().filter(|span| span.name == "job").collect();
        assert_eq!(jobs.len(), 4);
        assert!(jobs.iter().all(|job| job.parent_span_id == Some(parent_id)));
    });
}

#[test]
fn a_task_spawned_without_wrapping_starts_its_own_trace() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    runtime().block_on(async {
        let mut parent = tracer.span("dispatch").start();
        let handle = {
            let _entered = parent.enter();
            tokio::spawn(async move { tracer.span("orphan").start().end() })
        };
        handle.await.unwrap();
    });
    let orphan = exporter.spans().into_iter().find(|span| span.name == "orphan").unwrap();
    assert_eq!(orphan.parent_span_id, None);
}

#[test]
fn an_instrumented_future_ends_its_span_when_it_completes() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    runtime().block_on(async {
        let future = async { 42 }.in_span(tracer.span("answer").start());
        assert_eq!(exporter.len(), 0, "not polled yet: still running");
        assert_eq!(future.await, 42);
        assert_eq!(exporter.len(), 1, "ended as soon as it completed");
    });
}

#[test]
fn a_dropped_future_ends_its_span_too() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let future = std::future::pending::<()>().in_span(tracer.span("cancelled").start());
    drop(future);
    assert_eq!(exporter.spans()[0].name, "cancelled");
}

#[test]
fn with_context_propagates_a_context_without_owning_a_span() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let parent = tracer.span("owner").start();
    let context = parent.context();
    runtime().block_on(async {
        async {
            tokio::task::yield_now().await;
            tracer.span("child").start().end();
        }
        .with_context(context.clone())
        .await;
    });
    drop(parent);
    let child = exporter.spans().into_iter().find(|span| span.name == "child").unwrap();
    assert_eq!(child.parent_span_id, Some(context.span_id()));
}

#[test]
fn in_scope_async_lets_the_work_finish_its_span_after_an_await() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let rows =
        runtime().block_on(tracer.span("query").kind(clew::SpanKind::Client).in_scope_async(|mut span| async move {
            tokio::task::yield_now().await;
            tracer.span("fetch-page").start().end();
            span.set_attribute("db.rows", 3);
            span.record_error(&std::io::Error::other("partial result"));
            3
        }));
    assert_eq!(rows, 3);
    assert_snapshot!(exporter.tree(), @r#"
    query [client] error(partial result) {db.rows=3}
      · exception ERROR {exception.type="std::io::error::Error", exception.message="partial result"}
      fetch-page
    "#);
}
