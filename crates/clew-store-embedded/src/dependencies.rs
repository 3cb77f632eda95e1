//! The calls between services, counted over every place the store keeps spans: the head,
//! the head being written out, and the blocks.
//!
//! An edge is a property of a trace, so a trace is counted once, with all of its spans: a
//! call whose caller span was written out to a block before its callee arrived in the head
//! is a call all the same, and so is one whose two spans are in two blocks. Most traces
//! are kept in one place, and that place counts them on its own as it is read (a block from
//! seven narrow columns, `block/scan.rs`). The few that several places hold are found
//! before any span is read, from what the store keeps in memory: the heads' trace index and
//! the blocks' trace tables (`block/summaries.rs`), both of which know each trace's id and
//! its earliest start there. The spans of those traces are set aside as they pass
//! ([`OwnedCallSpan`]: service, ids, start, duration, error) and each trace is counted once
//! at the end.
//!
//! The range rule: a trace counts when its earliest span, over every place, started in the
//! range. Only a trace that a head, or a block overlapping the range, holds with a start in
//! the range can count; only those are looked up in the blocks outside the range, which
//! may hold later spans of it (a block after the range) or an earlier one that rules it
//! out (a block before). A block outside the range is read only for the traces of the
//! range it holds, and only its row groups that may hold them.
//!
//! The cost follows the traces of the range and of the heads, not every trace kept: the
//! trace ids of the blocks overlapping the range are merged in id order (a k-way merge of
//! sorted lists), each trace that started in the range is looked up in the other blocks,
//! and each trace of the heads in every block, by galloping forward through their sorted
//! ids.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use clew::TraceId;
use clew_store::aggregate::{CallSpan, DependencyCounter, OwnedCallSpan};
use clew_store::model::Dependency;
use clew_store::{StoreError, TimeRange};

use crate::block::{Block, TraceTable};
use crate::head::Head;

/// A count of the calls between services in the traces that started in a range.
///
/// Its steps, over one moment's heads and blocks: [`DependencyCount::new`] with the blocks,
/// then [`add_heads`](DependencyCount::add_heads) under the heads' locks (with the same
/// blocks, which must not change in between), then [`add_blocks`](DependencyCount::add_blocks),
/// then [`finish`](DependencyCount::finish).
#[derive(Debug)]
pub(crate) struct DependencyCount {
    counter: DependencyCounter,
    /// The traces that more than one place holds, among those that may count.
    spread: HashMap<TraceId, Spread>,
}

/// A trace that more than one place holds.
#[derive(Debug)]
struct Spread {
    /// Its earliest start over every place.
    start_unix_nano: u64,
    /// The positions of the blocks that hold some of it, in the list of blocks counted.
    blocks: Vec<usize>,
    /// Its spans gathered so far, if it started in the range.
    spans: Vec<OwnedCallSpan>,
}

impl DependencyCount {
    /// Finds the traces that started in `range` in a block overlapping it and that another
    /// block holds too.
    pub(crate) fn new(range: TimeRange, blocks: &[Arc<Block>]) -> DependencyCount {
        let mut inside = Vec::new();
        let mut outside = Vec::new();
        for (position, block) in blocks.iter().enumerate() {
            let cursor = Cursor { table: block.trace_table(), next: 0, block: position };
            if overlaps(range, block) { inside.push(cursor) } else { outside.push(cursor) }
        }
        let mut heap: BinaryHeap<Reverse<(TraceId, usize)>> = BinaryHeap::with_capacity(inside.len());
        for (index, cursor) in inside.iter().enumerate() {
            if let Some(trace_id) = cursor.peek() {
                heap.push(Reverse((trace_id, index)));
            }
        }
        let mut spread = HashMap::new();
        while let Some(&Reverse((trace_id, _))) = heap.peek() {
            let mut start_unix_nano = u64::MAX;
            let mut started_in_range = false;
            let mut holders = Vec::new();
            while let Some(&Reverse((next_id, index))) = heap.peek() {
                if next_id != trace_id {
                    break;
                }
                heap.pop();
                let cursor = &mut inside[index];
                let start = cursor.take();
                start_unix_nano = start_unix_nano.min(start);
                started_in_range |= range.contains(start);
                holders.push(cursor.block);
                if let Some(following) = cursor.peek() {
                    heap.push(Reverse((following, index)));
                }
            }
            if !started_in_range {
                // Every place that holds it judges it by a start outside the range, and so
                // would the whole trace: counting it in parts counts nothing of it either.
                continue;
            }
            for cursor in &mut outside {
                if let Some(start) = cursor.seek(trace_id) {
                    start_unix_nano = start_unix_nano.min(start);
                    holders.push(cursor.block);
                }
            }
            if holders.len() > 1 {
                spread.insert(trace_id, Spread { start_unix_nano, blocks: holders, spans: Vec::new() });
            }
        }
        DependencyCount { counter: DependencyCounter::new(range), spread }
    }

