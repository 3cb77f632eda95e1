//! What a sampled setup was asked to record and what reached its sink: the benchmark's
//! proof that it measured real work, case by case.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sinks::{Counts, Received};

/// One library setup seen from the benchmark: the counters of its sink, a way to push
/// everything it has queued to that sink, and the spans that timed loops started.
pub struct Tally {
    received: Arc<Received>,
    flush: Box<dyn Fn() + Send + Sync>,
    started: AtomicU64,
}

impl fmt::Debug for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tally")
            .field("received", &self.received.counts())
            .field("started", &self.started.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Spans started while a benchmark ran, and how many of them reached the sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Spans the timed loops started (warm-up included).
    pub started: u64,
    /// Spans that reached the sink once everything was flushed.
    pub delivered: u64,
}

impl Delivery {
    /// Delivered spans as a percentage of started ones.
    pub fn percent(&self) -> f64 {
        if self.started == 0 {
            return 0.0;
        }
        100.0 * self.delivered as f64 / self.started as f64
    }
}

impl Tally {
    /// A tally over `received`; `flush` must return once everything queued so far has
    /// reached the sink.
    pub fn new(received: Arc<Received>, flush: impl Fn() + Send + Sync + 'static) -> Tally {
        Tally { received, flush: Box::new(flush), started: AtomicU64::new(0) }
    }

    /// Adds `spans` to the spans started; timed loops call this once per batch of
    /// iterations, outside the timing.
    pub fn count_started(&self, spans: u64) {
        self.started.fetch_add(spans, Ordering::Relaxed);
    }

    /// Pushes everything queued to the sink.
    pub fn flush(&self) {
        (self.flush)();
    }

    /// What one call of `run` delivers to the sink, not counting what earlier runs left
    /// queued.
    pub fn delivered_by(&self, run: impl FnOnce()) -> Counts {
        self.flush();
        let before = self.received.counts();
        run();
        self.flush();
        self.received.counts().since(before)
    }

    /// Runs `bench` (which counts the spans it starts with [`Tally::count_started`]) and
    /// reports how many of them reached the sink.
    pub fn delivery_of(&self, bench: impl FnOnce()) -> Delivery {
        let started_before = self.started.load(Ordering::Relaxed);
        let delivered = self.delivered_by(bench).spans;
        Delivery { started: self.started.load(Ordering::Relaxed) - started_before, delivered }
    }
}
