//! `clew load`: a load generator for any collector. It sends synthetic traces over
//! OTLP/HTTP (protobuf or JSON), OTLP/gRPC or Zipkin JSON, at a fixed rate or as fast as
//! the endpoint accepts, on N connections, for a duration or a span count, and reports
//! what was accepted, what was refused and how long requests took.
//!
//! Request `i` of a run is a function of `--seed`, `--start` and the shape options alone,
//! whichever connection sends it: two runs with the same values send byte-identical
//! requests. `--start` (the time of the first span) defaults to the time the run starts,
//! so that the spans fall inside any retention window; the summary prints it, to repeat a
//! run exactly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clew::{Event, KeyValue, Level, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId, Value};
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use clew_otlp::prost::Message;
use serde_json::json;

/// `clew load`'s options.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LoadArgs {
    /// Base URL [default: http://127.0.0.1:4318; :4317 for otlp-grpc, :9411 for zipkin-json]
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The wire format
    #[arg(long, value_enum, default_value_t = Wire::OtlpProtobuf)]
    protocol: Wire,
    /// Concurrent connections (at most 1024)
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    connections: u64,
    /// Spans per second in all [default: as fast as the endpoint accepts]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = positive_rate)]
    rate: Option<f64>,
    /// How long to send (30s, 5m, 1h); without it, until --spans are sent
    #[arg(long, value_name = "DURATION", value_parser = clew_server::duration::parse_duration)]
    duration: Option<Duration>,
    /// How many spans to send [default: 1000000 without --duration]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    spans: Option<u64>,
    /// Services (at most 10000)
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    services: u64,
    /// Span names per service (at most 10000)
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    operations: u64,
    /// Levels of a trace's span tree (at most 20)
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    depth: u64,
    /// Children of each span above the last level (at most 1000)
    #[arg(long, value_name = "N", default_value_t = 9, value_parser = clap::value_parser!(u64).range(1..))]
    fanout: u64,
    /// Attributes per span (at most 1000)
    #[arg(long, value_name = "N", default_value_t = 11)]
    attributes: u64,
    /// Events per span (at most 1000)
    #[arg(long, value_name = "N", default_value_t = 1)]
    events: u64,
    /// Share of spans that fail, 0 to 1
    #[arg(long, value_name = "F", default_value_t = 0.02, allow_negative_numbers = true, value_parser = share)]
    error_rate: f64,
    /// Traces in one request (at most 100000)
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    traces_per_request: u64,
    /// Seed of the generated data
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Unix time of the first span, in nanoseconds [default: now]
    #[arg(long, value_name = "NANOS")]
    start: Option<u64>,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
    /// Send nothing: measure, on the requests a run would send, how fast prost decodes them
    /// (the ceiling of any OTLP ingest) and how small zstd -19 makes them (a floor for bytes
    /// per span)
    #[arg(long)]
    limits: bool,
}

fn positive_rate(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|rate| rate.is_finite() && *rate > 0.0)
        .ok_or_else(|| format!("expected spans per second, not {text:?}"))
}

fn share(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| format!("expected a share from 0 to 1, not {text:?}"))
}

/// The wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Wire {
    /// OTLP/HTTP with protobuf bodies
    #[value(name = "otlp-http-protobuf", alias = "http/protobuf")]
    OtlpProtobuf,
    /// OTLP/HTTP with JSON bodies
    #[value(name = "otlp-http-json", alias = "http/json")]
    OtlpJson,
    /// OTLP/gRPC
    #[value(name = "otlp-grpc", alias = "grpc")]
    OtlpGrpc,
    /// Zipkin v2 JSON
    #[value(name = "zipkin-json", alias = "zipkin")]
    ZipkinJson,
}

/// The shape of the generated traces.
#[derive(Debug, Clone)]
struct Shape {
    services: usize,
    operations: usize,
    depth: u32,
    fanout: usize,
    attributes: usize,
    events: usize,
    error_rate: f64,
    traces_per_request: usize,
    seed: u64,
    start_unix_nano: u64,
}

