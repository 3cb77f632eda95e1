//! A media publish flow traced the way seed 000 (a TypeScript publish-flow tracer) does it.
//!
//! What it shows, in the seed's order:
//! - a [`clew::Trace`] started with a project id, a request id, input, context and tags;
//! - trace-level events, between spans (`trace.event(Level::Info, …)`);
//! - `MASTER` / `PLATFORM` / `STEP` spans (`.label(…)`) with explicit parents
//!   (`.root()`, `.parent_id(…)`), span events, and `end_with(Status::Ok)`;
//! - a platform span left running that `trace.end(Status::Ok)` closes, marked
//!   `clew.auto_closed=true`;
//! - a worker thread that rehydrates the trace from its id (`Trace::from_existing_on`) and
//!   emits `worker.resumed`;
//! - the `with_span` / `with_span_async` wrappers on a second request;
//! - a flush, then the spans as a tree, the trace-level events, and the JSON lines the seed
//!   logs to stdout when no ingest URL is set.
//!
//! The seed's batching variables are read by the tracer builder:
//! `TRACE_BATCH_MAX=100 TRACE_BATCH_MS=1000 cargo run -p clew-examples --example publish_flow`.

#![allow(clippy::print_stdout)]

use std::time::Duration;

use clew::{Level, Span, SpanId, Status, Trace, TraceId, Tracer};
use clew_examples::{print_heading, print_json_lines, print_trace_events, print_tree};

const PROJECT_ID: &str = "project-7";

fn main() {
    let exporter = clew::InMemoryExporter::new();
    let tracer = Tracer::builder().service_name("publisher").exporter(exporter.clone()).build();

    publish_to_platforms(tracer, "request-42");
    queue_with_wrappers(tracer, "request-43");

    // Seed: `await Tracer.flush()`.
    if let Err(error) = tracer.flush(Duration::from_secs(5)) {
        println!("flush failed: {error}");
    }
    print_heading("spans");
    print_tree(&exporter);
    print_heading("trace-level events");
    print_trace_events(&exporter);
    print_heading("JSON lines (what the seed logs when TRACE_INGEST_URL is empty)");
    if let Err(error) = print_json_lines(&exporter) {
        println!("could not write the JSON lines: {error}");
    }
    if let Err(error) = tracer.shutdown(Duration::from_secs(5)) {
        println!("shutdown failed: {error}");
    }
}

/// The seed's main walk-through: a master span, two platforms, their steps.
fn publish_to_platforms(tracer: Tracer, request_id: &'static str) {
    let media_url = "https://cdn.example.com/media/launch.mp4";
    let trace = tracer
        .trace(PROJECT_ID, request_id)
        .input(clew::attrs!["mediaUrl" => media_url, "title" => "Launch day"])
        .context(clew::attrs!["ip" => "203.0.113.7"])
        .tags(["publish", "api"])
        .start();

    // A trace-level event: it belongs to the trace, not to a span.
    trace.event(Level::Info, "publish.request.received", clew::attrs!["mediaUrl" => media_url]);

    let mut master = trace.start_span("master").label("MASTER").root().start();
    master.event(Level::Info, "platforms.selected", clew::attrs!["platforms" => vec!["instagram", "youtube"]]);

    let instagram = start_platform(&trace, &master, "instagram");
    run_step(&trace, &instagram, "prep", "prep.started");
    trace.event(Level::Info, "coordinator.waiting_for_upload", []);
    run_step(&trace, &instagram, "upload", "upload.started");
    instagram.end_with(Status::Ok);

    // YouTube's upload is handed to a worker, which continues the same trace from its id.
    // The platform span itself is never ended here: the callback that would end it does
    // not come, and `trace.end` closes it below.
    let youtube = start_platform(&trace, &master, "youtube");
    let trace_id = trace.trace_id();
    let youtube_id = youtube.span_id();
    let worker = std::thread::spawn(move || upload_in_worker(tracer, request_id, trace_id, youtube_id));
    if worker.join().is_err() {
        println!("the upload worker panicked");
    }

    master.end_with(Status::Ok);
    // Closes `youtube`, still running, with the trace's status and `clew.auto_closed=true`.
    trace.end(Status::Ok);
    println!("youtube span recording after trace.end: {} (auto-closed)", youtube.is_recording());
}

fn start_platform(trace: &Trace, master: &Span, platform: &'static str) -> Span {
    trace.start_span(platform).label("PLATFORM").parent_id(master.span_id()).attribute("platform", platform).start()
}

fn run_step(trace: &Trace, platform: &Span, step: &'static str, started_event: &'static str) {
    let mut span = trace.start_span(step).label("STEP").parent_id(platform.span_id()).start();
    span.event(Level::Info, started_event, []);
    simulate_work(step);
    span.end_with(Status::Ok);
}

/// A queue consumer: rehydrates the trace (seed: `Tracer.fromExisting(projectId,
/// requestId, traceId)`) and records its step under the platform span it was given.
fn upload_in_worker(tracer: Tracer, request_id: &'static str, trace_id: TraceId, platform_id: SpanId) {
    let trace = Trace::from_existing_on(tracer, PROJECT_ID, request_id, trace_id);
    trace.event(Level::Info, "worker.resumed", clew::attrs!["worker" => "upload-1"]);
    let mut upload = trace.start_span("upload").label("STEP").parent_id(platform_id).start();
    upload.event(Level::Info, "upload.started", clew::attrs!["bytes" => 48_213_504]);
    simulate_work("upload");
    upload.end_with(Status::Ok);
}

/// The seed's ergonomic wrapper: `await trace.withSpan({ name, kind }, async (s) => …)`.
fn queue_with_wrappers(tracer: Tracer, request_id: &'static str) {
    let trace = tracer.trace(PROJECT_ID, request_id).tags(["publish", "api"]).start();

    trace.with_span("validate", |validate| {
        validate.event(Level::Info, "validate.started", []);
        validate.set_attribute("media.duration_s", 42);
    });

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("no runtime for the async wrapper: {error}");
            return;
        }
    };
    let in_master = trace.clone();
    runtime.block_on(trace.with_span_async("master", |mut master| async move {
        master.event(Level::Info, "master.started", []);
        tokio::time::sleep(Duration::from_millis(2)).await;
        // Still current after the await: `prepare` becomes a child of `master`.
        in_master.with_span("prepare", |prepare| prepare.event(Level::Info, "prep.started", []));
        master.end_with(Status::Ok);
    }));

    trace.event(Level::Info, "publish.request.queued", clew::attrs!["queue" => "master"]);
    trace.end(Status::Ok);
}

/// Stands in for real work: a little computation the optimizer cannot remove.
fn simulate_work(step: &str) {
    let checksum = (0..10_000u64).fold(step.len() as u64, |sum, value| sum.wrapping_mul(31).wrapping_add(value));
    std::hint::black_box(checksum);
}
