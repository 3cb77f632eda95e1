//! `tracing` fields turned into clew attributes, names, kinds and statuses.
//!
//! Values keep their types where clew has one: integers (`i64`; `u64`, `i128` and `u128`
//! when they fit, decimal text otherwise), floats, booleans and strings; anything recorded
//! with `?` or `%` becomes the text it formats to, and errors their `Display` text.

use std::fmt;

use clew::{KeyValue, SpanKind, Status, Str, Value};
use tracing::field::{Field, Visit};

use crate::keys;

/// Converts an unsigned or wide integer: `i64` when it fits, decimal text otherwise.
fn integer<T: Copy + fmt::Display + TryInto<i64>>(number: T) -> Value {
    match number.try_into() {
        Ok(fits) => Value::I64(fits),
        Err(_) => Value::String(Str::from(number.to_string())),
    }
}

/// Receives each field of a span, event or record as a clew value.
trait FieldSink {
    fn value(&mut self, field: &Field, value: Value);
}

/// Forwards every `tracing` value type to a [`FieldSink`].
struct Typed<'a, T>(&'a mut T);

impl<T: FieldSink> Visit for Typed<'_, T> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.value(field, Value::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.value(field, integer(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.0.value(field, integer(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.0.value(field, integer(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.value(field, Value::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.value(field, Value::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.value(field, Value::String(Str::from(value.to_owned())));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.value(field, Value::String(Str::from(value.to_string())));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.value(field, Value::String(Str::from(format!("{value:?}"))));
    }
}

/// The text of a value, for names, kinds and status messages.
fn text(value: &Value) -> String {
    value.to_string()
}

/// What `otel.status_code` said.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    fn parse(text: &str) -> Option<StatusCode> {
        [("unset", StatusCode::Unset), ("ok", StatusCode::Ok), ("error", StatusCode::Error)]
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|(_, code)| code)
    }
}

/// Whether a callsite has a field that must be read before its span starts.
pub(crate) fn has_start_fields(fields: &tracing::field::FieldSet) -> bool {
    fields.iter().any(|field| field.name() == keys::OTEL_NAME || field.name() == keys::OTEL_KIND)
}

/// `otel.name` and `otel.kind`, read before sampling because the sampler sees the name
/// and the kind. Every other field is passed over without being formatted.
#[derive(Default)]
pub(crate) struct StartFields {
    pub(crate) name: Option<String>,
    pub(crate) kind: Option<SpanKind>,
}

impl StartFields {
    fn text_of(&mut self, field: &Field, text: impl FnOnce() -> String) {
        match field.name() {
            keys::OTEL_NAME => self.name = Some(text()),
            keys::OTEL_KIND => self.kind = SpanKind::parse(&text()),
            _ => {}
        }
    }
}

impl Visit for StartFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.text_of(field, || value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name().starts_with("otel.") {
            self.text_of(field, || format!("{value:?}"));
        }
    }
}

/// The fields of a span (at creation or in a later `record`): attributes, a new name, a
/// status.
#[derive(Default)]
pub(crate) struct SpanFields {
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) name: Option<String>,
    status_code: Option<StatusCode>,
    status_message: Option<String>,
    /// `Some` once an `error` field said the span failed: the message.
    error: Option<String>,
}

impl SpanFields {
    pub(crate) fn with_attributes(attributes: Vec<KeyValue>) -> SpanFields {
        SpanFields { attributes, ..SpanFields::default() }
    }

    /// Reads fields into this.
    pub(crate) fn visit(&mut self, record: impl FnOnce(&mut dyn Visit)) {
        record(&mut Typed(self));
    }

    /// The status the fields ask for, if any: `otel.status_code` first, then an
    /// `otel.status_message` (which implies an error), then an `error` field.
    pub(crate) fn status(&mut self) -> Option<Status> {
        let message = self.status_message.take().or_else(|| self.error.take());
        match self.status_code {
            Some(StatusCode::Ok) => Some(Status::Ok),
            Some(StatusCode::Error) => Some(Status::error(message.unwrap_or_default())),
            Some(StatusCode::Unset) => None,
            None => message.map(Status::error),
        }
    }
}

impl FieldSink for SpanFields {
    fn value(&mut self, field: &Field, value: Value) {
        match field.name() {
            // The kind is fixed when the span starts; a later one is ignored.
            keys::OTEL_KIND => {}
            keys::OTEL_NAME => self.name = Some(text(&value)),
            keys::OTEL_STATUS_CODE => self.status_code = StatusCode::parse(&text(&value)),
            keys::OTEL_STATUS_MESSAGE | keys::OTEL_STATUS_DESCRIPTION => self.status_message = Some(text(&value)),
            name => {
                if name == keys::ERROR && value != Value::Bool(false) {
                    self.error = Some(if value == Value::Bool(true) { String::new() } else { text(&value) });
                }
                self.attributes.push(KeyValue { key: Str::from_static(name), value });
            }
        }
    }
}

/// The fields of an event: its name (`message`), attributes, and an `error` field.
#[derive(Default)]
pub(crate) struct EventFields {
    pub(crate) message: Option<String>,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) error: Option<String>,
}

impl EventFields {
    pub(crate) fn with_attributes(attributes: Vec<KeyValue>) -> EventFields {
        EventFields { attributes, ..EventFields::default() }
    }

    /// Reads fields into this.
    pub(crate) fn visit(&mut self, record: impl FnOnce(&mut dyn Visit)) {
        record(&mut Typed(self));
    }
}

impl FieldSink for EventFields {
    fn value(&mut self, field: &Field, value: Value) {
        match field.name() {
            keys::MESSAGE => self.message = Some(text(&value)),
            name => {
                if name == keys::ERROR {
                    self.error = Some(text(&value));
                }
                self.attributes.push(KeyValue { key: Str::from_static(name), value });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_integers_are_kept_as_integers_when_they_fit_and_as_text_otherwise() {
        assert_eq!(integer(7_u64), Value::I64(7));
        assert_eq!(integer(u64::MAX), Value::from(u64::MAX.to_string()));
        assert_eq!(integer(-5_i128), Value::I64(-5));
        assert_eq!(integer(u128::MAX), Value::from(u128::MAX.to_string()));
    }

    #[test]
    fn status_codes_parse_in_any_case() {
        assert_eq!(StatusCode::parse("OK"), Some(StatusCode::Ok));
        assert_eq!(StatusCode::parse("Error"), Some(StatusCode::Error));
        assert_eq!(StatusCode::parse("unset"), Some(StatusCode::Unset));
        assert_eq!(StatusCode::parse("fine"), None);
    }
}