impl Shape {
    fn spans_per_trace(&self) -> usize {
        (0..self.depth).fold(0_usize, |spans, level| spans.saturating_add(self.fanout.saturating_pow(level)))
    }

    fn spans_per_request(&self) -> usize {
        self.spans_per_trace().saturating_mul(self.traces_per_request)
    }
}

#[derive(Debug, Clone)]
struct Options {
    endpoint: String,
    wire: Wire,
    connections: usize,
    rate: Option<f64>,
    duration: Option<Duration>,
    spans: Option<u64>,
    shape: Shape,
    json: bool,
    limits: bool,
}

impl LoadArgs {
    /// The run these options ask for.
    fn options(self) -> Result<Options, String> {
        let small = |number: u64, most: u64| usize::try_from(number.min(most)).unwrap_or(usize::MAX);
        let shape = Shape {
            services: small(self.services, 10_000),
            operations: small(self.operations, 10_000),
            depth: u32::try_from(self.depth.min(20)).unwrap_or(20),
            fanout: small(self.fanout, 1_000),
            attributes: small(self.attributes, 1_000),
            events: small(self.events, 1_000),
            error_rate: self.error_rate,
            traces_per_request: small(self.traces_per_request, 100_000),
            seed: self.seed,
            start_unix_nano: self.start.unwrap_or_else(|| {
                SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos() as u64)
            }),
        };
        if shape.spans_per_request() > 5_000_000 {
            return Err(
                "a request would hold more than 5,000,000 spans; lower --depth, --fanout or --traces-per-request"
                    .into(),
            );
        }
        let endpoint = match self.endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_owned(),
            None => match self.protocol {
                Wire::OtlpProtobuf | Wire::OtlpJson => "http://127.0.0.1:4318",
                Wire::OtlpGrpc => "http://127.0.0.1:4317",
                Wire::ZipkinJson => "http://127.0.0.1:9411",
            }
            .to_owned(),
        };
        let spans = match (self.spans, self.duration) {
            (None, None) => Some(1_000_000),
            (spans, _) => spans,
        };
        Ok(Options {
            endpoint,
            wire: self.protocol,
            connections: small(self.connections, 1024),
            rate: self.rate,
            duration: self.duration,
            spans,
            shape,
            json: self.json,
            limits: self.limits,
        })
    }
}

/// A small deterministic generator (splitmix64).
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, share: f64) -> bool {
        ((self.next() >> 11) as f64 / (1_u64 << 53) as f64) < share
    }
}

