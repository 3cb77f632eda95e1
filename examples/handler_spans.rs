//! A request handler traced the way seed 001 (a Go tracer with samplers and exporters) does it.
//!
//! What it shows, in the seed's order:
//! - span hierarchy through the current span: `handle-request` and its children
//!   `validate-input`, `process-data`, `save-result`, formed by `tracer.in_span` and
//!   `span.enter()` with no parent passed around;
//! - `set_attribute`, `set_attributes`, `add_event`, `record_error` on a failing database
//!   query (with its cause), `set_status`, and an explicit start time (`.start_time(…)`);
//! - `clew::log_with_trace("Processing data")`: a log line carrying the trace and span ids;
//! - the in-memory exporter's `spans()`, `len()` and `clear()`;
//! - the samplers (always, never, counter ratio, trace-id ratio, parent-based, rate limited)
//!   and how many of 100 requests (a root span and a child each) each one keeps;
//! - a custom exporter implementing `clew::SpanExporter`, used in the simple (synchronous)
//!   and the batched export modes.
//!
//! ```sh
//! cargo run -p clew-examples --example handler_spans
//! ```

#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use clew::{Batch, ExportError, InMemoryExporter, KeyValue, Sampler, SpanExporter, SpanKind, Status, Tracer};
use clew_examples::{print_heading, print_tree};

const TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder().service_name("lumen-demo").exporter(exporter.clone()).build();

    print_heading("a handler and its children, formed through the current span");
    handle_request(tracer, 42);
    operation_with_options(tracer);
    report(tracer.flush(TIMEOUT));
    print_tree(&exporter);

    print_heading("the in-memory exporter, as a test would use it");
    let spans = exporter.spans();
    let failed: Vec<&str> = spans.iter().filter(|span| span.status.is_error()).map(|span| &*span.name).collect();
    println!("len() = {}, failed spans: {failed:?}", exporter.len());
    if let Some(operation) = spans.iter().find(|span| span.name == "operation") {
        // Started 250 ms back by `.start_time(…)`, so it lasted about that long.
        println!("`operation` lasted {} ms", operation.duration_nanos() / 1_000_000);
    }
    exporter.clear();
    println!("after clear(): len() = {}", exporter.len());

    print_heading("samplers: what each keeps of 100 requests (a root span and one child each)");
    compare_sampler(Sampler::AlwaysOn);
    compare_sampler(Sampler::AlwaysOff);
    compare_sampler(Sampler::counter_ratio(0.1));
    compare_sampler(Sampler::trace_id_ratio(0.1));
    compare_sampler(Sampler::parent_based(Sampler::counter_ratio(0.1)));
    // At most 10 a second, whatever the traces: a burst of 100 keeps at most 10.
    compare_sampler(Sampler::rate_limited(10.0));

    print_heading("a custom exporter, simple (synchronous) and batched");
    compare_export_modes();

    report(tracer.shutdown(TIMEOUT));
}

/// Seed: `ctx, span := trace.Start(ctx, "handle-request"); defer span.End()`.
fn handle_request(tracer: Tracer, user_id: u64) {
    tracer.in_span("handle-request", |span| {
        span.set_attribute("http.method", "GET");
        span.set_attributes([KeyValue::new("user.id", user_id), KeyValue::new("user.role", "admin")]);

        validate_input(tracer);
        let rows = process_data(tracer);
        match save_result(tracer, rows) {
            Ok(()) => {
                span.set_attribute("http.status_code", 200);
                span.set_status(Status::Ok);
            }
            Err(error) => {
                span.set_attribute("http.status_code", 500);
                span.set_status(Status::error(format!("could not save the result: {error}")));
            }
        }
    });
}

fn validate_input(tracer: Tracer) {
    let mut span = tracer.start("validate-input");
    // Current until the end of the function, like a `ctx` passed down in Go.
    let mut entered = span.enter();
    entered.set_attribute("input.fields", 3);
    tracer.in_span("check-schema", |check| check.set_attribute("schema", "order.v2"));
}

fn process_data(tracer: Tracer) -> usize {
    tracer.in_span("process-data", |span| {
        println!("{}", clew::log_with_trace("Processing data"));
        span.add_event("cache.miss", clew::attrs!["key" => "user:42:orders"]);
        span.add_event("retry.attempt", clew::attrs!["attempt" => 2]);
        let rows = database_query(tracer, "SELECT * FROM orders WHERE user_id = $1").unwrap_or(0);
        span.add_event("query.executed", []);
        span.set_attribute("rows", rows);
        rows
    })
}

