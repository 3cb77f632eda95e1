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

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crate::config::BatchConfig;
use crate::data::{SpanData, TraceEvent};
use crate::export::{Batch, ExportError, SpanExporter};
use crate::redact::Redaction;
use crate::resource::Resource;

/// Keeps a value on cache lines of its own, so that threads writing it do not slow down
/// threads reading its neighbours (128 bytes: the line and the one prefetched with it).
#[repr(align(128))]
#[derive(Default)]
struct Padded<T>(T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> PipelineStats {
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
struct ExportSide {
    exporter: Arc<dyn SpanExporter>,
    resource: Arc<Resource>,
    redaction: Redaction,
}

impl ExportSide {
    fn batch(&self, mut spans: Vec<SpanData>, mut events: Vec<TraceEvent>) -> Batch {
        self.redaction.apply_to_batch(&mut spans, &mut events);
        Batch::new(self.resource.clone(), spans, events)
    }

    /// Runs one export, catching a panicking exporter; returns whether it succeeded.
    fn run(&self, batch: Batch, deadline: Instant) -> Result<(), ExportError> {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.exporter.export(batch, deadline)));
        match outcome {
            Ok(result) => result,
            Err(_) => Err(ExportError::failed("the exporter panicked")),
        }
    }

    fn count(&self, counters: &Counters, size: usize, result: Result<(), ExportError>) {
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

pub(crate) struct SimpleProcessor {
    export: ExportSide,
    export_timeout: Duration,
    counters: Counters,
    shut_down: AtomicBool,
    exporter: Arc<dyn SpanExporter>,
}

impl SimpleProcessor {
    pub(crate) fn new(
        exporter: Arc<dyn SpanExporter>,
        resource: Arc<Resource>,
        redaction: Redaction,
        export_timeout: Duration,
    ) -> SimpleProcessor {
        SimpleProcessor {
            export: ExportSide { exporter: exporter.clone(), resource, redaction },
            export_timeout,
            counters: Counters::default(),
            shut_down: AtomicBool::new(false),
            exporter,
        }
    }

    fn export(&self, spans: Vec<SpanData>, events: Vec<TraceEvent>) {
        let size = spans.len() + events.len();
        if self.shut_down.load(Ordering::Acquire) {
            self.counters.dropped.fetch_add(size as u64, Ordering::Relaxed);
            return;
        }
        self.counters.queued.fetch_add(size as u64, Ordering::Relaxed);
        let batch = self.export.batch(spans, events);
        let result = self.export.run(batch, Instant::now() + self.export_timeout);
        self.export.count(&self.counters, size, result);
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.exporter.shutdown(Instant::now() + timeout)
    }
}

enum Item {
    Span(Box<SpanData>),
    Event(TraceEvent),
}

#[derive(Default)]
struct Pending {
    /// Moved here by the thread that ended them; this list keeps its capacity when the
    /// drain thread takes its items, so pushing rarely allocates.
    spans: Vec<SpanData>,
    events: Vec<TraceEvent>,
    /// Items ever pushed here: counted under the queue's own lock, so producers never
    /// write a shared counter.
    accepted: u64,
}

impl Pending {
    fn len(&self) -> usize {
        self.spans.len() + self.events.len()
    }

    fn push(&mut self, item: Item) {
        self.accepted += 1;
        match item {
            Item::Span(span) => self.spans.push(*span),
            Item::Event(event) => self.events.push(event),
        }
    }
}

/// One application thread's queue.
#[derive(Default)]
struct LocalQueue {
    pending: Mutex<Pending>,
    /// Set when the owning thread exits; the drain thread then drains and forgets it.
    orphaned: AtomicBool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Request {
    Flush,
    Shutdown,
}

struct Control {
    request: Request,
    deadline: Instant,
    reply: mpsc::Sender<Result<(), ExportError>>,
}

struct Shared {
    config: BatchConfig,
    export: ExportSide,
    /// Written by export threads; `queued` holds the counts of forgotten thread queues.
    counters: Padded<Counters>,
    /// Room taken in the queues: items queued anywhere plus unused thread credit.
    reserved: Padded<AtomicUsize>,
    /// Each thread's queue, registered on its first span.
    queues: Mutex<Vec<Arc<LocalQueue>>>,
    /// Items pushed while the pushing thread's locals were being torn down.
    orphan_items: Mutex<Pending>,
    controls: Mutex<Vec<Control>>,
    /// Set by a producer whose queue reached a batch or found no room; cleared by the
    /// drain thread when it gathers.
    batch_ready: Padded<AtomicBool>,
    shut_down: AtomicBool,
    /// Whether the full queue was reported (once per processor, off the hot path after).
    reported_full: AtomicBool,
    /// Exports running now, and a condition to wait for a free slot.
    in_flight: Mutex<usize>,
    slot_freed: Condvar,
    drain_thread: OnceLock<Thread>,
    /// Identifies this processor in threads' local registries.
    id: usize,
}

static NEXT_PROCESSOR_ID: AtomicUsize = AtomicUsize::new(1);

/// A thread's registration with one processor.
struct LocalEntry {
    processor: usize,
    queue: Arc<LocalQueue>,
    /// Slots this thread reserved and has not used yet.
    credit: usize,
    shared: Arc<Shared>,
}

impl Drop for LocalEntry {
    fn drop(&mut self) {
        self.shared.reserved.fetch_sub(self.credit, Ordering::AcqRel);
        self.queue.orphaned.store(true, Ordering::Release);
    }
}

thread_local! {
    static LOCAL_ENTRIES: RefCell<Vec<LocalEntry>> = const { RefCell::new(Vec::new()) };
}

const MAX_CREDIT_CHUNK: usize = 64;

pub(crate) struct BatchProcessor {
    shared: Arc<Shared>,
}

impl BatchProcessor {
    pub(crate) fn new(
        config: BatchConfig,
        exporter: Arc<dyn SpanExporter>,
        resource: Arc<Resource>,
        redaction: Redaction,
    ) -> BatchProcessor {
        let config = config.normalized();
        let shared = Arc::new(Shared {
            config,
            export: ExportSide { exporter, resource, redaction },
            counters: Padded::default(),
            reserved: Padded::default(),
            queues: Mutex::new(Vec::new()),
            orphan_items: Mutex::new(Pending::default()),
            controls: Mutex::new(Vec::new()),
            batch_ready: Padded::default(),
            shut_down: AtomicBool::new(false),
            reported_full: AtomicBool::new(false),
            in_flight: Mutex::new(0),
            slot_freed: Condvar::new(),
            drain_thread: OnceLock::new(),
            id: NEXT_PROCESSOR_ID.fetch_add(1, Ordering::Relaxed),
        });
        let drain_shared = shared.clone();
        let spawned = thread::Builder::new().name("clew-drain".into()).spawn(move || drain_loop(drain_shared));
        match spawned {
            Ok(handle) => {
                let _ = shared.drain_thread.set(handle.thread().clone());
            }
            Err(error) => {
                crate::diagnostics::report_once(
                    "drain-spawn",
                    format_args!("could not start the export thread ({error}); spans will be dropped"),
                );
                shared.shut_down.store(true, Ordering::Release);
            }
        }
        BatchProcessor { shared }
    }

    #[inline]
    fn push(&self, item: Item) {
        let shared = &self.shared;
        if shared.shut_down.load(Ordering::Acquire) {
            shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // The item moves into the closure once; every path below either queues it or
        // counts it as dropped.
        let pushed = LOCAL_ENTRIES.try_with(move |entries| {
            let Ok(mut entries) = entries.try_borrow_mut() else {
                // Re-entered (from a diagnostics handler, say): use the shared queue.
                shared.push_orphan(item);
                return;
            };
            let index = match entries.iter().position(|entry| entry.processor == shared.id) {
                Some(index) => index,
                None => {
                    let queue = Arc::new(LocalQueue::default());
                    lock(&shared.queues).push(queue.clone());
                    entries.push(LocalEntry { processor: shared.id, queue, credit: 0, shared: shared.clone() });
                    entries.len() - 1
                }
            };
            let entry = &mut entries[index];
            if entry.credit == 0 {
                entry.credit = shared.reserve();
                if entry.credit == 0 {
                    shared.queue_full();
                    return;
                }
            }
            entry.credit -= 1;
            let queued = {
                let mut pending = lock(&entry.queue.pending);
                pending.push(item);
                pending.len()
            };
            if queued >= shared.config.max_export_batch_size {
                shared.request_drain();
            }
        });
        // This thread's locals are already torn down: the item went with the closure.
        if pushed.is_err() {
            shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn request(&self, request: Request, timeout: Duration) -> Result<(), ExportError> {
        let deadline = Instant::now() + timeout;
        let shared = &self.shared;
        // After shutdown there is nothing left to deliver, and no drain thread to ask.
        if shared.shut_down.load(Ordering::Acquire) {
            return Ok(());
        }
        let (reply, answer) = mpsc::channel();
        lock(&shared.controls).push(Control { request, deadline, reply });
        shared.wake();
        match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(result) => result,
            Err(_) => Err(ExportError::Timeout),
        }
    }
}

impl Shared {
    /// Reserves a chunk of queue room; 0 when the queue is full.
    fn reserve(&self) -> usize {
        let cap = self.config.max_queue_size;
        let chunk = (cap / 32).clamp(1, MAX_CREDIT_CHUNK);
        for size in [chunk, 1] {
            let before = self.reserved.fetch_add(size, Ordering::AcqRel);
            if before + size <= cap {
                return size;
            }
            self.reserved.fetch_sub(size, Ordering::AcqRel);
        }
        0
    }

    fn push_orphan(&self, item: Item) {
        if self.reserved.fetch_add(1, Ordering::AcqRel) >= self.config.max_queue_size {
            self.reserved.fetch_sub(1, Ordering::AcqRel);
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        lock(&self.orphan_items).push(item);
    }

    /// Counts a span or event dropped for want of room, and asks for a drain.
    #[cold]
    fn queue_full(&self) {
        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        self.request_drain();
        if !self.reported_full.swap(true, Ordering::Relaxed) {
            crate::diagnostics::report_once(
                "queue-full",
                format_args!(
                    "span queue is full ({} items); dropping spans until the exporter catches up",
                    self.config.max_queue_size
                ),
            );
        }
    }

    /// Items accepted so far: the live queues' counts plus those of forgotten queues.
    fn accepted(&self) -> u64 {
        let queues = lock(&self.queues);
        let live: u64 = queues.iter().map(|queue| lock(&queue.pending).accepted).sum();
        drop(queues);
        live + lock(&self.orphan_items).accepted + self.counters.queued.load(Ordering::Relaxed)
    }

    /// Asks the drain thread to gather now. Only the first request since its last
    /// gather wakes it, so a producer that keeps finding a full queue costs one atomic
    /// load per span, not a wake-up.
    #[inline]
    fn request_drain(&self) {
        if !self.batch_ready.load(Ordering::Relaxed) && !self.batch_ready.swap(true, Ordering::AcqRel) {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Some(thread) = self.drain_thread.get() {
            thread.unpark();
        }
    }

    /// Moves every thread's queue into `pending`; forgets queues of exited threads.
    fn gather(&self, pending: &mut Pending) {
        let mut queues = lock(&self.queues);
        queues.retain(|queue| {
            // Read the flag first: a queue orphaned after this read is drained next time.
            let orphaned = queue.orphaned.load(Ordering::Acquire);
            let mut local = lock(&queue.pending);
            pending.spans.append(&mut local.spans);
            pending.events.append(&mut local.events);
            if orphaned {
                self.counters.queued.fetch_add(local.accepted, Ordering::Relaxed);
            }
            !orphaned
        });
        drop(queues);
        let mut orphans = lock(&self.orphan_items);
        pending.spans.append(&mut orphans.spans);
        pending.events.append(&mut orphans.events);
    }
}

/// The drain thread: gathers, cuts batches, hands them to export threads, answers
/// flush and shutdown.
fn drain_loop(shared: Arc<Shared>) {
    let (job_sender, job_receiver) = mpsc::channel::<Job>();
    let job_receiver = Arc::new(Mutex::new(job_receiver));
    let mut workers = Vec::new();
    for index in 0..shared.config.max_concurrent_exports {
        let worker_shared = shared.clone();
        let receiver = job_receiver.clone();
        let spawned = thread::Builder::new()
            .name(format!("clew-export-{index}"))
            .spawn(move || export_loop(worker_shared, receiver));
        match spawned {
            Ok(handle) => workers.push(handle),
            Err(error) => crate::diagnostics::report_once(
                "export-spawn",
                format_args!("could not start an export thread: {error}"),
            ),
        }
    }
    let exporters_available = !workers.is_empty();
    let mut pending = Pending::default();
    let mut queue: VecDeque<(Vec<SpanData>, Vec<TraceEvent>)> = VecDeque::new();
    let mut next_scheduled = Instant::now() + shared.config.scheduled_delay;
    loop {
        let controls: Vec<Control> = std::mem::take(&mut *lock(&shared.controls));
        let batch_ready = shared.batch_ready.swap(false, Ordering::AcqRel);
        let now = Instant::now();
        let scheduled = now >= next_scheduled;
        if controls.is_empty() && !batch_ready && !scheduled {
            thread::park_timeout(next_scheduled.saturating_duration_since(now));
            continue;
        }
        shared.gather(&mut pending);
        let everything = scheduled || !controls.is_empty();
        cut_batches(&shared, &mut pending, &mut queue, everything);
        if scheduled {
            next_scheduled = Instant::now() + shared.config.scheduled_delay;
        }
        let deadline = controls.iter().map(|control| control.deadline).max();
        let dispatched = dispatch(&shared, &mut queue, &job_sender, deadline, exporters_available);
        if controls.is_empty() {
            continue;
        }
        let control_deadline = deadline.unwrap_or_else(Instant::now);
        let drained = dispatched && wait_idle(&shared, control_deadline);
        let flushed =
            if drained { shared.export.exporter.force_flush(control_deadline) } else { Err(ExportError::Timeout) };
        let shutting_down = controls.iter().any(|control| control.request == Request::Shutdown);
        let shutdown_result = if shutting_down {
            shared.shut_down.store(true, Ordering::Release);
            Some(shared.export.exporter.shutdown(control_deadline))
        } else {
            None
        };
        for control in controls {
            let result = match (&flushed, control.request, &shutdown_result) {
                (Err(_), _, _) => Err(ExportError::Timeout),
                (Ok(()), Request::Shutdown, Some(Err(error))) => Err(ExportError::failed(error.to_string())),
                _ => Ok(()),
            };
            let _ = control.reply.send(result);
        }
        if shutting_down {
            break;
        }
    }
    // Whatever arrived during shutdown is dropped and counted.
    shared.gather(&mut pending);
    let leftover = pending.len() + queue.iter().map(|(spans, events)| spans.len() + events.len()).sum::<usize>();
    shared.counters.dropped.fetch_add(leftover as u64, Ordering::Relaxed);
    drop(job_sender);
}

/// Cuts full batches from `pending`, and the remainder too when `everything`.
fn cut_batches(
    shared: &Shared,
    pending: &mut Pending,
    queue: &mut VecDeque<(Vec<SpanData>, Vec<TraceEvent>)>,
    everything: bool,
) {
    let size = shared.config.max_export_batch_size;
    while pending.len() >= size || (everything && pending.len() > 0) {
        let span_count = pending.spans.len().min(size);
        let event_count = pending.events.len().min(size - span_count);
        let spans = take_front(&mut pending.spans, span_count);
        let events = take_front(&mut pending.events, event_count);
        queue.push_back((spans, events));
    }
}

/// The first `count` items of `items`, keeping their allocation: only the (usually
/// short) rest is copied.
fn take_front<T>(items: &mut Vec<T>, count: usize) -> Vec<T> {
    if count >= items.len() {
        return std::mem::take(items);
    }
    let rest = items.split_off(count);
    std::mem::replace(items, rest)
}

/// Hands queued batches to export threads, waiting for free slots until `deadline`
/// (or for as long as it takes when there is none). Returns whether all were handed over.
fn dispatch(
    shared: &Shared,
    queue: &mut VecDeque<(Vec<SpanData>, Vec<TraceEvent>)>,
    jobs: &mpsc::Sender<Job>,
    deadline: Option<Instant>,
    exporters_available: bool,
) -> bool {
    while let Some((spans, events)) = queue.pop_front() {
        let size = spans.len() + events.len();
        let mut in_flight = lock(&shared.in_flight);
        while *in_flight >= shared.config.max_concurrent_exports {
            let wait = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => shared.config.export_timeout.max(Duration::from_millis(10)),
            };
            if wait.is_zero() {
                drop(in_flight);
                queue.push_front((spans, events));
                return false;
            }
            in_flight = shared.slot_freed.wait_timeout(in_flight, wait).unwrap_or_else(PoisonError::into_inner).0;
        }
        *in_flight += 1;
        drop(in_flight);
        shared.reserved.fetch_sub(size, Ordering::AcqRel);
        let batch = shared.export.batch(spans, events);
        let job = Job { batch, size };
        if !exporters_available {
            // No export thread could be started: export here rather than lose the batch.
            run_job(shared, job);
            continue;
        }
        if let Err(mpsc::SendError(job)) = jobs.send(job) {
            run_job(shared, job);
        }
    }
    true
}

struct Job {
    batch: Batch,
    size: usize,
}

fn run_job(shared: &Shared, job: Job) {
    let deadline = Instant::now() + shared.config.export_timeout;
    let result = shared.export.run(job.batch, deadline);
    shared.export.count(&shared.counters, job.size, result);
    let mut in_flight = lock(&shared.in_flight);
    *in_flight = in_flight.saturating_sub(1);
    shared.slot_freed.notify_all();
}

fn export_loop(shared: Arc<Shared>, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let job = lock(&jobs).recv();
        let Ok(job) = job else {
            return;
        };
        run_job(&shared, job);
    }
}

/// Waits until no export is running, or `deadline`; returns whether it became idle.
fn wait_idle(shared: &Shared, deadline: Instant) -> bool {
    let mut in_flight = lock(&shared.in_flight);
    while *in_flight > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return false;
        }
        in_flight = shared.slot_freed.wait_timeout(in_flight, wait).unwrap_or_else(PoisonError::into_inner).0;
    }
    true
}
