//! Attribute names the layer writes besides the fields of spans and events.

/// The `tracing` level of a span (`TRACE` … `ERROR`). Events keep theirs as the event's
/// level instead.
pub const LEVEL: &str = "level";
/// The `tracing` target (by default the module path).
pub const TARGET: &str = "target";
/// The source file of the span's or event's callsite.
pub const CODE_FILE_PATH: &str = clew::semconv::code::CODE_FILE_PATH;
/// The line of the callsite.
pub const CODE_LINE_NUMBER: &str = clew::semconv::code::CODE_LINE_NUMBER;
/// The Rust module of the callsite. The semantic conventions have no key for a module
/// since `code.namespace` was folded into `code.function.name`; this is the name the
/// OpenTelemetry bridge for `tracing` writes, so queries match spans from either bridge.
pub const CODE_MODULE_NAME: &str = "code.module.name";
/// A span or event field that renames the span.
pub const OTEL_NAME: &str = "otel.name";
/// A span field that sets the span's kind (`server`, `client`, `producer`, `consumer`,
/// `internal`); read when the span starts.
pub const OTEL_KIND: &str = "otel.kind";
/// A span field that sets the status: `ok`, `error` or `unset`.
pub const OTEL_STATUS_CODE: &str = "otel.status_code";
/// A span field that sets an error status with this message.
pub const OTEL_STATUS_MESSAGE: &str = "otel.status_message";
/// The same as [`OTEL_STATUS_MESSAGE`], under the name the OpenTelemetry bridge reads.
pub const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";
/// A field that marks its span as failed, with the value as the status message.
pub const ERROR: &str = "error";
/// The event field that names the event.
pub const MESSAGE: &str = "message";
