//! What every receiver does with decoded spans: apply the limits, write to the store on a
//! blocking thread, count.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use clew::{Event, KeyValue, Resource, SpanData, Status, Str, TraceId, Value};
use clew_store::{Origin, Store, StoreError, WriteBatch};

use crate::budget::{DecodeBudget, OverBudget, Reserved};
use crate::config::Limits;
use crate::events::{LoggedOnce, WritesRefused};
use crate::metrics::Metrics;

/// The marker appended to a string value cut to the length limit.
pub const TRUNCATED_MARKER: &str = "…[truncated]";

/// Attribute keys are cut at the value limit, but never shorter than this.
const MIN_KEY_BYTES: usize = 64;

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
    budget: DecodeBudget,
    /// Whether the store was last seen refusing writes until the disk changes.
    refusing: Mutex<bool>,
}

/// What limiting did to a batch.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Limited {
    /// Strings cut to the length limit: names, keys, values, messages, trace states.
    pub(crate) values_truncated: u64,
    pub(crate) attributes_dropped: u64,
    pub(crate) events_dropped: u64,
    pub(crate) links_dropped: u64,
    pub(crate) spans_over_trace_limit: u64,
}

impl Ingest {
    pub(crate) fn new(store: Arc<dyn Store>, limits: Limits, metrics: Arc<Metrics>) -> Ingest {
        Ingest {
            store,
            metrics,
            logged: LoggedOnce::default(),
            trace_counts: Mutex::new(TraceCounts::default()),
            budget: DecodeBudget::new(limits.max_decoding_bytes, crate::budget::WAIT),
            refusing: Mutex::new(false),
            limits,
        }
    }

    /// Logs when the store begins or stops refusing writes until the disk changes.
    pub(crate) fn note_unavailable(&self, now: Option<String>) {
        let mut refusing = self.refusing.lock().unwrap_or_else(PoisonError::into_inner);
        if now.is_some() != *refusing {
            *refusing = now.is_some();
            WritesRefused { reason: now.as_deref() }.emit();
        }
    }

