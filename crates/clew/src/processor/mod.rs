//! From a finished span to the exporter.
//!
//! # The batch pipeline
//!
//! ```text
//! app threads ── push ──▶ per-thread queue ─┐
//!                                            ├─ drain thread ─▶ batches ─▶ export threads (max in flight)
//! app threads ── push ──▶ per-thread queue ─┘      ▲ wakes on: batch full, schedule, flush, shutdown
//! ```
//!
//! - Each application thread pushes into a queue of its own (an uncontended mutex), so
//!   threads ending spans at once never fight over a shared line.
//! - Room is shared: one atomic counts everything queued anywhere. A thread reserves room
//!   in small chunks (at most 64 slots, kept in its thread-local entry) so the counter is
//!   touched once per chunk, not once per span. When no room is left the span is dropped
//!   and counted; the application never waits. The bound is `max_queue_size` plus the
//!   unused part of each thread's chunk.
//! - One drain thread gathers the per-thread queues when a queue reaches a batch, when
//!   the scheduled delay passes, or when asked to flush or shut down, and cuts batches.
//! - Up to `max_concurrent_exports` export threads run the exporter. A hung exporter holds
//!   its slot until it returns; meanwhile queues fill and drop, and `flush`/`shutdown`
//!   return at their deadline.

mod batch;
mod drain;
mod simple;

pub(crate) use batch::BatchProcessor;
use batch::{Item, Request};
pub(crate) use simple::SimpleProcessor;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::data::{SpanData, TraceEvent};
use crate::export::{Batch, ExportError, SpanExporter};
use crate::redact::Redaction;
use crate::resource::Resource;

/// Keeps a value on cache lines of its own, so that threads writing it do not slow down
/// threads reading its neighbours (128 bytes: the line and the one prefetched with it).
#[repr(align(128))]
#[derive(Default)]
pub(super) struct Padded<T>(T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counters of a tracer's pipeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipelineStats {
    /// Spans and events accepted into the queue.
    pub queued: u64,
    /// Spans and events dropped because the queue was full or the tracer shut down.
    pub dropped: u64,
    /// Spans and events handed to the exporter that reported success.
    pub exported: u64,
    /// Spans and events in exports that failed, timed out or panicked.
    pub failed: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) queued: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) exported: AtomicU64,
    pub(super) failed: AtomicU64,
}

impl Counters {
    pub(super) fn snapshot(&self) -> PipelineStats {
        PipelineStats {
            queued: self.queued.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            exported: self.exported.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// What the tracer does with a finished span.
pub(crate) enum Pipeline {
    /// Nothing: the tracer records nothing.
    Discard,
    /// Export on the caller's thread, one span at a time (tests, short scripts).
    Simple(SimpleProcessor),
    /// Queue and export in batches from background threads.
    Batch(BatchProcessor),
}

impl Pipeline {
    #[inline]
    pub(crate) fn push_span(&self, span: Box<SpanData>) {
        match self {
            Pipeline::Discard => {}
            Pipeline::Simple(simple) => simple.export(vec![*span], Vec::new()),
            Pipeline::Batch(batch) => batch.push(Item::Span(span)),
        }
    }

    pub(crate) fn push_event(&self, event: TraceEvent) {
        match self {
            Pipeline::Discard => {}
            Pipeline::Simple(simple) => simple.export(Vec::new(), vec![event]),
            Pipeline::Batch(batch) => batch.push(Item::Event(event)),
        }
    }

    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        match self {
            Pipeline::Discard => Ok(()),
            Pipeline::Simple(simple) => simple.exporter.force_flush(Instant::now() + timeout),
            Pipeline::Batch(batch) => batch.request(Request::Flush, timeout),
        }
    }

    pub(crate) fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        match self {
            Pipeline::Discard => Ok(()),
            Pipeline::Simple(simple) => simple.shutdown(timeout),
            Pipeline::Batch(batch) => batch.request(Request::Shutdown, timeout),
        }
    }

    pub(crate) fn stats(&self) -> PipelineStats {
        match self {
            Pipeline::Discard => PipelineStats::default(),
            Pipeline::Simple(simple) => simple.counters.snapshot(),
            Pipeline::Batch(batch) => {
                let mut stats = batch.shared.counters.snapshot();
                stats.queued = batch.shared.accepted();
                stats
            }
        }
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pipeline::Discard => f.write_str("Discard"),
            Pipeline::Simple(simple) => f.debug_tuple("Simple").field(&simple.exporter).finish(),
            Pipeline::Batch(batch) => f.debug_tuple("Batch").field(&batch.shared.config).finish(),
        }
    }
}

/// Everything the export side needs to turn queued items into a batch.
pub(super) struct ExportSide {
    pub(super) exporter: Arc<dyn SpanExporter>,
    pub(super) resource: Arc<Resource>,
    pub(super) redaction: Redaction,
}

impl ExportSide {
    pub(super) fn batch(&self, mut spans: Vec<SpanData>, mut events: Vec<TraceEvent>) -> Batch {
        self.redaction.apply_to_batch(&mut spans, &mut events);
        Batch::new(self.resource.clone(), spans, events)
    }

    /// Runs one export, catching a panicking exporter; returns whether it succeeded.
    pub(super) fn run(&self, batch: Batch, deadline: Instant) -> Result<(), ExportError> {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.exporter.export(batch, deadline)));
        match outcome {
            Ok(result) => result,
            Err(_) => Err(ExportError::failed("the exporter panicked")),
        }
    }

    pub(super) fn count(&self, counters: &Counters, size: usize, result: Result<(), ExportError>) {
        let size = size as u64;
        match result {
            Ok(()) => {
                counters.exported.fetch_add(size, Ordering::Relaxed);
            }
            Err(error) => {
                counters.failed.fetch_add(size, Ordering::Relaxed);
                crate::diagnostics::report_once("export-failed", format_args!("span export failed: {error}"));
            }
        }
    }
}
