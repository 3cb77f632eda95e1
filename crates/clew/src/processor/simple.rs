//! Export on the thread that ends the span: no queue, no background thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Counters, ExportSide};
use crate::data::{SpanData, TraceEvent};
use crate::export::{ExportError, SpanExporter};
use crate::redact::Redaction;
use crate::resource::Resource;

pub(crate) struct SimpleProcessor {
    pub(super) export: ExportSide,
    pub(super) export_timeout: Duration,
    pub(super) counters: Counters,
    pub(super) shut_down: AtomicBool,
    pub(super) exporter: Arc<dyn SpanExporter>,
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

    pub(super) fn export(&self, spans: Vec<SpanData>, events: Vec<TraceEvent>) {
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

    pub(super) fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.exporter.shutdown(Instant::now() + timeout)
    }
}