    /// Asks the store every `interval` whether it refuses writes, to log when that ends
    /// (or begins without a write to see it), until `stop`.
    pub(crate) async fn watch_unavailable(
        self: Arc<Ingest>,
        interval: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            let store = Arc::clone(&self.store);
            let now = tokio::task::spawn_blocking(move || store.unavailable()).await.unwrap_or(None);
            self.note_unavailable(now);
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Reserves room in the decoding budget for a body of `body` bytes that decodes to
    /// `estimate`; a refusal is counted by `protocol` and its reason.
    pub(crate) async fn reserve(&self, protocol: &str, body: usize, estimate: usize) -> Result<Reserved, OverBudget> {
        let reserved = self.budget.reserve(body, estimate).await;
        if let Err(refused) = &reserved {
            let reason = match refused {
                OverBudget::Malformed { .. } => "malformed",
                OverBudget::TooLarge { .. } => "too large",
                OverBudget::Busy { .. } => "busy",
            };
            self.metrics.add("clew_decoding_refused_total", &[("protocol", protocol), ("reason", reason)], 1);
        }
        reserved
    }

    /// Applies the limits and writes the batch; returns how many spans were refused for the
    /// per-trace limit.
    pub(crate) async fn write(self: &Arc<Ingest>, protocol: &str, mut batch: WriteBatch) -> Result<u64, IngestError> {
        let limited = self.limit(&mut batch);
        let receiver = [("protocol", protocol)];
        self.metrics.add("clew_values_truncated_total", &receiver, limited.values_truncated);
        self.metrics.add("clew_attributes_dropped_total", &receiver, limited.attributes_dropped);
        self.metrics.add("clew_events_dropped_total", &receiver, limited.events_dropped);
        self.metrics.add("clew_links_dropped_total", &receiver, limited.links_dropped);
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
        let (result, unavailable) = tokio::task::spawn_blocking(move || {
            let result = this.store.write(batch);
            // A refusal may be the start of an outage (a full disk): logged as it begins.
            let unavailable = matches!(result, Err(StoreError::Busy { .. })).then(|| this.store.unavailable());
            (result, unavailable)
        })
        .await
        .map_err(|error| IngestError::Failed(format!("the write was cancelled: {error}")))?;
        if let Some(now) = unavailable {
            self.note_unavailable(now);
        }
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

    /// Cuts every string that arrived (names, attribute keys and values, status messages,
    /// trace states, labels, scope names, resources, record names) to the length limit, the
    /// attribute, event and link lists to theirs, and drops spans past the per-trace limit.
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
        for (origin, spans) in &mut batch.spans {
            limit_origin(origin, limits, &mut limited);
            for span in spans {
                limit_span(span, limits, &mut limited);
            }
        }
        for (origin, records) in &mut batch.records {
            limit_origin(origin, limits, &mut limited);
            for record in records {
                match record {
                    clew_store::TraceRecord::TraceEvent(event) => {
                        truncate_str(&mut event.name, limits.max_value_bytes, &mut limited);
                        limit_attributes(&mut event.attributes, limits, &mut limited);
                    }
                    clew_store::TraceRecord::SpanLog { event, .. } => limit_event(event, limits, &mut limited),
                }
            }
        }
        batch.spans.retain(|(_, spans)| !spans.is_empty());
        limited
    }
}

/// Cuts the resource's attributes and the scope's name; a resource is rebuilt only when
/// something in it is over a limit.
fn limit_origin(origin: &mut Origin, limits: &Limits, limited: &mut Limited) {
    truncate_str(&mut origin.scope, limits.max_value_bytes, limited);
    let over =
        |attribute: &KeyValue| attribute.key.len() > limits.max_value_bytes || value_over(&attribute.value, limits);
    let attributes = origin.resource.attributes();
    if attributes.len() <= limits.max_attributes_per_span && !attributes.iter().any(over) {
        return;
    }
    let mut attributes = attributes.to_vec();
    limit_attributes(&mut attributes, limits, limited);
    origin.resource = Arc::new(Resource::new(attributes));
}

/// The longest attribute key kept: the value limit, but never less than
/// [`MIN_KEY_BYTES`], so that a small value limit does not rename the well-known keys
/// (`service.name`, `http.response.status_code`).
fn key_limit(limits: &Limits) -> usize {
    limits.max_value_bytes.max(MIN_KEY_BYTES)
}

fn value_over(value: &Value, limits: &Limits) -> bool {
    match value {
        Value::String(text) => text.len() > limits.max_value_bytes,
        Value::StringArray(items) => items.iter().any(|item| item.len() > limits.max_value_bytes),
        _ => false,
    }
}

fn limit_span(span: &mut SpanData, limits: &Limits, limited: &mut Limited) {
    span.dropped_attributes_count =
        span.dropped_attributes_count.saturating_add(limit_attributes(&mut span.attributes, limits, limited));
    truncate_str(&mut span.name, limits.max_value_bytes, limited);
    for text in [&mut span.trace_state, &mut span.label].into_iter().flatten() {
        truncate_str(text, limits.max_value_bytes, limited);
    }
    if let Status::Error { message } = &mut span.status {
        truncate_str(message, limits.max_value_bytes, limited);
    }
    let events = span.events.len().saturating_sub(limits.max_events_per_span);
    span.events.truncate(limits.max_events_per_span);
    span.dropped_events_count = span.dropped_events_count.saturating_add(u32::try_from(events).unwrap_or(u32::MAX));
    limited.events_dropped += events as u64;
    for event in &mut span.events {
        limit_event(event, limits, limited);
    }
    let links = span.links.len().saturating_sub(limits.max_links_per_span);
    span.links.truncate(limits.max_links_per_span);
    span.dropped_links_count = span.dropped_links_count.saturating_add(u32::try_from(links).unwrap_or(u32::MAX));
    limited.links_dropped += links as u64;
    for link in &mut span.links {
        link.dropped_attributes_count =
            link.dropped_attributes_count.saturating_add(limit_attributes(&mut link.attributes, limits, limited));
        if let Some(state) = link.context.trace_state().filter(|state| state.len() > limits.max_value_bytes) {
            let mut state = state.clone();
            truncate_str(&mut state, limits.max_value_bytes, limited);
            link.context = link.context.clone().with_trace_state(Some(state));
        }
    }
}

fn limit_event(event: &mut Event, limits: &Limits, limited: &mut Limited) {
    truncate_str(&mut event.name, limits.max_value_bytes, limited);
    event.dropped_attributes_count =
        event.dropped_attributes_count.saturating_add(limit_attributes(&mut event.attributes, limits, limited));
}

/// Returns how many attributes were dropped.
fn limit_attributes(attributes: &mut Vec<KeyValue>, limits: &Limits, limited: &mut Limited) -> u32 {
    let dropped = attributes.len().saturating_sub(limits.max_attributes_per_span);
    attributes.truncate(limits.max_attributes_per_span);
    limited.attributes_dropped += dropped as u64;
    for attribute in attributes.iter_mut() {
        truncate_str(&mut attribute.key, key_limit(limits), limited);
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

/// The body length a request declares in `Content-Length`, if it does.
fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers.get(axum::http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Whether a request declares (in `Content-Length`) a body over `limit`: it is answered 413
/// before its body is read (`crate::listen` reads it away meanwhile, so that the client,
/// still sending, reads the answer instead of a reset connection).
pub(crate) fn declared_over(headers: &axum::http::HeaderMap, limit: usize) -> bool {
    declared_length(headers).is_some_and(|length| length > limit as u64)
}

/// Whether a request waits (`Expect: 100-continue`) to be told to send its body.
pub(crate) fn waits_for_continue(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::EXPECT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("100-continue"))
}

/// What a receiver answers, in its protocol's form, to a body over `limit` bytes.
pub(crate) type OversizeAnswer = fn(limit: usize, headers: &axum::http::HeaderMap) -> axum::response::Response;

/// The state of [`refuse_declared_oversize`] on one receiver's routes.
#[derive(Debug, Clone)]
pub(crate) struct DeclaredOversize {
    pub(crate) ingest: Arc<Ingest>,
    /// The receiver, as `clew_requests_total` names it.
    pub(crate) protocol: &'static str,
    pub(crate) answer: OversizeAnswer,
}

/// A request that declares a body over the size limit is answered 413 before its body is
/// read ([`declared_over`]; no `100 Continue` for it), in its receiver's form.
pub(crate) async fn refuse_declared_oversize(
    axum::extract::State(state): axum::extract::State<DeclaredOversize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let limit = state.ingest.limits.max_request_bytes;
    if !declared_over(request.headers(), limit) {
        return next.run(request).await;
    }
    let response = (state.answer)(limit, request.headers());
    let status = response.status();
    state.ingest.metrics.add("clew_requests_total", &[("protocol", state.protocol), ("code", status.as_str())], 1);
    response
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
pub(crate) fn decode_body<'a>(
    body: &'a [u8],
    encoding: Option<&str>,
    limit: usize,
) -> Result<std::borrow::Cow<'a, [u8]>, BodyError> {
    match encoding.map(|value| value.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "identity") => {
            if body.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            Ok(std::borrow::Cow::Borrowed(body))
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
            Ok(std::borrow::Cow::Owned(out))
        }
        Some(other) => Err(BodyError::BadEncoding(format!("unsupported Content-Encoding {other:?} (use gzip)"))),
    }
}
