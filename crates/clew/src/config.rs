//! Configuration from the environment.
//!
//! Every variable name is a constant next to its default. [`EnvConfig::from_lookup`]
//! reads them through any lookup function (the process environment by default, a map in
//! tests) and returns what it understood plus a [`ConfigWarning`] for every value it had to
//! ignore; a bad value never panics and never stops the tracer from working. Values set in
//! code on the [`TracerBuilder`](crate::TracerBuilder) win over everything read here.
//!
//! Where an OpenTelemetry variable and a seed variable say the same thing
//! (`OTEL_BSP_SCHEDULE_DELAY` and `TRACE_BATCH_MS`, say), the OpenTelemetry one wins.

use std::fmt;
use std::time::Duration;

use crate::limits::SpanLimits;
use crate::propagation::PropagatorChoice;
use crate::resource::{DEPLOYMENT_ENVIRONMENT, SERVICE_NAME};
use crate::sampler::Sampler;
use crate::value::KeyValue;

/// `OTEL_SDK_DISABLED`: `true` turns the SDK into a no-op.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `OTEL_SERVICE_NAME`: the `service.name` resource attribute.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `OTEL_RESOURCE_ATTRIBUTES`: `key=value,key=value`, values percent-encoded.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `OTEL_TRACES_SAMPLER`: the sampler's name.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// `OTEL_TRACES_SAMPLER_ARG`: the ratio of `traceidratio` samplers.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// `OTEL_PROPAGATORS`: the propagators, as a comma-separated list of names (see
/// [`PropagatorChoice`]); default [`DEFAULT_PROPAGATORS`].
pub const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
/// `OTEL_TRACES_EXPORTER`: `otlp`, `console` or `none`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `OTEL_BSP_SCHEDULE_DELAY`: milliseconds between exports (default 5000).
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// `OTEL_BSP_EXPORT_TIMEOUT`: milliseconds an export may take (default 30000).
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
/// `OTEL_BSP_MAX_QUEUE_SIZE`: spans waiting for export (default 2048).
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: spans per export (default 512).
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// `OTEL_BSP_MAX_CONCURRENT_EXPORTS`: exports in flight at once (default 1).
pub const OTEL_BSP_MAX_CONCURRENT_EXPORTS: &str = "OTEL_BSP_MAX_CONCURRENT_EXPORTS";
/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`: characters per string value (default unlimited).
pub const OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// `OTEL_ATTRIBUTE_COUNT_LIMIT`: attributes per span, event or link (default 128).
pub const OTEL_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_ATTRIBUTE_COUNT_LIMIT";
/// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`: as the general one, for spans.
pub const OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`: attributes per span.
pub const OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT";
/// `OTEL_SPAN_EVENT_COUNT_LIMIT`: events per span (default 128).
pub const OTEL_SPAN_EVENT_COUNT_LIMIT: &str = "OTEL_SPAN_EVENT_COUNT_LIMIT";
/// `OTEL_SPAN_LINK_COUNT_LIMIT`: links per span (default 128).
pub const OTEL_SPAN_LINK_COUNT_LIMIT: &str = "OTEL_SPAN_LINK_COUNT_LIMIT";
/// `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`: attributes per event (default 128).
pub const OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT";
/// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`: attributes per link (default 128).
pub const OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT";
/// `TRACE_EXPORTER`: `stdout`, `otlp` or `none` (seed name; `OTEL_TRACES_EXPORTER` wins).
pub const TRACE_EXPORTER: &str = "TRACE_EXPORTER";
/// `TRACE_BATCH_MAX`: spans per export (seed name; default 512 here, as OpenTelemetry).
pub const TRACE_BATCH_MAX: &str = "TRACE_BATCH_MAX";
/// `TRACE_BATCH_MS`: milliseconds between exports (seed name).
pub const TRACE_BATCH_MS: &str = "TRACE_BATCH_MS";
/// `TRACE_MAX_INFLIGHT`: exports in flight at once (seed name).
pub const TRACE_MAX_INFLIGHT: &str = "TRACE_MAX_INFLIGHT";
/// `TRACE_POST_TIMEOUT_MS`: milliseconds an export may take (seed name).
pub const TRACE_POST_TIMEOUT_MS: &str = "TRACE_POST_TIMEOUT_MS";
/// `ENVIRONMENT`: the `deployment.environment.name` resource attribute (seed name).
pub const ENVIRONMENT: &str = "ENVIRONMENT";

