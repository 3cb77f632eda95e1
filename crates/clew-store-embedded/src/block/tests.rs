//! Tests of writing and reading blocks.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;
use std::sync::Arc;

use clew::{
    Event, KeyValue, Level, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, Str, TraceEvent,
    TraceFlags, TraceId, Value,
};
use clew_store::model::{Origin, SearchQuery, StoredRecord, StoredSpan};
use clew_store::{StoreError, TimeRange, TraceRecord};
use proptest::prelude::*;

use super::{Block, BlockError, BlockOptions, Lineage, read, remove_temporaries, values};

/// Whether `result` failed on a block.
fn is_block_error<T>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(error) if error.backend_source::<BlockError>().is_some())
}

fn origin(service: &str, scope: &'static str) -> Origin {
    let resource = Resource::new([
        KeyValue::new("service.name", service.to_owned()),
        KeyValue::new("host.name", "box-1"),
        KeyValue::new("process.pid", 4242),
    ]);
    Origin { resource: Arc::new(resource), scope: Str::from_static(scope) }
}

fn span(trace: u128, id: u64, start: u64) -> SpanData {
    SpanData {
        trace_id: TraceId::from_u128(trace),
        span_id: SpanId::from_u64(id),
        parent_span_id: None,
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: Str::from(format!("op-{}", id % 3)),
        kind: SpanKind::Internal,
        label: None,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 1_000,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    }
}

/// One attribute of every value type, with edge values.
fn every_value() -> Vec<KeyValue> {
    vec![
        KeyValue::new("s", "plain"),
        KeyValue::new("empty", ""),
        KeyValue::new("unicode", "héllo ✓ 𝄞 \"quoted\" \\ \n\t\u{0}"),
        KeyValue::new("", "empty key"),
        KeyValue::new("yes", true),
        KeyValue::new("no", false),
        KeyValue::new("zero", 0),
        KeyValue::new("negative", -17),
        KeyValue::new("min", i64::MIN),
        KeyValue::new("max", i64::MAX),
        KeyValue::new("pi", std::f64::consts::PI),
        KeyValue::new("negative zero", -0.0),
        KeyValue::new("tiny", 5e-324),
        KeyValue::new("huge", f64::MAX),
        KeyValue::new("smallest", f64::MIN_POSITIVE),
        KeyValue::new("inf", f64::INFINITY),
        KeyValue::new("minus inf", f64::NEG_INFINITY),
        KeyValue::new("tenth", 0.1),
        KeyValue::new("strings", vec!["a", "", "b,c", "[\"]", "ü"]),
        KeyValue::new("no strings", Vec::<Str>::new()),
        KeyValue::new("bools", vec![true, false, true]),
        KeyValue::new("no bools", Vec::<bool>::new()),
        KeyValue::new("ints", vec![i64::MIN, -1, 0, 1, i64::MAX]),
        KeyValue::new("no ints", Vec::<i64>::new()),
        KeyValue::new("floats", vec![1.5, -0.0, 1e300, f64::INFINITY, f64::NEG_INFINITY, 5e-324]),
        KeyValue::new("no floats", Vec::<f64>::new()),
    ]
}

