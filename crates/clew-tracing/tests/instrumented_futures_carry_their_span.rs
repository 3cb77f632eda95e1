#![allow(clippy::unwrap_used)]

mod common;

use common::{bare_layer, recording, with_layer};
use tracing::Instrument;

#[test]
fn clew_spans_started_after_an_await_nest_under_the_instrumenting_span() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (inside, outside) = with_layer(bare_layer(tracer), || {
        let inside = runtime.block_on(
            async {
                tokio::task::yield_now().await;
                tracer.start("after-await").end();
                tracing::info!("resumed");
                clew::current_trace_id()
            }
            .instrument(tracing::info_span!("task")),
        );
        (inside, clew::current_trace_id())
    });
    assert_eq!(exporter.tree(), "task\n  · resumed INFO\n  after-await\n");
    let task = exporter.spans().into_iter().find(|span| span.name == "task").unwrap();
    assert_eq!(inside, Some(task.trace_id));
    assert_eq!(outside, None);
}
