//! Support for `#[clew::trace]`; not a public API.
//!
//! Both halves pick an implementation from the type of a value with "autoref
//! specialization": the macro calls a method on a value wrapped in several `&`s, and
//! several traits implement that method for the wrapper behind different numbers of `&`.
//! Method lookup tries the receiver as written first and then removes one `&` at a time,
//! so the impl with the most `&`s whose bounds hold wins. This works on stable Rust and is
//! decided where the macro expands, from the bounds known there (a generic `T: Debug`
//! argument is recorded with `Debug` even if the caller passes an integer).
//!
//! The receiver has one `&` more than the most any impl takes, because a `&self` method
//! of an impl for `&&&W` is found first by value on a `&&&&W`.
//!
//! Arguments named in `args(...)` go through [`AttributeArg`]:
//! `attribute_value((&&&&&AttributeArg(&argument)).__clew_value())`:
//!
//! | impl for | trait              | argument type                                  | recorded as       |
//! |----------|--------------------|------------------------------------------------|-------------------|
//! | `&&&&W`  | [`StrArg`]         | `AsRef<str>` (`&str`, `String`, `&String`, …)  | string            |
//! | `&&&&W`  | [`StrSequenceArg`] | `Vec<S>`, `&Vec<S>`, `&[S]` with `S: AsRef<str>` | string array    |
//! | `&&&W`   | [`TypedArg`]       | `Clone + Into<Value>` (numbers, `bool`, …)     | that value, typed |
//! | `&&W`    | [`TypedRefArg`]    | `&T` with `T: Clone + Into<Value>`             | that value, typed |
//! | `&W`     | [`DebugArg`]       | anything else                                  | its `{:?}` text   |
//!
//! Strings get rows of their own because `Value` converts only from `&'static str` (and
//! `Vec<&'static str>`): lookup ignores lifetimes, so a borrowed `&str` would pick the
//! typed row and then fail to borrow-check. The last row accepts every type, so that an
//! argument that can't be recorded fails on the `Debug` bound of [`attribute_value`]
//! ("doesn't implement `Debug`", at its name) rather than on method lookup.
//!
//! Errors returned as `Err` go through [`Failure`]:
//! `(&&&&&Failure(error)).__clew_record(&mut span)`:
//!
//! | impl for | trait                 | error type                                       | message             |
//! |----------|-----------------------|--------------------------------------------------|---------------------|
//! | `&&&&W`  | [`ErrorFailure`]      | `std::error::Error`                              | `Display`, sources  |
//! | `&&&W`   | [`BoxedErrorFailure`] | derefs to an `Error` (`Box<dyn Error>`, `anyhow::Error`) | `Display`, sources |
//! | `&&W`    | [`DisplayFailure`]    | `Display`                                        | `Display`           |
//! | `&W`     | [`DebugFailure`]      | `Debug`                                          | `{:?}`              |
//! | `W`      | [`OpaqueFailure`]     | anything else                                    | the type name       |
//!
//! Each records an `exception` event (`exception.type`, `exception.message`, and
//! `exception.causes` when there are sources) and an error status.
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::ops::Deref;

pub use crate::future::FutureExt;
use crate::{KeyValue, Level, Span, Status, Str, Value, keys};

/// Returns `future` unchanged. Passing an `async` block through here tells the compiler
/// its output type before the block is checked, so `?` inside it knows what to convert
/// errors into.
#[inline]
pub fn typed_future<T, F: Future<Output = T>>(future: F) -> F {
    future
}

/// Calls `body`. Passing a closure through here gives it the function's return type, so
/// `?` and `return` inside it type-check as they did in the function.
#[inline]
pub fn call<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// An argument named in `args(...)`, borrowed while its attribute value is made.
#[derive(Debug)]
pub struct AttributeArg<'a, T: ?Sized>(pub &'a T);

/// Records a string-like argument as a string.
pub trait StrArg {
    /// The attribute value.
    fn __clew_value(&self) -> Value;
}

impl<T: AsRef<str> + ?Sized> StrArg for &&&&AttributeArg<'_, T> {
    fn __clew_value(&self) -> Value {
        Value::String(Str::from(self.0.as_ref().to_owned()))
    }
}

/// Records a sequence of strings as a string array.
pub trait StrSequenceArg {
    /// The attribute value.
    fn __clew_value(&self) -> Value;
}

impl<S: AsRef<str>> StrSequenceArg for &&&&AttributeArg<'_, Vec<S>> {
    fn __clew_value(&self) -> Value {
        string_array(self.0)
    }
}

impl<S: AsRef<str>> StrSequenceArg for &&&&AttributeArg<'_, &Vec<S>> {
    fn __clew_value(&self) -> Value {
        string_array(self.0)
    }
}

impl<S: AsRef<str>> StrSequenceArg for &&&&AttributeArg<'_, &[S]> {
    fn __clew_value(&self) -> Value {
        string_array(self.0)
    }
}

fn string_array<S: AsRef<str>>(items: &[S]) -> Value {
    Value::StringArray(items.iter().map(|item| Str::from(item.as_ref().to_owned())).collect())
}

/// Records an argument that converts into a [`Value`] as that value.
pub trait TypedArg {
    /// The attribute value.
    fn __clew_value(&self) -> Value;
}