/// Spans of four traces covering every field, and records of both kinds.
fn sample() -> (Vec<StoredSpan>, Vec<StoredRecord>) {
    let kinds = [SpanKind::Internal, SpanKind::Server, SpanKind::Client, SpanKind::Producer, SpanKind::Consumer];
    let statuses = [Status::Unset, Status::Ok, Status::error("card declined"), Status::error("")];
    let origins = [origin("checkout", "http"), origin("checkout", "db"), origin("payments", ""), origin("", "x")];
    let mut spans = Vec::new();
    for trace in 1..=4u128 {
        for index in 0..6u64 {
            let id = trace as u64 * 100 + index;
            let mut data = span((trace << 64) | 7, id, 1_000_000 - index * 10 + trace as u64);
            data.kind = kinds[(id % 5) as usize];
            data.status = statuses[(id % 4) as usize].clone();
            data.parent_span_id = (index > 0).then(|| SpanId::from_u64(trace as u64 * 100));
            data.parent_is_remote = index == 0 && trace == 2;
            data.trace_flags = TraceFlags::from_u8((id % 4) as u8);
            data.trace_state = (index == 1).then(|| Str::from("vendor=a,other=b"));
            data.label = (index % 2 == 0).then(|| Str::from("STEP"));
            if index == 2 {
                data.attributes = every_value();
                data.dropped_attributes_count = 3;
            }
            if index == 3 {
                data.end_time_unix_nano = data.start_time_unix_nano - 5;
                data.attributes = vec![
                    KeyValue::new("a", 1),
                    KeyValue::new("http.response.status_code", 404),
                    KeyValue::new("http.request.method", "GET"),
                    KeyValue::new("b", "x"),
                    KeyValue::new("http.request.method", "POST"),
                    KeyValue::new("db.system", 7),
                    KeyValue::new("error.type", "timeout"),
                ];
            }
            if index == 4 {
                data.events = vec![
                    Event {
                        name: "cache.miss".into(),
                        time_unix_nano: 5,
                        level: Some(Level::Warn),
                        attributes: every_value(),
                        dropped_attributes_count: 1,
                    },
                    Event {
                        name: "".into(),
                        time_unix_nano: u64::MAX,
                        level: None,
                        attributes: Vec::new(),
                        dropped_attributes_count: 0,
                    },
                ];
                data.dropped_events_count = 2;
                let remote = SpanContext::remote(TraceId::from_u128(99), SpanId::from_u64(98), TraceFlags::SAMPLED)
                    .with_trace_state(Some("k=v".into()));
                let local =
                    SpanContext::new(TraceId::from_u128(u128::MAX), SpanId::from_u64(u64::MAX), TraceFlags::NONE);
                data.links = vec![
                    Link {
                        context: remote,
                        attributes: vec![KeyValue::new("why", "retry")],
                        dropped_attributes_count: 4,
                    },
                    Link { context: local, attributes: Vec::new(), dropped_attributes_count: 0 },
                ];
                data.dropped_links_count = 1;
            }
            spans.push(StoredSpan { origin: origins[(id % 4) as usize].clone(), span: data });
        }
    }
    let mut records = Vec::new();
    for trace in 1..=4u128 {
        let trace_id = TraceId::from_u128((trace << 64) | 7);
        records.push(StoredRecord {
            origin: origins[0].clone(),
            record: TraceRecord::TraceEvent(TraceEvent {
                trace_id,
                time_unix_nano: 900 + trace as u64,
                level: Level::Info,
                name: "queued".into(),
                attributes: every_value(),
            }),
        });
        records.push(StoredRecord {
            origin: origins[2].clone(),
            record: TraceRecord::SpanLog {
                trace_id,
                span_id: SpanId::from_u64(trace as u64 * 100 + 1),
                event: Event {
                    name: "line".into(),
                    time_unix_nano: 800,
                    level: Some(Level::Error),
                    attributes: vec![KeyValue::new("n", 1)],
                    dropped_attributes_count: 9,
                },
            },
        });
        records.push(StoredRecord {
            origin: origins[3].clone(),
            record: TraceRecord::SpanLog {
                trace_id,
                span_id: SpanId::from_u64(1),
                event: Event {
                    name: "no level".into(),
                    time_unix_nano: 850,
                    level: None,
                    attributes: Vec::new(),
                    dropped_attributes_count: 0,
                },
            },
        });
    }
    (spans, records)
}

fn write(dir: &Path, spans: &[StoredSpan], records: &[StoredRecord], row_group_rows: usize) -> Block {
    let options = BlockOptions { row_group_rows, ..BlockOptions::default() };
    Block::write(dir, "block-1", spans.to_vec(), records.to_vec(), Lineage::default(), &options).unwrap()
}

/// The spans of each trace in the order a block keeps them.
fn by_trace(spans: &[StoredSpan]) -> BTreeMap<TraceId, Vec<StoredSpan>> {
    let mut traces: BTreeMap<TraceId, Vec<StoredSpan>> = BTreeMap::new();
    for stored in spans {
        traces.entry(stored.span.trace_id).or_default().push(stored.clone());
    }
    for spans in traces.values_mut() {
        spans.sort_by_key(|stored| (stored.span.start_time_unix_nano, stored.span.span_id));
    }
    traces
}

fn records_of(records: &[StoredRecord], trace_id: TraceId) -> Vec<StoredRecord> {
    let mut found: Vec<StoredRecord> = records.iter().filter(|stored| stored.trace_id() == trace_id).cloned().collect();
    found.sort_by_key(StoredRecord::time_unix_nano);
    found
}

