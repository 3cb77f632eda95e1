//! The batch processor's application side: per-thread queues, shared room, and the
//! requests (flush, shutdown) sent to the drain thread.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::drain::drain_loop;
use super::{Counters, ExportSide, Padded, lock};
use crate::config::BatchConfig;
use crate::data::{SpanData, TraceEvent};
use crate::export::{ExportError, SpanExporter};
use crate::redact::Redaction;
use crate::resource::Resource;

pub(super) enum Item {
    Span(Box<SpanData>),
    Event(TraceEvent),
}

#[derive(Default)]
pub(super) struct Pending {
    /// Moved here by the thread that ended them; this list keeps its capacity when the
    /// drain thread takes its items, so pushing rarely allocates.
    pub(super) spans: Vec<SpanData>,
    pub(super) events: Vec<TraceEvent>,
    /// Items ever pushed here: counted under the queue's own lock, so producers never
    /// write a shared counter.
    pub(super) accepted: u64,
}

impl Pending {
    pub(super) fn len(&self) -> usize {
        self.spans.len() + self.events.len()
    }

    pub(super) fn push(&mut self, item: Item) {
        self.accepted += 1;
        match item {
            Item::Span(span) => self.spans.push(*span),
            Item::Event(event) => self.events.push(event),
        }
    }
}

/// One application thread's queue.
#[derive(Default)]
pub(super) struct LocalQueue {
    pub(super) pending: Mutex<Pending>,
    /// Set when the owning thread exits; the drain thread then drains and forgets it.
    pub(super) orphaned: AtomicBool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Request {
    Flush,
    Shutdown,
}

pub(super) struct Control {
    pub(super) request: Request,
    pub(super) deadline: Instant,
    pub(super) reply: mpsc::Sender<Result<(), ExportError>>,
}

pub(super) struct Shared {
    pub(super) config: BatchConfig,
    pub(super) export: ExportSide,
    /// Written by export threads; `queued` holds the counts of forgotten thread queues.
    pub(super) counters: Padded<Counters>,
    /// Room taken in the queues: items queued anywhere plus unused thread credit.
    pub(super) reserved: Padded<AtomicUsize>,
    /// Each thread's queue, registered on its first span.
    pub(super) queues: Mutex<Vec<Arc<LocalQueue>>>,
    /// Items pushed while the pushing thread's queue registry was busy (a re-entrant push).
    pub(super) orphan_items: Mutex<Pending>,
    pub(super) controls: Mutex<Vec<Control>>,
    /// Set by a producer whose queue reached a batch or found no room; cleared by the
    /// drain thread when it gathers.
    pub(super) batch_ready: Padded<AtomicBool>,
    pub(super) shut_down: AtomicBool,
    /// Whether the full queue was reported (once per processor, off the hot path after).
    pub(super) reported_full: AtomicBool,
    /// Exports running now, and a condition to wait for a free slot.
    pub(super) in_flight: Mutex<usize>,
    pub(super) slot_freed: Condvar,
    pub(super) drain_thread: OnceLock<Thread>,
    /// Identifies this processor in threads' local registries.
    pub(super) id: usize,
}

pub(super) static NEXT_PROCESSOR_ID: AtomicUsize = AtomicUsize::new(1);

/// A thread's registration with one processor.
pub(super) struct LocalEntry {
    pub(super) processor: usize,
    pub(super) queue: Arc<LocalQueue>,
    /// Slots this thread reserved and has not used yet.
    pub(super) credit: usize,
    pub(super) shared: Arc<Shared>,
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

pub(super) const MAX_CREDIT_CHUNK: usize = 64;

pub(crate) struct BatchProcessor {
    pub(super) shared: Arc<Shared>,
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
    pub(super) fn push(&self, item: Item) {
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

    pub(super) fn request(&self, request: Request, timeout: Duration) -> Result<(), ExportError> {
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
    pub(super) fn reserve(&self) -> usize {
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

    pub(super) fn push_orphan(&self, item: Item) {
        if self.reserved.fetch_add(1, Ordering::AcqRel) >= self.config.max_queue_size {
            self.reserved.fetch_sub(1, Ordering::AcqRel);
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        lock(&self.orphan_items).push(item);
    }

    /// Counts a span or event dropped for want of room, and asks for a drain.
    #[cold]
    pub(super) fn queue_full(&self) {
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
    pub(super) fn accepted(&self) -> u64 {
        let queues = lock(&self.queues);
        let live: u64 = queues.iter().map(|queue| lock(&queue.pending).accepted).sum();
        drop(queues);
        live + lock(&self.orphan_items).accepted + self.counters.queued.load(Ordering::Relaxed)
    }

    /// Asks the drain thread to gather now. Only the first request since its last
    /// gather wakes it, so a producer that keeps finding a full queue costs one atomic
    /// load per span, not a wake-up.
    #[inline]
    pub(super) fn request_drain(&self) {
        if !self.batch_ready.load(Ordering::Relaxed) && !self.batch_ready.swap(true, Ordering::AcqRel) {
            self.wake();
        }
    }

    pub(super) fn wake(&self) {
        if let Some(thread) = self.drain_thread.get() {
            thread.unpark();
        }
    }

    /// Moves every thread's queue into `pending`; forgets queues of exited threads.
    pub(super) fn gather(&self, pending: &mut Pending) {
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
