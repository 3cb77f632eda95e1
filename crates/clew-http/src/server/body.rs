//! The response body of a traced request: it ends the server span when the last frame
//! has been produced, and keeps the span current while it is polled.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use clew::{Span, SpanContext};
use http_body::{Body, Frame, SizeHint};

use crate::outcome::record_display_error;

pin_project_lite::pin_project! {
    /// A response body that ends its request's server span once it has produced its
    /// last frame (or failed, or been dropped: a client that went away), so that the span
    /// covers the time spent sending a streamed body. The span is current while the body
    /// is polled, so spans a streaming body starts are its children.
    ///
    /// It is what [`TraceService`](crate::TraceService) answers with; frameworks take it
    /// like any other body.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        span: Option<Span>,
        context: Option<SpanContext>,
    }
}

impl<B> TracedBody<B> {
    /// `inner`, ending `span` when done, with `context` current while polled.
    pub(crate) fn new(inner: B, span: Option<Span>, context: Option<SpanContext>) -> TracedBody<B> {
        TracedBody { inner, span, context }
    }

    /// The body this one wraps.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B> fmt::Debug for TracedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedBody").field("span", &self.span).finish_non_exhaustive()
    }
}

impl<B> Body for TracedBody<B>
where
    B: Body,
    B::Error: fmt::Display,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        let polled = {
            let _current = this.context.as_ref().map(|context| clew::enter_context(context.clone()));
            this.inner.as_mut().poll_frame(task)
        };
        let finished = match &polled {
            Poll::Pending => false,
            Poll::Ready(None) => true,
            Poll::Ready(Some(Err(failure))) => {
                if let Some(span) = this.span.as_mut() {
                    record_display_error(span, failure);
                }
                true
            }
            Poll::Ready(Some(Ok(_))) => this.inner.is_end_stream(),
        };
        if finished {
            // Before the last bytes are written: the span has ended by the time the client
            // has read the whole response.
            drop(this.span.take());
            *this.context = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
