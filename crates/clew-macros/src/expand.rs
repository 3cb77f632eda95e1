//! Code generation: the traced function, rebuilt around its original body.
//!
//! Names the macro introduces (`__clew_span`, `__clew_result`, …) carry
//! `Span::mixed_site()`, so the body can neither see nor shadow them; the body itself keeps
//! the user's spans, so errors inside it point where they always did.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::visit_mut::VisitMut;
use syn::{AttrStyle, Attribute, FnArg, Ident, ItemFn, LitStr, Pat, ReturnType, Type};

use crate::options::TraceOptions;

/// Rebuilds `function` so that each call runs inside a span.
pub(crate) fn expand(options: &TraceOptions, function: ItemFn) -> syn::Result<TokenStream> {
    if let Some(constness) = &function.sig.constness {
        return Err(syn::Error::new_spanned(constness, "`#[clew::trace]` cannot be applied to a `const fn`"));
    }
    check_args(options, &function)?;

    let ItemFn { attrs, vis, sig, block } = function;
    let (inner_attrs, outer_attrs): (Vec<Attribute>, Vec<Attribute>) =
        attrs.into_iter().partition(|attribute| matches!(attribute.style, AttrStyle::Inner(_)));
    let records_errors = returns_result(&sig.output);
    let output_type = inferable_output_type(&sig.output);

    let span = Ident::new("__clew_span", Span::mixed_site());
    let result = Ident::new("__clew_result", Span::mixed_site());
    let is_async = sig.asyncness.is_some();
    // A sync span is entered (`&mut`); otherwise `mut` is needed only to write to it.
    let needs_mut = !is_async || records_errors || !options.args.is_empty();
    let binding = if needs_mut { quote!(mut #span) } else { quote!(#span) };
    let start = start_span(options, &sig.ident);
    let record_args = record_args(&options.args, &span);

    let body = if is_async {
        let record_error = if records_errors { record_error(&result, &quote!(&mut #span)) } else { quote!() };
        quote! {
            let #binding = #start;
            #record_args
            let #result = ::clew::__private::FutureExt::with_context(
                ::clew::__private::typed_future::<#output_type, _>(async move #block),
                #span.context(),
            )
            .await;
            #record_error
            #result
        }
    } else if records_errors {
        let entered = Ident::new("__clew_entered", Span::mixed_site());
        let record_error = record_error(&result, &quote!(&mut #entered));
        quote! {
            let #binding = #start;
            #record_args
            let mut #entered = #span.enter();
            let #result = ::clew::__private::call::<#output_type>(move || #block);
            #record_error
            #result
        }
    } else {
        let entered = Ident::new("__clew_entered", Span::mixed_site());
        quote! {
            let #binding = #start;
            #record_args
            let #entered = #span.enter();
            #block
        }
    };

    Ok(quote! {
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #body
        }
    })
}

/// `::clew::span(name)` with the options' kind and label, started.
fn start_span(options: &TraceOptions, function_name: &Ident) -> TokenStream {
    let name = match &options.name {
        Some(name) => name.clone(),
        None => LitStr::new(&function_name.unraw().to_string(), function_name.span()),
    };
    let kind = options.kind.as_ref().map(|kind| quote!(.kind(::clew::SpanKind::#kind)));
    let label = options.label.as_ref().map(|label| quote!(.label(#label)));
    quote!(::clew::span(#name) #kind #label .start())
}

/// Sets one attribute per `args(...)` name, only if the span is recording.
fn record_args(args: &[Ident], span: &Ident) -> TokenStream {
    if args.is_empty() {
        return quote!();
    }
    let attributes = args.iter().map(|arg| {
        let key = LitStr::new(&arg.unraw().to_string(), arg.span());
        // Spanned on the name so that a type that can't be recorded is reported there.
        let value = quote_spanned! {arg.span()=>
            ::clew::__private::attribute_value((&&&&&::clew::__private::AttributeArg(&#arg)).__clew_value())
        };
        quote!(#span.set_attribute(#key, #value);)
    });
    quote! {
        if #span.is_recording() {
            #[allow(unused_imports)]
            use ::clew::__private::{DebugArg as _, StrArg as _, StrSequenceArg as _, TypedArg as _, TypedRefArg as _};
            #(#attributes)*
        }
    }
}

/// Records `result` on the span if it is an `Err`.
fn record_error(result: &Ident, span: &TokenStream) -> TokenStream {
    let error = Ident::new("__clew_error", Span::mixed_site());
    quote! {
        if let ::core::option::Option::Some(#error) = ::clew::__private::error_of(&#result) {
            #[allow(unused_imports)]
            use ::clew::__private::{
                BoxedErrorFailure as _, DebugFailure as _, DisplayFailure as _, ErrorFailure as _, OpaqueFailure as _,
            };
            (&&&&&::clew::__private::Failure(#error)).__clew_record(#span);
        }
    }
}

/// Fails on the first `args(...)` name that no parameter binds.
fn check_args(options: &TraceOptions, function: &ItemFn) -> syn::Result<()> {
    let mut parameters = Vec::new();
    for input in &function.sig.inputs {
        if let FnArg::Typed(typed) = input {
            bound_names(&typed.pat, &mut parameters);
        }
    }
    for arg in &options.args {
        if parameters.contains(arg) {
            continue;
        }
        let names: Vec<String> = parameters.iter().map(|parameter| format!("`{parameter}`")).collect();
        let known = if names.is_empty() {
            format!("`{}` takes no named parameters", function.sig.ident)
        } else {
            format!("its parameters are {}", names.join(", "))
        };
        return Err(syn::Error::new(
            arg.span(),
            format!("`{arg}` is not a parameter of `{}`; {known}", function.sig.ident),
        ));
    }
    Ok(())
}

/// The names a parameter pattern binds: `id`, `mut id`, and those inside tuples and structs.
fn bound_names(pattern: &Pat, names: &mut Vec<Ident>) {
    match pattern {
        Pat::Ident(binding) => {
            names.push(binding.ident.clone());
            if let Some((_, subpattern)) = &binding.subpat {
                bound_names(subpattern, names);
            }
        }
        Pat::Reference(reference) => bound_names(&reference.pat, names),
        Pat::Paren(paren) => bound_names(&paren.pat, names),
        Pat::Type(typed) => bound_names(&typed.pat, names),
        Pat::Tuple(tuple) => tuple.elems.iter().for_each(|element| bound_names(element, names)),
        Pat::TupleStruct(tuple) => tuple.elems.iter().for_each(|element| bound_names(element, names)),
        Pat::Slice(slice) => slice.elems.iter().for_each(|element| bound_names(element, names)),
        Pat::Struct(structure) => structure.fields.iter().for_each(|field| bound_names(&field.pat, names)),
        _ => {}
    }
}

/// Whether errors are recorded: the written return type's last path segment is `Result`
/// (`Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`).
fn returns_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, written) = output else {
        return false;
    };
    let mut written: &Type = written;
    loop {
        match written {
            Type::Paren(paren) => written = &paren.elem,
            Type::Group(group) => written = &group.elem,
            Type::Path(path) => {
                return path.qself.is_none() && path.path.segments.last().is_some_and(|last| last.ident == "Result");
            }
            _ => return false,
        }
    }
}

/// The return type as it may be written inside the body: `impl Trait` and `!` can't be, so
/// they become `_` and are inferred.
fn inferable_output_type(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, written) => {
            let mut inferable = (**written).clone();
            InferOpaqueTypes.visit_type_mut(&mut inferable);
            inferable.into_token_stream()
        }
    }
}

/// Replaces the types that only a signature may name with `_`.
struct InferOpaqueTypes;

impl VisitMut for InferOpaqueTypes {
    fn visit_type_mut(&mut self, written: &mut Type) {
        if matches!(written, Type::ImplTrait(_) | Type::Never(_)) {
            *written = Type::Infer(syn::TypeInfer { underscore_token: Default::default() });
            return;
        }
        syn::visit_mut::visit_type_mut(self, written);
    }
}
