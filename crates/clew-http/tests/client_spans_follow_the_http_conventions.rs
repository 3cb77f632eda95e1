//! A client span per request sent through reqwest (with `TraceMiddleware`) or a tower
//! client (hyper-util's, with `ClientTraceLayer`), against a real server that tells what
//! headers it received.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use bytes::Bytes;
use clew::propagation::{self, Propagator, PropagatorChoice};
use clew::{FutureExt, SpanData, SpanKind, Status};
use clew_http::{ClientTraceLayer, TraceMiddleware};
use common::{exception_text, integer, recording_tracer, serve, span_named, text};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value as Json;
use tower::{Service, ServiceBuilder, ServiceExt};

/// A server answering `/echo` with the propagation headers it received, as JSON, and
/// `/status/{code}` with that status.
async fn echo_server() -> SocketAddr {
    let echo = |headers: HeaderMap| async move {
        let mut received = serde_json::Map::new();
        for name in ["traceparent", "baggage", "x-request-id"] {
            if let Some(value) = headers.get(name) {
                received.insert(name.to_owned(), Json::from(value.to_str().unwrap()));
            }
        }
        Json::Object(received).to_string()
    };
    let status = |Path(code): Path<u16>| async move { StatusCode::from_u16(code).unwrap() };
    serve(Router::new().route("/echo", get(echo)).route("/status/{code}", get(status))).await
}

/// An address nothing listens on.
async fn refusing_address() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn traced_reqwest(tracer: clew::Tracer) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(TraceMiddleware::new().with_tracer(tracer))
        .build()
}

/// Asserts that `traceparent` names `span` as the parent.
fn assert_names_span(traceparent: &str, span: &SpanData) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[1], span.trace_id.to_string(), "{traceparent}");
    assert_eq!(parts[2], span.span_id.to_string(), "{traceparent}");
    assert_eq!(u8::from_str_radix(parts[3], 16).unwrap() & 1, 1, "sampled: {traceparent}");
}

#[tokio::test]
async fn a_reqwest_request_is_a_client_span_under_the_current_span_whose_context_the_server_receives() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = echo_server().await;
    let client = traced_reqwest(tracer);
    let checkout = tracer.span("checkout").start();
    let received: Json = async {
        let response = client.get(format!("http://{address}/echo?cart=7")).send().await.unwrap();
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }
    .in_span(checkout)
    .await;

    let checkout = span_named(&exporter, "checkout");
    let span = span_named(&exporter, "GET");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(span.parent_span_id, Some(checkout.span_id));
    assert_eq!(span.trace_id, checkout.trace_id);
    assert_names_span(received["traceparent"].as_str().unwrap(), &span);
    assert_eq!(text(&span, "http.request.method"), Some("GET"));
    assert_eq!(text(&span, "url.full"), Some(format!("http://{address}/echo?cart=7").as_str()));
    assert_eq!(text(&span, "server.address"), Some("127.0.0.1"));
    assert_eq!(integer(&span, "server.port"), Some(i64::from(address.port())));
    assert_eq!(integer(&span, "http.response.status_code"), Some(200));
    assert_eq!(text(&span, "network.protocol.version"), Some("1.1"));
    assert_eq!(span.status, Status::Unset);
}

#[tokio::test]
async fn a_4xx_or_5xx_answer_fails_the_client_span_with_the_code_as_error_type() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = echo_server().await;
    let client = traced_reqwest(tracer);
    for code in [404, 503, 204] {
        let response = client.get(format!("http://{address}/status/{code}")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), code);
        let span = exporter.spans().pop().unwrap();
        assert_eq!(integer(&span, "http.response.status_code"), Some(i64::from(code)));
        if code == 204 {
            assert_eq!(span.status, Status::Unset);
            assert_eq!(span.attribute("error.type"), None);
        } else {
            assert_eq!(span.status, Status::error(""), "{code}");
            assert_eq!(text(&span, "error.type"), Some(code.to_string().as_str()));
        }
    }
}

#[tokio::test]
async fn a_refused_connection_fails_the_client_span_with_the_error() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = refusing_address().await;
    let sent = traced_reqwest(tracer).get(format!("http://{address}/echo")).send().await;
    assert!(sent.is_err());

    let span = span_named(&exporter, "GET");
    assert!(span.status.is_error());
    assert_eq!(text(&span, "error.type"), Some("connect"));
    assert_eq!(span.attribute("http.response.status_code"), None);
    assert_eq!(exception_text(&span, "exception.type"), Some("reqwest::error::Error"));
    assert!(exception_text(&span, "exception.message").is_some());
}

