//! clew: distributed tracing for Rust services — the SDK.
//!
//! A service links this crate to create traces, spans and events, sample them, keep
//! context across threads and `.await`, and export them in batches from a background
//! thread. Nothing here needs an async runtime.
//!
//! ```
//! use clew::{KeyValue, Level, SpanKind, Status};
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder()
//!     .service_name("checkout")
//!     .exporter(exporter.clone())
//!     .build();
//!
//! tracer.in_span("handle-request", |request| {
//!     request.set_attribute("http.request.method", "POST");
//!     let mut charge = tracer.span("charge-card").kind(SpanKind::Client).start();
//!     charge.event(Level::Info, "card.authorized", [KeyValue::new("amount", 99.99)]);
//!     charge.end_with(Status::Ok);
//! });
//!
//! tracer.flush(std::time::Duration::from_secs(5)).unwrap();
//! assert_eq!(exporter.tree(), "\
//! handle-request {http.request.method=\"POST\"}
//!   charge-card [client] ok
//!     · card.authorized INFO {amount=99.99}
//! ");
//! ```
//!
//! The map of the crate:
//! - [`Tracer`] (configuration, built in code or from the environment) starts spans
//!   ([`SpanBuilder`] → [`Span`]) and seed-style traces ([`Trace`]);
//! - [`Sampler`] decides what is recorded; [`SpanLimits`] and [`Redaction`] bound and
//!   clean what is kept;
//! - the current span of each thread lives in a stack ([`current_context`]), carried
//!   across `.await` by [`FutureExt`];
//! - finished spans go through the batch processor to a [`SpanExporter`]:
//!   [`StdoutExporter`], [`InMemoryExporter`], [`NoneExporter`] or your own.

mod clock;
pub mod config;
mod context;
mod data;
pub mod diagnostics;
mod export;
mod future;
mod id;
mod json;
mod limits;
mod processor;
mod redact;
pub mod resource;
mod sampler;
mod span;
pub mod testing;
mod trace;
mod tracer;
mod value;

pub use config::{BatchConfig, ConfigWarning, EnvConfig, ExporterChoice};
pub use context::{
    ContextGuard, SpanContext, current_context, current_span_id, current_trace_id, enter_context, log_with_trace,
};
pub use data::{Event, Level, Link, SpanData, SpanKind, Status, TraceEvent};
pub use export::{Batch, ExportError, InMemoryExporter, NoneExporter, SpanExporter, StdoutExporter};
pub use future::{FutureExt, Instrumented, WithContext};
pub use id::{IdParseError, SpanId, TraceFlags, TraceId};
pub use limits::SpanLimits;
pub use processor::PipelineStats;
pub use redact::{DEFAULT_SECRET_WORDS, REDACTED, Redaction};
pub use resource::Resource;
pub use sampler::{
    CounterRatio, ParentBased, RateLimited, Sampler, SamplingDecision, SamplingParams, ShouldSample, TraceIdRatio,
};
pub use span::{Entered, Span, SpanBuilder, keys};
pub use trace::{Trace, TraceBuilder};
pub use tracer::{Tracer, TracerBuilder, global, set_global};
pub use value::{KeyValue, Str, Value};

#[cfg(feature = "macros")]
pub use clew_macros::trace;

/// Starts building a span on the process-wide tracer.
///
/// ```
/// let span = clew::span("work").start();
/// assert!(!span.is_recording()); // no tracer installed: nothing is recorded
/// ```
#[inline]
pub fn span(name: impl Into<Str>) -> SpanBuilder {
    global().span(name)
}

/// Builds a tracer from the environment and makes it the process-wide one.
///
/// ```no_run
/// let tracer = clew::init();
/// clew::span("startup").start().end();
/// tracer.shutdown(std::time::Duration::from_secs(5)).unwrap();
/// ```
pub fn init() -> Tracer {
    let tracer = Tracer::from_env();
    set_global(tracer);
    tracer
}

/// A list of attributes from `key => value` pairs of any value types.
///
/// ```
/// let attributes = clew::attrs!["platform" => "instagram", "attempt" => 2, "ok" => true];
/// assert_eq!(attributes.len(), 3);
/// ```
#[macro_export]
macro_rules! attrs {
    ($($key:expr => $value:expr),* $(,)?) => {
        ::std::vec![$($crate::KeyValue::new($key, $value)),*]
    };
}

#[doc(hidden)]
pub mod __private {
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
    //! typed row and then fail to borrow-check. The last row accepts every type so that
    //! [`attribute_value`] can say plainly that the argument implements neither
    //! `Into<Value>` nor `Debug`.
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
    #[diagnostic::on_unimplemented(
        message = "`#[clew::trace]` cannot record this argument",
        label = "named in `args(...)` here",
        note = "an argument is recorded if its type converts into `clew::Value` or implements `Debug`"
    )]
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
        let mut attributes = vec![
            KeyValue::new(keys::EXCEPTION_TYPE, type_name),
            KeyValue::new(keys::EXCEPTION_MESSAGE, message.clone()),
        ];
        let mut causes = Vec::new();
        let mut cause = source;
        while let Some(error) = cause {
            causes.push(error.to_string());
            cause = error.source();
        }
        if !causes.is_empty() {
            attributes.push(KeyValue::new("exception.causes", causes));
        }
        span.event(Level::Error, keys::EXCEPTION_EVENT, attributes);
        span.set_status(Status::error(message));
    }
}
