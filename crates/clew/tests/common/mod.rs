//! Exporters that tests control: one that can be held shut, one that can be waited on.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use clew::{Batch, ExportError, SpanData, SpanExporter, TraceEvent};

#[derive(Default, Debug)]
struct State {
    spans: Vec<SpanData>,
    events: Vec<TraceEvent>,
    batch_sizes: Vec<usize>,
    open: bool,
    running: usize,
    most_running: usize,
    fail: bool,
    panic: bool,
}

/// An exporter that records batches, can be held shut (exports wait until opened), and
/// lets a test wait for a condition instead of sleeping.
#[derive(Clone, Debug)]
pub struct ControlledExporter {
    state: Arc<(Mutex<State>, Condvar)>,
}

impl ControlledExporter {
    /// Exports go through at once.
    pub fn open() -> ControlledExporter {
        ControlledExporter { state: Arc::new((Mutex::new(State { open: true, ..State::default() }), Condvar::new())) }
    }

    /// Exports wait until `release` is called.
    pub fn held() -> ControlledExporter {
        ControlledExporter { state: Arc::new((Mutex::new(State::default()), Condvar::new())) }
    }

    pub fn release(&self) {
        let (lock, changed) = &*self.state;
        lock.lock().unwrap().open = true;
        changed.notify_all();
    }

    pub fn fail_exports(&self) {
        self.state.0.lock().unwrap().fail = true;
    }

    pub fn panic_in_exports(&self) {
        self.state.0.lock().unwrap().panic = true;
    }

    pub fn spans(&self) -> Vec<SpanData> {
        self.state.0.lock().unwrap().spans.clone()
    }

    pub fn events(&self) -> Vec<TraceEvent> {
        self.state.0.lock().unwrap().events.clone()
    }

    pub fn batch_sizes(&self) -> Vec<usize> {
        self.state.0.lock().unwrap().batch_sizes.clone()
    }

    /// The most exports that ran at the same time.
    pub fn most_running(&self) -> usize {
        self.state.0.lock().unwrap().most_running
    }

    /// Exports running now.
    pub fn running(&self) -> usize {
        self.state.0.lock().unwrap().running
    }

    /// Waits until `condition` holds for the state, or `timeout`; returns whether it held.
    fn wait(&self, timeout: Duration, condition: impl Fn(&State) -> bool) -> bool {
        let (lock, changed) = &*self.state;
        let deadline = Instant::now() + timeout;
        let mut state = lock.lock().unwrap();
        while !condition(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = changed.wait_timeout(state, left).unwrap().0;
        }
        true
    }

    /// Waits until at least `count` spans were exported.
    pub fn wait_for_spans(&self, count: usize, timeout: Duration) -> bool {
        self.wait(timeout, |state| state.spans.len() >= count)
    }

    /// Waits until `count` exports are running at once.
    pub fn wait_for_running(&self, count: usize, timeout: Duration) -> bool {
        self.wait(timeout, |state| state.running >= count)
    }
}

impl SpanExporter for ControlledExporter {
    fn export(&self, mut batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        let (lock, changed) = &*self.state;
        let mut state = lock.lock().unwrap();
        state.running += 1;
        state.most_running = state.most_running.max(state.running);
        changed.notify_all();
        while !state.open {
            state = changed.wait(state).unwrap();
        }
        state.running -= 1;
        state.batch_sizes.push(batch.len());
        let fail = state.fail;
        let panic = state.panic;
        if !fail && !panic {
            state.spans.append(&mut batch.spans);
            state.events.append(&mut batch.events);
        }
        changed.notify_all();
        drop(state);
        if panic {
            panic!("exporter panics on purpose");
        }
        if fail { Err(ExportError::failed("refused on purpose")) } else { Ok(()) }
    }
}

/// A tracer that ignores the environment and exports to `exporter` on the caller's thread.
pub fn simple_tracer(exporter: &clew::InMemoryExporter) -> clew::Tracer {
    clew::Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build()
}
