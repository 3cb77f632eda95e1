//! The HTTP listeners' accept loop, with the bounds `axum::serve` does not set: at most
//! `max_connections` open connections per listener (more wait in the kernel's backlog until
//! one closes), a connection closed when a request's headers take longer than
//! `header_timeout` to arrive (which also closes a keep-alive connection left idle that
//! long), and a request answered 408 when its body takes longer than `body_timeout`.
//!
//! The gRPC port's connections are capped the same way ([`capped_incoming`]) and closed
//! after `header_timeout` + `body_timeout` without traffic.
//!
//! A stop stops accepting, lets every connection finish the request it is serving, and
//! returns once they are all closed.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// The bounds of one listener's connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionBounds {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    /// The largest body read whole (a larger one is answered 413).
    pub(crate) max_body_bytes: usize,
}

/// `router` with its request bodies read whole within the bounds before a handler runs:
/// 408 when the body is not all there within `body_timeout`, 413 when it is larger than
/// `max_body_bytes`.
pub(crate) fn with_body_bounds(router: Router, bounds: ConnectionBounds) -> Router {
    router.layer(axum::middleware::from_fn_with_state(bounds, read_body_within_bounds))
}

async fn read_body_within_bounds(State(bounds): State<ConnectionBounds>, request: Request, next: Next) -> Response {
    // A request that declares a body over the limit is the receiver's to refuse, in its own
    // format, before anything is read. A client that waits for `100 Continue` sends
    // nothing; one that does not is sending already, and what it sends is read away while
    // the answer goes out, so that it reads the 413 rather than a reset connection.
    if crate::ingest::declared_over(request.headers(), bounds.max_body_bytes) {
        let (parts, body) = request.into_parts();
        if !crate::ingest::waits_for_continue(&parts.headers) {
            tokio::spawn(read_away(body));
        }
        let mut response = next.run(Request::from_parts(parts, Body::empty())).await;
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(bounds.body_timeout, axum::body::to_bytes(body, bounds.max_body_bytes)).await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large =
                std::error::Error::source(&error).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return if too_large {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the request body is larger than {} bytes", bounds.max_body_bytes),
                )
                    .into_response()
            } else {
                (StatusCode::BAD_REQUEST, format!("the request body could not be read: {error}")).into_response()
            };
        }
        Err(_) => {
            let message = format!("the request body did not arrive within {:?} (body_timeout)", bounds.body_timeout);
            return (StatusCode::REQUEST_TIMEOUT, message).into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// How long the body of a refused request is read away, at most.
const READ_AWAY: Duration = Duration::from_secs(2);

/// Reads and drops what a client sends of a body that was refused, for [`READ_AWAY`] at
/// most: a client that writes its whole body before it reads the answer then reads the
/// 413 rather than a broken pipe. It costs no memory, and the connection is one of
/// `max_connections` meanwhile.
async fn read_away(body: Body) {
    use futures_util::StreamExt;
    let mut data = body.into_data_stream();
    let _ = tokio::time::timeout(READ_AWAY, async { while let Some(Ok(_)) = data.next().await {} }).await;
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Serves `router` on `listener` until `stop` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    bounds: ConnectionBounds,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let permits = Arc::new(Semaphore::new(bounds.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // A connection that failed before it was accepted (reset, out of file
                // descriptors for a moment): the listener goes on.
                Err(_) => continue,
            },
            () = stopped(&mut stop) => break,
        };
        // Finished connections are reaped as new ones come.
        while connections.try_join_next().is_some() {}
        let service = TowerToHyperService::new(router.clone());
        let mut connection_stop = stop.clone();
        connections.spawn(async move {
            let _permit = permit;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(bounds.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stopped(&mut connection_stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// A connection of the gRPC port, holding one of the listener's permits until it closes,
/// and closed once nothing has crossed it (a byte read or written) for `idle`: an idle
/// connection does not hold its permit for ever. `idle` is longer than the longest call
/// (`body_timeout`), which always ends with an answer, so no call is cut.
#[derive(Debug)]
pub(crate) struct CappedStream {
    stream: tokio::net::TcpStream,
    _permit: tokio::sync::OwnedSemaphorePermit,
    idle: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl CappedStream {
    fn active(&mut self) {
        self.deadline.as_mut().reset(tokio::time::Instant::now() + self.idle);
    }
}

impl tokio::io::AsyncRead for CappedStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        buffer: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let filled = buffer.filled().len();
        match std::pin::Pin::new(&mut self.stream).poll_read(context, buffer) {
            std::task::Poll::Pending => match self.deadline.as_mut().poll(context) {
                std::task::Poll::Ready(()) => std::task::Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the connection was idle too long",
                ))),
                std::task::Poll::Pending => std::task::Poll::Pending,
            },
            ready => {
                if buffer.filled().len() > filled {
                    self.active();
                }
                ready
            }
        }
    }
}

impl tokio::io::AsyncWrite for CappedStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        bytes: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.stream).poll_write(context, bytes);
        if matches!(written, std::task::Poll::Ready(Ok(count)) if count > 0) {
            self.active();
        }
        written
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

impl tonic::transport::server::Connected for CappedStream {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

/// The gRPC port's connections, at most `max_connections` open at once (the next one is
/// accepted only once a permit is free), each closed after `idle` without traffic.
pub(crate) fn capped_incoming(
    listener: TcpListener,
    max_connections: usize,
    idle: Duration,
) -> impl futures_util::Stream<Item = Result<CappedStream, std::io::Error>> {
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    futures_util::stream::unfold((listener, permits), move |(listener, permits)| async move {
        let permit = Arc::clone(&permits).acquire_owned().await.ok()?;
        loop {
            // A connection that failed before it was accepted: the listener goes on.
            if let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let deadline = Box::pin(tokio::time::sleep(idle));
                let stream = CappedStream { stream, _permit: permit, idle, deadline };
                return Some((Ok(stream), (listener, permits)));
            }
        }
    })
}
