//! Calls between services: a span whose parent is a span of another service is one call
//! from the parent's service to its own. An engine gives [`DependencyCounter`] the spans of
//! each whole trace, in the few fields of a [`CallSpan`].

use std::collections::HashMap;

use clew::SpanId;

use super::Histogram;
use crate::TimeRange;
use crate::model::{Dependency, StoredSpan};

/// What counting the calls between services needs of a span.
#[derive(Debug, Clone, Copy)]
pub struct CallSpan<'a> {
    pub service: &'a str,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub start_unix_nano: u64,
    pub duration_nanos: u64,
    pub error: bool,
}

impl<'a> CallSpan<'a> {
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

    /// Counts the edges of one trace (all of its spans in one source), if its earliest span
    /// started in the range: each span whose parent is in the trace and belongs to another
    /// service.
    pub fn add_trace(&mut self, spans: &[CallSpan<'_>]) {
        let start = spans.iter().map(|span| span.start_unix_nano).min().unwrap_or(0);
        if !self.range.contains(start) {
            return;
        }
        let by_id: HashMap<SpanId, &str> = spans.iter().map(|span| (span.span_id, span.service)).collect();
        for span in spans {
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
