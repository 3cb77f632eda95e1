//! The server layer around a plain tower service served by hyper: spans without a route,
//! and an `Err` from the service recorded on the span.

#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use clew_http::TraceLayer;
use common::{exception_text, integer, recording_tracer, span_named, text};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;

type BoxError = Box<dyn Error + Send + Sync>;

/// Answers `ok`, except on `/fail`, where the service itself fails.
async fn handle(request: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, BoxError> {
    if request.uri().path() == "/fail" {
        return Err("the database is down".into());
    }
    Ok(http::Response::new(Full::new(Bytes::from_static(b"ok"))))
}

/// Serves `handle`, traced with `tracer`, with hyper's HTTP/1 connections.
async fn serve_with_hyper(tracer: clew::Tracer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = ServiceBuilder::new().layer(TraceLayer::new().with_tracer(tracer)).service_fn(handle);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()));
            tokio::spawn(connection);
        }
    });
    address
}

#[tokio::test]
async fn a_request_is_a_server_span_named_by_its_method() {
    let (tracer, exporter) = recording_tracer("plain-hyper");
    let address = serve_with_hyper(tracer).await;
    let response = reqwest::Client::new().post(format!("http://{address}/anything")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "ok");

    let span = span_named(&exporter, "POST");
    assert_eq!(text(&span, "url.path"), Some("/anything"));
    assert_eq!(integer(&span, "http.response.status_code"), Some(200));
    assert_eq!(integer(&span, "server.port"), Some(i64::from(address.port())));
    assert_eq!(span.attribute("client.address"), None, "hyper gives the layer no peer address");
}

#[tokio::test]
async fn an_error_of_the_service_fails_the_span_with_its_message() {
    let (tracer, exporter) = recording_tracer("plain-hyper");
    let address = serve_with_hyper(tracer).await;
    let sent = reqwest::Client::new().get(format!("http://{address}/fail")).send().await;
    assert!(sent.is_err(), "hyper closes the connection without an answer: {sent:?}");

    let span = span_named(&exporter, "GET");
    assert_eq!(span.status, clew::Status::error("the database is down"));
    assert_eq!(span.attribute("http.response.status_code"), None);
    let error_type = text(&span, "error.type").unwrap();
    assert!(error_type.contains("Box<dyn core::error::Error"), "{error_type}");
    assert_eq!(exception_text(&span, "exception.message"), Some("the database is down"));
}
