//! A server span per request, named by axum's matched route, with the HTTP semantic
//! conventions' attributes, and failed by 5xx answers only.

#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get};
use clew::propagation::{self, PropagatorChoice};
use clew::{SpanKind, Status, Value};
use clew_http::TraceLayer;
use common::{integer, recording_tracer, serve, span_named, text};

fn app(tracer: clew::Tracer) -> Router {
    let propagator = propagation::from_choices(&[
        PropagatorChoice::TraceContext,
        PropagatorChoice::Baggage,
        PropagatorChoice::RequestId,
    ]);
    Router::new()
        .route("/orders/{id}", get(|| async { "an order" }))
        .route("/items/{id}", get(|| async { (StatusCode::NOT_FOUND, "no such item") }))
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "the database is down") }))
        .route("/cache", any(|| async { "purged" }))
        .layer(TraceLayer::new().with_tracer(tracer).with_propagator(propagator))
}

#[tokio::test]
async fn a_request_to_a_route_is_a_server_span_named_by_the_route_with_its_attributes() {
    let (tracer, exporter) = recording_tracer("orders");
    let address = serve(app(tracer)).await;
    let response = reqwest::Client::new()
        .get(format!("http://{address}/orders/42?expand=items&sig=s3cr3t"))
        .header("user-agent", "clew-http-test/1.0")
        .header("x-request-id", "req-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "an order");

    let span = span_named(&exporter, "GET /orders/{id}");
    assert_eq!(span.kind, SpanKind::Server);
    assert_eq!(span.parent_span_id, None);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(text(&span, "http.request.method"), Some("GET"));
    assert_eq!(text(&span, "http.route"), Some("/orders/{id}"));
    assert_eq!(text(&span, "url.path"), Some("/orders/42"));
    assert_eq!(text(&span, "url.query"), Some("expand=items&sig=REDACTED"));
    assert_eq!(text(&span, "url.scheme"), Some("http"));
    assert_eq!(text(&span, "server.address"), Some("127.0.0.1"));
    assert_eq!(integer(&span, "server.port"), Some(i64::from(address.port())));
    assert_eq!(text(&span, "client.address"), Some("127.0.0.1"));
    assert_eq!(text(&span, "user_agent.original"), Some("clew-http-test/1.0"));
    assert_eq!(text(&span, "network.protocol.version"), Some("1.1"));
    assert_eq!(integer(&span, "http.response.status_code"), Some(200));
    assert_eq!(span.attribute("error.type"), None);
    assert_eq!(span.attribute("http.request.header.x-request-id"), Some(&Value::StringArray(vec!["req-7".into()])));
    assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
}

#[tokio::test]
async fn a_404_leaves_the_server_span_unfailed_whether_a_route_or_the_fallback_answers() {
    let (tracer, exporter) = recording_tracer("orders");
    let address = serve(app(tracer)).await;
    let client = reqwest::Client::new();
    for path in ["/items/9", "/no/such/path"] {
        let response = client.get(format!("http://{address}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404);
        response.text().await.unwrap();
    }

    let routed = span_named(&exporter, "GET /items/{id}");
    assert_eq!(integer(&routed, "http.response.status_code"), Some(404));
    assert_eq!(routed.status, Status::Unset);
    assert_eq!(routed.attribute("error.type"), None);
    // No route matched: the method alone names the span, and there is no `http.route`.
    let unrouted = span_named(&exporter, "GET");
    assert_eq!(integer(&unrouted, "http.response.status_code"), Some(404));
    assert_eq!(unrouted.status, Status::Unset);
    assert_eq!(unrouted.attribute("http.route"), None);
    assert_eq!(text(&unrouted, "url.path"), Some("/no/such/path"));
}

#[tokio::test]
async fn a_500_fails_the_server_span_with_the_code_as_error_type() {
    let (tracer, exporter) = recording_tracer("orders");
    let address = serve(app(tracer)).await;
    let response = reqwest::Client::new().get(format!("http://{address}/fail")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    response.text().await.unwrap();

    let span = span_named(&exporter, "GET /fail");
    assert!(span.status.is_error(), "{:?}", span.status);
    // No description: the status code tells the reason.
    assert_eq!(span.status, Status::error(""));
    assert_eq!(integer(&span, "http.response.status_code"), Some(500));
    assert_eq!(text(&span, "error.type"), Some("500"));
}

#[tokio::test]
async fn a_method_outside_the_well_known_ones_names_the_span_http_and_is_recorded_as_other() {
    let (tracer, exporter) = recording_tracer("orders");
    let address = serve(app(tracer)).await;
    let purge = reqwest::Method::from_bytes(b"PURGE").unwrap();
    let response = reqwest::Client::new().request(purge, format!("http://{address}/cache")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "purged");

    let span = span_named(&exporter, "HTTP /cache");
    assert_eq!(text(&span, "http.request.method"), Some("_OTHER"));
    assert_eq!(text(&span, "http.request.method_original"), Some("PURGE"));
}
