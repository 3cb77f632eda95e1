//! Spans: starting, recording, entering and ending them.
//!
//! A [`Span`] is one of three things:
//! - not recording: the sampler dropped it (or the SDK is off); it carries only its
//!   context so that children and outgoing requests still propagate the trace, and every
//!   method on it returns at once;
//! - owned: recording into a heap block that only this handle touches;
//! - shared: started from a [`Trace`](crate::Trace), which may close it at
//!   [`Trace::end`](crate::Trace::end), so its data sits behind a mutex.
//!
//! A span ends when [`Span::end`] is called or when the handle is dropped; a span dropped
//! while its thread unwinds from a panic is marked as an error.

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::clock;
use crate::context::{self, SpanContext};
use crate::data::{Event, Level, Link, SpanData, SpanKind, Status};
use crate::id::{IdSeed, SpanId, TraceFlags, TraceId};
use crate::limits;
use crate::sampler::{SamplingDecision, SamplingParams};
use crate::trace::TraceShared;
use crate::tracer::Tracer;
use crate::value::{KeyValue, Str, Value};

/// Attribute keys that clew itself writes.
pub mod keys {
    /// The project a seed-style trace belongs to; on every span of the trace.
    pub const PROJECT_ID: &str = "clew.project_id";
    /// The request a seed-style trace serves; on every span of the trace.
    pub const REQUEST_ID: &str = "clew.request_id";
    /// Prefix of a trace's input fields, on its `clew.trace.started` event.
    pub const INPUT_PREFIX: &str = "clew.input.";
    /// Prefix of a trace's context fields, on its `clew.trace.started` event.
    pub const CONTEXT_PREFIX: &str = "clew.context.";
    /// A trace's tags (string array), on its `clew.trace.started` event.
    pub const TAGS: &str = "clew.tags";
    /// A trace's final status (`ok`, `error`, `unset`), on its `clew.trace.ended` event.
    pub const TRACE_STATUS: &str = "clew.trace.status";
    /// The message of a trace's error status, on its `clew.trace.ended` event.
    pub const TRACE_STATUS_MESSAGE: &str = "clew.trace.status_message";
    /// Set to true on spans that `Trace::end` closed because they were still running.
    pub const AUTO_CLOSED: &str = "clew.auto_closed";
    /// The trace-level event that `Trace::start` emits.
    pub const TRACE_STARTED: &str = "clew.trace.started";
    /// The trace-level event that `Trace::end` emits.
    pub const TRACE_ENDED: &str = "clew.trace.ended";
    /// The name of the event `record_error` adds.
    pub const EXCEPTION_EVENT: &str = "exception";
    /// `exception.type`.
    pub const EXCEPTION_TYPE: &str = "exception.type";
    /// `exception.message`.
    pub const EXCEPTION_MESSAGE: &str = "exception.message";
    /// The messages of an error's sources, outermost first (string array).
    pub const EXCEPTION_CAUSES: &str = "exception.causes";
}

/// Where a new span's parent comes from.
#[derive(Clone, Debug)]
enum Parent {
    /// The current span of this thread (the default).
    Current,
    /// No parent: a new root.
    Root,
    /// This context.
    Context(SpanContext),
    /// A span of the same trace, by id.
    Id(SpanId),
}

/// Options for a span that is about to start.
///
/// ```
/// use clew::{KeyValue, SpanKind};
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// let span = tracer
///     .span("GET /orders/{id}")
///     .kind(SpanKind::Server)
///     .attribute("http.request.method", "GET")
///     .attributes([KeyValue::new("http.route", "/orders/{id}"), KeyValue::new("retry", false)])
///     .start();
/// ```
#[must_use = "a span starts only when `start` is called"]
pub struct SpanBuilder {
    tracer: Tracer,
    name: Str,
    kind: SpanKind,
    parent: Parent,
    attributes: Vec<KeyValue>,
    /// Options most spans do not use, kept out of line so that the common builder is
    /// small and dropping it costs a branch.
    extras: Option<Box<Extras>>,
}

