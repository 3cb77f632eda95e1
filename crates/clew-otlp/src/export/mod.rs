//! The OTLP exporter: clew's batches to any OTLP endpoint, over HTTP (protobuf or JSON) or
//! gRPC, with gzip, headers, a timeout, and retries as the OTLP specification asks.
//!
//! [`OtlpExporter`] is a [`clew::SpanExporter`]: the SDK's batch processor calls it on its
//! own export thread, so the application never waits for the network. Spans go to the
//! traces endpoint as one `ExportTraceServiceRequest`; trace-level events to the logs
//! endpoint as log records with the trace id and no span id.
//!
//! A send is retried only on 429, 502, 503 and 504 (HTTP), on the retryable gRPC codes
//! (CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and
//! RESOURCE_EXHAUSTED when the server says when to come back) and when the endpoint cannot
//! be reached; after the server's `Retry-After` (or gRPC `RetryInfo`) or an exponential
//! backoff with jitter, never past the export's deadline. A refusal (400, 401, 413, …) is
//! reported once with the server's reason and not retried; so is a `partial_success`. A
//! failed export is the processor's to count: the spans are dropped, memory stays bounded,
//! and [`clew::Tracer::stats`] tells how many.
//!
//! HTTP is a blocking client (ureq) and needs no async runtime. gRPC (feature `grpc`) runs
//! tonic on a small runtime of the exporter's own, so it works the same whether or not the
//! application has a tokio runtime.

mod config;
#[cfg(feature = "grpc")]
mod grpc;
mod http;
mod retry;

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clew::{Batch, ExportError, SpanExporter};
use prost::Message;

pub use retry::RetryPolicy;

use config::EnvSettings;
use retry::{Outcome, remaining};

/// How requests travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP/HTTP with protobuf bodies (`http/protobuf`), the default.
    HttpProtobuf,
    /// OTLP/HTTP with JSON bodies (`http/json`).
    HttpJson,
    /// OTLP/gRPC (`grpc`); needs the `grpc` feature.
    Grpc,
}

/// Whether request bodies are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// As they are.
    None,
    /// gzip.
    Gzip,
}

/// The two kinds of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Traces,
    Logs,
}

/// Builds an [`OtlpExporter`].
///
/// ```
/// use std::time::Duration;
/// use clew_otlp::{Compression, OtlpExporter, Protocol};
///
/// let exporter = OtlpExporter::builder()
///     .protocol(Protocol::HttpProtobuf)
///     .endpoint("http://localhost:4318")
///     .header("x-api-key", "secret")
///     .compression(Compression::Gzip)
///     .timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(exporter.traces_endpoint(), "http://localhost:4318/v1/traces");
/// ```
#[derive(Debug, Clone)]
pub struct OtlpExporterBuilder {
    protocol: Protocol,
    traces_endpoint: Option<String>,
    logs_endpoint: Option<String>,
    base_endpoint: Option<String>,
    headers: Vec<(String, String)>,
    compression: Compression,
    timeout: Duration,
    retry: RetryPolicy,
    scope: String,
}

impl Default for OtlpExporterBuilder {
    fn default() -> OtlpExporterBuilder {
        OtlpExporterBuilder {
            protocol: Protocol::HttpProtobuf,
            traces_endpoint: None,
            logs_endpoint: None,
            base_endpoint: None,
            headers: Vec::new(),
            compression: Compression::None,
            timeout: config::DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            scope: "clew".to_owned(),
        }
    }
}

