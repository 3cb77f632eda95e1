//! Ingest and query figures of `clew serve` on the workload of Jaeger's ClickHouse
//! benchmark: traces of 10 spans with 11 attributes each, over 5 services and 4
//! operations per service.
//!
//! ```text
//! cargo bench -p clew-server --bench ingest -- [--traces N] [--connections N] [--queries N]
//! ```
//!
//! 1. Builds OTLP/HTTP protobuf requests of 50 traces (500 spans) each, every one with its
//!    own random attribute values, encoded before the clock starts (up to 2,000 requests,
//!    1,000,000 spans; past that, requests repeat with fresh trace ids patched in, which
//!    flatters the size figure).
//! 2. Decode-only: how fast prost decodes those requests on one thread — the ceiling.
//! 3. Ingest: a server in this process (its own data directory) takes the requests from
//!    `--connections` keep-alive connections; every request is answered only once durable.
//! 4. Size: after writing the head out and compacting, bytes of blocks per span.
//! 5. Queries over HTTP: trace by id, search by service + operation + min duration, search
//!    by attribute; median and p99.
//! 6. Peak RSS of the process (server, clients and the request pool).
//!
//! `-- --test` (as `cargo bench -- --test` passes) runs a tiny version and checks that
//! every span arrived.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use clew_otlp::opentelemetry_proto::tonic::resource::v1::Resource;
use clew_otlp::opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span, status};
use clew_otlp::prost::Message;
use clew_server::ServerConfig;
use clew_store_embedded::{EmbeddedStore, StoreConfig};

const TRACES_PER_REQUEST: usize = 50;
const SPANS_PER_TRACE: usize = 10;
/// Distinct requests encoded up front, at most; past that, requests repeat with fresh
/// trace ids (and compress better than real data would).
const MAX_POOL: usize = 2000;
const SERVICES: [&str; 5] = ["frontend", "checkout", "inventory", "payments", "shipping"];
const OPERATIONS: [&str; 4] = ["GET /items", "POST /orders", "SELECT stock", "charge"];

struct Options {
    traces: usize,
    connections: usize,
    queries: usize,
    test: bool,
}

fn options() -> Options {
    let mut options = Options { traces: 200_000, connections: 4, queries: 1000, test: false };
    let args: Vec<String> = std::env::args().collect();
    let mut index = 1;
    while index < args.len() {
        let value = || args.get(index + 1).and_then(|text| text.parse().ok());
        match args[index].as_str() {
            "--traces" => options.traces = value().expect("--traces N"),
            "--connections" => options.connections = value().expect("--connections N"),
            "--queries" => options.queries = value().expect("--queries N"),
            "--test" => options.test = true,
            _ => {}
        }
        index += 1;
    }
    if options.test {
        options.traces = 400;
        options.queries = 20;
    }
    options
}

/// xorshift: deterministic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn string(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value)) }),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::IntValue(value)) }),
        ..KeyValue::default()
    }
}

/// One request of the pool, and the offsets of each trace id in its bytes.
struct Encoded {
    bytes: Vec<u8>,
    trace_id_offsets: Vec<usize>,
}