/// Default of `OTEL_PROPAGATORS`: W3C trace context, then W3C baggage.
pub const DEFAULT_PROPAGATORS: &[PropagatorChoice] = &[PropagatorChoice::TraceContext, PropagatorChoice::Baggage];
/// Default of `OTEL_BSP_SCHEDULE_DELAY`.
pub const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_millis(5000);
/// Default of `OTEL_BSP_EXPORT_TIMEOUT`.
pub const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_millis(30_000);
/// Default of `OTEL_BSP_MAX_QUEUE_SIZE`.
pub const DEFAULT_MAX_QUEUE_SIZE: usize = 2048;
/// Default of `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
pub const DEFAULT_MAX_EXPORT_BATCH_SIZE: usize = 512;
/// Default of `OTEL_BSP_MAX_CONCURRENT_EXPORTS`.
pub const DEFAULT_MAX_CONCURRENT_EXPORTS: usize = 1;

/// A value from the environment that was ignored, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The variable.
    pub variable: &'static str,
    /// The value found.
    pub value: String,
    /// Why it was ignored and what is used instead.
    pub reason: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ignoring {}={:?}: {}", self.variable, self.value, self.reason)
    }
}

/// Settings of the batch processor.
///
/// ```
/// use std::time::Duration;
/// let batch = clew::BatchConfig::default()
///     .with_max_export_batch_size(100)
///     .with_scheduled_delay(Duration::from_millis(1000))
///     .with_max_concurrent_exports(3);
/// assert_eq!(batch.max_queue_size, 2048);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchConfig {
    /// Spans and events waiting for export; past this they are dropped and counted.
    pub max_queue_size: usize,
    /// Spans and events per export; a full batch is exported at once.
    pub max_export_batch_size: usize,
    /// The longest a span waits before its batch is exported.
    pub scheduled_delay: Duration,
    /// How long one export may take.
    pub export_timeout: Duration,
    /// Exports in flight at once.
    pub max_concurrent_exports: usize,
}

impl Default for BatchConfig {
    fn default() -> BatchConfig {
        BatchConfig {
            max_queue_size: DEFAULT_MAX_QUEUE_SIZE,
            max_export_batch_size: DEFAULT_MAX_EXPORT_BATCH_SIZE,
            scheduled_delay: DEFAULT_SCHEDULE_DELAY,
            export_timeout: DEFAULT_EXPORT_TIMEOUT,
            max_concurrent_exports: DEFAULT_MAX_CONCURRENT_EXPORTS,
        }
    }
}

impl BatchConfig {
    /// Sets the queue size (at least 1).
    #[must_use]
    pub fn with_max_queue_size(mut self, size: usize) -> BatchConfig {
        self.max_queue_size = size.max(1);
        self
    }

    /// Sets the batch size (at least 1).
    #[must_use]
    pub fn with_max_export_batch_size(mut self, size: usize) -> BatchConfig {
        self.max_export_batch_size = size.max(1);
        self
    }

    /// Sets the delay between scheduled exports.
    #[must_use]
    pub fn with_scheduled_delay(mut self, delay: Duration) -> BatchConfig {
        self.scheduled_delay = delay;
        self
    }

    /// Sets the export timeout.
    #[must_use]
    pub fn with_export_timeout(mut self, timeout: Duration) -> BatchConfig {
        self.export_timeout = timeout;
        self
    }

    /// Sets the exports in flight at once (at least 1).
    #[must_use]
    pub fn with_max_concurrent_exports(mut self, count: usize) -> BatchConfig {
        self.max_concurrent_exports = count.max(1);
        self
    }