    /// Finds the traces that a head holds and another head or a block holds too, then
    /// counts the traces the heads hold alone and sets aside the spans of the others. The
    /// caller holds the heads' locks, and `blocks` are those given to
    /// [`DependencyCount::new`].
    pub(crate) fn add_heads(&mut self, heads: &[&Head], blocks: &[Arc<Block>]) {
        let mut starts: Vec<(TraceId, u64)> = heads.iter().flat_map(|head| head.trace_starts()).collect();
        starts.sort_unstable();
        let mut cursors: Vec<Cursor<'_>> = blocks
            .iter()
            .enumerate()
            .map(|(position, block)| Cursor { table: block.trace_table(), next: 0, block: position })
            .collect();
        let mut index = 0;
        while index < starts.len() {
            let trace_id = starts[index].0;
            let mut start_unix_nano = u64::MAX;
            let mut heads_holding = 0;
            while index < starts.len() && starts[index].0 == trace_id {
                start_unix_nano = start_unix_nano.min(starts[index].1);
                heads_holding += 1;
                index += 1;
            }
            let mut holders = Vec::new();
            for cursor in &mut cursors {
                if let Some(start) = cursor.seek(trace_id) {
                    start_unix_nano = start_unix_nano.min(start);
                    holders.push(cursor.block);
                }
            }
            if heads_holding + holders.len() > 1 {
                // What `new` found of it, if anything, left out the heads.
                self.spread.insert(trace_id, Spread { start_unix_nano, blocks: holders, spans: Vec::new() });
            }
        }
        for head in heads {
            head.for_each_trace(|trace_id, spans| {
                let calls: Vec<CallSpan<'_>> = spans.iter().map(|stored| CallSpan::of(stored)).collect();
                self.give(trace_id, &calls);
            });
        }
    }

    /// Reads the blocks (those given to [`DependencyCount::new`]): counts the traces each
    /// holds alone and sets aside the spans of the others. A block outside the range is
    /// read only for the traces that started in it.
    pub(crate) fn add_blocks(&mut self, blocks: &[Arc<Block>]) -> Result<(), StoreError> {
        let range = self.counter.range();
        let mut wanted: Vec<Vec<TraceId>> = vec![Vec::new(); blocks.len()];
        for (trace_id, spread) in &self.spread {
            if range.contains(spread.start_unix_nano) {
                for &position in &spread.blocks {
                    wanted[position].push(*trace_id);
                }
            }
        }
        for (block, traces) in blocks.iter().zip(&mut wanted) {
            if overlaps(range, block) {
                block.trace_calls(None, &mut |trace_id, calls| self.give(trace_id, calls))?;
            } else if !traces.is_empty() {
                traces.sort_unstable();
                block.trace_calls(Some(traces), &mut |trace_id, calls| self.give(trace_id, calls))?;
            }
        }
        Ok(())
    }

    /// Counts the traces gathered from several places, and answers the edges.
    pub(crate) fn finish(mut self) -> Vec<Dependency> {
        for spread in self.spread.values() {
            if !spread.spans.is_empty() {
                self.counter.add_owned_trace(&spread.spans);
            }
        }
        self.counter.finish()
    }

    /// Takes one place's spans of a trace: counts them if the trace is all there, sets them
    /// aside if other places hold more of it and it started in the range.
    fn give(&mut self, trace_id: TraceId, calls: &[CallSpan<'_>]) {
        let range = self.counter.range();
        match self.spread.get_mut(&trace_id) {
            None => self.counter.add_trace(calls),
            Some(spread) if range.contains(spread.start_unix_nano) => {
                spread.spans.extend(calls.iter().copied().map(OwnedCallSpan::from));
            }
            Some(_) => {}
        }
    }
}

/// Whether a block may hold spans that started in `range`: it is read whole.
fn overlaps(range: TimeRange, block: &Block) -> bool {
    let meta = block.meta();
    range.overlaps(meta.min_start_unix_nano, meta.max_end_unix_nano)
}

/// A place in a block's sorted trace ids, moving forward only.
#[derive(Debug)]
struct Cursor<'a> {
    table: &'a TraceTable,
    /// The next entry of the table.
    next: usize,
    /// The block's position in the list of blocks counted.
    block: usize,
}

impl Cursor<'_> {
    /// The next trace id.
    fn peek(&self) -> Option<TraceId> {
        self.table.ids().get(self.next).copied()
    }

    /// The earliest start of the next trace (over its entries), moving past it.
    fn take(&mut self) -> u64 {
        let ids = self.table.ids();
        let Some(&trace_id) = ids.get(self.next) else { return u64::MAX };
        let mut start = u64::MAX;
        while ids.get(self.next) == Some(&trace_id) {
            start = start.min(self.table.start_at(self.next));
            self.next += 1;
        }
        start
    }

    /// Moves to the first trace id not below `trace_id` ([`gallop`]); answers the trace's
    /// earliest start if the table holds it, and moves past it.
    fn seek(&mut self, trace_id: TraceId) -> Option<u64> {
        self.next += gallop(&self.table.ids()[self.next..], trace_id);
        if self.peek() == Some(trace_id) { Some(self.take()) } else { None }
    }
}

/// The number of ids in `sorted` below `wanted`, found by galloping: 1, 2, 4, … entries
/// ahead, then a binary search between the last two probes, so that looking up ids in
/// order through one list costs the log of the distance moved each time.
fn gallop(sorted: &[TraceId], wanted: TraceId) -> usize {
    let mut bound = 1;
    while bound < sorted.len() && sorted[bound] < wanted {
        bound *= 2;
    }
    let low = bound / 2;
    let high = (bound + 1).min(sorted.len());
    low + sorted[low..high].partition_point(|id| *id < wanted)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn galloping_finds_what_a_binary_search_finds(
            mut ids in proptest::collection::vec(0_u128..200, 0..120),
            wanted in 0_u128..210,
        ) {
            ids.sort_unstable();
            let ids: Vec<TraceId> = ids.into_iter().map(TraceId::from_u128).collect();
            let wanted = TraceId::from_u128(wanted);
            prop_assert_eq!(gallop(&ids, wanted), ids.partition_point(|id| *id < wanted));
        }
    }
}
