//! The cases every storage engine must pass: what the [`Store`] contract promises, checked
//! with exact answers.
//!
//! The server, the CLI and the tools speak only to [`Store`], so an engine is as good as its
//! answers to that trait. This module writes fixed data (fixed ids, fixed times a few hours
//! before now) through [`Store::write`] and asserts exact answers: ids, counts, orders, every
//! field of a span, percentiles within [`PERCENTILE_RELATIVE_ERROR`](crate::PERCENTILE_RELATIVE_ERROR)
//! of the exact ones. Each case also asks again after [`Store::flush`], after a restart, or
//! after retention, so that the answers are the same wherever the engine keeps the data.
//!
//! An engine runs the suite from one of its integration tests: it implements [`Harness`]
//! (how to open an empty store, restart it and apply retention) and invokes
//! [`conformance_tests!`](crate::conformance_tests), which expands into one `#[test]` per
//! case. The harness expression is evaluated once per test, so every case gets its own
//! harness.
//!
//! ```ignore
//! // crates/my-engine/tests/my_engine_passes_the_conformance_suite.rs
//! // (with `clew-store = { features = ["conformance"] }` among the dev-dependencies)
//! use clew_store::conformance::Harness;
//!
//! struct MyHarness { /* a temporary directory, a database schema, … */ }
//!
//! impl Harness for MyHarness {
//!     type Store = MyStore;
//!     fn open(&mut self) -> MyStore { /* a new, empty store */ }
//!     fn reopen(&mut self, store: MyStore) -> MyStore { /* close it, open the same data */ }
//!     fn apply_retention(&mut self, store: MyStore, retention: std::time::Duration) -> MyStore {
//!         /* delete what ended longer ago than `retention`, now */
//!     }
//! }
//!
//! clew_store::conformance_tests!(MyHarness::new());
//! ```
//!
//! A case is also a plain function (`conformance::answers_survive_a_restart(&mut harness)`),
//! for an engine that wants to run one case under other settings. A failing case panics with
//! a message that says which answer was wrong and what was expected.
//!
//! The module is compiled with the crate's `conformance` feature only, for engines' tests.

// This is test code: a case fails by panicking, as `assert!` does, and says so in its message.
#![allow(clippy::missing_panics_doc)]

mod data;
mod dependencies;
mod lifecycle;
mod repeats;
mod search;
mod summaries;
mod traces;

use std::time::Duration;

use crate::Store;

pub use dependencies::{
    a_call_is_counted_when_its_two_spans_were_written_out_apart, dependencies_count_the_calls_between_services,
};
pub use lifecycle::{
    answers_are_the_same_from_memory_and_from_disk, answers_survive_a_restart, retention_deletes_what_ended_before_it,
};
pub use repeats::a_span_written_twice_is_counted_once;
pub use search::{
    search_applies_every_condition_and_answers_newest_first,
    search_ranks_a_trace_by_its_earliest_span_wherever_that_is_kept, services_and_operations_are_listed_sorted,
};
pub use summaries::{
    error_groups_gather_failures_by_service_operation_and_message, operation_stats_count_spans_per_bucket,
};
pub use traces::{a_span_reads_back_field_by_field, a_trace_is_found_whole_across_memory_and_disk};

/// How the suite drives an engine: open an empty store, restart it, apply retention.
///
/// Each case calls [`open`](Harness::open) once, and hands the store back to
/// [`reopen`](Harness::reopen) and [`apply_retention`](Harness::apply_retention), which
/// answer the store to use from then on. A harness panics when the engine fails to do what
/// is asked (the case fails with its message).
pub trait Harness {
    /// The engine under test.
    type Store: Store + 'static;

    /// A new, empty store. Until [`apply_retention`](Harness::apply_retention) is called it
    /// keeps what ended within the last week: the cases' data is a few hours old, and two days
    /// old where a case wants old data.
    fn open(&mut self) -> Self::Store;

    /// Closes the store (it writes out what it holds) and opens it again over the same data,
    /// as a restart does.
    fn reopen(&mut self, store: Self::Store) -> Self::Store;

    /// Applies `retention` now: the engine deletes what ended longer ago than that, and
    /// answers the store to use afterwards.
    fn apply_retention(&mut self, store: Self::Store, retention: Duration) -> Self::Store;
}

/// Expands into one `#[test]` per conformance case, each running the case against a new
/// harness made by the given expression.
///
/// ```ignore
/// clew_store::conformance_tests!(EmbeddedHarness::new());
/// ```
///
/// expands into tests named as the cases are, such as
/// `a_trace_is_found_whole_across_memory_and_disk`, each doing
/// `clew_store::conformance::a_trace_is_found_whole_across_memory_and_disk(&mut EmbeddedHarness::new())`.
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr $(,)?) => {
        $crate::conformance_tests!(@cases $harness;
            a_trace_is_found_whole_across_memory_and_disk,
            a_span_reads_back_field_by_field,
            a_span_written_twice_is_counted_once,
            search_applies_every_condition_and_answers_newest_first,
            search_ranks_a_trace_by_its_earliest_span_wherever_that_is_kept,
            services_and_operations_are_listed_sorted,
            dependencies_count_the_calls_between_services,
            a_call_is_counted_when_its_two_spans_were_written_out_apart,
            operation_stats_count_spans_per_bucket,
            error_groups_gather_failures_by_service_operation_and_message,
            answers_survive_a_restart,
            answers_are_the_same_from_memory_and_from_disk,
            retention_deletes_what_ended_before_it,
        );
    };
    (@cases $harness:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                let mut harness = $harness;
                $crate::conformance::$case(&mut harness);
            }
        )+
    };
}
