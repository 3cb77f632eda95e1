//! What the tests share: a tracer recording in memory, real axum servers on ephemeral
//! loopback ports, and looking spans up.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;

use axum::Router;
use clew::{InMemoryExporter, SpanData, Tracer, Value};

/// A tracer that exports each span as it ends into the returned exporter, whatever the
/// environment says.
pub(crate) fn recording_tracer(service: &'static str) -> (Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let tracer =
        Tracer::builder().ignore_env().service_name(service).exporter(exporter.clone()).simple_export().build();
    (tracer, exporter)
}

/// Serves `router` on an ephemeral loopback port (with the peer's address available as
/// `ConnectInfo`) until the test's runtime stops; its address.
pub(crate) async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    address
}

/// The one exported span named `name`.
pub(crate) fn span_named(exporter: &InMemoryExporter, name: &str) -> SpanData {
    let spans = exporter.spans();
    let mut matching = spans.iter().filter(|span| span.name == name);
    let span = matching.next().unwrap_or_else(|| panic!("no span {name:?} in\n{}", exporter.tree()));
    assert!(matching.next().is_none(), "more than one span {name:?} in\n{}", exporter.tree());
    span.clone()
}

/// The text of attribute `key`.
pub(crate) fn text<'a>(span: &'a SpanData, key: &str) -> Option<&'a str> {
    span.attribute(key).and_then(Value::as_str)
}

/// The integer value of attribute `key`.
pub(crate) fn integer(span: &SpanData, key: &str) -> Option<i64> {
    span.attribute(key).and_then(Value::as_i64)
}

/// The exported spans as a tree of names and kinds, without attributes (which hold
/// ephemeral ports): the shape of a trace.
pub(crate) fn shape(exporter: &InMemoryExporter) -> String {
    let spans: Vec<SpanData> = exporter
        .spans()
        .into_iter()
        .map(|mut span| {
            span.attributes.clear();
            span
        })
        .collect();
    clew::testing::render_tree(&spans)
}

/// The text of attribute `key` of the span's `exception` event.
pub(crate) fn exception_text<'a>(span: &'a SpanData, key: &str) -> Option<&'a str> {
    let exception = span.events.iter().find(|event| event.name == "exception")?;
    let attribute = exception.attributes.iter().find(|attribute| attribute.key == key)?;
    attribute.value.as_str()
}
