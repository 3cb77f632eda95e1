//! JSON lines on standard output (or any writer).

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

use super::{Batch, ExportError, SpanExporter};

/// Writes each span and trace-level event as one JSON object per line: what seed
/// tracers do when no ingest endpoint is configured, and what `clew import` reads.
///
/// A span line looks like
/// `{"type":"span","trace_id":"…","span_id":"…","parent_span_id":"…","name":"checkout",
/// "kind":"server","start_time_unix_nano":…,"end_time_unix_nano":…,"duration_ns":…,
/// "status":{"code":"ok"},"attributes":{…},"events":[…],"resource":{…}}`;
/// an event line has `"type":"event"`, `trace_id`, `time_unix_nano`, `level`, `name`,
/// `attributes` and `resource`.
///
/// ```
/// let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
/// let exporter = clew::StdoutExporter::to_writer(SharedBuffer(buffer.clone()));
/// let tracer = clew::Tracer::builder().exporter(exporter).build();
/// tracer.span("hello").start().end();
/// tracer.flush(std::time::Duration::from_secs(5)).unwrap();
/// let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
/// assert!(text.starts_with("{\"type\":\"span\""));
/// # #[derive(Clone)] struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
/// # impl std::io::Write for SharedBuffer {
/// #     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(bytes); Ok(bytes.len()) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// ```
pub struct StdoutExporter {
    writer: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for StdoutExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdoutExporter").finish_non_exhaustive()
    }
}

impl Default for StdoutExporter {
    fn default() -> StdoutExporter {
        StdoutExporter::new()
    }
}

impl StdoutExporter {
    /// Writes to standard output.
    pub fn new() -> StdoutExporter {
        StdoutExporter::to_writer(std::io::stdout())
    }

    /// Writes to any writer (a file, a buffer in a test).
    pub fn to_writer(writer: impl Write + Send + 'static) -> StdoutExporter {
        StdoutExporter { writer: Mutex::new(Box::new(writer)) }
    }
}

impl SpanExporter for StdoutExporter {
    fn export(&self, batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        let mut text = String::with_capacity(512 * batch.len());
        for event in &batch.events {
            crate::json::event_line(&mut text, &batch.resource, event);
            text.push('\n');
        }
        for span in &batch.spans {
            crate::json::span_line(&mut text, &batch.resource, span);
            text.push('\n');
        }
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        writer
            .write_all(text.as_bytes())
            .and_then(|()| writer.flush())
            .map_err(|error| ExportError::Failed { message: error.to_string(), source: Some(Box::new(error)) })
    }
}
