//! [`TraceMiddleware`]: client spans for reqwest, through reqwest-middleware.

use std::sync::Arc;

use clew::propagation::Propagator;
use clew::semconv::error::ERROR_TYPE;
use clew::{FutureExt, Span, SpanContext, SpanKind, Tracer};
use reqwest_middleware::{Middleware, Next};

use super::attributes::{client_attributes, outgoing_context};
use crate::outcome::{Side, record_response};
use crate::request::span_method;
use crate::settings::Settings;

/// A reqwest-middleware middleware that traces each request a reqwest client sends: a
/// CLIENT span named by the method, child of the current clew span, whose context is
/// injected into the request's headers. See the [client module](crate::client) docs for
/// what it records.
///
/// A [`PropagationContext`](clew::propagation::PropagationContext) given to the request
/// with `with_extension` (the one [`TraceLayer`](crate::TraceLayer) put in the incoming
/// request's extensions, say) has its baggage and request id passed on.
///
/// ```no_run
/// # async fn call() -> Result<(), reqwest_middleware::Error> {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(clew_http::TraceMiddleware::new())
///     .build();
/// let stock = client.get("http://inventory.internal/stock/7").send().await?.text().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct TraceMiddleware {
    settings: Settings,
}

impl TraceMiddleware {
    /// A middleware over the process-wide tracer and propagator ([`clew::global`] and
    /// [`clew::propagation::global`], looked up at each request).
    #[must_use]
    pub fn new() -> TraceMiddleware {
        TraceMiddleware::default()
    }

    /// Records spans with `tracer` instead of the process-wide one.
    #[must_use]
    pub fn with_tracer(mut self, tracer: Tracer) -> TraceMiddleware {
        self.settings.set_tracer(tracer);
        self
    }

    /// Writes context with `propagator` instead of the process-wide one.
    #[must_use]
    pub fn with_propagator(mut self, propagator: impl Propagator + 'static) -> TraceMiddleware {
        self.settings.set_propagator(Arc::new(propagator));
        self
    }

    /// Starts the span of `request` and writes its context into the headers.
    fn start(&self, request: &mut reqwest::Request, extensions: &http::Extensions) -> Span {
        let tracer = self.settings.tracer();
        let mut span = tracer.span(span_method(request.method())).kind(SpanKind::Client).start();
        if span.is_recording() {
            let url = request.url();
            let host = url.host_str();
            span.set_attributes(client_attributes(
                request.method().as_str(),
                url.as_str(),
                host,
                url.port_or_known_default(),
            ));
        }
        let outgoing = outgoing_context(extensions, &span);
        self.settings.with_propagator(|propagator| propagator.inject(&outgoing, request.headers_mut()));
        span
    }
}

#[async_trait::async_trait]
impl Middleware for TraceMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let mut span = self.start(&mut request, extensions);
        let outcome = match Some(span.context()).filter(SpanContext::is_valid) {
            Some(context) => next.run(request, extensions).with_context(context).await,
            None => next.run(request, extensions).await,
        };
        match &outcome {
            Ok(response) => record_response(&mut span, response.status(), response.version(), Side::Client),
            Err(failure) => record_failure(&mut span, failure),
        }
        span.end();
        outcome
    }
}

/// Records a failed send: the error and its causes (an `exception` event, an error
/// status) and `error.type`, a short name of what failed.
fn record_failure(span: &mut Span, failure: &reqwest_middleware::Error) {
    if !span.is_recording() {
        return;
    }
    match failure {
        reqwest_middleware::Error::Reqwest(error) => {
            span.record_error(error);
            span.set_attribute(ERROR_TYPE, reqwest_error_type(error));
        }
        reqwest_middleware::Error::Middleware(_) => {
            span.record_error(failure);
            span.set_attribute(ERROR_TYPE, "_OTHER");
        }
    }
}

/// `error.type` of a reqwest error: what kind of step failed, in a few stable words.
fn reqwest_error_type(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_redirect() {
        "redirect"
    } else if error.is_body() {
        "body"
    } else if error.is_decode() {
        "decode"
    } else if error.is_builder() {
        "builder"
    } else if error.is_request() {
        "request"
    } else {
        "_OTHER"
    }
}
