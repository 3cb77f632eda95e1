//! The HTTP listeners' accept loop, with the bounds `axum::serve` does not set: at most
//! `max_connections` open connections per listener (more wait in the kernel's backlog until
//! one closes), a connection closed when a request's headers take longer than
//! `header_timeout` to arrive (which also closes a keep-alive connection left idle that
//! long), and a request answered 408 when its body takes longer than `body_timeout`.
//!
//! A stop stops accepting, lets every connection finish the request it is serving, and
//! returns once they are all closed.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
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
    // A request that waits for `100 Continue` with a declared body over the limit is the
    // receiver's to refuse, in its own format, before anything is read.
    if crate::ingest::refuse_before_reading(request.headers(), bounds.max_body_bytes) {
        return next.run(request).await;
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

/// A connection of the gRPC port, holding one of the listener's permits until it closes.
#[derive(Debug)]
pub(crate) struct CappedStream {
    stream: tokio::net::TcpStream,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl tokio::io::AsyncRead for CappedStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        buffer: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl tokio::io::AsyncWrite for CappedStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        bytes: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write(context, bytes)
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

/// The gRPC port's connections, at most `max_connections` open at once: the next one is
/// accepted only once a permit is free.
pub(crate) fn capped_incoming(
    listener: TcpListener,
    max_connections: usize,
) -> impl futures_util::Stream<Item = Result<CappedStream, std::io::Error>> {
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    futures_util::stream::unfold((listener, permits), |(listener, permits)| async move {
        let permit = Arc::clone(&permits).acquire_owned().await.ok()?;
        loop {
            // A connection that failed before it was accepted: the listener goes on.
            if let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                return Some((Ok(CappedStream { stream, _permit: permit }), (listener, permits)));
            }
        }
    })
}
