//! Attribute values between clew's [`Value`] and OTLP's `AnyValue`.
//!
//! clew to OTLP is exact: every [`Value`] has an `AnyValue` form, arrays as `ArrayValue`s of
//! one type. OTLP to clew keeps every value it can and turns the rest into text, as the
//! crate docs' table says.
//!
//! Hex was chosen over base64 for bytes because it needs no extra dependency and reads the
//! same way as trace and span ids do.

use std::fmt::Write as _;

use clew::{KeyValue, Str, Value};
use opentelemetry_proto::tonic::common::v1::{self as proto, AnyValue, ArrayValue, any_value};

/// The OTLP form of a clew value.
pub(crate) fn any_value(value: &Value) -> AnyValue {
    let inner = match value {
        Value::Bool(flag) => any_value::Value::BoolValue(*flag),
        Value::I64(number) => any_value::Value::IntValue(*number),
        Value::F64(number) => any_value::Value::DoubleValue(*number),
        Value::String(text) => any_value::Value::StringValue(text.to_string()),
        Value::BoolArray(flags) => array(flags.iter().map(|flag| any_value::Value::BoolValue(*flag))),
        Value::I64Array(numbers) => array(numbers.iter().map(|number| any_value::Value::IntValue(*number))),
        Value::F64Array(numbers) => array(numbers.iter().map(|number| any_value::Value::DoubleValue(*number))),
        Value::StringArray(texts) => array(texts.iter().map(|text| any_value::Value::StringValue(text.to_string()))),
    };
    AnyValue { value: Some(inner) }
}

fn array(values: impl Iterator<Item = any_value::Value>) -> any_value::Value {
    let values = values.map(|value| AnyValue { value: Some(value) }).collect();
    any_value::Value::ArrayValue(ArrayValue { values })
}

/// The OTLP form of clew attributes.
pub(crate) fn key_values(attributes: &[KeyValue]) -> Vec<proto::KeyValue> {
    attributes.iter().map(key_value).collect()
}

/// The OTLP form of one clew attribute.
pub(crate) fn key_value(attribute: &KeyValue) -> proto::KeyValue {
    proto::KeyValue { key: attribute.key.to_string(), value: Some(any_value(&attribute.value)), ..Default::default() }
}

/// clew attributes from OTLP ones; see the module docs for values clew cannot hold.
pub(crate) fn attributes(key_values: &[proto::KeyValue]) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(key_values.len());
    for key_value in key_values {
        attributes.push(KeyValue { key: Str::from(key_value.key.clone()), value: value(key_value.value.as_ref()) });
    }
    attributes
}

/// The clew value of an OTLP value; see the module docs for values clew cannot hold.
pub(crate) fn value(any: Option<&AnyValue>) -> Value {
    let Some(inner) = any.and_then(|any| any.value.as_ref()) else {
        return Value::String(Str::default());
    };
    match inner {
        any_value::Value::StringValue(text) => Value::String(Str::from(text.clone())),
        any_value::Value::BoolValue(flag) => Value::Bool(*flag),
        any_value::Value::IntValue(number) => Value::I64(*number),
        any_value::Value::DoubleValue(number) => Value::F64(*number),
        any_value::Value::ArrayValue(array) => array_value(array),
        any_value::Value::BytesValue(bytes) => Value::String(Str::from(hex(bytes))),
        any_value::Value::KvlistValue(_) => Value::String(Str::from(json_text(any))),
        any_value::Value::StringValueStrindex(_) => Value::String(Str::default()),
    }
}

