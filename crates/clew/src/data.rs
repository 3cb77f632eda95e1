//! The finished records that exporters receive: spans and trace-level events.
//!
//! These types are plain data with public fields so that an exporter can map them to any
//! wire format. Times are nanoseconds since the Unix epoch.

use std::fmt;

use crate::context::SpanContext;
use crate::id::{SpanId, TraceFlags, TraceId};
use crate::value::{KeyValue, Str};

/// What a span represents, as OpenTelemetry defines it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum SpanKind {
    /// Work inside one process (the default).
    #[default]
    Internal,
    /// The handling of a request from a remote client.
    Server,
    /// A request to a remote server.
    Client,
    /// The sending of a message to be handled later.
    Producer,
    /// The handling of a message sent by a producer.
    Consumer,
}

impl SpanKind {
    /// The lowercase name (`server`, `client`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }

    /// Parses a name in any case; `None` for a word that is no OpenTelemetry kind.
    pub fn parse(text: &str) -> Option<SpanKind> {
        let kinds = [SpanKind::Internal, SpanKind::Server, SpanKind::Client, SpanKind::Producer, SpanKind::Consumer];
        kinds.into_iter().find(|kind| kind.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The severity of an event, as in logging.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Level {
    /// Very fine detail.
    Trace,
    /// Detail for debugging.
    Debug,
    /// A normal milestone.
    Info,
    /// Something unexpected that was handled.
    Warn,
    /// A failure.
    Error,
}

impl Level {
    /// The uppercase name (`INFO`, `ERROR`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    /// Parses a name in any case (`warning` is accepted for `WARN`).
    pub fn parse(text: &str) -> Option<Level> {
        let levels = [Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error];
        if text.eq_ignore_ascii_case("warning") {
            return Some(Level::Warn);
        }
        levels.into_iter().find(|level| level.as_str().eq_ignore_ascii_case(text))
    }

    /// The OpenTelemetry log severity number of this level (1, 5, 9, 13, 17).
    pub fn severity_number(self) -> i32 {
        match self {
            Level::Trace => 1,
            Level::Debug => 5,
            Level::Info => 9,
            Level::Warn => 13,
            Level::Error => 17,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a span or a trace.
///
/// ```
/// use clew::Status;
/// assert!(Status::error("card declined").is_error());
/// assert_eq!(Status::Ok.to_string(), "ok");
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum Status {
    /// Nothing was said about the outcome (the default).
    #[default]
    Unset,
    /// The operation succeeded.
    Ok,
    /// The operation failed.
    Error {
        /// What went wrong.
        message: Str,
    },
}

impl Status {
    /// An error status with a message.
    pub fn error(message: impl Into<Str>) -> Status {
        Status::Error { message: message.into() }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        matches!(self, Status::Error { .. })
    }

    /// The OpenTelemetry code name: `unset`, `ok` or `error`.
    pub fn code(&self) -> &'static str {
        match self {
            Status::Unset => "unset",
            Status::Ok => "ok",
            Status::Error { .. } => "error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Error { message } if !message.is_empty() => write!(f, "error: {message}"),
            other => f.write_str(other.code()),
        }
    }
}

/// A timestamped annotation on a span.
#[derive(Clone, PartialEq, Debug)]
pub struct Event {
    /// What happened (`cache.miss`, `exception`, …).
    pub name: Str,
    /// When, in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// The severity, when the event was given one.
    pub level: Option<Level>,
    /// Details.
    pub attributes: Vec<KeyValue>,
    /// Attributes refused by the attribute count limit.
    pub dropped_attributes_count: u32,
}

/// A reference from a span to another span, possibly of another trace.
#[derive(Clone, PartialEq, Debug)]
pub struct Link {
    /// The linked span.
    pub context: SpanContext,
    /// Details.
    pub attributes: Vec<KeyValue>,
    /// Attributes refused by the attribute count limit.
    pub dropped_attributes_count: u32,
}

/// A finished span, as exporters receive it.
#[derive(Clone, PartialEq, Debug)]
pub struct SpanData {
    /// The trace this span belongs to.
    pub trace_id: TraceId,
    /// This span.
    pub span_id: SpanId,
    /// The parent span, or `None` for a root.
    pub parent_span_id: Option<SpanId>,
    /// Whether the parent was received from another process.
    pub parent_is_remote: bool,
    /// The W3C flags this span was started with.
    pub trace_flags: TraceFlags,
    /// The W3C `tracestate` this span carries, if any.
    pub trace_state: Option<Str>,
    /// The operation's name.
    pub name: Str,
    /// The OpenTelemetry kind.
    pub kind: SpanKind,
    /// A free label of the application's own (`MASTER`, `PLATFORM`, `STEP`, …).
    pub label: Option<Str>,
    /// Start, in nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End, in nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
    /// Attributes, in the order they were set (a key set twice keeps its last value).
    pub attributes: Vec<KeyValue>,
    /// Events, in the order they were added.
    pub events: Vec<Event>,
    /// Links to other spans.
    pub links: Vec<Link>,
    /// The outcome.
    pub status: Status,
    /// Attributes refused by the attribute count limit.
    pub dropped_attributes_count: u32,
    /// Events refused by the event count limit.
    pub dropped_events_count: u32,
    /// Links refused by the link count limit.
    pub dropped_links_count: u32,
}

impl SpanData {
    /// The duration in nanoseconds (zero if the clock went backwards).
    pub fn duration_nanos(&self) -> u64 {
        self.end_time_unix_nano.saturating_sub(self.start_time_unix_nano)
    }

    /// The value of an attribute, if the span has it.
    pub fn attribute(&self, key: &str) -> Option<&crate::Value> {
        find_attribute(&self.attributes, key)
    }
}

/// An event of a trace that belongs to no span: orchestration between spans, queue
/// states, callbacks from outside. Exported beside spans; on the wire it is a log record
/// with the trace id and no span id.
#[derive(Clone, PartialEq, Debug)]
pub struct TraceEvent {
    /// The trace it belongs to.
    pub trace_id: TraceId,
    /// When, in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// The severity.
    pub level: Level,
    /// What happened.
    pub name: Str,
    /// Details.
    pub attributes: Vec<KeyValue>,
}

impl TraceEvent {
    /// The value of an attribute, if the event has it.
    pub fn attribute(&self, key: &str) -> Option<&crate::Value> {
        find_attribute(&self.attributes, key)
    }
}

pub(crate) fn find_attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a crate::Value> {
    attributes.iter().rev().find(|attribute| attribute.key == key).map(|attribute| &attribute.value)
}
