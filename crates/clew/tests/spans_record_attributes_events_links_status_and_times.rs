//! Everything a span can hold, as an exporter receives it.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Level, SpanContext, SpanId, Status, TraceFlags, TraceId, Value};
use insta::assert_snapshot;

#[test]
fn typed_attributes_are_kept_with_their_types() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut span = tracer.span("typed").attribute("from.builder", "yes").start();
    span.set_attribute("string", "text");
    span.set_attribute("owned", String::from("owned text"));
    span.set_attribute("bool", true);
    span.set_attribute("i64", -7_i64);
    span.set_attribute("u32", 7_u32);
    span.set_attribute("f64", 99.99);
    span.set_attribute("strings", vec!["a", "b"]);
    span.set_attribute("ints", vec![1_i64, 2, 3]);
    span.set_attribute("floats", vec![0.5_f64]);
    span.set_attribute("bools", vec![true, false]);
    span.set_attributes([KeyValue::new("user.id", "usr_123"), KeyValue::new("user.role", "admin")]);
    span.set_attributes(clew::attrs!["many.a" => 1, "many.b" => "two"]);
    span.set_attribute("string", "replaced");
    span.end();
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.attribute("from.builder"), Some(&Value::from("yes")));
    assert_eq!(recorded.attribute("string"), Some(&Value::from("replaced")));
    assert_eq!(recorded.attribute("bool"), Some(&Value::Bool(true)));
    assert_eq!(recorded.attribute("i64"), Some(&Value::I64(-7)));
    assert_eq!(recorded.attribute("u32"), Some(&Value::I64(7)));
    assert_eq!(recorded.attribute("f64"), Some(&Value::F64(99.99)));
    assert_eq!(recorded.attribute("strings"), Some(&Value::StringArray(vec!["a".into(), "b".into()])));
    assert_eq!(recorded.attribute("ints"), Some(&Value::I64Array(vec![1, 2, 3])));
    assert_eq!(recorded.attribute("floats"), Some(&Value::F64Array(vec![0.5])));
    assert_eq!(recorded.attribute("bools"), Some(&Value::BoolArray(vec![true, false])));
    assert_eq!(recorded.attribute("many.b"), Some(&Value::from("two")));
    let keys: Vec<&str> = recorded.attributes.iter().map(|attribute| &*attribute.key).collect();
    assert_eq!(keys.iter().filter(|key| **key == "string").count(), 1, "a key set twice is kept once");
    assert_eq!(keys[0], "from.builder");
}

#[test]
fn lazy_attributes_run_only_when_recording() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut runs = 0;
    let mut span = tracer.span("sampled").start();
    span.set_attribute_with("input_hash", || {
        runs += 1;
        "abc123"
    });
    span.end();
    assert_eq!(runs, 1);
    assert_eq!(exporter.spans()[0].attribute("input_hash"), Some(&Value::from("abc123")));

    let unsampled = clew::Tracer::builder()
        .ignore_env()
        .sampler(clew::Sampler::AlwaysOff)
        .exporter(exporter.clone())
        .simple_export()
        .build();
    let mut span = unsampled.span("unsampled").start();
    span.set_attribute_with("input_hash", || {
        runs += 1;
        "never"
    });
    span.end();
    assert_eq!(runs, 1, "the closure did not run for an unsampled span");
    assert_eq!(exporter.len(), 1, "and nothing was exported");
}

#[test]
fn events_have_levels_times_and_attributes() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut span = tracer.span("master").label("MASTER").start();
    span.event(Level::Info, "platforms.selected", [KeyValue::new("platforms", vec!["instagram", "youtube"])]);
    span.add_event("cache.miss", [KeyValue::new("key", "user:1")]);
    span.add_event("query.executed", []);
    let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    span.add_event_at("backfilled", at, []);
    span.event_at(Level::Warn, "replayed", at + Duration::from_millis(3), [KeyValue::new("attempt", 2_i64)]);
    span.end();
    assert_snapshot!(exporter.tree(), @r#"
    master [MASTER]
      · platforms.selected INFO {platforms=["instagram","youtube"]}
      · cache.miss {key="user:1"}
      · query.executed
      · backfilled
      · replayed WARN {attempt=2}
    "#);
    let events = &exporter.spans()[0].events;
    assert_eq!(events[3].time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(events[4].time_unix_nano, 1_700_000_000_003_000_000);
    assert!(events[0].time_unix_nano <= events[1].time_unix_nano);
    assert!(events[0].time_unix_nano >= exporter.spans()[0].start_time_unix_nano);
}

#[test]
fn links_point_at_other_spans() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let other = SpanContext::new(TraceId::from_u128(0xabc), SpanId::from_u64(0xdef), TraceFlags::SAMPLED);
    let mut span = tracer.span("batch-consumer").link(other.clone(), [KeyValue::new("reason", "batched")]).start();
    span.add_link(other.clone(), []);
    span.end();
    let links = &exporter.spans()[0].links;
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].context, other);
    assert_eq!(links[0].attributes, vec![KeyValue::new("reason", "batched")]);
}