fn save_result(tracer: Tracer, rows: usize) -> Result<(), DatabaseError> {
    let mut span = tracer.start("save-result");
    let mut entered = span.enter();
    entered.set_attribute("rows", rows);
    database_query(tracer, "INSERT INTO results (user_id, rows) VALUES ($1, $2)").map(|_| ())
}

/// Seed: `span.RecordError(err)` on failure, `span.SetStatus(trace.StatusOK, "")` on success.
fn database_query(tracer: Tracer, statement: &'static str) -> Result<usize, DatabaseError> {
    let mut span = tracer.span("database-query").kind(SpanKind::Client).attribute("db.statement", statement).start();
    if statement.starts_with("INSERT") {
        let error = DatabaseError { source: std::io::Error::other("connection reset by peer") };
        span.record_error(&error); // an `exception` event (with the cause) and an error status
        return Err(error);
    }
    span.set_status(Status::Ok);
    Ok(3)
}

/// Seed: `trace.Start(ctx, "operation", trace.WithAttributes(…), trace.WithStartTime(t))`.
fn operation_with_options(tracer: Tracer) {
    // The request was received from a queue 250 ms before this process picked it up.
    let received_at = SystemTime::now().checked_sub(Duration::from_millis(250)).unwrap_or_else(SystemTime::now);
    let span = tracer.span("operation").root().attribute("component", "api").start_time(received_at).start();
    span.end();
}

/// Runs 100 requests on a tracer with `sampler` and counts what reaches the exporter.
fn compare_sampler(sampler: Sampler) {
    let exporter = InMemoryExporter::new();
    let description = sampler.description();
    let tracer = Tracer::builder().sampler(sampler).exporter(exporter.clone()).simple_export().build();
    for request in 0..100 {
        tracer.in_span("request", |span| {
            span.set_attribute("request", request);
            tracer.start("child").end();
        });
    }
    let spans = exporter.spans();
    let kept: HashSet<_> = spans.iter().map(|span| span.span_id).collect();
    let roots = spans.iter().filter(|span| span.parent_span_id.is_none()).count();
    let orphans = spans.iter().filter(|span| span.parent_span_id.is_some_and(|parent| !kept.contains(&parent))).count();
    println!(
        "{description:<40} {roots:>3} of 100 roots, {:>3} of 200 spans, {orphans:>3} without their parent",
        spans.len()
    );
    report(tracer.shutdown(TIMEOUT));
}

/// Seed: `Exporter` with `Export(span)` and `Close()`. Prints one line per span.
#[derive(Debug)]
struct SummaryExporter {
    mode: &'static str,
    batches: AtomicUsize,
}

impl SummaryExporter {
    fn new(mode: &'static str) -> SummaryExporter {
        SummaryExporter { mode, batches: AtomicUsize::new(0) }
    }
}

impl SpanExporter for SummaryExporter {
    fn export(&self, batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        let number = self.batches.fetch_add(1, Ordering::Relaxed) + 1;
        for span in &batch.spans {
            println!(
                "  [{} exporter, batch {number}] {} {} ({} µs)",
                self.mode,
                span.name,
                span.status,
                span.duration_nanos() / 1000
            );
        }
        Ok(())
    }

    fn shutdown(&self, _deadline: Instant) -> Result<(), ExportError> {
        println!("  [{} exporter] closed after {} batches", self.mode, self.batches.load(Ordering::Relaxed));
        Ok(())
    }
}

fn compare_export_modes() {
    println!("simple: each span is exported on the thread that ends it, as it ends");
    let simple = Tracer::builder().exporter(SummaryExporter::new("simple")).simple_export().build();
    run_three_steps(simple);
    report(simple.shutdown(TIMEOUT));

    println!("batched: spans wait in a queue and a background thread exports them together");
    // A long delay, so that the export below comes from the flush and not from the timer.
    let batched =
        Tracer::builder().exporter(SummaryExporter::new("batched")).scheduled_delay(Duration::from_secs(60)).build();
    run_three_steps(batched);
    println!("  flushing");
    report(batched.flush(TIMEOUT));
    report(batched.shutdown(TIMEOUT));
}

fn run_three_steps(tracer: Tracer) {
    for step in ["parse", "plan", "execute"] {
        tracer.in_span(step, |span| span.set_status(Status::Ok));
        println!("  ended {step}");
    }
}

fn report(outcome: Result<(), ExportError>) {
    if let Err(error) = outcome {
        println!("export problem: {error}");
    }
}

/// A failed query, with the I/O error that caused it.
#[derive(Debug)]
struct DatabaseError {
    source: std::io::Error,
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("query failed")
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
