#![allow(clippy::unwrap_used)]

mod common;

use std::time::SystemTime;

use clew::{SpanKind, Status, Value};
use common::{bare_layer, recording, with_layer};

#[derive(Debug)]
#[expect(dead_code, reason = "read through Debug only")]
struct Order {
    id: u32,
}

#[test]
fn fields_keep_their_types_and_formatted_values_become_text() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let failure = std::io::Error::other("disk full");
        let failure: &(dyn std::error::Error + 'static) = &failure;
        drop(tracing::info_span!(
            "typed",
            signed = -3_i64,
            small = 7_u64,
            huge = u64::MAX,
            ratio = 0.5,
            cached = true,
            name = "widget",
            order = ?Order { id: 9 },
            shown = %"displayed",
            cause = failure,
        ));
    });
    let span = &exporter.spans()[0];
    assert_eq!(span.attribute("signed"), Some(&Value::I64(-3)));
    assert_eq!(span.attribute("small"), Some(&Value::I64(7)));
    assert_eq!(span.attribute("huge"), Some(&Value::from(u64::MAX.to_string())));
    assert_eq!(span.attribute("ratio"), Some(&Value::F64(0.5)));
    assert_eq!(span.attribute("cached"), Some(&Value::Bool(true)));
    assert_eq!(span.attribute("name"), Some(&Value::from("widget")));
    assert_eq!(span.attribute("order"), Some(&Value::from("Order { id: 9 }")));
    assert_eq!(span.attribute("shown"), Some(&Value::from("displayed")));
    assert_eq!(span.attribute("cause"), Some(&Value::from("disk full")));
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn the_level_target_and_callsite_are_recorded_by_default() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    let line = with_layer(clew_tracing::layer().with_tracer(tracer), || {
        let line = line!() + 1;
        drop(tracing::debug_span!("located"));
        line
    });
    let span = &exporter.spans()[0];
    assert_eq!(span.attribute("level"), Some(&Value::from("DEBUG")));
    assert_eq!(span.attribute("target"), Some(&Value::from(module_path!())));
    assert_eq!(span.attribute("code.file.path"), Some(&Value::from(file!())));
    assert_eq!(span.attribute("code.line.number"), Some(&Value::I64(i64::from(line))));
    assert_eq!(span.attribute("code.module.name"), Some(&Value::from(module_path!())));
}

#[test]
fn otel_fields_set_the_name_kind_and_status() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let route = String::from("GET /orders/{id}");
        drop(tracing::info_span!("request", otel.name = route.as_str(), otel.kind = "server"));
        drop(tracing::info_span!("failed", otel.status_code = "ERROR", otel.status_message = "backend down"));
        drop(tracing::info_span!("fine", otel.status_code = "ok"));
        drop(tracing::info_span!("errored", error = %"timeout after 5 s"));
        drop(tracing::info_span!("flagged", error = true));
        drop(tracing::info_span!("not-flagged", error = false));
    });
    assert_eq!(
        exporter.tree(),
        "GET /orders/{id} [server]\n\
         failed error(backend down)\n\
         fine ok\n\
         errored error(timeout after 5 s) {error=\"timeout after 5 s\"}\n\
         flagged error() {error=true}\n\
         not-flagged {error=false}\n"
    );
    assert_eq!(exporter.spans()[0].kind, SpanKind::Server);
}

#[test]
fn fields_recorded_later_are_added_and_can_rename_or_fail_the_span() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let span = tracing::info_span!(
            "draft",
            rows = tracing::field::Empty,
            otel.name = tracing::field::Empty,
            otel.status_code = tracing::field::Empty
        );
        span.record("rows", 12_u64);
        span.record("otel.name", "final-name");
        span.record("otel.status_code", "error");
    });
    assert_eq!(exporter.tree(), "final-name error() {rows=12}\n");
}

#[test]
fn follows_from_becomes_a_link() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let cause = tracing::info_span!("cause");
        let effect = tracing::info_span!("effect");
        effect.follows_from(&cause);
    });
    let spans = exporter.spans();
    let cause = spans.iter().find(|span| span.name == "cause").unwrap();
    let effect = spans.iter().find(|span| span.name == "effect").unwrap();
    assert_eq!(effect.links.len(), 1);
    assert_eq!(effect.links[0].context.span_id(), cause.span_id);
    assert_eq!(effect.links[0].context.trace_id(), cause.trace_id);
}

#[test]
fn a_span_ends_when_its_last_handle_is_dropped() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    let (before_close, after_close) = with_layer(bare_layer(tracer), || {
        let span = tracing::info_span!("shared");
        let handle = span.clone();
        drop(span);
        let before_close = SystemTime::now();
        assert!(exporter.is_empty(), "ended while a handle was alive");
        drop(handle);
        (before_close, SystemTime::now())
    });
    let nanos = |time: SystemTime| time.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let span = &exporter.spans()[0];
    assert!(span.end_time_unix_nano >= nanos(before_close));
    assert!(span.end_time_unix_nano <= nanos(after_close));
}
