//! Seed-style traces: a handle for one request's whole journey.
//!
//! A [`Trace`] carries a project id and a request id (written on every span it starts, so
//! a backend can group and find the trace by them), the request's input, context and
//! tags (on a `clew.trace.started` event), trace-level events that belong to no span,
//! and an [`end`](Trace::end) that closes every span still running with a status derived
//! from the trace's. [`Trace::from_existing`] continues the same trace in another worker.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::clock;
use crate::context::SpanContext;
use crate::data::{Level, Status, TraceEvent};
use crate::export::ExportError;
use crate::id::{SpanId, TraceFlags, TraceId};
use crate::limits;
use crate::sampler::{SamplingDecision, SamplingParams};
use crate::span::{SharedSpan, Span, SpanBuilder, keys};
use crate::tracer::{Tracer, global};
use crate::value::{KeyValue, Str, Value};

pub(crate) struct TraceShared {
    tracer: Tracer,
    pub(crate) trace_id: TraceId,
    pub(crate) flags: TraceFlags,
    pub(crate) project_id: Str,
    pub(crate) request_id: Str,
    /// Spans started from this trace, so `end` can close those still running.
    spans: Mutex<Vec<Arc<SharedSpan>>>,
    ended: AtomicBool,
}

impl TraceShared {
    pub(crate) fn register(&self, span: &Arc<SharedSpan>) {
        let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget ended spans whenever the list would grow, so it stays the size of what runs.
        if spans.len() == spans.capacity() && spans.len() >= 8 {
            spans.retain(|span| span.is_running());
        }
        spans.push(span.clone());
    }
}

/// One request's trace, shared by everything that works on it; clones are the same trace.
///
/// ```
/// use clew::{KeyValue, Level, Status, Trace};
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// let trace = tracer
///     .trace("project-1", "request-42")
///     .input([KeyValue::new("mediaUrl", "https://example.com/v.mp4")])
///     .tags(["publish", "api"])
///     .start();
/// trace.event(Level::Info, "publish.request.received", []);
/// let master = trace.start_span("master").label("MASTER").start();
/// trace.end(Status::Ok); // closes `master`, which was still running
/// let spans = exporter.spans();
/// assert!(spans[0].status == Status::Ok);
/// assert_eq!(spans[0].attribute("clew.request_id").unwrap().as_str(), Some("request-42"));
/// # drop(master);
/// ```
#[derive(Clone)]
pub struct Trace {
    shared: Arc<TraceShared>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("trace_id", &format_args!("{}", self.shared.trace_id))
            .field("project_id", &self.shared.project_id)
            .field("request_id", &self.shared.request_id)
            .field("sampled", &self.shared.flags.is_sampled())
            .finish()
    }
}

/// Options of a trace about to start; see [`Trace::init`].
#[must_use = "a trace starts only when `start` is called"]
pub struct TraceBuilder {
    tracer: Tracer,
    project_id: Str,
    request_id: Str,
    input: Vec<KeyValue>,
    context: Vec<KeyValue>,
    tags: Vec<Str>,
}