fn assert_reads_back(block: &Block, spans: &[StoredSpan], records: &[StoredRecord]) {
    for (trace_id, expected) in by_trace(spans) {
        let (read_spans, read_records) = block.read_trace(trace_id).unwrap();
        assert_eq!(read_spans.len(), expected.len(), "spans of {trace_id}");
        for (read, expected) in read_spans.iter().zip(&expected) {
            assert_eq!(read, expected, "span {}", expected.span.span_id);
        }
        assert_eq!(read_records, records_of(records, trace_id), "records of {trace_id}");
    }
}

#[test]
fn spans_and_records_read_back_equal_to_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 65_536);
    assert_reads_back(&block, &spans, &records);
    let reopened = Block::open(block.dir()).unwrap();
    assert_eq!(reopened.meta(), block.meta());
    assert_reads_back(&reopened, &spans, &records);
}

#[test]
fn many_small_row_groups_still_find_every_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    assert!(block.spans.metadata().num_row_groups() >= 6);
    assert_reads_back(&block, &spans, &records);
}

#[test]
fn an_absent_trace_reads_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    for absent in [0, 1, (3 << 64) | 8, u128::MAX] {
        let (spans, records) = block.read_trace(TraceId::from_u128(absent)).unwrap();
        assert!(spans.is_empty() && records.is_empty(), "{absent:x}");
    }
}

#[test]
fn row_groups_that_cannot_hold_the_trace_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // Traces 10, 20, …, 200 with two spans each: two traces per row group of four rows.
    let spans: Vec<StoredSpan> = (1..=20u128)
        .flat_map(|trace| (0..2).map(move |index| span(trace * 10, trace as u64 * 10 + index, 5)))
        .map(|span| StoredSpan { origin: origin("svc", ""), span })
        .collect();
    let block = write(dir.path(), &spans, &[], 4);
    assert_eq!(block.spans.metadata().num_row_groups(), 10);
    // Min/max statistics leave one row group for each stored trace.
    for trace in 1..=20u128 {
        let groups = read::span_row_groups(&block, TraceId::from_u128(trace * 10)).unwrap();
        assert_eq!(groups, vec![(trace as usize - 1) / 2], "trace {trace}");
    }
    // An id between the two traces of a row group passes min/max; the bloom filter rules out
    // most of them.
    let between: Vec<u128> = (0..10u128).flat_map(|group| (1..10).map(move |step| group * 20 + 10 + step)).collect();
    let read = between
        .iter()
        .filter(|&&trace| !read::span_row_groups(&block, TraceId::from_u128(trace)).unwrap().is_empty())
        .count();
    assert!(read < between.len() / 4, "{read} of {} absent ids passed the bloom filters", between.len());
    assert!(read::span_row_groups(&block, TraceId::from_u128(1)).unwrap().is_empty());
    assert!(read::span_row_groups(&block, TraceId::from_u128(201)).unwrap().is_empty());
}

#[test]
fn for_each_trace_visits_every_trace_once_with_all_its_spans() {
    for row_group_rows in [3, 4, 65_536] {
        let dir = tempfile::tempdir().unwrap();
        let (spans, records) = sample();
        let block = write(dir.path(), &spans, &records, row_group_rows);
        let mut visited = Vec::new();
        block
            .for_each_trace(&mut |trace_id, spans| {
                visited.push((trace_id, spans));
                Ok(())
            })
            .unwrap();
        let expected: Vec<(TraceId, Vec<StoredSpan>)> = by_trace(&spans).into_iter().collect();
        assert_eq!(visited, expected, "row groups of {row_group_rows}");
    }
}

#[test]
fn for_each_trace_stops_at_the_first_error() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    let mut calls = 0;
    let result = block.for_each_trace(&mut |_, _| {
        calls += 1;
        Err(StoreError::Closed)
    });
    assert!(matches!(result, Err(StoreError::Closed)));
    assert_eq!(calls, 1);
}

#[test]
fn read_records_gives_every_record_by_trace_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    let mut expected = records.clone();
    expected.sort_by_key(|stored| (stored.trace_id(), stored.time_unix_nano()));
    assert_eq!(block.read_records().unwrap(), expected);
}

#[test]
fn equal_resources_are_shared_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    let mut all = Vec::new();
    block
        .for_each_trace(&mut |_, spans| {
            all.extend(spans);
            Ok(())
        })
        .unwrap();
    for a in &all {
        for b in &all {
            if a.origin.resource == b.origin.resource {
                assert!(Arc::ptr_eq(&a.origin.resource, &b.origin.resource));
            }
        }
    }
}

