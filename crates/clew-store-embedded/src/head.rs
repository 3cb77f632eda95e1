//! The head block: the spans and records written since the last block, in memory and
//! indexed by trace.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use clew::{SpanData, TraceId, Value};

use clew_store::aggregate::PartialSummary;
use clew_store::model::{Operation, SearchQuery, StoredRecord, StoredSpan, WriteBatch};

/// What the head holds of one trace.
#[derive(Debug, Default)]
struct TraceEntry {
    spans: Vec<u32>,
    records: Vec<u32>,
}

/// The head block.
#[derive(Debug, Default)]
pub(crate) struct Head {
    spans: Vec<StoredSpan>,
    records: Vec<StoredRecord>,
    traces: HashMap<TraceId, TraceEntry>,
    operations: BTreeMap<String, BTreeSet<Operation>>,
    bytes: usize,
    first_write: Option<Instant>,
}

impl Head {
    /// Adds a batch.
    pub(crate) fn insert(&mut self, batch: WriteBatch) {
        if batch.is_empty() {
            return;
        }
        self.first_write.get_or_insert_with(Instant::now);
        for (origin, spans) in batch.spans {
            let service = origin.service();
            let operations = match self.operations.get_mut(service) {
                Some(operations) => operations,
                None => self.operations.entry(service.to_owned()).or_default(),
            };
            for span in spans {
                if !operations
                    .iter()
                    .any(|operation| operation.name == span.name.as_ref() && operation.kind == span.kind)
                {
                    operations.insert(Operation { name: span.name.to_string(), kind: span.kind });
                }
                self.bytes += span_bytes(&span);
                let index = u32::try_from(self.spans.len()).unwrap_or(u32::MAX);
                self.traces.entry(span.trace_id).or_default().spans.push(index);
                self.spans.push(StoredSpan { origin: origin.clone(), span });
            }
        }
        for (origin, records) in batch.records {
            for record in records {
                self.bytes += 128;
                let index = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
                self.traces.entry(record.trace_id()).or_default().records.push(index);
                self.records.push(StoredRecord { origin: origin.clone(), record });
            }
        }
    }

    /// How many spans.
    pub(crate) fn span_count(&self) -> usize {
        self.spans.len()
    }

    /// Whether the head holds nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.records.is_empty()
    }

    /// About how many bytes of memory the spans and records take.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest write arrived.
    pub(crate) fn first_write(&self) -> Option<Instant> {
        self.first_write
    }

    /// Copies of what the head holds of one trace.
    pub(crate) fn trace(&self, trace_id: TraceId) -> (Vec<StoredSpan>, Vec<StoredRecord>) {
        let Some(entry) = self.traces.get(&trace_id) else { return (Vec::new(), Vec::new()) };
        (
            entry.spans.iter().map(|&index| self.spans[index as usize].clone()).collect(),
            entry.records.iter().map(|&index| self.records[index as usize].clone()).collect(),
        )
    }

    /// What the head's spans say about a trace.
    pub(crate) fn summary(&self, trace_id: TraceId) -> PartialSummary {
        let mut summary = PartialSummary::default();
        for &index in self.traces.get(&trace_id).map(|entry| entry.spans.as_slice()).unwrap_or_default() {
            let stored = &self.spans[index as usize];
            summary.add_span(stored.service(), &stored.span);
        }
        summary
    }

    /// Calls `f` with the spans of every trace that has any.
    pub(crate) fn for_each_trace(&self, mut f: impl FnMut(TraceId, &[&StoredSpan])) {
        let mut spans = Vec::new();
        for (trace_id, entry) in &self.traces {
            if entry.spans.is_empty() {
                continue;
            }
            spans.clear();
            spans.extend(entry.spans.iter().map(|&index| &self.spans[index as usize]));
            f(*trace_id, &spans);
        }
    }

    /// The traces with a span that matches, with the start of their earliest span here.
    pub(crate) fn matching_traces(&self, query: &SearchQuery, found: &mut HashMap<TraceId, u64>) {
        for (trace_id, entry) in &self.traces {
            let spans = || entry.spans.iter().map(|&index| &self.spans[index as usize]);
            if spans().any(|stored| query.matches(stored.service(), &stored.origin.resource, &stored.span)) {
                let start = spans().map(|stored| stored.span.start_time_unix_nano).min().unwrap_or(0);
                let known = found.entry(*trace_id).or_insert(start);
                *known = (*known).min(start);
            }
        }
    }

    /// Every span, in the order written.
    pub(crate) fn spans(&self) -> &[StoredSpan] {
        &self.spans
    }

    /// The services and their operations.
    pub(crate) fn operations(&self) -> &BTreeMap<String, BTreeSet<Operation>> {
        &self.operations
    }

    /// Everything, to be written as a block.
    pub(crate) fn contents(&self) -> (Vec<StoredSpan>, Vec<StoredRecord>) {
        (self.spans.clone(), self.records.clone())
    }
}

/// About how many bytes a span takes in memory.
fn span_bytes(span: &SpanData) -> usize {
    let attributes: usize = span.attributes.iter().map(|attribute| 48 + value_bytes(&attribute.value)).sum();
    let events: usize = span
        .events
        .iter()
        .map(|event| 64 + event.attributes.iter().map(|attribute| 48 + value_bytes(&attribute.value)).sum::<usize>())
        .sum();
    256 + span.name.len() + attributes + events + span.links.len() * 96
}

fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::StringArray(items) => items.iter().map(|item| 16 + item.len()).sum(),
        Value::BoolArray(items) => items.len(),
        Value::I64Array(items) => items.len() * 8,
        Value::F64Array(items) => items.len() * 8,
        Value::Bool(_) | Value::I64(_) | Value::F64(_) => 0,
    }
}
