//! Calls between services: a span whose parent is a span of another service is one call
//! from the parent's service to its own. An engine gives [`DependencyCounter`] the spans of
//! each whole trace, in the few fields of a [`CallSpan`]. An engine that keeps a trace's
//! spans in several places (memory and disk, several files) gathers them first, as
//! [`OwnedCallSpan`]s, and counts the trace once with all of them.

use std::collections::{HashMap, HashSet};

use clew::SpanId;

use super::Histogram;
use crate::TimeRange;
use crate::model::{Dependency, StoredSpan};

/// What counting the calls between services needs of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSpan<'a> {
    /// The service of the span's resource.
    pub service: &'a str,
    /// The span's id.
    pub span_id: SpanId,
    /// `None` for a root.
    pub parent_span_id: Option<SpanId>,
    /// When the span started.
    pub start_unix_nano: u64,
    /// End − start, 0 when the end is earlier.
    pub duration_nanos: u64,
    /// Whether the span's status is an error.
    pub error: bool,
}

impl<'a> CallSpan<'a> {
    /// The fields of a stored span.
    pub fn of(stored: &'a StoredSpan) -> CallSpan<'a> {
        let span = &stored.span;
        CallSpan {
            service: stored.service(),
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            start_unix_nano: span.start_time_unix_nano,
            duration_nanos: span.duration_nanos(),
            error: span.status.is_error(),
        }
    }
}

/// A [`CallSpan`] that owns its service name: what an engine keeps of a span while it
/// gathers the rest of its trace from other places.
///
/// ```
/// use clew::SpanId;
/// use clew_store::TimeRange;
/// use clew_store::aggregate::{CallSpan, DependencyCounter, OwnedCallSpan};
///
/// let call = |service, id, parent: Option<u64>, start| CallSpan {
///     service,
///     span_id: SpanId::from_u64(id),
///     parent_span_id: parent.map(SpanId::from_u64),
///     start_unix_nano: start,
///     duration_nanos: 5,
///     error: false,
/// };
/// // The caller's span was read from one file, the callee's from another.
/// let gathered: Vec<OwnedCallSpan> =
///     [call("frontend", 1, None, 100), call("checkout", 2, Some(1), 101)].into_iter().map(OwnedCallSpan::from).collect();
/// let mut counter = DependencyCounter::new(TimeRange::new(100, 200));
/// counter.add_owned_trace(&gathered);
/// let edges = counter.finish();
/// assert_eq!((edges[0].parent.as_str(), edges[0].child.as_str(), edges[0].call_count), ("frontend", "checkout", 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedCallSpan {
    /// The service of the span's resource.
    pub service: String,
    /// The span's id.
    pub span_id: SpanId,
    /// `None` for a root.
    pub parent_span_id: Option<SpanId>,
    /// When the span started.
    pub start_unix_nano: u64,
    /// End − start, 0 when the end is earlier.
    pub duration_nanos: u64,
    /// Whether the span's status is an error.
    pub error: bool,
}

impl OwnedCallSpan {
    /// The span as [`DependencyCounter::add_trace`] takes it.
    pub fn as_call_span(&self) -> CallSpan<'_> {
        CallSpan {
            service: &self.service,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            start_unix_nano: self.start_unix_nano,
            duration_nanos: self.duration_nanos,
            error: self.error,
        }
    }
}

impl From<CallSpan<'_>> for OwnedCallSpan {
    fn from(span: CallSpan<'_>) -> OwnedCallSpan {
        OwnedCallSpan {
            service: span.service.to_owned(),
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            start_unix_nano: span.start_unix_nano,
            duration_nanos: span.duration_nanos,
            error: span.error,
        }
    }
}

/// Adds up the edges between services of the spans of whole traces that started in a time
/// range.
#[derive(Debug)]
pub struct DependencyCounter {
    range: TimeRange,
    /// Parent service, then child service.
    edges: HashMap<String, HashMap<String, EdgeSums>>,
}

#[derive(Debug, Default)]
struct EdgeSums {
    calls: u64,
    errors: u64,
    durations: Histogram,
}

impl DependencyCounter {
    /// A counter of the traces whose earliest span started in `range`.
    pub fn new(range: TimeRange) -> DependencyCounter {
        DependencyCounter { range, edges: HashMap::new() }
    }

    /// The range of trace starts counted.
    pub fn range(&self) -> TimeRange {
        self.range
    }

    /// Counts the edges of one trace, if its earliest span started in the range: each span
    /// whose parent is in the trace and belongs to another service. `spans` must be all of
    /// the trace's spans, wherever the engine keeps them: a trace given in parts would lose
    /// the calls between its parts, and each part would be judged by its own earliest span.
    /// A span given twice (the same span id) is counted once.
    pub fn add_trace(&mut self, spans: &[CallSpan<'_>]) {
        let start = spans.iter().map(|span| span.start_unix_nano).min().unwrap_or(0);
        if !self.range.contains(start) {
            return;
        }
        let mut by_id: HashMap<SpanId, &str> = HashMap::with_capacity(spans.len());
        let mut repeated = false;
        for span in spans {
            repeated |= by_id.insert(span.span_id, span.service).is_some();
        }
        // Only a trace with a repeated span pays for remembering which spans were counted.
        let mut counted: HashSet<SpanId> = HashSet::new();
        for span in spans {
            if repeated && !counted.insert(span.span_id) {
                continue;
            }
            let Some(&parent) = span.parent_span_id.and_then(|id| by_id.get(&id)) else { continue };
            if parent == span.service {
                continue;
            }
            let children = match self.edges.get_mut(parent) {
                Some(children) => children,
                None => self.edges.entry(parent.to_owned()).or_default(),
            };
            let edge = match children.get_mut(span.service) {
                Some(edge) => edge,
                None => children.entry(span.service.to_owned()).or_default(),
            };
            edge.calls += 1;
            edge.errors += u64::from(span.error);
            edge.durations.record(span.duration_nanos);
        }
    }

    /// [`add_trace`](DependencyCounter::add_trace) for spans gathered as
    /// [`OwnedCallSpan`]s.
    pub fn add_owned_trace(&mut self, spans: &[OwnedCallSpan]) {
        let borrowed: Vec<CallSpan<'_>> = spans.iter().map(OwnedCallSpan::as_call_span).collect();
        self.add_trace(&borrowed);
    }

    /// The edges, by parent then child.
    pub fn finish(self) -> Vec<Dependency> {
        let mut edges = Vec::new();
        for (parent, children) in self.edges {
            for (child, sums) in children {
                edges.push(Dependency {
                    parent: parent.clone(),
                    child,
                    call_count: sums.calls,
                    error_count: sums.errors,
                    durations: sums.durations.percentiles(),
                });
            }
        }
        edges.sort_by(|a, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
        edges
    }
}