#[test]
fn dedicated_attributes_come_back_in_their_places() {
    let dir = tempfile::tempdir().unwrap();
    let layouts = [
        vec![KeyValue::new("http.request.method", "GET")],
        vec![KeyValue::new("x", 1), KeyValue::new("url.full", "https://a/b"), KeyValue::new("y", 2)],
        vec![
            KeyValue::new("rpc.method", "Get"),
            KeyValue::new("http.route", "/a/{id}"),
            KeyValue::new("error.type", "500"),
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("url.full", ""),
            KeyValue::new("http.response.status_code", -1),
            KeyValue::new("http.request.method", "PUT"),
        ],
        vec![KeyValue::new("http.response.status_code", "200"), KeyValue::new("http.route", 5)],
        vec![KeyValue::new("error.type", "a"), KeyValue::new("error.type", "b"), KeyValue::new("error.type", 3)],
    ];
    let spans: Vec<StoredSpan> = layouts
        .iter()
        .enumerate()
        .map(|(index, attributes)| {
            let mut data = span(1, index as u64 + 1, index as u64);
            data.attributes = attributes.clone();
            StoredSpan { origin: origin("svc", ""), span: data }
        })
        .collect();
    let block = write(dir.path(), &spans, &[], 65_536);
    let (read, _) = block.read_trace(TraceId::from_u128(1)).unwrap();
    assert_eq!(read, spans);
}

#[test]
fn meta_describes_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let lineage = Lineage { level: 2, wal_through: 17, sources: vec!["a".into(), "b".into()] };
    let block =
        Block::write(dir.path(), "b7", spans.clone(), records.clone(), lineage, &BlockOptions::default()).unwrap();
    let meta = block.meta();
    assert_eq!((meta.id.as_str(), meta.level, meta.wal_through), ("b7", 2, 17));
    assert_eq!(meta.sources, ["a", "b"]);
    assert_eq!((meta.span_count, meta.record_count, meta.trace_count), (24, 12, 4));
    assert_eq!(meta.services, ["", "checkout", "payments"]);
    let min_start = spans.iter().map(|stored| stored.span.start_time_unix_nano).chain([800]).min().unwrap();
    let max_end = spans.iter().map(|stored| stored.span.end_time_unix_nano.max(stored.span.start_time_unix_nano)).max();
    assert_eq!(meta.min_start_unix_nano, min_start);
    assert_eq!(Some(meta.max_end_unix_nano), max_end);
    let file_bytes: u64 = ["spans.parquet", "records.parquet"]
        .iter()
        .map(|name| fs::metadata(block.dir().join(name)).unwrap().len())
        .sum();
    assert_eq!(meta.bytes, file_bytes);
    let operations: Vec<_> = meta.operations_of("payments").collect();
    assert!(!operations.is_empty());
    assert!(operations.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(meta.operations_of("nobody").count(), 0);
    assert!(meta.created_unix_nano > 0);
}

#[test]
fn an_empty_block_can_be_written_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let block = write(dir.path(), &[], &[], 4);
    assert_eq!((block.meta().span_count, block.meta().min_start_unix_nano, block.meta().max_end_unix_nano), (0, 0, 0));
    assert_eq!(block.read_trace(TraceId::from_u128(1)).unwrap(), (Vec::new(), Vec::new()));
    assert!(block.read_records().unwrap().is_empty());
    block.for_each_trace(&mut |_, _| panic!("no trace expected")).unwrap();
}

#[test]
fn writing_leaves_only_the_block_and_delete_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 65_536);
    let names: Vec<String> =
        fs::read_dir(dir.path()).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["block-1"]);
    let again = Block::write(dir.path(), "block-1", spans, records, Lineage::default(), &BlockOptions::default());
    assert!(is_block_error(&again), "{again:?}");
    block.delete().unwrap();
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn temporaries_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let block = write(dir.path(), &[], &[], 4);
    fs::create_dir_all(dir.path().join(".tmp-crashed/inner")).unwrap();
    fs::write(dir.path().join(".tmp-crashed/spans.parquet"), b"partial").unwrap();
    fs::write(dir.path().join(".tmp-stray-file"), b"").unwrap();
    remove_temporaries(dir.path()).unwrap();
    let names: Vec<String> =
        fs::read_dir(dir.path()).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["block-1"]);
    assert!(Block::open(block.dir()).is_ok());
    remove_temporaries(&dir.path().join("missing")).unwrap();
}

