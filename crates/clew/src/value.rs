//! Attribute keys and values.
//!
//! [`Str`] is the string type of names, keys and values: a `&'static str` costs nothing
//! to store, and an owned string is kept once behind an `Arc` so that copying it into
//! every span of a trace (project and request ids, say) never allocates again.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A cheaply clonable string: static, or shared behind an `Arc`.
///
/// ```
/// let key = clew::Str::from("http.method");
/// let owned = clew::Str::from(String::from("GET"));
/// assert_eq!(&*key, "http.method");
/// assert_eq!(owned, "GET");
/// ```
#[derive(Clone)]
pub struct Str(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Str {
    /// A string that lives for the whole program; no allocation.
    pub const fn from_static(text: &'static str) -> Str {
        Str(Repr::Static(text))
    }

    /// Whether the text is static (owns no memory).
    #[inline]
    pub(crate) fn is_static(&self) -> bool {
        matches!(self.0, Repr::Static(_))
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(text) => text,
            Repr::Shared(text) => text,
        }
    }
}

impl Deref for Str {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for Str {
    #[inline]
    fn from(text: &'static str) -> Str {
        Str(Repr::Static(text))
    }
}

impl From<String> for Str {
    fn from(text: String) -> Str {
        Str(Repr::Shared(Arc::from(text)))
    }
}

impl From<Arc<str>> for Str {
    fn from(text: Arc<str>) -> Str {
        Str(Repr::Shared(text))
    }
}

impl From<std::borrow::Cow<'static, str>> for Str {
    fn from(text: std::borrow::Cow<'static, str>) -> Str {
        match text {
            std::borrow::Cow::Borrowed(text) => Str::from(text),
            std::borrow::Cow::Owned(text) => Str::from(text),
        }
    }
}

impl From<&String> for Str {
    fn from(text: &String) -> Str {
        Str::from(text.clone())
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Str {}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Str) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    fn cmp(&self, other: &Str) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Default for Str {
    fn default() -> Str {
        Str::from_static("")
    }
}

/// A typed attribute value: the OpenTelemetry primitive types and their arrays.
///
/// Integers wider than `i64` saturate; `u64` values above `i64::MAX` become `i64::MAX`.
///
/// ```
/// use clew::Value;
/// assert_eq!(Value::from(200), Value::I64(200));
/// assert_eq!(Value::from(vec!["a", "b"]).to_string(), "[\"a\",\"b\"]");
/// ```
#[derive(Clone, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    I64(i64),
    /// A 64-bit float.
    F64(f64),
    /// A string.
    String(Str),
    /// An array of booleans.
    BoolArray(Vec<bool>),
    /// An array of integers.
    I64Array(Vec<i64>),
    /// An array of floats.
    F64Array(Vec<f64>),
    /// An array of strings.
    StringArray(Vec<Str>),
}

impl Value {
    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The integer, if this is an integer value.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::I64(number) => Some(*number),
            _ => None,
        }
    }

    /// The float, if this is a float value.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::F64(number) => Some(*number),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The name of the type, as OpenTelemetry spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::I64(_) => "int",
            Value::F64(_) => "double",
            Value::String(_) => "string",
            Value::BoolArray(_) => "bool[]",
            Value::I64Array(_) => "int[]",
            Value::F64Array(_) => "double[]",
            Value::StringArray(_) => "string[]",
        }
    }
}

/// Plain text for strings and numbers; arrays as JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::I64(number) => write!(f, "{number}"),
            Value::F64(number) => write!(f, "{number}"),
            Value::String(text) => f.write_str(text),
            _ => {
                let mut out = String::new();
                crate::json::write_value(&mut out, self);
                f.write_str(&out)
            }
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(text) => fmt::Debug::fmt(text.as_str(), f),
            other => fmt::Display::fmt(other, f),
        }
    }
}

macro_rules! value_from {
    ($($source:ty => $variant:ident via $convert:expr),* $(,)?) => {
        $(impl From<$source> for Value {
            #[inline]
            fn from(value: $source) -> Value {
                #[allow(clippy::redundant_closure_call)]
                Value::$variant(($convert)(value))
            }
        })*
    };
}

value_from! {
    bool => Bool via |v| v,
    i64 => I64 via |v| v,
    i32 => I64 via i64::from,
    i16 => I64 via i64::from,
    i8 => I64 via i64::from,
    u32 => I64 via i64::from,
    u16 => I64 via i64::from,
    u8 => I64 via i64::from,
    u64 => I64 via |v: u64| i64::try_from(v).unwrap_or(i64::MAX),
    usize => I64 via |v: usize| i64::try_from(v).unwrap_or(i64::MAX),
    isize => I64 via |v: isize| v as i64,
    f64 => F64 via |v| v,
    f32 => F64 via f64::from,
    &'static str => String via Str::from,
    String => String via Str::from,
    &String => String via Str::from,
    Str => String via |v| v,
    Arc<str> => String via Str::from,
    Vec<bool> => BoolArray via |v| v,
    Vec<i64> => I64Array via |v| v,
    Vec<f64> => F64Array via |v| v,
    Vec<Str> => StringArray via |v| v,
    Vec<&'static str> => StringArray via |v: Vec<&'static str>| v.into_iter().map(Str::from).collect(),
    Vec<String> => StringArray via |v: Vec<String>| v.into_iter().map(Str::from).collect(),
}

/// An attribute: a key and a typed value.
///
/// ```
/// let attribute = clew::KeyValue::new("http.status_code", 200);
/// assert_eq!(attribute.key, "http.status_code");
/// ```
#[derive(Clone, PartialEq, Debug)]
pub struct KeyValue {
    /// The attribute's name.
    pub key: Str,
    /// The attribute's value.
    pub value: Value,
}

impl KeyValue {
    /// A key and a value.
    #[inline]
    pub fn new(key: impl Into<Str>, value: impl Into<Value>) -> KeyValue {
        KeyValue { key: key.into(), value: value.into() }
    }
}

impl<K: Into<Str>, V: Into<Value>> From<(K, V)> for KeyValue {
    #[inline]
    fn from((key, value): (K, V)) -> KeyValue {
        KeyValue::new(key, value)
    }
}
