//! Log lines that carry the trace and span ids of the span they were written in.

use std::cell::RefCell;
use std::fmt;

use clew::SpanContext;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{DefaultFields, Format, Full, Writer};
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::layer::context_in_scope;

thread_local! {
    /// The line being formatted, reused from line to line.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// An event format that writes each line as `inner` does, then ` trace_id=… span_id=…`
/// when the event was written inside a span: the innermost clew span current on the
/// thread (a `tracing` span recorded by [`ClewLayer`](crate::ClewLayer), or a clew span
/// entered inside one), or the clew span of the event's explicit `parent:`.
///
/// The line is formatted into a buffer first so that the ids can follow its fields, so it
/// is written without ANSI colours: meant for files and log collectors, with text formats
/// (the ids would make a JSON line invalid).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let format = clew_tracing::WithTraceIds::new(tracing_subscriber::fmt::format().without_time());
/// let subscriber = tracing_subscriber::registry()
///     .with(clew_tracing::ClewLayer::new())
///     .with(tracing_subscriber::fmt::layer().event_format(format));
/// ```
#[derive(Clone, Debug, Default)]
pub struct WithTraceIds<F> {
    inner: F,
}

impl<F> WithTraceIds<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> WithTraceIds<F> {
        WithTraceIds { inner }
    }

    /// The wrapped format.
    pub fn inner(&self) -> &F {
        &self.inner
    }
}

/// The context whose ids a line about `event` carries.
fn event_context<S, N>(ctx: &FmtContext<'_, S, N>, event: &Event<'_>) -> Option<SpanContext>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    if let Some(parent) = event.parent() {
        return ctx.span(parent).as_ref().and_then(context_in_scope);
    }
    if !event.is_contextual() {
        return None;
    }
    clew::current_context().or_else(|| ctx.lookup_current().as_ref().and_then(context_in_scope))
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let context = event_context(ctx, event).filter(SpanContext::is_valid);
        // Taken, not borrowed: a value whose `Debug` logs formats its own line meanwhile.
        let mut line = LINE.with(RefCell::take);
        line.clear();
        let formatted = self.inner.format_event(ctx, Writer::new(&mut line), event);
        let written = formatted.and_then(|()| {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line.as_str(), ""),
            };
            match &context {
                Some(context) => {
                    write!(writer, "{body} trace_id={} span_id={}{newline}", context.trace_id(), context.span_id())
                }
                None => write!(writer, "{body}{newline}"),
            }
        });
        LINE.with(|reused| reused.replace(line));
        written
    }
}

/// The type [`fmt_layer`] returns.
pub type FmtLayer<S> = tracing_subscriber::fmt::Layer<S, DefaultFields, WithTraceIds<Format<Full, SystemTime>>>;

/// `tracing_subscriber`'s text log layer (the default format, on standard output) whose
/// lines end with the current span's `trace_id=… span_id=…`. Change its writer or
/// settings as with any `fmt::Layer`; add it beside a [`ClewLayer`](crate::ClewLayer).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter).simple_export().build();
/// let subscriber = tracing_subscriber::registry()
///     .with(clew_tracing::ClewLayer::new().with_tracer(tracer))
///     .with(clew_tracing::fmt_layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let _request = tracing::info_span!("request").entered();
///     tracing::info!("processing data"); // … INFO request: …: processing data trace_id=… span_id=…
/// });
/// ```
pub fn fmt_layer<S>() -> FmtLayer<S>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    tracing_subscriber::fmt::layer().event_format(WithTraceIds::new(tracing_subscriber::fmt::format()))
}