impl OtlpExporterBuilder {
    /// Starts from the environment (see the table in [`OtlpExporter::from_env`]); later
    /// calls override it. Bad values are reported once and skipped.
    pub fn from_env() -> OtlpExporterBuilder {
        OtlpExporterBuilder::from_lookup(&|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> OtlpExporterBuilder {
        let settings = EnvSettings::read(lookup);
        for warning in &settings.warnings {
            clew::diagnostics::report_once(warning, format_args!("{warning}"));
        }
        OtlpExporterBuilder {
            protocol: settings.protocol,
            traces_endpoint: Some(settings.traces_endpoint),
            logs_endpoint: Some(settings.logs_endpoint),
            base_endpoint: None,
            headers: settings.headers,
            compression: settings.compression,
            timeout: settings.timeout,
            ..OtlpExporterBuilder::default()
        }
    }

    /// The protocol.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> OtlpExporterBuilder {
        self.protocol = protocol;
        self
    }

    /// A base URL: for HTTP, `/v1/traces` and `/v1/logs` are appended; gRPC uses it as is.
    /// Replaces the endpoints given before.
    #[must_use]
    pub fn endpoint(mut self, url: impl Into<String>) -> OtlpExporterBuilder {
        self.base_endpoint = Some(url.into());
        self.traces_endpoint = None;
        self.logs_endpoint = None;
        self
    }

    /// The full URL for spans, used as given.
    #[must_use]
    pub fn traces_endpoint(mut self, url: impl Into<String>) -> OtlpExporterBuilder {
        self.traces_endpoint = Some(url.into());
        self
    }

    /// The full URL for trace-level events, used as given.
    #[must_use]
    pub fn logs_endpoint(mut self, url: impl Into<String>) -> OtlpExporterBuilder {
        self.logs_endpoint = Some(url.into());
        self
    }

    /// A header (gRPC: metadata) sent with every request; replaces one of the same name.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> OtlpExporterBuilder {
        let name = name.into();
        self.headers.retain(|(known, _)| !known.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Compression of request bodies.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> OtlpExporterBuilder {
        self.compression = compression;
        self
    }

    /// The longest one export may take, retries included (the processor's own deadline
    /// may end it sooner).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> OtlpExporterBuilder {
        self.timeout = timeout;
        self
    }

    /// How failed sends are retried.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> OtlpExporterBuilder {
        self.retry = retry;
        self
    }

    /// The instrumentation scope name put on every span (default `clew`).
    #[must_use]
    pub fn scope(mut self, name: impl Into<String>) -> OtlpExporterBuilder {
        self.scope = name.into();
        self
    }

    /// The exporter; fails on an endpoint that is not an `http://` or `https://` URL, on a
    /// header that HTTP cannot carry, or when gRPC is asked for without the `grpc` feature.
    pub fn build(self) -> Result<OtlpExporter, BuildError> {
        let (default, traces_path, logs_path) = match self.protocol {
            Protocol::Grpc => (config::DEFAULT_GRPC_ENDPOINT, "", ""),
            Protocol::HttpProtobuf | Protocol::HttpJson => (config::DEFAULT_HTTP_ENDPOINT, "/v1/traces", "/v1/logs"),
        };
        let base = self.base_endpoint.clone().unwrap_or_else(|| default.to_owned());
        let join = |path: &str| format!("{}{path}", if path.is_empty() { &base } else { base.trim_end_matches('/') });
        let traces = self.traces_endpoint.clone().unwrap_or_else(|| join(traces_path));
        let logs = self.logs_endpoint.clone().unwrap_or_else(|| join(logs_path));
        for url in [&traces, &logs] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(BuildError(format!("{url:?} is not an http:// or https:// URL")));
            }
        }
        for (name, value) in &self.headers {
            let valid_name = !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_graphic() && byte != b':');
            if !valid_name || value.bytes().any(|byte| byte == b'\r' || byte == b'\n' || byte == 0) {
                return Err(BuildError(format!("header {name:?} cannot be sent")));
            }
        }
        let transport = match self.protocol {
            Protocol::HttpProtobuf | Protocol::HttpJson => Transport::Http(http::HttpTransport::new()),
            #[cfg(feature = "grpc")]
            Protocol::Grpc => {
                let transport = grpc::GrpcTransport::new(&traces, &logs, &self.headers, self.compression)?;
                Transport::Grpc(Box::new(transport))
            }
            #[cfg(not(feature = "grpc"))]
            Protocol::Grpc => return Err(BuildError("OTLP/gRPC needs clew-otlp's `grpc` feature".to_owned())),
        };
        Ok(OtlpExporter {
            inner: Arc::new(Inner {
                protocol: self.protocol,
                traces_endpoint: traces,
                logs_endpoint: logs,
                headers: self.headers,
                compression: self.compression,
                timeout: self.timeout,
                retry: self.retry,
                scope: self.scope,
                transport,
                stopped: Mutex::new(false),
                stop: Condvar::new(),
            }),
        })
    }
}

