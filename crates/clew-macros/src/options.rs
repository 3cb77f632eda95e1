//! The options inside `#[clew::trace(...)]`: parsed and checked here, before any code is
//! generated, so that every mistake is reported at the token that caused it.

use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

/// The span kinds `kind = "..."` accepts, as `clew::SpanKind` variant names.
const KINDS: [(&str, &str); 5] = [
    ("internal", "Internal"),
    ("server", "Server"),
    ("client", "Client"),
    ("producer", "Producer"),
    ("consumer", "Consumer"),
];

/// Everything `#[clew::trace(...)]` was given; all optional.
#[derive(Default)]
pub(crate) struct TraceOptions {
    /// `name = "..."`: the span's name instead of the function's.
    pub(crate) name: Option<LitStr>,
    /// `kind = "..."`: the `clew::SpanKind` variant, as an identifier spanned on the value.
    pub(crate) kind: Option<Ident>,
    /// `label = "..."`: the span's free label.
    pub(crate) label: Option<LitStr>,
    /// `args(...)`: parameters recorded as attributes, in the order written.
    pub(crate) args: Vec<Ident>,
    /// Whether `args(...)` was given at all (to reject it twice).
    args_given: bool,
}

impl TraceOptions {
    /// Reads one `key = value` or `args(...)` item; called by `syn::meta::parser`.
    pub(crate) fn parse_one(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        if meta.path.is_ident("name") {
            let name = string_value(&meta, self.name.is_some(), "name")?;
            if name.value().is_empty() {
                return Err(syn::Error::new(name.span(), "the span name must not be empty"));
            }
            self.name = Some(name);
            return Ok(());
        }
        if meta.path.is_ident("kind") {
            let kind = string_value(&meta, self.kind.is_some(), "kind")?;
            self.kind = Some(parse_kind(&kind)?);
            return Ok(());
        }
        if meta.path.is_ident("label") {
            self.label = Some(string_value(&meta, self.label.is_some(), "label")?);
            return Ok(());
        }
        if meta.path.is_ident("args") {
            if self.args_given {
                return Err(meta.error("`args` is given twice"));
            }
            self.args_given = true;
            self.args = parse_args(&meta)?;
            return Ok(());
        }
        let option = meta.path.get_ident().map_or_else(|| "this path".to_owned(), |ident| format!("`{ident}`"));
        Err(meta.error(format!(
            "unknown option {option} of `#[clew::trace]`; expected `name = \"...\"`, `kind = \"...\"`, \
             `label = \"...\"` or `args(...)`"
        )))
    }
}

/// The string literal after `option =`.
fn string_value(meta: &ParseNestedMeta<'_>, already_given: bool, option: &str) -> syn::Result<LitStr> {
    if already_given {
        return Err(meta.error(format!("`{option}` is given twice")));
    }
    let value = meta.value()?;
    value
        .parse::<LitStr>()
        .map_err(|error| syn::Error::new(error.span(), format!("expected a string literal: `{option} = \"...\"`")))
}

/// The `clew::SpanKind` variant named by `kind`, in any case.
fn parse_kind(kind: &LitStr) -> syn::Result<Ident> {
    let text = kind.value();
    for (name, variant) in KINDS {
        if name.eq_ignore_ascii_case(&text) {
            return Ok(Ident::new(variant, kind.span()));
        }
    }
    Err(syn::Error::new(
        kind.span(),
        format!(
            "unknown span kind \"{text}\"; expected one of \"internal\", \"server\", \"client\", \"producer\", \
             \"consumer\""
        ),
    ))
}

/// The parameter names inside `args(...)`, each at most once.
fn parse_args(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Ident>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
    let mut args: Vec<Ident> = Vec::with_capacity(names.len());
    for name in names {
        if args.contains(&name) {
            return Err(syn::Error::new(name.span(), format!("`{name}` is listed twice in `args`")));
        }
        args.push(name);
    }
    Ok(args)
}