#[test]
fn a_bad_zstd_level_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let options = BlockOptions { zstd_level: 99, ..BlockOptions::default() };
    let result = Block::write(dir.path(), "x", Vec::<StoredSpan>::new(), Vec::new(), Lineage::default(), &options);
    assert!(is_block_error(&result), "{result:?}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Writes the sample block, damages one file, and returns what opening it says.
fn open_damaged(damage: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    damage(block.dir());
    match Block::open(block.dir()) {
        Ok(_) => panic!("a damaged block opened"),
        Err(error) if error.backend_source::<BlockError>().is_some() => error.to_string(),
        Err(other) => panic!("not a block error: {other}"),
    }
}

fn truncate(path: &Path, keep: impl FnOnce(usize) -> usize) {
    let bytes = fs::read(path).unwrap();
    fs::write(path, &bytes[..keep(bytes.len())]).unwrap();
}

#[test]
fn a_damaged_block_fails_to_open_with_the_file_named() {
    let message = open_damaged(|dir| truncate(&dir.join("spans.parquet"), |len| len / 2));
    assert!(message.contains("spans.parquet"), "{message}");
    let message = open_damaged(|dir| truncate(&dir.join("spans.parquet"), |_| 3));
    assert!(message.contains("spans.parquet"), "{message}");
    let message = open_damaged(|dir| truncate(&dir.join("records.parquet"), |len| len - 1));
    assert!(message.contains("records.parquet"), "{message}");
    let message = open_damaged(|dir| fs::write(dir.join("spans.parquet"), vec![0x5a; 4096]).unwrap());
    assert!(message.contains("spans.parquet"), "{message}");
    let message = open_damaged(|dir| fs::remove_file(dir.join("records.parquet")).unwrap());
    assert!(message.contains("records.parquet"), "{message}");
    let message = open_damaged(|dir| truncate(&dir.join("meta.json"), |len| len / 2));
    assert!(message.contains("meta.json"), "{message}");
    let message = open_damaged(|dir| fs::write(dir.join("meta.json"), b"\xff\x00garbage").unwrap());
    assert!(message.contains("meta.json"), "{message}");
    let message = open_damaged(|dir| fs::remove_file(dir.join("meta.json")).unwrap());
    assert!(message.contains("meta.json"), "{message}");
    let message = open_damaged(|dir| {
        let path = dir.join("meta.json");
        let text = fs::read_to_string(&path).unwrap().replace("\"format_version\": 1", "\"format_version\": 9");
        fs::write(path, text).unwrap();
    });
    assert!(message.contains("format version 9"), "{message}");
    // The two files of another block: the row counts disagree with meta.json.
    let message = open_damaged(|dir| {
        let other = tempfile::tempdir().unwrap();
        let empty = write(other.path(), &[], &[], 4);
        fs::copy(empty.dir().join("spans.parquet"), dir.join("spans.parquet")).unwrap();
    });
    assert!(message.contains("rows"), "{message}");
}

#[test]
fn damaged_pages_are_read_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (spans, records) = sample();
    let block = write(dir.path(), &spans, &records, 4);
    let path = block.dir().join("spans.parquet");
    let original = fs::read(&path).unwrap();
    let footer = u32::from_le_bytes(original[original.len() - 8..original.len() - 4].try_into().unwrap()) as usize;
    let data_end = original.len() - 8 - footer;
    let mut failures = 0;
    for offset in (4..data_end).step_by(97) {
        let mut damaged = original.clone();
        damaged[offset] ^= 0xa5;
        fs::write(&path, &damaged).unwrap();
        let mut visited = 0;
        match block.for_each_trace(&mut |_, _| {
            visited += 1;
            Ok(())
        }) {
            Ok(()) => {}
            Err(error) if error.backend_source::<BlockError>().is_some() => failures += 1,
            Err(other) => panic!("not a block error: {other}"),
        }
    }
    assert!(failures > 0);
}

#[test]
fn every_value_round_trips_through_its_text() {
    let mut text = String::new();
    for attribute in every_value() {
        let tag = values::encode(&attribute.value, &mut text);
        assert_eq!(values::decode(tag, &text).unwrap(), attribute.value, "{} as {text}", attribute.key);
    }
}

