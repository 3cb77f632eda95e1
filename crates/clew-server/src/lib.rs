//! `clew serve`: receivers for OTLP and Zipkin, the query engine and the HTTP APIs, over
//! any storage engine behind the [`Store`] trait of `clew-store`.
//!
//! [`start`] takes a store (open, or an [`OpeningStore`] that the caller opens while the
//! server listens), binds every port and returns a [`RunningServer`] with the bound
//! addresses; [`RunningServer::shutdown`] stops accepting, finishes the requests
//! in flight and closes the store (the embedded engine writes its head out as a block).
//!
//! | port (default) | what                                                                      |
//! |----------------|---------------------------------------------------------------------------|
//! | 4317           | OTLP/gRPC: trace and logs services                                        |
//! | 4318           | OTLP/HTTP: `POST /v1/traces`, `POST /v1/logs` (protobuf, JSON, gzip)      |
//! | 9411           | Zipkin v2: `POST /api/v2/spans` (JSON, protobuf) and the read API         |
//! | 16686          | the UI (`/`, `/ui/…`), `/api/v1` (clew), `/api` and `/api/v3` (Jaeger), `/api/v2` (Zipkin), `/metrics`, `/healthz`, `/readyz` |

mod budget;
pub mod config;
pub mod duration;
mod events;
#[doc(hidden)]
pub mod fuzzing;
mod ingest;
mod listen;
mod metrics;
mod opening;
mod query;
mod receivers;
mod selftrace;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clew_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use config::{Limits, ServerConfig};
pub use ingest::TRUNCATED_MARKER;
pub use opening::OpeningStore;
pub use selftrace::SERVICE_NAME as SELF_SERVICE_NAME;

use crate::ingest::Ingest;
use crate::metrics::Metrics;
use crate::query::Query;
use crate::receivers::{otlp, zipkin};

/// Why the server could not start or stop cleanly.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// The store could not be opened or closed.
    Store(clew_store::StoreError),
    /// A port could not be bound.
    Bind {
        /// Which setting named the address.
        setting: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// A listener failed while serving.
    Serve(String),
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerError::Store(error) => write!(f, "store: {error}"),
            ServerError::Bind { setting, addr, source } => write!(f, "{setting}: cannot listen on {addr}: {source}"),
            ServerError::Serve(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ServerError {}

/// A server that is running.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address of the query APIs.
    pub http_addr: SocketAddr,
    /// The bound address of OTLP/HTTP.
    pub otlp_http_addr: SocketAddr,
    /// The bound address of OTLP/gRPC.
    pub otlp_grpc_addr: SocketAddr,
    /// The bound address of Zipkin.
    pub zipkin_addr: SocketAddr,
    store: Arc<dyn Store>,
    tracer: Option<clew::Tracer>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<(), String>>,
}

/// Connections the kernel holds for a listener that has `max_connections` open (the
/// standard library's 128 would refuse a burst of clients beyond that).
const BACKLOG: u32 = 1024;

async fn bind(setting: &'static str, addr: SocketAddr) -> Result<TcpListener, ServerError> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() };
    socket
        .and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(BACKLOG)
        })
        .map_err(|source| ServerError::Bind { setting, addr, source })
}

fn local_addr(listener: &TcpListener, setting: &'static str, addr: SocketAddr) -> Result<SocketAddr, ServerError> {
    listener.local_addr().map_err(|source| ServerError::Bind { setting, addr, source })
}

