#![cfg(feature = "fmt")]
#![allow(clippy::unwrap_used)]

mod common;

use std::io;
use std::sync::{Arc, Mutex};

use common::recording;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap().lines().map(str::to_owned).collect()
    }
}

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[test]
fn lines_inside_spans_end_with_the_ids_of_the_innermost_span() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry()
        .with(clew_tracing::layer().with_tracer(tracer))
        .with(clew_tracing::fmt_layer().with_writer(captured.clone()));
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("before any span");
        let request = tracing::info_span!("request", order = 7);
        let _entered = request.enter();
        tracing::info!(rows = 3, "processing data");
        tracer.in_span("clew-inner", |_| tracing::warn!("inside the clew span"));
    });
    let spans = exporter.spans();
    let request = spans.iter().find(|span| span.name == "request").unwrap();
    let inner = spans.iter().find(|span| span.name == "clew-inner").unwrap();
    let lines = captured.lines();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].ends_with("before any span"), "{}", lines[0]);
    assert!(!lines[0].contains("trace_id="));
    let request_ids = format!(" trace_id={} span_id={}", request.trace_id, request.span_id);
    assert!(lines[1].contains("INFO request{order=7}:"), "{}", lines[1]);
    assert!(lines[1].ends_with(&format!("processing data rows=3{request_ids}")), "{}", lines[1]);
    let inner_ids = format!(" trace_id={} span_id={}", inner.trace_id, inner.span_id);
    assert!(lines[2].ends_with(&format!("inside the clew span{inner_ids}")), "{}", lines[2]);
}

#[test]
fn a_wrapped_format_keeps_its_own_settings() {
    let (tracer, exporter) = recording(clew::Sampler::default());
    let captured = Captured::default();
    let format = tracing_subscriber::fmt::format().without_time().with_target(false).with_level(false);
    let subscriber = tracing_subscriber::registry().with(clew_tracing::layer().with_tracer(tracer)).with(
        tracing_subscriber::fmt::layer()
            .event_format(clew_tracing::WithTraceIds::new(format))
            .with_writer(captured.clone()),
    );
    tracing::subscriber::with_default(subscriber, || {
        let detached = tracing::info_span!("detached");
        tracing::info!(parent: &detached, "explicit parent");
    });
    let span = &exporter.spans()[0];
    assert_eq!(
        captured.lines(),
        [format!("detached: explicit parent trace_id={} span_id={}", span.trace_id, span.span_id)]
    );
}
