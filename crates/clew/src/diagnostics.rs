//! How the SDK reports its own problems: once per kind, on standard error.
//!
//! The SDK must never panic or stop the application over its own trouble (a full queue,
//! a failing exporter, a bad environment value), yet an operator needs to hear about it.
//! Each kind of problem is reported the first time it happens; counters
//! ([`Tracer::stats`](crate::Tracer::stats)) tell how often. An application can route the
//! reports elsewhere with [`set_handler`].

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

type Handler = Box<dyn Fn(&str) + Send + Sync>;

static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
static HANDLER: RwLock<Option<Handler>> = RwLock::new(None);

/// Routes the SDK's reports to `handler` instead of standard error.
///
/// ```
/// clew::diagnostics::set_handler(|message| {
///     let _ = message; // e.g. forward to the application's logger
/// });
/// ```
pub fn set_handler(handler: impl Fn(&str) + Send + Sync + 'static) {
    *HANDLER.write().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(handler));
}

/// Reports `message` unless a report with the same `key` was made before. For the SDK's
/// companion crates (exporters, bridges), so that their reports go the same way.
pub fn report_once(key: &str, message: fmt::Arguments<'_>) {
    let seen = SEEN.get_or_init(|| Mutex::new(HashSet::new()));
    if !seen.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned()) {
        return;
    }
    let text = format!("clew: {message}");
    match HANDLER.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
        Some(handler) => handler(&text),
        #[allow(clippy::print_stderr)]
        None => eprintln!("{text}"),
    }
}
