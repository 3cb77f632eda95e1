//! The tracer: configuration, the process-wide default, and where spans start.
//!
//! A [`Tracer`] is a copyable handle to configuration that lives for the rest of the
//! process: building one allocates it once and never frees it, so a span can refer to its
//! tracer without reference counting (see `docs/decisions/0001-tracers-live-forever.md`).
//! Build one per service at start-up, not one per request.

use std::any::TypeId;
use std::fmt;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::config::{BatchConfig, ConfigWarning, EnvConfig, ExporterChoice};
use crate::export::{ExportError, NoneExporter, SpanExporter, StdoutExporter};
use crate::limits::SpanLimits;
use crate::processor::{BatchProcessor, Pipeline, PipelineStats, SimpleProcessor};
use crate::redact::Redaction;
use crate::resource::{DEPLOYMENT_ENVIRONMENT, Resource, SERVICE_NAME, SERVICE_VERSION};
use crate::sampler::Sampler;
use crate::span::SpanBuilder;
use crate::trace::TraceBuilder;
use crate::value::{KeyValue, Str};

pub(crate) struct TracerInner {
    /// False when the SDK is disabled or the exporter is `none`: spans are never built.
    pub(crate) recording: bool,
    /// False when the SDK is disabled: not even ids are made.
    pub(crate) enabled: bool,
    pub(crate) sampler: Sampler,
    pub(crate) limits: SpanLimits,
    pub(crate) resource: Arc<Resource>,
    pub(crate) pipeline: Pipeline,
    warnings: Vec<ConfigWarning>,
}

// A panic elsewhere never leaves a tracer half-updated: its locks recover from poisoning
// and its counters are atomics. So a tracer may be used across `catch_unwind`.
impl std::panic::RefUnwindSafe for TracerInner {}

/// Creates spans and traces and sends them to its exporter.
///
/// ```
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder()
///     .service_name("checkout")
///     .exporter(exporter.clone())
///     .build();
/// {
///     let mut span = tracer.span("handle-request").kind(clew::SpanKind::Server).start();
///     span.set_attribute("http.method", "GET");
/// }
/// tracer.flush(std::time::Duration::from_secs(5)).unwrap();
/// assert_eq!(exporter.spans()[0].name, "handle-request");
/// ```
#[derive(Clone, Copy)]
pub struct Tracer {
    pub(crate) inner: &'static TracerInner,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("service", &self.inner.resource.service_name())
            .field("enabled", &self.inner.enabled)
            .field("sampler", &self.inner.sampler.description())
            .field("pipeline", &self.inner.pipeline)
            .finish()
    }
}

impl Tracer {
    /// A builder that reads the environment for anything not set in code.
    pub fn builder() -> TracerBuilder {
        TracerBuilder::default()
    }

    /// A tracer configured entirely from the environment.
    pub fn from_env() -> Tracer {
        Tracer::builder().build()
    }

    /// A tracer that records nothing and makes no ids (what the process-wide tracer is
    /// before [`set_global`] or [`crate::init`]).
    pub fn noop() -> Tracer {
        static NOOP: OnceLock<&'static TracerInner> = OnceLock::new();
        let inner = NOOP.get_or_init(|| {
            Box::leak(Box::new(TracerInner {
                recording: false,
                enabled: false,
                sampler: Sampler::AlwaysOff,
                limits: SpanLimits::default(),
                resource: Arc::new(Resource::default()),
                pipeline: Pipeline::Discard,
                warnings: Vec::new(),
            }))
        });
        Tracer { inner }
    }

    /// Starts building a span named `name`.
    #[inline]
    pub fn span(&self, name: impl Into<Str>) -> SpanBuilder {
        SpanBuilder::new(*self, name.into())
    }

    /// Starts a span named `name`, a child of the current span: the shortest way, for
    /// spans that need no options at start.
    ///
    /// ```
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let mut span = tracer.start("poll");
    /// span.set_attribute("ready", true);
    /// ```
    #[inline]
    pub fn start(&self, name: impl Into<Str>) -> crate::Span {
        if let Some(span) = crate::Span::quick_unsampled(*self) {
            return span;
        }
        self.span(name).start_general()
    }

