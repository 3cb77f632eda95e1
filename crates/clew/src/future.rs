//! Keeping a span current across `.await` and `spawn`.
//!
//! A future runs in slices, each a `poll`, possibly on different threads. The adapters
//! here make a span context current on the polling thread for the length of each poll,
//! so spans started inside the future find their parent wherever it runs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context::{self, SpanContext};
use crate::span::Span;

pin_project_lite::pin_project! {
    /// A future that owns a span: the span is current during each poll and ends when the
    /// future completes or is dropped. Made by [`FutureExt::in_span`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F> {
        #[pin]
        future: F,
        span: Option<Span>,
        context: SpanContext,
    }
}

pin_project_lite::pin_project! {
    /// A future that makes a span context current during each poll. Made by
    /// [`FutureExt::with_context`] and [`FutureExt::in_current_span`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        #[pin]
        future: F,
        context: Option<SpanContext>,
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let depth = context::push(this.context.clone());
        let _pop = PopOnDrop(depth);
        let outcome = this.future.poll(task);
        if outcome.is_ready() {
            // End the span as soon as the work is done, not when the future is dropped.
            drop(this.span.take());
        }
        outcome
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(context) = this.context else {
            return this.future.poll(task);
        };
        let depth = context::push(context.clone());
        let _pop = PopOnDrop(depth);
        this.future.poll(task)
    }
}

/// Pops the context even if the inner poll panics.
struct PopOnDrop(usize);

impl Drop for PopOnDrop {
    fn drop(&mut self) {
        context::pop(self.0);
    }
}

/// Span adapters for every future.
///
/// ```
/// use clew::FutureExt;
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// let parent = tracer.span("request").start();
/// let parent_id = parent.span_id();
/// async move {
///     tokio::task::yield_now().await;
///     // Still current after the await, so this is a child of `request`.
///     tracer.span("after-await").start().end();
/// }
/// .in_span(parent)
/// .await;
/// assert_eq!(exporter.spans()[0].parent_span_id, Some(parent_id));
/// # });
/// ```
pub trait FutureExt: Future + Sized {
    /// Makes `span` current during each poll and ends it when the future completes.
    fn in_span(self, span: Span) -> Instrumented<Self> {
        let context = span.context();
        Instrumented { future: self, span: Some(span), context }
    }

    /// Makes `context` current during each poll.
    fn with_context(self, context: SpanContext) -> WithContext<Self> {
        WithContext { future: self, context: Some(context) }
    }

    /// Captures this thread's current span context now and makes it current during each
    /// poll: wrap a future with this before handing it to `spawn`.
    fn in_current_span(self) -> WithContext<Self> {
        WithContext { future: self, context: context::current_context() }
    }
}

impl<F: Future> FutureExt for F {}
