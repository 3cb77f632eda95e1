//! Records [`tracing`] spans and events as clew spans.
//!
//! [`ClewLayer`] is a `tracing_subscriber` layer: add it to a registry and every
//! `tracing` span becomes a clew span (sampled by clew's sampler before anything is
//! recorded, with its fields as typed attributes), every event inside a span an event of
//! that clew span, and `tracing` and clew spans nest with each other both ways.
//! [`fmt_layer`] (feature `fmt`, on by default) is `tracing_subscriber`'s text log layer
//! with the current `trace_id` and `span_id` at the end of each line.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(clew_tracing::layer().with_tracer(tracer).with_location(false).with_target(false).with_level(false));
//! tracing::subscriber::with_default(subscriber, || {
//!     let request = tracing::info_span!("handle-request", otel.kind = "server", http.route = "/orders");
//!     let _entered = request.enter();
//!     // A clew span started inside a `tracing` span is its child, and the other way round.
//!     tracer.in_span("charge-card", |_| {
//!         let _lookup = tracing::debug_span!("lookup", rows = 1_u64).entered();
//!     });
//! });
//! assert_eq!(exporter.tree(), "\
//! handle-request [server] {http.route=\"/orders\"}
//!   charge-card
//!     lookup {rows=1}
//! ");
//! ```
//!
//! In an application, both layers go on the process-wide subscriber:
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let tracer = clew::init();
//! let subscriber = tracing_subscriber::registry()
//!     .with(clew_tracing::layer()) // records through the process-wide tracer
//!     .with(clew_tracing::fmt_layer()); // log lines with the current ids
//! tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
//!
//! let _request = tracing::info_span!("handle-request", otel.kind = "server", http.route = "/orders").entered();
//! tracing::info!(rows = 3, "orders loaded");
//! # drop(_request);
//! # tracer.shutdown(std::time::Duration::from_secs(5)).ok();
//! ```
//!
//! The crate's parts: `layer.rs` (the layer and what it does at each step of a span's
//! life), `fields.rs` (fields to attributes, names, kinds and statuses), `entered.rs`
//! (which `tracing` spans are entered on this thread, on clew's context stack), `fmt.rs`
//! (log lines with ids), `keys.rs` (the attribute names the layer adds).

mod entered;
mod fields;
#[cfg(feature = "fmt")]
mod fmt;
pub mod keys;
mod layer;

#[cfg(feature = "fmt")]
pub use fmt::{FmtLayer, WithTraceIds, fmt_layer};
pub use layer::ClewLayer;

/// A [`ClewLayer`] over the process-wide tracer: the same as [`ClewLayer::new`].
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(clew_tracing::layer());
/// ```
pub fn layer() -> ClewLayer {
    ClewLayer::new()
}
