//! What the server tells its operator about itself, besides `/metrics`: one struct per kind
//! of event, each writing one line to standard error as `clew serve: <what happened>
//! key=value …` (a lowercase message, structured fields, no trailing period).
//!
//! An event that a client can cause on every request is logged once per server and key, so
//! a misbehaving client cannot flood the log; its count is in `/metrics` either way.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use clew_otlp::{RejectReason, Rejected};

/// Remembers which once-only events were already logged.
#[derive(Debug, Default)]
pub(crate) struct LoggedOnce {
    seen: Mutex<HashSet<(&'static str, RejectReason)>>,
}

impl LoggedOnce {
    /// Whether `key` is logged for the first time now.
    fn first(&self, key: (&'static str, RejectReason)) -> bool {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).insert(key)
    }
}

/// Spans a receiver left out of an accepted request, with no way to tell the client (Zipkin
/// has no partial-success answer). Logged the first time a receiver refuses spans for a
/// reason.
#[derive(Debug)]
pub(crate) struct SpansRefused<'a> {
    /// The receiver (`zipkin`, …).
    pub(crate) receiver: &'static str,
    /// What was refused, by reason.
    pub(crate) rejected: &'a [Rejected],
}

impl SpansRefused<'_> {
    pub(crate) fn emit(&self, logged: &LoggedOnce) {
        for item in self.rejected {
            if item.count > 0 && logged.first((self.receiver, item.reason)) {
                write_line(&format!(
                    "refused spans receiver={} reason={:?} count={} (logged once per receiver and reason; \
                     clew_spans_refused_total counts them all)",
                    self.receiver,
                    item.reason.to_string(),
                    item.count
                ));
            }
        }
    }
}

/// The store began refusing writes until something outside changes (a full disk), or
/// took them again. Logged when it changes, so once per episode.
#[derive(Debug)]
pub(crate) struct WritesRefused<'a> {
    /// Why, or `None` when writes are taken again.
    pub(crate) reason: Option<&'a str>,
}

impl WritesRefused<'_> {
    pub(crate) fn emit(&self) {
        match self.reason {
            Some(reason) => write_line(&format!(
                "writes refused reason={reason:?} (clients are answered 503 / UNAVAILABLE and retry; \
                 /readyz is not ready until writes succeed again)"
            )),
            None => write_line("writes resumed"),
        }
    }
}

#[allow(clippy::print_stderr, reason = "the server's log is its standard error")]
fn write_line(line: &str) {
    eprintln!("clew serve: {line}");
}

/// `2 with an invalid trace id, 1 with an invalid timestamp or duration`.
pub(crate) fn describe_rejected(rejected: &[Rejected]) -> String {
    let parts: Vec<String> = rejected.iter().map(|item| format!("{} with an {}", item.count, item.reason)).collect();
    parts.join(", ")
}
