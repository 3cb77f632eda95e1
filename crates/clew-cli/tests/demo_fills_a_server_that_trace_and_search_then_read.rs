//! `clew demo` and `clew import` fill a running `clew serve`; `clew search` and `clew trace`
//! read it back.

// Each child is killed and waited for once the test is done with it (and on panic, by Drop).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::process::{Command, Output};

mod common;

use common::serve;

fn clew(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clew")).args(args).output().unwrap()
}

fn text(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn demo_traces_are_found_by_search_and_printed_by_trace() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let demo = clew(&["demo", "--endpoint", &server.otlp_http, "--traces", "40"]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));

    let services: serde_json::Value = serde_json::from_str(
        &reqwest::blocking::get(format!("{}/api/v1/services", server.http)).unwrap().text().unwrap(),
    )
    .unwrap();
    assert_eq!(
        services["services"],
        serde_json::json!([
            "checkout",
            "fraud-check",
            "inventory",
            "notifications",
            "payments",
            "support-agent",
            "web-frontend"
        ])
    );

    // Failed orders: errors at payments, found by search, each a full trace from the frontend.
    let found =
        text(&clew(&["search", "--server", &server.http, "--service", "payments", "--errors", "--lookback", "2h"]));
    let lines: Vec<&str> = found.lines().collect();
    assert!(!lines.is_empty() && lines[0] != "no traces match", "{found}");
    for line in &lines {
        assert!(line.ends_with("web-frontend: GET /checkout"), "{line}");
        assert!(line.contains(" 4 errors"), "{line}");
    }

    // The first of them as a tree: the frontend at the root, payments three calls down.
    let trace_id = lines[0].split_whitespace().next().unwrap();
    let tree = text(&clew(&["trace", trace_id, "--server", &server.http]));
    let tree_lines: Vec<&str> = tree.lines().collect();
    assert_eq!(tree_lines[0], format!("trace {trace_id}"));
    assert!(
        tree_lines[1].starts_with(" +0ns ") && tree_lines[1].contains("[web-frontend] GET /checkout  ERROR"),
        "{tree}"
    );
    let charge = tree_lines.iter().find(|line| line.contains("[payments] POST /charge")).unwrap();
    assert!(charge.starts_with("        └ ") && charge.ends_with("ERROR card declined: suspected fraud"), "{tree}");

    // The demo's traces happened in the past: each span's events lie within the span.
    let trace: serde_json::Value = serde_json::from_str(
        &reqwest::blocking::get(format!("{}/api/v1/traces/{trace_id}", server.http)).unwrap().text().unwrap(),
    )
    .unwrap();
    let nanos = |value: &serde_json::Value| value.as_str().unwrap().parse::<u64>().unwrap();
    let mut events = 0;
    for span in trace["spans"].as_array().unwrap() {
        let (start, end) = (nanos(&span["startTimeUnixNano"]), nanos(&span["endTimeUnixNano"]));
        for event in span["events"].as_array().unwrap() {
            let time = nanos(&event["timeUnixNano"]);
            assert!((start..=end).contains(&time), "{} at {time} outside {start}..={end}", event["name"]);
            events += 1;
        }
    }
    assert!(events >= 2, "a failed order has its cart and its card events: {trace}");

    // Agent sessions carry trace-level events.
    let sessions = text(&clew(&["search", "--server", &server.http, "--service", "support-agent", "--lookback", "2h"]));
    let session = sessions.lines().next().unwrap().split_whitespace().next().unwrap();
    let tree = text(&clew(&["trace", session, "--server", &server.http]));
    assert!(tree.contains("event +") && tree.contains("INFO tool.finished"), "{tree}");

    // An unknown id is an error that says so.
    let missing = clew(&["trace", "0000000000000000000000000000abcd", "--server", &server.http]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
}

#[test]
fn import_loads_sdk_json_lines_and_otlp_json_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("data"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let lines = format!(
        concat!(
            r#"{{"type":"span","trace_id":"000000000000000000000000000000aa","span_id":"0000000000000001","name":"publish","kind":"server","label":"MASTER","start_time_unix_nano":{start},"end_time_unix_nano":{end},"duration_ns":5000,"status":{{"code":"error","message":"boom"}},"attributes":{{"platforms":2,"ratio":0.5,"ok":true,"names":["a","b"]}},"events":[{{"name":"step","time_unix_nano":{start},"level":"WARN","attributes":{{}}}}],"resource":{{"service.name":"publisher"}}}}"#,
            "\n",
            r#"{{"type":"event","trace_id":"000000000000000000000000000000aa","time_unix_nano":{start},"level":"INFO","name":"publish.request.received","attributes":{{"project_id":"p7"}},"resource":{{"service.name":"publisher"}}}}"#,
            "\n"
        ),
        start = now,
        end = now + 5000
    );
    let sdk = dir.path().join("spans.jsonl");
    std::fs::write(&sdk, lines).unwrap();
    let otlp = dir.path().join("otlp.json");
    std::fs::write(
        &otlp,
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"collector"}}}}]}},
               "scopeSpans":[{{"spans":[{{"traceId":"000000000000000000000000000000bb","spanId":"0000000000000002",
               "name":"from otlp json","kind":2,"startTimeUnixNano":"{now}","endTimeUnixNano":"{}",
               "attributes":[{{"key":"n","value":{{"intValue":"42"}}}}]}}]}}]}}]}}"#,
            now + 1000
        ),
    )
    .unwrap();
    let imported = clew(&["import", sdk.to_str().unwrap(), otlp.to_str().unwrap(), "--endpoint", &server.otlp_http]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let log = String::from_utf8_lossy(&imported.stderr);
    assert!(log.contains("1 spans and 1 trace events from JSON lines"), "{log}");
    assert!(log.contains("1 OTLP JSON requests"), "{log}");

    let get = |path: &str| -> serde_json::Value {
        serde_json::from_str(&reqwest::blocking::get(format!("{}{path}", server.http)).unwrap().text().unwrap())
            .unwrap()
    };
    let trace = get("/api/v1/traces/000000000000000000000000000000aa");
    let span = &trace["spans"][0];
    assert_eq!(
        (span["name"].as_str(), span["label"].as_str(), span["service"].as_str()),
        (Some("publish"), Some("MASTER"), Some("publisher"))
    );
    assert_eq!(span["status"], serde_json::json!({ "code": "error", "message": "boom" }));
    assert_eq!(span["durationNanos"], "5000");
    let attributes = span["attributes"].as_array().unwrap();
    assert!(attributes.contains(&serde_json::json!({ "key": "platforms", "type": "int", "value": 2 })));
    assert!(attributes.contains(&serde_json::json!({ "key": "names", "type": "string[]", "value": ["a", "b"] })));
    assert_eq!(span["events"][0]["level"], "WARN");
    assert_eq!(trace["events"][0]["name"], "publish.request.received");
    let trace = get("/api/v1/traces/000000000000000000000000000000bb");
    assert_eq!(trace["spans"][0]["name"], "from otlp json");
    assert_eq!(trace["spans"][0]["attributes"][0]["value"], 42);

    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"type\":\"span\"}\n").unwrap();
    let failed = clew(&["import", broken.to_str().unwrap(), "--endpoint", &server.otlp_http]);
    assert!(!failed.status.success());
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("line 1: field trace_id"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
}
