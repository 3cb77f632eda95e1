//! Client spans: [`TraceMiddleware`] for reqwest (through reqwest-middleware) and
//! [`ClientTraceLayer`] for any `tower::Service<http::Request<B>>` (hyper-util's client,
//! say).
//!
//! For each request, both:
//! 1. start a CLIENT span named by the method (`GET`, …; `HTTP` for a method that is not
//!    one of the nine well-known ones), a child of the current clew span — the server
//!    span of the request being handled, under [`TraceLayer`](crate::TraceLayer);
//! 2. inject that span's context into the request's headers with the propagator, with
//!    the baggage and request id of a [`PropagationContext`] found in the request's
//!    extensions (the one the server layer extracted, passed along by the handler);
//! 3. record, if the span is sampled, `http.request.method`, `url.full` (a user name,
//!    password and signature parameters replaced by `REDACTED`), `server.address` and
//!    `server.port` (the scheme's default when the URL names none);
//! 4. keep the span current while the request is under way;
//! 5. record `http.response.status_code` and `network.protocol.version` of the response;
//!    any status of 400 or more fails the span, with `error.type` set to the code; a
//!    request that fails (connection refused, timeout…) records the error with
//!    `error.type` (`connect`, `timeout`… for reqwest; the error's type name for a tower
//!    client);
//! 6. end the span when the response's head has arrived, not when its body has been read
//!    (reqwest gives a middleware no hook on the body).
//!
//! [`PropagationContext`]: clew::propagation::PropagationContext

mod attributes;
mod layer;
#[cfg(feature = "reqwest")]
mod middleware;

pub use layer::{ClientResponseFuture, ClientTraceLayer, ClientTraceService};
#[cfg(feature = "reqwest")]
pub use middleware::TraceMiddleware;
