//! Quick start: set up a tracer, trace one request, print its spans, shut down.
//!
//! Mirrors the quick start of seed 002 (a Go OpenTelemetry wrapper: initialize once,
//! start spans, `defer trace.Shutdown`), with the JSON lines of seed 001's writer exporter.
//! A request span has three children; along the way it records attributes, an event and
//! one failed call. Every span is printed on standard output as one JSON line.
//!
//! ```sh
//! cargo run -p clew-examples --example quickstart
//! ```

#![allow(clippy::print_stdout)]

use std::time::Duration;

use clew::{Level, SpanKind, Status};

fn main() {
    // Built in code; anything not set here is read from the OTEL_* / TRACE_* variables.
    let tracer = clew::Tracer::builder()
        .service_name("checkout")
        .service_version(env!("CARGO_PKG_VERSION"))
        .exporter(clew::StdoutExporter::new())
        .build();
    clew::set_global(tracer);

    let mut request = tracer.span("GET /orders/{id}").kind(SpanKind::Server).start();
    request.in_scope(|request| {
        request.set_attributes(clew::attrs!["http.request.method" => "GET", "http.route" => "/orders/{id}"]);

        // Started while `request` is current, so each is its child.
        tracer.in_span("load-order", |load| {
            load.set_attribute("order.id", 1042);
            load.event(Level::Info, "cache.miss", clew::attrs!["cache.key" => "order:1042"]);
        });

        let mut recommendations = tracer.span("fetch-recommendations").kind(SpanKind::Client).start();
        let failure = std::io::Error::new(std::io::ErrorKind::TimedOut, "recommendation service timed out");
        recommendations.record_error(&failure); // an `exception` event and an error status
        recommendations.end();

        tracer.in_span("render-response", |render| render.set_attribute("response.items", 3));
        request.set_attribute("http.response.status_code", 200);
    });
    request.end_with(Status::Ok);

    // Spans are exported in batches from a background thread: shut down to write them all.
    if let Err(error) = tracer.shutdown(Duration::from_secs(5)) {
        println!("could not export every span: {error}");
    }
}
