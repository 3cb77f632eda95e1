//! The head block: the spans and records written since the last block, in memory and
//! indexed by trace.
//!
//! A span whose trace id and span id the head already holds (an exporter retried a batch
//! the store had taken) is dropped when it is inserted: the head keeps the first copy. The
//! check costs O(1) per span on top of the trace look-up every insert does: the trace's
//! entry keeps its span ids beside their positions, compared in place while the trace has
//! at most [`SCAN_LIMIT`] spans, and kept in a set of the trace's own past that (8 more
//! bytes per span, and about 16 more for the spans of large traces).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use clew::{SpanData, SpanId, TraceId, Value};

use clew_store::aggregate::PartialSummary;
use clew_store::model::{Operation, SearchQuery, StoredRecord, StoredSpan, TraceRecord, WriteBatch};

/// Up to this many spans, a trace's span ids are compared one by one to find a repeat;
/// past it, a set of them answers.
const SCAN_LIMIT: usize = 16;

/// What the head holds of one trace.
#[derive(Debug)]
struct TraceEntry {
    /// The positions of its spans in [`Head::spans`], with their span ids.
    spans: Vec<(u32, SpanId)>,
    records: Vec<u32>,
    /// The earliest start of its spans here (`u64::MAX` while it has none).
    start_unix_nano: u64,
    /// The span ids of a trace with more than [`SCAN_LIMIT`] spans. Boxed: an empty set
    /// would take 48 bytes in every entry, and few traces need one.
    #[expect(clippy::box_collection, reason = "8 bytes per trace instead of 48; few traces have a set")]
    span_ids: Option<Box<HashSet<SpanId>>>,
}

impl Default for TraceEntry {
    fn default() -> TraceEntry {
        TraceEntry { spans: Vec::new(), records: Vec::new(), start_unix_nano: u64::MAX, span_ids: None }
    }
}

impl TraceEntry {
    /// Whether the trace has a span with this id here.
    fn holds(&self, span_id: SpanId) -> bool {
        match &self.span_ids {
            Some(span_ids) => span_ids.contains(&span_id),
            None => self.spans.iter().any(|&(_, held)| held == span_id),
        }
    }

    /// Notes a span at position `index` of [`Head::spans`].
    fn add_span(&mut self, index: u32, span_id: SpanId, start_unix_nano: u64) {
        self.spans.push((index, span_id));
        self.start_unix_nano = self.start_unix_nano.min(start_unix_nano);
        match &mut self.span_ids {
            Some(span_ids) => {
                span_ids.insert(span_id);
            }
            None if self.spans.len() > SCAN_LIMIT => {
                self.span_ids = Some(Box::new(self.spans.iter().map(|&(_, held)| held).collect()));
            }
            None => {}
        }
    }