    /// The batch size never exceeds the queue size.
    pub(crate) fn normalized(mut self) -> BatchConfig {
        self.max_queue_size = self.max_queue_size.max(1);
        self.max_export_batch_size = self.max_export_batch_size.clamp(1, self.max_queue_size);
        self.max_concurrent_exports = self.max_concurrent_exports.max(1);
        self
    }
}

/// The exporter named by `OTEL_TRACES_EXPORTER` or `TRACE_EXPORTER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExporterChoice {
    /// JSON lines on standard output (`console`, `stdout`).
    Stdout,
    /// OTLP (needs the `clew-otlp` crate to be wired in).
    Otlp,
    /// Nothing is recorded or exported.
    None,
}

/// Everything the environment says, before code settings are applied.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct EnvConfig {
    /// `OTEL_SDK_DISABLED`.
    pub disabled: Option<bool>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, then `ENVIRONMENT`, then `OTEL_SERVICE_NAME`.
    pub resource: Vec<KeyValue>,
    /// `OTEL_TRACES_SAMPLER` with its argument.
    pub sampler: Option<Sampler>,
    /// `OTEL_TRACES_EXPORTER` or `TRACE_EXPORTER`.
    pub exporter: Option<ExporterChoice>,
    /// `OTEL_PROPAGATORS`: `None` if unset (use [`DEFAULT_PROPAGATORS`]), an empty list
    /// for `none`.
    pub propagators: Option<Vec<PropagatorChoice>>,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`.
    pub max_queue_size: Option<usize>,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` or `TRACE_BATCH_MAX`.
    pub max_export_batch_size: Option<usize>,
    /// `OTEL_BSP_SCHEDULE_DELAY` or `TRACE_BATCH_MS`.
    pub scheduled_delay: Option<Duration>,
    /// `OTEL_BSP_EXPORT_TIMEOUT` or `TRACE_POST_TIMEOUT_MS`.
    pub export_timeout: Option<Duration>,
    /// `OTEL_BSP_MAX_CONCURRENT_EXPORTS` or `TRACE_MAX_INFLIGHT`.
    pub max_concurrent_exports: Option<usize>,
    /// The limits, with every variable that was set applied.
    pub limits: SpanLimits,
    /// Values that were ignored.
    pub warnings: Vec<ConfigWarning>,
}

/// Reads variables and collects warnings about the values it ignores.
pub(crate) struct Reader<'a> {
    pub(crate) lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) warnings: Vec<ConfigWarning>,
}

impl Reader<'_> {
    /// The trimmed value; an empty value counts as unset, as the specification says.
    pub(crate) fn get(&self, variable: &str) -> Option<String> {
        let value = (self.lookup)(variable)?;
        let trimmed = value.trim();
        if trimmed.is_empty() { None } else { Some(trimmed.to_owned()) }
    }

    pub(crate) fn warn(&mut self, variable: &'static str, value: &str, reason: impl Into<String>) {
        self.warnings.push(ConfigWarning { variable, value: value.to_owned(), reason: reason.into() });
    }

    fn boolean(&mut self, variable: &'static str) -> Option<bool> {
        let value = self.get(variable)?;
        if value.eq_ignore_ascii_case("true") {
            Some(true)
        } else if value.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            self.warn(variable, &value, "expected true or false; using false");
            Some(false)
        }
    }

    fn integer(&mut self, variable: &'static str) -> Option<u64> {
        let value = self.get(variable)?;
        match value.parse::<u64>() {
            Ok(number) => Some(number),
            Err(_) => {
                self.warn(variable, &value, "expected a non-negative integer; using the default");
                None
            }
        }
    }

    fn positive(&mut self, variable: &'static str) -> Option<usize> {
        let number = self.integer(variable)?;
        if number == 0 {
            self.warn(variable, "0", "must be at least 1; using the default");
            return None;
        }
        Some(usize::try_from(number).unwrap_or(usize::MAX))
    }

    fn millis(&mut self, variable: &'static str) -> Option<Duration> {
        self.integer(variable).map(Duration::from_millis)
    }

    fn limit(&mut self, variable: &'static str) -> Option<u32> {
        self.integer(variable).map(|number| u32::try_from(number).unwrap_or(u32::MAX))
    }

    /// The first of two variables that is set and valid.
    fn either<T>(
        &mut self,
        first: &'static str,
        second: &'static str,
        read: fn(&mut Self, &'static str) -> Option<T>,
    ) -> Option<T> {
        let from_first = read(self, first);
        if from_first.is_some() {
            return from_first;
        }
        read(self, second)
    }
}

