//! A block written by the store is plain Parquet: pyarrow reads its spans with the
//! documented columns and values, sorted by trace id.
//!
//! The Python comes from `CLEW_TEST_PYTHON` (scripts/test makes a virtualenv with pyarrow)
//! or else `python3`; without pyarrow the test fails and says how to get it.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::sync::Arc;

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::{Origin, Store, WriteBatch};
use clew_store_embedded::{EmbeddedStore, StoreConfig};

fn span(trace: u128, id: u64, name: &str, start: u64) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: None,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: name.to_owned().into(),
        kind: SpanKind::Server,
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 1_500,
        attributes: vec![KeyValue::new("http.route", "/orders"), KeyValue::new("retries", 2_i64)],
        events: Vec::new(),
        links: Vec::new(),
        status: Status::error("boom"),
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

const SCRIPT: &str = r#"
import json, sys
import pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
rows = table.to_pylist()
print(json.dumps({
    "columns": table.column_names,
    "rows": [{
        "trace_id": row["trace_id"].hex(),
        "span_id": row["span_id"].hex(),
        "service": row["service"],
        "name": row["name"],
        "start": row["start_time_unix_nano"],
    } for row in rows],
}))
"#;

#[test]
fn pyarrow_reads_the_spans_of_a_block() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = EmbeddedStore::open(StoreConfig::new(dir.path())).unwrap();
    let origin =
        Origin { resource: Arc::new(Resource::new([KeyValue::new("service.name", "shop")])), scope: "s".into() };
    // Recent times: the store deletes blocks past its retention.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let spans = vec![span(0x30, 1, "c", now + 300), span(0x10, 2, "a", now + 100), span(0x20, 3, "b", now + 200)];
    store.write(WriteBatch { spans: vec![(origin, spans)], records: Vec::new() }).unwrap();
    store.flush().unwrap();

    let blocks: Vec<_> =
        std::fs::read_dir(dir.path().join("blocks")).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    let file = blocks[0].join("spans.parquet");

    let python = std::env::var("CLEW_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(&python).arg("-c").arg(SCRIPT).arg(&file).output().unwrap();
    assert!(
        output.status.success(),
        "{python} could not read the block (run scripts/test, or `pip install pyarrow`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for column in
        ["trace_id", "span_id", "service", "name", "kind", "start_time_unix_nano", "status_code", "attributes"]
    {
        assert!(
            read["columns"].as_array().unwrap().iter().any(|name| name == column),
            "{column} in {}",
            read["columns"]
        );
    }
    let rows = read["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|row| row["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c"], "rows are sorted by trace id");
    assert_eq!(rows[0]["trace_id"], format!("{:032x}", 0x10));
    assert_eq!(rows[0]["span_id"], format!("{:016x}", 2));
    assert_eq!(rows[0]["service"], "shop");
    assert_eq!(rows[0]["start"], now + 100);
}