/// An array of one primitive type becomes that clew array; anything else becomes JSON text.
fn array_value(array: &ArrayValue) -> Value {
    if array.values.is_empty() {
        return Value::StringArray(Vec::new());
    }
    if let Some(flags) = all_of(array, |inner| match inner {
        any_value::Value::BoolValue(flag) => Some(*flag),
        _ => None,
    }) {
        return Value::BoolArray(flags);
    }
    if let Some(numbers) = all_of(array, |inner| match inner {
        any_value::Value::IntValue(number) => Some(*number),
        _ => None,
    }) {
        return Value::I64Array(numbers);
    }
    if let Some(numbers) = all_of(array, |inner| match inner {
        any_value::Value::DoubleValue(number) => Some(*number),
        _ => None,
    }) {
        return Value::F64Array(numbers);
    }
    if let Some(texts) = all_of(array, |inner| match inner {
        any_value::Value::StringValue(text) => Some(Str::from(text.clone())),
        _ => None,
    }) {
        return Value::StringArray(texts);
    }
    let mut out = String::new();
    write_array(&mut out, array);
    Value::String(Str::from(out))
}

/// Every item picked, or `None` if one item is empty or not of the picked type.
fn all_of<T>(array: &ArrayValue, pick: impl Fn(&any_value::Value) -> Option<T>) -> Option<Vec<T>> {
    let mut picked = Vec::with_capacity(array.values.len());
    for item in &array.values {
        picked.push(pick(item.value.as_ref()?)?);
    }
    Some(picked)
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// JSON text of an OTLP value (bytes as a hex string, an empty value as `null`).
fn json_text(any: Option<&AnyValue>) -> String {
    let mut out = String::new();
    write_json(&mut out, any);
    out
}

fn write_json(out: &mut String, any: Option<&AnyValue>) {
    let Some(inner) = any.and_then(|any| any.value.as_ref()) else {
        out.push_str("null");
        return;
    };
    match inner {
        any_value::Value::StringValue(text) => write_json_string(out, text),
        any_value::Value::BoolValue(flag) => {
            let _ = write!(out, "{flag}");
        }
        any_value::Value::IntValue(number) => {
            let _ = write!(out, "{number}");
        }
        any_value::Value::DoubleValue(number) if number.is_finite() => {
            let _ = write!(out, "{number}");
        }
        any_value::Value::DoubleValue(number) => write_json_string(out, &number.to_string()),
        any_value::Value::ArrayValue(array) => write_array(out, array),
        any_value::Value::KvlistValue(list) => {
            out.push('{');
            for (index, key_value) in list.values.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, &key_value.key);
                out.push(':');
                write_json(out, key_value.value.as_ref());
            }
            out.push('}');
        }
        any_value::Value::BytesValue(bytes) => write_json_string(out, &hex(bytes)),
        any_value::Value::StringValueStrindex(_) => out.push_str("null"),
    }
}

fn write_array(out: &mut String, array: &ArrayValue) {
    out.push('[');
    for (index, item) in array.values.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_json(out, Some(item));
    }
    out.push(']');
}

/// `text` as a JSON string, escaped by serde_json.
fn write_json_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(inner: any_value::Value) -> AnyValue {
        AnyValue { value: Some(inner) }
    }

    #[test]
    fn bytes_become_lowercase_hex() {
        assert_eq!(value(Some(&any(any_value::Value::BytesValue(vec![0, 0xab, 0xff])))), Value::from("00abff"));
    }

    #[test]
    fn kvlists_and_mixed_arrays_become_json_text() {
        let list = proto::KeyValueList {
            values: vec![
                proto::KeyValue {
                    key: "a\"b".into(),
                    value: Some(any(any_value::Value::IntValue(1))),
                    key_strindex: 0,
                },
                proto::KeyValue { key: "empty".into(), value: None, key_strindex: 0 },
            ],
        };
        let mixed = ArrayValue {
            values: vec![any(any_value::Value::BoolValue(true)), any(any_value::Value::KvlistValue(list.clone()))],
        };
        assert_eq!(value(Some(&any(any_value::Value::KvlistValue(list)))), Value::from(r#"{"a\"b":1,"empty":null}"#));
        assert_eq!(
            value(Some(&any(any_value::Value::ArrayValue(mixed)))),
            Value::from(r#"[true,{"a\"b":1,"empty":null}]"#)
        );
    }

    #[test]
    fn an_empty_value_becomes_an_empty_string() {
        assert_eq!(value(None), Value::from(""));
        assert_eq!(value(Some(&AnyValue { value: None })), Value::from(""));
    }
}
