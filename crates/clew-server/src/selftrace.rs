//! The server tracing its own requests with clew, into its own store.
//!
//! With `self_tracing` on, every request to the query port and to OTLP/HTTP opens a SERVER
//! span named by method and route, with the HTTP semantic-convention attributes; spans are
//! written straight to the store (no network hop, so no feedback loop through the
//! receivers), under the service `clew-serve`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use clew::{Batch, ExportError, SpanExporter, SpanKind, Status, Tracer};
use clew_store::TraceRecord;
use clew_store::{Origin, Store, WriteBatch};

/// The service name of the server's own spans.
pub const SERVICE_NAME: &str = "clew-serve";

#[derive(Debug)]
struct StoreExporter {
    store: Arc<dyn Store>,
}

impl SpanExporter for StoreExporter {
    fn export(&self, mut batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        let origin = Origin { resource: Arc::clone(&batch.resource), scope: "clew-server".into() };
        let spans = std::mem::take(&mut batch.spans);
        let records: Vec<TraceRecord> =
            std::mem::take(&mut batch.events).into_iter().map(TraceRecord::TraceEvent).collect();
        let write = WriteBatch { spans: vec![(origin.clone(), spans)], records: vec![(origin, records)] };
        self.store.write(write).map_err(|error| ExportError::failed(error.to_string()))
    }
}

/// A tracer whose spans go into `store`.
pub(crate) fn tracer(store: Arc<dyn Store>) -> Tracer {
    Tracer::builder()
        .ignore_env()
        .service_name(SERVICE_NAME)
        .service_version(env!("CARGO_PKG_VERSION"))
        .exporter(StoreExporter { store })
        .build()
}

/// The middleware: one SERVER span per request.
pub(crate) async fn trace_request(State(tracer): State<Tracer>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let name = match &route {
        Some(route) => format!("{method} {route}"),
        None => method.clone(),
    };
    let mut span = tracer
        .span(name)
        .kind(SpanKind::Server)
        .root()
        .attribute("http.request.method", method)
        .attribute("url.path", request.uri().path().to_owned())
        .start();
    if let Some(route) = route {
        span.set_attribute("http.route", route);
    }
    let response = next.run(request).await;
    let status = response.status();
    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(Status::error(format!("HTTP {}", status.as_u16())));
    }
    span.end();
    response
}
