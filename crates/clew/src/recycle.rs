//! Attribute lists recycled from exported spans to new ones.
//!
//! A span's attribute list is allocated by the thread that records the span and would be
//! freed by the export thread. With the system allocator, memory freed by one thread and
//! allocated by another makes both contend for the allocator's lock on every span. So the
//! export side empties the lists it is done with and hands them back here, and recording
//! threads take them from a small stash of their own, refilled a chunk at a time.

use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};

use crate::value::KeyValue;

/// Lists kept for reuse at most, process-wide.
const MAX_KEPT: usize = 8192;
/// Lists a thread takes from the shared store at once.
const REFILL: usize = 32;
/// Lists of a larger capacity are freed rather than kept.
const MAX_CAPACITY: usize = 64;
/// The capacity of a new list when there is none to reuse.
const FIRST_CAPACITY: usize = 4;

static KEPT: Mutex<Vec<Vec<KeyValue>>> = Mutex::new(Vec::new());

thread_local! {
    static STASH: RefCell<Vec<Vec<KeyValue>>> = const { RefCell::new(Vec::new()) };
}

/// An empty attribute list with room, reused when one is available.
#[inline]
pub(crate) fn attribute_list() -> Vec<KeyValue> {
    let reused = STASH.try_with(|stash| {
        let mut stash = stash.try_borrow_mut().ok()?;
        if stash.is_empty() {
            let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
            let take = kept.len().min(REFILL);
            let from = kept.len() - take;
            stash.extend(kept.drain(from..));
        }
        stash.pop()
    });
    reused.ok().flatten().unwrap_or_else(|| Vec::with_capacity(FIRST_CAPACITY))
}

/// Empties `lists` and keeps them for reuse (up to the limit; the rest are freed).
pub(crate) fn give_back(lists: impl Iterator<Item = Vec<KeyValue>>) {
    let mut emptied: Vec<Vec<KeyValue>> = Vec::new();
    for mut list in lists {
        if list.capacity() == 0 || list.capacity() > MAX_CAPACITY {
            continue;
        }
        list.clear();
        emptied.push(list);
    }
    if emptied.is_empty() {
        return;
    }
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let room = MAX_KEPT.saturating_sub(kept.len());
    emptied.truncate(room);
    kept.append(&mut emptied);
}
