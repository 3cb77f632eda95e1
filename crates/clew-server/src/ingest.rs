//! What every receiver does with decoded spans: apply the limits, write to the store on a
//! blocking thread, count.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use clew::{KeyValue, SpanData, Str, TraceId, Value};
use clew_store::{Store, StoreError, WriteBatch};

use crate::config::Limits;
use crate::events::LoggedOnce;
use crate::metrics::Metrics;

/// The marker appended to a string value cut to the length limit.
pub const TRUNCATED_MARKER: &str = "…[truncated]";

/// Why a write was not done.
#[derive(Debug)]
pub(crate) enum IngestError {
    /// The store is full; the client should retry later.
    Busy(String),
    /// The store failed.
    Failed(String),
}

impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> IngestError {
        match error {
            StoreError::Busy { reason } => IngestError::Busy(reason),
            other => IngestError::Failed(other.to_string()),
        }
    }
}

/// Spans per trace seen recently, to enforce the per-trace limit without asking the store.
#[derive(Debug, Default)]
struct TraceCounts {
    current: HashMap<TraceId, usize>,
    previous: HashMap<TraceId, usize>,
}

/// The ingest side of the server.
#[derive(Debug)]
pub(crate) struct Ingest {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) limits: Limits,
    pub(crate) metrics: Arc<Metrics>,
    /// The once-only events already logged.
    pub(crate) logged: LoggedOnce,
    trace_counts: Mutex<TraceCounts>,
}

/// What limiting did to a batch.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Limited {
    pub(crate) values_truncated: u64,
    pub(crate) attributes_dropped: u64,
    pub(crate) spans_over_trace_limit: u64,
}

impl Ingest {
    pub(crate) fn new(store: Arc<dyn Store>, limits: Limits, metrics: Arc<Metrics>) -> Ingest {
        Ingest {
            store,
            limits,
            metrics,
            logged: LoggedOnce::default(),
            trace_counts: Mutex::new(TraceCounts::default()),
        }
    }

    /// Applies the limits and writes the batch; returns how many spans were refused for the
    /// per-trace limit.
    pub(crate) async fn write(self: &Arc<Ingest>, protocol: &str, mut batch: WriteBatch) -> Result<u64, IngestError> {
        let limited = self.limit(&mut batch);
        self.metrics.add("clew_values_truncated_total", &[], limited.values_truncated);
        self.metrics.add("clew_attributes_dropped_total", &[], limited.attributes_dropped);
        self.metrics.add(
            "clew_spans_refused_total",
            &[("reason", "too many spans in trace")],
            limited.spans_over_trace_limit,
        );
        let spans = batch.span_count() as u64;
        let records = batch.record_count() as u64;
        if batch.is_empty() {
            return Ok(limited.spans_over_trace_limit);
        }
        let this = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || this.store.write(batch))
            .await
            .map_err(|error| IngestError::Failed(format!("the write was cancelled: {error}")))?;
        match result {
            Ok(()) => {
                self.metrics.add("clew_spans_received_total", &[("protocol", protocol)], spans);
                self.metrics.add("clew_records_received_total", &[("protocol", protocol)], records);
                Ok(limited.spans_over_trace_limit)
            }
            Err(error) => {
                self.metrics.add("clew_spans_dropped_total", &[("protocol", protocol)], spans);
                Err(error.into())
            }
        }
    }

    /// Cuts values and attribute lists to the limits and drops spans past the per-trace limit.
    pub(crate) fn limit(&self, batch: &mut WriteBatch) -> Limited {
        let mut limited = Limited::default();
        let limits = &self.limits;
        {
            let mut counts = self.trace_counts.lock().unwrap_or_else(PoisonError::into_inner);
            // Two generations: a trace's count lives for between one and two generations.
            if counts.current.len() > 100_000 {
                counts.previous = std::mem::take(&mut counts.current);
            }
            for (_, spans) in &mut batch.spans {
                spans.retain(|span| {
                    let earlier = counts.previous.get(&span.trace_id).copied().unwrap_or(0);
                    let count = counts.current.entry(span.trace_id).or_insert(earlier);
                    *count += 1;
                    let keep = *count <= limits.max_spans_per_trace;
                    limited.spans_over_trace_limit += u64::from(!keep);
                    keep
                });
            }
        }
        for (_, spans) in &mut batch.spans {
            for span in spans {
                limit_span(span, limits, &mut limited);
            }
        }
        for (_, records) in &mut batch.records {
            for record in records {
                let attributes = match record {
                    clew_store::TraceRecord::TraceEvent(event) => &mut event.attributes,
                    clew_store::TraceRecord::SpanLog { event, .. } => &mut event.attributes,
                };
                limit_attributes(attributes, limits, &mut limited);
            }
        }
        batch.spans.retain(|(_, spans)| !spans.is_empty());
        limited
    }
}

fn limit_span(span: &mut SpanData, limits: &Limits, limited: &mut Limited) {
    span.dropped_attributes_count =
        span.dropped_attributes_count.saturating_add(limit_attributes(&mut span.attributes, limits, limited));
    truncate_str(&mut span.name, limits.max_value_bytes, limited);
    for event in &mut span.events {
        event.dropped_attributes_count =
            event.dropped_attributes_count.saturating_add(limit_attributes(&mut event.attributes, limits, limited));
    }
    for link in &mut span.links {
        link.dropped_attributes_count =
            link.dropped_attributes_count.saturating_add(limit_attributes(&mut link.attributes, limits, limited));
    }
}

/// Returns how many attributes were dropped.
fn limit_attributes(attributes: &mut Vec<KeyValue>, limits: &Limits, limited: &mut Limited) -> u32 {
    let dropped = attributes.len().saturating_sub(limits.max_attributes_per_span);
    attributes.truncate(limits.max_attributes_per_span);
    limited.attributes_dropped += dropped as u64;
    for attribute in attributes.iter_mut() {
        match &mut attribute.value {
            Value::String(text) => truncate_str(text, limits.max_value_bytes, limited),
            Value::StringArray(items) => {
                for item in items {
                    truncate_str(item, limits.max_value_bytes, limited);
                }
            }
            _ => {}
        }
    }
    u32::try_from(dropped).unwrap_or(u32::MAX)
}

fn truncate_str(text: &mut Str, max: usize, limited: &mut Limited) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    *text = Str::from(format!("{}{TRUNCATED_MARKER}", &text[..cut]));
    limited.values_truncated += 1;
}

/// Why a body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the limit (compressed or not).
    TooLarge(usize),
    /// Not valid gzip, or an unknown encoding.
    BadEncoding(String),
}

/// The body, decompressed per `Content-Encoding`, refusing more than `limit` bytes of
/// output: a small gzip body that expands past the limit stops at the limit.
pub(crate) fn decode_body(body: &[u8], encoding: Option<&str>, limit: usize) -> Result<Vec<u8>, BodyError> {
    match encoding.map(|value| value.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "identity") => {
            if body.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            Ok(body.to_vec())
        }
        Some("gzip" | "x-gzip") => {
            let mut out = Vec::new();
            let decoder = flate2::read::MultiGzDecoder::new(body);
            decoder
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|error| BodyError::BadEncoding(format!("the gzip body is invalid: {error}")))?;
            if out.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            Ok(out)
        }
        Some(other) => Err(BodyError::BadEncoding(format!("unsupported Content-Encoding {other:?} (use gzip)"))),
    }
}
