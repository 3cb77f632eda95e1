//! Which `tracing` spans are entered on this thread, and the clew contexts they made
//! current.
//!
//! Entering a `tracing` span pushes its clew context on clew's per-thread stack (so clew
//! spans started inside become its children and `clew::current_trace_id` answers);
//! exiting pops it. clew's stack pops by depth, so a span exited out of order (allowed by
//! `tracing`, rare in practice) would take the contexts entered after it with it; those
//! are entered again, in order, so the stack keeps matching what is entered.

use std::cell::RefCell;

use clew::{ContextGuard, SpanContext};
use tracing::span::Id;

struct Entry {
    id: Id,
    context: SpanContext,
    guard: ContextGuard,
}

thread_local! {
    static ENTERED: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// Makes `context` current on this thread for the span `id`.
pub(crate) fn enter(id: &Id, context: SpanContext) {
    let guard = clew::enter_context(context.clone());
    ENTERED.with(|entered| entered.borrow_mut().push(Entry { id: id.clone(), context, guard }));
}

/// Ends the latest entry of the span `id` on this thread.
pub(crate) fn exit(id: &Id) {
    // try_with: a span exited while the thread is being torn down finds no stack.
    let _ = ENTERED.try_with(|entered| {
        let mut entered = entered.borrow_mut();
        let Some(position) = entered.iter().rposition(|entry| entry.id == *id) else {
            return;
        };
        if position + 1 == entered.len() {
            entered.pop();
            return;
        }
        // Out of order: pop the later entries innermost first, then this one, then enter
        // the later ones again.
        let later: Vec<Entry> = entered.drain(position + 1..).collect();
        let mut reentered = Vec::with_capacity(later.len());
        for entry in later.into_iter().rev() {
            drop(entry.guard);
            reentered.push((entry.id, entry.context));
        }
        entered.pop();
        for (id, context) in reentered.into_iter().rev() {
            let guard = clew::enter_context(context.clone());
            entered.push(Entry { id, context, guard });
        }
    });
}
