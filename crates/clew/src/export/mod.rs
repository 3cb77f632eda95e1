//! Exporters: where finished spans and trace-level events go.
//!
//! The batch processor hands each [`Batch`] to a [`SpanExporter`] on one of its export
//! threads, never on the application's. Included here: [`StdoutExporter`] (JSON lines),
//! [`InMemoryExporter`] (for tests) and [`NoneExporter`]; OTLP lives in `clew-otlp`.

mod memory;
mod stdout;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

pub use memory::InMemoryExporter;
pub use stdout::StdoutExporter;

use crate::data::{SpanData, TraceEvent};
use crate::resource::Resource;

/// What one export carries: finished spans, trace-level events, and the resource of the
/// tracer that produced them.
///
/// When the batch is dropped, the attribute lists of the spans still in it are kept for
/// reuse by new spans; an exporter that wants to keep spans takes them with
/// `std::mem::take(&mut batch.spans)`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Batch {
    /// The producer.
    pub resource: Arc<Resource>,
    /// Finished spans, redacted and limited.
    pub spans: Vec<SpanData>,
    /// Trace-level events, redacted.
    pub events: Vec<TraceEvent>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        crate::recycle::give_back(self.spans.iter_mut().map(|span| std::mem::take(&mut span.attributes)));
    }
}

impl Batch {
    /// A batch of spans and events from `resource`.
    pub fn new(resource: Arc<Resource>, spans: Vec<SpanData>, events: Vec<TraceEvent>) -> Batch {
        Batch { resource, spans, events }
    }

    /// Spans plus events.
    pub fn len(&self) -> usize {
        self.spans.len() + self.events.len()
    }

    /// Whether the batch carries nothing.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.events.is_empty()
    }
}

/// Why an export failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// The deadline passed before the export finished.
    Timeout,
    /// The exporter was shut down.
    Shutdown,
    /// The destination refused or could not be reached.
    Failed {
        /// What the exporter knows.
        message: String,
        /// The underlying error, if any.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ExportError {
    /// A failure with a message.
    pub fn failed(message: impl Into<String>) -> ExportError {
        ExportError::Failed { message: message.into(), source: None }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Timeout => f.write_str("export did not finish before its deadline"),
            ExportError::Shutdown => f.write_str("exporter is shut down"),
            ExportError::Failed { message, .. } => write!(f, "export failed: {message}"),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Failed { source: Some(source), .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// A destination for finished spans.
///
/// `export` runs on an export thread of the processor, at most `max_in_flight` at once,
/// and should give up by `deadline`. It may block; it must not panic (a panic is caught,
/// counted as a failed export, and the processor goes on).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use clew::{Batch, ExportError, SpanExporter};
///
/// #[derive(Debug, Default)]
/// struct CountingExporter(AtomicUsize);
///
/// impl SpanExporter for CountingExporter {
///     fn export(&self, batch: Batch, _deadline: std::time::Instant) -> Result<(), ExportError> {
///         self.0.fetch_add(batch.spans.len(), Ordering::Relaxed);
///         Ok(())
///     }
/// }
/// let tracer = clew::Tracer::builder().exporter(CountingExporter::default()).build();
/// ```
pub trait SpanExporter: Send + Sync + fmt::Debug + 'static {
    /// Sends one batch.
    fn export(&self, batch: Batch, deadline: Instant) -> Result<(), ExportError>;

    /// Sends anything the exporter buffers itself.
    fn force_flush(&self, _deadline: Instant) -> Result<(), ExportError> {
        Ok(())
    }

    /// Releases the exporter's resources; later exports may fail.
    fn shutdown(&self, _deadline: Instant) -> Result<(), ExportError> {
        Ok(())
    }
}

impl<T: SpanExporter + ?Sized> SpanExporter for Arc<T> {
    fn export(&self, batch: Batch, deadline: Instant) -> Result<(), ExportError> {
        (**self).export(batch, deadline)
    }
    fn force_flush(&self, deadline: Instant) -> Result<(), ExportError> {
        (**self).force_flush(deadline)
    }
    fn shutdown(&self, deadline: Instant) -> Result<(), ExportError> {
        (**self).shutdown(deadline)
    }
}

/// Discards everything. A tracer with this exporter records nothing at all: spans are
/// still sampled and propagated, but never built.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoneExporter;

impl SpanExporter for NoneExporter {
    fn export(&self, _batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        Ok(())
    }
}