/// The spans of request `index`, by service.
fn generate(shape: &Shape, index: u64) -> Vec<(usize, Vec<SpanData>)> {
    let mut rng = Rng(shape.seed ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let mut by_service: Vec<Vec<SpanData>> = vec![Vec::new(); shape.services];
    // Requests follow each other a millisecond apart in generated time.
    let request_start = shape.start_unix_nano + index * 1_000_000;
    for trace in 0..shape.traces_per_request {
        let trace_id = TraceId::from_u128((u128::from(rng.next()) << 64 | u128::from(rng.next())) | 1);
        let trace_start = request_start + trace as u64 * 1_000;
        // (span id, parent, service, start, end, level) of each span, parents first.
        let root_service = rng.below(shape.services);
        let root_duration = 2_000_000 + rng.next() % 400_000_000;
        let mut level_spans =
            vec![(SpanId::from_u64(rng.next() | 1), root_service, trace_start, trace_start + root_duration)];
        let mut spans = Vec::new();
        spans.push((level_spans[0].0, None, root_service, trace_start, trace_start + root_duration, 0_u32));
        for level in 1..shape.depth {
            let mut next = Vec::new();
            for &(parent, _, parent_start, parent_end) in &level_spans {
                let room = parent_end.saturating_sub(parent_start).max(shape.fanout as u64 * 2);
                for child in 0..shape.fanout {
                    let service = rng.below(shape.services);
                    let start = parent_start + room * child as u64 / shape.fanout as u64;
                    let end = start + 1 + rng.next() % (room / shape.fanout as u64).max(1);
                    let id = SpanId::from_u64(rng.next() | 1);
                    spans.push((id, Some(parent), service, start, end, level));
                    next.push((id, service, start, end));
                }
            }
            level_spans = next;
        }
        for (span_id, parent, service, start, end, level) in spans {
            let error = rng.chance(shape.error_rate);
            let operation = rng.below(shape.operations);
            let mut attributes = Vec::with_capacity(shape.attributes);
            for slot in 0..shape.attributes {
                let attribute = match slot % 6 {
                    0 => KeyValue::new("http.request.method", if rng.next() % 2 == 0 { "GET" } else { "POST" }),
                    1 => KeyValue::new("http.response.status_code", if error { 500_i64 } else { 200 }),
                    2 => KeyValue::new(format!("user.id.{}", slot / 6), format!("user-{}", rng.next() % 100_000)),
                    3 => KeyValue::new(format!("retry.count.{}", slot / 6), (rng.next() % 4) as i64),
                    4 => KeyValue::new(format!("cache.hit.{}", slot / 6), rng.next() % 3 == 0),
                    _ => KeyValue::new(
                        format!("url.path.{}", slot / 6),
                        format!("/api/v1/items/{}", rng.next() % 10_000),
                    ),
                };
                attributes.push(attribute);
            }
            let events = (0..shape.events)
                .map(|event| Event {
                    name: if error { "exception".into() } else { "cache.lookup".into() },
                    time_unix_nano: start + (end - start) * (event as u64 + 1) / (shape.events as u64 + 1),
                    level: Some(if error { Level::Error } else { Level::Debug }),
                    attributes: vec![KeyValue::new("attempt", event as i64)],
                    dropped_attributes_count: 0,
                })
                .collect();
            by_service[service].push(SpanData {
                trace_id,
                span_id,
                parent_span_id: parent,
                parent_is_remote: false,
                trace_flags: TraceFlags::SAMPLED,
                trace_state: None,
                name: format!("operation-{operation}").into(),
                kind: if level == 0 { SpanKind::Server } else { SpanKind::Client },
                label: None,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                attributes,
                events,
                links: Vec::new(),
                status: if error { Status::error("upstream failed") } else { Status::Unset },
                dropped_attributes_count: 0,
                dropped_events_count: 0,
                dropped_links_count: 0,
            });
        }
    }
    by_service.into_iter().enumerate().filter(|(_, spans)| !spans.is_empty()).collect()
}

fn service_name(service: usize) -> String {
    format!("load-service-{service}")
}

fn otlp_request(groups: Vec<(usize, Vec<SpanData>)>) -> ExportTraceServiceRequest {
    let mut request = ExportTraceServiceRequest { resource_spans: Vec::new() };
    for (service, spans) in groups {
        let resource = Resource::new([
            KeyValue::new("service.name", service_name(service)),
            KeyValue::new("host.name", format!("load-{service}")),
        ]);
        let batch = clew::Batch::new(Arc::new(resource), spans, Vec::new());
        request.resource_spans.extend(clew_otlp::traces_request(&batch, "clew-load").resource_spans);
    }
    request
}

fn zipkin_json(groups: &[(usize, Vec<SpanData>)]) -> Vec<u8> {
    let mut spans = Vec::new();
    for (service, group) in groups {
        for span in group {
            let tags: serde_json::Map<String, serde_json::Value> = span
                .attributes
                .iter()
                .map(|attribute| {
                    let text = match &attribute.value {
                        Value::String(text) => text.to_string(),
                        other => other.to_string(),
                    };
                    (attribute.key.to_string(), json!(text))
                })
                .chain(span.status.is_error().then(|| ("error".to_owned(), json!("upstream failed"))))
                .collect();
            let mut value = json!({
                "traceId": span.trace_id.to_string(),
                "id": span.span_id.to_string(),
                "name": span.name.as_ref(),
                "kind": if span.kind == SpanKind::Server { "SERVER" } else { "CLIENT" },
                "timestamp": span.start_time_unix_nano / 1_000,
                "duration": (span.end_time_unix_nano - span.start_time_unix_nano).div_ceil(1_000),
                "localEndpoint": { "serviceName": service_name(*service) },
                "tags": tags,
                "annotations": span.events.iter().map(|event| json!({
                    "timestamp": event.time_unix_nano / 1_000,
                    "value": event.name.as_ref(),
                })).collect::<Vec<_>>(),
            });
            if let Some(parent) = span.parent_span_id {
                value["parentId"] = json!(parent.to_string());
            }
            spans.push(value);
        }
    }
    serde_json::to_vec(&spans).unwrap_or_default()
}

/// A request ready for the wire, with its span count.
enum Body {
    Bytes(Vec<u8>),
    Grpc(ExportTraceServiceRequest),
}

fn body(wire: Wire, shape: &Shape, index: u64) -> Body {
    let groups = generate(shape, index);
    match wire {
        Wire::OtlpProtobuf => Body::Bytes(otlp_request(groups).encode_to_vec()),
        Wire::OtlpJson => Body::Bytes(serde_json::to_vec(&otlp_request(groups)).unwrap_or_default()),
        Wire::OtlpGrpc => Body::Grpc(otlp_request(groups)),
        Wire::ZipkinJson => Body::Bytes(zipkin_json(&groups)),
    }
}

/// What one connection saw.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    spans_sent: u64,
    spans_accepted: u64,
    /// Spans of requests not accepted, by answer (`HTTP 503`, `gRPC Unavailable`, `error`).
    refused: BTreeMap<String, u64>,
    latencies_micros: Vec<u32>,
}