/// A request of 50 traces; trace ids are `marker` patterns found back in the bytes.
fn request(rng: &mut Rng, start: u64) -> Encoded {
    let mut by_service: Vec<Vec<Span>> = vec![Vec::new(); SERVICES.len()];
    let mut markers = Vec::new();
    for _ in 0..TRACES_PER_REQUEST {
        let trace_id: [u8; 16] = (u128::from(rng.next()) << 64 | u128::from(rng.next())).to_be_bytes();
        markers.push(trace_id);
        let trace_start = start + rng.next() % 1_000_000_000;
        for index in 0..SPANS_PER_TRACE {
            let service = index % SERVICES.len();
            let operation = OPERATIONS[(index + (rng.next() % 2) as usize) % OPERATIONS.len()];
            let span_start = trace_start + index as u64 * 1_000_000;
            let duration = 1_000_000 + rng.next() % 400_000_000;
            let error = rng.next() % 50 == 0;
            by_service[service].push(Span {
                trace_id: trace_id.to_vec(),
                span_id: (rng.next() | 1).to_be_bytes().to_vec(),
                parent_span_id: if index == 0 { Vec::new() } else { (rng.next() | 1).to_be_bytes().to_vec() },
                name: operation.to_owned(),
                kind: if index == 0 { span::SpanKind::Server as i32 } else { span::SpanKind::Client as i32 },
                start_time_unix_nano: span_start,
                end_time_unix_nano: span_start + duration,
                attributes: vec![
                    string("http.request.method", if index % 2 == 0 { "GET" } else { "POST" }.into()),
                    string("http.route", format!("/api/v1/items/{}", rng.next() % 20)),
                    int("http.response.status_code", if error { 500 } else { 200 }),
                    string("url.full", format!("https://shop.example/api/v1/items/{}", rng.next() % 10_000)),
                    string("net.peer.name", format!("10.0.{}.{}", rng.next() % 4, rng.next() % 250)),
                    int("net.peer.port", 8080),
                    string("user.id", format!("user-{}", rng.next() % 100_000)),
                    string("tenant", format!("tenant-{}", rng.next() % 50)),
                    int("retry.count", (rng.next() % 3) as i64),
                    string("db.system", "postgresql".into()),
                    string("component", "http".into()),
                ],
                status: Some(clew_otlp::opentelemetry_proto::tonic::trace::v1::Status {
                    code: if error { status::StatusCode::Error as i32 } else { status::StatusCode::Unset as i32 },
                    message: if error { "upstream failed".into() } else { String::new() },
                }),
                ..Span::default()
            });
        }
    }
    let resource_spans = by_service
        .into_iter()
        .enumerate()
        .map(|(service, spans)| ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    string("service.name", SERVICES[service].into()),
                    string("host.name", format!("node-{service}")),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        })
        .collect();
    let bytes = ExportTraceServiceRequest { resource_spans }.encode_to_vec();
    let mut trace_id_offsets = Vec::new();
    for marker in &markers {
        let mut from = 0;
        while let Some(found) = bytes[from..].windows(16).position(|window| window == marker) {
            trace_id_offsets.push(from + found);
            from += found + 16;
        }
    }
    assert_eq!(trace_id_offsets.len(), TRACES_PER_REQUEST * SPANS_PER_TRACE, "every trace id is found");
    Encoded { bytes, trace_id_offsets }
}

/// A copy of a pool request whose trace ids are made unique by `sequence`.
fn patched(encoded: &Encoded, sequence: u64) -> Vec<u8> {
    let mut bytes = encoded.bytes.clone();
    for &offset in &encoded.trace_id_offsets {
        // A multiplicative hash, so that the copies of one pooled trace land far apart in
        // trace-id order (as real traces do) rather than side by side.
        let high = u64::from_be_bytes(bytes[offset..offset + 8].try_into().unwrap())
            ^ sequence.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        bytes[offset..offset + 8].copy_from_slice(&high.to_be_bytes());
    }
    bytes
}

/// The trace ids `patched(pool[i], sequence)` holds.
fn trace_ids(encoded: &Encoded, sequence: u64) -> Vec<String> {
    let bytes = patched(encoded, sequence);
    let ids: std::collections::BTreeSet<String> = encoded
        .trace_id_offsets
        .iter()
        .map(|&offset| bytes[offset..offset + 16].iter().map(|byte| format!("{byte:02x}")).collect())
        .collect();
    ids.into_iter().collect()
}

/// A keep-alive HTTP/1.1 connection that POSTs and reads the status.
struct Connection {
    stream: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Connection {
    fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Connection { stream: BufReader::new(stream), addr }
    }

