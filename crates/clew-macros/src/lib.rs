//! `#[clew::trace]`: runs every call of a function inside a span.
//!
//! Use it through `clew` (`clew::trace`, feature `macros`, on by default); the generated
//! code names `::clew::…` paths, so the calling crate must depend on `clew` under that name.
//!
//! What the attribute generates, for a function with `args(user_id)` that returns a
//! `Result` (names starting with `__clew_` can't be seen from the body):
//!
//! ```text
//! fn register(user_id: u64) -> Result<Id, Error> {
//!     let mut __clew_span = ::clew::span("register").start();
//!     if __clew_span.is_recording() {
//!         __clew_span.set_attribute("user_id", /* user_id, typed or as {:?} */);
//!     }
//!     let mut __clew_entered = __clew_span.enter();      // current on this thread
//!     let __clew_result = call::<Result<Id, Error>>(move || { /* the body */ });
//!     // if it is an `Err`: an `exception` event and an error status on the span
//!     __clew_result
//! }                                                      // the span ends here
//! ```
//!
//! - A function that doesn't return a `Result` keeps its body as it is, with no closure:
//!   the span is entered before it and ends when the function returns, by any path.
//! - An `async fn` stays an `async fn`. The span starts at its first poll; the body becomes
//!   an inner `async move` block, wrapped with `FutureExt::with_context` so the span is
//!   current during each of its polls, on whichever thread, across every `.await`. The span
//!   ends when the body finishes (or when the future is dropped). The returned future is
//!   `Send` whenever the body is.
//! - The body runs in a closure (sync, `Result` only) or an `async` block whose output type
//!   is the written return type, so `?` and `return` mean what they meant; `impl Trait` in
//!   the return type is left for the compiler to infer.
//! - Arguments are recorded only when the span is recording: an unsampled call formats and
//!   clones nothing.
//! - A panic unwinding through the function ends the span with an error status.
//!
//! The rules that pick how an argument or an error is recorded live in `clew::__private`.

mod expand;
mod options;

use proc_macro::TokenStream;

/// Runs every call of the function inside a span of the process-wide tracer.
///
/// Works on free functions, methods (`self`, `&self`, `&mut self`) and `async fn`s,
/// including `async fn` in traits and impls, with generics and `impl Trait` arguments.
/// Spans of traced functions called from a traced function are its children.
///
/// # Options
///
/// All optional, in any order: `#[clew::trace(name = "...", kind = "...", label = "...", args(...))]`.
///
/// - `name = "user_registration"`: the span's name; the function's name by default.
/// - `kind = "server"`: the span kind, one of `internal` (default), `server`, `client`,
///   `producer`, `consumer`, in any case.
/// - `label = "STEP"`: the span's free label.
/// - `args(user_id, amount)`: parameters recorded as attributes named after them. An
///   argument whose type is string-like (`&str`, `String`), a sequence of strings (`Vec<S>`,
///   `&[S]`) or `Clone + Into<clew::Value>` (integers, floats, `bool`, …) is recorded with its
///   type; anything else that implements `Debug` as its `{:?}` text. The choice is made from
///   the type as the function declares it: a generic `T: Debug` argument is recorded as text.
///
/// # Errors
///
/// When the written return type is a `Result` (its last path segment is `Result`:
/// `Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`), an `Err` gives the span an error
/// status and an `exception` event with `exception.type` and `exception.message`, plus
/// `exception.causes` for a `std::error::Error` (or a `Box<dyn Error>`, an `anyhow::Error`)
/// with sources. The error needs no trait: without `Display` or `Debug`, its type name is
/// the message. `Ok` leaves the status unset.
///
/// # Example
///
/// ```
/// use std::num::ParseIntError;
///
/// #[clew::trace(name = "user_registration", kind = "server", label = "STEP", args(user_id, amount))]
/// fn register(user_id: &str, amount: f64) -> Result<u32, ParseIntError> {
///     let points = parse_points("7")?;
///     Ok(points + 1)
/// }
///
/// #[clew::trace(args(text))]
/// fn parse_points(text: &str) -> Result<u32, ParseIntError> {
///     text.parse()
/// }
///
/// let exporter = clew::InMemoryExporter::new();
/// clew::set_global(clew::Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build());
///
/// assert_eq!(register("alice", 9.5), Ok(8));
/// assert_eq!(exporter.tree(), "\
/// user_registration [server STEP] {user_id=\"alice\", amount=9.5}
///   parse_points {text=\"7\"}
/// ");
/// ```
///
/// An `async fn` keeps its span across `.await`:
///
/// ```
/// #[clew::trace(kind = "client")]
/// async fn fetch(id: u64) -> Option<u64> {
///     tokio::task::yield_now().await;
///     lookup(id) // still inside `fetch`'s span
/// }
///
/// #[clew::trace]
/// fn lookup(id: u64) -> Option<u64> {
///     id.checked_mul(2)
/// }
///
/// let exporter = clew::InMemoryExporter::new();
/// clew::set_global(clew::Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build());
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
///
/// assert_eq!(runtime.block_on(fetch(21)), Some(42));
/// assert_eq!(exporter.tree(), "fetch [client]\n  lookup\n");
/// ```
///
/// Mistakes are compile errors at the token that caused them: an unknown option, a kind
/// that isn't one of the five, an `args` name that no parameter binds, the attribute on
/// something that isn't a function with a body, or on a `const fn`.
#[proc_macro_attribute]
pub fn trace(options: TokenStream, item: TokenStream) -> TokenStream {
    let mut parsed_options = options::TraceOptions::default();
    let parser = syn::meta::parser(|meta| parsed_options.parse_one(meta));
    if let Err(error) = syn::parse::Parser::parse(parser, options) {
        return with_item(error, item);
    }
    let function = match syn::parse::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => return with_item(not_a_function(&item, error), item),
    };
    match expand::expand(&parsed_options, function) {
        Ok(expanded) => expanded.into(),
        Err(error) => with_item(error, item),
    }
}

/// The error that explains why `item` can't be traced: it has no body, or it isn't a
/// function at all, or (if it is neither) what syn found wrong with it.
fn not_a_function(item: &TokenStream, parse_error: syn::Error) -> syn::Error {
    if let Ok(declaration) = syn::parse::<syn::TraitItemFn>(item.clone()) {
        return syn::Error::new_spanned(
            &declaration.sig,
            "`#[clew::trace]` needs a function body; put it on the functions that implement this one",
        );
    }
    if syn::parse::<syn::Item>(item.clone()).is_ok() {
        return syn::Error::new(proc_macro2::Span::call_site(), "`#[clew::trace]` can only be applied to functions");
    }
    parse_error
}

/// The error, followed by the item unchanged so that its uses still compile and only the
/// error is reported.
fn with_item(error: syn::Error, item: TokenStream) -> TokenStream {
    let mut output: TokenStream = error.to_compile_error().into();
    output.extend(item);
    output
}