#[derive(Default)]
struct Extras {
    label: Option<Str>,
    links: Vec<(SpanContext, Vec<KeyValue>)>,
    start_time: Option<u64>,
    trace: Option<Arc<TraceShared>>,
}

impl fmt::Debug for SpanBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanBuilder")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("label", &self.extras.as_ref().and_then(|extras| extras.label.as_ref()))
            .field("parent", &self.parent)
            .field("attributes", &self.attributes)
            .finish_non_exhaustive()
    }
}

impl SpanBuilder {
    #[inline]
    pub(crate) fn new(tracer: Tracer, name: Str) -> SpanBuilder {
        SpanBuilder {
            tracer,
            name,
            kind: SpanKind::Internal,
            parent: Parent::Current,
            attributes: Vec::new(),
            extras: None,
        }
    }

    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }

    pub(crate) fn for_trace(mut self, trace: Arc<TraceShared>) -> SpanBuilder {
        self.extras().trace = Some(trace);
        self
    }

    /// The OpenTelemetry kind (default internal).
    #[inline]
    pub fn kind(mut self, kind: SpanKind) -> SpanBuilder {
        self.kind = kind;
        self
    }

    /// A free label of the application's own: `MASTER`, `PLATFORM`, `STEP`…
    pub fn label(mut self, label: impl Into<Str>) -> SpanBuilder {
        self.extras().label = Some(label.into());
        self
    }

    /// Makes `parent` the parent.
    pub fn parent(mut self, parent: &Span) -> SpanBuilder {
        self.parent = Parent::Context(parent.context());
        self
    }

    /// Makes the span with this context the parent (one extracted from a request, say).
    pub fn parent_context(mut self, parent: SpanContext) -> SpanBuilder {
        self.parent = Parent::Context(parent);
        self
    }

    /// Makes the span with this id, in the same trace, the parent. The trace is the
    /// [`Trace`](crate::Trace) the span is started from, or else the current one; with
    /// neither, the span becomes a root.
    pub fn parent_id(mut self, parent: SpanId) -> SpanBuilder {
        self.parent = Parent::Id(parent);
        self
    }

    /// Starts a new trace (or, from a [`Trace`](crate::Trace), a span with no parent
    /// span), whatever is current.
    pub fn root(mut self) -> SpanBuilder {
        self.parent = Parent::Root;
        self
    }

    /// Adds an attribute.
    #[inline]
    pub fn attribute(mut self, key: impl Into<Str>, value: impl Into<Value>) -> SpanBuilder {
        self.attributes.push(KeyValue::new(key, value));
        self
    }

    /// Adds several attributes.
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> SpanBuilder {
        self.attributes.extend(attributes);
        self
    }

    /// Links the span to another span.
    pub fn link(mut self, context: SpanContext, attributes: impl IntoIterator<Item = KeyValue>) -> SpanBuilder {
        self.extras().links.push((context, attributes.into_iter().collect()));
        self
    }

    /// Sets the start time (default: now).
    pub fn start_time(mut self, time: SystemTime) -> SpanBuilder {
        self.extras().start_time = Some(clock::unix_nanos(time));
        self
    }

    /// Starts the span and runs `work` with it current on this thread; the span ends
    /// when `work` returns (or panics, marking it as an error).
    ///
    /// ```
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let total = tracer.span("master").label("MASTER").in_scope(|span| {
    ///     span.set_attribute("platforms", 2);
    ///     40 + 2
    /// });
    /// assert_eq!(total, 42);
    /// ```
    pub fn in_scope<R>(self, work: impl FnOnce(&mut Span) -> R) -> R {
        self.start().in_scope(work)
    }

    /// Starts the span and runs the future `work` makes from it, with the span current
    /// whenever the future is polled. `work` owns the span, so it can still set
    /// attributes or record an error after an `.await`; the span ends when `work`'s
    /// future drops it.
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # runtime.block_on(async {
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let rows = tracer
    ///     .span("query")
    ///     .kind(clew::SpanKind::Client)
    ///     .in_scope_async(|mut span| async move {
    ///         tokio::task::yield_now().await;
    ///         span.set_attribute("db.rows", 3);
    ///         3
    ///     })
    ///     .await;
    /// assert_eq!(rows, 3);
    /// # });
    /// ```
    pub async fn in_scope_async<F, Fut>(self, work: F) -> Fut::Output
    where
        F: FnOnce(Span) -> Fut,
        Fut: std::future::Future,
    {
        let span = self.start();
        let context = span.context();
        crate::future::FutureExt::with_context(work(span), context).await
    }

    /// Starts the span, deciding whether it is sampled.
    #[inline]
    pub fn start(self) -> Span {
        // The common unsampled case is decided here, inlined into the caller, where the
        // builder's fields are known and dropping it compiles to nothing.
        if self.extras.is_none() && matches!(self.parent, Parent::Current) {
            if let Some(span) = Span::quick_unsampled(self.tracer) {
                if self.attributes.capacity() == 0 && self.name.is_static() {
                    // Nothing here owns memory, so there is nothing to drop: skip the
                    // out-of-line drop code of every field.
                    std::mem::forget(self);
                }
                return span;
            }
        }
        self.start_general()
    }

    #[inline(never)]
    pub(crate) fn start_general(self) -> Span {
        let inner = self.tracer.inner;
        if !inner.enabled {
            return self.start_disabled();
        }
        let (parent, trace_sampled) = self.resolve_parent();
        let seed = IdSeed::next();
        // A span at the top of a seed-style trace follows the trace's decision; other
        // spans ask the sampler, which sees the trace id only if it is one that needs it.
        let trace_id = match &parent {
            Some(parent) => parent.trace_id(),
            None => self.trace().map_or(TraceId::INVALID, |trace| trace.trace_id),
        };
        let decision = match trace_sampled {
            Some(sampled) if parent.is_none() => {
                if sampled {
                    SamplingDecision::RecordAndSample
                } else {
                    SamplingDecision::Drop
                }
            }
            _ => {
                let trace_id =
                    if trace_id.is_valid() || !inner.sampler.reads_trace_id() { trace_id } else { seed.trace_id() };
                inner.sampler.should_sample(&SamplingParams {
                    parent: parent.as_ref(),
                    trace_id,
                    name: &self.name,
                    kind: self.kind,
                })
            }
        };
        let flags = match &parent {
            Some(parent) => TraceFlags::from_u8(parent.trace_flags().to_u8() & TraceFlags::RANDOM.to_u8()),
            None => TraceFlags::RANDOM,
        }
        .with_sampled(decision == SamplingDecision::RecordAndSample);
        if decision == SamplingDecision::Drop || !inner.recording {
            let trace_state = parent.and_then(|parent| parent.trace_state().cloned());
            return Span::from_state(State::Unsampled(Unsampled { trace_id, seed, flags, trace_state }));
        }
        self.record(trace_id, seed, flags, parent, decision)
    }

    fn trace(&self) -> Option<&Arc<TraceShared>> {
        self.extras.as_ref().and_then(|extras| extras.trace.as_ref())
    }

    #[cold]
    #[inline(never)]
    fn start_disabled(self) -> Span {
        let context = match &self.parent {
            Parent::Context(context) => context.clone(),
            _ => context::current_context().unwrap_or(SpanContext::new(
                TraceId::INVALID,
                SpanId::INVALID,
                TraceFlags::NONE,
            )),
        };
        Span::from_state(State::Fixed(context))
    }

    /// The parent context, and the sampled flag of the trace the span is started from.
    #[inline]
    fn resolve_parent(&self) -> (Option<SpanContext>, Option<bool>) {
        let Some(trace) = self.trace() else {
            let parent = match &self.parent {
                Parent::Current => context::current_context(),
                Parent::Root => None,
                Parent::Context(context) => Some(context.clone()),
                Parent::Id(id) => context::with_current(|current| {
                    current.map(|current| SpanContext::new(current.trace_id(), *id, current.trace_flags()))
                }),
            };
            return (parent, None);
        };
        let parent = match &self.parent {
            Parent::Current => context::current_context().filter(|current| current.trace_id() == trace.trace_id),
            Parent::Root => None,
            Parent::Context(context) => Some(context.clone()),
            Parent::Id(id) => Some(SpanContext::new(trace.trace_id, *id, trace.flags)),
        };
        (parent, Some(trace.flags.is_sampled()))
    }

    #[inline(never)]
    fn record(
        self,
        trace_id: TraceId,
        seed: IdSeed,
        flags: TraceFlags,
        parent: Option<SpanContext>,
        decision: SamplingDecision,
    ) -> Span {
        let inner = self.tracer.inner;
        let limits = &inner.limits;
        let extras = self.extras.map(|extras| *extras).unwrap_or_default();
        let trace_id = if trace_id.is_valid() { trace_id } else { seed.trace_id() };
        let span_id = seed.span_id();
        let trace_state = parent.as_ref().and_then(|parent| parent.trace_state().cloned());
        let start_time_unix_nano = extras.start_time.unwrap_or_else(clock::now_unix_nanos);
        let mut data = SpanData {
            trace_id,
            span_id,
            parent_span_id: parent.as_ref().map(SpanContext::span_id),
            parent_is_remote: parent.as_ref().is_some_and(SpanContext::is_remote),
            trace_flags: flags,
            trace_state,
            name: self.name,
            kind: self.kind,
            label: extras.label,
            start_time_unix_nano,
            end_time_unix_nano: 0,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status::Unset,
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
        };
        if let Some(trace) = &extras.trace {
            data.attributes.reserve(2 + self.attributes.len());
            data.attributes.push(KeyValue::new(keys::PROJECT_ID, trace.project_id.clone()));
            data.attributes.push(KeyValue::new(keys::REQUEST_ID, trace.request_id.clone()));
        }
        if data.attributes.is_empty()
            && self.attributes.len() <= limits.attribute_count as usize
            && limits.value_length.is_none()
        {
            // The common case: take the builder's list as it is, unless a key repeats.
            data.attributes = self.attributes;
            dedup_keys(&mut data.attributes);
        } else {
            for attribute in self.attributes {
                limits::upsert(
                    &mut data.attributes,
                    &mut data.dropped_attributes_count,
                    limits,
                    limits.attribute_count,
                    attribute,
                );
            }
        }
        for (linked, attributes) in extras.links {
            push_link(&mut data, limits, linked, attributes);
        }
        let context = SpanContext::new(trace_id, span_id, flags).with_trace_state(data.trace_state.clone());
        let recording = Recording {
            tracer: self.tracer,
            data: Box::new(data),
            sampled: decision == SamplingDecision::RecordAndSample,
        };
        match extras.trace {
            None => Span::from_state(State::Owned(recording)),
            Some(trace) => {
                let shared = Arc::new(SharedSpan { context, recording: Mutex::new(Some(recording)) });
                trace.register(&shared);
                Span::from_state(State::Shared(shared))
            }
        }
    }
}

/// Keeps the last value of each key, in first-seen order.
fn dedup_keys(attributes: &mut Vec<KeyValue>) {
    let count = attributes.len();
    for later in 1..count {
        if attributes[..later].iter().any(|earlier| earlier.key == attributes[later].key) {
            let mut deduped: Vec<KeyValue> = Vec::with_capacity(count);
            for attribute in attributes.drain(..) {
                match deduped.iter_mut().find(|existing| existing.key == attribute.key) {
                    Some(existing) => existing.value = attribute.value,
                    None => deduped.push(attribute),
                }
            }
            *attributes = deduped;
            return;
        }
    }
}

fn push_link(data: &mut SpanData, limits: &limits::SpanLimits, context: SpanContext, attributes: Vec<KeyValue>) {
    if data.links.len() >= limits.link_count as usize {
        data.dropped_links_count = data.dropped_links_count.saturating_add(1);
        return;
    }
    let (attributes, dropped_attributes_count) = limits::collect(limits, limits.link_attribute_count, attributes);
    data.links.push(Link { context, attributes, dropped_attributes_count });
}

/// A span being recorded. The data sits in a box of its own, so the span handle stays
/// small to move; the thread that ends the span moves the data into its queue and frees
/// the box itself.
pub(crate) struct Recording {
    tracer: Tracer,
    data: Box<SpanData>,
    /// Exported when it ends (false for "record only" decisions).
    sampled: bool,
}

impl Recording {
    #[inline]
    fn set_attribute(&mut self, attribute: KeyValue) {
        if self.data.attributes.capacity() == 0 {
            self.data.attributes = crate::recycle::attribute_list();
        }
        let limits = &self.tracer.inner.limits;
        limits::upsert(
            &mut self.data.attributes,
            &mut self.data.dropped_attributes_count,
            limits,
            limits.attribute_count,
            attribute,
        );
    }

    fn add_event(
        &mut self,
        name: Str,
        level: Option<Level>,
        attributes: impl IntoIterator<Item = KeyValue>,
        time: u64,
    ) {
        let limits = &self.tracer.inner.limits;
        if self.data.events.len() >= limits.event_count as usize {
            self.data.dropped_events_count = self.data.dropped_events_count.saturating_add(1);
            return;
        }
        let (attributes, dropped_attributes_count) = limits::collect(limits, limits.event_attribute_count, attributes);
        self.data.events.push(Event { name, time_unix_nano: time, level, attributes, dropped_attributes_count });
    }

    fn set_status(&mut self, status: Status) {
        // OpenTelemetry: Unset never overrides, and Ok is final.
        match (&self.data.status, &status) {
            (_, Status::Unset) | (Status::Ok, _) => {}
            _ => self.data.status = status,
        }
    }

    fn finish(mut self, end_time: Option<u64>) {
        if std::thread::panicking() && !self.data.status.is_error() {
            self.data.status = Status::error("panicked");
        }
        let end = end_time.unwrap_or_else(clock::now_unix_nanos);
        self.data.end_time_unix_nano = end.max(self.data.start_time_unix_nano);
        if self.sampled {
            self.tracer.inner.pipeline.push_span(self.data);
        }
    }
}

/// A span started from a [`Trace`](crate::Trace): shared with the trace so that
/// `Trace::end` can close it.
pub(crate) struct SharedSpan {
    context: SpanContext,
    recording: Mutex<Option<Recording>>,
}

impl SharedSpan {
    /// Whether the span has not ended yet.
    pub(crate) fn is_running(&self) -> bool {
        self.recording.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    /// Ends the span if it is still running, with `status` and a mark saying so.
    pub(crate) fn close(&self, status: &Status) {
        let taken = self.recording.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut recording) = taken {
            recording.set_attribute(KeyValue::new(keys::AUTO_CLOSED, true));
            recording.set_status(status.clone());
            recording.finish(None);
        }
    }
}

/// An unsampled span: its ids are reserved but computed only when asked for.
struct Unsampled {
    /// The parent's trace id, or invalid for a root (then it comes from the seed).
    trace_id: TraceId,
    seed: IdSeed,
    flags: TraceFlags,
    trace_state: Option<Str>,
}

impl Unsampled {
    fn context(&self) -> SpanContext {
        let trace_id = if self.trace_id.is_valid() { self.trace_id } else { self.seed.trace_id() };
        SpanContext::new(trace_id, self.seed.span_id(), self.flags).with_trace_state(self.trace_state.clone())
    }
}

enum State {
    /// Not sampled.
    Unsampled(Unsampled),
    /// The SDK is off: the parent's context (or an invalid one) is passed through.
    Fixed(SpanContext),
    Owned(Recording),
    Shared(Arc<SharedSpan>),
    /// Ended explicitly; only the context is left for `Drop` to ignore.
    Ended,
}

/// A unit of work with timing, attributes, events and a status.
///
/// ```
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// let mut span = tracer.span("database-query").start();
/// span.set_attribute("db.system", "postgresql");
/// span.add_event("query.executed", []);
/// let error = std::io::Error::other("connection reset");
/// span.record_error(&error);
/// span.end();
/// let recorded = &exporter.spans()[0];
/// assert!(recorded.status.is_error());
/// assert_eq!(recorded.events.len(), 2);
/// ```
pub struct Span {
    /// Dropped by hand in `Drop`, so that the common unsampled span costs no call into
    /// the drop code of every variant.
    state: ManuallyDrop<State>,
}

impl Span {
    #[inline]
    fn from_state(state: State) -> Span {
        Span { state: ManuallyDrop::new(state) }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Span").field("context", &self.context()).field("recording", &self.is_recording()).finish()
    }
}

impl Span {
    /// The unsampled span a child of the current span would be, if the sampler can tell
    /// without ids or a name; `None` when the general path must decide.
    #[inline]
    pub(crate) fn quick_unsampled(tracer: Tracer) -> Option<Span> {
        let inner = tracer.inner;
        context::HOT.with(|hot| {
            let parent = hot.top.get();
            let parent_flags = parent.map(|parent| (parent.is_remote, parent.flags.is_sampled()));
            if !inner.enabled || !inner.sampler.drops_without_ids(parent_flags) {
                return None;
            }
            let (trace_id, flags) = match parent {
                // Inheriting a `tracestate` means cloning it from the stack: the general path.
                Some(parent) if parent.has_trace_state => return None,
                Some(parent) => {
                    (parent.trace_id, TraceFlags::from_u8(parent.flags.to_u8() & TraceFlags::RANDOM.to_u8()))
                }
                None => (TraceId::INVALID, TraceFlags::RANDOM),
            };
            let seed = IdSeed::next_from(&hot.random);
            Some(Span::from_state(State::Unsampled(Unsampled { trace_id, seed, flags, trace_state: None })))
        })
    }

    /// A span that records nothing and has an invalid context.
    pub fn none() -> Span {
        Span::from_state(State::Fixed(SpanContext::new(TraceId::INVALID, SpanId::INVALID, TraceFlags::NONE)))
    }

    /// Runs `update` on the recording, if there is one.
    #[inline]
    fn with_recording(&mut self, update: impl FnOnce(&mut Recording)) {
        match &mut *self.state {
            State::Owned(recording) => update(recording),
            State::Shared(shared) => {
                if let Some(recording) = shared.recording.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
                    update(recording);
                }
            }
            State::Unsampled(_) | State::Fixed(_) | State::Ended => {}
        }
    }

    /// The span's context (ids, flags, `tracestate`), for children and propagation.
    pub fn context(&self) -> SpanContext {
        match &*self.state {
            State::Unsampled(unsampled) => unsampled.context(),
            State::Fixed(context) => context.clone(),
            State::Owned(recording) => {
                let data = &recording.data;
                SpanContext::new(data.trace_id, data.span_id, data.trace_flags)
                    .with_trace_state(data.trace_state.clone())
            }
            State::Shared(shared) => shared.context.clone(),
            State::Ended => SpanContext::new(TraceId::INVALID, SpanId::INVALID, TraceFlags::NONE),
        }
    }

    /// This span's id.
    pub fn span_id(&self) -> SpanId {
        self.context().span_id()
    }

    /// The id of this span's trace.
    pub fn trace_id(&self) -> TraceId {
        self.context().trace_id()
    }

    /// Whether this span records what is set on it.
    pub fn is_recording(&self) -> bool {
        match &*self.state {
            State::Owned(_) => true,
            State::Shared(shared) => shared.is_running(),
            State::Unsampled(_) | State::Fixed(_) | State::Ended => false,
        }
    }

    /// Sets an attribute; a key set twice keeps its last value.
    #[inline(always)]
    pub fn set_attribute(&mut self, key: impl Into<Str>, value: impl Into<Value>) {
        // Decided inline: on a span that records nothing this is one comparison.
        if !matches!(*self.state, State::Owned(_) | State::Shared(_)) {
            return;
        }
        self.record_attribute(KeyValue::new(key, value));
    }

    #[inline(never)]
    fn record_attribute(&mut self, attribute: KeyValue) {
        self.with_recording(|recording| recording.set_attribute(attribute));
    }

    /// Sets several attributes.
    pub fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        self.with_recording(|recording| {
            for attribute in attributes {
                recording.set_attribute(attribute);
            }
        });
    }

    /// Sets an attribute whose value is computed only if the span is recording.
    ///
    /// ```
    /// let tracer = clew::Tracer::builder().sampler(clew::Sampler::AlwaysOff).exporter(clew::NoneExporter).build();
    /// let mut span = tracer.span("unsampled").start();
    /// span.set_attribute_with("input.hash", || -> i64 { unreachable!("never computed") });
    /// ```
    pub fn set_attribute_with<V: Into<Value>>(&mut self, key: impl Into<Str>, value: impl FnOnce() -> V) {
        self.with_recording(|recording| recording.set_attribute(KeyValue::new(key, value())));
    }

    /// Adds an event with no level.
    pub fn add_event(&mut self, name: impl Into<Str>, attributes: impl IntoIterator<Item = KeyValue>) {
        self.with_recording(|recording| recording.add_event(name.into(), None, attributes, clock::now_unix_nanos()));
    }

    /// Adds an event with a level, as seed tracers do (`span.event("INFO", …)`).
    pub fn event(&mut self, level: Level, name: impl Into<Str>, attributes: impl IntoIterator<Item = KeyValue>) {
        self.with_recording(|recording| {
            recording.add_event(name.into(), Some(level), attributes, clock::now_unix_nanos())
        });
    }

    /// Adds an event at a given time.
    pub fn add_event_at(
        &mut self,
        name: impl Into<Str>,
        time: SystemTime,
        attributes: impl IntoIterator<Item = KeyValue>,
    ) {
        self.with_recording(|recording| recording.add_event(name.into(), None, attributes, clock::unix_nanos(time)));
    }

    /// Links this span to another span.
    pub fn add_link(&mut self, context: SpanContext, attributes: impl IntoIterator<Item = KeyValue>) {
        self.with_recording(|recording| {
            let limits = recording.tracer.inner.limits;
            push_link(&mut recording.data, &limits, context, attributes.into_iter().collect());
        });
    }

    /// Sets the status. `Unset` changes nothing, and `Ok` is final, as in OpenTelemetry.
    pub fn set_status(&mut self, status: Status) {
        self.with_recording(|recording| recording.set_status(status));
    }

    /// Records an error: an `exception` event with `exception.type` and
    /// `exception.message` (and the chain of sources), and an error status.
    pub fn record_error<E: std::error::Error + ?Sized>(&mut self, error: &E) {
        self.with_recording(|recording| {
            let message = error.to_string();
            let mut attributes = vec![
                KeyValue::new(keys::EXCEPTION_TYPE, std::any::type_name::<E>()),
                KeyValue::new(keys::EXCEPTION_MESSAGE, message.clone()),
            ];
            let mut causes = Vec::new();
            let mut source = error.source();
            while let Some(cause) = source {
                causes.push(cause.to_string());
                source = cause.source();
            }
            if !causes.is_empty() {
                attributes.push(KeyValue::new(keys::EXCEPTION_CAUSES, causes));
            }
            recording.add_event(
                Str::from_static(keys::EXCEPTION_EVENT),
                Some(Level::Error),
                attributes,
                clock::now_unix_nanos(),
            );
            recording.set_status(Status::error(message));
        });
    }

    /// Renames the span.
    pub fn update_name(&mut self, name: impl Into<Str>) {
        self.with_recording(|recording| recording.data.name = name.into());
    }

    /// Ends the span now.
    #[inline]
    pub fn end(mut self) {
        self.finish(None);
    }

    /// Sets the status, then ends the span now (seed tracers' `span.end("SUCCESS")`).
    pub fn end_with(mut self, status: Status) {
        self.set_status(status);
        self.finish(None);
    }

    /// Ends the span at a given time.
    pub fn end_at(mut self, time: SystemTime) {
        self.finish(Some(clock::unix_nanos(time)));
    }

    #[inline]
    fn finish(&mut self, end_time: Option<u64>) {
        if matches!(*self.state, State::Owned(_) | State::Shared(_)) {
            self.finish_recording(end_time);
        }
    }

    #[inline(never)]
    fn finish_recording(&mut self, end_time: Option<u64>) {
        match std::mem::replace(&mut *self.state, State::Ended) {
            State::Owned(recording) => recording.finish(end_time),
            State::Shared(shared) => {
                let taken = shared.recording.lock().unwrap_or_else(PoisonError::into_inner).take();
                if let Some(recording) = taken {
                    recording.finish(end_time);
                }
            }
            State::Unsampled(_) | State::Fixed(_) | State::Ended => {}
        }
    }

    /// Makes this span current on this thread until the guard is dropped; the guard
    /// gives access to the span meanwhile.
    ///
    /// ```
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let mut parent = tracer.span("parent").start();
    /// let mut entered = parent.enter();
    /// entered.set_attribute("step", 1);
    /// let child = tracer.span("child").start();
    /// assert_eq!(child.trace_id(), entered.trace_id());
    /// ```
    pub fn enter(&mut self) -> Entered<'_> {
        let depth = context::push(self.context());
        Entered { span: self, depth, _not_send: std::marker::PhantomData }
    }

    /// Runs `work` with this span current on this thread.
    pub fn in_scope<R>(&mut self, work: impl FnOnce(&mut Span) -> R) -> R {
        let mut entered = self.enter();
        work(&mut entered)
    }
}