impl EnvConfig {
    /// Reads the process environment.
    pub fn from_env() -> EnvConfig {
        EnvConfig::from_lookup(&|variable| std::env::var(variable).ok())
    }

    /// Reads variables through `lookup`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let env = HashMap::from([("OTEL_BSP_MAX_QUEUE_SIZE", "ten"), ("TRACE_BATCH_MAX", "100")]);
    /// let config = clew::EnvConfig::from_lookup(&|key| env.get(key).map(|v| v.to_string()));
    /// assert_eq!(config.max_export_batch_size, Some(100));
    /// assert_eq!(config.max_queue_size, None);
    /// assert_eq!(config.warnings[0].variable, "OTEL_BSP_MAX_QUEUE_SIZE");
    /// ```
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> EnvConfig {
        let mut reader = Reader { lookup, warnings: Vec::new() };
        let mut config = EnvConfig { disabled: reader.boolean(OTEL_SDK_DISABLED), ..EnvConfig::default() };
        config.resource = read_resource(&mut reader);
        config.sampler = read_sampler(&mut reader);
        config.exporter = read_exporter(&mut reader);
        config.propagators = crate::propagation::choice::read(&mut reader);
        config.max_queue_size = reader.positive(OTEL_BSP_MAX_QUEUE_SIZE);
        config.max_export_batch_size = reader.either(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, TRACE_BATCH_MAX, Reader::positive);
        config.scheduled_delay = reader.either(OTEL_BSP_SCHEDULE_DELAY, TRACE_BATCH_MS, Reader::millis);
        config.export_timeout = reader.either(OTEL_BSP_EXPORT_TIMEOUT, TRACE_POST_TIMEOUT_MS, Reader::millis);
        config.max_concurrent_exports =
            reader.either(OTEL_BSP_MAX_CONCURRENT_EXPORTS, TRACE_MAX_INFLIGHT, Reader::positive);
        config.limits = read_limits(&mut reader);
        config.warnings = reader.warnings;
        config
    }
}

fn read_limits(reader: &mut Reader<'_>) -> SpanLimits {
    let mut limits = SpanLimits::default();
    let general_count = reader.limit(OTEL_ATTRIBUTE_COUNT_LIMIT);
    let general_length = reader.limit(OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT);
    if let Some(count) = general_count {
        limits.attribute_count = count;
        limits.event_attribute_count = count;
        limits.link_attribute_count = count;
    }
    limits.value_length = reader.limit(OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT).or(general_length);
    if let Some(count) = reader.limit(OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) {
        limits.attribute_count = count;
    }
    if let Some(count) = reader.limit(OTEL_SPAN_EVENT_COUNT_LIMIT) {
        limits.event_count = count;
    }
    if let Some(count) = reader.limit(OTEL_SPAN_LINK_COUNT_LIMIT) {
        limits.link_count = count;
    }
    if let Some(count) = reader.limit(OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT) {
        limits.event_attribute_count = count;
    }
    if let Some(count) = reader.limit(OTEL_LINK_ATTRIBUTE_COUNT_LIMIT) {
        limits.link_attribute_count = count;
    }
    limits
}