#[test]
fn status_follows_the_opentelemetry_rules() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut unset_does_nothing = tracer.span("a").start();
    unset_does_nothing.set_status(Status::error("first"));
    unset_does_nothing.set_status(Status::Unset);
    unset_does_nothing.end();
    let mut ok_is_final = tracer.span("b").start();
    ok_is_final.set_status(Status::Ok);
    ok_is_final.set_status(Status::error("too late"));
    ok_is_final.end();
    let mut ok_overrides_error = tracer.span("c").start();
    ok_overrides_error.set_status(Status::error("transient"));
    ok_overrides_error.end_with(Status::Ok);
    let statuses: Vec<Status> = exporter.spans().into_iter().map(|span| span.status).collect();
    assert_eq!(statuses, [Status::error("first"), Status::Ok, Status::Ok]);
}

#[derive(Debug)]
struct PaymentError {
    source: std::io::Error,
}

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("payment failed: HTTP 502")
    }
}

impl std::error::Error for PaymentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[test]
fn record_error_adds_an_exception_event_and_an_error_status() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut span = tracer.span("payment_service_call").start();
    let error = PaymentError { source: std::io::Error::other("connection reset") };
    span.record_error(&error);
    let as_dyn: &dyn std::error::Error = &error;
    span.record_error(as_dyn);
    span.end();
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.status, Status::error("payment failed: HTTP 502"));
    let exception = &recorded.events[0];
    assert_eq!(exception.name, "exception");
    assert_eq!(exception.level, Some(Level::Error));
    let attribute = |key: &str| exception.attributes.iter().find(|a| a.key == key).map(|a| a.value.clone());
    assert!(attribute("exception.type").unwrap().as_str().unwrap().ends_with("PaymentError"));
    assert_eq!(attribute("exception.message"), Some(Value::from("payment failed: HTTP 502")));
    assert_eq!(attribute("exception.causes"), Some(Value::from(vec!["connection reset"])));
}

#[test]
fn explicit_start_and_end_times_are_used() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let start = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
    let end = start + Duration::from_millis(1500);
    tracer.span("imported").start_time(start).start().end_at(end);
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(recorded.duration_nanos(), 1_500_000_000);
    let before = UNIX_EPOCH + Duration::from_secs(1);
    tracer.span("backwards").start_time(start).start().end_at(before);
    assert_eq!(exporter.spans()[1].duration_nanos(), 0, "an end before the start is clamped");
}

#[test]
fn default_times_come_from_the_wall_clock() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    tracer.span("now").start().end();
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let recorded = &exporter.spans()[0];
    // The span clock may be calibrated from the CPU counter: allow a millisecond of skew.
    let skew = 1_000_000;
    assert!(recorded.start_time_unix_nano + skew >= before, "{} < {before}", recorded.start_time_unix_nano);
    assert!(recorded.end_time_unix_nano <= after + skew);
    assert!(recorded.end_time_unix_nano >= recorded.start_time_unix_nano);
}

#[test]
fn update_name_renames_and_non_recording_spans_accept_everything() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = common::simple_tracer(&exporter);
    let mut span = tracer.span("temporary").start();
    span.update_name("final");
    span.end();
    assert_eq!(exporter.spans()[0].name, "final");

    let mut nothing = clew::Span::none();
    nothing.set_attribute("a", 1);
    nothing.add_event("e", []);
    nothing.record_error(&std::io::Error::other("x"));
    assert!(!nothing.is_recording());
    assert!(!nothing.context().is_valid());
    nothing.end();
    assert_eq!(exporter.len(), 1);
}