/// Why an exporter could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OTLP exporter: {}", self.0)
    }
}

impl std::error::Error for BuildError {}

/// Sends clew's batches to an OTLP endpoint. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct OtlpExporter {
    inner: Arc<Inner>,
}

struct Inner {
    protocol: Protocol,
    traces_endpoint: String,
    logs_endpoint: String,
    headers: Vec<(String, String)>,
    compression: Compression,
    timeout: Duration,
    retry: RetryPolicy,
    scope: String,
    transport: Transport,
    /// Set by `shutdown`, which ends waits between retries.
    stopped: Mutex<bool>,
    stop: Condvar,
}

enum Transport {
    Http(http::HttpTransport),
    #[cfg(feature = "grpc")]
    Grpc(Box<grpc::GrpcTransport>),
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be secrets: only their names are shown.
        let headers: Vec<&str> = self.inner.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("OtlpExporter")
            .field("protocol", &self.inner.protocol)
            .field("traces_endpoint", &self.inner.traces_endpoint)
            .field("logs_endpoint", &self.inner.logs_endpoint)
            .field("headers", &headers)
            .field("compression", &self.inner.compression)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl OtlpExporter {
    /// A builder with the defaults: OTLP/HTTP protobuf to `http://localhost:4318`.
    pub fn builder() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default()
    }

