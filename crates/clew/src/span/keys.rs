//! Attribute keys and event names that clew itself writes.

/// The project a seed-style trace belongs to; on every span of the trace.
pub const PROJECT_ID: &str = "clew.project_id";
/// The request a seed-style trace serves; on every span of the trace.
pub const REQUEST_ID: &str = "clew.request_id";
/// The request id a propagator extracted (from `x-request-id`), as a string array, per
/// OpenTelemetry's `http.request.header.<key>` convention.
pub const HTTP_REQUEST_HEADER_X_REQUEST_ID: &str = "http.request.header.x-request-id";
/// Prefix of a trace's input fields, on its `clew.trace.started` event.
pub const INPUT_PREFIX: &str = "clew.input.";
/// Prefix of a trace's context fields, on its `clew.trace.started` event.
pub const CONTEXT_PREFIX: &str = "clew.context.";
/// A trace's tags (string array), on its `clew.trace.started` event.
pub const TAGS: &str = "clew.tags";
/// A trace's final status (`ok`, `error`, `unset`), on its `clew.trace.ended` event.
pub const TRACE_STATUS: &str = "clew.trace.status";
/// The message of a trace's error status, on its `clew.trace.ended` event.
pub const TRACE_STATUS_MESSAGE: &str = "clew.trace.status_message";
/// Set to true on spans that `Trace::end` closed because they were still running.
pub const AUTO_CLOSED: &str = "clew.auto_closed";
/// The trace-level event that `Trace::start` emits.
pub const TRACE_STARTED: &str = "clew.trace.started";
/// The trace-level event that `Trace::end` emits.
pub const TRACE_ENDED: &str = "clew.trace.ended";
/// The name of the event `record_error` adds.
pub const EXCEPTION_EVENT: &str = "exception";
/// `exception.type`.
pub const EXCEPTION_TYPE: &str = "exception.type";
/// `exception.message`.
pub const EXCEPTION_MESSAGE: &str = "exception.message";
/// The messages of an error's sources, outermost first (string array).
pub const EXCEPTION_CAUSES: &str = "exception.causes";