#[tokio::test]
async fn credentials_and_signatures_in_the_url_never_reach_url_full() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = echo_server().await;
    let url = format!("http://alice:s3cr3t@{address}/echo?X-Goog-Signature=abc&page=2");

    // reqwest moves the user name and password into an `Authorization` header itself.
    traced_reqwest(tracer).get(&url).send().await.unwrap().text().await.unwrap();
    let span = exporter.spans().pop().unwrap();
    let expected = format!("http://{address}/echo?X-Goog-Signature=REDACTED&page=2");
    assert_eq!(text(&span, "url.full"), Some(expected.as_str()));

    // A tower client sends the URI as it is given.
    let request = http::Request::get(&url).body(Full::default()).unwrap();
    traced_hyper(tracer).oneshot(request).await.unwrap();
    let span = exporter.spans().pop().unwrap();
    let expected = format!("http://REDACTED:REDACTED@{address}/echo?X-Goog-Signature=REDACTED&page=2");
    assert_eq!(text(&span, "url.full"), Some(expected.as_str()));
}

#[tokio::test]
async fn baggage_and_request_id_given_with_the_request_are_passed_on() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = echo_server().await;
    let propagator = propagation::from_choices(&[
        PropagatorChoice::TraceContext,
        PropagatorChoice::Baggage,
        PropagatorChoice::RequestId,
    ]);
    let incoming = HashMap::from([
        ("baggage".to_owned(), "tenant=acme".to_owned()),
        ("x-request-id".to_owned(), "req-9".to_owned()),
    ]);
    let context = propagator.extract(&incoming);
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(TraceMiddleware::new().with_tracer(tracer).with_propagator(propagator))
        .build();
    let response = client.get(format!("http://{address}/echo")).with_extension(context).send().await.unwrap();
    let received: Json = serde_json::from_str(&response.text().await.unwrap()).unwrap();

    assert_eq!(received["baggage"], "tenant=acme");
    assert_eq!(received["x-request-id"], "req-9");
    assert_names_span(received["traceparent"].as_str().unwrap(), &span_named(&exporter, "GET"));
}

type HyperClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn traced_hyper(
    tracer: clew::Tracer,
) -> impl Service<
    http::Request<Full<Bytes>>,
    Response = http::Response<hyper::body::Incoming>,
    Error = hyper_util::client::legacy::Error,
> {
    let client: HyperClient = Client::builder(TokioExecutor::new()).build_http();
    ServiceBuilder::new().layer(ClientTraceLayer::new().with_tracer(tracer)).service(client)
}

#[tokio::test]
async fn a_tower_client_request_is_a_client_span_whose_context_the_server_receives() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = echo_server().await;
    let mut client = traced_hyper(tracer);
    let request = http::Request::get(format!("http://{address}/echo")).body(Full::default()).unwrap();
    let response = client.ready().await.unwrap().call(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let received: Json = serde_json::from_slice(&body).unwrap();

    let span = span_named(&exporter, "GET");
    assert_eq!(span.kind, SpanKind::Client);
    assert_names_span(received["traceparent"].as_str().unwrap(), &span);
    assert_eq!(text(&span, "url.full"), Some(format!("http://{address}/echo").as_str()));
    assert_eq!(integer(&span, "server.port"), Some(i64::from(address.port())));
    assert_eq!(integer(&span, "http.response.status_code"), Some(200));

    let request = http::Request::get(format!("http://{address}/status/500")).body(Full::default()).unwrap();
    let response = client.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.status(), 500);
    let failed = exporter.spans().pop().unwrap();
    assert_eq!(failed.status, Status::error(""));
    assert_eq!(text(&failed, "error.type"), Some("500"));
}

#[tokio::test]
async fn a_tower_client_that_cannot_connect_fails_the_client_span_with_the_error() {
    let (tracer, exporter) = recording_tracer("checkout");
    let address = refusing_address().await;
    let request = http::Request::post(format!("http://{address}/charge")).body(Full::default()).unwrap();
    let sent = traced_hyper(tracer).oneshot(request).await;
    assert!(sent.is_err());

    let span = span_named(&exporter, "POST");
    assert!(span.status.is_error());
    assert_eq!(text(&span, "error.type"), Some("hyper_util::client::legacy::client::Error"));
    assert_eq!(exception_text(&span, "exception.type"), Some("hyper_util::client::legacy::client::Error"));
}