    /// An exporter configured by the environment.
    ///
    /// # Settings
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` | the URL for that signal, used as given |
    /// | `OTEL_EXPORTER_OTLP_ENDPOINT` | a base URL: HTTP appends `/v1/traces` and `/v1/logs`; gRPC uses it as given |
    /// | `TRACE_INGEST_URL` | a base URL like the one above, or a URL ending in `/v1/traces` |
    /// | `OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL` | `http/protobuf` (default), `http/json` or `grpc` |
    /// | `OTEL_EXPORTER_OTLP[_TRACES]_HEADERS` | `key=value,…`, values percent-decoded |
    /// | `OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION` | `gzip` or `none` (default) |
    /// | `OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT` | milliseconds for one export, retries included (default 10000) |
    ///
    /// A signal's own variable wins over the general one, and both over `TRACE_INGEST_URL`.
    pub fn from_env() -> Result<OtlpExporter, BuildError> {
        OtlpExporterBuilder::from_env().build()
    }

    /// Where spans go.
    pub fn traces_endpoint(&self) -> &str {
        &self.inner.traces_endpoint
    }

    /// Where trace-level events go.
    pub fn logs_endpoint(&self) -> &str {
        &self.inner.logs_endpoint
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.inner.protocol
    }

    /// Sends one request body, retrying as the policy and the answers allow.
    fn send(&self, signal: Signal, body: Body, deadline: Instant) -> Result<(), ExportError> {
        let inner = &self.inner;
        let endpoint = match signal {
            Signal::Traces => &inner.traces_endpoint,
            Signal::Logs => &inner.logs_endpoint,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(left) = remaining(deadline) else { return Err(ExportError::Timeout) };
            let outcome = match &inner.transport {
                Transport::Http(transport) => transport.send(signal, endpoint, inner, &body, left),
                #[cfg(feature = "grpc")]
                Transport::Grpc(transport) => transport.send(signal, &body, left),
            };
            match outcome {
                Outcome::Accepted { rejected, message } => {
                    if rejected != 0 || !message.is_empty() {
                        let what = match signal {
                            Signal::Traces => "spans",
                            Signal::Logs => "log records",
                        };
                        let key = format!("otlp-partial-{endpoint}-{message}");
                        clew::diagnostics::report_once(
                            &key,
                            format_args!("{endpoint} refused {rejected} {what}: {message}"),
                        );
                    }
                    return Ok(());
                }
                Outcome::Refused { reason } => {
                    let key = format!("otlp-refused-{endpoint}-{reason}");
                    clew::diagnostics::report_once(&key, format_args!("{endpoint} refused an export: {reason}"));
                    return Err(ExportError::failed(format!("{endpoint}: {reason}")));
                }
                Outcome::Retry { reason, after } => {
                    let wait = after.unwrap_or_else(|| inner.retry.backoff(attempt, clew::SpanId::random().to_u64()));
                    let in_time = remaining(deadline).is_some_and(|left| wait < left);
                    if attempt >= inner.retry.attempts() || !in_time {
                        let key = format!("otlp-unreachable-{endpoint}");
                        clew::diagnostics::report_once(
                            &key,
                            format_args!("{endpoint}: {reason}; gave up after {attempt} attempt(s)"),
                        );
                        return Err(ExportError::failed(format!(
                            "{endpoint}: {reason}; gave up after {attempt} attempt(s)"
                        )));
                    }
                    if !self.wait_unless_stopped(wait) {
                        return Err(ExportError::Shutdown);
                    }
                }
            }
        }
    }
}

impl OtlpExporter {
    /// Waits `wait` before a retry; `false` when the exporter was shut down meanwhile.
    fn wait_unless_stopped(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut stopped = self.inner.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        while !*stopped {
            let Some(left) = remaining(until) else { return true };
            stopped = self.inner.stop.wait_timeout(stopped, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        false
    }
}

/// A request ready to send: its messages, encoded once for the protocol.
pub(crate) enum Body {
    Protobuf(Vec<u8>),
    Json(Vec<u8>),
    #[cfg(feature = "grpc")]
    Traces(opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest),
    #[cfg(feature = "grpc")]
    Logs(opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest),
}

impl SpanExporter for OtlpExporter {
    fn export(&self, batch: Batch, deadline: Instant) -> Result<(), ExportError> {
        if *self.inner.stopped.lock().unwrap_or_else(PoisonError::into_inner) {
            return Err(ExportError::Shutdown);
        }
        let deadline = deadline.min(Instant::now() + self.inner.timeout);
        let scope = &self.inner.scope;
        if !batch.spans.is_empty() {
            let request = crate::traces_request(&batch, scope);
            let body = match self.inner.protocol {
                Protocol::HttpProtobuf => Body::Protobuf(request.encode_to_vec()),
                Protocol::HttpJson => Body::Json(json::traces(&request)?),
                #[cfg(feature = "grpc")]
                Protocol::Grpc => Body::Traces(request),
                #[cfg(not(feature = "grpc"))]
                Protocol::Grpc => return Err(ExportError::failed("OTLP/gRPC needs the `grpc` feature")),
            };
            self.send(Signal::Traces, body, deadline)?;
        }
        if !batch.events.is_empty() {
            let request = crate::logs_request(&batch, scope);
            let body = match self.inner.protocol {
                Protocol::HttpProtobuf => Body::Protobuf(request.encode_to_vec()),
                Protocol::HttpJson => Body::Json(json::logs(&request)?),
                #[cfg(feature = "grpc")]
                Protocol::Grpc => Body::Logs(request),
                #[cfg(not(feature = "grpc"))]
                Protocol::Grpc => return Err(ExportError::failed("OTLP/gRPC needs the `grpc` feature")),
            };
            self.send(Signal::Logs, body, deadline)?;
        }
        Ok(())
    }

    /// Ends the waits between retries of exports still running; later exports fail.
    fn shutdown(&self, _deadline: Instant) -> Result<(), ExportError> {
        *self.inner.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.inner.stop.notify_all();
        Ok(())
    }
}

mod json {
    //! OTLP JSON bodies, by opentelemetry-proto's serde implementation (ids as hex,
    //! camelCase field names, as the OTLP specification writes JSON).

    use clew::ExportError;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

    pub(super) fn traces(request: &ExportTraceServiceRequest) -> Result<Vec<u8>, ExportError> {
        serde_json::to_vec(request).map_err(|error| ExportError::failed(format!("OTLP JSON: {error}")))
    }

    pub(super) fn logs(request: &ExportLogsServiceRequest) -> Result<Vec<u8>, ExportError> {
        serde_json::to_vec(request).map_err(|error| ExportError::failed(format!("OTLP JSON: {error}")))
    }
}

/// The reason a `google.rpc.Status` body gives, or the body's text when it is not one.
pub(crate) fn status_message(body: &[u8], json: bool) -> String {
    if json {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            if let Some(message) = value.get("message").and_then(|message| message.as_str()) {
                return message.to_owned();
            }
        }
    } else if let Ok(status) = RpcStatus::decode(body) {
        if !status.message.is_empty() {
            return status.message;
        }
    }
    String::from_utf8_lossy(&body[..body.len().min(512)]).trim().to_owned()
}

/// `google.rpc.Status`, as OTLP/HTTP error bodies carry it.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub(crate) code: i32,
    #[prost(string, tag = "2")]
    pub(crate) message: String,
    #[prost(message, repeated, tag = "3")]
    pub(crate) details: Vec<prost_types_any::Any>,
}

pub(crate) mod prost_types_any {
    //! `google.protobuf.Any`, for the details of a `google.rpc.Status`.

    /// A message of any type, named by URL.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Any {
        #[prost(string, tag = "1")]
        pub(crate) type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        pub(crate) value: Vec<u8>,
    }
}

/// A tracer builder whose exporter follows the environment, with OTLP available: OTLP
/// when `OTEL_TRACES_EXPORTER` (or `TRACE_EXPORTER`) says `otlp`, or says nothing while
/// `TRACE_INGEST_URL` or an `OTEL_EXPORTER_OTLP_*ENDPOINT` is set; otherwise clew's own
/// choice (JSON lines on stdout when `TRACE_INGEST_URL` is empty, as seed 000 has it, or
/// nothing for `none`). An exporter that cannot be built is reported once, and stdout used.
///
/// ```
/// let tracer = clew_otlp::tracer_builder_from(|name| match name {
///     "TRACE_INGEST_URL" => Some("http://127.0.0.1:9".to_owned()),
///     _ => None,
/// })
/// .service_name("checkout")
/// .build();
/// tracer.shutdown(std::time::Duration::from_millis(10)).ok();
/// ```
pub fn tracer_builder() -> clew::TracerBuilder {
    tracer_builder_from(|name| std::env::var(name).ok())
}

/// As [`tracer_builder`], reading variables through `lookup`.
pub fn tracer_builder_from(lookup: impl Fn(&str) -> Option<String> + Clone + 'static) -> clew::TracerBuilder {
    let env = clew::EnvConfig::from_lookup(&lookup);
    let settings = EnvSettings::read(&lookup);
    let otlp = match env.exporter {
        Some(clew::ExporterChoice::Otlp) => true,
        None => settings.endpoint_given,
        Some(_) => false,
    };
    let builder = clew::Tracer::builder().env_lookup(lookup.clone());
    if !otlp {
        return builder;
    }
    match OtlpExporterBuilder::from_lookup(&lookup).build() {
        Ok(exporter) => builder.exporter(exporter),
        Err(error) => {
            clew::diagnostics::report_once("otlp-exporter-build", format_args!("{error}; using stdout"));
            builder.exporter(clew::StdoutExporter::new())
        }
    }
}

/// Builds a tracer with [`tracer_builder`] and makes it the process-wide one, with the
/// propagators `OTEL_PROPAGATORS` names, as [`clew::init`] does.
///
/// ```no_run
/// let tracer = clew_otlp::init();
/// clew::span("startup").start().end();
/// tracer.shutdown(std::time::Duration::from_secs(5)).unwrap();
/// ```
pub fn init() -> clew::Tracer {
    let tracer = tracer_builder().build();
    clew::set_global(tracer);
    clew::propagation::set_global(clew::propagation::from_env());
    tracer
}