fn read_resource(reader: &mut Reader<'_>) -> Vec<KeyValue> {
    let mut resource = Vec::new();
    if let Some(value) = reader.get(OTEL_RESOURCE_ATTRIBUTES) {
        match parse_resource_attributes(&value) {
            Ok(attributes) => resource.extend(attributes),
            Err(reason) => reader.warn(OTEL_RESOURCE_ATTRIBUTES, &value, reason),
        }
    }
    let has_environment = resource.iter().any(|attribute| attribute.key == DEPLOYMENT_ENVIRONMENT);
    if let Some(environment) = reader.get(ENVIRONMENT).filter(|_| !has_environment) {
        resource.push(KeyValue::new(DEPLOYMENT_ENVIRONMENT, environment));
    }
    if let Some(service) = reader.get(OTEL_SERVICE_NAME) {
        resource.retain(|attribute| attribute.key != SERVICE_NAME);
        resource.push(KeyValue::new(SERVICE_NAME, service));
    }
    resource
}

/// Parses `key=value,key=value` with percent-encoded values; any bad member discards the
/// whole value, as the specification asks.
fn parse_resource_attributes(text: &str) -> Result<Vec<KeyValue>, String> {
    let mut attributes: Vec<KeyValue> = Vec::new();
    for member in text.split(',') {
        let member = member.trim();
        if member.is_empty() {
            continue;
        }
        let Some((key, value)) = member.split_once('=') else {
            return Err(format!("member {member:?} has no '='; ignoring the whole variable"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("member {member:?} has an empty key; ignoring the whole variable"));
        }
        let Some(value) = percent_decode(value.trim()) else {
            return Err(format!("member {member:?} has a bad percent-encoding; ignoring the whole variable"));
        };
        attributes.retain(|attribute| attribute.key != key);
        attributes.push(KeyValue::new(key.to_owned(), value));
    }
    Ok(attributes)
}

/// Decodes `%XX` escapes (UTF-8), as the W3C baggage format and the `OTEL_*` list
/// variables use them; `None` for a broken escape or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn read_sampler(reader: &mut Reader<'_>) -> Option<Sampler> {
    let name = reader.get(OTEL_TRACES_SAMPLER)?;
    let ratio = |reader: &mut Reader<'_>| -> f64 {
        let Some(argument) = reader.get(OTEL_TRACES_SAMPLER_ARG) else {
            return 1.0;
        };
        match argument.parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
            _ => {
                reader.warn(OTEL_TRACES_SAMPLER_ARG, &argument, "expected a ratio from 0 to 1; using 1.0");
                1.0
            }
        }
    };
    let sampler = match name.to_ascii_lowercase().as_str() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::trace_id_ratio(ratio(reader)),
        "parentbased_always_on" => Sampler::parent_based(Sampler::AlwaysOn),
        "parentbased_always_off" => Sampler::parent_based(Sampler::AlwaysOff),
        "parentbased_traceidratio" => Sampler::parent_based(Sampler::trace_id_ratio(ratio(reader))),
        "jaeger_remote" | "parentbased_jaeger_remote" | "xray" => {
            reader.warn(
                OTEL_TRACES_SAMPLER,
                &name,
                "this sampler needs a remote sampling service that clew does not support; using parentbased_always_on",
            );
            return None;
        }
        _ => {
            reader.warn(OTEL_TRACES_SAMPLER, &name, "unknown sampler; using parentbased_always_on");
            return None;
        }
    };
    Some(sampler)
}

fn read_exporter(reader: &mut Reader<'_>) -> Option<ExporterChoice> {
    for variable in [OTEL_TRACES_EXPORTER, TRACE_EXPORTER] {
        let Some(value) = reader.get(variable) else {
            continue;
        };
        // OTEL_TRACES_EXPORTER may list several exporters; the first known one is used.
        for name in value.split(',').map(str::trim) {
            match name.to_ascii_lowercase().as_str() {
                "console" | "stdout" | "logging" => return Some(ExporterChoice::Stdout),
                "otlp" => return Some(ExporterChoice::Otlp),
                "none" => return Some(ExporterChoice::None),
                _ => {}
            }
        }
        reader.warn(variable, &value, "unknown exporter; expected otlp, console, stdout or none");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_accepts_utf8_and_rejects_broken_escapes() {
        assert_eq!(percent_decode("a%20b%C3%A9").as_deref(), Some("a bé"));
        assert_eq!(percent_decode("50%"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%FF"), None);
    }
}