    /// Runs `work` inside a new span that is current on this thread while it runs.
    ///
    /// ```
    /// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
    /// let total = tracer.in_span("sum", |span| {
    ///     span.set_attribute("items", 3);
    ///     1 + 2
    /// });
    /// assert_eq!(total, 3);
    /// ```
    pub fn in_span<R>(&self, name: impl Into<Str>, work: impl FnOnce(&mut crate::Span) -> R) -> R {
        self.span(name).in_scope(work)
    }

    /// Runs the future that `work` makes inside a new span; see
    /// [`SpanBuilder::in_scope_async`].
    pub async fn in_span_async<F, Fut>(&self, name: impl Into<Str>, work: F) -> Fut::Output
    where
        F: FnOnce(crate::Span) -> Fut,
        Fut: std::future::Future,
    {
        self.span(name).in_scope_async(work).await
    }

    /// Starts a trace of seed-style tracers: a project id and a request id recorded on
    /// every span, trace-level events, and an `end` that closes what is still open.
    pub fn trace(&self, project_id: impl Into<Str>, request_id: impl Into<Str>) -> TraceBuilder {
        TraceBuilder::new(*self, project_id.into(), request_id.into())
    }

    /// The resource this tracer's spans are exported with.
    pub fn resource(&self) -> &Resource {
        &self.inner.resource
    }

    /// Whether spans of this tracer can be recorded at all.
    pub fn is_recording(&self) -> bool {
        self.inner.recording
    }

    /// The sampler.
    pub fn sampler(&self) -> &Sampler {
        &self.inner.sampler
    }

    /// The span limits.
    pub fn limits(&self) -> &SpanLimits {
        &self.inner.limits
    }

    /// Environment values that were ignored when this tracer was built.
    pub fn config_warnings(&self) -> &[ConfigWarning] {
        &self.inner.warnings
    }

    /// Counters of the export pipeline: queued, dropped, exported, failed.
    pub fn stats(&self) -> PipelineStats {
        self.inner.pipeline.stats()
    }

    /// Exports everything finished before this call; gives up after `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        self.inner.pipeline.flush(timeout)
    }

    /// Exports everything finished so far, then stops the pipeline; later spans are
    /// dropped and counted. Gives up after `timeout`.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        self.inner.pipeline.shutdown(timeout)
    }
}

static GLOBAL: AtomicPtr<TracerInner> = AtomicPtr::new(std::ptr::null_mut());

/// The process-wide tracer: what [`set_global`] or [`crate::init`] installed, or a
/// no-op tracer before that.
#[inline]
pub fn global() -> Tracer {
    let pointer = GLOBAL.load(Ordering::Acquire);
    if pointer.is_null() {
        return Tracer::noop();
    }
    // SAFETY: only pointers to leaked, never-freed `TracerInner`s are stored in GLOBAL.
    Tracer { inner: unsafe { &*pointer } }
}

/// Makes `tracer` the process-wide tracer used by [`crate::span`], [`crate::Trace::init`]
/// and `#[clew::trace]`. Returns the previous one.
pub fn set_global(tracer: Tracer) -> Tracer {
    let previous = GLOBAL.swap(std::ptr::from_ref(tracer.inner).cast_mut(), Ordering::AcqRel);
    if previous.is_null() {
        Tracer::noop()
    } else {
        // SAFETY: as in `global`.
        Tracer { inner: unsafe { &*previous } }
    }
}

type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// Builds a [`Tracer`]. Values set here win over the environment.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct TracerBuilder {
    service_name: Option<Str>,
    service_version: Option<Str>,
    environment: Option<Str>,
    resource: Vec<KeyValue>,
    sampler: Option<Sampler>,
    exporter: Option<(Arc<dyn SpanExporter>, bool)>,
    batch: BatchSettings,
    limits: Option<SpanLimits>,
    redaction: Redaction,
    simple_export: bool,
    disabled: Option<bool>,
    lookup: Option<EnvLookup>,
}

#[derive(Default)]
struct BatchSettings {
    max_queue_size: Option<usize>,
    max_export_batch_size: Option<usize>,
    scheduled_delay: Option<Duration>,
    export_timeout: Option<Duration>,
    max_concurrent_exports: Option<usize>,
}

impl fmt::Debug for TracerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracerBuilder")
            .field("service_name", &self.service_name)
            .field("sampler", &self.sampler)
            .field("exporter", &self.exporter.as_ref().map(|(exporter, _)| exporter))
            .finish_non_exhaustive()
    }
}

