//! Server spans: [`TraceLayer`], a `tower::Layer` for axum, hyper and tonic servers.
//!
//! For each request, [`TraceService`]:
//! 1. extracts the caller's context from the headers with the propagator (a request
//!    without a valid one starts a new trace);
//! 2. starts a SERVER span named `{method} {route}` — the route from axum's
//!    `MatchedPath` when the layer was added with `Router::layer` (a layer around the
//!    whole router runs before routing and sees no route; `route_layer` leaves requests
//!    that match no route untraced), else the method alone;
//!    `HTTP` stands for a method that is not one of the nine well-known ones;
//! 3. records, if the span is sampled, `http.request.method`, `http.route`, `url.path`,
//!    `url.query` (signature parameters redacted), `url.scheme`, `server.address` and
//!    `server.port` (from the URI's authority or the `Host` header), `client.address`
//!    (from axum's `ConnectInfo<SocketAddr>`), `user_agent.original`,
//!    `network.protocol.version`, and the request id the propagator found
//!    (`http.request.header.x-request-id`);
//! 4. puts the extracted [`PropagationContext`] in the request's extensions, for
//!    handlers that pass baggage or the request id on (axum: `Extension<PropagationContext>`;
//!    [`TraceMiddleware`](crate::TraceMiddleware) and
//!    [`ClientTraceLayer`](crate::ClientTraceLayer) read it from an outgoing request's
//!    extensions);
//! 5. keeps the span current on the thread that runs the inner service — during `call`
//!    and each poll of its future, and each poll of the response body — so spans the
//!    handler starts are its children;
//! 6. records `http.response.status_code`; a 5xx answer fails the span with `error.type`
//!    set to the code (a 4xx one does not: the server did its job); an `Err` from the
//!    inner service is recorded as an error (`error.type`, an `exception` event);
//! 7. ends the span when the response body has produced its last frame — so a streamed
//!    body's time is counted — or at once when the response has no body; a body dropped
//!    before its end (the client went away) ends it then.
//!
//! An unsampled request costs the extraction, an id, a name for the sampler (one short
//! allocation when there is a route), the context put in the request's extensions and a
//! context pushed on the thread's stack per poll; no attribute is built and nothing is
//! exported.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use clew::propagation::{PropagationContext, Propagator};
use clew::{SpanContext, SpanKind, Tracer};
use http_body::Body;
use tower::{Layer, Service};

use crate::settings::Settings;

mod attributes;
mod body;
mod future;

pub use body::TracedBody;
pub use future::ResponseFuture;

/// A `tower::Layer` that traces each request a server handles: a SERVER span per request,
/// continuing the caller's trace; see the [module](self) docs for what it records.
///
/// ```
/// use axum::{Router, routing::get};
/// use tower::ServiceExt;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().service_name("orders").exporter(exporter.clone()).simple_export().build();
/// let app = Router::new()
///     .route("/orders/{id}", get(|| async { "an order" }))
///     .layer(clew_http::TraceLayer::new().with_tracer(tracer));
///
/// let request = http::Request::get("/orders/7")
///     .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
///     .body(axum::body::Body::empty())
///     .unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
///
/// let span = &exporter.spans()[0];
/// assert_eq!(span.name, "GET /orders/{id}");
/// assert_eq!(span.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(span.attribute("http.response.status_code"), Some(&clew::Value::I64(200)));
/// # });
/// ```
#[derive(Clone, Debug)]
#[must_use = "a layer does nothing until it wraps a service"]
pub struct TraceLayer {
    settings: Settings,
    default_scheme: &'static str,
}

impl Default for TraceLayer {
    fn default() -> TraceLayer {
        TraceLayer::new()
    }
}

impl TraceLayer {
    /// A layer over the process-wide tracer and propagator ([`clew::global`] and
    /// [`clew::propagation::global`], looked up at each request).
    pub fn new() -> TraceLayer {
        TraceLayer { settings: Settings::default(), default_scheme: "http" }
    }

    /// Records spans with `tracer` instead of the process-wide one.
    pub fn with_tracer(mut self, tracer: Tracer) -> TraceLayer {
        self.settings.set_tracer(tracer);
        self
    }

    /// Reads incoming context with `propagator` instead of the process-wide one.
    ///
    /// ```
    /// use clew::propagation::B3Propagator;
    /// let layer = clew_http::TraceLayer::new().with_propagator(B3Propagator::multiple_headers());
    /// ```
    pub fn with_propagator(mut self, propagator: impl Propagator + 'static) -> TraceLayer {
        self.settings.set_propagator(Arc::new(propagator));
        self
    }

    /// The `url.scheme` of requests whose URI has none (HTTP/1.1 requests name only a
    /// path): `http` unless set, `https` for a server that terminates TLS itself.
    pub fn with_default_scheme(mut self, scheme: &'static str) -> TraceLayer {
        self.default_scheme = scheme;
        self
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = TraceService<S>;

    fn layer(&self, inner: S) -> TraceService<S> {
        TraceService { inner, settings: self.settings.clone(), default_scheme: self.default_scheme }
    }
}

/// The service [`TraceLayer`] wraps around a server's service.
#[derive(Clone, Debug)]
pub struct TraceService<S> {
    inner: S,
    settings: Settings,
    default_scheme: &'static str,
}

impl<S> TraceService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for TraceService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Error: fmt::Display,
    ResBody: Body,
{
    type Response = http::Response<TracedBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, task: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(task)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> ResponseFuture<S::Future> {
        let tracer = self.settings.tracer();
        let context: PropagationContext =
            self.settings.with_propagator(|propagator| propagator.extract(request.headers()));
        let route = attributes::matched_route(&request);
        let mut span = tracer
            .span(attributes::span_name(request.method(), route))
            .kind(SpanKind::Server)
            .remote_parent(&context)
            .start();
        if span.is_recording() {
            span.set_attributes(attributes::request_attributes(&request, route, self.default_scheme));
            span.set_attributes(context.span_attributes());
        }
        request.extensions_mut().insert(context);
        let span_context = Some(span.context()).filter(SpanContext::is_valid);
        let inner = {
            let _current = span_context.clone().map(clew::enter_context);
            self.inner.call(request)
        };
        ResponseFuture::new(inner, span, span_context)
    }
}
