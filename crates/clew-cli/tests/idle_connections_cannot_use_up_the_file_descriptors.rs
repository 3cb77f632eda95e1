//! Under a file-descriptor limit of 128, three hundred idle connections to the OTLP/HTTP and
//! gRPC ports (never timed out here) take no more than their listeners' `max_connections`:
//! the query port answers meanwhile, and an export that waits behind them is served once
//! they go. With the default `max_connections` (256 per listener) under that limit, the
//! server lowers it to fit and says so.

// Each child is killed and waited for by `Serve`'s Drop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

mod common;

use common::serve_with_open_files;

/// A connection with a read timeout that only guards the suite from hanging.
fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    stream
}

fn answer(stream: &mut TcpStream, request: &[u8]) -> String {
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn idle_connections_cannot_use_up_the_file_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--max-connections", "16", "--header-timeout", "1h", "--body-timeout", "1h"];
    let server = serve_with_open_files(128, dir.path(), &flags);
    let grpc = server.addr("OTLP/gRPC on ");
    let idle_grpc: Vec<TcpStream> = (0..150).map(|_| connect(&grpc)).collect();
    let idle_http: Vec<TcpStream> = (0..150).map(|_| connect(&server.otlp_http)).collect();

    let health =
        answer(&mut connect(&server.http), b"GET /healthz HTTP/1.1\r\nHost: clew\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "the query port answers: {health}");

    let body = b"{\"resourceSpans\":[]}";
    let export = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: clew\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut request = export.into_bytes();
    request.extend_from_slice(body);
    let mut waiting = connect(&server.otlp_http);
    let exported = std::thread::spawn(move || answer(&mut waiting, &request));
    drop(idle_http);
    let exported = exported.join().unwrap();
    assert!(exported.starts_with("HTTP/1.1 200"), "the export is served once idle ones go: {exported}");
    drop(idle_grpc);
    let ready = answer(&mut connect(&server.http), b"GET /readyz HTTP/1.1\r\nHost: clew\r\nConnection: close\r\n\r\n");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");

    let defaults = serve_with_open_files(128, &dir.path().join("defaults"), &[]);
    assert!(
        defaults.startup.iter().any(|line| line.contains("max_connections lowered from 256 to 16 per listener")),
        "{:?}",
        defaults.startup
    );
}
