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
use std::sync::{Arc, PoisonError};
use std::time::SystemTime;

use crate::clock;
use crate::context::{self, SpanContext};
use crate::data::{Level, Status};
use crate::id::{IdSeed, SpanId, TraceFlags, TraceId};
use crate::tracer::Tracer;
use crate::value::{KeyValue, Str, Value};

mod builder;
pub mod keys;
mod recording;

pub use builder::SpanBuilder;
use builder::push_link;
use recording::Recording;
pub(crate) use recording::SharedSpan;

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

    /// Adds an event with a level at a given time.
    pub fn event_at(
        &mut self,
        level: Level,
        name: impl Into<Str>,
        time: SystemTime,
        attributes: impl IntoIterator<Item = KeyValue>,
    ) {
        self.with_recording(|recording| {
            recording.add_event(name.into(), Some(level), attributes, clock::unix_nanos(time))
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
