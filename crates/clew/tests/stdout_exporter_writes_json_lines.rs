//! The stdout exporter writes one JSON object per span or trace-level event.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::Write;
use std::sync::{Arc, Mutex};

use clew::{KeyValue, Level, Status, StdoutExporter, Tracer};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_line_is_a_json_object_with_the_span_fields() {
    let buffer = Buffer::default();
    let tracer = Tracer::builder()
        .ignore_env()
        .service_name("json-test")
        .exporter(StdoutExporter::to_writer(buffer.clone()))
        .build();
    let trace = tracer.trace("p", "r").start();
    trace.event(Level::Warn, "queue \"slow\"", [KeyValue::new("depth", 12)]);
    trace.with_span("parent", |parent| {
        parent.set_attribute("line\nbreak", "tab\there");
        parent.set_attribute("ratio", 0.5);
        parent.set_attribute("list", vec![1_i64, 2]);
        let mut child = tracer.span("child").kind(clew::SpanKind::Client).label("STEP").start();
        child.event(Level::Info, "sent", []);
        child.end_with(Status::error("timeout"));
    });
    tracer.shutdown(std::time::Duration::from_secs(30)).unwrap();

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))).collect();
    assert_eq!(lines.len(), 4, "{text}");
    let spans: Vec<&serde_json::Value> = lines.iter().filter(|line| line["type"] == "span").collect();
    let events: Vec<&serde_json::Value> = lines.iter().filter(|line| line["type"] == "event").collect();
    assert_eq!((spans.len(), events.len()), (2, 2));

    let child = spans.iter().find(|span| span["name"] == "child").unwrap();
    let parent = spans.iter().find(|span| span["name"] == "parent").unwrap();
    assert_eq!(child["parent_span_id"], parent["span_id"]);
    assert_eq!(child["trace_id"].as_str().unwrap().len(), 32);
    assert_eq!(child["span_id"].as_str().unwrap().len(), 16);
    assert_eq!(child["kind"], "client");
    assert_eq!(child["label"], "STEP");
    assert_eq!(child["status"]["code"], "error");
    assert_eq!(child["status"]["message"], "timeout");
    assert_eq!(child["events"][0]["name"], "sent");
    assert_eq!(child["events"][0]["level"], "INFO");
    let duration = child["duration_ns"].as_u64().unwrap();
    let start = child["start_time_unix_nano"].as_u64().unwrap();
    assert_eq!(child["end_time_unix_nano"].as_u64().unwrap() - start, duration);
    assert_eq!(parent["attributes"]["line\nbreak"], "tab\there");
    assert_eq!(parent["attributes"]["ratio"], 0.5);
    assert_eq!(parent["attributes"]["list"], serde_json::json!([1, 2]));
    assert_eq!(parent["attributes"]["clew.request_id"], "r");
    assert!(parent.get("parent_span_id").is_none());
    assert_eq!(parent["resource"]["service.name"], "json-test");

    let queue = events.iter().find(|event| event["name"] == "queue \"slow\"").unwrap();
    assert_eq!(queue["level"], "WARN");
    assert_eq!(queue["attributes"]["depth"], 12);
    assert_eq!(queue["trace_id"], child["trace_id"]);
}

proptest::proptest! {
    #[test]
    fn any_text_in_names_and_attributes_gives_valid_json(name in "\\PC{0,20}", key in ".{0,20}", text in ".{0,40}", number in proptest::num::f64::ANY) {
        let buffer = Buffer::default();
        let tracer = Tracer::builder()
            .ignore_env()
            .redaction(clew::Redaction::none())
            .exporter(StdoutExporter::to_writer(buffer.clone()))
            .simple_export()
            .build();
        tracer.span(name.clone()).attribute(key.clone(), text.clone()).attribute("number", number).start().end();
        let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(output.trim_end()).unwrap();
        proptest::prop_assert_eq!(line["name"].as_str(), Some(name.as_str()));
        if key != "number" {
            proptest::prop_assert_eq!(line["attributes"][key.as_str()].as_str(), Some(text.as_str()));
        }
    }
}
