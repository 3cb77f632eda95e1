//! `SpanBuilder`: a span's options, its parent, and the sampling decision at `start`.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::keys;
use super::recording::{Recording, SharedSpan};
use super::{Span, State, Unsampled};
use crate::clock;
use crate::context::{self, SpanContext};
use crate::data::{Link, SpanData, SpanKind, Status};
use crate::id::{IdSeed, SpanId, TraceFlags, TraceId};
use crate::limits;
use crate::propagation::PropagationContext;
use crate::sampler::{SamplingDecision, SamplingParams};
use crate::trace::TraceShared;
use crate::tracer::Tracer;
use crate::value::{KeyValue, Str, Value};
use std::fmt;

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

    /// Makes the span context a propagator extracted the parent, or, if it found none,
    /// starts a new trace: the parent choice of a span that handles an incoming request.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use clew::propagation::{Propagator, TraceContextPropagator};
    ///
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let mut current = tracer.start("unrelated");
    /// let current_trace = current.trace_id();
    /// let _entered = current.enter();
    /// let no_headers: HashMap<String, String> = HashMap::new();
    /// let context = TraceContextPropagator::new().extract(&no_headers);
    /// let server = tracer.span("handle").remote_parent(&context).start();
    /// assert_ne!(server.trace_id(), current_trace);
    /// ```
    pub fn remote_parent(mut self, context: &PropagationContext) -> SpanBuilder {
        self.parent = match context.span_context() {
            Some(remote) => Parent::Context(remote.clone()),
            None => Parent::Root,
        };
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

pub(super) fn push_link(
    data: &mut SpanData,
    limits: &limits::SpanLimits,
    context: SpanContext,
    attributes: Vec<KeyValue>,
) {
    if data.links.len() >= limits.link_count as usize {
        data.dropped_links_count = data.dropped_links_count.saturating_add(1);
        return;
    }
    let (attributes, dropped_attributes_count) = limits::collect(limits, limits.link_attribute_count, attributes);
    data.links.push(Link { context, attributes, dropped_attributes_count });
}
