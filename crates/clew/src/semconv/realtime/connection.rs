//! Connections (WebRTC, WebSocket): `connection.*` and `message.*`, and the spans of a
//! connection's life: created, state changes, messages sent and received, errors, closed.
//!
//! ```
//! use clew::semconv::realtime::connection;
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! connection::state_change(tracer, "conn-123", "webrtc", "new", "connected").start().end();
//! assert_eq!(exporter.tree(), "connection.state_change {connection.id=\"conn-123\", \
//!     connection.type=\"webrtc\", connection.state=\"connected\", connection.old_state=\"new\"}\n");
//! ```

use super::{CONNECTION_ID, CONNECTION_OLD_STATE, CONNECTION_STATE, CONNECTION_TYPE, MESSAGE_DIRECTION, MESSAGE_SIZE};
use crate::span::SpanBuilder;
use crate::tracer::Tracer;
use crate::value::Str;

crate::semconv::attribute_set! {
    /// A connection's attributes: [`attributes`].
    ConnectionAttributes
}

/// `connection.id`, `connection.type` and `connection.state`.
///
/// ```
/// let attributes = clew::semconv::realtime::connection::attributes("conn-123", "webrtc", "connected");
/// assert_eq!(attributes.as_slice().len(), 3);
/// ```
pub fn attributes(id: impl Into<Str>, kind: impl Into<Str>, state: impl Into<Str>) -> ConnectionAttributes {
    ConnectionAttributes::default()
        .set(CONNECTION_ID, id.into())
        .set(CONNECTION_TYPE, kind.into())
        .set(CONNECTION_STATE, state.into())
}

impl ConnectionAttributes {
    /// `connection.old_state`.
    pub fn old_state(self, state: impl Into<Str>) -> ConnectionAttributes {
        self.set(CONNECTION_OLD_STATE, state.into())
    }

    /// `message.direction` (`send`, `receive`) and `message.size`.
    pub fn message(self, direction: impl Into<Str>, size: usize) -> ConnectionAttributes {
        self.set(MESSAGE_DIRECTION, direction.into()).set(MESSAGE_SIZE, size)
    }
}

fn connection_span(tracer: Tracer, name: impl Into<Str>, attributes: ConnectionAttributes) -> SpanBuilder {
    tracer.span(name).attributes(attributes)
}

/// `connection.created`, in state `created`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::connection::created(tracer, "c-1", "websocket").start().end();
/// ```
pub fn created(tracer: Tracer, id: &str, kind: &str) -> SpanBuilder {
    connection_span(tracer, "connection.created", attributes(id.to_owned(), kind.to_owned(), "created"))
}

/// `connection.state_change`, in the new state, with the old one in
/// `connection.old_state`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::connection::state_change(tracer, "c-1", "webrtc", "new", "connected").start().end();
/// ```
pub fn state_change(tracer: Tracer, id: &str, kind: &str, old_state: &str, new_state: &str) -> SpanBuilder {
    let attributes = attributes(id.to_owned(), kind.to_owned(), new_state.to_owned()).old_state(old_state.to_owned());
    connection_span(tracer, "connection.state_change", attributes)
}

/// `connection.message.{direction}`, in state `active`, with `message.direction` and
/// `message.size`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::connection::message(tracer, "c-1", "webrtc", "send", 960).start().end();
/// ```
pub fn message(tracer: Tracer, id: &str, kind: &str, direction: &str, size: usize) -> SpanBuilder {
    let attributes = attributes(id.to_owned(), kind.to_owned(), "active").message(direction.to_owned(), size);
    connection_span(tracer, format!("connection.message.{direction}"), attributes)
}

/// `connection.error`, in state `error`; record the error on the started span with
/// [`Span::record_error`](crate::Span::record_error).
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// let mut span = clew::semconv::realtime::connection::error(tracer, "c-1", "webrtc").start();
/// span.record_error(&std::io::Error::other("ice failed"));
/// ```
pub fn error(tracer: Tracer, id: &str, kind: &str) -> SpanBuilder {
    connection_span(tracer, "connection.error", attributes(id.to_owned(), kind.to_owned(), "error"))
}

/// `connection.closed`, in state `closed`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::connection::closed(tracer, "c-1", "webrtc").start().end();
/// ```
pub fn closed(tracer: Tracer, id: &str, kind: &str) -> SpanBuilder {
    connection_span(tracer, "connection.closed", attributes(id.to_owned(), kind.to_owned(), "closed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemoryExporter, Value};

    #[test]
    fn a_connections_life_is_one_span_per_step() {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
        created(tracer, "c", "webrtc").start().end();
        message(tracer, "c", "webrtc", "receive", 20).start().end();
        let mut failed = error(tracer, "c", "webrtc").start();
        failed.record_error(&std::io::Error::other("ice failed"));
        failed.end();
        closed(tracer, "c", "webrtc").start().end();
        let spans = exporter.spans();
        let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
        assert_eq!(
            names,
            ["connection.created", "connection.message.receive", "connection.error", "connection.closed"]
        );
        let states: Vec<Option<&Value>> = spans.iter().map(|span| span.attribute(CONNECTION_STATE)).collect();
        assert_eq!(
            states,
            [
                Some(&Value::from("created")),
                Some(&Value::from("active")),
                Some(&Value::from("error")),
                Some(&Value::from("closed"))
            ]
        );
        assert_eq!(spans[1].attribute(MESSAGE_DIRECTION), Some(&Value::from("receive")));
        assert_eq!(spans[1].attribute(MESSAGE_SIZE), Some(&Value::I64(20)));
        assert!(spans[2].status.is_error());
        assert!(spans.iter().all(|span| span.attribute(CONNECTION_TYPE) == Some(&Value::from("webrtc"))));
    }
}