    /// The positions of its spans in [`Head::spans`].
    fn span_positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.spans.iter().map(|&(index, _)| index as usize)
    }
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
    /// Adds a batch, leaving out the spans it already holds (by trace id and span id).
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
                let entry = self.traces.entry(span.trace_id).or_default();
                if entry.holds(span.span_id) {
                    continue;
                }
                let index = u32::try_from(self.spans.len()).unwrap_or(u32::MAX);
                entry.add_span(index, span.span_id, span.start_time_unix_nano);
                if !operations
                    .iter()
                    .any(|operation| operation.name == span.name.as_ref() && operation.kind == span.kind)
                {
                    operations.insert(Operation { name: span.name.to_string(), kind: span.kind });
                }
                self.bytes += span_bytes(&span);
                self.spans.push(StoredSpan { origin: origin.clone(), span });
            }
        }
        for (origin, records) in batch.records {
            for record in records {
                self.bytes += record_bytes(&record);
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
            entry.span_positions().map(|index| self.spans[index].clone()).collect(),
            entry.records.iter().map(|&index| self.records[index as usize].clone()).collect(),
        )
    }

    /// What the head's spans say about a trace.
    pub(crate) fn summary(&self, trace_id: TraceId) -> PartialSummary {
        let mut summary = PartialSummary::default();
        let Some(entry) = self.traces.get(&trace_id) else { return summary };
        for index in entry.span_positions() {
            let stored = &self.spans[index];
            summary.add_span(stored.service(), &stored.span);
        }
        summary
    }

    /// The earliest start of a trace's spans here, or `None` if the head has none of them.
    pub(crate) fn trace_start(&self, trace_id: TraceId) -> Option<u64> {
        self.traces.get(&trace_id).filter(|entry| !entry.spans.is_empty()).map(|entry| entry.start_unix_nano)
    }

    /// Every trace with spans here and the earliest start of its spans, in no order.
    pub(crate) fn trace_starts(&self) -> impl Iterator<Item = (TraceId, u64)> + '_ {
        self.traces
            .iter()
            .filter(|(_, entry)| !entry.spans.is_empty())
            .map(|(trace_id, entry)| (*trace_id, entry.start_unix_nano))
    }

    /// Calls `f` with the spans of every trace that has any.
    pub(crate) fn for_each_trace(&self, mut f: impl FnMut(TraceId, &[&StoredSpan])) {
        let mut spans = Vec::new();
        for (trace_id, entry) in &self.traces {
            if entry.spans.is_empty() {
                continue;
            }
            spans.clear();
            spans.extend(entry.span_positions().map(|index| &self.spans[index]));
            f(*trace_id, &spans);
        }
    }

    /// The traces with a span that matches, with the start of their earliest span here.
    pub(crate) fn matching_traces(&self, query: &SearchQuery, found: &mut HashMap<TraceId, u64>) {
        for (trace_id, entry) in &self.traces {
            let mut spans = entry.span_positions().map(|index| &self.spans[index]);
            if spans.any(|stored| query.matches(stored.service(), &stored.origin.resource, &stored.span)) {
                let start = entry.start_unix_nano;
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
    /// The spans, to be written out as they are (not copied), and a copy of the records.
    pub(crate) fn contents(&self) -> (Vec<&StoredSpan>, Vec<StoredRecord>) {
        (self.spans.iter().collect(), self.records.clone())
    }
}

/// What the allocator adds to an allocation, about (glibc: a header, rounding to 16).
const ALLOCATION_BYTES: usize = 16;

/// The head's own entry for a span (its place in its trace's list).
const INDEX_BYTES: usize = 24;

/// The heap of one allocation of `bytes`, as the allocator rounds it.
fn heap(bytes: usize) -> usize {
    if bytes == 0 { 0 } else { bytes.next_multiple_of(16) + ALLOCATION_BYTES }
}

/// A string's heap: its `Arc<str>` (two counts, then the text). A string the SDK wrote as a
/// constant has none, but every string that arrives over the network does.
fn text_bytes(text: &str) -> usize {
    heap(if text.is_empty() { 0 } else { 16 + text.len() })
}

/// What a list holds beyond its own three words: its buffer, at its capacity.
fn list_bytes<T>(list: &Vec<T>) -> usize {
    heap(list.capacity() * std::mem::size_of::<T>())
}

fn attributes_bytes(attributes: &Vec<clew::KeyValue>) -> usize {
    list_bytes(attributes)
        + attributes.iter().map(|attribute| text_bytes(&attribute.key) + value_bytes(&attribute.value)).sum::<usize>()
}

/// The bytes a span takes in the head: the stored span itself, its index entry, and the
/// heap of every string and list it holds — what the allocator is asked for, so that
/// `head_max_bytes` is the memory the head takes.
fn span_bytes(span: &SpanData) -> usize {
    let events: usize =
        span.events.iter().map(|event| text_bytes(&event.name) + attributes_bytes(&event.attributes)).sum::<usize>()
            + list_bytes(&span.events);
    let links: usize = span
        .links
        .iter()
        .map(|link| {
            link.context.trace_state().map_or(0, |state| text_bytes(state.as_str()))
                + attributes_bytes(&link.attributes)
        })
        .sum::<usize>()
        + list_bytes(&span.links);
    let status = match &span.status {
        clew::Status::Error { message } => text_bytes(message),
        _ => 0,
    };
    let texts =
        [&span.trace_state, &span.label].iter().map(|text| text.as_deref().map_or(0, text_bytes)).sum::<usize>();
    std::mem::size_of::<StoredSpan>()
        + INDEX_BYTES
        + text_bytes(&span.name)
        + status
        + texts
        + attributes_bytes(&span.attributes)
        + events
        + links
}

/// The bytes a trace record takes in the head, counted as [`span_bytes`] counts.
fn record_bytes(record: &TraceRecord) -> usize {
    let (name, attributes) = match record {
        TraceRecord::TraceEvent(event) => (&event.name, &event.attributes),
        TraceRecord::SpanLog { event, .. } => (&event.name, &event.attributes),
    };
    std::mem::size_of::<StoredRecord>() + text_bytes(name) + attributes_bytes(attributes)
}

fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text_bytes(text),
        Value::StringArray(items) => list_bytes(items) + items.iter().map(|item| text_bytes(item)).sum::<usize>(),
        Value::BoolArray(items) => list_bytes(items),
        Value::I64Array(items) => list_bytes(items),
        Value::F64Array(items) => list_bytes(items),
        Value::Bool(_) | Value::I64(_) | Value::F64(_) => 0,
    }
}
