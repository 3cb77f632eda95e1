//! A listener closes a connection whose request headers do not come within
//! `header_timeout` (an idle keep-alive connection too), answers 408 to a request whose body
//! does not come within `body_timeout`, and serves at most `max_connections` connections at
//! once, so that idle or slow clients cannot hold the server's file descriptors. The gRPC
//! port closes a connection without traffic for `header_timeout` + `body_timeout`, one that
//! never spoke and one that made a call alike.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::TestServer;

/// Connected to `url`'s address, with a read timeout that only guards the suite from
/// hanging (a test never asserts a time).
fn connect(url: &str) -> TcpStream {
    let stream = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn get_healthz(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: clew\r\nConnection: close\r\n\r\n").unwrap();
    read_to_close(stream)
}

#[test]
fn idle_connections_and_slow_headers_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.header_timeout = Duration::from_millis(500));
    // Nothing sent at all.
    let mut idle = connect(&server.http);
    assert_eq!(read_to_close(&mut idle), "", "an idle connection is closed without an answer");
    // Half a request line, then nothing.
    let mut slow = connect(&server.otlp_http);
    slow.write_all(b"POST /v1/traces HTTP/1.1\r\nHost: cl").unwrap();
    let answer = read_to_close(&mut slow);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A keep-alive connection left idle after a request.
    let mut kept = connect(&server.http);
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: clew\r\n\r\n").unwrap();
    let answer = read_to_close(&mut kept);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok\n"), "{answer}");
}

#[test]
fn idle_grpc_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| {
        config.header_timeout = Duration::from_millis(200);
        config.body_timeout = Duration::from_millis(300);
    });
    // Nothing sent at all: closed, with nothing said but the server's HTTP/2 SETTINGS.
    let mut silent = connect(&server.otlp_grpc);
    let mut answer = Vec::new();
    silent.read_to_end(&mut answer).unwrap();
    assert!(answer.is_empty() || answer[3] == 4, "{answer:?}");
    // A call, then nothing: the HTTP/2 connection is closed once idle.
    let mut called = connect(&server.otlp_grpc);
    called.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    // An empty SETTINGS frame.
    called.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
    let mut answer = Vec::new();
    called.read_to_end(&mut answer).unwrap();
    assert!(answer.len() >= 9 && answer[3] == 4, "the server's SETTINGS came first: {answer:?}");
    // A gRPC call on a fresh connection still works.
    let client = reqwest::blocking::Client::builder().http2_prior_knowledge().build().unwrap();
    let response = client
        .post(format!("{}/opentelemetry.proto.collector.trace.v1.TraceService/Export", server.otlp_grpc))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(vec![0_u8; 5])
        .send()
        .unwrap();
    // An error would be a trailers-only answer, its grpc-status in the headers.
    assert_eq!((response.status().as_u16(), response.headers().get("grpc-status")), (200, None));
}

#[test]
fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.body_timeout = Duration::from_millis(500));
    for (url, path) in [(&server.otlp_http, "/v1/traces"), (&server.zipkin, "/api/v2/spans")] {
        let mut stream = connect(url);
        // A Content-Length larger than what is sent.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: clew\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(b"{\"resou").unwrap();
        let answer = read_to_close(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
    }
    // A chunked body that never ends.
    let mut stream = connect(&server.otlp_http);
    stream
        .write_all(b"POST /v1/traces HTTP/1.1\r\nHost: clew\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"re\r\n")
        .unwrap();
    let answer = read_to_close(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn a_listener_serves_at_most_max_connections_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.max_connections = 2);
    let first = connect(&server.http);
    let second = connect(&server.http);
    // Both are open and idle: a third connection waits, unanswered.
    let mut third = connect(&server.http);
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: clew\r\nConnection: close\r\n\r\n").unwrap();
    third.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut byte = [0_u8; 1];
    let waited = third.read(&mut byte).unwrap_err();
    assert!(matches!(waited.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut), "{waited}");
    // Once one of the two closes, the third is served.
    drop(first);
    third.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let answer = read_to_close(&mut third);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(second);
    // The permits come back as connections close.
    assert!(get_healthz(&mut connect(&server.http)).starts_with("HTTP/1.1 200"));
}

#[test]
fn the_grpc_port_serves_at_most_max_connections_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.max_connections = 2);
    let first = connect(&server.otlp_grpc);
    let _second = connect(&server.otlp_grpc);
    let export = |timeout: Duration| {
        let client = reqwest::blocking::Client::builder().http2_prior_knowledge().timeout(timeout).build().unwrap();
        client
            .post(format!("{}/opentelemetry.proto.collector.trace.v1.TraceService/Export", server.otlp_grpc))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(vec![0_u8; 5])
            .send()
    };
    let waited = export(Duration::from_millis(300)).unwrap_err();
    assert!(waited.is_timeout(), "a third connection waits while two are open: {waited}");
    drop(first);
    let response = export(Duration::from_secs(60)).unwrap();
    assert_eq!(response.status(), 200, "served once a connection closed");
}
