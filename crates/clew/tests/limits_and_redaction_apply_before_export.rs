//! Spans never hold more than their limits, and secret-looking values never leave the
//! process.

mod common;

use clew::{KeyValue, Level, Redaction, SpanContext, SpanId, SpanLimits, TraceFlags, TraceId, Tracer, Value};

fn limited(exporter: &clew::InMemoryExporter, limits: SpanLimits) -> Tracer {
    Tracer::builder().ignore_env().limits(limits).exporter(exporter.clone()).simple_export().build()
}

#[test]
fn counts_past_the_limits_are_dropped_and_counted() {
    let exporter = clew::InMemoryExporter::new();
    let limits = SpanLimits::default()
        .with_attribute_count(2)
        .with_event_count(1)
        .with_link_count(1)
        .with_event_attribute_count(1)
        .with_link_attribute_count(1);
    let tracer = limited(&exporter, limits);
    let other = SpanContext::new(TraceId::from_u128(1), SpanId::from_u64(2), TraceFlags::SAMPLED);
    let mut span = tracer.span("busy").attributes(clew::attrs!["a" => 1, "b" => 2, "c" => 3]).start();
    span.set_attribute("d", 4);
    span.set_attribute("a", 10);
    span.add_event("first", clew::attrs!["x" => 1, "y" => 2]);
    span.add_event("second", []);
    span.add_link(other.clone(), clew::attrs!["p" => 1, "q" => 2]);
    span.add_link(other, []);
    span.end();
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.attributes, clew::attrs!["a" => 10, "b" => 2]);
    assert_eq!(recorded.dropped_attributes_count, 2);
    assert_eq!(recorded.events.len(), 1);
    assert_eq!(recorded.dropped_events_count, 1);
    assert_eq!(recorded.events[0].attributes.len(), 1);
    assert_eq!(recorded.events[0].dropped_attributes_count, 1);
    assert_eq!(recorded.links.len(), 1);
    assert_eq!(recorded.dropped_links_count, 1);
    assert_eq!(recorded.links[0].dropped_attributes_count, 1);
}

#[test]
fn long_strings_are_cut_at_the_value_length_limit() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = limited(&exporter, SpanLimits::default().with_value_length(Some(4)));
    let mut span = tracer.span("long").attribute("from.builder", "abcdefgh").start();
    span.set_attribute("statement", "SELECT * FROM orders");
    span.set_attribute("emoji", "🙂🙂🙂🙂🙂");
    span.set_attribute("list", vec!["short", "fine"]);
    span.set_attribute("number", 123_456_789);
    span.event(Level::Info, "e", clew::attrs!["long" => "123456"]);
    span.end();
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.attribute("from.builder"), Some(&Value::from("abcd")));
    assert_eq!(recorded.attribute("statement"), Some(&Value::from("SELE")));
    assert_eq!(recorded.attribute("emoji"), Some(&Value::from("🙂🙂🙂🙂")));
    assert_eq!(recorded.attribute("list"), Some(&Value::from(vec!["shor", "fine"])));
    assert_eq!(recorded.attribute("number"), Some(&Value::from(123_456_789)));
    assert_eq!(recorded.events[0].attributes[0].value, Value::from("1234"));
}

#[test]
fn secret_looking_keys_are_masked_everywhere_before_export() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
    let trace = tracer.trace("p", "r").context(clew::attrs!["api_key" => "k-123", "ip" => "10.0.0.1"]).start();
    trace.event(Level::Info, "login", clew::attrs!["password" => "hunter2", "user" => "ada"]);
    trace.with_span("call", |span| {
        span.set_attribute("http.request.header.authorization", "Bearer eyJhbGciOi");
        span.set_attribute("db.password", "hunter2");
        span.set_attribute("gen_ai.usage.input_tokens", 812);
        span.set_attribute("note", "Bearer abcdefghijkl");
        span.add_event("retry", clew::attrs!["session_token" => "s-1", "attempt" => 2]);
    });
    trace.end(clew::Status::Ok);
    let span = &exporter.spans()[0];
    let masked = Value::from(clew::REDACTED);
    assert_eq!(span.attribute("http.request.header.authorization"), Some(&masked));
    assert_eq!(span.attribute("db.password"), Some(&masked));
    assert_eq!(span.attribute("note"), Some(&masked), "credential-looking values are masked under any key");
    assert_eq!(span.attribute("gen_ai.usage.input_tokens"), Some(&Value::from(812)));
    assert_eq!(
        span.events[0].attributes,
        vec![KeyValue::new("session_token", clew::REDACTED), KeyValue::new("attempt", 2)]
    );
    let events = exporter.trace_events();
    assert_eq!(events[0].attribute("clew.context.api_key"), Some(&masked));
    assert_eq!(events[0].attribute("clew.context.ip"), Some(&Value::from("10.0.0.1")));
    assert_eq!(events[1].attribute("password"), Some(&masked));
    assert_eq!(events[1].attribute("user"), Some(&Value::from("ada")));
}

#[test]
fn redaction_is_configurable() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = Tracer::builder()
        .ignore_env()
        .redaction(Redaction::default().with_word("ssn"))
        .exporter(exporter.clone())
        .simple_export()
        .build();
    tracer.span("custom").attributes(clew::attrs!["customer.ssn" => "078-05-1120", "token" => "t"]).start().end();
    let span = &exporter.spans()[0];
    assert_eq!(span.attribute("customer.ssn"), Some(&Value::from(clew::REDACTED)));
    assert_eq!(span.attribute("token"), Some(&Value::from(clew::REDACTED)));

    exporter.clear();
    let open =
        Tracer::builder().ignore_env().redaction(Redaction::none()).exporter(exporter.clone()).simple_export().build();
    open.span("open").attribute("password", "visible").start().end();
    assert_eq!(exporter.spans()[0].attribute("password"), Some(&Value::from("visible")));
}

#[test]
fn the_batch_pipeline_redacts_too() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = Tracer::builder().ignore_env().exporter(exporter.clone()).build();
    tracer.span("batched").attribute("client_secret", "s3cr3t").start().end();
    tracer.flush(std::time::Duration::from_secs(30)).unwrap();
    assert_eq!(exporter.spans()[0].attribute("client_secret"), Some(&Value::from(clew::REDACTED)));
}
