//! `#[clew::trace]`: wraps a function in a span. (Placeholder until the macro lands.)

use proc_macro::TokenStream;

/// Wraps a function in a span.
#[proc_macro_attribute]
pub fn trace(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
