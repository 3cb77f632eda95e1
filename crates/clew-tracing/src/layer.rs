//! [`ClewLayer`]: `tracing` spans and events recorded as clew spans.

use clew::{KeyValue, Level, SpanContext, Status, Str, Tracer};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::fields::{EventFields, SpanFields, StartFields, has_start_fields};
use crate::{entered, keys};

/// The clew span of a `tracing` span, kept in the span's extensions from creation to close.
pub(crate) struct ClewSpan {
    pub(crate) span: clew::Span,
    /// The span's context, kept so that entering the span does not recompute it.
    pub(crate) context: SpanContext,
}

/// The clew context of `span`, or of its nearest ancestor that has one.
pub(crate) fn context_in_scope<S>(span: &SpanRef<'_, S>) -> Option<SpanContext>
where
    S: for<'lookup> LookupSpan<'lookup>,
{
    span.scope().find_map(|ancestor| ancestor.extensions().get::<ClewSpan>().map(|clew| clew.context.clone()))
}

/// A `tracing_subscriber` layer that records `tracing` spans and events as clew spans.
///
/// - **Sampling first.** A new `tracing` span starts a clew span right away, so the
///   sampler decides before anything else happens; an unsampled span keeps only its
///   context (for children and log lines) and its fields are never read or formatted. The
///   sampler sees the span's name and kind, so the `otel.name` and `otel.kind` fields are
///   read first.
/// - **Parents.** A span made inside another span (the current one, as `tracing` decides)
///   is a child of the innermost current clew span on this thread: that is the parent
///   `tracing` span's clew span, or a clew span started inside it. A span given an
///   explicit `parent:` is a child of that span's clew span; `parent: None` starts a new
///   trace. While a `tracing` span is entered its clew span is current, so clew spans
///   started inside nest under it and [`clew::current_trace_id`] answers.
/// - **Fields** become attributes with their types kept; the level becomes `level`, the
///   callsite `code.file.path`, `code.line.number` and `code.module.name`, the target
///   `target` (each can be turned off). `otel.name` renames the span, `otel.kind` sets its
///   kind (at creation only), `otel.status_code` (`ok`/`error`) and
///   `otel.status_message` set its status, and a field named `error` marks it failed with
///   the field's text as the message. Fields recorded later (`Span::record`) are added the
///   same way; `follows_from` adds a link.
/// - **Events** inside a span become events of its clew span, at the event's level, named
///   by the `message` field (or, for an event with an `error` field and no message,
///   `exception` with the error's text as `exception.message`), with the other fields as
///   attributes. An `ERROR` event sets the span's status to error with its message. An
///   event outside every `tracing` span is not recorded: the clew span current at that
///   point (if any) belongs to code that holds its handle, which the layer cannot reach.
/// - **End.** The clew span ends when the `tracing` span closes (its last handle is
///   dropped), at that time.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// let subscriber = tracing_subscriber::registry()
///     .with(clew_tracing::ClewLayer::new().with_tracer(tracer).with_location(false).with_target(false));
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!("checkout", order = 7);
///     let _entered = span.enter();
///     tracing::warn!(attempt = 2, "card declined");
/// });
/// assert_eq!(exporter.tree(), "\
/// checkout {level=\"INFO\", order=7}
///   · card declined WARN {attempt=2}
/// ");
/// ```
#[derive(Clone, Debug)]
#[must_use = "a layer records nothing until it is added to a subscriber"]
pub struct ClewLayer {
    /// `None`: the process-wide tracer, looked up for each span.
    tracer: Option<Tracer>,
    location: bool,
    level: bool,
    target: bool,
    error_events_to_status: bool,
}

impl Default for ClewLayer {
    fn default() -> ClewLayer {
        ClewLayer::new()
    }
}

impl ClewLayer {
    /// A layer that records through the process-wide tracer ([`clew::global`]), whichever
    /// it is when each span starts.
    pub fn new() -> ClewLayer {
        ClewLayer { tracer: None, location: true, level: true, target: true, error_events_to_status: true }
    }

    /// Records through `tracer` instead of the process-wide one.
    pub fn with_tracer(mut self, tracer: Tracer) -> ClewLayer {
        self.tracer = Some(tracer);
        self
    }

    /// Whether spans and events carry `code.file.path`, `code.line.number` and
    /// `code.module.name` (default true).
    pub fn with_location(mut self, location: bool) -> ClewLayer {
        self.location = location;
        self
    }

    /// Whether spans carry their `tracing` level as `level` (default true).
    pub fn with_level(mut self, level: bool) -> ClewLayer {
        self.level = level;
        self
    }

    /// Whether spans and events carry their `tracing` target as `target` (default true).
    pub fn with_target(mut self, target: bool) -> ClewLayer {
        self.target = target;
        self
    }

    /// Whether an `ERROR` event, or an event that only reports an `error`, marks its span
    /// as failed (default true).
    pub fn with_error_events_to_status(mut self, enabled: bool) -> ClewLayer {
        self.error_events_to_status = enabled;
        self
    }

    fn tracer(&self) -> Tracer {
        self.tracer.unwrap_or_else(clew::global)
    }

    /// The attributes the layer adds from a callsite's metadata.
    fn metadata_attributes(
        &self,
        metadata: &'static Metadata<'static>,
        with_level: bool,
        extra: usize,
    ) -> Vec<KeyValue> {
        let mut attributes = Vec::with_capacity(5 + extra);
        if with_level {
            attributes.push(KeyValue::new(keys::LEVEL, level(metadata.level()).as_str()));
        }
        if self.target {
            attributes.push(KeyValue::new(keys::TARGET, metadata.target()));
        }
        if self.location {
            if let Some(file) = metadata.file() {
                attributes.push(KeyValue::new(keys::CODE_FILE_PATH, file));
            }
            if let Some(line) = metadata.line() {
                attributes.push(KeyValue::new(keys::CODE_LINE_NUMBER, line));
            }
            if let Some(module) = metadata.module_path() {
                attributes.push(KeyValue::new(keys::CODE_MODULE_NAME, module));
            }
        }
        attributes
    }

    /// Starts the clew span of a new `tracing` span; the sampler decides here.
    fn start<S>(&self, attrs: &Attributes<'_>, ctx: &Context<'_, S>) -> clew::Span
    where
        S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    {
        let metadata = attrs.metadata();
        let mut start = StartFields::default();
        if has_start_fields(metadata.fields()) {
            attrs.record(&mut start);
        }
        let name = match start.name {
            Some(name) => Str::from(name),
            None => Str::from_static(metadata.name()),
        };
        let mut builder = self.tracer().span(name);
        if let Some(kind) = start.kind {
            builder = builder.kind(kind);
        }
        if attrs.is_root() {
            builder = builder.root();
        } else if let Some(parent) = attrs.parent() {
            if let Some(context) = ctx.span(parent).as_ref().and_then(context_in_scope) {
                builder = builder.parent_context(context);
            }
        } else if clew::current_span_id().is_none() {
            // Normally the current `tracing` span's context is on clew's stack already (it
            // was pushed when the span was entered); this covers a span entered before
            // the layer saw it.
            if let Some(context) = ctx.lookup_current().as_ref().and_then(context_in_scope) {
                builder = builder.parent_context(context);
            }
        }
        builder.start()
    }
}

/// clew's level for a `tracing` level.
fn level(level: &tracing::Level) -> Level {
    if *level == tracing::Level::ERROR {
        Level::Error
    } else if *level == tracing::Level::WARN {
        Level::Warn
    } else if *level == tracing::Level::INFO {
        Level::Info
    } else if *level == tracing::Level::DEBUG {
        Level::Debug
    } else {
        Level::Trace
    }
}

/// Whether the clew span of `span` records (an unsampled one does not: its fields are left
/// unread).
fn is_recording<S>(span: &SpanRef<'_, S>) -> bool
where
    S: for<'lookup> LookupSpan<'lookup>,
{
    span.extensions().get::<ClewSpan>().is_some_and(|clew| clew.span.is_recording())
}

impl<S> Layer<S> for ClewLayer
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span_ref) = ctx.span(id) else {
            return;
        };
        let mut span = self.start(attrs, &ctx);
        if span.is_recording() {
            let metadata = attrs.metadata();
            let attributes = self.metadata_attributes(metadata, self.level, metadata.fields().len());
            let mut fields = SpanFields::with_attributes(attributes);
            // No extension lock is held here, so a field's `Debug` that logs cannot deadlock.
            fields.visit(|visitor| attrs.record(visitor));
            if let Some(status) = fields.status() {
                span.set_status(status);
            }
            span.set_attributes(fields.attributes);
        }
        let context = span.context();
        if !context.is_valid() {
            // A disabled tracer makes no ids: there is nothing to record or to make current.
            return;
        }
        // `replace`, not `insert`, which panics if a second clew layer got here first.
        let replaced = span_ref.extensions_mut().replace(ClewSpan { span, context });
        drop(replaced);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span_ref) = ctx.span(id) else {
            return;
        };
        if !is_recording(&span_ref) {
            return;
        }
        let mut fields = SpanFields::default();
        fields.visit(|visitor| values.record(visitor));
        let status = fields.status();
        let mut extensions = span_ref.extensions_mut();
        let Some(clew) = extensions.get_mut::<ClewSpan>() else {
            return;
        };
        if let Some(name) = fields.name {
            clew.span.update_name(name);
        }
        if let Some(status) = status {
            clew.span.set_status(status);
        }
        clew.span.set_attributes(fields.attributes);
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let Some(span_ref) = ctx.span(id) else {
            return;
        };
        let Some(linked) = ctx.span(follows).as_ref().and_then(context_in_scope) else {
            return;
        };
        if let Some(clew) = span_ref.extensions_mut().get_mut::<ClewSpan>() {
            clew.span.add_link(linked, []);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let span_ref = match event.parent() {
            Some(parent) => ctx.span(parent),
            None if event.is_contextual() => ctx.lookup_current(),
            None => None,
        };
        let Some(span_ref) = span_ref else {
            return;
        };
        if !is_recording(&span_ref) {
            return;
        }
        let metadata = event.metadata();
        let mut fields = EventFields::with_attributes(self.metadata_attributes(metadata, false, 4));
        fields.visit(|visitor| event.record(visitor));
        let event_level = level(metadata.level());
        let is_exception = fields.message.is_none() && fields.error.is_some();
        let (name, status_message) = match (fields.message, fields.error) {
            (Some(message), _) => {
                let message = Str::from(message);
                (message.clone(), message)
            }
            (None, Some(error)) => {
                // An event that only reports an error is an exception, as OpenTelemetry
                // names it.
                for attribute in &mut fields.attributes {
                    if attribute.key == keys::ERROR {
                        attribute.key = Str::from_static(clew::keys::EXCEPTION_MESSAGE);
                    }
                }
                (Str::from_static(clew::keys::EXCEPTION_EVENT), Str::from(error))
            }
            (None, None) => (Str::from_static(metadata.name()), Str::default()),
        };
        let failed = event_level == Level::Error || is_exception;
        let status = (self.error_events_to_status && failed).then(|| Status::error(status_message));
        let mut extensions = span_ref.extensions_mut();
        let Some(clew) = extensions.get_mut::<ClewSpan>() else {
            return;
        };
        clew.span.event(event_level, name, fields.attributes);
        if let Some(status) = status {
            clew.span.set_status(status);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span_ref) = ctx.span(id) else {
            return;
        };
        let context = span_ref.extensions().get::<ClewSpan>().map(|clew| clew.context.clone());
        if let Some(context) = context {
            entered::enter(id, context);
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        entered::exit(id);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span_ref) = ctx.span(&id) else {
            return;
        };
        let taken = span_ref.extensions_mut().remove::<ClewSpan>();
        if let Some(clew) = taken {
            clew.span.end();
        }
    }
}
