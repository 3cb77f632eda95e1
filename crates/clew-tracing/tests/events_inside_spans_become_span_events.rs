#![allow(clippy::unwrap_used)]

mod common;

use clew::{Level, Status, Value};
use common::{bare_layer, recording, with_layer};

#[test]
fn an_event_is_named_by_its_message_and_keeps_its_level_and_fields() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let _span = tracing::info_span!("work").entered();
        tracing::debug!(attempt = 2_i64, cached = false, "cache miss");
        tracing::info!(user = %"ada", "signed in");
    });
    assert_eq!(
        exporter.tree(),
        "work\n  · cache miss DEBUG {attempt=2, cached=false}\n  · signed in INFO {user=\"ada\"}\n"
    );
    assert_eq!(exporter.spans()[0].status, Status::Unset);
}

#[test]
fn an_error_event_fails_its_span_with_the_message() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let _span = tracing::info_span!("charge").entered();
        tracing::error!(code = 402, "card declined");
    });
    let span = &exporter.spans()[0];
    assert_eq!(span.status, Status::error("card declined"));
    assert_eq!(span.events[0].level, Some(Level::Error));
}

#[test]
fn an_event_that_only_reports_an_error_is_an_exception() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let _span = tracing::info_span!("upload").entered();
        tracing::warn!(error = %"connection reset");
    });
    assert_eq!(
        exporter.tree(),
        "upload error(connection reset)\n  · exception WARN {exception.message=\"connection reset\"}\n"
    );
}

#[test]
fn error_events_leave_the_status_alone_when_asked() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer).with_error_events_to_status(false), || {
        let _span = tracing::info_span!("tolerant").entered();
        tracing::error!("logged, not fatal");
    });
    assert_eq!(exporter.spans()[0].status, Status::Unset);
}

#[test]
fn events_carry_target_and_callsite_unless_turned_off() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(clew_tracing::layer().with_tracer(tracer), || {
        let _span = tracing::info_span!("located").entered();
        tracing::info!("here");
    });
    let event = &exporter.spans()[0].events[0];
    let attribute = |key: &str| event.attributes.iter().find(|attribute| attribute.key == key).map(|kv| &kv.value);
    assert_eq!(attribute("target"), Some(&Value::from(module_path!())));
    assert_eq!(attribute("code.file.path"), Some(&Value::from(file!())));
    assert!(attribute("code.line.number").is_some_and(|line| line.as_i64().is_some()));
    assert_eq!(attribute("level"), None, "the level is the event's own");
}

#[test]
fn events_with_an_explicit_parent_go_to_that_span() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        let target = tracing::info_span!("target");
        let _other = tracing::info_span!("other").entered();
        tracing::info!(parent: &target, "for the target");
    });
    assert_eq!(exporter.tree(), "target\n  · for the target INFO\nother\n");
}

#[test]
fn events_outside_every_tracing_span_are_not_recorded() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    with_layer(bare_layer(tracer), || {
        tracing::info!("no span at all");
        tracer.in_span("clew-only", |_| tracing::error!("inside a clew span only"));
    });
    assert_eq!(exporter.tree(), "clew-only\n");
}
