//! The batch processor: a bounded queue that drops and counts instead of blocking,
//! batches cut by size and by time, a cap on exports in flight, and flush and shutdown
//! that deliver what was queued and return by their deadline.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use clew::{ExportError, Tracer};
use common::ControlledExporter;

const GENEROUS: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3600);

fn tracer(exporter: &ControlledExporter) -> clew::TracerBuilder {
    Tracer::builder().ignore_env().exporter(exporter.clone())
}

/// Runs `work` on another thread and fails the test if it does not finish in time:
/// proves that something does not block, without measuring how long it takes.
fn finishes<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || done.send(work()));
    result.recv_timeout(GENEROUS).expect("the call blocked")
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    let exporter = ControlledExporter::held();
    let tracer = tracer(&exporter).max_queue_size(8).max_export_batch_size(4).scheduled_delay(HOUR).build();
    finishes(move || {
        for index in 0..1000 {
            tracer.span("overflow").attribute("index", index).start().end();
        }
    });
    let stats = tracer.stats();
    assert_eq!(stats.queued + stats.dropped, 1000, "{stats:?}");
    // Room for the queue (8) plus the one batch handed to the held exporter (4).
    assert!(stats.queued <= 12, "{stats:?}");
    assert!(stats.dropped >= 988, "{stats:?}");
    exporter.release();
    tracer.flush(GENEROUS).unwrap();
    let stats = tracer.stats();
    assert_eq!(stats.exported, stats.queued, "everything accepted is delivered: {stats:?}");
    assert_eq!(exporter.spans().len() as u64, stats.queued);
    // The queue has room again.
    tracer.span("after").start().end();
    tracer.flush(GENEROUS).unwrap();
    assert_eq!(exporter.spans().last().unwrap().name, "after");
}

