//! Sinks that drop what they receive after counting it: one per library, so every span
//! is really recorded and travels through its library's queue and background thread, and
//! the benchmark can check that it did.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use fastrace::collector::{Reporter, SpanRecord};
use opentelemetry_sdk::error::OTelSdkResult;

/// How many spans, and attributes on them, reached a sink.
#[derive(Debug, Default)]
pub struct Received {
    spans: AtomicU64,
    attributes: AtomicU64,
}

impl Received {
    /// What has arrived so far.
    pub fn counts(&self) -> Counts {
        Counts { spans: self.spans.load(Ordering::Relaxed), attributes: self.attributes.load(Ordering::Relaxed) }
    }

    fn add(&self, spans: usize, attributes: usize) {
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        self.attributes.fetch_add(attributes as u64, Ordering::Relaxed);
    }
}

/// A reading of [`Received`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Spans received.
    pub spans: u64,
    /// Attributes (properties, for fastrace) on those spans.
    pub attributes: u64,
}

impl Counts {
    /// What arrived between `earlier` and this reading.
    pub fn since(self, earlier: Counts) -> Counts {
        Counts { spans: self.spans - earlier.spans, attributes: self.attributes - earlier.attributes }
    }
}

/// A clew exporter that counts each batch and drops it.
///
/// ```
/// let exporter = clew_bench::ClewDiscard::default();
/// let received = exporter.received();
/// let tracer = clew::Tracer::builder().ignore_env().exporter(exporter).build();
/// tracer.span("work").start().end();
/// tracer.flush(std::time::Duration::from_secs(5)).unwrap();
/// assert_eq!(received.counts().spans, 1);
/// ```
#[derive(Debug, Default, Clone)]
pub struct ClewDiscard {
    received: Arc<Received>,
}

impl ClewDiscard {
    /// The counters this exporter adds to.
    pub fn received(&self) -> Arc<Received> {
        self.received.clone()
    }
}

impl clew::SpanExporter for ClewDiscard {
    fn export(&self, batch: clew::Batch, _deadline: Instant) -> Result<(), clew::ExportError> {
        let attributes = batch.spans.iter().map(|span| span.attributes.len()).sum();
        self.received.add(batch.spans.len(), attributes);
        Ok(())
    }
}

/// A fastrace reporter that counts each batch of span records and drops it.
#[derive(Debug, Default, Clone)]
pub struct FastraceDiscard {
    received: Arc<Received>,
}

impl FastraceDiscard {
    /// The counters this reporter adds to.
    pub fn received(&self) -> Arc<Received> {
        self.received.clone()
    }
}

impl Reporter for FastraceDiscard {
    fn report(&mut self, spans: Vec<SpanRecord>) {
        let properties = spans.iter().map(|span| span.properties.len()).sum();
        self.received.add(spans.len(), properties);
    }
}

/// An OpenTelemetry SDK exporter that counts each batch and drops it.
#[derive(Debug, Default, Clone)]
pub struct OtelDiscard {
    received: Arc<Received>,
}

impl OtelDiscard {
    /// The counters this exporter adds to.
    pub fn received(&self) -> Arc<Received> {
        self.received.clone()
    }
}

impl opentelemetry_sdk::trace::SpanExporter for OtelDiscard {
    fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let attributes = batch.iter().map(|span| span.attributes.len()).sum();
        self.received.add(batch.len(), attributes);
        std::future::ready(Ok(()))
    }
}