impl TracerBuilder {
    /// `service.name`.
    pub fn service_name(mut self, name: impl Into<Str>) -> TracerBuilder {
        self.service_name = Some(name.into());
        self
    }

    /// `service.version`.
    pub fn service_version(mut self, version: impl Into<Str>) -> TracerBuilder {
        self.service_version = Some(version.into());
        self
    }

    /// `deployment.environment.name` (`production`, `staging`, …).
    pub fn environment(mut self, environment: impl Into<Str>) -> TracerBuilder {
        self.environment = Some(environment.into());
        self
    }

    /// Adds a resource attribute.
    pub fn resource_attribute(mut self, key: impl Into<Str>, value: impl Into<crate::Value>) -> TracerBuilder {
        self.resource.push(KeyValue::new(key, value));
        self
    }

    /// The sampler (default: `parent_based(AlwaysOn)`).
    pub fn sampler(mut self, sampler: Sampler) -> TracerBuilder {
        self.sampler = Some(sampler);
        self
    }

    /// Where spans go (default: JSON lines on standard output). [`NoneExporter`] turns
    /// recording off entirely.
    pub fn exporter<E: SpanExporter>(mut self, exporter: E) -> TracerBuilder {
        let is_none = TypeId::of::<E>() == TypeId::of::<NoneExporter>();
        self.exporter = Some((Arc::new(exporter), is_none));
        self
    }

    /// Exports each span on the thread that ends it, with no queue and no background
    /// thread: for tests and short scripts (seed 001's synchronous mode).
    pub fn simple_export(mut self) -> TracerBuilder {
        self.simple_export = true;
        self
    }

    /// All batch settings at once.
    pub fn batch_config(mut self, config: BatchConfig) -> TracerBuilder {
        self.batch = BatchSettings {
            max_queue_size: Some(config.max_queue_size),
            max_export_batch_size: Some(config.max_export_batch_size),
            scheduled_delay: Some(config.scheduled_delay),
            export_timeout: Some(config.export_timeout),
            max_concurrent_exports: Some(config.max_concurrent_exports),
        };
        self
    }

    /// Spans waiting for export before new ones are dropped.
    pub fn max_queue_size(mut self, size: usize) -> TracerBuilder {
        self.batch.max_queue_size = Some(size);
        self
    }

    /// Spans per export.
    pub fn max_export_batch_size(mut self, size: usize) -> TracerBuilder {
        self.batch.max_export_batch_size = Some(size);
        self
    }

    /// The longest a finished span waits for its batch.
    pub fn scheduled_delay(mut self, delay: Duration) -> TracerBuilder {
        self.batch.scheduled_delay = Some(delay);
        self
    }

    /// How long one export may take.
    pub fn export_timeout(mut self, timeout: Duration) -> TracerBuilder {
        self.batch.export_timeout = Some(timeout);
        self
    }

    /// Exports in flight at once.
    pub fn max_concurrent_exports(mut self, count: usize) -> TracerBuilder {
        self.batch.max_concurrent_exports = Some(count);
        self
    }

    /// Span limits (attribute, event and link counts; value length).
    pub fn limits(mut self, limits: SpanLimits) -> TracerBuilder {
        self.limits = Some(limits);
        self
    }

    /// Which attribute keys are masked before export (default: [`Redaction::default`]).
    pub fn redaction(mut self, redaction: Redaction) -> TracerBuilder {
        self.redaction = redaction;
        self
    }

    /// Turns the tracer into a no-op (as `OTEL_SDK_DISABLED=true`).
    pub fn disabled(mut self, disabled: bool) -> TracerBuilder {
        self.disabled = Some(disabled);
        self
    }

    /// Reads configuration variables through `lookup` instead of the process environment.
    ///
    /// ```
    /// let tracer = clew::Tracer::builder()
    ///     .env_lookup(|key| (key == "OTEL_SERVICE_NAME").then(|| "billing".to_owned()))
    ///     .exporter(clew::NoneExporter)
    ///     .build();
    /// assert_eq!(tracer.resource().service_name(), "billing");
    /// ```
    pub fn env_lookup(mut self, lookup: impl Fn(&str) -> Option<String> + 'static) -> TracerBuilder {
        self.lookup = Some(Box::new(lookup));
        self
    }