#[test]
fn nan_keeps_its_bits() {
    let mut text = String::new();
    let nans = [f64::NAN, -f64::NAN, f64::from_bits(0x7ff0_0000_0000_0001), f64::from_bits(0xfff8_dead_beef_0000)];
    for nan in nans {
        let tag = values::encode(&Value::F64(nan), &mut text);
        let Value::F64(back) = values::decode(tag, &text).unwrap() else { panic!("not a float") };
        assert_eq!(back.to_bits(), nan.to_bits(), "{text}");
        let tag = values::encode(&Value::F64Array(vec![1.0, nan]), &mut text);
        let Value::F64Array(back) = values::decode(tag, &text).unwrap() else { panic!("not floats") };
        assert_eq!(back[1].to_bits(), nan.to_bits(), "{text}");
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{text} is not JSON");
    }
    assert_eq!(values::encode(&Value::F64(f64::NAN), &mut text), values::F64);
    assert_eq!(text, "NaN");
}

#[test]
fn array_texts_are_json() {
    let mut text = String::new();
    for attribute in every_value() {
        let tag = values::encode(&attribute.value, &mut text);
        if tag >= values::STRING_ARRAY {
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{text} is not JSON");
        }
    }
}

#[test]
fn bad_value_texts_are_errors() {
    for (tag, text) in [(1, "yes"), (2, "1.5"), (3, "one"), (4, "[1]"), (5, "[true"), (6, "[1,,2]"), (7, "x"), (8, "")]
    {
        assert!(values::decode(tag, text).is_err(), "{tag} {text}");
    }
}

fn any_value() -> impl Strategy<Value = Value> {
    let float = prop_oneof![any::<f64>(), any::<u64>().prop_map(f64::from_bits)];
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::I64),
        float.clone().prop_map(Value::F64),
        ".*".prop_map(|text: String| Value::String(text.into())),
        prop::collection::vec(any::<bool>(), 0..4).prop_map(Value::BoolArray),
        prop::collection::vec(any::<i64>(), 0..4).prop_map(Value::I64Array),
        prop::collection::vec(float, 0..4).prop_map(Value::F64Array),
        prop::collection::vec(".*", 0..4)
            .prop_map(|items: Vec<String>| Value::StringArray(items.into_iter().map(Str::from).collect())),
    ]
}

/// Equality that tells floats apart by their bits, so NaN equals itself.
fn same(a: &Value, b: &Value) -> bool {
    let bits = |floats: &[f64]| floats.iter().map(|float| float.to_bits()).collect::<Vec<_>>();
    match (a, b) {
        (Value::F64(a), Value::F64(b)) => a.to_bits() == b.to_bits(),
        (Value::F64Array(a), Value::F64Array(b)) => bits(a) == bits(b),
        _ => a == b,
    }
}

fn finite(value: Value) -> Value {
    match value {
        Value::F64(number) if number.is_nan() => Value::F64(0.5),
        Value::F64Array(numbers) => {
            Value::F64Array(numbers.into_iter().map(|number| if number.is_nan() { 0.5 } else { number }).collect())
        }
        other => other,
    }
}

fn any_attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    let key = prop_oneof![
        Just("http.request.method".to_owned()),
        Just("http.response.status_code".to_owned()),
        Just("http.route".to_owned()),
        Just("url.full".to_owned()),
        Just("db.system".to_owned()),
        Just("rpc.method".to_owned()),
        Just("error.type".to_owned()),
        "[a-z.]{0,8}",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(Value::I64),
        "[a-zA-Z/]{0,6}".prop_map(|text: String| Value::String(text.into())),
        any_value().prop_map(finite),
    ];
    prop::collection::vec((key, value).prop_map(|(key, value)| KeyValue::new(key, value)), 0..12)
}

