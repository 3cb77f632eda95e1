//! The future of a traced request: the server span is current while the inner service
//! works, and the response's status is recorded when it comes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use clew::{Span, SpanContext};
use http_body::Body;

use super::body::TracedBody;
use crate::outcome::{Side, record_display_error, record_response};

pin_project_lite::pin_project! {
    /// The response future of [`TraceService`](crate::TraceService).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<Span>,
        context: Option<SpanContext>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, span: Span, context: Option<SpanContext>) -> ResponseFuture<F> {
        ResponseFuture { inner, span: Some(span), context }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").field("span", &self.span).finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
    ResBody: Body,
    E: fmt::Display,
{
    type Output = Result<http::Response<TracedBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = {
            let _current = this.context.as_ref().map(|context| clew::enter_context(context.clone()));
            ready!(this.inner.poll(task))
        };
        let mut span = this.span.take();
        let context = this.context.take();
        match outcome {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                if let Some(span) = span.as_mut() {
                    record_response(span, parts.status, parts.version, Side::Server);
                }
                // The body keeps the span until its last frame, unless there is nothing to
                // send (then it may never be polled) or nothing is recorded.
                let nothing_to_send = body.is_end_stream();
                if nothing_to_send || !span.as_ref().is_some_and(Span::is_recording) {
                    drop(span.take());
                }
                let context = if nothing_to_send { None } else { context };
                Poll::Ready(Ok(http::Response::from_parts(parts, TracedBody::new(body, span, context))))
            }
            Err(failure) => {
                if let Some(span) = span.as_mut() {
                    record_display_error(span, &failure);
                }
                drop(span);
                Poll::Ready(Err(failure))
            }
        }
    }
}
