//! HTTP spans for clew: a SERVER span for each request a service handles and a CLIENT
//! span for each request it sends, named and described by the OpenTelemetry HTTP
//! semantic conventions, with the trace carried across in headers.
//!
//! - [`TraceLayer`] is a `tower::Layer` for servers (axum, hyper, tonic): it continues the
//!   caller's trace from the request headers, keeps the server span current while the
//!   handler runs, and records the response ([`server`] tells the details).
//! - [`TraceMiddleware`] (feature `reqwest`) traces a reqwest client built with
//!   reqwest-middleware, and [`ClientTraceLayer`] any `tower::Service<http::Request<B>>`
//!   (hyper-util's client): a client span, child of the current span, whose context goes
//!   into the request headers ([`client`]).
//!
//! Both use the process-wide tracer and propagator ([`clew::global`],
//! [`clew::propagation::global`]) unless given others.
//!
//! A server: add the layer with `Router::layer`, so that spans are named by the matched
//! route.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! let app = Router::new()
//!     .route("/orders/{id}", get(move || async move {
//!         // Spans the handler starts are children of the server span.
//!         tracer.in_span("load-order", |_| "an order")
//!     }))
//!     .layer(clew_http::TraceLayer::new().with_tracer(tracer));
//!
//! let request = http::Request::get("/orders/7").header("host", "shop.example").body(axum::body::Body::empty()).unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
//! assert_eq!(exporter.tree(), "\
//! GET /orders/{id} [server] {http.request.method=\"GET\", http.route=\"/orders/{id}\", url.path=\"/orders/7\", \
//! url.scheme=\"http\", server.address=\"shop.example\", network.protocol.version=\"1.1\", http.response.status_code=200}
//!   load-order
//! ");
//! # });
//! ```
//!
//! A client, in a handler or anywhere a clew span is current:
//!
//! ```no_run
//! # async fn call() -> Result<(), reqwest_middleware::Error> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(clew_http::TraceMiddleware::new())
//!     .build();
//! let stock = client.get("http://inventory.internal/stock/7").send().await?.text().await?;
//! # Ok(())
//! # }
//! ```
//!
//! In an application, over the process-wide tracer and propagators (the README's example):
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use clew_http::{TraceLayer, TraceMiddleware};
//!
//! // The process-wide tracer (OTLP when an endpoint is set) and propagators.
//! let tracer = clew_otlp::init();
//!
//! // Add the layer with `Router::layer`, so that spans are named by the matched route.
//! let app: Router = Router::new()
//!     .route("/orders/{id}", get(|| async { "an order" }))
//!     .layer(TraceLayer::new());
//!
//! // Requests sent from a handler are children of its server span.
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(TraceMiddleware::new())
//!     .build();
//! # drop((tracer, app, client));
//! ```
//!
//! reqwest's own `Client` has no middleware hook; reqwest-middleware (0.5, the line built
//! on reqwest 0.13) wraps it in a `ClientWithMiddleware` with the same request builder.
//!
//! The crate's parts: `server/` (the layer and its service in `mod.rs`, the name and
//! attributes in `attributes.rs`, the response future in `future.rs`, the body that ends
//! the span in `body.rs`), `client/` (`layer.rs` for tower clients, `middleware.rs` for
//! reqwest, `attributes.rs`), `outcome.rs` (what a status or an error does to a span),
//! `request.rs` (method names, host and port, URL redaction), `settings.rs` (the tracer and
//! propagator a layer uses).
//!
//! Features: `axum` (span names from `MatchedPath`, `client.address` from `ConnectInfo`)
//! and `reqwest` ([`TraceMiddleware`]), both on by default.

pub mod client;
mod outcome;
mod request;
pub mod server;
mod settings;

#[cfg(feature = "reqwest")]
pub use client::TraceMiddleware;
pub use client::{ClientResponseFuture, ClientTraceLayer, ClientTraceService};
pub use server::{ResponseFuture, TraceLayer, TraceService, TracedBody};
