//! Error spans grouped by service, operation and status message.

use std::collections::HashMap;

use clew::{Status, TraceId};

use super::SpanKey;
use crate::TimeRange;
use crate::model::StoredSpan;

/// How many trace ids an [`ErrorGroup`] lists at most.
pub const ERROR_GROUP_TRACE_IDS: usize = 5;

/// What [`Store::error_groups`](crate::Store::error_groups) looks at: the error spans that
/// started in `range`, of one service or of all; it answers the `limit` largest groups.
///
/// ```
/// use clew_store::{ErrorQuery, TimeRange};
///
/// let payments = ErrorQuery { service: Some("payments".into()), ..ErrorQuery::default() };
/// assert_eq!((payments.range, payments.limit), (TimeRange::ALL, 100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorQuery {
    /// Only this service's spans; all services when `None`.
    pub service: Option<String>,
    /// The start times looked at.
    pub range: TimeRange,
    /// At most this many groups.
    pub limit: usize,
}

impl Default for ErrorQuery {
    fn default() -> ErrorQuery {
        ErrorQuery { service: None, range: TimeRange::ALL, limit: 100 }
    }
}

/// The error spans of one service and operation with one status message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorGroup {
    /// The service.
    pub service: String,
    /// The span name.
    pub operation: String,
    /// The status message, empty when there is none.
    pub message: String,
    /// How many spans.
    pub count: u64,
    /// The earliest start among them.
    pub first_unix_nano: u64,
    /// The latest start among them.
    pub last_unix_nano: u64,
    /// Up to [`ERROR_GROUP_TRACE_IDS`] distinct traces, those of the most recent spans,
    /// newest first.
    pub trace_ids: Vec<TraceId>,
}

/// Gathers error spans given one by one into [`ErrorGroup`]s.
#[derive(Debug)]
pub struct ErrorGroupsBuilder {
    query: ErrorQuery,
    index: HashMap<Vec<u8>, usize>,
    groups: Vec<GroupSums>,
    key: SpanKey,
}

#[derive(Debug)]
struct GroupSums {
    group: ErrorGroup,
    /// The newest start of each of the most recent traces, unordered.
    recent: Vec<(u64, TraceId)>,
}

impl GroupSums {
    /// Keeps the trace if it is among the most recent: a trace's place is its newest span.
    fn note(&mut self, start_unix_nano: u64, trace_id: TraceId) {
        let occurrence = (start_unix_nano, trace_id);
        if let Some(known) = self.recent.iter_mut().find(|(_, known)| *known == trace_id) {
            known.0 = known.0.max(start_unix_nano);
            return;
        }
        if self.recent.len() < ERROR_GROUP_TRACE_IDS {
            self.recent.push(occurrence);
            return;
        }
        if let Some(oldest) = self.recent.iter_mut().min() {
            if occurrence > *oldest {
                *oldest = occurrence;
            }
        }
    }
}

impl ErrorGroupsBuilder {
    pub fn new(query: &ErrorQuery) -> ErrorGroupsBuilder {
        ErrorGroupsBuilder { query: query.clone(), index: HashMap::new(), groups: Vec::new(), key: SpanKey::default() }
    }

    /// The query.
    pub fn query(&self) -> &ErrorQuery {
        &self.query
    }

    /// Whether an error span of `service` that started at `start_unix_nano` counts.
    pub fn wants(&self, service: &str, start_unix_nano: u64) -> bool {
        self.query.range.contains(start_unix_nano)
            && self.query.service.as_deref().is_none_or(|wanted| wanted == service)
    }

    /// Counts a stored span if it is a wanted error span.
    pub fn add_span(&mut self, stored: &StoredSpan) {
        let span = &stored.span;
        if let Status::Error { message } = &span.status {
            self.add(stored.service(), &span.name, message, span.start_time_unix_nano, span.trace_id);
        }
    }

    /// Counts an error span if it is wanted.
    pub fn add(&mut self, service: &str, operation: &str, message: &str, start_unix_nano: u64, trace_id: TraceId) {
        if !self.wants(service, start_unix_nano) {
            return;
        }
        let key = self.key.of(&[service, operation, message]);
        let position = match self.index.get(key) {
            Some(&position) => position,
            None => {
                let position = self.groups.len();
                self.index.insert(key.to_vec(), position);
                self.groups.push(GroupSums {
                    group: ErrorGroup {
                        service: service.to_owned(),
                        operation: operation.to_owned(),
                        message: message.to_owned(),
                        count: 0,
                        first_unix_nano: start_unix_nano,
                        last_unix_nano: start_unix_nano,
                        trace_ids: Vec::new(),
                    },
                    recent: Vec::new(),
                });
                position
            }
        };
        let sums = &mut self.groups[position];
        sums.group.count += 1;
        sums.group.first_unix_nano = sums.group.first_unix_nano.min(start_unix_nano);
        sums.group.last_unix_nano = sums.group.last_unix_nano.max(start_unix_nano);
        sums.note(start_unix_nano, trace_id);
    }

    /// The largest groups (then the most recent), at most the query's limit.
    pub fn finish(self) -> Vec<ErrorGroup> {
        let mut groups: Vec<ErrorGroup> = self
            .groups
            .into_iter()
            .map(|mut sums| {
                sums.recent.sort_unstable_by(|a, b| b.cmp(a));
                sums.group.trace_ids = sums.recent.into_iter().map(|(_, trace_id)| trace_id).collect();
                sums.group
            })
            .collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.last_unix_nano.cmp(&a.last_unix_nano))
                .then_with(|| (&a.service, &a.operation, &a.message).cmp(&(&b.service, &b.operation, &b.message)))
        });
        groups.truncate(self.query.limit);
        groups
    }
}
