//! A block's trace table, kept in memory while the block is open: for each trace in the
//! block, what its spans here say about it (start, end, span and error counts, the root
//! candidate, span count per service). A search lists its results from these tables, and
//! from the head, without reading the spans of the traces it found.
//!
//! The table is built from the spans when the block is written, and from a read of seven
//! narrow columns of `spans.parquet` when an existing block is opened. It takes about
//! 100 bytes per trace.
//!
//! Its sorted trace ids and their starts also tell which traces the block holds: a search
//! ranks a trace by its earliest start over every place that holds it, and dependencies
//! find the traces that several blocks (or a block and the head) share, without reading
//! any span.

use std::collections::HashMap;

use clew::TraceId;

use clew_store::aggregate::{PartialSummary, RootCandidate};

/// The trace table of one block.
#[derive(Debug, Default)]
pub(crate) struct TraceTable {
    /// Sorted; a trace whose rows were not consecutive in the file has several entries.
    ids: Vec<TraceId>,
    rows: Vec<Row>,
    /// `(name, span count)` of each row's services, rows' ranges one after the other.
    services: Vec<(u32, u32)>,
    /// Service and span names, each once.
    names: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    start_unix_nano: u64,
    end_unix_nano: u64,
    root_start_unix_nano: u64,
    span_count: u32,
    error_count: u32,
    root_service: u32,
    root_operation: u32,
    services_from: u32,
    services_len: u32,
    root_parentless: bool,
}

impl TraceTable {
    /// How many traces.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The trace ids, sorted; a trace may have several entries, one after the other.
    pub(crate) fn ids(&self) -> &[TraceId] {
        &self.ids
    }

    /// The earliest start of the spans of entry `index` (an index into [`TraceTable::ids`]).
    pub(crate) fn start_at(&self, index: usize) -> u64 {
        self.rows[index].start_unix_nano
    }

    /// The earliest start of a trace's spans in this block, or `None` if it has none of them.
    pub(crate) fn start_of(&self, trace_id: TraceId) -> Option<u64> {
        let first = self.ids.partition_point(|id| *id < trace_id);
        let entries = self.ids[first..].iter().take_while(|id| **id == trace_id).count();
        self.rows[first..first + entries].iter().map(|row| row.start_unix_nano).min()
    }

    /// What this block says about a trace, or `None` if it has none of its spans.
    pub(crate) fn get(&self, trace_id: TraceId) -> Option<PartialSummary> {
        let first = self.ids.partition_point(|id| *id < trace_id);
        let mut summary: Option<PartialSummary> = None;
        for index in first..self.ids.len() {
            if self.ids[index] != trace_id {
                break;
            }
            let part = self.part(&self.rows[index]);
            match &mut summary {
                Some(summary) => summary.merge(part),
                None => summary = Some(part),
            }
        }
        summary
    }

    fn part(&self, row: &Row) -> PartialSummary {
        let name = |index: u32| self.names.get(index as usize).cloned().unwrap_or_default();
        let from = row.services_from as usize;
        let services = self.services.get(from..from + row.services_len as usize).unwrap_or_default();
        PartialSummary {
            start_unix_nano: row.start_unix_nano,
            end_unix_nano: row.end_unix_nano,
            span_count: u64::from(row.span_count),
            error_count: u64::from(row.error_count),
            root: Some(RootCandidate {
                parentless: row.root_parentless,
                start_unix_nano: row.root_start_unix_nano,
                service: name(row.root_service),
                operation: name(row.root_operation),
            }),
            services: services.iter().map(|&(service, count)| (name(service), u64::from(count))).collect(),
        }
    }
}

/// Builds a [`TraceTable`] from spans given trace by trace.
#[derive(Debug, Default)]
pub(crate) struct TraceTableBuilder {
    table: TraceTable,
    name_index: HashMap<String, u32>,
    /// The trace being added and its row so far.
    current: Option<(TraceId, Row)>,
    /// The current row's `(service, span count)`.
    current_services: Vec<(u32, u32)>,
}

/// One span, as the table needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpanFacts<'a> {
    pub(crate) trace_id: TraceId,
    pub(crate) service: &'a str,
    pub(crate) name: &'a str,
    pub(crate) start_unix_nano: u64,
    pub(crate) end_unix_nano: u64,
    pub(crate) error: bool,
    pub(crate) parentless: bool,
}

impl TraceTableBuilder {
    /// Adds a span; the spans of a trace should come one after the other.
    pub(crate) fn push(&mut self, span: SpanFacts<'_>) {
        let service = self.name(span.service);
        if self.current.as_ref().is_none_or(|(id, _)| *id != span.trace_id) {
            self.finish_current();
            let name = self.name(span.name);
            self.current = Some((
                span.trace_id,
                Row {
                    start_unix_nano: span.start_unix_nano,
                    end_unix_nano: span.end_unix_nano.max(span.start_unix_nano),
                    root_start_unix_nano: span.start_unix_nano,
                    span_count: 1,
                    error_count: u32::from(span.error),
                    root_service: service,
                    root_operation: name,
                    services_from: 0,
                    services_len: 0,
                    root_parentless: span.parentless,
                },
            ));
            self.current_services.push((service, 1));
            return;
        }
        let better_root = self.current.as_ref().is_some_and(|(_, row)| {
            (span.parentless && !row.root_parentless)
                || (span.parentless == row.root_parentless && span.start_unix_nano < row.root_start_unix_nano)
        });
        let operation = if better_root { self.name(span.name) } else { 0 };
        if let Some((_, row)) = &mut self.current {
            row.start_unix_nano = row.start_unix_nano.min(span.start_unix_nano);
            row.end_unix_nano = row.end_unix_nano.max(span.end_unix_nano).max(span.start_unix_nano);
            row.span_count = row.span_count.saturating_add(1);
            row.error_count = row.error_count.saturating_add(u32::from(span.error));
            if better_root {
                row.root_parentless = span.parentless;
                row.root_start_unix_nano = span.start_unix_nano;
                row.root_service = service;
                row.root_operation = operation;
            }
        }
        match self.current_services.iter_mut().find(|(name, _)| *name == service) {
            Some((_, count)) => *count = count.saturating_add(1),
            None => self.current_services.push((service, 1)),
        }
    }

    /// The table, sorted by trace id.
    pub(crate) fn finish(mut self) -> TraceTable {
        self.finish_current();
        let mut table = self.table;
        if !table.ids.is_sorted() {
            let mut order: Vec<usize> = (0..table.ids.len()).collect();
            order.sort_by_key(|&index| table.ids[index]);
            table.ids = order.iter().map(|&index| table.ids[index]).collect();
            table.rows = order.iter().map(|&index| table.rows[index]).collect();
        }
        table.ids.shrink_to_fit();
        table.rows.shrink_to_fit();
        table.services.shrink_to_fit();
        table
    }

    fn finish_current(&mut self) {
        let Some((trace_id, mut row)) = self.current.take() else { return };
        row.services_from = u32::try_from(self.table.services.len()).unwrap_or(u32::MAX);
        row.services_len = u32::try_from(self.current_services.len()).unwrap_or(u32::MAX);
        self.table.services.append(&mut self.current_services);
        self.table.ids.push(trace_id);
        self.table.rows.push(row);
    }

    fn name(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.name_index.get(name) {
            return index;
        }
        let index = u32::try_from(self.table.names.len()).unwrap_or(u32::MAX);
        self.table.names.push(name.to_owned());
        self.name_index.insert(name.to_owned(), index);
        index
    }
}
