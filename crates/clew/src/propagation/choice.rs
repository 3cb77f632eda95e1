//! The names `OTEL_PROPAGATORS` accepts, and how its value is read.

use crate::config::{ConfigWarning, OTEL_PROPAGATORS, Reader};

/// A propagator named in `OTEL_PROPAGATORS`.
///
/// ```
/// use clew::propagation::PropagatorChoice;
/// assert_eq!(PropagatorChoice::from_name("B3Multi"), Some(PropagatorChoice::B3Multi));
/// assert_eq!(PropagatorChoice::RequestId.name(), "x-request-id");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PropagatorChoice {
    /// `tracecontext`: W3C `traceparent` and `tracestate`.
    TraceContext,
    /// `baggage`: W3C `baggage`.
    Baggage,
    /// `b3`: B3, writing the single `b3` header.
    B3,
    /// `b3multi`: B3, writing the `X-B3-*` headers.
    B3Multi,
    /// `jaeger`: `uber-trace-id` and `uberctx-*`.
    Jaeger,
    /// `x-trace-id` (clew's name): the `X-Trace-ID` / `X-Span-ID` header pair.
    TraceIdHeaders,
    /// `x-request-id` (clew's name): the `x-request-id` header.
    RequestId,
}

impl PropagatorChoice {
    /// Every choice, in the order of the documentation.
    pub const ALL: [PropagatorChoice; 7] = [
        PropagatorChoice::TraceContext,
        PropagatorChoice::Baggage,
        PropagatorChoice::B3,
        PropagatorChoice::B3Multi,
        PropagatorChoice::Jaeger,
        PropagatorChoice::TraceIdHeaders,
        PropagatorChoice::RequestId,
    ];

    /// The name in `OTEL_PROPAGATORS`.
    pub fn name(self) -> &'static str {
        match self {
            PropagatorChoice::TraceContext => "tracecontext",
            PropagatorChoice::Baggage => "baggage",
            PropagatorChoice::B3 => "b3",
            PropagatorChoice::B3Multi => "b3multi",
            PropagatorChoice::Jaeger => "jaeger",
            PropagatorChoice::TraceIdHeaders => "x-trace-id",
            PropagatorChoice::RequestId => "x-request-id",
        }
    }

    /// The choice a name stands for, in any case.
    pub fn from_name(name: &str) -> Option<PropagatorChoice> {
        PropagatorChoice::ALL.into_iter().find(|choice| choice.name().eq_ignore_ascii_case(name))
    }
}

/// `OTEL_PROPAGATORS` alone, with its warnings: for building propagators without a tracer.
pub(crate) fn from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> (Option<Vec<PropagatorChoice>>, Vec<ConfigWarning>) {
    let mut reader = Reader { lookup, warnings: Vec::new() };
    let propagators = read(&mut reader);
    (propagators, reader.warnings)
}

/// The listed propagators in order, each once; unknown names are skipped with a warning.
/// `none` means no propagator at all.
pub(crate) fn read(reader: &mut Reader<'_>) -> Option<Vec<PropagatorChoice>> {
    let value = reader.get(OTEL_PROPAGATORS)?;
    let mut choices = Vec::new();
    let mut none = false;
    for name in value.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        if name.eq_ignore_ascii_case("none") {
            none = true;
            continue;
        }
        match PropagatorChoice::from_name(name) {
            Some(choice) if !choices.contains(&choice) => choices.push(choice),
            Some(_) => {}
            None if name.eq_ignore_ascii_case("xray") || name.eq_ignore_ascii_case("ottrace") => {
                reader.warn(OTEL_PROPAGATORS, name, "clew has no propagator for this format; skipping it");
            }
            None => reader.warn(
                OTEL_PROPAGATORS,
                name,
                "unknown propagator; skipping it (known: tracecontext, baggage, b3, b3multi, jaeger, x-trace-id, \
                 x-request-id, none)",
            ),
        }
    }
    if none {
        if !choices.is_empty() {
            reader.warn(OTEL_PROPAGATORS, &value, "none turns propagation off; ignoring the other names");
        }
        return Some(Vec::new());
    }
    Some(choices)
}