impl fmt::Debug for TraceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceBuilder")
            .field("project_id", &self.project_id)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl TraceBuilder {
    pub(crate) fn new(tracer: Tracer, project_id: Str, request_id: Str) -> TraceBuilder {
        TraceBuilder { tracer, project_id, request_id, input: Vec::new(), context: Vec::new(), tags: Vec::new() }
    }

    /// What the request asked for (recorded as `clew.input.<key>`).
    pub fn input(mut self, fields: impl IntoIterator<Item = KeyValue>) -> TraceBuilder {
        self.input.extend(fields);
        self
    }

    /// Where the request came from (recorded as `clew.context.<key>`).
    pub fn context(mut self, fields: impl IntoIterator<Item = KeyValue>) -> TraceBuilder {
        self.context.extend(fields);
        self
    }

    /// Labels to find the trace by (recorded as `clew.tags`).
    pub fn tags<T: Into<Str>>(mut self, tags: impl IntoIterator<Item = T>) -> TraceBuilder {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Starts a new trace and emits its `clew.trace.started` event.
    pub fn start(self) -> Trace {
        let trace = Trace::open(self.tracer, self.project_id, self.request_id, TraceId::random());
        let mut attributes = Vec::with_capacity(3 + self.input.len() + self.context.len());
        attributes.push(KeyValue::new(keys::PROJECT_ID, trace.shared.project_id.clone()));
        attributes.push(KeyValue::new(keys::REQUEST_ID, trace.shared.request_id.clone()));
        let prefixed = [(keys::INPUT_PREFIX, self.input), (keys::CONTEXT_PREFIX, self.context)];
        for (prefix, fields) in prefixed {
            for field in fields {
                attributes.push(KeyValue::new(format!("{prefix}{}", field.key), field.value));
            }
        }
        if !self.tags.is_empty() {
            attributes.push(KeyValue::new(keys::TAGS, Value::StringArray(self.tags)));
        }
        trace.emit(Level::Info, Str::from_static(keys::TRACE_STARTED), attributes);
        trace
    }
}

impl Trace {
    /// Starts a trace on the process-wide tracer (seed: `Tracer.init(projectId, requestId, …)`).
    pub fn init(project_id: impl Into<Str>, request_id: impl Into<Str>) -> TraceBuilder {
        global().trace(project_id, request_id)
    }

    /// Continues a trace started elsewhere (another worker, a queue consumer) on the
    /// process-wide tracer.
    pub fn from_existing(project_id: impl Into<Str>, request_id: impl Into<Str>, trace_id: TraceId) -> Trace {
        Trace::from_existing_on(global(), project_id, request_id, trace_id)
    }

    /// Continues a trace started elsewhere, on `tracer`. The sampling decision is made
    /// again from the trace id, so a ratio sampler decides as it did the first time.
    pub fn from_existing_on(
        tracer: Tracer,
        project_id: impl Into<Str>,
        request_id: impl Into<Str>,
        trace_id: TraceId,
    ) -> Trace {
        let trace_id = if trace_id.is_valid() { trace_id } else { TraceId::random() };
        Trace::open(tracer, project_id.into(), request_id.into(), trace_id)
    }

    fn open(tracer: Tracer, project_id: Str, request_id: Str, trace_id: TraceId) -> Trace {
        let decision = if tracer.inner.enabled {
            tracer.inner.sampler.should_sample(&SamplingParams {
                parent: None,
                trace_id,
                name: &request_id,
                kind: crate::SpanKind::Internal,
            })
        } else {
            SamplingDecision::Drop
        };
        let flags = TraceFlags::RANDOM.with_sampled(decision == SamplingDecision::RecordAndSample);
        let shared = TraceShared {
            tracer,
            trace_id,
            flags,
            project_id,
            request_id,
            spans: Mutex::new(Vec::new()),
            ended: AtomicBool::new(false),
        };
        Trace { shared: Arc::new(shared) }
    }

    /// The trace id (hand it to another worker for [`Trace::from_existing`]).
    pub fn trace_id(&self) -> TraceId {
        self.shared.trace_id
    }

    /// The project id.
    pub fn project_id(&self) -> &str {
        &self.shared.project_id
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.shared.request_id
    }

    /// Whether the trace is sampled.
    pub fn is_sampled(&self) -> bool {
        self.shared.flags.is_sampled()
    }

    /// A context that makes spans started under it part of this trace.
    pub fn context(&self, parent: SpanId) -> SpanContext {
        SpanContext::new(self.shared.trace_id, parent, self.shared.flags)
    }

    fn emit(&self, level: Level, name: Str, attributes: Vec<KeyValue>) {
        let inner = self.shared.tracer.inner;
        if !inner.recording || !self.is_sampled() {
            return;
        }
        let (attributes, _dropped) = limits::collect(&inner.limits, inner.limits.event_attribute_count, attributes);
        inner.pipeline.push_event(TraceEvent {
            trace_id: self.shared.trace_id,
            time_unix_nano: clock::now_unix_nanos(),
            level,
            name,
            attributes,
        });
    }

    /// A trace-level event, between spans: orchestration, queue states, callbacks.
    pub fn event(&self, level: Level, name: impl Into<Str>, attributes: impl IntoIterator<Item = KeyValue>) {
        self.emit(level, name.into(), attributes.into_iter().collect());
    }

    /// Starts building a span of this trace. With no explicit parent it is a child of the
    /// current span if that span is in this trace, and a top-level span otherwise.
    pub fn start_span(&self, name: impl Into<Str>) -> SpanBuilder {
        self.shared.tracer.span(name).for_trace(self.shared.clone())
    }

    /// Runs `work` inside a new span of this trace, current while it runs. For a label
    /// or other options, use `start_span(…).label(…).in_scope(…)`.
    pub fn with_span<R>(&self, name: impl Into<Str>, work: impl FnOnce(&mut Span) -> R) -> R {
        self.start_span(name).in_scope(work)
    }

    /// Runs the future that `work` makes inside a new span of this trace; see
    /// [`SpanBuilder::in_scope_async`].
    pub async fn with_span_async<F, Fut>(&self, name: impl Into<Str>, work: F) -> Fut::Output
    where
        F: FnOnce(Span) -> Fut,
        Fut: Future,
    {
        self.start_span(name).in_scope_async(work).await
    }

    /// Ends the trace: emits `clew.trace.ended` with the status, and closes every span of
    /// the trace that is still running with the same status and `clew.auto_closed=true`.
    /// Ending twice does nothing.
    pub fn end(&self, status: Status) {
        if self.shared.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        let running: Vec<Arc<SharedSpan>> =
            std::mem::take(&mut *self.shared.spans.lock().unwrap_or_else(PoisonError::into_inner));
        // Derived status: a span cut short by a failed trace failed with it.
        let derived = match &status {
            Status::Error { message } => Status::error(format!("trace ended with error: {message}")),
            other => other.clone(),
        };
        for span in running.iter().rev() {
            span.close(&derived);
        }
        let mut attributes = vec![KeyValue::new(keys::TRACE_STATUS, status.code())];
        if let Status::Error { message } = &status {
            attributes.push(KeyValue::new(keys::TRACE_STATUS_MESSAGE, message.clone()));
        }
        let level = if status.is_error() { Level::Error } else { Level::Info };
        self.emit(level, Str::from_static(keys::TRACE_ENDED), attributes);
    }

    /// Exports what the tracer has queued (seed: `Tracer.flush()`).
    pub fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        self.shared.tracer.flush(timeout)
    }
}