    /// Ignores the environment: only what is set in code counts.
    pub fn ignore_env(self) -> TracerBuilder {
        self.env_lookup(|_| None)
    }

    /// Builds the tracer; environment warnings are reported once each.
    pub fn build(self) -> Tracer {
        let env = match &self.lookup {
            Some(lookup) => EnvConfig::from_lookup(lookup.as_ref()),
            None => EnvConfig::from_env(),
        };
        for warning in &env.warnings {
            crate::diagnostics::report_once(&warning.to_string(), format_args!("{warning}"));
        }
        let inner = self.assemble(env);
        Tracer { inner: Box::leak(Box::new(inner)) }
    }

    fn assemble(self, mut env: EnvConfig) -> TracerInner {
        let resource = Arc::new(self.resource_with(&mut env));
        let disabled = self.disabled.or(env.disabled).unwrap_or(false);
        let sampler = self.sampler.or(env.sampler.take()).unwrap_or_default();
        let limits = self.limits.unwrap_or(env.limits);
        let batch = BatchConfig::default()
            .with_max_queue_size(
                self.batch.max_queue_size.or(env.max_queue_size).unwrap_or(crate::config::DEFAULT_MAX_QUEUE_SIZE),
            )
            .with_max_export_batch_size(
                self.batch
                    .max_export_batch_size
                    .or(env.max_export_batch_size)
                    .unwrap_or(crate::config::DEFAULT_MAX_EXPORT_BATCH_SIZE),
            )
            .with_scheduled_delay(
                self.batch.scheduled_delay.or(env.scheduled_delay).unwrap_or(crate::config::DEFAULT_SCHEDULE_DELAY),
            )
            .with_export_timeout(
                self.batch.export_timeout.or(env.export_timeout).unwrap_or(crate::config::DEFAULT_EXPORT_TIMEOUT),
            )
            .with_max_concurrent_exports(
                self.batch
                    .max_concurrent_exports
                    .or(env.max_concurrent_exports)
                    .unwrap_or(crate::config::DEFAULT_MAX_CONCURRENT_EXPORTS),
            );
        let mut warnings = env.warnings;
        let (exporter, exports_nothing) = match self.exporter {
            Some(chosen) => chosen,
            None => match env.exporter {
                Some(ExporterChoice::None) => (Arc::new(NoneExporter) as Arc<dyn SpanExporter>, true),
                Some(ExporterChoice::Otlp) => {
                    let warning = ConfigWarning {
                        variable: crate::config::OTEL_TRACES_EXPORTER,
                        value: "otlp".to_owned(),
                        reason:
                            "the OTLP exporter lives in the clew-otlp crate, which this tracer was not built with; \
                                 using stdout"
                                .to_owned(),
                    };
                    crate::diagnostics::report_once("exporter-otlp", format_args!("{warning}"));
                    warnings.push(warning);
                    (Arc::new(StdoutExporter::new()) as Arc<dyn SpanExporter>, false)
                }
                _ => (Arc::new(StdoutExporter::new()) as Arc<dyn SpanExporter>, false),
            },
        };
        let recording = !disabled && !exports_nothing;
        let pipeline = if !recording {
            Pipeline::Discard
        } else if self.simple_export {
            Pipeline::Simple(SimpleProcessor::new(exporter, resource.clone(), self.redaction, batch.export_timeout))
        } else {
            Pipeline::Batch(BatchProcessor::new(batch, exporter, resource.clone(), self.redaction))
        };
        TracerInner { recording, enabled: !disabled, sampler, limits, resource, pipeline, warnings }
    }

    fn resource_with(&self, env: &mut EnvConfig) -> Resource {
        let mut resource = Resource::new(Resource::sdk_attributes());
        resource.set(KeyValue::new(SERVICE_NAME, Resource::default_service_name()));
        for attribute in env.resource.drain(..) {
            resource.set(attribute);
        }
        for attribute in &self.resource {
            resource.set(attribute.clone());
        }
        let from_code = [
            (SERVICE_NAME, &self.service_name),
            (SERVICE_VERSION, &self.service_version),
            (DEPLOYMENT_ENVIRONMENT, &self.environment),
        ];
        for (key, value) in from_code {
            if let Some(value) = value {
                resource.set(KeyValue::new(key, value.clone()));
            }
        }
        resource
    }
}
