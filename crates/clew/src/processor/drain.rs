//! The drain thread and the export threads: gathering, cutting batches, exporting.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::batch::{Control, Pending, Request, Shared};
use super::lock;
use crate::data::{SpanData, TraceEvent};
use crate::export::{Batch, ExportError, SpanExporter};

/// The drain thread: gathers, cuts batches, hands them to export threads, answers
/// flush and shutdown.
pub(super) fn drain_loop(shared: Arc<Shared>) {
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
pub(super) fn cut_batches(
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
pub(super) fn take_front<T>(items: &mut Vec<T>, count: usize) -> Vec<T> {
    if count >= items.len() {
        return std::mem::take(items);
    }
    let rest = items.split_off(count);
    std::mem::replace(items, rest)
}

/// Hands queued batches to export threads, waiting for free slots until `deadline`
/// (or for as long as it takes when there is none). Returns whether all were handed over.
pub(super) fn dispatch(
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

pub(super) struct Job {
    pub(super) batch: Batch,
    pub(super) size: usize,
}

pub(super) fn run_job(shared: &Shared, job: Job) {
    let deadline = Instant::now() + shared.config.export_timeout;
    let result = shared.export.run(job.batch, deadline);
    shared.export.count(&shared.counters, job.size, result);
    let mut in_flight = lock(&shared.in_flight);
    *in_flight = in_flight.saturating_sub(1);
    shared.slot_freed.notify_all();
}

pub(super) fn export_loop(shared: Arc<Shared>, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let job = lock(&jobs).recv();
        let Ok(job) = job else {
            return;
        };
        run_job(&shared, job);
    }
}

/// Waits until no export is running, or `deadline`; returns whether it became idle.
pub(super) fn wait_idle(shared: &Shared, deadline: Instant) -> bool {
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