impl<T: Clone + Into<Value>> TypedArg for &&&AttributeArg<'_, T> {
    fn __clew_value(&self) -> Value {
        self.0.clone().into()
    }
}

/// Records a reference to a value that converts into a [`Value`] as that value.
pub trait TypedRefArg {
    /// The attribute value.
    fn __clew_value(&self) -> Value;
}

impl<T: Clone + Into<Value>> TypedRefArg for &&AttributeArg<'_, &T> {
    fn __clew_value(&self) -> Value {
        (*self.0).clone().into()
    }
}

/// The fallback: hands the argument on to be formatted with `Debug`.
pub trait DebugArg<'a, T: ?Sized> {
    /// The argument, for [`attribute_value`].
    fn __clew_value(&self) -> DebugText<'a, T>;
}

impl<'a, T: ?Sized> DebugArg<'a, T> for &AttributeArg<'a, T> {
    fn __clew_value(&self) -> DebugText<'a, T> {
        DebugText(self.0)
    }
}

/// An argument to be recorded as its `{:?}` text.
#[derive(Debug)]
pub struct DebugText<'a, T: ?Sized>(&'a T);

/// What [`attribute_value`] accepts: a value already made, or an argument to format.
/// An argument of a type with neither gets the compiler's "doesn't implement `Debug`",
/// pointing at its name in `args(...)`.
pub trait IntoAttributeValue {
    /// The attribute value.
    fn into_attribute_value(self) -> Value;
}

impl IntoAttributeValue for Value {
    fn into_attribute_value(self) -> Value {
        self
    }
}

impl<T: fmt::Debug + ?Sized> IntoAttributeValue for DebugText<'_, T> {
    fn into_attribute_value(self) -> Value {
        Value::String(Str::from(format!("{:?}", self.0)))
    }
}

/// The attribute value of an argument named in `args(...)`.
#[inline]
pub fn attribute_value(value: impl IntoAttributeValue) -> Value {
    value.into_attribute_value()
}

/// The error of a `Result`, if it is one.
#[inline]
pub fn error_of<T, E>(result: &Result<T, E>) -> Option<&E> {
    result.as_ref().err()
}

/// An error returned by a traced function, borrowed while it is recorded.
#[derive(Debug)]
pub struct Failure<'a, E: ?Sized>(pub &'a E);

/// Records a [`std::error::Error`] with its chain of sources.
pub trait ErrorFailure {
    /// Records the error on `span`.
    fn __clew_record(&self, span: &mut Span);
}

impl<E: Error> ErrorFailure for &&&&Failure<'_, E> {
    fn __clew_record(&self, span: &mut Span) {
        record_failure(span, std::any::type_name::<E>(), self.0.to_string(), self.0.source());
    }
}

/// Records an error behind a pointer (`Box<dyn Error>`, `anyhow::Error`) with its chain
/// of sources.
pub trait BoxedErrorFailure {
    /// Records the error on `span`.
    fn __clew_record(&self, span: &mut Span);
}

impl<E> BoxedErrorFailure for &&&Failure<'_, E>
where
    E: Deref,
    E::Target: Error,
{
    fn __clew_record(&self, span: &mut Span) {
        let error: &E::Target = self.0;
        record_failure(span, std::any::type_name::<E>(), error.to_string(), error.source());
    }
}

/// Records an error that implements `Display` only.
pub trait DisplayFailure {
    /// Records the error on `span`.
    fn __clew_record(&self, span: &mut Span);
}

impl<E: fmt::Display> DisplayFailure for &&Failure<'_, E> {
    fn __clew_record(&self, span: &mut Span) {
        record_failure(span, std::any::type_name::<E>(), self.0.to_string(), None);
    }
}

/// Records an error that implements `Debug` only.
pub trait DebugFailure {
    /// Records the error on `span`.
    fn __clew_record(&self, span: &mut Span);
}

impl<E: fmt::Debug> DebugFailure for &Failure<'_, E> {
    fn __clew_record(&self, span: &mut Span) {
        record_failure(span, std::any::type_name::<E>(), format!("{:?}", self.0), None);
    }
}

/// Records an error that can't be formatted: its type name stands in for the message.
pub trait OpaqueFailure {
    /// Records the error on `span`.
    fn __clew_record(&self, span: &mut Span);
}

impl<E> OpaqueFailure for Failure<'_, E> {
    fn __clew_record(&self, span: &mut Span) {
        let type_name = std::any::type_name::<E>();
        record_failure(span, type_name, type_name.to_owned(), None);
    }
}

/// Adds the `exception` event and sets the error status.
fn record_failure(span: &mut Span, type_name: &'static str, message: String, source: Option<&dyn Error>) {
    if !span.is_recording() {
        return;
    }
    let mut attributes =
        vec![KeyValue::new(keys::EXCEPTION_TYPE, type_name), KeyValue::new(keys::EXCEPTION_MESSAGE, message.clone())];
    let mut causes = Vec::new();
    let mut cause = source;
    while let Some(error) = cause {
        causes.push(error.to_string());
        cause = error.source();
    }
    if !causes.is_empty() {
        attributes.push(KeyValue::new(keys::EXCEPTION_CAUSES, causes));
    }
    span.event(Level::Error, keys::EXCEPTION_EVENT, attributes);
    span.set_status(Status::error(message));
}