#[test]
fn shutdown_delivers_everything_queued_before_it() {
    let exporter = ControlledExporter::open();
    let tracer = tracer(&exporter).max_queue_size(10_000).scheduled_delay(HOUR).build();
    let threads: Vec<_> = (0..3)
        .map(|thread| {
            std::thread::spawn(move || {
                for index in 0..1000 {
                    tracer.span("work").attribute("thread", thread).attribute("index", index).start().end();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    tracer.shutdown(GENEROUS).unwrap();
    assert_eq!(exporter.spans().len(), 3000);
    let stats = tracer.stats();
    assert_eq!((stats.exported, stats.dropped, stats.failed), (3000, 0, 0));

    tracer.span("too-late").start().end();
    assert_eq!(tracer.stats().dropped, 1, "spans after shutdown are dropped and counted");
    assert_eq!(exporter.spans().len(), 3000);
    assert!(tracer.shutdown(GENEROUS).is_ok(), "a second shutdown is harmless");
}

#[test]
fn flush_and_shutdown_return_by_their_deadline_when_the_exporter_hangs() {
    let exporter = ControlledExporter::held();
    let tracer = tracer(&exporter).max_export_batch_size(1).scheduled_delay(HOUR).build();
    tracer.span("stuck").start().end();
    assert!(exporter.wait_for_running(1, GENEROUS));
    let flushed = finishes(move || tracer.flush(Duration::from_millis(50)));
    assert!(matches!(flushed, Err(ExportError::Timeout)), "{flushed:?}");
    let shut = finishes(move || tracer.shutdown(Duration::from_millis(50)));
    assert!(matches!(shut, Err(ExportError::Timeout)), "{shut:?}");
    exporter.release();
}

#[test]
fn a_full_batch_is_exported_without_waiting_for_the_schedule() {
    let exporter = ControlledExporter::open();
    let tracer = tracer(&exporter).max_export_batch_size(10).scheduled_delay(HOUR).build();
    for _ in 0..10 {
        tracer.span("batched").start().end();
    }
    assert!(exporter.wait_for_spans(10, GENEROUS), "a full batch went out without flush");
    for _ in 0..25 {
        tracer.span("more").start().end();
    }
    tracer.flush(GENEROUS).unwrap();
    let sizes = exporter.batch_sizes();
    assert_eq!(sizes.iter().sum::<usize>(), 35);
    assert!(sizes.iter().all(|size| *size <= 10), "{sizes:?}");
}

#[test]
fn a_partial_batch_is_exported_when_the_schedule_comes() {
    let exporter = ControlledExporter::open();
    let tracer = tracer(&exporter).scheduled_delay(Duration::from_millis(20)).build();
    for _ in 0..3 {
        tracer.span("lonely").start().end();
    }
    assert!(exporter.wait_for_spans(3, GENEROUS), "exported by the schedule, no flush called");
}

#[test]
fn exports_in_flight_never_exceed_the_limit() {
    for limit in [1, 3] {
        let exporter = ControlledExporter::held();
        let tracer = tracer(&exporter)
            .max_export_batch_size(1)
            .max_concurrent_exports(limit)
            .scheduled_delay(Duration::from_millis(5))
            .build();
        for _ in 0..8 {
            tracer.span("parallel").start().end();
        }
        assert!(exporter.wait_for_running(limit, GENEROUS), "{limit} exports started");
        exporter.release();
        tracer.flush(GENEROUS).unwrap();
        assert_eq!(exporter.spans().len(), 8);
        assert_eq!(exporter.most_running(), limit);
    }
}

#[test]
fn failing_and_panicking_exporters_are_counted_and_the_pipeline_goes_on() {
    let failing = ControlledExporter::open();
    failing.fail_exports();
    let tracer = tracer(&failing).build();
    for _ in 0..5 {
        tracer.span("refused").start().end();
    }
    tracer.flush(GENEROUS).unwrap();
    assert_eq!(tracer.stats().failed, 5);
    assert_eq!(tracer.stats().exported, 0);

    let panicking = ControlledExporter::open();
    panicking.panic_in_exports();
    let tracer = Tracer::builder().ignore_env().exporter(panicking.clone()).max_export_batch_size(2).build();
    for _ in 0..6 {
        tracer.span("doomed").start().end();
    }
    tracer.flush(GENEROUS).unwrap();
    assert_eq!(tracer.stats().failed, 6, "every batch failed, and the export threads survived");
}

#[test]
fn spans_of_a_thread_that_has_exited_are_still_exported() {
    let exporter = ControlledExporter::open();
    let tracer = tracer(&exporter).scheduled_delay(HOUR).build();
    std::thread::spawn(move || {
        tracer.span("from-short-lived-thread").start().end();
    })
    .join()
    .unwrap();
    tracer.flush(GENEROUS).unwrap();
    assert_eq!(exporter.spans().len(), 1);
}

#[derive(Debug, Default)]
struct DeadlineProbe(std::sync::Mutex<Vec<Duration>>);

impl clew::SpanExporter for DeadlineProbe {
    fn export(&self, _batch: clew::Batch, deadline: Instant) -> Result<(), ExportError> {
        self.0.lock().unwrap().push(deadline.saturating_duration_since(Instant::now()));
        Ok(())
    }
}

#[test]
fn exporters_are_given_the_export_timeout_as_their_deadline() {
    let probe = std::sync::Arc::new(DeadlineProbe::default());
    let tracer = Tracer::builder().ignore_env().exporter(probe.clone()).export_timeout(Duration::from_secs(7)).build();
    tracer.span("timed").start().end();
    tracer.flush(GENEROUS).unwrap();
    let left = probe.0.lock().unwrap()[0];
    assert!(left <= Duration::from_secs(7) && left > Duration::from_secs(6), "{left:?}");
}

#[test]
fn trace_level_events_travel_with_spans() {
    let exporter = ControlledExporter::open();
    let tracer = tracer(&exporter).build();
    let trace = tracer.trace("p", "r").start();
    trace.event(clew::Level::Warn, "queue.slow", []);
    trace.with_span("step", |_| {});
    trace.end(clew::Status::Ok);
    tracer.flush(GENEROUS).unwrap();
    let names: Vec<String> = exporter.events().iter().map(|event| event.name.to_string()).collect();
    assert_eq!(names, ["clew.trace.started", "queue.slow", "clew.trace.ended"]);
    assert_eq!(exporter.spans().len(), 1);
    assert_eq!(tracer.stats().exported, 4);
}
