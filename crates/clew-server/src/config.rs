//! What the server is told: where to listen, the limits on what arrives, and whether it
//! traces itself. The `clew` command reads these (with the storage engine's settings) from
//! flags, `CLEW_*` variables and a TOML file; a program that embeds the server builds them in
//! code, from [`ServerConfig::default`].

use std::net::SocketAddr;
use std::time::Duration;

/// Limits applied to what arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The largest request body, after decompression, in bytes.
    pub max_request_bytes: usize,
    /// Bytes of decoded requests held at once, across receivers (estimated from each body
    /// before decoding it); a request that finds no room within 2 s is answered busy.
    pub max_decoding_bytes: usize,
    /// Attributes kept per span (and per event and link); the rest are dropped and counted.
    pub max_attributes_per_span: usize,
    /// Strings longer than this many bytes (names, attribute values, status messages,
    /// trace states, scope names, resources) are cut and marked; attribute keys too, but
    /// never shorter than 64 bytes.
    pub max_value_bytes: usize,
    /// Spans kept per trace in memory; later spans of a trace are refused and counted.
    pub max_spans_per_trace: usize,
    /// Events kept per span; the rest are dropped and counted in the span.
    pub max_events_per_span: usize,
    /// Links kept per span; the rest are dropped and counted in the span.
    pub max_links_per_span: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_bytes: 16 << 20,
            max_decoding_bytes: 256 << 20,
            max_attributes_per_span: 256,
            max_value_bytes: 16 << 10,
            max_spans_per_trace: 200_000,
            // As the OpenTelemetry SDKs' defaults.
            max_events_per_span: 128,
            max_links_per_span: 128,
        }
    }
}

/// Everything the server itself is told; the store it serves is opened apart.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// The query APIs, metrics and health checks.
    pub http_addr: SocketAddr,
    /// OTLP over gRPC.
    pub otlp_grpc_addr: SocketAddr,
    /// OTLP over HTTP.
    pub otlp_http_addr: SocketAddr,
    /// Zipkin v2 (ingest, and the read API as well).
    pub zipkin_addr: SocketAddr,
    /// Limits on what arrives.
    pub limits: Limits,
    /// Trace the server's own requests with clew (into its own store).
    pub self_tracing: bool,
    /// Open connections per listener at most (HTTP and gRPC); more wait until one closes.
    pub max_connections: usize,
    /// A connection whose next request's headers take longer than this is closed (an idle
    /// keep-alive connection too).
    pub header_timeout: Duration,
    /// A request whose body takes longer than this to arrive is answered 408 (HTTP); a gRPC
    /// call that takes longer is cancelled.
    pub body_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            http_addr: SocketAddr::from(([0, 0, 0, 0], 16686)),
            otlp_grpc_addr: SocketAddr::from(([0, 0, 0, 0], 4317)),
            otlp_http_addr: SocketAddr::from(([0, 0, 0, 0], 4318)),
            zipkin_addr: SocketAddr::from(([0, 0, 0, 0], 9411)),
            limits: Limits::default(),
            self_tracing: false,
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}
