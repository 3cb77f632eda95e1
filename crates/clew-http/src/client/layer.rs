//! [`ClientTraceLayer`]: client spans for any `tower::Service<http::Request<B>>`, such as
//! hyper-util's client.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use clew::propagation::Propagator;
use clew::{Span, SpanContext, SpanKind, Tracer};
use tower::{Layer, Service};

use super::attributes::{outgoing_context, request_attributes};
use crate::outcome::{Side, record_display_error, record_response};
use crate::request::span_method;
use crate::settings::Settings;

/// A `tower::Layer` that traces each request an HTTP client sends: a CLIENT span named
/// by the method, child of the current clew span, whose context is injected into the
/// request's headers. See the [client module](crate::client) docs for what it records.
///
/// ```
/// use tower::{Service, ServiceBuilder, ServiceExt};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// // Any `Service<http::Request<B>>`: here one that answers 503 and echoes `traceparent`.
/// let mut client = ServiceBuilder::new()
///     .layer(clew_http::ClientTraceLayer::new().with_tracer(tracer))
///     .service_fn(|request: http::Request<String>| async move {
///         let traceparent = request.headers()["traceparent"].clone();
///         let response = http::Response::builder().status(503).header("echo", traceparent).body(String::new())?;
///         Ok::<_, http::Error>(response)
///     });
///
/// let request = http::Request::get("http://inventory.internal:8080/stock/7").body(String::new()).unwrap();
/// let response = client.ready().await.unwrap().call(request).await.unwrap();
///
/// let span = &exporter.spans()[0];
/// assert_eq!(span.name, "GET");
/// assert!(span.status.is_error());
/// assert_eq!(span.attribute("server.port"), Some(&clew::Value::I64(8080)));
/// // The client span's ids, sampled (and random) flags.
/// assert_eq!(response.headers()["echo"], format!("00-{}-{}-03", span.trace_id, span.span_id));
/// # });
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a layer does nothing until it wraps a service"]
pub struct ClientTraceLayer {
    settings: Settings,
}

impl ClientTraceLayer {
    /// A layer over the process-wide tracer and propagator ([`clew::global`] and
    /// [`clew::propagation::global`], looked up at each request).
    pub fn new() -> ClientTraceLayer {
        ClientTraceLayer::default()
    }

    /// Records spans with `tracer` instead of the process-wide one.
    pub fn with_tracer(mut self, tracer: Tracer) -> ClientTraceLayer {
        self.settings.set_tracer(tracer);
        self
    }

    /// Writes context with `propagator` instead of the process-wide one.
    pub fn with_propagator(mut self, propagator: impl Propagator + 'static) -> ClientTraceLayer {
        self.settings.set_propagator(Arc::new(propagator));
        self
    }
}

impl<S> Layer<S> for ClientTraceLayer {
    type Service = ClientTraceService<S>;

    fn layer(&self, inner: S) -> ClientTraceService<S> {
        ClientTraceService { inner, settings: self.settings.clone() }
    }
}

/// The service [`ClientTraceLayer`] wraps around a client.
#[derive(Clone, Debug)]
pub struct ClientTraceService<S> {
    inner: S,
    settings: Settings,
}

impl<S> ClientTraceService<S> {
    /// The wrapped client.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped client, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for ClientTraceService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Error: fmt::Display,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = ClientResponseFuture<S::Future>;

    fn poll_ready(&mut self, task: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(task)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> ClientResponseFuture<S::Future> {
        let tracer = self.settings.tracer();
        let mut span = tracer.span(span_method(request.method())).kind(SpanKind::Client).start();
        if span.is_recording() {
            span.set_attributes(request_attributes(&request));
        }
        let outgoing = outgoing_context(request.extensions(), &span);
        self.settings.with_propagator(|propagator| propagator.inject(&outgoing, request.headers_mut()));
        let context = Some(span.context()).filter(SpanContext::is_valid);
        let inner = {
            let _current = context.clone().map(clew::enter_context);
            self.inner.call(request)
        };
        ClientResponseFuture { inner, span: Some(span), context }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ClientTraceService`]: the client span is current while
    /// the inner client works and ends when the response's head arrives or the request
    /// fails.
    pub struct ClientResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<Span>,
        context: Option<SpanContext>,
    }
}

impl<F> fmt::Debug for ClientResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientResponseFuture").field("span", &self.span).finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ClientResponseFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
    E: fmt::Display,
{
    type Output = Result<http::Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = {
            let _current = this.context.as_ref().map(|context| clew::enter_context(context.clone()));
            ready!(this.inner.poll(task))
        };
        if let Some(mut span) = this.span.take() {
            match &outcome {
                Ok(response) => record_response(&mut span, response.status(), response.version(), Side::Client),
                Err(failure) => record_display_error(&mut span, failure),
            }
            span.end();
        }
        *this.context = None;
        Poll::Ready(outcome)
    }
}
