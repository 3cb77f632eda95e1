//! The process-wide tracer that all tests of a binary share, and a way to see only the
//! spans that one test made: each test runs its calls under a root span of its own and
//! looks at that trace alone.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::OnceLock;

use clew::{FutureExt, SpanData, TraceId};

static EXPORTER: OnceLock<clew::InMemoryExporter> = OnceLock::new();

/// The exporter of the process-wide tracer, installed on first use.
pub fn exporter() -> &'static clew::InMemoryExporter {
    EXPORTER.get_or_init(|| {
        let exporter = clew::InMemoryExporter::new();
        clew::set_global(clew::Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build());
        exporter
    })
}

/// Runs `work` under a new root span named `test`; returns what it returned and the tree
/// of that trace.
pub fn traced<R>(work: impl FnOnce() -> R) -> (R, String) {
    exporter();
    let mut root = clew::span("test").root().start();
    let trace_id = root.trace_id();
    let output = root.in_scope(|_| work());
    root.end();
    (output, tree_of(trace_id))
}

/// Awaits `work` under a new root span named `test`; returns its output and the tree of
/// that trace.
pub async fn traced_async<F: Future>(work: F) -> (F::Output, String) {
    exporter();
    let root = clew::span("test").root().start();
    let trace_id = root.trace_id();
    let output = work.in_span(root).await;
    (output, tree_of(trace_id))
}

/// The exported spans of one trace.
pub fn spans_of(trace_id: TraceId) -> Vec<SpanData> {
    exporter().spans().into_iter().filter(|span| span.trace_id == trace_id).collect()
}

/// The exported spans of one trace, drawn as a tree.
pub fn tree_of(trace_id: TraceId) -> String {
    clew::testing::render_tree(&spans_of(trace_id))
}
