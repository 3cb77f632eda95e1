//! Attribute values as a type tag and a text, exactly reversible.
//!
//! | tag | value      | text                                                             |
//! |-----|------------|------------------------------------------------------------------|
//! | 0   | string     | the string itself                                                |
//! | 1   | bool       | `true` or `false`                                                |
//! | 2   | i64        | decimal (`-9223372036854775808`)                                 |
//! | 3   | f64        | shortest text that parses back to the same number (see below)    |
//! | 4   | string[]   | JSON array of strings (`["a","b"]`)                              |
//! | 5   | bool[]     | JSON array (`[true,false]`)                                      |
//! | 6   | i64[]      | JSON array (`[1,-2]`)                                            |
//! | 7   | f64[]      | JSON array; finite numbers bare, the others as strings           |
//!
//! An `f64` is written as Rust's `{:?}` prints it (`1.0`, `-0.0`, `1e300`, `5e-324`, `inf`,
//! `-inf`), which parses back to the same bits. NaN is `NaN` when its bits are those of
//! [`f64::NAN`] and `NaN:` followed by its 16 hex digits of bits otherwise, so even the
//! payload and sign of a NaN survive. Inside an `f64` array the non-finite values are JSON
//! strings (`[1.5,"NaN","-inf"]`), keeping the array valid JSON.

use std::fmt::Write as _;

use clew::{Str, Value};

use super::BlockError;

/// Tag of [`Value::String`].
pub(super) const STRING: u8 = 0;
/// Tag of [`Value::Bool`].
pub(super) const BOOL: u8 = 1;
/// Tag of [`Value::I64`].
pub(super) const I64: u8 = 2;
/// Tag of [`Value::F64`].
pub(super) const F64: u8 = 3;
/// Tag of [`Value::StringArray`].
pub(super) const STRING_ARRAY: u8 = 4;
/// Tag of [`Value::BoolArray`].
pub(super) const BOOL_ARRAY: u8 = 5;
/// Tag of [`Value::I64Array`].
pub(super) const I64_ARRAY: u8 = 6;
/// Tag of [`Value::F64Array`].
pub(super) const F64_ARRAY: u8 = 7;

/// Writes the text of `value` into `text` (cleared first) and returns its tag.
pub(super) fn encode(value: &Value, text: &mut String) -> u8 {
    text.clear();
    match value {
        Value::String(string) => {
            text.push_str(string);
            STRING
        }
        Value::Bool(flag) => {
            text.push_str(bool_text(*flag));
            BOOL
        }
        Value::I64(number) => {
            let _ = write!(text, "{number}");
            I64
        }
        Value::F64(number) => {
            write_f64(*number, text);
            F64
        }
        Value::StringArray(strings) => {
            let strings: Vec<&str> = strings.iter().map(|string| string.as_ref()).collect();
            text.push_str(&serde_json::to_string(&strings).unwrap_or_default());
            STRING_ARRAY
        }
        Value::BoolArray(flags) => {
            text.push_str(&serde_json::to_string(&flags[..]).unwrap_or_default());
            BOOL_ARRAY
        }
        Value::I64Array(numbers) => {
            text.push_str(&serde_json::to_string(&numbers[..]).unwrap_or_default());
            I64_ARRAY
        }
        Value::F64Array(numbers) => {
            // Each number as an `f64` is written above, so that it parses back to the same
            // bits; the non-finite ones quoted, keeping the array valid JSON.
            let items: Vec<String> = numbers
                .iter()
                .map(|number| {
                    let mut item = String::new();
                    write_f64(*number, &mut item);
                    if number.is_finite() { item } else { format!("\"{item}\"") }
                })
                .collect();
            let _ = write!(text, "[{}]", items.join(","));
            F64_ARRAY
        }
    }
}

/// The stored texts of the values whose text form a search compares equal to `wanted`
/// (see `value_text_is`), or `None` when they cannot be listed (arrays). A value `200`
/// is stored as `200` whether it is a string or an integer, and as `200.0` as a float.
pub(super) fn texts_matching(wanted: &str) -> Option<Vec<String>> {
    if wanted.starts_with('[') {
        return None;
    }
    let mut texts = vec![wanted.to_owned()];
    if let Ok(number) = wanted.parse::<i64>() {
        texts.push(number.to_string());
    }
    if let Ok(number) = wanted.parse::<f64>() {
        let mut text = String::new();
        write_f64(number, &mut text);
        texts.push(text);
    }
    texts.sort();
    texts.dedup();
    Some(texts)
}

/// The value of a tag and text, or why they are not one.
pub(super) fn decode(tag: u8, text: &str) -> Result<Value, BlockError> {
    let value = match tag {
        STRING => Value::String(Str::from(text.to_owned())),
        BOOL => Value::Bool(parse_bool(text)?),
        I64 => Value::I64(parse_i64(text)?),
        F64 => Value::F64(parse_f64(text)?),
        STRING_ARRAY => {
            let strings: Vec<String> =
                serde_json::from_str(text).map_err(|error| format!("bad string array {text:?}: {error}"))?;
            Value::StringArray(strings.into_iter().map(Str::from).collect())
        }
        BOOL_ARRAY => Value::BoolArray(parse_array(text, parse_bool)?),
        I64_ARRAY => Value::I64Array(parse_array(text, parse_i64)?),
        F64_ARRAY => Value::F64Array(parse_array(text, |item| parse_f64(unquote(item)))?),
        other => return Err(BlockError::Malformed(format!("unknown value type {other}"))),
    };
    Ok(value)
}

fn bool_text(flag: bool) -> &'static str {
    if flag { "true" } else { "false" }
}

fn write_f64(number: f64, text: &mut String) {
    if number.is_nan() && number.to_bits() != f64::NAN.to_bits() {
        let _ = write!(text, "NaN:{:016x}", number.to_bits());
    } else if number.is_nan() {
        text.push_str("NaN");
    } else {
        let _ = write!(text, "{number:?}");
    }
}

fn parse_bool(text: &str) -> Result<bool, BlockError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(BlockError::Malformed(format!("bad bool {other:?}"))),
    }
}

fn parse_i64(text: &str) -> Result<i64, BlockError> {
    text.parse().map_err(|_| BlockError::Malformed(format!("bad integer {text:?}")))
}

fn parse_f64(text: &str) -> Result<f64, BlockError> {
    if text == "NaN" {
        return Ok(f64::NAN);
    }
    if let Some(bits) = text.strip_prefix("NaN:") {
        let bits = u64::from_str_radix(bits, 16).map_err(|_| format!("bad NaN {text:?}"))?;
        return Ok(f64::from_bits(bits));
    }
    text.parse().map_err(|_| BlockError::Malformed(format!("bad float {text:?}")))
}

fn unquote(item: &str) -> &str {
    item.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(item)
}

/// Parses the arrays this module writes for bools and numbers: items without commas.
fn parse_array<T>(text: &str, parse_item: impl Fn(&str) -> Result<T, BlockError>) -> Result<Vec<T>, BlockError> {
    let inner = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| BlockError::Malformed(format!("bad array {text:?}")))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner.split(',').map(|item| parse_item(item.trim())).collect()
}