/// How long a gRPC connection lives before the server asks its client to open another.
const GRPC_MAX_CONNECTION_AGE: std::time::Duration = std::time::Duration::from_secs(300);

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Starts every listener over `store`, which the server closes when it shuts down.
pub async fn start(config: ServerConfig, store: Arc<dyn Store>) -> Result<RunningServer, ServerError> {
    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    let ingest = Arc::new(Ingest::new(Arc::clone(&store), config.limits.clone(), Arc::clone(&metrics)));
    let query = Query { store: Arc::clone(&store), metrics, ready: Arc::clone(&ready) };

    let http = bind("http_addr", config.http_addr).await?;
    let otlp_http = bind("otlp_http_addr", config.otlp_http_addr).await?;
    let otlp_grpc = bind("otlp_grpc_addr", config.otlp_grpc_addr).await?;
    let zipkin = bind("zipkin_addr", config.zipkin_addr).await?;
    let (stop, stop_rx) = watch::channel(false);
    let mut server = RunningServer {
        http_addr: local_addr(&http, "http_addr", config.http_addr)?,
        otlp_http_addr: local_addr(&otlp_http, "otlp_http_addr", config.otlp_http_addr)?,
        otlp_grpc_addr: local_addr(&otlp_grpc, "otlp_grpc_addr", config.otlp_grpc_addr)?,
        zipkin_addr: local_addr(&zipkin, "zipkin_addr", config.zipkin_addr)?,
        store,
        tracer: None,
        stop,
        tasks: JoinSet::new(),
    };

    let mut http_router = query::router(query.clone());
    let mut otlp_http_router = otlp::http::router(Arc::clone(&ingest));
    if config.self_tracing {
        let tracer = selftrace::tracer(Arc::clone(&query.store));
        let layer = || axum::middleware::from_fn_with_state(tracer, selftrace::trace_request);
        http_router = http_router.route_layer(layer());
        otlp_http_router = otlp_http_router.route_layer(layer());
        server.tracer = Some(tracer);
    }
    let routers = [
        ("http", http, http_router),
        ("otlp_http", otlp_http, otlp_http_router),
        ("zipkin", zipkin, zipkin::router(Arc::clone(&ingest), query)),
    ];
    let bounds = listen::ConnectionBounds {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
        max_body_bytes: config.limits.max_request_bytes,
    };
    for (name, listener, router) in routers {
        let router = listen::with_body_bounds(router, bounds);
        let stop = stop_rx.clone();
        server.tasks.spawn(async move {
            listen::serve(listener, router, bounds, stop).await.map_err(|error| format!("{name}: {error}"))
        });
    }
    let grpc_stop = stopped(stop_rx);
    // Longer than any call may take, so that only a connection without calls is idle.
    let idle = config.header_timeout.saturating_add(config.body_timeout);
    let incoming = listen::capped_incoming(otlp_grpc, config.max_connections, idle);
    let watcher = Arc::clone(&ingest);
    let routes = otlp::grpc::routes(ingest);
    server.tasks.spawn(async move {
        tonic::transport::Server::builder()
            .timeout(config.body_timeout)
            // An idle connection is asked to go (GOAWAY) and reconnects when it has work.
            .max_connection_age(GRPC_MAX_CONNECTION_AGE)
            .layer(tower::util::MapResponseLayer::new(otlp::grpc::status_by_the_specification))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, grpc_stop)
            .await
            .map_err(|error| format!("otlp_grpc: {error}"))
    });
    let stop = server.stop.subscribe();
    server.tasks.spawn(async move {
        watcher.watch_unavailable(std::time::Duration::from_secs(1), stop).await;
        Ok(())
    });
    ready.store(true, Ordering::Release);
    Ok(server)
}

impl RunningServer {
    /// The store, for tools that run beside the server.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// Stops accepting, waits for the requests in flight, and closes the store.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        let mut failure = None;
        while let Some(result) = self.tasks.join_next().await {
            match result {
                Ok(Ok(())) => {}
                Ok(Err(message)) => failure = Some(message),
                Err(error) => failure = Some(format!("a listener stopped: {error}")),
            }
        }
        let store = Arc::clone(&self.store);
        let tracer = self.tracer.take();
        tokio::task::spawn_blocking(move || {
            // The server's own spans go into the store before it closes.
            if let Some(tracer) = tracer {
                let _ = tracer.shutdown(std::time::Duration::from_secs(5));
            }
            store.close()
        })
        .await
        .map_err(|error| ServerError::Serve(format!("closing the store was cancelled: {error}")))?
        .map_err(ServerError::Store)?;
        failure.map_or(Ok(()), |message| Err(ServerError::Serve(message)))
    }

    /// Waits until a listener fails (it never returns while all is well).
    pub async fn wait_for_failure(&mut self) -> ServerError {
        match self.tasks.join_next().await {
            Some(Ok(Err(message))) => ServerError::Serve(message),
            Some(Err(error)) => ServerError::Serve(format!("a listener stopped: {error}")),
            Some(Ok(Ok(()))) | None => ServerError::Serve("a listener stopped".into()),
        }
    }
}
