//! Span context and the current span of each thread.
//!
//! Every thread keeps a stack of the span contexts it has entered. A new span with no
//! explicit parent becomes a child of the top of that stack; [`Span::enter`] pushes
//! and its guard pops. Futures carry their span across `.await` with
//! [`FutureExt::in_span`](crate::FutureExt::in_span), which enters the span around each
//! poll, on whichever thread polls it.
//!
//! [`Span::enter`]: crate::Span::enter

use std::cell::{Cell, RefCell};
use std::fmt;

use crate::id::{SpanId, TraceFlags, TraceId};
use crate::value::Str;

/// What identifies a span across process boundaries: the ids, the W3C flags and
/// `tracestate`, and whether it came from another process.
///
/// ```
/// use clew::{SpanContext, SpanId, TraceFlags, TraceId};
/// let remote = SpanContext::remote(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
///     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
///     TraceFlags::SAMPLED,
/// );
/// assert!(remote.is_valid() && remote.is_remote() && remote.is_sampled());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    is_remote: bool,
    trace_state: Option<Str>,
}

impl SpanContext {
    /// A context of this process.
    pub const fn new(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> SpanContext {
        SpanContext { trace_id, span_id, flags, is_remote: false, trace_state: None }
    }

    /// A context received from another process (by a propagator).
    pub const fn remote(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> SpanContext {
        SpanContext { trace_id, span_id, flags, is_remote: true, trace_state: None }
    }

    /// The same context carrying a W3C `tracestate` value.
    #[must_use]
    pub fn with_trace_state(mut self, trace_state: Option<Str>) -> SpanContext {
        self.trace_state = trace_state;
        self
    }

    /// The trace id.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span id.
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The W3C flags.
    pub fn trace_flags(&self) -> TraceFlags {
        self.flags
    }

    /// Whether the sampled flag is set.
    pub fn is_sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// Whether this context came from another process.
    pub fn is_remote(&self) -> bool {
        self.is_remote
    }

    /// The W3C `tracestate`, if any.
    pub fn trace_state(&self) -> Option<&Str> {
        self.trace_state.as_ref()
    }

    /// Whether both ids are non-zero.
    pub fn is_valid(&self) -> bool {
        self.trace_id.is_valid() && self.span_id.is_valid()
    }
}

impl fmt::Debug for SpanContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanContext")
            .field("trace_id", &format_args!("{}", self.trace_id))
            .field("span_id", &format_args!("{}", self.span_id))
            .field("flags", &format_args!("{}", self.flags))
            .field("is_remote", &self.is_remote)
            .field("trace_state", &self.trace_state)
            .finish()
    }
}

/// The stack of current span contexts of this thread.
pub(crate) struct ThreadState {
    pub(crate) stack: RefCell<Vec<SpanContext>>,
}

/// What the hot path reads per thread, in a thread-local with no destructor (so reading it
/// is a plain memory access, with no registration check): a copy of the top of the stack,
/// and the id generator's state.
pub(crate) struct Hot {
    pub(crate) top: Cell<Option<TopContext>>,
    pub(crate) random: Cell<u64>,
}

/// The parts of the current context that a new span inherits, without its `tracestate`.
#[derive(Clone, Copy)]
pub(crate) struct TopContext {
    pub(crate) trace_id: TraceId,
    pub(crate) flags: TraceFlags,
    pub(crate) is_remote: bool,
    /// The context carries a `tracestate`, which only the full stack holds.
    pub(crate) has_trace_state: bool,
}

impl TopContext {
    fn of(context: &SpanContext) -> TopContext {
        TopContext {
            trace_id: context.trace_id(),
            flags: context.trace_flags(),
            is_remote: context.is_remote(),
            has_trace_state: context.trace_state().is_some(),
        }
    }
}

thread_local! {
    pub(crate) static THREAD: ThreadState = const { ThreadState { stack: RefCell::new(Vec::new()) } };
    pub(crate) static HOT: Hot = const { Hot { top: Cell::new(None), random: Cell::new(0) } };
}

/// The context of this thread's current span, if any.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// assert!(clew::current_context().is_none());
/// let mut span = tracer.span("work").start();
/// let _entered = span.enter();
/// assert!(clew::current_context().is_some());
/// ```
pub fn current_context() -> Option<SpanContext> {
    THREAD.with(|thread| thread.stack.borrow().last().cloned())
}

/// Runs `read` with this thread's current span context, without cloning it.
#[inline]
pub(crate) fn with_current<R>(read: impl FnOnce(Option<&SpanContext>) -> R) -> R {
    THREAD.with(|thread| read(thread.stack.borrow().last()))
}

/// The trace id of this thread's current span, if any.
pub fn current_trace_id() -> Option<TraceId> {
    with_current(|context| context.map(SpanContext::trace_id))
}

/// The span id of this thread's current span, if any.
pub fn current_span_id() -> Option<SpanId> {
    with_current(|context| context.map(SpanContext::span_id))
}

/// Prefixes a log line with the current trace and span ids, as
/// `[trace_id=… span_id=…] message`; the message alone when no span is current.
///
/// ```
/// assert_eq!(clew::log_with_trace("processing"), "processing");
/// ```
pub fn log_with_trace(message: impl fmt::Display) -> String {
    with_current(|context| match context {
        Some(context) => format!("[trace_id={} span_id={}] {message}", context.trace_id(), context.span_id()),
        None => message.to_string(),
    })
}

/// Pushes a context on this thread's stack; the returned depth pops it.
pub(crate) fn push(context: SpanContext) -> usize {
    HOT.with(|hot| hot.top.set(Some(TopContext::of(&context))));
    THREAD.with(|thread| {
        let mut stack = thread.stack.borrow_mut();
        stack.push(context);
        stack.len()
    })
}

/// Pops the context pushed at `depth` (and anything a misbehaving caller left above it).
pub(crate) fn pop(depth: usize) {
    // try_with: a guard dropped while the thread is being torn down finds no stack.
    let _ = THREAD.try_with(|thread| {
        let mut stack = thread.stack.borrow_mut();
        if depth > 0 && stack.len() >= depth {
            stack.truncate(depth - 1);
        }
        HOT.with(|hot| hot.top.set(stack.last().map(TopContext::of)));
    });
}

/// Keeps a span context current on this thread until dropped.
///
/// Made by [`enter_context`]; spans started while it lives are its children.
#[must_use = "the context is current only while the guard lives"]
pub struct ContextGuard {
    depth: usize,
    // Entering is per thread: the guard must be dropped where it was made.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl fmt::Debug for ContextGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextGuard").field("depth", &self.depth).finish()
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        pop(self.depth);
    }
}

/// Makes a context current on this thread: a context extracted from an incoming request,
/// say, so that spans started below become its children.
///
/// ```
/// use clew::{SpanContext, SpanId, TraceFlags, TraceId};
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// let remote = SpanContext::remote(TraceId::from_u128(7), SpanId::from_u64(9), TraceFlags::SAMPLED);
/// let _guard = clew::enter_context(remote);
/// let span = tracer.span("child").start();
/// assert_eq!(span.context().trace_id(), TraceId::from_u128(7));
/// ```
pub fn enter_context(context: SpanContext) -> ContextGuard {
    ContextGuard { depth: push(context), _not_send: std::marker::PhantomData }
}