proptest! {
    #[test]
    fn any_value_round_trips_through_its_text(value in any_value()) {
        let mut text = String::new();
        let tag = values::encode(&value, &mut text);
        let back = values::decode(tag, &text).unwrap();
        prop_assert!(same(&back, &value), "{value:?} came back as {back:?} from {text}");
    }

    #[test]
    fn any_span_attributes_round_trip_through_a_block(layouts in prop::collection::vec(any_attributes(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let spans: Vec<StoredSpan> = layouts
            .into_iter()
            .enumerate()
            .map(|(index, attributes)| {
                let mut data = span(3, index as u64 + 1, index as u64);
                data.attributes = attributes.clone();
                data.events = vec![Event {
                    name: "e".into(),
                    time_unix_nano: 1,
                    level: None,
                    attributes,
                    dropped_attributes_count: 0,
                }];
                StoredSpan { origin: origin("svc", ""), span: data }
            })
            .collect();
        let block = write(dir.path(), &spans, &[], 2);
        let (read, _) = block.read_trace(TraceId::from_u128(3)).unwrap();
        prop_assert_eq!(read, spans);
    }
}

/// Spans of 60 traces of 4 spans over 3 services, with attributes of every type, some in
/// the dedicated columns, some repeated, and some errors.
fn search_sample() -> Vec<StoredSpan> {
    let mut spans = Vec::new();
    for trace in 0..60_u128 {
        for index in 0..4_u64 {
            let service = ["frontend", "cart", "payment"][((trace as u64 + index) % 3) as usize];
            let mut span = span(trace + 1, index + 1, 1_000 * trace as u64 + 10 * index);
            span.parent_span_id = (index > 0).then(|| SpanId::from_u64(index));
            span.name = ["GET /", "add", "charge", "notify"][index as usize].into();
            span.kind = [SpanKind::Server, SpanKind::Internal, SpanKind::Client, SpanKind::Producer][index as usize];
            span.end_time_unix_nano = span.start_time_unix_nano + 5 * (trace as u64 % 7 + index);
            span.status = if trace % 5 == 0 && index == 2 { Status::error("declined") } else { Status::Unset };
            span.label = (index == 3).then(|| "STEP".into());
            span.attributes = vec![
                KeyValue::new("user.id", format!("user-{}", trace % 17)),
                KeyValue::new("retry.count", (trace % 3) as i64),
                KeyValue::new("ratio", (trace % 4) as f64 / 2.0),
                KeyValue::new("cached", trace % 2 == 0),
                KeyValue::new("http.response.status_code", if trace % 5 == 0 { 500_i64 } else { 200 }),
                KeyValue::new("http.route", format!("/items/{}", trace % 3)),
                KeyValue::new("tags", Value::StringArray(vec!["a".into(), format!("t{}", trace % 2).into()])),
            ];
            if trace % 4 == 1 {
                span.attributes.push(KeyValue::new("http.route", "/second"));
            }
            spans.push(StoredSpan { origin: origin(service, "scope"), span });
        }
    }
    spans
}

fn search_queries() -> Vec<SearchQuery> {
    let with = |attributes: &[(&str, &str)]| SearchQuery {
        attributes: attributes.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect(),
        limit: 1_000,
        ..SearchQuery::default()
    };
    let mut queries = vec![
        SearchQuery { service: Some("cart".into()), operation: Some("charge".into()), ..with(&[]) },
        SearchQuery { kind: Some(SpanKind::Client), min_duration_nanos: Some(20), ..with(&[]) },
        SearchQuery { errors_only: true, ..with(&[]) },
        SearchQuery { max_duration_nanos: Some(10), range: TimeRange::through(20_000, 40_000), ..with(&[]) },
        SearchQuery { service: Some("payment".into()), ..with(&[("user.id", "user-3")]) },
    ];
    for attributes in [
        &[("user.id", "user-5")][..],
        &[("user.id", "user-5"), ("retry.count", "2")],
        &[("retry.count", "02")],
        &[("ratio", "1.5")],
        &[("ratio", "1")],
        &[("cached", "true")],
        &[("http.response.status_code", "500")],
        &[("http.route", "/second")],
        &[("http.route", "/items/2")],
        &[("tags", "[\"a\",\"t1\"]")],
        &[("error", "true")],
        &[("error", "false"), ("user.id", "user-0")],
        &[("span.kind", "producer")],
        &[("otel.status_code", "error")],
        &[(clew_store::LABEL_KEY, "STEP")],
        &[("service.name", "cart")],
        &[("user.id", "nobody")],
    ] {
        queries.push(with(attributes));
    }
    queries
}

#[test]
fn a_search_over_columns_finds_what_matching_decoded_spans_finds() {
    let dir = tempfile::tempdir().unwrap();
    let spans = search_sample();
    // Small row groups, so that the bloom filters have row groups to rule out.
    let block = write(dir.path(), &spans, &[], 16);
    for query in search_queries() {
        let mut expected: HashMap<TraceId, u64> = HashMap::new();
        for (trace_id, spans) in by_trace(&spans) {
            if spans.iter().any(|stored| query.matches(stored.service(), &stored.origin.resource, &stored.span)) {
                expected.insert(trace_id, spans.iter().map(|stored| stored.span.start_time_unix_nano).min().unwrap());
            }
        }
        let mut found = HashMap::new();
        block.matching_traces(&query, &mut found).unwrap();
        assert_eq!(found, expected, "{query:?}");
        let finds_nothing = query.attributes.iter().any(|(_, value)| value == "nobody" || value == "false");
        assert_eq!(found.is_empty(), finds_nothing, "{query:?}");
    }
}

#[test]
fn bloom_filters_on_attribute_values_rule_out_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let block = write(dir.path(), &search_sample(), &[], 16);
    let groups = |texts: &[&str]| {
        let values = vec![texts.iter().map(|text| (*text).to_owned()).collect::<Vec<_>>()];
        read::row_groups_with_values(&block, &values).unwrap()
    };
    let users: Vec<String> = (0..17).map(|user| format!("user-{user}")).collect();
    let all = groups(&users.iter().map(String::as_str).collect::<Vec<_>>()).len();
    assert_eq!(all, 15, "240 spans in row groups of 16");
    let user_5 = groups(&["user-5"]);
    // Traces 5, 22, 39 and 56 have user-5: one row group each (a trace's 4 spans are in one).
    assert!(!user_5.is_empty() && user_5.len() <= 6, "{user_5:?}");
    assert!(groups(&["nobody"]).len() <= 2, "a false positive now and then, not more");
    // A resource attribute's value is found through its own filter.
    assert_eq!(groups(&["cart"]).len(), 15);
}

#[test]
fn the_trace_table_agrees_with_the_decoded_spans_after_writing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let spans = search_sample();
    let written = write(dir.path(), &spans, &[], 16);
    let reopened = Block::open(written.dir()).unwrap();
    assert_eq!(reopened.traces.len(), 60);
    for (trace_id, spans) in by_trace(&spans) {
        let expected =
            clew_store::aggregate::summarize(trace_id, spans.iter().map(|stored| (stored.service(), &stored.span)))
                .unwrap();
        for block in [&written, &reopened] {
            let summary = block.trace_summary(trace_id).unwrap().finish(trace_id).unwrap();
            assert_eq!(summary, expected);
        }
    }
    assert!(reopened.trace_summary(TraceId::from_u128(999)).is_none());
}