impl Drop for Span {
    #[inline]
    fn drop(&mut self) {
        match &*self.state {
            // Nothing owned: an unsampled span without `tracestate`, or an ended one.
            State::Unsampled(Unsampled { trace_state: None, .. }) | State::Ended => return,
            // Ending leaves `State::Ended` behind, which owns nothing.
            State::Owned(_) | State::Shared(_) => return self.finish_recording(None),
            State::Unsampled(_) | State::Fixed(_) => {}
        }
        self.drop_state();
    }
}

impl Span {
    #[cold]
    #[inline(never)]
    fn drop_state(&mut self) {
        // SAFETY: called only from `Drop::drop`, once; `state` is not used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.state) }
    }
}

/// A span made current by [`Span::enter`]; dereferences to the span.
#[must_use = "the span is current only while the guard lives"]
pub struct Entered<'a> {
    span: &'a mut Span,
    depth: usize,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl fmt::Debug for Entered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entered").field(&self.span).finish()
    }
}

impl std::ops::Deref for Entered<'_> {
    type Target = Span;
    fn deref(&self) -> &Span {
        self.span
    }
}

impl std::ops::DerefMut for Entered<'_> {
    fn deref_mut(&mut self) -> &mut Span {
        self.span
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        context::pop(self.depth);
    }
}
