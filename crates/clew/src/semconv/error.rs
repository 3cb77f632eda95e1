//! Errors: `error.type` on a failed operation's span, and the `exception` event's
//! attributes (which [`Span::record_error`](crate::Span::record_error) writes).
//!
//! ```
//! use clew::semconv::error;
//! let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
//! let mut span = tracer.span("charge").start();
//! span.set_attribute(error::ERROR_TYPE, "timeout");
//! span.set_status(clew::Status::error("payment provider timed out"));
//! ```

/// The class of error an operation ended with: a status code as text, an exception's
/// type name, or a short identifier such as `timeout`. `_OTHER` when none fits.
pub const ERROR_TYPE: &str = "error.type";
/// The name of the event that records an exception.
pub const EXCEPTION_EVENT: &str = crate::keys::EXCEPTION_EVENT;
/// The exception's type (on the `exception` event).
pub const EXCEPTION_TYPE: &str = crate::keys::EXCEPTION_TYPE;
/// The exception's message (on the `exception` event).
pub const EXCEPTION_MESSAGE: &str = crate::keys::EXCEPTION_MESSAGE;
/// A stack trace as text (on the `exception` event).
pub const EXCEPTION_STACKTRACE: &str = "exception.stacktrace";
