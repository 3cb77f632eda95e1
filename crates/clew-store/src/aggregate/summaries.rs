//! Trace summaries, built from parts: an engine sums up the spans of a trace that one
//! source holds (a block, the head, a database's rows) into a [`PartialSummary`], merges the
//! parts of each trace, and finishes them into the [`TraceSummary`] of a search result.

use std::collections::BTreeMap;

use clew::{SpanData, TraceId};

use crate::model::TraceSummary;

/// The summary of a trace's spans, or `None` if there are none.
pub fn summarize<'a>(
    trace_id: TraceId,
    spans: impl IntoIterator<Item = (&'a str, &'a SpanData)>,
) -> Option<TraceSummary> {
    let mut summary = PartialSummary::default();
    for (service, span) in spans {
        summary.add_span(service, span);
    }
    summary.finish(trace_id)
}

/// What some of a trace's spans say about it: the spans of one block, or of the head.
/// Parts of the same trace merge into its [`TraceSummary`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartialSummary {
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub span_count: u64,
    pub error_count: u64,
    /// The best root candidate so far.
    pub root: Option<RootCandidate>,
    /// Span count per service.
    pub services: BTreeMap<String, u64>,
}

/// A span that may be a trace's root: the best one wins (see [`RootCandidate::beats`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RootCandidate {
    /// It has no parent.
    pub parentless: bool,
    pub start_unix_nano: u64,
    pub service: String,
    pub operation: String,
}

impl RootCandidate {
    /// Whether this candidate is a better root than `other`: one without a parent beats
    /// one with, then the earlier start wins.
    pub fn beats(&self, other: &RootCandidate) -> bool {
        other.loses_to(self.parentless, self.start_unix_nano)
    }

    pub fn loses_to(&self, parentless: bool, start_unix_nano: u64) -> bool {
        (parentless && !self.parentless) || (parentless == self.parentless && start_unix_nano < self.start_unix_nano)
    }
}

impl PartialSummary {
    /// Counts one span.
    pub fn add_span(&mut self, service: &str, span: &SpanData) {
        self.add(
            service,
            &span.name,
            span.start_time_unix_nano,
            span.end_time_unix_nano,
            span.status.is_error(),
            span.parent_span_id.is_none(),
        );
    }

    /// Counts one span given by its parts.
    pub fn add(
        &mut self,
        service: &str,
        name: &str,
        start_unix_nano: u64,
        end_unix_nano: u64,
        error: bool,
        parentless: bool,
    ) {
        if self.span_count == 0 {
            self.start_unix_nano = u64::MAX;
        }
        self.start_unix_nano = self.start_unix_nano.min(start_unix_nano);
        self.end_unix_nano = self.end_unix_nano.max(end_unix_nano).max(start_unix_nano);
        self.span_count += 1;
        self.error_count += u64::from(error);
        match self.services.get_mut(service) {
            Some(count) => *count += 1,
            None => {
                self.services.insert(service.to_owned(), 1);
            }
        }
        if self.root.as_ref().is_none_or(|root| root.loses_to(parentless, start_unix_nano)) {
            self.root = Some(RootCandidate {
                parentless,
                start_unix_nano,
                service: service.to_owned(),
                operation: name.to_owned(),
            });
        }
    }

    /// Adds what another part of the same trace says.
    pub fn merge(&mut self, other: PartialSummary) {
        if other.span_count == 0 {
            return;
        }
        if self.span_count == 0 {
            *self = other;
            return;
        }
        self.start_unix_nano = self.start_unix_nano.min(other.start_unix_nano);
        self.end_unix_nano = self.end_unix_nano.max(other.end_unix_nano);
        self.span_count += other.span_count;
        self.error_count += other.error_count;
        for (service, count) in other.services {
            *self.services.entry(service).or_default() += count;
        }
        if let Some(root) = other.root {
            if self.root.as_ref().is_none_or(|known| root.beats(known)) {
                self.root = Some(root);
            }
        }
    }

    /// The trace's summary, or `None` if no span was counted.
    pub fn finish(self, trace_id: TraceId) -> Option<TraceSummary> {
        let root = self.root?;
        Some(TraceSummary {
            trace_id,
            root_service: root.service,
            root_operation: root.operation,
            root_found: root.parentless,
            start_unix_nano: self.start_unix_nano,
            duration_nanos: self.end_unix_nano - self.start_unix_nano,
            span_count: self.span_count,
            error_count: self.error_count,
            services: self.services.into_iter().collect(),
        })
    }
}