/// Counters the progress line reads while the run goes on.
#[derive(Debug, Default)]
struct Live {
    sent: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
}

/// The outcome of one request: accepted spans, or the answer that refused it.
type Sent = Result<u64, String>;

struct Connection {
    agent: ureq::Agent,
    grpc: Option<(TraceServiceClient<tonic::transport::Channel>, Arc<tokio::runtime::Runtime>)>,
}

impl Connection {
    fn send(&mut self, options: &Options, body: Body, spans: u64) -> Sent {
        match body {
            Body::Bytes(bytes) => {
                let (path, content_type) = match options.wire {
                    Wire::OtlpProtobuf => ("/v1/traces", "application/x-protobuf"),
                    Wire::OtlpJson => ("/v1/traces", "application/json"),
                    _ => ("/api/v2/spans", "application/json"),
                };
                let url = format!("{}{path}", options.endpoint);
                let mut response = self
                    .agent
                    .post(&url)
                    .header("Content-Type", content_type)
                    .send(&bytes[..])
                    .map_err(|error| format!("error: {error}"))?;
                let status = response.status().as_u16();
                let answer = response.body_mut().with_config().limit(1 << 20).read_to_vec().unwrap_or_default();
                if !(200..300).contains(&status) {
                    return Err(format!("HTTP {status}"));
                }
                let rejected = match options.wire {
                    Wire::OtlpProtobuf => {
                        clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::decode(
                            answer.as_slice(),
                        )
                        .ok()
                        .and_then(|response| response.partial_success)
                        .map_or(0, |partial| partial.rejected_spans)
                    }
                    Wire::OtlpJson => serde_json::from_slice::<serde_json::Value>(&answer)
                        .ok()
                        .and_then(|value| {
                            let count = &value["partialSuccess"]["rejectedSpans"];
                            count.as_i64().or_else(|| count.as_str().and_then(|text| text.parse().ok()))
                        })
                        .unwrap_or(0),
                    _ => 0,
                };
                Ok(spans.saturating_sub(u64::try_from(rejected).unwrap_or(0)))
            }
            Body::Grpc(request) => {
                let Some((client, runtime)) = &mut self.grpc else { return Err("error: no gRPC client".into()) };
                let mut client = client.clone();
                let answer = runtime.block_on(async move { client.export(request).await });
                match answer {
                    Ok(response) => {
                        let rejected =
                            response.into_inner().partial_success.map_or(0, |partial| partial.rejected_spans);
                        Ok(spans.saturating_sub(u64::try_from(rejected).unwrap_or(0)))
                    }
                    Err(status) => Err(format!("gRPC {:?}", status.code())),
                }
            }
        }
    }
}

/// Waits until `until` without sleeping the whole time away on a missed wake-up.
fn wait_until(until: Instant) {
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        std::thread::park_timeout(left);
    }
}

