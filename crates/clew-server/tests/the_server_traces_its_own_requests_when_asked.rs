//! With `self_tracing`, the server's own requests become spans of the service `clew-serve`
//! in its own store.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestServer, attribute};

#[test]
fn requests_become_server_spans_named_by_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |config| config.self_tracing = true);
    assert_eq!(server.get("/api/v1/services").0, 200);
    assert_eq!(server.get("/api/v1/traces/0000000000000000000000000000abcd").0, 404);
    // Stopping flushes the server's own spans into the store before it closes.
    server.stop();

    let server = TestServer::start_in(dir.path(), |_| {});
    let (status, found) = server.get(&format!("/api/v1/search?service={}&start=0", clew_server::SELF_SERVICE_NAME));
    assert_eq!(status, 200, "{found}");
    let mut operations: Vec<&str> =
        found["traces"].as_array().unwrap().iter().map(|trace| trace["rootOperation"].as_str().unwrap()).collect();
    operations.sort_unstable();
    assert_eq!(operations, ["GET /api/v1/services", "GET /api/v1/traces/{trace_id}"]);

    let lookup = found["traces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|trace| trace["rootOperation"] == "GET /api/v1/traces/{trace_id}")
        .unwrap();
    let (_, trace) = server.get(&format!("/api/v1/traces/{}", lookup["traceId"].as_str().unwrap()));
    let span = &trace["spans"][0];
    assert_eq!(span["kind"], "server");
    assert_eq!(attribute(&span["attributes"], "http.response.status_code").unwrap()["value"], 404);
    assert_eq!(attribute(&span["attributes"], "http.route").unwrap()["value"], "/api/v1/traces/{trace_id}");
}