#[test]
fn a_merge_of_blocks_equals_one_block_written_from_all_their_spans() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spans, records) = sample();
    spans.extend(search_sample());
    let options = BlockOptions { row_group_rows: 16, ..BlockOptions::default() };
    // Three sources with interleaved trace ids (a trace may be in several).
    let sources: Vec<Arc<Block>> = (0..3)
        .map(|part| {
            let part_spans: Vec<StoredSpan> =
                spans.iter().enumerate().filter(|(index, _)| index % 3 == part).map(|(_, span)| span.clone()).collect();
            let part_records: Vec<StoredRecord> = if part == 0 { records.clone() } else { Vec::new() };
            Arc::new(
                Block::write(
                    dir.path(),
                    &format!("part-{part}"),
                    part_spans,
                    part_records,
                    Lineage::default(),
                    &options,
                )
                .unwrap(),
            )
        })
        .collect();
    let merged = Block::write_merged(dir.path(), "merged", &sources, Lineage::default(), &options).unwrap();
    let whole =
        Block::write(dir.path(), "whole", spans.clone(), records.clone(), Lineage::default(), &options).unwrap();

    let all = |block: &Block| {
        let mut found = Vec::new();
        block
            .for_each_trace(&mut |_, spans| {
                found.extend(spans);
                Ok(())
            })
            .unwrap();
        found
    };
    assert_eq!(all(&merged), all(&whole));
    assert_eq!(all(&merged).len(), spans.len());
    assert_eq!(merged.read_records().unwrap(), whole.read_records().unwrap());
    let (mut a, mut b) = (merged.meta().clone(), whole.meta().clone());
    for meta in [&mut a, &mut b] {
        meta.id.clear();
        meta.created_unix_nano = 0;
        meta.bytes = 0;
    }
    assert_eq!(a, b);
    for (trace_id, _) in by_trace(&spans) {
        assert_eq!(merged.trace_summary(trace_id), whole.trace_summary(trace_id));
    }
}
