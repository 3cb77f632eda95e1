//! An exporter that keeps everything in memory, for tests.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::{Batch, ExportError, SpanExporter};
use crate::data::{SpanData, TraceEvent};
use crate::resource::Resource;

#[derive(Debug, Default)]
struct Recorded {
    spans: Vec<SpanData>,
    events: Vec<TraceEvent>,
    resource: Option<Arc<Resource>>,
    batches: usize,
}

/// Keeps every exported span and trace-level event; clones share the same store.
///
/// ```
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// tracer.span("checkout").start().end();
/// assert_eq!(exporter.len(), 1);
/// assert_eq!(exporter.spans()[0].name, "checkout");
/// exporter.clear();
/// assert!(exporter.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct InMemoryExporter {
    recorded: Arc<Mutex<Recorded>>,
}

impl InMemoryExporter {
    /// An empty store.
    pub fn new() -> InMemoryExporter {
        InMemoryExporter::default()
    }

    fn recorded(&self) -> MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The spans exported so far, in the order they were exported.
    pub fn spans(&self) -> Vec<SpanData> {
        self.recorded().spans.clone()
    }

    /// The trace-level events exported so far.
    pub fn trace_events(&self) -> Vec<TraceEvent> {
        self.recorded().events.clone()
    }

    /// The resource of the last batch.
    pub fn resource(&self) -> Option<Arc<Resource>> {
        self.recorded().resource.clone()
    }

    /// The number of spans exported so far.
    pub fn len(&self) -> usize {
        self.recorded().spans.len()
    }

    /// Whether no span has been exported.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of export calls so far.
    pub fn batches(&self) -> usize {
        self.recorded().batches
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut recorded = self.recorded();
        recorded.spans.clear();
        recorded.events.clear();
        recorded.batches = 0;
    }

    /// The exported spans drawn as an indented tree; see [`crate::testing::render_tree`].
    pub fn tree(&self) -> String {
        crate::testing::render_tree(&self.spans())
    }
}

impl SpanExporter for InMemoryExporter {
    fn export(&self, mut batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        let mut recorded = self.recorded();
        recorded.spans.append(&mut batch.spans);
        recorded.events.append(&mut batch.events);
        recorded.resource = Some(batch.resource.clone());
        recorded.batches += 1;
        Ok(())
    }
}
