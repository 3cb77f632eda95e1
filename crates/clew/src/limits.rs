//! Span limits (OpenTelemetry's `SpanLimits`) and their application.
//!
//! Limits are checked when data is added, so a span never holds more than its limits
//! allow; what is refused is counted in the span's `dropped_*` fields. A string longer
//! than the value length limit is cut at a character boundary.

use crate::value::{KeyValue, Str, Value};

/// How much one span may hold.
///
/// ```
/// let limits = clew::SpanLimits::default().with_attribute_count(16).with_value_length(Some(256));
/// assert_eq!(limits.attribute_count, 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpanLimits {
    /// Attributes per span (default 128).
    pub attribute_count: u32,
    /// Characters per string value, arrays element by element (default unlimited).
    pub value_length: Option<u32>,
    /// Events per span (default 128).
    pub event_count: u32,
    /// Links per span (default 128).
    pub link_count: u32,
    /// Attributes per event (default 128).
    pub event_attribute_count: u32,
    /// Attributes per link (default 128).
    pub link_attribute_count: u32,
}

impl Default for SpanLimits {
    fn default() -> SpanLimits {
        SpanLimits {
            attribute_count: 128,
            value_length: None,
            event_count: 128,
            link_count: 128,
            event_attribute_count: 128,
            link_attribute_count: 128,
        }
    }
}

impl SpanLimits {
    /// Sets the attributes per span.
    #[must_use]
    pub fn with_attribute_count(mut self, count: u32) -> SpanLimits {
        self.attribute_count = count;
        self
    }

    /// Sets the characters per string value (`None`: unlimited).
    #[must_use]
    pub fn with_value_length(mut self, length: Option<u32>) -> SpanLimits {
        self.value_length = length;
        self
    }

    /// Sets the events per span.
    #[must_use]
    pub fn with_event_count(mut self, count: u32) -> SpanLimits {
        self.event_count = count;
        self
    }

    /// Sets the links per span.
    #[must_use]
    pub fn with_link_count(mut self, count: u32) -> SpanLimits {
        self.link_count = count;
        self
    }

    /// Sets the attributes per event.
    #[must_use]
    pub fn with_event_attribute_count(mut self, count: u32) -> SpanLimits {
        self.event_attribute_count = count;
        self
    }

    /// Sets the attributes per link.
    #[must_use]
    pub fn with_link_attribute_count(mut self, count: u32) -> SpanLimits {
        self.link_attribute_count = count;
        self
    }

    /// Cuts strings in `value` to the value length limit.
    #[inline]
    pub(crate) fn truncate(&self, value: Value) -> Value {
        match self.value_length {
            None => value,
            Some(limit) => truncate_value(value, limit as usize),
        }
    }
}

fn truncate_str(text: Str, limit: usize) -> Str {
    if text.len() <= limit {
        return text;
    }
    match text.char_indices().nth(limit) {
        Some((cut, _)) => Str::from(text[..cut].to_owned()),
        None => text,
    }
}

fn truncate_value(value: Value, limit: usize) -> Value {
    match value {
        Value::String(text) => Value::String(truncate_str(text, limit)),
        Value::StringArray(items) => {
            Value::StringArray(items.into_iter().map(|text| truncate_str(text, limit)).collect())
        }
        other => other,
    }
}

/// Sets `key` to `value` in `attributes`, replacing an earlier value of the same key;
/// a new key past `limit` is refused and counted in `dropped`.
#[inline]
pub(crate) fn upsert(
    attributes: &mut Vec<KeyValue>,
    dropped: &mut u32,
    limits: &SpanLimits,
    limit: u32,
    attribute: KeyValue,
) {
    let value = limits.truncate(attribute.value);
    if let Some(existing) = attributes.iter_mut().find(|existing| existing.key == attribute.key) {
        existing.value = value;
        return;
    }
    if attributes.len() >= limit as usize {
        *dropped = dropped.saturating_add(1);
        return;
    }
    attributes.push(KeyValue { key: attribute.key, value });
}

/// Builds an attribute list for an event or link under `limit`, counting the refused.
pub(crate) fn collect(
    limits: &SpanLimits,
    limit: u32,
    attributes: impl IntoIterator<Item = KeyValue>,
) -> (Vec<KeyValue>, u32) {
    let mut kept = Vec::new();
    let mut dropped = 0;
    for attribute in attributes {
        upsert(&mut kept, &mut dropped, limits, limit, attribute);
    }
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_cuts_at_a_character_boundary() {
        let limits = SpanLimits::default().with_value_length(Some(3));
        let cut = limits.truncate(Value::from("héllo"));
        assert_eq!(cut, Value::from("hél"));
        let array = limits.truncate(Value::from(vec!["abcdef", "ab"]));
        assert_eq!(array, Value::from(vec!["abc", "ab"]));
        assert_eq!(limits.truncate(Value::from(123_456)), Value::from(123_456));
    }

    #[test]
    fn upsert_replaces_then_refuses_past_the_limit() {
        let limits = SpanLimits::default();
        let mut attributes = Vec::new();
        let mut dropped = 0;
        upsert(&mut attributes, &mut dropped, &limits, 2, KeyValue::new("a", 1));
        upsert(&mut attributes, &mut dropped, &limits, 2, KeyValue::new("b", 2));
        upsert(&mut attributes, &mut dropped, &limits, 2, KeyValue::new("a", 3));
        upsert(&mut attributes, &mut dropped, &limits, 2, KeyValue::new("c", 4));
        assert_eq!(attributes, vec![KeyValue::new("a", 3), KeyValue::new("b", 2)]);
        assert_eq!(dropped, 1);
    }
}
