//! A small JSON writer for the stdout exporter's lines.
//!
//! The SDK writes JSON but never reads it, and the few shapes it writes are fixed, so a
//! writer of a hundred lines replaces a serialization framework in every service's build.

use std::fmt::Write as _;

use crate::data::{Event, Link, SpanData, TraceEvent};
use crate::resource::Resource;
use crate::value::{KeyValue, Value};

pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

fn write_f64(out: &mut String, number: f64) {
    if number.is_finite() {
        let _ = write!(out, "{number}");
    } else {
        // JSON has no NaN or infinity; OTLP JSON writes them as strings.
        write_string(out, &number.to_string());
    }
}

fn write_array<T>(out: &mut String, items: &[T], mut write_item: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_item(out, item);
    }
    out.push(']');
}

pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::I64(number) => {
            let _ = write!(out, "{number}");
        }
        Value::F64(number) => write_f64(out, *number),
        Value::String(text) => write_string(out, text),
        Value::BoolArray(items) => {
            write_array(out, items, |out, flag| out.push_str(if *flag { "true" } else { "false" }))
        }
        Value::I64Array(items) => write_array(out, items, |out, number| {
            let _ = write!(out, "{number}");
        }),
        Value::F64Array(items) => write_array(out, items, |out, number| write_f64(out, *number)),
        Value::StringArray(items) => write_array(out, items, |out, text| write_string(out, text)),
    }
}

fn write_attributes(out: &mut String, attributes: &[KeyValue]) {
    out.push('{');
    for (index, attribute) in attributes.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, &attribute.key);
        out.push(':');
        write_value(out, &attribute.value);
    }
    out.push('}');
}

fn write_event(out: &mut String, event: &Event) {
    out.push_str("{\"name\":");
    write_string(out, &event.name);
    let _ = write!(out, ",\"time_unix_nano\":{}", event.time_unix_nano);
    if let Some(level) = event.level {
        let _ = write!(out, ",\"level\":\"{level}\"");
    }
    out.push_str(",\"attributes\":");
    write_attributes(out, &event.attributes);
    out.push('}');
}

fn write_link(out: &mut String, link: &Link) {
    let _ = write!(
        out,
        "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",\"attributes\":",
        link.context.trace_id(),
        link.context.span_id()
    );
    write_attributes(out, &link.attributes);
    out.push('}');
}

/// One line for a span: `{"type":"span",…}` (no trailing newline).
pub(crate) fn span_line(out: &mut String, resource: &Resource, span: &SpanData) {
    let _ = write!(out, "{{\"type\":\"span\",\"trace_id\":\"{}\",\"span_id\":\"{}\"", span.trace_id, span.span_id);
    if let Some(parent) = span.parent_span_id {
        let _ = write!(out, ",\"parent_span_id\":\"{parent}\"");
    }
    out.push_str(",\"name\":");
    write_string(out, &span.name);
    let _ = write!(out, ",\"kind\":\"{}\"", span.kind);
    if let Some(label) = &span.label {
        out.push_str(",\"label\":");
        write_string(out, label);
    }
    let _ = write!(
        out,
        ",\"start_time_unix_nano\":{},\"end_time_unix_nano\":{},\"duration_ns\":{}",
        span.start_time_unix_nano,
        span.end_time_unix_nano,
        span.duration_nanos()
    );
    let _ = write!(out, ",\"status\":{{\"code\":\"{}\"", span.status.code());
    if let crate::Status::Error { message } = &span.status {
        out.push_str(",\"message\":");
        write_string(out, message);
    }
    out.push('}');
    out.push_str(",\"attributes\":");
    write_attributes(out, &span.attributes);
    if !span.events.is_empty() {
        out.push_str(",\"events\":");
        write_array(out, &span.events, write_event);
    }
    if !span.links.is_empty() {
        out.push_str(",\"links\":");
        write_array(out, &span.links, write_link);
    }
    let dropped = [
        ("dropped_attributes_count", span.dropped_attributes_count),
        ("dropped_events_count", span.dropped_events_count),
        ("dropped_links_count", span.dropped_links_count),
    ];
    for (name, count) in dropped {
        if count > 0 {
            let _ = write!(out, ",\"{name}\":{count}");
        }
    }
    out.push_str(",\"resource\":");
    write_attributes(out, resource.attributes());
    out.push('}');
}

/// One line for a trace-level event: `{"type":"event",…}` (no trailing newline).
pub(crate) fn event_line(out: &mut String, resource: &Resource, event: &TraceEvent) {
    let _ = write!(
        out,
        "{{\"type\":\"event\",\"trace_id\":\"{}\",\"time_unix_nano\":{},\"level\":\"{}\",\"name\":",
        event.trace_id, event.time_unix_nano, event.level
    );
    write_string(out, &event.name);
    out.push_str(",\"attributes\":");
    write_attributes(out, &event.attributes);
    out.push_str(",\"resource\":");
    write_attributes(out, resource.attributes());
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn values_of_every_type_are_written() {
        let cases = [
            (Value::from(true), "true"),
            (Value::from(-3), "-3"),
            (Value::from(1.5), "1.5"),
            (Value::from(f64::NAN), "\"NaN\""),
            (Value::from(vec![1_i64, 2]), "[1,2]"),
            (Value::from(vec![true, false]), "[true,false]"),
            (Value::from(vec![0.5_f64]), "[0.5]"),
            (Value::from(vec!["x", "y\""]), r#"["x","y\""]"#),
        ];
        for (value, expected) in cases {
            let mut out = String::new();
            write_value(&mut out, &value);
            assert_eq!(out, expected);
        }
    }
}
