//! Arguments named in `args(...)` are formatted only when the span records: a call that
//! the sampler dropped costs no `Debug` formatting and no clones.

mod common;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use clew::{SpanContext, SpanId, TraceFlags, TraceId};

/// Counts how often it is formatted.
struct Counted<'a>(&'a AtomicUsize);

impl fmt::Debug for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}

#[clew::trace(args(payload))]
fn process(payload: Counted<'_>) -> usize {
    payload.0.load(Ordering::SeqCst)
}

#[test]
fn arguments_are_formatted_only_for_recorded_spans() {
    common::exporter();
    let formatted = AtomicUsize::new(0);
    let unsampled_parent = SpanContext::remote(TraceId::from_u128(0xabc), SpanId::from_u64(0xdef), TraceFlags::NONE);
    {
        let _remote = clew::enter_context(unsampled_parent);
        assert_eq!(process(Counted(&formatted)), 0);
    }
    assert_eq!(formatted.load(Ordering::SeqCst), 0, "not formatted when dropped by the sampler");
    assert!(common::spans_of(TraceId::from_u128(0xabc)).is_empty());

    let (seen, tree) = common::traced(|| process(Counted(&formatted)));
    assert_eq!(seen, 1, "formatted once, before the body runs");
    assert_eq!(tree, "test\n  process {payload=\"counted\"}\n");
}
