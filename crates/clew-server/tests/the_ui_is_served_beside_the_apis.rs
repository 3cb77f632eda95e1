//! The web UI's page and files are answered on the query port, revalidated with `ETag`,
//! and never hide an API route.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;

#[test]
fn the_page_and_its_files_are_served_and_the_apis_still_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |_| {});
    let client = reqwest::blocking::Client::new();

    let page = client.get(format!("{}/", server.http)).send().unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().unwrap();
    assert!(html.contains(r#"<script type="module" src="/ui/js/main.js">"#), "{html}");

    let script = client.get(format!("{}/ui/js/main.js", server.http)).send().unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    let etag = script.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(script.bytes().unwrap().as_ref(), clew_ui::asset("js/main.js").unwrap().bytes);

    let again = client.get(format!("{}/ui/js/main.js", server.http)).header("if-none-match", &etag).send().unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().unwrap().is_empty());

    let css = client.get(format!("{}/ui/css/app.css", server.http)).send().unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(client.get(format!("{}/ui/js/missing.js", server.http)).send().unwrap().status(), 404);
    assert_eq!(client.get(format!("{}/ui/../Cargo.toml", server.http)).send().unwrap().status(), 404);

    let (status, services) = server.get("/api/v1/services");
    assert_eq!(status, 200);
    assert_eq!(services, serde_json::json!({ "services": [] }));
    assert_eq!(server.get("/healthz"), (200, serde_json::Value::String("ok\n".into())));
    let metrics = client.get(format!("{}/metrics", server.http)).send().unwrap();
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    server.stop();
}