pub(crate) fn run(args: LoadArgs) -> Result<(), String> {
    let options = Arc::new(args.options()?);
    if options.limits {
        return limits(&options);
    }
    let runtime = match options.wire {
        Wire::OtlpGrpc => Some(Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|error| format!("gRPC runtime: {error}"))?,
        )),
        _ => None,
    };
    let spans_per_request = options.shape.spans_per_request() as u64;
    let max_requests = options.spans.map_or(u64::MAX, |spans| spans.div_ceil(spans_per_request));
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let live = Arc::new(Live::default());
    let tallies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let deadline = options.duration.map(|duration| started + duration);

    let mut workers = Vec::new();
    for _ in 0..options.connections {
        let grpc = match &runtime {
            Some(runtime) => {
                let endpoint = tonic::transport::Endpoint::from_shared(options.endpoint.clone())
                    .map_err(|error| format!("--endpoint: {error}"))?;
                let _entered = runtime.enter();
                Some((TraceServiceClient::new(endpoint.connect_lazy()), Arc::clone(runtime)))
            }
            None => None,
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        let mut connection = Connection { agent, grpc };
        let (options, next, stop, live, tallies) =
            (Arc::clone(&options), Arc::clone(&next), Arc::clone(&stop), Arc::clone(&live), Arc::clone(&tallies));
        workers.push(std::thread::spawn(move || {
            let mut tally = Tally::default();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= max_requests || stop.load(Ordering::Relaxed) {
                    break;
                }
                let spans = if index + 1 == max_requests {
                    options.spans.map_or(spans_per_request, |total| total - index * spans_per_request)
                } else {
                    spans_per_request
                };
                if let Some(rate) = options.rate {
                    wait_until(started + Duration::from_secs_f64(index as f64 * spans_per_request as f64 / rate));
                }
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    break;
                }
                let mut shape = options.shape.clone();
                if spans != spans_per_request {
                    // The last request is cut to the span count: fewer traces.
                    shape.traces_per_request = (spans as usize).div_ceil(shape.spans_per_trace()).max(1);
                }
                let spans = shape.spans_per_request() as u64;
                let body = body(options.wire, &shape, index);
                let sent_at = Instant::now();
                let outcome = connection.send(&options, body, spans);
                let micros = sent_at.elapsed().as_micros();
                tally.latencies_micros.push(u32::try_from(micros).unwrap_or(u32::MAX));
                tally.requests += 1;
                tally.spans_sent += spans;
                live.sent.fetch_add(spans, Ordering::Relaxed);
                match outcome {
                    Ok(accepted) => {
                        tally.spans_accepted += accepted;
                        live.accepted.fetch_add(accepted, Ordering::Relaxed);
                    }
                    Err(answer) => {
                        *tally.refused.entry(answer).or_default() += spans;
                        live.refused.fetch_add(spans, Ordering::Relaxed);
                    }
                }
            }
            tallies.lock().unwrap_or_else(PoisonError::into_inner).push(tally);
        }));
    }

    // The progress line, once a second, until every connection is done.
    let mut last = (Instant::now(), 0_u64);
    while workers.iter().any(|worker| !worker.is_finished()) {
        let tick = Instant::now() + Duration::from_secs(1);
        while Instant::now() < tick && workers.iter().any(|worker| !worker.is_finished()) {
            std::thread::park_timeout(Duration::from_millis(50));
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            stop.store(true, Ordering::Relaxed);
        }
        let sent = live.sent.load(Ordering::Relaxed);
        let now = Instant::now();
        let rate = (sent - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-9);
        last = (now, sent);
        crate::eprint_text(&format!(
            "{:>7.1}s  sent {sent} spans  accepted {}  refused {}  {rate:.0} spans/s\n",
            started.elapsed().as_secs_f64(),
            live.accepted.load(Ordering::Relaxed),
            live.refused.load(Ordering::Relaxed),
        ));
    }
    for worker in workers {
        worker.join().map_err(|_| "a connection's thread failed".to_owned())?;
    }
    let elapsed = started.elapsed();
    let tallies = std::mem::take(&mut *tallies.lock().unwrap_or_else(PoisonError::into_inner));
    summary(&options, &tallies, elapsed);
    Ok(())
}