    fn request(&mut self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status line");
        let mut length = 0;
        loop {
            line.clear();
            self.stream.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut answer = vec![0; length];
        self.stream.read_exact(&mut answer).unwrap();
        (status, answer)
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

fn timed_queries(addr: SocketAddr, paths: &[String]) -> (Duration, Duration) {
    let mut connection = Connection::open(addr);
    let mut times = Vec::with_capacity(paths.len());
    for path in paths {
        let started = Instant::now();
        let (status, body) = connection.request("GET", path, &[]);
        times.push(started.elapsed());
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn main() {
    let options = options();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let requests = options.traces.div_ceil(TRACES_PER_REQUEST);
    let pool_size = requests.min(MAX_POOL);
    let pool: Vec<Encoded> = (0..pool_size).map(|_| request(&mut rng, now - 600_000_000_000)).collect();
    let spans = (requests * TRACES_PER_REQUEST * SPANS_PER_TRACE) as u64;
    let request_bytes: usize = pool.iter().map(|encoded| encoded.bytes.len()).sum::<usize>() / pool_size;
    println!(
        "workload: {requests} requests of {TRACES_PER_REQUEST} traces x {SPANS_PER_TRACE} spans x 11 attributes = {spans} spans, {request_bytes} bytes per request"
    );

    // Decode-only ceiling, one thread.
    let started = Instant::now();
    let mut decoded_spans = 0;
    for sequence in 0..requests {
        let bytes = &pool[sequence % pool_size].bytes;
        let request = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
        decoded_spans += request.resource_spans.iter().map(|group| group.scope_spans[0].spans.len()).sum::<usize>();
    }
    let decode = started.elapsed();
    println!("decode only (prost, 1 thread): {:.0} spans/s", decoded_spans as f64 / decode.as_secs_f64());

    // Ingest with durable acknowledgements.
    let dir = tempfile::tempdir().unwrap();
    let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = ServerConfig {
        http_addr: localhost,
        otlp_grpc_addr: localhost,
        otlp_http_addr: localhost,
        zipkin_addr: localhost,
        ..ServerConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (store, _) = EmbeddedStore::open(StoreConfig::new(dir.path())).unwrap();
    let server = runtime.block_on(clew_server::start(config, Arc::new(store))).unwrap();
    let (otlp, http) = (server.otlp_http_addr, server.http_addr);
    let next = Arc::new(AtomicU64::new(0));
    let pool = Arc::new(pool);
    let barrier = Arc::new(Barrier::new(options.connections + 1));
    let senders: Vec<_> = (0..options.connections)
        .map(|_| {
            let (next, pool, barrier) = (Arc::clone(&next), Arc::clone(&pool), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut connection = Connection::open(otlp);
                barrier.wait();
                let mut refused = 0_u64;
                loop {
                    let sequence = next.fetch_add(1, Ordering::Relaxed);
                    if sequence >= requests as u64 {
                        return refused;
                    }
                    let body = patched(&pool[sequence as usize % pool_size], sequence);
                    loop {
                        let (status, answer) = connection.request("POST", "/v1/traces", &body);
                        match status {
                            200 => break,
                            503 => refused += 1,
                            other => panic!("HTTP {other}: {}", String::from_utf8_lossy(&answer)),
                        }
                    }
                }
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let refused: u64 = senders.into_iter().map(|sender| sender.join().unwrap()).sum();
    let ingest = started.elapsed();
    let rss = peak_rss_mib();
    println!(
        "ingest (OTLP/HTTP protobuf, {} connections, durable acks): {:.0} spans/s ({:.2} of decode-only), {refused} answers of 503 retried",
        options.connections,
        spans as f64 / ingest.as_secs_f64(),
        (spans as f64 / ingest.as_secs_f64()) / (decoded_spans as f64 / decode.as_secs_f64())
    );
    println!("peak RSS while ingesting (server, clients and request pool): {rss:.0} MiB");

    // Every span is there.
    let store = server.store();
    let stats = store.stats();
    assert_eq!(stats.spans_written, spans, "every acknowledged span was written");

    // Size after writing the head out and compacting.
    let started = Instant::now();
    store.flush().unwrap();
    let flush = started.elapsed();
    let blocks = dir.path().join("blocks");
    let block_bytes = || -> u64 {
        std::fs::read_dir(&blocks)
            .unwrap()
            .flat_map(|entry| std::fs::read_dir(entry.unwrap().path()).unwrap())
            .map(|file| file.unwrap().metadata().unwrap().len())
            .sum()
    };
    println!(
        "head written as blocks in {:.2} s: {:.1} bytes/span",
        flush.as_secs_f64(),
        block_bytes() as f64 / spans as f64
    );

    // Queries over HTTP.
    let ids: Vec<String> = (0..options.queries)
        .map(|index| {
            let sequence = index * 7919 % requests;
            trace_ids(&pool[sequence % pool_size], sequence as u64)[index % TRACES_PER_REQUEST].clone()
        })
        .collect();
    let by_id: Vec<String> = ids.iter().map(|id| format!("/api/v1/traces/{id}")).collect();
    let start = now - 3_600_000_000_000;
    let by_operation: Vec<String> = (0..options.queries / 10 + 1)
        .map(|index| {
            format!(
                "/api/v1/search?service={}&operation={}&minDuration=300ms&start={start}&limit=20",
                SERVICES[index % SERVICES.len()],
                OPERATIONS[index % OPERATIONS.len()].replace(' ', "%20").replace('/', "%2F")
            )
        })
        .collect();
    let by_attribute: Vec<String> = (0..options.queries / 10 + 1)
        .map(|index| format!("/api/v1/search?attr=user.id%3Duser-{}&start={start}&limit=20", index * 37 % 100_000))
        .collect();
    for (name, paths) in [
        ("trace by id", &by_id),
        ("search service+operation+minDuration", &by_operation),
        ("search by attribute", &by_attribute),
    ] {
        let (median, p99) = timed_queries(http, paths);
        println!(
            "{name} over {} spans ({} queries): median {:.2} ms, p99 {:.2} ms",
            spans,
            paths.len(),
            median.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    runtime.block_on(server.shutdown()).unwrap();
}