/// The decode-only rate and the zstd -19 size of the OTLP protobuf requests a run sends
/// (at most 200 of them; `--spans` and the shape decide which).
fn limits(options: &Options) -> Result<(), String> {
    let spans_per_request = options.shape.spans_per_request() as u64;
    let requests = options.spans.unwrap_or(u64::MAX).div_ceil(spans_per_request).clamp(1, 200);
    let encoded: Vec<Vec<u8>> =
        (0..requests).map(|index| otlp_request(generate(&options.shape, index)).encode_to_vec()).collect();
    let spans = requests * spans_per_request;
    let raw: usize = encoded.iter().map(Vec::len).sum();
    // Decode every request a few times, one thread, as a receiver's decode step would.
    let rounds = 3;
    let started = Instant::now();
    let mut decoded = 0_u64;
    for _ in 0..rounds {
        for bytes in &encoded {
            let request = ExportTraceServiceRequest::decode(bytes.as_slice())
                .map_err(|error| format!("a generated request does not decode: {error}"))?;
            decoded += request
                .resource_spans
                .iter()
                .flat_map(|resource| &resource.scope_spans)
                .map(|scope| scope.spans.len() as u64)
                .sum::<u64>();
        }
    }
    let decode_rate = decoded as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let mut all = Vec::with_capacity(raw);
    for bytes in &encoded {
        all.extend_from_slice(bytes);
    }
    let compressed = zstd::bulk::compress(&all, 19).map_err(|error| format!("zstd: {error}"))?;
    let value = json!({
        "requests": requests,
        "spans": spans,
        "protobuf_bytes_per_span": raw as f64 / spans as f64,
        "zstd19_bytes_per_span": compressed.len() as f64 / spans as f64,
        "decode_only_spans_per_second": decode_rate,
    });
    if options.json {
        crate::print_text(&format!("{value}\n"));
    } else {
        crate::print_text(&format!(
            "{spans} spans in {requests} requests: {:.1} bytes/span as OTLP protobuf, {:.1} after zstd -19; prost decodes {decode_rate:.0} spans/s on one thread\n",
            raw as f64 / spans as f64,
            compressed.len() as f64 / spans as f64,
        ));
    }
    Ok(())
}

/// The id of the first trace of the first request, to look the run up by.
fn first_trace_id(shape: &Shape) -> String {
    let mut first = shape.clone();
    first.traces_per_request = 1;
    generate(&first, 0)
        .iter()
        .flat_map(|(_, spans)| spans)
        .next()
        .map_or_else(String::new, |span| span.trace_id.to_string())
}

fn summary(options: &Options, tallies: &[Tally], elapsed: Duration) {
    let requests: u64 = tallies.iter().map(|tally| tally.requests).sum();
    let sent: u64 = tallies.iter().map(|tally| tally.spans_sent).sum();
    let accepted: u64 = tallies.iter().map(|tally| tally.spans_accepted).sum();
    let mut refused: BTreeMap<&str, u64> = BTreeMap::new();
    for tally in tallies {
        for (answer, spans) in &tally.refused {
            *refused.entry(answer).or_default() += spans;
        }
    }
    let mut latencies: Vec<u32> = tallies.iter().flat_map(|tally| tally.latencies_micros.iter().copied()).collect();
    latencies.sort_unstable();
    let percentile = |share: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((latencies.len() as f64 * share).ceil() as usize).clamp(1, latencies.len());
        f64::from(latencies[rank - 1]) / 1_000.0
    };
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let protocol = match options.wire {
        Wire::OtlpProtobuf => "otlp-http-protobuf",
        Wire::OtlpJson => "otlp-http-json",
        Wire::OtlpGrpc => "otlp-grpc",
        Wire::ZipkinJson => "zipkin-json",
    };
    if options.json {
        let value = json!({
            "endpoint": options.endpoint,
            "protocol": protocol,
            "connections": options.connections,
            "seed": options.shape.seed,
            "start_unix_nano": options.shape.start_unix_nano,
            "first_trace_id": first_trace_id(&options.shape),
            "spans_per_trace": options.shape.spans_per_trace(),
            "requests": requests,
            "spans_sent": sent,
            "spans_accepted": accepted,
            "spans_refused": refused,
            "seconds": seconds,
            "accepted_spans_per_second": accepted as f64 / seconds,
            "latency_ms": { "p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99), "max": percentile(1.0) },
        });
        crate::print_text(&format!("{value}\n"));
        return;
    }
    let mut text = format!(
        "{protocol} to {} on {} connections, seed {} start {}\n",
        options.endpoint, options.connections, options.shape.seed, options.shape.start_unix_nano
    );
    let _ = writeln!(
        text,
        "requests:  {requests} ({} spans each, {} per trace)",
        options.shape.spans_per_request(),
        options.shape.spans_per_trace()
    );
    let _ = writeln!(text, "sent:      {sent} spans in {seconds:.2} s");
    let _ = writeln!(text, "accepted:  {accepted} spans, {:.0} spans/s", accepted as f64 / seconds);
    if refused.is_empty() {
        let _ = writeln!(text, "refused:   none");
    }
    for (answer, spans) in &refused {
        let _ = writeln!(text, "refused:   {spans} spans ({answer})");
    }
    let _ = writeln!(
        text,
        "latency:   p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(0.5),
        percentile(0.9),
        percentile(0.99),
        percentile(1.0)
    );
    crate::print_text(&text);
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Load {
        #[command(flatten)]
        args: LoadArgs,
    }

    fn parse(args: &[&str]) -> Result<Options, String> {
        let args = Load::try_parse_from(std::iter::once("load").chain(args.iter().copied()))
            .map_err(|error| error.to_string())?
            .args;
        args.options()
    }

    fn shape() -> Shape {
        parse(&["--seed", "7", "--start", "1700000000000000000"]).unwrap().shape
    }

    #[test]
    fn a_request_is_a_function_of_the_seed_start_and_index_alone() {
        let shape = shape();
        let bytes = |shape: &Shape, index| match body(Wire::OtlpProtobuf, shape, index) {
            Body::Bytes(bytes) => bytes,
            Body::Grpc(_) => unreachable!(),
        };
        assert_eq!(bytes(&shape, 3), bytes(&shape, 3));
        assert_ne!(bytes(&shape, 3), bytes(&shape, 4));
        let mut other = shape.clone();
        other.seed = 8;
        assert_ne!(bytes(&shape, 3), bytes(&other, 3));
    }

    #[test]
    fn traces_have_the_asked_shape() {
        let mut shape = shape();
        shape.depth = 3;
        shape.fanout = 2;
        shape.traces_per_request = 4;
        shape.attributes = 7;
        shape.events = 2;
        assert_eq!(shape.spans_per_trace(), 7);
        let groups = generate(&shape, 0);
        let spans: Vec<&SpanData> = groups.iter().flat_map(|(_, spans)| spans).collect();
        assert_eq!(spans.len(), 28);
        let roots = spans.iter().filter(|span| span.parent_span_id.is_none()).count();
        assert_eq!(roots, 4);
        for span in &spans {
            assert_eq!(span.attributes.len(), 7);
            assert_eq!(span.events.len(), 2);
            assert!(span.end_time_unix_nano > span.start_time_unix_nano);
            if let Some(parent) = span.parent_span_id {
                assert!(spans.iter().any(|other| other.span_id == parent && other.trace_id == span.trace_id));
            }
        }
    }

    #[test]
    fn bad_options_are_named() {
        for (args, named) in [
            (vec!["--protocol", "smoke"], "--protocol"),
            (vec!["--connections", "0"], "--connections"),
            (vec!["--rate", "-3"], "--rate"),
            (vec!["--error-rate", "2"], "--error-rate"),
            (vec!["--duration", "soon"], "--duration"),
            (vec!["--colour", "blue"], "--colour"),
            (vec!["--depth", "20", "--fanout", "1000"], "--depth"),
        ] {
            let error = parse(&args).unwrap_err();
            assert!(error.contains(named), "{error}");
        }
    }
}
